//! `tokenapi`: django-tokenapi's `@token_required` — `user` and `token` from the form body,
//! then the query string, then `Authorization: Basic base64(user:token)` — checked as
//! tokenapi's `TokenBackend` checks them.

use std::sync::Arc;

use http::header;

use super::{Answer, AuthMethod, Credentials, Outcome, Refusal};
use crate::auth::{AuthError, Authenticator, BadCredentials};
use crate::gate::ServerRunner;
use crate::gate::params::{TokenRequired, token_required};
use crate::responses;
use crate::tokens::Verdict;

/// The `tokenapi` method.
pub struct Tokenapi {
    auth: Arc<Authenticator<ServerRunner>>,
}

impl Tokenapi {
    /// Over this authenticator's users and tokens.
    pub fn new(auth: Arc<Authenticator<ServerRunner>>) -> Self {
        Tokenapi { auth }
    }
}

impl AuthMethod for Tokenapi {
    fn name(&self) -> &'static str {
        "tokenapi"
    }

    fn www_authenticate(&self) -> &str {
        "Basic realm=\"djtoken\", charset=\"UTF-8\""
    }

    fn missing_message(&self) -> &'static str {
        responses::MISSING_TOKEN_FIELDS
    }

    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a> {
        let authorization = request.header(header::AUTHORIZATION);
        let (user, token) = match token_required(&request.post, &request.query, authorization) {
            TokenRequired::Found { user, token } => (user, token),
            TokenRequired::Missing => return Outcome::NotMine.into(),
            // tokenapi answers 400 for an undecodable Authorization header; nginx's
            // auth_request would turn a 400 into a 500, so these are a 401 challenge here,
            // with tokenapi's message.
            unreadable => return Outcome::Refused(Refusal::Challenge(unreadable.message())).into(),
        };
        Answer::later(async move {
            match self.auth.check_token(&user, &token).await {
                Ok(user) => Outcome::user(user),
                Err(AuthError::Unavailable(e)) => Outcome::Refused(Refusal::Database(e)),
                Err(AuthError::Overloaded) => Outcome::Refused(Refusal::Overloaded),
                Err(e) => Outcome::Refused(Refusal::Forbidden {
                    message: responses::WRONG_PAIR,
                    reason: why(&e),
                }),
            }
        })
    }
}

/// Why a pair was refused, for the log (tokenapi's answer is the same for all).
fn why(e: &AuthError) -> &'static str {
    match e {
        AuthError::BadCredentials(BadCredentials::NoSuchUser) => "unknown user",
        AuthError::BadCredentials(BadCredentials::Token(Verdict::Expired)) => "expired token",
        AuthError::BadCredentials(BadCredentials::Token(Verdict::Malformed)) => "malformed token",
        AuthError::BadCredentials(_) => "invalid token",
        AuthError::Inactive => "inactive user",
        AuthError::Malformed(_) => "malformed user id",
        AuthError::Overloaded | AuthError::Unavailable(_) => "server error",
    }
}
