//! simplejwt's four views at the project's paths (`serve.jwt_*_path`): DRF's parsing and
//! simplejwt's answers ([`crate::simplejwt::views`]); obtain-pair checks the password as
//! `/token/new.json` does (throttle, django-axes, hashing slots, rehash), the others read and
//! write the blacklist tables through [`crate::simplejwt::answer`].

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{MethodRouter, any};

use super::drf_views::ApiBody;
use super::handlers::{LoginFailure, database_error, password_login};
use super::metrics::Route;
use super::reply::Reply;
use super::{AppState, Peer};
use crate::simplejwt::views::{self, View};

/// The route of one view: `any` method, answered by [`serve`].
pub fn route(view: View) -> MethodRouter<Arc<AppState>> {
    any(
        move |state: State<Arc<AppState>>,
              peer: Option<Extension<Peer>>,
              method: Method,
              headers: HeaderMap,
              body: Body| serve(view, state, peer, method, headers, body),
    )
}

async fn serve(
    view: View,
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<Peer>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> (Extension<Route>, Reply) {
    (
        Extension(Route::SimpleJwt),
        answer(view, &state, peer.map(|p| p.0), method, headers, body).await,
    )
}

async fn answer(
    view: View,
    state: &AppState,
    peer: Option<Peer>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let config = state
        .simplejwt
        .as_ref()
        .expect("the views are routed only with a simplejwt configuration");
    let reply = |(status, body): (u16, String)| Reply::Api {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body: Some(body),
        challenge: Some(config.www_authenticate()),
    };
    let username_field = state.auth.store().model().username_field.clone();
    if method == Method::OPTIONS {
        return reply((200, view.metadata(&username_field)));
    }
    if method != Method::POST {
        return reply((405, views::method_not_allowed(method.as_str())));
    }
    let body = match ApiBody::read(state, &headers, body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let fields = match views::read(view, &username_field, body.submitted()) {
        Ok(fields) => fields,
        Err(answer) => return reply(answer),
    };
    let store = state.auth.store();
    let now = chrono::Utc::now().timestamp_micros();
    let answered = if view == View::ObtainPair {
        let user = match password_login(state, peer, &headers, &fields[0], &fields[1]).await {
            Ok(user) => Some(user),
            Err(LoginFailure::Refused(refused)) => return Reply::Refused(refused),
            Err(LoginFailure::Wrong(_)) => None,
        };
        crate::simplejwt::obtain_answer(store, config, user.as_ref(), now, state.times).await
    } else {
        crate::simplejwt::answer(view, store, config, &fields[0], now, state.times).await
    };
    match answered {
        Ok(answer) => reply(answer),
        Err(e) => database_error(state, &e),
    }
}
