//! The authentication methods of `/auth`, in the shape of DRF's authentication classes.
//!
//! Each method reads the request's [`Credentials`] (parsed once, shared by all) and answers
//! one of three things: [`Outcome::NotMine`] (no credentials of its kind), [`Outcome::User`],
//! or [`Outcome::Refused`] (its kind of credentials, and wrong). `/auth` asks the configured
//! methods in order; the first that is not "not mine" decides, and when every method says
//! "not mine" the answer is 401 with the first method's challenge. A method never knows about
//! the others, and the handler knows no method.
//!
//! Adding a method: a file here with a type implementing [`AuthMethod`], and one arm in
//! [`build`] naming it.

mod drf_token;
mod knox;
mod session;
mod simplejwt;
mod tokenapi;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderMap, Method, header};

use super::ServerRunner;
use super::browser::Browser;
use super::params::Params;
use crate::auth::Authenticator;
use crate::settings::{Settings, SettingsError};
use crate::store::StoreError;
use crate::user::User;

pub use drf_token::DrfToken;
pub use knox::Knox;
pub use session::Session;
pub use simplejwt::SimpleJwt;
pub use tokenapi::Tokenapi;

/// What one method makes of a request.
#[derive(Debug)]
pub enum Outcome {
    /// No credentials of this method's kind: ask the next method.
    NotMine,
    /// The credentials name this active user (for the `session` method, with the session's
    /// key).
    User {
        /// The user.
        user: User,
        /// The session's key, for the `session` method.
        session_key: Option<String>,
    },
    /// The credentials are this method's, and they do not authenticate anyone.
    Refused(Refusal),
}

/// Why a method refused.
#[derive(Debug)]
pub enum Refusal {
    /// Unreadable credentials of this kind: 401 with the method's challenge and this message.
    Challenge(&'static str),
    /// Wrong credentials, an unknown or inactive user: 403 with `message`; `reason` is what
    /// the log says (tokenapi answers every refusal alike, its log tells them apart).
    Forbidden {
        /// The answer's message.
        message: &'static str,
        /// Why, for the operator: never the credential.
        reason: &'static str,
    },
    /// No hashing capacity left within the configured wait: 503.
    Overloaded,
    /// The database could not answer: 503 when it is down or slow, 500 when it does not have
    /// the configured tables.
    Database(StoreError),
    /// A session-authenticated unsafe request without what Django's CSRF check wants: 403
    /// with Django's reason.
    Csrf(String),
}

impl Refusal {
    /// A 403 whose message says why.
    pub fn forbidden(message: &'static str) -> Self {
        Refusal::Forbidden {
            message,
            reason: message,
        }
    }

    /// Why the request was refused, as the log says it (`None`: not about the credentials,
    /// and logged on its own).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Refusal::Challenge(message) => Some(message),
            Refusal::Forbidden { reason, .. } => Some(reason),
            Refusal::Csrf(reason) => Some(reason),
            Refusal::Overloaded | Refusal::Database(_) => None,
        }
    }
}

/// What a method's [`AuthMethod::authenticate`] gives: an outcome decided from the request
/// alone (no credentials of its kind, or unreadable ones), or a lookup on its way. Most
/// methods a request meets are not its method: they answer at once, with nothing allocated.
pub enum Answer<'a> {
    /// Decided without a lookup.
    Ready(Outcome),
    /// A lookup (the database, the session store, the hashing slots).
    Later(Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>),
}

impl<'a> Answer<'a> {
    /// A lookup's answer.
    pub fn later(lookup: impl Future<Output = Outcome> + Send + 'a) -> Self {
        Answer::Later(Box::pin(lookup))
    }

    /// The outcome, once the lookup (if any) is done.
    pub async fn outcome(self) -> Outcome {
        match self {
            Answer::Ready(outcome) => outcome,
            Answer::Later(lookup) => lookup.await,
        }
    }
}

impl From<Outcome> for Answer<'_> {
    fn from(outcome: Outcome) -> Self {
        Answer::Ready(outcome)
    }
}

/// One way of authenticating a request (DRF's `BaseAuthentication`).
pub trait AuthMethod: Send + Sync {
    /// The method's name in `AUTHENTICATION_METHODS`.
    fn name(&self) -> &'static str;

    /// The `WWW-Authenticate` value of a 401 this method causes.
    fn www_authenticate(&self) -> &str;

    /// The message of the 401 when no method found credentials and this one is first.
    fn missing_message(&self) -> &'static str;

    /// Look at the request.
    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a>;
}

/// The names [`build`] knows.
pub const METHODS: &[&str] = &["tokenapi", "session", "drf-token", "simplejwt", "knox"];

