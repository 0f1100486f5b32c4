//! `djtoken serve`'s own settings (the `serve` table).

use super::declare_settings;
use super::{SettingsError, invalid};
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::seconds;
/// How `djtoken serve` logs.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The log levels, least verbose first.
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

declare_settings! {
    /// `djtoken serve`: where it listens and how it protects itself.
    #[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
    pub struct ServeSettings {
        /// Address to listen on; port 0 takes a free port, logged as `listening address=…`.
        "bind" bind: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8000))
            => Serve "--bind" env "DJTOKEN_BIND";
        /// Where `tokenapi.urls` is mounted, as `include('tokenapi.urls')` under `token/`.
        "prefix" prefix: String = "/token/".into()
            => Serve "--prefix" env "DJTOKEN_PREFIX";
        /// Where the session endpoints (`csrf/`, `login/`, `logout/`, `whoami/`) are mounted,
        /// when the `session` method is configured.
        "session_prefix" session_prefix: String = "/session/".into()
            => Serve "--session-prefix" env "DJTOKEN_SESSION_PREFIX";
        /// The path of Django REST framework's `obtain_auth_token` view, as the project's
        /// `urls.py` mounts it (`/api-token-auth/`); unset: not served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "drf_obtain_token_path" drf_obtain_token_path: Option<String> = None
            => Serve "--drf-obtain-token-path" env "DJTOKEN_DRF_OBTAIN_TOKEN_PATH" value "PATH";
        /// The path of simplejwt's `TokenObtainPairView`, as the project mounts it
        /// (`/api/token/`); unset: not served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "jwt_obtain_path" jwt_obtain_path: Option<String> = None
            => Serve "--jwt-obtain-path" env "DJTOKEN_JWT_OBTAIN_PATH" value "PATH";
        /// The path of simplejwt's `TokenRefreshView` (`/api/token/refresh/`); unset: not
        /// served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "jwt_refresh_path" jwt_refresh_path: Option<String> = None
            => Serve "--jwt-refresh-path" env "DJTOKEN_JWT_REFRESH_PATH" value "PATH";
        /// The path of simplejwt's `TokenVerifyView` (`/api/token/verify/`); unset: not
        /// served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "jwt_verify_path" jwt_verify_path: Option<String> = None
            => Serve "--jwt-verify-path" env "DJTOKEN_JWT_VERIFY_PATH" value "PATH";
        /// The path of simplejwt's `TokenBlacklistView` (`/api/token/blacklist/`); unset: not
        /// served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "jwt_blacklist_path" jwt_blacklist_path: Option<String> = None
            => Serve "--jwt-blacklist-path" env "DJTOKEN_JWT_BLACKLIST_PATH" value "PATH";
        /// The path of django-rest-knox's `LoginView`, as the project mounts it
        /// (`/api/auth/login/`); unset: not served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "knox_login_path" knox_login_path: Option<String> = None
            => Serve "--knox-login-path" env "DJTOKEN_KNOX_LOGIN_PATH" value "PATH";
        /// The path of knox's `LogoutView` (`/api/auth/logout/`); unset: not served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "knox_logout_path" knox_logout_path: Option<String> = None
            => Serve "--knox-logout-path" env "DJTOKEN_KNOX_LOGOUT_PATH" value "PATH";
        /// The path of knox's `LogoutAllView` (`/api/auth/logoutall/`); unset: not served.
        #[serde(skip_serializing_if = "Option::is_none")]
        "knox_logoutall_path" knox_logoutall_path: Option<String> = None
            => Serve "--knox-logoutall-path" env "DJTOKEN_KNOX_LOGOUTALL_PATH" value "PATH";
        /// The one request header `/auth` trusts for the original URI (`X-Original-URI`
        /// behind nginx, `X-Forwarded-Uri` behind Traefik and Caddy); every other is ignored,
        /// and with none only `/auth`'s own query string is read (Envoy).
        ///
        /// A client can send any header the proxy passes through, so trusting whichever is
        /// present would let it choose.
        #[serde(skip_serializing_if = "Option::is_none")]
        "forwarded_uri_header" forwarded_uri_header: Option<String> = None
            => Serve "--forwarded-uri-header" env "DJTOKEN_FORWARDED_URI_HEADER" value "HEADER";
        /// The one request header `/auth` trusts for the original method (`X-Original-Method`
        /// as the nginx recipe sets it, `X-Forwarded-Method` behind Traefik and Caddy);
        /// missing or not a method, it counts as unsafe (the session method's CSRF check
        /// applies). Unset: `/auth`'s own method (Envoy), and a request carrying
        /// `X-Original-Method` or `X-Forwarded-Method` counts as unsafe.
        #[serde(skip_serializing_if = "Option::is_none")]
        "forwarded_method_header" forwarded_method_header: Option<String> = None
            => Serve "--forwarded-method-header" env "DJTOKEN_FORWARDED_METHOD_HEADER"
               value "HEADER";
        /// PostgreSQL connections for reads, shared and pipelined (one more for writes);
        /// SQLite: handles kept open and calls that may wait on a lock at once; MySQL: the
        /// pool's connections, one call each at a time. Unset: one per core (PostgreSQL), 16
        /// (SQLite), 2 × cores + 2 (MySQL).
        #[serde(skip_serializing_if = "Option::is_none")]
        "pool_size" pool_size: Option<usize> = None
            => Serve "--pool-size" env "DJTOKEN_POOL_SIZE";
        /// PostgreSQL: keep users read by pk between checks while the user table's trigger
        /// (`djtoken db notify-trigger`) announces no change, instead of reading them for every
        /// check.
        "user_cache_notify" user_cache_notify: bool = false
            => Serve "--user-cache-notify" env "DJTOKEN_USER_CACHE_NOTIFY" value "BOOL";
        /// Password hashes at once; unset: the number of cores.
        #[serde(skip_serializing_if = "Option::is_none")]
        "hash_concurrency" hash_concurrency: Option<usize> = None
            => Serve "--hash-concurrency" env "DJTOKEN_HASH_CONCURRENCY";
        /// Seconds a login may wait for a hashing slot (then a 503 with `Retry-After`).
        "hash_queue_timeout" hash_queue_timeout: f64 = 5.0
            => Serve "--hash-queue-timeout" env "DJTOKEN_HASH_QUEUE_TIMEOUT";
        /// MiB the password hashes in flight may take together (Argon2's and scrypt's memory,
        /// as each stored hash names it); a hash that does not fit waits like one without a
        /// slot.
        "hash_memory_mib" hash_memory_mib: u64 = 1024
            => Serve "--hash-memory-mib" env "DJTOKEN_HASH_MEMORY_MIB";
        /// Largest request body, in bytes (413 beyond).
        "body_limit" body_limit: usize = 64 * 1024
            => Serve "--body-limit" env "DJTOKEN_BODY_LIMIT";
        /// Seconds a client has to send its request headers (then the connection closes).
        "header_timeout" header_timeout: f64 = 10.0
            => Serve "--header-timeout" env "DJTOKEN_HEADER_TIMEOUT";
        /// Seconds a client may take to send its request body (408 beyond).
        "request_timeout" request_timeout: f64 = 30.0
            => Serve "--request-timeout" env "DJTOKEN_REQUEST_TIMEOUT";
        /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
        "shutdown_grace" shutdown_grace: f64 = 30.0
            => Serve "--shutdown-grace" env "DJTOKEN_SHUTDOWN_GRACE";
        /// Seconds a connection may go without a byte moving either way (a client that
        /// stopped reading its answer, an idle keep-alive) before it is closed.
        "idle_timeout" idle_timeout: f64 = 30.0
            => Serve "--idle-timeout" env "DJTOKEN_IDLE_TIMEOUT";
        /// Connections at once; beyond, a fast 503 with `Retry-After` and the connection
        /// closed. Unset: the open-file limit (raised to the hard limit at start; both figures
        /// are logged) less 64.
        #[serde(skip_serializing_if = "Option::is_none")]
        "max_connections" max_connections: Option<usize> = None
            => Serve "--max-connections" env "DJTOKEN_MAX_CONNECTIONS";
        /// Async runtime threads; unset: the number of cores.
        #[serde(skip_serializing_if = "Option::is_none")]
        "workers" workers: Option<usize> = None
            => Serve "--workers" env "DJTOKEN_WORKERS";
        /// `text`, or `json` for one object per line.
        "log_format" log_format: LogFormat = LogFormat::Text
            => Serve "--log-format" env "DJTOKEN_LOG_FORMAT";
        /// `error`, `warn`, `info` (one `refused` line per refusal of `/auth` or of a login,
        /// with its reason), `debug` (every request: route, status, time — never a password,
        /// token or key) or `trace`.
        "log_level" log_level: String = "info".into()
            => Serve "--log-level" env "DJTOKEN_LOG_LEVEL";
        /// Standalone start: create the database with Django's schema if it has none, this
        /// user if missing (password from `DJTOKEN_INIT_PASSWORD`, else generated and
        /// printed), and a secret-key file if no key is configured.
        #[serde(skip_serializing_if = "Option::is_none")]
        "init_user" init_user: Option<String> = None
            => Serve "--init-user" env "DJTOKEN_INIT_USER";
        /// A listener of its own for `/metrics` (with `/healthz` and `/readyz`), kept off the
        /// network the clients reach: the main listener then serves no metrics.
        #[serde(skip_serializing_if = "Option::is_none")]
        "metrics_bind" metrics_bind: Option<SocketAddr> = None
            => Serve "--metrics-bind" env "DJTOKEN_METRICS_BIND";
        /// Failed logins per user within `login_throttle_window` (the user the database finds
        /// for the username; an unknown username by its text) before that user's logins
        /// answer 429 with `Retry-After`, even with the right password; unset: not throttled,
        /// as in Django.
        #[serde(skip_serializing_if = "Option::is_none")]
        "login_throttle_username" login_throttle_username: Option<u32> = None
            => Serve "--login-throttle-username" env "DJTOKEN_LOGIN_THROTTLE_USERNAME"
               value "FAILURES";
        /// Failed logins per client address within the window, whatever the username,
        /// before that address's logins answer 429; unset: not throttled.
        #[serde(skip_serializing_if = "Option::is_none")]
        "login_throttle_address" login_throttle_address: Option<u32> = None
            => Serve "--login-throttle-address" env "DJTOKEN_LOGIN_THROTTLE_ADDRESS"
               value "FAILURES";
        /// Seconds a failed login counts for, from the latest failure.
        "login_throttle_window" login_throttle_window: f64 = 900.0
            => Serve "--login-throttle-window" env "DJTOKEN_LOGIN_THROTTLE_WINDOW"
               value "SECONDS";
        /// The request header the proxy writes the client's address into (`X-Real-IP`; for
        /// `X-Forwarded-For` the last address, the one the proxy appended); unset: the
        /// connection's address.
        #[serde(skip_serializing_if = "Option::is_none")]
        "client_address_header" client_address_header: Option<String> = None
            => Serve "--client-address-header" env "DJTOKEN_CLIENT_ADDRESS_HEADER"
               value "HEADER";
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// The session endpoints, below `serve.session_prefix`.
pub const SESSION_ENDPOINTS: [&str; 4] = ["csrf/", "login/", "logout/", "whoami/"];

