//! djtoken's settings: one typed struct with Django's setting names, its defaults and its
//! validation, from which everything else is built.
//!
//! Like Django's `global_settings.py`, every setting has one name, one default and one place
//! that checks it. A front end (the command line, a configuration file, a Python caller)
//! starts from [`Settings::default`], layers its values on top, and asks the settings for
//! what it needs: [`Settings::hashers`], [`Settings::secret_keys`],
//! [`Settings::tokenapi_generator`], and with the `store` feature
//! [`Settings::authenticator`]. Nothing below re-reads the environment or a flag.
//!
//! The struct deserialises with serde under Django's names (`SECRET_KEY_FILE`, `TIME_ZONE`,
//! `PASSWORD_HASHERS`…; the server's own settings in a `serve` table), refusing unknown keys.
//! Secret values never come from that text: it names files that hold them, and
//! [`Settings::secret_key`] is filled only by code (from the environment, say).
//!
//! This module reads the key files it is pointed at and nothing else; it starts no runtime
//! and opens no connection (that is [`Settings::authenticator`], feature `store`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::TokenapiTokenGenerator;
use crate::clock::{Clock, TimeZone, parse_time_zone};
use crate::crypto::{SecretKey, SecretKeys};
use crate::hashers::{HasherParams, HasherSettings, Hashers, resolve};
use crate::tokens::{reset, tokenapi};
use crate::user::{InvalidIdentifier, PkKind, UserModel};
use crate::version::{DjangoRelease, DjangoVersion};

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
    /// new hashes use [`DjangoVersion::LATEST`]'s defaults.
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
        deserialize_with = "seconds_or_false",
        serialize_with = "seconds_or_false_text"
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

/// `SESSION_SERIALIZER`s that write JSON.
const JSON_SERIALIZERS: [&str; 2] = [
    "django.contrib.sessions.serializers.JSONSerializer",
    "django.core.signing.JSONSerializer",
];

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

/// The user model's table and columns; `none` for an optional column the model lacks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct UserModelSettings {
    /// `db_table` (`schema.table` allowed).
    #[serde(rename = "TABLE")]
    pub table: String,
    /// The primary-key column.
    #[serde(rename = "PK_COLUMN")]
    pub pk_column: String,
    /// `integer`, `biginteger`, `uuid` or `string`.
    #[serde(
        rename = "PK_TYPE",
        deserialize_with = "from_text",
        serialize_with = "pk_kind_text"
    )]
    pub pk_type: PkKind,
    /// `USERNAME_FIELD`'s column.
    #[serde(rename = "USERNAME_FIELD")]
    pub username_field: String,
    /// `EMAIL_FIELD`'s column, or `none`.
    #[serde(
        rename = "EMAIL_FIELD",
        deserialize_with = "optional_column",
        serialize_with = "column_text"
    )]
    pub email_field: Option<String>,
    /// The password column.
    #[serde(rename = "PASSWORD_COLUMN")]
    pub password_column: String,
    /// The `last_login` column, or `none`.
    #[serde(
        rename = "LAST_LOGIN_COLUMN",
        deserialize_with = "optional_column",
        serialize_with = "column_text"
    )]
    pub last_login_column: Option<String>,
    /// The `is_active` column, or `none` (every user active).
    #[serde(
        rename = "IS_ACTIVE_COLUMN",
        deserialize_with = "optional_column",
        serialize_with = "column_text"
    )]
    pub is_active_column: Option<String>,
}

impl Default for UserModelSettings {
    fn default() -> Self {
        let model = UserModel::default();
        UserModelSettings {
            table: model.table,
            pk_column: model.pk_column,
            pk_type: model.pk_kind,
            username_field: model.username_field,
            email_field: model.email_field,
            password_column: model.password_column,
            last_login_column: model.last_login_column,
            is_active_column: model.is_active_column,
        }
    }
}

/// `none` (any case) or empty: the model has no such column.
pub fn column_or_none(text: &str) -> Option<String> {
    (!text.eq_ignore_ascii_case("none") && !text.is_empty()).then(|| text.to_owned())
}

fn optional_column<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(column_or_none(&String::deserialize(d)?))
}

fn column_text<S: Serializer>(column: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(column.as_deref().unwrap_or("none"))
}

fn pk_kind_text<S: Serializer>(kind: &PkKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

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
fn seconds_or_false<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
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

fn seconds_or_false_text<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => s.serialize_i64(*n),
        None => s.serialize_bool(false),
    }
}

fn from_text<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

/// `AUDIENCE`: one audience or a list.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AudienceSetting {
    /// A string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

/// `AUTH_HEADER_TYPES`: one type or a list (simplejwt takes both).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum HeaderTypes {
    /// A string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

/// djangorestframework-simplejwt's `SIMPLE_JWT`, with its names and defaults; durations in
/// seconds. `SIGNING_KEY` is never written in the file: `SIGNING_KEY_FILE` names a file
/// holding it, and without one the key is `SECRET_KEY` (never a fallback), as simplejwt's
/// default. `VERSION` (the simplejwt release) and `BLACKLIST_APP` (whether
/// `rest_framework_simplejwt.token_blacklist` is installed) are djtoken's: the project's
/// `djtoken_config` command writes them.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SimpleJwtSettings {
    /// The simplejwt release: `5.3`, `5.4`, `5.5.0`, `5.5.1`.
    #[serde(rename = "VERSION")]
    pub version: String,
    /// `rest_framework_simplejwt.token_blacklist` is in `INSTALLED_APPS`.
    #[serde(rename = "BLACKLIST_APP")]
    pub blacklist_app: bool,
    /// `ALGORITHM`: `HS256`, `HS384` or `HS512`.
    #[serde(rename = "ALGORITHM")]
    pub algorithm: String,
    /// A file holding `SIGNING_KEY` when it is not `SECRET_KEY`.
    #[serde(rename = "SIGNING_KEY_FILE", skip_serializing_if = "Option::is_none")]
    pub signing_key_file: Option<PathBuf>,
    /// `AUDIENCE`.
    #[serde(rename = "AUDIENCE", skip_serializing_if = "Option::is_none")]
    pub audience: Option<AudienceSetting>,
    /// `ISSUER`.
    #[serde(rename = "ISSUER", skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `LEEWAY`, seconds.
    #[serde(rename = "LEEWAY")]
    pub leeway: f64,
    /// `ACCESS_TOKEN_LIFETIME`, seconds.
    #[serde(rename = "ACCESS_TOKEN_LIFETIME")]
    pub access_token_lifetime: f64,
    /// `REFRESH_TOKEN_LIFETIME`, seconds.
    #[serde(rename = "REFRESH_TOKEN_LIFETIME")]
    pub refresh_token_lifetime: f64,
    /// `SLIDING_TOKEN_LIFETIME`, seconds.
    #[serde(rename = "SLIDING_TOKEN_LIFETIME")]
    pub sliding_token_lifetime: f64,
    /// `SLIDING_TOKEN_REFRESH_LIFETIME`, seconds.
    #[serde(rename = "SLIDING_TOKEN_REFRESH_LIFETIME")]
    pub sliding_token_refresh_lifetime: f64,
    /// `ROTATE_REFRESH_TOKENS`.
    #[serde(rename = "ROTATE_REFRESH_TOKENS")]
    pub rotate_refresh_tokens: bool,
    /// `BLACKLIST_AFTER_ROTATION`.
    #[serde(rename = "BLACKLIST_AFTER_ROTATION")]
    pub blacklist_after_rotation: bool,
    /// `UPDATE_LAST_LOGIN`.
    #[serde(rename = "UPDATE_LAST_LOGIN")]
    pub update_last_login: bool,
    /// `AUTH_HEADER_TYPES`.
    #[serde(rename = "AUTH_HEADER_TYPES")]
    pub auth_header_types: HeaderTypes,
    /// `AUTH_HEADER_NAME`, as Django names it (`HTTP_AUTHORIZATION`).
    #[serde(rename = "AUTH_HEADER_NAME")]
    pub auth_header_name: String,
    /// `USER_ID_FIELD`: the pk (`id`, or the pk column's name).
    #[serde(rename = "USER_ID_FIELD")]
    pub user_id_field: String,
    /// `USER_ID_CLAIM`.
    #[serde(rename = "USER_ID_CLAIM")]
    pub user_id_claim: String,
    /// `TOKEN_TYPE_CLAIM`.
    #[serde(rename = "TOKEN_TYPE_CLAIM")]
    pub token_type_claim: String,
    /// `JTI_CLAIM`.
    #[serde(rename = "JTI_CLAIM")]
    pub jti_claim: String,
    /// `SLIDING_TOKEN_REFRESH_EXP_CLAIM`.
    #[serde(rename = "SLIDING_TOKEN_REFRESH_EXP_CLAIM")]
    pub sliding_token_refresh_exp_claim: String,
    /// `CHECK_REVOKE_TOKEN`.
    #[serde(rename = "CHECK_REVOKE_TOKEN")]
    pub check_revoke_token: bool,
    /// `REVOKE_TOKEN_CLAIM`.
    #[serde(rename = "REVOKE_TOKEN_CLAIM")]
    pub revoke_token_claim: String,
    /// `CHECK_USER_IS_ACTIVE` (simplejwt 5.4+).
    #[serde(rename = "CHECK_USER_IS_ACTIVE")]
    pub check_user_is_active: bool,
    /// `AUTH_TOKEN_CLASSES`: `rest_framework_simplejwt.tokens.AccessToken` and/or
    /// `…SlidingToken`.
    #[serde(rename = "AUTH_TOKEN_CLASSES")]
    pub auth_token_classes: Vec<String>,
}

