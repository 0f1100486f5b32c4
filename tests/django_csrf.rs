//! Django's CSRF protection against real Django 3.2–6.1 (fixtures/gen/csrf.py): masking and
//! unmasking, the cookie a login's `rotate_token` leaves, and `CsrfViewMiddleware`'s verdict
//! — accepted, or the reason string — for every kind of unsafe request.

mod common;

use common::vectors;
use djtoken::csrf::{
    CsrfConfig, CsrfRequest, check, mask_cipher_secret, new_cookie_value, unmask_cipher_token,
};
use djtoken::version::DjangoVersion;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Csrf {
    mask: Vec<MaskRow>,
    rotate: Vec<RotateRow>,
    check: Vec<CheckRow>,
}

#[derive(Deserialize)]
struct MaskRow {
    secret: String,
    mask: String,
    token: String,
    unmasked: String,
}

#[derive(Deserialize)]
struct RotateRow {
    settings: Map<String, Value>,
    length: usize,
}

#[derive(Deserialize)]
struct CheckRow {
    name: String,
    method: String,
    secure: bool,
    host: Option<String>,
    port: String,
    origin: Option<String>,
    referer: Option<String>,
    cookie: Option<String>,
    post: Option<String>,
    header: Option<String>,
    session: Option<String>,
    settings: Map<String, Value>,
    result: Value,
}

fn flag(settings: &Map<String, Value>, name: &str) -> bool {
    settings.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn text(settings: &Map<String, Value>, name: &str) -> Option<String> {
    settings
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn config(version: DjangoVersion, settings: &Map<String, Value>) -> CsrfConfig {
    let mut config = CsrfConfig::new(version);
    config.use_sessions = flag(settings, "CSRF_USE_SESSIONS");
    config.cookie_masked = flag(settings, "CSRF_COOKIE_MASKED");
    config.cookie_domain = text(settings, "CSRF_COOKIE_DOMAIN");
    config.session_cookie_domain = text(settings, "SESSION_COOKIE_DOMAIN");
    if let Some(name) = text(settings, "CSRF_HEADER_NAME") {
        config.header_name = name;
    }
    config.trusted_origins = settings["CSRF_TRUSTED_ORIGINS"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| o.as_str().expect("a string").to_owned())
        .collect();
    config
}

#[test]
fn masks_are_djangos() {
    for (series, v) in vectors::<Csrf>("csrf") {
        for row in &v.mask {
            assert_eq!(
                mask_cipher_secret(&row.secret, &row.mask).as_deref(),
                Some(row.token.as_str()),
                "{series}"
            );
            assert_eq!(
                unmask_cipher_token(&row.token).as_deref(),
                Some(row.unmasked.as_str()),
                "{series}"
            );
        }
    }
}

#[test]
fn a_login_stores_the_secret_in_the_form_of_its_version() {
    for (series, v) in vectors::<Csrf>("csrf") {
        let version: DjangoVersion = series.parse().expect("a series");
        for row in &v.rotate {
            let value = new_cookie_value(version, flag(&row.settings, "CSRF_COOKIE_MASKED"));
            assert_eq!(value.len(), row.length, "{series} {:?}", row.settings);
        }
    }
}

#[test]
fn unsafe_requests_get_csrf_view_middlewares_verdict() {
    let mut checked = 0;
    for (series, v) in vectors::<Csrf>("csrf") {
        let version: DjangoVersion = series.parse().expect("a series");
        for row in &v.check {
            let config = config(version, &row.settings);
            let secret = if config.use_sessions {
                row.session.as_deref()
            } else {
                row.cookie.as_deref()
            };
            let request = CsrfRequest {
                method: &row.method,
                secure: row.secure,
                host: row.host.as_deref(),
                port: &row.port,
                origin: row.origin.as_deref(),
                referer: row.referer.as_deref(),
                secret,
                form_token: row.post.as_deref(),
                header_token: row.header.as_deref(),
            };
            let ours = check(&config, &request);
            match (row.result.get("accepted"), row.result.get("reason")) {
                (Some(_), _) => assert_eq!(ours, Ok(()), "{series}: {}", row.name),
                (_, Some(reason)) => assert_eq!(
                    ours.map_err(|r| r.0),
                    Err(reason.as_str().expect("text").to_owned()),
                    "{series}: {}",
                    row.name
                ),
                _ => panic!("{series}: {}: Django raised {}", row.name, row.result),
            }
            checked += 1;
        }
    }
    assert!(checked >= 45, "only {checked} cases");
}
