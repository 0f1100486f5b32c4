//! Logins and logouts, as Django's views make them, for every view that takes a password
//! (`djtoken serve`'s tokenapi, DRF, simplejwt, knox and session views, and a Rust service's
//! own through the axum extractors).
//!
//! - [`Gate::password_login`]: `authenticate()` by username and password — djtoken's login
//!   throttle and django-axes' lockouts before the password, then the configured hashers
//!   through the hashing slots, with the configured rehash.
//! - [`Gate::browser_session`]: the browser's session for a request, with
//!   `CsrfViewMiddleware`'s check before the view; then [`BrowserSession::login`] (Django's
//!   `login()`: the session cycled or flushed, `last_login`, a rotated CSRF secret) or
//!   [`BrowserSession::logout`] (`logout()`), each giving the cookies to set.
//! - [`Gate::csrf_token`]: `get_token()`, for a page that renders a form.
//!
//! Every refusal is a [`Refused`], with the cookies Django would set on it (a malformed CSRF
//! cookie replaced).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::Value;

use super::browser::{Browser, CsrfInput};
use super::methods::request_cookies;
use super::throttle::Account;
use super::{DjangoUser, Gate, Params, Refused};
use crate::auth::{AuthError, BadCredentials};
use crate::axes::AxesAttempt;
use crate::csrf::{self, CsrfConfig};
use crate::responses;
use crate::sessions::{MODEL_BACKEND, SessionData, SessionError};
use crate::user::User;
use crate::wire::cookie::find_cookie as cookie;

/// Who is logging in, as the throttle and django-axes see it.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// The client's address: the last one in `serve.client_address_header` (what the proxy
    /// wrote or appended), else the connection's own.
    pub address: Option<IpAddr>,
    /// `User-Agent`, as Django's `request.META` holds it (latin-1 text).
    pub user_agent: Option<String>,
}

/// Why a password login gave no user.
#[derive(Debug)]
pub enum LoginFailure {
    /// An answer that is not about the credentials: throttled (429), locked out by
    /// django-axes (429), no hashing capacity or the database down (503), a database without
    /// the configured tables (500).
    Refused(Refused),
    /// Wrong credentials or an inactive user (counted as a failure by the throttle). Each
    /// view words this its own way.
    Wrong(AuthError),
}

/// What Django's login views read of a request: its method, headers (`Cookie`, `Origin`,
/// `Referer`, `Host`, `X-CSRFToken`, `User-Agent`, the client's address header), the fields
/// of its form body (`csrfmiddlewaretoken`) and the connection's address.
#[derive(Clone, Copy, Debug)]
pub struct BrowserRequest<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's headers.
    pub headers: &'a HeaderMap,
    /// The fields of an urlencoded or multipart body (none for another body).
    pub post: &'a Params,
    /// The connection's address, when the service knows it.
    pub peer: Option<SocketAddr>,
}

/// A browser's session as a view finds it, after `CsrfViewMiddleware` let the request in.
pub struct BrowserSession {
    cookies: Vec<(String, String)>,
    /// The session behind the cookie, when Django would find one.
    session: Option<(String, SessionData)>,
    client: Client,
}

/// A login: the user, the cookies to set (the session's, and the rotated CSRF cookie unless
/// `CSRF_USE_SESSIONS`), and a token of the new CSRF secret for the next form.
#[derive(Debug)]
pub struct LoggedIn {
    /// The user, with `method` `session` and the new session's key.
    pub user: DjangoUser,
    /// A masked token of the rotated CSRF secret (what `{% csrf_token %}` would now render).
    pub csrf_token: String,
    /// `Set-Cookie` values, in order.
    pub cookies: Vec<String>,
}

/// A logout: the session deleted, and the cookie deleting it (none when none was sent).
#[derive(Debug)]
pub struct LoggedOut {
    /// `Set-Cookie` values.
    pub cookies: Vec<String>,
}

/// `get_token()`: a masked CSRF token for a form, and the cookie that holds its secret
/// ([`Gate::csrf_token`]; with feature `axum`, an extractor that takes the [`Gate`] from the
/// router's state and returns its cookie as part of the handler's answer).
#[derive(Debug)]
pub struct CsrfToken {
    /// The masked token: `csrfmiddlewaretoken`'s value, or `X-CSRFToken`'s.
    pub token: String,
    /// `Set-Cookie` values: the CSRF cookie (or, under `CSRF_USE_SESSIONS`, the session
    /// cookie of the session the secret was saved in, when it is new).
    pub cookies: Vec<String>,
}

