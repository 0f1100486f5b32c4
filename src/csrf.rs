//! Django's CSRF protection (`django/middleware/csrf.py`), per version: the secret and its
//! masked tokens, the form the cookie (or the session's `_csrftoken`) stores it in, and the
//! check `CsrfViewMiddleware.process_view` makes of an unsafe request, with Django's reason
//! strings. Core: the caller gathers the request's parts ([`CsrfRequest`]).
//!
//! | | 3.2 | 4.0 | 4.1, 4.2 | 5.0+ |
//! |---|---|---|---|---|
//! | stored secret | masked (64) | masked (64) | 32, masked if `CSRF_COOKIE_MASKED` | 32 |
//! | Origin checked | no | yes | yes | yes |
//! | reasons | "CSRF token missing or incorrect." | per source and cause | = | = |
//!
//! Tokens of 32 or 64 characters are accepted everywhere (64 is a masked token); a masked
//! 64-character cookie an older version wrote is read by every version.

use crate::crypto::{constant_time_compare, get_random_string};
use crate::version::DjangoVersion;

/// `CSRF_ALLOWED_CHARS`, in Django's order (the masking arithmetic depends on it).
pub const ALLOWED_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// `CSRF_SECRET_LENGTH`.
pub const SECRET_LENGTH: usize = 32;
/// `CSRF_TOKEN_LENGTH`: a mask and the masked secret.
pub const TOKEN_LENGTH: usize = 64;
/// `CSRF_SESSION_KEY`: where `CSRF_USE_SESSIONS` keeps the secret.
pub const SESSION_KEY: &str = "_csrftoken";
/// The form field of a POST's token.
pub const FORM_FIELD: &str = "csrfmiddlewaretoken";

const REASON_NO_REFERER: &str = "Referer checking failed - no Referer.";
const REASON_NO_CSRF_COOKIE: &str = "CSRF cookie not set.";
const REASON_CSRF_TOKEN_MISSING: &str = "CSRF token missing.";
const REASON_BAD_TOKEN_3_2: &str = "CSRF token missing or incorrect.";
const REASON_MALFORMED_REFERER: &str = "Referer checking failed - Referer is malformed.";
const REASON_INSECURE_REFERER: &str =
    "Referer checking failed - Referer is insecure while host is secure.";

fn index(c: u8) -> Option<usize> {
    ALLOWED_CHARS.bytes().position(|a| a == c)
}

