//! Session data and session auth hashes from real Django 3.2–6.1 (fixtures/gen/sessions.py):
//! `SessionBase.encode` byte for byte, `decode` with Django's answer for every input (Django
//! 3.2's 3.0-format fallback included), and `get_session_auth_hash` with its fallback and
//! legacy forms.

mod common;

use common::vectors;
use djtoken::crypto::SecretKeys;
use djtoken::sessions::{
    AuthHashMatch, SessionCodec, SessionData, check_session_auth_hash, session_auth_hash,
};
use djtoken::version::DjangoVersion;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Sessions {
    django: String,
    secret_key: String,
    secret_key_fallbacks: Vec<String>,
    encode: Vec<EncodeRow>,
    decode: Vec<DecodeRow>,
    auth_hash: Vec<HashRow>,
}

#[derive(Deserialize)]
struct EncodeRow {
    salt: String,
    data: Map<String, Value>,
    now: i64,
    output: String,
}

#[derive(Deserialize)]
struct DecodeRow {
    name: String,
    input: String,
    result: Value,
}

#[derive(Deserialize)]
struct HashRow {
    password: String,
    hash: String,
    fallback_hashes: Option<Vec<String>>,
    legacy_hash: Option<String>,
}

fn all() -> Vec<(&'static str, DjangoVersion, Sessions, SecretKeys)> {
    vectors::<Sessions>("sessions")
        .into_iter()
        .map(|(series, v)| {
            assert!(
                v.django.starts_with(series),
                "{series}: Django {}",
                v.django
            );
            let keys = SecretKeys::new(&v.secret_key).with_fallbacks(&v.secret_key_fallbacks);
            (series, series.parse().expect("a series"), v, keys)
        })
        .collect()
}

#[test]
fn session_data_is_encoded_as_django_encodes_it() {
    for (series, version, v, keys) in all() {
        for row in &v.encode {
            let codec = SessionCodec::new(&keys, version, &row.salt, false);
            assert_eq!(
                codec.encode(&row.data.clone().into(), row.now),
                row.output,
                "{series}: {}",
                row.salt
            );
            assert_eq!(
                codec.decode(&row.output).as_ref().map(SessionData::values),
                Ok(&row.data),
                "{series}"
            );
        }
    }
}

#[test]
fn session_data_is_decoded_as_django_decodes_it() {
    for (series, version, v, keys) in all() {
        let codec = SessionCodec::new(&keys, version, djtoken::sessions::DEFAULT_SALT, false);
        for row in &v.decode {
            let got = codec.decode(&row.input);
            match row.result.get("ok") {
                Some(Value::Object(expected)) => {
                    assert_eq!(
                        got.as_ref().map(SessionData::values),
                        Ok(expected),
                        "{series}: {}",
                        row.name
                    )
                }
                _ => assert!(
                    got.is_err(),
                    "{series}: {}: Django raised, got {got:?}",
                    row.name
                ),
            }
        }
    }
}

#[test]
fn django_3_2_in_sha1_mode_writes_the_format_of_3_0() {
    let (_, version, v, keys) = all()
        .into_iter()
        .find(|(s, ..)| *s == "3.2")
        .expect("3.2 vectors");
    let legacy = v
        .decode
        .iter()
        .find(|r| r.name == "pre-3.1 format")
        .expect("3.2 wrote the 3.0 format");
    let data = legacy.result["ok"].as_object().expect("a session").clone();
    let codec = SessionCodec::new(&keys, version, djtoken::sessions::DEFAULT_SALT, true);
    assert_eq!(codec.encode(&data.into(), 0), legacy.input);
}

#[test]
fn auth_hashes_are_djangos() {
    for (series, version, v, keys) in all() {
        assert!(v.auth_hash.len() >= 4);
        for row in &v.auth_hash {
            assert_eq!(
                session_auth_hash(&row.password, &keys, false),
                row.hash,
                "{series}"
            );
            let check = |hash: &str| {
                check_session_auth_hash(Some(hash), &row.password, &keys, version, false)
            };
            assert_eq!(check(&row.hash), AuthHashMatch::Current);
            for fallback in row.fallback_hashes.iter().flatten() {
                assert_eq!(check(fallback), AuthHashMatch::Fallback, "{series}");
            }
            if let Some(legacy) = &row.legacy_hash {
                assert_eq!(session_auth_hash(&row.password, &keys, true), *legacy);
                assert_eq!(check(legacy), AuthHashMatch::Legacy, "{series}");
            }
            // What this version does not have, it does not accept.
            if row.fallback_hashes.is_none() {
                let other = SecretKeys::new("fixture-session-old-key-0123456789abcdefghijklmnopqr");
                assert_eq!(
                    check(&session_auth_hash(&row.password, &other, false)),
                    AuthHashMatch::Mismatch
                );
            }
            assert_eq!(check("0"), AuthHashMatch::Mismatch);
            assert_eq!(
                check_session_auth_hash(None, &row.password, &keys, version, false),
                AuthHashMatch::Mismatch
            );
        }
    }
}
