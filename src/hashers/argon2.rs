//! `Argon2PasswordHasher` (`argon2`): argon2-cffi's encoding behind Django's `argon2` prefix,
//! `argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>` (base64 without padding).
//!
//! Reads argon2id, and the argon2i hashes Django ≤ 3.1 wrote (also those without `v=`, which
//! argon2 1.2 wrote). The string is parsed as strictly as libargon2's decoder does.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::Argon2Params;
use super::{
    Decoded, HashError, HasherSettings, PasswordHasher, WorkFactors, WorkLimits, check_salt,
    mask_hash, must_update_salt,
};
use crate::crypto::constant_time_compare;

const ALGORITHM: &str = "argon2";
/// argon2-cffi's `DEFAULT_HASH_LENGTH`.
const HASH_LEN: usize = 32;

#[derive(Debug)]
pub(crate) struct Argon2PasswordHasher {
    params: Argon2Params,
    limits: WorkLimits,
}

/// An encoded argon2 hash, parsed.
struct Parts {
    variety: &'static str,
    algorithm: Algorithm,
    /// 0x13 = 19, or 0x10 = 16 when the string has no `v=`.
    version: u32,
    memory_cost: u32,
    time_cost: u32,
    parallelism: u32,
    hash_b64: String,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

fn malformed(reason: &'static str) -> HashError {
    HashError::malformed(ALGORITHM, reason)
}

/// libargon2's `decode_decimal`: ASCII digits, no sign, no leading zero.
fn decimal(text: &str) -> Result<u32, HashError> {
    if text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return Err(malformed("work factors must be plain decimal numbers"));
    }
    text.parse()
        .map_err(|_| malformed("work factor out of range"))
}

fn parse(encoded: &str) -> Result<Parts, HashError> {
    let rest = encoded
        .strip_prefix("argon2$")
        .ok_or_else(|| malformed("expected the argon2$ prefix"))?;
    let fields: Vec<&str> = rest.split('$').collect();
    let (variety, version, costs, salt_b64, hash_b64) = match fields.as_slice() {
        [variety, version, costs, salt, hash] => (*variety, Some(*version), *costs, *salt, *hash),
        [variety, costs, salt, hash] => (*variety, None, *costs, *salt, *hash),
        _ => return Err(malformed("expected $variety$v=…$m=…,t=…,p=…$salt$hash")),
    };
    let (variety, algorithm) = match variety {
        "argon2id" => ("argon2id", Algorithm::Argon2id),
        "argon2i" => ("argon2i", Algorithm::Argon2i),
        "argon2d" => ("argon2d", Algorithm::Argon2d),
        _ => return Err(malformed("unknown argon2 variety")),
    };
    let version = match version {
        None => 0x10,
        Some(v) => decimal(
            v.strip_prefix("v=")
                .ok_or_else(|| malformed("expected v=…"))?,
        )?,
    };
    if version != 0x10 && version != 0x13 {
        return Err(malformed("unknown argon2 version"));
    }
    let mut costs = costs.split(',');
    let mut cost = |key: &str| -> Result<u32, HashError> {
        costs
            .next()
            .and_then(|kv| kv.strip_prefix(key))
            .ok_or_else(|| malformed("expected m=…,t=…,p=…"))
            .and_then(decimal)
    };
    let (memory_cost, time_cost, parallelism) = (cost("m=")?, cost("t=")?, cost("p=")?);
    if costs.next().is_some() {
        return Err(malformed("expected m=…,t=…,p=…"));
    }
    let salt = STANDARD_NO_PAD
        .decode(salt_b64)
        .map_err(|_| malformed("salt is not base64"))?;
    let hash = STANDARD_NO_PAD
        .decode(hash_b64)
        .map_err(|_| malformed("hash is not base64"))?;
    Ok(Parts {
        variety,
        algorithm,
        version,
        memory_cost,
        time_cost,
        parallelism,
        hash_b64: hash_b64.to_owned(),
        salt,
        hash,
    })
}

impl Argon2PasswordHasher {
    pub fn new(settings: &HasherSettings) -> Self {
        Argon2PasswordHasher {
            params: settings.argon2,
            limits: settings.limits,
        }
    }

