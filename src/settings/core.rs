//! The core settings: the Django version, the clock, the hashers, tokenapi, django-axes.

use super::{Settings, SettingsError, invalid};
use std::time::Duration;

use super::{AxesParameters, seconds};
use crate::clock::{Clock, TimeZone, parse_time_zone};
use crate::crypto::SecretKeys;
use crate::hashers::{HasherSettings, Hashers, resolve};
use crate::tokens::TokenapiTokenGenerator;
use crate::version::DjangoVersion;
impl Settings {
    /// The Django version whose defaults apply: the configured one, else the latest.
    pub fn version(&self) -> DjangoVersion {
        self.django_version
            .map_or(DjangoVersion::LATEST, |release| release.series)
    }

    /// Signed cookies as the configured release signs and reads them (the salt scheme
    /// depends on the patch level: see [`crate::signing::cookies`]).
    pub fn cookie_signing(&self) -> Result<crate::signing::cookies::CookieSigning, SettingsError> {
        use crate::signing::cookies::{CookieSalt, CookieSigning};
        let release = self
            .django_version
            .unwrap_or_else(|| DjangoVersion::LATEST.into());
        let scheme = CookieSalt::for_release(
            release.series,
            release.patch,
            self.signed_cookie_legacy_salt_fallback,
        );
        Ok(CookieSigning::new(
            &self.secret_keys()?,
            release.series,
            scheme,
        ))
    }

    /// Whether a login may rewrite an outdated hash: only when the Django version sharing the
    /// database is known.
    pub fn rehash(&self) -> bool {
        self.django_version.is_some()
    }

    /// `TIME_ZONE`.
    pub fn time_zone(&self) -> Result<TimeZone, SettingsError> {
        parse_time_zone(&self.time_zone).map_err(|e| invalid("TIME_ZONE", e.to_string()))
    }

    /// `QUERY_TIMEOUT`.
    pub fn query_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("QUERY_TIMEOUT", self.query_timeout)
    }

    /// The work factors of the hashers: the version's defaults.
    pub fn hasher_settings(&self) -> HasherSettings {
        HasherSettings::for_version(self.version())
    }

    /// `PASSWORD_HASHERS` with the version's work factors.
    pub fn hashers(&self) -> Result<Hashers, SettingsError> {
        self.hashers_with(self.hasher_settings())
    }

    /// `PASSWORD_HASHERS` with these work factors, and each class's own where
    /// `PASSWORD_HASHER_PARAMS` gives them.
    pub fn hashers_with(&self, base: HasherSettings) -> Result<Hashers, SettingsError> {
        let names: Vec<String> = if self.password_hashers.is_empty() {
            base.version
                .profile()
                .password_hashers
                .iter()
                .map(|kind| kind.algorithm().to_owned())
                .collect()
        } else {
            self.password_hashers.clone()
        };
        let kinds = names
            .iter()
            .map(|name| resolve(name, base.version))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("PASSWORD_HASHERS", e.to_string()))?;
        for algorithm in self.password_hasher_params.keys() {
            if !kinds.iter().any(|k| k.algorithm() == algorithm) {
                return Err(invalid(
                    "PASSWORD_HASHER_PARAMS",
                    format!("{algorithm:?} is not one of PASSWORD_HASHERS"),
                ));
            }
        }
        let each = kinds
            .iter()
            .map(
                |&kind| match self.password_hasher_params.get(kind.algorithm()) {
                    Some(params) => params
                        .apply(kind, &base)
                        .map(|own| (kind, own))
                        .map_err(|e| invalid("PASSWORD_HASHER_PARAMS", e)),
                    None => Ok((kind, base)),
                },
            )
            .collect::<Result<Vec<_>, _>>()?;
        Hashers::with_kind_settings(base, &each)
            .map_err(|e| invalid("PASSWORD_HASHERS", e.to_string()))
    }

    /// tokenapi's generator: these keys, `TOKEN_TIMEOUT_DAYS`, and days counted in
    /// `TIME_ZONE` on the system clock.
    pub fn tokenapi_generator(
        &self,
        keys: &SecretKeys,
    ) -> Result<TokenapiTokenGenerator, SettingsError> {
        Ok(TokenapiTokenGenerator::new(keys)
            .with_timeout_days(self.token_timeout_days)
            .with_clock(Clock::system(self.time_zone()?)))
    }

    /// django-axes' lockout rules, when `AXES_ENABLED` and axes locks out at all.
    #[cfg(feature = "store")]
    pub fn axes(&self) -> Result<Option<crate::axes::AxesLockout>, SettingsError> {
        use crate::axes::{AxesField, AxesLockout};
        let parameters = self
            .axes_lockout_parameters
            .iter()
            .map(|entry| {
                let names = match entry {
                    AxesParameters::One(name) => std::slice::from_ref(name),
                    AxesParameters::All(names) => names.as_slice(),
                };
                if names.is_empty() {
                    return Err(invalid("AXES_LOCKOUT_PARAMETERS", "an empty group"));
                }
                names
                    .iter()
                    .map(|name| {
                        AxesField::parse(name).ok_or_else(|| {
                            invalid(
                                "AXES_LOCKOUT_PARAMETERS",
                                format!(
                                    "{name:?} is not one of \"username\", \"ip_address\", \"user_agent\""
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let cool_off = self
            .axes_cooloff_time
            .map(|hours| seconds("AXES_COOLOFF_TIME", hours * 3600.0))
            .transpose()?;
        if !self.axes_enabled || !self.axes_lock_out_at_failure {
            return Ok(None);
        }
        if parameters.is_empty() {
            return Err(invalid("AXES_LOCKOUT_PARAMETERS", "name at least one"));
        }
        Ok(Some(AxesLockout {
            failure_limit: self.axes_failure_limit,
            cool_off,
            parameters,
        }))
    }

    /// Whether Django 3.2's `DEFAULT_HASHING_ALGORITHM = "sha1"` mode is on.
    pub fn sha1_mode(&self) -> Result<bool, SettingsError> {
        match self.default_hashing_algorithm.as_str() {
            "sha256" => Ok(false),
            "sha1" => Ok(self.version() == DjangoVersion::V3_2),
            other => Err(invalid(
                "DEFAULT_HASHING_ALGORITHM",
                format!("{other:?} is neither \"sha256\" nor \"sha1\""),
            )),
        }
    }
}
