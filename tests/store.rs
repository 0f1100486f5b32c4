//! The user store and the authenticator against real databases: SQLite in a temporary
//! directory, PostgreSQL at DJTOKEN_TEST_DATABASE_URL and MySQL/MariaDB at
//! DJTOKEN_TEST_MYSQL_URL (each skipped with a notice without it).
//! Django-made databases are covered by python/tests/test_store_live.py.

use std::sync::Arc;
use std::time::Duration;

use djtoken::auth::{AuthError, Authenticator, BadCredentials};
use djtoken::hashers::{HasherSettings, Hashers};
use djtoken::store::{Database, InitOutcome, NewUser, StoreError, StoreOptions};
use djtoken::user::{Pk, UserModel};
use djtoken::{DjangoVersion, SecretKeys, TokenapiTokenGenerator};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

struct TempDb {
    url: String,
    cleanup: Option<(String, String)>,
    /// A MySQL database to drop: the server's URL and the name.
    mysql_cleanup: Option<(String, String)>,
    _dir: Option<TempDir>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.cleanup {
            psql(
                server,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            );
        }
        if let Some((server, name)) = &self.mysql_cleanup {
            mysql(server, &format!("DROP DATABASE IF EXISTS `{name}`"));
        }
    }
}

/// Run `sql` on the MySQL server of `url` with the `mysql` client; what it printed.
fn mysql(url: &str, sql: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
    let out = std::process::Command::new("mysql")
        .args(["-N", "-B", "-h", host, "-P", port, "-u", user, "-e", sql])
        .env("MYSQL_PWD", password)
        .output()
        .expect("the mysql client runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A fresh MySQL/MariaDB database, or `None` (with a notice) when there is no server to use.
fn mysql_db() -> Option<TempDb> {
    let server = server_url(
        "DJTOKEN_TEST_MYSQL_URL",
        "DJTOKEN_TEST_REQUIRE_MYSQL",
        "MySQL",
    )?;
    let name = format!("djtoken_store_{}", unique());
    mysql(&server, &format!("CREATE DATABASE `{name}`"));
    Some(TempDb {
        url: with_database(&server, &name),
        cleanup: None,
        mysql_cleanup: Some((server, name)),
        _dir: None,
    })
}

/// The server URL in `variable`; without it `None` and a notice, or a failure when
/// `require` is set to 1 (CI).
fn server_url(variable: &str, require: &str, label: &str) -> Option<String> {
    let Ok(server) = std::env::var(variable) else {
        assert!(
            std::env::var(require).as_deref() != Ok("1"),
            "{variable} is required ({require}=1)"
        );
        eprintln!("*** {variable} is not set: {label} store tests SKIPPED ***");
        return None;
    };
    Some(server)
}

/// The server's URL naming the database `name`.
fn with_database(server: &str, name: &str) -> String {
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    format!("{base}/{name}")
}

fn psql(server: &str, sql: &str) -> bool {
    std::process::Command::new("psql")
        .args(["-q", "-d", server, "-c", sql])
        .status()
        .is_ok_and(|s| s.success())
}

fn unique() -> String {
    let mut bytes = [0u8; 6];
    djtoken::crypto::fill_random(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sqlite_db() -> TempDb {
    let dir = std::env::temp_dir().join(format!("djtoken-store-{}", unique()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    TempDb {
        url: format!("sqlite:{}", dir.join("db.sqlite3").display()),
        cleanup: None,
        mysql_cleanup: None,
        _dir: Some(TempDir(dir)),
    }
}

/// A fresh PostgreSQL database, or `None` (with a notice) when there is no server to use.
fn postgres_db() -> Option<TempDb> {
    let server = server_url(
        "DJTOKEN_TEST_DATABASE_URL",
        "DJTOKEN_TEST_REQUIRE_POSTGRES",
        "PostgreSQL",
    )?;
    let name = format!("djtoken_store_{}", unique());
    assert!(
        psql(&server, &format!("CREATE DATABASE \"{name}\"")),
        "cannot create a database on {server}"
    );
    Some(TempDb {
        url: with_database(&server, &name),
        cleanup: Some((server, name)),
        mysql_cleanup: None,
        _dir: None,
    })
}

fn options() -> StoreOptions {
    StoreOptions {
        query_timeout: Duration::from_secs(2),
        pool_size: Some(4),
        ..StoreOptions::default()
    }
}

async fn init(url: &str, version: DjangoVersion) -> Database {
    let store = Database::open_or_create(url, UserModel::default(), options())
        .await
        .expect("opens");
    assert_eq!(store.init_schema(version).await, Ok(InitOutcome::Created));
    assert_eq!(
        store.init_schema(version).await,
        Ok(InitOutcome::AlreadyMigrated)
    );
    store
}

async fn add_user(store: &Database, username: &str, password: &str, hashers: &Hashers) -> Pk {
    store
        .create_user(&NewUser {
            username: username.into(),
            email: format!("{username}@example.com"),
            password: hashers
                .make_password(password.as_bytes(), None, None)
                .expect("a hash"),
            superuser: false,
            date_joined: chrono::Utc::now().naive_utc(),
        })
        .await
        .expect("a new user")
}

fn authenticator(store: Database, hashers: Hashers, rehash: bool) -> Authenticator {
    Authenticator::new(
        store,
        Arc::new(hashers),
        rehash,
        TokenapiTokenGenerator::new(&SecretKeys::new("store-test-key")),
    )
}

/// Hashers with cheap PBKDF2, so that rehash tests do not spend seconds hashing.
fn cheap(version: DjangoVersion, iterations: u32) -> Hashers {
    let mut settings = HasherSettings::for_version(version);
    settings.pbkdf2_iterations = iterations;
    Hashers::new(settings, None).expect("default hashers")
}

/// How the database compares usernames: exactly (SQLite, PostgreSQL), or under MySQL's
/// default collations, ignoring case and trailing spaces (as Django's lookups there do).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Usernames {
    Exact,
    Collated,
}

async fn login_and_tokens(url: &str, usernames: Usernames) {
    let store = init(url, DjangoVersion::V6_1).await;
    let old = cheap(DjangoVersion::V6_1, 1000);
    let pk = add_user(&store, "alice", "correct horse", &old).await;
    // Django's create_user raises IntegrityError on the unique username; djtoken refuses.
    assert!(matches!(
        store
            .create_user(&NewUser {
                username: "alice".into(),
                email: String::new(),
                password: "x".into(),
                superuser: false,
                date_joined: chrono::Utc::now().naive_utc(),
            })
            .await,
        Err(StoreError::Refused(_))
    ));

    // Never rehash without a configured version.
    let auth = authenticator(store, cheap(DjangoVersion::V6_1, 2000), false);
    let user = auth
        .login("alice", b"correct horse")
        .await
        .expect("logs in");
    assert!(user.password.starts_with("pbkdf2_sha256$1000$"));
    let token = auth.tokens().make_token(&user);
    assert_eq!(
        auth.check_token(&pk.to_string(), &token)
            .await
            .map(|u| u.pk),
        Ok(pk.clone())
    );
    assert_eq!(
        auth.check_token(" +1", &token).await.map(|u| u.pk),
        Ok(pk.clone())
    );
    assert_eq!(
        auth.login("alice", b"wrong").await,
        Err(AuthError::BadCredentials(BadCredentials::WrongPassword))
    );
    for other_spelling in ["ALICE", "alice  "] {
        let found = auth
            .login(other_spelling, b"correct horse")
            .await
            .map(|u| u.pk);
        match usernames {
            Usernames::Exact => assert_eq!(
                found,
                Err(AuthError::BadCredentials(BadCredentials::NoSuchUser))
            ),
            Usernames::Collated => assert_eq!(found, Ok(pk.clone()), "{other_spelling:?}"),
        }
    }
    assert_eq!(
        auth.login("nul\0name", b"x").await,
        Err(AuthError::BadCredentials(BadCredentials::NoSuchUser))
    );
    assert_eq!(
        auth.check_token("abc", &token).await,
        Err(AuthError::Malformed("user id"))
    );
    assert_eq!(
        auth.check_token("99999999999999", &token).await,
        Err(AuthError::BadCredentials(BadCredentials::NoSuchUser))
    );
    assert!(matches!(
        auth.check_token("2", &token).await,
        Err(AuthError::BadCredentials(BadCredentials::NoSuchUser))
    ));

    // With a version whose iterations differ, a login rehashes and old tokens die.
    let store = Database::open(url, UserModel::default(), options())
        .await
        .expect("opens");
    let auth = authenticator(store, cheap(DjangoVersion::V6_1, 2000), true);
    let user = auth
        .login("alice", b"correct horse")
        .await
        .expect("logs in");
    assert!(user.password.starts_with("pbkdf2_sha256$2000$"), "{user:?}");
    assert_eq!(
        auth.check_token(&pk.to_string(), &token).await,
        Err(AuthError::BadCredentials(BadCredentials::Token(
            djtoken::Verdict::Invalid
        )))
    );
    let fresh = auth.tokens().make_token(&user);
    assert!(auth.check_token(&pk.to_string(), &fresh).await.is_ok());
}

async fn concurrent_rehash(url: &str) {
    let store = init(url, DjangoVersion::V4_2).await;
    add_user(&store, "bob", "pw", &cheap(DjangoVersion::V4_2, 1000)).await;
    let auth = Arc::new(authenticator(
        store,
        cheap(DjangoVersion::V4_2, 50_000),
        true,
    ));
    for _ in 0..5 {
        let stored = auth
            .store()
            .user_by_username("bob")
            .await
            .expect("reads")
            .expect("bob");
        // Back to an old hash, then two logins at once.
        let old = cheap(DjangoVersion::V4_2, 1000)
            .make_password(b"pw", None, None)
            .expect("a hash");
        assert!(
            auth.store()
                .set_password_if_unchanged(&stored.pk, &stored.password, &old)
                .await
                .expect("updates")
        );
        let (a, b) = tokio::join!(
            tokio::spawn({
                let auth = Arc::clone(&auth);
                async move { auth.login("bob", b"pw").await }
            }),
            tokio::spawn({
                let auth = Arc::clone(&auth);
                async move { auth.login("bob", b"pw").await }
            })
        );
        let (a, b) = (
            a.expect("joins").expect("logs in"),
            b.expect("joins").expect("logs in"),
        );
        let now = auth
            .store()
            .user_by_username("bob")
            .await
            .expect("reads")
            .expect("bob");
        assert_eq!(
            a.password, now.password,
            "both logins end with the stored hash"
        );
        assert_eq!(
            b.password, now.password,
            "both logins end with the stored hash"
        );
        assert!(now.password.starts_with("pbkdf2_sha256$50000$"));
    }
}

#[test]
fn sqlite_login_tokens_and_rehash() {
    let db = sqlite_db();
    runtime().block_on(login_and_tokens(&db.url, Usernames::Exact));
}

#[test]
fn postgres_login_tokens_and_rehash() {
    if let Some(db) = postgres_db() {
        runtime().block_on(login_and_tokens(&db.url, Usernames::Exact));
    }
}

#[test]
fn mysql_login_tokens_and_rehash() {
    if let Some(db) = mysql_db() {
        runtime().block_on(login_and_tokens(&db.url, Usernames::Collated));
    }
}

#[test]
fn sqlite_concurrent_logins_during_a_rehash_keep_one_hash() {
    let db = sqlite_db();
    runtime().block_on(concurrent_rehash(&db.url));
}

#[test]
fn postgres_concurrent_logins_during_a_rehash_keep_one_hash() {
    if let Some(db) = postgres_db() {
        runtime().block_on(concurrent_rehash(&db.url));
    }
}

#[test]
fn mysql_concurrent_logins_during_a_rehash_keep_one_hash() {
    if let Some(db) = mysql_db() {
        runtime().block_on(concurrent_rehash(&db.url));
    }
}

#[test]
fn mysql_over_the_servers_socket() {
    let Some(db) = mysql_db() else { return };
    let (server, name) = db.mysql_cleanup.clone().expect("a MySQL database");
    let socket = mysql(&server, "SELECT @@socket");
    let user = server
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map_or("root", |(userinfo, _)| {
            userinfo.split(':').next().unwrap_or("root")
        });
    // The socket as dj-database-url writes it: the percent-encoded path in place of the host.
    let encoded = socket.replace('/', "%2F");
    runtime().block_on(async {
        init(&db.url, DjangoVersion::V6_1).await;
        let store = Database::open(
            &format!("mysql://{user}@{encoded}/{name}"),
            UserModel::default(),
            options(),
        )
        .await
        .expect("opens");
        store.ping().await.expect("answers over the socket");
        add_user(&store, "sam", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        assert!(
            store
                .user_by_username("sam")
                .await
                .expect("reads")
                .is_some()
        );
    });
}

#[test]
fn unreachable_mysql_is_a_typed_error_without_the_password() {
    runtime().block_on(async {
        let store = Database::open(
            "mysql://djtoken:hunter2-secret@127.0.0.1:1/nowhere",
            UserModel::default(),
            StoreOptions {
                query_timeout: Duration::from_millis(500),
                pool_size: Some(1),
                ..StoreOptions::default()
            },
        )
        .await
        .expect("MySQL stores connect lazily");
        let err = store.ping().await.expect_err("nothing listens on port 1");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let lookup = store.user_by_username("x").await.expect_err("still down");
        assert!(lookup.is_unavailable(), "{lookup:?}");
    });
}

#[test]
fn mysql_connections_killed_mid_service_are_replaced() {
    let Some(db) = mysql_db() else { return };
    let server = std::env::var("DJTOKEN_TEST_MYSQL_URL").expect("set when mysql_db() is Some");
    runtime().block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        let dave = add_user(&store, "dave", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        let name = db.url.rsplit('/').next().expect("a database name");
        for round in 0..4 {
            // Several pooled connections, all of them then killed by the server.
            let reads = tokio::join!(
                store.user_by_username("dave"),
                store.user_by_username("dave"),
                store.user_by_username("dave"),
                store.user_by_username("dave")
            );
            for found in [reads.0, reads.1, reads.2, reads.3] {
                assert!(found.expect("reads").is_some());
            }
            let ids = mysql(
                &server,
                &format!(
                    "SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE DB = '{name}'"
                ),
            );
            let ids: Vec<&str> = ids
                .split(',')
                .filter(|id| !id.is_empty() && *id != "NULL")
                .collect();
            assert!(!ids.is_empty(), "the store keeps its connections");
            for id in ids {
                mysql(&server, &format!("KILL {id}"));
            }
            // A read that loses its connection runs again on a new one: no failed call.
            for _ in 0..6 {
                let found = if round % 2 == 0 {
                    store.user_by_username("dave").await
                } else {
                    store.user_by_pk(&dave).await
                };
                assert!(found.expect("reconnected").is_some());
            }
        }
    });
}

#[test]
fn a_locked_sqlite_database_is_a_typed_error_then_recovers() {
    let db = sqlite_db();
    let rt = runtime();
    rt.block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        add_user(&store, "carol", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        let path = db.url.trim_start_matches("sqlite:");
        let locker = hold_exclusive_lock(path);
        let store = Database::open(
            &db.url,
            UserModel::default(),
            StoreOptions {
                query_timeout: Duration::from_millis(300),
                pool_size: Some(2),
                ..StoreOptions::default()
            },
        )
        .await
        .expect("opens");
        let err = store.user_by_username("carol").await.expect_err("locked");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(err.to_string().contains("sqlite:"), "{err}");
        drop(locker);
        assert!(
            store
                .user_by_username("carol")
                .await
                .expect("recovers")
                .is_some()
        );
    });
}

#[test]
fn reads_beyond_the_sqlite_handles_queue_through_a_brief_lock() {
    // A writer's commit locks readers out for a moment; with more readers waiting than handles,
    // the ones without a handle wait their turn within the query timeout instead of failing
    // (the soak test saw 503s on plain reads while a login wrote `last_login`).
    let db = sqlite_db();
    let rt = runtime();
    rt.block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        add_user(&store, "carol", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        let path = db.url.trim_start_matches("sqlite:").to_owned();
        let store = Arc::new(
            Database::open(
                &db.url,
                UserModel::default(),
                StoreOptions {
                    query_timeout: Duration::from_secs(10),
                    pool_size: Some(2),
                    ..StoreOptions::default()
                },
            )
            .await
            .expect("opens"),
        );
        let locker = hold_exclusive_lock(&path);
        let reads: Vec<_> = (0..40)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.user_by_username("carol").await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(locker);
        for read in reads {
            let user = read.await.expect("joins").expect("answered after the lock");
            assert!(user.is_some());
        }
    });
}

async fn read(store: &Database, pk: &Pk) -> Option<djtoken::user::User> {
    store.user_by_pk(pk).await.expect("reads")
}

/// Run SQL statements in another process, as Django would.
fn sqlite_from_elsewhere(path: &str, statements: &[&str]) {
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             for s in sys.argv[2:]: c.execute(s)",
            path,
        ])
        .args(statements)
        .status()
        .expect("python3 runs");
    assert!(status.success());
}

#[test]
fn a_user_read_by_pk_is_never_staler_than_the_database() {
    // The store keeps users read by pk while the file's change counter stands still: every
    // change made elsewhere must still be seen at the next read, in rollback-journal and in
    // WAL mode.
    let db = sqlite_db();
    let rt = runtime();
    rt.block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        let pk = add_user(&store, "carol", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        let path = db.url.trim_start_matches("sqlite:").to_owned();
        for mode in ["DELETE", "WAL"] {
            sqlite_from_elsewhere(&path, &[&format!("PRAGMA journal_mode = {mode}")]);
            let before = read(&store, &pk).await.expect("carol");
            assert_eq!(read(&store, &pk).await.as_ref(), Some(&before));
            let password = format!("pbkdf2_sha256$1$changed-in-{mode}$x");
            sqlite_from_elsewhere(
                &path,
                &[&format!("UPDATE auth_user SET password = '{password}'")],
            );
            assert_eq!(
                read(&store, &pk).await.expect("carol").password,
                password,
                "{mode}"
            );
            sqlite_from_elsewhere(&path, &["UPDATE auth_user SET is_active = 0"]);
            assert!(!read(&store, &pk).await.expect("carol").is_active, "{mode}");
            sqlite_from_elsewhere(&path, &["UPDATE auth_user SET is_active = 1"]);
            assert!(read(&store, &pk).await.expect("carol").is_active, "{mode}");
        }
        sqlite_from_elsewhere(&path, &["DELETE FROM auth_user"]);
        assert_eq!(read(&store, &pk).await, None, "a deleted user is gone");
    });
}

