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

/// Declares [`Algorithm`] and the HMAC state of each: `(variant, hashlib name, digest
/// type, output bytes, HMAC type)`.
macro_rules! algorithms {
    ($(($(#[$attr:meta])* $variant:ident, $name:literal, $digest:ty, $len:literal, $hmac:ident, $held:ident, $doc:literal)),* $(,)?) => {
        /// A digest `salted_hmac` can use, named as `hashlib` names it (`getattr(hashlib,
        /// algorithm)` in Django): every one of `hashlib`'s guaranteed digests but the SHAKEs,
        /// whose `digest()` needs a length Django never passes.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub enum Algorithm {
            $(#[doc = $doc] $(#[$attr])* $variant,)*
        }

        impl Algorithm {
            /// Every algorithm.
            pub const ALL: &[Algorithm] = &[$(Algorithm::$variant),*];

            /// The `hashlib` name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Algorithm::$variant => $name,)*
                }
            }

            /// Digest size in bytes.
            pub fn output_len(self) -> usize {
                match self {
                    $(Algorithm::$variant => $len,)*
                }
            }
        }

        impl FromStr for Algorithm {
            type Err = InvalidAlgorithm;

            /// Exact lower-case names, as Django's `getattr(hashlib, algorithm)` requires.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Algorithm::$variant),)*
                    other => Err(InvalidAlgorithm(other.to_owned())),
                }
            }
        }

        // The states differ tenfold in size: the common SHA-1 and SHA-256 ones, which the
        // token checks copy for every HMAC, are held inline, the rest boxed.
        #[derive(Clone)]
        enum Keyed {
            $($variant($held<hmac::$hmac<$digest>>),)*
        }

        impl Keyed {
            fn new(algorithm: Algorithm, key: &[u8]) -> Self {
                match algorithm {
                    $(Algorithm::$variant => Keyed::$variant(Held::hold(
                        <hmac::$hmac<$digest> as KeyInit>::new_from_slice(key)
                            .expect("HMAC accepts keys of any length"),
                    )),)*
                }
            }

            fn algorithm(&self) -> Algorithm {
                match self {
                    $(Keyed::$variant(_) => Algorithm::$variant,)*
                }
            }

            fn update(&mut self, data: &[u8]) {
                match self {
                    $(Keyed::$variant(m) => m.get_mut().update(data),)*
                }
            }

            fn finalize_into(self, out: &mut [u8; 64]) -> usize {
                match self {
                    $(Keyed::$variant(m) => {
                        let digest = m.take().finalize().into_bytes();
                        out[..digest.len()].copy_from_slice(&digest);
                        digest.len()
                    })*
                }
            }

            /// `hashlib.<algorithm>(data).digest()`, into `out`.
            fn digest_into(algorithm: Algorithm, parts: &[&[u8]], out: &mut [u8; 64]) -> usize {
                match algorithm {
                    $(Algorithm::$variant => {
                        let mut h = <$digest as Digest>::new();
                        for part in parts {
                            Digest::update(&mut h, part);
                        }
                        let digest = h.finalize();
                        out[..digest.len()].copy_from_slice(&digest);
                        digest.len()
                    })*
                }
            }
        }
    };
}

/// How a HMAC state is held in [`Keyed`]: inline or boxed.
trait Held<T>: Sized {
    fn hold(state: T) -> Self;
    fn get_mut(&mut self) -> &mut T;
    fn take(self) -> T;
}

#[derive(Clone)]
struct Inline<T>(T);

impl<T> Held<T> for Inline<T> {
    fn hold(state: T) -> Self {
        Inline(state)
    }
    fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }
    fn take(self) -> T {
        self.0
    }
}

impl<T> Held<T> for Box<T> {
    fn hold(state: T) -> Self {
        Box::new(state)
    }
    fn get_mut(&mut self) -> &mut T {
        self
    }
    fn take(self) -> T {
        *self
    }
}

algorithms![
    (
        #[default]
        Sha1,
        "sha1",
        Sha1,
        20,
        Hmac,
        Inline,
        "`salted_hmac`'s default in every Django version up to 6.1, and tokenapi's digest."
    ),
    (
        Sha256,
        "sha256",
        Sha256,
        32,
        Hmac,
        Inline,
        "What `PasswordResetTokenGenerator` and signing pass since Django 3.1."
    ),
    (Md5, "md5", md5::Md5, 16, Hmac, Box, "`hashlib.md5`."),
    (
        Sha224,
        "sha224",
        sha2::Sha224,
        28,
        Hmac,
        Box,
        "`hashlib.sha224`."
    ),
    (
        Sha384,
        "sha384",
        sha2::Sha384,
        48,
        Hmac,
        Box,
        "`hashlib.sha384`."
    ),
    (Sha512, "sha512", Sha512, 64, Hmac, Box, "`hashlib.sha512`."),
    (
        Sha3_224,
        "sha3_224",
        sha3::Sha3_224,
        28,
        Hmac,
        Box,
        "`hashlib.sha3_224`."
    ),
    (
        Sha3_256,
        "sha3_256",
        sha3::Sha3_256,
        32,
        Hmac,
        Box,
        "`hashlib.sha3_256`."
    ),
    (
        Sha3_384,
        "sha3_384",
        sha3::Sha3_384,
        48,
        Hmac,
        Box,
        "`hashlib.sha3_384`."
    ),
    (
        Sha3_512,
        "sha3_512",
        sha3::Sha3_512,
        64,
        Hmac,
        Box,
        "`hashlib.sha3_512`."
    ),
    (
        Blake2b,
        "blake2b",
        blake2::Blake2b512,
        64,
        SimpleHmac,
        Box,
        "`hashlib.blake2b` (64-byte digest, as `hmac.new(..., hashlib.blake2b)` makes it)."
    ),
    (
        Blake2s,
        "blake2s",
        blake2::Blake2s256,
        32,
        SimpleHmac,
        Box,
        "`hashlib.blake2s` (32-byte digest)."
    ),
];

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm name that is not one of `hashlib`'s digests `salted_hmac` can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an algorithm accepted by the hashlib module")]
pub struct InvalidAlgorithm(pub String);

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
        let mut key = [0u8; 64];
        let len = Keyed::digest_into(algorithm, &[key_salt, secret], &mut key);
        SaltedHmacKey {
            keyed: Keyed::new(algorithm, &key[..len]),
        }
    }

    /// The digest this key was derived for.
    pub fn algorithm(&self) -> Algorithm {
        self.keyed.algorithm()
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
        self.keyed.update(data);
    }

    /// The HMAC of everything fed so far.
    #[inline]
    pub fn finalize(self) -> HmacOutput {
        let mut out = HmacOutput {
            bytes: [0; 64],
            len: 0,
        };
        out.len = self.keyed.finalize_into(&mut out.bytes);
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
