//! The Django versions djtoken speaks for, and what each one's password hashers default to.
//!
//! Everything version-dependent about hashing lives in [`PROFILES`], one row per version, so
//! that "what does Django 5.1 do" has exactly one answer in the code.

use std::fmt;
use std::str::FromStr;

use crate::hashers::HasherKind;

/// A supported Django release series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DjangoVersion {
    /// Django 3.2 LTS.
    V3_2,
    /// Django 4.0.
    V4_0,
    /// Django 4.1.
    V4_1,
    /// Django 4.2 LTS.
    V4_2,
    /// Django 5.0.
    V5_0,
    /// Django 5.1.
    V5_1,
    /// Django 5.2 LTS.
    V5_2,
    /// Django 6.0.
    V6_0,
    /// Django 6.1.
    V6_1,
}

impl DjangoVersion {
    /// Every supported version, oldest first.
    pub const ALL: [DjangoVersion; 9] = [
        DjangoVersion::V3_2,
        DjangoVersion::V4_0,
        DjangoVersion::V4_1,
        DjangoVersion::V4_2,
        DjangoVersion::V5_0,
        DjangoVersion::V5_1,
        DjangoVersion::V5_2,
        DjangoVersion::V6_0,
        DjangoVersion::V6_1,
    ];

    /// The newest supported version: the defaults when none is configured.
    pub const LATEST: DjangoVersion = DjangoVersion::V6_1;

    /// `"4.2"`, …
    pub fn as_str(self) -> &'static str {
        self.profile().series
    }

    /// This version's defaults.
    pub fn profile(self) -> &'static Profile {
        PROFILES
            .iter()
            .find(|p| p.version == self)
            .expect("every version has a row in PROFILES")
    }
}

impl fmt::Display for DjangoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string djtoken does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported Django version {0:?}: expected one of 3.2, 4.0, 4.1, 4.2, 5.0, 5.1, 5.2, 6.0, 6.1"
)]
pub struct UnsupportedVersion(pub String);

impl FromStr for DjangoVersion {
    type Err = UnsupportedVersion;

    /// `"4.2"`, and also a full release such as `"4.2.30"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split('.');
        let series = match (parts.next(), parts.next()) {
            (Some(major), Some(minor)) => format!("{major}.{minor}"),
            _ => return Err(UnsupportedVersion(s.to_owned())),
        };
        if parts.any(|patch| patch.parse::<u32>().is_err()) {
            return Err(UnsupportedVersion(s.to_owned()));
        }
        PROFILES
            .iter()
            .find(|p| p.series == series)
            .map(|p| p.version)
            .ok_or_else(|| UnsupportedVersion(s.to_owned()))
    }
}

impl serde::Serialize for DjangoVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for DjangoVersion {
    /// From a string, as [`FromStr`] reads it (`"5.2"`, `"5.2.8"`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A Django release as a project names it: the series, and the patch level when given
/// (`"5.2"`, `"5.2.15"`). Most behaviour follows the series; a few fixes changed formats
/// within one (signed cookies in 5.2.15 and 6.0.6), and those need the patch level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DjangoRelease {
    /// The series.
    pub series: DjangoVersion,
    /// The patch level, when known.
    pub patch: Option<u16>,
}

impl From<DjangoVersion> for DjangoRelease {
    fn from(series: DjangoVersion) -> Self {
        DjangoRelease {
            series,
            patch: None,
        }
    }
}

impl FromStr for DjangoRelease {
    type Err = UnsupportedVersion;

    /// `"4.2"` or `"4.2.30"` (a pre-release suffix such as `"6.1a1"` is not a release).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let series: DjangoVersion = s.parse()?;
        let patch = match s.trim().split('.').nth(2) {
            Some(patch) => Some(
                patch
                    .parse::<u16>()
                    .map_err(|_| UnsupportedVersion(s.to_owned()))?,
            ),
            None => None,
        };
        Ok(DjangoRelease { series, patch })
    }
}

impl fmt::Display for DjangoRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(patch) => write!(f, "{}.{patch}", self.series),
            None => write!(f, "{}", self.series),
        }
    }
}

impl serde::Serialize for DjangoRelease {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for DjangoRelease {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
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
    /// `"3.2"`, …
    pub series: &'static str,
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
        series: "3.2",
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
        series: "4.0",
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
        series: "4.1",
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
        series: "4.2",
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
        series: "5.0",
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
        series: "5.1",
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
        series: "5.2",
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
        series: "6.0",
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
        series: "6.1",
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
    fn parses_series_and_releases() {
        assert_eq!("4.2".parse(), Ok(DjangoVersion::V4_2));
        assert_eq!("6.1.3".parse(), Ok(DjangoVersion::V6_1));
        assert!("4.3".parse::<DjangoVersion>().is_err());
        assert!("3.1".parse::<DjangoVersion>().is_err());
        assert_eq!("4.1.13".parse(), Ok(DjangoVersion::V4_1));
        assert!("4".parse::<DjangoVersion>().is_err());
        assert!("4.2.x".parse::<DjangoVersion>().is_err());
    }

    #[test]
    fn latest_is_the_last_of_all() {
        assert_eq!(Some(&DjangoVersion::LATEST), DjangoVersion::ALL.last());
    }

    #[test]
    fn every_version_has_one_profile() {
        for v in DjangoVersion::ALL {
            assert_eq!(v.profile().version, v);
            assert_eq!(v.as_str().parse(), Ok(v));
        }
    }
}
