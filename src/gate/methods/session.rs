//! `session`: Django's session cookie (`SESSION_COOKIE_NAME`), read with the configured
//! engine and decided by `get_user`'s rules, as `SessionMiddleware` and
//! `AuthenticationMiddleware` would for the original request. A cookie Django would treat as
//! anonymous is "not mine". An unsafe method (the original one, as the proxy reports it) must
//! also pass `CsrfViewMiddleware`'s check ([`Browser::check_csrf`]), as DRF's
//! `SessionAuthentication` enforces.
//!
//! `/auth` never writes a session: a session whose auth hash was made with a
//! `SECRET_KEY_FALLBACKS` key is accepted (as Django accepts it) but not moved to a new key,
//! which Django does on its next request; a stale hash makes the session anonymous here and
//! is flushed by Django, not by `/auth`.

use std::sync::Arc;

use super::{Answer, AuthMethod, Credentials, Outcome, Refusal};
use crate::csrf;
use crate::gate::browser::{Browser, CsrfInput};
use crate::responses;
use crate::sessions::{Anonymous, SessionError};

/// The `session` method.
pub struct Session {
    browser: Arc<Browser>,
}

impl Session {
    /// Over the project's sessions and CSRF rules.
    pub fn new(browser: Arc<Browser>) -> Self {
        Session { browser }
    }
}

impl AuthMethod for Session {
    fn name(&self) -> &'static str {
        "session"
    }

    fn www_authenticate(&self) -> &str {
        "Session"
    }

    fn missing_message(&self) -> &'static str {
        responses::NOT_LOGGED_IN
    }

    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a> {
        let browser = &self.browser;
        let Some(cookie) = request.cookie(browser.session_cookie_name()) else {
            return Outcome::NotMine.into();
        };
        Answer::later(async move {
            let logged_in = match browser.auth.get_user(cookie, false).await {
                Ok(Ok(logged_in)) => logged_in,
                Ok(Err(Anonymous::Unreadable(why))) => {
                    // Django answers such a session with a 500; it is anonymous here.
                    tracing::warn!(reason = %why, "a session Django cannot read: anonymous");
                    return Outcome::NotMine;
                }
                Ok(Err(_anonymous)) => return Outcome::NotMine,
                Err(SessionError::Store(e)) => return Outcome::Refused(Refusal::Database(e)),
                Err(_) => return Outcome::NotMine,
            };
            let session_secret = logged_in
                .data
                .get(csrf::SESSION_KEY)
                .and_then(|v| v.as_str());
            let input = CsrfInput {
                // A method the proxy did not report is unsafe (and not a POST).
                method: request.method.as_ref().map_or("", |m| m.as_str()),
                headers: &request.headers,
                cookie: request.cookie(&browser.csrf.cookie_name),
                form_token: request.post.get(csrf::FORM_FIELD),
                session_secret,
            };
            let checked = if request.csrf_exempt {
                Ok(())
            } else {
                browser.check_csrf(&input)
            };
            match checked {
                Ok(()) => Outcome::User {
                    user: logged_in.user,
                    session_key: Some(logged_in.key),
                },
                Err(rejection) => Outcome::Refused(Refusal::Csrf(rejection.0)),
            }
        })
    }
}
