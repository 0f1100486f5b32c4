//! Password hashers: `PASSWORD_HASHERS` of one Django version, each hasher's encode and verify
//! for `djtoken.hashers`' subclasses of Django's classes, and the per-version defaults.

use std::sync::{Arc, OnceLock};

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::{to_bytes, value_error};
use crate::hashers::{
    Argon2Params, HashError, HasherKind, HasherSettings, Hashers, PasswordHasher, ScryptParams,
    WorkFactors,
};
use crate::version::DjangoVersion;

create_exception!(
    djtoken._djtoken,
    WorkFactorTooHigh,
    PyValueError,
    "A stored hash asks for more work than djtoken's limits allow (a planted hash)."
);

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("WorkFactorTooHigh", m.py().get_type::<WorkFactorTooHigh>())?;
    m.add_class::<PyHashers>()?;
    for f in [
        wrap_pyfunction!(pbkdf2_encode, m)?,
        wrap_pyfunction!(argon2_encode, m)?,
        wrap_pyfunction!(argon2_verify, m)?,
        wrap_pyfunction!(argon2_decode, m)?,
        wrap_pyfunction!(bcrypt_encode, m)?,
        wrap_pyfunction!(bcrypt_gensalt, m)?,
        wrap_pyfunction!(scrypt_encode, m)?,
        wrap_pyfunction!(md5_encode, m)?,
        wrap_pyfunction!(profile, m)?,
        wrap_pyfunction!(django_versions, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}

fn hash_error(e: HashError) -> PyErr {
    match e {
        HashError::WorkFactorTooHigh { .. } => WorkFactorTooHigh::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The latest version's defaults: the base of a hasher built from a class's attributes.
fn latest() -> HasherSettings {
    HasherSettings::for_version(DjangoVersion::LATEST)
}

/// Every hasher of this build, for reading hashes: a stored hash carries its own work
/// factors, so one registry serves every call that verifies.
fn readers() -> &'static Hashers {
    static READERS: OnceLock<Hashers> = OnceLock::new();
    READERS.get_or_init(|| {
        let kinds: Vec<HasherKind> = HasherKind::ALL
            .into_iter()
            .filter(|k| k.is_built())
            .collect();
        Hashers::with_kinds(latest(), &kinds).expect("every built hasher builds")
    })
}

/// One hasher with the work factors a Django class's attributes give it.
fn hasher(kind: HasherKind, settings: &HasherSettings) -> PyResult<Box<dyn PasswordHasher>> {
    kind.build(settings).map_err(value_error)
}

/// `PASSWORD_HASHERS` of one Django version.
#[pyclass(frozen, name = "Hashers", module = "djtoken._djtoken")]
struct PyHashers {
    inner: Arc<Hashers>,
}

#[pymethods]
impl PyHashers {
    /// `params`: the work factors of the project's classes, by algorithm
    /// (`PASSWORD_HASHER_PARAMS`, as JSON: `{"argon2": {"time_cost": 3}}`).
    #[new]
    #[pyo3(signature = (django_version, password_hashers=None, pbkdf2_iterations=None, params=None))]
    fn new(
        django_version: &str,
        password_hashers: Option<Vec<String>>,
        pbkdf2_iterations: Option<u32>,
        params: Option<&str>,
    ) -> PyResult<Self> {
        let version: DjangoVersion = django_version.parse().map_err(value_error)?;
        let mut base = HasherSettings::for_version(version);
        if let Some(n) = pbkdf2_iterations {
            if n == 0 {
                return Err(PyValueError::new_err(
                    "pbkdf2_iterations must be at least 1",
                ));
            }
            base.pbkdf2_iterations = n;
        }
        // The same assembly as a djtoken.toml's PASSWORD_HASHERS and PASSWORD_HASHER_PARAMS.
        let settings = crate::settings::Settings {
            password_hashers: password_hashers.unwrap_or_default(),
            password_hasher_params: match params {
                Some(json) => serde_json::from_str(json).map_err(value_error)?,
                None => Default::default(),
            },
            ..Default::default()
        };
        let inner = settings.hashers_with(base).map_err(value_error)?;
        Ok(PyHashers {
            inner: Arc::new(inner),
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
        let inner = Arc::clone(&self.inner);
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
        let inner = Arc::clone(&self.inner);
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
        let inner = Arc::clone(&self.inner);
        py.detach(move || inner.run_fake_runtime());
    }
}

/// `hasher.encode(password, salt)` without the interpreter lock.
fn encode(
    py: Python<'_>,
    hasher: Box<dyn PasswordHasher>,
    password: Vec<u8>,
    salt: String,
) -> PyResult<String> {
    py.detach(move || hasher.encode(&password, &salt))
        .map_err(hash_error)
}

/// PBKDF2 `encode(password, salt, iterations)` for `digest` `sha256` or `sha1`; iterations
/// beyond djtoken's limit, raised to the class's own `configured`, are [`WorkFactorTooHigh`].
#[pyfunction]
#[pyo3(signature = (digest, password, salt, iterations, configured))]
fn pbkdf2_encode(
    py: Python<'_>,
    digest: &str,
    password: &Bound<'_, PyAny>,
    salt: String,
    iterations: i64,
    configured: u32,
) -> PyResult<String> {
    let kind = match digest {
        "sha256" => HasherKind::Pbkdf2Sha256,
        "sha1" => HasherKind::Pbkdf2Sha1,
        _ => return Err(PyValueError::new_err("digest must be 'sha256' or 'sha1'")),
    };
    // hashlib.pbkdf2_hmac's own checks, in its order.
    if iterations < 1 {
        return Err(PyValueError::new_err(
            "iteration value must be greater than 0.",
        ));
    }
    let Ok(iterations) = u32::try_from(iterations) else {
        return Err(pyo3::exceptions::PyOverflowError::new_err(
            "iteration value is too great.",
        ));
    };
    let limit = latest().limits.max_pbkdf2_iterations.max(configured);
    if iterations > limit {
        return Err(WorkFactorTooHigh::new_err(
            HashError::WorkFactorTooHigh {
                algorithm: kind.algorithm(),
                what: "iterations",
                value: u64::from(iterations),
                limit: u64::from(limit),
            }
            .to_string(),
        ));
    }
    let password = to_bytes(password, "password")?;
    let mut settings = latest();
    settings.pbkdf2_iterations = iterations;
    encode(py, hasher(kind, &settings)?, password, salt)
}

/// The argon2 hasher with these work factors.
fn argon2(time_cost: u32, memory_cost: u32, parallelism: u32) -> PyResult<Box<dyn PasswordHasher>> {
    let mut settings = latest();
    settings.argon2 = Argon2Params {
        time_cost,
        memory_cost,
        parallelism,
    };
    hasher(HasherKind::Argon2, &settings)
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
    encode(
        py,
        argon2(time_cost, memory_cost, parallelism)?,
        password,
        salt,
    )
}

/// Argon2 `verify(password, encoded)`: the encoded string carries its work factors, within
/// djtoken's limits raised to the class's own.
#[pyfunction]
fn argon2_verify(
    py: Python<'_>,
    password: &Bound<'_, PyAny>,
    encoded: String,
    time_cost: u32,
    memory_cost: u32,
    parallelism: u32,
) -> PyResult<bool> {
    let password = to_bytes(password, "password")?;
    let hasher = argon2(time_cost, memory_cost, parallelism)?;
    py.detach(move || hasher.verify(&password, &encoded))
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
    let hasher = argon2(time_cost, memory_cost, parallelism)?;
    let decoded = hasher.decode(encoded).map_err(hash_error)?;
    let must_update = hasher.must_update(encoded).map_err(hash_error)?;
    let dict = PyDict::new(py);
    dict.set_item("algorithm", decoded.algorithm)?;
    dict.set_item("hash", decoded.hash)?;
    dict.set_item("salt", decoded.salt)?;
    if let WorkFactors::Argon2 {
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

/// bcrypt `encode(password, salt)`: `sha256_first` for `bcrypt_sha256`. The salt names its
/// cost: beyond djtoken's limit (16), raised to the class's `rounds`, it is
/// [`WorkFactorTooHigh`] (a planted cost of 17 is ten seconds of a worker).
#[pyfunction]
fn bcrypt_encode(
    py: Python<'_>,
    password: &Bound<'_, PyAny>,
    salt: &Bound<'_, PyAny>,
    sha256_first: bool,
    rounds: u32,
) -> PyResult<String> {
    let password = to_bytes(password, "password")?;
    let salt = String::from_utf8(to_bytes(salt, "salt")?)
        .map_err(|_| PyValueError::new_err("Invalid salt"))?;
    let kind = if sha256_first {
        HasherKind::BCryptSha256
    } else {
        HasherKind::BCrypt
    };
    let mut settings = latest();
    settings.bcrypt_rounds = rounds.clamp(4, 31);
    settings.limits.max_bcrypt_rounds = settings.limits.max_bcrypt_rounds.max(rounds);
    encode(py, hasher(kind, &settings)?, password, salt)
}

/// `bcrypt.gensalt(rounds)`.
#[pyfunction]
fn bcrypt_gensalt(rounds: u32) -> PyResult<String> {
    if !(4..=31).contains(&rounds) {
        return Err(PyValueError::new_err("Invalid rounds"));
    }
    let mut settings = latest();
    settings.bcrypt_rounds = rounds;
    Ok(hasher(HasherKind::BCrypt, &settings)?.salt())
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
    let mut settings = latest();
    settings.scrypt = ScryptParams {
        work_factor: n,
        block_size: r,
        parallelism: p,
    };
    encode(py, hasher(HasherKind::Scrypt, &settings)?, password, salt)
}

/// MD5 `encode(password, salt)`.
#[pyfunction]
fn md5_encode(password: &Bound<'_, PyAny>, salt: String) -> PyResult<String> {
    let password = to_bytes(password, "password")?;
    let hasher = readers()
        .get_hasher(HasherKind::Md5.algorithm())
        .map_err(hash_error)?;
    hasher.encode(&password, &salt).map_err(hash_error)
}

/// `djtoken.profile(version)`: one row of the version table.
#[pyfunction]
fn profile<'py>(py: Python<'py>, version: &str) -> PyResult<Bound<'py, PyDict>> {
    let version: DjangoVersion = version.parse().map_err(value_error)?;
    let p = version.profile();
    let algorithms = |kinds: &[HasherKind]| kinds.iter().map(|k| k.algorithm()).collect::<Vec<_>>();
    let dict = PyDict::new(py);
    dict.set_item("version", p.version.as_str())?;
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
