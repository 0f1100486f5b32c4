//! `BCryptSHA256PasswordHasher` (`bcrypt_sha256`) and `BCryptPasswordHasher` (`bcrypt`):
//! `bcrypt_sha256$$2b$12$<22-char salt><31-char checksum>`.
//!
//! `bcrypt_sha256` feeds bcrypt the 64-character lower-case hex SHA-256 of the password, so
//! any length works; plain `bcrypt` refuses passwords over 72 bytes, as Django does with
//! bcrypt ≥ 5. The salt is read the way pyca/bcrypt's `hashpw` reads it, which is what Django
//! calls.

use base64::Engine as _;
use base64::alphabet::BCRYPT;
use base64::engine::{GeneralPurpose, general_purpose::NO_PAD};
use sha2::Digest as _;

use super::{
    Decoded, HashError, HasherSettings, PasswordHasher, WorkFactors, mask_hash, parse_factor,
};
use crate::crypto::{constant_time_compare, fill_random};

const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(&BCRYPT, NO_PAD);
/// bcrypt reads at most this many bytes of password.
const MAX_PASSWORD: usize = 72;

#[derive(Debug)]
pub(crate) struct BCryptPasswordHasher {
    algorithm: &'static str,
    sha256_first: bool,
    rounds: u32,
    max_rounds: u32,
}

fn invalid_salt(algorithm: &'static str) -> HashError {
    HashError::InvalidSalt {
        algorithm,
        reason: "expected a bcrypt salt such as $2b$12$ and 22 characters",
    }
}

impl BCryptPasswordHasher {
    pub fn sha256(settings: &HasherSettings) -> Self {
        BCryptPasswordHasher {
            algorithm: "bcrypt_sha256",
            sha256_first: true,
            rounds: settings.bcrypt_rounds,
            max_rounds: settings.limits.max_bcrypt_rounds,
        }
    }

    pub fn plain(settings: &HasherSettings) -> Self {
        BCryptPasswordHasher {
            algorithm: "bcrypt",
            sha256_first: false,
            ..Self::sha256(settings)
        }
    }

    /// pyca/bcrypt's `hashpw(password, salt)`: `salt` is `$2b$12$` and at least 22 salt
    /// characters (a whole hash works too); the result keeps the given version.
    fn hashpw(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        if password.len() > MAX_PASSWORD {
            return Err(HashError::PasswordTooLong);
        }
        let fields: Vec<&str> = salt.split('$').filter(|f| !f.is_empty()).collect();
        let [version, cost, rest] = fields[..] else {
            return Err(invalid_salt(self.algorithm));
        };
        let version = match version {
            "2a" => bcrypt::Version::TwoA,
            "2b" => bcrypt::Version::TwoB,
            "2x" => bcrypt::Version::TwoX,
            "2y" => bcrypt::Version::TwoY,
            _ => return Err(invalid_salt(self.algorithm)),
        };
        let cost: u32 = cost.parse().map_err(|_| invalid_salt(self.algorithm))?;
        if cost > self.max_rounds {
            return Err(HashError::WorkFactorTooHigh {
                algorithm: self.algorithm,
                what: "rounds",
                value: u64::from(cost),
                limit: u64::from(self.max_rounds),
            });
        }
        let raw: [u8; 16] = rest
            .get(..22)
            .and_then(|s| BCRYPT_B64.decode(s).ok())
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| invalid_salt(self.algorithm))?;
        let parts = bcrypt::hash_with_salt(password, cost, raw).map_err(|_| {
            HashError::InvalidParameter {
                algorithm: self.algorithm,
                reason: "bcrypt rounds must be between 4 and 31",
            }
        })?;
        Ok(parts.format_for_version(version))
    }

    fn prepare<'a>(&self, password: &'a [u8], buf: &'a mut [u8; 64]) -> &'a [u8] {
        if !self.sha256_first {
            return password;
        }
        use crate::wire::hex::DIGITS as HEX;
        for (pair, byte) in buf.chunks_exact_mut(2).zip(sha2::Sha256::digest(password)) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        &buf[..]
    }

    fn encode_with_salt(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        let mut buf = [0u8; 64];
        let data = self.hashpw(self.prepare(password, &mut buf), salt)?;
        Ok(format!("{}${data}", self.algorithm))
    }

    /// `algorithm, empty, algostr, work_factor, data = encoded.split("$", 4)`.
    fn split<'a>(&self, encoded: &'a str) -> Result<(&'a str, i128, &'a str), HashError> {
        let mut parts = encoded.splitn(5, '$');
        let (Some(algorithm), Some(""), Some(algostr), Some(work_factor), Some(data)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(HashError::malformed(
                self.algorithm,
                "expected algorithm$$2b$rounds$salt-and-checksum",
            ));
        };
        if algorithm != self.algorithm {
            return Err(HashError::malformed(
                self.algorithm,
                "wrong algorithm prefix",
            ));
        }
        Ok((
            algostr,
            parse_factor(work_factor, self.algorithm, "rounds")?,
            data,
        ))
    }
}

