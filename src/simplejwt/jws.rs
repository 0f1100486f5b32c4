//! PyJWT's HMAC JSON Web Tokens (`jwt.encode` / `jwt.decode`, PyJWT 2.x as simplejwt calls
//! it): the compact serialisation byte for byte, and the checks of `decode` in PyJWT's order.
//!
//! Issuing: the header is `json.dumps({"typ": "JWT", "alg": alg}, sort_keys=True)`, i.e.
//! `{"alg":"HS256","typ":"JWT"}` (the `jsonwebtoken` crate writes `typ` first, a different
//! first segment, which is why djtoken does not issue with it); the payload is
//! `json.dumps(payload, separators=(",", ":"))` in insertion order, ASCII only. Verifying
//! follows PyJWT 2.15 (the pinned release): strict base64url segments, the `kid` and `crit`
//! headers, the algorithm allow-list, a constant-time signature compare, then `iat`, `nbf`,
//! `exp`, `iss`, `aud`, `sub`, `jti` in that order. simplejwt tells only two failures apart
//! (expired, or anything else), so [`JwtError`] does too, with PyJWT's reason for the logs.
//! The verification is djtoken's own rather than a JWT crate's because those two outcomes
//! must fall exactly where PyJWT's do (an `iat` in the future is "invalid" even when the
//! token has also expired; `exp` may be `"1700000000"` or `true`, which Python's `int()`
//! reads), and no crate checks in that order.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde_json::{Map, Value};

/// The HMAC algorithms simplejwt signs with a shared key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HmacAlgorithm {
    /// `HS256` (simplejwt's default).
    #[default]
    Hs256,
    /// `HS384`.
    Hs384,
    /// `HS512`.
    Hs512,
}

impl HmacAlgorithm {
    /// The `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            HmacAlgorithm::Hs256 => "HS256",
            HmacAlgorithm::Hs384 => "HS384",
            HmacAlgorithm::Hs512 => "HS512",
        }
    }

    /// `HS256`, `HS384` or `HS512`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "HS256" => Some(HmacAlgorithm::Hs256),
            "HS384" => Some(HmacAlgorithm::Hs384),
            "HS512" => Some(HmacAlgorithm::Hs512),
            _ => None,
        }
    }

    fn sign(self, key: &[u8], input: &[u8]) -> Vec<u8> {
        fn mac<M: Mac + KeyInit>(key: &[u8], input: &[u8]) -> Vec<u8> {
            let mut mac =
                <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            mac.update(input);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            HmacAlgorithm::Hs256 => mac::<hmac::Hmac<sha2::Sha256>>(key, input),
            HmacAlgorithm::Hs384 => mac::<hmac::Hmac<sha2::Sha384>>(key, input),
            HmacAlgorithm::Hs512 => mac::<hmac::Hmac<sha2::Sha512>>(key, input),
        }
    }
}

/// Why `jwt.decode` raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// `ExpiredSignatureError`: `exp <= now - leeway`.
    #[error("Signature has expired")]
    Expired,
    /// Any other `InvalidTokenError`, with PyJWT's reason.
    #[error("{0}")]
    Invalid(&'static str),
}

/// What `decode` checks beyond the signature: simplejwt's `AUDIENCE`, `ISSUER` and `LEEWAY`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Validation {
    /// `audience`: `aud` is checked only when set (simplejwt's `verify_aud`).
    pub audience: Option<Vec<String>>,
    /// `issuer`.
    pub issuer: Option<String>,
    /// `leeway`, in seconds.
    pub leeway: f64,
}

/// `base64url_encode`: no padding.
fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// The first segment PyJWT writes: `{"alg":"HS256","typ":"JWT"}` in base64url.
fn standard_header(algorithm: HmacAlgorithm) -> &'static str {
    match algorithm {
        HmacAlgorithm::Hs256 => "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        HmacAlgorithm::Hs384 => "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9",
        HmacAlgorithm::Hs512 => "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9",
    }
}

/// `jwt.encode(payload, key, algorithm)`: the token for a payload already serialised by
/// `json.dumps(payload, separators=(",", ":"))`.
pub fn encode(algorithm: HmacAlgorithm, key: &[u8], payload_json: &[u8]) -> String {
    let mut token = standard_header(algorithm).to_owned();
    token.push('.');
    token.push_str(&b64(payload_json));
    let signature = algorithm.sign(key, token.as_bytes());
    token.push('.');
    token.push_str(&b64(&signature));
    token
}

