//! `djtoken serve`: django-tokenapi's endpoints and a forward-auth endpoint over HTTP.
//!
//! The whole URL surface is in [`router`]. Every answer is a [`reply::Reply`], which alone
//! decides status, headers and body. Password hashing runs on the blocking pool, at most as
//! many at once as configured (default: the number of cores), after a bounded wait for a
//! slot; past it the answer is 503 with `Retry-After`. Slow clients meet a header timeout and a
//! request timeout, large bodies a 413, and a database that is down a 503 until it returns.
//! Logs carry routes, statuses and timings, never a password, token or key.

pub use crate::gate::{ServerRunner, browser, methods, metrics, throttle};
pub mod connections;
mod drf_views;
mod handlers;
mod jwt_views;
mod knox_views;
pub mod reply;
mod request;
mod session_views;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::auth::Authenticator;
use crate::gate::Gate;
use crate::settings::{ApiView, ServeSettings, Settings, SettingsError};
use metrics::{Metrics, Route};

/// What every handler shares: what authenticates, how requests are read, where things are
/// served, and what the server keeps for itself.
pub struct AppState {
    /// `/auth`'s chain, and what it holds (shared with every view below).
    pub gate: Arc<Gate>,
    /// Logins and token checks.
    pub auth: Arc<Authenticator<ServerRunner>>,
    /// The project's sessions and CSRF rules, when the `session` method is configured.
    pub browser: Option<Arc<browser::Browser>>,
    /// simplejwt's configuration, when its method or a view of it is configured.
    pub simplejwt: Option<Arc<crate::simplejwt::Config>>,
    /// knox's configuration, when its method or a view of it is configured.
    pub knox: Option<Arc<crate::knox::Config>>,
    /// How knox's login view authenticates, from `REST_FRAMEWORK`.
    pub knox_login: knox_views::LoginAuthentication,
    /// django-axes' lockout rules, when the project uses it.
    pub axes: Option<crate::axes::AxesLockout>,
    /// How `created` and the like are stored (`USE_TZ`, `TIME_ZONE`).
    pub times: crate::store::NaiveTimes,
    /// How a request is read: the headers trusted, the body's limits.
    pub requests: RequestRules,
    /// Where each view is served.
    pub routes: Routes,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The warnings requests can repeat, each logged at most once per interval.
    pub warnings: Arc<connections::Warnings>,
}

/// How a request is read (`serve`'s settings).
pub struct RequestRules {
    /// The one header trusted for the original URI; `None`: `/auth`'s own query string.
    pub forwarded_uri_header: Option<axum::http::HeaderName>,
    /// The one header trusted for the original method; `None`: `/auth`'s own.
    pub forwarded_method_header: Option<axum::http::HeaderName>,
    /// Largest body accepted.
    pub body_limit: usize,
    /// Time a client may take to send a request body.
    pub request_timeout: Duration,
}

/// Where each view is served (`serve`'s settings).
pub struct Routes {
    /// The tokenapi prefix, normalised.
    pub prefix: String,
    /// The session endpoints' paths (`serve.session_prefix` and `SESSION_ENDPOINTS`).
    pub session_routes: [String; 4],
    /// The API views served in a package's place (DRF's, simplejwt's, knox's), by path.
    pub api_routes: Vec<(String, ApiView)>,
    /// Whether `/metrics` is served on the main listener (not when it has one of its own).
    pub metrics_on_main: bool,
}

/// The address of the connection a request came on, added to each request when the login
/// throttle or django-axes needs it.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub std::net::SocketAddr);

impl AppState {
    /// What `/readyz` checks, one store at a time, each named: the database, the user table
    /// and the columns the settings name, and for the session method the session engine's
    /// own store (the Redis of the `cache` engine, the `file` engine's folder). `/readyz` and
    /// `djtoken config check` both answer from it.
    pub async fn readiness(&self) -> Vec<(String, Result<(), crate::store::StoreError>)> {
        let store = self.auth.store();
        let model = store.model();
        let mut checks = vec![(
            format!("the database {}", store.database()),
            store.ping().await,
        )];
        if checks[0].1.is_ok() {
            checks.push((
                format!("the user table {} and its columns", model.table),
                store.check_user_table().await,
            ));
        }
        if let Some(browser) = &self.browser {
            checks.push((
                "the session engine's store".to_owned(),
                browser.auth.sessions().check_ready().await,
            ));
        }
        checks
    }