/// `token/`, `/token`, `/token/` → `/token/`; `/` stays `/`.
pub fn normalize_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}/")
    }
}

impl ServeSettings {
    /// The tokenapi prefix, normalised.
    pub fn prefix(&self) -> String {
        normalize_prefix(&self.prefix)
    }

    /// The session endpoints' prefix, normalised.
    pub fn session_prefix(&self) -> String {
        normalize_prefix(&self.session_prefix)
    }

    /// The session endpoints' paths, in [`SESSION_ENDPOINTS`]' order.
    pub fn session_routes(&self) -> [String; 4] {
        let prefix = self.session_prefix();
        SESSION_ENDPOINTS.map(|name| format!("{prefix}{name}"))
    }

    /// Password hashes at once (at least 1).
    pub fn hash_concurrency(&self) -> usize {
        self.hash_concurrency.unwrap_or_else(cores).max(1)
    }

    /// Runtime threads (at least 1).
    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(cores).max(1)
    }

    /// See [`ServeSettings::hash_queue_timeout`].
    pub fn hash_queue_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.hash_queue_timeout", self.hash_queue_timeout)
    }

    /// See [`ServeSettings::header_timeout`].
    pub fn header_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.header_timeout", self.header_timeout)
    }

    /// See [`ServeSettings::request_timeout`].
    pub fn request_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.request_timeout", self.request_timeout)
    }

    /// See [`ServeSettings::shutdown_grace`].
    pub fn shutdown_grace(&self) -> Result<Duration, SettingsError> {
        seconds("serve.shutdown_grace", self.shutdown_grace)
    }

    /// See [`ServeSettings::idle_timeout`].
    pub fn idle_timeout(&self) -> Result<Duration, SettingsError> {
        seconds("serve.idle_timeout", self.idle_timeout)
    }

    /// See [`ServeSettings::login_throttle_window`].
    pub fn login_throttle_window(&self) -> Result<Duration, SettingsError> {
        seconds("serve.login_throttle_window", self.login_throttle_window)
    }

    /// The log level, lower-cased, if it is one of [`LOG_LEVELS`].
    pub fn log_level(&self) -> Result<&'static str, SettingsError> {
        let level = self.log_level.to_ascii_lowercase();
        LOG_LEVELS.into_iter().find(|l| *l == level).ok_or_else(|| {
            invalid(
                "serve.log_level",
                format!(
                    "{:?} is not a log level: expected one of {}",
                    self.log_level,
                    LOG_LEVELS.join(", ")
                ),
            )
        })
    }

    /// The API views djtoken can serve in a package's place, each with the path it is
    /// mounted at (`None`: not served), in [`ApiView::ALL`]'s order.
    pub fn api_paths(&self) -> impl Iterator<Item = (ApiView, &Option<String>)> {
        ApiView::ALL.into_iter().map(|view| {
            let path = match view {
                ApiView::DrfObtainToken => &self.drf_obtain_token_path,
                ApiView::JwtObtainPair => &self.jwt_obtain_path,
                ApiView::JwtRefresh => &self.jwt_refresh_path,
                ApiView::JwtVerify => &self.jwt_verify_path,
                ApiView::JwtBlacklist => &self.jwt_blacklist_path,
                ApiView::KnoxLogin => &self.knox_login_path,
                ApiView::KnoxLogout => &self.knox_logout_path,
                ApiView::KnoxLogoutAll => &self.knox_logoutall_path,
            };
            (view, path)
        })
    }

    /// The API views mounted, with their paths.
    pub fn api_routes(&self) -> Vec<(String, ApiView)> {
        self.api_paths()
            .filter_map(|(view, path)| Some((path.clone()?, view)))
            .collect()
    }

    /// Whether a view of `package` is mounted.
    pub fn serves(&self, package: ApiPackage) -> bool {
        self.api_paths()
            .any(|(view, path)| view.package() == package && path.is_some())
    }

    /// Check every value.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.hash_queue_timeout()?;
        self.header_timeout()?;
        self.request_timeout()?;
        self.shutdown_grace()?;
        self.idle_timeout()?;
        self.log_level()?;
        if self.hash_memory_mib == 0 {
            return Err(invalid("serve.hash_memory_mib", "must be at least 1"));
        }
        if self.max_connections == Some(0) {
            return Err(invalid("serve.max_connections", "must be at least 1"));
        }
        if self.body_limit == 0 {
            return Err(invalid("serve.body_limit", "must be at least 1 byte"));
        }
        for (key, header) in [
            ("serve.forwarded_uri_header", &self.forwarded_uri_header),
            (
                "serve.forwarded_method_header",
                &self.forwarded_method_header,
            ),
            ("serve.client_address_header", &self.client_address_header),
        ] {
            if let Some(name) = header {
                let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
                if name.is_empty() || !name.bytes().all(token) {
                    return Err(invalid(key, format!("{name:?} is not a header name")));
                }
            }
        }
        for (key, limit) in [
            (
                "serve.login_throttle_username",
                self.login_throttle_username,
            ),
            ("serve.login_throttle_address", self.login_throttle_address),
        ] {
            if limit == Some(0) {
                return Err(invalid(key, "must be at least 1 failed login"));
            }
        }
        self.login_throttle_window()?;
        Ok(())
    }
}

