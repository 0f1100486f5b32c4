//! `djtoken serve`: flags and environment to a running server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use djtoken::Settings;
use djtoken::crypto::{RANDOM_STRING_CHARS, get_random_string};
use djtoken::server::{AppState, shutdown_signal};
use djtoken::settings::LogFormat;
use djtoken::store::{DatabaseUrl, Dialect, InitOutcome, NewUser};

use super::flags::{
    HashersArg, Layer, LogFormatArg, SecretArgs, SessionArgs, StoreArgs, TimeZoneArg,
    TokenTimeoutArg, VersionArg,
};
use super::layered::Layered;
use super::{Fail, Outcome};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 takes a free port, logged as "listening" [default:
    /// 127.0.0.1:8000].
    #[arg(long, env = "DJTOKEN_BIND")]
    bind: Option<SocketAddr>,
    /// A separate address for /metrics (with /healthz and /readyz), kept off the network the
    /// clients reach; the main listener then serves no metrics [default: none].
    #[arg(long, env = "DJTOKEN_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
    /// Where the tokenapi URLs are mounted, as include('tokenapi.urls') under token/
    /// [default: /token/].
    #[arg(long, env = "DJTOKEN_PREFIX")]
    prefix: Option<String>,
    /// The path of Django REST framework's obtain_auth_token view, as the project mounts it
    /// (/api-token-auth/) [default: not served].
    #[arg(long, env = "DJTOKEN_DRF_OBTAIN_TOKEN_PATH", value_name = "PATH")]
    drf_obtain_token_path: Option<String>,
    /// The path of simplejwt's TokenObtainPairView, as the project mounts it (/api/token/)
    /// [default: not served]; likewise --jwt-refresh-path, --jwt-verify-path and
    /// --jwt-blacklist-path for its other views.
    #[arg(long, env = "DJTOKEN_JWT_OBTAIN_PATH", value_name = "PATH")]
    jwt_obtain_path: Option<String>,
    /// The path of simplejwt's TokenRefreshView (/api/token/refresh/).
    #[arg(long, env = "DJTOKEN_JWT_REFRESH_PATH", value_name = "PATH")]
    jwt_refresh_path: Option<String>,
    /// The path of simplejwt's TokenVerifyView (/api/token/verify/).
    #[arg(long, env = "DJTOKEN_JWT_VERIFY_PATH", value_name = "PATH")]
    jwt_verify_path: Option<String>,
    /// The path of simplejwt's TokenBlacklistView (/api/token/blacklist/).
    #[arg(long, env = "DJTOKEN_JWT_BLACKLIST_PATH", value_name = "PATH")]
    jwt_blacklist_path: Option<String>,
    /// The path of django-rest-knox's LoginView, as the project mounts it (/api/auth/login/)
    /// [default: not served].
    #[arg(long, env = "DJTOKEN_KNOX_LOGIN_PATH", value_name = "PATH")]
    knox_login_path: Option<String>,
    /// The path of knox's LogoutView (/api/auth/logout/).
    #[arg(long, env = "DJTOKEN_KNOX_LOGOUT_PATH", value_name = "PATH")]
    knox_logout_path: Option<String>,
    /// The path of knox's LogoutAllView (/api/auth/logoutall/).
    #[arg(long, env = "DJTOKEN_KNOX_LOGOUTALL_PATH", value_name = "PATH")]
    knox_logoutall_path: Option<String>,
    /// Where the session endpoints (csrf/, login/, logout/, whoami/) are mounted when the
    /// session method is configured [default: /session/].
    #[arg(long, env = "DJTOKEN_SESSION_PREFIX")]
    session_prefix: Option<String>,
    /// The one header /auth trusts for the original request's URI: X-Original-URI behind
    /// nginx, X-Forwarded-Uri behind Traefik and Caddy. Every other is ignored; without it,
    /// only /auth's own query string is read (Envoy).
    #[arg(long, env = "DJTOKEN_FORWARDED_URI_HEADER", value_name = "HEADER")]
    forwarded_uri_header: Option<String>,
    /// The one header /auth trusts for the original request's method: X-Original-Method as
    /// the nginx recipe sets it, X-Forwarded-Method behind Traefik and Caddy. Missing or not a
    /// method, it counts as unsafe (the session method's CSRF check applies); without the
    /// flag, /auth's own method is the original (Envoy).
    #[arg(long, env = "DJTOKEN_FORWARDED_METHOD_HEADER", value_name = "HEADER")]
    forwarded_method_header: Option<String>,
    /// The authentication methods of /auth, in order, comma-separated: tokenapi, session,
    /// drf-token, simplejwt, knox [default: tokenapi].
    #[arg(long, env = "DJTOKEN_AUTHENTICATION", value_delimiter = ',')]
    authentication: Option<Vec<String>>,
    #[command(flatten)]
    sessions: SessionArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    version: VersionArg,
    #[command(flatten)]
    token_timeout: TokenTimeoutArg,
    #[command(flatten)]
    time_zone: TimeZoneArg,
    #[command(flatten)]
    hashers: HashersArg,
    /// PostgreSQL connections for reads, each shared by many requests (plus one for writes);
    /// SQLite handles kept open [default: one per core; 16].
    #[arg(long, env = "DJTOKEN_POOL_SIZE")]
    pool_size: Option<usize>,
    /// PostgreSQL: keep users read by pk while the user table's trigger announces no change
    /// (add it with `djtoken db notify-trigger`), instead of reading them for every check
    /// [default: false].
    #[arg(
        long,
        env = "DJTOKEN_USER_CACHE_NOTIFY",
        num_args = 0..=1,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new(),
        value_name = "BOOL"
    )]
    user_cache_notify: Option<bool>,
    /// Password hashes at once [default: the number of cores].
    #[arg(long, env = "DJTOKEN_HASH_CONCURRENCY")]
    hash_concurrency: Option<usize>,
    /// Seconds a login may wait for a hashing slot before a 503 [default: 5].
    #[arg(long, env = "DJTOKEN_HASH_QUEUE_TIMEOUT")]
    hash_queue_timeout: Option<f64>,
    /// MiB the password hashes in flight may take together (Argon2, scrypt) [default: 1024].
    #[arg(long, env = "DJTOKEN_HASH_MEMORY_MIB")]
    hash_memory_mib: Option<u64>,
    /// Largest request body, in bytes (413 beyond) [default: 65536].
    #[arg(long, env = "DJTOKEN_BODY_LIMIT")]
    body_limit: Option<usize>,
    /// Seconds a client has to send its request headers [default: 10].
    #[arg(long, env = "DJTOKEN_HEADER_TIMEOUT")]
    header_timeout: Option<f64>,
    /// Seconds a client may take to send its request body (408 beyond) [default: 30].
    #[arg(long, env = "DJTOKEN_REQUEST_TIMEOUT")]
    request_timeout: Option<f64>,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT [default: 30].
    #[arg(long, env = "DJTOKEN_SHUTDOWN_GRACE")]
    shutdown_grace: Option<f64>,
    /// Seconds a connection may go without a byte moving either way (a client that stopped
    /// reading, an idle keep-alive) before it is closed [default: 30].
    #[arg(long, env = "DJTOKEN_IDLE_TIMEOUT")]
    idle_timeout: Option<f64>,
    /// Connections at once; beyond, a fast 503 [default: the open-file limit, raised to the
    /// hard limit at start, less 64].
    #[arg(long, env = "DJTOKEN_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Failed logins per username within the throttle window before that username's logins
    /// answer 429 with Retry-After [default: off, as in Django].
    #[arg(long, env = "DJTOKEN_LOGIN_THROTTLE_USERNAME", value_name = "FAILURES")]
    login_throttle_username: Option<u32>,
    /// Failed logins per client address within the throttle window before that address's
    /// logins answer 429 [default: off].
    #[arg(long, env = "DJTOKEN_LOGIN_THROTTLE_ADDRESS", value_name = "FAILURES")]
    login_throttle_address: Option<u32>,
    /// Seconds a failed login counts for, from the latest failure [default: 900].
    #[arg(long, env = "DJTOKEN_LOGIN_THROTTLE_WINDOW", value_name = "SECONDS")]
    login_throttle_window: Option<f64>,
    /// The header the proxy writes the client's address into (X-Real-IP; X-Forwarded-For,
    /// whose last address is the one the proxy added); without it, the connection's address.
    #[arg(long, env = "DJTOKEN_CLIENT_ADDRESS_HEADER", value_name = "HEADER")]
    client_address_header: Option<String>,
    /// Worker threads of the async runtime [default: the number of cores].
    #[arg(long, env = "DJTOKEN_WORKERS")]
    workers: Option<usize>,
    /// Log format [default: text].
    #[arg(long, value_enum, env = "DJTOKEN_LOG_FORMAT")]
    log_format: Option<LogFormatArg>,
    /// Log level: error, warn, info, debug (every request), trace [default: info].
    #[arg(long, env = "DJTOKEN_LOG_LEVEL")]
    log_level: Option<String>,
    /// Standalone start: create the database with Django's schema if it has none, this user
    /// if missing (password from DJTOKEN_INIT_PASSWORD, else generated and printed), and a
    /// secret-key file if no key is configured.
    #[arg(long, env = "DJTOKEN_INIT_USER")]
    init_user: Option<String>,
}