/// `PyJWS._decode_base64url_segment`: at most two `=`, only on a whole quantum; the URL-safe
/// alphabet; no unused bits set (the segment must be what `base64url_encode` writes).
fn segment(data: &[u8], what: &'static str) -> Result<Vec<u8>, JwtError> {
    let padding = data.iter().rev().take_while(|&&b| b == b'=').count();
    let stripped = &data[..data.len() - padding];
    if padding > 2 || (padding > 0 && !data.len().is_multiple_of(4)) {
        return Err(JwtError::Invalid(what));
    }
    URL_SAFE_NO_PAD
        .decode(stripped)
        .map_err(|_| JwtError::Invalid(what))
}

/// `json.loads` of a segment: UTF-8 text, an object; integers beyond 64 bits (Python reads
/// them, a JSON value here cannot hold them) are refused.
fn object(data: &[u8], what: &'static str) -> Result<Map<String, Value>, JwtError> {
    let text = std::str::from_utf8(data).map_err(|_| JwtError::Invalid(what))?;
    let parsed = if text.is_ascii() {
        crate::signing::json::loads(text.as_bytes())
    } else {
        serde_json::from_str(text)
    };
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Invalid(what)),
    }
}

/// `int(value)` for a time claim, as a float to compare with `now` (exact for every value a
/// clock can be near); `None` where Python's `int()` raises.
fn int_of(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Some(i as f64),
            (_, Some(u), _) => Some(u as f64),
            (_, _, Some(f)) if f.is_finite() => Some(f.trunc()),
            _ => None,
        },
        Value::String(s) => match crate::wire::pyint::parse_int(s).ok()? {
            crate::wire::pyint::PyInt::Small(v) => Some(v as f64),
            crate::wire::pyint::PyInt::Huge { negative } => Some(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
        },
        _ => None,
    }
}

/// Python's truth value of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `jwt.decode(token, key, algorithms=[algorithm], audience=…, issuer=…, leeway=…,
/// options={"verify_aud": audience is not None})` at `now` (seconds since the epoch): the
/// payload, or why not.
pub fn decode(
    token: &[u8],
    key: &[u8],
    algorithm: HmacAlgorithm,
    validation: &Validation,
    now: f64,
) -> Result<Map<String, Value>, JwtError> {
    // _load: the signature after the last dot, the header before the first.
    let (signing_input, crypto) = match token.iter().rposition(|&b| b == b'.') {
        Some(i) => (&token[..i], &token[i + 1..]),
        None => return Err(JwtError::Invalid("Not enough segments")),
    };
    let Some(dot) = signing_input.iter().position(|&b| b == b'.') else {
        return Err(JwtError::Invalid("Not enough segments"));
    };
    let (header, payload) = (&signing_input[..dot], &signing_input[dot + 1..]);
    // The header PyJWT writes for this algorithm needs no parsing: only `alg` and `typ`.
    let header = if header == standard_header(algorithm).as_bytes() {
        let mut standard = Map::new();
        standard.insert("alg".into(), Value::from(algorithm.name()));
        standard
    } else {
        object(
            &segment(header, "Invalid header padding")?,
            "Invalid header string",
        )?
    };
    // A detached payload ("b64": false) needs the caller's payload, which simplejwt never
    // passes: PyJWT refuses the token either way.
    if header.get("b64") == Some(&Value::Bool(false)) {
        return Err(JwtError::Invalid(
            "The 'b64' header parameter is not supported here",
        ));
    }
    let payload = segment(payload, "Invalid payload padding")?;
    let signature = segment(crypto, "Invalid crypto padding")?;
    if header.get("kid").is_some_and(|kid| !kid.is_string()) {
        return Err(JwtError::Invalid(
            "Key ID header parameter must be a string",
        ));
    }
    if let Some(crit) = header.get("crit") {
        let understood = match crit {
            Value::Array(list) if !list.is_empty() => list
                .iter()
                .all(|ext| ext.as_str() == Some("b64") && header.contains_key("b64")),
            _ => false,
        };
        if !understood {
            return Err(JwtError::Invalid("Invalid 'crit' header"));
        }
    }
    match header.get("alg") {
        None => return Err(JwtError::Invalid("Algorithm not specified")),
        Some(alg) if alg.as_str() != Some(algorithm.name()) => {
            return Err(JwtError::Invalid("The specified alg value is not allowed"));
        }
        Some(_) => {}
    }
    let expected = algorithm.sign(key, signing_input);
    if !crate::crypto::constant_time_compare(&expected, &signature) {
        return Err(JwtError::Invalid("Signature verification failed"));
    }
    let payload = object(&payload, "Invalid payload string")?;
    validate_claims(&payload, validation, now)?;
    Ok(payload)
}

