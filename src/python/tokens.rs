//! Tokens: `salted_hmac`, base36, django-tokenapi's generator and Django's
//! `PasswordResetTokenGenerator`.

use std::sync::{Mutex, OnceLock};

use chrono::{NaiveDate, NaiveDateTime};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyInt, PyList, PyString, PyTuple, PyType};

use super::project::setting;
use super::{keys, to_bytes, value_error};
use crate::crypto::Algorithm;
use crate::tokens::tokenapi::Seen;
use crate::tokens::{
    PasswordResetTokenGenerator, ResetTokenConfig, Signer, TokenapiTokenGenerator, Value, Verdict,
};
use crate::user::{Pk, User};

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TokenapiGenerator>()?;
    m.add_class::<TokenapiDropIn>()?;
    m.add_function(wrap_pyfunction!(tokenapi_drop_in, m)?)?;
    m.add_function(wrap_pyfunction!(tokenapi_generator, m)?)?;
    m.add_class::<ResetGenerator>()?;
    m.add_function(wrap_pyfunction!(salted_hmac_digest, m)?)?;
    m.add_function(wrap_pyfunction!(int_to_base36, m)?)?;
    m.add_function(wrap_pyfunction!(days_since_2001, m)?)?;
    m.add_function(wrap_pyfunction!(seconds_since_2001, m)?)
}

/// `salted_hmac(key_salt, value, secret, algorithm).digest()`.
#[pyfunction]
fn salted_hmac_digest<'py>(
    py: Python<'py>,
    key_salt: &Bound<'py, PyAny>,
    value: &Bound<'py, PyAny>,
    secret: &Bound<'py, PyAny>,
    algorithm: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let algorithm: Algorithm = algorithm.parse().map_err(value_error)?;
    let mac = crate::crypto::salted_hmac(
        &to_bytes(key_salt, "key_salt")?,
        &to_bytes(value, "value")?,
        &to_bytes(secret, "secret")?,
        algorithm,
    );
    Ok(PyBytes::new(py, mac.as_bytes()))
}

/// `int_to_base36(i)` for any `i ≥ 0` (the caller checks the type and the sign).
#[pyfunction]
fn int_to_base36(i: &Bound<'_, PyInt>) -> PyResult<String> {
    if let Ok(small) = i.extract::<u128>() {
        return Ok(crate::base36::int_to_base36(small));
    }
    let bits: usize = i.call_method0("bit_length")?.extract()?;
    let bytes = i.call_method1("to_bytes", (bits.div_ceil(8), "big"))?;
    Ok(crate::base36::int_to_base36_be(
        bytes.cast::<PyBytes>()?.as_bytes(),
    ))
}

/// Days since 2001-01-01, today in `time_zone` (tokenapi's day).
#[pyfunction]
fn days_since_2001(time_zone: &str) -> PyResult<i64> {
    Ok(clock(time_zone)?.days_since_2001())
}

/// Seconds since 2001-01-01 00:00, now in `time_zone` (the reset token's timestamp).
#[pyfunction]
fn seconds_since_2001(time_zone: &str) -> PyResult<i64> {
    Ok(clock(time_zone)?.seconds_since_2001())
}

fn clock(time_zone: &str) -> PyResult<crate::clock::Clock> {
    let zone = crate::clock::parse_time_zone(time_zone).map_err(value_error)?;
    Ok(crate::clock::Clock::system(zone))
}

/// `date.today()` as days since 2001-01-01, kept until the next local midnight, at most a
/// minute: reading the process's local zone costs more than the whole token check.
#[derive(Clone, Copy)]
struct LocalDay {
    day: i64,
    until: i64,
}

impl LocalDay {
    /// The process's local date, which Django set to `TIME_ZONE` (`os.environ["TZ"]` and
    /// `tzset()`), as `date.today()` reads it.
    fn now() -> LocalDay {
        use chrono::TimeZone as _;
        let now = chrono::Local::now();
        let day = crate::clock::days_since_2001(now.naive_local());
        let midnight = now
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|m| chrono::Local.from_local_datetime(&m).earliest())
            .map_or(i64::MAX, |m| m.timestamp());
        LocalDay {
            day,
            until: midnight.min(now.timestamp() + 60),
        }
    }

    fn current(&mut self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        if now >= self.until {
            *self = LocalDay::now();
        }
        self.day
    }
}

