//! The Python extension module `djtoken._djtoken` (feature `python`, built by maturin).
//!
//! A binding and nothing more: each function checks its arguments, turns bad input into a
//! `ValueError` or `TypeError` that says what is wrong, and leaves the interpreter lock while
//! it hashes a password, so other Python threads run (and hash) meanwhile. The Django-facing
//! behaviour (reading settings, users, `TIME_ZONE`) is in the Python package around it.
#![allow(unsafe_code)] // pyo3's macros expand to the FFI glue.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyList, PyTuple};

use chrono::{NaiveDate, NaiveDateTime};

use crate::crypto::{Algorithm, SecretKey, SecretKeys};
use crate::hashers::{HashError, HasherKind, HasherSettings, Hashers};
use crate::tokens::{
    PasswordResetTokenGenerator, ResetTokenConfig, TokenapiTokenGenerator, Verdict,
};
use crate::user::{Pk, User};
use crate::version::{Argon2Params, DjangoVersion, ScryptParams};

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn hash_error(e: HashError) -> PyErr {
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

fn verdict_name(v: Verdict) -> &'static str {
    v.as_str()
}

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

/// `int_to_base36(i)` for 0 ≤ i < 2**128.
#[pyfunction]
fn int_to_base36(i: u128) -> String {
    crate::base36::int_to_base36(i)
}

/// tokenapi's token generator over one set of keys.
#[pyclass(frozen, module = "djtoken._djtoken")]
struct TokenapiGenerator {
    inner: TokenapiTokenGenerator,
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
        })
    }

    /// The token for `str(pk)`, `password` and `days`.
    fn make(&self, pk: String, password: String, days: u64) -> String {
        self.inner
            .make_token_with_timestamp(&User::new(Pk::Str(pk), password), days)
    }

    /// `valid`, `expired`, `invalid` or `malformed`, as of day `today`.
    fn check(&self, pk: String, password: String, token: &str, today: i64) -> &'static str {
        verdict_name(
            self.inner
                .check_on_day(&User::new(Pk::Str(pk), password), token, || today),
        )
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
    signer: crate::tokens::Signer,
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
            signer: crate::tokens::Signer::new(&secrets, algorithm, key_salt.as_bytes()),
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
        Ok(verdict_name(self.inner.check_at(&user, token, || now)))
    }

    /// `ts_b36 + "-" + hash` of an arbitrary hash value (a subclass's `_make_hash_value`), with
    /// the current key.
    fn make_with_value(&self, timestamp: u64, value: &Bound<'_, PyAny>) -> PyResult<String> {
        let value = to_bytes(value, "value")?;
        Ok(self.signer.make(u128::from(timestamp), |v| v.push(&value)))
    }

    /// Whether `hash` (the part after `-`) signs `value` under any key, in constant time.
    fn verifies_value(&self, hash: &str, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let mut buf = crate::tokens::Value::new();
        buf.push(&to_bytes(value, "value")?);
        Ok(self.signer.verifies(hash.as_bytes(), &buf))
    }
}

/// `PASSWORD_HASHERS` of one Django version.
#[pyclass(frozen, name = "Hashers", module = "djtoken._djtoken")]
struct PyHashers {
    inner: std::sync::Arc<Hashers>,
}

#[pymethods]
impl PyHashers {
    #[new]
    #[pyo3(signature = (django_version, password_hashers=None, pbkdf2_iterations=None))]
    fn new(
        django_version: &str,
        password_hashers: Option<Vec<String>>,
        pbkdf2_iterations: Option<u32>,
    ) -> PyResult<Self> {
        let version: DjangoVersion = django_version.parse().map_err(value_error)?;
        let mut settings = HasherSettings::for_version(version);
        if let Some(n) = pbkdf2_iterations {
            if n == 0 {
                return Err(PyValueError::new_err(
                    "pbkdf2_iterations must be at least 1",
                ));
            }
            settings.pbkdf2_iterations = n;
        }
        let names: Option<Vec<&str>> = password_hashers
            .as_ref()
            .map(|v| v.iter().map(String::as_str).collect());
        let inner = Hashers::new(settings, names.as_deref()).map_err(value_error)?;
        Ok(PyHashers {
            inner: std::sync::Arc::new(inner),
        })
    }

