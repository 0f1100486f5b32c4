//! The handlers: tokenapi's two views, forward auth, and the operational endpoints.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::methods::{Credentials, request_cookies};
use super::metrics::Route;
use super::reply::Reply;
use super::request::{Params, decode_path, post_params};
use super::throttle::Account;
use super::{AppState, Peer};
use crate::auth::{AuthError, BadCredentials};
use crate::axes::AxesAttempt;
use crate::responses;
use crate::store::StoreError;
use crate::wire::pyint::decimal_value;

/// What tokenapi's URL patterns make of a path below the prefix.
#[derive(Debug, PartialEq, Eq)]
enum TokenapiUrl<'a> {
    /// `^new.json$` (the dot is unescaped in tokenapi: any character but a newline).
    New,
    /// `^(?P<token>.{24})/(?P<user>\d+).json$`
    Token { token: &'a str, user: &'a str },
}

fn not_newline(c: char) -> bool {
    c != '\n'
}

/// One character (not a newline) followed by `json` at the end: the tail of both patterns.
fn strip_json_tail(s: &str) -> Option<&str> {
    let before = s.strip_suffix("json")?;
    let c = before.chars().next_back()?;
    not_newline(c).then(|| &before[..before.len() - c.len_utf8()])
}

fn match_tokenapi(rest: &str) -> Option<TokenapiUrl<'_>> {
    if strip_json_tail(rest) == Some("new") {
        return Some(TokenapiUrl::New);
    }
    let (split, _) = rest.char_indices().nth(24)?;
    let (token, after) = rest.split_at(split);
    if !token.chars().all(not_newline) {
        return None;
    }
    let user = strip_json_tail(after.strip_prefix('/')?)?;
    (!user.is_empty() && user.chars().all(|c| decimal_value(c).is_some()))
        .then_some(TokenapiUrl::Token { token, user })
}

/// A request's method, URI, headers and body, taken rather than copied (axum's `HeaderMap`
/// and `Uri` extractors clone them).
fn take_parts(request: Request) -> (Method, Uri, HeaderMap, Body) {
    let (parts, body) = request.into_parts();
    let Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    (method, uri, headers, body)
}

/// The fallback: tokenapi's URLs under the prefix, Django's 404 for anything else. The
/// answer is tagged with the route it decided on, for the metrics.
pub async fn tokenapi(
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    request: Request,
) -> (Extension<Route>, Reply) {
    let (method, uri, headers, body) = take_parts(request);
    let path = decode_path(uri.path());
    let Some(rest) = path.strip_prefix(state.routes.prefix.as_str()) else {
        return (Extension(Route::Other), Reply::NotFound);
    };
    match match_tokenapi(rest) {
        Some(TokenapiUrl::New) => (
            Extension(Route::TokenNew),
            token_new(&state, peer.map(|p| p.0), method, headers, body).await,
        ),
        Some(TokenapiUrl::Token { token, user }) => (
            Extension(Route::Token),
            token_view(&state, method, token, user).await,
        ),
        None => (Extension(Route::Other), Reply::NotFound),
    }
}

/// Read the body, refusing more than the limit (413) without reading it when the length is
/// announced.
pub(super) async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Reply> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > state.requests.body_limit as u64) {
        return Err(Reply::TooLarge);
    }
    let collect = Limited::new(body, state.requests.body_limit).collect();
    match tokio::time::timeout(state.requests.request_timeout, collect).await {
        Err(_) => Err(Reply::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Reply::TooLarge),
        Ok(Err(_)) => Err(Reply::Error(
            StatusCode::BAD_REQUEST,
            "Invalid request body.",
        )),
    }
}

/// The answer for an error that is not about the request itself: 503 with `Retry-After`
/// for what may pass (no hashing capacity, a database that is down or slow), 500 for a
/// database that does not have what the settings describe (a missing table or column), which
/// waiting will not fix. `None` for an answer about the request.
pub(super) fn server_side(state: &AppState, e: &AuthError) -> Option<Reply> {
    match e {
        AuthError::Overloaded => Some(overloaded(state)),
        AuthError::Unavailable(e) => Some(database_error(state, e)),
        _ => None,
    }
}

pub(super) fn overloaded(state: &AppState) -> Reply {
    Reply::Refused(state.gate.overloaded())
}

