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
    fn debug_hides_the_password_hash() {
        let user = User::new(1, "pbkdf2_sha256$1$salt$secret");
        assert!(!format!("{user:?}").contains("secret"));
    }
}
