//! `djtoken serve`: flags and environment to a running server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use djtoken::auth::Authenticator;
use djtoken::clock::{Clock, parse_time_zone};
use djtoken::crypto::{RANDOM_STRING_CHARS, get_random_string};
use djtoken::hashers::Hashers;
use djtoken::server::metrics::Metrics;
use djtoken::server::{
    AppState, ServerConfig, ServerRunner, normalize_prefix, serve, shutdown_signal,
};
use djtoken::store::{DatabaseUrl, InitOutcome, NewUser, UserStore};
use djtoken::tokens::tokenapi;
use djtoken::{DjangoVersion, SecretKeys, TokenapiTokenGenerator};

use super::db::StoreArgs;
use super::secrets::SecretArgs;
use super::{Fail, Outcome};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DJTOKEN_BIND", default_value = "127.0.0.1:8000")]
    bind: SocketAddr,
    /// Where the tokenapi URLs are mounted, as include('tokenapi.urls') under token/.
    #[arg(long, env = "DJTOKEN_PREFIX", default_value = "/token/")]
    prefix: String,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    secrets: SecretArgs,
    /// The Django version sharing the database. Given, logins rehash passwords that version
    /// would rehash (which changes the user's tokens, as in Django); absent, never.
    #[arg(long, env = "DJTOKEN_DJANGO_VERSION")]
    django_version: Option<DjangoVersion>,
    /// TOKEN_TIMEOUT_DAYS.
    #[arg(long, env = "DJTOKEN_TOKEN_TIMEOUT_DAYS", default_value_t = tokenapi::DEFAULT_TIMEOUT_DAYS, allow_hyphen_values = true)]
    token_timeout_days: i64,
    /// Django's TIME_ZONE.
    #[arg(long, env = "DJTOKEN_TIME_ZONE", default_value = "UTC")]
    time_zone: String,
    /// PostgreSQL connections for reads, each shared by many requests (plus one for writes);
    /// SQLite handles kept open. Default: one per core; 16.
    #[arg(long, env = "DJTOKEN_POOL_SIZE")]
    pool_size: Option<usize>,
    /// Password hashes at once (default: the number of cores).
    #[arg(long, env = "DJTOKEN_HASH_CONCURRENCY")]
    hash_concurrency: Option<usize>,
    /// Seconds a login may wait for a hashing slot before a 503.
    #[arg(long, env = "DJTOKEN_HASH_QUEUE_TIMEOUT", default_value_t = 5.0)]
    hash_queue_timeout: f64,
    /// Largest request body, in bytes (413 beyond).
    #[arg(long, env = "DJTOKEN_BODY_LIMIT", default_value_t = 65536)]
    body_limit: usize,
    /// Seconds a client has to send its request headers.
    #[arg(long, env = "DJTOKEN_HEADER_TIMEOUT", default_value_t = 10.0)]
    header_timeout: f64,
    /// Seconds a client may take to send its request body (408 beyond).
    #[arg(long, env = "DJTOKEN_REQUEST_TIMEOUT", default_value_t = 30.0)]
    request_timeout: f64,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "DJTOKEN_SHUTDOWN_GRACE", default_value_t = 30.0)]
    shutdown_grace: f64,
    /// Worker threads of the async runtime (default: the number of cores).
    #[arg(long, env = "DJTOKEN_WORKERS")]
    workers: Option<usize>,
    /// Log format.
    #[arg(long, value_enum, env = "DJTOKEN_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    /// Log level: error, warn, info, debug (every request), trace.
    #[arg(long, env = "DJTOKEN_LOG_LEVEL", default_value = "info")]
    log_level: tracing::Level,
    /// Standalone start: create the database with Django's schema if it has none, this user
    /// if missing (password from DJTOKEN_INIT_PASSWORD, else generated and printed), and a
    /// secret-key file if no key is configured.
    #[arg(long, env = "DJTOKEN_INIT_USER")]
    init_user: Option<String>,
}

fn seconds(flag: &str, value: f64) -> Result<Duration, Fail> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Fail(format!(
            "--{flag} must be a positive number of seconds"
        )))
    }
}

pub fn run(args: ServeArgs) -> Result<Outcome, Fail> {
    init_logging(args.log_format, args.log_level);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(workers) = args.workers {
        runtime.worker_threads(workers.max(1));
    }
    let runtime = runtime
        .build()
        .map_err(|e| Fail(format!("starting the async runtime: {e}")))?;
    runtime.block_on(start(args))
}

