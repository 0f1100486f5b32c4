//! simplejwt's `token_blacklist` app: `token_blacklist_outstandingtoken` (`id`, `token`,
//! `created_at`, `expires_at`, `user_id` nullable, `jti` unique) and
//! `token_blacklist_blacklistedtoken` (`id`, `blacklisted_at`, `token_id` unique → the
//! outstanding row). The SQL, written once for every dialect.

use chrono::{DateTime, Utc};

use super::dialect::Dialect;
use super::driver::NaiveTimes;
use super::driver::Param;
use super::{Database, StoreError};

/// The statements over the two tables.
#[derive(Clone, Debug)]
pub struct BlacklistQueries {
    /// `$1` jti: a row when a token with that jti is blacklisted.
    pub is_blacklisted: String,
    /// `$1` jti, `$2` token, `$3` created_at, `$4` expires_at, `$5` user id: the outstanding
    /// row (`get_or_create` by jti: nothing when there is one).
    pub outstand: String,
    /// The same without a user (`user_id` NULL: the token's user is gone).
    pub outstand_without_user: String,
    /// `$1` blacklisted_at, `$2` jti: blacklist the outstanding token with that jti
    /// (`get_or_create`: nothing when it is already).
    pub blacklist: String,
}

const OUTSTANDING: &str = "\"token_blacklist_outstandingtoken\"";
const BLACKLISTED: &str = "\"token_blacklist_blacklistedtoken\"";

impl BlacklistQueries {
    /// The statements in `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        let p = |n| dialect.placeholder(n);
        BlacklistQueries {
            is_blacklisted: format!(
                "SELECT 1 FROM {BLACKLISTED} b INNER JOIN {OUTSTANDING} o ON b.\"token_id\" = o.\"id\" \
                 WHERE o.\"jti\" = {} LIMIT 1",
                p(1)
            ),
            outstand: format!(
                "INSERT INTO {OUTSTANDING} (\"jti\", \"token\", \"created_at\", \"expires_at\", \"user_id\") \
                 VALUES ({}){}",
                dialect.placeholders(5),
                dialect.or_nothing()
            ),
            outstand_without_user: format!(
                "INSERT INTO {OUTSTANDING} (\"jti\", \"token\", \"created_at\", \"expires_at\", \"user_id\") \
                 VALUES ({}, NULL){}",
                dialect.placeholders(4),
                dialect.or_nothing()
            ),
            blacklist: format!(
                "INSERT INTO {BLACKLISTED} (\"blacklisted_at\", \"token_id\") \
                 SELECT {}, o.\"id\" FROM {OUTSTANDING} o WHERE o.\"jti\" = {}{}",
                p(1),
                p(2),
                dialect.or_nothing()
            ),
        }
    }
}

/// A row of `token_blacklist_outstandingtoken`, as `OutstandingToken.objects.create` (or
/// `get_or_create`) writes it.
#[derive(Clone, Copy, Debug)]
pub struct OutstandingToken<'a> {
    /// `jti`.
    pub jti: &'a str,
    /// `token`: the whole token.
    pub token: &'a str,
    /// `created_at`: when the token was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `expires_at`: its `exp`.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// `user_id`, `None` when the user is gone.
    pub user: Option<&'a crate::user::Pk>,
}

impl Database {
    /// Whether a token with this `jti` is on simplejwt's blacklist.
    pub async fn jwt_is_blacklisted(&self, jti: &str) -> Result<bool, StoreError> {
        let sql = &self.queries.blacklist.is_blacklisted;
        Ok(self.row(sql, vec![Param::text(jti)]).await?.is_some())
    }

    /// Record a token in `token_blacklist_outstandingtoken` unless its `jti` is there.
    pub async fn jwt_outstand(
        &self,
        token: &OutstandingToken<'_>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let q = &self.queries.blacklist;
        let mut params = vec![
            Param::text(token.jti),
            Param::text(token.token),
            Param::At(token.created_at, times),
            Param::At(token.expires_at, times),
        ];
        let sql = match token.user {
            Some(user) => {
                params.push(Param::Pk(user.clone()));
                &q.outstand
            }
            None => &q.outstand_without_user,
        };
        self.insert_or_nothing(sql, params).await.map(drop)
    }

    /// Blacklist the outstanding token with this `jti` (at `now`) unless it is already.
    pub async fn jwt_blacklist(
        &self,
        jti: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let params = vec![Param::At(now, times), Param::text(jti)];
        self.insert_or_nothing(&self.queries.blacklist.blacklist, params)
            .await
            .map(drop)
    }
}
