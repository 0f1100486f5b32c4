//! The Django versions djtoken speaks for: the series and their releases. What each one's
//! password hashers default to is `crate::hashers::profiles::PROFILES`.

use std::fmt;
use std::str::FromStr;

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
        match self {
            DjangoVersion::V3_2 => "3.2",
            DjangoVersion::V4_0 => "4.0",
            DjangoVersion::V4_1 => "4.1",
            DjangoVersion::V4_2 => "4.2",
            DjangoVersion::V5_0 => "5.0",
            DjangoVersion::V5_1 => "5.1",
            DjangoVersion::V5_2 => "5.2",
            DjangoVersion::V6_0 => "6.0",
            DjangoVersion::V6_1 => "6.1",
        }
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
        DjangoVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == series)
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
    fn every_version_reads_back_from_its_name() {
        for v in DjangoVersion::ALL {
            assert_eq!(v.as_str().parse(), Ok(v));
        }
    }
}
