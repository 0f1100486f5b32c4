//! djangorestframework-simplejwt (`rest_framework_simplejwt`), 5.3 to 5.5.1: its tokens as
//! `Token`, `AccessToken`, `RefreshToken`, `SlidingToken` and `UntypedToken` make and check
//! them, `JWTAuthentication`'s reading of the `Authorization` header, and the messages of
//! each release. Core; the blacklist tables and the user lookups are in `auth.rs` (feature
//! `store`), the endpoints' parsing and answers in `views.rs`.
//!
//! What changed between releases ([`Version`]): 5.4.0 added `CHECK_USER_IS_ACTIVE` and made
//! the refresh view look the user up; 5.5.0 told expired tokens from invalid ones ("Token is
//! expired" / "Token is invalid" instead of "Token is invalid or expired") and records a
//! rotated refresh token as outstanding; 5.5.1 always writes `user_id` as a string and no
//! longer copies a refresh token's `iat` into its access tokens.
//! Checked against the real package in `tests/django_simplejwt.rs`
//! (`fixtures/gen/simplejwt.py`).

#[cfg(feature = "store")]
mod auth;
pub mod jws;
pub mod views;

#[cfg(feature = "store")]
pub use auth::{
    AuthFailure, Refreshed, answer, authenticate, blacklist, failure_body, obtain_answer,
    obtain_pair, refresh, verify,
};

use serde_json::{Map, Value};

use crate::crypto::SecretKey;
use crate::user::{Pk, PkKind, PkLookup, User};
use jws::{HmacAlgorithm, JwtError, Validation};

/// The simplejwt release whose behaviour to follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// 5.3.x: the last for Django 3.2 to 4.1.
    V5_3,
    /// 5.4.0.
    V5_4,
    /// 5.5.0.
    V5_5_0,
    /// 5.5.1 (current).
    #[default]
    V5_5_1,
}

impl Version {
    /// A release as pip names it (`5.3.1`, `5.4.0`, `5.5.0`, `5.5.1`, or `5.3`, `5.4`, `5.5`
    /// for the newest of a series).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let (major, minor, patch) = (parts.next()?, parts.next()?, parts.next());
        if major != "5" || parts.next().is_some() {
            return None;
        }
        let patch: u32 = match patch {
            None => u32::MAX,
            Some(p) => p.parse().ok()?,
        };
        match minor {
            "3" => Some(Version::V5_3),
            "4" => Some(Version::V5_4),
            "5" if patch == 0 => Some(Version::V5_5_0),
            "5" => Some(Version::V5_5_1),
            _ => None,
        }
    }

    /// The release's name, as [`Version::parse`] reads it back.
    pub fn name(self) -> &'static str {
        match self {
            Version::V5_3 => "5.3",
            Version::V5_4 => "5.4",
            Version::V5_5_0 => "5.5.0",
            Version::V5_5_1 => "5.5.1",
        }
    }
}

/// A token class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    /// `AccessToken`.
    Access,
    /// `RefreshToken`.
    Refresh,
    /// `SlidingToken`.
    Sliding,
    /// `UntypedToken` (the verify view's: any type).
    Untyped,
}

impl TokenType {
    /// `token_type`, the value of the type claim.
    pub fn name(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
            TokenType::Sliding => "sliding",
            TokenType::Untyped => "untyped",
        }
    }

    /// The class's `__name__`.
    pub fn class_name(self) -> &'static str {
        match self {
            TokenType::Access => "AccessToken",
            TokenType::Refresh => "RefreshToken",
            TokenType::Sliding => "SlidingToken",
            TokenType::Untyped => "UntypedToken",
        }
    }

    /// The class for an `AUTH_TOKEN_CLASSES` path.
    pub fn from_class_path(path: &str) -> Option<Self> {
        match path {
            "rest_framework_simplejwt.tokens.AccessToken" => Some(TokenType::Access),
            "rest_framework_simplejwt.tokens.SlidingToken" => Some(TokenType::Sliding),
            _ => None,
        }
    }

    /// The path [`TokenType::from_class_path`] reads.
    pub fn class_path(self) -> String {
        format!("rest_framework_simplejwt.tokens.{}", self.class_name())
    }

    /// Whether the class checks (and can be put on) the blacklist when the app is
    /// installed: `BlacklistMixin`'s classes.
    pub fn blacklistable(self) -> bool {
        matches!(self, TokenType::Refresh | TokenType::Sliding)
    }
}

