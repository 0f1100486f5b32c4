//! `SECRET_KEY` and `SECRET_KEY_FALLBACKS` from a file or the environment, never from argv
//! (argv is visible to every user of the machine through `ps`).

use std::path::{Path, PathBuf};

use clap::Args;
use djtoken::{SecretKey, SecretKeys};

use super::Fail;

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

impl SecretArgs {
    /// The keys, or a one-line error naming what is missing.
    pub fn load(&self) -> Result<SecretKeys, Fail> {
        let current = file_or_env(
            self.secret_key_file.as_deref(),
            "--secret-key-file",
            "DJTOKEN_SECRET_KEY",
        )?
        .map(strip_newline)
        .ok_or_else(|| {
            Fail("no secret key: set DJTOKEN_SECRET_KEY or pass --secret-key-file PATH".into())
        })?;
        if current.is_empty() {
            return Err(Fail(
                "the secret key is empty (Django refuses an empty SECRET_KEY)".into(),
            ));
        }
        let fallbacks = file_or_env(
            self.secret_key_fallbacks_file.as_deref(),
            "--secret-key-fallbacks-file",
            "DJTOKEN_SECRET_KEY_FALLBACKS",
        )?
        .unwrap_or_default();
        Ok(SecretKeys {
            current: SecretKey::new(current),
            fallbacks: split_keys(&fallbacks),
        })
    }
}

/// The text of `file` or of the environment variable `var`; giving both is an error, since
/// one of them would be silently ignored.
fn file_or_env(file: Option<&Path>, flag: &str, var: &str) -> Result<Option<String>, Fail> {
    match (file, std::env::var_os(var)) {
        (Some(_), Some(_)) => Err(Fail(format!("{var} and {flag} are both set: keep one"))),
        (Some(path), None) => read(path, flag).map(Some),
        (None, Some(value)) => value
            .into_string()
            .map(Some)
            .map_err(|_| Fail(format!("{var} is not valid UTF-8"))),
        (None, None) => Ok(None),
    }
}

fn read(path: &Path, flag: &str) -> Result<String, Fail> {
    std::fs::read_to_string(path).map_err(|e| Fail(format!("{flag} {}: {e}", path.display())))
}

fn strip_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

/// One key per line; blank lines are skipped, a trailing `\r` is dropped.
fn split_keys(text: &str) -> Vec<SecretKey> {
    text.lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(SecretKey::new)
        .collect()
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
}
