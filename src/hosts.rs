//! What Django makes of a request's host, scheme and port (`HttpRequest.get_host`,
//! `is_secure`, `get_port`) with `ALLOWED_HOSTS`, `USE_X_FORWARDED_HOST`,
//! `USE_X_FORWARDED_PORT` and `SECURE_PROXY_SSL_HEADER`. Core: the caller hands over the
//! request's headers as Django's `META` names them would give them (a header lookup).

/// The settings that decide the request's host, scheme and port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostRules {
    /// `ALLOWED_HOSTS`.
    pub allowed_hosts: Vec<String>,
    /// `USE_X_FORWARDED_HOST`.
    pub use_x_forwarded_host: bool,
    /// `USE_X_FORWARDED_PORT`.
    pub use_x_forwarded_port: bool,
    /// `SECURE_PROXY_SSL_HEADER`: the header (as `HTTP_X_FORWARDED_PROTO`) and its value.
    pub secure_proxy_ssl_header: Option<(String, String)>,
}

/// The HTTP header a `META` key names (`HTTP_X_FORWARDED_PROTO` → `x-forwarded-proto`).
pub fn meta_header(meta: &str) -> Option<String> {
    meta.strip_prefix("HTTP_")
        .map(|name| name.replace('_', "-").to_ascii_lowercase())
}

impl HostRules {
    /// `request.get_host()`: the forwarded or `Host` header's host, or `None` where Django
    /// raises `DisallowedHost` (not in `ALLOWED_HOSTS`, or not a host at all).
    pub fn host<'a>(&self, header: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
        let raw = if self.use_x_forwarded_host {
            header("x-forwarded-host")
        } else {
            None
        }
        .or_else(|| header("host"))?;
        let (domain, _) = split_domain_port(raw)?;
        validate_host(&domain, &self.allowed_hosts).then(|| raw.to_owned())
    }

    /// `request.is_secure()` behind a proxy: when `SECURE_PROXY_SSL_HEADER`'s header is
    /// present, whether it has the value (the first of a comma-separated list, as Django 4.1+
    /// reads it); otherwise `own_scheme_secure`.
    pub fn is_secure<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        own_scheme_secure: bool,
    ) -> bool {
        let forwarded = self
            .secure_proxy_ssl_header
            .as_ref()
            .and_then(|(name, expected)| Some((header(&meta_header(name)?)?, expected)));
        match forwarded {
            Some((value, expected)) => value.split(',').next().unwrap_or("").trim() == expected,
            None => own_scheme_secure,
        }
    }

    /// `request.get_port()`: `X-Forwarded-Port` when trusted, else `own`.
    pub fn port<'a>(&self, header: impl Fn(&str) -> Option<&'a str>, own: &str) -> String {
        if self.use_x_forwarded_port
            && let Some(port) = header("x-forwarded-port")
        {
            return port.to_owned();
        }
        own.to_owned()
    }
}

impl HostRules {
    /// Channels' `AllowedHostsOriginValidator` for a WebSocket handshake: whether the
    /// `Origin` header names a host `ALLOWED_HOSTS` allows (`*`, the host, or `.example.com`
    /// for the domain and its subdomains; the scheme and the port play no part, as for a
    /// pattern without a scheme in Channels). A handshake without an `Origin`, or with one
    /// that names no host (`null`), is refused — where Channels raises for the latter.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        let Some(host) = origin.and_then(origin_hostname) else {
            return false;
        };
        self.allowed_hosts.iter().any(|pattern| {
            if pattern == "*" {
                return true;
            }
            let pattern = pattern_hostname(&pattern.to_ascii_lowercase());
            !pattern.is_empty()
                && (pattern == host
                    || (pattern.starts_with('.')
                        && (host.ends_with(pattern.as_str()) || host == pattern[1..])))
        })
    }
}

/// `urlparse(origin).hostname`: the lower-cased host of `scheme://[user@]host[:port]…`
/// (an IPv6 address without its brackets), or `None`.
fn origin_hostname(origin: &str) -> Option<String> {
    let (_, rest) = origin.split_once("://")?;
    authority_hostname(rest)
}