pub(super) fn database_error(state: &AppState, e: &StoreError) -> Reply {
    Reply::Refused(state.gate.database_error(e))
}

/// The client's address: the last one in the configured header (the address the proxy wrote,
/// or appended to `X-Forwarded-For`), else the connection's own.
pub(super) fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<Peer>,
) -> Option<IpAddr> {
    let from_header = state
        .requests
        .client_address_header
        .as_ref()
        .and_then(|name| {
            let last = headers.get_all(name).iter().next_back()?.to_str().ok()?;
            let text = last.rsplit(',').next()?.trim();
            text.parse::<IpAddr>()
                .ok()
                .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        });
    from_header.or(peer.map(|p| p.0.ip()))
}

pub(super) fn throttled(state: &AppState, wait: Option<Duration>) -> Reply {
    if let Some(held_back) = state.warnings.login_throttled.allow() {
        tracing::warn!(held_back, "login refused: too many failed logins");
    }
    Reply::Throttled {
        // Whole seconds, rounded up: never earlier than the wait.
        retry_after: wait.map(|w| w.as_secs() + u64::from(w.subsec_nanos() > 0)),
    }
}

/// django-axes' verdict on this login, when the project uses axes.
pub(super) async fn axes_refusal(
    state: &AppState,
    username: &str,
    address: Option<IpAddr>,
    headers: &HeaderMap,
) -> Option<Reply> {
    let axes = state.axes.as_ref()?;
    let ip = address.map(|ip| ip.to_string());
    // As Django's `request.META` holds it.
    let user_agent = headers
        .get(header::USER_AGENT)
        .map(|v| crate::wire::latin1::decode(v.as_bytes()));
    let attempt = AxesAttempt {
        username,
        ip_address: ip.as_deref(),
        user_agent: user_agent.as_deref(),
    };
    let now = chrono::Utc::now().naive_utc();
    match axes.check(state.auth.store(), &attempt, now).await {
        Ok(None) => None,
        Ok(Some(locked)) => Some(throttled(state, locked.retry_after)),
        Err(e) => Some(database_error(state, &e)),
    }
}

/// `tokenapi.views.token_new`, with djtoken's login throttle and django-axes' lockouts
/// checked before the password.
async fn token_new(
    state: &AppState,
    peer: Option<Peer>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    if method != Method::POST {
        return Reply::Error(StatusCode::METHOD_NOT_ALLOWED, responses::MUST_POST);
    }
    let body = match read_body(state, &headers, body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let post = post_params(&headers, body).await;
    let (Some(username), Some(password)) = (post.get("username"), post.get("password")) else {
        return Reply::Error(StatusCode::UNAUTHORIZED, responses::MISSING_LOGIN_FIELDS);
    };
    if username.is_empty() || password.is_empty() {
        return Reply::Error(StatusCode::UNAUTHORIZED, responses::MISSING_LOGIN_FIELDS);
    }
    match password_login(state, peer, &headers, username, password).await {
        Ok(user) => {
            let token = state.auth.tokens().make_token(&user);
            Reply::Json(StatusCode::OK, responses::token_created(&token, &user.pk))
        }
        Err(LoginFailure::Reply(reply)) => reply,
        Err(LoginFailure::Refused(_)) => {
            Reply::Error(StatusCode::UNAUTHORIZED, responses::LOGIN_FAILED)
        }
    }
}

/// Why a password login gave no user.
pub(super) enum LoginFailure {
    /// An answer that is not about the credentials: throttled, locked out by django-axes,
    /// no hashing capacity, the database down.
    Reply(Reply),
    /// Wrong credentials or an inactive user (counted as a failure by the throttle).
    Refused(AuthError),
}

/// A login by username and password, as `token_new` and the session login make it: the user
/// looked up, djtoken's throttle (counted against the user found, or the text for none) and
/// django-axes' lockouts before the password, then `ModelBackend.authenticate` through the
/// hashing slots (with the configured rehash).
pub(super) async fn password_login(
    state: &AppState,
    peer: Option<Peer>,
    headers: &HeaderMap,
    username: &str,
    password: &str,
) -> Result<crate::user::User, LoginFailure> {
    let address = client_address(state, headers, peer);
    // The database decides which spellings name the user (collations, citext): the throttle
    // counts by the user it found.
    let found = match state.auth.login_user(username).await {
        Ok(found) => found,
        Err(e) => {
            let reply = server_side(state, &e).unwrap_or(Reply::ServerError);
            return Err(LoginFailure::Reply(reply));
        }
    };
    let account = match &found {
        Some(user) => Account::User(&user.pk),
        None => Account::Unknown(username),
    };
    let attempt = match state.throttle.begin(account, address, Instant::now()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            log_refusal(state, "login", "password", "throttled");
            return Err(LoginFailure::Reply(throttled(state, Some(wait))));
        }
    };
    if let Some(refusal) = axes_refusal(state, username, address, headers).await {
        state.throttle.undecided(attempt);
        if matches!(refusal, Reply::Throttled { .. }) {
            log_refusal(state, "login", "password", "locked out by django-axes");
        }
        return Err(LoginFailure::Reply(refusal));
    }
    match state.auth.check_login(found, password.as_bytes()).await {
        Ok(user) => {
            state.throttle.succeeded(attempt);
            Ok(user)
        }
        Err(e) => match server_side(state, &e) {
            Some(reply) => {
                state.throttle.undecided(attempt);
                Err(LoginFailure::Reply(reply))
            }
            // A failure: it stays counted.
            None => {
                let reason = match e {
                    AuthError::BadCredentials(BadCredentials::NoSuchUser) => "unknown user",
                    AuthError::BadCredentials(BadCredentials::UnreadableHash) => {
                        "unreadable password hash"
                    }
                    AuthError::Inactive => "inactive user",
                    _ => "wrong password",
                };
                log_refusal(state, "login", "password", reason);
                if matches!(e, AuthError::BadCredentials(BadCredentials::UnreadableHash))
                    && let Some(held_back) = state.warnings.unreadable_hash.allow()
                {
                    tracing::warn!(
                        held_back,
                        "a stored password hash could not be read; login refused"
                    );
                }
                Err(LoginFailure::Refused(e))
            }
        },
    }
}

