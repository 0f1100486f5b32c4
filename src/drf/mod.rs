//! Django REST framework's `TokenAuthentication` (`rest_framework.authentication`,
//! `rest_framework.authtoken`), the same in DRF 3.15, 3.17 and 3.18: the
//! `Authorization: Token <key>` header as DRF reads it, with its messages, and keys as
//! `Token.generate_key` makes them. Core; the lookup in `authtoken_token` and the creation
//! of keys are in `auth.rs` (feature `store`).
//! Checked against the real package in `tests/django_drf.rs` (`fixtures/gen/drf.py`).

#[cfg(feature = "store")]
mod auth;
pub mod obtain;
pub mod parsers;

#[cfg(feature = "store")]
pub use auth::{key_for, user_of_key};

use crate::crypto::get_random_string;

/// `TokenAuthentication.keyword` (a project's subclass may use another, `Bearer` say).
pub const KEYWORD: &str = "Token";
/// `Token.key`'s `max_length`: no longer key is in the table.
pub const KEY_MAX_LENGTH: usize = 40;
/// The keyword without a key.
pub const NO_CREDENTIALS: &str = "Invalid token header. No credentials provided.";
/// More than a keyword and a key.
pub const SPACES: &str = "Invalid token header. Token string should not contain spaces.";
/// A key that is not UTF-8.
pub const INVALID_CHARACTERS: &str =
    "Invalid token header. Token string should not contain invalid characters.";
/// No such key.
pub const INVALID_TOKEN: &str = "Invalid token.";
/// The key's user is inactive (or gone).
pub const INACTIVE: &str = "User inactive or deleted.";

/// What `TokenAuthentication.authenticate` makes of an `Authorization` header, before the
/// lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenHeader<'a> {
    /// Not this scheme (no header, another keyword): another class may authenticate.
    NotMine,
    /// The key to look up.
    Key(&'a str),
    /// This scheme, malformed: `AuthenticationFailed` with this message.
    Malformed(&'static str),
}

/// `bytes.split()`'s whitespace: space, `\t`, `\n`, `\r`, `\x0b`, `\x0c` (not `\x1c`–`\x1f`
/// or a no-break space, which `str.split` would take).
pub(crate) fn is_bytes_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `get_authorization_header(request).split()` and the checks of `authenticate`, for the
/// header's bytes (WSGI's latin-1 text encoded back, that is the bytes as sent) and the
/// class's `keyword`.
pub fn parse_authorization<'a>(header: &'a [u8], keyword: &str) -> TokenHeader<'a> {
    let mut parts = header
        .split(|&b| is_bytes_whitespace(b))
        .filter(|part| !part.is_empty());
    let Some(scheme) = parts.next() else {
        return TokenHeader::NotMine;
    };
    if !scheme.eq_ignore_ascii_case(keyword.as_bytes()) {
        return TokenHeader::NotMine;
    }
    let Some(key) = parts.next() else {
        return TokenHeader::Malformed(NO_CREDENTIALS);
    };
    if parts.next().is_some() {
        return TokenHeader::Malformed(SPACES);
    }
    match std::str::from_utf8(key) {
        Ok(key) => TokenHeader::Key(key),
        Err(_) => TokenHeader::Malformed(INVALID_CHARACTERS),
    }
}

/// What `BasicAuthentication.authenticate` makes of an `Authorization` header, before
/// `authenticate(username=…, password=…)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BasicHeader {
    /// Not Basic credentials: another class may authenticate.
    NotMine,
    /// The username and password.
    Credentials {
        /// The part before the first `:`.
        username: String,
        /// The rest.
        password: String,
    },
    /// Basic, malformed: `AuthenticationFailed` with this message.
    Malformed(&'static str),
}

/// `BasicAuthentication`'s message for credentials no active user has.
pub const INVALID_USERNAME_PASSWORD: &str = "Invalid username/password.";
/// `BasicAuthentication.authenticate_header`.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"api\"";

