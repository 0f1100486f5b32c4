//! Django's session data and the auth hash inside it (`SessionBase.encode`/`decode`,
//! `AbstractBaseUser.get_session_auth_hash`), per version. Core: no I/O; where the data lives
//! (a table, a cache, a file, a cookie) is the stores' business.
//!
//! Session data is `signing.dumps(data, salt="django.contrib.sessions." + store class
//! qualname, compress=True)`, read without `max_age` (a row's `expire_date` decides). A session
//! Django cannot read is an empty session. Django 3.1 and 3.2 also read, and in
//! `DEFAULT_HASHING_ALGORITHM = "sha1"` mode write, the format of 3.0:
//! `base64(hex(salted_hmac("django.contrib.sessions" + class name, json)) ":" json)`.

#[cfg(feature = "store")]
mod auth;
#[cfg(feature = "redis")]
pub mod cache;
pub mod config;
mod data;
pub mod expiry;
pub mod pickle;
#[cfg(feature = "store")]
pub mod store;

#[cfg(feature = "store")]
pub use auth::{Anonymous, LoggedIn, SessionAuth, session_pk};
pub use config::{CacheClient, CacheConfig, CookieSettings, Engine, MODEL_BACKEND, SessionConfig};
pub use data::{DataError, SessionData};
#[cfg(feature = "store")]
pub use store::{SessionError, SessionStore};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::{Algorithm, SecretKeys, constant_time_compare, salted_hmac};
use crate::signing::{SignerOptions, TimestampSigner, decode_payload, encode_payload};
use crate::version::DjangoVersion;

/// The salt of Django's own stores (every built-in store class is named `SessionStore`).
pub const DEFAULT_SALT: &str = "django.contrib.sessions.SessionStore";

/// `get_session_auth_hash`'s key salt.
pub const AUTH_HASH_SALT: &str =
    "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/// Session data Django 3.2 would not read as a session but raise on (an HTTP 500 there): a
/// correctly signed payload that is not JSON and not the 3.0 format either.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("session data Django {0} raises on: {1}")]
pub struct UnreadableSession(pub DjangoVersion, pub String);

/// How one project's sessions are encoded.
pub struct SessionCodec {
    keys: SecretKeys,
    version: DjangoVersion,
    salt: String,
    sha1_mode: bool,
    /// `signing.dumps`/`loads` with the store's salt, its HMAC keys derived once.
    signer: TimestampSigner,
}

impl SessionCodec {
    /// Sessions of stores salted with `salt` ([`DEFAULT_SALT`] unless the project subclasses
    /// its store), under `keys` as `version` reads them. `sha1_mode`: Django 3.2's
    /// `DEFAULT_HASHING_ALGORITHM = "sha1"` (ignored elsewhere).
    pub fn new(keys: &SecretKeys, version: DjangoVersion, salt: &str, sha1_mode: bool) -> Self {
        let sha1_mode = sha1_mode && version == DjangoVersion::V3_2;
        let options = SignerOptions {
            salt: Some(salt.to_owned()),
            sha1_mode,
            ..SignerOptions::default()
        };
        SessionCodec {
            signer: TimestampSigner::new(keys, version, options)
                .expect("the default separator is safe"),
            keys: keys.clone(),
            version,
            salt: salt.to_owned(),
            sha1_mode,
        }
    }

    /// The 3.0 format's HMAC salt: `"django.contrib.sessions" + cls.__name__`.
    fn legacy_salt(&self) -> String {
        let qualname = self
            .salt
            .strip_prefix("django.contrib.sessions.")
            .unwrap_or(&self.salt);
        let name = qualname.rsplit('.').next().unwrap_or(qualname);
        format!("django.contrib.sessions{name}")
    }

    /// `encode(data)` at `now`.
    pub fn encode(&self, data: &SessionData, now: i64) -> String {
        let serialized = data.to_json();
        if self.sha1_mode {
            let hash = salted_hmac(
                self.legacy_salt().as_bytes(),
                &serialized,
                self.keys.current.expose(),
                Algorithm::Sha1,
            )
            .hexdigest();
            let mut raw = hash.into_bytes();
            raw.push(b':');
            raw.extend_from_slice(&serialized);
            return STANDARD.encode(raw);
        }
        self.signer.sign(&encode_payload(&serialized, true), now)
    }

    /// `decode(session_data)`: the data, or an empty session where Django reads one (a bad
    /// signature, another key or salt, anything malformed). Only Django 3.2 raises for some
    /// input ([`UnreadableSession`]).
    pub fn decode(&self, data: &str) -> Result<SessionData, UnreadableSession> {
        let read = self
            .signer
            .unsign(data, None, 0.0)
            .and_then(|(payload, _)| decode_payload(payload))
            .map_err(|e| e.is_bad_signature())
            .and_then(|serialized| match SessionData::from_json(&serialized) {
                Ok(data) => Ok(data),
                // Not a dict: Django's decode returns it and fails later; no session here.
                Err(DataError::NotAnObject) => Ok(SessionData::new()),
                Err(DataError::Json(_)) => Err(false),
            });
        match read {
            Ok(data) => Ok(data),
            Err(_) if self.version != DjangoVersion::V3_2 => Ok(SessionData::new()),
            // 3.2: a bad signature falls back to the 3.0 format, quietly; any other failure
            // calls the 3.0 decoder directly, whose base64 errors escape.
            Err(bad_signature) => self.legacy_decode(data, bad_signature),
        }
    }

