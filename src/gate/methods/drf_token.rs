//! `drf-token`: Django REST framework's `TokenAuthentication` — `Authorization: Token <key>`
//! (DRF's keyword and whitespace rules, [`crate::drf`]), the key looked up in
//! `authtoken_token` by the database, the user active. DRF answers every failure with 401;
//! here a malformed header or an unknown key is a 401 with DRF's message and
//! `WWW-Authenticate: Token`, and an inactive user a 403, as the forward-auth answers go.
//!
//! DRF and django-rest-knox both use the `Token` keyword: a project with both lists the one
//! its clients mostly use first (a key the first does not know is a 401 from it).

use std::sync::Arc;

use http::header;

use super::{Answer, AuthMethod, Credentials, Outcome, Refusal};
use crate::auth::Authenticator;
use crate::drf::{self, TokenHeader};
use crate::gate::ServerRunner;
use crate::responses;

/// The `drf-token` method.
pub struct DrfToken {
    auth: Arc<Authenticator<ServerRunner>>,
}

impl DrfToken {
    /// Over this authenticator's user store (which holds `authtoken_token`).
    pub fn new(auth: Arc<Authenticator<ServerRunner>>) -> Self {
        DrfToken { auth }
    }
}

impl AuthMethod for DrfToken {
    fn name(&self) -> &'static str {
        "drf-token"
    }

    fn www_authenticate(&self) -> &str {
        drf::KEYWORD
    }

    fn missing_message(&self) -> &'static str {
        responses::NOT_LOGGED_IN
    }

    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a> {
        let Some(authorization) = request.header(header::AUTHORIZATION) else {
            return Outcome::NotMine.into();
        };
        let key = match drf::parse_authorization(authorization, drf::KEYWORD) {
            TokenHeader::NotMine => return Outcome::NotMine.into(),
            TokenHeader::Malformed(message) => {
                return Outcome::Refused(Refusal::Challenge(message)).into();
            }
            TokenHeader::Key(key) => key,
        };
        Answer::later(async move {
            match drf::user_of_key(self.auth.store(), key).await {
                Ok(Ok(user)) => Outcome::user(user),
                Ok(Err(drf::INACTIVE)) => Outcome::Refused(Refusal::forbidden(drf::INACTIVE)),
                Ok(Err(message)) => Outcome::Refused(Refusal::Challenge(message)),
                Err(e) => Outcome::Refused(Refusal::Database(e)),
            }
        })
    }
}
