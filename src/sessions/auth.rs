//! Who a session belongs to, and logging in and out through sessions: `get_user`, `login`,
//! `logout` and `update_session_auth_hash` of `django.contrib.auth`, per version, over a
//! [`SessionStore`] and the user table.

use std::sync::Arc;

use serde_json::Value;

use super::SessionData;
use super::store::{SessionError, SessionStore};
use super::{AuthHashMatch, check_session_auth_hash, session_auth_hash};
use crate::crypto::SecretKeys;
use crate::store::Database;
use crate::user::{Pk, PkKind, PkLookup, User};
use crate::version::DjangoVersion;

/// `SESSION_KEY`.
pub const USER_ID_KEY: &str = "_auth_user_id";
/// `BACKEND_SESSION_KEY`.
pub const BACKEND_KEY: &str = "_auth_user_backend";
/// `HASH_SESSION_KEY`.
pub const HASH_KEY: &str = "_auth_user_hash";

/// Backends whose `get_user` returns inactive users too (`user_can_authenticate` is true).
const ALLOW_INACTIVE: [&str; 2] = [
    "django.contrib.auth.backends.AllowAllUsersModelBackend",
    "django.contrib.auth.backends.AllowAllUsersRemoteUserBackend",
];

/// Why a session is anonymous (what `get_user` returns `AnonymousUser` for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anonymous {
    /// No session: no cookie, an unknown or expired key, a bad signature.
    NoSession,
    /// A session without `_auth_user_id` or `_auth_user_backend`.
    NotLoggedIn,
    /// `_auth_user_backend` is not in `AUTHENTICATION_BACKENDS` (the session is kept).
    UnknownBackend(String),
    /// No user with that pk (the session is kept).
    NoSuchUser,
    /// The user is inactive and the backend refuses inactive users (the session is kept).
    Inactive,
    /// `_auth_user_hash` is missing or does not match the password: Django flushes the
    /// session (deletes it, and the cookie).
    HashMismatch,
    /// Where Django answers 500 (an `_auth_user_id` the pk field refuses, data Django 3.2
    /// cannot decode, a session holding Python objects): anonymous here, with the reason.
    Unreadable(String),
}

impl std::fmt::Display for Anonymous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Anonymous::NoSession => {
                f.write_str("no such session (unknown or expired key, or bad signature)")
            }
            Anonymous::NotLoggedIn => f.write_str("the session has no logged-in user"),
            Anonymous::UnknownBackend(b) => {
                write!(f, "backend {b:?} is not in AUTHENTICATION_BACKENDS")
            }
            Anonymous::NoSuchUser => f.write_str("no such user"),
            Anonymous::Inactive => f.write_str("the user is inactive"),
            Anonymous::HashMismatch => f.write_str(
                "the session's auth hash does not match the password (Django flushes it)",
            ),
            Anonymous::Unreadable(why) => write!(f, "Django raises on this session: {why}"),
        }
    }
}

/// A logged-in session.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedIn {
    /// The user.
    pub user: User,
    /// `_auth_user_backend`.
    pub backend: String,
    /// The session's key now: a new one when Django would cycle it (the hash matched a
    /// fallback key, 4.1+) and the check was allowed to write.
    pub key: String,
    /// Whether the key was (or, for a read-only check, would be) cycled.
    pub cycled: bool,
    /// The session's data, as read.
    pub data: SessionData,
}

/// Session logins for one project: its sessions, its users and its keys.
pub struct SessionAuth {
    sessions: SessionStore,
    users: Arc<Database>,
    keys: SecretKeys,
    version: DjangoVersion,
}

impl SessionAuth {
    /// Logins through `sessions` for the users of `users`, under `keys` as `version` checks
    /// them.
    pub fn new(
        sessions: SessionStore,
        users: Arc<Database>,
        keys: SecretKeys,
        version: DjangoVersion,
    ) -> Self {
        SessionAuth {
            sessions,
            users,
            keys,
            version,
        }
    }

    /// The user store.
    pub fn users(&self) -> &Database {
        &self.users
    }

    /// The session store.
    pub fn sessions(&self) -> &SessionStore {
        &self.sessions
    }

    fn sha1_mode(&self) -> bool {
        self.sessions.config().sha1_mode && self.version == DjangoVersion::V3_2
    }

    /// `user.get_session_auth_hash()`.
    pub fn auth_hash(&self, user: &User) -> String {
        session_auth_hash(&user.password, &self.keys, self.sha1_mode())
    }