    /// The algorithms, preferred first.
    fn algorithms(&self) -> Vec<&'static str> {
        self.inner.algorithms()
    }

    /// `make_password`: hashes without the interpreter lock.
    #[pyo3(signature = (password, salt=None, hasher=None))]
    fn make_password(
        &self,
        py: Python<'_>,
        password: &Bound<'_, PyAny>,
        salt: Option<String>,
        hasher: Option<String>,
    ) -> PyResult<String> {
        let password = to_bytes(password, "password")?;
        let inner = std::sync::Arc::clone(&self.inner);
        py.detach(move || inner.make_password(&password, salt.as_deref(), hasher.as_deref()))
            .map_err(hash_error)
    }

    /// `(is_correct, must_update)`: hashes without the interpreter lock.
    fn check_password(
        &self,
        py: Python<'_>,
        password: &Bound<'_, PyAny>,
        encoded: String,
    ) -> PyResult<(bool, bool)> {
        let password = to_bytes(password, "password")?;
        let inner = std::sync::Arc::clone(&self.inner);
        py.detach(move || inner.check_password(&password, &encoded))
            .map(|c| (c.is_correct, c.must_update))
            .map_err(hash_error)
    }

    /// `identify_hasher(encoded).algorithm`.
    fn identify_hasher(&self, encoded: &str) -> PyResult<&'static str> {
        self.inner
            .identify_hasher(encoded)
            .map(|h| h.algorithm())
            .map_err(hash_error)
    }

    /// `identify_hasher(encoded).must_update(encoded)` by that hasher's settings.
    fn must_update(&self, encoded: &str) -> PyResult<bool> {
        let hasher = self.inner.identify_hasher(encoded).map_err(hash_error)?;
        hasher.must_update(encoded).map_err(hash_error)
    }

    /// `safe_summary` as `(label, value)` pairs.
    fn safe_summary(&self, encoded: &str) -> PyResult<Vec<(&'static str, String)>> {
        let hasher = self.inner.identify_hasher(encoded).map_err(hash_error)?;
        hasher.safe_summary(encoded).map_err(hash_error)
    }

    /// Django's fake runtime (a random password through the default hasher).
    fn run_fake_runtime(&self, py: Python<'_>) {
        let inner = std::sync::Arc::clone(&self.inner);
        py.detach(move || inner.run_fake_runtime());
    }
}

/// One hasher built from explicit work factors (a `PASSWORD_HASHERS` class's attributes).
fn single(algorithm: &str, settings: HasherSettings) -> PyResult<Hashers> {
    Hashers::new(settings, Some(&[algorithm])).map_err(value_error)
}

fn settings() -> HasherSettings {
    HasherSettings::for_version(DjangoVersion::V6_1)
}

/// PBKDF2 `encode(password, salt, iterations)` for `digest` `sha256` or `sha1`.
#[pyfunction]
fn pbkdf2_encode(
    py: Python<'_>,
    digest: &str,
    password: &Bound<'_, PyAny>,
    salt: String,
    iterations: u32,
) -> PyResult<String> {
    let algorithm = match digest {
        "sha256" => "pbkdf2_sha256",
        "sha1" => "pbkdf2_sha1",
        _ => return Err(PyValueError::new_err("digest must be 'sha256' or 'sha1'")),
    };
    if iterations == 0 {
        return Err(PyValueError::new_err(
            "iteration value must be greater than 0.",
        ));
    }
    let password = to_bytes(password, "password")?;
    let mut s = settings();
    s.pbkdf2_iterations = iterations;
    let hashers = single(algorithm, s)?;
    py.detach(move || hashers.make_password(&password, Some(&salt), None))
        .map_err(hash_error)
}

/// The argon2 hasher with these work factors.
fn argon2_hashers(time_cost: u32, memory_cost: u32, parallelism: u32) -> PyResult<Hashers> {
    let mut s = settings();
    s.argon2 = Argon2Params {
        time_cost,
        memory_cost,
        parallelism,
    };
    single("argon2", s)
}

