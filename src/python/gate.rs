//! The gate for Python's middleware (`djtoken.asgi`, `djtoken.wsgi`): [`Gate::decide`], the
//! same decision as `djtoken serve`'s `/auth` and the tower layer, over a request's method,
//! path, query string, headers and form body as ASGI and WSGI hand them over.
//!
//! The gate lives on djtoken's own tokio runtime (shared with pyo3-async-runtimes), where its
//! database pool and session store run. A decision is first polled once right here, without the
//! interpreter lock: most (a cached user, a signature, a refusal) complete at once and are
//! returned as they are; one that waits for the database or the cache becomes an asyncio
//! awaitable, completed from the runtime, so the event loop never blocks on I/O. The WSGI
//! middleware waits for it instead, without the interpreter lock.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::{configured, value_error};
use crate::gate::params::{form_body, post_params};
use crate::gate::{BrowserRequest, Credentials, Decision, DjangoUser, Gate, Params, Refused};
use crate::user::Pk;

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeGate>()
}

/// djtoken's runtime for Python, made at the first `Gate` and shared with
/// pyo3-async-runtimes (which completes the asyncio awaitables from it). One worker thread:
/// a lookup's tasks (the request's, the batch's, the connection's) then hand over to one
/// another without waking a second thread, which cost more CPU than the lookup itself; the
/// hashing runs on the blocking pool, beside it.
static RUNTIME: std::sync::OnceLock<(tokio::runtime::Runtime, u32)> = std::sync::OnceLock::new();

fn start_runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    if RUNTIME.get().is_none() {
        let built = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("djtoken")
            .enable_all()
            .build()
            .map_err(value_error)?;
        let (runtime, _) = RUNTIME.get_or_init(|| (built, std::process::id()));
        // Only the first Gate's call can take; the runtime is the same for every later one.
        let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime);
    }
    runtime()
}

/// The runtime, in the process that made it: a fork (gunicorn's `--preload`, a
/// multiprocessing fork) has no thread behind it, and would wait forever.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    match RUNTIME.get() {
        Some((runtime, pid)) if *pid == std::process::id() => Ok(runtime),
        Some(_) => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "djtoken's runtime was started before the process forked (a Gate made in the parent: gunicorn --preload?): make Gates in the worker processes only",
        )),
        None => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "djtoken's runtime was not started",
        )),
    }
}

/// One project's gate.
#[pyclass(frozen, name = "Gate", module = "djtoken._djtoken")]
struct NativeGate {
    gate: Arc<Gate>,
}

type Deciding = Pin<Box<dyn Future<Output = Decision> + Send>>;

/// A request as the middleware read it, owned for the runtime.
struct Request {
    method: Option<Method>,
    path: String,
    query: Vec<u8>,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
}

impl Request {
    /// `headers`: an iterable of `(name, value)` pairs of `bytes` (ASGI's list of tuples or
    /// of two-item lists).
    fn read(
        method: Option<&str>,
        path: String,
        query: &[u8],
        headers: &Bound<'_, PyAny>,
        body: Option<&[u8]>,
    ) -> PyResult<Self> {
        let mut map = HeaderMap::new();
        for pair in headers.try_iter()? {
            let pair = pair?;
            let name = pair.get_item(0)?;
            let value = pair.get_item(1)?;
            let (Ok(name), Ok(value)) = (name.cast::<PyBytes>(), value.cast::<PyBytes>()) else {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "headers must be (name, value) pairs of bytes",
                ));
            };
            // What an ASGI or WSGI server hands over is a valid header; anything else cannot
            // be a credential and is left out.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                map.append(name, value);
            }
        }
        Ok(Request {
            // A method that is not one (it cannot happen through a server) is unsafe.
            method: method.and_then(|m| Method::from_bytes(m.as_bytes()).ok()),
            path,
            query: query.to_vec(),
            headers: map,
            body: body.map(<[u8]>::to_vec),
        })
    }

    fn decide(self, gate: Arc<Gate>) -> Deciding {
        Box::pin(async move {
            let post = match self.body {
                Some(body) => post_params(&self.headers, Bytes::from(body)).await,
                None => Params::default(),
            };
            let credentials = Credentials::new(self.method, &self.query, self.headers, post);
            gate.decide_at(&self.path, &credentials).await
        })
    }
}

/// `(pk, username, email, method, session_key)`; an integer pk as an `int`.
fn user_tuple<'py>(py: Python<'py>, user: DjangoUser) -> PyResult<Bound<'py, PyAny>> {
    let pk = match &user.pk {
        Pk::Int(n) => n.into_pyobject(py)?.into_any(),
        other => other.to_string().into_pyobject(py)?.into_any(),
    };
    let items = (pk, user.username, user.email, user.method, user.session_key);
    Ok(items.into_pyobject(py)?.into_any())
}