/// A generated `SECRET_KEY` for a standalone start, kept next to the database.
fn standalone_key(database: &str) -> Result<(SecretKeys, PathBuf), Fail> {
    let dir = match DatabaseUrl::parse(database) {
        Ok(DatabaseUrl::Sqlite(path)) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        _ => PathBuf::new(),
    };
    let path = dir.join("djtoken-secret-key");
    if !path.exists() {
        // Django's own alphabet for get_random_secret_key().
        let key = get_random_string(50, "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)");
        write_private(&path, &key).map_err(|e| Fail(format!("writing {}: {e}", path.display())))?;
        eprintln!("djtoken: generated a secret key in {}", path.display());
    }
    let key = std::fs::read_to_string(&path)
        .map_err(|e| Fail(format!("reading {}: {e}", path.display())))?;
    Ok((SecretKeys::new(key.trim_end_matches('\n')), path))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// `--init-user`: the schema and the first user, when missing.
async fn standalone_init(
    args: &ServeArgs,
    username: &str,
    version: DjangoVersion,
) -> Result<(), Fail> {
    let store = UserStore::open_or_create(
        &args.store.database,
        args.store.model(),
        args.store.options()?,
    )
    .await?;
    if store.init_schema(version).await? == InitOutcome::Created {
        eprintln!(
            "djtoken: created Django {version}'s auth tables in {}",
            store.database()
        );
    }
    if store.user_by_username(username).await?.is_some() {
        return Ok(());
    }
    let (password, generated) = match std::env::var("DJTOKEN_INIT_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (get_random_string(20, RANDOM_STRING_CHARS), true),
    };
    let encoded = Hashers::for_version(version).make_password(password.as_bytes(), None, None)?;
    let pk = store
        .create_user(&NewUser {
            username: username.to_owned(),
            email: String::new(),
            password: encoded,
            superuser: true,
            date_joined: chrono::Utc::now().naive_utc(),
        })
        .await?;
    if generated {
        println!("first user: {username} (pk {pk}), password: {password}");
    } else {
        println!("first user: {username} (pk {pk}), password from DJTOKEN_INIT_PASSWORD");
    }
    Ok(())
}

async fn start(args: ServeArgs) -> Result<Outcome, Fail> {
    let tz = parse_time_zone(&args.time_zone).map_err(|e| Fail(format!("--time-zone: {e}")))?;
    let version = args.django_version.unwrap_or(DjangoVersion::V6_1);
    let (secrets, key_source) = match (&args.init_user, args.secrets.load()) {
        (_, Ok(keys)) => (keys, "configured".to_owned()),
        (Some(_), Err(_)) => {
            let (keys, path) = standalone_key(&args.store.database)?;
            (keys, format!("file {}", path.display()))
        }
        (None, Err(e)) => return Err(e),
    };
    if let Some(username) = &args.init_user {
        standalone_init(&args, username, version).await?;
    }
    let mut options = args.store.options()?;
    options.pool_size = args.pool_size.map(|n| n.max(1));
    let store = UserStore::open(&args.store.database, args.store.model(), options).await?;
    let metrics = Arc::new(Metrics::default());
    let config = ServerConfig {
        bind: args.bind,
        prefix: normalize_prefix(&args.prefix),
        body_limit: args.body_limit,
        header_timeout: seconds("header-timeout", args.header_timeout)?,
        request_timeout: seconds("request-timeout", args.request_timeout)?,
        hash_concurrency: args
            .hash_concurrency
            .unwrap_or_else(|| ServerConfig::default().hash_concurrency)
            .max(1),
        hash_queue_timeout: seconds("hash-queue-timeout", args.hash_queue_timeout)?,
        shutdown_grace: seconds("shutdown-grace", args.shutdown_grace)?,
    };
    let tokens = TokenapiTokenGenerator::new(&secrets)
        .with_timeout_days(args.token_timeout_days)
        .with_clock(Clock::system(tz));
    let rehash = args.django_version.is_some();
    let auth = Authenticator::new(
        store,
        Arc::new(Hashers::for_version(version)),
        rehash,
        tokens,
    )
    .with_runner(ServerRunner::new(
        config.hash_concurrency,
        config.hash_queue_timeout,
        Arc::clone(&metrics),
    ));
    let model = args.store.model();
    tracing::info!(
        bind = %config.bind,
        prefix = %config.prefix,
        database = auth.store().database(),
        user_table = %model.table,
        pk = %format!("{} ({:?})", model.pk_column, model.pk_kind),
        username_field = %model.username_field,
        is_active = model.is_active_column.as_deref().unwrap_or("(none: all active)"),
        django_version = %args.django_version.map_or("(none)".to_owned(), |v| v.to_string()),
        rehash_passwords = rehash,
        time_zone = %tz,
        token_timeout_days = args.token_timeout_days,
        secret_key = %key_source,
        fallback_keys = secrets.fallbacks.len(),
        hash_concurrency = config.hash_concurrency,
        body_limit = config.body_limit,
        "djtoken serve starting"
    );
    if !rehash {
        tracing::info!("no --django-version: logins never rehash passwords");
    }
    if let Err(e) = auth.store().ping().await {
        tracing::warn!(error = %e, "the database is not answering yet; /readyz says 503 until it does");
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| Fail(format!("cannot listen on {}: {e}", config.bind)))?;
    tracing::info!(address = %config.bind, "listening");
    let state = Arc::new(AppState {
        auth,
        prefix: config.prefix.clone(),
        metrics,
        body_limit: config.body_limit,
        request_timeout: config.request_timeout,
    });
    serve(config, state, listener, shutdown_signal())
        .await
        .map_err(|e| Fail(format!("server error: {e}")))?;
    Ok(Outcome::Yes)
}

fn init_logging(format: LogFormat, level: tracing::Level) {
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
