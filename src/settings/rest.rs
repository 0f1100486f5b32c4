//! Django REST framework's settings, and simplejwt's and knox's.

use super::{Settings, SettingsError, invalid};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::keys::{read, strip_newline};
use crate::crypto::{SecretKey, SecretKeys};
/// `AUDIENCE`: one audience or a list.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AudienceSetting {
    /// A string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

/// `AUTH_HEADER_TYPES`: one type or a list (simplejwt takes both).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum HeaderTypes {
    /// A string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

/// djangorestframework-simplejwt's `SIMPLE_JWT`, with its names and defaults; durations in
/// seconds. `SIGNING_KEY` is never written in the file: `SIGNING_KEY_FILE` names a file
/// holding it, and without one the key is `SECRET_KEY` (never a fallback), as simplejwt's
/// default. `VERSION` (the simplejwt release) and `BLACKLIST_APP` (whether
/// `rest_framework_simplejwt.token_blacklist` is installed) are djtoken's: the project's
/// `djtoken_config` command writes them.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SimpleJwtSettings {
    /// The simplejwt release: `5.3`, `5.4`, `5.5.0`, `5.5.1`.
    #[serde(rename = "VERSION")]
    pub version: String,
    /// `rest_framework_simplejwt.token_blacklist` is in `INSTALLED_APPS`.
    #[serde(rename = "BLACKLIST_APP")]
    pub blacklist_app: bool,
    /// `ALGORITHM`: `HS256`, `HS384` or `HS512`.
    #[serde(rename = "ALGORITHM")]
    pub algorithm: String,
    /// A file holding `SIGNING_KEY` when it is not `SECRET_KEY`.
    #[serde(rename = "SIGNING_KEY_FILE", skip_serializing_if = "Option::is_none")]
    pub signing_key_file: Option<PathBuf>,
    /// `AUDIENCE`.
    #[serde(rename = "AUDIENCE", skip_serializing_if = "Option::is_none")]
    pub audience: Option<AudienceSetting>,
    /// `ISSUER`.
    #[serde(rename = "ISSUER", skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `LEEWAY`, seconds.
    #[serde(rename = "LEEWAY")]
    pub leeway: f64,
    /// `ACCESS_TOKEN_LIFETIME`, seconds.
    #[serde(rename = "ACCESS_TOKEN_LIFETIME")]
    pub access_token_lifetime: f64,
    /// `REFRESH_TOKEN_LIFETIME`, seconds.
    #[serde(rename = "REFRESH_TOKEN_LIFETIME")]
    pub refresh_token_lifetime: f64,
    /// `SLIDING_TOKEN_LIFETIME`, seconds.
    #[serde(rename = "SLIDING_TOKEN_LIFETIME")]
    pub sliding_token_lifetime: f64,
    /// `SLIDING_TOKEN_REFRESH_LIFETIME`, seconds.
    #[serde(rename = "SLIDING_TOKEN_REFRESH_LIFETIME")]
    pub sliding_token_refresh_lifetime: f64,
    /// `ROTATE_REFRESH_TOKENS`.
    #[serde(rename = "ROTATE_REFRESH_TOKENS")]
    pub rotate_refresh_tokens: bool,
    /// `BLACKLIST_AFTER_ROTATION`.
    #[serde(rename = "BLACKLIST_AFTER_ROTATION")]
    pub blacklist_after_rotation: bool,
    /// `UPDATE_LAST_LOGIN`.
    #[serde(rename = "UPDATE_LAST_LOGIN")]
    pub update_last_login: bool,
    /// `AUTH_HEADER_TYPES`.
    #[serde(rename = "AUTH_HEADER_TYPES")]
    pub auth_header_types: HeaderTypes,
    /// `AUTH_HEADER_NAME`, as Django names it (`HTTP_AUTHORIZATION`).
    #[serde(rename = "AUTH_HEADER_NAME")]
    pub auth_header_name: String,
    /// `USER_ID_FIELD`: the pk (`id`, or the pk column's name).
    #[serde(rename = "USER_ID_FIELD")]
    pub user_id_field: String,
    /// `USER_ID_CLAIM`.
    #[serde(rename = "USER_ID_CLAIM")]
    pub user_id_claim: String,
    /// `TOKEN_TYPE_CLAIM`.
    #[serde(rename = "TOKEN_TYPE_CLAIM")]
    pub token_type_claim: String,
    /// `JTI_CLAIM`.
    #[serde(rename = "JTI_CLAIM")]
    pub jti_claim: String,
    /// `SLIDING_TOKEN_REFRESH_EXP_CLAIM`.
    #[serde(rename = "SLIDING_TOKEN_REFRESH_EXP_CLAIM")]
    pub sliding_token_refresh_exp_claim: String,
    /// `CHECK_REVOKE_TOKEN`.
    #[serde(rename = "CHECK_REVOKE_TOKEN")]
    pub check_revoke_token: bool,
    /// `REVOKE_TOKEN_CLAIM`.
    #[serde(rename = "REVOKE_TOKEN_CLAIM")]
    pub revoke_token_claim: String,
    /// `CHECK_USER_IS_ACTIVE` (simplejwt 5.4+).
    #[serde(rename = "CHECK_USER_IS_ACTIVE")]
    pub check_user_is_active: bool,
    /// `AUTH_TOKEN_CLASSES`: `rest_framework_simplejwt.tokens.AccessToken` and/or
    /// `…SlidingToken`.
    #[serde(rename = "AUTH_TOKEN_CLASSES")]
    pub auth_token_classes: Vec<String>,
}