/// Another process (as Django would be) holding an exclusive lock on the SQLite file until it
/// is killed.
struct Locker(std::process::Child);

impl Drop for Locker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hold_exclusive_lock(path: &str) -> Locker {
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); \
             c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)",
            path,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 holds the lock");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().expect("piped stdout")),
        &mut line,
    )
    .expect("the locker reports");
    assert_eq!(line.trim(), "locked");
    Locker(child)
}

#[test]
fn unreachable_postgres_is_a_typed_error_without_the_password() {
    let rt = runtime();
    rt.block_on(async {
        let store = Database::open(
            "postgres://djtoken:hunter2-secret@127.0.0.1:1/nowhere",
            UserModel::default(),
            StoreOptions {
                query_timeout: Duration::from_millis(500),
                pool_size: Some(1),
                ..StoreOptions::default()
            },
        )
        .await
        .expect("PostgreSQL stores connect lazily");
        let err = store.ping().await.expect_err("nothing listens on port 1");
        assert!(err.is_unavailable(), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("127.0.0.1:1") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(matches!(
            err,
            StoreError::Unavailable { .. } | StoreError::Timeout { .. }
        ));
    });
}

#[test]
fn postgres_connections_killed_mid_service_are_replaced() {
    let Some(db) = postgres_db() else { return };
    let server =
        std::env::var("DJTOKEN_TEST_DATABASE_URL").expect("set when postgres_db() is Some");
    let rt = runtime();
    rt.block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        let dave = add_user(&store, "dave", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        for round in 0..4 {
            assert!(store.user_by_username("dave").await.expect("reads").is_some());
            let name = db.url.rsplit('/').next().expect("a database name");
            assert!(psql(
                &server,
                &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()")
            ));
            // A read that loses its connection runs again on a new one: no failed call, no
            // restart. Lookups by username go one by one, lookups by pk in batches.
            for _ in 0..4 {
                let found = if round % 2 == 0 {
                    store.user_by_username("dave").await
                } else {
                    store.user_by_pk(&dave).await
                };
                assert!(found.expect("reconnected").is_some());
            }
        }
    });
}

