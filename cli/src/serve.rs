//! `djtoken serve`: flags and environment to a running server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use djtoken::Settings;
use djtoken::crypto::{RANDOM_STRING_CHARS, get_random_string};
use djtoken::server::{AppState, shutdown_signal};
use djtoken::settings::LogFormat;
use djtoken::store::{DatabaseUrl, Dialect, InitOutcome, NewUser};

use super::flags::{Flags, Layer, groups};
use super::layered::Layered;
use super::{Fail, Outcome};

/// Every flag `djtoken serve` takes: the settings of every group but
/// `--reset-timeout-seconds`, each declared with its setting.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    flags: Flags<groups::Serve>,
}

impl Layer for ServeArgs {
    fn layer(&self, to: &mut Layered) -> Result<(), Fail> {
        self.flags.layer(to)
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
    if state.gate.needs_peer() {
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