/// The package an API view stands in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiPackage {
    /// Django REST framework (`rest_framework.authtoken`).
    Drf,
    /// djangorestframework-simplejwt.
    SimpleJwt,
    /// django-rest-knox.
    Knox,
}

/// An API view djtoken serves in a package's place, at a path of `serve`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiView {
    /// DRF's `obtain_auth_token` (`serve.drf_obtain_token_path`).
    DrfObtainToken,
    /// simplejwt's `TokenObtainPairView` (`serve.jwt_obtain_path`).
    JwtObtainPair,
    /// simplejwt's `TokenRefreshView` (`serve.jwt_refresh_path`).
    JwtRefresh,
    /// simplejwt's `TokenVerifyView` (`serve.jwt_verify_path`).
    JwtVerify,
    /// simplejwt's `TokenBlacklistView` (`serve.jwt_blacklist_path`).
    JwtBlacklist,
    /// knox's `LoginView` (`serve.knox_login_path`).
    KnoxLogin,
    /// knox's `LogoutView` (`serve.knox_logout_path`).
    KnoxLogout,
    /// knox's `LogoutAllView` (`serve.knox_logoutall_path`).
    KnoxLogoutAll,
}

impl ApiView {
    /// Every view, DRF's first, then simplejwt's four and knox's three.
    pub const ALL: [ApiView; 8] = [
        ApiView::DrfObtainToken,
        ApiView::JwtObtainPair,
        ApiView::JwtRefresh,
        ApiView::JwtVerify,
        ApiView::JwtBlacklist,
        ApiView::KnoxLogin,
        ApiView::KnoxLogout,
        ApiView::KnoxLogoutAll,
    ];