/// `AUDIENCE`: what `encode` writes into `aud`, and what `decode` accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// One audience (a string).
    One(String),
    /// A list of them.
    Many(Vec<String>),
}

impl Audience {
    fn to_value(&self) -> Value {
        match self {
            Audience::One(one) => Value::from(one.as_str()),
            Audience::Many(many) => Value::from(many.clone()),
        }
    }

    fn accepted(&self) -> Vec<String> {
        match self {
            Audience::One(one) => vec![one.clone()],
            Audience::Many(many) => many.clone(),
        }
    }
}

/// A duration in microseconds (`timedelta`'s resolution).
pub type Micros = i64;

/// simplejwt's settings (`SIMPLE_JWT`), resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// The release to follow.
    pub version: Version,
    /// `ALGORITHM`.
    pub algorithm: HmacAlgorithm,
    /// `SIGNING_KEY` (`SECRET_KEY` by default; fallbacks are never used).
    pub signing_key: SecretKey,
    /// `AUDIENCE`.
    pub audience: Option<Audience>,
    /// `ISSUER`.
    pub issuer: Option<String>,
    /// `LEEWAY`, in seconds.
    pub leeway: f64,
    /// `ACCESS_TOKEN_LIFETIME`.
    pub access_lifetime: Micros,
    /// `REFRESH_TOKEN_LIFETIME`.
    pub refresh_lifetime: Micros,
    /// `SLIDING_TOKEN_LIFETIME`.
    pub sliding_lifetime: Micros,
    /// `SLIDING_TOKEN_REFRESH_LIFETIME`.
    pub sliding_refresh_lifetime: Micros,
    /// `ROTATE_REFRESH_TOKENS`.
    pub rotate_refresh_tokens: bool,
    /// `BLACKLIST_AFTER_ROTATION`.
    pub blacklist_after_rotation: bool,
    /// `UPDATE_LAST_LOGIN`.
    pub update_last_login: bool,
    /// `AUTH_HEADER_TYPES`: the first is the `WWW-Authenticate` scheme.
    pub auth_header_types: Vec<String>,
    /// `AUTH_HEADER_NAME` as an HTTP header name (`HTTP_AUTHORIZATION`: `authorization`).
    pub auth_header_name: String,
    /// `USER_ID_CLAIM`.
    pub user_id_claim: String,
    /// `TOKEN_TYPE_CLAIM`.
    pub token_type_claim: String,
    /// `JTI_CLAIM`.
    pub jti_claim: String,
    /// `SLIDING_TOKEN_REFRESH_EXP_CLAIM`.
    pub sliding_refresh_exp_claim: String,
    /// `CHECK_REVOKE_TOKEN` (5.3+).
    pub check_revoke_token: bool,
    /// `REVOKE_TOKEN_CLAIM`.
    pub revoke_token_claim: String,
    /// `CHECK_USER_IS_ACTIVE` (5.4+; 5.3 always checks).
    pub check_user_is_active: bool,
    /// `AUTH_TOKEN_CLASSES`: the types `JWTAuthentication` tries, in order.
    pub auth_token_classes: Vec<TokenType>,
    /// Whether `rest_framework_simplejwt.token_blacklist` is in `INSTALLED_APPS`.
    pub blacklist_app: bool,
}

impl Config {
    /// simplejwt's defaults for this release, signing with `signing_key`.
    pub fn new(version: Version, signing_key: SecretKey) -> Self {
        const MINUTE: Micros = 60_000_000;
        Config {
            version,
            algorithm: HmacAlgorithm::Hs256,
            signing_key,
            audience: None,
            issuer: None,
            leeway: 0.0,
            access_lifetime: 5 * MINUTE,
            refresh_lifetime: 24 * 60 * MINUTE,
            sliding_lifetime: 5 * MINUTE,
            sliding_refresh_lifetime: 24 * 60 * MINUTE,
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            update_last_login: false,
            auth_header_types: vec!["Bearer".into()],
            auth_header_name: "authorization".into(),
            user_id_claim: "user_id".into(),
            token_type_claim: "token_type".into(),
            jti_claim: "jti".into(),
            sliding_refresh_exp_claim: "refresh_exp".into(),
            check_revoke_token: false,
            revoke_token_claim: "hash_password".into(),
            check_user_is_active: true,
            auth_token_classes: vec![TokenType::Access],
            blacklist_app: false,
        }
    }