impl Layer for ServeArgs {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        for group in [
            &self.store as &dyn Layer,
            &self.secrets,
            &self.version,
            &self.token_timeout,
            &self.time_zone,
            &self.hashers,
            &self.sessions,
        ] {
            group.layer(to)?;
        }
        let some = |v: Option<usize>| v.map(Some);
        to.put("serve.bind", "bind", &self.bind, |s| &mut s.serve.bind);
        let metrics_bind = self.metrics_bind.map(Some);
        to.put("serve.metrics_bind", "metrics_bind", &metrics_bind, |s| {
            &mut s.serve.metrics_bind
        });
        to.put("serve.prefix", "prefix", &self.prefix, |s| {
            &mut s.serve.prefix
        });
        let obtain = self.drf_obtain_token_path.clone().map(Some);
        to.put(
            "serve.drf_obtain_token_path",
            "drf_obtain_token_path",
            &obtain,
            |s| &mut s.serve.drf_obtain_token_path,
        );
        let jwt_obtain = self.jwt_obtain_path.clone().map(Some);
        to.put(
            "serve.jwt_obtain_path",
            "jwt_obtain_path",
            &jwt_obtain,
            |s| &mut s.serve.jwt_obtain_path,
        );
        let jwt_refresh = self.jwt_refresh_path.clone().map(Some);
        to.put(
            "serve.jwt_refresh_path",
            "jwt_refresh_path",
            &jwt_refresh,
            |s| &mut s.serve.jwt_refresh_path,
        );
        let jwt_verify = self.jwt_verify_path.clone().map(Some);
        to.put(
            "serve.jwt_verify_path",
            "jwt_verify_path",
            &jwt_verify,
            |s| &mut s.serve.jwt_verify_path,
        );
        let jwt_blacklist = self.jwt_blacklist_path.clone().map(Some);
        to.put(
            "serve.jwt_blacklist_path",
            "jwt_blacklist_path",
            &jwt_blacklist,
            |s| &mut s.serve.jwt_blacklist_path,
        );
        let knox_login = self.knox_login_path.clone().map(Some);
        to.put(
            "serve.knox_login_path",
            "knox_login_path",
            &knox_login,
            |s| &mut s.serve.knox_login_path,
        );
        let knox_logout = self.knox_logout_path.clone().map(Some);
        to.put(
            "serve.knox_logout_path",
            "knox_logout_path",
            &knox_logout,
            |s| &mut s.serve.knox_logout_path,
        );
        let knox_logoutall = self.knox_logoutall_path.clone().map(Some);
        to.put(
            "serve.knox_logoutall_path",
            "knox_logoutall_path",
            &knox_logoutall,
            |s| &mut s.serve.knox_logoutall_path,
        );
        to.put(
            "serve.session_prefix",
            "session_prefix",
            &self.session_prefix,
            |s| &mut s.serve.session_prefix,
        );
        to.put(
            "AUTHENTICATION_METHODS",
            "authentication",
            &self.authentication,
            |s| &mut s.authentication_methods,
        );
        let header = self.forwarded_uri_header.clone().map(Some);
        to.put(
            "serve.forwarded_uri_header",
            "forwarded_uri_header",
            &header,
            |s| &mut s.serve.forwarded_uri_header,
        );
        let header = self.forwarded_method_header.clone().map(Some);
        to.put(
            "serve.forwarded_method_header",
            "forwarded_method_header",
            &header,
            |s| &mut s.serve.forwarded_method_header,
        );
        to.put("serve.pool_size", "pool_size", &some(self.pool_size), |s| {
            &mut s.serve.pool_size
        });
        to.put(
            "serve.user_cache_notify",
            "user_cache_notify",
            &self.user_cache_notify,
            |s| &mut s.serve.user_cache_notify,
        );
        to.put(
            "serve.hash_concurrency",
            "hash_concurrency",
            &some(self.hash_concurrency),
            |s| &mut s.serve.hash_concurrency,
        );
        to.put("serve.workers", "workers", &some(self.workers), |s| {
            &mut s.serve.workers
        });
        to.put(
            "serve.hash_queue_timeout",
            "hash_queue_timeout",
            &self.hash_queue_timeout,
            |s| &mut s.serve.hash_queue_timeout,
        );
        to.put(
            "serve.header_timeout",
            "header_timeout",
            &self.header_timeout,
            |s| &mut s.serve.header_timeout,
        );
        to.put(
            "serve.request_timeout",
            "request_timeout",
            &self.request_timeout,
            |s| &mut s.serve.request_timeout,
        );
        to.put(
            "serve.shutdown_grace",
            "shutdown_grace",
            &self.shutdown_grace,
            |s| &mut s.serve.shutdown_grace,
        );
        to.put(
            "serve.hash_memory_mib",
            "hash_memory_mib",
            &self.hash_memory_mib,
            |s| &mut s.serve.hash_memory_mib,
        );
        to.put(
            "serve.idle_timeout",
            "idle_timeout",
            &self.idle_timeout,
            |s| &mut s.serve.idle_timeout,
        );
        to.put(
            "serve.max_connections",
            "max_connections",
            &some(self.max_connections),
            |s| &mut s.serve.max_connections,
        );
        let limit = |v: Option<u32>| v.map(Some);
        to.put(
            "serve.login_throttle_username",
            "login_throttle_username",
            &limit(self.login_throttle_username),
            |s| &mut s.serve.login_throttle_username,
        );
        to.put(
            "serve.login_throttle_address",
            "login_throttle_address",
            &limit(self.login_throttle_address),
            |s| &mut s.serve.login_throttle_address,
        );
        to.put(
            "serve.login_throttle_window",
            "login_throttle_window",
            &self.login_throttle_window,
            |s| &mut s.serve.login_throttle_window,
        );
        let client = self.client_address_header.clone().map(Some);
        to.put(
            "serve.client_address_header",
            "client_address_header",
            &client,
            |s| &mut s.serve.client_address_header,
        );
        to.put("serve.body_limit", "body_limit", &self.body_limit, |s| {
            &mut s.serve.body_limit
        });
        let format = self.log_format.map(LogFormat::from);
        to.put("serve.log_format", "log_format", &format, |s| {
            &mut s.serve.log_format
        });
        to.put("serve.log_level", "log_level", &self.log_level, |s| {
            &mut s.serve.log_level
        });
        let init = self.init_user.clone().map(Some);
        to.put("serve.init_user", "init_user", &init, |s| {
            &mut s.serve.init_user
        });
        Ok(())
    }
}

