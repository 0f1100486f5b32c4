//! knox's `LoginView`, `LogoutView` and `LogoutAllView` at the project's paths
//! (`serve.knox_*_path`). As in DRF, the request is authenticated before anything else: the
//! login view with Basic credentials (DRF's `BasicAuthentication`, checked as
//! `/token/new.json` checks a password: throttle, django-axes, hashing slots, rehash), the
//! logout views with a knox token. Then OPTIONS answers the view's metadata, POST does the
//! view's work, and any other method is a 405.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::routing::{MethodRouter, any};

use super::handlers::{LoginFailure, database_error, password_login};
use super::metrics::Route;
use super::reply::Reply;
use super::{AppState, Peer};
use crate::drf::parsers::{detail, method_not_allowed};
use crate::drf::{self, BasicHeader, TokenHeader};
use crate::knox;

/// One of knox's views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// `LoginView`: a new token for the authenticated user.
    Login,
    /// `LogoutView`: the token used is deleted.
    Logout,
    /// `LogoutAllView`: every token of its user is deleted.
    LogoutAll,
}

impl View {
    /// `SimpleMetadata` of the view.
    fn metadata(self) -> String {
        knox::metadata(match self {
            View::Login => "Login",
            View::Logout => "Logout",
            View::LogoutAll => "Logout All",
        })
    }
}

/// How knox's `LoginView` authenticates: its `authentication_classes` are
/// `REST_FRAMEWORK`'s `DEFAULT_AUTHENTICATION_CLASSES`.
#[derive(Clone, Copy, Debug)]
pub struct LoginAuthentication {
    /// Whether it takes Basic credentials (`BasicAuthentication` is one of the classes).
    pub basic: bool,
    /// The challenge of its refusals, the first class's (`None`: a 403).
    pub challenge: Option<&'static str>,
}

impl LoginAuthentication {
    /// From `REST_FRAMEWORK`.
    pub fn from_settings(settings: &crate::settings::RestFrameworkSettings) -> Self {
        let classes = &settings.default_authentication_classes;
        let basic = classes
            .iter()
            .any(|c| c == "rest_framework.authentication.BasicAuthentication");
        let challenge = match classes.first().map(String::as_str) {
            Some("rest_framework.authentication.BasicAuthentication") => {
                Some(crate::drf::BASIC_CHALLENGE)
            }
            Some(
                "knox.auth.TokenAuthentication"
                | "rest_framework.authentication.TokenAuthentication",
            ) => Some("Token"),
            _ => None,
        };
        LoginAuthentication { basic, challenge }
    }
}

/// The route of one view: `any` method, answered by [`serve`].
pub fn route(view: View) -> MethodRouter<Arc<AppState>> {
    any(
        move |state: State<Arc<AppState>>,
              peer: Option<Extension<Peer>>,
              method: Method,
              headers: HeaderMap| serve(view, state, peer, method, headers),
    )
}

async fn serve(
    view: View,
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    method: Method,
    headers: HeaderMap,
) -> (Extension<Route>, Reply) {
    (
        Extension(Route::Knox),
        answer(view, &state, peer.map(|p| p.0), method, headers).await,
    )
}

fn api(status: StatusCode, body: Option<String>, challenge: Option<&str>) -> Reply {
    Reply::Api {
        status,
        body,
        challenge: challenge.map(str::to_owned),
    }
}

/// DRF's answer to an `AuthenticationFailed` / `NotAuthenticated`: 401 with the first
/// class's challenge, or 403 when it has none.
fn refused(message: &str, challenge: Option<&str>) -> Reply {
    let status = match challenge {
        Some(_) => StatusCode::UNAUTHORIZED,
        None => StatusCode::FORBIDDEN,
    };
    api(status, Some(detail(message)), challenge)
}

async fn answer(
    view: View,
    state: &AppState,
    peer: Option<Peer>,
    method: Method,
    headers: HeaderMap,
) -> Reply {
    let config = state
        .knox
        .as_ref()
        .expect("the views are routed only with a knox configuration");
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let store = state.auth.store();
    let now = chrono::Utc::now();
    // APIView.initial: authentication, then IsAuthenticated.
    let (user, digest, challenge) = if view == View::Login {
        let challenge = state.knox_login.challenge;
        let credentials = if state.knox_login.basic {
            drf::parse_basic(authorization)
        } else {
            BasicHeader::NotMine
        };
        match credentials {
            BasicHeader::NotMine => return refused(crate::responses::NOT_LOGGED_IN, challenge),
            BasicHeader::Malformed(message) => return refused(message, challenge),
            BasicHeader::Credentials { username, password } => {
                match password_login(state, peer, &headers, &username, &password).await {
                    Ok(user) => (user, None, challenge),
                    Err(LoginFailure::Refused(refused)) => return Reply::Refused(refused),
                    Err(LoginFailure::Wrong(_)) => {
                        return refused(drf::INVALID_USERNAME_PASSWORD, challenge);
                    }
                }
            }
        }
    } else {
        let challenge = Some(config.auth_header_prefix.as_str());
        match knox::parse_authorization(authorization, config) {
            TokenHeader::NotMine => return refused(crate::responses::NOT_LOGGED_IN, challenge),
            TokenHeader::Malformed(message) => return refused(message, challenge),
            TokenHeader::Key(token) => {
                match knox::authenticate(store, config, token, now, state.times).await {
                    Ok(Ok((user, digest))) => (user, Some(digest), challenge),
                    Ok(Err(message)) => return refused(message, challenge),
                    Err(e) => {
                        return database_error(state, &e);
                    }
                }
            }
        }
    };
    if method == Method::OPTIONS {
        return api(StatusCode::OK, Some(view.metadata()), challenge);
    }
    if method != Method::POST {
        return api(
            StatusCode::METHOD_NOT_ALLOWED,
            Some(method_not_allowed(method.as_str())),
            challenge,
        );
    }
    let done = match view {
        View::Login => match knox::login(store, config, &user, now, state.times).await {
            Ok(knox::Login::Created { token, expiry }) => {
                let expiry = expiry
                    .map(|at| knox::expiry_text(at, state.times.use_tz, state.times.time_zone));
                Ok(api(
                    StatusCode::OK,
                    Some(knox::login_answer(expiry.as_deref(), &token)),
                    challenge,
                ))
            }
            Ok(knox::Login::LimitExceeded) => Ok(api(
                StatusCode::FORBIDDEN,
                Some(knox::LIMIT_EXCEEDED.to_owned()),
                challenge,
            )),
            Err(e) => Err(e),
        },
        View::Logout => {
            let digest = digest.expect("a knox-authenticated request has its token's digest");
            knox::logout(store, &digest, state.times)
                .await
                .map(|()| api(StatusCode::NO_CONTENT, None, challenge))
        }
        View::LogoutAll => knox::logout_all(store, &user, state.times)
            .await
            .map(|_| api(StatusCode::NO_CONTENT, None, challenge)),
    };
    done.unwrap_or_else(|e| database_error(state, &e))
}
