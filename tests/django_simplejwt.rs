//! djangorestframework-simplejwt as the real package behaves (`fixtures/gen/simplejwt.py`,
//! simplejwt 5.3.1 on Django 3.2–4.1 and 5.5.1 on 4.2–6.1, PyJWT 2.15.1), per
//! configuration: the tokens it issues (byte for byte), what `JWTAuthentication` makes of
//! each `Authorization` header, and the answers of its four views, in order, over a SQLite
//! database with the vectors' users and the blacklist tables Django created.

mod common;

use common::db::{self, TempSqlite};
use djtoken::crypto::SecretKey;
use djtoken::settings::SimpleJwtSettings;
use djtoken::simplejwt::views::{self, View};
use djtoken::simplejwt::{self, Config, RawToken, Token, TokenType, Version};
use djtoken::store::{NaiveTimes, OutstandingToken};
use djtoken::user::Pk;
use serde::Deserialize;
use serde_json::{Map, Value};

const SECRET_KEY: &str = "rust-compat-test-secret-key-0123456789abcdefghijklmnop";

#[derive(Deserialize)]
struct Vectors {
    simplejwt: String,
    configs: Vec<ConfigVectors>,
}

#[derive(Deserialize)]
struct ConfigVectors {
    name: String,
    settings: Map<String, Value>,
    blacklist_app: bool,
    now: f64,
    alice: UserRow,
    bob: UserRow,
    issued: Vec<Issued>,
    authenticate: Vec<AuthRow>,
    views: Vec<ViewRow>,
    #[serde(default)]
    schema: Vec<String>,
}

#[derive(Deserialize)]
struct UserRow {
    pk: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
struct Issued {
    what: String,
    token: String,
}

#[derive(Deserialize)]
struct AuthRow {
    name: String,
    header: String,
    result: Value,
}

#[derive(Deserialize)]
struct ViewRow {
    view: String,
    name: String,
    method: String,
    content_type: Option<String>,
    body: String,
    status: u16,
    answer: Option<String>,
    allow: Option<String>,
    vary: Option<String>,
    www_authenticate: Option<String>,
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(c).expect("latin-1 text"))
        .collect()
}

/// The configuration the vectors ran with, built as `djtoken.toml`'s `[SIMPLE_JWT]` is.
fn config(vectors: &Vectors, c: &ConfigVectors) -> Config {
    let mut settings = c.settings.clone();
    let key = match settings.remove("SIGNING_KEY") {
        Some(Value::String(key)) => key,
        _ => SECRET_KEY.to_owned(),
    };
    settings.insert("VERSION".into(), Value::from(vectors.simplejwt.clone()));
    settings.insert("BLACKLIST_APP".into(), Value::from(c.blacklist_app));
    let settings: SimpleJwtSettings =
        serde_json::from_value(Value::Object(settings)).expect("SIMPLE_JWT as djtoken reads it");
    settings
        .config(SecretKey::new(key), "id")
        .expect("a valid configuration")
}

fn micros(now: f64) -> i64 {
    (now * 1e6).round() as i64
}

/// `uuid4().hex` of the generator's patched uuid4: 1, 2, 3, …
fn jti(n: u128) -> String {
    format!("{n:032x}")
}

fn times() -> NaiveTimes {
    NaiveTimes {
        use_tz: true,
        time_zone: djtoken::clock::parse_time_zone("UTC").expect("UTC"),
    }
}

/// A SQLite database with alice (active) and bob (inactive) at the vectors' pks and
/// passwords, and the blacklist tables as Django's schema editor wrote them.
async fn database(c: &ConfigVectors) -> TempSqlite {
    let password = |row: &UserRow| {
        if row.password.is_empty() {
            "!".to_owned()
        } else {
            row.password.clone()
        }
    };
    let (alice, bob) = (password(&c.alice), password(&c.bob));
    let users = [
        db::UserRow {
            username: "alice",
            password: &alice,
            pk: &c.alice.pk,
            active: true,
        },
        db::UserRow {
            username: "bob",
            password: &bob,
            pk: &c.bob.pk,
            active: false,
        },
    ];
    db::sqlite_with_users("simplejwt", &users, &c.schema).await
}

fn alice(c: &ConfigVectors) -> djtoken::User {
    djtoken::User::new(
        Pk::Int(c.alice.pk.parse().expect("an int pk")),
        c.alice.password.clone(),
    )
}