fn is_token_text(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `_get_new_csrf_string()`: a new secret.
pub fn new_secret() -> String {
    get_random_string(SECRET_LENGTH, ALLOWED_CHARS)
}

/// `_mask_cipher_secret(secret)` with this `mask`: `mask + cipher`, where each cipher
/// character is the secret's shifted by the mask's. Both must be 32 allowed characters.
pub fn mask_cipher_secret(secret: &str, mask: &str) -> Option<String> {
    if secret.len() != SECRET_LENGTH || mask.len() != SECRET_LENGTH {
        return None;
    }
    let chars = ALLOWED_CHARS.as_bytes();
    let mut out = String::with_capacity(TOKEN_LENGTH);
    out.push_str(mask);
    for (s, m) in secret.bytes().zip(mask.bytes()) {
        out.push(char::from(chars[(index(s)? + index(m)?) % chars.len()]));
    }
    Some(out)
}

/// `_mask_cipher_secret(secret)`: a masked token with a fresh random mask (what `get_token`
/// hands a page), or `None` for a secret that is not 32 allowed characters.
pub fn mask_secret(secret: &str) -> Option<String> {
    mask_cipher_secret(secret, &new_secret())
}

/// `_unmask_cipher_token(token)`: the secret of a masked token (Python's `zip` semantics for
/// other lengths: as many characters as both halves have). `None` for a character Django's
/// `str.index` would raise on.
pub fn unmask_cipher_token(token: &str) -> Option<String> {
    let bytes = token.as_bytes();
    let (mask, cipher) = bytes.split_at(SECRET_LENGTH.min(bytes.len()));
    let n = ALLOWED_CHARS.len();
    cipher
        .iter()
        .zip(mask)
        .map(|(&c, &m)| {
            Some(char::from(
                ALLOWED_CHARS.as_bytes()[(index(c)? + n - index(m)?) % n],
            ))
        })
        .collect()
}

/// The value `rotate_token` (a login) stores in the cookie, or in the session under
/// `CSRF_USE_SESSIONS`, for a new secret: masked in 3.2 and 4.0, and in 4.1–4.2 with
/// `CSRF_COOKIE_MASKED`; the bare secret otherwise.
pub fn new_cookie_value(version: DjangoVersion, cookie_masked: bool) -> String {
    let secret = new_secret();
    let masked = version <= DjangoVersion::V4_0
        || (cookie_masked && matches!(version, DjangoVersion::V4_1 | DjangoVersion::V4_2));
    if masked {
        mask_secret(&secret).expect("a new secret is 32 allowed characters")
    } else {
        secret
    }
}

/// The CSRF settings `CsrfViewMiddleware` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrfConfig {
    /// The Django version whose rules apply.
    pub version: DjangoVersion,
    /// `CSRF_HEADER_NAME`, as Django names it (`HTTP_X_CSRFTOKEN`).
    pub header_name: String,
    /// `CSRF_TRUSTED_ORIGINS`: origins with a scheme (4.0+; `*` for subdomains), bare hosts
    /// in 3.2.
    pub trusted_origins: Vec<String>,
    /// `CSRF_COOKIE_DOMAIN`.
    pub cookie_domain: Option<String>,
    /// `SESSION_COOKIE_DOMAIN` (what the Referer check uses under `CSRF_USE_SESSIONS`).
    pub session_cookie_domain: Option<String>,
    /// `CSRF_USE_SESSIONS`.
    pub use_sessions: bool,
    /// `CSRF_COOKIE_NAME`.
    pub cookie_name: String,
    /// `CSRF_COOKIE_MASKED` (4.1 and 4.2 only).
    pub cookie_masked: bool,
    /// `CSRF_COOKIE_AGE`, seconds; `None`: a cookie for the browser session.
    pub cookie_age: Option<i64>,
    /// `CSRF_COOKIE_PATH`.
    pub cookie_path: String,
    /// `CSRF_COOKIE_SECURE`.
    pub cookie_secure: bool,
    /// `CSRF_COOKIE_HTTPONLY`.
    pub cookie_httponly: bool,
    /// `CSRF_COOKIE_SAMESITE` (`None` for Django's `False`).
    pub cookie_samesite: Option<String>,
}

/// What `get_token(request)` leaves: the masked token a page gets, and the value stored
/// for the response (the CSRF cookie, which Django sets again on every such response, or the
/// session's `_csrftoken` under `CSRF_USE_SESSIONS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    /// A 64-character masked token (a fresh mask each time).
    pub token: String,
    /// The value to store: the secret in the form the version stores it.
    pub stored: String,
}

impl CsrfConfig {
    /// Django's defaults for `version`.
    pub fn new(version: DjangoVersion) -> Self {
        CsrfConfig {
            version,
            header_name: "HTTP_X_CSRFTOKEN".into(),
            trusted_origins: Vec::new(),
            cookie_domain: None,
            session_cookie_domain: None,
            use_sessions: false,
            cookie_name: "csrftoken".into(),
            cookie_masked: false,
            cookie_age: Some(31_449_600),
            cookie_path: "/".into(),
            cookie_secure: false,
            cookie_httponly: false,
            cookie_samesite: Some("Lax".into()),
        }
    }

    /// `rotate_token()` (a login): a new secret, in the form this version stores it.
    pub fn rotate(&self) -> String {
        new_cookie_value(self.version, self.cookie_masked)
    }

