//! `django.core.signing`'s signers for `djtoken.signing`: the keys, salts, separators and
//! algorithms of one Django version, signing and checking in Rust. Serialising the object is
//! left to the Python serializer (Django's `JSONSerializer` by default), so what Python's
//! `json` reads and writes is exactly what Django's does; the bytes cross as they are.

use std::sync::{Mutex, OnceLock};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple, PyType};

use super::project::setting;
use super::{keys, value_error};
use crate::crypto::Algorithm;
use crate::signing::{
    SignerOptions, SigningError, TimestampSigner, decode_payload, encode_payload,
};
use crate::version::DjangoVersion;

create_exception!(
    djtoken._djtoken,
    BadSignature,
    PyException,
    "Signature does not match (django.core.signing.BadSignature)."
);
create_exception!(
    djtoken._djtoken,
    SignatureExpired,
    BadSignature,
    "Signature timestamp is older than required max_age (django.core.signing.SignatureExpired)."
);

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BadSignature", m.py().get_type::<BadSignature>())?;
    m.add("SignatureExpired", m.py().get_type::<SignatureExpired>())?;
    m.add_function(wrap_pyfunction!(use_exceptions, m)?)?;
    m.add_function(wrap_pyfunction!(b64_encode, m)?)?;
    m.add_function(wrap_pyfunction!(b64_decode, m)?)?;
    m.add(
        "SALTED_HMAC_ALGORITHMS",
        Algorithm::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
    )?;
    m.add_function(wrap_pyfunction!(use_django_version, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_class::<NativeSigner>()
}

/// The classes refusals are raised as: Django's `BadSignature` and `SignatureExpired` once
/// `djtoken.signing` finds Django installed (so that `except signing.BadSignature` in a
/// project catches djtoken's), else this module's own.
static EXCEPTIONS: OnceLock<(Py<PyType>, Py<PyType>)> = OnceLock::new();

/// Raise refusals as these classes from now on (Django's, inside a project).
#[pyfunction]
fn use_exceptions(bad_signature: Bound<'_, PyType>, signature_expired: Bound<'_, PyType>) {
    let _ = EXCEPTIONS.set((bad_signature.unbind(), signature_expired.unbind()));
}

fn bad_signature(message: String) -> PyErr {
    Python::attach(|py| match EXCEPTIONS.get() {
        Some((bad, _)) => PyErr::from_type(bad.bind(py).clone(), message),
        None => BadSignature::new_err(message),
    })
}

fn signature_expired(message: String) -> PyErr {
    Python::attach(|py| match EXCEPTIONS.get() {
        Some((_, expired)) => PyErr::from_type(expired.bind(py).clone(), message),
        None => SignatureExpired::new_err(message),
    })
}

/// Python's exception `module.name` with `message` (`binascii.Error`, `zlib.error`).
fn python_error(module: &str, name: &str, message: String) -> PyErr {
    Python::attach(|py| {
        match py
            .import(module)
            .and_then(|m| m.getattr(name))
            .and_then(|t| t.cast_into::<PyType>().map_err(PyErr::from))
        {
            Ok(class) => PyErr::from_type(class, message),
            Err(e) => e,
        }
    })
}

/// Django's exception for each refusal, with Django's message; `signed` is the value given
/// (Django's `BadSignature` names the signature it found).
fn signing_error(e: SigningError, signed: &str, sep: &str) -> PyErr {
    match e {
        SigningError::NoSeparator(sep) => bad_signature(format!("No \"{sep}\" found in value")),
        SigningError::BadSignature => {
            let signature = signed.rsplit_once(sep).map_or("", |(_, sig)| sig);
            bad_signature(format!("Signature \"{signature}\" does not match"))
        }
        SigningError::Expired { age, max_age } => {
            signature_expired(format!("Signature age {age} > {max_age} seconds"))
        }
        SigningError::Base64(e) => python_error("binascii", "Error", e.to_string()),
        SigningError::Zlib(message) => python_error("zlib", "error", message),
        SigningError::EmptyTimestamp => pyo3::exceptions::PyIndexError::new_err(e.to_string()),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// `b64_encode(s)`: URL-safe base64 without its padding.
#[pyfunction]
fn b64_encode<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    use base64::Engine as _;
    PyBytes::new(
        py,
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(data)
            .as_bytes(),
    )
}

/// `b64_decode(s)`: `urlsafe_b64decode(s + b"=" * (-len(s) % 4))`, CPython's lenient decoder
/// (`binascii.Error` where it raises).
#[pyfunction]
fn b64_decode<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    crate::wire::base64::urlsafe_padded(data, (4 - data.len() % 4) % 4)
        .map(|bytes| PyBytes::new(py, &bytes))
        .map_err(|e| python_error("binascii", "Error", e.to_string()))
}

/// The Django series `djtoken.signing` speaks (the installed one, else the latest).
static VERSION: OnceLock<DjangoVersion> = OnceLock::new();

#[pyfunction]
fn use_django_version(version: &str) -> PyResult<()> {
    let version: DjangoVersion = version.parse().map_err(value_error)?;
    let _ = VERSION.set(version);
    Ok(())
}

/// `loads`' signers: by salt, the keys they were made for (the objects, while the settings
/// hold the same ones) and the signer.
struct Loader {
    key: Py<PyAny>,
    fallbacks: Vec<Py<PyAny>>,
    sha1_mode: bool,
    signer: Py<NativeSigner>,
}

/// By salt: a project uses a handful, found by comparing the text.
static LOADERS: Mutex<Vec<(String, Loader)>> = Mutex::new(Vec::new());

/// `signing.loads(s, key, salt, max_age=…, fallback_keys=…)` with Django's `JSONSerializer`,
/// in one call: the project's `SECRET_KEY` and `SECRET_KEY_FALLBACKS` (for a dict lookup each)
/// unless given, the signer made for them kept while they are the same objects, the time
/// from Python's `time.time()` (so code that freezes it, as Django's tests do, is obeyed),
/// and the JSON read into Python objects here unless only Python's `json` reads it.
#[pyfunction]
#[pyo3(signature = (s, key, salt, fallback_keys, max_age))]
fn loads<'py>(
    py: Python<'py>,
    s: &str,
    key: Option<Bound<'py, PyAny>>,
    salt: &str,
    fallback_keys: Option<Bound<'py, PyAny>>,
    max_age: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let version = VERSION.get().copied().unwrap_or(DjangoVersion::LATEST);
    let configured = super::project::configured(py)?;
    let project = configured && (key.is_none() || fallback_keys.is_none());
    let key = match key.filter(|k| k.is_truthy().unwrap_or(true)) {
        Some(key) => key,
        None if project => setting(py, pyo3::intern!(py, "SECRET_KEY"), None)?,
        None => {
            return Err(PyValueError::new_err(
                "no key: pass key=..., or use djtoken.signing inside a configured Django project",
            ));
        }
    };
    let fallbacks = match fallback_keys {
        Some(given) => given,
        None if project => setting(
            py,
            pyo3::intern!(py, "SECRET_KEY_FALLBACKS"),
            Some(PyTuple::empty(py).into_any()),
        )?,
        None => PyTuple::empty(py).into_any(),
    };
    let fallbacks = super::project::keys_of(&fallbacks)?;
    // Django 3.2's DEFAULT_HASHING_ALGORITHM (read only there).
    let sha1_mode = project
        && version == DjangoVersion::V3_2
        && setting(py, pyo3::intern!(py, "DEFAULT_HASHING_ALGORITHM"), None)?
            .eq(pyo3::intern!(py, "sha1"))?;
    // Nothing that may run Python code (an allocation may collect garbage, whose finalizers
    // may wait for another thread) happens while the lock is held.
    let found = {
        let loaders = LOADERS.lock().unwrap_or_else(|p| p.into_inner());
        loaders.iter().find(|(s, _)| s == salt).and_then(|(_, l)| {
            let same = l.key.is(&key)
                && l.sha1_mode == sha1_mode
                && l.fallbacks.len() == fallbacks.len()
                && l.fallbacks.iter().zip(&fallbacks).all(|(a, b)| a.is(b));
            same.then(|| l.signer.clone_ref(py))
        })
    };
    let signer = match found {
        Some(signer) => signer,
        None => {
            let options = SignerOptions {
                salt: Some(salt.to_owned()),
                sep: ":".to_owned(),
                algorithm: None,
                sha1_mode,
            };
            let keys = keys(&key, PyTuple::new(py, &fallbacks)?.as_any())?;
            let signer = TimestampSigner::new(&keys, version, options).map_err(value_error)?;
            let signer = Py::new(
                py,
                NativeSigner {
                    signer,
                    timestamped: true,
                },
            )?;
            let loader = Loader {
                key: key.unbind(),
                fallbacks: fallbacks.into_iter().map(Bound::unbind).collect(),
                sha1_mode,
                signer: signer.clone_ref(py),
            };
            let replaced = {
                let mut loaders = LOADERS.lock().unwrap_or_else(|p| p.into_inner());
                match loaders.iter().position(|(s, _)| s == salt) {
                    Some(at) => vec![std::mem::replace(&mut loaders[at].1, loader)],
                    None => {
                        let dropped = if loaders.len() >= 256 {
                            std::mem::take(&mut *loaders)
                                .into_iter()
                                .map(|(_, l)| l)
                                .collect()
                        } else {
                            Vec::new()
                        };
                        loaders.push((salt.to_owned(), loader));
                        dropped
                    }
                }
            };
            drop(replaced); // after the lock
            signer
        }
    };
    static TIME: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();
    let time = TIME.get_or_try_init(py, || py.import("time").map(Bound::unbind))?;
    let now: f64 = time
        .bind(py)
        .getattr(pyo3::intern!(py, "time"))?
        .call0()?
        .extract()?;
    let (value, raw) = signer.get().unsign_json(py, s, max_age, now)?;
    match raw {
        None => Ok(value),
        Some(raw) => py.import(pyo3::intern!(py, "json"))?.call_method1(
            pyo3::intern!(py, "loads"),
            (PyString::new(
                py,
                &crate::wire::latin1::decode(raw.as_bytes()),
            ),),
        ),
    }
}

