//! Django's sessions for `djtoken.sessions`: the library's [`SessionAuth`] over the engine a
//! `djtoken.toml` configures, on a runtime of its own; every call leaves the interpreter lock
//! while it waits for the database, the cache or the disk. Session data crosses as JSON text
//! (Python's `json` reads and writes it, as Django's `JSONSerializer` does).

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::{PyConnectionError, PyValueError};
use pyo3::prelude::*;

use super::{configured, value_error};
use crate::sessions::{SessionAuth, SessionData, SessionError};

create_exception!(
    djtoken._djtoken,
    SessionStoreUnavailable,
    PyConnectionError,
    "The session store (database, cache or directory) could not answer in time."
);

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "SessionStoreUnavailable",
        m.py().get_type::<SessionStoreUnavailable>(),
    )?;
    m.add_class::<NativeSessions>()
}

fn session_error(e: SessionError) -> PyErr {
    match e {
        SessionError::Store(store) if store.is_unavailable() => {
            SessionStoreUnavailable::new_err(store.to_string())
        }
        other => PyValueError::new_err(other.to_string()),
    }
}

/// One project's sessions.
#[pyclass(frozen, name = "Sessions", module = "djtoken._djtoken")]
struct NativeSessions {
    runtime: tokio::runtime::Runtime,
    auth: SessionAuth,
}

impl NativeSessions {
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        work: impl std::future::Future<Output = Result<T, SessionError>> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.runtime.block_on(work))
            .map_err(session_error)
    }
}

#[pymethods]
impl NativeSessions {
    /// The sessions `config` (the text of a `djtoken.toml`, its paths relative to `base_dir`)
    /// describes; `secret`, when given, replaces the file the configuration names.
    #[new]
    #[pyo3(signature = (config, base_dir, secret=None, fallbacks=None))]
    fn new(
        py: Python<'_>,
        config: &str,
        base_dir: PathBuf,
        secret: Option<&Bound<'_, PyAny>>,
        fallbacks: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let settings = configured(py, config, &base_dir, secret, fallbacks)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(value_error)?;
        let auth = py
            .detach(|| runtime.block_on(settings.session_auth()))
            .map_err(value_error)?;
        Ok(NativeSessions { runtime, auth })
    }

    /// The session's data as JSON text, or `None` where Django finds no session.
    fn load(&self, py: Python<'_>, key: &str) -> PyResult<Option<String>> {
        let data = self.run(py, self.auth.sessions().load(key))?;
        Ok(data.map(|d| String::from_utf8(d.to_json()).expect("Python's json writes ASCII")))
    }

    /// `get_user`: `(pk, None, key, cycled)` for a logged-in session (`key` is the new one
    /// when `apply` cycled it), `(None, reason, key, False)` for an anonymous one.
    fn get_user(
        &self,
        py: Python<'_>,
        key: &str,
        apply: bool,
    ) -> PyResult<(Option<String>, Option<String>, String, bool)> {
        Ok(match self.run(py, self.auth.get_user(key, apply))? {
            Ok(user) => (Some(user.user.pk.to_string()), None, user.key, user.cycled),
            Err(why) => (None, Some(why.to_string()), key.to_owned(), false),
        })
    }

    /// `login()` of the user `username`: the new session cookie's value.
    #[pyo3(signature = (username, backend=None))]
    fn login(&self, py: Python<'_>, username: &str, backend: Option<String>) -> PyResult<String> {
        self.run(py, self.auth.login_username(username, backend.as_deref()))
    }

    /// `logout()`: the session is deleted.
    fn logout(&self, py: Python<'_>, key: &str) -> PyResult<()> {
        self.run(py, self.auth.logout(key))
    }

    /// `save()` of `data` (JSON text of a dict) under `key`, or a new session when `key` is
    /// `None`: the session's key (for signed cookies, the cookie).
    #[pyo3(signature = (key, data))]
    fn save(&self, py: Python<'_>, key: Option<&str>, data: &str) -> PyResult<String> {
        let data = SessionData::from_json(data.as_bytes()).map_err(value_error)?;
        self.run(py, self.auth.sessions().save(key, &data))
    }
}
