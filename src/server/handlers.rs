//! The handlers: tokenapi's two views, forward auth, and the operational endpoints.

use std::sync::Arc;
use std::time::Duration;

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
use super::{AppState, Peer};
use crate::auth::AuthError;
pub(super) use crate::gate::LoginFailure;
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
    state.gate.server_side(e).map(Reply::Refused)
}

pub(super) fn database_error(state: &AppState, e: &StoreError) -> Reply {
    Reply::Refused(state.gate.database_error(e))
}

/// A login by username and password ([`Gate::password_login`](crate::gate::Gate::password_login)),
/// for the client this request comes from.
pub(super) async fn password_login(
    state: &AppState,
    peer: Option<Peer>,
    headers: &HeaderMap,
    username: &str,
    password: &str,
) -> Result<crate::user::User, LoginFailure> {
    let client = state.gate.client(headers, peer.map(|p| p.0));
    state.gate.password_login(&client, username, password).await
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
        Err(LoginFailure::Refused(refused)) => Reply::Refused(refused),
        Err(LoginFailure::Wrong(_)) => {
            Reply::Error(StatusCode::UNAUTHORIZED, responses::LOGIN_FAILED)
        }
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