/// A `Signer` (`timestamped = False`) or `TimestampSigner` of one Django version.
#[pyclass(frozen, name = "Signer", module = "djtoken._djtoken")]
struct NativeSigner {
    signer: TimestampSigner,
    timestamped: bool,
}

#[pymethods]
impl NativeSigner {
    #[new]
    #[pyo3(signature = (key, fallback_keys, django_version, salt, sep, algorithm, sha1_mode, timestamped))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        key: &Bound<'_, PyAny>,
        fallback_keys: &Bound<'_, PyAny>,
        django_version: &str,
        salt: String,
        sep: String,
        algorithm: Option<&str>,
        sha1_mode: bool,
        timestamped: bool,
    ) -> PyResult<Self> {
        let version: DjangoVersion = django_version.parse().map_err(value_error)?;
        let algorithm = algorithm
            .map(|a| a.parse::<Algorithm>())
            .transpose()
            .map_err(value_error)?;
        let options = SignerOptions {
            salt: Some(salt),
            sep,
            algorithm,
            sha1_mode,
        };
        let signer = TimestampSigner::new(&keys(key, fallback_keys)?, version, options)
            .map_err(value_error)?;
        Ok(NativeSigner {
            signer,
            timestamped,
        })
    }

    /// `sign(value)` (at `now`, for a timestamp signer).
    fn sign(&self, value: &str, now: i64) -> String {
        if self.timestamped {
            self.signer.sign(value, now)
        } else {
            self.signer.signer().sign(value)
        }
    }

    /// `unsign(value, max_age)` at `now`: the value.
    #[pyo3(signature = (signed, max_age, now))]
    fn unsign(
        &self,
        signed: &str,
        max_age: Option<&Bound<'_, PyAny>>,
        now: f64,
    ) -> PyResult<String> {
        self.unsigned(signed, max_age, now).map(str::to_owned)
    }

    /// `sign_object` for bytes the serializer wrote.
    fn sign_payload(&self, data: &[u8], compress: bool, now: i64) -> String {
        self.sign(&encode_payload(data, compress), now)
    }

    /// `unsign_object` with Django's `JSONSerializer`: `(value, None)`, or `(None, bytes)`
    /// for JSON only Python reads (`NaN`, `Infinity`, integers beyond 64 bits) or rejects
    /// with its own error, for Python's `json` to read.
    #[pyo3(signature = (signed, max_age, now))]
    fn unsign_json<'py>(
        &self,
        py: Python<'py>,
        signed: &str,
        max_age: Option<&Bound<'py, PyAny>>,
        now: f64,
    ) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyBytes>>)> {
        let payload = self.unsigned(signed, max_age, now)?;
        let data = decode_payload(payload).map_err(|e| signing_error(e, signed, self.sep()))?;
        // Django writes ASCII: read it as it is, unless a number comes out that serde_json
        // may have read otherwise than Python (a float that is a whole number beyond 64 bits,
        // or -0.0): then the integer tokens are looked at first.
        let read = |text: &str, guarded: bool| {
            let mut de = serde_json::Deserializer::from_str(text);
            let value = serde::de::DeserializeSeed::deserialize(PyJson(py, guarded), &mut de);
            de.end().ok().and(value.ok())
        };
        let read = match std::str::from_utf8(&data) {
            Ok(ascii) if ascii.is_ascii() => read(ascii, true),
            _ => None,
        }
        .or_else(|| crate::signing::json::python_exact(&data).and_then(|text| read(&text, false)));
        match read {
            Some(value) => Ok((value, None)),
            None => Ok((py.None().into_bound(py), Some(PyBytes::new(py, &data)))),
        }
    }

    /// `unsign_object` up to the serializer: the bytes it is to read.
    #[pyo3(signature = (signed, max_age, now))]
    fn unsign_payload<'py>(
        &self,
        py: Python<'py>,
        signed: &str,
        max_age: Option<&Bound<'py, PyAny>>,
        now: f64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = self.unsigned(signed, max_age, now)?;
        let data = decode_payload(payload).map_err(|e| signing_error(e, signed, self.sep()))?;
        Ok(PyBytes::new(py, &data))
    }
}

