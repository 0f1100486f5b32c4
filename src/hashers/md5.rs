//! `MD5PasswordHasher` (`md5$salt$hex`), still defined by every Django version (and in no
//! default `PASSWORD_HASHERS`), and the salted-digest shape it shares with the legacy `sha1`.

use super::{
    Decoded, HashError, PasswordHasher, WorkFactors, check_salt, mask_hash, must_update_salt,
};
use crate::crypto::constant_time_compare;

/// `algorithm$salt$hexdigest(salt + password)`.
pub(super) struct SaltedDigest {
    pub algorithm: &'static str,
    pub digest: fn(&[u8]) -> String,
}

impl SaltedDigest {
    pub fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        check_salt(self.algorithm, salt)?;
        let mut data = salt.as_bytes().to_vec();
        data.extend_from_slice(password);
        Ok(format!(
            "{}${salt}${}",
            self.algorithm,
            (self.digest)(&data)
        ))
    }

    /// `algorithm, salt, hash = encoded.split("$", 2)`.
    pub fn split<'a>(&self, encoded: &'a str) -> Result<(&'a str, &'a str), HashError> {
        let mut parts = encoded.splitn(3, '$');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(salt), Some(hash)) if a == self.algorithm => Ok((salt, hash)),
            _ => Err(HashError::malformed(
                self.algorithm,
                "expected algorithm$salt$hash",
            )),
        }
    }

    pub fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        let (salt, hash) = self.split(encoded)?;
        Ok(Decoded {
            algorithm: self.algorithm,
            salt: salt.to_owned(),
            hash: hash.to_owned(),
            work: WorkFactors::None,
        })
    }

    pub fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let (salt, _) = self.split(encoded)?;
        let encoded_2 = self.encode(password, salt)?;
        Ok(constant_time_compare(
            encoded.as_bytes(),
            encoded_2.as_bytes(),
        ))
    }

    pub fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        let (salt, _) = self.split(encoded)?;
        Ok(must_update_salt(salt))
    }

    pub fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        let (salt, hash) = self.split(encoded)?;
        Ok(vec![
            ("algorithm", self.algorithm.to_owned()),
            ("salt", mask_hash(salt, 2)),
            ("hash", mask_hash(hash, 6)),
        ])
    }
}

pub(super) fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    crate::wire::hex::encode(&md5::Md5::digest(data))
}

const MD5: SaltedDigest = SaltedDigest {
    algorithm: "md5",
    digest: md5_hex,
};

/// `MD5PasswordHasher`.
#[derive(Debug)]
pub(crate) struct Md5PasswordHasher;

impl PasswordHasher for Md5PasswordHasher {
    fn algorithm(&self) -> &'static str {
        MD5.algorithm
    }

    fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        MD5.encode(password, salt)
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        MD5.decode(encoded)
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        MD5.verify(password, encoded)
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        MD5.must_update(encoded)
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        MD5.safe_summary(encoded)
    }
}