impl Default for SimpleJwtSettings {
    fn default() -> Self {
        SimpleJwtSettings {
            version: "5.5.1".into(),
            blacklist_app: false,
            algorithm: "HS256".into(),
            signing_key_file: None,
            audience: None,
            issuer: None,
            leeway: 0.0,
            access_token_lifetime: 300.0,
            refresh_token_lifetime: 86400.0,
            sliding_token_lifetime: 300.0,
            sliding_token_refresh_lifetime: 86400.0,
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            update_last_login: false,
            auth_header_types: HeaderTypes::Many(vec!["Bearer".into()]),
            auth_header_name: "HTTP_AUTHORIZATION".into(),
            user_id_field: "id".into(),
            user_id_claim: "user_id".into(),
            token_type_claim: "token_type".into(),
            jti_claim: "jti".into(),
            sliding_token_refresh_exp_claim: "refresh_exp".into(),
            check_revoke_token: false,
            revoke_token_claim: "hash_password".into(),
            check_user_is_active: true,
            auth_token_classes: vec![crate::simplejwt::TokenType::Access.class_path()],
        }
    }
}

impl SimpleJwtSettings {
    /// The resolved configuration, signing with `signing_key` (the file's, else
    /// `SECRET_KEY`), for a user table whose pk column is `pk_column`.
    pub fn config(
        &self,
        signing_key: SecretKey,
        pk_column: &str,
    ) -> Result<crate::simplejwt::Config, SettingsError> {
        use crate::simplejwt::{Audience, Config, TokenType, Version, jws::HmacAlgorithm};
        let version = Version::parse(&self.version).ok_or_else(|| {
            invalid(
                "SIMPLE_JWT.VERSION",
                format!(
                    "{:?} is not a simplejwt release djtoken follows (5.3, 5.4, 5.5.0, 5.5.1)",
                    self.version
                ),
            )
        })?;
        let mut config = Config::new(version, signing_key);
        config.algorithm = HmacAlgorithm::from_name(&self.algorithm).ok_or_else(|| {
            invalid(
                "SIMPLE_JWT.ALGORITHM",
                format!(
                    "{:?}: djtoken signs with HS256, HS384 or HS512 (a shared key)",
                    self.algorithm
                ),
            )
        })?;
        config.audience = self.audience.clone().map(|a| match a {
            AudienceSetting::One(one) => Audience::One(one),
            AudienceSetting::Many(many) => Audience::Many(many),
        });
        config.issuer = self.issuer.clone();
        if !self.leeway.is_finite() {
            return Err(invalid("SIMPLE_JWT.LEEWAY", "must be a number of seconds"));
        }
        config.leeway = self.leeway;
        let micros = |name: &'static str, seconds: f64| {
            if seconds.is_finite() && seconds.abs() < 1e12 {
                Ok((seconds * 1e6).round() as i64)
            } else {
                Err(invalid(name, "must be a number of seconds"))
            }
        };
        config.access_lifetime = micros(
            "SIMPLE_JWT.ACCESS_TOKEN_LIFETIME",
            self.access_token_lifetime,
        )?;
        config.refresh_lifetime = micros(
            "SIMPLE_JWT.REFRESH_TOKEN_LIFETIME",
            self.refresh_token_lifetime,
        )?;
        config.sliding_lifetime = micros(
            "SIMPLE_JWT.SLIDING_TOKEN_LIFETIME",
            self.sliding_token_lifetime,
        )?;
        config.sliding_refresh_lifetime = micros(
            "SIMPLE_JWT.SLIDING_TOKEN_REFRESH_LIFETIME",
            self.sliding_token_refresh_lifetime,
        )?;
        config.rotate_refresh_tokens = self.rotate_refresh_tokens;
        config.blacklist_after_rotation = self.blacklist_after_rotation;
        config.update_last_login = self.update_last_login;
        config.auth_header_types = match &self.auth_header_types {
            HeaderTypes::One(one) => vec![one.clone()],
            HeaderTypes::Many(many) => many.clone(),
        };
        if config.auth_header_types.is_empty() {
            return Err(invalid(
                "SIMPLE_JWT.AUTH_HEADER_TYPES",
                "needs at least one type",
            ));
        }
        config.auth_header_name =
            crate::hosts::meta_header(&self.auth_header_name).ok_or_else(|| {
                invalid(
                    "SIMPLE_JWT.AUTH_HEADER_NAME",
                    format!(
                        "{:?} is not a request header's META name (HTTP_…)",
                        self.auth_header_name
                    ),
                )
            })?;
        if !["id", "pk", pk_column].contains(&self.user_id_field.as_str()) {
            return Err(invalid(
                "SIMPLE_JWT.USER_ID_FIELD",
                format!(
                    "{:?}: djtoken finds a token's user by primary key ({pk_column:?})",
                    self.user_id_field
                ),
            ));
        }
        for (name, value) in [
            ("SIMPLE_JWT.USER_ID_CLAIM", &self.user_id_claim),
            ("SIMPLE_JWT.TOKEN_TYPE_CLAIM", &self.token_type_claim),
            ("SIMPLE_JWT.JTI_CLAIM", &self.jti_claim),
            (
                "SIMPLE_JWT.SLIDING_TOKEN_REFRESH_EXP_CLAIM",
                &self.sliding_token_refresh_exp_claim,
            ),
            ("SIMPLE_JWT.REVOKE_TOKEN_CLAIM", &self.revoke_token_claim),
        ] {
            if value.is_empty() {
                return Err(invalid(name, "must name a claim"));
            }
        }
        config.user_id_claim = self.user_id_claim.clone();
        config.token_type_claim = self.token_type_claim.clone();
        config.jti_claim = self.jti_claim.clone();
        config.sliding_refresh_exp_claim = self.sliding_token_refresh_exp_claim.clone();
        config.check_revoke_token = self.check_revoke_token;
        config.revoke_token_claim = self.revoke_token_claim.clone();
        config.check_user_is_active = self.check_user_is_active;
        config.auth_token_classes = self
            .auth_token_classes
            .iter()
            .map(|path| {
                TokenType::from_class_path(path).ok_or_else(|| {
                    invalid(
                        "SIMPLE_JWT.AUTH_TOKEN_CLASSES",
                        format!("{path:?}: djtoken knows AccessToken and SlidingToken"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        if config.auth_token_classes.is_empty() {
            return Err(invalid(
                "SIMPLE_JWT.AUTH_TOKEN_CLASSES",
                "needs at least one class",
            ));
        }
        config.blacklist_app = self.blacklist_app;
        Ok(config)
    }
}

/// django-rest-knox's `REST_KNOX`, with its names and defaults; durations in seconds
/// (`TOKEN_TTL = false` for tokens that never expire). `VERSION` (the knox release) is
/// djtoken's: the project's `djtoken_config` command writes it. `SECURE_HASH_ALGORITHM` must
/// be `hashlib.sha512` and `EXPIRY_DATETIME_FORMAT` `iso-8601` (knox's and DRF's defaults).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KnoxSettings {
    /// The knox release: `5.0` or `5.1`.
    #[serde(rename = "VERSION")]
    pub version: String,
    /// `SECURE_HASH_ALGORITHM`.
    #[serde(rename = "SECURE_HASH_ALGORITHM")]
    pub secure_hash_algorithm: String,
    /// `AUTH_TOKEN_CHARACTER_LENGTH`.
    #[serde(rename = "AUTH_TOKEN_CHARACTER_LENGTH")]
    pub auth_token_character_length: usize,
    /// `TOKEN_TTL`, seconds, or `false` for `None`.
    #[serde(
        rename = "TOKEN_TTL",
        deserialize_with = "seconds_or_false",
        serialize_with = "seconds_or_false_text"
    )]
    pub token_ttl: Option<i64>,
    /// `TOKEN_LIMIT_PER_USER`.
    #[serde(
        rename = "TOKEN_LIMIT_PER_USER",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_limit_per_user: Option<u64>,
    /// `AUTO_REFRESH`.
    #[serde(rename = "AUTO_REFRESH")]
    pub auto_refresh: bool,
    /// `AUTO_REFRESH_MAX_TTL`, seconds (knox 5.1).
    #[serde(
        rename = "AUTO_REFRESH_MAX_TTL",
        skip_serializing_if = "Option::is_none"
    )]
    pub auto_refresh_max_ttl: Option<i64>,
    /// `MIN_REFRESH_INTERVAL`, seconds.
    #[serde(rename = "MIN_REFRESH_INTERVAL")]
    pub min_refresh_interval: f64,
    /// `AUTH_HEADER_PREFIX`.
    #[serde(rename = "AUTH_HEADER_PREFIX")]
    pub auth_header_prefix: String,
    /// `EXPIRY_DATETIME_FORMAT`.
    #[serde(rename = "EXPIRY_DATETIME_FORMAT")]
    pub expiry_datetime_format: String,
    /// `TOKEN_PREFIX`.
    #[serde(rename = "TOKEN_PREFIX")]
    pub token_prefix: String,
}

