//! [`DjangoUser`] as an axum extractor, behind the tower layer ([`super::layer`]).
//!
//! `DjangoUser` in a handler's arguments: the user the layer found, or the layer's refusal
//! (`/auth`'s answer: 401 with the challenge for missing credentials, 403 for wrong ones,
//! 503 while the database is down). `Option<DjangoUser>`: the user, or `None` for an anonymous
//! request. Either needs the layer in front of the handler; without it the request is
//! answered 500, and the log says why.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::{DjangoUser, Refused};

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
