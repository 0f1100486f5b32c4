//! django-rest-knox as the real package behaves (`fixtures/gen/knox_tokens.py`; knox 5.0.1
//! on Django 3.2–4.1, 5.1.0 on 4.2–6.1), per configuration: tokens, digests and keys; what
//! `TokenAuthentication` says to each header in order, over the same rows, and the rows it
//! leaves (expired tokens deleted, expiries auto-refreshed); the login view's answers and
//! the views' metadata.

mod common;

use chrono::{DateTime, Utc};
use common::db::{self, TempSqlite};
use djtoken::drf::TokenHeader;
use djtoken::knox::{self, Config};
use djtoken::settings::KnoxSettings;
use djtoken::store::{KnoxWrite, NaiveTimes};
use djtoken::user::Pk;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Vectors {
    knox: String,
    now: String,
    alice: String,
    bob: String,
    configs: Vec<ConfigVectors>,
}

#[derive(Deserialize)]
struct ConfigVectors {
    name: String,
    settings: Map<String, Value>,
    tokens: Vec<TokenRow>,
    rows: Vec<Row>,
    authenticate: Vec<AuthRow>,
    views: Vec<ViewRow>,
    schema: Vec<String>,
}

#[derive(Deserialize)]
struct TokenRow {
    bytes_from: u8,
    token: String,
    digest: String,
    token_key: String,
}

#[derive(Deserialize, Clone, Debug, PartialEq)]
struct Row {
    digest: String,
    token_key: String,
    user: String,
    created: String,
    expiry: Option<String>,
}

#[derive(Deserialize)]
struct AuthRow {
    name: String,
    header: Option<String>,
    result: Value,
    after: Vec<Row>,
}

#[derive(Deserialize)]
struct ViewRow {
    view: String,
    name: String,
    method: String,
    bytes_from: u8,
    status: u16,
    answer: String,
    content_type: Option<String>,
    allow: Option<String>,
    vary: Option<String>,
    www_authenticate: Option<String>,
}

fn config(vectors: &Vectors, c: &ConfigVectors) -> Config {
    let mut settings = c.settings.clone();
    settings.insert("VERSION".into(), Value::from(vectors.knox.clone()));
    if settings.get("TOKEN_TTL") == Some(&Value::Null) {
        settings.insert("TOKEN_TTL".into(), Value::from(false));
    }
    let settings: KnoxSettings =
        serde_json::from_value(Value::Object(settings)).expect("REST_KNOX as djtoken reads it");
    settings.config().expect("a valid configuration")
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an isoformat datetime")
        .with_timezone(&Utc)
}

fn times() -> NaiveTimes {
    NaiveTimes {
        use_tz: true,
        time_zone: djtoken::clock::parse_time_zone("UTC").expect("UTC"),
    }
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(c).expect("latin-1 text"))
        .collect()
}

/// `bytes((first + i) % 256 for i in range(n))` in hex: the generator's `generate_bytes`.
fn hex_from(first: u8, n: usize) -> String {
    (0..n)
        .map(|i| format!("{:02x}", first.wrapping_add(i as u8)))
        .collect()
}

/// alice (active) and bob (inactive), and `knox_authtoken` as Django's schema editor wrote
/// it for the vectors.
async fn database(vectors: &Vectors, schema: &[String]) -> TempSqlite {
    let users = [
        db::UserRow {
            username: "alice",
            password: "!",
            pk: &vectors.alice,
            active: true,
        },
        db::UserRow {
            username: "bob",
            password: "!",
            pk: &vectors.bob,
            active: false,
        },
    ];
    db::sqlite_with_users("knox", &users, schema).await
}

