//! The running Django project's settings as djtoken's Python code reads them
//! (`djtoken._project.setting`): what `LazySettings` has read, else the settings object behind
//! it and its defaults, for a few dict lookups instead of Python-level attribute hooks and,
//! for a setting the project lacks, a raised and caught `AttributeError`.

use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(use_settings, m)?)?;
    m.add_function(wrap_pyfunction!(setting, m)?)
}

/// `django.conf.settings` and the dict in which it keeps what it has read (and `_wrapped`):
/// the same objects for the life of the process.
struct Project {
    read: Py<PyDict>,
    settings: Py<PyAny>,
}

static PROJECT: OnceLock<Project> = OnceLock::new();

/// Read settings from `settings` (Django's `LazySettings`), whose `__dict__` is `read`.
#[pyfunction]
fn use_settings(read: Bound<'_, PyDict>, settings: Bound<'_, PyAny>) {
    let _ = PROJECT.set(Project {
        read: read.unbind(),
        settings: settings.unbind(),
    });
}

/// `tuple(keys or ())`: the items of `SECRET_KEY_FALLBACKS` or a `fallback_keys` argument.
pub(super) fn keys_of<'py>(keys: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if let Ok(list) = keys.cast::<PyList>() {
        return Ok(list.iter().collect());
    }
    if let Ok(tuple) = keys.cast::<PyTuple>() {
        return Ok(tuple.iter().collect());
    }
    if !keys.is_truthy()? {
        return Ok(Vec::new());
    }
    keys.try_iter()?.collect()
}

/// Whether Django is installed and its settings configured (`settings.configured`).
pub(super) fn configured(py: Python<'_>) -> PyResult<bool> {
    let Some(project) = PROJECT.get() else {
        return Ok(false);
    };
    Ok(
        match project
            .read
            .bind(py)
            .get_item(pyo3::intern!(py, "_wrapped"))?
        {
            Some(wrapped) => !wrapped.get_type().is(py.get_type::<pyo3::types::PyAny>()),
            None => false,
        },
    )
}

/// `getattr(settings, name, default)` without what it costs per call. A value found is kept
/// where `LazySettings` keeps it, as its `__getattr__` keeps it, and dropped by the same
/// changes (`override_settings`, assignment, `del`). Before the settings are configured, and
/// for an empty `SECRET_KEY` (Django's `ImproperlyConfigured`), the ordinary lookup. Without
/// Django, `default`.
#[pyfunction]
#[pyo3(signature = (name, default = None))]
pub(super) fn setting<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyString>,
    default: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let default = || default.clone().unwrap_or_else(|| py.None().into_bound(py));
    let Some(project) = PROJECT.get() else {
        return Ok(default());
    };
    let read = project.read.bind(py);
    if let Some(value) = read.get_item(name)? {
        return Ok(value);
    }
    // getattr(settings, name, default)
    let ordinary = || match project.settings.bind(py).getattr(name) {
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) => Ok(default()),
        found => found,
    };
    let Some(mut holder) = read.get_item(pyo3::intern!(py, "_wrapped"))? else {
        return ordinary();
    };
    if holder.get_type().is(py.get_type::<pyo3::types::PyAny>()) {
        return ordinary(); // django.utils.functional.empty: not configured yet
    }
    loop {
        let held = holder.getattr(pyo3::intern!(py, "__dict__"))?;
        let held = held.cast::<PyDict>()?;
        if let Some(value) = held.get_item(name)? {
            if name.to_cow()? == "SECRET_KEY" && !value.is_truthy()? {
                return project.settings.bind(py).getattr(name); // ImproperlyConfigured
            }
            read.set_item(name, &value)?;
            return Ok(value);
        }
        if let Some(deleted) = held.get_item(pyo3::intern!(py, "_deleted"))?
            && deleted.contains(name)?
        {
            return Ok(default());
        }
        match held.get_item(pyo3::intern!(py, "default_settings"))? {
            Some(next) => holder = next,
            None => return Ok(default()),
        }
    }
}
