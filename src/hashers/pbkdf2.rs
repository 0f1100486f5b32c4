//! `PBKDF2PasswordHasher` (`pbkdf2_sha256`) and `PBKDF2SHA1PasswordHasher` (`pbkdf2_sha1`),
//! and the PBKDF2 they run.
//!
//! PBKDF2 is almost all HMAC of a 32- (or 20-) byte block under a fixed key. The HMAC's inner
//! and outer states after the key block never change, so each iteration is exactly two runs
//! of the compression function on one pre-padded block: no hasher objects, no buffering, no
//! length bookkeeping. `sha2`/`sha1` pick the SHA-NI instructions at run time where the CPU
//! has them; on x86-64 with SHA-NI the SHA-256 loop goes further (`shani.rs`) and keeps the
//! whole iteration in vector registers. See `benches/pbkdf2.rs` for the hardware limit.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use sha2::Digest as _;

#[cfg(target_arch = "x86_64")]
mod shani;

use super::{
    Decoded, HashError, HasherSettings, PasswordHasher, WorkFactors, check_salt, mask_hash,
    must_update_salt, parse_factor,
};
use crate::crypto::constant_time_compare;

/// The two digests Django's PBKDF2 hashers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pbkdf2Digest {
    /// `hashlib.sha256`.
    Sha256,
    /// `hashlib.sha1`.
    Sha1,
}

/// A digest reduced to what PBKDF2 needs: its compression function and initial state.
trait Core {
    type State: Copy + AsRef<[u32]> + AsMut<[u32]>;
    const IV: Self::State;
    /// Digest size in bytes.
    const LEN: usize;
    /// The full hash, for keys longer than a block and for the first HMAC of each block.
    type Hash: sha2::Digest + hmac::EagerHash;
    fn compress(state: &mut Self::State, block: &[u8; 64]);

    fn hash(data: &[u8]) -> Vec<u8> {
        Self::Hash::digest(data).to_vec()
    }

    fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac =
            hmac::Hmac::<Self::Hash>::new_from_slice(key).expect("HMAC takes any key length");
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }
}

struct Sha256Core;
struct Sha1Core;

impl Core for Sha256Core {
    type State = [u32; 8];
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    const LEN: usize = 32;
    type Hash = sha2::Sha256;

    #[inline(always)]
    fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
        sha2::block_api::compress256(state, std::slice::from_ref(block));
    }
}

impl Core for Sha1Core {
    type State = [u32; 5];
    const IV: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    const LEN: usize = 20;
    type Hash = sha1::Sha1;

    #[inline(always)]
    fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
        sha1::block_api::compress(state, std::slice::from_ref(block));
    }
}