impl Default for SimpleJwtSettings {
    fn default() -> Self {
        SimpleJwtSettings {
            version: "5.5.1".into(),
            blacklist_app: false,
            algorithm: "HS256".into(),
            signing_key_file: None,
            audience: None,
            issuer: None,
            leeway: 0.0,
            access_token_lifetime: 300.0,
            refresh_token_lifetime: 86400.0,
            sliding_token_lifetime: 300.0,
            sliding_token_refresh_lifetime: 86400.0,
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            update_last_login: false,
            auth_header_types: HeaderTypes::Many(vec!["Bearer".into()]),
            auth_header_name: "HTTP_AUTHORIZATION".into(),
            user_id_field: "id".into(),
            user_id_claim: "user_id".into(),
            token_type_claim: "token_type".into(),
            jti_claim: "jti".into(),
            sliding_token_refresh_exp_claim: "refresh_exp".into(),
            check_revoke_token: false,
            revoke_token_claim: "hash_password".into(),
            check_user_is_active: true,
            auth_token_classes: vec![crate::simplejwt::TokenType::Access.class_path()],
        }
    }
}

impl SimpleJwtSettings {
    /// The resolved configuration, signing with `signing_key` (the file's, else
    /// `SECRET_KEY`), for a user table whose pk column is `pk_column`.
    pub fn config(
        &self,
        signing_key: SecretKey,
        pk_column: &str,
    ) -> Result<crate::simplejwt::Config, SettingsError> {
        use crate::simplejwt::{Audience, Config, TokenType, Version, jws::HmacAlgorithm};
        let version = Version::parse(&self.version).ok_or_else(|| {
            invalid(
                "SIMPLE_JWT.VERSION",
                format!(
                    "{:?} is not a simplejwt release djtoken follows (5.3, 5.4, 5.5.0, 5.5.1)",
                    self.version
                ),
            )
        })?;
        let mut config = Config::new(version, signing_key);
        config.algorithm = HmacAlgorithm::from_name(&self.algorithm).ok_or_else(|| {
            invalid(
                "SIMPLE_JWT.ALGORITHM",
                format!(
                    "{:?}: djtoken signs with HS256, HS384 or HS512 (a shared key)",
                    self.algorithm
                ),
            )
        })?;
        config.audience = self.audience.clone().map(|a| match a {
            AudienceSetting::One(one) => Audience::One(one),
            AudienceSetting::Many(many) => Audience::Many(many),
        });
        config.issuer = self.issuer.clone();
        if !self.leeway.is_finite() {
            return Err(invalid("SIMPLE_JWT.LEEWAY", "must be a number of seconds"));
        }
        config.leeway = self.leeway;
        let micros = |name: &'static str, seconds: f64| {
            if seconds.is_finite() && seconds.abs() < 1e12 {
                Ok((seconds * 1e6).round() as i64)
            } else {
                Err(invalid(name, "must be a number of seconds"))
            }
        };
        config.access_lifetime = micros(
            "SIMPLE_JWT.ACCESS_TOKEN_LIFETIME",
            self.access_token_lifetime,
        )?;
        config.refresh_lifetime = micros(
            "SIMPLE_JWT.REFRESH_TOKEN_LIFETIME",
            self.refresh_token_lifetime,
        )?;
        config.sliding_lifetime = micros(
            "SIMPLE_JWT.SLIDING_TOKEN_LIFETIME",
            self.sliding_token_lifetime,
        )?;
        config.sliding_refresh_lifetime = micros(
            "SIMPLE_JWT.SLIDING_TOKEN_REFRESH_LIFETIME",
            self.sliding_token_refresh_lifetime,
        )?;
        config.rotate_refresh_tokens = self.rotate_refresh_tokens;
        config.blacklist_after_rotation = self.blacklist_after_rotation;
        config.update_last_login = self.update_last_login;
        config.auth_header_types = match &self.auth_header_types {
            HeaderTypes::One(one) => vec![one.clone()],
            HeaderTypes::Many(many) => many.clone(),
        };
        if config.auth_header_types.is_empty() {
            return Err(invalid(
                "SIMPLE_JWT.AUTH_HEADER_TYPES",
                "needs at least one type",
            ));
        }
        config.auth_header_name =
            crate::hosts::meta_header(&self.auth_header_name).ok_or_else(|| {
                invalid(
                    "SIMPLE_JWT.AUTH_HEADER_NAME",
                    format!(
                        "{:?} is not a request header's META name (HTTP_…)",
                        self.auth_header_name
                    ),
                )
            })?;
        if !["id", "pk", pk_column].contains(&self.user_id_field.as_str()) {
            return Err(invalid(
                "SIMPLE_JWT.USER_ID_FIELD",
                format!(
                    "{:?}: djtoken finds a token's user by primary key ({pk_column:?})",
                    self.user_id_field
                ),
            ));
        }
        for (name, value) in [
            ("SIMPLE_JWT.USER_ID_CLAIM", &self.user_id_claim),
            ("SIMPLE_JWT.TOKEN_TYPE_CLAIM", &self.token_type_claim),
            ("SIMPLE_JWT.JTI_CLAIM", &self.jti_claim),
            (
                "SIMPLE_JWT.SLIDING_TOKEN_REFRESH_EXP_CLAIM",
                &self.sliding_token_refresh_exp_claim,
            ),
            ("SIMPLE_JWT.REVOKE_TOKEN_CLAIM", &self.revoke_token_claim),
        ] {
            if value.is_empty() {
                return Err(invalid(name, "must name a claim"));
            }
        }
        config.user_id_claim = self.user_id_claim.clone();
        config.token_type_claim = self.token_type_claim.clone();
        config.jti_claim = self.jti_claim.clone();
        config.sliding_refresh_exp_claim = self.sliding_token_refresh_exp_claim.clone();
        config.check_revoke_token = self.check_revoke_token;
        config.revoke_token_claim = self.revoke_token_claim.clone();
        config.check_user_is_active = self.check_user_is_active;
        config.auth_token_classes = self
            .auth_token_classes
            .iter()
            .map(|path| {
                TokenType::from_class_path(path).ok_or_else(|| {
                    invalid(
                        "SIMPLE_JWT.AUTH_TOKEN_CLASSES",
                        format!("{path:?}: djtoken knows AccessToken and SlidingToken"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        if config.auth_token_classes.is_empty() {
            return Err(invalid(
                "SIMPLE_JWT.AUTH_TOKEN_CLASSES",
                "needs at least one class",
            ));
        }
        config.blacklist_app = self.blacklist_app;
        Ok(config)
    }
}

/// django-rest-knox's `REST_KNOX`, with its names and defaults; durations in seconds
/// (`TOKEN_TTL = false` for tokens that never expire). `VERSION` (the knox release) is
/// djtoken's: the project's `djtoken_config` command writes it. `SECURE_HASH_ALGORITHM` must
/// be `hashlib.sha512` and `EXPIRY_DATETIME_FORMAT` `iso-8601` (knox's and DRF's defaults).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KnoxSettings {
    /// The knox release: `5.0` or `5.1`.
    #[serde(rename = "VERSION")]
    pub version: String,
    /// `SECURE_HASH_ALGORITHM`.
    #[serde(rename = "SECURE_HASH_ALGORITHM")]
    pub secure_hash_algorithm: String,
    /// `AUTH_TOKEN_CHARACTER_LENGTH`.
    #[serde(rename = "AUTH_TOKEN_CHARACTER_LENGTH")]
    pub auth_token_character_length: usize,
    /// `TOKEN_TTL`, seconds, or `false` for `None`.
    #[serde(
        rename = "TOKEN_TTL",
        deserialize_with = "super::browser::seconds_or_false",
        serialize_with = "super::browser::seconds_or_false_text"
    )]
    pub token_ttl: Option<i64>,
    /// `TOKEN_LIMIT_PER_USER`.
    #[serde(
        rename = "TOKEN_LIMIT_PER_USER",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_limit_per_user: Option<u64>,
    /// `AUTO_REFRESH`.
    #[serde(rename = "AUTO_REFRESH")]
    pub auto_refresh: bool,
    /// `AUTO_REFRESH_MAX_TTL`, seconds (knox 5.1).
    #[serde(
        rename = "AUTO_REFRESH_MAX_TTL",
        skip_serializing_if = "Option::is_none"
    )]
    pub auto_refresh_max_ttl: Option<i64>,
    /// `MIN_REFRESH_INTERVAL`, seconds.
    #[serde(rename = "MIN_REFRESH_INTERVAL")]
    pub min_refresh_interval: f64,
    /// `AUTH_HEADER_PREFIX`.
    #[serde(rename = "AUTH_HEADER_PREFIX")]
    pub auth_header_prefix: String,
    /// `EXPIRY_DATETIME_FORMAT`.
    #[serde(rename = "EXPIRY_DATETIME_FORMAT")]
    pub expiry_datetime_format: String,
    /// `TOKEN_PREFIX`.
    #[serde(rename = "TOKEN_PREFIX")]
    pub token_prefix: String,
}

