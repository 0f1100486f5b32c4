//! Where sessions live: Django's `SessionStore` for each built-in `SESSION_ENGINE`, reading
//! and writing exactly what Django reads and writes (feature `store`; the cache engines also
//! need feature `redis`).
//!
//! The API is Django's, without the object: [`SessionStore::load`] is `load()` for a cookie
//! value, [`SessionStore::create`] / [`SessionStore::save`] / [`SessionStore::delete`] /
//! [`SessionStore::cycle_key`] are theirs. A session Django reads as empty (no row, an
//! expired row, a bad signature, a garbage pickle) loads as `None`; what Django raises on
//! (3.2's undecodable data, an unreadable file) is [`SessionError::Unreadable`].

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::config::{Engine, SIGNED_COOKIES_SALT, SessionConfig, is_valid_key, new_session_key};
use super::expiry::is_truthy;
use super::{DataError, SessionCodec, SessionData, expiry};
use crate::clock::Clock;
use crate::crypto::SecretKeys;
use crate::signing::{SignerOptions, TimestampSigner, decode_payload, encode_payload};
use crate::store::{Database, NaiveTimes, StoreError};
use crate::version::DjangoVersion;

/// Cached sessions up to this size are unpickled where they are read (a few microseconds);
/// larger ones on the blocking pool.
#[cfg(feature = "redis")]
const INLINE_PICKLE_BYTES: usize = 16 << 10;

#[cfg(feature = "redis")]
use super::cache::RedisCache;

/// Why a session operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The database, cache or directory could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Data Django raises on (an HTTP 500 there); djtoken treats the session as anonymous.
    #[error("unreadable session: {0}")]
    Unreadable(String),
    /// No free session key after many tries (Django: "Unable to create a new session key").
    #[error("unable to create a new session key; the session store may be unavailable")]
    NoFreeKey,
    /// The session to update no longer exists (Django's `UpdateError`, a 400 there).
    #[error("the session was deleted before it could be saved")]
    Vanished,
    /// A login that cannot be made as asked (no such user, a backend Django would refuse).
    #[error("{0}")]
    Refused(String),
}

/// The sessions of one project.
pub struct SessionStore {
    config: SessionConfig,
    codec: SessionCodec,
    /// `signed_cookies`: `signing.dumps`/`loads` with that engine's salt.
    cookie_signer: TimestampSigner,
    database: Option<Arc<Database>>,
    #[cfg(feature = "redis")]
    cache: Option<RedisCache>,
    clock: Clock,
}

/// Tries to find a free key before giving up, as Django's cache backend (10,000).
const CREATE_TRIES: usize = 10_000;

impl SessionStore {
    /// The store for `config` under `keys` as `version` reads sessions; `database` is the
    /// project's database (needed by `db` and `cached_db`), `cache` its session cache
    /// (needed by `cache` and `cached_db`).
    pub fn new(
        config: SessionConfig,
        keys: &SecretKeys,
        version: DjangoVersion,
        database: Option<Arc<Database>>,
        #[cfg(feature = "redis")] cache: Option<RedisCache>,
    ) -> Result<Self, StoreError> {
        if config.engine.uses_database() && database.is_none() {
            return Err(StoreError::Refused(format!(
                "{} needs the database",
                config.engine.path()
            )));
        }
        #[cfg(feature = "redis")]
        let has_cache = cache.is_some();
        #[cfg(not(feature = "redis"))]
        let has_cache = false;
        if config.engine.uses_cache() && !has_cache {
            return Err(StoreError::Refused(format!(
                "{} needs SESSION_CACHE_URL (and a djtoken built with the redis feature)",
                config.engine.path()
            )));
        }
        let sha1_mode = config.sha1_mode && version == DjangoVersion::V3_2;
        let cookie_signer = TimestampSigner::new(
            keys,
            version,
            SignerOptions {
                salt: Some(SIGNED_COOKIES_SALT.into()),
                sha1_mode,
                ..SignerOptions::default()
            },
        )
        .expect("the default separator is safe");
        Ok(SessionStore {
            codec: SessionCodec::new(keys, version, &config.key_salt, sha1_mode),
            cookie_signer,
            clock: Clock::system(config.time_zone),
            config,
            database,
            #[cfg(feature = "redis")]
            cache,
        })
    }