/// Argon2id `encode(password, salt)` with these work factors.
#[pyfunction]
fn argon2_encode(
    py: Python<'_>,
    password: &Bound<'_, PyAny>,
    salt: &Bound<'_, PyAny>,
    time_cost: u32,
    memory_cost: u32,
    parallelism: u32,
) -> PyResult<String> {
    let password = to_bytes(password, "password")?;
    let salt = String::from_utf8(to_bytes(salt, "salt")?).map_err(value_error)?;
    let hashers = argon2_hashers(time_cost, memory_cost, parallelism)?;
    py.detach(move || hashers.make_password(&password, Some(&salt), None))
        .map_err(hash_error)
}

/// Argon2 `verify(password, encoded)` (the encoded string carries its work factors).
#[pyfunction]
fn argon2_verify(py: Python<'_>, password: &Bound<'_, PyAny>, encoded: String) -> PyResult<bool> {
    let password = to_bytes(password, "password")?;
    let hashers = single("argon2", settings())?;
    py.detach(move || {
        let hasher = hashers.get_hasher("argon2")?;
        hasher.verify(&password, &encoded)
    })
    .map_err(hash_error)
}

/// Argon2 `decode(encoded)` as a dict, and `must_update` against these work factors.
#[pyfunction]
fn argon2_decode<'py>(
    py: Python<'py>,
    encoded: &str,
    time_cost: u32,
    memory_cost: u32,
    parallelism: u32,
) -> PyResult<(Bound<'py, PyDict>, bool)> {
    let hashers = argon2_hashers(time_cost, memory_cost, parallelism)?;
    let hasher = hashers.get_hasher("argon2").map_err(hash_error)?;
    let decoded = hasher.decode(encoded).map_err(hash_error)?;
    let must_update = hasher.must_update(encoded).map_err(hash_error)?;
    let dict = PyDict::new(py);
    dict.set_item("algorithm", decoded.algorithm)?;
    dict.set_item("hash", decoded.hash)?;
    dict.set_item("salt", decoded.salt)?;
    if let crate::hashers::WorkFactors::Argon2 {
        variety,
        version,
        memory_cost,
        time_cost,
        parallelism,
    } = decoded.work
    {
        dict.set_item("variety", variety)?;
        dict.set_item("version", version)?;
        dict.set_item("memory_cost", memory_cost)?;
        dict.set_item("time_cost", time_cost)?;
        dict.set_item("parallelism", parallelism)?;
    }
    Ok((dict, must_update))
}

/// bcrypt `encode(password, salt)`: `sha256_first` for `bcrypt_sha256`.
#[pyfunction]
fn bcrypt_encode(
    py: Python<'_>,
    password: &Bound<'_, PyAny>,
    salt: &Bound<'_, PyAny>,
    sha256_first: bool,
) -> PyResult<String> {
    let password = to_bytes(password, "password")?;
    let salt = String::from_utf8(to_bytes(salt, "salt")?)
        .map_err(|_| PyValueError::new_err("Invalid salt"))?;
    let algorithm = if sha256_first {
        "bcrypt_sha256"
    } else {
        "bcrypt"
    };
    let mut s = settings();
    s.limits.max_bcrypt_rounds = 31;
    let hashers = single(algorithm, s)?;
    py.detach(move || hashers.make_password(&password, Some(&salt), None))
        .map_err(hash_error)
}

/// `bcrypt.gensalt(rounds)`.
#[pyfunction]
fn bcrypt_gensalt(rounds: u32) -> PyResult<String> {
    if !(4..=31).contains(&rounds) {
        return Err(PyValueError::new_err("Invalid rounds"));
    }
    let mut s = settings();
    s.bcrypt_rounds = rounds;
    Ok(single("bcrypt", s)?
        .get_hasher("bcrypt")
        .map_err(hash_error)?
        .salt())
}

/// scrypt `encode(password, salt, n, r, p)` (`maxmem` as Django's 0: OpenSSL's 32 MiB).
#[pyfunction]
fn scrypt_encode(
    py: Python<'_>,
    password: &Bound<'_, PyAny>,
    salt: String,
    n: u64,
    r: u32,
    p: u32,
) -> PyResult<String> {
    let password = to_bytes(password, "password")?;
    let mut s = settings();
    s.scrypt = ScryptParams {
        work_factor: n,
        block_size: r,
        parallelism: p,
    };
    let hashers = single("scrypt", s)?;
    py.detach(move || hashers.make_password(&password, Some(&salt), None))
        .map_err(hash_error)
}