/// Big-endian words of a digest into the front of `block`.
#[inline(always)]
fn store<C: Core>(state: &C::State, block: &mut [u8; 64]) {
    for (chunk, word) in block.chunks_exact_mut(4).zip(state.as_ref()) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

/// Iterations 2..=n of one PBKDF2 block: `T = U1 ⊕ … ⊕ Un` from the HMAC's inner and outer
/// states and `U1`.
type Iterate<C> =
    fn(&<C as Core>::State, &<C as Core>::State, &<C as Core>::State, u32) -> <C as Core>::State;

/// Two compression-function calls per iteration on one pre-padded block.
fn iterate_generic<C: Core>(
    inner: &C::State,
    outer: &C::State,
    first: &C::State,
    iterations: u32,
) -> C::State {
    // One block holds a digest, the 0x80 terminator and the bit length of key block + digest.
    let mut block = [0u8; 64];
    block[C::LEN] = 0x80;
    block[56..].copy_from_slice(&(((64 + C::LEN) * 8) as u64).to_be_bytes());
    let (mut u, mut t) = (*first, *first);
    for _ in 1..iterations {
        store::<C>(&u, &mut block);
        let mut s = *inner;
        C::compress(&mut s, &block);
        store::<C>(&s, &mut block);
        u = *outer;
        C::compress(&mut u, &block);
        for (acc, w) in t.as_mut().iter_mut().zip(u.as_ref()) {
            *acc ^= w;
        }
    }
    t
}

fn pbkdf2<C: Core>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
    iterate: Iterate<C>,
) {
    // HMAC key: the password, hashed first if longer than a block.
    let mut key = [0u8; 64];
    if password.len() > 64 {
        key[..C::LEN].copy_from_slice(&C::hash(password));
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let (mut inner, mut outer) = (C::IV, C::IV);
    let pad = |byte: u8| {
        let mut block = key;
        block.iter_mut().for_each(|b| *b ^= byte);
        block
    };
    C::compress(&mut inner, &pad(0x36));
    C::compress(&mut outer, &pad(0x5c));

    for (index, chunk) in out.chunks_mut(C::LEN).enumerate() {
        let counter = u32::try_from(index + 1).expect("PBKDF2 output fits 2^32 blocks");
        // U1 = HMAC(password, salt ‖ INT(i)): salt of any length, so the general HMAC.
        let bytes = C::hmac(password, &[salt, &counter.to_be_bytes()]);
        let mut first = C::IV;
        for (word, b) in first.as_mut().iter_mut().zip(bytes.chunks_exact(4)) {
            *word = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        }
        let t = iterate(&inner, &outer, &first, iterations);
        let mut bytes = [0u8; 64];
        store::<C>(&t, &mut bytes);
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// The fastest SHA-256 iteration loop this CPU runs.
fn sha256_iterate() -> Iterate<Sha256Core> {
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        return shani::iterate;
    }
    iterate_generic::<Sha256Core>
}

/// `hashlib.pbkdf2_hmac(digest, password, salt, iterations, dklen=len(out))`.
///
/// ```
/// use djtoken::hashers::pbkdf2::{pbkdf2_hmac, Pbkdf2Digest};
/// let mut out = [0u8; 32];
/// pbkdf2_hmac(Pbkdf2Digest::Sha256, b"password", b"salt", 1000, &mut out);
/// assert_eq!(out[..4], [0x63, 0x2c, 0x28, 0x12]);
/// ```
///
/// `iterations` 0 behaves as 1 here; Django never passes 0 (it substitutes its default).
pub fn pbkdf2_hmac(
    digest: Pbkdf2Digest,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) {
    match digest {
        Pbkdf2Digest::Sha256 => {
            pbkdf2::<Sha256Core>(password, salt, iterations, out, sha256_iterate())
        }
        Pbkdf2Digest::Sha1 => {
            pbkdf2::<Sha1Core>(password, salt, iterations, out, iterate_generic::<Sha1Core>)
        }
    }
}

/// `PBKDF2PasswordHasher` / `PBKDF2SHA1PasswordHasher`.
#[derive(Debug)]
pub(crate) struct Pbkdf2PasswordHasher {
    algorithm: &'static str,
    digest: Pbkdf2Digest,
    iterations: u32,
    max_iterations: u32,
}

impl Pbkdf2PasswordHasher {
    pub fn sha256(settings: &HasherSettings) -> Self {
        Pbkdf2PasswordHasher {
            algorithm: "pbkdf2_sha256",
            digest: Pbkdf2Digest::Sha256,
            iterations: settings.pbkdf2_iterations,
            max_iterations: settings.limits.max_pbkdf2_iterations,
        }
    }

    pub fn sha1(settings: &HasherSettings) -> Self {
        Pbkdf2PasswordHasher {
            algorithm: "pbkdf2_sha1",
            digest: Pbkdf2Digest::Sha1,
            ..Self::sha256(settings)
        }
    }

    /// `encode(password, salt, iterations)`; 0 means the default, as `iterations or
    /// self.iterations` does.
    fn encode_with(
        &self,
        password: &[u8],
        salt: &str,
        iterations: i128,
    ) -> Result<String, HashError> {
        check_salt(self.algorithm, salt)?;
        let iterations = if iterations == 0 {
            i128::from(self.iterations)
        } else {
            iterations
        };
        if iterations < 0 {
            return Err(HashError::InvalidParameter {
                algorithm: self.algorithm,
                reason: "iteration value must be greater than 0",
            });
        }
        if iterations > i128::from(self.max_iterations) {
            return Err(HashError::WorkFactorTooHigh {
                algorithm: self.algorithm,
                what: "iterations",
                value: u64::try_from(iterations).unwrap_or(u64::MAX),
                limit: u64::from(self.max_iterations),
            });
        }
        let iterations = u32::try_from(iterations).expect("checked against a u32 limit");
        let mut out = [0u8; 32];
        let len = match self.digest {
            Pbkdf2Digest::Sha256 => 32,
            Pbkdf2Digest::Sha1 => 20,
        };
        pbkdf2_hmac(
            self.digest,
            password,
            salt.as_bytes(),
            iterations,
            &mut out[..len],
        );
        Ok(format!(
            "{}${}${}${}",
            self.algorithm,
            iterations,
            salt,
            STANDARD.encode(&out[..len])
        ))
    }

    fn split<'a>(&self, encoded: &'a str) -> Result<(i128, &'a str, &'a str), HashError> {
        let mut parts = encoded.splitn(4, '$');
        let (Some(algorithm), Some(iterations), Some(salt), Some(hash)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HashError::malformed(
                self.algorithm,
                "expected algorithm$iterations$salt$hash",
            ));
        };
        if algorithm != self.algorithm {
            return Err(HashError::malformed(
                self.algorithm,
                "wrong algorithm prefix",
            ));
        }
        Ok((
            parse_factor(iterations, self.algorithm, "iterations")?,
            salt,
            hash,
        ))
    }
}

impl PasswordHasher for Pbkdf2PasswordHasher {
    fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    fn encode(&self, password: &[u8], salt: &str) -> Result<String, HashError> {
        self.encode_with(password, salt, i128::from(self.iterations))
    }

