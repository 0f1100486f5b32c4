//! The gate as tower middleware: every request a service receives is decided by the same
//! chain as `djtoken serve`'s `/auth` (the project's `AUTHENTICATION_METHODS`, the session
//! method's CSRF check for unsafe methods), in process.
//!
//! An authenticated request reaches the service with a [`DjangoUser`] in its extensions. A
//! refused or missing credential gets `/auth`'s answer ([`Refused`]: its status,
//! `WWW-Authenticate`, JSON body and `no-store`) with the layer [`required`](DjangoAuthLayer),
//! or passes on as anonymous with it [`optional`](DjangoAuthLayer::optional) (then the
//! refusal is in the extensions, for a handler or an extractor that wants a user to answer
//! with it).
//!
//! ```no_run
//! # async fn service() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use djtoken::gate::{DjangoUser, Gate, layer::DjangoAuthLayer};
//!
//! let settings = djtoken::Settings::from_file("djtoken.toml".as_ref())?;
//! let gate = Arc::new(Gate::new(&settings).await?);
//! let layer = DjangoAuthLayer::new(Arc::clone(&gate))
//!     .optional()
//!     .csrf_exempt(|parts| parts.uri.path().starts_with("/webhooks/"));
//! # let _ = layer; Ok(()) }
//! ```
//!
//! Credentials in a form body (tokenapi's `user` and `token` fields, Django's
//! `csrfmiddlewaretoken`) are read when an unsafe request's body is urlencoded or multipart:
//! the body, at most `serve.body_limit` bytes, is read and handed on unchanged. That takes a
//! request body that can be made from [`Bytes`] (axum's `Body`, `http_body_util::Full`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tower::{Layer, Service};

use super::{Credentials, Decision, DjangoUser, Gate, Params, Refused, params::post_params};

/// What the layer does with a request whose credentials do not authenticate anyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Answer as `/auth` answers.
    Required,
    /// Pass it on as anonymous, the refusal in its extensions.
    Optional,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Exempt = dyn Fn(&Parts) -> bool + Send + Sync;

/// The gate as a [`Layer`]: cheap to clone, one [`Gate`] shared by every clone.
#[derive(Clone)]
pub struct DjangoAuthLayer {
    gate: Arc<Gate>,
    mode: Mode,
    csrf_exempt: Arc<Exempt>,
    body_limit: usize,
}

impl std::fmt::Debug for DjangoAuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DjangoAuthLayer")
            .field("mode", &self.mode)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl DjangoAuthLayer {
    /// Every request must authenticate (the [`Mode::Required`] layer).
    ///
    /// ```no_run
    /// # async fn build() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use djtoken::gate::{Gate, layer::DjangoAuthLayer};
    ///
    /// let settings = djtoken::Settings::from_file("djtoken.toml".as_ref())?;
    /// let gate = Arc::new(Gate::new(&settings).await?);
    /// // Every route behind it needs a user; a refusal is /auth's answer.
    /// let required = DjangoAuthLayer::new(Arc::clone(&gate));
    /// // Anonymous requests pass on; handlers ask for `Option<DjangoUser>`.
    /// let optional = DjangoAuthLayer::new(gate).optional();
    /// # let _ = (required, optional); Ok(()) }
    /// ```
    pub fn new(gate: Arc<Gate>) -> Self {
        let body_limit = gate.body_limit;
        DjangoAuthLayer {
            gate,
            mode: Mode::Required,
            csrf_exempt: Arc::new(|_| false),
            body_limit,
        }
    }

    /// Requests that do not authenticate pass on as anonymous ([`Mode::Optional`]).
    pub fn optional(mut self) -> Self {
        self.mode = Mode::Optional;
        self
    }

    /// Requests that do not authenticate get `/auth`'s answer ([`Mode::Required`]).
    pub fn required(mut self) -> Self {
        self.mode = Mode::Required;
        self
    }

    /// Routes exempt from the `session` method's CSRF check, as Django's `csrf_exempt`
    /// views are: `exempt` sees each request's head.
    pub fn csrf_exempt(mut self, exempt: impl Fn(&Parts) -> bool + Send + Sync + 'static) -> Self {
        self.csrf_exempt = Arc::new(exempt);
        self
    }

    /// The gate the layer decides with.
    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }
}

impl<S> Layer<S> for DjangoAuthLayer {
    type Service = DjangoAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DjangoAuth {
            inner,
            layer: self.clone(),
        }
    }
}

/// The fields of an unsafe request's urlencoded or multipart body, as the layer read them:
/// in the request's extensions for what comes after it (the axum `DjangoSession` extractor
/// reads `csrfmiddlewaretoken` from them). The body itself is handed on unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormFields(pub Params);

/// The service [`DjangoAuthLayer`] wraps around another.
#[derive(Clone, Debug)]
pub struct DjangoAuth<S> {
    inner: S,
    layer: DjangoAuthLayer,
}

/// The form fields of an unsafe request's urlencoded or multipart body, and the body to hand
/// on; any other request's body is not touched.
async fn read_form<B>(parts: &Parts, body: B, limit: usize) -> Result<(Params, B), Refused>
where
    B: Body<Data = Bytes> + From<Bytes>,
    B::Error: Into<BoxError>,
{
    let form = super::params::form_body(&parts.headers).is_some();
    if !form || crate::csrf::is_safe_method(parts.method.as_str()) {
        return Ok((Params::default(), body));
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(Refused::too_large()),
        Err(_) => return Err(Refused::bad_request("The request body could not be read.")),
    };
    Ok((
        post_params(&parts.headers, bytes.clone()).await,
        B::from(bytes),
    ))
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DjangoAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (mut parts, body) = request.into_parts();
        let csrf_exempt = (self.layer.csrf_exempt)(&parts);
        let gate = Arc::clone(&self.layer.gate);
        let (mode, body_limit) = (self.layer.mode, self.layer.body_limit);
        Box::pin(async move {
            let (post, body) = match read_form(&parts, body, body_limit).await {
                Ok(read) => read,
                Err(refused) => return Ok(refused.into_response()),
            };
            // The headers move into the credentials and back: no copy per request.
            let mut credentials = Credentials::new(
                Some(parts.method.clone()),
                parts.uri.query().unwrap_or("").as_bytes(),
                std::mem::take(&mut parts.headers),
                post,
            );
            credentials.csrf_exempt = csrf_exempt;
            let decision = gate.decide_at(parts.uri.path(), &credentials).await;
            parts.headers = credentials.headers;
            if !credentials.post.is_empty() {
                parts.extensions.insert(FormFields(credentials.post));
            }
            match decision {
                Decision::Allowed(user) => {
                    parts.extensions.insert::<DjangoUser>(user);
                }
                Decision::Refused(refused) => match mode {
                    Mode::Required => return Ok(refused.into_response()),
                    Mode::Optional => {
                        parts.extensions.insert::<Refused>(refused);
                    }
                },
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}