/// `user.pk` as `str(pk)` spells it: integers without a detour through text.
fn pk_of(user: &Bound<'_, PyAny>) -> PyResult<Pk> {
    let pk = user.getattr(pyo3::intern!(user.py(), "pk"))?;
    if pk.is_exact_instance_of::<PyInt>()
        && let Ok(i) = pk.extract::<i64>()
    {
        return Ok(Pk::Int(i));
    }
    Ok(Pk::Str(pk.str()?.to_cow()?.into_owned()))
}

/// tokenapi's token generator over one set of keys and `TOKEN_TIMEOUT_DAYS`.
#[pyclass(frozen, module = "djtoken._djtoken")]
struct TokenapiGenerator {
    inner: TokenapiTokenGenerator,
    today: Mutex<LocalDay>,
    /// `check_token`'s tokens whose signature checked out lately.
    seen: Seen,
}

impl TokenapiGenerator {
    fn today(&self) -> i64 {
        self.today
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .current()
    }
}

#[pymethods]
impl TokenapiGenerator {
    #[new]
    #[pyo3(signature = (secret, fallbacks, timeout_days))]
    fn new(
        secret: &Bound<'_, PyAny>,
        fallbacks: &Bound<'_, PyAny>,
        timeout_days: i64,
    ) -> PyResult<Self> {
        Ok(TokenapiGenerator {
            inner: TokenapiTokenGenerator::new(&keys(secret, fallbacks)?)
                .with_timeout_days(timeout_days),
            today: Mutex::new(LocalDay::now()),
            seen: Seen::default(),
        })
    }

    /// The token for `str(pk)`, `password` and `days`.
    fn make(&self, pk: String, password: String, days: u64) -> String {
        self.inner
            .make_token_with_timestamp(&User::new(Pk::Str(pk), password), days)
    }

    /// `valid`, `expired`, `invalid` or `malformed`, as of day `today`.
    fn check(&self, pk: String, password: String, token: &str, today: i64) -> &'static str {
        self.inner
            .check_on_day(&User::new(Pk::Str(pk), password), token, || today)
            .as_str()
    }

    /// tokenapi's `make_token(user)`: `user.pk` and `user.password`, today in the process's
    /// local zone (Django's `TIME_ZONE`).
    fn make_token(&self, user: &Bound<'_, PyAny>) -> PyResult<String> {
        let password: String = user
            .getattr(pyo3::intern!(user.py(), "password"))?
            .extract()?;
        let days = u64::try_from(self.today()).unwrap_or(0);
        Ok(self
            .inner
            .make_token_with_timestamp(&User::new(pk_of(user)?, password), days))
    }

    /// tokenapi's `check_token(user, token)`: `False` for no user or a token that is not text.
    fn check_token(&self, user: &Bound<'_, PyAny>, token: &Bound<'_, PyAny>) -> PyResult<bool> {
        if user.is_none() {
            return Ok(false);
        }
        let Ok(token) = token.cast::<PyString>() else {
            return Ok(false);
        };
        let password = user.getattr(pyo3::intern!(user.py(), "password"))?;
        let password = password.cast::<PyString>()?.to_cow()?;
        let today = self.today();
        let verdict = self.inner.check_seen(
            &self.seen,
            &pk_of(user)?,
            &password,
            &token.to_cow()?,
            || today,
        );
        Ok(verdict == Verdict::Valid)
    }
}

/// What the tokenapi drop-in (`djtoken.tokenapi.tokens`) registered: its class's own
/// `_today`, `_num_days` and `_make_token_with_timestamp`, which stand for "count today
/// natively".
struct DropIn {
    methods: [(Py<PyString>, Py<PyAny>); 3],
}

static DROP_IN: OnceLock<DropIn> = OnceLock::new();

/// The generator built for the settings last read, while they are the same objects.
struct Built {
    secret: Py<PyAny>,
    fallbacks: Vec<Py<PyAny>>,
    timeout: Py<PyAny>,
    generator: Py<TokenapiGenerator>,
}

static BUILT: Mutex<Option<Built>> = Mutex::new(None);

/// Register the drop-in class (its own methods).
#[pyfunction]
fn tokenapi_drop_in(cls: &Bound<'_, PyType>) -> PyResult<()> {
    let py = cls.py();
    let method = |name: &str| -> PyResult<(Py<PyString>, Py<PyAny>)> {
        Ok((
            PyString::new(py, name).unbind(),
            cls.getattr(name)?.unbind(),
        ))
    };
    let registered = DropIn {
        methods: [
            method("_today")?,
            method("_num_days")?,
            method("_make_token_with_timestamp")?,
        ],
    };
    // The first class registered stays: a module reloaded makes a class whose methods are
    // not these, which then takes the Python path (the same answers, only slower).
    let _ = DROP_IN.set(registered);
    Ok(())
}