impl Default for KnoxSettings {
    fn default() -> Self {
        KnoxSettings {
            version: "5.1".into(),
            secure_hash_algorithm: "hashlib.sha512".into(),
            auth_token_character_length: 64,
            token_ttl: Some(36000),
            token_limit_per_user: None,
            auto_refresh: false,
            auto_refresh_max_ttl: None,
            min_refresh_interval: 60.0,
            auth_header_prefix: "Token".into(),
            expiry_datetime_format: "iso-8601".into(),
            token_prefix: String::new(),
        }
    }
}

impl KnoxSettings {
    /// The resolved configuration.
    pub fn config(&self) -> Result<crate::knox::Config, SettingsError> {
        use crate::knox::{Config, MAXIMUM_TOKEN_PREFIX_LENGTH, Version};
        let version = Version::parse(&self.version).ok_or_else(|| {
            invalid(
                "REST_KNOX.VERSION",
                format!(
                    "{:?} is not a knox release djtoken follows (5.0, 5.1)",
                    self.version
                ),
            )
        })?;
        if self.secure_hash_algorithm != "hashlib.sha512" {
            return Err(invalid(
                "REST_KNOX.SECURE_HASH_ALGORITHM",
                "djtoken hashes knox tokens with hashlib.sha512, knox's default",
            ));
        }
        if !self.expiry_datetime_format.eq_ignore_ascii_case("iso-8601") {
            return Err(invalid(
                "REST_KNOX.EXPIRY_DATETIME_FORMAT",
                "djtoken writes the login view's expiry as DRF's iso-8601",
            ));
        }
        let length = self.auth_token_character_length;
        if length == 0 || !length.is_multiple_of(2) || length > 256 {
            return Err(invalid(
                "REST_KNOX.AUTH_TOKEN_CHARACTER_LENGTH",
                "an even number of hex characters, up to 256",
            ));
        }
        if self.token_prefix.chars().count() > MAXIMUM_TOKEN_PREFIX_LENGTH {
            return Err(invalid(
                "REST_KNOX.TOKEN_PREFIX",
                format!("at most {MAXIMUM_TOKEN_PREFIX_LENGTH} characters (token_key holds 25)"),
            ));
        }
        if self.auth_header_prefix.is_empty()
            || self.auth_header_prefix.contains(char::is_whitespace)
        {
            return Err(invalid("REST_KNOX.AUTH_HEADER_PREFIX", "one word"));
        }
        if !self.min_refresh_interval.is_finite() {
            return Err(invalid(
                "REST_KNOX.MIN_REFRESH_INTERVAL",
                "a number of seconds",
            ));
        }
        let micros = |seconds: i64| seconds.saturating_mul(1_000_000);
        Ok(Config {
            version,
            token_character_length: length,
            token_ttl: self.token_ttl.map(micros),
            token_limit_per_user: self.token_limit_per_user,
            auto_refresh: self.auto_refresh,
            auto_refresh_max_ttl: self.auto_refresh_max_ttl.map(micros),
            min_refresh_interval: self.min_refresh_interval,
            auth_header_prefix: self.auth_header_prefix.clone(),
            token_prefix: self.token_prefix.clone(),
        })
    }
}