impl PasswordHasher for BCryptPasswordHasher {
    fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    /// `bcrypt.gensalt(rounds)`.
    fn salt(&self) -> String {
        let mut raw = [0u8; 16];
        fill_random(&mut raw);
        format!("$2b${:02}${}", self.rounds, BCRYPT_B64.encode(raw))
    }

    fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        self.encode_with_salt(password, salt)
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        let (_, work_factor, data) = self.split(encoded)?;
        let work_factor = u32::try_from(work_factor)
            .map_err(|_| HashError::malformed(self.algorithm, "rounds out of range"))?;
        let cut = data.char_indices().nth(22).map_or(data.len(), |(i, _)| i);
        Ok(Decoded {
            algorithm: self.algorithm,
            salt: data[..cut].to_owned(),
            hash: data[cut..].to_owned(),
            work: WorkFactors::Bcrypt { work_factor },
        })
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let data = encoded
            .split_once('$')
            .map(|(_, data)| data)
            .ok_or_else(|| HashError::malformed(self.algorithm, "expected algorithm$data"))?;
        if !data.is_ascii() {
            return Err(HashError::malformed(self.algorithm, "non-ASCII characters"));
        }
        let encoded_2 = self.encode_with_salt(password, data)?;
        Ok(constant_time_compare(
            encoded.as_bytes(),
            encoded_2.as_bytes(),
        ))
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        let (_, work_factor, _) = self.split(encoded)?;
        Ok(work_factor != i128::from(self.rounds))
    }

    /// `2 ** (rounds - stored) - 1` extra runs at the stored cost, with the stored salt.
    fn harden_runtime(&self, password: &[u8], encoded: &str) -> Result<(), HashError> {
        let data = encoded.split_once('$').map_or("", |(_, data)| data);
        let salt = data.get(..29).unwrap_or(data);
        let stored = data
            .split('$')
            .nth(2)
            .ok_or_else(|| HashError::malformed(self.algorithm, "no rounds"))
            .and_then(|r| parse_factor(r, self.algorithm, "rounds"))?;
        let gap = i128::from(self.rounds) - stored;
        if gap <= 0 {
            return Ok(());
        }
        let gap = u32::try_from(gap.min(31)).expect("at most 31");
        for _ in 0..(1u64 << gap) - 1 {
            self.encode_with_salt(password, salt)?;
        }
        Ok(())
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        let d = self.decode(encoded)?;
        let WorkFactors::Bcrypt { work_factor } = d.work else {
            unreachable!("bcrypt decodes rounds")
        };
        Ok(vec![
            ("algorithm", d.algorithm.to_owned()),
            ("work factor", work_factor.to_string()),
            ("salt", mask_hash(&d.salt, 6)),
            ("checksum", mask_hash(&d.hash, 6)),
        ])
    }
}
