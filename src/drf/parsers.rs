//! What DRF's default parsers (`JSONParser`, `FormParser`, `MultiPartParser`) and a
//! serializer of `CharField`s make of a request body, and the JSON of DRF's errors
//! (`JSONRenderer`: compact, non-ASCII as is). Shared by the views djtoken serves in DRF's
//! place: `obtain_auth_token` and simplejwt's.

use serde_json::Value;

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

/// A JSON string as `JSONRenderer` writes it.
pub fn json_text(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// `{"detail": message}`.
pub fn detail(message: &str) -> String {
    format!("{{\"detail\":{}}}", json_text(message))
}

/// `{"non_field_errors": [message]}`.
pub fn non_field(message: &str) -> String {
    format!("{{\"non_field_errors\":[{}]}}", json_text(message))
}

/// The answer to a method the view does not have: 405.
pub fn method_not_allowed(method: &str) -> String {
    detail(&format!("Method \"{method}\" not allowed."))
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
    let stripped = text.trim_matches(crate::wire::pyint::is_str_space);
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

/// The parsers, then a serializer of `CharField`s (name, `trim_whitespace`): their values
/// in order, or DRF's answer (status, JSON body).
pub fn read_fields(
    submitted: Submitted<'_>,
    fields: &[(&str, bool)],
) -> Result<Vec<String>, (u16, String)> {
    let data = match submitted {
        Submitted::Unsupported(media_type) => {
            return Err((
                415,
                detail(&format!(
                    "Unsupported media type \"{media_type}\" in request."
                )),
            ));
        }
        Submitted::Nothing | Submitted::Json([]) => return validate(fields, |_| None),
        Submitted::Form(pairs) => {
            return validate(fields, |name| {
                pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| Value::String(v.clone()))
            });
        }
        Submitted::Json(body) => match parse_json(body) {
            Ok(data) => data,
            Err(message) => {
                return Err((400, detail(&format!("JSON parse error - {message}"))));
            }
        },
    };
    match data {
        Value::Object(map) => validate(fields, |name| map.get(name).cloned()),
        Value::Null => Err((400, non_field("No data provided"))),
        other => {
            let kind = match other {
                Value::Bool(_) => "bool",
                Value::Number(n) if n.is_i64() || n.is_u64() => "int",
                Value::Number(_) => "float",
                Value::String(_) => "str",
                _ => "list",
            };
            Err((
                400,
                non_field(&format!(
                    "Invalid data. Expected a dictionary, but got {kind}."
                )),
            ))
        }
    }
}

/// Each field's verdict, in the serializer's order: the values, or every field's errors.
fn validate(
    fields: &[(&str, bool)],
    value: impl Fn(&str) -> Option<Value>,
) -> Result<Vec<String>, (u16, String)> {
    let verdicts: Vec<_> = fields
        .iter()
        .map(|&(name, trim)| (name, char_field(value(name).as_ref(), trim)))
        .collect();
    if verdicts.iter().all(|(_, v)| v.is_ok()) {
        return Ok(verdicts.into_iter().filter_map(|(_, v)| v.ok()).collect());
    }
    let errors: Vec<String> = verdicts
        .iter()
        .filter_map(|(name, v)| {
            v.as_ref()
                .err()
                .map(|e| format!("{}:[{}]", json_text(name), json_text(e)))
        })
        .collect();
    Err((400, format!("{{{}}}", errors.join(","))))
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
