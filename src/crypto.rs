//! `django.utils.crypto`: `salted_hmac`, `constant_time_compare` and `get_random_string`.
//!
//! `salted_hmac` keys an HMAC with `H(key_salt ‖ secret)`, the raw digest, salt first and no
//! separator, exactly as Django does in every version. Deriving that key is one hash of the
//! secret; [`SaltedHmacKey`] does it once so that token checks only pay for the HMAC itself.
//!
//! Nothing here touches I/O except the operating system's random source.

use std::fmt;
use std::str::FromStr;

use hmac::{KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::wire::hex::DIGITS as HEX;

/// Django's `RANDOM_STRING_CHARS`: the alphabet of salts and random strings.
pub const RANDOM_STRING_CHARS: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A digest `salted_hmac` can use, named as `hashlib` names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `salted_hmac`'s default in every Django version up to 6.1, and tokenapi's digest.
    #[default]
    Sha1,
    /// What `PasswordResetTokenGenerator` passes since Django 3.1.
    Sha256,
    /// Accepted by `salted_hmac`; no Django caller uses it.
    Sha512,
}

impl Algorithm {
    /// The `hashlib` name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Digest size in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm name that is not one djtoken's `salted_hmac` supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a salted_hmac algorithm djtoken supports (sha1, sha256, sha512)")]
pub struct InvalidAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = InvalidAlgorithm;

    /// Exact lower-case names, as Django's `getattr(hashlib, algorithm)` requires.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sha1" => Ok(Algorithm::Sha1),
            "sha256" => Ok(Algorithm::Sha256),
            "sha512" => Ok(Algorithm::Sha512),
            other => Err(InvalidAlgorithm(other.to_owned())),
        }
    }
}

// SHA-512's state is twice the others'; boxing it keeps the common variants small to copy,
// which the token checks do for every HMAC.
#[derive(Clone)]
enum Keyed {
    Sha1(hmac::Hmac<Sha1>),
    Sha256(hmac::Hmac<Sha256>),
    Sha512(Box<hmac::Hmac<Sha512>>),
}

/// The HMAC key of `salted_hmac(key_salt, …, secret)`, derived once.
///
/// ```
/// use djtoken::crypto::{Algorithm, SaltedHmacKey};
/// let key = SaltedHmacKey::new(Algorithm::Sha1, b"key-salt", b"test-secret");
/// let mut mac = key.mac();
/// mac.update(b"value");
/// assert_eq!(mac.finalize().hexdigest(), "77829b145a2d20415cdf4ba210e18c232a13b805");
/// ```
#[derive(Clone)]
pub struct SaltedHmacKey {
    keyed: Keyed,
}

impl SaltedHmacKey {
    /// `H(key_salt ‖ secret)` as the HMAC key.
    pub fn new(algorithm: Algorithm, key_salt: &[u8], secret: &[u8]) -> Self {
        fn keyed<D>(key_salt: &[u8], secret: &[u8]) -> hmac::Hmac<D>
        where
            D: Digest + hmac::EagerHash,
        {
            let mut h = D::new();
            h.update(key_salt);
            h.update(secret);
            let key = h.finalize();
            hmac::Hmac::<D>::new_from_slice(&key).expect("HMAC accepts keys of any length")
        }
        let keyed = match algorithm {
            Algorithm::Sha1 => Keyed::Sha1(keyed(key_salt, secret)),
            Algorithm::Sha256 => Keyed::Sha256(keyed(key_salt, secret)),
            Algorithm::Sha512 => Keyed::Sha512(Box::new(keyed(key_salt, secret))),
        };
        SaltedHmacKey { keyed }
    }

    /// The digest this key was derived for.
    pub fn algorithm(&self) -> Algorithm {
        match self.keyed {
            Keyed::Sha1(_) => Algorithm::Sha1,
            Keyed::Sha256(_) => Algorithm::Sha256,
            Keyed::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// A fresh HMAC over this key, ready for the value.
    #[inline]
    pub fn mac(&self) -> SaltedMac {
        SaltedMac {
            keyed: self.keyed.clone(),
        }
    }
}

impl fmt::Debug for SaltedHmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SaltedHmacKey({}, ..)", self.algorithm())
    }
}

