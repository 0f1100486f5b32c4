//! A token check including the user lookup, on SQLite and PostgreSQL, beside Django's own
//! `authenticate(pk=…, token=…)` (tokenapi's TokenBackend) on the same database.
//!
//! `cargo bench --bench db_tokens --features sqlite,postgres` creates the databases with
//! `db init` (SQLite in a temporary directory; PostgreSQL as a fresh database on
//! DJTOKEN_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, dropped after),
//! adds one user, and times both sides (`benches/django_db_tokens.py` in a Django 6.1
//! virtualenv), one check at a time. Then djtoken alone with 64 checks at once, as a server
//! runs them: wall time divided by the checks (Django's `authenticate` runs one at a time per
//! process; `bench/http-compare` sets the two servers side by side).

mod support;

use std::sync::Arc;
use std::time::Instant;

use djtoken::auth::Authenticator;
use djtoken::hashers::Hashers;
use djtoken::store::{Database, NewUser, StoreOptions};
use djtoken::user::UserModel;
use djtoken::{DjangoVersion, SecretKeys, TokenapiTokenGenerator};
use support::{ScratchPostgres, fmt_ns, run_django_script};

const SECRET: &str = "fixture-secret-key";

/// Checks at once in the concurrent measurement, as `bench/http-compare`'s connections.
const AT_ONCE: usize = 64;

/// One at a time (ns per check), 64 at once (ns of wall time per check), the user id and
/// the token.
async fn measure(url: &str) -> (f64, f64, String, String) {
    let store = Database::open_or_create(url, UserModel::default(), StoreOptions::default())
        .await
        .expect("the bench database opens");
    store
        .init_schema(DjangoVersion::V6_1)
        .await
        .expect("db init");
    let hashers = Hashers::for_version(DjangoVersion::V6_1);
    let pk = store
        .create_user(&NewUser {
            username: "bench".into(),
            email: "bench@example.com".into(),
            password: hashers.make_password(b"bench", None, None).expect("a hash"),
            superuser: false,
            date_joined: chrono::Utc::now().naive_utc(),
        })
        .await
        .expect("a user");
    let tokens = TokenapiTokenGenerator::new(&SecretKeys::new(SECRET));
    let auth = Authenticator::new(store, Arc::new(hashers), false, tokens);
    let user = auth
        .user_by_id_text(&pk.to_string())
        .await
        .expect("the user");
    let token = auth.tokens().make_token(&user);
    let id = pk.to_string();
    for _ in 0..2000 {
        auth.check_token(&id, &token).await.expect("a valid token");
    }
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let n = 5000;
        let start = Instant::now();
        for _ in 0..n {
            auth.check_token(&id, &token).await.expect("a valid token");
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / f64::from(n));
    }
    let auth = Arc::new(auth);
    let mut best_together = f64::INFINITY;
    for _ in 0..5 {
        let each = 400;
        let start = Instant::now();
        let tasks: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let (auth, id, token) = (Arc::clone(&auth), id.clone(), token.clone());
                tokio::spawn(async move {
                    for _ in 0..each {
                        auth.check_token(&id, &token).await.expect("a valid token");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("the checks finish");
        }
        let checks = (AT_ONCE * each) as f64;
        best_together = best_together.min(start.elapsed().as_secs_f64() * 1e9 / checks);
    }
    (best, best_together, id, token)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("djtoken-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let sqlite = format!("sqlite:{}", dir.join("bench.sqlite3").display());

    let pg = ScratchPostgres::create("djtoken_bench");
    let (pg_server, pg_url, pg_ready) = (pg.server.clone(), pg.url.clone(), pg.ready);

    println!(
        "{:<11} {:>22} {:>24} {:>9} {:>26}",
        "database",
        "djtoken check_token",
        "Django authenticate()",
        "speed-up",
        format!("djtoken, {AT_ONCE} at once"),
    );
    for (name, url, ready) in [
        ("SQLite", sqlite.as_str(), true),
        ("PostgreSQL", pg_url.as_str(), pg_ready),
    ] {
        if !ready {
            println!("{name:<11} (no PostgreSQL at {pg_server}: skipped)");
            continue;
        }
        let (ours, together, id, token) = runtime.block_on(measure(url));
        let django = run_django_script("6.1", "benches/django_db_tokens.py", &[url, &id, &token])
            .and_then(|out| out.trim().parse::<f64>().ok());
        println!(
            "{name:<11} {:>22} {:>24} {:>9} {:>26}",
            fmt_ns(ours),
            django.map_or("-".into(), fmt_ns),
            django.map_or("-".into(), |d| format!("{:.1}x", d / ours)),
            format!("{} per check", fmt_ns(together)),
        );
    }
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}