    /// `get_token(request)` for a request whose cookie (or, under `CSRF_USE_SESSIONS`,
    /// session) holds `stored`, as `CsrfViewMiddleware.process_request` reads it per version:
    /// a valid value keeps its secret (3.2 and 4.0 store it masked, later versions bare), a
    /// missing or malformed one is replaced by a new secret.
    ///
    /// Where Django's own answer is a token its check would refuse (3.2 and 4.0 with a bare
    /// or malformed secret in the session; 4.1 and 4.2 with `CSRF_COOKIE_MASKED` after a
    /// malformed cookie, where `get_token` masks the masked value), the answer here is a
    /// working token: the stored value is read as a cookie would be.
    pub fn get_token(&self, stored: Option<&str>) -> IssuedToken {
        let valid = stored.filter(|v| token_format(v).is_none());
        let kept = valid.and_then(|v| {
            if self.version <= DjangoVersion::V4_0 {
                // _sanitize_token: a bare secret is masked before it is stored again.
                if v.len() == SECRET_LENGTH {
                    mask_secret(v)
                } else {
                    Some(v.to_owned())
                }
            } else if v.len() == TOKEN_LENGTH {
                // 4.1+: an older version's masked value is stored bare from now on.
                unmask_cipher_token(v)
            } else {
                Some(v.to_owned())
            }
        });
        let stored = kept.unwrap_or_else(|| self.rotate());
        let secret = Self::secret_of(&stored).expect("a well-formed stored value");
        IssuedToken {
            token: mask_secret(&secret).expect("a valid secret"),
            stored,
        }
    }

    /// The CSRF cookie's `Set-Cookie` for `value`, with `CSRF_COOKIE_*`.
    pub fn set_cookie<'a>(&'a self, value: &'a str) -> crate::wire::cookie::SetCookie<'a> {
        crate::wire::cookie::SetCookie {
            name: &self.cookie_name,
            value,
            max_age: self.cookie_age,
            expires: None,
            domain: self.cookie_domain.as_deref(),
            path: &self.cookie_path,
            secure: self.cookie_secure,
            httponly: self.cookie_httponly,
            samesite: self.cookie_samesite.as_deref(),
        }
    }

    /// The secret the stored value carries (a masked value unmasked), if it is well formed.
    pub fn secret_of(stored: &str) -> Option<String> {
        match token_format(stored) {
            Some(_) => None,
            None if stored.len() == TOKEN_LENGTH => unmask_cipher_token(stored),
            None => Some(stored.to_owned()),
        }
    }

    /// The HTTP header `CSRF_HEADER_NAME` names (`HTTP_X_CSRFTOKEN` → `X-CSRFTOKEN`), or
    /// `None` for a name that is not a request header's.
    pub fn header(&self) -> Option<String> {
        let name = self.header_name.strip_prefix("HTTP_").or_else(|| {
            ["CONTENT_TYPE", "CONTENT_LENGTH"]
                .contains(&self.header_name.as_str())
                .then_some(self.header_name.as_str())
        })?;
        Some(name.replace('_', "-"))
    }
}

/// The parts of a request the check reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct CsrfRequest<'a> {
    /// The method, as sent (Django upper-cases it); empty for one a proxy did not report,
    /// which is unsafe and not a POST.
    pub method: &'a str,
    /// `request.is_secure()`.
    pub secure: bool,
    /// `request.get_host()`, or `None` where it raises `DisallowedHost`.
    pub host: Option<&'a str>,
    /// `request.get_port()`.
    pub port: &'a str,
    /// The `Origin` header, if present.
    pub origin: Option<&'a str>,
    /// The `Referer` header, if present.
    pub referer: Option<&'a str>,
    /// The CSRF cookie, or under `CSRF_USE_SESSIONS` the session's `_csrftoken`.
    pub secret: Option<&'a str>,
    /// `request.POST["csrfmiddlewaretoken"]` of a POST, when the body is a form that has it.
    pub form_token: Option<&'a str>,
    /// The `CSRF_HEADER_NAME` header, if present.
    pub header_token: Option<&'a str>,
}

/// The methods RFC 9110 calls safe, which `CsrfViewMiddleware` never checks.
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// A request `CsrfViewMiddleware` refuses (HTTP 403), with Django's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CSRF verification failed: {0}")]
pub struct Rejection(pub String);

