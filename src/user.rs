//! The user record djtoken works with, as Django's `AbstractBaseUser` holds it.

use std::fmt;

use chrono::NaiveDateTime;
use uuid::Uuid;

/// A primary key, written exactly as Django's `str(user.pk)` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pk {
    /// `AutoField` / `BigAutoField` / any integer key: decimal, `-` for negatives.
    Int(i64),
    /// `UUIDField`: lower-case, hyphenated.
    Uuid(Uuid),
    /// `CharField` and other text keys: the text itself.
    Str(String),
}

impl fmt::Display for Pk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pk::Int(i) => write!(f, "{i}"),
            Pk::Uuid(u) => write!(f, "{}", u.hyphenated()),
            Pk::Str(s) => f.write_str(s),
        }
    }
}

impl Pk {
    /// Feed `str(pk)` to `sink` without allocating.
    #[inline]
    pub(crate) fn write_str_bytes(&self, sink: &mut impl FnMut(&[u8])) {
        match self {
            Pk::Int(i) => sink(itoa::Buffer::new().format(*i).as_bytes()),
            Pk::Uuid(u) => sink(
                u.hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer())
                    .as_bytes(),
            ),
            Pk::Str(s) => sink(s.as_bytes()),
        }
    }
}

impl From<i64> for Pk {
    fn from(i: i64) -> Self {
        Pk::Int(i)
    }
}

impl From<i32> for Pk {
    fn from(i: i32) -> Self {
        Pk::Int(i64::from(i))
    }
}

impl From<Uuid> for Pk {
    fn from(u: Uuid) -> Self {
        Pk::Uuid(u)
    }
}

impl From<&str> for Pk {
    fn from(s: &str) -> Self {
        Pk::Str(s.to_owned())
    }
}

impl From<String> for Pk {
    fn from(s: String) -> Self {
        Pk::Str(s)
    }
}

/// A row of the user table, reduced to what authentication reads.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// `user.pk`.
    pub pk: Pk,
    /// The `USERNAME_FIELD` value.
    pub username: String,
    /// The `EMAIL_FIELD` value; `""` when the field is absent or `NULL`, as Django reads it.
    pub email: String,
    /// The encoded password hash, exactly as stored.
    pub password: String,
    /// `last_login` as naive wall time (UTC when `USE_TZ = True`), `None` if never set.
    pub last_login: Option<NaiveDateTime>,
    /// `is_active`; `true` when the model has no such field.
    pub is_active: bool,
}

impl User {
    /// A user with only a pk and a password hash: all tokenapi tokens need.
    pub fn new(pk: impl Into<Pk>, password: impl Into<String>) -> Self {
        User {
            pk: pk.into(),
            username: String::new(),
            email: String::new(),
            password: password.into(),
            last_login: None,
            is_active: true,
        }
    }

    /// Set the email field.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// Set `last_login`.
    pub fn with_last_login(mut self, last_login: Option<NaiveDateTime>) -> Self {
        self.last_login = last_login;
        self
    }

    /// Set the username.
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }
}

impl fmt::Debug for User {
    // The password hash stays out of logs: it is what an attacker would crack offline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("pk", &self.pk)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &"<hidden>")
            .field("last_login", &self.last_login)
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// How the primary key is stored and spelled, per Django field class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PkKind {
    /// `AutoField` / `IntegerField` (32-bit; `auth_user.id`).
    Integer,
    /// `BigAutoField` / `BigIntegerField`.
    BigInteger,
    /// `UUIDField`: `uuid` on PostgreSQL, 32 hex characters on SQLite.
    Uuid,
    /// `CharField` and other text keys.
    String,
}

impl PkKind {
    /// `integer`, `biginteger`, `uuid` or `string`: the spelling [`FromStr`](std::str::FromStr)
    /// reads back.
    pub fn as_str(self) -> &'static str {
        match self {
            PkKind::Integer => "integer",
            PkKind::BigInteger => "biginteger",
            PkKind::Uuid => "uuid",
            PkKind::String => "string",
        }
    }
}

impl std::str::FromStr for PkKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "integer" | "int" | "AutoField" | "IntegerField" => Ok(PkKind::Integer),
            "biginteger" | "bigint" | "big-integer" | "BigAutoField" | "BigIntegerField" => {
                Ok(PkKind::BigInteger)
            }
            "uuid" | "UUIDField" => Ok(PkKind::Uuid),
            "string" | "str" | "text" | "CharField" => Ok(PkKind::String),
            other => Err(format!(
                "unknown pk kind {other:?}: expected integer, biginteger, uuid or string"
            )),
        }
    }
}

/// An identifier from configuration that is not a plain SQL name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} {name:?} is not a valid table or column name (letters, digits and _, not starting with a digit)"
)]
pub struct InvalidIdentifier {
    /// Which setting.
    pub what: &'static str,
    /// The value given.
    pub name: String,
}