    /// `JWTAuthentication.authenticate_header`: `Bearer realm="api"`.
    pub fn www_authenticate(&self) -> String {
        let scheme = self
            .auth_header_types
            .first()
            .map_or("Bearer", String::as_str);
        format!("{scheme} realm=\"api\"")
    }

    /// `CHECK_USER_IS_ACTIVE` as the release reads it.
    pub fn checks_user_is_active(&self) -> bool {
        self.version < Version::V5_4 || self.check_user_is_active
    }

    fn lifetime(&self, kind: TokenType) -> Micros {
        match kind {
            TokenType::Access => self.access_lifetime,
            TokenType::Refresh => self.refresh_lifetime,
            TokenType::Sliding => self.sliding_lifetime,
            TokenType::Untyped => 0,
        }
    }

    fn validation(&self) -> Validation {
        Validation {
            audience: self.audience.as_ref().map(Audience::accepted),
            issuer: self.issuer.clone(),
            leeway: self.leeway,
        }
    }

    /// `TokenBackend.encode`: `aud` and `iss` added when configured, then `jwt.encode`.
    pub fn encode(&self, payload: &Map<String, Value>) -> String {
        let mut payload = payload.clone();
        if let Some(audience) = &self.audience {
            payload.insert("aud".into(), audience.to_value());
        }
        if let Some(issuer) = &self.issuer {
            payload.insert("iss".into(), Value::from(issuer.as_str()));
        }
        let json = crate::signing::json::dumps(&Value::Object(payload));
        jws::encode(self.algorithm, self.signing_key.expose(), &json)
    }
}

/// Why a token class refused a token (`TokenError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// `jwt.decode` found it expired.
    Expired,
    /// `jwt.decode` refused it otherwise (PyJWT's reason, for the logs).
    Invalid(&'static str),
    /// `check_exp`: the claim is missing.
    NoClaim(String),
    /// `check_exp`: the claim has passed.
    ClaimExpired(String),
    /// No `JTI_CLAIM`.
    NoId,
    /// No `TOKEN_TYPE_CLAIM`.
    NoType,
    /// Another type's token.
    WrongType,
    /// Its `jti` is on the blacklist.
    Blacklisted,
}

impl TokenError {
    /// The message the release gives.
    pub fn message(&self, version: Version) -> String {
        let old = version < Version::V5_5_0;
        match self {
            TokenError::Expired if old => "Token is invalid or expired".into(),
            TokenError::Invalid(_) if old => "Token is invalid or expired".into(),
            TokenError::Expired => "Token is expired".into(),
            TokenError::Invalid(_) => "Token is invalid".into(),
            TokenError::NoClaim(claim) => format!("Token has no '{claim}' claim"),
            TokenError::ClaimExpired(claim) => format!("Token '{claim}' claim has expired"),
            TokenError::NoId => "Token has no id".into(),
            TokenError::NoType => "Token has no type".into(),
            TokenError::WrongType => "Token has wrong type".into(),
            TokenError::Blacklisted => "Token is blacklisted".into(),
        }
    }
}

/// A token: its class, its payload (in order) and the instant the object was made
/// (`current_time`, which a refresh token's access token and its rotation count from).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The class.
    pub kind: TokenType,
    /// The claims, in insertion order.
    pub payload: Map<String, Value>,
    /// `current_time`, microseconds since the epoch.
    pub current_time: Micros,
}

/// `datetime_to_epoch(dt)`: whole seconds (`timegm(dt.utctimetuple())` drops the fraction).
fn epoch_seconds(at: Micros) -> i64 {
    at.div_euclid(1_000_000)
}

/// `uuid4().hex`.
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    crate::crypto::fill_random(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .simple()
        .to_string()
}

