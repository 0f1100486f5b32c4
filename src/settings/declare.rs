//! A setting declared once: `declare_settings!` writes a settings struct from one line per
//! setting — its documentation, its key in `djtoken.toml` (Django's name), its field, type and
//! default, and, for a setting the command line takes, its flag and environment variable —
//! and from the same line the struct's `Default`, the list of its keys ([`Settings::keys`],
//! which the CLI's flags, `config show` and the configuration reference read) and the setter
//! a flag's text goes through ([`Settings::set_flag`]).
//!
//! ```text
//! declare_settings! {
//!     /// The struct's documentation.
//!     #[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
//!     pub struct Settings {
//!         /// `TIME_ZONE` (an IANA name). The first paragraph is the flag's help.
//!         "TIME_ZONE" time_zone: String = "UTC".into()
//!             => TimeZone "--time-zone" env "DJTOKEN_TIME_ZONE";
//!         /// A table of its own (a struct declared the same way).
//!         @table "USER_MODEL" user_model: UserModelSettings = UserModelSettings::default();
//!         /// A field without a key (never read from a file or a flag).
//!         #[serde(skip)]
//!         secret_key: Option<SecretKey> = None;
//!     }
//! }
//! ```
//!
//! After `env`, in this order and each optional: `alias "timeout-days"` (a visible alias),
//! `value "PATH"` (the value's name in the help), `parse function` (a `fn(&str) ->
//! Result<T, String>` instead of the type's [`FlagValue`]).
//!
//! [`Settings::keys`]: super::Settings::keys
//! [`Settings::set_flag`]: super::Settings::set_flag

use std::net::SocketAddr;
use std::path::PathBuf;

use super::LogFormat;
use crate::user::PkKind;
use crate::version::DjangoRelease;

/// The commands' groups of flags: a command takes the groups it needs (`djtoken serve` takes
/// all but [`FlagGroup::ResetTimeout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagGroup {
    /// `--django-version`.
    Version,
    /// `--time-zone`.
    TimeZone,
    /// `--token-timeout-days`.
    TokenTimeout,
    /// `--reset-timeout-seconds`.
    ResetTimeout,
    /// `--password-hashers`.
    Hashers,
    /// The key files.
    Secrets,
    /// The database and the user model.
    Store,
    /// Where the sessions are.
    Sessions,
    /// `djtoken serve`'s own.
    Serve,
}

/// A setting's flag, and the environment variable read in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The commands that take it.
    pub group: FlagGroup,
    /// `--time-zone`.
    pub long: &'static str,
    /// `DJTOKEN_TIME_ZONE`.
    pub env: &'static str,
    /// A second name, shown in the help (`--timeout-days`).
    pub alias: Option<&'static str>,
    /// The value's name in the help (`PATH`).
    pub value_name: Option<&'static str>,
    /// A switch: `--user-cache-notify` alone means true.
    pub switch: bool,
    /// A number that may be negative (its value may start with `-`).
    pub signed: bool,
    /// Given several times, or comma-separated: one list.
    pub list: bool,
    /// The values it takes, where they are few.
    pub choices: &'static [&'static str],
}

/// One key of `djtoken.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Its name, `TABLE.KEY` inside a table: `TIME_ZONE`, `USER_MODEL.TABLE`, `serve.bind`.
    pub name: String,
    /// Its documentation.
    pub doc: &'static str,
    /// Its flag, if the command line takes it.
    pub flag: Option<Flag>,
}

impl Key {
    /// The documentation's first paragraph on one line, for `--help` and the reference.
    pub fn summary(&self) -> String {
        let paragraph = self.doc.split("\n\n").next().unwrap_or_default();
        paragraph.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A key as one struct declares it; a table's keys come from its own struct.
#[doc(hidden)]
pub struct Declared {
    pub key: &'static str,
    pub doc: &'static str,
    pub flag: Option<Flag>,
    pub table: Option<fn() -> Vec<Declared>>,
}

/// Every key below `declared`, named from `prefix`.
pub(super) fn flatten(declared: Vec<Declared>, prefix: &str, out: &mut Vec<Key>) {
    for d in declared {
        let name = format!("{prefix}{}", d.key);
        match d.table {
            Some(table) => flatten(table(), &format!("{name}."), out),
            None => out.push(Key {
                name,
                doc: d.doc,
                flag: d.flag,
            }),
        }
    }
}

/// A value a flag (or its environment variable) can give.
pub trait FlagValue: Sized {
    /// A switch: the flag alone means true.
    const SWITCH: bool = false;
    /// A number that may be negative.
    const SIGNED: bool = false;
    /// Given several times or comma-separated: one list.
    const LIST: bool = false;
    /// The values it takes, where they are few.
    const CHOICES: &'static [&'static str] = &[];
    /// The value of `text`, or what is wrong with it.
    fn from_flag(text: &str) -> Result<Self, String>;
}

fn parsed<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.trim().parse().map_err(|e: T::Err| e.to_string())
}

