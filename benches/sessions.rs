//! Who a session cookie belongs to, in process: djtoken's `SessionAuth::get_user` beside
//! Django's `SessionStore(key)` + `get_user(request)` (what its session and authentication
//! middleware run per request), on the same sessions, which Django made; and the session
//! data's `decode` alone.
//!
//! `cargo bench --bench sessions --features sqlite,postgres,redis`: for SQLite (a temporary
//! file) and PostgreSQL (a fresh database on DJTOKEN_BENCH_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/test, dropped after), `benches/django_sessions.py` (in
//! the Django 6.1 virtualenv) migrates, logs a user in with the `db` engine and with the
//! `cache` engine on Redis (DJTOKEN_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0), and
//! times Django; then djtoken reads the same sessions, one check at a time, and 64 at once.

mod support;

use std::sync::Arc;
use std::time::Instant;

use djtoken::sessions::{SessionAuth, SessionCodec};
use djtoken::settings::Settings;
use djtoken::{DjangoVersion, SecretKeys};
use support::{ScratchPostgres, budget, fmt_ns, ns_per_call, run_django_script};

const SECRET: &str = "fixture-secret-key";
const AT_ONCE: usize = 64;

async fn session_auth(url: &str, engine: &str, cache: Option<String>) -> SessionAuth {
    let mut settings = Settings {
        database_url: url.into(),
        session_engine: format!("django.contrib.sessions.backends.{engine}"),
        session_cache_url: cache,
        django_version: Some(DjangoVersion::V6_1.into()),
        secret_key: Some(djtoken::SecretKey::new(SECRET)),
        ..Settings::default()
    };
    settings
        .authentication_backends
        .push("tokenapi.backends.TokenBackend".into());
    settings
        .session_auth()
        .await
        .expect("the session stores open")
}

/// One at a time (ns per check), and the wall time per check of 64 at once.
async fn measure(auth: Arc<SessionAuth>, key: &str, pk: &str) -> (f64, f64) {
    let check = || async {
        let user = auth
            .get_user(key, false)
            .await
            .expect("a store that answers");
        assert_eq!(user.expect("logged in").user.pk.to_string(), pk);
    };
    for _ in 0..500 {
        check().await;
    }
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let n = 2000;
        let start = Instant::now();
        for _ in 0..n {
            check().await;
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / f64::from(n));
    }
    let mut together = f64::INFINITY;
    for _ in 0..3 {
        let each = 200;
        let start = Instant::now();
        let tasks: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let (auth, key) = (Arc::clone(&auth), key.to_owned());
                tokio::spawn(async move {
                    for _ in 0..each {
                        auth.get_user(&key, false)
                            .await
                            .expect("answers")
                            .expect("in");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("the checks finish");
        }
        together = together.min(start.elapsed().as_secs_f64() * 1e9 / (AT_ONCE * each) as f64);
    }
    (best, together)
}

fn row(what: &str, ours: f64, together: Option<f64>, django: Option<f64>) {
    println!(
        "{what:<30} {:>12} {:>12} {:>9} {:>22}",
        fmt_ns(ours),
        django.map_or("-".into(), fmt_ns),
        django.map_or("-".into(), |d| format!("{:.1}x", d / ours)),
        together.map_or(String::new(), |t| format!("{} per check", fmt_ns(t))),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("djtoken-bench-sessions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let sqlite = format!("sqlite:{}", dir.join("bench.sqlite3").display());
    let redis = std::env::var("DJTOKEN_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let pg = ScratchPostgres::create("djtoken_bench_sessions");
    let (pg_server, pg_url, pg_ready) = (pg.server.clone(), pg.url.clone(), pg.ready);

    println!(
        "{:<30} {:>12} {:>12} {:>9} {:>22}",
        "per session cookie",
        "djtoken",
        "Django",
        "speed-up",
        format!("djtoken, {AT_ONCE} at once")
    );
    let mut decoded = false;
    for (name, url, ready) in [
        ("SQLite", sqlite.as_str(), true),
        ("PostgreSQL", pg_url.as_str(), pg_ready),
    ] {
        if !ready {
            println!("{name}: no PostgreSQL at {pg_server}, skipped");
            continue;
        }
        let Some(out) = run_django_script("6.1", "benches/django_sessions.py", &[url, &redis])
        else {
            println!("{name}: the Django side did not run (see above), skipped");
            continue;
        };
        let django: serde_json::Value = serde_json::from_str(&out).expect("the script's JSON");
        let text = |k: &str| django[k].as_str().expect("text").to_owned();
        let ns = |k: &str| django[k].as_f64();
        let pk = text("user");
        if !decoded {
            let codec = SessionCodec::new(
                &SecretKeys::new(SECRET),
                DjangoVersion::V6_1,
                djtoken::sessions::DEFAULT_SALT,
                false,
            );
            let data = text("session_data");
            assert!(
                codec
                    .decode(&data)
                    .expect("decodes")
                    .get("_auth_user_id")
                    .is_some()
            );
            let ours = ns_per_call(|| codec.decode(&data), budget());
            row("decode (session data)", ours, None, ns("django_decode_ns"));
            decoded = true;
        }
        let db = Arc::new(runtime.block_on(session_auth(url, "db", None)));
        let (ours, together) = runtime.block_on(measure(db, &text("db_key"), &pk));
        row(
            &format!("get_user, db on {name}"),
            ours,
            Some(together),
            ns("django_db_ns"),
        );
        let cache_url = format!("{redis}?key_prefix={}", text("cache_prefix"));
        let cache = Arc::new(runtime.block_on(session_auth(url, "cache", Some(cache_url))));
        let (ours, together) = runtime.block_on(measure(cache, &text("cache_key"), &pk));
        row(
            &format!("get_user, cache (Redis), users on {name}"),
            ours,
            Some(together),
            ns("django_cache_ns"),
        );
    }
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}
