//! The gate: the `/auth` chain over an HTTP request, and the answer a refusal gets.
//!
//! [`Gate::decide`] asks the methods `AUTHENTICATION_METHODS` lists (tokenapi, session with
//! Django's CSRF check for unsafe methods, drf-token, knox, simplejwt), in order, about a
//! request's [`Credentials`]: the first that finds its kind of credentials decides, as DRF's
//! authentication classes do. A user is a [`DjangoUser`]; a refusal is a [`Refused`], the
//! answer `/auth` gives (status, `WWW-Authenticate`, JSON body, `Retry-After`, `no-store`).
//! `djtoken serve`'s `/auth`, the tower layer ([`layer`], feature `tower`) and the axum
//! extractors (feature `axum`) all decide through it, so a fix to one is a fix to all.
//!
//! One [`Gate`] per process, shared: it holds the database pool, the session store and the
//! hashing capacity ([`ServerRunner`]), built once from the [`Settings`].

pub mod browser;
#[cfg(feature = "axum")]
mod extract;
#[cfg(feature = "axum")]
pub use extract::DjangoSession;
#[cfg(feature = "tower")]
pub mod layer;
pub mod login;
pub mod methods;
pub mod metrics;
pub mod params;
mod runner;
pub mod throttle;
pub mod warnings;

use std::sync::Arc;

use http::{HeaderValue, StatusCode, header};

use crate::auth::Authenticator;
use crate::settings::{Settings, SettingsError};
use crate::store::StoreError;
use crate::user::{Pk, User};
pub use browser::Browser;
pub use login::{
    BrowserRequest, BrowserSession, Client, CsrfToken, LoggedIn, LoggedOut, LoginFailure,
};
pub use methods::{AuthMethod, Credentials, Outcome, Refusal};
pub use metrics::Metrics;
pub use params::Params;
pub use runner::ServerRunner;
use warnings::Warnings;

/// Seconds a client should wait before retrying when hashing capacity is exhausted.
pub const RETRY_OVERLOADED: u32 = 1;
/// Seconds a client should wait before retrying when the database is down.
pub const RETRY_DATABASE: u32 = 5;

/// The user a request's credentials name: what `/auth` answers in its `X-Auth-*` headers,
/// and what the tower layer puts into the request's extensions.
///
/// With feature `axum` it is an extractor, behind [`layer::DjangoAuthLayer`]: `DjangoUser`
/// answers a request without one as `/auth` does (the layer's refusal: 401 with the
/// challenge, 403, 503), `Option<DjangoUser>` lets it through as `None`.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::{Router, routing::get};
/// use djtoken::gate::DjangoUser;
///
/// async fn whoami(user: DjangoUser) -> String {
///     format!("{} {} ({})", user.pk, user.username, user.method)
/// }
///
/// async fn hello(user: Option<DjangoUser>) -> String {
///     user.map_or_else(|| "hello, stranger".to_owned(), |u| format!("hello, {}", u.username))
/// }
///
/// let app: Router = Router::new()
///     .route("/whoami", get(whoami))
///     .route("/hello", get(hello));
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DjangoUser {
    /// `user.pk`.
    pub pk: Pk,
    /// The `USERNAME_FIELD` value.
    pub username: String,
    /// The `EMAIL_FIELD` value (`""` when the model has none).
    pub email: String,
    /// The method that decided: `tokenapi`, `session`, `drf-token`, `knox` or `simplejwt`.
    pub method: &'static str,
    /// For the `session` method, the session's key (the `sessionid` cookie's value).
    pub session_key: Option<String>,
}

/// The session key is a credential: never in a log line.
impl std::fmt::Debug for DjangoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DjangoUser")
            .field("pk", &self.pk)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("method", &self.method)
            .field("session_key", &self.session_key.as_ref().map(|_| "…"))
            .finish()
    }
}

impl DjangoUser {
    /// `{"pk": …, "username": …, "email": …, "method": …}`, as Python's `json.dumps` writes
    /// it (an integer pk as a number, any other as a string).
    pub fn to_json(&self) -> String {
        use crate::responses::{json_pk, push_json_string};
        let mut out = String::with_capacity(64 + self.username.len() + self.email.len());
        out.push_str("{\"pk\": ");
        out.push_str(&json_pk(&self.pk));
        out.push_str(", \"username\": ");
        push_json_string(&mut out, &self.username);
        out.push_str(", \"email\": ");
        push_json_string(&mut out, &self.email);
        out.push_str(", \"method\": ");
        push_json_string(&mut out, self.method);
        out.push('}');
        out
    }

