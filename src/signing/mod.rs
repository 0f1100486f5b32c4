//! `django.core.signing`: `Signer`, `TimestampSigner`, `dumps` and `loads`, as each supported
//! Django version signs and checks them.
//!
//! A signature is `b64u(salted_hmac(salt + "signer", value, key, algorithm))` (URL-safe base64
//! without padding) after a separator; `TimestampSigner` puts a base62 timestamp between the
//! value and the signature; `dumps` signs base64 of compact ASCII JSON ([`json`]), zlib
//! compressed behind a leading `.` when that saves at least two bytes. What differs by version
//! ([`Signer::new`]):
//!
//! | Django | keys tried | algorithms accepted |
//! |---|---|---|
//! | 3.2 | `SECRET_KEY` | sha256, and sha1 (its `legacy_algorithm`); only sha1 with `DEFAULT_HASHING_ALGORITHM = "sha1"` |
//! | 4.0 | `SECRET_KEY` | the signer's (sha256 unless given) |
//! | 4.1+ | `SECRET_KEY`, then `SECRET_KEY_FALLBACKS` | the signer's |
//!
//! Core: no I/O, and no clock either: every call that needs the time takes it.

pub mod cookies;
pub mod json;

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::crypto::{Algorithm, SaltedHmacKey, SecretKey, SecretKeys, constant_time_compare};
use crate::version::DjangoVersion;

/// `signing.dumps`' default salt.
pub const DEFAULT_DUMPS_SALT: &str = "django.core.signing";
/// `Signer`'s default salt: its class path.
pub const SIGNER_SALT: &str = "django.core.signing.Signer";
/// `TimestampSigner`'s default salt.
pub const TIMESTAMP_SIGNER_SALT: &str = "django.core.signing.TimestampSigner";

/// Why a signed value was refused. Django raises `BadSignature` (and its subclass
/// `SignatureExpired`) for the first three; the others are the `ValueError`, `binascii.Error`
/// and `JSONDecodeError` Django lets escape from a value whose signature was good.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SigningError {
    /// `BadSignature('No ":" found in value')`.
    #[error("No {0:?} found in value")]
    NoSeparator(String),
    /// `BadSignature('Signature "…" does not match')` (the signature is not repeated here).
    #[error("Signature does not match")]
    BadSignature,
    /// `SignatureExpired("Signature age … > … seconds")`.
    #[error("Signature age {age} > {max_age} seconds")]
    Expired {
        /// Seconds since the timestamp.
        age: f64,
        /// The limit given.
        max_age: f64,
    },
    /// A correctly signed value that is not what the caller expects (no timestamp, a timestamp
    /// that is not base62, a payload that is not JSON), with the message of the `ValueError`
    /// Python raises there.
    #[error("{0}")]
    Malformed(String),
    /// An empty timestamp: `b62_decode("")`'s `IndexError`.
    #[error("string index out of range")]
    EmptyTimestamp,
    /// A payload that is not base64 (`binascii.Error` in Django).
    #[error("{0}")]
    Base64(crate::wire::base64::Base64Error),
    /// A compressed payload that does not inflate (`zlib.error` in Django), or inflates past
    /// [`MAX_DECOMPRESSED`].
    #[error("{0}")]
    Zlib(String),
    /// `ValueError("Unsafe Signer separator: …")`.
    #[error("Unsafe Signer separator: {0:?} (cannot be empty or consist of only A-z0-9-_=)")]
    UnsafeSeparator(String),
}

