//! djtoken's settings: one typed struct with Django's setting names, its defaults and its
//! validation, from which everything else is built.
//!
//! Like Django's `global_settings.py`, every setting has one name, one default and one place
//! that checks it. A front end (the command line, a configuration file, a Python caller)
//! starts from [`Settings::default`], layers its values on top, and asks the settings for
//! what it needs: [`Settings::hashers`], [`Settings::secret_keys`],
//! [`Settings::tokenapi_generator`], and with the `store` feature [`Settings::build`], the
//! composition root that builds every part a run needs in one pass. Nothing below re-reads
//! the environment or a flag.
//!
//! The struct deserialises with serde under Django's names (`SECRET_KEY_FILE`, `TIME_ZONE`,
//! `PASSWORD_HASHERS`…; the server's own settings in a `serve` table), refusing unknown keys.
//! Secret values never come from that text: it names files that hold them, and
//! [`Settings::secret_key`] is filled only by code (from the environment, say).
//!
//! One file per subject: `core.rs` (the Django version, clock, hashers, tokenapi,
//! django-axes), `keys.rs` (the secrets and password files), `browser.rs` (sessions, CSRF,
//! hosts, cookies), `rest.rs` (`REST_FRAMEWORK`, `SIMPLE_JWT`, `REST_KNOX`), `user_model.rs`,
//! `serve.rs` (the `serve` table), `file.rs` (`djtoken.toml`) and `runtime.rs` (feature
//! `store`: the composition root). This module reads the key files it is pointed at and
//! nothing else; it starts no runtime and opens no connection (that is [`Settings::build`]).

mod browser;
mod core;
#[cfg(feature = "toml")]
mod file;
mod keys;
mod rest;
#[cfg(feature = "store")]
mod runtime;
#[cfg(feature = "store")]
pub use runtime::{BrowserParts, Parts};
mod serve;
#[cfg(test)]
mod tests;
mod user_model;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::crypto::SecretKey;
use crate::hashers::HasherParams;
use crate::tokens::{reset, tokenapi};
use crate::version::DjangoRelease;
use browser::JSON_SERIALIZERS;

#[cfg(feature = "toml")]
pub use file::ConfigFileError;
pub use keys::{split_keys, strip_newline};
pub use rest::{
    AudienceSetting, HeaderTypes, KnoxSettings, RestFrameworkSettings, SimpleJwtSettings,
};
pub use serve::{
    ApiPackage, ApiView, LOG_LEVELS, LogFormat, SESSION_ENDPOINTS, ServeSettings, normalize_prefix,
};
pub use user_model::{UserModelSettings, column_or_none};

/// A setting with a value djtoken cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The value of `key` is wrong; `message` says how.
    #[error("{key}: {message}")]
    Invalid {
        /// The setting, by its name in the configuration (`TIME_ZONE`, `serve.bind`…).
        key: &'static str,
        /// What is wrong, and what would be right.
        message: String,
    },
    /// The settings are valid but the database they name could not be opened.
    #[cfg(feature = "store")]
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn invalid(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        message: message.into(),
    }
}