#[test]
fn issued_tokens_are_simplejwts_byte_for_byte() {
    for (series, vectors) in common::vectors::<Vectors>("simplejwt") {
        for c in &vectors.configs {
            let config = config(&vectors, c);
            let now = micros(c.now);
            let user = alice(c);
            let refresh = Token::for_user(&config, TokenType::Refresh, &user, now, jti(1));
            let mut ours = vec![
                ("refresh for_user", refresh.encode(&config)),
                (
                    "access from refresh",
                    refresh.access_token(&config, now, jti(2)).encode(&config),
                ),
                (
                    "access for_user",
                    Token::for_user(&config, TokenType::Access, &user, now, jti(3)).encode(&config),
                ),
                (
                    "sliding for_user",
                    Token::for_user(&config, TokenType::Sliding, &user, now, jti(4))
                        .encode(&config),
                ),
            ];
            if c.blacklist_app {
                let listed = Token::for_user(&config, TokenType::Sliding, &user, now, jti(5));
                ours.push(("blacklisted sliding", listed.encode(&config)));
            }
            assert_eq!(ours.len(), c.issued.len(), "{series} {}", c.name);
            for ((what, token), theirs) in ours.iter().zip(&c.issued) {
                assert_eq!(*what, theirs.what);
                assert_eq!(token, &theirs.token, "{series} {}: {what}", c.name);
            }
        }
    }
}

#[tokio::test]
async fn authorization_headers_get_jwtauthentications_answers() {
    for (series, vectors) in common::vectors::<Vectors>("simplejwt") {
        let version = Version::parse(&vectors.simplejwt).expect("a release");
        for c in &vectors.configs {
            let config = config(&vectors, c);
            let db = database(c).await;
            let now = micros(c.now);
            if c.blacklist_app {
                let listed = c
                    .issued
                    .iter()
                    .find(|i| i.what == "blacklisted sliding")
                    .expect("listed");
                let jti = jti(5);
                let row = OutstandingToken {
                    jti: &jti,
                    token: &listed.token,
                    created_at: chrono::DateTime::from_timestamp(c.now as i64, 0).expect("now"),
                    expires_at: chrono::DateTime::from_timestamp(c.now as i64 + 600, 0)
                        .expect("exp"),
                    user: Some(&alice(c).pk),
                };
                db.store
                    .jwt_outstand(&row, times())
                    .await
                    .expect("outstanding");
                db.store
                    .jwt_blacklist(&jti, row.created_at, times())
                    .await
                    .expect("blacklisted");
            }
            for row in &c.authenticate {
                let header = latin1(&row.header);
                let ours = match simplejwt::raw_token(&header, &config.auth_header_types) {
                    RawToken::NotMine => serde_json::json!({"none": true}),
                    RawToken::Malformed => serde_json::json!({
                        "status": 401,
                        "body": format!(
                            "{{\"detail\":\"{}\",\"code\":\"bad_authorization_header\"}}",
                            simplejwt::BAD_AUTHORIZATION_HEADER
                        ),
                    }),
                    RawToken::Token(raw) => {
                        match simplejwt::authenticate(&db.store, &config, raw, now)
                            .await
                            .expect("the database")
                        {
                            Ok(user) => serde_json::json!({"user": user.pk.to_string()}),
                            Err(failure) => serde_json::json!({
                                "status": 401,
                                "body": simplejwt::failure_body(&failure),
                            }),
                        }
                    }
                };
                if row.result.get("crash").is_some() {
                    // simplejwt fails with a 500 here; djtoken refuses cleanly.
                    assert_eq!(
                        ours["status"], 401,
                        "{series} {} / {}: {ours}",
                        c.name, row.name
                    );
                    continue;
                }
                assert_eq!(
                    ours, row.result,
                    "{series} (simplejwt {version:?}) {} / {}",
                    c.name, row.name
                );
            }
        }
    }
}

/// A token's payload, read back without any check.
fn payload(token: &str) -> Map<String, Value> {
    use base64::Engine;
    let segment = token.split('.').nth(1).expect("a payload segment");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .expect("base64url");
    serde_json::from_slice(&json).expect("a JSON object")
}