/// JSON read straight into the Python objects `json.loads` makes (dict, list, str, int,
/// float, bool, None), without an intermediate value.
/// The second field: refuse a float serde_json may have read from an integer token (a whole
/// number of 2**63 or more, or -0.0), for the caller to look at the tokens.
struct PyJson<'py>(Python<'py>, bool);

impl<'de, 'py> serde::de::DeserializeSeed<'de> for PyJson<'py> {
    type Value = Bound<'py, PyAny>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'py> serde::de::Visitor<'de> for PyJson<'py> {
    type Value = Bound<'py, PyAny>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.None().into_bound(self.0))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.py_value(v)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.py_value(v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.py_value(v)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if self.1 && ((v == 0.0 && v.is_sign_negative()) || (v.fract() == 0.0 && v.abs() >= 9.2e18))
        {
            return Err(E::custom("a float that may have been an integer"));
        }
        self.py_value(v)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(pyo3::types::PyString::new(self.0, v).into_any())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = pyo3::types::PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(PyJson(self.0, self.1))? {
            list.append(item).map_err(serde::de::Error::custom)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = pyo3::types::PyDict::new(self.0);
        while let Some(key) = map.next_key_seed(PyJson(self.0, self.1))? {
            let value = map.next_value_seed(PyJson(self.0, self.1))?;
            dict.set_item(key, value)
                .map_err(serde::de::Error::custom)?;
        }
        Ok(dict.into_any())
    }
}

impl<'py> PyJson<'py> {
    fn py_value<T, E>(&self, v: T) -> Result<Bound<'py, PyAny>, E>
    where
        T: pyo3::IntoPyObjectExt<'py>,
        E: serde::de::Error,
    {
        v.into_bound_py_any(self.0).map_err(E::custom)
    }
}

impl NativeSigner {
    fn sep(&self) -> &str {
        self.signer.signer().sep()
    }

    /// `unsign(signed, max_age)`: `max_age` is the number the caller gave (an `int` or a
    /// `float`), which Django's `SignatureExpired` message prints as Python prints it.
    fn unsigned<'a>(
        &self,
        signed: &'a str,
        max_age: Option<&Bound<'_, PyAny>>,
        now: f64,
    ) -> PyResult<&'a str> {
        let limit = max_age.map(|m| m.extract::<f64>()).transpose()?;
        let result = if self.timestamped {
            self.signer
                .unsign(signed, limit, now)
                .map(|(value, _)| value)
        } else {
            self.signer.signer().unsign(signed)
        };
        result.map_err(|e| match (e, max_age) {
            (SigningError::Expired { age, .. }, Some(max_age)) => {
                let age = pyo3::types::PyFloat::new(max_age.py(), age);
                signature_expired(format!("Signature age {age} > {max_age} seconds"))
            }
            (e, _) => signing_error(e, signed, self.sep()),
        })
    }
}