    fn check_limits(&self, m: u32, t: u32, p: u32) -> Result<(), HashError> {
        for (what, value, limit) in [
            ("memory_cost", m, self.limits.max_argon2_memory_kib),
            ("time_cost", t, self.limits.max_argon2_time_cost),
            ("parallelism", p, self.limits.max_argon2_parallelism),
        ] {
            if value > limit {
                return Err(HashError::WorkFactorTooHigh {
                    algorithm: ALGORITHM,
                    what,
                    value: u64::from(value),
                    limit: u64::from(limit),
                });
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn hash(
        &self,
        algorithm: Algorithm,
        version: u32,
        m: u32,
        t: u32,
        p: u32,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), HashError> {
        self.check_limits(m, t, p)?;
        let version = if version == 0x10 {
            Version::V0x10
        } else {
            Version::V0x13
        };
        let params = Params::new(m, t, p, Some(out.len())).map_err(|_| HashError::InvalidParameter {
            algorithm: ALGORITHM,
            reason: "argon2 rejects these parameters (memory below 8 KiB per lane, or zero passes)",
        })?;
        Argon2::new(algorithm, version, params)
            .hash_password_into(password, salt, out)
            .map_err(|_| HashError::InvalidParameter {
                algorithm: ALGORITHM,
                reason: "argon2 rejects this salt or hash length (salt needs at least 8 bytes)",
            })
    }
}

impl PasswordHasher for Argon2PasswordHasher {
    fn algorithm(&self) -> &'static str {
        ALGORITHM
    }

    fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        check_salt(ALGORITHM, salt)?;
        let Argon2Params {
            time_cost: t,
            memory_cost: m,
            parallelism: p,
        } = self.params;
        let mut out = [0u8; HASH_LEN];
        self.hash(
            Algorithm::Argon2id,
            0x13,
            m,
            t,
            p,
            password,
            salt.as_bytes(),
            &mut out,
        )?;
        Ok(format!(
            "argon2$argon2id$v=19$m={m},t={t},p={p}${}${}",
            STANDARD_NO_PAD.encode(salt.as_bytes()),
            STANDARD_NO_PAD.encode(out)
        ))
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        let parts = parse(encoded)?;
        Ok(Decoded {
            algorithm: ALGORITHM,
            // Django decodes the salt bytes as latin-1: one character per byte.
            salt: crate::wire::latin1::decode(&parts.salt),
            hash: parts.hash_b64,
            work: WorkFactors::Argon2 {
                variety: parts.variety.to_owned(),
                version: parts.version,
                memory_cost: parts.memory_cost,
                time_cost: parts.time_cost,
                parallelism: parts.parallelism,
            },
        })
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let parts = parse(encoded)?;
        let mut out = vec![0u8; parts.hash.len()];
        self.hash(
            parts.algorithm,
            parts.version,
            parts.memory_cost,
            parts.time_cost,
            parts.parallelism,
            password,
            &parts.salt,
            &mut out,
        )?;
        Ok(constant_time_compare(&out, &parts.hash))
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        let parts = parse(encoded)?;
        let current = (
            parts.variety,
            parts.version,
            parts.hash.len(),
            parts.time_cost,
            parts.memory_cost,
            parts.parallelism,
        );
        let wanted = (
            "argon2id",
            0x13,
            HASH_LEN,
            self.params.time_cost,
            self.params.memory_cost,
            self.params.parallelism,
        );
        let salt = crate::wire::latin1::decode(&parts.salt);
        Ok(current != wanted || must_update_salt(&salt))
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        let parts = parse(encoded)?;
        let salt = crate::wire::latin1::decode(&parts.salt);
        Ok(vec![
            ("algorithm", ALGORITHM.to_owned()),
            ("variety", parts.variety.to_owned()),
            ("version", parts.version.to_string()),
            ("memory cost", parts.memory_cost.to_string()),
            ("time cost", parts.time_cost.to_string()),
            ("parallelism", parts.parallelism.to_string()),
            ("salt", mask_hash(&salt, 6)),
            ("hash", mask_hash(&parts.hash_b64, 6)),
        ])
    }
}
