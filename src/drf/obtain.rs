//! DRF's `obtain_auth_token` view (`ObtainAuthToken` with `AuthTokenSerializer`), the same in
//! DRF 3.15, 3.17 and 3.18: what its parsers and serializer make of a request, and its JSON
//! answers byte for byte (`JSONRenderer`: compact, non-ASCII as is). The password check and
//! `get_or_create` of the key are the caller's. Checked against the real view in
//! `tests/django_drf.rs`.

pub use super::parsers::Submitted;
pub use super::parsers::method_not_allowed;
use super::parsers::{json_text, non_field, read_fields};

/// `Allow` on every answer.
pub const ALLOW: &str = "POST, OPTIONS";

/// What the view makes of the request before the password is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// `authenticate(username=…, password=…)` comes next.
    Credentials {
        /// The username, stripped of surrounding whitespace as `CharField` strips it.
        username: String,
        /// The password, as sent.
        password: String,
    },
    /// DRF's answer: a status and its JSON body.
    Answer(u16, String),
}

/// The answer to OPTIONS: `SimpleMetadata` of the view and its serializer.
pub const METADATA: &str = concat!(
    r#"{"name":"Obtain Auth Token","description":"","renders":["application/json"],"#,
    r#""parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],"#,
    r#""actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"#,
    r#""password":{"type":"string","required":true,"read_only":false,"label":"Password"},"#,
    r#""token":{"type":"string","required":false,"read_only":true,"label":"Token"}}}}"#
);

/// The answer to a successful login: the user's key.
pub fn token(key: &str) -> String {
    format!("{{\"token\":{}}}", json_text(key))
}

/// `AuthTokenSerializer.validate`'s answer when `authenticate` finds no (active) user.
pub fn unable_to_log_in() -> String {
    non_field("Unable to log in with provided credentials.")
}

/// `ObtainAuthToken.post` up to `authenticate`: the parsers, then the serializer's fields
/// (`username` stripped, `password` as sent).
pub fn read(submitted: Submitted<'_>) -> Read {
    match read_fields(submitted, &[("username", true), ("password", false)]) {
        Ok(mut values) => {
            let password = values.pop().expect("two fields");
            let username = values.pop().expect("two fields");
            Read::Credentials { username, password }
        }
        Err((status, body)) => Read::Answer(status, body),
    }
}
