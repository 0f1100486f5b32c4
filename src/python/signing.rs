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
