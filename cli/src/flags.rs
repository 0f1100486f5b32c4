//! The flags that fill djtoken's [`Settings`], each declared once and flattened into the
//! commands that need it. A flag (or the `DJTOKEN_*` environment variable beside it) that is
//! given replaces the setting; one that is not leaves the library's default. Validation is the
//! library's: these only parse and layer.
//!
//! `SECRET_KEY` itself is never a flag (argv is visible to every user of the machine through
//! `ps`): it comes from a file or from `DJTOKEN_SECRET_KEY`.

use std::path::PathBuf;

use clap::Args;
use djtoken::settings::{LogFormat, column_or_none, split_keys, strip_newline};
use djtoken::user::PkKind;
use djtoken::version::DjangoRelease;
use djtoken::{SecretKey, Settings};

use super::Fail;
use super::layered::{Layered, Source};

/// A group of flags that fills part of the settings.
pub trait Layer {
    /// Put the values given on top of the settings so far.
    fn layer(&self, to: &mut Layered) -> Result<(), Fail>;
}

/// The settings in force: the defaults, the configuration file, then these flags (and their
/// environment variables), checked.
pub fn settings(layers: &[&dyn Layer]) -> Result<Settings, Fail> {
    let mut layered = Layered::load()?;
    for layer in layers {
        layer.layer(&mut layered)?;
    }
    layered.settings.validate()?;
    Ok(layered.settings)
}

/// `--django-version`.
#[derive(Args, Clone, Debug)]
pub struct VersionArg {
    /// The Django version sharing the database (a series, 5.2, or a release, 5.2.8). Its
    /// defaults apply (work factors, PASSWORD_HASHERS, schema); and given, a login rehashes
    /// what that version would rehash (which changes the user's tokens, as in Django).
    /// The patch level matters where Django changed a format within a series (signed
    /// cookies in 5.2.15 and 6.0.6). Default: 6.1's defaults, and logins never rehash.
    #[arg(long, env = "DJTOKEN_DJANGO_VERSION")]
    pub django_version: Option<DjangoRelease>,
}

impl Layer for VersionArg {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        let value = self.django_version.map(Some);
        to.put("DJANGO_VERSION", "django_version", &value, |s| {
            &mut s.django_version
        });
        Ok(())
    }
}

/// `--time-zone`.
#[derive(Args, Clone, Debug)]
pub struct TimeZoneArg {
    /// Django's TIME_ZONE, where days and seconds are counted [default: UTC].
    #[arg(long, env = "DJTOKEN_TIME_ZONE")]
    pub time_zone: Option<String>,
}

impl Layer for TimeZoneArg {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        to.put("TIME_ZONE", "time_zone", &self.time_zone, |s| {
            &mut s.time_zone
        });
        Ok(())
    }
}

/// `--token-timeout-days`.
#[derive(Args, Clone, Debug)]
pub struct TokenTimeoutArg {
    /// tokenapi's TOKEN_TIMEOUT_DAYS [default: 7].
    #[arg(
        long,
        visible_alias = "timeout-days",
        env = "DJTOKEN_TOKEN_TIMEOUT_DAYS",
        allow_hyphen_values = true
    )]
    pub token_timeout_days: Option<i64>,
}

/// `--reset-timeout-seconds`.
#[derive(Args, Clone, Debug)]
pub struct ResetTimeoutArg {
    /// Django's PASSWORD_RESET_TIMEOUT, in seconds [default: 259200].
    #[arg(
        long,
        visible_alias = "timeout-seconds",
        env = "DJTOKEN_PASSWORD_RESET_TIMEOUT",
        allow_hyphen_values = true
    )]
    pub reset_timeout_seconds: Option<i64>,
}

impl Layer for ResetTimeoutArg {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        to.put(
            "PASSWORD_RESET_TIMEOUT",
            "reset_timeout_seconds",
            &self.reset_timeout_seconds,
            |s| &mut s.password_reset_timeout,
        );
        Ok(())
    }
}

impl Layer for TokenTimeoutArg {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        to.put(
            "TOKEN_TIMEOUT_DAYS",
            "token_timeout_days",
            &self.token_timeout_days,
            |s| &mut s.token_timeout_days,
        );
        Ok(())
    }
}

/// `--password-hashers`.
#[derive(Args, Clone, Debug)]
pub struct HashersArg {
    /// PASSWORD_HASHERS, comma-separated class paths or algorithm names, preferred first
    /// [default: that Django version's].
    #[arg(long, env = "DJTOKEN_PASSWORD_HASHERS", value_delimiter = ',')]
    pub password_hashers: Vec<String>,
}

