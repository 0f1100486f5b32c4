//! simplejwt over the store (feature `store`): `JWTAuthentication`'s user lookup, the
//! blacklist, and what the obtain-pair, refresh, verify and blacklist serializers do with
//! the tables. Shared by the `simplejwt` method of `/auth`, its endpoints and the
//! `djtoken jwt` commands.

use chrono::{DateTime, TimeZone, Utc};

use super::{Config, Micros, Token, TokenError, TokenType, Version, new_jti, pk_of_claim};
use crate::store::NaiveTimes;
use crate::store::{Database, OutstandingToken, StoreError};
use crate::user::{PkLookup, User};

/// Why `JWTAuthentication` refused a token that was its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// `InvalidToken`: every class in `AUTH_TOKEN_CLASSES` refused it; each class's name,
    /// type and message.
    InvalidToken(Vec<(&'static str, &'static str, String)>),
    /// The token has no `USER_ID_CLAIM`.
    NoUserId,
    /// No user has that id.
    UserNotFound,
    /// The user is inactive (and `CHECK_USER_IS_ACTIVE`).
    Inactive,
    /// `CHECK_REVOKE_TOKEN`: the password changed since the token was made.
    PasswordChanged,
}

impl AuthFailure {
    /// The exception's detail.
    pub fn detail(&self) -> &'static str {
        match self {
            AuthFailure::InvalidToken(_) => "Given token not valid for any token type",
            AuthFailure::NoUserId => "Token contained no recognizable user identification",
            AuthFailure::UserNotFound => "User not found",
            AuthFailure::Inactive => "User is inactive",
            AuthFailure::PasswordChanged => "The user's password has been changed.",
        }
    }

    /// The exception's code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthFailure::InvalidToken(_) | AuthFailure::NoUserId => "token_not_valid",
            AuthFailure::UserNotFound => "user_not_found",
            AuthFailure::Inactive => "user_inactive",
            AuthFailure::PasswordChanged => "password_changed",
        }
    }
}

/// The instant of a number of microseconds since the epoch.
fn instant(at: Micros) -> DateTime<Utc> {
    Utc.timestamp_micros(at).single().unwrap_or_default()
}

/// `datetime_from_epoch(exp)`.
fn from_epoch(value: Option<&serde_json::Value>) -> DateTime<Utc> {
    let seconds = value.and_then(serde_json::Value::as_f64).unwrap_or(0.0);
    instant((seconds * 1e6).round() as Micros)
}

/// `Kind(raw)`: decoded, then (for the blacklist's classes, when the app is installed) not
/// blacklisted, then verified.
pub async fn validated(
    store: &Database,
    config: &Config,
    kind: TokenType,
    raw: &[u8],
    now: Micros,
) -> Result<Result<Token, TokenError>, StoreError> {
    let token = match Token::decode(config, kind, raw, now) {
        Ok(token) => token,
        Err(e) => return Ok(Err(e)),
    };
    if config.blacklist_app && kind.blacklistable() {
        // simplejwt reads payload[JTI_CLAIM] here and fails with a 500 without one.
        let Some(jti) = token.jti(config) else {
            return Ok(Err(TokenError::NoId));
        };
        if store.jwt_is_blacklisted(jti).await? {
            return Ok(Err(TokenError::Blacklisted));
        }
    }
    Ok(token.verify(config).map(|()| token))
}

/// The user a claim names: `Ok(None)` when there is none (or the value could not name one:
/// Django raises there, a 500).
async fn user_of_claim(
    store: &Database,
    value: &serde_json::Value,
) -> Result<Option<User>, StoreError> {
    match pk_of_claim(value, store.model().pk_kind) {
        PkLookup::Pk(pk) => store.user_by_pk(&pk).await,
        PkLookup::Impossible | PkLookup::Invalid => Ok(None),
    }
}

/// `JWTAuthentication.authenticate` after the header: the token (tried as each class of
/// `AUTH_TOKEN_CLASSES`), then its user.
pub async fn authenticate(
    store: &Database,
    config: &Config,
    raw: &[u8],
    now: Micros,
) -> Result<Result<User, AuthFailure>, StoreError> {
    let mut messages = Vec::new();
    let mut valid = None;
    for &kind in &config.auth_token_classes {
        match validated(store, config, kind, raw, now).await? {
            Ok(token) => {
                valid = Some(token);
                break;
            }
            Err(e) => messages.push((kind.class_name(), kind.name(), e.message(config.version))),
        }
    }
    let Some(token) = valid else {
        return Ok(Err(AuthFailure::InvalidToken(messages)));
    };
    let Some(user_id) = token.payload.get(&config.user_id_claim) else {
        return Ok(Err(AuthFailure::NoUserId));
    };
    let Some(user) = user_of_claim(store, user_id).await? else {
        return Ok(Err(AuthFailure::UserNotFound));
    };
    if config.checks_user_is_active() && !user.is_active {
        return Ok(Err(AuthFailure::Inactive));
    }
    if config.check_revoke_token
        && token
            .payload
            .get(&config.revoke_token_claim)
            .and_then(|v| v.as_str())
            != Some(super::password_digest(&user.password).as_str())
    {
        return Ok(Err(AuthFailure::PasswordChanged));
    }
    Ok(Ok(user))
}