/// `PyJWT._validate_claims`, in its order.
fn validate_claims(
    payload: &Map<String, Value>,
    validation: &Validation,
    now: f64,
) -> Result<(), JwtError> {
    let leeway = validation.leeway;
    if let Some(iat) = payload.get("iat") {
        let iat = int_of(iat).ok_or(JwtError::Invalid(
            "Issued At claim (iat) must be an integer.",
        ))?;
        if iat > now + leeway {
            return Err(JwtError::Invalid("The token is not yet valid (iat)"));
        }
    }
    if let Some(nbf) = payload.get("nbf") {
        let nbf = int_of(nbf).ok_or(JwtError::Invalid(
            "Not Before claim (nbf) must be an integer.",
        ))?;
        if nbf > now + leeway {
            return Err(JwtError::Invalid("The token is not yet valid (nbf)"));
        }
    }
    if let Some(exp) = payload.get("exp") {
        let exp = int_of(exp).ok_or(JwtError::Invalid(
            "Expiration Time claim (exp) must be an integer.",
        ))?;
        if exp <= now - leeway {
            return Err(JwtError::Expired);
        }
    }
    if let Some(issuer) = &validation.issuer {
        match payload.get("iss") {
            None => return Err(JwtError::Invalid("Token is missing the \"iss\" claim")),
            Some(Value::String(iss)) if iss == issuer => {}
            Some(_) => return Err(JwtError::Invalid("Invalid issuer")),
        }
    }
    if let Some(audience) = &validation.audience {
        let claims = match payload.get("aud") {
            Some(aud) if truthy(aud) => aud,
            _ => return Err(JwtError::Invalid("Token is missing the \"aud\" claim")),
        };
        let claims: Vec<&str> = match claims {
            Value::String(one) => vec![one.as_str()],
            Value::Array(list) => list
                .iter()
                .map(Value::as_str)
                .collect::<Option<_>>()
                .ok_or(JwtError::Invalid("Invalid claim format in token"))?,
            _ => return Err(JwtError::Invalid("Invalid claim format in token")),
        };
        if !audience.iter().any(|aud| claims.contains(&aud.as_str())) {
            return Err(JwtError::Invalid("Audience doesn't match"));
        }
    }
    if payload.get("sub").is_some_and(|sub| !sub.is_string()) {
        return Err(JwtError::Invalid("Subject must be a string"));
    }
    if payload.get("jti").is_some_and(|jti| !jti.is_string()) {
        return Err(JwtError::Invalid("JWT ID must be a string"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"rust-compat-test-secret-key-0123456789abcdefghijklmnop";

    #[test]
    fn the_header_is_pyjwts() {
        for algorithm in [
            HmacAlgorithm::Hs256,
            HmacAlgorithm::Hs384,
            HmacAlgorithm::Hs512,
        ] {
            let header = format!("{{\"alg\":\"{}\",\"typ\":\"JWT\"}}", algorithm.name());
            assert_eq!(standard_header(algorithm), b64(header.as_bytes()));
        }
    }

    #[test]
    fn segments_are_strict_base64url() {
        assert_eq!(segment(b"e30", "x"), Ok(b"{}".to_vec()));
        assert_eq!(segment(b"e30=", "x"), Ok(b"{}".to_vec()));
        assert!(segment(b"e30==", "x").is_err());
        assert!(segment(b"e31", "x").is_err(), "unused bits set");
        assert!(segment(b"e3+", "x").is_err());
        assert!(segment(b"e", "x").is_err());
    }

    #[test]
    fn time_claims_are_read_as_python_int_reads_them() {
        assert_eq!(int_of(&Value::from(" 12 ")), Some(12.0));
        assert_eq!(int_of(&Value::from(true)), Some(1.0));
        assert_eq!(int_of(&Value::from(1.9)), Some(1.0));
        assert_eq!(int_of(&Value::from("1e3")), None);
        assert_eq!(int_of(&Value::Null), None);
    }

    #[test]
    fn an_iat_in_the_future_is_invalid_before_exp_is_looked_at() {
        let payload = br#"{"exp":1,"iat":9999999999}"#;
        let token = encode(HmacAlgorithm::Hs256, KEY, payload);
        let verdict = decode(
            token.as_bytes(),
            KEY,
            HmacAlgorithm::Hs256,
            &Validation::default(),
            1_700_000_000.0,
        );
        assert_eq!(
            verdict,
            Err(JwtError::Invalid("The token is not yet valid (iat)"))
        );
    }
}
