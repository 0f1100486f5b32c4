//! The secrets: `SECRET_KEY` and its fallbacks, and the passwords that complete the
//! database's and the session cache's URLs, each read from the file named.

use super::{Settings, SettingsError, invalid};
use std::path::Path;

use crate::crypto::{SecretKey, SecretKeys};
impl Settings {
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
}

pub(super) fn read(key: &'static str, path: &Path) -> Result<String, SettingsError> {
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
