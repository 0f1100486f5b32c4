//! Django REST framework's settings, and simplejwt's and knox's.

use super::declare_settings;
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

declare_settings! {
    /// djangorestframework-simplejwt's `SIMPLE_JWT`, with its names and defaults; durations in
    /// seconds. `SIGNING_KEY` is never written in the file: `SIGNING_KEY_FILE` names a file
    /// holding it, and without one the key is `SECRET_KEY` (never a fallback), as simplejwt's
    /// default. `VERSION` (the simplejwt release) and `BLACKLIST_APP` (whether
    /// `rest_framework_simplejwt.token_blacklist` is installed) are djtoken's: the project's
    /// `djtoken_config` command writes them.
    #[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
    pub struct SimpleJwtSettings {
        /// The simplejwt release: `5.3`, `5.4`, `5.5.0`, `5.5.1`.
        "VERSION" version: String = "5.5.1".into();
        /// `rest_framework_simplejwt.token_blacklist` is in `INSTALLED_APPS`.
        "BLACKLIST_APP" blacklist_app: bool = false;
        /// `ALGORITHM`: `HS256`, `HS384` or `HS512`.
        "ALGORITHM" algorithm: String = "HS256".into();
        /// A file holding `SIGNING_KEY` when it is not `SECRET_KEY`.
        #[serde(skip_serializing_if = "Option::is_none")]
        "SIGNING_KEY_FILE" signing_key_file: Option<PathBuf> = None;
        /// `AUDIENCE`.
        #[serde(skip_serializing_if = "Option::is_none")]
        "AUDIENCE" audience: Option<AudienceSetting> = None;
        /// `ISSUER`.
        #[serde(skip_serializing_if = "Option::is_none")]
        "ISSUER" issuer: Option<String> = None;
        /// `LEEWAY`, seconds.
        "LEEWAY" leeway: f64 = 0.0;
        /// `ACCESS_TOKEN_LIFETIME`, seconds.
        "ACCESS_TOKEN_LIFETIME" access_token_lifetime: f64 = 300.0;
        /// `REFRESH_TOKEN_LIFETIME`, seconds.
        "REFRESH_TOKEN_LIFETIME" refresh_token_lifetime: f64 = 86400.0;
        /// `SLIDING_TOKEN_LIFETIME`, seconds.
        "SLIDING_TOKEN_LIFETIME" sliding_token_lifetime: f64 = 300.0;
        /// `SLIDING_TOKEN_REFRESH_LIFETIME`, seconds.
        "SLIDING_TOKEN_REFRESH_LIFETIME" sliding_token_refresh_lifetime: f64 = 86400.0;
        /// `ROTATE_REFRESH_TOKENS`.
        "ROTATE_REFRESH_TOKENS" rotate_refresh_tokens: bool = false;
        /// `BLACKLIST_AFTER_ROTATION`.
        "BLACKLIST_AFTER_ROTATION" blacklist_after_rotation: bool = false;
        /// `UPDATE_LAST_LOGIN`.
        "UPDATE_LAST_LOGIN" update_last_login: bool = false;
        /// `AUTH_HEADER_TYPES`.
        "AUTH_HEADER_TYPES" auth_header_types: HeaderTypes =
            HeaderTypes::Many(vec!["Bearer".into()]);
        /// `AUTH_HEADER_NAME`, as Django names it (`HTTP_AUTHORIZATION`).
        "AUTH_HEADER_NAME" auth_header_name: String = "HTTP_AUTHORIZATION".into();
        /// `USER_ID_FIELD`: the pk (`id`, or the pk column's name).
        "USER_ID_FIELD" user_id_field: String = "id".into();
        /// `USER_ID_CLAIM`.
        "USER_ID_CLAIM" user_id_claim: String = "user_id".into();
        /// `TOKEN_TYPE_CLAIM`.
        "TOKEN_TYPE_CLAIM" token_type_claim: String = "token_type".into();
        /// `JTI_CLAIM`.
        "JTI_CLAIM" jti_claim: String = "jti".into();
        /// `SLIDING_TOKEN_REFRESH_EXP_CLAIM`.
        "SLIDING_TOKEN_REFRESH_EXP_CLAIM" sliding_token_refresh_exp_claim: String =
            "refresh_exp".into();
        /// `CHECK_REVOKE_TOKEN`.
        "CHECK_REVOKE_TOKEN" check_revoke_token: bool = false;
        /// `REVOKE_TOKEN_CLAIM`.
        "REVOKE_TOKEN_CLAIM" revoke_token_claim: String = "hash_password".into();
        /// `CHECK_USER_IS_ACTIVE` (simplejwt 5.4+).
        "CHECK_USER_IS_ACTIVE" check_user_is_active: bool = true;
        /// `AUTH_TOKEN_CLASSES`: `rest_framework_simplejwt.tokens.AccessToken` and/or
        /// `…SlidingToken`.
        "AUTH_TOKEN_CLASSES" auth_token_classes: Vec<String> =
            vec![crate::simplejwt::TokenType::Access.class_path()];
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

declare_settings! {
    /// django-rest-knox's `REST_KNOX`, with its names and defaults; durations in seconds
    /// (`TOKEN_TTL = false` for tokens that never expire). `VERSION` (the knox release) is
    /// djtoken's: the project's `djtoken_config` command writes it. `SECURE_HASH_ALGORITHM` must
    /// be `hashlib.sha512` and `EXPIRY_DATETIME_FORMAT` `iso-8601` (knox's and DRF's defaults).
    #[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
    pub struct KnoxSettings {
        /// The knox release: `5.0` or `5.1`.
        "VERSION" version: String = "5.1".into();
        /// `SECURE_HASH_ALGORITHM`.
        "SECURE_HASH_ALGORITHM" secure_hash_algorithm: String = "hashlib.sha512".into();
        /// `AUTH_TOKEN_CHARACTER_LENGTH`.
        "AUTH_TOKEN_CHARACTER_LENGTH" auth_token_character_length: usize = 64;
        /// `TOKEN_TTL`, seconds, or `false` for `None`.
        #[serde(
            deserialize_with = "super::browser::seconds_or_false",
            serialize_with = "super::browser::seconds_or_false_text"
        )]
        "TOKEN_TTL" token_ttl: Option<i64> = Some(36000);
        /// `TOKEN_LIMIT_PER_USER`.
        #[serde(skip_serializing_if = "Option::is_none")]
        "TOKEN_LIMIT_PER_USER" token_limit_per_user: Option<u64> = None;
        /// `AUTO_REFRESH`.
        "AUTO_REFRESH" auto_refresh: bool = false;
        /// `AUTO_REFRESH_MAX_TTL`, seconds (knox 5.1).
        #[serde(skip_serializing_if = "Option::is_none")]
        "AUTO_REFRESH_MAX_TTL" auto_refresh_max_ttl: Option<i64> = None;
        /// `MIN_REFRESH_INTERVAL`, seconds.
        "MIN_REFRESH_INTERVAL" min_refresh_interval: f64 = 60.0;
        /// `AUTH_HEADER_PREFIX`.
        "AUTH_HEADER_PREFIX" auth_header_prefix: String = "Token".into();
        /// `EXPIRY_DATETIME_FORMAT`.
        "EXPIRY_DATETIME_FORMAT" expiry_datetime_format: String = "iso-8601".into();
        /// `TOKEN_PREFIX`.
        "TOKEN_PREFIX" token_prefix: String = String::new();
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

declare_settings! {
    /// Django REST framework's `REST_FRAMEWORK`, as far as djtoken's views follow it.
    #[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
    pub struct RestFrameworkSettings {
        /// `DEFAULT_AUTHENTICATION_CLASSES`: knox's `LoginView` authenticates with them (djtoken
        /// takes `BasicAuthentication`'s credentials), and the first decides whether a refusal
        /// is a 401 with its challenge or, for `SessionAuthentication`, a 403.
        "DEFAULT_AUTHENTICATION_CLASSES" default_authentication_classes: Vec<String> = vec![
                    "rest_framework.authentication.SessionAuthentication".into(),
                    "rest_framework.authentication.BasicAuthentication".into(),
                ];
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
