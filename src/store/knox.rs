//! `knox_authtoken` (django-rest-knox's `AuthToken`: `digest` varchar(128) primary key,
//! `token_key` varchar(25) indexed, `user_id`, `created`, `expiry` nullable): the SQL, written
//! once for every dialect. Rows are found by `token_key`, compared by the database as knox's
//! `filter(token_key=…)` compares them.

use chrono::{DateTime, Utc};

use super::dialect::Dialect;
use super::driver::NaiveTimes;
use super::driver::Param;
use super::{Database, StoreError};
use crate::user::Pk;

/// The statements over `knox_authtoken`.
#[derive(Clone, Debug)]
pub struct KnoxQueries {
    /// `$1` now, `$2` token_key: `user_id`, `digest`, `created`, `expiry` of each row with
    /// it, and how many of its user's other tokens have expired (so that the clean-up
    /// writes only when there is something to delete: a write per request would serialise
    /// every check on SQLite).
    pub by_key: String,
    /// `$1` user id, `$2` digest, `$3` now: delete the user's other tokens that expired
    /// (`_cleanup_token`).
    pub delete_expired_others: String,
    /// `$1` digest: delete that token.
    pub delete: String,
    /// `$1` user id: delete all the user's tokens (`LogoutAllView`).
    pub delete_all: String,
    /// `$1` expiry, `$2` digest: auto-refresh.
    pub set_expiry: String,
    /// `$1` digest, `$2` token_key, `$3` user id, `$4` created, `$5` expiry: a new token.
    pub insert: String,
    /// `$1` user id, `$2` now: the user's tokens that have not expired (5.1: and those that
    /// never do).
    pub count_live: String,
    /// 5.0's count: only tokens with an expiry still ahead.
    pub count_live_with_expiry: String,
}

const TABLE: &str = "\"knox_authtoken\"";

impl KnoxQueries {
    /// The statements in `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        let p = |n| dialect.placeholder(n);
        KnoxQueries {
            by_key: format!(
                "SELECT t.\"user_id\", t.\"digest\", t.\"created\", t.\"expiry\", \
                 (SELECT COUNT(*) FROM {TABLE} o WHERE o.\"user_id\" = t.\"user_id\" \
                 AND o.\"digest\" <> t.\"digest\" AND o.\"expiry\" IS NOT NULL AND o.\"expiry\" < {}) \
                 FROM {TABLE} t WHERE t.\"token_key\" = {}",
                p(1),
                p(2)
            ),
            delete_expired_others: format!(
                "DELETE FROM {TABLE} WHERE \"user_id\" = {} AND \"digest\" <> {} \
                 AND \"expiry\" IS NOT NULL AND \"expiry\" < {}",
                p(1),
                p(2),
                p(3)
            ),
            delete: format!("DELETE FROM {TABLE} WHERE \"digest\" = {}", p(1)),
            delete_all: format!("DELETE FROM {TABLE} WHERE \"user_id\" = {}", p(1)),
            set_expiry: format!(
                "UPDATE {TABLE} SET \"expiry\" = {} WHERE \"digest\" = {}",
                p(1),
                p(2)
            ),
            insert: format!(
                "INSERT INTO {TABLE} (\"digest\", \"token_key\", \"user_id\", \"created\", \"expiry\") VALUES ({})",
                dialect.placeholders(5)
            ),
            count_live: format!(
                "SELECT COUNT(*) FROM {TABLE} WHERE \"user_id\" = {} AND (\"expiry\" > {} OR \"expiry\" IS NULL)",
                p(1),
                p(2)
            ),
            count_live_with_expiry: format!(
                "SELECT COUNT(*) FROM {TABLE} WHERE \"user_id\" = {} AND \"expiry\" > {}",
                p(1),
                p(2)
            ),
        }
    }
}

/// A row of `knox_authtoken`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnoxRow {
    /// `user_id`.
    pub user: crate::user::Pk,
    /// `digest`.
    pub digest: String,
    /// `created`.
    pub created: chrono::DateTime<chrono::Utc>,
    /// `expiry`.
    pub expiry: Option<chrono::DateTime<chrono::Utc>>,
    /// How many of the user's other tokens had expired when the row was read.
    pub expired_others: i64,
}

