//! Connection URLs as djtoken shows and completes them: the database's (`DATABASE_URL`) and
//! the session cache's (`SESSION_CACHE_URL`).
//!
//! Every URL that reaches a message, a log line or `config show` goes through [`redact`],
//! which parses it with the `url` crate and masks its password (and a `password=` option)
//! and nothing else. A URL the parser refuses is masked from its scheme to its last `@`:
//! drivers split such text their own way (`postgres://u:pa/ss@host/db` is user `u`,
//! password `pa/ss` to tokio-postgres, and no URL at all to the `url` crate), and none of
//! their readings may leak. [`with_password`] puts a password read from a file into a URL
//! that has none, so that no password need be in a URL, a settings file or the environment.
//!
//! Pure functions: no I/O.

use url::Url;

/// What a password is replaced with.
pub const MASK: &str = "***";

/// `url` with its password, and the value of any `password=` query option, replaced by
/// `***`.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Cannot fail: a URL that has a password can have one.
                let _ = parsed.set_password(Some(MASK));
            }
            mask_password_option(parsed.as_str())
        }
        Err(_) => redact_unparsed(url),
    }
}

/// A URL the parser refuses: everything between `://` and the last `@` masked.
fn redact_unparsed(url: &str) -> String {
    let masked = match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let host = &rest[rest.rfind('@').map_or(0, |at| at + 1)..];
            format!("{scheme}://{MASK}@{host}")
        }
        _ => url.to_owned(),
    };
    mask_password_option(&masked)
}

/// `…?password=secret&…` → `…?password=***&…` (PostgreSQL's and MySQL's URLs take one).
fn mask_password_option(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// The password of `url`, percent-decoded as drivers decode it: in the userinfo, or a
/// `password=` option.
pub fn password(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    if let Some(password) = parsed.password() {
        let decoded = percent_encoding::percent_decode_str(password)
            .decode_utf8_lossy()
            .into_owned();
        return (!decoded.is_empty()).then_some(decoded);
    }
    parsed
        .query_pairs()
        .find(|(name, _)| name == "password")
        .map(|(_, value)| value.into_owned())
        .filter(|p| !p.is_empty())
}

/// Why a password could not be put into a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithPasswordError {
    /// The URL does not parse.
    #[error("{0} is not a URL djtoken can add a password to")]
    Unparsed(String),
    /// The URL has a password already: one of the two would be ignored.
    #[error("{0} has a password already, and a password file is given too: keep one")]
    Both(String),
}

/// `url` with `password` in it: in the userinfo (percent-encoded), or for a URL without a
/// host (`postgres:///db?host=/run/postgresql`) as a `password=` option. The password is
/// one a file held; a URL that has one already is an error, as a key given two ways is.
pub fn with_password(url: &str, password: &str) -> Result<String, WithPasswordError> {
    let mut parsed = Url::parse(url).map_err(|_| WithPasswordError::Unparsed(redact(url)))?;
    let has_option = parsed.query_pairs().any(|(name, _)| name == "password");
    if parsed.password().is_some() || has_option {
        return Err(WithPasswordError::Both(redact(url)));
    }
    if parsed.set_password(Some(password)).is_err() || parsed.host_str() == Some("") {
        parsed.query_pairs_mut().append_pair("password", password);
    }
    Ok(parsed.to_string())
}

/// A driver's message with the password of `url` masked, wherever the driver could have
/// echoed it: the URL itself, its userinfo (`:secret@`), an option (`password=secret`) or a
/// quoted value. The password is not replaced wherever its text happens to occur: a
/// password `x` must not turn "does not exist" into "does not e***ist".
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &redact(url));
    if let Some(password) = password(url) {
        for (before, after) in [(":", "@"), ("=", ""), ("'", "'"), ("\"", "\"")] {
            let echoed = format!("{before}{password}{after}");
            if after.is_empty() {
                // `password=secret` ends where the option does.
                out = replace_option(&out, &echoed, &format!("{before}{MASK}"));
            } else {
                out = out.replace(&echoed, &format!("{before}{MASK}{after}"));
            }
        }
    }
    out
}

/// Replace `=secret` where it is a whole option value: followed by the end, `&`, a space,
/// a quote or a comma.
fn replace_option(text: &str, echoed: &str, masked: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(echoed) {
        let end = at + echoed.len();
        let whole = rest[end..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '&' | ' ' | '\'' | '"' | ',' | ')' | ';'));
        out.push_str(&rest[..at]);
        out.push_str(if whole { masked } else { echoed });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_password_is_masked() {
        assert_eq!(
            redact("postgresql://alice:s3cr%40t@db.example:5432/app?sslmode=disable"),
            "postgresql://alice:***@db.example:5432/app?sslmode=disable"
        );
        assert_eq!(
            redact("redis://:hunter2@cache:6379/1?key_prefix=x"),
            "redis://:***@cache:6379/1?key_prefix=x"
        );
        assert_eq!(
            redact("postgresql:///app?host=/run&password=hunter2&user=bob"),
            "postgresql:///app?host=/run&password=***&user=bob"
        );
        assert_eq!(
            redact("mysql://root@%2Frun%2Fmysqld.sock/db"),
            "mysql://root@%2Frun%2Fmysqld.sock/db"
        );
        assert_eq!(redact("redis://cache:6379/0"), "redis://cache:6379/0");
    }

    #[test]
    fn a_password_with_a_slash_is_masked_however_a_driver_splits_it() {
        // The review's URL: cut at the first '/', the old redaction showed it in clear.
        let shown = redact("postgres://postgres:pa/ss@host/db");
        assert_eq!(shown, "postgres://***@host/db");
        assert!(!shown.contains("pa/ss"));
        let shown = redact("mysql://root:a?b@c@host:3306/db");
        assert!(!shown.contains("a?b") && !shown.contains("b@c"), "{shown}");
    }

    #[test]
    fn scrubbing_masks_echoes_not_every_occurrence_of_the_text() {
        let url = "postgresql://alice:x@db/app";
        assert_eq!(
            scrub("database \"app\" does not exist", url),
            "database \"app\" does not exist"
        );
        assert_eq!(
            scrub(&format!("cannot connect to {url}"), url),
            "cannot connect to postgresql://alice:***@db/app"
        );
        assert_eq!(
            scrub("options: user=alice password=x, host=db", url),
            "options: user=alice password=***, host=db"
        );
        assert_eq!(scrub("value 'x' is invalid", url), "value '***' is invalid");
        assert_eq!(scrub("password=xyz", url), "password=xyz");
    }

    #[test]
    fn a_password_from_a_file_goes_where_drivers_read_it() {
        assert_eq!(
            with_password("postgres://alice@db:5432/app", "p@ss/w:rd").as_deref(),
            Ok("postgres://alice:p%40ss%2Fw%3Ard@db:5432/app")
        );
        assert_eq!(
            password("postgres://alice:p%40ss%2Fw%3Ard@db:5432/app").as_deref(),
            Some("p@ss/w:rd")
        );
        assert_eq!(
            with_password("postgres:///app?host=/run/postgresql", "s3cret").as_deref(),
            Ok("postgres:///app?host=/run/postgresql&password=s3cret")
        );
        assert_eq!(
            with_password("redis://cache:6379/0?key_prefix=p", "s3cret").as_deref(),
            Ok("redis://:s3cret@cache:6379/0?key_prefix=p")
        );
        assert!(matches!(
            with_password("postgres://alice:old@db/app", "new"),
            Err(WithPasswordError::Both(shown)) if !shown.contains("old")
        ));
    }
}