impl Token {
    /// `Kind()`: a new token at `now` with this `jti` (`token_type`, `exp`, `iat`, `jti`;
    /// a sliding token also its refresh expiry).
    pub fn new(config: &Config, kind: TokenType, now: Micros, jti: String) -> Token {
        let mut token = Token {
            kind,
            payload: Map::new(),
            current_time: now,
        };
        token
            .payload
            .insert(config.token_type_claim.clone(), Value::from(kind.name()));
        token.set_exp("exp", config.lifetime(kind));
        token.set_iat();
        token
            .payload
            .insert(config.jti_claim.clone(), Value::from(jti));
        if kind == TokenType::Sliding {
            let claim = config.sliding_refresh_exp_claim.clone();
            token.set_exp(&claim, config.sliding_refresh_lifetime);
        }
        token
    }

    /// `Kind.for_user(user)`: a new token carrying the user's id (and, with
    /// `CHECK_REVOKE_TOKEN`, the digest of the password hash).
    pub fn for_user(
        config: &Config,
        kind: TokenType,
        user: &User,
        now: Micros,
        jti: String,
    ) -> Token {
        let mut token = Token::new(config, kind, now, jti);
        token.payload.insert(
            config.user_id_claim.clone(),
            user_id_claim(config.version, &user.pk),
        );
        if config.check_revoke_token {
            token.payload.insert(
                config.revoke_token_claim.clone(),
                Value::from(password_digest(&user.password)),
            );
        }
        token
    }

    /// `RefreshToken.access_token`: a new access token expiring an access lifetime after
    /// this token was made, with every claim of this one except the type, `exp`, `jti` and
    /// (5.5.1) `iat`.
    pub fn access_token(&self, config: &Config, now: Micros, jti: String) -> Token {
        let mut access = Token::new(config, TokenType::Access, now, jti);
        access.payload.insert(
            "exp".into(),
            Value::from(epoch_seconds(self.current_time + config.access_lifetime)),
        );
        // 5.5.1 also keeps the access token's own iat; before, the refresh token's was copied.
        let mut skip = vec![
            config.token_type_claim.as_str(),
            "exp",
            config.jti_claim.as_str(),
            "jti",
        ];
        if config.version >= Version::V5_5_1 {
            skip.push("iat");
        }
        for (claim, value) in &self.payload {
            if !skip.contains(&claim.as_str()) {
                access.payload.insert(claim.clone(), value.clone());
            }
        }
        access
    }

    /// The rotation of the refresh view: a new `jti`, `exp` and `iat` in place.
    pub fn rotate(&mut self, config: &Config, jti: String) {
        self.payload
            .insert(config.jti_claim.clone(), Value::from(jti));
        self.set_exp("exp", config.lifetime(self.kind));
        self.set_iat();
    }

    fn set_exp(&mut self, claim: &str, lifetime: Micros) {
        self.payload.insert(
            claim.into(),
            Value::from(epoch_seconds(self.current_time + lifetime)),
        );
    }

    fn set_iat(&mut self) {
        self.payload
            .insert("iat".into(), Value::from(epoch_seconds(self.current_time)));
    }

    /// `str(token)`.
    pub fn encode(&self, config: &Config) -> String {
        config.encode(&self.payload)
    }

    /// `Kind(raw, verify=False)`'s decoding part, with the signature and PyJWT's claims
    /// checked: the token, or `TokenError`. [`Token::verify`] comes next (after the
    /// blacklist, for the classes that have one).
    pub fn decode(
        config: &Config,
        kind: TokenType,
        raw: &[u8],
        now: Micros,
    ) -> Result<Token, TokenError> {
        let payload = jws::decode(
            raw,
            config.signing_key.expose(),
            config.algorithm,
            &config.validation(),
            now as f64 / 1e6,
        )
        .map_err(|e| match e {
            JwtError::Expired => TokenError::Expired,
            JwtError::Invalid(why) => TokenError::Invalid(why),
        })?;
        Ok(Token {
            kind,
            payload,
            current_time: now,
        })
    }

    /// The `jti` the blacklist is keyed by, when the token has one (as a string: PyJWT
    /// refused any other).
    pub fn jti(&self, config: &Config) -> Option<&str> {
        self.payload.get(&config.jti_claim).and_then(Value::as_str)
    }