/// A change to `knox_authtoken`.
#[derive(Clone, Copy, Debug)]
pub enum KnoxWrite<'a> {
    /// `_cleanup_token`: the user's other tokens whose expiry has passed.
    DeleteExpiredOthers {
        /// The user.
        user: &'a crate::user::Pk,
        /// The token kept.
        digest: &'a str,
        /// Now.
        now: chrono::DateTime<chrono::Utc>,
    },
    /// One token (logout, or its own expiry).
    Delete {
        /// Its digest.
        digest: &'a str,
    },
    /// All the user's tokens (`LogoutAllView`).
    DeleteAll {
        /// The user.
        user: &'a crate::user::Pk,
    },
    /// `AUTO_REFRESH`: a new expiry.
    SetExpiry {
        /// The token.
        digest: &'a str,
        /// The new expiry.
        expiry: chrono::DateTime<chrono::Utc>,
    },
    /// `AuthToken.objects.create`.
    Insert {
        /// `digest`.
        digest: &'a str,
        /// `token_key`.
        key: &'a str,
        /// `user_id`.
        user: &'a crate::user::Pk,
        /// `created`.
        created: chrono::DateTime<chrono::Utc>,
        /// `expiry`.
        expiry: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl Database {
    /// The `knox_authtoken` rows with this `token_key`, each with the number of its user's
    /// other tokens expired at `now`.
    pub async fn knox_by_key(
        &self,
        key: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<Vec<KnoxRow>, StoreError> {
        let params = vec![Param::At(now, times), Param::text(key)];
        let rows = self.rows(&self.queries.knox.by_key, params).await?;
        rows.iter()
            .map(|row| {
                Ok(KnoxRow {
                    user: row.pk(0, self.model().pk_kind)?,
                    digest: row.text(1, "knox_authtoken.digest")?.unwrap_or_default(),
                    created: row
                        .instant(2, "knox_authtoken.created", times)?
                        .unwrap_or_default(),
                    expiry: row.instant(3, "knox_authtoken.expiry", times)?,
                    expired_others: row.int(4, "a count")?,
                })
            })
            .collect()
    }

    /// A change to `knox_authtoken`: the rows it changed.
    pub async fn knox_write(
        &self,
        write: KnoxWrite<'_>,
        times: NaiveTimes,
    ) -> Result<u64, StoreError> {
        let q = &self.queries.knox;
        let at = |t: DateTime<Utc>| Param::At(t, times);
        let (sql, params) = match write {
            KnoxWrite::DeleteExpiredOthers { user, digest, now } => (
                &q.delete_expired_others,
                vec![Param::Pk(user.clone()), Param::text(digest), at(now)],
            ),
            KnoxWrite::Delete { digest } => (&q.delete, vec![Param::text(digest)]),
            KnoxWrite::DeleteAll { user } => (&q.delete_all, vec![Param::Pk(user.clone())]),
            KnoxWrite::SetExpiry { digest, expiry } => {
                (&q.set_expiry, vec![at(expiry), Param::text(digest)])
            }
            KnoxWrite::Insert {
                digest,
                key,
                user,
                created,
                expiry,
            } => (
                &q.insert,
                vec![
                    Param::text(digest),
                    Param::text(key),
                    Param::Pk(user.clone()),
                    at(created),
                    expiry.map_or(Param::Null, at),
                ],
            ),
        };
        self.execute(sql, params).await
    }

    /// The user's tokens that have not expired at `now` (and, when asked, those without an
    /// expiry).
    pub async fn knox_count_live(
        &self,
        user: &Pk,
        now: DateTime<Utc>,
        without_expiry_too: bool,
        times: NaiveTimes,
    ) -> Result<i64, StoreError> {
        let q = &self.queries.knox;
        let sql = if without_expiry_too {
            &q.count_live
        } else {
            &q.count_live_with_expiry
        };
        let params = vec![Param::Pk(user.clone()), Param::At(now, times)];
        match self.row(sql, params).await? {
            Some(row) => row.int(0, "a count"),
            None => Ok(0),
        }
    }
}