#[test]
fn postgres_lookups_by_pk_made_together_each_get_their_own_answer() {
    let Some(db) = postgres_db() else { return };
    let rt = runtime();
    rt.block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        let hashers = cheap(DjangoVersion::V6_1, 10);
        let mut users = Vec::new();
        for i in 0..12 {
            let name = format!("user{i}");
            users.push((add_user(&store, &name, "pw", &hashers).await, name));
        }
        let store = Arc::new(store);
        // Many concurrent lookups, so that they share batches: every user several times over,
        // and pks no row has.
        let mut asks: Vec<(Pk, Option<String>)> = Vec::new();
        for round in 0..40 {
            for (pk, name) in &users {
                asks.push((pk.clone(), Some(name.clone())));
            }
            asks.push((Pk::Int(100_000 + round), None));
            asks.push((Pk::Int(-1), None));
        }
        let lookups: Vec<_> = asks
            .into_iter()
            .map(|(pk, name)| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { (store.user_by_pk(&pk).await, pk, name) })
            })
            .collect();
        for lookup in lookups {
            let (found, pk, name) = lookup.await.expect("joins");
            let found = found.expect("looks up");
            assert_eq!(found.as_ref().map(|u| &u.pk), name.as_ref().map(|_| &pk));
            assert_eq!(found.map(|u| u.username), name);
        }
        // A pk the integer column cannot hold is refused before it joins a batch.
        assert!(matches!(
            store.user_by_pk(&Pk::Int(i64::from(i32::MAX) + 1)).await,
            Err(StoreError::Refused(_))
        ));
    });
}

