//! django-tokenapi's JSON answers, byte for byte: `json.dumps` with its default separators
//! (`", "`, `": "`), `ensure_ascii`, and tokenapi's key order; and the answers of djtoken's
//! own session endpoints, in the same style. The messages live here and nowhere else.

use crate::user::{Pk, User};

/// A WebSocket handshake its session cookie authenticates, from a page whose `Origin`
/// `ALLOWED_HOSTS` does not allow (Channels' `AllowedHostsOriginValidator`).
pub const CROSS_SITE_HANDSHAKE: &str =
    "WebSocket handshake from an origin ALLOWED_HOSTS does not allow.";
/// `token_new` when the method is not POST (405).
pub const MUST_POST: &str = "Must access via a POST request.";
/// `token_new` without both fields (401).
pub const MISSING_LOGIN_FIELDS: &str = "Must include 'username' and 'password' as POST parameters.";
/// `token_new` with wrong credentials or an inactive user (401).
pub const LOGIN_FAILED: &str = "Unable to log you in, please try again.";
/// A login refused before its password is checked: too many failed logins for the username
/// or the client (429; djtoken's own, tokenapi has no throttling).
pub const LOGIN_THROTTLED: &str = "Too many failed login attempts, please try again later.";
/// `token` when the token does not match (401).
pub const TOKEN_MISMATCH: &str = "Token did not match user.";
/// `@token_required` without credentials (401).
pub const MISSING_TOKEN_FIELDS: &str = "Must include 'user' and 'token' parameters with request.";
/// `@token_required` with a wrong pair (403).
pub const WRONG_PAIR: &str = "Incorrect user and token pair.";
/// `/auth` when only the `session` method is configured and there is no logged-in session:
/// DRF's `NotAuthenticated` message.
pub const NOT_LOGGED_IN: &str = "Authentication credentials were not provided.";
/// A session endpoint that only answers GET (and HEAD) (405).
pub const MUST_GET: &str = "Must access via a GET request.";
/// The session login without both fields (400).
pub const MISSING_SESSION_LOGIN_FIELDS: &str =
    "Must include 'username' and 'password' (form fields or a JSON object).";
/// The session login with a body that is not a JSON object of strings (400).
pub const BAD_JSON_LOGIN: &str =
    "Invalid JSON: send an object with 'username' and 'password' strings.";
/// The session login of an inactive user through a backend that lets inactive users
/// authenticate: `AuthenticationForm`'s message (400).
pub const INACTIVE_ACCOUNT: &str = "This account is inactive.";
/// A session endpoint whose session was deleted before it could be saved (Django's
/// `SessionInterrupted`, 400).
pub const SESSION_INTERRUPTED: &str =
    "The request's session was deleted before the request completed.";
/// A session endpoint whose session holds data that cannot be read back (an expiry Django
/// raises on: a 500 there; 400 here).
pub const SESSION_UNREADABLE: &str = "The session cannot be read: log in again.";
/// `@token_required` with an `Authorization` header that has no space (400, tokenapi 2.1.1).
pub const BAD_AUTH_HEADER: &str = "Invalid Authorization header format.";
/// `@token_required` with undecodable Basic credentials (400, tokenapi 2.1.1).
pub const BAD_BASIC: &str = "Invalid Basic auth encoding.";

/// A JSON string literal as Python's `json.dumps(…, ensure_ascii=True)` writes it.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_string(&mut out, s);
    out
}

/// [`json_string`], appended to `out`.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    if s.bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A pk as `DjangoJSONEncoder` writes it: integers as numbers, UUIDs and text as strings.
pub fn json_pk(pk: &Pk) -> String {
    match pk {
        Pk::Int(i) => i.to_string(),
        Pk::Uuid(u) => json_string(&u.hyphenated().to_string()),
        Pk::Str(s) => json_string(s),
    }
}

/// `JsonError(message)`: `{"success": false, "errors": "…"}`.
pub fn error(message: &str) -> String {
    format!(
        "{{\"success\": false, \"errors\": {}}}",
        json_string(message)
    )
}

/// `token_new`'s success: `{"token": "…", "user": 1, "success": true}`.
pub fn token_created(token: &str, pk: &Pk) -> String {
    format!(
        "{{\"token\": {}, \"user\": {}, \"success\": true}}",
        json_string(token),
        json_pk(pk)
    )
}

/// `JsonResponse({})`: `{"success": true}`.
pub const SUCCESS: &str = "{\"success\": true}";

/// `AuthenticationForm`'s `invalid_login` message for a model whose `USERNAME_FIELD` is
/// `field` (its verbose name as Django derives it by default: underscores as spaces).
pub fn invalid_login(field: &str) -> String {
    format!(
        "Please enter a correct {} and password. Note that both fields may be case-sensitive.",
        field.replace('_', " ")
    )
}

/// A session endpoint's answer naming the logged-in user, with the CSRF token a page should
/// send next: `{"success": true, "user": 1, "username": "…", "email": "…", "csrf_token": "…"}`.
pub fn session_login(pk: &Pk, username: &str, email: &str, csrf_token: &str) -> String {
    format!(
        "{{\"success\": true, \"user\": {}, \"username\": {}, \"email\": {}, \"csrf_token\": {}}}",
        json_pk(pk),
        json_string(username),
        json_string(email),
        json_string(csrf_token)
    )
}

/// `whoami/`: `{"authenticated": true, "user": 1, "username": "…", "email": "…"}`, or
/// `{"authenticated": false, "user": null}`.
pub fn whoami(user: Option<&User>) -> String {
    match user {
        Some(user) => format!(
            "{{\"authenticated\": true, \"user\": {}, \"username\": {}, \"email\": {}}}",
            json_pk(&user.pk),
            json_string(&user.username),
            json_string(&user.email)
        ),
        None => "{\"authenticated\": false, \"user\": null}".to_owned(),
    }
}

/// `csrf/`: `{"success": true, "csrf_token": "…"}` (a masked token, as `get_token` gives).
pub fn csrf_token(token: &str) -> String {
    format!(
        "{{\"success\": true, \"csrf_token\": {}}}",
        json_string(token)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_pythons_json_dumps() {
        assert_eq!(
            error(LOGIN_FAILED),
            r#"{"success": false, "errors": "Unable to log you in, please try again."}"#
        );
        assert_eq!(
            error(MISSING_LOGIN_FIELDS),
            r#"{"success": false, "errors": "Must include 'username' and 'password' as POST parameters."}"#
        );
        assert_eq!(
            token_created("6y0-a438a0c8937197581e32", &Pk::Int(1)),
            r#"{"token": "6y0-a438a0c8937197581e32", "user": 1, "success": true}"#
        );
        assert_eq!(
            json_string("é\u{1f511}\"\\\u{1}"),
            r#""\u00e9\ud83d\udd11\"\\\u0001""#
        );
    }
}
