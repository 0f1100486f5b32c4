//! How a project keeps its sessions: `SESSION_ENGINE`, the cookie, the cache, the file
//! directory, and the session keys themselves. Core: values and rules, no I/O.

use std::path::PathBuf;

use crate::crypto::get_random_string;
use crate::urls::redact;

/// `VALID_KEY_CHARS`: session keys are lower-case letters and digits.
pub const KEY_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789";

/// `get_random_string(32, VALID_KEY_CHARS)`: a fresh session key.
pub fn new_session_key() -> String {
    get_random_string(32, KEY_CHARS)
}

/// `_validate_session_key`: a cookie value shorter than 8 characters is no session at all.
pub fn is_valid_key(key: &str) -> bool {
    key.len() >= 8
}

/// The built-in `SESSION_ENGINE`s a service outside Django can share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `django.contrib.sessions.backends.db`: the `django_session` table.
    Db,
    /// `…backends.cache`: pickled dicts in the cache, nothing in the database.
    Cache,
    /// `…backends.cached_db`: the table, read through the cache.
    CachedDb,
    /// `…backends.file`: one file per session.
    File,
    /// `…backends.signed_cookies`: the cookie is the session.
    SignedCookies,
}

impl Engine {
    /// Every engine, in the order Django's documentation lists them.
    pub const ALL: [Engine; 5] = [
        Engine::Db,
        Engine::Cache,
        Engine::CachedDb,
        Engine::File,
        Engine::SignedCookies,
    ];

    /// The dotted path `SESSION_ENGINE` names.
    pub fn path(self) -> &'static str {
        match self {
            Engine::Db => "django.contrib.sessions.backends.db",
            Engine::Cache => "django.contrib.sessions.backends.cache",
            Engine::CachedDb => "django.contrib.sessions.backends.cached_db",
            Engine::File => "django.contrib.sessions.backends.file",
            Engine::SignedCookies => "django.contrib.sessions.backends.signed_cookies",
        }
    }

    /// The engine a `SESSION_ENGINE` value names, if it is a built-in one.
    pub fn parse(path: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.path() == path)
    }

    /// Whether the engine keeps sessions in a cache (`SESSION_CACHE_URL` must be set).
    pub fn uses_cache(self) -> bool {
        matches!(self, Engine::Cache | Engine::CachedDb)
    }

    /// Whether the engine keeps sessions in `django_session`.
    pub fn uses_database(self) -> bool {
        matches!(self, Engine::Db | Engine::CachedDb)
    }

    /// The prefix of the engine's cache keys (`KEY_PREFIX` of the store class).
    pub fn cache_key_prefix(self) -> &'static str {
        match self {
            Engine::CachedDb => "django.contrib.sessions.cached_db",
            _ => "django.contrib.sessions.cache",
        }
    }
}

/// The salt of `signed_cookies` sessions (not the store's `key_salt`).
pub const SIGNED_COOKIES_SALT: &str = "django.contrib.sessions.backends.signed_cookies";

/// Which Django cache backend wrote the values: they differ in the pickle protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheClient {
    /// `django.core.cache.backends.redis.RedisCache` (Django 4.0+): protocol 5.
    Django,
    /// `django_redis.cache.RedisCache` with its default client and serializer: protocol 4
    /// (`PICKLE_VERSION` -1 or unset on Python ≤ 3.13).
    DjangoRedis,
}

/// One `CACHES` entry on Redis, as `SESSION_CACHE_URL` gives it:
/// `redis://[:password@]host:port/db?key_prefix=P&version=N&client=django-redis&pickle_protocol=5`,
/// with more `LOCATION`s after commas (read from the replicas, written to the first).
#[derive(Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// `LOCATION`: Redis URLs, the first one the primary.
    pub locations: Vec<String>,
    /// `KEY_PREFIX`.
    pub key_prefix: String,
    /// `VERSION`.
    pub version: i64,
    /// The backend that wrote the values.
    pub client: CacheClient,
    /// The pickle protocol djtoken writes (the backend's own unless configured).
    pub pickle_protocol: u8,
}

impl std::fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheConfig")
            .field(
                "locations",
                &self.locations.iter().map(|l| redact(l)).collect::<Vec<_>>(),
            )
            .field("key_prefix", &self.key_prefix)
            .field("version", &self.version)
            .field("client", &self.client)
            .field("pickle_protocol", &self.pickle_protocol)
            .finish()
    }
}