/// `BasicAuthentication.authenticate` up to the password check: `bytes.split()`, `basic` in
/// any case, then `base64.b64decode` (CPython's lenient decoder, [`crate::wire::base64`]),
/// UTF-8 else latin-1, split at the first `:`.
pub fn parse_basic(header: &[u8]) -> BasicHeader {
    let mut parts = header
        .split(|&b| is_bytes_whitespace(b))
        .filter(|part| !part.is_empty());
    let Some(scheme) = parts.next() else {
        return BasicHeader::NotMine;
    };
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return BasicHeader::NotMine;
    }
    let Some(encoded) = parts.next() else {
        return BasicHeader::Malformed("Invalid basic header. No credentials provided.");
    };
    if parts.next().is_some() {
        return BasicHeader::Malformed(
            "Invalid basic header. Credentials string should not contain spaces.",
        );
    }
    const BAD: BasicHeader =
        BasicHeader::Malformed("Invalid basic header. Credentials not correctly base64 encoded.");
    let Ok(decoded) = crate::wire::base64::b64decode(encoded) else {
        return BAD;
    };
    let text = match String::from_utf8(decoded) {
        Ok(text) => text,
        Err(e) => crate::wire::latin1::decode(e.as_bytes()),
    };
    match text.split_once(':') {
        Some((username, password)) => BasicHeader::Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        },
        None => BAD,
    }
}

/// Whether `key` could be in `authtoken_token` at all: at most 40 characters, and no NUL
/// (which PostgreSQL refuses in text, a 500 from DRF there). Any other key is
/// [`INVALID_TOKEN`] without a lookup.
pub fn storable(key: &str) -> bool {
    key.chars().count() <= KEY_MAX_LENGTH && !key.contains('\0')
}

/// `Token.generate_key()`: 40 lowercase hexadecimal characters from the OS's randomness
/// (`secrets.token_hex(20)`; 3.15's `hexlify(os.urandom(20))` has the same form).
pub fn generate_key() -> String {
    get_random_string(KEY_MAX_LENGTH, "0123456789abcdef")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_split_as_bytes_split() {
        let key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b";
        fn parse(header: &str) -> TokenHeader<'_> {
            parse_authorization(header.as_bytes(), KEYWORD)
        }
        assert_eq!(parse(&format!("Token {key}")), TokenHeader::Key(key));
        assert_eq!(parse(&format!("tOKEN\x0b {key} ")), TokenHeader::Key(key));
        assert_eq!(parse(&format!("Token\x1c{key}")), TokenHeader::NotMine);
        assert_eq!(parse("Bearer x"), TokenHeader::NotMine);
        assert_eq!(parse("Token  "), TokenHeader::Malformed(NO_CREDENTIALS));
        assert_eq!(parse("Token a b"), TokenHeader::Malformed(SPACES));
        assert_eq!(
            parse_authorization(b"Token \xe9\xe9", KEYWORD),
            TokenHeader::Malformed(INVALID_CHARACTERS)
        );
        assert_eq!(
            parse_authorization(b"Bearer abc", "Bearer"),
            TokenHeader::Key("abc")
        );
    }

    #[test]
    fn basic_credentials_decode_as_cpythons_b64decode() {
        // b64decode stops at the first complete padding: `YTo=QUJD` is `a:`, a wrong
        // password for DRF, not a malformed header.
        assert_eq!(
            parse_basic(b"Basic YTo=QUJD"),
            BasicHeader::Credentials {
                username: "a".into(),
                password: String::new()
            }
        );
        assert!(matches!(
            parse_basic(b"Basic YTo"),
            BasicHeader::Malformed(_)
        ));
    }

    #[test]
    fn keys_are_forty_hex_characters() {
        let key = generate_key();
        assert_eq!(key.len(), 40);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(key, generate_key());
        assert!(storable(&key) && !storable(&format!("{key}0")) && !storable("a\0b"));
    }
}
