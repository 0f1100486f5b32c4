//! Django's timestamp tokens: one engine, two presets.
//!
//! Both `tokenapi.tokens.PasswordResetTokenGenerator` and Django's own
//! `django.contrib.auth.tokens.PasswordResetTokenGenerator` build a token as
//! `int_to_base36(timestamp) + "-" + salted_hmac(key_salt, value).hexdigest()[::2]`, where the
//! value is the user's pk and password hash (and more) followed by the timestamp in decimal.
//! They differ in the unit of the timestamp, the digest and what goes into the value:
//!
//! | preset | timestamp | digest | value |
//! |---|---|---|---|
//! | [`TokenapiTokenGenerator`] | days since 2001-01-01 | sha1 | `pk password days` |
//! | [`PasswordResetTokenGenerator`] | seconds since 2001-01-01 | sha256 (configurable) | `pk password last_login seconds email` |
//!
//! A check splits the token at its single `-`, parses the timestamp, regenerates the hash
//! with every secret key (current first, then `SECRET_KEY_FALLBACKS`), compares in constant
//! time, and only then looks at the age: older than the timeout is expired, the timeout itself
//! and any future timestamp are valid. [`Verdict`] says which of these happened; the
//! `check_token` helpers give Django's boolean.

pub mod reset;
pub mod tokenapi;

pub use reset::{PasswordResetTokenGenerator, ResetTokenConfig};
pub use tokenapi::TokenapiTokenGenerator;

use crate::base36::{self, write_base36};
use crate::crypto::{Algorithm, SaltedHmacKey, SecretKeys};

/// The outcome of a token check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Signed with a known key and not older than the timeout.
    Valid,
    /// Signed with a known key, but older than the timeout.
    Expired,
    /// Shaped like a token, but no key signed it for this user (wrong user, changed password,
    /// wrong or rotated-out key, tampered text).
    Invalid,
    /// Not shaped like a token this generator writes: no single `-`, a timestamp that is not
    /// canonical base 36, a hash part of the wrong length or alphabet.
    Malformed,
}

impl Verdict {
    /// What Django's `check_token` returns for the same token.
    pub fn is_valid(self) -> bool {
        self == Verdict::Valid
    }

    /// The lower-case word the CLI prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::Invalid => "invalid",
            Verdict::Malformed => "malformed",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token split into its parts, before any signature work.
pub(crate) struct Parsed<'a> {
    pub ts: u128,
    pub ts_text: &'a str,
    pub hash: &'a [u8],
}

/// `ts_b36, hash = token.split("-")` and `base36_to_int(ts_b36)`, refusing every spelling
/// Django's whole-token comparison would refuse later.
#[inline]
pub(crate) fn parse(token: &str) -> Option<Parsed<'_>> {
    let bytes = token.as_bytes();
    let dash = bytes.iter().position(|&b| b == b'-')?;
    let (ts_text, hash) = (&token[..dash], &bytes[dash + 1..]);
    let ts = base36::base36_to_int(ts_text).ok()?;
    // A second '-' fails this test, as a split into more than two parts fails in Django.
    if hash.is_empty() || !hash.iter().all(|&b| IS_LOWER_HEX[usize::from(b)]) {
        return None;
    }
    Some(Parsed { ts, ts_text, hash })
}

const IS_LOWER_HEX: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = matches!(i as u8, b'0'..=b'9' | b'a'..=b'f');
        i += 1;
    }
    table
};

/// The signing half shared by both presets: HMAC keys for one key salt and digest.
#[derive(Clone, Debug)]
pub(crate) struct Signer {
    /// The current key first, then the fallbacks.
    keys: Vec<SaltedHmacKey>,
}

impl Signer {
    pub fn new(secrets: &SecretKeys, algorithm: Algorithm, key_salt: &[u8]) -> Self {
        Signer {
            keys: secrets
                .all()
                .map(|secret| SaltedHmacKey::new(algorithm, key_salt, secret.expose()))
                .collect(),
        }
    }