    /// Everything the handlers need, from the settings: the one place the server is put
    /// together.
    pub async fn new(settings: &Settings) -> Result<Self, SettingsError> {
        let serve = &settings.serve;
        let gate = Arc::new(Gate::new(settings).await?);
        let header = |key: &'static str, name: &Option<String>| {
            name.as_ref()
                .map(|name| {
                    axum::http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        SettingsError::Invalid {
                            key,
                            message: format!("{name:?} is not a header name"),
                        }
                    })
                })
                .transpose()
        };
        Ok(AppState {
            auth: Arc::clone(gate.authenticator()),
            knox: gate.knox().cloned(),
            knox_login: knox_views::LoginAuthentication::from_settings(&settings.rest_framework),
            simplejwt: gate.simplejwt().cloned(),
            browser: gate.browser().cloned(),
            times: gate.times(),
            requests: RequestRules {
                forwarded_uri_header: header(
                    "serve.forwarded_uri_header",
                    &serve.forwarded_uri_header,
                )?,
                forwarded_method_header: header(
                    "serve.forwarded_method_header",
                    &serve.forwarded_method_header,
                )?,
                body_limit: serve.body_limit,
                request_timeout: serve.request_timeout()?,
            },
            routes: Routes {
                prefix: serve.prefix(),
                session_routes: serve.session_routes(),
                api_routes: serve.api_routes(),
                metrics_on_main: serve.metrics_bind.is_none(),
            },
            axes: gate.axes().cloned(),
            warnings: Arc::clone(gate.warnings()),
            metrics: Arc::clone(gate.metrics()),
            gate,
        })
    }
}

/// The whole URL surface.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/auth", any(handlers::forward_auth))
        .route("/auth/", any(handlers::forward_auth))
        .route("/auth/{*original}", any(handlers::forward_auth))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz));
    if state.routes.metrics_on_main {
        router = router.route("/metrics", get(handlers::metrics));
    }
    for (path, view) in &state.routes.api_routes {
        use crate::simplejwt::views::View as Jwt;
        use knox_views::View as Knox;
        let handler = match view {
            ApiView::DrfObtainToken => any(drf_views::obtain_auth_token),
            ApiView::JwtObtainPair => jwt_views::route(Jwt::ObtainPair),
            ApiView::JwtRefresh => jwt_views::route(Jwt::Refresh),
            ApiView::JwtVerify => jwt_views::route(Jwt::Verify),
            ApiView::JwtBlacklist => jwt_views::route(Jwt::Blacklist),
            ApiView::KnoxLogin => knox_views::route(Knox::Login),
            ApiView::KnoxLogout => knox_views::route(Knox::Logout),
            ApiView::KnoxLogoutAll => knox_views::route(Knox::LogoutAll),
        };
        router = router.route(path, handler);
    }
    if state.browser.is_some() {
        // In SESSION_ENDPOINTS' order: csrf/, login/, logout/, whoami/.
        let views = [
            any(session_views::csrf),
            any(session_views::login),
            any(session_views::logout),
            any(session_views::whoami),
        ];
        for (path, view) in state.routes.session_routes.iter().zip(views) {
            router = router.route(path, view);
        }
    }
    router
        .fallback(handlers::tokenapi)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// The operations listener (`--metrics-bind`): `/metrics`, `/healthz` and `/readyz`, and
/// nothing a client of the protected services should reach.
pub fn admin_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .with_state(state)
}

