//! Django REST framework's `obtain_auth_token` at `serve.drf_obtain_token_path`: DRF's
//! parsing and answers ([`crate::drf::obtain`]), the password checked as `/token/new.json`
//! checks it (throttle, django-axes, hashing slots, rehash), and the user's key made as
//! `Token.objects.get_or_create` makes it.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};

use super::handlers::{LoginFailure, database_error, password_login, read_body};
use super::metrics::Route;
use super::reply::Reply;
use super::request::post_params;
use super::{AppState, Peer};
use crate::drf::obtain::{self, Read};
use crate::drf::parsers;

/// `POST` username and password (form fields or JSON): `{"token":"<key>"}`.
pub async fn obtain_auth_token(
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> (Extension<Route>, Reply) {
    (
        Extension(Route::DrfObtainToken),
        answer(&state, peer.map(|p| p.0), method, headers, body).await,
    )
}

fn drf(status: u16, body: String) -> Reply {
    Reply::Drf(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

async fn answer(
    state: &AppState,
    peer: Option<Peer>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    if method == Method::OPTIONS {
        return drf(200, obtain::METADATA.to_owned());
    }
    if method != Method::POST {
        return drf(405, obtain::method_not_allowed(method.as_str()));
    }
    let body = match ApiBody::read(state, &headers, body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let submitted = body.submitted();
    let (username, password) = match obtain::read(submitted) {
        Read::Credentials { username, password } => (username, password),
        Read::Answer(status, body) => return drf(status, body),
    };
    let user = match password_login(state, peer, &headers, &username, &password).await {
        Ok(user) => user,
        Err(LoginFailure::Refused(refused)) => return Reply::Refused(refused),
        Err(LoginFailure::Wrong(_)) => return drf(400, obtain::unable_to_log_in()),
    };
    let store = state.auth.store();
    match crate::drf::key_for(store, &user, chrono::Utc::now(), state.times).await {
        Ok(key) => drf(200, obtain::token(&key)),
        Err(e) => database_error(state, &e),
    }
}

/// A request body as DRF's parsers receive it: the media type, the form fields when it is a
/// form, the bytes.
pub(super) struct ApiBody {
    content_type: Option<String>,
    media: Option<String>,
    form: Vec<(String, String)>,
    bytes: axum::body::Bytes,
}

impl ApiBody {
    /// Read the body (within the limits), and the form fields of a form.
    pub(super) async fn read(
        state: &AppState,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<ApiBody, Reply> {
        let bytes = read_body(state, headers, body).await?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| crate::wire::latin1::decode(v.as_bytes()));
        let media = content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase());
        let form = match media.as_deref() {
            Some("application/x-www-form-urlencoded" | "multipart/form-data") => {
                post_params(headers, bytes.clone())
                    .await
                    .pairs()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(ApiBody {
            content_type,
            media,
            form,
            bytes,
        })
    }

    /// What the parsers see.
    pub(super) fn submitted(&self) -> parsers::Submitted<'_> {
        use parsers::Submitted;
        match self.media.as_deref() {
            Some("application/x-www-form-urlencoded" | "multipart/form-data") => {
                Submitted::Form(&self.form)
            }
            Some("application/json") => Submitted::Json(&self.bytes),
            None | Some("") if self.bytes.is_empty() => Submitted::Nothing,
            _ => Submitted::Unsupported(self.content_type.as_deref().unwrap_or("")),
        }
    }
}