/// A decision as Python reads it: `(True, pk, username, email, method, session_key)`, or
/// the refusal's `(False, status, [(name, value), …], body)` with the headers `/auth` sends.
fn verdict(py: Python<'_>, decision: Decision) -> PyResult<Py<PyAny>> {
    match decision {
        Decision::Allowed(user) => {
            let mut items = vec![true.into_pyobject(py)?.to_owned().into_any()];
            items.extend(user_tuple(py, user)?.cast_into::<PyTuple>()?.iter());
            Ok(PyTuple::new(py, items)?.into_any().unbind())
        }
        Decision::Refused(refused) => refusal(py, refused),
    }
}

/// `(False, status, [(name, value), …], body)`: the answer `/auth` gives, with the cookies a
/// login's refusal sets.
fn refusal(py: Python<'_>, refused: Refused) -> PyResult<Py<PyAny>> {
    let response: http::Response<String> = refused.into_response();
    let headers: Vec<(Bound<'_, PyBytes>, Bound<'_, PyBytes>)> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                PyBytes::new(py, name.as_str().as_bytes()),
                PyBytes::new(py, value.as_bytes()),
            )
        })
        .collect();
    let status = response.status().as_u16();
    let body = PyBytes::new(py, response.body().as_bytes());
    Ok((false, status, headers, body)
        .into_pyobject(py)?
        .into_any()
        .unbind())
}

#[pymethods]
impl NativeGate {
    /// The gate `config` (the text of a `djtoken.toml`, its paths relative to `base_dir`)
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
        let runtime = start_runtime()?;
        let gate = py
            .detach(|| runtime.block_on(Gate::new(&settings)))
            .map_err(value_error)?;
        Ok(NativeGate {
            gate: Arc::new(gate),
        })
    }

    /// Whether the middleware must read this request's body: an unsafe request with an
    /// urlencoded or multipart body (tokenapi's fields, Django's `csrfmiddlewaretoken`).
    fn wants_body(&self, method: &str, content_type: Option<&[u8]>) -> bool {
        let Some(content_type) = content_type.and_then(|c| HeaderValue::from_bytes(c).ok()) else {
            return false;
        };
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(http::header::CONTENT_TYPE, content_type);
        !crate::csrf::is_safe_method(method) && form_body(&headers).is_some()
    }

    /// `serve.body_limit`: the largest body the middleware reads (a larger one is a 413).
    #[getter]
    fn body_limit(&self) -> usize {
        self.gate.body_limit()
    }

    /// Channels' `AllowedHostsOriginValidator`: `None` when a handshake's `Origin` (ASCII, as
    /// Channels decodes it) names a host of `ALLOWED_HOSTS`, else the 403 refusal tuple.
    /// Without the session method no handshake is authenticated by its cookie, and every
    /// origin passes.
    fn origin_refusal(&self, py: Python<'_>, origin: Option<&[u8]>) -> PyResult<Option<Py<PyAny>>> {
        let Some(browser) = self.gate.browser() else {
            return Ok(None);
        };
        let origin = origin.and_then(|o| std::str::from_utf8(o).ok().filter(|t| t.is_ascii()));
        if browser.hosts.origin_allowed(origin) {
            return Ok(None);
        }
        let message = crate::responses::CROSS_SITE_HANDSHAKE;
        self.gate.log_refusal("websocket", "session", message);
        refusal(py, Refused::forbidden(message)).map(Some)
    }

    /// The refusal of a body larger than `serve.body_limit` (413), as a verdict tuple.
    fn too_large(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        verdict(py, Decision::Refused(crate::gate::Refused::too_large()))
    }

    /// The decision on a request: the verdict tuple at once when nothing had to wait, else
    /// an awaitable of it. `method` `None` is an unsafe method.
    #[pyo3(signature = (method, path, query, headers, body=None))]
    fn decide(
        &self,
        py: Python<'_>,
        method: Option<&str>,
        path: String,
        query: &[u8],
        headers: &Bound<'_, PyAny>,
        body: Option<&[u8]>,
    ) -> PyResult<Py<PyAny>> {
        let request = Request::read(method, path, query, headers, body)?;
        let gate = Arc::clone(&self.gate);
        let runtime = runtime()?;
        let (ready, pending) = py.detach(move || {
            let _entered = runtime.enter();
            let mut deciding = request.decide(gate);
            match deciding
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
            {
                Poll::Ready(decision) => (Some(decision), None),
                Poll::Pending => (None, Some(deciding)),
            }
        });
        if let Some(decision) = ready {
            return verdict(py, decision);
        }
        let deciding = pending.expect("a decision that is not ready is pending");
        let awaitable = pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let decision = deciding.await;
            Python::attach(|py| verdict(py, decision))
        })?;
        Ok(awaitable.unbind())
    }

    /// [`NativeGate::decide`], waited for (without the interpreter lock): for WSGI.
    #[pyo3(signature = (method, path, query, headers, body=None))]
    fn decide_blocking(
        &self,
        py: Python<'_>,
        method: Option<&str>,
        path: String,
        query: &[u8],
        headers: &Bound<'_, PyAny>,
        body: Option<&[u8]>,
    ) -> PyResult<Py<PyAny>> {
        let request = Request::read(method, path, query, headers, body)?;
        let gate = Arc::clone(&self.gate);
        let runtime = runtime()?;
        let decision = py.detach(move || runtime.block_on(request.decide(gate)));
        verdict(py, decision)
    }

    /// Django's `authenticate()` then `login()` for a browser's request (its CSRF check
    /// first): an awaitable of `(True, user, csrf_token, [Set-Cookie, …])` or the refusal
    /// tuple. `peer`: the client's address, for the throttle and django-axes.
    #[pyo3(signature = (method, headers, body, peer, username, password))]
    #[allow(clippy::too_many_arguments)]
    fn login<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        headers: &Bound<'py, PyAny>,
        body: Option<&[u8]>,
        peer: Option<&str>,
        username: String,
        password: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let browser = Browsing::read(method, headers, body, peer)?;
        let gate = Arc::clone(&self.gate);
        runtime()?;
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = browser.login(&gate, &username, &password).await;
            Python::attach(|py| match result {
                Ok(done) => {
                    let items = (
                        true,
                        user_tuple(py, done.user)?,
                        done.csrf_token,
                        done.cookies,
                    );
                    Ok(items.into_pyobject(py)?.into_any().unbind())
                }
                Err(refused) => refusal(py, refused),
            })
        })
    }

    /// Django's `logout()` for a browser's request (its CSRF check first): an awaitable of
    /// `(True, [Set-Cookie, …])` or the refusal tuple.
    #[pyo3(signature = (method, headers, body=None))]
    fn logout<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        headers: &Bound<'py, PyAny>,
        body: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let browser = Browsing::read(method, headers, body, None)?;
        let gate = Arc::clone(&self.gate);
        runtime()?;
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = browser.logout(&gate).await;
            Python::attach(|py| match result {
                Ok(done) => Ok((true, done.cookies).into_pyobject(py)?.into_any().unbind()),
                Err(refused) => refusal(py, refused),
            })
        })
    }

    /// Django's `get_token()`: an awaitable of `(True, token, [Set-Cookie, …])` or the
    /// refusal tuple.
    fn csrf_token<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let browser = Browsing::read("GET", headers, None, None)?;
        let gate = Arc::clone(&self.gate);
        runtime()?;
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = gate.csrf_token(&browser.headers).await;
            Python::attach(|py| match result {
                Ok(issued) => Ok((true, issued.token, issued.cookies)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()),
                Err(refused) => refusal(py, refused),
            })
        })
    }
}

