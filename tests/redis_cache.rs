//! The Redis session cache against real Redis servers (DJTOKEN_TEST_REDIS_URL; skipped with
//! a notice without it, a failure with DJTOKEN_TEST_REQUIRE_REDIS=1): keys as Django's
//! `default_key_func` makes them, Django's `EX` and django-redis' `PX` timeouts, `add` only
//! when absent, and with a `LOCATION` list, writes on the first server and reads from the
//! others (a second server is started here on a free port, as a stand-in replica).

use std::time::Duration;

use djtoken::sessions::CacheConfig;
use djtoken::sessions::cache::RedisCache;
use djtoken::store::StoreError;

fn redis_url() -> Option<String> {
    match std::env::var("DJTOKEN_TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("DJTOKEN_TEST_REQUIRE_REDIS").as_deref() != Ok("1"),
                "DJTOKEN_TEST_REDIS_URL is required (DJTOKEN_TEST_REQUIRE_REDIS=1)"
            );
            eprintln!("*** DJTOKEN_TEST_REDIS_URL is not set: Redis cache tests SKIPPED ***");
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

fn unique() -> String {
    let mut bytes = [0u8; 6];
    djtoken::crypto::fill_random(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `redis-cli` against `url`'s server (host, port and database of a plain redis:// URL).
fn cli(url: &str, args: &[&str]) -> String {
    let rest = url.trim_start_matches("redis://");
    let (hostport, db) = rest.split_once('/').unwrap_or((rest, "0"));
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "6379"));
    let out = std::process::Command::new("redis-cli")
        .args(["-h", host, "-p", port, "-n", db])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn keys_timeouts_and_add_are_djangos() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("djtoken-test-{}", unique());
    runtime().block_on(async {
        for (client, unit) in [("django", "ttl"), ("django-redis", "pttl")] {
            let config = CacheConfig::parse(&format!(
                "{url}?key_prefix={prefix}&version=7&client={client}"
            ))
            .expect("a URL");
            let cache = RedisCache::open(config, Duration::from_secs(2)).expect("opens");
            assert!(cache.set("k", b"v1", 100, true).await.expect("answers"));
            assert!(
                !cache.set("k", b"v2", 100, true).await.expect("answers"),
                "add"
            );
            assert_eq!(
                cache.get("k").await.expect("answers").as_deref(),
                Some(&b"v1"[..])
            );
            let key = format!("{prefix}:7:k");
            assert_eq!(cli(&url, &["GET", &key]), "v1");
            let ttl: i64 = cli(&url, &[unit, &key]).parse().expect("a TTL");
            let seconds = if unit == "ttl" { ttl } else { ttl / 1000 };
            assert!((98..=100).contains(&seconds), "{client}: {ttl}");
            assert!(cache.exists("k").await.expect("answers"));
            assert!(cache.set("k", b"v3", 0, false).await.expect("answers"));
            assert_eq!(
                cache.get("k").await.expect("answers"),
                None,
                "timeout 0 deletes"
            );
            cache.delete("k").await.expect("answers");
        }
    });
}

#[test]
fn a_location_list_writes_the_first_and_reads_the_others() {
    let Some(url) = redis_url() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("an address")
        .port();
    let mut replica = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let replica_url = format!("redis://127.0.0.1:{port}/0");
    for _ in 0..100 {
        if cli(&replica_url, &["PING"]) == "PONG" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let prefix = format!("djtoken-test-{}", unique());
    let result = std::panic::catch_unwind(|| {
        runtime().block_on(async {
            let config = CacheConfig::parse(&format!("{url}?key_prefix={prefix},{replica_url}"))
                .expect("a URL");
            let cache = RedisCache::open(config, Duration::from_secs(2)).expect("opens");
            assert!(
                cache
                    .set("w", b"written", 60, false)
                    .await
                    .expect("answers")
            );
            let key = format!("{prefix}:1:w");
            assert_eq!(
                cli(&url, &["GET", &key]),
                "written",
                "the write went to the first"
            );
            assert_eq!(
                cli(&replica_url, &["GET", &key]),
                "",
                "and not to the replica"
            );
            assert_eq!(
                cache.get("w").await.expect("answers"),
                None,
                "reads ask the replica"
            );
            cli(&replica_url, &["SET", &key, "replicated"]);
            assert_eq!(
                cache.get("w").await.expect("answers").as_deref(),
                Some(&b"replicated"[..])
            );
            cache.delete("w").await.expect("answers");
            assert_eq!(cli(&url, &["EXISTS", &key]), "0");
        })
    });
    let _ = replica.kill();
    let _ = replica.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_server_that_is_down_is_unavailable_not_a_hang() {
    runtime().block_on(async {
        let config = CacheConfig::parse("redis://127.0.0.1:1/0").expect("a URL");
        let cache = RedisCache::open(config, Duration::from_millis(500)).expect("opens lazily");
        let started = std::time::Instant::now();
        let err = cache.get("k").await.expect_err("nobody listens");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(matches!(
            err,
            StoreError::Unavailable { .. } | StoreError::Timeout { .. }
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
    });
}