impl SigningError {
    /// Whether Django raises `BadSignature` (or `SignatureExpired`) for it.
    pub fn is_bad_signature(&self) -> bool {
        matches!(
            self,
            SigningError::NoSeparator(_)
                | SigningError::BadSignature
                | SigningError::Expired { .. }
        )
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `b62_encode`: most significant digit first, `-` before a negative number.
pub fn b62_encode(value: i64) -> String {
    if value == 0 {
        return "0".into();
    }
    let mut n = value.unsigned_abs();
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    if value < 0 {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// `b62_decode`: a leading `-` negates (`"-"` alone is 0, as in Django); an empty string or a
/// character outside the alphabet is an error (Django's `IndexError` / `ValueError`).
pub fn b62_decode(text: &str) -> Result<i64, SigningError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None if text.is_empty() => return Err(SigningError::EmptyTimestamp),
        None => (false, text),
    };
    let mut value: i64 = 0;
    for c in digits.bytes() {
        let digit = BASE62
            .iter()
            .position(|&d| d == c)
            .ok_or_else(|| SigningError::Malformed("substring not found".into()))?;
        value = value
            .checked_mul(62)
            .and_then(|v| v.checked_add(digit as i64))
            .ok_or_else(|| SigningError::Malformed("a timestamp out of range".into()))?;
    }
    Ok(if negative { -value } else { value })
}

/// `b64_decode`: `urlsafe_b64decode(s + b"=" * (-len(s) % 4))`.
fn b64_decode(text: &[u8]) -> Result<Vec<u8>, SigningError> {
    crate::wire::base64::urlsafe_padded(text, (4 - text.len() % 4) % 4)
        .map_err(SigningError::Base64)
}

/// One signing key with its derived HMAC keys (the hash of `salt + "signer" + key` is
/// computed once per signer, not per signature).
struct KeyedSigner {
    key: SaltedHmacKey,
}

/// `django.core.signing.Signer`.
pub struct Signer {
    sep: String,
    salt: String,
    algorithm: Algorithm,
    /// The key to sign with, and every (key, algorithm) a signature may be checked with, in
    /// Django's order.
    signing: KeyedSigner,
    checking: Vec<KeyedSigner>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("sep", &self.sep)
            .field("salt", &self.salt)
            .field("algorithm", &self.algorithm)
            .field("checks", &self.checking.len())
            .finish_non_exhaustive()
    }
}

/// How a [`Signer`] is made: the arguments of Django's constructor that djtoken supports.
#[derive(Clone, Debug)]
pub struct SignerOptions {
    /// `salt` (default: the class path).
    pub salt: Option<String>,
    /// `sep` (default `:`).
    pub sep: String,
    /// `algorithm` (default sha256; on 3.2 `DEFAULT_HASHING_ALGORITHM`).
    pub algorithm: Option<Algorithm>,
    /// Django 3.2's `DEFAULT_HASHING_ALGORITHM = "sha1"`: sign with sha1 and accept only sha1.
    pub sha1_mode: bool,
}

impl Default for SignerOptions {
    fn default() -> Self {
        SignerOptions {
            salt: None,
            sep: ":".into(),
            algorithm: None,
            sha1_mode: false,
        }
    }
}

impl Signer {
    /// A signer as `Signer(salt=…, sep=…, algorithm=…)` makes it in `version`, over `keys`
    /// (`key=None`: `SECRET_KEY`, and `SECRET_KEY_FALLBACKS` where the version reads them).
    pub fn new(
        keys: &SecretKeys,
        version: DjangoVersion,
        options: SignerOptions,
    ) -> Result<Self, SigningError> {
        Self::with_default_salt(keys, version, options, SIGNER_SALT)
    }

    fn with_default_salt(
        keys: &SecretKeys,
        version: DjangoVersion,
        options: SignerOptions,
        default_salt: &str,
    ) -> Result<Self, SigningError> {
        let sep = options.sep;
        // Django's check is `re.match("^[A-z0-9-_=]*$", sep)`: `A-z` spans `[\]^_` and the
        // backtick too.
        let unsafe_char = |c: char| {
            c.is_ascii_digit() || ('A'..='z').contains(&c) || c == '-' || c == '_' || c == '='
        };
        if sep.chars().all(unsafe_char) {
            return Err(SigningError::UnsafeSeparator(sep));
        }
        let salt = options.salt.unwrap_or_else(|| default_salt.to_owned());
        let sha1_mode = options.sha1_mode && version == DjangoVersion::V3_2;
        let algorithm = match (options.algorithm, sha1_mode) {
            (Some(algorithm), _) => algorithm,
            (None, true) => Algorithm::Sha1,
            (None, false) => Algorithm::Sha256,
        };
        let key_salt = format!("{salt}signer");
        let derive = |key: &SecretKey, algorithm| KeyedSigner {
            key: SaltedHmacKey::new(algorithm, key_salt.as_bytes(), key.expose()),
        };
        let mut checking = vec![derive(&keys.current, algorithm)];
        if version == DjangoVersion::V3_2 {
            // 3.2 also accepts its legacy algorithm, sha1 (with sha1 as the algorithm too,
            // that is the same check twice, as in Django).
            if algorithm != Algorithm::Sha1 {
                checking.push(derive(&keys.current, Algorithm::Sha1));
            }
        } else if version >= DjangoVersion::V4_1 {
            checking.extend(keys.fallbacks.iter().map(|k| derive(k, algorithm)));
        }
        Ok(Signer {
            signing: derive(&keys.current, algorithm),
            checking,
            sep,
            salt,
            algorithm,
        })
    }