/// The methods `AUTHENTICATION_METHODS` lists, in order, over one authenticator and, for the
/// `session` method, the project's sessions (`browser`, over the same user store), for the
/// `simplejwt` and `knox` methods their configurations.
pub fn build(
    settings: &Settings,
    auth: &Arc<Authenticator<ServerRunner>>,
    browser: Option<&Arc<Browser>>,
    simplejwt: Option<&Arc<crate::simplejwt::Config>>,
    knox: Option<&Arc<crate::knox::Config>>,
) -> Result<Vec<Box<dyn AuthMethod>>, SettingsError> {
    let times = crate::store::NaiveTimes {
        use_tz: settings.use_tz,
        time_zone: settings.time_zone()?,
    };
    settings
        .authentication_methods
        .iter()
        .map(|name| -> Result<Box<dyn AuthMethod>, SettingsError> {
            match name.trim() {
                "tokenapi" => Ok(Box::new(Tokenapi::new(Arc::clone(auth)))),
                "drf-token" => Ok(Box::new(DrfToken::new(Arc::clone(auth)))),
                "knox" => Ok(Box::new(Knox::new(
                    Arc::clone(auth),
                    Arc::clone(knox.expect("built when the knox method is configured")),
                    times,
                ))),
                "simplejwt" => Ok(Box::new(SimpleJwt::new(
                    Arc::clone(auth),
                    Arc::clone(simplejwt.expect("built when the simplejwt method is configured")),
                ))),
                "session" => Ok(Box::new(Session::new(Arc::clone(
                    browser.expect("built when the session method is configured"),
                )))),
                other => Err(SettingsError::Invalid {
                    key: "AUTHENTICATION_METHODS",
                    message: format!(
                        "unknown authentication method {other:?}: expected {}",
                        METHODS.join(", ")
                    ),
                }),
            }
        })
        .collect()
}

impl Outcome {
    /// The credentials name `user` (a token method's answer).
    pub fn user(user: User) -> Self {
        Outcome::User {
            user,
            session_key: None,
        }
    }
}

/// Everything a method may read from a request (the forward-auth request's original, for
/// `/auth`), parsed once.
#[derive(Debug, Default)]
pub struct Credentials {
    /// The original request's query string (`GET`): from the one configured forwarded-URI
    /// header, else this request's own.
    pub query: Params,
    /// The form fields of a urlencoded or multipart body (`POST`).
    pub post: Params,
    /// The original request's method, from the one configured method header (else this
    /// request's own); `None` when the proxy did not report one: an unsafe method.
    pub method: Option<Method>,
    /// The request headers (`Authorization` and the rest).
    pub headers: HeaderMap,
    /// The cookies, as Django's `parse_cookie` reads the `Cookie` header.
    pub cookies: Vec<(String, String)>,
    /// The route is exempt from the `session` method's CSRF check (`csrf_exempt`): the tower
    /// layer's choice per route; never for `/auth`.
    pub csrf_exempt: bool,
}

impl Credentials {
    /// The credentials of a request: its method (`None` when unknown: an unsafe method),
    /// query string, headers (the cookies read from them) and form fields.
    pub fn new(method: Option<Method>, query: &[u8], headers: HeaderMap, post: Params) -> Self {
        Credentials {
            query: Params::urlencoded(query),
            post,
            method,
            cookies: request_cookies(&headers),
            headers,
            csrf_exempt: false,
        }
    }

    /// A header's raw bytes.
    pub fn header(&self, name: impl header::AsHeaderName) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }

    /// `request.COOKIES.get(name)`: the last cookie of that name.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        crate::wire::cookie::find_cookie(&self.cookies, name)
    }
}

/// The request's cookies as Django's `request.COOKIES` reads them: WSGI hands Django each
/// header as latin-1 text, and several `Cookie` headers are joined. (Most forward-auth
/// requests carry no cookie: nothing to allocate for them.)
pub fn request_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    if !headers.contains_key(header::COOKIE) {
        return Vec::new();
    }
    let joined: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .map(|v| crate::wire::latin1::decode(v.as_bytes()))
        .collect();
    crate::wire::cookie::parse_cookie(&joined.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requests_cookie_is_the_last_of_its_name() {
        let cookies = crate::wire::cookie::parse_cookie(
            "sessionid=abc; csrftoken=x=y;  bare ;;a=\"q\"; sessionid=def",
        );
        let request = Credentials {
            cookies,
            ..Credentials::default()
        };
        assert_eq!(request.cookie("sessionid"), Some("def"));
        assert_eq!(request.cookie("nope"), None);
    }
}
