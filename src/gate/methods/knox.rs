//! `knox`: django-rest-knox's `TokenAuthentication` — `Authorization: Token <token>` (knox's
//! `AUTH_HEADER_PREFIX`, DRF's whitespace rules and messages), the rows of the token's
//! `token_key`, the SHA-512 digest compared in constant time, expired tokens cleaned up and
//! `AUTO_REFRESH` as knox does. A malformed header or an unknown token is a 401 with knox's
//! message and `WWW-Authenticate: Token`; an inactive user a 403. A token that is not UTF-8,
//! a 500 in knox, is a 401 `Invalid token.`.
//!
//! DRF's `drf-token` and knox read the same keyword: a project with both lists the method
//! most of its clients use first; the other never sees a `Token` header (the first answers
//! 401 for a key it does not know).

use std::sync::Arc;

use http::header;

use super::{Answer, AuthMethod, Credentials, Outcome, Refusal};
use crate::auth::Authenticator;
use crate::drf::TokenHeader;
use crate::gate::ServerRunner;
use crate::knox::{self, Config};
use crate::responses;
use crate::store::NaiveTimes;

/// The `knox` method.
pub struct Knox {
    auth: Arc<Authenticator<ServerRunner>>,
    config: Arc<Config>,
    times: NaiveTimes,
}

impl Knox {
    /// Over this authenticator's user store (which holds `knox_authtoken`).
    pub fn new(
        auth: Arc<Authenticator<ServerRunner>>,
        config: Arc<Config>,
        times: NaiveTimes,
    ) -> Self {
        Knox {
            auth,
            config,
            times,
        }
    }
}

impl AuthMethod for Knox {
    fn name(&self) -> &'static str {
        "knox"
    }

    fn www_authenticate(&self) -> &str {
        &self.config.auth_header_prefix
    }

    fn missing_message(&self) -> &'static str {
        responses::NOT_LOGGED_IN
    }

    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a> {
        let Some(authorization) = request.header(header::AUTHORIZATION) else {
            return Outcome::NotMine.into();
        };
        let token = match knox::parse_authorization(authorization, &self.config) {
            TokenHeader::NotMine => return Outcome::NotMine.into(),
            TokenHeader::Malformed(message) => {
                return Outcome::Refused(Refusal::Challenge(message)).into();
            }
            TokenHeader::Key(token) => token,
        };
        Answer::later(async move {
            let now = chrono::Utc::now();
            match knox::authenticate(self.auth.store(), &self.config, token, now, self.times).await
            {
                Ok(Ok((user, _))) => Outcome::user(user),
                Ok(Err(knox::INACTIVE)) => Outcome::Refused(Refusal::forbidden(knox::INACTIVE)),
                Ok(Err(message)) => Outcome::Refused(Refusal::Challenge(message)),
                Err(e) => Outcome::Refused(Refusal::Database(e)),
            }
        })
    }
}
