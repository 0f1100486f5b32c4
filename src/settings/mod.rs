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
//! Each setting is declared once, in a `declare_settings!` block (`declare.rs`): its
//! documentation, key, field, type, default and, when the command line takes it, its flag and
//! environment variable; [`Settings::keys`] lists them for the CLI, `config show` and the
//! configuration reference.
//!
//! One file per subject: `core.rs` (the Django version, clock, hashers, tokenapi,
//! django-axes), `keys.rs` (the secrets and password files), `browser.rs` (sessions, CSRF,
//! hosts, cookies), `rest.rs` (`REST_FRAMEWORK`, `SIMPLE_JWT`, `REST_KNOX`), `user_model.rs`,
//! `serve.rs` (the `serve` table), `file.rs` (`djtoken.toml`) and `runtime.rs` (feature
//! `store`: the composition root). This module reads the key files it is pointed at and
//! nothing else; it starts no runtime and opens no connection (that is [`Settings::build`]).

mod browser;
mod core;
pub mod declare;
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

use declare::declare_settings;
pub use declare::{Flag, FlagGroup, FlagValue, Key};
#[cfg(feature = "toml")]
pub use file::ConfigFileError;
pub use keys::{split_keys, strip_newline};
pub use rest::{
    AudienceSetting, HeaderTypes, KnoxSettings, RestFrameworkSettings, SimpleJwtSettings,
};
pub use serve::{
    ApiPackage, ApiView, LOG_LEVELS, LogFormat, SESSION_ENDPOINTS, ServeSettings, normalize_prefix,
};
pub use user_model::{UserModelSettings, column_flag, column_or_none};

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