impl Default for KnoxSettings {
    fn default() -> Self {
        KnoxSettings {
            version: "5.1".into(),
            secure_hash_algorithm: "hashlib.sha512".into(),
            auth_token_character_length: 64,
            token_ttl: Some(36000),
            token_limit_per_user: None,
            auto_refresh: false,
            auto_refresh_max_ttl: None,
            min_refresh_interval: 60.0,
            auth_header_prefix: "Token".into(),
            expiry_datetime_format: "iso-8601".into(),
            token_prefix: String::new(),
        }
    }
}

impl KnoxSettings {
    /// The resolved configuration.
    pub fn config(&self) -> Result<crate::knox::Config, SettingsError> {
        use crate::knox::{Config, MAXIMUM_TOKEN_PREFIX_LENGTH, Version};
        let version = Version::parse(&self.version).ok_or_else(|| {
            invalid(
                "REST_KNOX.VERSION",
                format!(
                    "{:?} is not a knox release djtoken follows (5.0, 5.1)",
                    self.version
                ),
            )
        })?;
        if self.secure_hash_algorithm != "hashlib.sha512" {
            return Err(invalid(
                "REST_KNOX.SECURE_HASH_ALGORITHM",
                "djtoken hashes knox tokens with hashlib.sha512, knox's default",
            ));
        }
        if !self.expiry_datetime_format.eq_ignore_ascii_case("iso-8601") {
            return Err(invalid(
                "REST_KNOX.EXPIRY_DATETIME_FORMAT",
                "djtoken writes the login view's expiry as DRF's iso-8601",
            ));
        }
        let length = self.auth_token_character_length;
        if length == 0 || !length.is_multiple_of(2) || length > 256 {
            return Err(invalid(
                "REST_KNOX.AUTH_TOKEN_CHARACTER_LENGTH",
                "an even number of hex characters, up to 256",
            ));
        }
        if self.token_prefix.chars().count() > MAXIMUM_TOKEN_PREFIX_LENGTH {
            return Err(invalid(
                "REST_KNOX.TOKEN_PREFIX",
                format!("at most {MAXIMUM_TOKEN_PREFIX_LENGTH} characters (token_key holds 25)"),
            ));
        }
        if self.auth_header_prefix.is_empty()
            || self.auth_header_prefix.contains(char::is_whitespace)
        {
            return Err(invalid("REST_KNOX.AUTH_HEADER_PREFIX", "one word"));
        }
        if !self.min_refresh_interval.is_finite() {
            return Err(invalid(
                "REST_KNOX.MIN_REFRESH_INTERVAL",
                "a number of seconds",
            ));
        }
        let micros = |seconds: i64| seconds.saturating_mul(1_000_000);
        Ok(Config {
            version,
            token_character_length: length,
            token_ttl: self.token_ttl.map(micros),
            token_limit_per_user: self.token_limit_per_user,
            auto_refresh: self.auto_refresh,
            auto_refresh_max_ttl: self.auto_refresh_max_ttl.map(micros),
            min_refresh_interval: self.min_refresh_interval,
            auth_header_prefix: self.auth_header_prefix.clone(),
            token_prefix: self.token_prefix.clone(),
        })
    }
}