    /// The package it stands in for.
    pub fn package(self) -> ApiPackage {
        match self {
            ApiView::DrfObtainToken => ApiPackage::Drf,
            ApiView::JwtObtainPair
            | ApiView::JwtRefresh
            | ApiView::JwtVerify
            | ApiView::JwtBlacklist => ApiPackage::SimpleJwt,
            ApiView::KnoxLogin | ApiView::KnoxLogout | ApiView::KnoxLogoutAll => ApiPackage::Knox,
        }
    }

    /// The setting that mounts it.
    pub fn key(self) -> &'static str {
        match self {
            ApiView::DrfObtainToken => "serve.drf_obtain_token_path",
            ApiView::JwtObtainPair => "serve.jwt_obtain_path",
            ApiView::JwtRefresh => "serve.jwt_refresh_path",
            ApiView::JwtVerify => "serve.jwt_verify_path",
            ApiView::JwtBlacklist => "serve.jwt_blacklist_path",
            ApiView::KnoxLogin => "serve.knox_login_path",
            ApiView::KnoxLogout => "serve.knox_logout_path",
            ApiView::KnoxLogoutAll => "serve.knox_logoutall_path",
        }
    }

    /// The package's usual path, as an example in messages.
    pub fn example(self) -> &'static str {
        match self {
            ApiView::DrfObtainToken => "/api-token-auth/",
            ApiView::JwtObtainPair => "/api/token/",
            ApiView::JwtRefresh => "/api/token/refresh/",
            ApiView::JwtVerify => "/api/token/verify/",
            ApiView::JwtBlacklist => "/api/token/blacklist/",
            ApiView::KnoxLogin => "/api/auth/login/",
            ApiView::KnoxLogout => "/api/auth/logout/",
            ApiView::KnoxLogoutAll => "/api/auth/logoutall/",
        }
    }
}