pub fn run(args: ServeArgs) -> Result<Outcome, Fail> {
    let settings = super::flags::settings(&[&args])?;
    init_logging(settings.serve.log_format, settings.serve.log_level()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(settings.serve.workers())
        .build()
        .map_err(|e| Fail(format!("starting the async runtime: {e}")))?;
    runtime.block_on(start(settings))
}

/// A generated `SECRET_KEY` for a standalone start, kept next to the database.
fn standalone_key(database: &str) -> Result<PathBuf, Fail> {
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
    Ok(path)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// `--init-user` with no configuration file: a `djtoken.toml` beside the SQLite database,
/// naming it, the key file and the Django version, so that `djtoken serve` in that folder
/// starts the same server with no flag. Whether it wrote one.
fn standalone_config(settings: &Settings) -> Result<bool, Fail> {
    if super::layered::loaded_file().is_some() {
        return Ok(false);
    }
    let Ok(DatabaseUrl::Sqlite(database)) = DatabaseUrl::parse(&settings.database_url) else {
        return Ok(false);
    };
    let dir = database.parent().map(Path::to_path_buf).unwrap_or_default();
    let path = dir.join(super::layered::DEFAULT_FILE);
    if path.exists() {
        return Ok(false);
    }
    let beside = |file: &Path| -> Option<String> {
        let name = file.file_name()?.to_str()?;
        (file.parent().unwrap_or(Path::new("")) == dir.as_path()).then(|| name.to_owned())
    };
    let mut text = format!(
        "# Written by `djtoken serve --init-user`: this folder's database, its key and the Django\n\
         # version whose schema and hashes it has. Run `djtoken serve` here; see `djtoken config show`.\n\
         DJANGO_VERSION = \"{}\"\n",
        settings.version()
    );
    let Some(database_name) = beside(&database) else {
        return Ok(false);
    };
    let quoted = |s: String| toml::Value::String(s).to_string();
    text.push_str(&format!(
        "DATABASE_URL = {}\n",
        quoted(format!("sqlite:{database_name}"))
    ));
    if let Some(key) = settings.secret_key_file.as_deref().and_then(beside) {
        text.push_str(&format!("SECRET_KEY_FILE = {}\n", quoted(key)));
    }
    std::fs::write(&path, text).map_err(|e| Fail(format!("writing {}: {e}", path.display())))?;
    eprintln!("djtoken: wrote {}", path.display());
    Ok(true)
}

/// `--init-user`: the schema and the first user, when missing.
async fn standalone_init(settings: &Settings, username: &str) -> Result<(), Fail> {
    let version = settings.version();
    let store = settings.store_or_create().await?;
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
    let encoded = settings
        .hashers()?
        .make_password(password.as_bytes(), None, None)?;
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

async fn start(mut settings: Settings) -> Result<Outcome, Fail> {
    let key_source = match &settings.serve.init_user {
        Some(_) if !settings.has_secret_key() => {
            let path = standalone_key(&settings.database_url)?;
            let source = format!("file {}", path.display());
            settings.secret_key_file = Some(path);
            source
        }
        _ => "configured".to_owned(),
    };
    if let Some(username) = settings.serve.init_user.clone() {
        standalone_init(&settings, &username).await?;
        if standalone_config(&settings)? && settings.django_version.is_none() {
            // The file names the version whose schema and hashes the database now has: this
            // first run is the server every later run in the folder starts.
            settings.django_version = Some(settings.version().into());
        }
    }
    let state = AppState::new(&settings).await?;
    let store = state.auth.store();
    let model = store.model();
    let serve = &settings.serve;
    tracing::info!(
        prefix = %state.routes.prefix,
        database = store.database(),
        user_table = %model.table,
        pk = %format!("{} ({:?})", model.pk_column, model.pk_kind),
        username_field = %model.username_field,
        is_active = model.is_active_column.as_deref().unwrap_or("(none: all active)"),
        django_version = %settings.django_version.map_or("(none)".to_owned(), |v| v.to_string()),
        rehash_passwords = settings.rehash(),
        password_hashers = %state.auth.hashers().algorithms().join(","),
        authentication = %settings.authentication_methods.join(","),
        time_zone = %settings.time_zone,
        token_timeout_days = settings.token_timeout_days,
        secret_key = %key_source,
        fallback_keys = settings.secret_keys()?.fallbacks.len(),
        hash_concurrency = serve.hash_concurrency(),
        body_limit = serve.body_limit,
        "djtoken serve starting"
    );
    if !settings.rehash() {
        tracing::info!("no --django-version: logins never rehash passwords");
    }
    match &serve.forwarded_uri_header {
        Some(name) => tracing::info!(
            header = %name,
            "/auth reads the original URI from this header only; every other forwarded-URI header is ignored"
        ),
        None => tracing::info!(
            "no --forwarded-uri-header: /auth reads only its own query string (X-Original-URI and X-Forwarded-Uri are ignored)"
        ),
    }
    match &serve.forwarded_method_header {
        Some(name) => tracing::info!(
            header = %name,
            "/auth reads the original method from this header only; missing or not a method, it counts as unsafe"
        ),
        None => tracing::info!(
            "no --forwarded-method-header: /auth's own method is the original; a request carrying X-Original-Method or X-Forwarded-Method counts as unsafe"
        ),
    }
    if serve.user_cache_notify {
        if store.dialect() != Dialect::Postgres {
            return Err(Fail(format!(
                "serve.user_cache_notify needs PostgreSQL's change notifications, and {} is not \
                 a PostgreSQL database (SQLite keeps users read by pk without it)",
                store.database()
            )));
        }
        store.watch_changes();
    }
    if let Some(browser) = &state.browser {
        let config = browser.auth.sessions().config();
        tracing::info!(
            prefix = %serve.session_prefix(),
            engine = config.engine.path(),
            cookie = %config.cookie.name,
            csrf = if config.csrf.use_sessions { "in the session" } else { "cookie" },
            "session endpoints: csrf/, login/, logout/, whoami/"
        );
    }
    let by = |limit: Option<u32>| limit.map_or("off".to_owned(), |n| format!("{n} failures"));
    let client = serve
        .client_address_header
        .as_deref()
        .unwrap_or("(the connection's address)");
    if state.throttle.is_on() || state.axes.is_some() {
        tracing::info!(
            by_username = %by(serve.login_throttle_username),
            by_address = %by(serve.login_throttle_address),
            window_seconds = serve.login_throttle_window,
            django_axes = state.axes.is_some(),
            client_address = client,
            "login throttling"
        );
        if serve.client_address_header.is_none()
            && (serve.login_throttle_address.is_some() || state.axes.is_some())
        {
            tracing::warn!(
                "no --client-address-header: behind a proxy every client has the proxy's address"
            );
        }
    }
    match store.ping().await {
        Err(e) => {
            tracing::warn!(error = %e, "the database is not answering yet; /readyz says 503 until it does")
        }
        Ok(()) => {
            if let Err(e) = store.check_user_table().await {
                tracing::error!(error = %e, "the user table does not match the settings (--user-table and the column flags); logins and token checks answer 500, /readyz 503, until it does");
            }
        }
    }
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(serve.bind)
        .await
        .map_err(|e| Fail(format!("cannot listen on {}: {e}", serve.bind)))?;
    let address = listener
        .local_addr()
        .map_err(|e| Fail(format!("cannot listen on {}: {e}", serve.bind)))?;
    tracing::info!(%address, "listening");
    let admin = match serve.metrics_bind {
        Some(bind) => {
            let admin = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| Fail(format!("cannot listen on {bind} (--metrics-bind): {e}")))?;
            let address = admin
                .local_addr()
                .map_err(|e| Fail(format!("cannot listen on {bind}: {e}")))?;
            tracing::info!(%address, "metrics listening");
            Some(admin)
        }
        None => None,
    };
    djtoken::server::serve(&settings.serve, Arc::new(state), listener, admin, shutdown)
        .await
        .map_err(|e| Fail(format!("server error: {e}")))?;
    Ok(Outcome::Yes)
}

fn init_logging(format: LogFormat, level: &str) {
    use std::io::IsTerminal;
    let level: tracing::Level = level.parse().unwrap_or(tracing::Level::INFO);
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