    fn legacy_decode(&self, data: &str, quiet: bool) -> Result<SessionData, UnreadableSession> {
        let escaped = |reason: &str| {
            if quiet {
                Ok(SessionData::new())
            } else {
                Err(UnreadableSession(self.version, reason.to_owned()))
            }
        };
        if !data.is_ascii() {
            return escaped("not ASCII");
        }
        let Ok(raw) = crate::wire::base64::b64decode(data.as_bytes()) else {
            return escaped("not base64");
        };
        let Some(colon) = raw.iter().position(|&b| b == b':') else {
            return Ok(SessionData::new());
        };
        let (hash, serialized) = (&raw[..colon], &raw[colon + 1..]);
        let expected = salted_hmac(
            self.legacy_salt().as_bytes(),
            serialized,
            self.keys.current.expose(),
            Algorithm::Sha1,
        )
        .hexdigest();
        if !constant_time_compare(hash, expected.as_bytes()) {
            return Ok(SessionData::new());
        }
        Ok(SessionData::from_json(serialized).unwrap_or_default())
    }
}

/// `user.get_session_auth_hash()` for a user whose password field is `password`: hex
/// `salted_hmac(AUTH_HASH_SALT, password, SECRET_KEY, sha256)` (sha1 in 3.2's sha1 mode).
pub fn session_auth_hash(password: &str, keys: &SecretKeys, sha1: bool) -> String {
    let algorithm = if sha1 {
        Algorithm::Sha1
    } else {
        Algorithm::Sha256
    };
    salted_hmac(
        AUTH_HASH_SALT.as_bytes(),
        password.as_bytes(),
        keys.current.expose(),
        algorithm,
    )
    .hexdigest()
}

/// How a session's `_auth_user_hash` matches the user, as `get_user` decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthHashMatch {
    /// The hash of the current key: the user is logged in.
    Current,
    /// The hash of a fallback key (4.1+): logged in, and Django cycles the session key and
    /// writes the current hash.
    Fallback,
    /// Django 3.2's legacy sha1 hash: logged in, nothing rewritten.
    Legacy,
    /// Missing or wrong: Django flushes the session.
    Mismatch,
}

/// `get_user`'s check of the session's hash against the user's password field.
pub fn check_session_auth_hash(
    session_hash: Option<&str>,
    password: &str,
    keys: &SecretKeys,
    version: DjangoVersion,
    sha1_mode: bool,
) -> AuthHashMatch {
    let Some(hash) = session_hash.filter(|h| !h.is_empty()) else {
        return AuthHashMatch::Mismatch;
    };
    let sha1_mode = sha1_mode && version == DjangoVersion::V3_2;
    if constant_time_compare(
        hash.as_bytes(),
        session_auth_hash(password, keys, sha1_mode).as_bytes(),
    ) {
        return AuthHashMatch::Current;
    }
    if version == DjangoVersion::V3_2 {
        let legacy = session_auth_hash(password, keys, true);
        if constant_time_compare(hash.as_bytes(), legacy.as_bytes()) {
            return AuthHashMatch::Legacy;
        }
    } else if version >= DjangoVersion::V4_1 {
        let mut found = false;
        for key in &keys.fallbacks {
            let fallback = salted_hmac(
                AUTH_HASH_SALT.as_bytes(),
                password.as_bytes(),
                key.expose(),
                Algorithm::Sha256,
            )
            .hexdigest();
            found |= constant_time_compare(hash.as_bytes(), fallback.as_bytes());
        }
        if found {
            return AuthHashMatch::Fallback;
        }
    }
    AuthHashMatch::Mismatch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_salt_is_the_class_name() {
        let keys = SecretKeys::new("k");
        let codec = SessionCodec::new(&keys, DjangoVersion::V3_2, DEFAULT_SALT, false);
        assert_eq!(codec.legacy_salt(), "django.contrib.sessionsSessionStore");
        let codec = SessionCodec::new(
            &keys,
            DjangoVersion::V3_2,
            "django.contrib.sessions.Outer.MyStore",
            false,
        );
        assert_eq!(codec.legacy_salt(), "django.contrib.sessionsMyStore");
    }

    #[test]
    fn garbage_is_an_empty_session_never_a_panic() {
        let keys = SecretKeys::new("k");
        for version in DjangoVersion::ALL {
            let codec = SessionCodec::new(&keys, version, DEFAULT_SALT, false);
            for data in ["", ":", "é", "====", "YTpi", "a:b:c", ".:x:y"] {
                let _ = codec.decode(data);
            }
        }
    }
}