    /// `get_user(request)` for the session cookie `key`. With `write`, the session is
    /// changed as Django changes it (flushed on a hash mismatch, its key cycled on a fallback
    /// hash); without, nothing is written and the answer says what Django would do.
    pub async fn get_user(
        &self,
        key: &str,
        write: bool,
    ) -> Result<Result<LoggedIn, Anonymous>, SessionError> {
        let data = match self.sessions.load(key).await {
            Ok(Some(data)) => data,
            Ok(None) => return Ok(Err(Anonymous::NoSession)),
            Err(SessionError::Unreadable(why)) => return Ok(Err(Anonymous::Unreadable(why))),
            Err(e) => return Err(e),
        };
        let (Some(user_id), Some(backend)) = (data.get(USER_ID_KEY), data.get(BACKEND_KEY)) else {
            return Ok(Err(Anonymous::NotLoggedIn));
        };
        let pk = match session_pk(user_id, self.users.model().pk_kind) {
            Ok(Some(pk)) => pk,
            Ok(None) => return Ok(Err(Anonymous::NoSuchUser)),
            Err(why) => return Ok(Err(Anonymous::Unreadable(why))),
        };
        let backend = match backend {
            Value::String(b) if self.sessions.config().backends.iter().any(|c| c == b) => b.clone(),
            other => {
                let name = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                return Ok(Err(Anonymous::UnknownBackend(name)));
            }
        };
        let Some(user) = self.users.user_by_pk(&pk).await? else {
            return Ok(Err(Anonymous::NoSuchUser));
        };
        if !user.is_active && !ALLOW_INACTIVE.contains(&backend.as_str()) {
            return Ok(Err(Anonymous::Inactive));
        }
        let stored = data.get(HASH_KEY).and_then(Value::as_str);
        let verdict = check_session_auth_hash(
            stored,
            &user.password,
            &self.keys,
            self.version,
            self.sessions.config().sha1_mode,
        );
        match verdict {
            AuthHashMatch::Current | AuthHashMatch::Legacy => Ok(Ok(LoggedIn {
                user,
                backend,
                key: key.to_owned(),
                cycled: false,
                data,
            })),
            AuthHashMatch::Fallback => {
                let mut key = key.to_owned();
                let mut data = data;
                if write {
                    data.insert(HASH_KEY.into(), Value::String(self.auth_hash(&user)));
                    key = self.sessions.cycle_key(Some(&key), &data).await?;
                }
                Ok(Ok(LoggedIn {
                    user,
                    backend,
                    key,
                    cycled: true,
                    data,
                }))
            }
            AuthHashMatch::Mismatch => {
                if write {
                    self.sessions.delete(key).await?;
                }
                Ok(Err(Anonymous::HashMismatch))
            }
        }
    }

    /// `login(request, user, backend)`: the session key (for `signed_cookies`, the cookie
    /// value) the browser gets. `existing` is the browser's current session, if any: its
    /// data is kept under a new key when it was anonymous, dropped when it belonged to
    /// another user (or another password); a session of the same user keeps its key. Also
    /// sets `last_login`, as Django's `user_logged_in` receiver does.
    pub async fn login(
        &self,
        user: &User,
        backend: &str,
        existing: Option<(&str, SessionData)>,
    ) -> Result<String, SessionError> {
        Ok(self.login_session(user, backend, existing).await?.0)
    }

