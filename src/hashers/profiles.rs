//! What each Django version's `django.contrib.auth.hashers` defaults to: one row per version
//! in [`PROFILES`], so that "what does Django 5.1 do" has exactly one answer in the code.

use super::HasherKind;
use crate::version::DjangoVersion;

impl DjangoVersion {
    /// This version's hasher defaults.
    pub fn profile(self) -> &'static Profile {
        PROFILES
            .iter()
            .find(|p| p.version == self)
            .expect("every version has a row in PROFILES")
    }
}

/// Argon2 work factors (`Argon2PasswordHasher`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// `time_cost`.
    pub time_cost: u32,
    /// `memory_cost`, in KiB.
    pub memory_cost: u32,
    /// `parallelism`.
    pub parallelism: u32,
}

/// scrypt work factors (`ScryptPasswordHasher`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScryptParams {
    /// `work_factor` (N).
    pub work_factor: u64,
    /// `block_size` (r).
    pub block_size: u32,
    /// `parallelism` (p).
    pub parallelism: u32,
}

impl ScryptParams {
    /// The memory one hash takes, `128·r·(N + p + 2)` bytes, as OpenSSL counts it.
    pub fn memory(&self) -> u64 {
        128u64
            .saturating_mul(u64::from(self.block_size))
            .saturating_mul(
                self.work_factor
                    .saturating_add(u64::from(self.parallelism))
                    .saturating_add(2),
            )
    }

    /// `N·r·p`.
    pub fn work(&self) -> u64 {
        self.work_factor
            .saturating_mul(u64::from(self.block_size))
            .saturating_mul(u64::from(self.parallelism))
    }
}

/// What one Django version's `django.contrib.auth.hashers` defaults to.
#[derive(Debug)]
pub struct Profile {
    /// The version.
    pub version: DjangoVersion,
    /// `PBKDF2PasswordHasher.iterations` (and `PBKDF2SHA1PasswordHasher`'s).
    pub pbkdf2_iterations: u32,
    /// `Argon2PasswordHasher` work factors.
    pub argon2: Argon2Params,
    /// `BCryptSHA256PasswordHasher.rounds` (and `BCryptPasswordHasher`'s).
    pub bcrypt_rounds: u32,
    /// `ScryptPasswordHasher` work factors; `None` where the class does not exist.
    pub scrypt: Option<ScryptParams>,
    /// The default `PASSWORD_HASHERS`, preferred first.
    pub password_hashers: &'static [HasherKind],
    /// The hashers whose classes `django.contrib.auth.hashers` still defines.
    pub available: &'static [HasherKind],
    /// Whether `check_password` runs the default hasher once for an unusable or unknown hash
    /// (Django 4.2+), so that such users take as long to reject as others.
    pub fake_runtime: bool,
}

const DJANGO_3_2_HASHERS: &[HasherKind] = &[
    HasherKind::Pbkdf2Sha256,
    HasherKind::Pbkdf2Sha1,
    HasherKind::Argon2,
    HasherKind::BCryptSha256,
];
const DJANGO_4_2_HASHERS: &[HasherKind] = &[
    HasherKind::Pbkdf2Sha256,
    HasherKind::Pbkdf2Sha1,
    HasherKind::Argon2,
    HasherKind::BCryptSha256,
    HasherKind::Scrypt,
];
const ARGON2: Argon2Params = Argon2Params {
    time_cost: 2,
    memory_cost: 102_400,
    parallelism: 8,
};
const SCRYPT_P1: ScryptParams = ScryptParams {
    work_factor: 1 << 14,
    block_size: 8,
    parallelism: 1,
};
const SCRYPT_P5: ScryptParams = ScryptParams {
    work_factor: 1 << 14,
    block_size: 8,
    parallelism: 5,
};
const CLASSES_3_2: &[HasherKind] = &[
    HasherKind::Pbkdf2Sha256,
    HasherKind::Pbkdf2Sha1,
    HasherKind::Argon2,
    HasherKind::BCryptSha256,
    HasherKind::BCrypt,
    HasherKind::Md5,
    HasherKind::Sha1,
    HasherKind::UnsaltedSha1,
    HasherKind::UnsaltedMd5,
    HasherKind::Crypt,
];
/// Every class: 4.0 to 4.2 define them all.
const CLASSES_4_2: &[HasherKind] = &HasherKind::ALL;
const CLASSES_5_0: &[HasherKind] = &[
    HasherKind::Pbkdf2Sha256,
    HasherKind::Pbkdf2Sha1,
    HasherKind::Argon2,
    HasherKind::BCryptSha256,
    HasherKind::BCrypt,
    HasherKind::Scrypt,
    HasherKind::Md5,
    HasherKind::Sha1,
    HasherKind::UnsaltedSha1,
    HasherKind::UnsaltedMd5,
];
const CLASSES_5_1: &[HasherKind] = &[
    HasherKind::Pbkdf2Sha256,
    HasherKind::Pbkdf2Sha1,
    HasherKind::Argon2,
    HasherKind::BCryptSha256,
    HasherKind::BCrypt,
    HasherKind::Scrypt,
    HasherKind::Md5,
];

/// One row per version: `django/contrib/auth/hashers.py` and `global_settings.py` as shipped.
pub const PROFILES: [Profile; 9] = [
    Profile {
        version: DjangoVersion::V3_2,
        pbkdf2_iterations: 260_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: None,
        password_hashers: DJANGO_3_2_HASHERS,
        available: CLASSES_3_2,
        fake_runtime: false,
    },
    // 4.0 and 4.1 ended before the fake runtime of 4.2.14 / 5.0.7 (CVE-2024-39329).
    Profile {
        version: DjangoVersion::V4_0,
        pbkdf2_iterations: 320_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P1),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_4_2,
        fake_runtime: false,
    },
    Profile {
        version: DjangoVersion::V4_1,
        pbkdf2_iterations: 390_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P1),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_4_2,
        fake_runtime: false,
    },
    Profile {
        version: DjangoVersion::V4_2,
        pbkdf2_iterations: 600_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P1),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_4_2,
        fake_runtime: true,
    },
    Profile {
        version: DjangoVersion::V5_0,
        pbkdf2_iterations: 720_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P1),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_5_0,
        fake_runtime: true,
    },
    Profile {
        version: DjangoVersion::V5_1,
        pbkdf2_iterations: 870_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P5),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_5_1,
        fake_runtime: true,
    },
    Profile {
        version: DjangoVersion::V5_2,
        pbkdf2_iterations: 1_000_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P5),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_5_1,
        fake_runtime: true,
    },
    Profile {
        version: DjangoVersion::V6_0,
        pbkdf2_iterations: 1_200_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P5),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_5_1,
        fake_runtime: true,
    },
    Profile {
        version: DjangoVersion::V6_1,
        pbkdf2_iterations: 1_500_000,
        argon2: ARGON2,
        bcrypt_rounds: 12,
        scrypt: Some(SCRYPT_P5),
        password_hashers: DJANGO_4_2_HASHERS,
        available: CLASSES_5_1,
        fake_runtime: true,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_has_one_profile() {
        for v in DjangoVersion::ALL {
            assert_eq!(v.profile().version, v);
        }
        assert_eq!(PROFILES.len(), DjangoVersion::ALL.len());
    }
}