/// The table, as the generator lists it (by digest), with instants to compare.
fn table(db: &TempSqlite) -> Vec<(String, String, Option<DateTime<Utc>>)> {
    let conn = rusqlite::Connection::open(&db.path).expect("the database");
    let mut statement = conn
        .prepare("SELECT digest, token_key, expiry FROM knox_authtoken ORDER BY digest")
        .expect("a query");
    statement
        .query_map([], |row| {
            let expiry: Option<String> = row.get(2)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                expiry.map(|t| {
                    djtoken::user::parse_wall_time(&t)
                        .expect("a datetime")
                        .and_utc()
                }),
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn theirs(rows: &[Row]) -> Vec<(String, String, Option<DateTime<Utc>>)> {
    rows.iter()
        .map(|r| {
            (
                r.digest.clone(),
                r.token_key.clone(),
                r.expiry.as_deref().map(instant),
            )
        })
        .collect()
}

#[test]
fn tokens_digests_and_keys_are_knoxs() {
    for (series, vectors) in common::vectors::<Vectors>("knox_tokens") {
        for c in &vectors.configs {
            let config = config(&vectors, c);
            for t in &c.tokens {
                let made = format!(
                    "{}{}",
                    config.token_prefix,
                    hex_from(t.bytes_from, config.token_character_length / 2)
                );
                assert_eq!(made, t.token, "{series} {}", c.name);
                assert_eq!(knox::hash_token(&t.token), t.digest, "{series} {}", c.name);
                assert_eq!(
                    knox::token_key(&t.token),
                    t.token_key,
                    "{series} {}",
                    c.name
                );
            }
        }
    }
}

#[tokio::test]
async fn authorization_headers_get_knoxs_answers_and_leave_its_rows() {
    for (series, vectors) in common::vectors::<Vectors>("knox_tokens") {
        let now = instant(&vectors.now);
        for c in &vectors.configs {
            let config = config(&vectors, c);
            let db = database(&vectors, &c.schema).await;
            for row in &c.rows {
                let user = Pk::Int(row.user.parse().expect("an int pk"));
                let insert = KnoxWrite::Insert {
                    digest: &row.digest,
                    key: &row.token_key,
                    user: &user,
                    created: instant(&row.created),
                    expiry: row.expiry.as_deref().map(instant),
                };
                db.store.knox_write(insert, times()).await.expect("a row");
            }
            for row in &c.authenticate {
                let what = format!("{series} (knox {}) {} / {}", vectors.knox, c.name, row.name);
                let header = row.header.as_deref().map(latin1).unwrap_or_default();
                let ours = match knox::parse_authorization(&header, &config) {
                    TokenHeader::NotMine => serde_json::json!({"none": true}),
                    TokenHeader::Malformed(message) => serde_json::json!({"error": message}),
                    TokenHeader::Key(token) => {
                        match knox::authenticate(&db.store, &config, token, now, times())
                            .await
                            .expect("the database")
                        {
                            Ok((user, _)) => serde_json::json!({"user": user.pk.to_string()}),
                            Err(message) => serde_json::json!({"error": message}),
                        }
                    }
                };
                if row.result.get("crash").is_some() {
                    // knox fails with a 500 (a token that is not UTF-8); djtoken refuses it.
                    assert_eq!(
                        ours,
                        serde_json::json!({"error": knox::INVALID_TOKEN}),
                        "{what}"
                    );
                } else {
                    assert_eq!(ours, row.result, "{what}");
                }
                assert_eq!(table(&db), theirs(&row.after), "{what}: the rows left");
            }
        }
    }
}

#[test]
fn the_views_answers_are_knoxs() {
    for (series, vectors) in common::vectors::<Vectors>("knox_tokens") {
        let now = instant(&vectors.now);
        let utc = djtoken::clock::parse_time_zone("UTC").expect("UTC");
        for c in &vectors.configs {
            let config = config(&vectors, c);
            for row in &c.views {
                let what = format!("{series} {} / {} {}", c.name, row.view, row.name);
                assert_eq!(row.allow.as_deref(), Some("POST, OPTIONS"), "{what}");
                assert_eq!(row.vary.as_deref(), Some("Accept"), "{what}");
                let challenge = match (row.status, row.view.as_str()) {
                    (401, "basic-login") => Some(djtoken::drf::BASIC_CHALLENGE.to_owned()),
                    (401, _) => Some(config.auth_header_prefix.clone()),
                    _ => None,
                };
                assert_eq!(row.www_authenticate, challenge, "{what}");
                if row.status == 204 {
                    assert_eq!(
                        (row.answer.as_str(), row.content_type.as_deref()),
                        ("", None),
                        "{what}"
                    );
                    continue;
                }
                assert_eq!(
                    row.content_type.as_deref(),
                    Some("application/json"),
                    "{what}"
                );
                if row.method == "OPTIONS" {
                    let name = match row.view.as_str() {
                        "logout" => "Logout",
                        "logoutall" => "Logout All",
                        _ => "Login",
                    };
                    assert_eq!(row.answer, knox::metadata(name), "{what}");
                } else if row.status == 200 {
                    let token = format!(
                        "{}{}",
                        config.token_prefix,
                        hex_from(row.bytes_from, config.token_character_length / 2)
                    );
                    let expiry = config.token_ttl.map(|ttl| {
                        knox::expiry_text(now + chrono::TimeDelta::microseconds(ttl), true, utc)
                    });
                    assert_eq!(
                        row.answer,
                        knox::login_answer(expiry.as_deref(), &token),
                        "{what}"
                    );
                } else if row.status == 403 && row.answer.starts_with("{\"error\"") {
                    assert_eq!(row.answer, knox::LIMIT_EXCEEDED, "{what}");
                }
            }
        }
    }
}