/// The user model as the database holds it: `AUTH_USER_MODEL`'s table and columns.
///
/// The defaults are Django's `auth_user`. Names are validated (ASCII letters, digits, `_`;
/// a table may be `schema.table`) and always quoted in SQL, so configuration can never
/// inject SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserModel {
    /// `db_table` (`auth_user`).
    pub table: String,
    /// The primary-key column (`id`).
    pub pk_column: String,
    /// The primary key's field class.
    pub pk_kind: PkKind,
    /// The column of `USERNAME_FIELD` (`username`).
    pub username_field: String,
    /// The column of `EMAIL_FIELD` (`email`); `None` for a model without one.
    pub email_field: Option<String>,
    /// The password column (`password`).
    pub password_column: String,
    /// The `last_login` column; `None` for a model without one.
    pub last_login_column: Option<String>,
    /// The `is_active` column; `None` means every user is active (as `AbstractBaseUser`).
    pub is_active_column: Option<String>,
}

impl Default for UserModel {
    fn default() -> Self {
        UserModel {
            table: "auth_user".into(),
            pk_column: "id".into(),
            pk_kind: PkKind::Integer,
            username_field: "username".into(),
            email_field: Some("email".into()),
            password_column: "password".into(),
            last_login_column: Some("last_login".into()),
            is_active_column: Some("is_active".into()),
        }
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// `"name"` (or `"schema"."name"`), for a name [`UserModel::validate`] accepted.
pub fn quote_identifier(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{part}\""))
        .collect::<Vec<_>>()
        .join(".")
}

impl UserModel {
    /// Check every name; a table may be schema-qualified.
    pub fn validate(&self) -> Result<(), InvalidIdentifier> {
        let check = |what: &'static str, name: &str, qualified: bool| {
            let ok = if qualified {
                let parts: Vec<&str> = name.split('.').collect();
                parts.len() <= 2 && parts.iter().all(|p| valid_name(p))
            } else {
                valid_name(name)
            };
            if ok {
                Ok(())
            } else {
                Err(InvalidIdentifier {
                    what,
                    name: name.to_owned(),
                })
            }
        };
        check("table", &self.table, true)?;
        check("pk column", &self.pk_column, false)?;
        check("username field", &self.username_field, false)?;
        check("password column", &self.password_column, false)?;
        for (what, column) in [
            ("email field", &self.email_field),
            ("last_login column", &self.last_login_column),
            ("is_active column", &self.is_active_column),
        ] {
            if let Some(column) = column {
                check(what, column, false)?;
            }
        }
        Ok(())
    }
}

/// What a user id given as text (a URL segment, a form field) means for a pk kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PkLookup {
    /// Look this pk up.
    Pk(Pk),
    /// A well-formed id no row can have (an integer beyond the column's range): no such user.
    Impossible,
    /// Text Django's field would refuse (`int()` fails, not a UUID, NUL on PostgreSQL…);
    /// Django raises there, djtoken answers "no such user".
    Invalid,
}

impl PkKind {
    /// The pk Django's `Field.to_python(text)` / `get_prep_value(text)` would look up.
    ///
    /// Integers follow Python's `int()` (surrounding whitespace, a sign, `_` between digits,
    /// any Unicode decimal digit); UUIDs follow `uuid.UUID(text)` (optional `urn:uuid:`,
    /// braces and hyphens around 32 hex digits); text keys are taken as they are.
    pub fn parse_pk(self, text: &str) -> PkLookup {
        use crate::wire::pyint::{PyInt, parse_int};
        match self {
            PkKind::Integer | PkKind::BigInteger => match parse_int(text) {
                Ok(PyInt::Small(v)) => {
                    let fits = match self {
                        PkKind::Integer => i32::try_from(v).is_ok(),
                        _ => i64::try_from(v).is_ok(),
                    };
                    match i64::try_from(v) {
                        Ok(v) if fits => PkLookup::Pk(Pk::Int(v)),
                        _ => PkLookup::Impossible,
                    }
                }
                Ok(PyInt::Huge { .. }) => PkLookup::Impossible,
                Err(_) => PkLookup::Invalid,
            },
            PkKind::Uuid => {
                let hex = text.replace("urn:", "").replace("uuid:", "");
                let hex = hex.trim_matches(|c| c == '{' || c == '}').replace('-', "");
                if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    match Uuid::parse_str(&hex) {
                        Ok(u) => PkLookup::Pk(Pk::Uuid(u)),
                        Err(_) => PkLookup::Invalid,
                    }
                } else {
                    PkLookup::Invalid
                }
            }
            PkKind::String => PkLookup::Pk(Pk::Str(text.to_owned())),
        }
    }
}

/// A `last_login`-style datetime that is not `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][offset]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a datetime: expected YYYY-MM-DD HH:MM:SS[.ffffff] with an optional UTC offset")]
pub struct InvalidDateTime;

