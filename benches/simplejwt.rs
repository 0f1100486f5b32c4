//! A simplejwt access token checked in process: djtoken's `Token::decode` + `verify` (what
//! the `simplejwt` method does before its user lookup) beside simplejwt's `AccessToken(raw)`
//! (PyJWT's `jwt.decode`, then simplejwt's `verify`), on a token simplejwt made.
//!
//! `cargo bench --bench simplejwt`: `benches/django_simplejwt.py` (in the Django 6.1
//! virtualenv) makes the token and times simplejwt; then djtoken checks the same token.

mod support;

use djtoken::crypto::SecretKey;
use djtoken::simplejwt::{Config, Token, TokenType, Version};
use support::{budget, fmt_ns, ns_per_call, run_django_script};

fn main() {
    let Some(out) = run_django_script("6.1", "benches/django_simplejwt.py", &[]) else {
        println!("simplejwt: the Django side did not run (see above), skipped");
        return;
    };
    let theirs: serde_json::Value = serde_json::from_str(&out).expect("the script's JSON");
    let text = |key: &str| theirs[key].as_str().expect("a string").to_owned();
    let (secret, token, pk) = (text("secret"), text("token"), text("pk"));
    let django_ns = theirs["ns"].as_f64().expect("a number");
    let config = Config::new(Version::V5_5_1, SecretKey::new(secret));
    let check = || {
        let now = chrono::Utc::now().timestamp_micros();
        let read = Token::decode(&config, TokenType::Access, token.as_bytes(), now)
            .expect("simplejwt's token reads");
        read.verify(&config).expect("and is valid");
        read
    };
    assert_eq!(check().payload["user_id"], serde_json::Value::from(pk));
    let ours = ns_per_call(check, budget());
    println!(
        "simplejwt access token, in process: djtoken {} vs AccessToken(raw) {} ({:.1}x)",
        fmt_ns(ours),
        fmt_ns(django_ns),
        django_ns / ours
    );
}