/// `OutstandingToken` for a token this code made or read.
async fn outstand(
    store: &Database,
    config: &Config,
    token: &Token,
    text: &str,
    user: Option<&User>,
    times: NaiveTimes,
) -> Result<(), StoreError> {
    let Some(jti) = token.jti(config) else {
        return Ok(());
    };
    let row = OutstandingToken {
        jti,
        token: text,
        created_at: instant(token.current_time),
        expires_at: from_epoch(token.payload.get("exp")),
        user: user.map(|u| &u.pk),
    };
    store.jwt_outstand(&row, times).await
}

/// `BlacklistMixin.blacklist` / `outstand`'s user: the one the token names, if any.
async fn token_user(
    store: &Database,
    config: &Config,
    token: &Token,
) -> Result<Option<User>, StoreError> {
    match token.payload.get(&config.user_id_claim) {
        Some(value) => user_of_claim(store, value).await,
        None => Ok(None),
    }
}

/// `TokenObtainPairSerializer.validate` after `authenticate`: a refresh token for the user
/// (recorded as outstanding when the blacklist app is installed) and its access token, as
/// `(refresh, access)`; `last_login` set with `UPDATE_LAST_LOGIN`.
pub async fn obtain_pair(
    store: &Database,
    config: &Config,
    user: &User,
    now: Micros,
    times: NaiveTimes,
) -> Result<(String, String), StoreError> {
    let refresh = Token::for_user(config, TokenType::Refresh, user, now, new_jti());
    let refresh_text = refresh.encode(config);
    if config.blacklist_app {
        outstand(store, config, &refresh, &refresh_text, Some(user), times).await?;
    }
    let access = refresh.access_token(config, now, new_jti()).encode(config);
    if config.update_last_login {
        store.set_last_login(&user.pk, instant(now), times).await?;
    }
    Ok((refresh_text, access))
}

/// What the refresh view answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// A new access token, and with `ROTATE_REFRESH_TOKENS` a new refresh token.
    Tokens {
        /// The access token.
        access: String,
        /// The rotated refresh token.
        refresh: Option<String>,
    },
    /// The token is refused (`InvalidToken` with the message).
    Invalid(String),
    /// 5.4+: its user is inactive (DRF's `AuthenticationFailed`).
    Inactive,
    /// 5.4+: its user is gone. simplejwt answers 500 (`DoesNotExist` escapes); djtoken
    /// answers as for an inactive user.
    UserGone,
}

/// `TokenRefreshSerializer.validate`.
pub async fn refresh(
    store: &Database,
    config: &Config,
    raw: &[u8],
    now: Micros,
    times: NaiveTimes,
) -> Result<Refreshed, StoreError> {
    let mut token = match validated(store, config, TokenType::Refresh, raw, now).await? {
        Ok(token) => token,
        Err(e) => return Ok(Refreshed::Invalid(e.message(config.version))),
    };
    if config.version >= Version::V5_4
        && let Some(user_id) = token.payload.get(&config.user_id_claim)
        && super::jws::truthy(user_id)
    {
        match user_of_claim(store, user_id).await? {
            None => return Ok(Refreshed::UserGone),
            Some(user) if config.checks_user_is_active() && !user.is_active => {
                return Ok(Refreshed::Inactive);
            }
            Some(_) => {}
        }
    }
    let access = token.access_token(config, now, new_jti()).encode(config);
    if !config.rotate_refresh_tokens {
        return Ok(Refreshed::Tokens {
            access,
            refresh: None,
        });
    }
    if config.blacklist_after_rotation && config.blacklist_app {
        blacklist_token(store, config, &token, times).await?;
    }
    token.rotate(config, new_jti());
    let text = token.encode(config);
    if config.version >= Version::V5_5_0 && config.blacklist_app {
        let user = token_user(store, config, &token).await?;
        outstand(store, config, &token, &text, user.as_ref(), times).await?;
    }
    Ok(Refreshed::Tokens {
        access,
        refresh: Some(text),
    })
}

/// `BlacklistMixin.blacklist`: the outstanding row (made if missing), then its blacklist
/// row.
async fn blacklist_token(
    store: &Database,
    config: &Config,
    token: &Token,
    times: NaiveTimes,
) -> Result<(), StoreError> {
    let Some(jti) = token.jti(config) else {
        return Ok(());
    };
    let user = token_user(store, config, token).await?;
    outstand(
        store,
        config,
        token,
        &token.encode(config),
        user.as_ref(),
        times,
    )
    .await?;
    store
        .jwt_blacklist(jti, instant(token.current_time), times)
        .await
}

