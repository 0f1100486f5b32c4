//! The browser's settings: sessions, CSRF, hosts and cookies.

use super::{Settings, SettingsError, invalid};
use serde::{Deserialize, Deserializer, Serializer};

use crate::version::DjangoVersion;
/// `SESSION_SERIALIZER`s that write JSON.
pub(super) const JSON_SERIALIZERS: [&str; 2] = [
    "django.contrib.sessions.serializers.JSONSerializer",
    "django.core.signing.JSONSerializer",
];

/// `set_cookie`'s rule: `SameSite` is `Lax`, `Strict` or `None` in any case, or absent.
fn check_samesite(key: &'static str, value: &str) -> Result<(), SettingsError> {
    if value.is_empty() || ["lax", "strict", "none"].contains(&value.to_ascii_lowercase().as_str())
    {
        return Ok(());
    }
    Err(invalid(
        key,
        format!("{value:?}: SameSite must be \"Lax\", \"Strict\", \"None\", or \"\" for none"),
    ))
}

/// A number of seconds, or `false` for Python's `None`.
pub(super) fn seconds_or_false<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SecondsOrFalse {
        Seconds(i64),
        Flag(bool),
    }
    match SecondsOrFalse::deserialize(d)? {
        SecondsOrFalse::Seconds(n) => Ok(Some(n)),
        SecondsOrFalse::Flag(false) => Ok(None),
        SecondsOrFalse::Flag(true) => Err(serde::de::Error::custom(
            "a number of seconds, or false for Python's None",
        )),
    }
}

pub(super) fn seconds_or_false_text<S: Serializer>(
    value: &Option<i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => s.serialize_i64(*n),
        None => s.serialize_bool(false),
    }
}

impl Settings {
    /// How Django reads a request's host, scheme and port.
    pub fn host_rules(&self) -> crate::hosts::HostRules {
        crate::hosts::HostRules {
            allowed_hosts: self.allowed_hosts.clone(),
            use_x_forwarded_host: self.use_x_forwarded_host,
            use_x_forwarded_port: self.use_x_forwarded_port,
            secure_proxy_ssl_header: self.secure_proxy_ssl_header.clone(),
        }
    }

    /// `CsrfViewMiddleware`'s settings, for the configured version.
    pub fn csrf_config(&self) -> Result<crate::csrf::CsrfConfig, SettingsError> {
        let config = crate::csrf::CsrfConfig {
            version: self.version(),
            header_name: self.csrf_header_name.clone(),
            trusted_origins: self.csrf_trusted_origins.clone(),
            cookie_domain: self.csrf_cookie_domain.clone(),
            session_cookie_domain: self.session_cookie_domain.clone(),
            use_sessions: self.csrf_use_sessions,
            cookie_name: self.csrf_cookie_name.clone(),
            cookie_masked: self.csrf_cookie_masked,
            cookie_age: self.csrf_cookie_age,
            cookie_path: self.csrf_cookie_path.clone(),
            cookie_secure: self.csrf_cookie_secure,
            cookie_httponly: self.csrf_cookie_httponly,
            cookie_samesite: Some(self.csrf_cookie_samesite.clone()).filter(|s| !s.is_empty()),
        };
        check_samesite("CSRF_COOKIE_SAMESITE", &self.csrf_cookie_samesite)?;
        if config.header().is_none() {
            return Err(invalid(
                "CSRF_HEADER_NAME",
                format!(
                    "{:?} is not a request header as Django names them (HTTP_X_CSRFTOKEN)",
                    self.csrf_header_name
                ),
            ));
        }
        if self.version() >= DjangoVersion::V4_0
            && let Some(bad) = self
                .csrf_trusted_origins
                .iter()
                .find(|o| !o.contains("://"))
        {
            return Err(invalid(
                "CSRF_TRUSTED_ORIGINS",
                format!("{bad:?} has no scheme (Django 4.0+ wants https://host)"),
            ));
        }
        Ok(config)
    }

    /// Where the project's sessions are and how they read: the `SESSION_*` settings.
    pub fn session_config(&self) -> Result<crate::sessions::SessionConfig, SettingsError> {
        self.session_config_with(self.session_cache_connection_url()?)
    }

    /// As [`Settings::session_config`], with the session cache at `cache_url` (the URL with
    /// its password, or, to check the settings without reading a file, without).
    pub(super) fn session_config_with(
        &self,
        cache_url: Option<String>,
    ) -> Result<crate::sessions::SessionConfig, SettingsError> {
        use crate::sessions::{CacheConfig, CookieSettings, Engine, SessionConfig};
        let engine = Engine::parse(&self.session_engine).ok_or_else(|| {
            invalid(
                "SESSION_ENGINE",
                format!(
                    "{:?} is not one of Django's engines (db, cache, cached_db, file, \
                     signed_cookies under django.contrib.sessions.backends); a project engine \
                     that subclasses one is exported by `manage.py djtoken_config` as that \
                     engine with its SESSION_KEY_SALT",
                    self.session_engine
                ),
            )
        })?;
        if !JSON_SERIALIZERS.contains(&self.session_serializer.as_str()) {
            let why = if self.session_serializer.ends_with("PickleSerializer") {
                "pickled session data is not read: djtoken reads JSON sessions only (Django \
                 deprecated PickleSerializer in 4.1 and removed it in 5.0)"
            } else {
                "djtoken reads sessions written by Django's JSONSerializer only"
            };
            return Err(invalid(
                "SESSION_SERIALIZER",
                format!("{}: {why}", self.session_serializer),
            ));
        }
        if self.session_cookie_age < 0 {
            return Err(invalid("SESSION_COOKIE_AGE", "must not be negative"));
        }
        check_samesite("SESSION_COOKIE_SAMESITE", &self.session_cookie_samesite)?;
        if self.session_cookie_name.is_empty() {
            return Err(invalid("SESSION_COOKIE_NAME", "must not be empty"));
        }
        let cache = match (cache_url, engine.uses_cache()) {
            (Some(url), _) => {
                Some(CacheConfig::parse(&url).map_err(|e| invalid("SESSION_CACHE_URL", e))?)
            }
            (None, true) => {
                return Err(invalid(
                    "SESSION_CACHE_URL",
                    format!(
                        "{} keeps sessions in a cache: give its redis:// URL",
                        engine.path()
                    ),
                ));
            }
            (None, false) => None,
        };
        Ok(SessionConfig {
            engine,
            key_salt: self.session_key_salt.clone(),
            cookie: CookieSettings {
                name: self.session_cookie_name.clone(),
                age: self.session_cookie_age,
                domain: self.session_cookie_domain.clone(),
                path: self.session_cookie_path.clone(),
                secure: self.session_cookie_secure,
                httponly: self.session_cookie_httponly,
                samesite: Some(self.session_cookie_samesite.clone()).filter(|s| !s.is_empty()),
                expire_at_browser_close: self.session_expire_at_browser_close,
            },
            cache,
            file_path: self
                .session_file_path
                .clone()
                .unwrap_or_else(std::env::temp_dir),
            backends: self.authentication_backends.clone(),
            use_tz: self.use_tz,
            time_zone: self.time_zone()?,
            sha1_mode: self.sha1_mode()?,
            csrf: self.csrf_config()?,
        })
    }
}