/// `tokenapi.views.token`, which is not `csrf_exempt`: unsafe methods fail Django's CSRF check.
async fn token_view(state: &AppState, method: Method, token: &str, user: &str) -> Reply {
    if !matches!(
        method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Reply::CsrfFailure;
    }
    match state.auth.check_token(user, token).await {
        Ok(_) => Reply::Json(StatusCode::OK, responses::SUCCESS.to_owned()),
        Err(e) => server_side(state, &e).unwrap_or(Reply::Error(
            StatusCode::UNAUTHORIZED,
            responses::TOKEN_MISMATCH,
        )),
    }
}

/// The query string of the request the proxy is asking about: the configured forwarded-URI
/// header's (nginx's `X-Original-URI`, Traefik's and Caddy's `X-Forwarded-Uri`), else this
/// request's own (Envoy forwards the original path and query as the request's). No other
/// header is looked at: a client could send it through the proxy.
fn original_query<'a>(
    trusted: Option<&HeaderName>,
    headers: &'a HeaderMap,
    uri: &'a Uri,
) -> &'a [u8] {
    if let Some(value) = trusted.and_then(|name| headers.get(name)) {
        let bytes = value.as_bytes();
        return match bytes.iter().position(|&b| b == b'?') {
            Some(q) => &bytes[q + 1..],
            None => b"",
        };
    }
    uri.query().unwrap_or("").as_bytes()
}

/// The original request's method, as the proxy reports it in the one configured header;
/// `None` (counted as unsafe) when that header is missing or not a method. Without a
/// configured header, this request's own method, unless it carries a method header a proxy
/// writes: then a proxy nobody named is in front, and its client may have written the header
/// itself, so the method is `None` too.
fn original_method(
    state: &AppState,
    trusted: Option<&HeaderName>,
    headers: &HeaderMap,
    own: Method,
) -> Option<Method> {
    let Some(name) = trusted else {
        let proxied = ["x-original-method", "x-forwarded-method"]
            .iter()
            .any(|name| headers.contains_key(*name));
        if !proxied {
            return Some(own);
        }
        if let Some(held_back) = state.warnings.method_header_unset.allow() {
            tracing::warn!(
                held_back,
                "a request to /auth carries X-Original-Method or X-Forwarded-Method, but --forwarded-method-header names none: its method counts as unsafe"
            );
        }
        return None;
    };
    // Any token is a method ("junk" is an unsafe extension method); "junk(" is none.
    Method::from_bytes(headers.get(name)?.as_bytes()).ok()
}