/// Django REST framework's `REST_FRAMEWORK`, as far as djtoken's views follow it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RestFrameworkSettings {
    /// `DEFAULT_AUTHENTICATION_CLASSES`: knox's `LoginView` authenticates with them (djtoken
    /// takes `BasicAuthentication`'s credentials), and the first decides whether a refusal
    /// is a 401 with its challenge or, for `SessionAuthentication`, a 403.
    #[serde(rename = "DEFAULT_AUTHENTICATION_CLASSES")]
    pub default_authentication_classes: Vec<String>,
}

impl Default for RestFrameworkSettings {
    fn default() -> Self {
        RestFrameworkSettings {
            default_authentication_classes: vec![
                "rest_framework.authentication.SessionAuthentication".into(),
                "rest_framework.authentication.BasicAuthentication".into(),
            ],
        }
    }
}

/// How `djtoken serve` logs.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The log levels, least verbose first.
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// `djtoken serve`: where it listens and how it protects itself.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServeSettings {
    /// Address to listen on (port 0: any free port, logged at start-up).
    pub bind: SocketAddr,
    /// Where `tokenapi.urls` is mounted.
    pub prefix: String,
    /// Where the session endpoints (`csrf/`, `login/`, `logout/`, `whoami/`) are mounted,
    /// when the `session` method is configured.
    pub session_prefix: String,
    /// The path of Django REST framework's `obtain_auth_token` view, as the project's
    /// `urls.py` mounts it (`/api-token-auth/`); unset: not served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drf_obtain_token_path: Option<String>,
    /// The paths of simplejwt's `TokenObtainPairView`, `TokenRefreshView`,
    /// `TokenVerifyView` and `TokenBlacklistView`, as the project mounts them
    /// (`/api/token/`, `/api/token/refresh/`, …); each unset: not served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_obtain_path: Option<String>,
    /// See [`ServeSettings::jwt_obtain_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_refresh_path: Option<String>,
    /// See [`ServeSettings::jwt_obtain_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_verify_path: Option<String>,
    /// See [`ServeSettings::jwt_obtain_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_blacklist_path: Option<String>,
    /// The paths of knox's `LoginView`, `LogoutView` and `LogoutAllView`, as the project
    /// mounts them (`/api/auth/login/`, `/api/auth/logout/`, `/api/auth/logoutall/`); each
    /// unset: not served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knox_login_path: Option<String>,
    /// See [`ServeSettings::knox_login_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knox_logout_path: Option<String>,
    /// See [`ServeSettings::knox_login_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knox_logoutall_path: Option<String>,
    /// The one request header `/auth` trusts for the original URI (`X-Original-URI` behind
    /// nginx, `X-Forwarded-Uri` behind Traefik and Caddy); every other is ignored, and with
    /// none only `/auth`'s own query string is read (Envoy). A client can send any header the
    /// proxy passes through, so trusting whichever is present would let it choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_uri_header: Option<String>,
    /// The one request header `/auth` trusts for the original method (`X-Original-Method` as
    /// the nginx recipe sets it, `X-Forwarded-Method` behind Traefik and Caddy); a value that
    /// is missing or not a method counts as an unsafe method, so the session method's CSRF
    /// check applies. With none, `/auth`'s own method is the original (Envoy), unless the
    /// request carries `X-Original-Method` or `X-Forwarded-Method`: a proxy nobody named is in
    /// front, and the method counts as unsafe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_method_header: Option<String>,
    /// PostgreSQL reading connections (plus one for writes) / SQLite handles kept open;
    /// `None`: one per core / 16.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<usize>,
    /// PostgreSQL: keep users read by pk while the user table's trigger (`djtoken db
    /// notify-trigger`) announces no change, instead of reading them for every check.
    pub user_cache_notify: bool,
    /// Password hashes at once; `None`: the number of cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_concurrency: Option<usize>,
    /// Seconds a login waits for a hashing slot before a 503.
    pub hash_queue_timeout: f64,
    /// MiB the password hashes in flight may take together (Argon2's and scrypt's memory, as
    /// each hash names it); a hash that would exceed it waits like one without a slot.
    pub hash_memory_mib: u64,
    /// Largest request body, in bytes (413 beyond).
    pub body_limit: usize,
    /// Seconds a client has to send its request headers.
    pub header_timeout: f64,
    /// Seconds a client may take to send its request body (408 beyond).
    pub request_timeout: f64,
    /// Seconds in-flight requests get after SIGTERM/SIGINT.
    pub shutdown_grace: f64,
    /// Seconds a connection may go without a byte moving either way (a client that stopped
    /// reading its answer, an idle keep-alive) before it is closed.
    pub idle_timeout: f64,
    /// Connections open at once; beyond, a new one gets a fast 503 and is closed. `None`: the
    /// open-file limit (raised to the hard limit at start) less 64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// Async runtime threads; `None`: the number of cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// One of [`LOG_LEVELS`].
    pub log_level: String,
    /// Standalone start: create the schema, this user and a key file when missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_user: Option<String>,
    /// A separate address for `/metrics` (with `/healthz` and `/readyz`): the main listener
    /// then serves no metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_bind: Option<SocketAddr>,
    /// Failed logins per username within [`login_throttle_window`](Self::login_throttle_window)
    /// before that username's logins answer 429; `None`: not throttled (as Django).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_username: Option<u32>,
    /// Failed logins per client address within the window before that address's logins
    /// answer 429; `None`: not throttled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_address: Option<u32>,
    /// Seconds a failed login counts for, from the latest failure.
    pub login_throttle_window: f64,
    /// The request header the proxy writes the client's address into (`X-Real-IP`;
    /// `X-Forwarded-For`, whose last address is the one the proxy added); `None`: the
    /// connection's peer address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_address_header: Option<String>,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            prefix: "/token/".into(),
            session_prefix: "/session/".into(),
            drf_obtain_token_path: None,
            jwt_obtain_path: None,
            jwt_refresh_path: None,
            jwt_verify_path: None,
            jwt_blacklist_path: None,
            knox_login_path: None,
            knox_logout_path: None,
            knox_logoutall_path: None,
            forwarded_uri_header: None,
            forwarded_method_header: None,
            pool_size: None,
            user_cache_notify: false,
            hash_concurrency: None,
            hash_queue_timeout: 5.0,
            hash_memory_mib: 1024,
            body_limit: 64 * 1024,
            header_timeout: 10.0,
            request_timeout: 30.0,
            shutdown_grace: 30.0,
            idle_timeout: 30.0,
            max_connections: None,
            workers: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            init_user: None,
            metrics_bind: None,
            login_throttle_username: None,
            login_throttle_address: None,
            login_throttle_window: 900.0,
            client_address_header: None,
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

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// The session endpoints, below `serve.session_prefix`.
pub const SESSION_ENDPOINTS: [&str; 4] = ["csrf/", "login/", "logout/", "whoami/"];

/// `token/`, `/token`, `/token/` → `/token/`; `/` stays `/`.
pub fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}/")
    }
}

impl ServeSettings {
    /// The tokenapi prefix, normalised.
    pub fn prefix(&self) -> String {
        normalize_prefix(&self.prefix)
    }

    /// The session endpoints' prefix, normalised.
    pub fn session_prefix(&self) -> String {
        normalize_prefix(&self.session_prefix)
    }

    /// The session endpoints' paths, in [`SESSION_ENDPOINTS`]' order.
    pub fn session_routes(&self) -> [String; 4] {
        let prefix = self.session_prefix();
        SESSION_ENDPOINTS.map(|name| format!("{prefix}{name}"))
    }