/// Everything djtoken needs to speak for one Django project.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The Django version sharing the database (patch level allowed: `"5.2.8"`). Set, a login
    /// rehashes what that version would rehash; unset, djtoken never rewrites a password and
    /// new hashes use [`crate::version::DjangoVersion::LATEST`]'s defaults.
    #[serde(rename = "DJANGO_VERSION", skip_serializing_if = "Option::is_none")]
    pub django_version: Option<DjangoRelease>,
    /// A file holding `SECRET_KEY` (one trailing newline ignored).
    #[serde(rename = "SECRET_KEY_FILE", skip_serializing_if = "Option::is_none")]
    pub secret_key_file: Option<PathBuf>,
    /// A file holding `SECRET_KEY_FALLBACKS`, one key per line.
    #[serde(
        rename = "SECRET_KEY_FALLBACKS_FILE",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_key_fallbacks_file: Option<PathBuf>,
    /// `SECRET_KEY` itself, for callers that hold it (from the environment); never
    /// deserialised.
    #[serde(skip)]
    pub secret_key: Option<SecretKey>,
    /// `SECRET_KEY_FALLBACKS` themselves; never deserialised.
    #[serde(skip)]
    pub secret_key_fallbacks: Option<Vec<SecretKey>>,
    /// `TIME_ZONE` (an IANA name).
    #[serde(rename = "TIME_ZONE")]
    pub time_zone: String,
    /// `USE_TZ`. djtoken reads datetimes as the columns hold them (`timestamp with time zone`
    /// in UTC, or naive local time), so this records the project's choice for the session
    /// and token formats that print datetimes.
    #[serde(rename = "USE_TZ")]
    pub use_tz: bool,
    /// tokenapi's `TOKEN_TIMEOUT_DAYS`.
    #[serde(rename = "TOKEN_TIMEOUT_DAYS")]
    pub token_timeout_days: i64,
    /// `PASSWORD_RESET_TIMEOUT`, in seconds.
    #[serde(rename = "PASSWORD_RESET_TIMEOUT")]
    pub password_reset_timeout: i64,
    /// `PASSWORD_HASHERS`: class paths or algorithm names, preferred first; empty means the
    /// version's default list.
    #[serde(rename = "PASSWORD_HASHERS")]
    pub password_hashers: Vec<String>,
    /// Work factors of the project's hasher classes that differ from the version's
    /// defaults, by algorithm (`pbkdf2_sha256 = { iterations = 2000000 }`).
    #[serde(rename = "PASSWORD_HASHER_PARAMS")]
    pub password_hasher_params: BTreeMap<String, HasherParams>,
    /// The database, as `dj-database-url` writes it.
    #[serde(rename = "DATABASE_URL")]
    pub database_url: String,
    /// A file holding the database password (one trailing newline ignored), for a
    /// `DATABASE_URL` without one: no password need be in a URL, a settings file or the
    /// environment.
    #[serde(
        rename = "DATABASE_PASSWORD_FILE",
        skip_serializing_if = "Option::is_none"
    )]
    pub database_password_file: Option<PathBuf>,
    /// Seconds one database call (or a connection) may take.
    #[serde(rename = "QUERY_TIMEOUT")]
    pub query_timeout: f64,
    /// How `AUTH_USER_MODEL` maps onto its table.
    #[serde(rename = "USER_MODEL")]
    pub user_model: UserModelSettings,
    /// `SIGNED_COOKIE_LEGACY_SALT_FALLBACK` (5.2.15+, 6.0.6+, 6.1); unset: the release's
    /// default (true before 6.1).
    #[serde(
        rename = "SIGNED_COOKIE_LEGACY_SALT_FALLBACK",
        skip_serializing_if = "Option::is_none"
    )]
    pub signed_cookie_legacy_salt_fallback: Option<bool>,
    /// django-axes is installed and enabled: logins read its lockouts from its tables
    /// (`axes_accessattempt`). Off by default: axes is not part of Django.
    #[serde(rename = "AXES_ENABLED")]
    pub axes_enabled: bool,
    /// `AXES_FAILURE_LIMIT`.
    #[serde(rename = "AXES_FAILURE_LIMIT")]
    pub axes_failure_limit: u32,
    /// `AXES_LOCK_OUT_AT_FAILURE` (false: axes never locks anyone out).
    #[serde(rename = "AXES_LOCK_OUT_AT_FAILURE")]
    pub axes_lock_out_at_failure: bool,
    /// `AXES_COOLOFF_TIME`, in hours as axes reads a number (`0.25` is 15 minutes); unset:
    /// failures never expire.
    #[serde(rename = "AXES_COOLOFF_TIME", skip_serializing_if = "Option::is_none")]
    pub axes_cooloff_time: Option<f64>,
    /// `AXES_LOCKOUT_PARAMETERS`: `"username"`, `"ip_address"`, `"user_agent"`, or a list of
    /// them that must all match.
    #[serde(rename = "AXES_LOCKOUT_PARAMETERS")]
    pub axes_lockout_parameters: Vec<AxesParameters>,
    /// Django 3.2's `DEFAULT_HASHING_ALGORITHM` (`"sha1"` during the 3.1 → 3.2 upgrade:
    /// signatures, session data and auth hashes in sha1); ignored by other versions.
    #[serde(rename = "DEFAULT_HASHING_ALGORITHM")]
    pub default_hashing_algorithm: String,
    /// `AUTHENTICATION_BACKENDS`: a session's `_auth_user_backend` must be one of them.
    /// Users are looked up as `ModelBackend.get_user` does (by pk, active users only, except
    /// for the `AllowAllUsers…` backends).
    #[serde(rename = "AUTHENTICATION_BACKENDS")]
    pub authentication_backends: Vec<String>,
    /// `SESSION_ENGINE`: one of Django's built-in engines.
    #[serde(rename = "SESSION_ENGINE")]
    pub session_engine: String,
    /// The store class's `key_salt`, `"django.contrib.sessions." + __qualname__`: another
    /// class name when the project subclasses `SessionStore`.
    #[serde(rename = "SESSION_KEY_SALT")]
    pub session_key_salt: String,
    /// `SESSION_SERIALIZER`: JSON (pickled session data is refused, not misread).
    #[serde(rename = "SESSION_SERIALIZER")]
    pub session_serializer: String,
    /// `SESSION_COOKIE_NAME`.
    #[serde(rename = "SESSION_COOKIE_NAME")]
    pub session_cookie_name: String,
    /// `SESSION_COOKIE_AGE`, seconds.
    #[serde(rename = "SESSION_COOKIE_AGE")]
    pub session_cookie_age: i64,
    /// `SESSION_COOKIE_DOMAIN`.
    #[serde(
        rename = "SESSION_COOKIE_DOMAIN",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_cookie_domain: Option<String>,
    /// `SESSION_COOKIE_PATH`.
    #[serde(rename = "SESSION_COOKIE_PATH")]
    pub session_cookie_path: String,
    /// `SESSION_COOKIE_SECURE`.
    #[serde(rename = "SESSION_COOKIE_SECURE")]
    pub session_cookie_secure: bool,
    /// `SESSION_COOKIE_HTTPONLY`.
    #[serde(rename = "SESSION_COOKIE_HTTPONLY")]
    pub session_cookie_httponly: bool,
    /// `SESSION_COOKIE_SAMESITE`: `"Lax"`, `"Strict"`, `"None"`, or `""` for Django's `False`
    /// (no attribute).
    #[serde(rename = "SESSION_COOKIE_SAMESITE")]
    pub session_cookie_samesite: String,
    /// `SESSION_EXPIRE_AT_BROWSER_CLOSE`.
    #[serde(rename = "SESSION_EXPIRE_AT_BROWSER_CLOSE")]
    pub session_expire_at_browser_close: bool,
    /// `CACHES[SESSION_CACHE_ALIAS]` on Redis, for the `cache` and `cached_db` engines:
    /// `redis://host:port/db?key_prefix=…&version=…&client=django|django-redis`, more
    /// `LOCATION`s after commas.
    #[serde(rename = "SESSION_CACHE_URL", skip_serializing_if = "Option::is_none")]
    pub session_cache_url: Option<String>,
    /// A file holding the session cache's password, for every location of a
    /// `SESSION_CACHE_URL` without one.
    #[serde(
        rename = "SESSION_CACHE_PASSWORD_FILE",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_cache_password_file: Option<PathBuf>,
    /// `SESSION_FILE_PATH` (unset: the system's temporary directory, as Django).
    #[serde(rename = "SESSION_FILE_PATH", skip_serializing_if = "Option::is_none")]
    pub session_file_path: Option<PathBuf>,
    /// The authentication methods of `/auth`, in order, like DRF's
    /// `DEFAULT_AUTHENTICATION_CLASSES`: `tokenapi`, `session`, `drf-token`, `simplejwt`,
    /// `knox`.
    #[serde(rename = "AUTHENTICATION_METHODS")]
    pub authentication_methods: Vec<String>,
    /// `ALLOWED_HOSTS`: the hosts `request.get_host()` accepts (the CSRF checks of the
    /// `session` method compare the request's origin with it).
    #[serde(rename = "ALLOWED_HOSTS")]
    pub allowed_hosts: Vec<String>,
    /// `USE_X_FORWARDED_HOST`: the host is the proxy's `X-Forwarded-Host`.
    #[serde(rename = "USE_X_FORWARDED_HOST")]
    pub use_x_forwarded_host: bool,
    /// `USE_X_FORWARDED_PORT`: the port is the proxy's `X-Forwarded-Port`.
    #[serde(rename = "USE_X_FORWARDED_PORT")]
    pub use_x_forwarded_port: bool,
    /// `SECURE_PROXY_SSL_HEADER`: `["HTTP_X_FORWARDED_PROTO", "https"]` makes a request with
    /// that header and value secure.
    #[serde(
        rename = "SECURE_PROXY_SSL_HEADER",
        skip_serializing_if = "Option::is_none"
    )]
    pub secure_proxy_ssl_header: Option<(String, String)>,
    /// `CSRF_COOKIE_NAME`.
    #[serde(rename = "CSRF_COOKIE_NAME")]
    pub csrf_cookie_name: String,
    /// `CSRF_HEADER_NAME`, as Django names it (`HTTP_X_CSRFTOKEN`).
    #[serde(rename = "CSRF_HEADER_NAME")]
    pub csrf_header_name: String,
    /// `CSRF_TRUSTED_ORIGINS`.
    #[serde(rename = "CSRF_TRUSTED_ORIGINS")]
    pub csrf_trusted_origins: Vec<String>,
    /// `CSRF_COOKIE_DOMAIN`.
    #[serde(rename = "CSRF_COOKIE_DOMAIN", skip_serializing_if = "Option::is_none")]
    pub csrf_cookie_domain: Option<String>,
    /// `CSRF_USE_SESSIONS`: the CSRF secret lives in the session (`_csrftoken`).
    #[serde(rename = "CSRF_USE_SESSIONS")]
    pub csrf_use_sessions: bool,
    /// `CSRF_COOKIE_MASKED` (Django 4.1 and 4.2).
    #[serde(rename = "CSRF_COOKIE_MASKED")]
    pub csrf_cookie_masked: bool,
    /// `CSRF_COOKIE_AGE`, seconds, or `false` for Django's `None` (a cookie for the browser
    /// session).
    #[serde(
        rename = "CSRF_COOKIE_AGE",
        deserialize_with = "browser::seconds_or_false",
        serialize_with = "browser::seconds_or_false_text"
    )]
    pub csrf_cookie_age: Option<i64>,
    /// `CSRF_COOKIE_PATH`.
    #[serde(rename = "CSRF_COOKIE_PATH")]
    pub csrf_cookie_path: String,
    /// `CSRF_COOKIE_SECURE`.
    #[serde(rename = "CSRF_COOKIE_SECURE")]
    pub csrf_cookie_secure: bool,
    /// `CSRF_COOKIE_HTTPONLY`.
    #[serde(rename = "CSRF_COOKIE_HTTPONLY")]
    pub csrf_cookie_httponly: bool,
    /// `CSRF_COOKIE_SAMESITE`: `"Lax"`, `"Strict"`, `"None"`, or `""` for Django's `False`.
    #[serde(rename = "CSRF_COOKIE_SAMESITE")]
    pub csrf_cookie_samesite: String,
    /// `SIMPLE_JWT`: djangorestframework-simplejwt's settings, under its own names.
    #[serde(rename = "SIMPLE_JWT")]
    pub simple_jwt: SimpleJwtSettings,
    /// `REST_KNOX`: django-rest-knox's settings, under its own names.
    #[serde(rename = "REST_KNOX")]
    pub rest_knox: KnoxSettings,
    /// `REST_FRAMEWORK`: the Django REST framework settings djtoken's views follow.
    #[serde(rename = "REST_FRAMEWORK")]
    pub rest_framework: RestFrameworkSettings,
    /// `djtoken serve`'s own settings.
    pub serve: ServeSettings,
}