/// The request's credentials, read once for every method.
async fn read_credentials(
    state: &AppState,
    method: Method,
    uri: &Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Credentials, Reply> {
    let query = Params::urlencoded(original_query(
        state.requests.forwarded_uri_header.as_ref(),
        &headers,
        uri,
    ));
    let post = if headers.contains_key(header::CONTENT_TYPE) {
        let body = read_body(state, &headers, body).await?;
        post_params(&headers, body).await
    } else {
        Params::default()
    };
    let method = original_method(
        state,
        state.requests.forwarded_method_header.as_ref(),
        &headers,
        method,
    );
    Ok(Credentials {
        query,
        post,
        method,
        cookies: request_cookies(&headers),
        headers,
        csrf_exempt: false,
    })
}

/// `/auth`: the gate's decision on the original request's credentials.
pub async fn forward_auth(State(state): State<Arc<AppState>>, request: Request) -> Reply {
    let (method, uri, headers, body) = take_parts(request);
    let request = match read_credentials(&state, method, &uri, headers, body).await {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    Reply::ForwardAuth(state.gate.decide(&request).await)
}

/// One info line for a refused request, saying why (never the credential): see
/// [`Gate::log_refusal`](crate::gate::Gate::log_refusal).
pub(super) fn log_refusal(state: &AppState, route: &'static str, method: &str, reason: &str) {
    state.gate.log_refusal(route, method, reason);
}

/// `/healthz`: the process answers.
pub async fn healthz() -> Reply {
    Reply::Json(StatusCode::OK, "{\"status\": \"ok\"}".to_owned())
}

/// `/readyz`: every store `/auth`'s methods need answers — the database, with the user table
/// and columns the settings name, and for the session method the session engine's own store
/// (the Redis cache of the `cache` engine, the `file` engine's folder).
pub async fn readyz(State(state): State<Arc<AppState>>) -> Reply {
    let check = async {
        state
            .readiness()
            .await
            .into_iter()
            .try_for_each(|(_, result)| result)
    };
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(())) => Reply::Json(StatusCode::OK, "{\"ready\": true}".to_owned()),
        Ok(Err(e)) => {
            state.metrics.db_error();
            if let Some(held_back) = state.warnings.not_ready.allow() {
                tracing::warn!(error = %e, held_back, "readiness check failed");
            }
            Reply::NotReady(e.to_string())
        }
        Err(_) => Reply::NotReady(
            "the database or the session store did not answer within 2 s".to_owned(),
        ),
    }
}

/// `/metrics`: Prometheus text.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Reply {
    Reply::Text(
        "text/plain; version=0.0.4; charset=utf-8",
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenapi_patterns_match_as_django_resolves_them() {
        let t = "abcdefghijklmnopqrstuvwx";
        assert_eq!(match_tokenapi("new.json"), Some(TokenapiUrl::New));
        assert_eq!(match_tokenapi("newXjson"), Some(TokenapiUrl::New));
        assert_eq!(match_tokenapi("new\njson"), None);
        assert_eq!(match_tokenapi("new.json\n"), None);
        assert_eq!(
            match_tokenapi(&format!("{t}/1.json")),
            Some(TokenapiUrl::Token {
                token: t,
                user: "1"
            })
        );
        assert_eq!(
            match_tokenapi(&format!("{t}/1xjson")),
            Some(TokenapiUrl::Token {
                token: t,
                user: "1"
            })
        );
        assert_eq!(
            match_tokenapi(&format!("{t}/1234json")),
            Some(TokenapiUrl::Token {
                token: t,
                user: "123"
            })
        );
        assert_eq!(
            match_tokenapi(&format!("{t}/\u{661}.json")),
            Some(TokenapiUrl::Token {
                token: t,
                user: "\u{661}"
            })
        );
        assert_eq!(match_tokenapi(&format!("{t}/.json")), None);
        assert_eq!(match_tokenapi(&format!("{t}/a.json")), None);
        assert_eq!(match_tokenapi(&format!("{}/1.json", &t[..23])), None);
        assert_eq!(match_tokenapi(&format!("{t}x/1.json")), None);
        assert_eq!(match_tokenapi(&format!("{t}/1.json\n")), None);
        let unicode = "ééééééééééééééééééééééé\n";
        assert_eq!(match_tokenapi(&format!("{unicode}/1.json")), None);
    }
}