/// `process_view` for `request`: accepted, or Django's reason for the 403.
pub fn check(config: &CsrfConfig, request: &CsrfRequest<'_>) -> Result<(), Rejection> {
    if is_safe_method(request.method) {
        return Ok(());
    }
    let reject = |reason: String| Err(Rejection(reason));
    if config.version == DjangoVersion::V3_2 {
        if request.secure {
            check_referer_3_2(config, request).or_else(reject)?;
        }
        return check_token_3_2(config, request).or_else(reject);
    }
    if let Some(origin) = request.origin {
        if !origin_verified(config, request, origin) {
            return reject(format!(
                "Origin checking failed - {origin} does not match any trusted origins."
            ));
        }
    } else if request.secure {
        check_referer(config, request).or_else(reject)?;
    }
    check_token(config, request).or_else(reject)
}

/// `_check_token_format`: why a cookie or token is malformed, if it is.
fn token_format(token: &str) -> Option<&'static str> {
    if token.len() != SECRET_LENGTH && token.len() != TOKEN_LENGTH {
        return Some("has incorrect length");
    }
    if !is_token_text(token) {
        return Some("has invalid characters");
    }
    None
}

/// Python's `str.title()` of an ASCII header name (`X-CSRFTOKEN` → `X-Csrftoken`).
fn title(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut after_letter = false;
    for c in name.chars() {
        if c.is_alphabetic() {
            out.extend(if after_letter {
                c.to_lowercase().collect::<Vec<_>>()
            } else {
                c.to_uppercase().collect::<Vec<_>>()
            });
            after_letter = true;
        } else {
            out.push(c);
            after_letter = false;
        }
    }
    out
}