/// The native generator for the project's settings as they are now.
#[pyfunction]
fn tokenapi_generator(py: Python<'_>) -> PyResult<Bound<'_, TokenapiGenerator>> {
    drop_in()?.generator(py)
}

fn drop_in() -> PyResult<&'static DropIn> {
    DROP_IN
        .get()
        .ok_or_else(|| PyValueError::new_err("djtoken.tokenapi.tokens registers the drop-in"))
}

impl DropIn {
    /// Whether tokenapi's clock is this class's own on `obj`: neither its class (or a
    /// subclass) nor the instance replaces `_today`, `_num_days` or
    /// `_make_token_with_timestamp`.
    fn native_clock(&self, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = obj.py();
        let cls = obj.get_type();
        for (name, own) in &self.methods {
            if !cls.getattr(name.bind(py))?.is(own) {
                return Ok(false);
            }
        }
        match obj.getattr(pyo3::intern!(py, "__dict__")) {
            Ok(dict) => Ok(dict.cast::<PyDict>().is_ok_and(|d| d.is_empty())),
            Err(_) => Ok(true),
        }
    }

    /// The native generator for `SECRET_KEY`, `SECRET_KEY_FALLBACKS` and `TOKEN_TIMEOUT_DAYS`
    /// as read now: the one built last while they are the same objects.
    fn generator<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, TokenapiGenerator>> {
        let secret = setting(py, pyo3::intern!(py, "SECRET_KEY"), None)?;
        let fallbacks = setting(
            py,
            pyo3::intern!(py, "SECRET_KEY_FALLBACKS"),
            Some(PyTuple::empty(py).into_any()),
        )?;
        let fallbacks = super::project::keys_of(&fallbacks)?;
        let timeout = setting(
            py,
            pyo3::intern!(py, "TOKEN_TIMEOUT_DAYS"),
            Some(7i64.into_pyobject(py)?.into_any()),
        )?;
        // Nothing that may run Python code (an allocation may collect garbage, whose
        // finalizers may wait for another thread) happens while the lock is held.
        let found = {
            let built = BUILT
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            built.as_ref().and_then(|b| {
                let same = b.secret.is(&secret)
                    && b.timeout.is(&timeout)
                    && b.fallbacks.len() == fallbacks.len()
                    && b.fallbacks.iter().zip(&fallbacks).all(|(a, f)| a.is(f));
                same.then(|| b.generator.clone_ref(py))
            })
        };
        if let Some(generator) = found {
            return Ok(generator.into_bound(py));
        }
        let generator = Bound::new(
            py,
            TokenapiGenerator::new(
                &secret,
                PyList::new(py, &fallbacks)?.as_any(),
                timeout.extract()?,
            )?,
        )?;
        let replaced = BUILT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .replace(Built {
                secret: secret.unbind(),
                fallbacks: fallbacks.into_iter().map(Bound::unbind).collect(),
                timeout: timeout.unbind(),
                generator: generator.clone().unbind(),
            });
        drop(replaced); // after the lock
        Ok(generator)
    }
}

/// The base of the drop-in's `PasswordResetTokenGenerator`: `make_token` and `check_token`
/// in one native call while the clock is the class's own (reading the settings for a dict
/// lookup each), else the Python class's `_make_token` and `_check_token`, which call
/// whatever replaced tokenapi's methods.
#[pyclass(subclass, frozen, module = "djtoken._djtoken")]
struct TokenapiDropIn;

#[pymethods]
impl TokenapiDropIn {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        TokenapiDropIn
    }

    fn make_token(slf: &Bound<'_, Self>, user: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let drop_in = drop_in()?;
        if !drop_in.native_clock(slf.as_any())? {
            return Ok(slf
                .call_method1(pyo3::intern!(py, "_make_token"), (user,))?
                .unbind());
        }
        let token = drop_in.generator(py)?.get().make_token(user)?;
        Ok(PyString::new(py, &token).into_any().unbind())
    }

    fn check_token(
        slf: &Bound<'_, Self>,
        user: &Bound<'_, PyAny>,
        token: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let drop_in = drop_in()?;
        if !drop_in.native_clock(slf.as_any())? {
            return Ok(slf
                .call_method1(pyo3::intern!(py, "_check_token"), (user, token))?
                .unbind());
        }
        let valid = drop_in.generator(py)?.get().check_token(user, token)?;
        Ok(pyo3::types::PyBool::new(py, valid)
            .to_owned()
            .into_any()
            .unbind())
    }
}