    fn new(user: User, method: &'static str, session_key: Option<String>) -> Self {
        DjangoUser {
            pk: user.pk,
            username: user.username,
            email: user.email,
            method,
            session_key,
        }
    }
}

/// A refused request's answer, as `/auth` gives it: a JSON body `{"success": false, "errors":
/// …}` with its status, the deciding method's `WWW-Authenticate` on a 401, `Retry-After` on a
/// 503 or 429, the cookies Django sets on it, and `Cache-Control: no-store`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The status: 401, 403, 500 or 503 from the gate; 400, 413 or 429 from a login.
    pub status: StatusCode,
    /// `WWW-Authenticate`, on a 401.
    pub challenge: Option<String>,
    /// `Retry-After`, in seconds, on a 503 or 429.
    pub retry_after: Option<u32>,
    /// `Set-Cookie` values (a malformed CSRF cookie replaced, as Django 4.0+ does on a
    /// login's CSRF refusal); none from the gate's decisions.
    pub cookies: Vec<String>,
    /// The JSON body.
    pub body: String,
}

impl Refused {
    fn json(status: StatusCode, message: &str) -> Self {
        Refused {
            status,
            challenge: None,
            retry_after: None,
            cookies: Vec::new(),
            body: crate::responses::error(message),
        }
    }

    /// 401: no usable credentials, with the challenge of the method that decided (or of the
    /// first, when none found credentials of its kind).
    pub fn challenge(scheme: &str, message: &str) -> Self {
        Refused {
            challenge: Some(scheme.to_owned()),
            ..Refused::json(StatusCode::UNAUTHORIZED, message)
        }
    }

    /// 403: credentials that do not name an active user.
    pub fn forbidden(message: &str) -> Self {
        Refused::json(StatusCode::FORBIDDEN, message)
    }

    /// 403: a session-authenticated unsafe request Django's CSRF check refuses, with its
    /// reason (`CSRF Failed: …`, as DRF says it).
    pub fn csrf(reason: &str) -> Self {
        Refused::json(StatusCode::FORBIDDEN, &format!("CSRF Failed: {reason}"))
    }

    /// 503: the database or the hashing capacity is not available now.
    pub fn unavailable(retry_after: u32) -> Self {
        Refused {
            retry_after: Some(retry_after),
            ..Refused::json(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable, please try again.",
            )
        }
    }

    /// 413: a body larger than `serve.body_limit`.
    pub fn too_large() -> Self {
        Refused::json(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.")
    }

    /// 400, with this message.
    pub fn bad_request(message: &str) -> Self {
        Refused::json(StatusCode::BAD_REQUEST, message)
    }

    /// 500: the database does not have what the settings describe.
    pub fn server_error() -> Self {
        Refused::json(StatusCode::INTERNAL_SERVER_ERROR, "Server error.")
    }

    /// The answer as an HTTP response, with any body type made from its text.
    pub fn into_response<B: From<String>>(self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // From the settings; one that cannot be a header is not sent.
        if let Some(Ok(value)) = self.challenge.as_deref().map(HeaderValue::from_str) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        login::set_cookies(headers, &self.cookies);
        response
    }
}

/// What the gate makes of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The credentials name this user.
    Allowed(DjangoUser),
    /// No credentials, or wrong ones: this answer.
    Refused(Refused),
}

/// The `/auth` chain of one project, built once per process and shared.
///
/// ```no_run
/// # async fn check() -> Result<(), Box<dyn std::error::Error>> {
/// use djtoken::gate::{Credentials, Decision, Gate, Params};
///
/// let settings = djtoken::Settings::from_file("djtoken.toml".as_ref())?;
/// let gate = Gate::new(&settings).await?;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b".parse()?);
/// let credentials = Credentials::new(Some(http::Method::GET), b"", headers, Params::default());
/// match gate.decide(&credentials).await {
///     Decision::Allowed(user) => println!("{} by {}", user.username, user.method),
///     Decision::Refused(refused) => println!("{}: {}", refused.status, refused.body),
/// }
/// # Ok(()) }
/// ```
pub struct Gate {
    methods: Vec<Box<dyn AuthMethod>>,
    auth: Arc<Authenticator<ServerRunner>>,
    browser: Option<Arc<Browser>>,
    simplejwt: Option<Arc<crate::simplejwt::Config>>,
    knox: Option<Arc<crate::knox::Config>>,
    axes: Option<crate::axes::AxesLockout>,
    times: crate::store::NaiveTimes,
    warnings: Arc<Warnings>,
    metrics: Arc<Metrics>,
    /// `serve.body_limit`: the largest form body the tower layer reads.
    body_limit: usize,
    /// Failed logins counted per username and client address.
    throttle: throttle::LoginThrottle,
    /// `serve.client_address_header`: the one header trusted for the client's address.
    client_address_header: Option<http::HeaderName>,
}