    /// The salt in use.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The algorithm signatures are made with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn signature_with(key: &KeyedSigner, value: &str) -> String {
        let mut mac = key.key.mac();
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().as_bytes())
    }

    /// `signature(value)` with the current key.
    pub fn signature(&self, value: &str) -> String {
        Self::signature_with(&self.signing, value)
    }

    /// `sep`.
    pub fn sep(&self) -> &str {
        &self.sep
    }

    /// `sign(value)`: `value`, the separator, the signature.
    pub fn sign(&self, value: &str) -> String {
        format!("{value}{}{}", self.sep, self.signature(value))
    }

    /// `unsign(signed)`: the value, if the signature after the last separator is one of the
    /// accepted keys' (compared in constant time).
    pub fn unsign<'a>(&self, signed: &'a str) -> Result<&'a str, SigningError> {
        let (value, signature) =
            rsplit(signed, &self.sep).ok_or_else(|| SigningError::NoSeparator(self.sep.clone()))?;
        let mut found = false;
        for key in &self.checking {
            let expected = Self::signature_with(key, value);
            found |= constant_time_compare(signature.as_bytes(), expected.as_bytes());
        }
        if found {
            Ok(value)
        } else {
            Err(SigningError::BadSignature)
        }
    }

    /// `sign_object(obj, compress=…)`.
    pub fn sign_object(&self, value: &Value, compress: bool) -> String {
        self.sign(&encode_object(value, compress))
    }

    /// `unsign_object(signed)`.
    pub fn unsign_object(&self, signed: &str) -> Result<Value, SigningError> {
        decode_object(self.unsign(signed)?)
    }
}

/// `text.rsplit(sep, 1)` in two parts; a one-byte separator (Django's `:`) found by byte.
fn rsplit<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    match sep.as_bytes() {
        [byte] if byte.is_ascii() => text.rsplit_once(char::from(*byte)),
        _ => text.rsplit_once(sep),
    }
}

/// The signed part of `sign_object`: base64 of the JSON, or `.` and base64 of its zlib stream
/// when that is at least two bytes shorter.
fn encode_object(value: &Value, compress: bool) -> String {
    encode_payload(&json::dumps(value), compress)
}

/// The signed part of `sign_object` for serialised bytes (any serializer's).
pub fn encode_payload(data: &[u8], compress: bool) -> String {
    if compress {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder
            .write_all(data)
            .expect("compressing into memory cannot fail");
        let compressed = encoder
            .finish()
            .expect("compressing into memory cannot fail");
        if compressed.len() + 1 < data.len() {
            return format!(".{}", URL_SAFE_NO_PAD.encode(compressed));
        }
    }
    URL_SAFE_NO_PAD.encode(data)
}

/// Largest decompressed payload accepted: a signed value is only as trustworthy as its key,
/// and a small zlib stream can expand a thousandfold.
pub const MAX_DECOMPRESSED: u64 = 16 * 1024 * 1024;

fn decode_object(payload: &str) -> Result<Value, SigningError> {
    let data = decode_payload(payload)?;
    json::loads(&data).map_err(|e| SigningError::Malformed(format!("JSON: {e}")))
}

/// The serialised bytes behind the signed part of `sign_object`: base64, and zlib after a
/// leading `.`.
pub fn decode_payload(payload: &str) -> Result<Vec<u8>, SigningError> {
    let (compressed, payload) = match payload.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, payload),
    };
    let data = b64_decode(payload.as_bytes())?;
    if compressed {
        return inflate(&data);
    }
    Ok(data)
}

thread_local! {
    /// A zlib decoder per thread, reset for each payload: its state and 32 KiB window are
    /// allocated once, not per signature.
    static INFLATE: std::cell::RefCell<flate2::Decompress> =
        std::cell::RefCell::new(flate2::Decompress::new(true));
}

