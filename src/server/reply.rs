//! Every answer the server gives, and the one place that decides its status, headers and body.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::metrics::Route;
use crate::gate::{Decision, Refused};
use crate::responses;

/// Django's 404 page with `DEBUG = False` (4.2+).
const NOT_FOUND_PAGE: &str = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";
/// Django's 403 page for a failed CSRF check, reduced to its message.
const CSRF_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">\n  <meta name=\"robots\" content=\"NONE,NOARCHIVE\">\n  <title>403 Forbidden</title>\n</head>\n<body>\n<div id=\"summary\">\n  <h1>Forbidden <span>(403)</span></h1>\n  <p>CSRF verification failed. Request aborted.</p>\n</div>\n</body>\n</html>\n";

/// What a handler answers.
#[derive(Debug)]
pub enum Reply {
    /// tokenapi's `{"success": …}` JSON with a status.
    Json(StatusCode, String),
    /// `{"success": false, "errors": message}` with a status.
    Error(StatusCode, &'static str),
    /// Django's 404 page: no URL pattern matched.
    NotFound,
    /// Django's CSRF failure (403): an unsafe method on tokenapi's token view, which is not
    /// `csrf_exempt`.
    CsrfFailure,
    /// The body is larger than the configured limit.
    TooLarge,
    /// The client took longer than the request timeout.
    Timeout,
    /// The database or the hashing capacity is not available now; try again after the given
    /// number of seconds.
    Unavailable {
        /// `Retry-After`, in seconds.
        retry_after: u32,
    },
    /// The database does not have what the settings describe (a missing table or column):
    /// waiting will not help, so 500, and the log says what is missing.
    ServerError,
    /// `/readyz` when the database cannot serve: 503 with the reason.
    NotReady(String),
    /// `/auth`'s answer: who the user is (200, with the `X-Auth-*` headers), or the gate's
    /// refusal.
    ForwardAuth(Decision),
    /// A refusal as the gate answers it (a 503 for the database or the hashing capacity, a
    /// 500 for a database without the configured tables).
    Refused(Refused),
    /// Plain text (metrics).
    Text(&'static str, String),
    /// An answer of DRF's `obtain_auth_token`: its status and JSON, with `Allow`.
    Drf(StatusCode, String),
    /// An answer of a DRF view served in a package's place (simplejwt's, knox's): its status
    /// and JSON (none for a 204), with `Allow: POST, OPTIONS`, `Vary: Accept` (DRF's
    /// content negotiation) and, on a 401, the view's `WWW-Authenticate`.
    Api {
        /// The status.
        status: StatusCode,
        /// The JSON body; `None`: no body and no `Content-Type`, as DRF sends a 204.
        body: Option<String>,
        /// `WWW-Authenticate` on a 401 (`Bearer realm="api"`, `Token`).
        challenge: Option<String>,
    },
    /// A session endpoint's JSON answer, with the `Set-Cookie` values it sends.
    Browser {
        /// The status.
        status: StatusCode,
        /// The JSON body.
        body: String,
        /// `Set-Cookie` header values, in order.
        cookies: Vec<String>,
    },
}

/// Always present on `/auth` answers (empty when there is no user), so a proxy that copies
/// them upstream can never let a client's own copy through.
pub const USER_ID: HeaderName = HeaderName::from_static("x-auth-user-id");
/// The `USERNAME_FIELD` value, percent-encoded where not printable ASCII.
pub const USERNAME: HeaderName = HeaderName::from_static("x-auth-username");
/// The `EMAIL_FIELD` value, percent-encoded where not printable ASCII.
pub const EMAIL: HeaderName = HeaderName::from_static("x-auth-email");

/// The one place that adds what credential answers must carry, whatever produced them (a
/// handler, a 413 or 408 for the body, a 503): every `/auth` answer has
/// `Cache-Control: no-store` and all three `X-Auth-*` headers (empty unless set), so a proxy
/// that copies them upstream can never pass a client's own copy through; every answer of
/// `new.json`, which carries a token, is `no-store`, and so is every answer of the session
/// endpoints (with `Vary: Cookie`).
pub fn protect(route: Route, response: &mut Response) {
    let headers = response.headers_mut();
    match route {
        Route::Auth => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            for name in [USER_ID, USERNAME, EMAIL] {
                headers
                    .entry(name)
                    .or_insert_with(|| HeaderValue::from_static(""));
            }
        }
        Route::TokenNew | Route::DrfObtainToken | Route::SimpleJwt | Route::Knox => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Route::Session => {
            // Answers about (and cookies for) one browser's login: never cached, and what
            // they say depends on the Cookie header.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
        }
        _ => {}
    }
}

/// Header-safe text: printable ASCII as is, every other byte (and `%`) percent-encoded.
fn header_text(text: &str) -> HeaderValue {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%').add(b' ');
    if text.bytes().all(|b| b.is_ascii_graphic() && b != b'%') {
        return HeaderValue::from_str(text).expect("printable ASCII is a valid header value");
    }
    let encoded = percent_encoding::utf8_percent_encode(text, KEEP).to_string();
    HeaderValue::from_str(&encoded).expect("percent-encoded text is a valid header value")
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, body) => json(status, body),
            Reply::Error(status, message) => json(status, responses::error(message)),
            Reply::NotFound => (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                NOT_FOUND_PAGE,
            )
                .into_response(),
            Reply::CsrfFailure => (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                CSRF_PAGE,
            )
                .into_response(),
            Reply::TooLarge => Refused::too_large().into_response(),
            Reply::Timeout => json(
                StatusCode::REQUEST_TIMEOUT,
                responses::error("Request timed out."),
            ),
            Reply::Unavailable { retry_after } => Refused::unavailable(retry_after).into_response(),
            Reply::Refused(refused) => refused.into_response(),
            Reply::ServerError => Refused::server_error().into_response(),
            Reply::NotReady(reason) => json(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{{\"ready\": false, \"reason\": {}}}",
                    responses::json_string(&reason)
                ),
            ),
            Reply::Browser {
                status,
                body,
                cookies,
            } => {
                let mut response = json(status, body);
                crate::gate::login::set_cookies(response.headers_mut(), &cookies);
                response
            }
            Reply::Drf(status, body) => {
                let mut response = json(status, body);
                response.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static(crate::drf::obtain::ALLOW),
                );
                response
            }
            Reply::Api {
                status,
                body,
                challenge,
            } => {
                let mut response = match body {
                    Some(body) => json(status, body),
                    None => status.into_response(),
                };
                let headers = response.headers_mut();
                headers.insert(
                    header::ALLOW,
                    HeaderValue::from_static(crate::simplejwt::views::ALLOW),
                );
                headers.insert(header::VARY, HeaderValue::from_static("Accept"));
                if status == StatusCode::UNAUTHORIZED
                    && let Some(Ok(value)) = challenge.as_deref().map(HeaderValue::from_str)
                {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Reply::Text(content_type, body) => {
                (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
            }
            Reply::ForwardAuth(Decision::Allowed(user)) => {
                // Cache-Control and the empty X-Auth-* headers are added by `protect`.
                let mut response = json(StatusCode::OK, responses::SUCCESS.to_owned());
                let headers = response.headers_mut();
                headers.insert(USER_ID, header_text(&user.pk.to_string()));
                headers.insert(USERNAME, header_text(&user.username));
                headers.insert(EMAIL, header_text(&user.email));
                response
            }
            Reply::ForwardAuth(Decision::Refused(refused)) => refused.into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_keeps_ascii_and_encodes_the_rest() {
        assert_eq!(header_text("alice@example.com"), "alice@example.com");
        assert_eq!(header_text("jörg 100%"), "j%C3%B6rg%20100%25");
        assert_eq!(header_text("a\r\nX-Evil: 1"), "a%0D%0AX-Evil:%201");
    }
}