/// MD5 `encode(password, salt)`.
#[pyfunction]
fn md5_encode(password: &Bound<'_, PyAny>, salt: String) -> PyResult<String> {
    let password = to_bytes(password, "password")?;
    single("md5", settings())?
        .make_password(&password, Some(&salt), None)
        .map_err(hash_error)
}

/// The tokenapi generator for the current Django settings, and today's date: rebuilt only when
/// `SECRET_KEY` or the settings object itself (what `override_settings` swaps) is another
/// object than last time, so a check costs two attribute reads, not a key derivation.
struct SettingsCache {
    secret: Py<PyAny>,
    wrapped: Py<PyAny>,
    generator: std::sync::Arc<TokenapiTokenGenerator>,
    today: LocalDay,
}

/// `date.today()` (days since 2001-01-01), kept until the next local midnight, at most a
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
        if crate::clock::system_unix().0 >= self.until {
            *self = LocalDay::now();
        }
        self.day
    }
}

static TOKENAPI_CACHE: std::sync::Mutex<Option<SettingsCache>> = std::sync::Mutex::new(None);

/// `getattr(settings, name)` without running `LazyObject.__getattribute__` (Python code, added
/// in Django 4.1) when the value is already in the instance dict, where `LazySettings` caches
/// what it has read and clears it whenever settings change.
fn settings_attr<'py>(
    settings: &Bound<'py, PyAny>,
    name: &Bound<'py, pyo3::types::PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = settings.py();
    // SAFETY: both pointers are live borrowed objects; the call returns a new reference or
    // NULL with an exception set, which `from_owned_ptr_or_err` takes either way.
    let generic = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyObject_GenericGetAttr(settings.as_ptr(), name.as_ptr()),
        )
    };
    match generic {
        Ok(value) => Ok(value),
        // Not cached yet: the ordinary lookup reads the setting and caches it.
        Err(_) => settings.getattr(name),
    }
}

/// The generator for the current settings and today's day number.
fn tokenapi_for(
    settings: &Bound<'_, PyAny>,
) -> PyResult<(std::sync::Arc<TokenapiTokenGenerator>, i64)> {
    let py = settings.py();
    let secret = settings_attr(settings, pyo3::intern!(py, "SECRET_KEY"))?;
    let wrapped = settings_attr(settings, pyo3::intern!(py, "_wrapped"))?;
    // The lock is never held across a call into Python, which may switch threads.
    if let Some(c) = TOKENAPI_CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .as_mut()
    {
        if c.secret.is(&secret) && c.wrapped.is(&wrapped) {
            return Ok((std::sync::Arc::clone(&c.generator), c.today.current()));
        }
    }
    let fallbacks = match settings.getattr_opt(pyo3::intern!(py, "SECRET_KEY_FALLBACKS"))? {
        Some(f) => f,
        None => PyTuple::empty(py).into_any(),
    };
    let timeout: i64 = match settings.getattr_opt(pyo3::intern!(py, "TOKEN_TIMEOUT_DAYS"))? {
        Some(t) => t.extract()?,
        None => crate::tokens::tokenapi::DEFAULT_TIMEOUT_DAYS,
    };
    let generator = std::sync::Arc::new(
        TokenapiTokenGenerator::new(&keys(&secret, &fallbacks)?).with_timeout_days(timeout),
    );
    let today = LocalDay::now();
    let previous = TOKENAPI_CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .replace(SettingsCache {
            secret: secret.unbind(),
            wrapped: wrapped.unbind(),
            generator: std::sync::Arc::clone(&generator),
            today,
        });
    drop(previous);
    Ok((generator, today.day))
}

/// `user.pk` as `str(pk)` spells it: integers without a detour through text.
fn tokenapi_pk(user: &Bound<'_, PyAny>) -> PyResult<Pk> {
    let pk = user.getattr(pyo3::intern!(user.py(), "pk"))?;
    if pk.is_exact_instance_of::<pyo3::types::PyInt>() {
        if let Ok(i) = pk.extract::<i64>() {
            return Ok(Pk::Int(i));
        }
    }
    Ok(Pk::Str(pk.str()?.to_cow()?.into_owned()))
}

