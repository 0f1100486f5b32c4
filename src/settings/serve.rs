//! `djtoken serve`'s own settings (the `serve` table).

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

/// `djtoken serve`: where it listens and how it protects itself.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServeSettings {
    /// Address to listen on (port 0: any free port, logged at start-up).
    pub bind: SocketAddr,
    /// Where `tokenapi.urls` is mounted.
    pub prefix: String,
    /// Where the session endpoints (`csrf/`, `login/`, `logout/`, `whoami/`) are mounted,
    /// when the `session` method is configured.
    pub session_prefix: String,
    /// The path of Django REST framework's `obtain_auth_token` view, as the project's
    /// `urls.py` mounts it (`/api-token-auth/`); unset: not served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drf_obtain_token_path: Option<String>,
    /// The paths of simplejwt's `TokenObtainPairView`, `TokenRefreshView`,
    /// `TokenVerifyView` and `TokenBlacklistView`, as the project mounts them
    /// (`/api/token/`, `/api/token/refresh/`, …); each unset: not served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_obtain_path: Option<String>,
    /// See [`ServeSettings::jwt_obtain_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_refresh_path: Option<String>,
    /// See [`ServeSettings::jwt_obtain_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_verify_path: Option<String>,
    /// See [`ServeSettings::jwt_obtain_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_blacklist_path: Option<String>,
    /// The paths of knox's `LoginView`, `LogoutView` and `LogoutAllView`, as the project
    /// mounts them (`/api/auth/login/`, `/api/auth/logout/`, `/api/auth/logoutall/`); each
    /// unset: not served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knox_login_path: Option<String>,
    /// See [`ServeSettings::knox_login_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knox_logout_path: Option<String>,
    /// See [`ServeSettings::knox_login_path`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knox_logoutall_path: Option<String>,
    /// The one request header `/auth` trusts for the original URI (`X-Original-URI` behind
    /// nginx, `X-Forwarded-Uri` behind Traefik and Caddy); every other is ignored, and with
    /// none only `/auth`'s own query string is read (Envoy). A client can send any header the
    /// proxy passes through, so trusting whichever is present would let it choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_uri_header: Option<String>,
    /// The one request header `/auth` trusts for the original method (`X-Original-Method` as
    /// the nginx recipe sets it, `X-Forwarded-Method` behind Traefik and Caddy); a value that
    /// is missing or not a method counts as an unsafe method, so the session method's CSRF
    /// check applies. With none, `/auth`'s own method is the original (Envoy), unless the
    /// request carries `X-Original-Method` or `X-Forwarded-Method`: a proxy nobody named is in
    /// front, and the method counts as unsafe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_method_header: Option<String>,
    /// PostgreSQL reading connections (plus one for writes) / SQLite handles kept open;
    /// `None`: one per core / 16.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<usize>,
    /// PostgreSQL: keep users read by pk while the user table's trigger (`djtoken db
    /// notify-trigger`) announces no change, instead of reading them for every check.
    pub user_cache_notify: bool,
    /// Password hashes at once; `None`: the number of cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_concurrency: Option<usize>,
    /// Seconds a login waits for a hashing slot before a 503.
    pub hash_queue_timeout: f64,
    /// MiB the password hashes in flight may take together (Argon2's and scrypt's memory, as
    /// each hash names it); a hash that would exceed it waits like one without a slot.
    pub hash_memory_mib: u64,
    /// Largest request body, in bytes (413 beyond).
    pub body_limit: usize,
    /// Seconds a client has to send its request headers.
    pub header_timeout: f64,
    /// Seconds a client may take to send its request body (408 beyond).
    pub request_timeout: f64,
    /// Seconds in-flight requests get after SIGTERM/SIGINT.
    pub shutdown_grace: f64,
    /// Seconds a connection may go without a byte moving either way (a client that stopped
    /// reading its answer, an idle keep-alive) before it is closed.
    pub idle_timeout: f64,
    /// Connections open at once; beyond, a new one gets a fast 503 and is closed. `None`: the
    /// open-file limit (raised to the hard limit at start) less 64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// Async runtime threads; `None`: the number of cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// One of [`LOG_LEVELS`].
    pub log_level: String,
    /// Standalone start: create the schema, this user and a key file when missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_user: Option<String>,
    /// A separate address for `/metrics` (with `/healthz` and `/readyz`): the main listener
    /// then serves no metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_bind: Option<SocketAddr>,
    /// Failed logins per username within [`login_throttle_window`](Self::login_throttle_window)
    /// before that username's logins answer 429; `None`: not throttled (as Django).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_username: Option<u32>,
    /// Failed logins per client address within the window before that address's logins
    /// answer 429; `None`: not throttled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_throttle_address: Option<u32>,
    /// Seconds a failed login counts for, from the latest failure.
    pub login_throttle_window: f64,
    /// The request header the proxy writes the client's address into (`X-Real-IP`;
    /// `X-Forwarded-For`, whose last address is the one the proxy added); `None`: the
    /// connection's peer address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_address_header: Option<String>,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            prefix: "/token/".into(),
            session_prefix: "/session/".into(),
            drf_obtain_token_path: None,
            jwt_obtain_path: None,
            jwt_refresh_path: None,
            jwt_verify_path: None,
            jwt_blacklist_path: None,
            knox_login_path: None,
            knox_logout_path: None,
            knox_logoutall_path: None,
            forwarded_uri_header: None,
            forwarded_method_header: None,
            pool_size: None,
            user_cache_notify: false,
            hash_concurrency: None,
            hash_queue_timeout: 5.0,
            hash_memory_mib: 1024,
            body_limit: 64 * 1024,
            header_timeout: 10.0,
            request_timeout: 30.0,
            shutdown_grace: 30.0,
            idle_timeout: 30.0,
            max_connections: None,
            workers: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            init_user: None,
            metrics_bind: None,
            login_throttle_username: None,
            login_throttle_address: None,
            login_throttle_window: 900.0,
            client_address_header: None,
        }
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
