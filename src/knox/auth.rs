//! knox over the store (feature `store`): `TokenAuthentication.authenticate_credentials`
//! (the rows of the token's `token_key`, the user's expired tokens cleaned up, the digest
//! compared in constant time, `AUTO_REFRESH`), and what `LoginView`, `LogoutView` and
//! `LogoutAllView` do with `knox_authtoken`. Shared by the `knox` method of `/auth`, its
//! endpoints and the `djtoken knox` commands.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Config, INACTIVE, INVALID_TOKEN, Version, generate_token, hash_token, token_key};
use crate::store::NaiveTimes;
use crate::store::{Database, KnoxWrite, StoreError};
use crate::user::User;

fn after(at: DateTime<Utc>, micros: i64) -> DateTime<Utc> {
    at.checked_add_signed(TimeDelta::microseconds(micros))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The user of the token and its digest, or knox's message (`Invalid token.`, `User
/// inactive or deleted.`). As knox does on every lookup, the user's other expired tokens
/// are deleted, and so is this one when it has expired.
pub async fn authenticate(
    store: &Database,
    config: &Config,
    token: &str,
    now: DateTime<Utc>,
    times: NaiveTimes,
) -> Result<Result<(User, String), &'static str>, StoreError> {
    // PostgreSQL refuses NUL in text (a 500 from knox there); no token holds one.
    if token.contains('\0') {
        return Ok(Err(INVALID_TOKEN));
    }
    let digest = hash_token(token);
    for row in store.knox_by_key(token_key(token), now, times).await? {
        if row.expired_others > 0 {
            let others = KnoxWrite::DeleteExpiredOthers {
                user: &row.user,
                digest: &row.digest,
                now,
            };
            store.knox_write(others, times).await?;
        }
        if row.expiry.is_some_and(|expiry| expiry < now) {
            let this = KnoxWrite::Delete {
                digest: &row.digest,
            };
            store.knox_write(this, times).await?;
            continue;
        }
        if !crate::crypto::constant_time_compare(digest.as_bytes(), row.digest.as_bytes()) {
            continue;
        }
        if config.auto_refresh
            && let (Some(current), Some(ttl)) = (row.expiry, config.token_ttl)
        {
            let mut renewed = after(now, ttl);
            if config.version >= Version::V5_1
                && let Some(max) = config.auto_refresh_max_ttl
            {
                renewed = renewed.min(after(row.created, max));
            }
            let moved = (renewed - current).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
            if moved > config.min_refresh_interval {
                let refresh = KnoxWrite::SetExpiry {
                    digest: &row.digest,
                    expiry: renewed,
                };
                store.knox_write(refresh, times).await?;
            }
        }
        return Ok(match store.user_by_pk(&row.user).await? {
            Some(user) if user.is_active => Ok((user, row.digest)),
            Some(_) => Err(INACTIVE),
            None => Err(INVALID_TOKEN),
        });
    }
    Ok(Err(INVALID_TOKEN))
}

/// `AuthToken.objects.create(user, expiry=TOKEN_TTL)`: the new token and its expiry.
pub async fn create_token(
    store: &Database,
    config: &Config,
    user: &User,
    now: DateTime<Utc>,
    times: NaiveTimes,
) -> Result<(String, Option<DateTime<Utc>>), StoreError> {
    let token = generate_token(config);
    let expiry = config.token_ttl.map(|ttl| after(now, ttl));
    let insert = KnoxWrite::Insert {
        digest: &hash_token(&token),
        key: token_key(&token),
        user: &user.pk,
        created: now,
        expiry,
    };
    store.knox_write(insert, times).await?;
    Ok((token, expiry))
}

/// What `LoginView.post` does for an authenticated user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    /// A new token, and its expiry.
    Created {
        /// The token.
        token: String,
        /// When it expires (`None`: never).
        expiry: Option<DateTime<Utc>>,
    },
    /// The user has `TOKEN_LIMIT_PER_USER` live tokens already (403).
    LimitExceeded,
}

/// `LoginView.post`: the per-user limit, a new token, and `last_login` (Django's receiver of
/// `user_logged_in`).
pub async fn login(
    store: &Database,
    config: &Config,
    user: &User,
    now: DateTime<Utc>,
    times: NaiveTimes,
) -> Result<Login, StoreError> {
    if let Some(limit) = config.token_limit_per_user {
        let without_expiry_too = config.version >= Version::V5_1;
        let live = store
            .knox_count_live(&user.pk, now, without_expiry_too, times)
            .await?;
        if u64::try_from(live).unwrap_or(0) >= limit {
            return Ok(Login::LimitExceeded);
        }
    }
    let (token, expiry) = create_token(store, config, user, now, times).await?;
    store.set_last_login(&user.pk, now, times).await?;
    Ok(Login::Created { token, expiry })
}

/// `LogoutView.post`: the token used is deleted.
pub async fn logout(store: &Database, digest: &str, times: NaiveTimes) -> Result<(), StoreError> {
    store
        .knox_write(KnoxWrite::Delete { digest }, times)
        .await?;
    Ok(())
}

/// `LogoutAllView.post`: every token of the user is deleted; how many.
pub async fn logout_all(
    store: &Database,
    user: &User,
    times: NaiveTimes,
) -> Result<u64, StoreError> {
    store
        .knox_write(KnoxWrite::DeleteAll { user: &user.pk }, times)
        .await
}
