//! `TokenAuthentication.authenticate_credentials` and `Token.objects.get_or_create` over the
//! store (feature `store`): shared by the `drf-token` method of `/auth` and the
//! `djtoken drf-token` commands.

use chrono::{DateTime, Utc};

use super::{INACTIVE, INVALID_TOKEN, generate_key, storable};
use crate::store::NaiveTimes;
use crate::store::{Database, StoreError};
use crate::user::User;

/// The user of the key, or DRF's message (`Invalid token.`, `User inactive or deleted.`).
/// The key is compared by the database, with the column's collation; a key that cannot be in
/// the table is not looked up.
pub async fn user_of_key(
    store: &Database,
    key: &str,
) -> Result<Result<User, &'static str>, StoreError> {
    if !storable(key) {
        return Ok(Err(INVALID_TOKEN));
    }
    let Some(pk) = store.drf_token_user(key).await? else {
        return Ok(Err(INVALID_TOKEN));
    };
    Ok(match store.user_by_pk(&pk).await? {
        Some(user) if user.is_active => Ok(user),
        Some(_) => Err(INACTIVE),
        // The row went away between the two reads.
        None => Err(INVALID_TOKEN),
    })
}

/// `Token.objects.get_or_create(user=user)[0].key`: the user's key, a new one when there is
/// none (`created` at `now`).
pub async fn key_for(
    store: &Database,
    user: &User,
    now: DateTime<Utc>,
    times: NaiveTimes,
) -> Result<String, StoreError> {
    // A concurrent creation wins, and its key is read back.
    for _ in 0..3 {
        if let Some(key) = store.drf_key_of(&user.pk).await? {
            return Ok(key);
        }
        let key = generate_key();
        if store.drf_insert(&key, now, &user.pk, times).await? {
            return Ok(key);
        }
    }
    Err(StoreError::Refused(
        "authtoken_token: no key could be read or created for the user".into(),
    ))
}
