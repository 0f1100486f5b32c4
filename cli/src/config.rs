//! Where the settings come from, in order: the library's defaults, the configuration file
//! (`--config PATH`, `DJTOKEN_CONFIG`, else `./djtoken.toml` when it exists), the `DJTOKEN_*`
//! environment variables, the flags. Each value remembers its source, which
//! `djtoken config show` prints.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, Subcommand};
use djtoken::Settings;

use super::flags::Layer;
use super::serve::ServeArgs;
use super::{Fail, Outcome};

/// The file read when neither `--config` nor `DJTOKEN_CONFIG` names one.
pub const DEFAULT_FILE: &str = "djtoken.toml";

/// What the command line said, for the layers to ask where a value came from.
struct Context {
    config: Option<PathBuf>,
    config_source: Source,
    matches: ArgMatches,
    command: clap::Command,
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// The configuration file this run read, if any.
static LOADED: OnceLock<PathBuf> = OnceLock::new();

/// The configuration file this run read, if any.
pub fn loaded_file() -> Option<&'static Path> {
    LOADED.get().map(PathBuf::as_path)
}

/// Keep the parsed command line: the innermost subcommand's matches and definition.
pub fn remember(config: Option<PathBuf>, matches: &ArgMatches) {
    let config_source = match matches.value_source("config") {
        Some(ValueSource::EnvVariable) => Source::Env("DJTOKEN_CONFIG".into()),
        _ => Source::Flag("--config".into()),
    };
    let mut command = super::Cli::command();
    let mut leaf = matches.clone();
    while let Some((name, sub)) = leaf.clone().subcommand() {
        match command.find_subcommand(name) {
            Some(found) => command = found.clone(),
            None => break,
        }
        leaf = sub.clone();
    }
    let _ = CONTEXT.set(Context {
        config,
        config_source,
        matches: leaf,
        command,
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

/// The source of the value clap found for the argument `id` of the running command.
fn arg_source(id: &str) -> Source {
    let Some(context) = CONTEXT.get() else {
        return Source::Default;
    };
    let arg = context
        .command
        .get_arguments()
        .find(|a| a.get_id().as_str() == id);
    match context.matches.value_source(id) {
        Some(ValueSource::EnvVariable) => Source::Env(
            arg.and_then(|a| a.get_env())
                .map_or_else(|| id.to_owned(), |v| v.to_string_lossy().into_owned()),
        ),
        _ => Source::Flag(
            arg.and_then(|a| a.get_long())
                .map_or_else(|| id.to_owned(), |long| format!("--{long}")),
        ),
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

    /// Set the setting `key` to `value` when the argument `id` was given.
    pub fn put<T: Clone>(
        &mut self,
        key: &str,
        id: &str,
        value: &Option<T>,
        field: impl FnOnce(&mut Settings) -> &mut T,
    ) {
        if let Some(value) = value {
            *field(&mut self.settings) = value.clone();
            self.sources.insert(key.to_owned(), arg_source(id));
        }
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

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration in force, as a djtoken.toml, with the source of each value
    /// (default, file, environment, flag); secrets are never printed. Takes serve's flags, so
    /// it shows what `djtoken serve` with the same flags would use.
    Show(Box<ServeArgs>),
    /// Check the configuration against what it names, before `djtoken serve` starts for
    /// real: the key files, the hashers, the database and the user table with its columns,
    /// and the session engine's store; one line each (exit 0: all is well, 1: something is
    /// wrong, and the line says what). Takes serve's flags.
    Check(Box<ServeArgs>),
}

pub fn run(command: ConfigCommand) -> Result<Outcome, Fail> {
    match command {
        ConfigCommand::Show(args) => {
            let mut layered = Layered::load()?;
            args.layer(&mut layered)?;
            print!("{}", show(&layered));
            layered.settings.validate()?;
            Ok(Outcome::Yes)
        }
        ConfigCommand::Check(args) => {
            let mut layered = Layered::load()?;
            args.layer(&mut layered)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Fail(format!("starting the async runtime: {e}")))?;
            Ok(if runtime.block_on(check(&layered.settings)) {
                Outcome::Yes
            } else {
                Outcome::No
            })
        }
    }
}

/// `config check`: each part of what `djtoken serve` would build, then each store it needs,
/// printed as it is found; whether all of it is well.
async fn check(settings: &Settings) -> bool {
    let report = |what: &str, result: Result<String, String>| {
        match &result {
            Ok(detail) => println!("ok      {what}{detail}"),
            Err(problem) => println!("FAILED  {what}: {problem}"),
        }
        result.is_ok()
    };
    let file = loaded_file().map_or("none (defaults, environment, flags)".to_owned(), |p| {
        p.display().to_string()
    });
    println!("        configuration file: {file}");
    if !report(
        "the settings",
        settings
            .validate()
            .map(|()| String::new())
            .map_err(|e| e.to_string()),
    ) {
        return false;
    }
    let keys = settings.secret_keys().map(|keys| {
        let source = match (&settings.secret_key, &settings.secret_key_file) {
            (Some(_), _) => "DJTOKEN_SECRET_KEY".to_owned(),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => "?".to_owned(),
        };
        format!(" (from {source}; {} fallback keys)", keys.fallbacks.len())
    });
    let keys_ok = report("SECRET_KEY", keys.map_err(|e| e.to_string()));
    let hashers = settings
        .hashers()
        .map(|h| format!(": {}", h.algorithms().join(", ")))
        .map_err(|e| e.to_string());
    let hashers_ok = report("PASSWORD_HASHERS", hashers);
    if !(keys_ok && hashers_ok) {
        return false;
    }
    let state = match djtoken::server::AppState::new(settings).await {
        Ok(state) => state,
        Err(e) => return report("what djtoken serve builds from it", Err(e.to_string())),
    };
    let methods = settings.authentication_methods.join(", ");
    report("AUTHENTICATION_METHODS", Ok(format!(": {methods}")));
    let mut all = true;
    for (what, result) in state.readiness().await {
        all &= report(
            &what,
            result.map(|()| String::new()).map_err(|e| e.to_string()),
        );
    }
    all
}

/// The settings as TOML, each value followed by its source; unset values and secrets as
/// comments.
fn show(layered: &Layered) -> String {
    let settings = &layered.settings;
    let mut out = String::new();
    let secret = |value: bool, file: &Option<PathBuf>, var: &str| match (value, file) {
        (true, _) => Some(format!("({var} is set: the value is not shown)")),
        (false, None) => Some("(not set)".to_owned()),
        (false, Some(_)) => None,
    };
    for (key, note) in [
        (
            "SECRET_KEY_FILE",
            secret(
                settings.secret_key.is_some(),
                &settings.secret_key_file,
                "DJTOKEN_SECRET_KEY",
            ),
        ),
        (
            "SECRET_KEY_FALLBACKS_FILE",
            secret(
                settings.secret_key_fallbacks.is_some(),
                &settings.secret_key_fallbacks_file,
                "DJTOKEN_SECRET_KEY_FALLBACKS",
            ),
        ),
    ] {
        if let Some(note) = note {
            out.push_str(&format!("# {key} {note}\n"));
        }
    }
    if settings.django_version.is_none() {
        out.push_str(&format!(
            "# DJANGO_VERSION (not set: {}'s defaults, and logins never rehash)\n",
            djtoken::DjangoVersion::LATEST
        ));
    }
    // Connection URLs with their passwords masked (a password file is only named).
    let mut shown = settings.clone();
    shown.database_url = djtoken::urls::redact(&shown.database_url);
    shown.session_cache_url = shown.session_cache_url.as_deref().map(|url| {
        url.split(',')
            .map(|location| djtoken::urls::redact(location.trim()))
            .collect::<Vec<_>>()
            .join(",")
    });
    let mut table = String::new();
    for line in shown.to_toml().lines() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            table = format!("{header}.");
            out.push_str(line);
            out.push('\n');
            continue;
        }
        match trimmed.split_once(" = ") {
            Some((key, _)) if !trimmed.starts_with('#') => {
                let key = key.trim_matches('"');
                out.push_str(&format!(
                    "{line}  # {}\n",
                    layered.source(&format!("{table}{key}"))
                ));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
