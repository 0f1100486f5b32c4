//! The flags that fill djtoken's [`Settings`], made from the settings' own declaration
//! ([`Settings::keys`]): each setting with a flag brings its flag, its `DJTOKEN_*` environment
//! variable, its help (its documentation, with the default) and its parser, and a command
//! takes the groups of flags it needs as one [`Flags`] argument group. A flag (or its
//! variable) that is given replaces the setting; one that is not leaves the file's value or
//! the default. Validation is the library's: these only parse and layer.
//!
//! `SECRET_KEY` itself is never a flag (argv is visible to every user of the machine through
//! `ps`): it comes from a file or from `DJTOKEN_SECRET_KEY`.

use std::marker::PhantomData;

use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use djtoken::settings::{FlagGroup, Key, split_keys, strip_newline};
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

/// Which groups of flags a command takes.
pub trait Takes: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Whether it takes `group`.
    fn takes(group: FlagGroup) -> bool;
}

macro_rules! takes {
    ($($(#[$doc:meta])* $name:ident: $($group:ident)|+;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name;
        impl Takes for $name {
            fn takes(group: FlagGroup) -> bool {
                matches!(group, $(FlagGroup::$group)|+)
            }
        }
    )*};
}

/// The groups, each a [`Takes`].
pub mod groups {
    use super::{FlagGroup, Takes};
    takes! {
        /// `--django-version`.
        Version: Version;
        /// `--time-zone`.
        TimeZone: TimeZone;
        /// `--token-timeout-days`.
        TokenTimeout: TokenTimeout;
        /// `--reset-timeout-seconds`.
        ResetTimeout: ResetTimeout;
        /// `--password-hashers`.
        Hashers: Hashers;
        /// The key files, and the keys from the environment.
        Secrets: Secrets;
        /// The database and the user model.
        Store: Store;
        /// Where the sessions are.
        Sessions: Sessions;
        /// Everything `djtoken serve` takes.
        Serve: Version | TimeZone | TokenTimeout | Hashers | Secrets | Store | Sessions | Serve;
    }
}

/// `--django-version`.
pub type VersionArg = Flags<groups::Version>;
/// `--time-zone`.
pub type TimeZoneArg = Flags<groups::TimeZone>;
/// `--token-timeout-days`.
pub type TokenTimeoutArg = Flags<groups::TokenTimeout>;
/// `--reset-timeout-seconds`.
pub type ResetTimeoutArg = Flags<groups::ResetTimeout>;
/// `--password-hashers`.
pub type HashersArg = Flags<groups::Hashers>;
/// `--secret-key-file`, `--secret-key-fallbacks-file`, and the keys from the environment.
pub type SecretArgs = Flags<groups::Secrets>;
/// Where the users are, and how the user model maps onto the table.
pub type StoreArgs = Flags<groups::Store>;
/// Where the sessions are: `--session-engine`, `--session-cache-url`, `--session-file-path`
/// (the other `SESSION_*` settings come from the configuration file).
pub type SessionArgs = Flags<groups::Sessions>;

/// The flags of the groups `T` takes, as the command line gave them.
#[derive(Clone, Debug)]
pub struct Flags<T: Takes> {
    given: Vec<Given>,
    takes: PhantomData<T>,
}

/// One setting the command line gave.
#[derive(Clone, Debug)]
struct Given {
    key: String,
    text: String,
    source: Source,
}

impl<T: Takes> Flags<T> {
    /// The settings' keys whose flags `T` takes.
    fn keys() -> impl Iterator<Item = (Key, djtoken::settings::Flag)> {
        Settings::keys()
            .into_iter()
            .filter_map(|key| key.flag.filter(|f| T::takes(f.group)).map(|f| (key, f)))
    }
}

/// An argument's id: its flag without the dashes.
fn id(flag: &djtoken::settings::Flag) -> &'static str {
    flag.long.trim_start_matches('-')
}

/// `key`'s flag, as clap takes it.
fn arg(key: &Key, flag: djtoken::settings::Flag) -> Arg {
    let mut help = key.summary().replace('`', "");
    if let Some(default) = Settings::default_text(&key.name) {
        let default = default.trim_matches(['[', ']']).replace('"', "");
        help.push_str(&format!(" [default: {default}]"));
    }
    let value_name = flag.value_name.map_or_else(
        || id(&flag).to_ascii_uppercase().replace('-', "_"),
        str::to_owned,
    );
    let mut arg = Arg::new(id(&flag))
        .long(id(&flag))
        .env(flag.env)
        .help(help)
        .value_name(value_name)
        .action(if flag.list {
            ArgAction::Append
        } else {
            ArgAction::Set
        });
    if let Some(alias) = flag.alias {
        arg = arg.visible_alias(alias);
    }
    if flag.switch {
        arg = arg.num_args(0..=1).default_missing_value("true");
    }
    if flag.signed {
        arg = arg.allow_hyphen_values(true);
    }
    if flag.choices.is_empty() {
        let name = key.name.clone();
        arg.value_parser(move |text: &str| {
            Settings::default()
                .set_flag(&name, text)
                .map(|()| text.to_owned())
        })
    } else {
        arg.value_parser(PossibleValuesParser::new(flag.choices))
    }
}

impl<T: Takes> Args for Flags<T> {
    fn augment_args(command: Command) -> Command {
        command.args(Self::keys().map(|(key, flag)| arg(&key, flag)))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl<T: Takes> FromArgMatches for Flags<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = Vec::new();
        for (key, flag) in Self::keys() {
            let Some(values) = matches.get_many::<String>(id(&flag)) else {
                continue;
            };
            let source = match matches.value_source(id(&flag)) {
                Some(ValueSource::EnvVariable) => Source::Env(flag.env.to_owned()),
                _ => Source::Flag(flag.long.to_owned()),
            };
            let text = values.map(String::as_str).collect::<Vec<_>>().join(",");
            given.push(Given {
                key: key.name,
                text,
                source,
            });
        }
        Ok(Flags {
            given,
            takes: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<T: Takes> Layer for Flags<T> {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        for given in &self.given {
            to.settings
                .set_flag(&given.key, &given.text)
                .map_err(|e| Fail(format!("{}: {e}", given.source)))?;
            to.mark(&given.key, given.source.clone());
        }
        if T::takes(FlagGroup::Secrets) {
            secrets_from_environment(to)?;
        }
        Ok(())
    }
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

/// `DJTOKEN_SECRET_KEY` and `DJTOKEN_SECRET_KEY_FALLBACKS`: the keys themselves. They outrank
/// the configuration file: a key given there replaces the file the configuration names (a
/// flag and a variable together are an error, where the keys are read).
fn secrets_from_environment(to: &mut Layered) -> Result<(), Fail> {
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