/// A browser's request for a login, a logout or a CSRF token, owned for the runtime.
struct Browsing {
    method: Method,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    peer: Option<std::net::SocketAddr>,
}

impl Browsing {
    fn read(
        method: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&[u8]>,
        peer: Option<&str>,
    ) -> PyResult<Self> {
        let request = Request::read(Some(method), String::new(), b"", headers, body)?;
        Ok(Browsing {
            // No method is unsafe: POST stands for it.
            method: request.method.unwrap_or(Method::POST),
            headers: request.headers,
            body: request.body,
            // The address alone: the port plays no part.
            peer: peer
                .and_then(|p| p.parse::<std::net::IpAddr>().ok())
                .map(|ip| std::net::SocketAddr::new(ip, 0)),
        })
    }

    /// The form fields of the body (none when there is none or it is not a form).
    async fn post(&self) -> Params {
        match &self.body {
            Some(body) => post_params(&self.headers, Bytes::from(body.clone())).await,
            None => Params::default(),
        }
    }

    async fn session(&self, gate: &Gate) -> Result<crate::gate::BrowserSession, Refused> {
        let post = self.post().await;
        let request = BrowserRequest {
            method: &self.method,
            headers: &self.headers,
            post: &post,
            peer: self.peer,
        };
        gate.browser_session(&request).await
    }

    async fn login(
        &self,
        gate: &Gate,
        username: &str,
        password: &str,
    ) -> Result<crate::gate::LoggedIn, Refused> {
        self.session(gate)
            .await?
            .login(gate, username, password)
            .await
    }

    async fn logout(&self, gate: &Gate) -> Result<crate::gate::LoggedOut, Refused> {
        self.session(gate).await?.logout(gate).await
    }
}