impl Layer for HashersArg {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        let value = (!self.password_hashers.is_empty()).then(|| self.password_hashers.clone());
        to.put("PASSWORD_HASHERS", "password_hashers", &value, |s| {
            &mut s.password_hashers
        });
        Ok(())
    }
}

/// `--secret-key-file`, `--secret-key-fallbacks-file`, and the keys from the environment.
#[derive(Args, Clone, Debug)]
pub struct SecretArgs {
    /// File holding SECRET_KEY (one trailing newline is ignored). Default: $DJTOKEN_SECRET_KEY.
    #[arg(long, env = "DJTOKEN_SECRET_KEY_FILE", value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,

    /// File holding SECRET_KEY_FALLBACKS, one key per line.
    /// Default: $DJTOKEN_SECRET_KEY_FALLBACKS (one key per line).
    #[arg(long, env = "DJTOKEN_SECRET_KEY_FALLBACKS_FILE", value_name = "PATH")]
    pub secret_key_fallbacks_file: Option<PathBuf>,
}

/// The text of an environment variable, if set.
fn env_text(var: &str) -> Result<Option<String>, Fail> {
    std::env::var_os(var)
        .map(|value| {
            value
                .into_string()
                .map_err(|_| Fail(format!("{var} is not valid UTF-8")))
        })
        .transpose()
}

impl Layer for SecretArgs {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        let file = self.secret_key_file.clone().map(Some);
        to.put("SECRET_KEY_FILE", "secret_key_file", &file, |s| {
            &mut s.secret_key_file
        });
        let file = self.secret_key_fallbacks_file.clone().map(Some);
        to.put(
            "SECRET_KEY_FALLBACKS_FILE",
            "secret_key_fallbacks_file",
            &file,
            |s| &mut s.secret_key_fallbacks_file,
        );
        // The environment outranks the configuration file: a key given there replaces the
        // file the configuration names (a flag and a variable together are an error, below).
        let from_file = |to: &Layered, key| matches!(to.source(key), Source::File(_));
        if let Some(key) = env_text("DJTOKEN_SECRET_KEY")? {
            to.settings.secret_key = Some(SecretKey::new(strip_newline(key)));
            if from_file(to, "SECRET_KEY_FILE") {
                to.settings.secret_key_file = None;
            }
            to.mark("SECRET_KEY_FILE", Source::Env("DJTOKEN_SECRET_KEY".into()));
        }
        if let Some(keys) = env_text("DJTOKEN_SECRET_KEY_FALLBACKS")? {
            to.settings.secret_key_fallbacks = Some(split_keys(&keys));
            if from_file(to, "SECRET_KEY_FALLBACKS_FILE") {
                to.settings.secret_key_fallbacks_file = None;
            }
            to.mark(
                "SECRET_KEY_FALLBACKS_FILE",
                Source::Env("DJTOKEN_SECRET_KEY_FALLBACKS".into()),
            );
        }
        Ok(())
    }
}

/// Where the users are, and how the user model maps onto the table.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Database URL: sqlite:PATH (sqlite:///relative, sqlite:////absolute), postgres://… or mysql://…
    /// [default: sqlite:db.sqlite3].
    #[arg(long, env = "DJTOKEN_DATABASE")]
    pub database: Option<String>,
    /// A file holding the database password, for a --database URL without one (one
    /// trailing newline ignored).
    #[arg(long, env = "DJTOKEN_DATABASE_PASSWORD_FILE", value_name = "PATH")]
    pub database_password_file: Option<PathBuf>,
    /// AUTH_USER_MODEL's table [default: auth_user].
    #[arg(long, env = "DJTOKEN_USER_TABLE")]
    pub user_table: Option<String>,
    /// The primary-key column [default: id].
    #[arg(long, env = "DJTOKEN_PK_COLUMN")]
    pub pk_column: Option<String>,
    /// The primary key's kind: integer, biginteger, uuid or string [default: integer].
    #[arg(long = "pk-type", env = "DJTOKEN_PK_TYPE")]
    pub pk_type: Option<PkKind>,
    /// USERNAME_FIELD's column [default: username].
    #[arg(long, env = "DJTOKEN_USERNAME_FIELD")]
    pub username_field: Option<String>,
    /// EMAIL_FIELD's column, or "none" [default: email].
    #[arg(long, env = "DJTOKEN_EMAIL_FIELD")]
    pub email_field: Option<String>,
    /// The password column [default: password].
    #[arg(long, env = "DJTOKEN_PASSWORD_COLUMN")]
    pub password_column: Option<String>,
    /// The last_login column, or "none" [default: last_login].
    #[arg(long, env = "DJTOKEN_LAST_LOGIN_COLUMN")]
    pub last_login_column: Option<String>,
    /// The is_active column, or "none" (every user active, as tokenapi allows)
    /// [default: is_active].
    #[arg(long, env = "DJTOKEN_IS_ACTIVE_COLUMN")]
    pub is_active_column: Option<String>,
    /// Seconds a query (or a connection) may take before the call fails [default: 5].
    #[arg(long, env = "DJTOKEN_QUERY_TIMEOUT")]
    pub query_timeout: Option<f64>,
}

