//! Token make and check against the HMAC work they cannot avoid, and against Django.
//!
//! `cargo bench --bench tokens` prints, for each operation, its time per call, the time of
//! the bare HMAC over the same value with the key already derived, and their ratio; then the
//! same checks timed in Django 6.1 (tokenapi's and Django's own `check_token`) by
//! `benches/django_tokens.py`, when a Django 6.1 virtualenv can be made.

mod support;

use std::hint::black_box;

use djtoken::crypto::{Algorithm, SaltedHmacKey};
use djtoken::tokens::{reset, tokenapi};
use djtoken::{
    PasswordResetTokenGenerator, ResetTokenConfig, SecretKeys, TokenapiTokenGenerator, User,
};
use support::{budget, fmt_ns, ns_per_call_interleaved, run_django_script};

const PH: &str =
    "pbkdf2_sha256$1500000$abcdefghijklmnopqrstuv$pNqHYgQMzZwLzZH8KDx+/7Hu5G0/nkZvE3+OniqKI9o=";

fn main() {
    let budget = budget();
    let secrets = SecretKeys::new("django-insecure-bench-secret-key-0123456789");
    let user = User::new(1234, PH)
        .with_email("alice@example.com")
        .with_last_login(Some(
            chrono::NaiveDate::from_ymd_opt(2025, 6, 1)
                .and_then(|d| d.and_hms_micro_opt(12, 0, 0, 123_456))
                .expect("a valid datetime"),
        ));

    let tokenapi = TokenapiTokenGenerator::new(&secrets);
    let token = tokenapi.make_token(&user);
    assert!(tokenapi.check_token(&user, &token));
    let days = tokenapi.clock().days_since_2001();
    let value = format!("{}{}{}", user.pk, user.password, days);
    let sha1_key = SaltedHmacKey::new(
        Algorithm::Sha1,
        tokenapi::KEY_SALT.as_bytes(),
        secrets.current.expose(),
    );

    let reset_gen = PasswordResetTokenGenerator::new(&secrets, ResetTokenConfig::default());
    let reset_token = reset_gen.make_token(&user);
    assert!(reset_gen.check_token(&user, &reset_token));
    let seconds = &reset_token[..reset_token.find('-').expect("a token has a dash")];
    let seconds = djtoken::base36::base36_to_int(seconds).expect("a canonical timestamp");
    let reset_value = format!(
        "{}{}2025-06-01 12:00:00{}{}",
        user.pk, user.password, seconds, user.email
    );
    let sha256_key = SaltedHmacKey::new(
        Algorithm::Sha256,
        reset::KEY_SALT.as_bytes(),
        secrets.current.expose(),
    );

    let times = ns_per_call_interleaved(
        &mut [
            &mut || {
                let mut mac = sha1_key.mac();
                mac.update(black_box(value.as_bytes()));
                black_box(mac.finalize());
            },
            &mut || {
                black_box(tokenapi.make_token(black_box(&user)));
            },
            &mut || {
                black_box(tokenapi.check(black_box(&user), black_box(&token)));
            },
            &mut || {
                let mut mac = sha256_key.mac();
                mac.update(black_box(reset_value.as_bytes()));
                black_box(mac.finalize());
            },
            &mut || {
                black_box(reset_gen.check(black_box(&user), black_box(&reset_token)));
            },
        ],
        budget,
    );
    let [raw_sha1, make, check, raw_sha256, reset_check] = times[..] else {
        unreachable!("five measurements")
    };

    println!(
        "{:<28} {:>10} {:>16} {:>7}",
        "operation", "time", "raw HMAC work", "ratio"
    );
    for (name, t, raw) in [
        ("tokenapi make_token", make, raw_sha1),
        ("tokenapi check", check, raw_sha1),
        ("reset check", reset_check, raw_sha256),
    ] {
        println!(
            "{name:<28} {:>10} {:>16} {:>6.2}x",
            fmt_ns(t),
            fmt_ns(raw),
            t / raw
        );
    }

    if let Some(out) = run_django_script("6.1", "benches/django_tokens.py", &[]) {
        println!();
        for line in out.lines() {
            let mut parts = line.split_whitespace();
            let (Some(name), Some(ns)) = (
                parts.next(),
                parts.next().and_then(|n| n.parse::<f64>().ok()),
            ) else {
                continue;
            };
            let ours = if name.starts_with("tokenapi") {
                check
            } else {
                reset_check
            };
            println!(
                "Django 6.1 {name:<26} {:>10}   djtoken {:>10}   djtoken is {:.0}x faster",
                fmt_ns(ns),
                fmt_ns(ours),
                ns / ours
            );
        }
    }
}
