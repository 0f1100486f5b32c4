//! `simplejwt`: djangorestframework-simplejwt's `JWTAuthentication` — `Authorization:
//! Bearer <token>` (the exact `AUTH_HEADER_TYPES`, from the `AUTH_HEADER_NAME` header), the
//! token tried as each of `AUTH_TOKEN_CLASSES` (signature, claims, blacklist), then its user
//! from the database. A malformed header or an unusable token is a 401 with the package's
//! detail and its `WWW-Authenticate` (`Bearer realm="api"`); an inactive user a 403.

use std::sync::Arc;

use super::{Answer, AuthMethod, Credentials, Outcome, Refusal};
use crate::auth::Authenticator;
use crate::gate::ServerRunner;
use crate::responses;
use crate::simplejwt::{self, AuthFailure, Config, RawToken};

/// The `simplejwt` method.
pub struct SimpleJwt {
    auth: Arc<Authenticator<ServerRunner>>,
    config: Arc<Config>,
    challenge: String,
}

impl SimpleJwt {
    /// Over this authenticator's user store (which holds the blacklist tables).
    pub fn new(auth: Arc<Authenticator<ServerRunner>>, config: Arc<Config>) -> Self {
        let challenge = config.www_authenticate();
        SimpleJwt {
            auth,
            config,
            challenge,
        }
    }
}

impl AuthMethod for SimpleJwt {
    fn name(&self) -> &'static str {
        "simplejwt"
    }

    fn www_authenticate(&self) -> &str {
        &self.challenge
    }

    fn missing_message(&self) -> &'static str {
        responses::NOT_LOGGED_IN
    }

    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a> {
        let Some(header) = request.header(self.config.auth_header_name.as_str()) else {
            return Outcome::NotMine.into();
        };
        let raw = match simplejwt::raw_token(header, &self.config.auth_header_types) {
            RawToken::NotMine => return Outcome::NotMine.into(),
            RawToken::Malformed => {
                return Outcome::Refused(Refusal::Challenge(simplejwt::BAD_AUTHORIZATION_HEADER))
                    .into();
            }
            RawToken::Token(raw) => raw,
        };
        Answer::later(async move {
            let now = chrono::Utc::now().timestamp_micros();
            match simplejwt::authenticate(self.auth.store(), &self.config, raw, now).await {
                Ok(Ok(user)) => Outcome::user(user),
                Ok(Err(AuthFailure::Inactive)) => {
                    Outcome::Refused(Refusal::forbidden(AuthFailure::Inactive.detail()))
                }
                Ok(Err(failure)) => Outcome::Refused(Refusal::Challenge(failure.detail())),
                Err(e) => Outcome::Refused(Refusal::Database(e)),
            }
        })
    }
}
