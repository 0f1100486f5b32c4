//! `djtoken serve`: django-tokenapi's endpoints and a forward-auth endpoint over HTTP.
//!
//! The whole URL surface is in [`router`]. Every answer is a [`reply::Reply`], which alone
//! decides status, headers and body. Password hashing runs on the blocking pool, at most as
//! many at once as configured (default: the number of cores), after a bounded wait for a
//! slot; past it the answer is 503 with `Retry-After`. Slow clients meet a header timeout and a
//! request timeout, large bodies a 413, and a database that is down a 503 until it returns.
//! Logs carry routes, statuses and timings, never a password, token or key.

mod handlers;
pub mod metrics;
pub mod reply;
mod request;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::auth::{Authenticator, HashRunner, Overloaded};
use metrics::{Metrics, Route};

/// How the server listens and protects itself.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where tokenapi's URLs are mounted (`/token/`).
    pub prefix: String,
    /// Largest request body accepted (413 beyond).
    pub body_limit: usize,
    /// Time a client has to send its request headers.
    pub header_timeout: Duration,
    /// Time a client may take to send its request body (408 beyond).
    pub request_timeout: Duration,
    /// Password hashes running at once.
    pub hash_concurrency: usize,
    /// Longest wait for a hashing slot before answering 503.
    pub hash_queue_timeout: Duration,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            prefix: "/token/".into(),
            body_limit: 64 * 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            hash_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            hash_queue_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// `token/`, `/token`, `/token/` → `/token/`; `/` stays `/`.
pub fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}/")
    }
}

/// Runs password hashes on the blocking pool, a bounded number at once.
pub struct ServerRunner {
    slots: Arc<Semaphore>,
    wait: Duration,
    metrics: Arc<Metrics>,
}

impl ServerRunner {
    /// `slots` hashes at once, waiting at most `wait` for one.
    pub fn new(slots: usize, wait: Duration, metrics: Arc<Metrics>) -> Self {
        ServerRunner {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
            metrics,
        }
    }
}

impl HashRunner for ServerRunner {
    async fn run<T, F>(&self, work: F) -> Result<T, Overloaded>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let Ok(Ok(slot)) =
            tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned()).await
        else {
            self.metrics.hash_rejected();
            return Err(Overloaded);
        };
        let metrics = Arc::clone(&self.metrics);
        tokio::task::spawn_blocking(move || {
            let _timer = metrics.hash_started();
            let result = work();
            drop(slot);
            result
        })
        .await
        .map_err(|_| Overloaded)
    }
}

/// What every handler shares.
pub struct AppState {
    /// Logins and token checks.
    pub auth: Authenticator<ServerRunner>,
    /// The tokenapi prefix, normalised.
    pub prefix: String,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Largest body accepted.
    pub body_limit: usize,
    /// Time a client may take to send a request body.
    pub request_timeout: Duration,
}

impl AppState {
    fn route(&self, path: &str) -> Route {
        match path {
            "/healthz" => Route::Healthz,
            "/readyz" => Route::Readyz,
            "/metrics" => Route::Metrics,
            "/auth" => Route::Auth,
            p if p.starts_with("/auth/") => Route::Auth,
            p if p.starts_with(self.prefix.as_str()) && p.ends_with("json") => {
                if p.len() == self.prefix.len() + "new.json".len()
                    && p[self.prefix.len()..].starts_with("new")
                {
                    Route::TokenNew
                } else {
                    Route::Token
                }
            }
            _ => Route::Other,
        }
    }
}

/// The whole URL surface.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/auth", any(handlers::forward_auth))
        .route("/auth/{*original}", any(handlers::forward_auth))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::tokenapi)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// The request counters and the access log (route and status only).
///
/// No timer per request here: headers are bounded by hyper's header timeout, bodies by the
/// request timeout where they are read, the database by its query timeout and hashing by its
/// queue timeout. (A timer per request costs a shared timer-wheel update on every check.)
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = state.route(request.uri().path());
    let method = request.method().clone();
    let start = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.request(route, status);
    tracing::debug!(?route, %method, status, micros = start.elapsed().as_micros() as u64, "request");
    response
}

/// Serve until `shutdown` completes, then let in-flight requests finish (up to the grace
/// period).
pub async fn serve(
    config: ServerConfig,
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not exit.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!(grace = ?config.shutdown_grace, "shutting down: finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(config.shutdown_grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalize_prefix("/token/"), "/token/");
        assert_eq!(normalize_prefix("token"), "/token/");
        assert_eq!(normalize_prefix("/api/token"), "/api/token/");
        assert_eq!(normalize_prefix("/"), "/");
        assert_eq!(normalize_prefix(""), "/");
    }
}
