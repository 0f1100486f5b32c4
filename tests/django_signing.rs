//! `django.core.signing` vectors from real Django 3.2–6.1 (fixtures/gen/signing.py): every
//! string Django signed, signed byte for byte the same; every signed string Django judged,
//! judged the same.

mod common;

use common::vectors;
use djtoken::crypto::{Algorithm, SecretKeys};
use djtoken::signing::{self, Signer, SignerOptions, TimestampSigner};
use djtoken::version::DjangoVersion;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Signing {
    django: String,
    secret_key: String,
    secret_key_fallbacks: Vec<String>,
    sign: Vec<SignRow>,
    verify: Vec<VerifyRow>,
    sha1_mode: Vec<Value>,
}

#[derive(Deserialize)]
struct SignRow {
    kind: String,
    options: Options,
    value: Value,
    now: i64,
    output: String,
}

#[derive(Deserialize, Default)]
struct Options {
    salt: Option<String>,
    sep: Option<String>,
    algorithm: Option<String>,
    #[serde(default)]
    compress: bool,
}

#[derive(Deserialize)]
struct VerifyRow {
    name: String,
    call: String,
    input: String,
    max_age: Option<f64>,
    now: Option<f64>,
    salt: Option<String>,
    result: Value,
}

fn keys(v: &Signing) -> SecretKeys {
    SecretKeys::new(&v.secret_key).with_fallbacks(&v.secret_key_fallbacks)
}

fn options(o: &Options) -> SignerOptions {
    SignerOptions {
        salt: o.salt.clone(),
        sep: o.sep.clone().unwrap_or_else(|| ":".into()),
        algorithm: o
            .algorithm
            .as_deref()
            .map(|a| a.parse::<Algorithm>().expect("an algorithm")),
        sha1_mode: false,
    }
}

use common::{signing_error_kind as kind, signing_verdict as expected};

fn all() -> Vec<(&'static str, Signing)> {
    let all = vectors::<Signing>("signing");
    for (series, v) in &all {
        assert!(
            v.django.starts_with(series),
            "{series}: Django {}",
            v.django
        );
    }
    all
}

#[test]
fn signatures_are_djangos_byte_for_byte() {
    for (series, v) in all() {
        let version: DjangoVersion = series.parse().expect("a series");
        let keys = keys(&v);
        assert!(v.sign.len() > 100, "{series}: {} rows", v.sign.len());
        for row in &v.sign {
            let got = match row.kind.as_str() {
                "signer" => Signer::new(&keys, version, options(&row.options))
                    .expect("a safe separator")
                    .sign(row.value.as_str().expect("a string")),
                "timestamp" => TimestampSigner::new(&keys, version, options(&row.options))
                    .expect("a safe separator")
                    .sign(row.value.as_str().expect("a string"), row.now),
                "dumps" => signing::dumps(
                    &row.value,
                    &keys,
                    version,
                    row.options.salt.as_deref().expect("a salt"),
                    row.options.compress,
                    row.now,
                ),
                other => panic!("{other}"),
            };
            assert_eq!(got, row.output, "{series}: {} {}", row.kind, row.value);
            if row.kind == "dumps" {
                let back = signing::loads(
                    &row.output,
                    &keys,
                    version,
                    row.options.salt.as_deref().expect("a salt"),
                    None,
                    row.now as f64,
                );
                assert_eq!(back.as_ref(), Ok(&row.value), "{series}: {}", row.output);
            }
        }
    }
}

#[test]
fn signed_values_are_judged_as_django_judges_them() {
    for (series, v) in all() {
        let version: DjangoVersion = series.parse().expect("a series");
        let keys = keys(&v);
        for row in &v.verify {
            let got = match row.call.as_str() {
                "loads" => signing::loads(
                    &row.input,
                    &keys,
                    version,
                    signing::DEFAULT_DUMPS_SALT,
                    row.max_age,
                    row.now.expect("a time"),
                ),
                "unsign" => {
                    let options = SignerOptions {
                        salt: row.salt.clone(),
                        ..SignerOptions::default()
                    };
                    Signer::new(&keys, version, options)
                        .expect("a signer")
                        .unsign(&row.input)
                        .map(|s| Value::String(s.to_owned()))
                }
                other => panic!("{other}"),
            };
            assert_eq!(
                got.as_ref().map_err(kind),
                expected(&row.result).as_ref().map_err(|e| *e),
                "{series}: {}",
                row.name
            );
        }
    }
}

#[test]
fn django_3_2_in_sha1_mode_signs_and_accepts_only_sha1() {
    let (_, v) = all()
        .into_iter()
        .find(|(s, _)| *s == "3.2")
        .expect("3.2 vectors");
    let keys = keys(&v);
    let sha1 = SignerOptions {
        salt: Some(signing::DEFAULT_DUMPS_SALT.into()),
        sha1_mode: true,
        ..SignerOptions::default()
    };
    let signer = TimestampSigner::new(&keys, DjangoVersion::V3_2, sha1).expect("a signer");
    let mut checked = 0;
    for row in &v.sha1_mode {
        if let Some(output) = row.get("output") {
            let value = &row["value"];
            let now = row["now"].as_i64().expect("a time");
            assert_eq!(
                signer.sign_object(value, false, now),
                output.as_str().expect("text")
            );
        } else {
            let input = row["input"].as_str().expect("text");
            let got = signer.unsign_object(input, None, 1.7e9);
            assert_eq!(
                got.as_ref().map_err(kind),
                expected(&row["result"]).as_ref().map_err(|e| *e),
                "{}",
                row["name"]
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}
