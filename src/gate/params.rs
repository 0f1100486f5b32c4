//! Reading a request's credentials the way Django does: `QueryDict`s from query strings and
//! form bodies, and `@token_required`'s credentials (POST, then GET, then
//! `Authorization: Basic`).

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;

use crate::responses;

/// A `QueryDict`: every value of every key, in order. The decoded text of every field is
/// kept in one string (a request's fields cost two allocations, not two per field).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    text: String,
    /// Where each field's key starts, and where its key and its value end, in `text`.
    fields: Vec<(usize, usize, usize)>,
}

impl Params {
    /// `application/x-www-form-urlencoded` (also query strings): `&`-separated, `+` is a
    /// space, percent-escapes are UTF-8 (invalid bytes become U+FFFD), blank values kept.
    pub fn urlencoded(bytes: &[u8]) -> Self {
        let mut params = Params {
            text: String::with_capacity(bytes.len()),
            fields: Vec::new(),
        };
        for (key, value) in form_urlencoded::parse(bytes) {
            params.push(&key, &value);
        }
        params
    }

    /// `QueryDict.get(key)`: the **last** value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs().rev().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Every field, in order.
    pub fn pairs(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> {
        self.fields.iter().map(|&(start, key_end, value_end)| {
            (&self.text[start..key_end], &self.text[key_end..value_end])
        })
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn push(&mut self, key: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(key);
        let key_end = self.text.len();
        self.text.push_str(value);
        self.fields.push((start, key_end, self.text.len()));
    }
}

/// `request.POST`: the fields of a urlencoded or multipart body; empty for any other content
/// type (a JSON body has no POST fields in Django). A multipart body that does not parse
/// gives no fields.
pub async fn post_params(headers: &HeaderMap, body: Bytes) -> Params {
    match form_body(headers) {
        Some((FormBody::Urlencoded, _)) => Params::urlencoded(&body),
        Some((FormBody::Multipart, content_type)) => match multer::parse_boundary(content_type) {
            Ok(boundary) => multipart(body, boundary).await.unwrap_or_default(),
            Err(_) => Params::default(),
        },
        None => Params::default(),
    }
}

/// The two bodies Django reads `request.POST` from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormBody {
    /// `application/x-www-form-urlencoded`.
    Urlencoded,
    /// `multipart/form-data`.
    Multipart,
}

/// Which form body the request's `Content-Type` names, with the header's text; `None` for any
/// other body.
pub fn form_body(headers: &HeaderMap) -> Option<(FormBody, &str)> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())?;
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Some((FormBody::Urlencoded, content_type))
    } else if mime.eq_ignore_ascii_case("multipart/form-data") {
        Some((FormBody::Multipart, content_type))
    } else {
        None
    }
}

async fn multipart(body: Bytes, boundary: String) -> Result<Params, multer::Error> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut params = Params::default();
    while let Some(field) = multipart.next_field().await? {
        // Parts with a filename are files (request.FILES), not POST fields.
        if field.file_name().is_some() {
            continue;
        }
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        let value = field.bytes().await?;
        params.push(&name, &String::from_utf8_lossy(&value));
    }
    Ok(params)
}

/// What `@token_required` finds in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequired {
    /// A user id and a token, both non-empty.
    Found {
        /// The user id, as given.
        user: String,
        /// The token, as given.
        token: String,
    },
    /// Missing or empty (tokenapi: 401).
    Missing,
    /// An `Authorization` header without a space (tokenapi 2.1.1: 400).
    BadHeaderFormat,
    /// Basic credentials that do not decode to `user:token` (tokenapi 2.1.1: 400).
    BadBasicEncoding,
}

impl TokenRequired {
    /// The message tokenapi gives for a failed extraction.
    pub fn message(&self) -> &'static str {
        match self {
            TokenRequired::BadHeaderFormat => responses::BAD_AUTH_HEADER,
            TokenRequired::BadBasicEncoding => responses::BAD_BASIC,
            _ => responses::MISSING_TOKEN_FIELDS,
        }
    }
}