impl Gate {
    /// The chain the settings describe, over the stores they name (opened here): the one
    /// place a process's credential checking is put together.
    pub async fn new(settings: &Settings) -> Result<Gate, SettingsError> {
        let serve = &settings.serve;
        let metrics = Arc::new(Metrics::default());
        let runner = ServerRunner::new(
            serve.hash_concurrency(),
            serve.hash_memory_mib.saturating_mul(1024 * 1024),
            serve.hash_queue_timeout()?,
            Arc::clone(&metrics),
        );
        let parts = settings.build().await?;
        let auth = Arc::new(parts.authenticator.with_runner(runner));
        let browser = parts
            .browser
            .map(|b| Arc::new(Browser::new(b.sessions, b.csrf, b.hosts)));
        let client_address_header = serve
            .client_address_header
            .as_ref()
            .map(|name| {
                http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| SettingsError::Invalid {
                    key: "serve.client_address_header",
                    message: format!("{name:?} is not a header name"),
                })
            })
            .transpose()?;
        let simplejwt = parts.simplejwt.map(Arc::new);
        let knox = parts.knox.map(Arc::new);
        Ok(Gate {
            methods: methods::build(
                settings,
                &auth,
                browser.as_ref(),
                simplejwt.as_ref(),
                knox.as_ref(),
            )?,
            auth,
            browser,
            simplejwt,
            knox,
            axes: parts.axes,
            times: parts.times,
            warnings: Arc::new(Warnings::default()),
            metrics,
            body_limit: serve.body_limit,
            throttle: throttle::LoginThrottle::new(
                serve.login_throttle_username,
                serve.login_throttle_address,
                serve.login_throttle_window()?,
            ),
            client_address_header,
        })
    }

    /// The configured methods in order; the first that is not "not mine" decides, and when
    /// every method says "not mine" the answer is a 401 with the first method's challenge.
    /// Each refusal is logged (at `info`, with its reason, never the credential; a few per
    /// interval, then counted).
    pub async fn decide(&self, credentials: &Credentials) -> Decision {
        self.decide_at("/auth", credentials).await
    }

    /// [`Gate::decide`] for a request to `route`, the path its refusals are logged under
    /// (the tower layer's: the request's own).
    pub async fn decide_at(&self, route: &str, credentials: &Credentials) -> Decision {
        for method in &self.methods {
            let refusal = match method.authenticate(credentials).outcome().await {
                Outcome::NotMine => continue,
                Outcome::User { user, session_key } => {
                    return Decision::Allowed(DjangoUser::new(user, method.name(), session_key));
                }
                Outcome::Refused(refusal) => refusal,
            };
            if let Some(reason) = refusal.reason() {
                self.log_refusal(route, method.name(), reason);
            }
            return Decision::Refused(match refusal {
                Refusal::Challenge(message) => {
                    Refused::challenge(method.www_authenticate(), message)
                }
                Refusal::Forbidden { message, .. } => Refused::forbidden(message),
                Refusal::Csrf(reason) => Refused::csrf(&reason),
                Refusal::Overloaded => self.overloaded(),
                Refusal::Database(e) => self.database_error(&e),
            });
        }
        let first = &self.methods[0];
        self.log_refusal(route, "none", "no credentials");
        Decision::Refused(Refused::challenge(
            first.www_authenticate(),
            first.missing_message(),
        ))
    }

    /// One info line for a refused request, saying why (never the credential): behind a
    /// proxy that replaces the body with its own page, the log is where an operator sees the
    /// reason. At most [`warnings::REFUSALS_PER_INTERVAL`] lines per interval, then a count.
    pub fn log_refusal(&self, route: &str, method: &str, reason: &str) {
        if let Some(held_back) = self.warnings.refusals.allow() {
            tracing::info!(route, method, reason, held_back, "refused");
        }
    }

    /// No hashing capacity within the wait: 503, and a warning.
    pub fn overloaded(&self) -> Refused {
        if let Some(held_back) = self.warnings.overloaded.allow() {
            tracing::warn!(
                held_back,
                "password check refused: no hashing slot or memory within the wait"
            );
        }
        Refused::unavailable(RETRY_OVERLOADED)
    }

    /// A store that could not answer: 503 while it is down or slow, 500 when waiting will
    /// not help (a missing table, credentials it refuses), each with its log line.
    pub fn database_error(&self, e: &StoreError) -> Refused {
        self.metrics.db_error();
        if e.is_unavailable() {
            if let Some(held_back) = self.warnings.database_unavailable.allow() {
                tracing::warn!(error = %e, held_back, "database unavailable");
            }
            return Refused::unavailable(RETRY_DATABASE);
        }
        if let Some(held_back) = self.warnings.database_broken.allow() {
            match e {
                StoreError::Authentication { .. } => tracing::error!(
                    error = %e,
                    held_back,
                    "a store refused djtoken's credentials: check the user and password of its URL (DATABASE_URL, SESSION_CACHE_URL) or password file"
                ),
                _ => tracing::error!(
                    error = %e,
                    held_back,
                    "database error that waiting will not fix: check the user table and column settings against the database"
                ),
            }
        }
        Refused::server_error()
    }

    /// Logins and token checks, over the project's user table.
    pub fn authenticator(&self) -> &Arc<Authenticator<ServerRunner>> {
        &self.auth
    }

    /// The project's sessions and CSRF rules, when the `session` method is configured.
    pub fn browser(&self) -> Option<&Arc<Browser>> {
        self.browser.as_ref()
    }

    /// simplejwt's configuration, when its method or a view of it is configured.
    pub fn simplejwt(&self) -> Option<&Arc<crate::simplejwt::Config>> {
        self.simplejwt.as_ref()
    }

    /// knox's configuration, when its method or a view of it is configured.
    pub fn knox(&self) -> Option<&Arc<crate::knox::Config>> {
        self.knox.as_ref()
    }

    /// django-axes' lockout rules, when the project uses it.
    pub fn axes(&self) -> Option<&crate::axes::AxesLockout> {
        self.axes.as_ref()
    }

    /// How `created` and the like are stored (`USE_TZ`, `TIME_ZONE`).
    pub fn times(&self) -> crate::store::NaiveTimes {
        self.times
    }

    /// The warnings requests can repeat, each logged at most a few times per interval.
    pub fn warnings(&self) -> &Arc<Warnings> {
        &self.warnings
    }

    /// The counters of password hashes and database errors (`/metrics` renders them).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// `serve.body_limit`: the largest form body a front reads for its credentials.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The login throttle: failed logins counted per username and client address.
    pub fn throttle(&self) -> &throttle::LoginThrottle {
        &self.throttle
    }

    /// The configured methods, in order.
    pub fn methods(&self) -> &[Box<dyn AuthMethod>] {
        &self.methods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_session_key_stays_out_of_debug_output() {
        let user = DjangoUser {
            pk: Pk::Int(7),
            username: "zoë".into(),
            email: "z@example.com".into(),
            method: "session",
            session_key: Some("a-secret-session-key".into()),
        };
        let shown = format!("{user:?}");
        assert!(
            !shown.contains("a-secret-session-key") && shown.contains("zoë"),
            "{shown}"
        );
        assert_eq!(
            user.to_json(),
            "{\"pk\": 7, \"username\": \"zo\\u00eb\", \"email\": \"z@example.com\", \"method\": \"session\"}"
        );
    }

    #[test]
    fn a_refusal_is_answered_with_its_headers() {
        let response: http::Response<String> =
            Refused::challenge("Token", "no token").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let headers = response.headers();
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Token");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            response.body(),
            "{\"success\": false, \"errors\": \"no token\"}"
        );
        let busy: http::Response<String> = Refused::unavailable(RETRY_DATABASE).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "5");
        // A challenge that cannot be a header is left out, not sent broken.
        let odd: http::Response<String> = Refused::challenge("a\nb", "x").into_response();
        assert!(odd.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