    /// Password hashes at once (at least 1).
    pub fn hash_concurrency(&self) -> usize {
        self.hash_concurrency.unwrap_or_else(cores).max(1)
    }

    /// Runtime threads (at least 1).
    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(cores).max(1)
    }

    /// See [`ServeSettings::hash_queue_timeout`].
    pub fn hash_queue_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.hash_queue_timeout", self.hash_queue_timeout)
    }

    /// See [`ServeSettings::header_timeout`].
    pub fn header_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.header_timeout", self.header_timeout)
    }

    /// See [`ServeSettings::request_timeout`].
    pub fn request_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.request_timeout", self.request_timeout)
    }

    /// See [`ServeSettings::shutdown_grace`].
    pub fn shutdown_grace(&self) -> Result<Duration, SettingsError> {
        seconds("serve.shutdown_grace", self.shutdown_grace)
    }

    /// See [`ServeSettings::idle_timeout`].
    pub fn idle_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.idle_timeout", self.idle_timeout)
    }

    /// See [`ServeSettings::login_throttle_window`].
    pub fn login_throttle_window(&self) -> Result<Duration, SettingsError> {
        seconds("serve.login_throttle_window", self.login_throttle_window)
    }

    /// The log level, lower-cased, if it is one of [`LOG_LEVELS`].
    pub fn log_level(&self) -> Result<&'static str, SettingsError> {
        let level = self.log_level.to_ascii_lowercase();
        LOG_LEVELS.into_iter().find(|l| *l == level).ok_or_else(|| {
            invalid(
                "serve.log_level",
                format!(
                    "{:?} is not a log level: expected one of {}",
                    self.log_level,
                    LOG_LEVELS.join(", ")
                ),
            )
        })
    }

    /// The paths of the API views djtoken serves in a package's place: (key, path, an
    /// example), DRF's first, then simplejwt's four.
    pub fn api_paths(&self) -> [(&'static str, &Option<String>, &'static str); 8] {
        [
            (
                "serve.drf_obtain_token_path",
                &self.drf_obtain_token_path,
                "/api-token-auth/",
            ),
            (
                "serve.jwt_obtain_path",
                &self.jwt_obtain_path,
                "/api/token/",
            ),
            (
                "serve.jwt_refresh_path",
                &self.jwt_refresh_path,
                "/api/token/refresh/",
            ),
            (
                "serve.jwt_verify_path",
                &self.jwt_verify_path,
                "/api/token/verify/",
            ),
            (
                "serve.jwt_blacklist_path",
                &self.jwt_blacklist_path,
                "/api/token/blacklist/",
            ),
            (
                "serve.knox_login_path",
                &self.knox_login_path,
                "/api/auth/login/",
            ),
            (
                "serve.knox_logout_path",
                &self.knox_logout_path,
                "/api/auth/logout/",
            ),
            (
                "serve.knox_logoutall_path",
                &self.knox_logoutall_path,
                "/api/auth/logoutall/",
            ),
        ]
    }

    /// Check every value.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.hash_queue_timeout()?;
        self.header_timeout()?;
        self.request_timeout()?;
        self.shutdown_grace()?;
        self.idle_timeout()?;
        self.log_level()?;
        if self.hash_memory_mib == 0 {
            return Err(invalid("serve.hash_memory_mib", "must be at least 1"));
        }
        if self.max_connections == Some(0) {
            return Err(invalid("serve.max_connections", "must be at least 1"));
        }
        if self.body_limit == 0 {
            return Err(invalid("serve.body_limit", "must be at least 1 byte"));
        }
        for (key, header) in [
            ("serve.forwarded_uri_header", &self.forwarded_uri_header),
            (
                "serve.forwarded_method_header",
                &self.forwarded_method_header,
            ),
            ("serve.client_address_header", &self.client_address_header),
        ] {
            if let Some(name) = header {
                let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
                if name.is_empty() || !name.bytes().all(token) {
                    return Err(invalid(key, format!("{name:?} is not a header name")));
                }
            }
        }
        for (key, limit) in [
            (
                "serve.login_throttle_username",
                self.login_throttle_username,
            ),
            ("serve.login_throttle_address", self.login_throttle_address),
        ] {
            if limit == Some(0) {
                return Err(invalid(key, "must be at least 1 failed login"));
            }
        }
        self.login_throttle_window()?;
        Ok(())
    }
}

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

    /// The user model, with every name checked.
    pub fn user_model(&self) -> Result<UserModel, SettingsError> {
        let m = &self.user_model;
        let model = UserModel {
            table: m.table.clone(),
            pk_column: m.pk_column.clone(),
            pk_kind: m.pk_type,
            username_field: m.username_field.clone(),
            email_field: m.email_field.clone(),
            password_column: m.password_column.clone(),
            last_login_column: m.last_login_column.clone(),
            is_active_column: m.is_active_column.clone(),
        };
        model
            .validate()
            .map_err(|e: InvalidIdentifier| invalid("USER_MODEL", e.to_string()))?;
        Ok(model)
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

    /// simplejwt's configuration: `SIMPLE_JWT` signing with the key of `SIGNING_KEY_FILE`,
    /// else `SECRET_KEY` (fallbacks are never used, as in simplejwt).
    pub fn simplejwt_config(&self) -> Result<crate::simplejwt::Config, SettingsError> {
        let key = match &self.simple_jwt.signing_key_file {
            Some(path) => {
                let key = strip_newline(read("SIMPLE_JWT.SIGNING_KEY_FILE", path)?);
                if key.is_empty() {
                    return Err(invalid(
                        "SIMPLE_JWT.SIGNING_KEY_FILE",
                        "the signing key is empty",
                    ));
                }
                SecretKey::new(key)
            }
            None => self.secret_keys()?.current,
        };
        self.simple_jwt.config(key, &self.user_model.pk_column)
    }

    /// `SECRET_KEY` and `SECRET_KEY_FALLBACKS`: the values given, or the files named. A key
    /// given both ways is an error (one of them would be silently ignored), and so is none.
    pub fn secret_keys(&self) -> Result<SecretKeys, SettingsError> {
        let current = match (&self.secret_key, &self.secret_key_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "SECRET_KEY_FILE",
                    "the secret key is given both as a file and as a value (DJTOKEN_SECRET_KEY): keep one",
                ));
            }
            (Some(key), None) => key.clone(),
            (None, Some(path)) => SecretKey::new(strip_newline(read("SECRET_KEY_FILE", path)?)),
            (None, None) => {
                return Err(invalid(
                    "SECRET_KEY_FILE",
                    "no secret key: set DJTOKEN_SECRET_KEY or pass --secret-key-file PATH",
                ));
            }
        };
        if current.expose().is_empty() {
            return Err(invalid(
                "SECRET_KEY_FILE",
                "the secret key is empty (Django refuses an empty SECRET_KEY)",
            ));
        }
        let fallbacks = match (&self.secret_key_fallbacks, &self.secret_key_fallbacks_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "SECRET_KEY_FALLBACKS_FILE",
                    "the fallback keys are given both as a file and as a value (DJTOKEN_SECRET_KEY_FALLBACKS): keep one",
                ));
            }
            (Some(keys), None) => keys.clone(),
            (None, Some(path)) => split_keys(&read("SECRET_KEY_FALLBACKS_FILE", path)?),
            (None, None) => Vec::new(),
        };
        Ok(SecretKeys { current, fallbacks })
    }

    /// Whether a secret key is configured at all (a value or a file).
    pub fn has_secret_key(&self) -> bool {
        self.secret_key.is_some() || self.secret_key_file.is_some()
    }

    /// `DATABASE_URL` with the password of `DATABASE_PASSWORD_FILE` in it, when one is named
    /// (see [`crate::urls::with_password`]).
    pub fn database_connection_url(&self) -> Result<String, SettingsError> {
        let Some(path) = &self.database_password_file else {
            return Ok(self.database_url.clone());
        };
        if self.database_url.starts_with("sqlite:") {
            return Err(invalid(
                "DATABASE_PASSWORD_FILE",
                "a SQLite database has no password",
            ));
        }
        let password = strip_newline(read("DATABASE_PASSWORD_FILE", path)?);
        crate::urls::with_password(&self.database_url, &password)
            .map_err(|e| invalid("DATABASE_PASSWORD_FILE", e.to_string()))
    }

    /// `SESSION_CACHE_URL` with the password of `SESSION_CACHE_PASSWORD_FILE` in each of its
    /// locations, when one is named.
    pub fn session_cache_connection_url(&self) -> Result<Option<String>, SettingsError> {
        let (Some(url), Some(path)) = (&self.session_cache_url, &self.session_cache_password_file)
        else {
            if self.session_cache_password_file.is_some() {
                return Err(invalid(
                    "SESSION_CACHE_PASSWORD_FILE",
                    "names a password for no SESSION_CACHE_URL",
                ));
            }
            return Ok(self.session_cache_url.clone());
        };
        let password = strip_newline(read("SESSION_CACHE_PASSWORD_FILE", path)?);
        let locations = url
            .split(',')
            .map(|location| {
                crate::urls::with_password(location.trim(), &password)
                    .map_err(|e| invalid("SESSION_CACHE_PASSWORD_FILE", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(locations.join(",")))
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
        let cache = match (self.session_cache_connection_url()?, engine.uses_cache()) {
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
        if self
            .authentication_methods
            .iter()
            .any(|m| m.trim() == "session")
        {
            self.session_config()?;
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
        for (key, path, example) in self.serve.api_paths() {
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
                    key,
                    format!("{path:?}: a path of its own, starting with / (as {example})"),
                ));
            }
            taken.push(path);
        }
        let jwt_views = self.serve.api_paths()[1..5]
            .iter()
            .any(|(_, p, _)| p.is_some());
        let knox_views = self.serve.api_paths()[5..]
            .iter()
            .any(|(_, p, _)| p.is_some());
        if knox_views
            || self
                .authentication_methods
                .iter()
                .any(|m| m.trim() == "knox")
        {
            self.rest_knox.config()?;
        }
        if jwt_views
            || self
                .authentication_methods
                .iter()
                .any(|m| m.trim() == "simplejwt")
        {
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

fn read(key: &'static str, path: &Path) -> Result<String, SettingsError> {
    std::fs::read_to_string(path).map_err(|e| invalid(key, format!("{}: {e}", path.display())))
}

/// One trailing newline (`\n` or `\r\n`) dropped, as an editor leaves it.
pub fn strip_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

/// One key per line; blank lines are skipped, a trailing `\r` is dropped.
pub fn split_keys(text: &str) -> Vec<SecretKey> {
    text.lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(SecretKey::new)
        .collect()
}

/// A configuration file that cannot be used: the line and the key, and what is wrong.
#[cfg(feature = "toml")]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConfigFileError {
    /// 1-based line of the problem (0 when the parser gave none).
    pub line: usize,
    /// What is wrong, naming the key where there is one.
    pub message: String,
}

#[cfg(feature = "toml")]
impl Settings {
    /// Settings from the text of a `djtoken.toml`, on top of the defaults, and the keys it set
    /// (`TIME_ZONE`, `serve.bind`, `USER_MODEL.TABLE`, `PASSWORD_HASHER_PARAMS.argon2.time_cost`).
    /// An unknown key or a value of the wrong type is an error naming it; secrets themselves
    /// are never keys (`SECRET_KEY` is unknown: the file names files that hold them).
    pub fn from_toml(text: &str) -> Result<(Settings, Vec<String>), ConfigFileError> {
        let line_of = |span: Option<std::ops::Range<usize>>| {
            span.map_or(0, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            })
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigFileError {
            line: line_of(e.span()),
            message: e.message().trim().to_owned(),
        })?;
        let settings: Settings = toml::from_str(text).map_err(|e| {
            // serde names an unknown key, not a wrongly typed one: the line does.
            let line = line_of(e.span());
            let key_line = text
                .lines()
                .nth(line.saturating_sub(1))
                .map(str::trim)
                .unwrap_or_default();
            ConfigFileError {
                line,
                message: format!("{key_line}: {}", e.message().trim()),
            }
        })?;
        let mut keys = Vec::new();
        collect_keys(&table, "", &mut keys);
        Ok((settings, keys))
    }

    /// Paths the configuration file at `dir` gave (`keys`, as [`Settings::from_toml`] lists
    /// them) are relative to it, wherever djtoken runs: the key files, `SESSION_FILE_PATH`
    /// and a SQLite `DATABASE_URL`.
    pub fn relative_to(&mut self, keys: &[String], dir: &Path) {
        let in_file = |key: &str| keys.iter().any(|k| k == key);
        if dir.as_os_str().is_empty() {
            return;
        }
        for (key, path) in [
            ("SECRET_KEY_FILE", &mut self.secret_key_file),
            (
                "SECRET_KEY_FALLBACKS_FILE",
                &mut self.secret_key_fallbacks_file,
            ),
            ("SESSION_FILE_PATH", &mut self.session_file_path),
            ("DATABASE_PASSWORD_FILE", &mut self.database_password_file),
            (
                "SESSION_CACHE_PASSWORD_FILE",
                &mut self.session_cache_password_file,
            ),
        ] {
            if let Some(path) = path.as_mut().filter(|p| p.is_relative() && in_file(key)) {
                *path = dir.join(&*path);
            }
        }
        // dj-database-url's spellings: sqlite:PATH, sqlite:///relative, sqlite:////absolute.
        // (sqlite://host/… is malformed, and left for the store to refuse.)
        let sqlite = self.database_url.strip_prefix("sqlite:").and_then(|rest| {
            match rest.strip_prefix("//") {
                Some(after) => after.strip_prefix('/'),
                None => Some(rest),
            }
        });
        if let Some(path) = sqlite.map(Path::new)
            && !path.as_os_str().is_empty()
            && path.is_relative()
            && in_file("DATABASE_URL")
        {
            self.database_url = format!("sqlite:{}", dir.join(path).display());
        }
    }

    /// The settings as a `djtoken.toml` would hold them (secret values are never written).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("settings serialise to TOML")
    }
}

#[cfg(feature = "toml")]
fn collect_keys(table: &toml::Table, prefix: &str, keys: &mut Vec<String>) {
    for (key, value) in table {
        let path = format!("{prefix}{key}");
        match value {
            toml::Value::Table(inner) => collect_keys(inner, &format!("{path}."), keys),
            _ => keys.push(path),
        }
    }
}

#[cfg(feature = "store")]
mod runtime {
    use std::sync::Arc;

    use super::{Settings, SettingsError, invalid};
    use crate::auth::Authenticator;
    use crate::store::{StoreOptions, UserStore};

    impl Settings {
        /// Connection settings: `QUERY_TIMEOUT`, `serve.pool_size` and
        /// `serve.user_cache_notify`.
        pub fn store_options(&self) -> Result<StoreOptions, SettingsError> {
            Ok(StoreOptions {
                query_timeout: self.query_timeout()?,
                pool_size: self.serve.pool_size.map(|n| n.max(1)),
                user_cache_notify: self.serve.user_cache_notify,
            })
        }

        /// Session logins over the configured engine: the user store at `DATABASE_URL`, the
        /// session cache at `SESSION_CACHE_URL` when the engine uses one. Connections open at
        /// first use.
        pub async fn session_auth(&self) -> Result<crate::sessions::SessionAuth, SettingsError> {
            self.session_auth_with(Arc::new(self.store().await?))
        }

        /// Session logins over the configured engine, for the users of `users` (the store
        /// the server's authenticator already has).
        pub fn session_auth_with(
            &self,
            users: Arc<UserStore>,
        ) -> Result<crate::sessions::SessionAuth, SettingsError> {
            use crate::sessions::{SessionAuth, SessionStore};
            let config = self.session_config()?;
            let keys = self.secret_keys()?;
            let database = config.engine.uses_database().then(|| Arc::clone(&users));
            #[cfg(feature = "redis")]
            let cache = match &config.cache {
                Some(cache) if config.engine.uses_cache() => Some(
                    crate::sessions::cache::RedisCache::open(cache.clone(), self.query_timeout()?)
                        .map_err(|e| invalid("SESSION_CACHE_URL", e.to_string()))?,
                ),
                _ => None,
            };
            let sessions = SessionStore::new(
                config,
                &keys,
                self.version(),
                database,
                #[cfg(feature = "redis")]
                cache,
            )
            .map_err(|e| invalid("SESSION_ENGINE", e.to_string()))?;
            Ok(SessionAuth::new(sessions, users, keys, self.version()))
        }

        /// The user store at `DATABASE_URL`.
        pub async fn store(&self) -> Result<UserStore, SettingsError> {
            Ok(UserStore::open(
                &self.database_connection_url()?,
                self.user_model()?,
                self.store_options()?,
            )
            .await?)
        }

        /// As [`Settings::store`], creating a missing SQLite file (for `db init`).
        pub async fn store_or_create(&self) -> Result<UserStore, SettingsError> {
            Ok(UserStore::open_or_create(
                &self.database_connection_url()?,
                self.user_model()?,
                self.store_options()?,
            )
            .await?)
        }

        /// Logins and token checks over the configured database, keys, hashers and clock:
        /// the one place they are put together.
        pub async fn authenticator(&self) -> Result<Authenticator, SettingsError> {
            self.validate()?;
            let keys = self.secret_keys()?;
            let tokens = self.tokenapi_generator(&keys)?;
            let hashers = Arc::new(self.hashers()?);
            Ok(Authenticator::new(
                self.store().await?,
                hashers,
                self.rehash(),
                tokens,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_dropped() {
        assert_eq!(strip_newline("key\n".into()), "key");
        assert_eq!(strip_newline("key\r\n".into()), "key");
        assert_eq!(strip_newline("key \n\n".into()), "key \n");
    }

    #[test]
    fn fallbacks_are_one_per_line() {
        let keys = split_keys("a\r\n\nb c\n");
        assert_eq!(keys, vec![SecretKey::new("a"), SecretKey::new("b c")]);
    }

    #[test]
    fn passwords_from_files_complete_the_connection_urls() {
        let dir = std::env::temp_dir().join(format!("djtoken-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let file = dir.join("password");
        std::fs::write(&file, "p@ss/w:rd\n").expect("written");
        let mut settings = Settings {
            database_url: "postgres://alice@db/app".into(),
            database_password_file: Some(file.clone()),
            session_cache_url: Some(
                "redis://cache:6379/0?key_prefix=p, redis://replica:6379/0".into(),
            ),
            session_cache_password_file: Some(file.clone()),
            ..Settings::default()
        };
        assert_eq!(
            settings.database_connection_url().as_deref(),
            Ok("postgres://alice:p%40ss%2Fw%3Ard@db/app")
        );
        assert_eq!(
            settings.session_cache_connection_url(),
            Ok(Some(
                "redis://:p%40ss%2Fw%3Ard@cache:6379/0?key_prefix=p,redis://:p%40ss%2Fw%3Ard@replica:6379/0"
                    .into()
            ))
        );
        // A password given both ways, or to a database that has none, is an error.
        settings.database_url = "postgres://alice:old@db/app".into();
        let both = settings
            .database_connection_url()
            .expect_err("two passwords");
        assert!(!both.to_string().contains("old"), "{both}");
        settings.database_url = "sqlite:db.sqlite3".into();
        assert!(settings.database_connection_url().is_err());
        settings.session_cache_url = None;
        assert!(settings.session_cache_connection_url().is_err());
        std::fs::remove_dir_all(&dir).expect("removed");
    }

    #[test]
    fn defaults_are_djangos_and_valid() {
        let settings = Settings::default();
        settings.validate().expect("the defaults are valid");
        assert_eq!(settings.version(), DjangoVersion::LATEST);
        assert!(!settings.rehash());
        assert_eq!(settings.token_timeout_days, 7);
        assert_eq!(settings.password_reset_timeout, 259_200);
        assert_eq!(settings.user_model().expect("valid"), UserModel::default());
        assert_eq!(settings.serve.prefix(), "/token/");
    }

    #[test]
    fn sessions_djtoken_cannot_read_stop_only_what_uses_them() {
        let settings = Settings {
            session_engine: "django.contrib.sessions.backends.cache".into(),
            session_serializer: "django.contrib.sessions.serializers.PickleSerializer".into(),
            ..Settings::default()
        };
        settings.validate().expect("tokens still work");
        let err = settings.session_config().expect_err("sessions do not");
        assert!(err.to_string().contains("JSON sessions only"), "{err}");
        let settings = Settings {
            authentication_methods: vec!["session".into()],
            ..settings
        };
        assert!(
            settings.validate().is_err(),
            "the session method needs them"
        );
    }

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalize_prefix("/token/"), "/token/");
        assert_eq!(normalize_prefix("token"), "/token/");
        assert_eq!(normalize_prefix("/api/token"), "/api/token/");
        assert_eq!(normalize_prefix("/"), "/");
        assert_eq!(normalize_prefix(""), "/");
    }

    #[test]
    fn each_bad_value_names_its_key() {
        type Change = Box<dyn Fn(&mut Settings)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "TIME_ZONE",
                Box::new(|s| s.time_zone = "Mars/Olympus".into()),
            ),
            ("QUERY_TIMEOUT", Box::new(|s| s.query_timeout = 0.0)),
            (
                "PASSWORD_HASHERS",
                Box::new(|s| s.password_hashers = vec!["nope".into()]),
            ),
            (
                "USER_MODEL",
                Box::new(|s| s.user_model.table = "a;b".into()),
            ),
            (
                "serve.header_timeout",
                Box::new(|s| s.serve.header_timeout = f64::NAN),
            ),
            (
                "serve.log_level",
                Box::new(|s| s.serve.log_level = "loud".into()),
            ),
            (
                "serve.session_prefix",
                Box::new(|s| {
                    s.authentication_methods = vec!["session".into()];
                    s.serve.session_prefix = "/auth/session".into();
                }),
            ),
            (
                "serve.drf_obtain_token_path",
                Box::new(|s| s.serve.drf_obtain_token_path = Some("/api/{token}/".into())),
            ),
            (
                "serve.drf_obtain_token_path",
                Box::new(|s| s.serve.drf_obtain_token_path = Some("/session/login/".into())),
            ),
            (
                "CSRF_COOKIE_SAMESITE",
                Box::new(|s| {
                    s.authentication_methods = vec!["session".into()];
                    s.csrf_cookie_samesite = "Sometimes".into();
                }),
            ),
        ];
        for (key, change) in cases {
            let mut settings = Settings::default();
            change(&mut settings);
            match settings.validate() {
                Err(SettingsError::Invalid { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{key}: expected an error naming it, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_secret_key_is_required_once() {
        let mut settings = Settings::default();
        assert!(settings.secret_keys().is_err());
        settings.secret_key = Some(SecretKey::new("k"));
        assert_eq!(
            settings.secret_keys().expect("a key").current,
            SecretKey::new("k")
        );
        settings.secret_key_file = Some("/nonexistent".into());
        assert!(settings.secret_keys().is_err());
        settings.secret_key = Some(SecretKey::new(""));
        settings.secret_key_file = None;
        assert!(settings.secret_keys().is_err());
    }

    #[cfg(feature = "toml")]
    #[test]
    fn a_toml_file_fills_the_settings_and_names_a_bad_key() {
        let text = r#"
DJANGO_VERSION = "5.2"
TIME_ZONE = "Asia/Kolkata"
TOKEN_TIMEOUT_DAYS = 3
PASSWORD_HASHERS = ["argon2", "pbkdf2_sha256"]
CSRF_COOKIE_AGE = false

[PASSWORD_HASHER_PARAMS.pbkdf2_sha256]
iterations = 1200000

[USER_MODEL]
PK_TYPE = "uuid"
IS_ACTIVE_COLUMN = "none"

[serve]
bind = "127.0.0.1:9000"
"#;
        let (settings, keys) = Settings::from_toml(text).expect("a valid file");
        assert_eq!(settings.token_timeout_days, 3);
        assert_eq!(settings.user_model.is_active_column, None);
        assert_eq!(settings.csrf_cookie_age, None, "false is Django's None");
        assert!(keys.contains(&"PASSWORD_HASHER_PARAMS.pbkdf2_sha256.iterations".to_owned()));
        assert!(keys.contains(&"serve.bind".to_owned()));
        let hashers = settings.hashers().expect("valid hashers");
        assert_eq!(hashers.algorithms(), ["argon2", "pbkdf2_sha256"]);
        let encoded = hashers
            .make_password(b"pw", Some("abcdefghijklmnopqrstuv"), Some("pbkdf2_sha256"))
            .expect("hashes");
        assert!(encoded.starts_with("pbkdf2_sha256$1200000$"), "{encoded}");
        let (again, _) = Settings::from_toml(&settings.to_toml()).expect("round trip");
        assert_eq!(again, settings);

        let unknown = Settings::from_toml("TIME_ZONE = \"UTC\"\nTIME_ZOEN = \"UTC\"\n")
            .expect_err("an unknown key");
        assert_eq!(unknown.line, 2);
        assert!(unknown.message.contains("TIME_ZOEN"), "{unknown}");
        let wrong =
            Settings::from_toml("\nTOKEN_TIMEOUT_DAYS = \"three\"\n").expect_err("a string");
        assert_eq!(wrong.line, 2);
        assert!(wrong.message.contains("TOKEN_TIMEOUT_DAYS"), "{wrong}");
        let secret = Settings::from_toml("SECRET_KEY = \"x\"").expect_err("no secrets");
        assert!(secret.message.contains("SECRET_KEY"), "{secret}");
        let factor = Settings::from_toml("[PASSWORD_HASHER_PARAMS.argon2]\niterations = 5")
            .expect("parses")
            .0
            .hashers()
            .expect_err("argon2 has no iterations");
        assert!(factor.to_string().contains("iterations"), "{factor}");
    }

    #[test]
    fn signed_cookies_follow_the_configured_patch_release() {
        let cookies = |json: &str| {
            let mut settings: Settings = serde_json::from_str(json).expect("valid settings");
            settings.secret_key = Some(SecretKey::new("cookie-key"));
            settings.cookie_signing().expect("cookie signing")
        };
        let legacy = cookies(r#"{"DJANGO_VERSION": "5.2.14"}"#).sign("n", "v", "s", 1);
        let v2 = cookies(r#"{"DJANGO_VERSION": "5.2.15"}"#).sign("n", "v", "s", 1);
        assert_ne!(legacy, v2);
        assert_eq!(
            cookies(r#"{"DJANGO_VERSION": "5.2"}"#).sign("n", "v", "s", 1),
            legacy
        );
        assert_eq!(
            cookies(r#"{"DJANGO_VERSION": "6.1.3"}"#).sign("n", "v", "s", 1),
            v2
        );
        // 5.2.15 reads the legacy salt by default; 6.1 only when told to.
        let read = |json: &str| cookies(json).unsign("n", &legacy, "s", None, 1.0).is_ok();
        assert!(read(r#"{"DJANGO_VERSION": "5.2.15"}"#));
        assert!(!read(
            r#"{"DJANGO_VERSION": "5.2.15", "SIGNED_COOKIE_LEGACY_SALT_FALLBACK": false}"#
        ));
        assert!(!read(r#"{"DJANGO_VERSION": "6.1"}"#));
        assert!(read(
            r#"{"DJANGO_VERSION": "6.1", "SIGNED_COOKIE_LEGACY_SALT_FALLBACK": true}"#
        ));
    }

    #[test]
    fn deserialises_djangos_names_and_refuses_unknown_keys() {
        let json = r#"{"DJANGO_VERSION": "5.2.8", "TIME_ZONE": "Europe/Paris",
            "PASSWORD_HASHERS": ["django.contrib.auth.hashers.Argon2PasswordHasher"],
            "USER_MODEL": {"PK_TYPE": "uuid", "EMAIL_FIELD": "none"},
            "serve": {"bind": "127.0.0.1:0", "log_format": "json"}}"#;
        let settings: Settings = serde_json::from_str(json).expect("valid settings");
        assert_eq!(
            settings.django_version,
            Some(DjangoRelease {
                series: DjangoVersion::V5_2,
                patch: Some(8)
            })
        );
        assert_eq!(settings.version(), DjangoVersion::V5_2);
        assert_eq!(settings.user_model.pk_type, PkKind::Uuid);
        assert_eq!(settings.user_model.email_field, None);
        assert_eq!(settings.serve.log_format, LogFormat::Json);
        assert_eq!(settings.token_timeout_days, 7);
        assert_eq!(settings.hashers().expect("valid").algorithms()[0], "argon2");
        let unknown = serde_json::from_str::<Settings>(r#"{"SECRET_KEY": "inline"}"#)
            .expect_err("secrets are never settings values");
        assert!(unknown.to_string().contains("SECRET_KEY"), "{unknown}");
        assert!(serde_json::from_str::<Settings>(r#"{"DJANGO_VERSION": "4.3"}"#).is_err());
    }
}