/// `TokenVerifySerializer.validate`: `Ok(Ok(()))` for a valid token of any type,
/// `Ok(Err(Some(message)))` when it is refused, `Ok(Err(None))` when it is blacklisted
/// (checked with `BLACKLIST_AFTER_ROTATION`, as the view does).
pub async fn verify(
    store: &Database,
    config: &Config,
    raw: &[u8],
    now: Micros,
) -> Result<Result<(), Option<String>>, StoreError> {
    let token = match validated(store, config, TokenType::Untyped, raw, now).await? {
        Ok(token) => token,
        Err(e) => return Ok(Err(Some(e.message(config.version)))),
    };
    if config.blacklist_after_rotation && config.blacklist_app {
        let blacklisted = match token.jti(config) {
            Some(jti) => store.jwt_is_blacklisted(jti).await?,
            None => false,
        };
        if blacklisted {
            return Ok(Err(None));
        }
    }
    Ok(Ok(()))
}

/// `TokenBlacklistSerializer.validate`: a valid refresh token is blacklisted (when the app
/// is installed; without it simplejwt does nothing and answers the same).
pub async fn blacklist(
    store: &Database,
    config: &Config,
    raw: &[u8],
    now: Micros,
    times: NaiveTimes,
) -> Result<Result<(), String>, StoreError> {
    let token = match validated(store, config, TokenType::Refresh, raw, now).await? {
        Ok(token) => token,
        Err(e) => return Ok(Err(e.message(config.version))),
    };
    if config.blacklist_app {
        blacklist_token(store, config, &token, times).await?;
    }
    Ok(Ok(()))
}

/// The answer (status, JSON body) of the refresh, verify or blacklist view to the token its
/// serializer read (`refresh` or `token`). A 401 also carries `WWW-Authenticate`
/// ([`Config::www_authenticate`]).
pub async fn answer(
    view: super::views::View,
    store: &Database,
    config: &Config,
    token: &str,
    now: Micros,
    times: NaiveTimes,
) -> Result<(u16, String), StoreError> {
    use super::views::{self, View};
    let raw = token.as_bytes();
    Ok(match view {
        View::ObtainPair => unreachable!("the obtain view checks a password: obtain_answer"),
        View::Refresh => match refresh(store, config, raw, now, times).await? {
            Refreshed::Tokens { access, refresh } => {
                (200, views::refreshed(&access, refresh.as_deref()))
            }
            Refreshed::Invalid(message) => (401, views::invalid_token(&message)),
            Refreshed::Inactive | Refreshed::UserGone => {
                (401, views::no_active_account_for_token())
            }
        },
        View::Verify => match verify(store, config, raw, now).await? {
            Ok(()) => (200, views::EMPTY.to_owned()),
            Err(Some(message)) => (401, views::invalid_token(&message)),
            Err(None) => (400, views::blacklisted()),
        },
        View::Blacklist => match blacklist(store, config, raw, now, times).await? {
            Ok(()) => (200, views::EMPTY.to_owned()),
            Err(message) => (401, views::invalid_token(&message)),
        },
    })
}

/// The obtain-pair view's answer once `authenticate` has run: the pair for an active user,
/// 401 otherwise.
pub async fn obtain_answer(
    store: &Database,
    config: &Config,
    user: Option<&User>,
    now: Micros,
    times: NaiveTimes,
) -> Result<(u16, String), StoreError> {
    match user {
        Some(user) if !config.checks_user_is_active() || user.is_active => {
            let (refresh, access) = obtain_pair(store, config, user, now, times).await?;
            Ok((200, super::views::pair(&refresh, &access)))
        }
        _ => Ok((401, super::views::no_active_account())),
    }
}

/// `JWTAuthentication`'s refusal as DRF renders it: 401 and the JSON body.
pub fn failure_body(failure: &AuthFailure) -> String {
    use crate::drf::parsers::json_text;
    let head = format!(
        "{{\"detail\":{},\"code\":{}",
        json_text(failure.detail()),
        json_text(failure.code())
    );
    match failure {
        AuthFailure::InvalidToken(messages) => {
            let messages: Vec<String> = messages
                .iter()
                .map(|(class, kind, message)| {
                    format!(
                        "{{\"token_class\":{},\"token_type\":{},\"message\":{}}}",
                        json_text(class),
                        json_text(kind),
                        json_text(message)
                    )
                })
                .collect();
            format!("{head},\"messages\":[{}]}}", messages.join(","))
        }
        _ => format!("{head}}}"),
    }
}