/// An HMAC in progress; feed it the value, then [`finalize`](SaltedMac::finalize).
pub struct SaltedMac {
    keyed: Keyed,
}

impl SaltedMac {
    /// Feed more of the value.
    #[inline]
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.keyed {
            Keyed::Sha1(m) => m.update(data),
            Keyed::Sha256(m) => m.update(data),
            Keyed::Sha512(m) => m.update(data),
        }
    }

    /// The HMAC of everything fed so far.
    #[inline]
    pub fn finalize(self) -> HmacOutput {
        let mut out = HmacOutput {
            bytes: [0; 64],
            len: 0,
        };
        let digest: &[u8] = match self.keyed {
            Keyed::Sha1(m) => &m.finalize().into_bytes(),
            Keyed::Sha256(m) => &m.finalize().into_bytes(),
            Keyed::Sha512(m) => &m.finalize().into_bytes(),
        };
        out.bytes[..digest.len()].copy_from_slice(digest);
        out.len = digest.len();
        out
    }
}

/// An HMAC result, as `hmac.HMAC.digest()` / `.hexdigest()` give it.
#[derive(Clone, Copy)]
pub struct HmacOutput {
    bytes: [u8; 64],
    len: usize,
}

impl HmacOutput {
    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Lower-case hex, as `.hexdigest()`.
    pub fn hexdigest(&self) -> String {
        crate::wire::hex::encode(self.as_bytes())
    }

    /// `hexdigest()[::2]`: the high nibble of every byte, as Django's token generators keep it.
    /// Writes into `out` and returns the written part.
    #[inline]
    pub fn every_other_hex<'a>(&self, out: &'a mut [u8; 64]) -> &'a [u8] {
        for (o, b) in out.iter_mut().zip(self.as_bytes()) {
            *o = HEX[usize::from(b >> 4)];
        }
        &out[..self.len]
    }
}

impl HmacOutput {
    /// `constant_time_compare(hexdigest()[::2], text)` without writing the hex out.
    #[inline]
    pub fn every_other_hex_eq(&self, text: &[u8]) -> bool {
        if text.len() != self.len {
            return false;
        }
        let diff = self
            .as_bytes()
            .iter()
            .zip(text)
            .fold(0u8, |acc, (b, t)| acc | (HEX[usize::from(b >> 4)] ^ t));
        bool::from(diff.ct_eq(&0))
    }
}

impl fmt::Debug for HmacOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hexdigest())
    }
}

/// `django.utils.crypto.salted_hmac(key_salt, value, secret, algorithm=…)`.
///
/// ```
/// use djtoken::crypto::{salted_hmac, Algorithm};
/// let mac = salted_hmac(b"key-salt", b"value", b"test-secret", Algorithm::Sha256);
/// assert_eq!(
///     mac.hexdigest(),
///     "ef3005a61a1e63760653d4434fd4489368f35853b5200de6c3d4749cf3487f91"
/// );
/// ```
pub fn salted_hmac(
    key_salt: &[u8],
    value: &[u8],
    secret: &[u8],
    algorithm: Algorithm,
) -> HmacOutput {
    let mut mac = SaltedHmacKey::new(algorithm, key_salt, secret).mac();
    mac.update(value);
    mac.finalize()
}

/// `constant_time_compare`: byte equality in time that depends only on the lengths.
///
/// The differences are OR-ed together without a branch and only the total goes through
/// `subtle`'s optimisation barrier: one barrier per compare instead of one per byte, which
/// `subtle`'s slice comparison spends (a third of a token check's overhead).
#[inline]
pub fn constant_time_compare(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    bool::from(diff.ct_eq(&0))
}