    /// The same store reading the time from `clock` (tests, `--now`).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The codec of the store's session data.
    pub fn codec(&self) -> &SessionCodec {
        &self.codec
    }

    /// Now, by the store's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now_utc()
    }

    fn times(&self) -> NaiveTimes {
        NaiveTimes {
            use_tz: self.config.use_tz,
            time_zone: self.config.time_zone,
        }
    }

    /// How this project's sessions expire.
    pub fn expiry_rules(&self) -> expiry::ExpiryRules {
        expiry::ExpiryRules {
            cookie_age: self.config.cookie.age,
            use_tz: self.config.use_tz,
            time_zone: self.config.time_zone,
        }
    }

    /// The session cookie's `Max-Age` for a session holding `data`, as `SessionMiddleware`
    /// computes it when it saves: `None` for a browser-session cookie.
    pub fn cookie_max_age(&self, data: &SessionData) -> Result<Option<i64>, String> {
        let rules = self.expiry_rules();
        if rules.at_browser_close(data.values(), self.config.cookie.expire_at_browser_close) {
            return Ok(None);
        }
        rules.age(data.values(), self.now()).map(Some)
    }

    fn db(&self) -> &Database {
        self.database
            .as_deref()
            .expect("checked in SessionStore::new")
    }

    #[cfg(feature = "redis")]
    fn cache(&self) -> &RedisCache {
        self.cache.as_ref().expect("checked in SessionStore::new")
    }

    fn cache_key(&self, key: &str) -> String {
        format!("{}{key}", self.config.engine.cache_key_prefix())
    }

    /// Whether the stores `load` needs besides the database answer, for `/readyz`: the Redis
    /// cache of the `cache` engine (`cached_db` reads through to the database when the cache
    /// is down, as Django does), the folder of the `file` engine.
    pub async fn check_ready(&self) -> Result<(), StoreError> {
        match self.config.engine {
            #[cfg(feature = "redis")]
            Engine::Cache => self.cache().ping().await,
            Engine::File => {
                let dir = self.config.file_path.clone();
                match tokio::fs::metadata(&dir).await {
                    Ok(meta) if meta.is_dir() => Ok(()),
                    Ok(_) => Err(StoreError::Unavailable {
                        database: dir.display().to_string(),
                        reason: "SESSION_FILE_PATH is not a folder".into(),
                    }),
                    Err(e) => Err(StoreError::Unavailable {
                        database: dir.display().to_string(),
                        reason: e.to_string(),
                    }),
                }
            }
            _ => Ok(()),
        }
    }

    /// `SessionStore(key).load()`: the session's data, or `None` where Django finds no
    /// session (and would start an empty one). For `signed_cookies`, `key` is the cookie.
    pub async fn load(&self, key: &str) -> Result<Option<SessionData>, SessionError> {
        if self.config.engine != Engine::SignedCookies && !is_valid_key(key) {
            return Ok(None);
        }
        match self.config.engine {
            Engine::Db => self.load_db(key).await.map(|r| r.map(|(data, _)| data)),
            Engine::Cache => self.load_cache(key).await,
            Engine::CachedDb => {
                if let Ok(Some(data)) = self.load_cache(key).await {
                    return Ok(Some(data));
                }
                let Some((data, expire)) = self.load_db(key).await? else {
                    return Ok(None);
                };
                // Django caches what it read from the database, until the row expires; a
                // cache that cannot take it is only logged there.
                let age = expiry::seconds_until(self.now(), expire);
                let _ = self.cache_set(key, &data, age, false).await;
                Ok(Some(data))
            }
            Engine::File => self.load_file(key).await,
            Engine::SignedCookies => {
                let max_age = self.config.cookie.age as f64;
                let now = self.now().timestamp_micros() as f64 / 1e6;
                let read = self
                    .cookie_signer
                    .unsign(key, Some(max_age), now)
                    .and_then(|(payload, _)| decode_payload(payload));
                match read.map(|serialized| SessionData::from_json(&serialized)) {
                    Ok(Ok(data)) => Ok(Some(data)),
                    // Django stores whatever the cookie held and fails when it is used.
                    Ok(Err(DataError::NotAnObject)) => Err(SessionError::Unreadable(
                        "the signed cookie holds something other than a dict".into(),
                    )),
                    Ok(Err(DataError::Json(_))) | Err(_) => Ok(None),
                }
            }
        }
    }

    async fn load_db(
        &self,
        key: &str,
    ) -> Result<Option<(SessionData, DateTime<Utc>)>, SessionError> {
        let Some(row) = self
            .db()
            .session_load(key, self.now(), self.times())
            .await?
        else {
            return Ok(None);
        };
        let data = self
            .codec
            .decode(&row.data)
            .map_err(|e| SessionError::Unreadable(e.to_string()))?;
        Ok(Some((data, row.expire_date)))
    }

    #[cfg(feature = "redis")]
    async fn load_cache(&self, key: &str) -> Result<Option<SessionData>, SessionError> {
        let Some(raw) = self.cache().get(&self.cache_key(key)).await? else {
            return Ok(None);
        };
        // RedisSerializer stores integers raw; a session is never one, and Django would
        // fail on it as on any non-dict.
        if std::str::from_utf8(&raw).is_ok_and(|t| t.trim().parse::<i64>().is_ok()) {
            return Err(SessionError::Unreadable(
                "the cache holds an integer, not a session".into(),
            ));
        }
        // Reading is linear in the pickle, within bounds; a large one still takes a while,
        // and not on an async worker, where it would hold up every request behind it.
        let loaded = if raw.len() <= INLINE_PICKLE_BYTES {
            super::pickle::loads_dict(&raw)
        } else {
            tokio::task::spawn_blocking(move || super::pickle::loads_dict(&raw))
                .await
                .map_err(|_| SessionError::Unreadable("the pickle reader stopped".into()))?
        };
        match loaded {
            Ok(data) => Ok(Some(data)),
            // Django's cache raises on a garbage pickle and load() swallows it: no session.
            Err(super::pickle::PickleError::Malformed(_)) => Ok(None),
            Err(e) => Err(SessionError::Unreadable(e.to_string())),
        }
    }

    #[cfg(not(feature = "redis"))]
    async fn load_cache(&self, _key: &str) -> Result<Option<SessionData>, SessionError> {
        unreachable!("SessionStore::new refuses cache engines without the redis feature")
    }

    #[cfg(feature = "redis")]
    async fn cache_set(
        &self,
        key: &str,
        data: &SessionData,
        timeout: i64,
        add: bool,
    ) -> Result<bool, SessionError> {
        let protocol = self.cache().config().pickle_protocol;
        let raw = super::pickle::dumps_dict(data, protocol);
        Ok(self
            .cache()
            .set(&self.cache_key(key), &raw, timeout, add)
            .await?)
    }

    #[cfg(not(feature = "redis"))]
    async fn cache_set(
        &self,
        _key: &str,
        _data: &SessionData,
        _timeout: i64,
        _add: bool,
    ) -> Result<bool, SessionError> {
        unreachable!("SessionStore::new refuses cache engines without the redis feature")
    }

    async fn cache_delete(&self, key: &str) -> Result<(), SessionError> {
        #[cfg(feature = "redis")]
        self.cache().delete(&self.cache_key(key)).await?;
        #[cfg(not(feature = "redis"))]
        let _ = key;
        Ok(())
    }

    /// The file of a session key; `None` for a key with characters outside `[a-z0-9]`
    /// (Django's `InvalidSessionKey`).
    fn file_of(&self, key: &str) -> Option<PathBuf> {
        if !key
            .bytes()
            .all(|b| super::config::KEY_CHARS.as_bytes().contains(&b))
        {
            return None;
        }
        Some(
            self.config
                .file_path
                .join(format!("{}{key}", self.config.cookie.name)),
        )
    }

    async fn load_file(&self, key: &str) -> Result<Option<SessionData>, SessionError> {
        let Some(path) = self.file_of(key) else {
            return Ok(None);
        };
        let read = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let text = std::fs::read(&path)?;
                let modified = std::fs::metadata(&path)?.modified()?;
                Ok::<_, std::io::Error>((text, DateTime::<Utc>::from(modified)))
            })
            .await
        };
        let (bytes, modified) = match read {
            Ok(Ok(found)) => found,
            // Django: an OSError is no session.
            Ok(Err(_)) => return Ok(None),
            Err(e) => {
                return Err(SessionError::Store(StoreError::Unavailable {
                    database: self.config.file_path.display().to_string(),
                    reason: e.to_string(),
                }));
            }
        };
        if bytes.is_empty() {
            return Ok(Some(SessionData::new()));
        }
        // Django reads the file as ASCII: anything else raises there.
        if !bytes.is_ascii() {
            return Err(SessionError::Unreadable(
                "the session file is not ASCII".into(),
            ));
        }
        let text = String::from_utf8(bytes).expect("ASCII is UTF-8");
        let data = self
            .codec
            .decode(&text)
            .map_err(|e| SessionError::Unreadable(e.to_string()))?;
        let now = self.now();
        let rules = self.expiry_rules();
        let expiry = match data
            .get(expiry::SESSION_EXPIRY_KEY)
            .filter(|v| is_truthy(v))
        {
            Some(value) => rules.age_of(value, now).map_err(SessionError::Unreadable)?,
            None => {
                let until = modified + chrono::Duration::seconds(self.config.cookie.age);
                expiry::seconds_until(now, until)
            }
        };
        if expiry <= 0 {
            // Django deletes an expired file and starts a new session.
            let _ = tokio::fs::remove_file(&path).await;
            return Ok(None);
        }
        Ok(Some(data))
    }

    /// `create()` with `data`: a fresh key that no session has, the data saved under it.
    /// For `signed_cookies`, the new cookie value.
    pub async fn create(&self, data: &SessionData) -> Result<String, SessionError> {
        if self.config.engine == Engine::SignedCookies {
            return Ok(self.signed_cookie(data));
        }
        for _ in 0..CREATE_TRIES {
            let key = new_session_key();
            if self.write(&key, data, true).await? {
                return Ok(key);
            }
        }
        Err(SessionError::NoFreeKey)
    }

    /// The `signed_cookies` engine's cookie for `data`, signed now.
    fn signed_cookie(&self, data: &SessionData) -> String {
        let now = self.now().timestamp();
        self.cookie_signer
            .sign(&encode_payload(&data.to_json(), true), now)
    }

    /// `save()` of `data` under `key` (which must exist), or a new session when `key` is
    /// `None`; the session's key (for `signed_cookies`, the new cookie value).
    pub async fn save(
        &self,
        key: Option<&str>,
        data: &SessionData,
    ) -> Result<String, SessionError> {
        if self.config.engine == Engine::SignedCookies {
            return Ok(self.signed_cookie(data));
        }
        let Some(key) = key else {
            return self.create(data).await;
        };
        if self.write(key, data, false).await? {
            Ok(key.to_owned())
        } else {
            Err(SessionError::Vanished)
        }
    }

    /// Write `data` under `key`: a new session (`create`: false if the key is taken) or an
    /// existing one (false if it is gone).
    async fn write(
        &self,
        key: &str,
        data: &SessionData,
        create: bool,
    ) -> Result<bool, SessionError> {
        let now = self.now();
        let rules = self.expiry_rules();
        let age = rules
            .age(data.values(), now)
            .map_err(SessionError::Unreadable)?;
        let expire_date = rules
            .date(data.values(), now)
            .map_err(SessionError::Unreadable)?;
        match self.config.engine {
            Engine::Db | Engine::CachedDb => {
                let encoded = self.codec.encode(data, now.timestamp());
                let written = self
                    .db()
                    .session_write(create, key, &encoded, expire_date, self.times())
                    .await?;
                if written && self.config.engine == Engine::CachedDb {
                    // Django: the database first, then the cache (errors only logged).
                    let _ = self.cache_set(key, data, age, false).await;
                }
                Ok(written)
            }
            Engine::Cache => {
                if !create && self.load_cache(key).await.ok().flatten().is_none() {
                    return Ok(false);
                }
                self.cache_set(key, data, age, create).await
            }
            Engine::File => self.write_file(key, data, create).await,
            Engine::SignedCookies => unreachable!("signed cookies are not written to a store"),
        }
    }

    async fn write_file(
        &self,
        key: &str,
        data: &SessionData,
        create: bool,
    ) -> Result<bool, SessionError> {
        let Some(path) = self.file_of(key) else {
            return Ok(false);
        };
        let encoded = self.codec.encode(data, self.now().timestamp());
        let dir = self.config.file_path.clone();
        let result =
            tokio::task::spawn_blocking(move || write_session_file(&dir, &path, &encoded, create))
                .await;
        match result {
            Ok(Ok(written)) => Ok(written),
            Ok(Err(e)) => Err(SessionError::Store(StoreError::Unavailable {
                database: self.config.file_path.display().to_string(),
                reason: e.to_string(),
            })),
            Err(e) => Err(SessionError::Store(StoreError::Unavailable {
                database: self.config.file_path.display().to_string(),
                reason: e.to_string(),
            })),
        }
    }

    /// `delete(key)`: the session is gone from every place the engine keeps it.
    pub async fn delete(&self, key: &str) -> Result<(), SessionError> {
        if self.config.engine != Engine::SignedCookies && !is_valid_key(key) {
            return Ok(());
        }
        match self.config.engine {
            Engine::Db => self.db().session_delete(key).await?,
            Engine::Cache => self.cache_delete(key).await?,
            Engine::CachedDb => {
                self.cache_delete(key).await?;
                self.db().session_delete(key).await?;
            }
            Engine::File => {
                if let Some(path) = self.file_of(key) {
                    match tokio::fs::remove_file(&path).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(SessionError::Store(StoreError::Unavailable {
                                database: self.config.file_path.display().to_string(),
                                reason: e.to_string(),
                            }));
                        }
                    }
                }
            }
            // The cookie is the session: the caller clears it.
            Engine::SignedCookies => {}
        }
        Ok(())
    }

    /// `cycle_key()`: the same data under a new key, the old session deleted.
    pub async fn cycle_key(
        &self,
        old: Option<&str>,
        data: &SessionData,
    ) -> Result<String, SessionError> {
        let key = self.create(data).await?;
        if let Some(old) = old
            && self.config.engine != Engine::SignedCookies
        {
            self.delete(old).await?;
        }
        Ok(key)
    }
}

/// Django's file backend: write to a temporary file in the directory, then rename over the
/// session's file; a new session takes its file with `O_EXCL` first.
fn write_session_file(
    dir: &std::path::Path,
    path: &std::path::Path,
    encoded: &str,
    create: bool,
) -> std::io::Result<bool> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if create {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => {}
        Err(e) if create && e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    let mut suffix = [0u8; 8];
    crate::crypto::fill_random(&mut suffix);
    let tmp = dir.join(format!("_djtoken{}", crate::wire::hex::encode(&suffix)));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(encoded.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(true)
}
