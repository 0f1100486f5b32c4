//! django-rest-knox (`knox`), 5.0 and 5.1: its tokens (`TOKEN_PREFIX` + hex of random bytes,
//! stored as the SHA-512 hex digest with the first 15 characters as `token_key`), its
//! `TokenAuthentication`'s reading of the `Authorization` header and messages, and the JSON
//! of its login view. Core; the `knox_authtoken` lookups, expiry clean-up, auto-refresh and
//! the views' table work are in `auth.rs` (feature `store`).
//!
//! 5.1 added `AUTO_REFRESH_MAX_TTL` and counts tokens without an expiry against
//! `TOKEN_LIMIT_PER_USER`; the token format is the same. Checked against the real package in
//! `tests/django_knox.rs` (`fixtures/gen/knox.py`).

#[cfg(feature = "store")]
mod auth;

#[cfg(feature = "store")]
pub use auth::{Login, authenticate, create_token, login, logout, logout_all};

use chrono::{DateTime, Offset as _, Utc};
use sha2::{Digest, Sha512};

use crate::clock::TimeZone;
use crate::drf::TokenHeader;

/// `CONSTANTS.TOKEN_KEY_LENGTH`: the indexed prefix of a token.
pub const TOKEN_KEY_LENGTH: usize = 15;
/// `CONSTANTS.MAXIMUM_TOKEN_PREFIX_LENGTH`.
pub const MAXIMUM_TOKEN_PREFIX_LENGTH: usize = 10;
/// Knox's message for a token it does not know (or that expired).
pub const INVALID_TOKEN: &str = "Invalid token.";
/// Knox's message for a token of an inactive user.
pub const INACTIVE: &str = "User inactive or deleted.";
/// The login view's answer when the user has `TOKEN_LIMIT_PER_USER` tokens already (403).
pub const LIMIT_EXCEEDED: &str =
    "{\"error\":\"Maximum amount of tokens allowed per user exceeded.\"}";

/// The knox release whose behaviour to follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// 5.0.x: the last for Django 3.2 to 4.1.
    V5_0,
    /// 5.1.x.
    #[default]
    V5_1,
}

impl Version {
    /// `5.0`, `5.0.1`, `5.1`, `5.1.0`…
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        match (parts.next()?, parts.next()?) {
            ("5", "0") => Some(Version::V5_0),
            ("5", "1") => Some(Version::V5_1),
            _ => None,
        }
    }
}

/// knox's settings (`REST_KNOX`), resolved; durations in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The release to follow.
    pub version: Version,
    /// `AUTH_TOKEN_CHARACTER_LENGTH`: hex characters after the prefix (an even number).
    pub token_character_length: usize,
    /// `TOKEN_TTL`; `None`: tokens that never expire.
    pub token_ttl: Option<i64>,
    /// `TOKEN_LIMIT_PER_USER`.
    pub token_limit_per_user: Option<u64>,
    /// `AUTO_REFRESH`.
    pub auto_refresh: bool,
    /// `AUTO_REFRESH_MAX_TTL` (5.1).
    pub auto_refresh_max_ttl: Option<i64>,
    /// `MIN_REFRESH_INTERVAL`, seconds.
    pub min_refresh_interval: f64,
    /// `AUTH_HEADER_PREFIX`: the keyword, any case (`Token`, as DRF's).
    pub auth_header_prefix: String,
    /// `TOKEN_PREFIX`.
    pub token_prefix: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: Version::V5_1,
            token_character_length: 64,
            token_ttl: Some(10 * 3600 * 1_000_000),
            token_limit_per_user: None,
            auto_refresh: false,
            auto_refresh_max_ttl: None,
            min_refresh_interval: 60.0,
            auth_header_prefix: "Token".into(),
            token_prefix: String::new(),
        }
    }
}

/// `hash_token(token)`: the SHA-512 hex digest of the token's UTF-8 bytes.
pub fn hash_token(token: &str) -> String {
    crate::wire::hex::encode(&Sha512::digest(token.as_bytes()))
}

/// `token[:TOKEN_KEY_LENGTH]`: the first 15 characters (the prefix included).
pub fn token_key(token: &str) -> &str {
    match token.char_indices().nth(TOKEN_KEY_LENGTH) {
        Some((at, _)) => &token[..at],
        None => token,
    }
}

/// `TOKEN_PREFIX + create_token_string()`: hex of `AUTH_TOKEN_CHARACTER_LENGTH / 2` random
/// bytes.
pub fn generate_token(config: &Config) -> String {
    let mut bytes = vec![0u8; config.token_character_length / 2];
    crate::crypto::fill_random(&mut bytes);
    format!(
        "{}{}",
        config.token_prefix,
        crate::wire::hex::encode(&bytes)
    )
}

