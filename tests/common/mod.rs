//! Helpers shared by the integration tests: the fixture vectors real Django wrote.
#![allow(dead_code)]

#[cfg(feature = "sqlite")]
pub mod db;

use std::path::{Path, PathBuf};

use djtoken::Pk;
use serde::Deserialize;

/// Every Django series djtoken supports; each must have its vectors.
pub const SERIES: [&str; 9] = [
    "3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1",
];

/// The series to test: all of them, or those named in DJTOKEN_TEST_SERIES (comma-separated).
pub fn series() -> Vec<&'static str> {
    match std::env::var("DJTOKEN_TEST_SERIES") {
        Ok(only) => SERIES
            .iter()
            .copied()
            .filter(|s| only.split(",").any(|o| o == *s))
            .collect(),
        Err(_) => SERIES.to_vec(),
    }
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `fixtures/vectors/django-<series>/<name>.json`, parsed, for every series.
pub fn vectors<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<(&'static str, T)> {
    series().into_iter().map(|s| (s, vector(s, name))).collect()
}

/// `fixtures/vectors/django-<series>/<name>.json`, parsed.
pub fn vector<T: for<'de> Deserialize<'de>>(series: &str, name: &str) -> T {
    let path = fixtures_dir()
        .join("vectors")
        .join(format!("django-{series}"))
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run fixtures/generate)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A pk as the generators describe it: `{"kind": "int"|"uuid"|"str", "value": "…"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct PkJson {
    pub kind: String,
    pub value: String,
}

impl PkJson {
    pub fn to_pk(&self) -> Pk {
        match self.kind.as_str() {
            "int" => Pk::Int(self.value.parse().expect("an i64 pk")),
            "uuid" => Pk::Uuid(self.value.parse().expect("a UUID pk")),
            "str" => Pk::Str(self.value.clone()),
            other => panic!("unknown pk kind {other}"),
        }
    }
}

/// A signing verdict as the generators record it (`{"ok": value}`, `{"ok_not_json": …}`,
/// `{"error": class}`), as the value or the kind of error.
pub fn signing_verdict(result: &serde_json::Value) -> Result<serde_json::Value, &'static str> {
    if let Some(value) = result.get("ok") {
        return Ok(value.clone());
    }
    if result.get("ok_not_json").is_some() {
        // NaN or Infinity, which Python's json reads and a JSON value cannot hold.
        return Err("malformed");
    }
    match result["error"].as_str().expect("an error class") {
        "BadSignature" => Err("bad signature"),
        "SignatureExpired" => Err("expired"),
        _ => Err("malformed"),
    }
}

/// The kind of a [`djtoken::signing::SigningError`], in the terms of [`signing_verdict`].
pub fn signing_error_kind(e: &djtoken::signing::SigningError) -> &'static str {
    use djtoken::signing::SigningError;
    match e {
        SigningError::NoSeparator(_) | SigningError::BadSignature => "bad signature",
        SigningError::Expired { .. } => "expired",
        SigningError::Malformed(_)
        | SigningError::EmptyTimestamp
        | SigningError::Base64(_)
        | SigningError::Zlib(_)
        | SigningError::UnsafeSeparator(_) => "malformed",
    }
}