/// The route a request was counted under: the pattern the router matched, or what the
/// fallback handler decided and tagged its response with.
fn route_of(matched: Option<&str>, response: &Response) -> Route {
    if let Some(route) = response.extensions().get::<Route>() {
        return *route;
    }
    match matched {
        Some("/auth" | "/auth/" | "/auth/{*original}") => Route::Auth,
        Some("/healthz") => Route::Healthz,
        Some("/readyz") => Route::Readyz,
        Some("/metrics") => Route::Metrics,
        _ => Route::Other,
    }
}

/// The request counters, the access log (route and status only), and the headers every
/// answer of a credential route must carry ([`reply::protect`]).
///
/// No timer per request here: headers are bounded by hyper's header timeout, bodies by the
/// request timeout where they are read, the database by its query timeout and hashing by its
/// queue timeout. (A timer per request costs a shared timer-wheel update on every check.)
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let method = request.method().clone();
    let start = Instant::now();
    let mut response = next.run(request).await;
    let route = route_of(matched.as_deref(), &response);
    reply::protect(route, &mut response);
    let status = response.status().as_u16();
    state.metrics.request(route, status);
    tracing::debug!(?route, %method, status, micros = start.elapsed().as_micros() as u64, "request");
    response
}

/// Serve until `shutdown` completes, then let in-flight requests finish (up to the grace
/// period).
pub async fn serve(
    settings: &ServeSettings,
    state: Arc<AppState>,
    listener: TcpListener,
    admin: Option<TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SettingsError> {
    let admin = admin.map(|admin| {
        let app = admin_router(Arc::clone(&state));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(admin, app).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        })
    });
    let (header_timeout, grace) = (settings.header_timeout()?, settings.shutdown_grace()?);
    let idle = settings.idle_timeout()?;
    let files = connections::raise_open_files_limit();
    let most = settings.max_connections.unwrap_or_else(|| {
        // Leave room for the database, the log, and the files a request opens.
        files.map_or(10_000, |(_, now)| {
            usize::try_from(now.saturating_sub(64))
                .unwrap_or(usize::MAX)
                .clamp(16, 100_000)
        })
    });
    match files {
        Some((before, now)) => tracing::info!(
            open_files = now,
            raised_from = before,
            max_connections = most,
            idle_timeout = ?idle,
            "connection limits"
        ),
        None => tracing::info!(max_connections = most, idle_timeout = ?idle, "connection limits"),
    }
    let limit = connections::Limit::new(most);
    let mut accept_errors = connections::AcceptErrors::default();
    // Only logins read the connection's address, and only to throttle or to ask django-axes
    // (it stands in for a missing address header): other servers do not add it to requests.
    let needs_peer = state.gate.needs_peer();
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // half_close: a client that shuts down its write side after its request (netcat, some
    // health checkers) still gets the answer, as gunicorn gives it.
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .half_close(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => {
                        accept_errors.succeeded();
                        conn
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not exit.
                        tokio::time::sleep(accept_errors.failed(&e)).await;
                        continue;
                    }
                };
                let Some(slot) = limit.take() else {
                    tokio::spawn(connections::refuse(stream));
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (stream, progress) = connections::Watched::new(stream);
                let service = TowerToHyperService::new(app.clone().map_request(
                    move |mut request: hyper::Request<hyper::body::Incoming>| {
                        if needs_peer {
                            request.extensions_mut().insert(Peer(peer));
                        }
                        request
                    },
                ));
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    // A connection where nothing moves for the idle timeout (a client that
                    // stopped reading, or sends nothing more) is dropped, closing it.
                    tokio::select! {
                        _ = watched => {}
                        () = connections::idle_watchdog(progress, idle) => {}
                    }
                    drop(slot);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!(grace = ?grace, "shutting down: finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
    if let Some(admin) = admin {
        admin.abort();
    }
    Ok(())
}

/// A future that completes on SIGTERM or SIGINT. The handlers are installed by
/// this call, not when the future is first polled: a signal that arrives after
/// it (say, right after "listening" is logged) stops the server gracefully
/// instead of killing the process.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |handler: Option<tokio::signal::unix::Signal>| async move {
                match handler {
                    Some(mut handler) => {
                        handler.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(terminate) => {},
                () = wait(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