/// Python's `zlib.decompress`: one zlib stream (bytes after its end are ignored, as there),
/// within [`MAX_DECOMPRESSED`].
fn inflate(data: &[u8]) -> Result<Vec<u8>, SigningError> {
    // zlib's own words, as Python's `zlib.error` gives them.
    let malformed = |code: i32, what: &str| {
        SigningError::Zlib(format!("Error {code} while decompressing data: {what}"))
    };
    INFLATE.with(|cell| {
        let mut inflater = cell.borrow_mut();
        inflater.reset(true);
        let mut out = Vec::with_capacity((data.len() * 4).clamp(64, 1 << 16));
        loop {
            let consumed = inflater.total_in() as usize;
            if out.len() == out.capacity() {
                if out.len() as u64 > MAX_DECOMPRESSED {
                    return Err(SigningError::Zlib(
                        "the decompressed payload is over 16 MiB".into(),
                    ));
                }
                out.reserve(out.len().max(64));
            }
            let status = inflater
                .decompress_vec(&data[consumed..], &mut out, flate2::FlushDecompress::Finish)
                .map_err(|e| {
                    let what = e.to_string();
                    let what = what
                        .strip_prefix("deflate decompression error: ")
                        .unwrap_or(&what);
                    malformed(-3, what)
                })?;
            match status {
                flate2::Status::StreamEnd => {
                    if out.len() as u64 > MAX_DECOMPRESSED {
                        return Err(SigningError::Zlib(
                            "the decompressed payload is over 16 MiB".into(),
                        ));
                    }
                    return Ok(out);
                }
                flate2::Status::Ok | flate2::Status::BufError => {
                    let stalled =
                        inflater.total_in() as usize == consumed && out.len() < out.capacity();
                    if stalled {
                        return Err(malformed(-5, "incomplete or truncated stream"));
                    }
                }
            }
        }
    })
}

/// `django.core.signing.TimestampSigner`.
#[derive(Debug)]
pub struct TimestampSigner {
    signer: Signer,
}

impl TimestampSigner {
    /// As [`Signer::new`], with `TimestampSigner`'s default salt.
    pub fn new(
        keys: &SecretKeys,
        version: DjangoVersion,
        options: SignerOptions,
    ) -> Result<Self, SigningError> {
        Ok(TimestampSigner {
            signer: Signer::with_default_salt(keys, version, options, TIMESTAMP_SIGNER_SALT)?,
        })
    }

    /// The signer underneath.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// `sign(value)` at `now` (seconds since the epoch; Django's `int(time.time())`).
    pub fn sign(&self, value: &str, now: i64) -> String {
        self.signer
            .sign(&format!("{value}{}{}", self.signer.sep, b62_encode(now)))
    }

    /// `unsign(value, max_age)` at `now`: the value and its timestamp. A timestamp in the
    /// future is accepted, and an age equal to `max_age` too, as in Django.
    pub fn unsign<'a>(
        &self,
        signed: &'a str,
        max_age: Option<f64>,
        now: f64,
    ) -> Result<(&'a str, i64), SigningError> {
        let result = self.signer.unsign(signed)?;
        let (value, timestamp) = rsplit(result, &self.signer.sep).ok_or_else(|| {
            SigningError::Malformed("not enough values to unpack (expected 2, got 1)".into())
        })?;
        let timestamp = b62_decode(timestamp)?;
        if let Some(max_age) = max_age {
            let age = now - timestamp as f64;
            if age > max_age {
                return Err(SigningError::Expired { age, max_age });
            }
        }
        Ok((value, timestamp))
    }

    /// `sign_object(obj, compress=…)` at `now`.
    pub fn sign_object(&self, value: &Value, compress: bool, now: i64) -> String {
        self.sign(&encode_object(value, compress), now)
    }

    /// `unsign_object(signed, max_age=…)` at `now`.
    pub fn unsign_object(
        &self,
        signed: &str,
        max_age: Option<f64>,
        now: f64,
    ) -> Result<Value, SigningError> {
        decode_object(self.unsign(signed, max_age, now)?.0)
    }
}