/// `get_random_string(length, allowed_chars)`: uniform choices from the OS random source.
///
/// # Panics
/// If `allowed_chars` is empty (Django raises `IndexError` there).
pub fn get_random_string(length: usize, allowed_chars: &str) -> String {
    let chars: Vec<char> = allowed_chars.chars().collect();
    assert!(
        !chars.is_empty(),
        "get_random_string needs a non-empty alphabet"
    );
    let n = u32::try_from(chars.len()).expect("an alphabet shorter than 2**32 characters");
    // Rejection sampling keeps every character equally likely, as `secrets.choice` does.
    let zone = u32::MAX - (u32::MAX % n);
    let mut out = String::with_capacity(length);
    let mut pool = [0u8; 256];
    let mut used = pool.len();
    let mut produced = 0;
    while produced < length {
        if used + 4 > pool.len() {
            fill_random(&mut pool);
            used = 0;
        }
        let word = u32::from_le_bytes([pool[used], pool[used + 1], pool[used + 2], pool[used + 3]]);
        used += 4;
        if word < zone {
            out.push(chars[(word % n) as usize]);
            produced += 1;
        }
    }
    out
}

/// Fill `buf` from the operating system's random source.
///
/// # Panics
/// If the OS has no random source to give (never on the platforms djtoken supports); Django
/// cannot run there either.
pub fn fill_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source is available");
}

/// A `SECRET_KEY` (or one of `SECRET_KEY_FALLBACKS`), wiped from memory when dropped and
/// never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(zeroize::Zeroizing<Vec<u8>>);

impl SecretKey {
    /// A key from its text (Django encodes `str` keys as UTF-8) or raw bytes.
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        SecretKey(zeroize::Zeroizing::new(key.as_ref().to_vec()))
    }

    /// The key bytes, for deriving HMAC keys.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// `SECRET_KEY` and `SECRET_KEY_FALLBACKS`: new tokens use `current`; checks also accept
/// tokens made with any fallback, so a key can be rotated without logging anyone out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretKeys {
    /// `SECRET_KEY`.
    pub current: SecretKey,
    /// `SECRET_KEY_FALLBACKS`, oldest last or in any order; all are tried.
    pub fallbacks: Vec<SecretKey>,
}

impl SecretKeys {
    /// Only a current key.
    pub fn new(current: impl AsRef<[u8]>) -> Self {
        SecretKeys {
            current: SecretKey::new(current),
            fallbacks: Vec::new(),
        }
    }

    /// Add fallback keys.
    pub fn with_fallbacks<K: AsRef<[u8]>>(
        mut self,
        fallbacks: impl IntoIterator<Item = K>,
    ) -> Self {
        self.fallbacks
            .extend(fallbacks.into_iter().map(SecretKey::new));
        self
    }

    /// The current key first, then the fallbacks: the order checks try them in.
    pub fn all(&self) -> impl Iterator<Item = &SecretKey> {
        std::iter::once(&self.current).chain(&self.fallbacks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_algorithm_is_sha1_like_django() {
        assert_eq!(Algorithm::default(), Algorithm::Sha1);
    }

    #[test]
    fn algorithm_names_are_exact_lower_case() {
        assert_eq!("sha256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert!("SHA256".parse::<Algorithm>().is_err());
        assert!("sha-256".parse::<Algorithm>().is_err());
    }

    #[test]
    fn every_other_hex_keeps_high_nibbles() {
        let mac = salted_hmac(b"key-salt", b"value", b"test-secret", Algorithm::Sha1);
        let hex = mac.hexdigest();
        let mut buf = [0u8; 64];
        let halves = mac.every_other_hex(&mut buf);
        let expected: String = hex.chars().step_by(2).collect();
        assert_eq!(halves, expected.as_bytes());
    }

    #[test]
    fn constant_time_compare_needs_equal_lengths() {
        assert!(constant_time_compare(b"abc", b"abc"));
        assert!(!constant_time_compare(b"abc", b"abd"));
        assert!(!constant_time_compare(b"abc", b"abcd"));
        assert!(constant_time_compare(b"", b""));
    }

    #[test]
    fn random_strings_use_the_alphabet_and_length() {
        let s = get_random_string(1000, RANDOM_STRING_CHARS);
        assert_eq!(s.len(), 1000);
        assert!(s.chars().all(|c| RANDOM_STRING_CHARS.contains(c)));
        // 1000 draws from 62 letters miss a letter with probability ~62·(61/62)^1000 ≈ 6e-6.
        assert!(RANDOM_STRING_CHARS.chars().all(|c| s.contains(c)));
        let unicode = get_random_string(5, "é");
        assert_eq!(unicode, "ééééé");
    }
}
