//! The configuration file, `djtoken.toml`.

use std::path::Path;

use super::Settings;

/// A configuration file that cannot be used: the line and the key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConfigFileError {
    /// 1-based line of the problem (0 when the parser gave none).
    pub line: usize,
    /// What is wrong, naming the key where there is one.
    pub message: String,
}

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

    /// The settings of the `djtoken.toml` at `path`, on top of the defaults, its relative
    /// paths taken from its folder (as `djtoken serve --config` reads it, without the
    /// environment and the flags). `SECRET_KEY` comes from the file `SECRET_KEY_FILE` names;
    /// a caller that holds the key sets [`Settings::secret_key`] itself.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigFileError {
            line: 0,
            message: format!("{}: {e}", path.display()),
        })?;
        let (mut settings, keys) = Settings::from_toml(&text)?;
        settings.relative_to(&keys, path.parent().unwrap_or(Path::new("")));
        Ok(settings)
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

impl Settings {
    /// The default of the key `name` (`TIME_ZONE`, `serve.bind`) as `djtoken.toml` writes
    /// it (`"UTC"`, `5.0`, `["tokenapi"]`); `None` when it is unset or an empty list or table
    /// by default (its documentation says what that means).
    pub fn default_text(name: &str) -> Option<String> {
        let defaults = toml::Value::try_from(Settings::default()).ok()?;
        let value = name
            .split('.')
            .try_fold(&defaults, |value, part| value.get(part))?;
        match value {
            toml::Value::Array(items) if items.is_empty() => None,
            toml::Value::Table(table) if table.is_empty() => None,
            value => Some(value.to_string()),
        }
    }
}

fn collect_keys(table: &toml::Table, prefix: &str, keys: &mut Vec<String>) {
    for (key, value) in table {
        let path = format!("{prefix}{key}");
        match value {
            toml::Value::Table(inner) => collect_keys(inner, &format!("{path}."), keys),
            _ => keys.push(path),
        }
    }
}