#[test]
fn a_postgres_write_waiting_on_a_row_lock_does_not_hold_up_reads() {
    let Some(db) = postgres_db() else { return };
    let rt = runtime();
    rt.block_on(async {
        let store = init(&db.url, DjangoVersion::V6_1).await;
        add_user(&store, "erin", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        let store = Database::open(
            &db.url,
            UserModel::default(),
            StoreOptions {
                query_timeout: Duration::from_secs(3),
                pool_size: Some(1),
                ..StoreOptions::default()
            },
        )
        .await
        .expect("opens");
        // A Django request holding erin's row (select_for_update) until it is ended below.
        let mut holder = std::process::Command::new("psql")
            .args([
                "-q",
                "-d",
                &db.url,
                "-c",
                "BEGIN; SELECT 1 FROM auth_user WHERE username = 'erin' FOR UPDATE; \
                 SELECT pg_sleep(60); COMMIT;",
            ])
            .env("PGAPPNAME", "djtoken-test-holder")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("psql holds the row");
        // The row is locked once the holder's transaction has an id (FOR UPDATE writes xmax).
        wait_for(
            &db.url,
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE a.application_name = 'djtoken-test-holder' AND l.locktype = 'transactionid'",
        );
        let store = Arc::new(store);
        let writer = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.set_password("erin", "!changed").await })
        };
        // The UPDATE is waiting for the lock.
        wait_for(
            &db.url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = 'djtoken' AND wait_event_type = 'Lock'",
        );
        // Reads on the one reading connection do not wait with it.
        for _ in 0..20 {
            assert!(
                store
                    .user_by_username("erin")
                    .await
                    .expect("reads")
                    .is_some()
            );
        }
        assert!(
            !writer.is_finished(),
            "the UPDATE cannot finish while the row is held"
        );
        // The Django request ends (its connection goes away, its transaction rolls back).
        psql_value(
            &db.url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'djtoken-test-holder'",
        );
        assert!(
            writer
                .await
                .expect("joins")
                .expect("writes once the lock is gone")
        );
        let _ = holder.wait();
        let erin = store.user_by_username("erin").await.expect("reads");
        assert_eq!(erin.expect("erin").password, "!changed");
    });
}