/// Append `Set-Cookie` headers; a value that cannot be a header (built from a setting with a
/// newline, say) is dropped, not sent broken.
pub fn set_cookies(headers: &mut HeaderMap, cookies: &[String]) {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// The backend `authenticate()` would record for a password login: the first of
/// `AUTHENTICATION_BACKENDS` that can check a password (every one but tokenapi's, which
/// takes a pk and a token); Django's `ModelBackend` when none is listed.
fn password_backend(backends: &[String]) -> &str {
    backends
        .iter()
        .map(String::as_str)
        .find(|b| *b != "tokenapi.backends.TokenBackend")
        .unwrap_or(MODEL_BACKEND)
}

impl Gate {
    /// Who is logging in: the client's address (the last one in the configured header, else
    /// `peer`) and its `User-Agent`.
    pub fn client(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Client {
        let from_header = self.client_address_header.as_ref().and_then(|name| {
            let last = headers.get_all(name).iter().next_back()?.to_str().ok()?;
            let text = last.rsplit(',').next()?.trim();
            text.parse::<IpAddr>()
                .ok()
                .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        });
        Client {
            address: from_header.or(peer.map(|p| p.ip())),
            user_agent: headers
                .get(header::USER_AGENT)
                .map(|v| crate::wire::latin1::decode(v.as_bytes())),
        }
    }

    /// Whether a login needs the connection's address (for the throttle or django-axes).
    pub fn needs_peer(&self) -> bool {
        self.throttle.is_on() || self.axes.is_some()
    }

    /// 429: too many failed logins (djtoken's throttle, or django-axes' lockout), and a
    /// warning.
    pub fn throttled(&self, wait: Option<Duration>) -> Refused {
        if let Some(held_back) = self.warnings.login_throttled.allow() {
            tracing::warn!(held_back, "login refused: too many failed logins");
        }
        Refused::throttled(wait)
    }

    /// django-axes' verdict on this login, when the project uses axes.
    async fn axes_refusal(&self, username: &str, client: &Client) -> Option<Refused> {
        let axes = self.axes.as_ref()?;
        let ip = client.address.map(|ip| ip.to_string());
        let attempt = AxesAttempt {
            username,
            ip_address: ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
        };
        let now = chrono::Utc::now().naive_utc();
        match axes.check(self.auth.store(), &attempt, now).await {
            Ok(None) => None,
            Ok(Some(locked)) => {
                self.log_refusal("login", "password", "locked out by django-axes");
                Some(self.throttled(locked.retry_after))
            }
            Err(e) => Some(self.database_error(&e)),
        }
    }

    /// The answer for an authentication error that is not about the credentials.
    pub(crate) fn server_side(&self, e: &AuthError) -> Option<Refused> {
        match e {
            AuthError::Overloaded => Some(self.overloaded()),
            AuthError::Unavailable(e) => Some(self.database_error(e)),
            _ => None,
        }
    }

    /// A login by username and password, as every login view makes it: the user looked up,
    /// djtoken's throttle (counted against the user found, or the text for none) and
    /// django-axes' lockouts before the password, then `ModelBackend.authenticate` through
    /// the hashing slots (with the configured rehash).
    pub async fn password_login(
        &self,
        client: &Client,
        username: &str,
        password: &str,
    ) -> Result<User, LoginFailure> {
        // The database decides which spellings name the user (collations, citext): the
        // throttle counts by the user it found.
        let found = match self.auth.login_user(username).await {
            Ok(found) => found,
            Err(e) => {
                let refused = self.server_side(&e).unwrap_or_else(Refused::server_error);
                return Err(LoginFailure::Refused(refused));
            }
        };
        let account = match &found {
            Some(user) => Account::User(&user.pk),
            None => Account::Unknown(username),
        };
        let attempt = match self.throttle.begin(account, client.address, Instant::now()) {
            Ok(attempt) => attempt,
            Err(wait) => {
                self.log_refusal("login", "password", "throttled");
                return Err(LoginFailure::Refused(self.throttled(Some(wait))));
            }
        };
        if let Some(refusal) = self.axes_refusal(username, client).await {
            self.throttle.undecided(attempt);
            return Err(LoginFailure::Refused(refusal));
        }
        match self.auth.check_login(found, password.as_bytes()).await {
            Ok(user) => {
                self.throttle.succeeded(attempt);
                Ok(user)
            }
            Err(e) => {
                if let Some(refused) = self.server_side(&e) {
                    self.throttle.undecided(attempt);
                    return Err(LoginFailure::Refused(refused));
                }
                // A failure: it stays counted.
                let reason = match e {
                    AuthError::BadCredentials(BadCredentials::NoSuchUser) => "unknown user",
                    AuthError::BadCredentials(BadCredentials::UnreadableHash) => {
                        "unreadable password hash"
                    }
                    AuthError::Inactive => "inactive user",
                    _ => "wrong password",
                };
                self.log_refusal("login", "password", reason);
                if matches!(e, AuthError::BadCredentials(BadCredentials::UnreadableHash))
                    && let Some(held_back) = self.warnings.unreadable_hash.allow()
                {
                    tracing::warn!(
                        held_back,
                        "a stored password hash could not be read; login refused"
                    );
                }
                Err(LoginFailure::Wrong(e))
            }
        }
    }

    /// A session store's failure as an answer: 503 while the database, cache or directory
    /// is down (500 for a database without the table), 400 for a session deleted meanwhile
    /// (Django's `SessionInterrupted`) or one whose data cannot be read back (where Django
    /// answers 500), 500 for the rest (logged).
    pub fn session_error(&self, e: SessionError) -> Refused {
        match e {
            SessionError::Store(e) => self.database_error(&e),
            SessionError::Vanished => Refused::bad_request(responses::SESSION_INTERRUPTED),
            SessionError::Unreadable(why) => {
                tracing::warn!(reason = %why, "a session that cannot be read back");
                Refused::bad_request(responses::SESSION_UNREADABLE)
            }
            other => {
                tracing::error!(error = %other, "a session could not be written");
                Refused::server_error()
            }
        }
    }

    /// The session method's stores and rules; a 500 (and an error line) when the settings
    /// configure no `session` method.
    pub fn require_browser(&self) -> Result<&Browser, Refused> {
        self.browser.as_deref().ok_or_else(|| {
            tracing::error!(
                "a login, logout or CSRF token needs the session method: add \"session\" to AUTHENTICATION_METHODS"
            );
            Refused::server_error()
        })
    }

    /// The browser's session: its key and data, `None` when there is no cookie or Django
    /// would find no session behind it (and start an empty one). An unreadable session (or
    /// one whose expiry cannot be read, which Django could not save again) is treated as
    /// none, as `get_user` treats it as anonymous.
    async fn current_session(
        &self,
        browser: &Browser,
        cookies: &[(String, String)],
    ) -> Result<Option<(String, SessionData)>, Refused> {
        let Some(key) = cookie(cookies, browser.session_cookie_name()) else {
            return Ok(None);
        };
        match browser.auth.sessions().load(key).await {
            Ok(Some(data)) if browser.auth.sessions().cookie_max_age(&data).is_ok() => {
                Ok(Some((key.to_owned(), data)))
            }
            Ok(Some(_)) => Ok(None),
            Ok(None) | Err(SessionError::Unreadable(_)) => Ok(None),
            Err(e) => Err(self.session_error(e)),
        }
    }

    /// The browser's session for a view that logs in or out, once `CsrfViewMiddleware`
    /// (which runs before the view) let the request in: a 403 `CSRF Failed: …` for an
    /// unsafe request without Django's token, with the replaced CSRF cookie when the sent
    /// one is malformed (4.0+).
    pub async fn browser_session(
        &self,
        request: &BrowserRequest<'_>,
    ) -> Result<BrowserSession, Refused> {
        let browser = self.require_browser()?;
        let cookies = request_cookies(request.headers);
        let session = self.current_session(browser, &cookies).await?;
        let input = CsrfInput {
            method: request.method.as_str(),
            headers: request.headers,
            cookie: cookie(&cookies, &browser.csrf.cookie_name),
            form_token: request.post.get(csrf::FORM_FIELD),
            session_secret: session
                .as_ref()
                .and_then(|(_, d)| d.get(csrf::SESSION_KEY))
                .and_then(Value::as_str),
        };
        if let Err(rejection) = browser.check_csrf(&input) {
            let mut refused = Refused::csrf(&rejection.0);
            refused.cookies = browser.replaced_csrf_cookie(&cookies).into_iter().collect();
            return Err(refused);
        }
        Ok(BrowserSession {
            client: self.client(request.headers, request.peer),
            cookies,
            session,
        })
    }

    /// `get_token(request)`: a masked token of the browser's CSRF secret (a new secret when
    /// it has none), and the cookie `CsrfViewMiddleware` would set with it. Under
    /// `CSRF_USE_SESSIONS` the secret is the session's, saved in it (in a new session when
    /// there is none).
    pub async fn csrf_token(&self, headers: &HeaderMap) -> Result<CsrfToken, Refused> {
        let browser = self.require_browser()?;
        let cookies = request_cookies(headers);
        let config = &browser.csrf;
        if !config.use_sessions {
            let issued = config.get_token(cookie(&cookies, &config.cookie_name));
            return Ok(CsrfToken {
                token: issued.token,
                cookies: vec![browser.csrf_cookie(&issued.stored)],
            });
        }
        let session = self.current_session(browser, &cookies).await?;
        let stored = session
            .as_ref()
            .and_then(|(_, data)| data.get(csrf::SESSION_KEY))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let issued = config.get_token(stored.as_deref());
        let mut set = Vec::new();
        if stored.as_deref() != Some(issued.stored.as_str()) {
            let (key, data) = session.unzip();
            let mut data = data.unwrap_or_default();
            data.insert(
                csrf::SESSION_KEY.into(),
                Value::String(issued.stored.clone()),
            );
            let saved = browser.auth.sessions().save(key.as_deref(), &data).await;
            let key = saved.map_err(|e| self.session_error(e))?;
            set.push(browser.session_cookie(&key, &data)?);
        }
        Ok(CsrfToken {
            token: issued.token,
            cookies: set,
        })
    }
}

impl BrowserSession {
    /// `authenticate()` then `login()`, as Django's `LoginView` makes them: the password
    /// through [`Gate::password_login`] (a 400 for wrong credentials, worded as Django's
    /// `AuthenticationForm`), then the session cycled (or flushed, when it held another
    /// user), `last_login` set, the CSRF secret rotated, and both cookies.
    pub async fn login(
        self,
        gate: &Gate,
        username: &str,
        password: &str,
    ) -> Result<LoggedIn, Refused> {
        let browser = gate.require_browser()?;
        let backend = password_backend(&browser.auth.sessions().config().backends);
        let user = match gate.password_login(&self.client, username, password).await {
            Ok(user) => user,
            Err(LoginFailure::Refused(refused)) => return Err(refused),
            Err(LoginFailure::Wrong(AuthError::Inactive))
                if backend.starts_with("django.contrib.auth.backends.AllowAllUsers") =>
            {
                return Err(Refused::bad_request(responses::INACTIVE_ACCOUNT));
            }
            Err(LoginFailure::Wrong(_)) => {
                let field = &browser.auth.users().model().username_field;
                return Err(Refused::bad_request(&responses::invalid_login(field)));
            }
        };
        let (old_key, old_data) = self.session.unzip();
        let existing = old_key.as_deref().zip(old_data);
        let (key, data) = browser
            .auth
            .login_session(&user, backend, existing)
            .await
            .map_err(|e| gate.session_error(e))?;
        let mut cookies = vec![browser.session_cookie(&key, &data)?];
        // rotate_token(): under CSRF_USE_SESSIONS the new secret is in the saved session;
        // else it is a new cookie.
        let stored = if browser.csrf.use_sessions {
            data.get(csrf::SESSION_KEY)
                .and_then(Value::as_str)
                .map(str::to_owned)
        } else {
            None
        };
        let stored = stored.unwrap_or_else(|| {
            let value = browser.csrf.rotate();
            cookies.push(browser.csrf_cookie(&value));
            value
        });
        let secret = CsrfConfig::secret_of(&stored).unwrap_or_default();
        Ok(LoggedIn {
            user: DjangoUser::new(user, "session", Some(key)),
            csrf_token: csrf::mask_secret(&secret).unwrap_or_default(),
            cookies,
        })
    }

    /// `logout()`: the session deleted, and its cookie deleted when one was sent.
    pub async fn logout(self, gate: &Gate) -> Result<LoggedOut, Refused> {
        let browser = gate.require_browser()?;
        if let Some((key, _)) = &self.session {
            browser
                .auth
                .logout(key)
                .await
                .map_err(|e| gate.session_error(e))?;
        }
        let sent = cookie(&self.cookies, browser.session_cookie_name()).is_some();
        Ok(LoggedOut {
            cookies: sent
                .then(|| browser.deleted_session_cookie())
                .into_iter()
                .collect(),
        })
    }
}

impl Refused {
    /// 429: too many failed logins, with `Retry-After` (whole seconds, rounded up) when the
    /// wait is known.
    pub fn throttled(wait: Option<Duration>) -> Self {
        let seconds = wait.map(|w| w.as_secs() + u64::from(w.subsec_nanos() > 0));
        Refused {
            retry_after: seconds.map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
            ..Refused::json(StatusCode::TOO_MANY_REQUESTS, responses::LOGIN_THROTTLED)
        }
    }
}
