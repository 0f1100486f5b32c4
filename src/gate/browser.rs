//! What browser traffic shares: the project's sessions and Django's CSRF rules, used by the
//! `session` method of `/auth` and by the `/session/` endpoints. The request's host, scheme
//! and port are Django's (`ALLOWED_HOSTS`, and the forwarded headers only when
//! `USE_X_FORWARDED_HOST`, `USE_X_FORWARDED_PORT`, `SECURE_PROXY_SSL_HEADER` say so).

use http::{HeaderMap, header};

use super::Refused;
use crate::csrf::{self, CsrfConfig, CsrfRequest};
use crate::hosts::HostRules;
use crate::sessions::{SessionAuth, SessionData};

/// The sessions, the CSRF settings and the host rules of one project.
pub struct Browser {
    /// Logins through the project's sessions.
    pub auth: SessionAuth,
    /// `CSRF_*`.
    pub csrf: CsrfConfig,
    /// `ALLOWED_HOSTS` and the trusted proxy headers.
    pub hosts: HostRules,
    /// `CSRF_HEADER_NAME`'s header, lower-case.
    csrf_header: Option<String>,
}

/// The parts of a request `CsrfViewMiddleware` reads, besides its headers.
pub struct CsrfInput<'a> {
    /// The method of the request being protected (the original one, for `/auth`).
    pub method: &'a str,
    /// The request's headers.
    pub headers: &'a HeaderMap,
    /// The CSRF cookie's value, if sent.
    pub cookie: Option<&'a str>,
    /// The `csrfmiddlewaretoken` form field, if the body had one.
    pub form_token: Option<&'a str>,
    /// The session's `_csrftoken` (read under `CSRF_USE_SESSIONS`).
    pub session_secret: Option<&'a str>,
}

impl Browser {
    /// Over these session stores, with these CSRF and host rules.
    pub fn new(auth: SessionAuth, csrf: CsrfConfig, hosts: HostRules) -> Self {
        let csrf_header = csrf.header().map(|h| h.to_ascii_lowercase());
        Browser {
            auth,
            csrf,
            hosts,
            csrf_header,
        }
    }

    /// `SESSION_COOKIE_NAME`.
    pub fn session_cookie_name(&self) -> &str {
        &self.auth.sessions().config().cookie.name
    }

    /// The session cookie's `Set-Cookie` for `key` holding `data` (just saved, so its expiry
    /// was read: a 400 otherwise, where Django answers 500).
    pub fn session_cookie(&self, key: &str, data: &SessionData) -> Result<String, Refused> {
        let sessions = self.auth.sessions();
        let max_age = sessions.cookie_max_age(data).map_err(|why| {
            tracing::warn!(reason = %why, "a session's expiry cannot be read");
            Refused::bad_request(crate::responses::SESSION_UNREADABLE)
        })?;
        Ok(sessions
            .config()
            .cookie
            .set_cookie(key, max_age)
            .header(chrono::Utc::now()))
    }

    /// The `Set-Cookie` deleting the session cookie.
    pub fn deleted_session_cookie(&self) -> String {
        self.auth
            .sessions()
            .config()
            .cookie
            .deleting()
            .header(chrono::Utc::now())
    }

    /// The CSRF cookie's `Set-Cookie` holding `value`.
    pub fn csrf_cookie(&self, value: &str) -> String {
        self.csrf.set_cookie(value).header(chrono::Utc::now())
    }

    /// From 4.0, `CsrfViewMiddleware` replaces a malformed CSRF cookie on the way out of any
    /// request (a refusal included): the new cookie, when this request's is malformed.
    pub fn replaced_csrf_cookie(&self, cookies: &[(String, String)]) -> Option<String> {
        let config = &self.csrf;
        let malformed = crate::wire::cookie::find_cookie(cookies, &config.cookie_name)
            .is_some_and(|c| CsrfConfig::secret_of(c).is_none());
        (malformed && !config.use_sessions && config.version >= crate::version::DjangoVersion::V4_0)
            .then(|| self.csrf_cookie(&config.rotate()))
    }

    /// `CsrfViewMiddleware.process_view` for a request: `Ok` for safe methods and for
    /// unsafe ones that carry what Django wants, else Django's reason.
    pub fn check_csrf(&self, input: &CsrfInput<'_>) -> Result<(), csrf::Rejection> {
        if csrf::is_safe_method(input.method) {
            return Ok(());
        }
        // Django reads every header as WSGI hands it over, latin-1 text: a byte that is not
        // UTF-8 is a character of the Origin or Referer there, never a missing header.
        let decoded: Vec<(&str, std::borrow::Cow<'_, str>)> = input
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), crate::wire::latin1::text(value.as_bytes())))
            .collect();
        let text = |name: &str| {
            decoded
                .iter()
                .find(|(header, _)| header.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_ref())
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
            input.session_secret
        } else {
            input.cookie
        };
        let header_token = self.csrf_header.as_deref().and_then(text);
        csrf::check(
            &self.csrf,
            &CsrfRequest {
                method: input.method,
                secure,
                host: host.as_deref(),
                port: &port,
                origin: text(header::ORIGIN.as_str()),
                referer: text(header::REFERER.as_str()),
                secret,
                form_token: input.form_token,
                header_token,
            },
        )
    }
}
