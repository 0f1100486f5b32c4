//! Login timing: an unknown username must cost what a wrong password costs, for every hasher
//! a project may prefer, or the answer time tells an attacker which usernames exist.
//!
//! `cargo bench --bench login_timing --features sqlite` logs in against a SQLite database in
//! a temporary directory, once per preferred hasher (`PASSWORD_HASHERS` with it first, at the
//! latest Django's work factors): a wrong password for an existing user (Django runs the
//! user's hasher once) and an unknown username (Django hashes the password once with the
//! preferred hasher, #20760). Runs alternate between the two, and the medians are compared;
//! the target is within 10 %.

use std::time::Instant;

use djtoken::auth::{AuthError, BadCredentials};
use djtoken::crypto::SecretKey;
use djtoken::store::NewUser;
use djtoken::{DjangoVersion, Settings};

const RUNS: usize = 21;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn measure(dir: &std::path::Path, preferred: &str) -> (f64, f64) {
    let mut password_hashers = vec![preferred.to_owned(), "pbkdf2_sha256".to_owned()];
    password_hashers.dedup();
    let settings = Settings {
        django_version: Some(DjangoVersion::LATEST.into()),
        secret_key: Some(SecretKey::new("bench-secret-key")),
        database_url: format!("sqlite:{}/{preferred}.sqlite3", dir.display()),
        password_hashers,
        ..Settings::default()
    };
    let store = settings.store_or_create().await.expect("a database");
    store
        .init_schema(DjangoVersion::LATEST)
        .await
        .expect("db init");
    let hashers = settings.hashers().expect("valid hashers");
    store
        .create_user(&NewUser {
            username: "bench".into(),
            email: String::new(),
            password: hashers.make_password(b"right", None, None).expect("a hash"),
            superuser: false,
            date_joined: chrono::Utc::now().naive_utc(),
        })
        .await
        .expect("a user");
    let auth = settings.authenticator().await.expect("an authenticator");
    let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        let answer = auth.login("bench", b"wrong").await;
        wrong.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(
            answer,
            Err(AuthError::BadCredentials(BadCredentials::WrongPassword))
        );
        let start = Instant::now();
        let answer = auth.login("nobody", b"wrong").await;
        unknown.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(
            answer,
            Err(AuthError::BadCredentials(BadCredentials::NoSuchUser))
        );
    }
    (median(wrong), median(unknown))
}

fn main() {
    let dir = std::env::temp_dir().join(format!("djtoken-login-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "login timing, Django {} work factors, median of {RUNS} runs each",
        DjangoVersion::LATEST
    );
    println!(
        "{:<16} {:>16} {:>18} {:>8}",
        "preferred", "wrong password", "unknown username", "ratio"
    );
    let mut worst: f64 = 1.0;
    for preferred in ["pbkdf2_sha256", "argon2", "bcrypt_sha256", "scrypt"] {
        let (wrong, unknown) = runtime.block_on(measure(&dir, preferred));
        let ratio = unknown / wrong;
        worst = worst.max(ratio).max(1.0 / ratio);
        println!("{preferred:<16} {wrong:>13.2} ms {unknown:>15.2} ms {ratio:>8.3}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "largest difference: {:.1} % (target: within 10 %) {}",
        (worst - 1.0) * 100.0,
        if worst <= 1.10 { "ok" } else { "OVER" }
    );
}
