//! DRF's `obtain_auth_token` view (`ObtainAuthToken` with `AuthTokenSerializer`), the same in
//! DRF 3.15, 3.17 and 3.18: what its parsers and serializer make of a request, and its JSON
//! answers byte for byte (`JSONRenderer`: compact, non-ASCII as is). The password check and
//! `get_or_create` of the key are the caller's. Checked against the real view in
//! `tests/django_drf.rs`.

use serde_json::Value;

/// `Allow` on every answer.
pub const ALLOW: &str = "POST, OPTIONS";

/// A request body as DRF's parsers (`FormParser`, `MultiPartParser`, `JSONParser`) see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Submitted<'a> {
    /// Form fields, urlencoded or multipart, in order (a repeated name: the last value).
    Form(&'a [(String, String)]),
    /// A JSON body (an empty one is no data).
    Json(&'a [u8]),
    /// No body and no media type.
    Nothing,
    /// A media type no parser takes (DRF's 415).
    Unsupported(&'a str),
}

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

fn json_text(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

fn detail(message: &str) -> String {
    format!("{{\"detail\":{}}}", json_text(message))
}

fn non_field(message: &str) -> String {
    format!("{{\"non_field_errors\":[{}]}}", json_text(message))
}

/// The answer to OPTIONS: `SimpleMetadata` of the view and its serializer.
pub const METADATA: &str = concat!(
    r#"{"name":"Obtain Auth Token","description":"","renders":["application/json"],"#,
    r#""parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],"#,
    r#""actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"#,
    r#""password":{"type":"string","required":true,"read_only":false,"label":"Password"},"#,
    r#""token":{"type":"string","required":false,"read_only":true,"label":"Token"}}}}"#
);

/// The answer to a method other than POST and OPTIONS: 405.
pub fn method_not_allowed(method: &str) -> String {
    detail(&format!("Method \"{method}\" not allowed."))
}

/// The answer to a successful login: the user's key.
pub fn token(key: &str) -> String {
    format!("{{\"token\":{}}}", json_text(key))
}

/// `AuthTokenSerializer.validate`'s answer when `authenticate` finds no (active) user.
pub fn unable_to_log_in() -> String {
    non_field("Unable to log in with provided credentials.")
}

/// One `CharField`'s verdict on a submitted value.
fn char_field(value: Option<&Value>, trim: bool) -> Result<String, &'static str> {
    let text = match value {
        None => return Err("This field is required."),
        Some(Value::Null) => return Err("This field may not be null."),
        Some(Value::String(s)) => s.clone(),
        // str(1) and str(1.5): the numbers as Python prints them.
        Some(Value::Number(n)) => python_number(n),
        Some(_) => return Err("Not a valid string."),
    };
    let stripped = text.trim_matches(crate::pyint::is_str_space);
    if text.is_empty() || (trim && stripped.is_empty()) {
        return Err("This field may not be blank.");
    }
    Ok(if trim { stripped.to_owned() } else { text })
}

/// `str()` of a JSON number as Python's `json` reads it (an int, or a float's `repr`).
fn python_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if !(n.is_i64() || n.is_u64()) => crate::signing::json::python_float_repr(f),
        _ => n.to_string(),
    }
}

/// The serializer's verdict on the fields: the credentials, or the errors of each field in
/// the serializer's order.
fn fields(username: Option<&Value>, password: Option<&Value>) -> Read {
    match (char_field(username, true), char_field(password, false)) {
        (Ok(username), Ok(password)) => Read::Credentials { username, password },
        (u, p) => {
            let errors: Vec<String> = [("username", u.err()), ("password", p.err())]
                .into_iter()
                .filter_map(|(name, error)| error.map(|e| format!("\"{name}\":[{}]", json_text(e))))
                .collect();
            Read::Answer(400, format!("{{{}}}", errors.join(",")))
        }
    }
}

/// `ObtainAuthToken.post` up to `authenticate`: the parsers, then the serializer's fields.
pub fn read(submitted: Submitted<'_>) -> Read {
    let data = match submitted {
        Submitted::Unsupported(media_type) => {
            return Read::Answer(
                415,
                detail(&format!(
                    "Unsupported media type \"{media_type}\" in request."
                )),
            );
        }
        Submitted::Nothing => return fields(None, None),
        Submitted::Form(pairs) => {
            let last = |name: &str| {
                pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| Value::String(v.clone()))
            };
            return fields(last("username").as_ref(), last("password").as_ref());
        }
        Submitted::Json([]) => return fields(None, None),
        Submitted::Json(body) => match parse_json(body) {
            Ok(data) => data,
            Err(message) => {
                return Read::Answer(400, detail(&format!("JSON parse error - {message}")));
            }
        },
    };
    match data {
        Value::Object(map) => fields(map.get("username"), map.get("password")),
        Value::Null => Read::Answer(400, non_field("No data provided")),
        other => {
            let kind = match other {
                Value::Bool(_) => "bool",
                Value::Number(n) if n.is_i64() || n.is_u64() => "int",
                Value::Number(_) => "float",
                Value::String(_) => "str",
                _ => "list",
            };
            Read::Answer(
                400,
                non_field(&format!(
                    "Invalid data. Expected a dictionary, but got {kind}."
                )),
            )
        }
    }
}

/// The body as `json.loads` reads it (duplicate keys: the last), or why not. Python's own
/// message is given for the refusals DRF adds (`NaN`, `Infinity`) and for bytes that are not
/// UTF-8; other malformed JSON gets serde_json's description after DRF's prefix.
fn parse_json(body: &[u8]) -> Result<Value, String> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        // DRF's stream reader leaves an incomplete sequence at the very end undecoded.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&body[..e.valid_up_to()]).expect("the valid prefix")
        }
        Err(e) => {
            let at = e.valid_up_to();
            let byte = body[at];
            let why = if matches!(byte, 0x80..=0xc1 | 0xf5..=0xff) {
                "invalid start byte"
            } else {
                "invalid continuation byte"
            };
            return Err(format!(
                "'utf-8' codec can't decode byte 0x{byte:02x} in position {at}: {why}"
            ));
        }
    };
    for constant in ["NaN", "-Infinity", "Infinity"] {
        if serde_json::from_str::<Value>(text).is_err() && text.contains(constant) {
            return Err(format!(
                "Out of range float values are not JSON compliant: '{constant}'"
            ));
        }
    }
    serde_json::from_str(text).map_err(|e| e.to_string())
}