/// One entry of `AXES_LOCKOUT_PARAMETERS`: a parameter, or parameters that must all match.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AxesParameters {
    /// `"username"`.
    One(String),
    /// `["username", "ip_address"]`.
    All(Vec<String>),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            django_version: None,
            secret_key_file: None,
            secret_key_fallbacks_file: None,
            secret_key: None,
            secret_key_fallbacks: None,
            time_zone: "UTC".into(),
            use_tz: true,
            token_timeout_days: tokenapi::DEFAULT_TIMEOUT_DAYS,
            password_reset_timeout: reset::DEFAULT_TIMEOUT_SECONDS,
            password_hashers: Vec::new(),
            password_hasher_params: BTreeMap::new(),
            database_url: "sqlite:db.sqlite3".into(),
            database_password_file: None,
            query_timeout: 5.0,
            user_model: UserModelSettings::default(),
            signed_cookie_legacy_salt_fallback: None,
            axes_enabled: false,
            axes_failure_limit: 3,
            axes_lock_out_at_failure: true,
            axes_cooloff_time: None,
            axes_lockout_parameters: vec![AxesParameters::One("ip_address".into())],
            default_hashing_algorithm: "sha256".into(),
            authentication_backends: vec![crate::sessions::MODEL_BACKEND.into()],
            session_engine: crate::sessions::Engine::Db.path().into(),
            session_key_salt: crate::sessions::DEFAULT_SALT.into(),
            session_serializer: JSON_SERIALIZERS[0].into(),
            session_cookie_name: "sessionid".into(),
            session_cookie_age: 1_209_600,
            session_cookie_domain: None,
            session_cookie_path: "/".into(),
            session_cookie_secure: false,
            session_cookie_httponly: true,
            session_cookie_samesite: "Lax".into(),
            session_expire_at_browser_close: false,
            session_cache_url: None,
            session_cache_password_file: None,
            session_file_path: None,
            authentication_methods: vec!["tokenapi".into()],
            allowed_hosts: Vec::new(),
            use_x_forwarded_host: false,
            use_x_forwarded_port: false,
            secure_proxy_ssl_header: None,
            csrf_cookie_name: "csrftoken".into(),
            csrf_header_name: "HTTP_X_CSRFTOKEN".into(),
            csrf_trusted_origins: Vec::new(),
            csrf_cookie_domain: None,
            csrf_use_sessions: false,
            csrf_cookie_masked: false,
            csrf_cookie_age: Some(31_449_600),
            csrf_cookie_path: "/".into(),
            csrf_cookie_secure: false,
            csrf_cookie_httponly: false,
            csrf_cookie_samesite: "Lax".into(),
            simple_jwt: SimpleJwtSettings::default(),
            rest_knox: KnoxSettings::default(),
            rest_framework: RestFrameworkSettings::default(),
            serve: ServeSettings::default(),
        }
    }
}