    fn decode(&self, encoded: &str) -> Result<Decoded, HashError> {
        let (iterations, salt, hash) = self.split(encoded)?;
        let iterations = u32::try_from(iterations)
            .map_err(|_| HashError::malformed(self.algorithm, "iterations out of range"))?;
        Ok(Decoded {
            algorithm: self.algorithm,
            salt: salt.to_owned(),
            hash: hash.to_owned(),
            work: WorkFactors::Iterations(iterations),
        })
    }

    fn verify(&self, password: &[u8], encoded: &str) -> Result<bool, HashError> {
        let (iterations, salt, _) = self.split(encoded)?;
        let encoded_2 = self.encode_with(password, salt, iterations)?;
        Ok(constant_time_compare(
            encoded.as_bytes(),
            encoded_2.as_bytes(),
        ))
    }

    fn must_update(&self, encoded: &str) -> Result<bool, HashError> {
        let (iterations, salt, _) = self.split(encoded)?;
        Ok(iterations != i128::from(self.iterations) || must_update_salt(salt))
    }

    fn harden_runtime(&self, password: &[u8], encoded: &str) -> Result<(), HashError> {
        let (iterations, salt, _) = self.split(encoded)?;
        let extra = i128::from(self.iterations) - iterations;
        if extra > 0 {
            self.encode_with(password, salt, extra)?;
        }
        Ok(())
    }

    fn safe_summary(&self, encoded: &str) -> Result<Vec<(&'static str, String)>, HashError> {
        let d = self.decode(encoded)?;
        let WorkFactors::Iterations(iterations) = d.work else {
            unreachable!("PBKDF2 decodes iterations")
        };
        Ok(vec![
            ("algorithm", d.algorithm.to_owned()),
            ("iterations", iterations.to_string()),
            ("salt", mask_hash(&d.salt, 6)),
            ("hash", mask_hash(&d.hash, 6)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(
        digest: Pbkdf2Digest,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        len: usize,
    ) -> Vec<u8> {
        let mut out = vec![0u8; len];
        match digest {
            Pbkdf2Digest::Sha256 => {
                pbkdf2_ref::<sha2::Sha256>(password, salt, iterations, &mut out)
            }
            Pbkdf2Digest::Sha1 => pbkdf2_ref::<sha1::Sha1>(password, salt, iterations, &mut out),
        }
        out
    }

    /// PBKDF2 written plainly from RFC 8018 with the generic HMAC, to check the fast loop.
    fn pbkdf2_ref<D>(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8])
    where
        D: sha2::Digest + hmac::EagerHash + Clone,
    {
        let mac = hmac::Hmac::<D>::new_from_slice(password).expect("any key length");
        let hlen = <D as sha2::Digest>::output_size();
        for (i, chunk) in out.chunks_mut(hlen).enumerate() {
            let mut m = mac.clone();
            m.update(salt);
            m.update(&(i as u32 + 1).to_be_bytes());
            let mut u = m.finalize().into_bytes().to_vec();
            let mut t = u.clone();
            for _ in 1..iterations {
                let mut m = mac.clone();
                m.update(&u);
                u = m.finalize().into_bytes().to_vec();
                t.iter_mut().zip(&u).for_each(|(a, b)| *a ^= b);
            }
            chunk.copy_from_slice(&t[..chunk.len()]);
        }
    }

    #[test]
    fn generic_and_cpu_specific_loops_agree() {
        let mut generic = [0u8; 64];
        pbkdf2::<Sha256Core>(
            b"pw",
            b"salt",
            1000,
            &mut generic,
            iterate_generic::<Sha256Core>,
        );
        let mut fast = [0u8; 64];
        pbkdf2::<Sha256Core>(b"pw", b"salt", 1000, &mut fast, sha256_iterate());
        assert_eq!(generic, fast);
        assert_eq!(
            generic.to_vec(),
            reference(Pbkdf2Digest::Sha256, b"pw", b"salt", 1000, 64)
        );
    }

    #[test]
    fn rfc_6070_and_7914_vectors() {
        let mut out = [0u8; 20];
        pbkdf2_hmac(Pbkdf2Digest::Sha1, b"password", b"salt", 4096, &mut out);
        assert_eq!(hex(&out), "4b007901b765489abead49d926f721d065a429c1");
        let mut out = [0u8; 64];
        pbkdf2_hmac(Pbkdf2Digest::Sha256, b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    #[test]
    fn agrees_with_plain_pbkdf2_for_odd_inputs() {
        let long = [7u8; 200];
        for digest in [Pbkdf2Digest::Sha256, Pbkdf2Digest::Sha1] {
            for (password, salt, iterations, len) in [
                (&b""[..], &b""[..], 1, 20),
                (&long[..64], &b"s"[..], 3, 32),
                (&long[..65], &long[..], 5, 45),
                (&b"x"[..], &long[..130], 2, 70),
            ] {
                let mut fast = vec![0u8; len];
                pbkdf2_hmac(digest, password, salt, iterations, &mut fast);
                assert_eq!(fast, reference(digest, password, salt, iterations, len));
            }
        }
    }

    use crate::wire::hex::encode as hex;
}