/// The lower-cased host of `[user@]host[:port][/…]`.
fn authority_hostname(rest: &str) -> Option<String> {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `urlparse("//" + pattern).hostname or pattern`: an `ALLOWED_HOSTS` entry as a host.
fn pattern_hostname(pattern: &str) -> String {
    authority_hostname(pattern).unwrap_or_else(|| pattern.to_owned())
}

/// `split_domain_port`: the lower-cased domain (without a trailing dot) and the port, or
/// `None` for text that is not `host[:port]` as Django's pattern has it.
pub fn split_domain_port(host: &str) -> Option<(String, String)> {
    let host = host.to_ascii_lowercase();
    let (domain, port) = if let Some(rest) = host.strip_prefix('[') {
        let end = rest.find(']')?;
        let inner = &rest[..end];
        let valid = inner.contains(':')
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b));
        if !valid {
            return None;
        }
        (format!("[{inner}]"), &rest[end + 1..])
    } else {
        let end = host.find(':').unwrap_or(host.len());
        let domain = &host[..end];
        if domain.is_empty()
            || !domain
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-".contains(&b))
        {
            return None;
        }
        (domain.to_owned(), &host[end..])
    };
    let port = match port.strip_prefix(':') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.to_owned()
        }
        Some(_) => return None,
        None if port.is_empty() => String::new(),
        None => return None,
    };
    let domain = domain
        .strip_suffix('.')
        .map(str::to_owned)
        .unwrap_or(domain);
    Some((domain, port))
}

/// `validate_host`: `*`, an exact (case-insensitive) host, or `.example.com` for the domain
/// and its subdomains.
pub fn validate_host(domain: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|pattern| {
        pattern == "*" || {
            let pattern = pattern.to_ascii_lowercase();
            pattern == domain
                || (pattern.starts_with('.')
                    && (domain.ends_with(&pattern) || domain == &pattern[1..]))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshakes_origin_is_checked_as_channels_checks_it() {
        let rules = HostRules {
            allowed_hosts: vec!["example.com".into(), ".example.org".into(), "[::1]".into()],
            ..HostRules::default()
        };
        for allowed in [
            "https://example.com",
            "http://EXAMPLE.com:8000",
            "https://a.b.example.org",
            "https://example.org/",
            "http://[::1]:3000",
            "https://user@example.com",
        ] {
            assert!(rules.origin_allowed(Some(allowed)), "{allowed}");
        }
        for refused in [
            "https://evil.example",
            "https://example.com.evil.example",
            "https://notexample.org",
            "null",
            "example.com",
            "https://",
        ] {
            assert!(!rules.origin_allowed(Some(refused)), "{refused}");
        }
        assert!(!rules.origin_allowed(None));
        let any = HostRules {
            allowed_hosts: vec!["*".into()],
            ..HostRules::default()
        };
        assert!(any.origin_allowed(Some("https://anything.example")));
        assert!(!any.origin_allowed(None));
    }

    #[test]
    fn hosts_are_validated_as_django_does() {
        let allowed = vec!["example.com".to_owned(), ".example.org".to_owned()];
        let rules = HostRules {
            allowed_hosts: allowed,
            ..HostRules::default()
        };
        let host = |value: &'static str| rules.host(move |name| (name == "host").then_some(value));
        assert_eq!(
            host("Example.COM:8000").as_deref(),
            Some("Example.COM:8000")
        );
        assert_eq!(host("a.b.example.org").as_deref(), Some("a.b.example.org"));
        assert_eq!(host("example.org.").as_deref(), Some("example.org."));
        assert_eq!(host("evil.com"), None);
        assert_eq!(host("example.com:x"), None);
        assert_eq!(host("exa mple.com"), None);
        assert_eq!(
            split_domain_port("[::1]:80"),
            Some(("[::1]".into(), "80".into()))
        );
        assert_eq!(split_domain_port("[::1"), None);
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let headers = |name: &str| match name {
            "host" => Some("djtoken:8000"),
            "x-forwarded-host" => Some("site.example.com"),
            "x-forwarded-proto" => Some("https"),
            "x-forwarded-port" => Some("443"),
            _ => None,
        };
        let mut rules = HostRules {
            allowed_hosts: vec!["*".into()],
            ..HostRules::default()
        };
        assert_eq!(rules.host(headers).as_deref(), Some("djtoken:8000"));
        assert!(!rules.is_secure(headers, false));
        assert_eq!(rules.port(headers, "8000"), "8000");
        rules.use_x_forwarded_host = true;
        rules.use_x_forwarded_port = true;
        rules.secure_proxy_ssl_header = Some(("HTTP_X_FORWARDED_PROTO".into(), "https".into()));
        assert_eq!(rules.host(headers).as_deref(), Some("site.example.com"));
        assert!(rules.is_secure(headers, false));
        assert_eq!(rules.port(headers, "8000"), "443");
    }
}
