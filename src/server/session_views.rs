//! The session endpoints, under `serve.session_prefix` (default `/session/`) when the
//! `session` method is configured: JSON in and out, for pages and single-page apps moved out
//! of a Django site, with the site's cookies and Django's CSRF rules.
//!
//! - `GET csrf/`: `get_token()`: the CSRF cookie set as `CsrfViewMiddleware` sets it (under
//!   `CSRF_USE_SESSIONS`, the secret saved in the session), and a masked token in the body.
//! - `POST login/`: `username` and `password` (form fields or a JSON object), CSRF-checked
//!   as Django's `LoginView` is; then `authenticate()` through the hashing slots (throttle,
//!   django-axes, rehash as `/token/new.json`) and `login()`: the session cycled or flushed,
//!   `last_login`, a rotated CSRF secret, and both cookies with Django's attributes.
//! - `POST logout/`: `logout()`: the session deleted and its cookie deleted; CSRF-checked.
//! - `GET whoami/`: who `request.user` is for the cookie. As Django's middleware would, it
//!   moves a session whose hash was made with a fallback key to a new key, and deletes the
//!   cookie of a session that is gone or whose hash no longer matches.
//!
//! Every answer is `Cache-Control: no-store` with `Vary: Cookie` ([`super::reply::protect`]).

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::Value;
use std::sync::Arc;

use super::browser::Browser;
use super::handlers::read_body;
use super::methods::request_cookies;
use super::metrics::Route;
use super::reply::Reply;
use super::request::{Params, post_params};
use super::{AppState, Peer};
use crate::gate::{BrowserRequest, Refused};
use crate::responses;
use crate::sessions::Anonymous;
use crate::wire::cookie::find_cookie as cookie;

type Answer = (Extension<Route>, Reply);

fn answer(reply: Reply) -> Answer {
    (Extension(Route::Session), reply)
}

fn refused(refused: Refused) -> Answer {
    answer(Reply::Refused(refused))
}

fn browser(state: &AppState) -> &Browser {
    state
        .browser
        .as_deref()
        .expect("the session routes exist only with the session method")
}

/// 405 for a method the endpoint does not answer: POST only, or GET (and HEAD) only.
fn wrong_method(method: &Method, post: bool) -> Option<Answer> {
    let (allowed, message) = if post {
        (*method == Method::POST, responses::MUST_POST)
    } else {
        (
            matches!(*method, Method::GET | Method::HEAD),
            responses::MUST_GET,
        )
    };
    (!allowed).then(|| answer(Reply::Error(StatusCode::METHOD_NOT_ALLOWED, message)))
}

/// 200 with this body and these cookies.
fn ok(body: String, cookies: Vec<String>) -> Answer {
    answer(Reply::Browser {
        status: StatusCode::OK,
        body,
        cookies,
    })
}

/// `GET csrf/`: `get_token(request)`.
pub async fn csrf(
    State(state): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
) -> Answer {
    if let Some(refusal) = wrong_method(&method, false) {
        return refusal;
    }
    match state.gate.csrf_token(&headers).await {
        Ok(issued) => ok(responses::csrf_token(&issued.token), issued.cookies),
        Err(e) => refused(e),
    }
}

/// The login's fields: form fields, or a JSON object of strings.
fn login_fields(
    headers: &HeaderMap,
    post: &Params,
    body: &[u8],
) -> Result<(String, String), Reply> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    let missing = || {
        Reply::Error(
            StatusCode::BAD_REQUEST,
            responses::MISSING_SESSION_LOGIN_FIELDS,
        )
    };
    let (username, password) = if is_json {
        let bad = || Reply::Error(StatusCode::BAD_REQUEST, responses::BAD_JSON_LOGIN);
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Err(bad());
        };
        let field = |name: &str| match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad()),
        };
        (field("username")?, field("password")?)
    } else {
        (
            post.get("username").map(str::to_owned),
            post.get("password").map(str::to_owned),
        )
    };
    match (username, password) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Ok((u, p)),
        _ => Err(missing()),
    }
}

/// `POST login/`.
pub async fn login(
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    if let Some(refusal) = wrong_method(&method, true) {
        return refusal;
    }
    let body = match read_body(&state, &headers, body).await {
        Ok(body) => body,
        Err(reply) => return answer(reply),
    };
    let post = post_params(&headers, body.clone()).await;
    let request = BrowserRequest {
        method: &method,
        headers: &headers,
        post: &post,
        peer: peer.map(|p| p.0.0),
    };
    // CsrfViewMiddleware runs before the view.
    let session = match state.gate.browser_session(&request).await {
        Ok(session) => session,
        Err(e) => return refused(e),
    };
    let (username, password) = match login_fields(&headers, &post, &body) {
        Ok(fields) => fields,
        Err(reply) => return answer(reply),
    };
    match session.login(&state.gate, &username, &password).await {
        Ok(done) => ok(
            responses::session_login(
                &done.user.pk,
                &done.user.username,
                &done.user.email,
                &done.csrf_token,
            ),
            done.cookies,
        ),
        Err(e) => refused(e),
    }
}

/// `POST logout/`.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    if let Some(refusal) = wrong_method(&method, true) {
        return refusal;
    }
    let post = if headers.contains_key(header::CONTENT_TYPE) {
        match read_body(&state, &headers, body).await {
            Ok(body) => post_params(&headers, body).await,
            Err(reply) => return answer(reply),
        }
    } else {
        Params::default()
    };
    let request = BrowserRequest {
        method: &method,
        headers: &headers,
        post: &post,
        peer: None,
    };
    let session = match state.gate.browser_session(&request).await {
        Ok(session) => session,
        Err(e) => return refused(e),
    };
    match session.logout(&state.gate).await {
        Ok(done) => ok(responses::SUCCESS.to_owned(), done.cookies),
        Err(e) => refused(e),
    }
}

/// `GET whoami/`.
pub async fn whoami(
    State(state): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
) -> Answer {
    if let Some(refusal) = wrong_method(&method, false) {
        return refusal;
    }
    let browser = browser(&state);
    let cookies = request_cookies(&headers);
    let replaced: Vec<String> = browser.replaced_csrf_cookie(&cookies).into_iter().collect();
    let Some(key) = cookie(&cookies, browser.session_cookie_name()) else {
        return ok(responses::whoami(None), replaced);
    };
    let (user, mut set) = match browser.auth.get_user(key, true).await {
        Ok(Ok(logged_in)) => {
            let mut set = Vec::new();
            if logged_in.cycled {
                match browser.session_cookie(&logged_in.key, &logged_in.data) {
                    Ok(cookie) => set.push(cookie),
                    Err(e) => return refused(e),
                }
            }
            (Some(logged_in.user), set)
        }
        // The session is gone (or was just flushed): SessionMiddleware deletes the cookie.
        Ok(Err(Anonymous::NoSession | Anonymous::HashMismatch)) => {
            (None, vec![browser.deleted_session_cookie()])
        }
        Ok(Err(_)) => (None, Vec::new()),
        Err(e) => return refused(state.gate.session_error(e)),
    };
    set.extend(replaced);
    ok(responses::whoami(user.as_ref()), set)
}