fn check_token(config: &CsrfConfig, request: &CsrfRequest<'_>) -> Result<(), String> {
    let secret = match request.secret {
        None => return Err(REASON_NO_CSRF_COOKIE.into()),
        Some(secret) if config.use_sessions => secret,
        Some(cookie) => {
            if let Some(reason) = token_format(cookie) {
                return Err(format!("CSRF cookie {reason}."));
            }
            cookie
        }
    };
    // Versions before 4.1 (and CSRF_COOKIE_MASKED) stored the secret masked: a token's length
    // is unmasked. 4.0 also unmasks a session's value whatever its length.
    let raw_session = config.version == DjangoVersion::V4_0 && config.use_sessions;
    let secret = if raw_session || secret.len() == TOKEN_LENGTH {
        unmask_cipher_token(secret)
    } else {
        Some(secret.to_owned())
    };
    let form = request
        .form_token
        .filter(|t| request.method == "POST" && !t.is_empty());
    let (token, source) = match (form, request.header_token) {
        (Some(token), _) => (token, "POST".to_owned()),
        (None, Some(token)) => {
            let header = match config.header() {
                Some(name) => format!("'{}'", title(&name)),
                None => "None".into(),
            };
            (token, format!("the {header} HTTP header"))
        }
        (None, None) => return Err(REASON_CSRF_TOKEN_MISSING.into()),
    };
    if let Some(reason) = token_format(token) {
        return Err(format!("CSRF token from {source} {reason}."));
    }
    let token = if token.len() == TOKEN_LENGTH {
        unmask_cipher_token(token)
    } else {
        Some(token.to_owned())
    };
    match (token, secret) {
        (Some(token), Some(secret))
            if constant_time_compare(token.as_bytes(), secret.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(format!("CSRF token from {source} incorrect.")),
    }
}

/// 3.2's `_sanitize_token`, as far as the comparison sees it: the secret a cookie or token
/// carries, or `None` where Django substitutes a fresh random token (which cannot match).
fn sanitized_secret_3_2(token: &str) -> Option<String> {
    if !is_token_text(token) {
        return None;
    }
    match token.len() {
        TOKEN_LENGTH => unmask_cipher_token(token),
        SECRET_LENGTH => Some(token.to_owned()),
        _ => None,
    }
}

fn check_token_3_2(config: &CsrfConfig, request: &CsrfRequest<'_>) -> Result<(), String> {
    let Some(stored) = request.secret else {
        return Err(REASON_NO_CSRF_COOKIE.into());
    };
    // A session value is compared as stored (3.2 keeps it masked); a cookie is sanitized.
    let secret = if config.use_sessions {
        unmask_cipher_token(stored)
    } else {
        sanitized_secret_3_2(stored)
    };
    let form = request
        .form_token
        .filter(|t| request.method == "POST" && !t.is_empty());
    let token = form.or(request.header_token).unwrap_or("");
    match (sanitized_secret_3_2(token), secret) {
        (Some(token), Some(secret))
            if constant_time_compare(token.as_bytes(), secret.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(REASON_BAD_TOKEN_3_2.into()),
    }
}

/// `_origin_verified` (4.0+).
fn origin_verified(config: &CsrfConfig, request: &CsrfRequest<'_>, origin: &str) -> bool {
    if let Some(host) = request.host {
        let scheme = if request.secure { "https" } else { "http" };
        if origin == format!("{scheme}://{host}") {
            return true;
        }
    }
    if config
        .trusted_origins
        .iter()
        .any(|t| !t.contains('*') && t == origin)
    {
        return true;
    }
    let Ok(parsed) = UrlSplit::parse(origin) else {
        return false;
    };
    config
        .trusted_origins
        .iter()
        .filter(|t| t.contains('*'))
        .filter_map(|t| UrlSplit::parse(t).ok())
        .filter(|t| t.scheme == parsed.scheme)
        .any(|t| is_same_domain(&parsed.netloc, t.netloc.trim_start_matches('*')))
}

/// The checks common to both Referer rules: present, parseable, absolute, HTTPS.
fn secure_referer(request: &CsrfRequest<'_>) -> Result<UrlSplit, String> {
    let Some(referer) = request.referer else {
        return Err(REASON_NO_REFERER.into());
    };
    let parsed = UrlSplit::parse(referer).map_err(|()| REASON_MALFORMED_REFERER.to_owned())?;
    if parsed.scheme.is_empty() || parsed.netloc.is_empty() {
        return Err(REASON_MALFORMED_REFERER.into());
    }
    if parsed.scheme != "https" {
        return Err(REASON_INSECURE_REFERER.into());
    }
    Ok(parsed)
}

fn bad_referer(parsed: &UrlSplit) -> String {
    format!(
        "Referer checking failed - {} does not match any trusted origins.",
        parsed.geturl()
    )
}

/// The cookie domain the Referer may match, with the port when it is not 80 or 443.
fn cookie_domain_referer(config: &CsrfConfig, request: &CsrfRequest<'_>) -> Option<String> {
    let domain = if config.use_sessions {
        config.session_cookie_domain.as_ref()
    } else {
        config.cookie_domain.as_ref()
    }?;
    Some(if matches!(request.port, "443" | "80") {
        domain.clone()
    } else {
        format!("{domain}:{}", request.port)
    })
}

/// `_check_referer` (4.0+).
fn check_referer(config: &CsrfConfig, request: &CsrfRequest<'_>) -> Result<(), String> {
    let parsed = secure_referer(request)?;
    let trusted = config.trusted_origins.iter().any(|origin| {
        UrlSplit::parse(origin)
            .is_ok_and(|o| is_same_domain(&parsed.netloc, o.netloc.trim_start_matches('*')))
    });
    if trusted {
        return Ok(());
    }
    let good = match cookie_domain_referer(config, request) {
        Some(good) => good,
        None => match request.host {
            Some(host) => host.to_owned(),
            None => return Err(bad_referer(&parsed)),
        },
    };
    if is_same_domain(&parsed.netloc, &good) {
        Ok(())
    } else {
        Err(bad_referer(&parsed))
    }
}

/// 3.2's Referer rule: trusted origins are bare hosts.
fn check_referer_3_2(config: &CsrfConfig, request: &CsrfRequest<'_>) -> Result<(), String> {
    let parsed = secure_referer(request)?;
    let good = cookie_domain_referer(config, request).or(request.host.map(str::to_owned));
    let ok = config
        .trusted_origins
        .iter()
        .map(String::as_str)
        .chain(good.as_deref())
        .any(|host| is_same_domain(&parsed.netloc, host));
    if ok {
        Ok(())
    } else {
        Err(bad_referer(&parsed))
    }
}

/// `django.utils.http.is_same_domain`: `pattern` (lower-cased) equals `host`, or starts with
/// a dot and `host` is that domain or under it.
pub fn is_same_domain(host: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern = pattern.to_lowercase();
    (pattern.starts_with('.') && (host.ends_with(&pattern) || host == &pattern[1..]))
        || pattern == host
}

/// `urllib.parse.urlsplit`, as far as the CSRF checks read it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UrlSplit {
    scheme: String,
    netloc: String,
    path: String,
    query: String,
    fragment: String,
}

impl UrlSplit {
    fn parse(url: &str) -> Result<UrlSplit, ()> {
        // Leading C0 controls and spaces go, and tabs and newlines anywhere (Python 3.11+).
        let url: String = url
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        let mut rest = url.as_str();
        let mut scheme = String::new();
        if let Some(i) = rest.find(':')
            && i > 0
            && rest.as_bytes()[0].is_ascii_alphabetic()
            && rest[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            scheme = rest[..i].to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
        let mut netloc = String::new();
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            netloc = after[..end].to_owned();
            rest = &after[end..];
            if netloc.contains('[') != netloc.contains(']') {
                return Err(());
            }
        }
        let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        Ok(UrlSplit {
            scheme,
            netloc,
            path: path.to_owned(),
            query: query.to_owned(),
            fragment: fragment.to_owned(),
        })
    }

    /// `geturl()`: `urlunsplit` of the parts.
    fn geturl(&self) -> String {
        let mut url = self.path.clone();
        if !self.netloc.is_empty() {
            if !url.is_empty() && !url.starts_with('/') {
                url.insert(0, '/');
            }
            url = format!("//{}{url}", self.netloc);
        } else if url.starts_with("//") {
            url = format!("//{url}");
        }
        if !self.scheme.is_empty() {
            url = format!("{}:{url}", self.scheme);
        }
        if !self.query.is_empty() {
            url = format!("{url}?{}", self.query);
        }
        if !self.fragment.is_empty() {
            url = format!("{url}#{}", self.fragment);
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_round_trips() {
        let secret = new_secret();
        let token = mask_secret(&secret).expect("a secret");
        assert_eq!(token.len(), TOKEN_LENGTH);
        assert_eq!(
            unmask_cipher_token(&token).as_deref(),
            Some(secret.as_str())
        );
        assert_eq!(unmask_cipher_token("-"), Some(String::new()));
        assert_eq!(unmask_cipher_token(&"-".repeat(64)), None);
    }

    #[test]
    fn header_names_read_as_django_prints_them() {
        assert_eq!(title("X-CSRFTOKEN"), "X-Csrftoken");
        assert_eq!(title("X-XSRF-TOKEN"), "X-Xsrf-Token");
        let mut config = CsrfConfig::new(DjangoVersion::LATEST);
        assert_eq!(config.header().as_deref(), Some("X-CSRFTOKEN"));
        config.header_name = "X_CSRF".into();
        assert_eq!(config.header(), None);
    }

    #[test]
    fn urls_split_as_python_splits_them() {
        let u = UrlSplit::parse("HTTPS://evil.example/x?y=1#f").expect("a URL");
        assert_eq!(
            (u.scheme.as_str(), u.netloc.as_str()),
            ("https", "evil.example")
        );
        assert_eq!(u.geturl(), "https://evil.example/x?y=1#f");
        assert_eq!(
            UrlSplit::parse("https://x/?").expect("a URL").geturl(),
            "https://x/"
        );
        assert!(UrlSplit::parse("http://[::1/").is_err());
        assert_eq!(
            UrlSplit::parse("testserver/page").expect("a URL").netloc,
            ""
        );
    }
}