/// Read a datetime as Django stores or prints one (`2024-01-02 03:04:05.678901`, ISO 8601
/// with `T`, an optional `Z` or `±HH:MM` offset) and keep its **wall time**: an offset is
/// dropped without converting, which is what the reset token's
/// `last_login.replace(microsecond=0, tzinfo=None)` does to an aware value.
pub fn parse_wall_time(text: &str) -> Result<NaiveDateTime, InvalidDateTime> {
    let text = text.trim();
    let naive = match text
        .get(10..)
        .and_then(|rest| rest.find(['Z', 'z', '+', '-']))
    {
        Some(at) => &text[..10 + at],
        None => text,
    };
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(naive, format).ok())
    .ok_or(InvalidDateTime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pk_text_is_pythons_str() {
        assert_eq!(Pk::Int(-5).to_string(), "-5");
        let u: Uuid = "12345678-1234-5678-1234-567812345678"
            .parse()
            .expect("a UUID");
        assert_eq!(
            Pk::Uuid(u).to_string(),
            "12345678-1234-5678-1234-567812345678"
        );
        let mut bytes = Vec::new();
        Pk::Uuid(u).write_str_bytes(&mut |b| bytes.extend_from_slice(b));
        assert_eq!(bytes, b"12345678-1234-5678-1234-567812345678");
    }

    #[test]
    fn wall_time_drops_offsets_without_converting() {
        let expected = chrono::NaiveDate::from_ymd_opt(2024, 1, 2)
            .and_then(|d| d.and_hms_micro_opt(3, 4, 5, 678_901))
            .expect("a valid test datetime");
        for text in [
            "2024-01-02 03:04:05.678901",
            "2024-01-02T03:04:05.678901",
            "2024-01-02T03:04:05.678901+05:30",
            "2024-01-02T03:04:05.678901-08:00",
            "2024-01-02T03:04:05.678901Z",
        ] {
            assert_eq!(parse_wall_time(text), Ok(expected), "{text}");
        }
        assert!(parse_wall_time("yesterday").is_err());
        assert!(parse_wall_time("").is_err());
    }

    #[test]
    fn identifiers_are_validated_and_quoted() {
        assert!(UserModel::default().validate().is_ok());
        let bad = UserModel {
            table: "auth_user; DROP TABLE x".into(),
            ..UserModel::default()
        };
        assert!(bad.validate().is_err());
        let qualified = UserModel {
            table: "accounts.user".into(),
            ..UserModel::default()
        };
        assert!(qualified.validate().is_ok());
        assert_eq!(quote_identifier("accounts.user"), "\"accounts\".\"user\"");
        for name in ["", "1abc", "a-b", "a\"b", "ü"] {
            assert!(!valid_name(name), "{name:?}");
        }
    }

    #[test]
    fn user_ids_parse_as_django_fields_do() {
        let int = |t: &str| PkKind::Integer.parse_pk(t);
        assert_eq!(int(" +1_0"), PkLookup::Pk(Pk::Int(10)));
        assert_eq!(int("١"), PkLookup::Pk(Pk::Int(1)));
        assert_eq!(int("2147483647"), PkLookup::Pk(Pk::Int(2_147_483_647)));
        assert_eq!(int("2147483648"), PkLookup::Impossible);
        assert_eq!(int("-1"), PkLookup::Pk(Pk::Int(-1)));
        assert_eq!(int(&"9".repeat(40)), PkLookup::Impossible);
        assert_eq!(int("abc"), PkLookup::Invalid);
        assert_eq!(int("1.5"), PkLookup::Invalid);
        assert_eq!(
            PkKind::BigInteger.parse_pk("3000000000"),
            PkLookup::Pk(Pk::Int(3_000_000_000))
        );
        let u: Uuid = "12345678-1234-5678-1234-567812345678"
            .parse()
            .expect("a UUID");
        for text in [
            "12345678-1234-5678-1234-567812345678",
            "12345678123456781234567812345678",
            "{12345678-1234-5678-1234-567812345678}",
            "urn:uuid:12345678-1234-5678-1234-567812345678",
            "1234-5678-1234-5678-1234-5678-1234-5678",
        ] {
            assert_eq!(
                PkKind::Uuid.parse_pk(text),
                PkLookup::Pk(Pk::Uuid(u)),
                "{text}"
            );
        }
        assert_eq!(PkKind::Uuid.parse_pk("1"), PkLookup::Invalid);
        assert_eq!(
            PkKind::String.parse_pk(" a "),
            PkLookup::Pk(Pk::Str(" a ".into()))
        );
    }

    #[test]
    fn debug_hides_the_password_hash() {
        let user = User::new(1, "pbkdf2_sha256$1$salt$secret");
        assert!(!format!("{user:?}").contains("secret"));
    }
}
