//! `djtoken config show` and `djtoken config check`: the settings in force, with where each
//! value came from ([`Layered`]), and what `serve` would build from them.

use std::path::PathBuf;

use clap::Subcommand;
use djtoken::Settings;

use super::flags::Layer;
use super::layered::{Layered, loaded_file};
use super::serve::ServeArgs;
use super::{Fail, Outcome};

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
    /// Print every key of djtoken.toml as a Markdown table: its default, its flag and
    /// environment variable, and what it means, as the settings declare them (the reference
    /// in docs/configuration.md is this table).
    Keys,
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
        ConfigCommand::Keys => {
            print!("{}", keys_table());
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

/// Every key of `djtoken.toml` as a Markdown table, from the settings' declaration.
fn keys_table() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out =
        String::from("| key | default | flag, environment | meaning |\n|---|---|---|---|\n");
    for key in Settings::keys() {
        let default = Settings::default_text(&key.name)
            .map_or_else(|| "not set".to_owned(), |text| format!("`{}`", cell(&text)));
        let flag = key
            .flag
            .map_or_else(String::new, |f| format!("`{}`, `{}`", f.long, f.env));
        out.push_str(&format!(
            "| `{}` | {default} | {flag} | {} |\n",
            key.name,
            cell(&key.summary())
        ));
    }
    out
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
