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
use djtoken::{DjangoVersion, SecretKey, Settings};

use super::Fail;

/// A group of flags that fills part of the settings.
pub trait Layer {
    /// Put the values given on top of `settings`.
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail>;
}

/// Settings from flags alone, on top of the defaults.
pub fn settings(layers: &[&dyn Layer]) -> Result<Settings, Fail> {
    let mut settings = Settings::default();
    for layer in layers {
        layer.layer(&mut settings)?;
    }
    settings.validate()?;
    Ok(settings)
}

fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *target = value.clone();
    }
}

/// `--django-version`.
#[derive(Args, Clone, Debug)]
pub struct VersionArg {
    /// The Django version sharing the database (a series, 5.2, or a release, 5.2.8). Its
    /// defaults apply (work factors, PASSWORD_HASHERS, schema); and given, a login rehashes
    /// what that version would rehash (which changes the user's tokens, as in Django).
    /// Default: 6.1's defaults, and logins never rehash.
    #[arg(long, env = "DJTOKEN_DJANGO_VERSION")]
    pub django_version: Option<DjangoVersion>,
}

impl Layer for VersionArg {
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail> {
        if self.django_version.is_some() {
            settings.django_version = self.django_version;
        }
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
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail> {
        set(&mut settings.time_zone, &self.time_zone);
        Ok(())
    }
}

/// `--token-timeout-days`.
#[derive(Args, Clone, Debug)]
pub struct TokenTimeoutArg {
    /// tokenapi's TOKEN_TIMEOUT_DAYS [default: 7].
    #[arg(long, env = "DJTOKEN_TOKEN_TIMEOUT_DAYS", allow_hyphen_values = true)]
    pub token_timeout_days: Option<i64>,
}

impl Layer for TokenTimeoutArg {
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail> {
        set(&mut settings.token_timeout_days, &self.token_timeout_days);
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
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail> {
        if !self.password_hashers.is_empty() {
            settings.password_hashers = self.password_hashers.clone();
        }
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
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail> {
        if self.secret_key_file.is_some() {
            settings.secret_key_file = self.secret_key_file.clone();
        }
        if self.secret_key_fallbacks_file.is_some() {
            settings.secret_key_fallbacks_file = self.secret_key_fallbacks_file.clone();
        }
        if let Some(key) = env_text("DJTOKEN_SECRET_KEY")? {
            settings.secret_key = Some(SecretKey::new(strip_newline(key)));
        }
        if let Some(keys) = env_text("DJTOKEN_SECRET_KEY_FALLBACKS")? {
            settings.secret_key_fallbacks = Some(split_keys(&keys));
        }
        Ok(())
    }
}

/// Where the users are, and how the user model maps onto the table.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Database URL: sqlite:PATH (sqlite:///relative, sqlite:////absolute) or postgres://…
    /// [default: sqlite:db.sqlite3].
    #[arg(long, env = "DJTOKEN_DATABASE")]
    pub database: Option<String>,
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
    fn layer(&self, settings: &mut Settings) -> Result<(), Fail> {
        let model = &mut settings.user_model;
        set(&mut settings.database_url, &self.database);
        set(&mut model.table, &self.user_table);
        set(&mut model.pk_column, &self.pk_column);
        set(&mut model.pk_type, &self.pk_type);
        set(&mut model.username_field, &self.username_field);
        set(&mut model.password_column, &self.password_column);
        let optional = |column: &Option<String>| column.as_deref().map(column_or_none);
        set(&mut model.email_field, &optional(&self.email_field));
        set(
            &mut model.last_login_column,
            &optional(&self.last_login_column),
        );
        set(
            &mut model.is_active_column,
            &optional(&self.is_active_column),
        );
        set(&mut settings.query_timeout, &self.query_timeout);
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