    /// `Token.verify`: `exp` has not passed, the token has an id and (but for untyped
    /// tokens) the class's type.
    pub fn verify(&self, config: &Config) -> Result<(), TokenError> {
        self.check_exp(config, "exp")?;
        if !self.payload.contains_key(&config.jti_claim) {
            return Err(TokenError::NoId);
        }
        if self.kind != TokenType::Untyped {
            match self.payload.get(&config.token_type_claim) {
                None => return Err(TokenError::NoType),
                Some(Value::String(t)) if t == self.kind.name() => {}
                Some(_) => return Err(TokenError::WrongType),
            }
        }
        Ok(())
    }

    /// `check_exp(claim)`: the claim is there and has not passed (minus the leeway).
    pub fn check_exp(&self, config: &Config, claim: &str) -> Result<(), TokenError> {
        let value = self
            .payload
            .get(claim)
            .ok_or_else(|| TokenError::NoClaim(claim.into()))?;
        // datetime.fromtimestamp: a number (a bool is one); anything else is a TypeError in
        // simplejwt (a 500), refused as invalid here.
        let at = match value {
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => n.as_f64().ok_or(TokenError::Invalid("bad time claim"))?,
            _ => return Err(TokenError::Invalid("a time claim that is not a number")),
        };
        let now = self.current_time as f64 / 1e6;
        if at <= now - config.leeway {
            return Err(TokenError::ClaimExpired(claim.into()));
        }
        Ok(())
    }
}

/// `user_id` as `for_user` writes it: 5.5.1 always `str(pk)`, earlier releases an integer
/// pk as a number.
pub fn user_id_claim(version: Version, pk: &Pk) -> Value {
    match pk {
        Pk::Int(i) if version < Version::V5_5_1 => Value::from(*i),
        other => Value::from(other.to_string()),
    }
}

/// `get_md5_hash_password(user.password)`: `CHECK_REVOKE_TOKEN`'s claim.
pub fn password_digest(password: &str) -> String {
    use md5::Digest;
    let digest = md5::Md5::digest(password.as_bytes());
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// What `User.objects.get(**{USER_ID_FIELD: value})` looks up for a claim's value.
pub fn pk_of_claim(value: &Value, kind: PkKind) -> PkLookup {
    let integer_key = matches!(kind, PkKind::Integer | PkKind::BigInteger);
    match value {
        Value::String(text) => kind.parse_pk(text),
        // filter(id=None) is "IS NULL": no user.
        Value::Null => PkLookup::Impossible,
        Value::Bool(b) if integer_key => kind.parse_pk(if *b { "1" } else { "0" }),
        Value::Bool(b) => kind.parse_pk(if *b { "True" } else { "False" }),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => kind.parse_pk(&i.to_string()),
            // IntegerField's int(1.5); a text key's str(1.5).
            (None, Some(f)) if integer_key && f.is_finite() => {
                kind.parse_pk(&format!("{:.0}", f.trunc()))
            }
            (None, Some(f)) if kind == PkKind::String => {
                kind.parse_pk(&crate::signing::json::python_float_repr(f))
            }
            _ => PkLookup::Invalid,
        },
        Value::Array(_) | Value::Object(_) => PkLookup::Invalid,
    }
}

/// What `JWTAuthentication.get_raw_token` makes of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawToken<'a> {
    /// Not this scheme: another class may authenticate.
    NotMine,
    /// The token's bytes.
    Token(&'a [u8]),
    /// One of the types, without exactly one token after it.
    Malformed,
}

/// The message of [`RawToken::Malformed`] (code `bad_authorization_header`).
pub const BAD_AUTHORIZATION_HEADER: &str =
    "Authorization header must contain two space-delimited values";

