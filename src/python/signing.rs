//! `django.core.signing`'s signers for `djtoken.signing`: the keys, salts, separators and
//! algorithms of one Django version, signing and checking in Rust. Serialising the object is
//! left to the Python serializer (Django's `JSONSerializer` by default), so what Python's
//! `json` reads and writes is exactly what Django's does; the bytes cross as they are.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

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
    m.add_class::<NativeSigner>()
}

/// Django's exception for each refusal, with Django's message where it has one.
fn signing_error(e: SigningError) -> PyErr {
    match e {
        SigningError::NoSeparator(sep) => {
            BadSignature::new_err(format!("No \"{sep}\" found in value"))
        }
        SigningError::BadSignature => BadSignature::new_err("Signature does not match"),
        SigningError::Expired { age, max_age } => {
            SignatureExpired::new_err(format!("Signature age {age} > {max_age} seconds"))
        }
        other => PyValueError::new_err(other.to_string()),
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
    fn unsign(&self, signed: &str, max_age: Option<f64>, now: f64) -> PyResult<String> {
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
        max_age: Option<f64>,
        now: f64,
    ) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyBytes>>)> {
        let payload = self.unsigned(signed, max_age, now)?;
        let data = decode_payload(payload).map_err(signing_error)?;
        let read = crate::signing::json::python_exact(&data).and_then(|text| {
            let mut de = serde_json::Deserializer::from_str(&text);
            let value = serde::de::DeserializeSeed::deserialize(PyJson(py), &mut de).ok()?;
            de.end().ok().map(|()| value)
        });
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
        max_age: Option<f64>,
        now: f64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = self.unsigned(signed, max_age, now)?;
        let data = decode_payload(payload).map_err(signing_error)?;
        Ok(PyBytes::new(py, &data))
    }
}

/// JSON read straight into the Python objects `json.loads` makes (dict, list, str, int,
/// float, bool, None), without an intermediate value.
struct PyJson<'py>(Python<'py>);

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
        self.py_value(v)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(pyo3::types::PyString::new(self.0, v).into_any())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let list = pyo3::types::PyList::empty(self.0);
        while let Some(item) = seq.next_element_seed(PyJson(self.0))? {
            list.append(item).map_err(serde::de::Error::custom)?;
        }
        Ok(list.into_any())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let dict = pyo3::types::PyDict::new(self.0);
        while let Some(key) = map.next_key_seed(PyJson(self.0))? {
            let value = map.next_value_seed(PyJson(self.0))?;
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
    fn unsigned<'a>(&self, signed: &'a str, max_age: Option<f64>, now: f64) -> PyResult<&'a str> {
        if self.timestamped {
            self.signer
                .unsign(signed, max_age, now)
                .map(|(value, _)| value)
                .map_err(signing_error)
        } else {
            self.signer.signer().unsign(signed).map_err(signing_error)
        }
    }
}
