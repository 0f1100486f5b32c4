//! The axum extractors: [`DjangoUser`] behind the tower layer ([`super::layer`]), and the
//! session's login, logout and CSRF token.
//!
//! `DjangoUser` in a handler's arguments: the user the layer found, or the layer's refusal
//! (`/auth`'s answer: 401 with the challenge for missing credentials, 403 for wrong ones,
//! 503 while the database is down). `Option<DjangoUser>`: the user, or `None` for an anonymous
//! request. Either needs the layer in front of the handler; without it the request is
//! answered 500, and the log says why.
//!
//! [`DjangoSession`] logs in and out as Django's `login()` and `logout()` do, and
//! [`CsrfToken`] is `get_token()` for a handler that renders a form; each returns its
//! cookies as part of the handler's answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};

use super::layer::FormFields;
use super::login::set_cookies;
use super::{
    BrowserRequest, BrowserSession, CsrfToken, DjangoUser, Gate, LoggedIn, LoggedOut, Params,
    Refused,
};

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        Refused::into_response(self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DjangoUser {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<DjangoUser>() {
            return Ok(user.clone());
        }
        match parts.extensions.get::<Refused>() {
            Some(refused) => Err(refused.clone()),
            None => {
                tracing::error!(
                    "DjangoUser extracted from a request the DjangoAuthLayer did not see: add the layer in front of the handler"
                );
                Err(Refused::server_error())
            }
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for DjangoUser {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<DjangoUser>().cloned())
    }
}

/// The request's Django session, for a handler that logs in or out: extracting it is
/// `CsrfViewMiddleware`'s check (an unsafe request without Django's CSRF token is refused
/// with `/session/login/`'s 403 before the handler runs), then
/// [`login`](DjangoSession::login) and [`logout`](DjangoSession::logout) do what Django's
/// `login()` and `logout()` do, giving the cookies to return with the handler's answer.
///
/// It takes the [`Gate`] from the router's state (`Arc<Gate>: FromRef<S>`); behind the
/// [`layer`](super::layer::DjangoAuthLayer) it also reads the `csrfmiddlewaretoken` of a form
/// body (without the layer, only the `X-CSRFToken` header counts). The connection's address
/// (for the login throttle and django-axes) is axum's [`ConnectInfo`], when the service is
/// served with it.
///
/// ```
/// use std::sync::Arc;
/// use axum::{Form, Router, routing::post};
/// use djtoken::gate::{DjangoSession, Gate, Refused};
///
/// #[derive(serde::Deserialize)]
/// struct LoginForm {
///     username: String,
///     password: String,
/// }
///
/// async fn login(
///     session: DjangoSession,
///     Form(form): Form<LoginForm>,
/// ) -> Result<impl axum::response::IntoResponse, Refused> {
///     let done = session.login(&form.username, &form.password).await?;
///     let body = done.user.to_json();
///     // The session and CSRF cookies go out with the answer.
///     Ok((done, body))
/// }
///
/// async fn logout(session: DjangoSession) -> Result<impl axum::response::IntoResponse, Refused> {
///     Ok((session.logout().await?, "logged out"))
/// }
///
/// fn routes(gate: Arc<Gate>) -> Router {
///     Router::new()
///         .route("/login", post(login))
///         .route("/logout", post(logout))
///         .with_state(gate)
/// }
/// ```
pub struct DjangoSession {
    gate: Arc<Gate>,
    session: BrowserSession,
}

impl<S> FromRequestParts<S> for DjangoSession
where
    Arc<Gate>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let gate = Arc::<Gate>::from_ref(state);
        let empty = Params::default();
        let post = parts
            .extensions
            .get::<FormFields>()
            .map_or(&empty, |fields| &fields.0);
        let request = BrowserRequest {
            method: &parts.method,
            headers: &parts.headers,
            post,
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
        };
        let session = gate.browser_session(&request).await?;
        Ok(DjangoSession { gate, session })
    }
}

impl DjangoSession {
    /// `authenticate()` then `login()` ([`BrowserSession::login`]): the user and the cookies,
    /// or the refusal `/session/login/` gives (400 for wrong credentials, 429 throttled,
    /// 503 while the database is down).
    pub async fn login(self, username: &str, password: &str) -> Result<LoggedIn, Refused> {
        self.session.login(&self.gate, username, password).await
    }

    /// `logout()` ([`BrowserSession::logout`]): the session deleted, and the cookie deleting
    /// it.
    pub async fn logout(self) -> Result<LoggedOut, Refused> {
        self.session.logout(&self.gate).await
    }
}

/// `get_token()` as an extractor, for a handler that renders a form: the masked token for
/// `csrfmiddlewaretoken` (or `X-CSRFToken`), and, returned with the answer, the cookie that
/// holds its secret. Takes the [`Gate`] from the router's state.
///
/// ```
/// use std::sync::Arc;
/// use axum::{Router, response::Html, routing::get};
/// use djtoken::gate::{CsrfToken, Gate};
///
/// async fn form(csrf: CsrfToken) -> impl axum::response::IntoResponse {
///     let page = format!(
///         "<form method=post action=/login>\
///          <input type=hidden name=csrfmiddlewaretoken value={}>…</form>",
///         csrf.token
///     );
///     (csrf, Html(page))
/// }
///
/// fn routes(gate: Arc<Gate>) -> Router {
///     Router::new().route("/login", get(form)).with_state(gate)
/// }
/// ```
impl<S> FromRequestParts<S> for CsrfToken
where
    Arc<Gate>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Arc::<Gate>::from_ref(state)
            .csrf_token(&parts.headers)
            .await
    }
}

/// The cookies, `Vary: Cookie` and, unless the handler set one, `Cache-Control: no-store`:
/// an answer that sets a session must not be cached.
fn session_parts(mut res: ResponseParts, cookies: &[String], no_store: bool) -> ResponseParts {
    let headers = res.headers_mut();
    set_cookies(headers, cookies);
    headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    if no_store && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

impl IntoResponseParts for LoggedIn {
    type Error = Infallible;

    fn into_response_parts(self, res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        Ok(session_parts(res, &self.cookies, true))
    }
}

impl IntoResponseParts for LoggedOut {
    type Error = Infallible;

    fn into_response_parts(self, res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        Ok(session_parts(res, &self.cookies, true))
    }
}

impl IntoResponseParts for CsrfToken {
    type Error = Infallible;

    fn into_response_parts(self, res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        Ok(session_parts(res, &self.cookies, false))
    }
}