    /// Length of the `[::2]` hash part.
    pub fn hash_len(&self) -> usize {
        self.keys[0].algorithm().output_len()
    }

    /// `ts_b36 + "-" + hash` with the current key.
    pub fn make(&self, ts: u128, value: impl FnOnce(&mut Value)) -> String {
        let mut buf = Value::new();
        value(&mut buf);
        let mut mac = self.keys[0].mac();
        mac.update(buf.as_bytes());
        let out = mac.finalize();
        let mut b36 = [0u8; 25];
        let mut hex = [0u8; 64];
        let ts_text = write_base36(ts, &mut b36);
        let hash = out.every_other_hex(&mut hex);
        let mut token = String::with_capacity(ts_text.len() + 1 + hash.len());
        token.push_str(std::str::from_utf8(ts_text).expect("base36 digits are ASCII"));
        token.push('-');
        token.push_str(std::str::from_utf8(hash).expect("hex digits are ASCII"));
        token
    }

    /// Whether any key (current, then fallbacks) signs `value` as `hash`.
    #[inline]
    pub fn verifies(&self, hash: &[u8], value: &Value) -> bool {
        if hash.len() != self.hash_len() {
            return false;
        }
        self.keys.iter().any(|key| {
            let mut mac = key.mac();
            mac.update(value.as_bytes());
            mac.finalize().every_other_hex_eq(hash)
        })
    }
}

/// The HMAC message, assembled once per check (whatever the number of keys) on the stack;
/// only an unusually long one (a long text pk or email) spills to the heap.
pub(crate) struct Value {
    stack: [u8; 256],
    len: usize,
    heap: Vec<u8>,
}

impl Value {
    #[inline]
    pub fn new() -> Self {
        Value {
            stack: [0; 256],
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    pub fn push(&mut self, bytes: &[u8]) {
        if self.heap.is_empty() && self.len + bytes.len() <= self.stack.len() {
            self.stack[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.stack[..self.len]);
            }
            self.heap.extend_from_slice(bytes);
        }
    }

    /// Python's `str(int)` of a timestamp.
    #[inline]
    pub fn push_decimal(&mut self, ts: u128) {
        match u64::try_from(ts) {
            Ok(small) => self.push(itoa::Buffer::new().format(small).as_bytes()),
            Err(_) => self.push(itoa::Buffer::new().format(ts).as_bytes()),
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }
}

/// `(now - ts) > timeout` decides expiry; the subtraction cannot overflow in `i128`.
#[inline]
pub(crate) fn age_verdict(now: i64, ts: u128, timeout: i64) -> Verdict {
    let ts = i128::try_from(ts).expect("13 base36 digits fit in i128");
    if i128::from(now) - ts > i128::from(timeout) {
        Verdict::Expired
    } else {
        Verdict::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_needs_exactly_one_dash() {
        assert!(parse("6y0-abc").is_some());
        for bad in [
            "", "6y0", "6y0-a-b", "-abc", "6y0-", "6y0-ABC", "6Y0-abc", " 6y0-abc", "6y0-abc ",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn long_values_spill_to_the_heap_intact() {
        let mut value = Value::new();
        let long = "x".repeat(300);
        value.push(b"12");
        value.push(long.as_bytes());
        value.push_decimal(u128::from(u64::MAX) + 1);
        let expected = format!("12{long}{}", u128::from(u64::MAX) + 1);
        assert_eq!(value.as_bytes(), expected.as_bytes());
    }

    #[test]
    fn future_and_boundary_ages_are_valid() {
        assert_eq!(age_verdict(100, 93, 7), Verdict::Valid);
        assert_eq!(age_verdict(100, 92, 7), Verdict::Expired);
        assert_eq!(age_verdict(100, 200, 7), Verdict::Valid);
        assert_eq!(
            age_verdict(0, base36::base36_to_int("zzzzzzzzzzzzz").unwrap_or(0), 7),
            Verdict::Valid
        );
    }
}