/// `signing.dumps(obj, salt=…, compress=…)` at `now`, with `SECRET_KEY`.
pub fn dumps(
    value: &Value,
    keys: &SecretKeys,
    version: DjangoVersion,
    salt: &str,
    compress: bool,
    now: i64,
) -> String {
    let options = SignerOptions {
        salt: Some(salt.to_owned()),
        ..SignerOptions::default()
    };
    TimestampSigner::new(keys, version, options)
        .expect("the default separator is safe")
        .sign_object(value, compress, now)
}

/// `signing.loads(signed, salt=…, max_age=…)` at `now`, with `SECRET_KEY` and (4.1+) the
/// fallback keys.
pub fn loads(
    signed: &str,
    keys: &SecretKeys,
    version: DjangoVersion,
    salt: &str,
    max_age: Option<f64>,
    now: f64,
) -> Result<Value, SigningError> {
    let options = SignerOptions {
        salt: Some(salt.to_owned()),
        ..SignerOptions::default()
    };
    TimestampSigner::new(keys, version, options)?.unsign_object(signed, max_age, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64_decode_reads_as_cpythons_urlsafe_b64decode() {
        // A complete padding ends the input there: Django reads `QQ==QUJD` as `b"A"`.
        assert_eq!(b64_decode(b"QQ==QUJD").expect("base64"), b"A");
        assert_eq!(b64_decode(b"QQ").expect("padded"), b"A");
        assert!(b64_decode(b"Q").is_err());
    }

    #[test]
    fn inflate_reads_as_python_zlib_decompress() {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
        encoder.write_all(&[b'a'; 5000]).expect("in memory");
        let mut stream = encoder.finish().expect("in memory");
        assert_eq!(inflate(&stream).expect("a stream"), vec![b'a'; 5000]);
        stream.extend_from_slice(b"trailing");
        assert_eq!(
            inflate(&stream).expect("trailing bytes ignored").len(),
            5000
        );
        assert!(inflate(&stream[..stream.len() - 12]).is_err());
        assert!(inflate(b"not zlib").is_err());
        assert!(inflate(b"").is_err());
    }

    #[test]
    fn base62_as_django() {
        assert_eq!(b62_encode(1_700_000_000), "1r31eq");
        assert_eq!(b62_encode(0), "0");
        assert_eq!(b62_encode(-61), "-z");
        assert_eq!(b62_decode("1r31eq"), Ok(1_700_000_000));
        assert_eq!(b62_decode("-"), Ok(0));
        assert!(b62_decode("").is_err());
        assert!(b62_decode("!!").is_err());
        assert!(b62_decode("zzzzzzzzzzzzzzzzzzzzzz").is_err());
        for n in [1, 61, 62, 3843, 1 << 40, i64::MAX, -(1 << 33)] {
            assert_eq!(b62_decode(&b62_encode(n)), Ok(n));
        }
    }

    #[test]
    fn unsafe_separators_are_refused_as_django_refuses_them() {
        let keys = SecretKeys::new("k");
        for sep in ["", "a", "_", "^", "`", "=", "-"] {
            let options = SignerOptions {
                sep: sep.into(),
                ..SignerOptions::default()
            };
            assert!(
                matches!(
                    Signer::new(&keys, DjangoVersion::LATEST, options),
                    Err(SigningError::UnsafeSeparator(_))
                ),
                "{sep:?}"
            );
        }
        for sep in [":", "/", "::", "~"] {
            let options = SignerOptions {
                sep: sep.into(),
                ..SignerOptions::default()
            };
            assert!(Signer::new(&keys, DjangoVersion::LATEST, options).is_ok());
        }
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let keys = SecretKeys::new("k");
        let signer = TimestampSigner::new(&keys, DjangoVersion::LATEST, SignerOptions::default())
            .expect("a signer");
        for payload in [
            "",
            ".",
            ".!!",
            "!!",
            "e30",
            ".eJwDAAAAAAE",
            "AAAA",
            "\u{e9}",
        ] {
            let signed = signer.sign(payload, 1_700_000_000);
            let _ = signer.unsign_object(&signed, None, 1.7e9);
        }
        for raw in ["", ":", "::", "a:b:c", "\u{e9}:\u{e9}"] {
            assert!(signer.unsign_object(raw, None, 1.7e9).is_err());
        }
    }
}
