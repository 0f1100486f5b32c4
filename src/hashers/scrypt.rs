//! `ScryptPasswordHasher` (`scrypt`, Django 4.0+): `scrypt$N$salt$r$p$<base64 of 64 bytes>`.
//!
//! Django calls `hashlib.scrypt(..., maxmem=0)`, which leaves OpenSSL's 32 MiB ceiling in
//! place; [`WorkLimits::max_scrypt_memory`](super::WorkLimits) defaults to the same, so a hash
//! Django cannot verify is an error here too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::ScryptParams;
use super::{
    Decoded, HashError, HasherSettings, PasswordHasher, WorkFactors, WorkLimits, check_salt,
    mask_hash, parse_factor,
};
use crate::crypto::constant_time_compare;

const ALGORITHM: &str = "scrypt";
const DKLEN: usize = 64;

#[derive(Debug)]
pub(crate) struct ScryptPasswordHasher {
    params: ScryptParams,
    limits: WorkLimits,
}

struct Parts<'a> {
    n: i128,
    salt: &'a str,
    r: i128,
    p: i128,
    hash: &'a str,
}

fn parse(encoded: &str) -> Result<Parts<'_>, HashError> {
    let fields: Vec<&str> = encoded.splitn(7, '$').collect();
    let [algorithm, n, salt, r, p, hash] = fields[..] else {
        return Err(HashError::malformed(
            ALGORITHM,
            "expected scrypt$N$salt$r$p$hash",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(HashError::malformed(ALGORITHM, "wrong algorithm prefix"));
    }
    Ok(Parts {
        n: parse_factor(n, ALGORITHM, "work factor")?,
        salt,
        r: parse_factor(r, ALGORITHM, "block size")?,
        p: parse_factor(p, ALGORITHM, "parallelism")?,
        hash,
    })
}

impl ScryptPasswordHasher {
    pub fn new(settings: &HasherSettings) -> Self {
        ScryptPasswordHasher {
            params: settings.scrypt,
            limits: settings.limits,
        }
    }

    /// `encode(password, salt, n, r, p)`; zeros mean the defaults (`n or self.work_factor`).
    fn encode_with(
        &self,
        password: &[u8],
        salt: &str,
        n: i128,
        r: i128,
        p: i128,
    ) -> Result<String, HashError> {
        check_salt(ALGORITHM, salt)?;
        let or = |v: i128, default: u64| if v == 0 { i128::from(default) } else { v };
        let n = or(n, self.params.work_factor);
        let r = or(r, u64::from(self.params.block_size));
        let p = or(p, u64::from(self.params.parallelism));
        let invalid = |reason| HashError::InvalidParameter {
            algorithm: ALGORITHM,
            reason,
        };
        if n < 2 || n.count_ones() != 1 {
            return Err(invalid("n must be a power of 2 greater than 1"));
        }
        if r < 1 || p < 1 {
            return Err(invalid("r and p must be positive"));
        }
        let too_high = |what, value: i128, limit: u64| HashError::WorkFactorTooHigh {
            algorithm: ALGORITHM,
            what,
            value: u64::try_from(value).unwrap_or(u64::MAX),
            limit,
        };
        let memory = 128i128
            .saturating_mul(r)
            .saturating_mul(n.saturating_add(p).saturating_add(2));
        if memory > i128::from(self.limits.max_scrypt_memory) {
            return Err(too_high(
                "memory (bytes)",
                memory,
                self.limits.max_scrypt_memory,
            ));
        }
        let work = n.saturating_mul(r).saturating_mul(p);
        if work > i128::from(self.limits.max_scrypt_work) {
            return Err(too_high("N·r·p", work, self.limits.max_scrypt_work));
        }
        let log_n = u8::try_from(n.trailing_zeros()).expect("below 128");
        let (r, p) = (
            u32::try_from(r).expect("bounded by the memory limit"),
            u32::try_from(p).expect("bounded by the work limit"),
        );
        let params = scrypt::Params::new(log_n, r, p)
            .map_err(|_| invalid("scrypt rejects these parameters"))?;
        let mut out = [0u8; DKLEN];
        scrypt::scrypt(password, salt.as_bytes(), &params, &mut out)
            .map_err(|_| invalid("invalid output length"))?;
        Ok(format!(
            "{ALGORITHM}${n}${salt}${r}${p}${}",
            STANDARD.encode(out)
        ))
    }
}

impl PasswordHasher for ScryptPasswordHasher {
    fn algorithm(&self) -> &'static str {
        ALGORITHM
    }

    fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        self.encode_with(password, salt, 0, 0, 0)
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        let parts = parse(encoded)?;
        let out_of_range = || HashError::malformed(ALGORITHM, "work factor out of range");
        Ok(Decoded {
            algorithm: ALGORITHM,
            salt: parts.salt.to_owned(),
            hash: parts.hash.to_owned(),
            work: WorkFactors::Scrypt {
                work_factor: u64::try_from(parts.n).map_err(|_| out_of_range())?,
                block_size: u32::try_from(parts.r).map_err(|_| out_of_range())?,
                parallelism: u32::try_from(parts.p).map_err(|_| out_of_range())?,
            },
        })
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let parts = parse(encoded)?;
        let encoded_2 = self.encode_with(password, parts.salt, parts.n, parts.r, parts.p)?;
        Ok(constant_time_compare(
            encoded.as_bytes(),
            encoded_2.as_bytes(),
        ))
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        let parts = parse(encoded)?;
        Ok(parts.n != i128::from(self.params.work_factor)
            || parts.r != i128::from(self.params.block_size)
            || parts.p != i128::from(self.params.parallelism))
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        let parts = parse(encoded)?;
        Ok(vec![
            ("algorithm", ALGORITHM.to_owned()),
            ("work factor", parts.n.to_string()),
            ("block size", parts.r.to_string()),
            ("parallelism", parts.p.to_string()),
            ("salt", mask_hash(parts.salt, 6)),
            ("hash", mask_hash(parts.hash, 6)),
        ])
    }
}