/// Our token and theirs have the same claims in the same order but for `jti` (ours is
/// random, theirs counted), and theirs re-encoded by djtoken is theirs byte for byte.
fn same_token(config: &Config, ours: &str, theirs: &str, what: &str) {
    let (mut a, mut b) = (payload(ours), payload(theirs));
    assert_eq!(config.encode(&b), theirs, "{what}: re-encoded");
    for p in [&mut a, &mut b] {
        let id = p.get_mut(&config.jti_claim).expect("a jti");
        *id = Value::from("<jti>");
    }
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap(),
        "{what}"
    );
}

#[tokio::test]
async fn the_views_answer_as_simplejwts() {
    for (series, vectors) in common::vectors::<Vectors>("simplejwt") {
        for c in &vectors.configs {
            let config = config(&vectors, c);
            let db = database(c).await;
            let now = micros(c.now);
            for row in &c.views {
                let what = format!("{series} {} / {} {}", c.name, row.view, row.name);
                let view = match row.view.as_str() {
                    "obtain" => View::ObtainPair,
                    "refresh" => View::Refresh,
                    "verify" => View::Verify,
                    _ => View::Blacklist,
                };
                assert_eq!(
                    row.allow.as_deref(),
                    Some(views::ALLOW).filter(|_| row.status != 500),
                    "{what}"
                );
                if row.status != 500 {
                    assert_eq!(row.vary.as_deref(), Some("Accept"), "{what}");
                    let challenge = (row.status == 401).then(|| config.www_authenticate());
                    assert_eq!(row.www_authenticate, challenge, "{what}");
                }
                let (status, body) = match row.method.as_str() {
                    "OPTIONS" => (200, view.metadata("username")),
                    "POST" => {
                        let body = latin1(&row.body);
                        let form;
                        let submitted = match row.content_type.as_deref() {
                            Some("application/x-www-form-urlencoded") => {
                                form = form_urlencoded::parse(&body)
                                    .into_owned()
                                    .collect::<Vec<_>>();
                                views::Submitted::Form(&form)
                            }
                            Some("application/json") => views::Submitted::Json(&body),
                            None => views::Submitted::Nothing,
                            Some(other) => views::Submitted::Unsupported(other),
                        };
                        match views::read(view, "username", submitted) {
                            Err(answer) => answer,
                            Ok(fields) if view == View::ObtainPair => {
                                // ModelBackend.authenticate, as the vectors' users are.
                                let user =
                                    (fields[0] == "alice" && fields[1] == "pw").then(|| alice(c));
                                simplejwt::obtain_answer(
                                    &db.store,
                                    &config,
                                    user.as_ref(),
                                    now,
                                    times(),
                                )
                                .await
                                .expect("the database")
                            }
                            Ok(fields) => simplejwt::answer(
                                view,
                                &db.store,
                                &config,
                                &fields[0],
                                now,
                                times(),
                            )
                            .await
                            .expect("the database"),
                        }
                    }
                    other => (405, views::method_not_allowed(other)),
                };
                let Some(answer) = &row.answer else {
                    // simplejwt 5.4+ fails with a 500 for a refresh token whose user is gone.
                    assert_eq!(
                        (status, body.as_str()),
                        (401, views::no_active_account_for_token().as_str()),
                        "{what}"
                    );
                    continue;
                };
                assert_eq!(status, row.status, "{what}: {body}");
                if status == 200 && row.method == "POST" && body.contains("\"access\"") {
                    let (ours, theirs): (Map<String, Value>, Map<String, Value>) = (
                        serde_json::from_str(&body).unwrap(),
                        serde_json::from_str(answer).unwrap(),
                    );
                    assert_eq!(
                        ours.keys().collect::<Vec<_>>(),
                        theirs.keys().collect::<Vec<_>>(),
                        "{what}"
                    );
                    for (key, theirs) in &theirs {
                        same_token(
                            &config,
                            ours[key].as_str().unwrap(),
                            theirs.as_str().unwrap(),
                            &format!("{what}: {key}"),
                        );
                    }
                } else if answer.starts_with("{\"detail\":\"JSON parse error - ") {
                    // Python's json describes malformed JSON in its own words (see
                    // tests/django_drf.rs): the status and the prefix are DRF's.
                    assert!(
                        body.starts_with("{\"detail\":\"JSON parse error - "),
                        "{what}: {body}"
                    );
                } else {
                    assert_eq!(&body, answer, "{what}");
                }
            }
        }
    }
}
