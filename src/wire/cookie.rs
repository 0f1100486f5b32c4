//! Cookies as Django reads them (`parse_cookie`, `COOKIES.get`) and writes them. `Set-Cookie`
//! values as Django writes them: `HttpResponse.set_cookie` and `delete_cookie`,
//! printed by Python's `http.cookies.Morsel` (attributes in its sorted order, the value
//! quoted only when it needs to be). Checked against real Django's headers in
//! `tests/django_csrf.rs` (`set_cookie` vectors of `fixtures/gen/csrf.py`).

use chrono::{DateTime, Utc};

/// Django's `http_date`: `Wdy, DD Mon YYYY HH:MM:SS GMT`.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The characters `http.cookies` leaves unquoted in a value.
fn is_legal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~:".contains(c)
}

/// `http.cookies._quote`: the value as is when every character is legal, else in double
/// quotes with `"` and `\` escaped, the legal characters and ` ()/<=>?@[]{}` as they are,
/// and every other character below 256 (`;` and `,` included) as `\ooo`.
fn quote(value: &str) -> String {
    if !value.is_empty() && value.chars().all(is_legal) {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_legal(c) || " ()/<=>?@[]{}".contains(c) => out.push(c),
            // Python's translator covers the characters below 256 and leaves the rest.
            c if (c as u32) < 256 => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One `Set-Cookie` header, with the attributes `set_cookie` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie<'a> {
    /// The cookie's name.
    pub name: &'a str,
    /// Its value (quoted as `http.cookies` quotes it).
    pub value: &'a str,
    /// `Max-Age`, seconds; `None`: a cookie for the browser session.
    pub max_age: Option<i64>,
    /// `expires`, when it is not `now + max_age` (a deleted cookie's epoch).
    pub expires: Option<DateTime<Utc>>,
    /// `Domain`.
    pub domain: Option<&'a str>,
    /// `Path`.
    pub path: &'a str,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub httponly: bool,
    /// `SameSite` (`None` for Django's `False`: no attribute).
    pub samesite: Option<&'a str>,
}

impl SetCookie<'_> {
    /// The header's value at `now`: `expires` is `now + max_age`, as `set_cookie` computes it.
    pub fn header(&self, now: DateTime<Utc>) -> String {
        let mut out = format!("{}={}", self.name, quote(self.value));
        // Morsel's order: comment, domain, expires, httponly, max-age, path, samesite, secure.
        if let Some(domain) = self.domain.filter(|d| !d.is_empty()) {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        let expires = self
            .expires
            .or_else(|| self.max_age.map(|age| now + chrono::Duration::seconds(age)));
        if let Some(expires) = expires {
            out.push_str("; expires=");
            out.push_str(&http_date(expires));
        }
        if self.httponly {
            out.push_str("; HttpOnly");
        }
        if let Some(age) = self.max_age {
            out.push_str(&format!("; Max-Age={age}"));
        }
        if !self.path.is_empty() {
            out.push_str("; Path=");
            out.push_str(self.path);
        }
        if let Some(samesite) = self.samesite.filter(|s| !s.is_empty()) {
            out.push_str("; SameSite=");
            out.push_str(samesite);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        out
    }

    /// `delete_cookie(name, path, domain, samesite)`: an empty value that expired at the
    /// epoch, `Secure` for `__Secure-`/`__Host-` names and for `SameSite=None` (browsers
    /// refuse such a cookie without it).
    pub fn deleting<'a>(
        name: &'a str,
        path: &'a str,
        domain: Option<&'a str>,
        samesite: Option<&'a str>,
    ) -> SetCookie<'a> {
        SetCookie {
            name,
            value: "",
            max_age: Some(0),
            expires: Some(DateTime::UNIX_EPOCH),
            domain,
            path,
            secure: name.starts_with("__Secure-")
                || name.starts_with("__Host-")
                || samesite.is_some_and(|s| s.eq_ignore_ascii_case("none")),
            httponly: false,
            samesite,
        }
    }
}

/// `COOKIES.get(name)` of parsed cookies: the last cookie of that name.
pub fn find_cookie<'a>(cookies: &'a [(String, String)], name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `django.http.cookie.parse_cookie`: `;`-separated chunks, `key=value` or a bare value (under
/// the empty key), both stripped; chunks that are empty on both sides are skipped; values are
/// unquoted the way `http.cookies._unquote` does it for the common case (surrounding quotes).
pub fn parse_cookie(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|chunk| {
            let (key, value) = chunk.split_once('=').unwrap_or(("", chunk));
            let (key, value) = (key.trim(), value.trim());
            if key.is_empty() && value.is_empty() {
                return None;
            }
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((key.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse_as_django_does() {
        let cookies = parse_cookie("sessionid=abc; csrftoken=x=y;  bare ;;a=\"q\"; sessionid=def");
        assert_eq!(
            cookies,
            vec![
                ("sessionid".into(), "abc".into()),
                ("csrftoken".into(), "x=y".into()),
                (String::new(), "bare".into()),
                ("a".into(), "q".into()),
                ("sessionid".into(), "def".into()),
            ]
        );
        assert_eq!(find_cookie(&cookies, "sessionid"), Some("def"));
        assert_eq!(find_cookie(&cookies, "nope"), None);
    }

    #[test]
    fn values_are_quoted_as_http_cookies_quotes_them() {
        assert_eq!(quote("abc123"), "abc123");
        assert_eq!(quote("a.b:c-d_e"), "a.b:c-d_e");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("a;\"\\\n,"), "\"a\\073\\\"\\\\\\012\\054\"");
        assert_eq!(quote("é"), "\"\\351\"");
    }

    #[test]
    fn dates_are_http_dates() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(http_date(at), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(
            SetCookie::deleting("sessionid", "/", None, Some("Lax")).header(at),
            "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"
        );
    }
}