/// What knox's `TokenAuthentication.authenticate` makes of the header before the lookup:
/// DRF's splitting and messages with the configured keyword. A token that is not UTF-8 makes
/// knox fail with a 500; here it is a token no row has ([`INVALID_TOKEN`]).
pub fn parse_authorization<'a>(header: &'a [u8], config: &Config) -> TokenHeader<'a> {
    match crate::drf::parse_authorization(header, &config.auth_header_prefix) {
        TokenHeader::Malformed(m) if m == crate::drf::INVALID_CHARACTERS => {
            TokenHeader::Malformed(INVALID_TOKEN)
        }
        other => other,
    }
}

/// `DateTimeField(format=DATETIME_FORMAT).to_representation(expiry)` with DRF's default
/// `iso-8601`: `isoformat()` in the current time zone (`TIME_ZONE` with `USE_TZ`, naive
/// without), `+00:00` written `Z`, microseconds only when there are some.
pub fn expiry_text(expiry: DateTime<Utc>, use_tz: bool, time_zone: TimeZone) -> String {
    let local = expiry.with_timezone(&time_zone);
    let naive = local.naive_local();
    let mut text = naive.format("%Y-%m-%dT%H:%M:%S").to_string();
    let micros = naive.and_utc().timestamp_subsec_micros();
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    if !use_tz {
        return text;
    }
    match local.offset().fix().local_minus_utc() {
        0 => text + "Z",
        seconds => {
            let sign = if seconds < 0 { '-' } else { '+' };
            let seconds = seconds.abs();
            let mut zone = format!("{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60);
            if seconds % 60 != 0 {
                zone.push_str(&format!(":{:02}", seconds % 60));
            }
            text + &zone
        }
    }
}

/// `SimpleMetadata` of knox's views (OPTIONS): `Login`, `Logout`, `Logout All` — no
/// serializer, so no actions.
pub fn metadata(view_name: &str) -> String {
    let json = crate::drf::parsers::json_text;
    let description = match view_name {
        "Logout All" => {
            "Log the user out of all sessions\nI.E. deletes all auth tokens for the user"
        }
        _ => "",
    };
    format!(
        concat!(
            "{{\"name\":{},\"description\":{},",
            "\"renders\":[\"application/json\",\"text/html\"],",
            "\"parses\":[\"application/json\",\"application/x-www-form-urlencoded\",\"multipart/form-data\"]}}"
        ),
        json(view_name),
        json(description)
    )
}

/// The login view's answer: `{"expiry": …, "token": …}`.
pub fn login_answer(expiry: Option<&str>, token: &str) -> String {
    let json = crate::drf::parsers::json_text;
    format!(
        "{{\"expiry\":{},\"token\":{}}}",
        expiry.map_or("null".to_owned(), json),
        json(token)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_token_digest_and_key() {
        // django-sessions-tokens-spec.md §8: urandom patched to bytes 0..31.
        let token = crate::wire::hex::encode(&(0u8..32).collect::<Vec<_>>());
        assert_eq!(
            hash_token(&token),
            "7f9d357a1a2cfb5d7367e7393a4b0594ae88bf2eefa37ced94e8cd4ed64b1e2e87428f37d98e8d5c9297688a88541f319d409a99412549e39fdefcebc57956d3"
        );
        assert_eq!(token_key(&token), "000102030405060");
        let prefixed = format!("dj_{token}");
        assert_eq!(token_key(&prefixed), "dj_000102030405");
        assert_eq!(
            hash_token(&prefixed),
            "0b9d8a859090ba6282093f9dac49508f849bb945fbb0d5180669ee78b854da46a91fbdefa43277edac1ee414f330c8b49273bb03a15cb1b0c04f608512aa1ee0"
        );
    }

    #[test]
    fn tokens_are_the_prefix_and_hex() {
        let config = Config {
            token_prefix: "dj_".into(),
            ..Config::default()
        };
        let token = generate_token(&config);
        assert_eq!(token.len(), 67);
        assert!(token.starts_with("dj_"));
        assert!(
            token[3..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn expiry_is_drfs_iso_8601() {
        let at = DateTime::from_timestamp(1_700_036_000, 123_456_000).unwrap();
        let utc = crate::clock::parse_time_zone("UTC").unwrap();
        let kolkata = crate::clock::parse_time_zone("Asia/Kolkata").unwrap();
        assert_eq!(expiry_text(at, true, utc), "2023-11-15T08:13:20.123456Z");
        assert_eq!(
            expiry_text(at, true, kolkata),
            "2023-11-15T13:43:20.123456+05:30"
        );
        assert_eq!(
            expiry_text(at, false, kolkata),
            "2023-11-15T13:43:20.123456"
        );
    }
}