    /// [`SessionAuth::login`], also giving the data the session now holds (for its cookie's
    /// expiry, and under `CSRF_USE_SESSIONS` the new `_csrftoken`).
    pub async fn login_session(
        &self,
        user: &User,
        backend: &str,
        existing: Option<(&str, SessionData)>,
    ) -> Result<(String, SessionData), SessionError> {
        let hash = self.auth_hash(user);
        let pk_text = user.pk.to_string();
        let (mut data, keep, old) = match existing {
            None => (SessionData::new(), None, None),
            Some((key, data)) => match data.get(USER_ID_KEY) {
                Some(stored) => {
                    let same_user = session_pk(stored, self.users.model().pk_kind)
                        .ok()
                        .flatten()
                        .is_some_and(|pk| pk == user.pk);
                    let stored_hash = data.get(HASH_KEY).and_then(Value::as_str).unwrap_or("");
                    let same_hash = crate::crypto::constant_time_compare(
                        stored_hash.as_bytes(),
                        hash.as_bytes(),
                    );
                    if same_user && same_hash {
                        (data, Some(key), None)
                    } else {
                        // flush(): another user's session is never reused.
                        self.sessions.delete(key).await?;
                        (SessionData::new(), None, None)
                    }
                }
                // cycle_key(): the anonymous data moves to a new key.
                None => (data, None, Some(key)),
            },
        };
        data.insert(USER_ID_KEY.into(), Value::String(pk_text));
        data.insert(BACKEND_KEY.into(), Value::String(backend.to_owned()));
        data.insert(HASH_KEY.into(), Value::String(hash));
        // rotate_token(): a new CSRF secret. Under CSRF_USE_SESSIONS it is saved with the
        // session; otherwise it is the caller's cookie to send (csrf::new_cookie_value).
        let csrf = &self.sessions.config().csrf;
        if csrf.use_sessions {
            data.insert(
                crate::csrf::SESSION_KEY.into(),
                Value::String(csrf.rotate()),
            );
        }
        let key = match keep {
            Some(key) => self.sessions.save(Some(key), &data).await?,
            None => self.sessions.cycle_key(old, &data).await?,
        };
        self.users
            .set_last_login(&user.pk, self.sessions.now(), self.naive_times())
            .await?;
        Ok((key, data))
    }

    /// `login()` of the user whose `USERNAME_FIELD` is `username`, recorded with `backend`
    /// (default: the first of `AUTHENTICATION_BACKENDS`, which must list it, or Django would
    /// not accept the session); no password is checked. The new cookie value.
    pub async fn login_username(
        &self,
        username: &str,
        backend: Option<&str>,
    ) -> Result<String, SessionError> {
        let backends = &self.sessions.config().backends;
        let backend = match backend {
            Some(b) => b,
            None => backends
                .first()
                .map_or(super::MODEL_BACKEND, String::as_str),
        };
        if !backends.iter().any(|b| b == backend) {
            return Err(SessionError::Refused(format!(
                "backend {backend:?} is not in AUTHENTICATION_BACKENDS: Django would not accept the session"
            )));
        }
        let Some(user) = self.users.user_by_username(username).await? else {
            return Err(SessionError::Refused(format!("no user {username:?}")));
        };
        self.login(&user, backend, None).await
    }

    fn naive_times(&self) -> crate::store::NaiveTimes {
        let config = self.sessions.config();
        crate::store::NaiveTimes {
            use_tz: config.use_tz,
            time_zone: config.time_zone,
        }
    }

    /// `logout(request)`: the session is deleted (the caller clears the cookie).
    pub async fn logout(&self, key: &str) -> Result<(), SessionError> {
        self.sessions.delete(key).await
    }

    /// `update_session_auth_hash(request, user)` after `user`'s password changed: the
    /// session moves to a new key with the new hash; the new key.
    pub async fn update_session_auth_hash(
        &self,
        key: &str,
        user: &User,
    ) -> Result<String, SessionError> {
        let mut data = self.sessions.load(key).await?.unwrap_or_default();
        data.insert(HASH_KEY.into(), Value::String(self.auth_hash(user)));
        self.sessions.cycle_key(Some(key), &data).await
    }
}

/// `pk.to_python(session["_auth_user_id"])`: the pk (`None` where the lookup finds nobody),
/// or why Django's field raises (`ValidationError`: a 500 there).
pub fn session_pk(value: &Value, kind: PkKind) -> Result<Option<Pk>, String> {
    let refused = || {
        Err(format!(
            "_auth_user_id {value} is not a valid {}",
            kind.as_str()
        ))
    };
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        Value::Bool(b) => i64::from(*b).to_string(),
        Value::Number(n) => match (kind, n.as_i64()) {
            (PkKind::Uuid, Some(i)) if i >= 0 => {
                return Ok(Some(Pk::Uuid(uuid::Uuid::from_u128(i as u128))));
            }
            (PkKind::Uuid, _) => return refused(),
            (PkKind::String, _) => n.to_string(),
            (_, Some(i)) => i.to_string(),
            // int(2.5) is 2; int(inf) raises.
            (_, None) => match n.as_f64() {
                Some(f) if f.is_finite() && f.abs() < 9.2e18 => (f.trunc() as i64).to_string(),
                _ => return refused(),
            },
        },
        Value::Array(_) | Value::Object(_) => return refused(),
    };
    match kind.parse_pk(&text) {
        PkLookup::Pk(pk) => Ok(Some(pk)),
        PkLookup::Impossible => Ok(None),
        PkLookup::Invalid => refused(),
    }
}
