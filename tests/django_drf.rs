//! Django REST framework's `TokenAuthentication` against the real package (DRF 3.15.1 on
//! Django 3.2–4.1, 3.17.2 on 4.2–5.1, 3.18.3 on 5.2–6.1; fixtures/gen/drf.py): what every
//! kind of `Authorization` header comes to — not this scheme, a malformed header with DRF's
//! message, or a key whose lookup gives the user, `Invalid token.` or `User inactive or
//! deleted.` — and the form of the keys DRF generates.

mod common;

use common::vectors;
use djtoken::drf::{self, TokenHeader};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Drf {
    authenticate: Vec<Row>,
    keys: Vec<String>,
    www_authenticate: String,
}

#[derive(Deserialize)]
struct Row {
    name: String,
    header: String,
    result: BTreeMap<String, serde_json::Value>,
}

/// The generator's table: one key of an active user (pk 1), one of an inactive user.
const ACTIVE: &str = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b";
const INACTIVE: &str = "0123456789abcdef0123456789abcdef01234567";

/// The answer for a header, with the generator's table as the store (an exact match, as on
/// SQLite and PostgreSQL).
fn answer(header: &[u8]) -> Result<Option<&'static str>, &'static str> {
    match drf::parse_authorization(header, drf::KEYWORD) {
        TokenHeader::NotMine => Ok(None),
        TokenHeader::Malformed(message) => Err(message),
        TokenHeader::Key(key) if !drf::storable(key) => Err(drf::INVALID_TOKEN),
        TokenHeader::Key(ACTIVE) => Ok(Some("1")),
        TokenHeader::Key(INACTIVE) => Err(drf::INACTIVE),
        TokenHeader::Key(_) => Err(drf::INVALID_TOKEN),
    }
}

#[test]
fn authorization_headers_get_drfs_answers() {
    let mut checked = 0;
    for (series, v) in vectors::<Drf>("drf") {
        assert_eq!(v.www_authenticate, drf::KEYWORD, "{series}");
        for row in &v.authenticate {
            // WSGI's latin-1 text, encoded back: the bytes as sent.
            let bytes: Vec<u8> = row
                .header
                .chars()
                .map(|c| u8::try_from(u32::from(c)).expect("latin-1"))
                .collect();
            let expected = if row.result.contains_key("none") {
                Ok(None)
            } else if let Some(user) = row.result.get("user") {
                Ok(Some(user.as_str().expect("a pk")))
            } else {
                Err(row.result["error"].as_str().expect("a message"))
            };
            assert_eq!(answer(&bytes), expected, "{series}: {}", row.name);
            checked += 1;
        }
        for key in &v.keys {
            assert_eq!(key.len(), drf::generate_key().len(), "{series}");
            assert!(
                key.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
        }
    }
    assert!(checked >= 20, "only {checked} headers");
}

#[derive(Deserialize)]
struct ObtainRows {
    obtain_auth_token: Vec<ObtainRow>,
}

#[derive(Deserialize)]
struct ObtainRow {
    name: String,
    method: String,
    content_type: Option<String>,
    body: String,
    status: u16,
    answer: String,
    allow: String,
}

/// The form fields of the generator's bodies (`+` for spaces; they hold no escapes).
fn form_fields(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.replace('+', " "), v.replace('+', " "))
        })
        .collect()
}

/// `obtain_auth_token`'s answers: the view's own parsing and validation from
/// `djtoken::drf::obtain`, `authenticate` as the generator's table has it (alice/pw active,
/// bob/pw inactive). JSON that does not parse is refused with DRF's status and prefix; the
/// rest of that message is Python's `json` module's, which djtoken does not copy.
#[test]
fn obtain_auth_token_answers_as_drf() {
    use djtoken::drf::obtain::{self, Read, Submitted};
    let mut checked = 0;
    for (series, v) in vectors::<ObtainRows>("drf") {
        for row in &v.obtain_auth_token {
            assert_eq!(row.allow, obtain::ALLOW, "{series}: {}", row.name);
            let what = format!("{series}: {}", row.name);
            if row.method == "OPTIONS" {
                assert_eq!(
                    (200, obtain::METADATA),
                    (row.status, row.answer.as_str()),
                    "{what}"
                );
                checked += 1;
                continue;
            }
            if row.method != "POST" {
                assert_eq!(
                    (405, obtain::method_not_allowed(&row.method)),
                    (row.status, row.answer.clone()),
                    "{what}"
                );
                checked += 1;
                continue;
            }
            let bytes: Vec<u8> = row.body.chars().map(|c| c as u32 as u8).collect();
            let form = form_fields(&row.body);
            let content_type = row.content_type.as_deref().unwrap_or("");
            let media = content_type.split(';').next().unwrap_or("").trim();
            let submitted = match media {
                "application/x-www-form-urlencoded" => Submitted::Form(&form),
                "application/json" => Submitted::Json(&bytes),
                "" if bytes.is_empty() => Submitted::Nothing,
                _ => Submitted::Unsupported(content_type),
            };
            let ours = match obtain::read(submitted) {
                Read::Credentials { username, password } => {
                    if (username.as_str(), password.as_str()) == ("alice", "pw") {
                        (200, obtain::token("<key>"))
                    } else {
                        (400, obtain::unable_to_log_in())
                    }
                }
                Read::Answer(status, body) => (status, body),
            };
            if row.answer.starts_with("{\"detail\":\"JSON parse error - ")
                && !row.answer.contains("not JSON compliant")
                && !row.answer.contains("codec can't decode")
            {
                assert_eq!(ours.0, row.status, "{what}");
                assert!(
                    ours.1.starts_with("{\"detail\":\"JSON parse error - "),
                    "{what}: {}",
                    ours.1
                );
            } else {
                assert_eq!(ours, (row.status, row.answer.clone()), "{what}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} requests");
}