/// `@token_required`: `user`/`token` from POST (a POST key wins even when empty), else GET;
/// when either is missing or empty, `Authorization: Basic base64(user:token)` replaces both.
pub fn token_required(
    post: &Params,
    query: &Params,
    authorization: Option<&[u8]>,
) -> TokenRequired {
    let pick = |key| post.get(key).or_else(|| query.get(key)).map(str::to_owned);
    let (mut user, mut token) = (pick("user"), pick("token"));
    let present = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    if !(present(&user) && present(&token))
        && let Some(header) = authorization
    {
        // WSGI hands Django the header as latin-1 text.
        let header = crate::wire::latin1::decode(header);
        let Some((method, rest)) = header.split_once(' ') else {
            return TokenRequired::BadHeaderFormat;
        };
        if method.eq_ignore_ascii_case("basic") && method.is_ascii() {
            match basic(rest) {
                Some((u, t)) => (user, token) = (Some(u), Some(t)),
                None => return TokenRequired::BadBasicEncoding,
            }
        }
    }
    match (user, token) {
        (Some(user), Some(token)) if !user.is_empty() && !token.is_empty() => {
            TokenRequired::Found { user, token }
        }
        _ => TokenRequired::Missing,
    }
}

/// `b64decode(rest.strip()).decode().split(':', 1)`.
fn basic(rest: &str) -> Option<(String, String)> {
    let stripped = rest.trim_matches(crate::wire::pyint::is_str_space);
    if !stripped.is_ascii() {
        return None;
    }
    let bytes = crate::wire::base64::b64decode(stripped.as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, token) = text.split_once(':')?;
    Some((user.to_owned(), token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_dict_keeps_the_last_value() {
        let p = Params::urlencoded(b"user=1&user=2&token=a+b%21&empty=&flag");
        assert_eq!(p.get("user"), Some("2"));
        assert_eq!(p.get("token"), Some("a b!"));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("nope"), None);
    }

    #[test]
    fn every_field_is_kept_in_order() {
        let p = Params::urlencoded(b"a=1&b=%C3%A9&a=&=x&c");
        let pairs: Vec<_> = p.pairs().collect();
        assert_eq!(
            pairs,
            [("a", "1"), ("b", "é"), ("a", ""), ("", "x"), ("c", "")]
        );
        assert_eq!(p.pairs().next_back(), Some(("c", "")));
        assert!(!p.is_empty() && Params::urlencoded(b"").is_empty());
    }

    #[test]
    fn token_required_precedence() {
        let post = Params::urlencoded(b"user=");
        let get = Params::urlencoded(b"user=1&token=t");
        // A POST key wins even when empty; then the missing pair is a 401.
        assert_eq!(token_required(&post, &get, None), TokenRequired::Missing);
        let header = format!("Basic {}", "MTp0b2s=");
        let found = token_required(
            &Params::default(),
            &Params::urlencoded(b"user=2"),
            Some(header.as_bytes()),
        );
        assert_eq!(
            found,
            TokenRequired::Found {
                user: "1".into(),
                token: "tok".into()
            }
        );
        assert_eq!(
            token_required(&Params::default(), &Params::default(), Some(b"Basic")),
            TokenRequired::BadHeaderFormat
        );
        assert_eq!(
            token_required(&Params::default(), &Params::default(), Some(b"Basic !!!!")),
            TokenRequired::BadBasicEncoding
        );
        assert_eq!(
            token_required(&Params::default(), &Params::default(), Some(b"Bearer x")),
            TokenRequired::Missing
        );
        assert_eq!(
            token_required(
                &Params::default(),
                &Params::default(),
                Some(b"basic  MTp0b2s= ")
            ),
            TokenRequired::Found {
                user: "1".into(),
                token: "tok".into()
            }
        );
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    #[test]
    fn a_form_body_is_named_by_its_content_type_in_any_case() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, value.parse().expect("a header"));
            form_body(&headers).map(|(kind, _)| kind)
        };
        assert_eq!(
            with("application/x-www-form-urlencoded; charset=utf-8"),
            Some(FormBody::Urlencoded)
        );
        assert_eq!(
            with("Multipart/Form-Data; boundary=x"),
            Some(FormBody::Multipart)
        );
        assert_eq!(with("application/json"), None);
        assert_eq!(form_body(&HeaderMap::new()), None);
    }
}