/// The first value `sql` prints, through psql.
fn psql_value(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args(["-tA", "-d", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Poll until `sql` (a count) is positive: waiting for a state PostgreSQL reports, not for
/// time to pass.
fn wait_for(url: &str, sql: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while psql_value(url, sql) == "0" {
        assert!(std::time::Instant::now() < deadline, "never true: {sql}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a read shows a change.
type Seen = fn(&Option<djtoken::user::User>) -> bool;

/// Poll (without sleeping past `limit`) until `done` says so.
async fn eventually(limit: Duration, what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn postgres_users_kept_by_pk_follow_the_tables_change_notifications() {
    let Some(db) = postgres_db() else { return };
    let server =
        std::env::var("DJTOKEN_TEST_DATABASE_URL").expect("set when postgres_db() is Some");
    let name = db
        .url
        .rsplit('/')
        .next()
        .expect("a database name")
        .to_owned();
    let rt = runtime();
    rt.block_on(async {
        let plain = init(&db.url, DjangoVersion::V6_1).await;
        let pk = add_user(&plain, "erin", "pw", &cheap(DjangoVersion::V6_1, 10)).await;
        let store = Database::open(
            &db.url,
            UserModel::default(),
            StoreOptions {
                user_cache_notify: true,
                ..options()
            },
        )
        .await
        .expect("opens");
        // Without the trigger nothing is kept: a change made elsewhere is read at once.
        store.watch_changes();
        assert!(read(&store, &pk).await.expect("erin").is_active);
        psql(
            &db.url,
            "UPDATE auth_user SET first_name = 'no trigger yet'",
        );
        assert!(!store.notified_cache_live());
        store
            .notify_trigger(true)
            .await
            .expect("the trigger is added");
        eventually(Duration::from_secs(10), "the cache is on", async || {
            store.notified_cache_live()
        })
        .await;
        // Every kind of change made elsewhere (as Django would) is seen, as soon as
        // PostgreSQL's notification arrives.
        let changes: [(&str, Seen); 4] = [
            (
                "UPDATE auth_user SET password = 'pbkdf2_sha256$1$changed$x'",
                |u| {
                    u.as_ref()
                        .is_some_and(|u| u.password == "pbkdf2_sha256$1$changed$x")
                },
            ),
            ("UPDATE auth_user SET is_active = false", |u| {
                u.as_ref().is_some_and(|u| !u.is_active)
            }),
            ("DELETE FROM auth_user", |u| u.is_none()),
            (
                "INSERT INTO auth_user (id, password, is_superuser, username, first_name, \
                 last_name, email, is_staff, is_active, date_joined) VALUES (1, 'p', false, \
                 'erin', '', '', '', false, true, now())",
                |u| u.as_ref().is_some_and(|u| u.is_active && u.password == "p"),
            ),
        ];
        assert_eq!(pk, Pk::Int(1));
        for (sql, seen) in changes {
            read(&store, &pk).await;
            assert!(psql(&db.url, sql), "{sql}");
            eventually(Duration::from_secs(2), sql, async || {
                seen(&read(&store, &pk).await)
            })
            .await;
        }
        // The answers do come from the cache: a change that sends no notification (the
        // trigger disabled) is not seen while the listener has not noticed the trigger gone.
        assert!(read(&store, &pk).await.expect("erin").is_active);
        assert!(psql(
            &db.url,
            "ALTER TABLE auth_user DISABLE TRIGGER djtoken_user_changed; \
             UPDATE auth_user SET is_active = false"
        ));
        assert!(read(&store, &pk).await.expect("erin").is_active, "kept");
        // It notices within a few seconds, and stops keeping users.
        eventually(
            Duration::from_secs(10),
            "a disabled trigger is noticed",
            async || !read(&store, &pk).await.expect("erin").is_active,
        )
        .await;
        assert!(!store.notified_cache_live());
        assert!(psql(
            &db.url,
            "ALTER TABLE auth_user ENABLE TRIGGER djtoken_user_changed"
        ));
        eventually(
            Duration::from_secs(10),
            "the cache is back on",
            async || store.notified_cache_live(),
        )
        .await;
        // A listener whose connection is killed stops the cache at once: nothing it might
        // have missed is served, and it comes back by itself.
        read(&store, &pk).await;
        assert!(psql(
            &server,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
        ));
        eventually(
            Duration::from_secs(2),
            "the lost listener is noticed",
            async || !store.notified_cache_live(),
        )
        .await;
        assert!(psql(&db.url, "UPDATE auth_user SET is_active = true"));
        assert!(read(&store, &pk).await.expect("erin").is_active);
        eventually(
            Duration::from_secs(10),
            "the listener reconnects",
            async || store.notified_cache_live(),
        )
        .await;
        store
            .notify_trigger(false)
            .await
            .expect("the trigger is removed");
        eventually(
            Duration::from_secs(10),
            "a removed trigger is noticed",
            async || !store.notified_cache_live(),
        )
        .await;
    });
}