/// A positive, finite number of seconds.
pub fn seconds(key: &'static str, value: f64) -> Result<Duration, SettingsError> {
    if value.is_finite() && value > 0.0 && value < 1e9 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(invalid(key, "must be a positive number of seconds"))
    }
}

impl Settings {
    /// Whether `AUTHENTICATION_METHODS` names `method` (`session`, `knox`…).
    pub fn uses_method(&self, method: &str) -> bool {
        self.authentication_methods
            .iter()
            .any(|m| m.trim() == method)
    }

    /// Check every value that can be checked without opening a file or a connection.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.authentication_methods.is_empty() {
            return Err(invalid(
                "AUTHENTICATION_METHODS",
                "name at least one authentication method",
            ));
        }
        if let Some((header, _)) = &self.secure_proxy_ssl_header
            && !header.starts_with("HTTP_")
        {
            return Err(invalid(
                "SECURE_PROXY_SSL_HEADER",
                format!(
                    "{header:?} is not a request header as Django names them (HTTP_X_FORWARDED_PROTO)"
                ),
            ));
        }
        #[cfg(feature = "store")]
        self.axes()?;
        // The session settings are checked where sessions are used (the session commands,
        // the session method): a project whose sessions djtoken cannot read (a locmem cache,
        // PickleSerializer) still runs djtoken for its tokens.
        if self.uses_method("session") {
            // The URL without its password: the file is read where the cache is opened.
            self.session_config_with(self.session_cache_url.clone())?;
            let prefix = self.serve.session_prefix();
            if prefix.starts_with("/auth/")
                || prefix == self.serve.prefix()
                || prefix.contains(['{', '}', '*'])
            {
                return Err(invalid(
                    "serve.session_prefix",
                    format!(
                        "{prefix:?} overlaps /auth or the tokenapi prefix, or is not a plain \
                         path: mount the session endpoints elsewhere (default /session/)"
                    ),
                ));
            }
        }
        let session_routes = self.serve.session_routes();
        let mut taken: Vec<&str> = Vec::new();
        for (view, path) in self.serve.api_paths() {
            let Some(path) = path else { continue };
            if !path.starts_with('/')
                || path.contains(['{', '}', '*'])
                || path == "/auth"
                || path.starts_with("/auth/")
                || ["/healthz", "/readyz", "/metrics"].contains(&path.as_str())
                || session_routes.contains(path)
                || taken.contains(&path.as_str())
            {
                return Err(invalid(
                    view.key(),
                    format!(
                        "{path:?}: a path of its own, starting with / (as {})",
                        view.example()
                    ),
                ));
            }
            taken.push(path);
        }
        let jwt_views = self.serve.serves(ApiPackage::SimpleJwt);
        let knox_views = self.serve.serves(ApiPackage::Knox);
        if knox_views || self.uses_method("knox") {
            self.rest_knox.config()?;
        }
        if jwt_views || self.uses_method("simplejwt") {
            // Its settings, here; its key (SECRET_KEY, or SIGNING_KEY_FILE's) where it signs
            // or checks: a command that does neither, `knox create` say, needs no key.
            let unused = SecretKey::new("");
            self.simple_jwt.config(unused, &self.user_model.pk_column)?;
        }
        self.time_zone()?;
        self.user_model()?;
        self.query_timeout()?;
        self.hashers()?;
        self.serve.validate()
    }
}
