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

use super::browser::{Browser, CsrfInput};
use super::handlers::{LoginFailure, database_error, password_login, read_body};
use super::methods::request_cookies;
use super::metrics::Route;
use super::reply::Reply;
use super::request::{Params, post_params};
use super::{AppState, Peer};
use crate::auth::AuthError;
use crate::csrf::{self, CsrfConfig};
use crate::responses;
use crate::sessions::{Anonymous, MODEL_BACKEND, SessionData, SessionError};
use crate::user::User;
use crate::wire::cookie::find_cookie as cookie;

type Answer = (Extension<Route>, Reply);

fn answer(reply: Reply) -> Answer {
    (Extension(Route::Session), reply)
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

/// A session store's failure as an answer: 503 while the database, cache or directory is
/// down (500 for a database without the table), 400 for a session deleted meanwhile (Django's
/// `SessionInterrupted`) or one whose data cannot be read back (where Django answers 500),
/// 500 for the rest (logged).
fn store_error(state: &AppState, e: SessionError) -> Reply {
    match e {
        SessionError::Store(e) => database_error(state, &e),
        SessionError::Vanished => {
            Reply::Error(StatusCode::BAD_REQUEST, responses::SESSION_INTERRUPTED)
        }
        SessionError::Unreadable(why) => {
            tracing::warn!(reason = %why, "a session that cannot be read back");
            Reply::Error(StatusCode::BAD_REQUEST, responses::SESSION_UNREADABLE)
        }
        other => {
            tracing::error!(error = %other, "a session could not be written");
            Reply::ServerError
        }
    }
}

/// The browser's session: its key and data, `None` when there is no cookie or Django would
/// find no session behind it (and start an empty one). An unreadable session (or one whose
/// expiry cannot be read, which Django could not save again) is treated as none, as
/// `get_user` treats it as anonymous.
async fn current_session(
    state: &AppState,
    cookies: &[(String, String)],
) -> Result<Option<(String, SessionData)>, Reply> {
    let browser = browser(state);
    let Some(key) = cookie(cookies, browser.session_cookie_name()) else {
        return Ok(None);
    };
    match browser.auth.sessions().load(key).await {
        Ok(Some(data)) if browser.auth.sessions().cookie_max_age(&data).is_ok() => {
            Ok(Some((key.to_owned(), data)))
        }
        Ok(Some(_)) => Ok(None),
        Ok(None) | Err(SessionError::Unreadable(_)) => Ok(None),
        Err(e) => Err(store_error(state, e)),
    }
}

/// The session cookie's `Set-Cookie` for `key` holding `data` (just saved, so its expiry was
/// read: 400 otherwise, where Django answers 500).
fn session_cookie(browser: &Browser, key: &str, data: &SessionData) -> Result<String, Reply> {
    let sessions = browser.auth.sessions();
    let max_age = sessions.cookie_max_age(data).map_err(|why| {
        tracing::warn!(reason = %why, "a session's expiry cannot be read");
        Reply::Error(StatusCode::BAD_REQUEST, responses::SESSION_UNREADABLE)
    })?;
    Ok(sessions
        .config()
        .cookie
        .set_cookie(key, max_age)
        .header(chrono::Utc::now()))
}

fn deleted_session_cookie(browser: &Browser) -> String {
    browser
        .auth
        .sessions()
        .config()
        .cookie
        .deleting()
        .header(chrono::Utc::now())
}

fn csrf_cookie(config: &CsrfConfig, value: &str) -> String {
    config.set_cookie(value).header(chrono::Utc::now())
}

/// `CsrfViewMiddleware.process_view` for this (unsafe) request, as a 403 answer.
fn csrf_refusal(
    browser: &Browser,
    method: &Method,
    headers: &HeaderMap,
    cookies: &[(String, String)],
    post: &Params,
    session: Option<&SessionData>,
) -> Option<Reply> {
    let input = CsrfInput {
        method: method.as_str(),
        headers,
        cookie: cookie(cookies, &browser.csrf.cookie_name),
        form_token: post.get(csrf::FORM_FIELD),
        session_secret: session
            .and_then(|d| d.get(csrf::SESSION_KEY))
            .and_then(Value::as_str),
    };
    let rejection = browser.check_csrf(&input).err()?;
    Some(Reply::Browser {
        status: StatusCode::FORBIDDEN,
        body: responses::error(&format!("CSRF Failed: {}", rejection.0)),
        cookies: replaced_csrf_cookie(browser, cookies).into_iter().collect(),
    })
}

/// From 4.0, `CsrfViewMiddleware` replaces a malformed CSRF cookie on the way out of any
/// request (a refusal included): the new cookie, when this request's is malformed.
fn replaced_csrf_cookie(browser: &Browser, cookies: &[(String, String)]) -> Option<String> {
    let config = &browser.csrf;
    let malformed =
        cookie(cookies, &config.cookie_name).is_some_and(|c| CsrfConfig::secret_of(c).is_none());
    (malformed && !config.use_sessions && config.version >= crate::version::DjangoVersion::V4_0)
        .then(|| csrf_cookie(config, &config.rotate()))
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
    let browser = browser(&state);
    let cookies = request_cookies(&headers);
    if !browser.csrf.use_sessions {
        let issued = browser
            .csrf
            .get_token(cookie(&cookies, &browser.csrf.cookie_name));
        return ok(
            responses::csrf_token(&issued.token),
            vec![csrf_cookie(&browser.csrf, &issued.stored)],
        );
    }
    // CSRF_USE_SESSIONS: the secret is the session's; a new one is saved with it (a new
    // session when there is none, as SessionMiddleware saves a modified session).
    let session = match current_session(&state, &cookies).await {
        Ok(session) => session,
        Err(reply) => return answer(reply),
    };
    let stored = session
        .as_ref()
        .and_then(|(_, data)| data.get(csrf::SESSION_KEY))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let issued = browser.csrf.get_token(stored.as_deref());
    let mut set = Vec::new();
    if stored.as_deref() != Some(issued.stored.as_str()) {
        let (key, data) = session.unzip();
        let mut data = data.unwrap_or_default();
        data.insert(
            csrf::SESSION_KEY.into(),
            Value::String(issued.stored.clone()),
        );
        let saved = browser.auth.sessions().save(key.as_deref(), &data).await;
        let key = match saved {
            Ok(key) => key,
            Err(e) => return answer(store_error(&state, e)),
        };
        match session_cookie(browser, &key, &data) {
            Ok(cookie) => set.push(cookie),
            Err(reply) => return answer(reply),
        }
    }
    ok(responses::csrf_token(&issued.token), set)
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

/// The backend `authenticate()` would record for a password login: the first of
/// `AUTHENTICATION_BACKENDS` that can check a password (every one but tokenapi's, which
/// takes a pk and a token); Django's `ModelBackend` when none is listed.
fn password_backend(backends: &[String]) -> &str {
    backends
        .iter()
        .map(String::as_str)
        .find(|b| *b != "tokenapi.backends.TokenBackend")
        .unwrap_or(MODEL_BACKEND)
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
    let browser = browser(&state);
    let cookies = request_cookies(&headers);
    let session = match current_session(&state, &cookies).await {
        Ok(session) => session,
        Err(reply) => return answer(reply),
    };
    // CsrfViewMiddleware runs before the view.
    let data = session.as_ref().map(|(_, data)| data);
    if let Some(refusal) = csrf_refusal(browser, &method, &headers, &cookies, &post, data) {
        return answer(refusal);
    }
    let (username, password) = match login_fields(&headers, &post, &body) {
        Ok(fields) => fields,
        Err(reply) => return answer(reply),
    };
    let peer = peer.map(|p| p.0);
    let backend = password_backend(&browser.auth.sessions().config().backends).to_owned();
    let user = match password_login(&state, peer, &headers, &username, &password).await {
        Ok(user) => user,
        Err(LoginFailure::Reply(reply)) => return answer(reply),
        Err(LoginFailure::Refused(AuthError::Inactive))
            if backend.starts_with("django.contrib.auth.backends.AllowAllUsers") =>
        {
            return answer(Reply::Error(
                StatusCode::BAD_REQUEST,
                responses::INACTIVE_ACCOUNT,
            ));
        }
        Err(LoginFailure::Refused(_)) => {
            let field = &browser.auth.users().model().username_field;
            return answer(Reply::Browser {
                status: StatusCode::BAD_REQUEST,
                body: responses::error(&responses::invalid_login(field)),
                cookies: Vec::new(),
            });
        }
    };
    let existing = session
        .as_ref()
        .map(|(key, data)| (key.as_str(), data.clone()));
    let (key, data) = match browser.auth.login_session(&user, &backend, existing).await {
        Ok(done) => done,
        Err(e) => return answer(store_error(&state, e)),
    };
    logged_in(browser, &user, &key, &data)
}

/// The answer to a login: both cookies, and the token of the rotated CSRF secret.
fn logged_in(browser: &Browser, user: &User, key: &str, data: &SessionData) -> Answer {
    let mut cookies = Vec::with_capacity(2);
    match session_cookie(browser, key, data) {
        Ok(cookie) => cookies.push(cookie),
        Err(reply) => return answer(reply),
    }
    // rotate_token(): under CSRF_USE_SESSIONS the new secret is in the saved session; else
    // it is a new cookie.
    let stored = if browser.csrf.use_sessions {
        data.get(csrf::SESSION_KEY)
            .and_then(Value::as_str)
            .map(str::to_owned)
    } else {
        None
    };
    let stored = stored.unwrap_or_else(|| {
        let value = browser.csrf.rotate();
        cookies.push(csrf_cookie(&browser.csrf, &value));
        value
    });
    let secret = CsrfConfig::secret_of(&stored).unwrap_or_default();
    let token = csrf::mask_secret(&secret).unwrap_or_default();
    ok(responses::session_login(user, &token), cookies)
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
    let browser = browser(&state);
    let cookies = request_cookies(&headers);
    let session = match current_session(&state, &cookies).await {
        Ok(session) => session,
        Err(reply) => return answer(reply),
    };
    let data = session.as_ref().map(|(_, data)| data);
    if let Some(refusal) = csrf_refusal(browser, &method, &headers, &cookies, &post, data) {
        return answer(refusal);
    }
    if let Some((key, _)) = &session
        && let Err(e) = browser.auth.logout(key).await
    {
        return answer(store_error(&state, e));
    }
    let sent = cookie(&cookies, browser.session_cookie_name()).is_some();
    let deleted = sent.then(|| deleted_session_cookie(browser));
    ok(responses::SUCCESS.to_owned(), deleted.into_iter().collect())
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
    let replaced: Vec<String> = replaced_csrf_cookie(browser, &cookies)
        .into_iter()
        .collect();
    let Some(key) = cookie(&cookies, browser.session_cookie_name()) else {
        return ok(responses::whoami(None), replaced);
    };
    let (user, mut set) = match browser.auth.get_user(key, true).await {
        Ok(Ok(logged_in)) => {
            let mut set = Vec::new();
            if logged_in.cycled {
                match session_cookie(browser, &logged_in.key, &logged_in.data) {
                    Ok(cookie) => set.push(cookie),
                    Err(reply) => return answer(reply),
                }
            }
            (Some(logged_in.user), set)
        }
        // The session is gone (or was just flushed): SessionMiddleware deletes the cookie.
        Ok(Err(Anonymous::NoSession | Anonymous::HashMismatch)) => {
            (None, vec![deleted_session_cookie(browser)])
        }
        Ok(Err(_)) => (None, Vec::new()),
        Err(e) => return answer(store_error(&state, e)),
    };
    set.extend(replaced);
    ok(responses::whoami(user.as_ref()), set)
}