declare_settings! {
    /// Everything djtoken needs to speak for one Django project.
    #[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
    pub struct Settings {
        /// The Django version sharing the database, a series (`5.2`) or a release (`5.2.8`):
        /// its defaults apply (work factors, `PASSWORD_HASHERS`, schema), and a login rehashes
        /// what that version would rehash (which changes the user's tokens, as in Django). The
        /// patch level matters where Django changed a format within a series (signed cookies
        /// in 5.2.15 and 6.0.6). Unset: the latest version's defaults, and logins never
        /// rehash.
        #[serde(skip_serializing_if = "Option::is_none")]
        "DJANGO_VERSION" django_version: Option<DjangoRelease> = None
            => Version "--django-version" env "DJTOKEN_DJANGO_VERSION";
        /// A file holding `SECRET_KEY` (one trailing newline ignored); or
        /// `DJTOKEN_SECRET_KEY` holds the key itself. Never the key on the command line.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SECRET_KEY_FILE" secret_key_file: Option<PathBuf> = None
            => Secrets "--secret-key-file" env "DJTOKEN_SECRET_KEY_FILE" value "PATH";
        /// A file holding `SECRET_KEY_FALLBACKS`, one key per line; or
        /// `DJTOKEN_SECRET_KEY_FALLBACKS` holds the keys themselves.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SECRET_KEY_FALLBACKS_FILE" secret_key_fallbacks_file: Option<PathBuf> = None
            => Secrets "--secret-key-fallbacks-file" env "DJTOKEN_SECRET_KEY_FALLBACKS_FILE"
               value "PATH";
        /// `SECRET_KEY` itself, for callers that hold it (from the environment); never
        /// deserialised.
        #[serde(skip)]
        secret_key: Option<SecretKey> = None;
        /// `SECRET_KEY_FALLBACKS` themselves; never deserialised.
        #[serde(skip)]
        secret_key_fallbacks: Option<Vec<SecretKey>> = None;
        /// `TIME_ZONE` (an IANA name), where days and seconds are counted.
        "TIME_ZONE" time_zone: String = "UTC".into()
            => TimeZone "--time-zone" env "DJTOKEN_TIME_ZONE";
        /// `USE_TZ`. djtoken reads datetimes as the columns hold them (`timestamp with time
        /// zone` in UTC, or naive local time), so this records the project's choice for the
        /// session and token formats that print datetimes.
        "USE_TZ" use_tz: bool = true;
        /// tokenapi's `TOKEN_TIMEOUT_DAYS`.
        "TOKEN_TIMEOUT_DAYS" token_timeout_days: i64 = tokenapi::DEFAULT_TIMEOUT_DAYS
            => TokenTimeout "--token-timeout-days" env "DJTOKEN_TOKEN_TIMEOUT_DAYS"
               alias "timeout-days";
        /// `PASSWORD_RESET_TIMEOUT`, in seconds.
        "PASSWORD_RESET_TIMEOUT" password_reset_timeout: i64 = reset::DEFAULT_TIMEOUT_SECONDS
            => ResetTimeout "--reset-timeout-seconds" env "DJTOKEN_PASSWORD_RESET_TIMEOUT"
               alias "timeout-seconds";
        /// `PASSWORD_HASHERS`: class paths or algorithm names, comma-separated on the command
        /// line, preferred first (what logins rehash to, and what `--init-user` hashes with);
        /// empty: the Django version's list.
        "PASSWORD_HASHERS" password_hashers: Vec<String> = Vec::new()
            => Hashers "--password-hashers" env "DJTOKEN_PASSWORD_HASHERS";
        /// Work factors of the project's hasher classes that differ from the version's
        /// defaults, a table per algorithm: `iterations` for PBKDF2, `time_cost`,
        /// `memory_cost`, `parallelism` for Argon2, `rounds` for bcrypt, `work_factor`,
        /// `block_size`, `parallelism` for scrypt (`pbkdf2_sha256 = { iterations = 2000000 }`).
        "PASSWORD_HASHER_PARAMS" password_hasher_params: BTreeMap<String, HasherParams> =
            BTreeMap::new();
        /// The database, as `dj-database-url` writes it: `sqlite:PATH` (`sqlite:///relative`,
        /// `sqlite:////absolute`), `postgres://user:password@host:port/name` or
        /// `mysql://user:password@host:port/name`.
        "DATABASE_URL" database_url: String = "sqlite:db.sqlite3".into()
            => Store "--database" env "DJTOKEN_DATABASE";
        /// A file holding the database password (one trailing newline ignored), for a
        /// `DATABASE_URL` without one: no password need be in a URL, a settings file or the
        /// environment.
        #[serde(skip_serializing_if = "Option::is_none")]
        "DATABASE_PASSWORD_FILE" database_password_file: Option<PathBuf> = None
            => Store "--database-password-file" env "DJTOKEN_DATABASE_PASSWORD_FILE"
               value "PATH";
        /// Seconds one database call (or a connection) may take (then a 503).
        "QUERY_TIMEOUT" query_timeout: f64 = 5.0
            => Store "--query-timeout" env "DJTOKEN_QUERY_TIMEOUT";
        /// How `AUTH_USER_MODEL` maps onto its table.
        @table "USER_MODEL" user_model: UserModelSettings = UserModelSettings::default();
        /// `SIGNED_COOKIE_LEGACY_SALT_FALLBACK` (5.2.15+, 6.0.6+, 6.1); unset: the release's
        /// default (true before 6.1).
        #[serde(skip_serializing_if = "Option::is_none")]
        "SIGNED_COOKIE_LEGACY_SALT_FALLBACK" signed_cookie_legacy_salt_fallback: Option<bool> =
            None;
        /// django-axes is installed and enabled: logins read its lockouts from its tables
        /// (`axes_accessattempt`). Off by default: axes is not part of Django.
        "AXES_ENABLED" axes_enabled: bool = false;
        /// `AXES_FAILURE_LIMIT`.
        "AXES_FAILURE_LIMIT" axes_failure_limit: u32 = 3;
        /// `AXES_LOCK_OUT_AT_FAILURE` (false: axes never locks anyone out).
        "AXES_LOCK_OUT_AT_FAILURE" axes_lock_out_at_failure: bool = true;
        /// `AXES_COOLOFF_TIME`, in hours as axes reads a number (`0.25` is 15 minutes); unset:
        /// failures never expire.
        #[serde(skip_serializing_if = "Option::is_none")]
        "AXES_COOLOFF_TIME" axes_cooloff_time: Option<f64> = None;
        /// `AXES_LOCKOUT_PARAMETERS`: `"username"`, `"ip_address"`, `"user_agent"`, or a list
        /// of them that must all match.
        "AXES_LOCKOUT_PARAMETERS" axes_lockout_parameters: Vec<AxesParameters> =
            vec![AxesParameters::One("ip_address".into())];
        /// Django 3.2's `DEFAULT_HASHING_ALGORITHM` (`"sha1"` during the 3.1 → 3.2 upgrade:
        /// signatures, session data and auth hashes in sha1); ignored by other versions.
        "DEFAULT_HASHING_ALGORITHM" default_hashing_algorithm: String = "sha256".into();
        /// `AUTHENTICATION_BACKENDS`: a session's `_auth_user_backend` must be one of them.
        /// Users are looked up as `ModelBackend.get_user` does (by pk, active users only,
        /// except for the `AllowAllUsers…` backends).
        "AUTHENTICATION_BACKENDS" authentication_backends: Vec<String> =
            vec![crate::sessions::MODEL_BACKEND.into()];
        /// `SESSION_ENGINE`: one of Django's built-in engines (`….db`, `cache`, `cached_db`,
        /// `file`, `signed_cookies`).
        "SESSION_ENGINE" session_engine: String = crate::sessions::Engine::Db.path().into()
            => Sessions "--session-engine" env "DJTOKEN_SESSION_ENGINE";
        /// The store class's `key_salt`, `"django.contrib.sessions." + __qualname__`: another
        /// class name when the project subclasses `SessionStore`.
        "SESSION_KEY_SALT" session_key_salt: String = crate::sessions::DEFAULT_SALT.into();
        /// `SESSION_SERIALIZER`: JSON (pickled session data is refused, not misread).
        "SESSION_SERIALIZER" session_serializer: String = JSON_SERIALIZERS[0].into();
        /// `SESSION_COOKIE_NAME`.
        "SESSION_COOKIE_NAME" session_cookie_name: String = "sessionid".into();
        /// `SESSION_COOKIE_AGE`, seconds.
        "SESSION_COOKIE_AGE" session_cookie_age: i64 = 1_209_600;
        /// `SESSION_COOKIE_DOMAIN`.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SESSION_COOKIE_DOMAIN" session_cookie_domain: Option<String> = None;
        /// `SESSION_COOKIE_PATH`.
        "SESSION_COOKIE_PATH" session_cookie_path: String = "/".into();
        /// `SESSION_COOKIE_SECURE`.
        "SESSION_COOKIE_SECURE" session_cookie_secure: bool = false;
        /// `SESSION_COOKIE_HTTPONLY`.
        "SESSION_COOKIE_HTTPONLY" session_cookie_httponly: bool = true;
        /// `SESSION_COOKIE_SAMESITE`: `"Lax"`, `"Strict"`, `"None"`, or `""` for Django's
        /// `False` (no attribute).
        "SESSION_COOKIE_SAMESITE" session_cookie_samesite: String = "Lax".into();
        /// `SESSION_EXPIRE_AT_BROWSER_CLOSE`.
        "SESSION_EXPIRE_AT_BROWSER_CLOSE" session_expire_at_browser_close: bool = false;
        /// The session cache of the `cache` and `cached_db` engines, `CACHES[SESSION_CACHE_ALIAS]`
        /// on Redis: `redis://host:port/db?key_prefix=…&version=…&client=django|django-redis`,
        /// more `LOCATION`s after commas.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SESSION_CACHE_URL" session_cache_url: Option<String> = None
            => Sessions "--session-cache-url" env "DJTOKEN_SESSION_CACHE_URL";
        /// A file holding the session cache's password (one trailing newline ignored), for
        /// every location of a `SESSION_CACHE_URL` without one.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SESSION_CACHE_PASSWORD_FILE" session_cache_password_file: Option<PathBuf> = None
            => Sessions "--session-cache-password-file" env "DJTOKEN_SESSION_CACHE_PASSWORD_FILE"
               value "PATH";
        /// `SESSION_FILE_PATH` of the `file` engine; unset: the system's temporary directory,
        /// as Django.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SESSION_FILE_PATH" session_file_path: Option<PathBuf> = None
            => Sessions "--session-file-path" env "DJTOKEN_SESSION_FILE_PATH" value "DIR";
        /// The authentication methods of `/auth`, in order (comma-separated on the command
        /// line), like DRF's `DEFAULT_AUTHENTICATION_CLASSES`: `tokenapi`, `session`,
        /// `drf-token`, `simplejwt`, `knox`; the first that finds its kind of credentials
        /// decides.
        "AUTHENTICATION_METHODS" authentication_methods: Vec<String> = vec!["tokenapi".into()]
            => Serve "--authentication" env "DJTOKEN_AUTHENTICATION";
        /// `ALLOWED_HOSTS`: the hosts `request.get_host()` accepts (the CSRF checks of the
        /// `session` method compare the request's origin with it).
        "ALLOWED_HOSTS" allowed_hosts: Vec<String> = Vec::new();
        /// `USE_X_FORWARDED_HOST`: the host is the proxy's `X-Forwarded-Host`.
        "USE_X_FORWARDED_HOST" use_x_forwarded_host: bool = false;
        /// `USE_X_FORWARDED_PORT`: the port is the proxy's `X-Forwarded-Port`.
        "USE_X_FORWARDED_PORT" use_x_forwarded_port: bool = false;
        /// `SECURE_PROXY_SSL_HEADER`: `["HTTP_X_FORWARDED_PROTO", "https"]` makes a request
        /// with that header and value secure.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SECURE_PROXY_SSL_HEADER" secure_proxy_ssl_header: Option<(String, String)> = None;
        /// `CSRF_COOKIE_NAME`.
        "CSRF_COOKIE_NAME" csrf_cookie_name: String = "csrftoken".into();
        /// `CSRF_HEADER_NAME`, as Django names it (`HTTP_X_CSRFTOKEN`).
        "CSRF_HEADER_NAME" csrf_header_name: String = "HTTP_X_CSRFTOKEN".into();
        /// `CSRF_TRUSTED_ORIGINS`.
        "CSRF_TRUSTED_ORIGINS" csrf_trusted_origins: Vec<String> = Vec::new();
        /// `CSRF_COOKIE_DOMAIN`.
        #[serde(skip_serializing_if = "Option::is_none")]
        "CSRF_COOKIE_DOMAIN" csrf_cookie_domain: Option<String> = None;
        /// `CSRF_USE_SESSIONS`: the CSRF secret lives in the session (`_csrftoken`).
        "CSRF_USE_SESSIONS" csrf_use_sessions: bool = false;
        /// `CSRF_COOKIE_MASKED` (Django 4.1 and 4.2).
        "CSRF_COOKIE_MASKED" csrf_cookie_masked: bool = false;
        /// `CSRF_COOKIE_AGE`, seconds, or `false` for Django's `None` (a cookie for the
        /// browser session).
        #[serde(
            deserialize_with = "browser::seconds_or_false",
            serialize_with = "browser::seconds_or_false_text"
        )]
        "CSRF_COOKIE_AGE" csrf_cookie_age: Option<i64> = Some(31_449_600);
        /// `CSRF_COOKIE_PATH`.
        "CSRF_COOKIE_PATH" csrf_cookie_path: String = "/".into();
        /// `CSRF_COOKIE_SECURE`.
        "CSRF_COOKIE_SECURE" csrf_cookie_secure: bool = false;
        /// `CSRF_COOKIE_HTTPONLY`.
        "CSRF_COOKIE_HTTPONLY" csrf_cookie_httponly: bool = false;
        /// `CSRF_COOKIE_SAMESITE`: `"Lax"`, `"Strict"`, `"None"`, or `""` for Django's
        /// `False`.
        "CSRF_COOKIE_SAMESITE" csrf_cookie_samesite: String = "Lax".into();
        /// `SIMPLE_JWT`: djangorestframework-simplejwt's settings, under its own names.
        @table "SIMPLE_JWT" simple_jwt: SimpleJwtSettings = SimpleJwtSettings::default();
        /// `REST_KNOX`: django-rest-knox's settings, under its own names.
        @table "REST_KNOX" rest_knox: KnoxSettings = KnoxSettings::default();
        /// `REST_FRAMEWORK`: the Django REST framework settings djtoken's views follow.
        @table "REST_FRAMEWORK" rest_framework: RestFrameworkSettings =
            RestFrameworkSettings::default();
        /// `djtoken serve`'s own settings.
        @table "serve" serve: ServeSettings = ServeSettings::default();
    }
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

impl Settings {
    /// Every key of `djtoken.toml`, in the order `config show` prints them, with its
    /// documentation and its flag: what the command line's flags, `config show` and the
    /// configuration reference are made from.
    pub fn keys() -> Vec<Key> {
        let mut keys = Vec::new();
        declare::flatten(Settings::declared(), "", &mut keys);
        keys
    }

    /// Set the key `name` (`TIME_ZONE`, `USER_MODEL.TABLE`, `serve.bind`) from the text of its
    /// flag or environment variable; an error says what is wrong with the text, or that the
    /// key takes no flag.
    pub fn set_flag(&mut self, name: &str, text: &str) -> Result<(), String> {
        self.set_declared(name, text)
            .unwrap_or_else(|| Err(format!("{name} is not a setting with a flag")))
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