/// Django REST framework's `REST_FRAMEWORK`, as far as djtoken's views follow it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RestFrameworkSettings {
    /// `DEFAULT_AUTHENTICATION_CLASSES`: knox's `LoginView` authenticates with them (djtoken
    /// takes `BasicAuthentication`'s credentials), and the first decides whether a refusal
    /// is a 401 with its challenge or, for `SessionAuthentication`, a 403.
    #[serde(rename = "DEFAULT_AUTHENTICATION_CLASSES")]
    pub default_authentication_classes: Vec<String>,
}

impl Default for RestFrameworkSettings {
    fn default() -> Self {
        RestFrameworkSettings {
            default_authentication_classes: vec![
                "rest_framework.authentication.SessionAuthentication".into(),
                "rest_framework.authentication.BasicAuthentication".into(),
            ],
        }
    }
}

impl Settings {
    /// simplejwt's configuration: `SIMPLE_JWT` signing with the key of `SIGNING_KEY_FILE`,
    /// else `SECRET_KEY` (fallbacks are never used, as in simplejwt).
    pub fn simplejwt_config(&self) -> Result<crate::simplejwt::Config, SettingsError> {
        self.simplejwt_config_with(&self.secret_keys()?)
    }

    /// As [`Settings::simplejwt_config`], with `SECRET_KEY` already read.
    pub(super) fn simplejwt_config_with(
        &self,
        keys: &SecretKeys,
    ) -> Result<crate::simplejwt::Config, SettingsError> {
        let key = match &self.simple_jwt.signing_key_file {
            Some(path) => {
                let key = strip_newline(read("SIMPLE_JWT.SIGNING_KEY_FILE", path)?);
                if key.is_empty() {
                    return Err(invalid(
                        "SIMPLE_JWT.SIGNING_KEY_FILE",
                        "the signing key is empty",
                    ));
                }
                SecretKey::new(key)
            }
            None => keys.current.clone(),
        };
        self.simple_jwt.config(key, &self.user_model.pk_column)
    }
}