impl Layer for StoreArgs {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        to.put("DATABASE_URL", "database", &self.database, |s| {
            &mut s.database_url
        });
        let file = self.database_password_file.clone().map(Some);
        to.put(
            "DATABASE_PASSWORD_FILE",
            "database_password_file",
            &file,
            |s| &mut s.database_password_file,
        );
        to.put("USER_MODEL.TABLE", "user_table", &self.user_table, |s| {
            &mut s.user_model.table
        });
        to.put("USER_MODEL.PK_COLUMN", "pk_column", &self.pk_column, |s| {
            &mut s.user_model.pk_column
        });
        to.put("USER_MODEL.PK_TYPE", "pk_type", &self.pk_type, |s| {
            &mut s.user_model.pk_type
        });
        to.put(
            "USER_MODEL.USERNAME_FIELD",
            "username_field",
            &self.username_field,
            |s| &mut s.user_model.username_field,
        );
        to.put(
            "USER_MODEL.PASSWORD_COLUMN",
            "password_column",
            &self.password_column,
            |s| &mut s.user_model.password_column,
        );
        let optional = |column: &Option<String>| column.as_deref().map(column_or_none);
        to.put(
            "USER_MODEL.EMAIL_FIELD",
            "email_field",
            &optional(&self.email_field),
            |s| &mut s.user_model.email_field,
        );
        to.put(
            "USER_MODEL.LAST_LOGIN_COLUMN",
            "last_login_column",
            &optional(&self.last_login_column),
            |s| &mut s.user_model.last_login_column,
        );
        to.put(
            "USER_MODEL.IS_ACTIVE_COLUMN",
            "is_active_column",
            &optional(&self.is_active_column),
            |s| &mut s.user_model.is_active_column,
        );
        to.put("QUERY_TIMEOUT", "query_timeout", &self.query_timeout, |s| {
            &mut s.query_timeout
        });
        Ok(())
    }
}

/// `--log-format` values.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(format: LogFormatArg) -> Self {
        match format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

/// Where the sessions are: `--session-engine`, `--session-cache-url`, `--session-file-path`
/// (the other `SESSION_*` settings come from the configuration file).
#[derive(Args, Clone, Debug)]
pub struct SessionArgs {
    /// SESSION_ENGINE: django.contrib.sessions.backends.db, cache, cached_db, file or
    /// signed_cookies [default: …db].
    #[arg(long, env = "DJTOKEN_SESSION_ENGINE")]
    pub session_engine: Option<String>,
    /// The session cache (cache and cached_db engines):
    /// redis://host:port/db?key_prefix=P&version=N&client=django|django-redis, replicas
    /// after commas.
    #[arg(long, env = "DJTOKEN_SESSION_CACHE_URL")]
    pub session_cache_url: Option<String>,
    /// A file holding the session cache's password, for --session-cache-url locations
    /// without one (one trailing newline ignored).
    #[arg(long, env = "DJTOKEN_SESSION_CACHE_PASSWORD_FILE", value_name = "PATH")]
    pub session_cache_password_file: Option<PathBuf>,
    /// SESSION_FILE_PATH (file engine) [default: the system's temporary directory].
    #[arg(long, env = "DJTOKEN_SESSION_FILE_PATH", value_name = "DIR")]
    pub session_file_path: Option<PathBuf>,
}

impl Layer for SessionArgs {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        to.put(
            "SESSION_ENGINE",
            "session_engine",
            &self.session_engine,
            |s| &mut s.session_engine,
        );
        let url = self.session_cache_url.clone().map(Some);
        to.put("SESSION_CACHE_URL", "session_cache_url", &url, |s| {
            &mut s.session_cache_url
        });
        let file = self.session_cache_password_file.clone().map(Some);
        to.put(
            "SESSION_CACHE_PASSWORD_FILE",
            "session_cache_password_file",
            &file,
            |s| &mut s.session_cache_password_file,
        );
        let path = self.session_file_path.clone().map(Some);
        to.put("SESSION_FILE_PATH", "session_file_path", &path, |s| {
            &mut s.session_file_path
        });
        Ok(())
    }
}
