//! `session`: Django's session cookie (`SESSION_COOKIE_NAME`), read with the configured
//! engine and decided by `get_user`'s rules, as `SessionMiddleware` and
//! `AuthenticationMiddleware` would for the original request. A cookie Django would treat as
//! anonymous is "not mine". An unsafe method (the original one, as the proxy reports it) must
//! also pass `CsrfViewMiddleware`'s check, as DRF's `SessionAuthentication` enforces; the
//! request's host, scheme and port are Django's (`ALLOWED_HOSTS`, and the forwarded headers
//! only when `USE_X_FORWARDED_HOST`, `USE_X_FORWARDED_PORT`, `SECURE_PROXY_SSL_HEADER` say so).
//!
//! `/auth` never writes a session: a session whose auth hash was made with a
//! `SECRET_KEY_FALLBACKS` key is accepted (as Django accepts it) but not moved to a new key,
//! which Django does on its next request; a stale hash makes the session anonymous here and
//! is flushed by Django, not by `/auth`.

use axum::http::header;

use super::{Answer, AuthMethod, Credentials, Outcome, Refusal};
use crate::csrf::{self, CsrfConfig, CsrfRequest};
use crate::hosts::HostRules;
use crate::responses;
use crate::sessions::{Anonymous, SessionAuth, SessionError};

/// The `session` method.
pub struct Session {
    auth: SessionAuth,
    csrf: CsrfConfig,
    hosts: HostRules,
    /// `CSRF_HEADER_NAME`'s header, lower-case.
    csrf_header: Option<String>,
}

impl Session {
    /// Over these session stores, with these CSRF and host rules.
    pub fn new(auth: SessionAuth, csrf: CsrfConfig, hosts: HostRules) -> Self {
        let csrf_header = csrf.header().map(|h| h.to_ascii_lowercase());
        Session {
            auth,
            csrf,
            hosts,
            csrf_header,
        }
    }

    /// `CsrfViewMiddleware.process_view` for the original request.
    fn check_csrf(
        &self,
        request: &Credentials,
        session_secret: Option<&str>,
    ) -> Result<(), csrf::Rejection> {
        if csrf::is_safe_method(request.method.as_str()) {
            return Ok(());
        }
        let text = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        };
        let host = self.hosts.host(text);
        let secure = self.hosts.is_secure(text, false);
        let own_port = text(header::HOST.as_str())
            .and_then(crate::hosts::split_domain_port)
            .map(|(_, port)| port)
            .filter(|port| !port.is_empty())
            .unwrap_or_else(|| if secure { "443".into() } else { "80".into() });
        let port = self.hosts.port(text, &own_port);
        let secret = if self.csrf.use_sessions {
            session_secret
        } else {
            request.cookie(&self.csrf.cookie_name)
        };
        let header_token = self.csrf_header.as_deref().and_then(text);
        csrf::check(
            &self.csrf,
            &CsrfRequest {
                method: request.method.as_str(),
                secure,
                host: host.as_deref(),
                port: &port,
                origin: text(header::ORIGIN.as_str()),
                referer: text(header::REFERER.as_str()),
                secret,
                form_token: request.post.get(csrf::FORM_FIELD),
                header_token,
            },
        )
    }
}

impl AuthMethod for Session {
    fn name(&self) -> &'static str {
        "session"
    }

    fn www_authenticate(&self) -> &'static str {
        "Session"
    }

    fn missing_message(&self) -> &'static str {
        responses::NOT_LOGGED_IN
    }

    fn authenticate<'a>(&'a self, request: &'a Credentials) -> Answer<'a> {
        Box::pin(async move {
            let name = &self.auth.sessions().config().cookie.name;
            let Some(cookie) = request.cookie(name) else {
                return Outcome::NotMine;
            };
            let logged_in = match self.auth.get_user(cookie, false).await {
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
            match self.check_csrf(request, session_secret) {
                Ok(()) => Outcome::User(logged_in.user),
                Err(rejection) => Outcome::Refused(Refusal::Csrf(rejection.0)),
            }
        })
    }
}