fn naive(dt: &Bound<'_, PyAny>) -> PyResult<NaiveDateTime> {
    let dt = dt
        .cast::<PyDateTime>()
        .map_err(|_| PyTypeError::new_err("expected a datetime"))?;
    let get = |name: &str| -> PyResult<u32> { dt.getattr(name)?.extract() };
    let (hour, minute, second, micro) = (
        get("hour")?,
        get("minute")?,
        get("second")?,
        get("microsecond")?,
    );
    NaiveDate::from_ymd_opt(dt.getattr("year")?.extract()?, get("month")?, get("day")?)
        .and_then(|d| d.and_hms_micro_opt(hour, minute, second, micro))
        .ok_or_else(|| PyValueError::new_err("datetime out of range"))
}

fn reset_user(
    pk: String,
    password: String,
    last_login: Option<&Bound<'_, PyAny>>,
    email: String,
) -> PyResult<User> {
    let last_login = match last_login {
        Some(dt) if !dt.is_none() => Some(naive(dt)?),
        _ => None,
    };
    Ok(User::new(Pk::Str(pk), password)
        .with_last_login(last_login)
        .with_email(email))
}

/// Django's password-reset token generator over one set of keys.
#[pyclass(frozen, module = "djtoken._djtoken")]
struct ResetGenerator {
    inner: PasswordResetTokenGenerator,
    signer: Signer,
}

#[pymethods]
impl ResetGenerator {
    #[new]
    #[pyo3(signature = (secret, fallbacks, algorithm, key_salt, timeout_seconds, legacy_tokens=false))]
    fn new(
        secret: &Bound<'_, PyAny>,
        fallbacks: &Bound<'_, PyAny>,
        algorithm: &str,
        key_salt: &Bound<'_, PyAny>,
        timeout_seconds: i64,
        legacy_tokens: bool,
    ) -> PyResult<Self> {
        let secrets = keys(secret, fallbacks)?;
        let algorithm: Algorithm = algorithm.parse().map_err(value_error)?;
        let key_salt = String::from_utf8(to_bytes(key_salt, "key_salt")?).map_err(value_error)?;
        Ok(ResetGenerator {
            signer: Signer::new(&secrets, algorithm, key_salt.as_bytes()),
            inner: PasswordResetTokenGenerator::new(
                &secrets,
                ResetTokenConfig {
                    key_salt,
                    algorithm,
                    timeout_seconds,
                    legacy_tokens,
                },
            ),
        })
    }

    /// The token for the user's fields at `timestamp` (seconds since 2001-01-01).
    #[pyo3(signature = (pk, password, last_login, email, timestamp))]
    fn make(
        &self,
        pk: String,
        password: String,
        last_login: Option<&Bound<'_, PyAny>>,
        email: String,
        timestamp: u64,
    ) -> PyResult<String> {
        Ok(self
            .inner
            .make_token_with_timestamp(&reset_user(pk, password, last_login, email)?, timestamp))
    }

    /// The verdict as of `now` (naive local time).
    #[pyo3(signature = (pk, password, last_login, email, token, now))]
    fn check(
        &self,
        pk: String,
        password: String,
        last_login: Option<&Bound<'_, PyAny>>,
        email: String,
        token: &str,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<&'static str> {
        let user = reset_user(pk, password, last_login, email)?;
        let now = naive(now)?;
        Ok(self.inner.check_at(&user, token, || now).as_str())
    }

    /// `ts_b36 + "-" + hash` of an arbitrary hash value (a subclass's `_make_hash_value`), with
    /// the current key.
    fn make_with_value(&self, timestamp: u64, value: &Bound<'_, PyAny>) -> PyResult<String> {
        let value = to_bytes(value, "value")?;
        Ok(self.signer.make(u128::from(timestamp), |v| v.push(&value)))
    }

    /// Whether `hash` (the part after `-`) signs `value` under any key, in constant time.
    fn verifies_value(&self, hash: &str, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let mut buf = Value::new();
        buf.push(&to_bytes(value, "value")?);
        Ok(self.signer.verifies(hash.as_bytes(), &buf))
    }
}
