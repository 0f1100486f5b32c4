//! Where the settings come from, in order: the library's defaults, the configuration file
//! (`--config PATH`, `DJTOKEN_CONFIG`, else `./djtoken.toml` when it exists), the `DJTOKEN_*`
//! environment variables, the flags. Each value remembers its source, which
//! `djtoken config show` prints.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::ArgMatches;
use clap::parser::ValueSource;
use djtoken::Settings;

use super::Fail;

/// The file read when neither `--config` nor `DJTOKEN_CONFIG` names one.
pub const DEFAULT_FILE: &str = "djtoken.toml";

/// The configuration file the command line named, and where it named it.
struct Context {
    config: Option<PathBuf>,
    config_source: Source,
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The configuration file this run read, if any.
static LOADED: OnceLock<PathBuf> = OnceLock::new();

/// The configuration file this run read, if any.
pub fn loaded_file() -> Option<&'static Path> {
    LOADED.get().map(PathBuf::as_path)
}

/// Keep the configuration file the command line named (`--config` or `DJTOKEN_CONFIG`).
pub fn remember(config: Option<PathBuf>, matches: &ArgMatches) {
    let config_source = match matches.value_source("config") {
        Some(ValueSource::EnvVariable) => Source::Env("DJTOKEN_CONFIG".into()),
        _ => Source::Flag("--config".into()),
    };
    let _ = CONTEXT.set(Context {
        config,
        config_source,
    });
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// djtoken's default.
    Default,
    /// The configuration file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// A flag.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(path) => write!(f, "file {}", path.display()),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Settings being put together, and the source of every key that is not a default.
pub struct Layered {
    /// The settings so far.
    pub settings: Settings,
    sources: BTreeMap<String, Source>,
}

impl Layered {
    /// The defaults with the configuration file on top, if there is one.
    pub fn load() -> Result<Layered, Fail> {
        let mut layered = Layered {
            settings: Settings::default(),
            sources: BTreeMap::new(),
        };
        let (path, source) = match CONTEXT.get().and_then(|c| c.config.clone()) {
            Some(path) => (path, CONTEXT.get().map(|c| c.config_source.clone())),
            None => (PathBuf::from(DEFAULT_FILE), None),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && source.is_none() => {
                return Ok(layered);
            }
            Err(e) => {
                let named = source.map_or_else(String::new, |s| format!(" ({s})"));
                return Err(Fail(format!(
                    "configuration file {}{named}: {e}",
                    path.display()
                )));
            }
        };
        let (mut settings, keys) =
            Settings::from_toml(&text).map_err(|e| Fail(format!("{}: {e}", path.display())))?;
        settings.relative_to(&keys, path.parent().unwrap_or(Path::new("")));
        let _ = LOADED.set(path.clone());
        layered.settings = settings;
        for key in keys {
            layered.sources.insert(key, Source::File(path.clone()));
        }
        Ok(layered)
    }

    /// Record that `key` came from `source`.
    pub fn mark(&mut self, key: &str, source: Source) {
        self.sources.insert(key.to_owned(), source);
    }

    /// Where `key` came from.
    pub fn source(&self, key: &str) -> Source {
        self.sources.get(key).cloned().unwrap_or(Source::Default)
    }
}