/// tokenapi's `token_generator.make_token(user)` under the current settings.
#[pyfunction]
fn tokenapi_make_token(settings: &Bound<'_, PyAny>, user: &Bound<'_, PyAny>) -> PyResult<String> {
    let (generator, today) = tokenapi_for(settings)?;
    let password: String = user
        .getattr(pyo3::intern!(user.py(), "password"))?
        .extract()?;
    let user = User::new(tokenapi_pk(user)?, password);
    Ok(generator.make_token_with_timestamp(&user, u64::try_from(today).unwrap_or(0)))
}

/// tokenapi's `token_generator.check_token(user, token)` under the current settings.
#[pyfunction]
fn tokenapi_check_token(
    settings: &Bound<'_, PyAny>,
    user: &Bound<'_, PyAny>,
    token: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    if user.is_none() {
        return Ok(false);
    }
    let Ok(token) = token.cast::<pyo3::types::PyString>() else {
        return Ok(false);
    };
    let (generator, today) = tokenapi_for(settings)?;
    let password = user.getattr(pyo3::intern!(user.py(), "password"))?;
    let password = password.cast::<pyo3::types::PyString>()?.to_cow()?;
    let verdict = generator.check_parts(&tokenapi_pk(user)?, &password, &token.to_cow()?, || today);
    Ok(verdict == Verdict::Valid)
}

/// `djtoken.profile(version)`: one row of the version table.
#[pyfunction]
fn profile<'py>(py: Python<'py>, version: &str) -> PyResult<Bound<'py, PyDict>> {
    let version: DjangoVersion = version.parse().map_err(value_error)?;
    let p = version.profile();
    let dict = PyDict::new(py);
    dict.set_item("version", p.series)?;
    dict.set_item("pbkdf2_iterations", p.pbkdf2_iterations)?;
    dict.set_item(
        "argon2",
        PyTuple::new(
            py,
            [
                p.argon2.time_cost,
                p.argon2.memory_cost,
                p.argon2.parallelism,
            ],
        )?,
    )?;
    dict.set_item("bcrypt_rounds", p.bcrypt_rounds)?;
    match p.scrypt {
        Some(s) => dict.set_item("scrypt", (s.work_factor, s.block_size, s.parallelism))?,
        None => dict.set_item("scrypt", py.None())?,
    }
    let algorithms = |kinds: &[HasherKind]| kinds.iter().map(|k| k.algorithm()).collect::<Vec<_>>();
    dict.set_item(
        "password_hashers",
        PyList::new(py, algorithms(p.password_hashers))?,
    )?;
    dict.set_item("available", PyList::new(py, algorithms(p.available))?)?;
    dict.set_item("fake_runtime", p.fake_runtime)?;
    Ok(dict)
}

/// The supported Django series.
#[pyfunction]
fn django_versions() -> Vec<&'static str> {
    DjangoVersion::ALL.iter().map(|v| v.as_str()).collect()
}

#[pymodule(gil_used = false)]
fn _djtoken(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<TokenapiGenerator>()?;
    m.add_class::<ResetGenerator>()?;
    m.add_class::<PyHashers>()?;
    for f in [
        wrap_pyfunction!(salted_hmac_digest, m)?,
        wrap_pyfunction!(int_to_base36, m)?,
        wrap_pyfunction!(pbkdf2_encode, m)?,
        wrap_pyfunction!(argon2_encode, m)?,
        wrap_pyfunction!(argon2_verify, m)?,
        wrap_pyfunction!(argon2_decode, m)?,
        wrap_pyfunction!(bcrypt_encode, m)?,
        wrap_pyfunction!(bcrypt_gensalt, m)?,
        wrap_pyfunction!(scrypt_encode, m)?,
        wrap_pyfunction!(md5_encode, m)?,
        wrap_pyfunction!(profile, m)?,
        wrap_pyfunction!(tokenapi_make_token, m)?,
        wrap_pyfunction!(tokenapi_check_token, m)?,
        wrap_pyfunction!(django_versions, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}