impl CacheConfig {
    /// Parse `SESSION_CACHE_URL`.
    pub fn parse(text: &str) -> Result<CacheConfig, String> {
        let mut locations = Vec::new();
        let mut key_prefix = String::new();
        let mut version = 1;
        let mut client = CacheClient::Django;
        let mut protocol = None;
        for (i, part) in text.split(',').map(str::trim).enumerate() {
            if !(part.starts_with("redis://")
                || part.starts_with("rediss://")
                || part.starts_with("unix://"))
            {
                return Err(format!(
                    "{} is not a redis://, rediss:// or unix:// URL",
                    redact(part)
                ));
            }
            let (base, query) = part.split_once('?').unwrap_or((part, ""));
            let mut kept = Vec::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = percent_decode(value);
                match name {
                    "key_prefix" if i == 0 => key_prefix = value,
                    "version" if i == 0 => {
                        version = value
                            .parse()
                            .map_err(|_| format!("version={value} is not an integer"))?;
                    }
                    "client" if i == 0 => {
                        client = match value.as_str() {
                            "django" => CacheClient::Django,
                            "django-redis" => CacheClient::DjangoRedis,
                            other => {
                                return Err(format!(
                                    "client={other}: expected django or django-redis"
                                ));
                            }
                        };
                    }
                    "pickle_protocol" if i == 0 => {
                        protocol = Some(match value.as_str() {
                            "4" => 4,
                            "5" => 5,
                            other => {
                                return Err(format!("pickle_protocol={other}: expected 4 or 5"));
                            }
                        });
                    }
                    "key_prefix" | "version" | "client" | "pickle_protocol" => {
                        return Err(format!(
                            "{name} belongs on the first location only ({})",
                            redact(part)
                        ));
                    }
                    _ => kept.push(pair),
                }
            }
            locations.push(if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            });
        }
        let pickle_protocol = protocol.unwrap_or(match client {
            CacheClient::Django => 5,
            CacheClient::DjangoRedis => 4,
        });
        Ok(CacheConfig {
            locations,
            key_prefix,
            version,
            client,
            pickle_protocol,
        })
    }

    /// `default_key_func`: `KEY_PREFIX:VERSION:key`.
    pub fn make_key(&self, key: &str) -> String {
        format!("{}:{}:{}", self.key_prefix, self.version, key)
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `SESSION_COOKIE_*` and `SESSION_EXPIRE_AT_BROWSER_CLOSE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieSettings {
    /// `SESSION_COOKIE_NAME`.
    pub name: String,
    /// `SESSION_COOKIE_AGE`, seconds.
    pub age: i64,
    /// `SESSION_COOKIE_DOMAIN`.
    pub domain: Option<String>,
    /// `SESSION_COOKIE_PATH`.
    pub path: String,
    /// `SESSION_COOKIE_SECURE`.
    pub secure: bool,
    /// `SESSION_COOKIE_HTTPONLY`.
    pub httponly: bool,
    /// `SESSION_COOKIE_SAMESITE` (`None` for Django's `False`).
    pub samesite: Option<String>,
    /// `SESSION_EXPIRE_AT_BROWSER_CLOSE`.
    pub expire_at_browser_close: bool,
}

impl CookieSettings {
    /// `SessionMiddleware`'s `Set-Cookie` for the session `value`, `max_age` seconds from now
    /// (`None`: a cookie for the browser session, `SESSION_EXPIRE_AT_BROWSER_CLOSE`).
    pub fn set_cookie<'a>(
        &'a self,
        value: &'a str,
        max_age: Option<i64>,
    ) -> crate::wire::cookie::SetCookie<'a> {
        crate::wire::cookie::SetCookie {
            name: &self.name,
            value,
            max_age,
            expires: None,
            domain: self.domain.as_deref(),
            path: &self.path,
            secure: self.secure,
            httponly: self.httponly,
            samesite: self.samesite.as_deref(),
        }
    }

    /// The `Set-Cookie` that deletes the session cookie (after a logout or a flush).
    pub fn deleting(&self) -> crate::wire::cookie::SetCookie<'_> {
        crate::wire::cookie::SetCookie::deleting(
            &self.name,
            &self.path,
            self.domain.as_deref(),
            self.samesite.as_deref(),
        )
    }
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            name: "sessionid".into(),
            age: 1_209_600,
            domain: None,
            path: "/".into(),
            secure: false,
            httponly: true,
            samesite: Some("Lax".into()),
            expire_at_browser_close: false,
        }
    }
}

/// Everything that decides where a project's sessions are and how they read.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    /// `SESSION_ENGINE`.
    pub engine: Engine,
    /// The store class's `key_salt`.
    pub key_salt: String,
    /// The cookie.
    pub cookie: CookieSettings,
    /// `CACHES[SESSION_CACHE_ALIAS]`, for the cache engines.
    pub cache: Option<CacheConfig>,
    /// `SESSION_FILE_PATH` (the system's temporary directory when unset, as Django).
    pub file_path: PathBuf,
    /// `AUTHENTICATION_BACKENDS`.
    pub backends: Vec<String>,
    /// `USE_TZ` and `TIME_ZONE`: how `expire_date` and `last_login` are written.
    pub use_tz: bool,
    /// `TIME_ZONE`.
    pub time_zone: crate::clock::TimeZone,
    /// Django 3.2's `DEFAULT_HASHING_ALGORITHM = "sha1"`.
    pub sha1_mode: bool,
    /// CSRF: a login rotates the secret, into the session under `CSRF_USE_SESSIONS`.
    pub csrf: crate::csrf::CsrfConfig,
}

/// `ModelBackend`, Django's default and only backend djtoken's user lookups reproduce.
pub const MODEL_BACKEND: &str = "django.contrib.auth.backends.ModelBackend";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_url_carries_prefix_version_and_replicas() {
        let config = CacheConfig::parse(
            "redis://:pw@primary:6379/1?key_prefix=app%3Ax&version=3&client=django-redis, redis://replica:6379/1",
        )
        .expect("valid");
        assert_eq!(
            config.locations,
            ["redis://:pw@primary:6379/1", "redis://replica:6379/1"]
        );
        assert_eq!(config.make_key("k"), "app:x:3:k");
        assert_eq!(config.client, CacheClient::DjangoRedis);
        assert_eq!(config.pickle_protocol, 4);
        assert!(!format!("{config:?}").contains("pw"));
        assert_eq!(
            CacheConfig::parse("redis://h")
                .expect("valid")
                .make_key("k"),
            ":1:k"
        );
        assert!(CacheConfig::parse("memcached://h").is_err());
        assert!(CacheConfig::parse("redis://h?version=x").is_err());
        assert!(CacheConfig::parse("redis://a,redis://b?version=2").is_err());
    }

    #[test]
    fn session_keys_are_32_lowercase_alphanumerics() {
        let key = new_session_key();
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| KEY_CHARS.as_bytes().contains(&b)));
        assert!(!is_valid_key("1234567") && is_valid_key("12345678"));
    }
}