/// `header.split()`, the first part one of `AUTH_HEADER_TYPES` exactly (case matters), then
/// exactly one more part.
pub fn raw_token<'a>(header: &'a [u8], types: &[String]) -> RawToken<'a> {
    let mut parts = header
        .split(|&b| crate::drf::is_bytes_whitespace(b))
        .filter(|part| !part.is_empty());
    let Some(scheme) = parts.next() else {
        return RawToken::NotMine;
    };
    // HTTP_HEADER_ENCODING (latin-1) of each type.
    let latin1 = |t: &str| -> Option<Vec<u8>> { t.chars().map(|c| u8::try_from(c).ok()).collect() };
    if !types.iter().any(|t| latin1(t).as_deref() == Some(scheme)) {
        return RawToken::NotMine;
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => RawToken::Token(token),
        _ => RawToken::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(version: Version) -> Config {
        Config::new(
            version,
            SecretKey::new("rust-compat-test-secret-key-0123456789abcdefghijklmnop"),
        )
    }

    const NOW: Micros = 1_700_000_000_000_000;

    #[test]
    fn the_specs_refresh_and_access_tokens() {
        // django-sessions-tokens-spec.md §10.5: uuid4 patched to 1, 2, …; user pk 1.
        let jti = |n: u128| format!("{n:032x}");
        let user = User::new(1, "x");
        let config = config(Version::V5_5_1);
        let refresh = Token::for_user(&config, TokenType::Refresh, &user, NOW, jti(1));
        assert_eq!(
            refresh.encode(&config),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTcwMDA4NjQwMCwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiIwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMSIsInVzZXJfaWQiOiIxIn0.2M4R1MjBClFkl7q5nfpXslDYtNyL_f2ZkN0LSlLdWpY"
        );
        let access = refresh.access_token(&config, NOW, jti(2));
        assert!(
            access
                .encode(&config)
                .ends_with(".F_H2jplRAWgH1W1g7woObSWn_0Q6BQrlz9zw9NJMGKk")
        );
        let old = self::config(Version::V5_3);
        let refresh = Token::for_user(&old, TokenType::Refresh, &user, NOW, jti(1));
        assert!(
            refresh
                .encode(&old)
                .ends_with(".xFLVHkvmuwNwZjS2C1OzUonzUaIJXxsZLLoqVNbRRA0")
        );
    }

    #[test]
    fn an_access_token_is_refused_as_a_refresh_token() {
        let config = config(Version::V5_5_1);
        let access = Token::new(&config, TokenType::Access, NOW, new_jti()).encode(&config);
        let read = Token::decode(&config, TokenType::Refresh, access.as_bytes(), NOW + 1).unwrap();
        assert_eq!(read.verify(&config), Err(TokenError::WrongType));
        let expired = Token::decode(
            &config,
            TokenType::Access,
            access.as_bytes(),
            NOW + 300_000_000,
        );
        assert_eq!(expired, Err(TokenError::Expired));
        assert_eq!(
            TokenError::Expired.message(Version::V5_3),
            "Token is invalid or expired"
        );
    }

    #[test]
    fn headers_need_the_exact_type_and_one_token() {
        let types = vec!["Bearer".to_owned()];
        assert_eq!(
            raw_token(b"Bearer a.b.c", &types),
            RawToken::Token(b"a.b.c")
        );
        assert_eq!(raw_token(b"bearer a.b.c", &types), RawToken::NotMine);
        assert_eq!(raw_token(b"Bearer", &types), RawToken::Malformed);
        assert_eq!(raw_token(b"Bearer a b", &types), RawToken::Malformed);
        assert_eq!(raw_token(b"  ", &types), RawToken::NotMine);
    }

    #[test]
    fn claims_name_users_as_django_fields_read_them() {
        assert_eq!(
            pk_of_claim(&Value::from("1"), PkKind::Integer),
            PkLookup::Pk(Pk::Int(1))
        );
        assert_eq!(
            pk_of_claim(&Value::from(1.5), PkKind::Integer),
            PkLookup::Pk(Pk::Int(1))
        );
        assert_eq!(
            pk_of_claim(&Value::Null, PkKind::Integer),
            PkLookup::Impossible
        );
        assert_eq!(
            pk_of_claim(&Value::from("x"), PkKind::Integer),
            PkLookup::Invalid
        );
    }

    #[test]
    fn the_revoke_claim_is_the_upper_case_md5_of_the_hash() {
        assert_eq!(
            password_digest("pbkdf2_sha256$1$salt$hash"),
            "BC95F864A6EFB05AC2AC3A2490463C9A"
        );
    }
}
