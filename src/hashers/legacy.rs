//! Hashers Django has dropped, verify-only here (feature `legacy-hashers`): a database that
//! still holds such hashes can log its users in, and the next login rehashes them with the
//! preferred hasher, as Django does. djtoken never writes them.
//!
//! `SHA1PasswordHasher` (`sha1$salt$hex`, Django ≤ 5.0), `UnsaltedSHA1PasswordHasher`
//! (`sha1$$hex`, ≤ 5.0), `UnsaltedMD5PasswordHasher` (bare 32-hex or `md5$$hex`, ≤ 5.0) and
//! `CryptPasswordHasher` (`crypt$$<crypt(3) output>`, ≤ 4.2).

use sha1::Digest as _;

use super::md5::{SaltedDigest, md5_hex};
use super::{Decoded, HashError, PasswordHasher, WorkFactors, mask_hash};
use crate::crypto::constant_time_compare;

fn sha1_hex(data: &[u8]) -> String {
    crate::wire::hex::encode(&sha1::Sha1::digest(data))
}

const SHA1: SaltedDigest = SaltedDigest {
    algorithm: "sha1",
    digest: sha1_hex,
};

/// `SHA1PasswordHasher`.
#[derive(Debug)]
pub(crate) struct Sha1PasswordHasher;

impl PasswordHasher for Sha1PasswordHasher {
    fn algorithm(&self) -> &'static str {
        SHA1.algorithm
    }

    fn encode(&self, _password: &[u8], _salt: &str) -> Result<String, HashError> {
        Err(HashError::VerifyOnly(SHA1.algorithm))
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        SHA1.decode(encoded)
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        SHA1.verify(password, encoded)
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        SHA1.must_update(encoded)
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        SHA1.safe_summary(encoded)
    }
}

fn unsalted(algorithm: &'static str, hash: &str) -> Decoded {
    Decoded {
        algorithm,
        salt: String::new(),
        hash: hash.to_owned(),
        work: WorkFactors::None,
    }
}

/// `UnsaltedSHA1PasswordHasher`.
#[derive(Debug)]
pub(crate) struct UnsaltedSha1PasswordHasher;

impl UnsaltedSha1PasswordHasher {
    const ALGORITHM: &'static str = "unsalted_sha1";

    fn hash<'a>(&self, encoded: &'a str) -> Result<&'a str, HashError> {
        encoded
            .strip_prefix("sha1$$")
            .ok_or_else(|| HashError::malformed(Self::ALGORITHM, "expected sha1$$hex"))
    }
}

impl PasswordHasher for UnsaltedSha1PasswordHasher {
    fn algorithm(&self) -> &'static str {
        Self::ALGORITHM
    }

    fn salt(&self) -> String {
        String::new()
    }

    fn encode(&self, _password: &[u8], _salt: &str) -> Result<String, HashError> {
        Err(HashError::VerifyOnly(Self::ALGORITHM))
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        Ok(unsalted(Self::ALGORITHM, self.hash(encoded)?))
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let expected = format!("sha1$${}", sha1_hex(password));
        Ok(constant_time_compare(
            encoded.as_bytes(),
            expected.as_bytes(),
        ))
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        self.hash(encoded).map(|_| false)
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        Ok(vec![
            ("algorithm", Self::ALGORITHM.to_owned()),
            ("hash", mask_hash(self.hash(encoded)?, 6)),
        ])
    }
}

/// `UnsaltedMD5PasswordHasher`.
#[derive(Debug)]
pub(crate) struct UnsaltedMd5PasswordHasher;

impl UnsaltedMd5PasswordHasher {
    const ALGORITHM: &'static str = "unsalted_md5";

    /// Django strips `md5$$` only from 37-character strings.
    fn hash(encoded: &str) -> &str {
        match encoded.strip_prefix("md5$$") {
            Some(hash) if encoded.chars().count() == 37 => hash,
            _ => encoded,
        }
    }
}

impl PasswordHasher for UnsaltedMd5PasswordHasher {
    fn algorithm(&self) -> &'static str {
        Self::ALGORITHM
    }

    fn salt(&self) -> String {
        String::new()
    }

    fn encode(&self, _password: &[u8], _salt: &str) -> Result<String, HashError> {
        Err(HashError::VerifyOnly(Self::ALGORITHM))
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        Ok(unsalted(Self::ALGORITHM, encoded))
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        Ok(constant_time_compare(
            Self::hash(encoded).as_bytes(),
            md5_hex(password).as_bytes(),
        ))
    }

    fn must_update(&self, _encoded: &str) -> Result<bool, HashError> {
        Ok(false)
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        Ok(vec![
            ("algorithm", Self::ALGORITHM.to_owned()),
            ("hash", mask_hash(encoded, 3)),
        ])
    }
}

/// `CryptPasswordHasher`: `crypt$$` and the output of crypt(3), DES or any `$id$` scheme.
#[derive(Debug)]
pub(crate) struct CryptPasswordHasher;

impl CryptPasswordHasher {
    const ALGORITHM: &'static str = "crypt";

    /// `algorithm, salt, data = encoded.split("$", 2)`.
    fn split(encoded: &str) -> Result<(&str, &str), HashError> {
        let mut parts = encoded.splitn(3, '$');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("crypt"), Some(salt), Some(data)) => Ok((salt, data)),
            _ => Err(HashError::malformed(
                Self::ALGORITHM,
                "expected crypt$$data",
            )),
        }
    }
}

impl PasswordHasher for CryptPasswordHasher {
    fn algorithm(&self) -> &'static str {
        Self::ALGORITHM
    }

    fn encode(&self, _password: &[u8], _salt: &str) -> Result<String, HashError> {
        Err(HashError::VerifyOnly(Self::ALGORITHM))
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        let (salt, data) = Self::split(encoded)?;
        Ok(Decoded {
            algorithm: Self::ALGORITHM,
            salt: salt.to_owned(),
            hash: data.to_owned(),
            work: WorkFactors::None,
        })
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let (_, data) = Self::split(encoded)?;
        let unreadable =
            || HashError::malformed(Self::ALGORITHM, "crypt(3) cannot read this setting");
        // crypt(3) settings only ever use this alphabet; anything else is corrupt, and pwhash
        // has been seen to overflow on it (a NUL inside an MD5-crypt salt).
        let crypt_alphabet =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'$' | b'=' | b',');
        if data.len() < 2 || !data.bytes().all(crypt_alphabet) {
            return Err(unreadable());
        }
        // A panic inside the crypt(3) emulation must not take a login (or a server) down.
        let computed = std::panic::catch_unwind(|| pwhash::unix::crypt(password, data))
            .map_err(|_| unreadable())?
            .map_err(|_| unreadable())?;
        Ok(constant_time_compare(data.as_bytes(), computed.as_bytes()))
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        Self::split(encoded).map(|_| false)
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        let (salt, data) = Self::split(encoded)?;
        Ok(vec![
            ("algorithm", Self::ALGORITHM.to_owned()),
            ("salt", salt.to_owned()),
            ("hash", mask_hash(data, 3)),
        ])
    }
}