impl FlagValue for String {
    fn from_flag(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

impl FlagValue for PathBuf {
    fn from_flag(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
}

impl FlagValue for bool {
    const SWITCH: bool = true;
    fn from_flag(text: &str) -> Result<Self, String> {
        // clap's BoolishValueParser's words.
        match text.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "t" | "true" | "on" | "1" => Ok(true),
            "n" | "no" | "f" | "false" | "off" | "0" => Ok(false),
            other => Err(format!("{other:?} is not true or false")),
        }
    }
}

impl FlagValue for i64 {
    const SIGNED: bool = true;
    fn from_flag(text: &str) -> Result<Self, String> {
        parsed(text)
    }
}

macro_rules! parsed_flag_value {
    ($($ty:ty),*) => {$(
        impl FlagValue for $ty {
            fn from_flag(text: &str) -> Result<Self, String> {
                parsed(text)
            }
        }
    )*};
}
parsed_flag_value!(u32, u64, usize, f64, SocketAddr, DjangoRelease);

impl FlagValue for PkKind {
    const CHOICES: &'static [&'static str] = &["integer", "biginteger", "uuid", "string"];
    fn from_flag(text: &str) -> Result<Self, String> {
        parsed(text)
    }
}

impl FlagValue for LogFormat {
    const CHOICES: &'static [&'static str] = &["text", "json"];
    fn from_flag(text: &str) -> Result<Self, String> {
        match text.trim() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("{other:?} is not text or json")),
        }
    }
}

impl<T: FlagValue> FlagValue for Option<T> {
    const SWITCH: bool = T::SWITCH;
    const SIGNED: bool = T::SIGNED;
    const CHOICES: &'static [&'static str] = T::CHOICES;
    fn from_flag(text: &str) -> Result<Self, String> {
        T::from_flag(text).map(Some)
    }
}

impl FlagValue for Vec<String> {
    const LIST: bool = true;
    fn from_flag(text: &str) -> Result<Self, String> {
        Ok(text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

/// Writes a settings struct, its `Default` and its keys from one declaration per setting: see
/// the module's documentation.
macro_rules! declare_settings {
    (
        $(#[$struct_meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $(#[serde($($serde:tt)*)])*
                $(@$table:ident)? $($key:literal)? $field:ident : $ty:ty = $default:expr
                $(=> $group:ident $long:literal env $env:literal
                    $(alias $alias:literal)? $(value $value:literal)? $(parse $parse:path)?)?
                ;
            )*
        }
    ) => {
        $(#[$struct_meta])*
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                $(#[serde(rename = $key)])?
                $(#[serde($($serde)*)])*
                pub $field: $ty,
            )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* }
            }
        }

        impl $name {
            /// The keys this struct declares, in order.
            #[doc(hidden)]
            #[allow(unused_mut, clippy::vec_init_then_push)]
            pub fn declared() -> Vec<$crate::settings::declare::Declared> {
                let mut keys = Vec::new();
                $(
                    $crate::settings::declare::declare_settings!(
                        @key keys [$($doc)*] [$($key)?] [$($table)?] $ty
                        [$($group $long $env [$($alias)?] [$($value)?])?]
                    );
                )*
                keys
            }

            /// Set the key `key` (inside a table, `KEY` of `TABLE.KEY`) from a flag's text:
            /// `None` when it is not a key with a flag.
            #[doc(hidden)]
            pub fn set_declared(&mut self, key: &str, text: &str) -> Option<Result<(), String>> {
                $(
                    $crate::settings::declare::declare_settings!(
                        @set self key text $field $ty [$($key)?] [$($table)?]
                        [$($long [$($parse)?])?]
                    );
                )*
                let _ = (key, text);
                None
            }
        }
    };

    (@key $keys:ident [$($doc:literal)*] [] [$($table:ident)?] $ty:ty [$($flag:tt)*]) => {};
    (@key $keys:ident [$($doc:literal)*] [$key:literal] [$table:ident] $ty:ty []) => {
        $keys.push($crate::settings::declare::Declared {
            key: $key,
            doc: concat!($($doc, "\n"),*),
            flag: None,
            table: Some(<$ty>::declared),
        });
    };
    (@key $keys:ident [$($doc:literal)*] [$key:literal] [] $ty:ty []) => {
        $keys.push($crate::settings::declare::Declared {
            key: $key,
            doc: concat!($($doc, "\n"),*),
            flag: None,
            table: None,
        });
    };
    (@key $keys:ident [$($doc:literal)*] [$key:literal] [] $ty:ty
        [$group:ident $long:literal $env:literal [$($alias:literal)?] [$($value:literal)?]]) => {
        $keys.push($crate::settings::declare::Declared {
            key: $key,
            doc: concat!($($doc, "\n"),*),
            flag: Some($crate::settings::declare::Flag {
                group: $crate::settings::declare::FlagGroup::$group,
                long: $long,
                env: $env,
                alias: None $(.or(Some($alias)))?,
                value_name: None $(.or(Some($value)))?,
                switch: <$ty as $crate::settings::declare::FlagValue>::SWITCH,
                signed: <$ty as $crate::settings::declare::FlagValue>::SIGNED,
                list: <$ty as $crate::settings::declare::FlagValue>::LIST,
                choices: <$ty as $crate::settings::declare::FlagValue>::CHOICES,
            }),
            table: None,
        });
    };

    (@set $s:ident $k:ident $t:ident $field:ident $ty:ty [$key:literal] [$table:ident] []) => {
        if let Some(inner) = $k.strip_prefix(concat!($key, ".")) {
            return $s.$field.set_declared(inner, $t);
        }
    };
    (@set $s:ident $k:ident $t:ident $field:ident $ty:ty [$($key:literal)?] [] []) => {};
    (@set $s:ident $k:ident $t:ident $field:ident $ty:ty [$key:literal] [] [$long:literal []]) => {
        if $k == $key {
            return Some(
                <$ty as $crate::settings::declare::FlagValue>::from_flag($t)
                    .map(|value| $s.$field = value),
            );
        }
    };
    (@set $s:ident $k:ident $t:ident $field:ident $ty:ty [$key:literal] []
        [$long:literal [$parse:path]]) => {
        if $k == $key {
            return Some($parse($t).map(|value| $s.$field = value));
        }
    };
}
pub(crate) use declare_settings;
