//! Signed cookies: `HttpResponse.set_signed_cookie` and `HttpRequest.get_signed_cookie`.
//!
//! The signer is `get_cookie_signer()`: a [`TimestampSigner`] keyed with
//! `b"django.http.cookies" + SECRET_KEY` (and the same of each fallback key, 4.1+). Its salt
//! changed in *patch* releases, for CVE-2026-6873 (a cookie's name and salt could collide):
//!
//! | Django | writes with salt | reads |
//! |---|---|---|
//! | 3.2 … 5.1, 5.2.0–5.2.14, 6.0.0–6.0.5 | `name + salt` | the same |
//! | 5.2.15+, 6.0.6+ | `django.http.cookies.v2:{len(salt)}:{salt}{name}` | v2, then the legacy salt while `SIGNED_COOKIE_LEGACY_SALT_FALLBACK` (default true) |
//! | 6.1 | v2 | v2, the legacy salt only with `SIGNED_COOKIE_LEGACY_SALT_FALLBACK = True` |
//!
//! `len(salt)` counts code points. A cookie written with the v2 salt is refused by every older
//! release, so the scheme must follow the release the cookies are shared with:
//! [`CookieSalt::for_release`].

use super::{SignerOptions, SigningError, TimestampSigner};
use crate::crypto::{SecretKey, SecretKeys};
use crate::version::DjangoVersion;

/// How a release salts signed cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieSalt {
    /// `name + salt`, written and read.
    Legacy,
    /// The v2 salt written and read first; then the legacy one if `legacy_fallback`.
    V2 {
        /// `SIGNED_COOKIE_LEGACY_SALT_FALLBACK`.
        legacy_fallback: bool,
    },
}

impl CookieSalt {
    /// The scheme of Django `series.patch` with `SIGNED_COOKIE_LEGACY_SALT_FALLBACK` as
    /// configured (`None`: that release's default). Without a patch level, 5.2 and 6.0 are
    /// taken as their releases before the change: their cookies are the ones every release
    /// of the series reads (the later ones through the legacy fallback, on by default there).
    pub fn for_release(
        series: DjangoVersion,
        patch: Option<u16>,
        legacy_fallback: Option<bool>,
    ) -> Self {
        let v2 = match series {
            DjangoVersion::V5_2 => patch.is_some_and(|p| p >= 15),
            DjangoVersion::V6_0 => patch.is_some_and(|p| p >= 6),
            s => s > DjangoVersion::V6_0,
        };
        if !v2 {
            return CookieSalt::Legacy;
        }
        let default = series < DjangoVersion::V6_1;
        CookieSalt::V2 {
            legacy_fallback: legacy_fallback.unwrap_or(default),
        }
    }
}

/// `name + salt`.
fn legacy_salt(name: &str, salt: &str) -> String {
    format!("{name}{salt}")
}

/// `django.http.cookies.v2:{len(salt)}:{salt}{name}`.
fn v2_salt(name: &str, salt: &str) -> String {
    format!(
        "django.http.cookies.v2:{}:{salt}{name}",
        salt.chars().count()
    )
}

/// `get_cookie_signer`'s keys: `b"django.http.cookies" + key` for the key and each fallback.
fn cookie_keys(keys: &SecretKeys) -> SecretKeys {
    let prefixed = |key: &SecretKey| {
        let mut bytes = b"django.http.cookies".to_vec();
        bytes.extend_from_slice(key.expose());
        SecretKey::new(bytes)
    };
    SecretKeys {
        current: prefixed(&keys.current),
        fallbacks: keys.fallbacks.iter().map(prefixed).collect(),
    }
}

/// Signed cookies of one project: its keys, its release and its salt scheme.
pub struct CookieSigning {
    keys: SecretKeys,
    version: DjangoVersion,
    scheme: CookieSalt,
}

impl CookieSigning {
    /// Over `keys` (`SECRET_KEY`, `SECRET_KEY_FALLBACKS`) as `version` reads them.
    pub fn new(keys: &SecretKeys, version: DjangoVersion, scheme: CookieSalt) -> Self {
        CookieSigning {
            keys: cookie_keys(keys),
            version,
            scheme,
        }
    }

    fn signer(&self, salt: String) -> TimestampSigner {
        let options = SignerOptions {
            salt: Some(salt),
            ..SignerOptions::default()
        };
        TimestampSigner::new(&self.keys, self.version, options)
            .expect("the default separator is safe")
    }

    /// The value `set_signed_cookie(name, value, salt=salt)` puts in the cookie at `now`.
    pub fn sign(&self, name: &str, value: &str, salt: &str, now: i64) -> String {
        let salt = match self.scheme {
            CookieSalt::Legacy => legacy_salt(name, salt),
            CookieSalt::V2 { .. } => v2_salt(name, salt),
        };
        self.signer(salt).sign(value, now)
    }

    /// `get_signed_cookie(name, salt=salt, max_age=max_age)` of the cookie's value at `now`.
    /// As in Django, the legacy salt is tried after the v2 one only for a bad signature, not
    /// for an expired one, and a good signature over a broken timestamp is an error either
    /// way (Django's `ValueError`).
    pub fn unsign(
        &self,
        name: &str,
        signed: &str,
        salt: &str,
        max_age: Option<f64>,
        now: f64,
    ) -> Result<String, SigningError> {
        let legacy = || {
            self.signer(legacy_salt(name, salt))
                .unsign(signed, max_age, now)
                .map(|(value, _)| value.to_owned())
        };
        match self.scheme {
            CookieSalt::Legacy => legacy(),
            CookieSalt::V2 { legacy_fallback } => {
                match self
                    .signer(v2_salt(name, salt))
                    .unsign(signed, max_age, now)
                {
                    Ok((value, _)) => Ok(value.to_owned()),
                    Err(SigningError::NoSeparator(_) | SigningError::BadSignature)
                        if legacy_fallback =>
                    {
                        legacy()
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_salt_scheme_follows_the_patch_release() {
        use DjangoVersion::*;
        let fallback = |legacy_fallback| CookieSalt::V2 { legacy_fallback };
        assert_eq!(
            CookieSalt::for_release(V5_1, Some(15), None),
            CookieSalt::Legacy
        );
        assert_eq!(
            CookieSalt::for_release(V5_2, Some(14), None),
            CookieSalt::Legacy
        );
        assert_eq!(
            CookieSalt::for_release(V5_2, None, None),
            CookieSalt::Legacy
        );
        assert_eq!(
            CookieSalt::for_release(V5_2, Some(15), None),
            fallback(true)
        );
        assert_eq!(
            CookieSalt::for_release(V6_0, Some(5), None),
            CookieSalt::Legacy
        );
        assert_eq!(
            CookieSalt::for_release(V6_0, Some(6), Some(false)),
            fallback(false)
        );
        assert_eq!(CookieSalt::for_release(V6_1, None, None), fallback(false));
        assert_eq!(
            CookieSalt::for_release(V6_1, Some(0), Some(true)),
            fallback(true)
        );
    }

    #[test]
    fn the_v2_salt_counts_code_points() {
        assert_eq!(v2_salt("c", "sälz"), "django.http.cookies.v2:4:sälzc");
    }
}
