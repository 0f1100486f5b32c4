//! Signed cookies from real Django (fixtures/gen/cookies.py): every series' latest release and
//! the last releases before CVE-2026-6873's salt change (5.2.14, 6.0.5), with
//! `SIGNED_COOKIE_LEGACY_SALT_FALLBACK` at its default and, where it exists, set either way.

mod common;

use common::{series, signing_error_kind as kind, signing_verdict, vector};
use djtoken::crypto::SecretKeys;
use djtoken::signing::cookies::{CookieSalt, CookieSigning};
use djtoken::version::DjangoVersion;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Cookies {
    release: String,
    secret_key: String,
    secret_key_fallbacks: Vec<String>,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    call: String,
    name: String,
    salt: String,
    value: Option<String>,
    output: Option<String>,
    input: Option<String>,
    case: Option<String>,
    settings: Option<String>,
    max_age: Option<f64>,
    now: f64,
    result: Option<Value>,
}

#[test]
fn signed_cookies_are_djangos_in_every_release() {
    let mut releases: Vec<String> = series().into_iter().map(str::to_owned).collect();
    if std::env::var("DJTOKEN_TEST_SERIES").is_err() {
        releases.extend(["5.2.14".to_owned(), "6.0.5".to_owned()]);
    }
    for dir in releases {
        let v: Cookies = vector(&dir, "cookies");
        let version: DjangoVersion = v.release.parse().expect("a supported release");
        let patch: u16 = v
            .release
            .split('.')
            .nth(2)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let keys = SecretKeys::new(&v.secret_key).with_fallbacks(&v.secret_key_fallbacks);
        let mut checked = 0;
        for row in &v.rows {
            let fallback = match row.settings.as_deref() {
                None | Some("default") => None,
                Some("legacy fallback True") => Some(true),
                Some("legacy fallback False") => Some(false),
                Some(other) => panic!("{other}"),
            };
            let cookies = CookieSigning::new(
                &keys,
                version,
                CookieSalt::for_release(version, Some(patch), fallback),
            );
            match row.call.as_str() {
                "set" => assert_eq!(
                    cookies.sign(
                        &row.name,
                        row.value.as_deref().expect("a value"),
                        &row.salt,
                        row.now as i64
                    ),
                    row.output.as_deref().expect("an output"),
                    "{}: set {}",
                    v.release,
                    row.name
                ),
                "get" => {
                    let got = cookies.unsign(
                        &row.name,
                        row.input.as_deref().expect("an input"),
                        &row.salt,
                        row.max_age,
                        row.now,
                    );
                    assert_eq!(
                        got.as_ref().map_err(kind),
                        signing_verdict(row.result.as_ref().expect("a result"))
                            .map(|v| v.as_str().expect("a cookie value").to_owned())
                            .as_ref()
                            .map_err(|e| *e),
                        "{}: {:?} {} {:?} max_age {:?}",
                        v.release,
                        row.settings,
                        row.name,
                        row.case,
                        row.max_age
                    );
                }
                other => panic!("{other}"),
            }
            checked += 1;
        }
        assert!(checked >= 85, "{}: {checked} rows", v.release);
    }
}
