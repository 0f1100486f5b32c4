//! The Python extension module `djtoken._djtoken` (feature `python`, built by maturin).
//!
//! A binding and nothing more: each function checks its arguments, turns bad input into a
//! `ValueError` or `TypeError` that says what is wrong, and leaves the interpreter lock while
//! it hashes a password, so other Python threads run (and hash) meanwhile. Reading Django's
//! settings and users is the Python package's business (`python/djtoken/`); this module only
//! receives values.
//!
//! - [`project`]: the running Django project's settings, read for a dict lookup.
//! - [`tokens`]: `salted_hmac`, base36, tokenapi's and Django's reset token generators.
//! - [`signing`]: `django.core.signing`'s signers and exceptions.
//! - [`hashers`]: `PASSWORD_HASHERS`, each hasher's encode/verify for Django's classes, and
//!   the per-version defaults.
//! - `sessions` (with the store features, as the wheel is built): every `SESSION_ENGINE`'s
//!   store and `get_user`/`login`/`logout`, configured by a `djtoken.toml`.
//! - `gate` (feature `python-gate`): `/auth`'s decision for the ASGI and WSGI middleware.

#[cfg(feature = "python-gate")]
mod gate;
mod hashers;
mod project;
#[cfg(all(feature = "store", feature = "toml"))]
mod sessions;
mod signing;
mod tokens;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::crypto::{SecretKey, SecretKeys};
use crate::version::DjangoVersion;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `str` is encoded as UTF-8 (Django's `force_bytes`); `bytes` pass as they are.
fn to_bytes(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(text) = value.extract::<String>() {
        return Ok(text.into_bytes());
    }
    if value.is_instance_of::<pyo3::types::PyString>() {
        return Err(PyValueError::new_err(format!(
            "{what} is not encodable as UTF-8"
        )));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        value.get_type().name()?
    )))
}

/// The settings `config` (the text of a `djtoken.toml`, its paths relative to `base_dir`)
/// describes, validated; `secret` (and `fallbacks`), when given, replace the key files it
/// names.
#[cfg(all(feature = "store", feature = "toml"))]
fn configured(
    py: Python<'_>,
    config: &str,
    base_dir: &std::path::Path,
    secret: Option<&Bound<'_, PyAny>>,
    fallbacks: Option<&Bound<'_, PyAny>>,
) -> PyResult<crate::settings::Settings> {
    let (mut settings, set) = crate::settings::Settings::from_toml(config).map_err(value_error)?;
    settings.relative_to(&set, base_dir);
    if let Some(secret) = secret {
        let empty = pyo3::types::PyTuple::empty(py);
        let all = keys(secret, fallbacks.unwrap_or(empty.as_any()))?;
        settings.secret_key = Some(all.current);
        settings.secret_key_file = None;
        if fallbacks.is_some() {
            settings.secret_key_fallbacks = Some(all.fallbacks);
            settings.secret_key_fallbacks_file = None;
        }
    }
    settings.validate().map_err(value_error)?;
    Ok(settings)
}

/// `SECRET_KEY` and `SECRET_KEY_FALLBACKS` from Python values.
fn keys(secret: &Bound<'_, PyAny>, fallbacks: &Bound<'_, PyAny>) -> PyResult<SecretKeys> {
    let current = to_bytes(secret, "secret")?;
    if current.is_empty() {
        return Err(PyValueError::new_err("the secret key must not be empty"));
    }
    let mut all = SecretKeys {
        current: SecretKey::new(current),
        fallbacks: Vec::new(),
    };
    for fallback in fallbacks.try_iter()? {
        all.fallbacks
            .push(SecretKey::new(to_bytes(&fallback?, "a fallback key")?));
    }
    Ok(all)
}

#[pymodule(gil_used = false)]
fn _djtoken(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("LATEST_DJANGO_VERSION", DjangoVersion::LATEST.as_str())?;
    project::register(m)?;
    tokens::register(m)?;
    hashers::register(m)?;
    signing::register(m)?;
    #[cfg(all(feature = "store", feature = "toml"))]
    sessions::register(m)?;
    #[cfg(feature = "python-gate")]
    gate::register(m)?;
    Ok(())
}
