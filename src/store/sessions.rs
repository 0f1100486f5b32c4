//! `django_session` (and `last_login`, which a session login updates): the SQL, written once
//! for every dialect, and how its datetimes are written.
//!
//! Django writes `expire_date` and `last_login` as aware UTC on PostgreSQL (the columns are
//! `timestamp with time zone` whatever `USE_TZ` says, so djtoken always passes an instant)
//! and as naive text on SQLite: UTC with `USE_TZ = True`, local time in `TIME_ZONE`
//! otherwise, as `YYYY-MM-DD HH:MM:SS[.ffffff]` so that text comparison orders them.

use chrono::{DateTime, Utc};

use super::dialect::Dialect;
use super::driver::{NaiveTimes, Param};
use super::{Database, StoreError};
use crate::user::{Pk, UserModel};

/// A `django_session` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// `session_data`: the signed, encoded session.
    pub data: String,
    /// `expire_date`.
    pub expire_date: DateTime<Utc>,
}

/// The statements over `django_session` and the user table's `last_login`.
#[derive(Clone, Debug)]
pub struct SessionQueries {
    /// `$1` key, `$2` now: the row, unless it expired.
    pub load: String,
    /// `$1` key, `$2` data, `$3` expiry: one row, or none when the key is taken.
    pub insert: String,
    /// `$1` data, `$2` expiry, `$3` key.
    pub update: String,
    /// `$1` key.
    pub delete: String,
    /// `$1` time, `$2` pk; `None` when the model has no `last_login`.
    pub set_last_login: Option<String>,
}

impl SessionQueries {
    /// The statements in `dialect`, for `model`'s `last_login`.
    pub fn new(model: &UserModel, dialect: Dialect) -> Self {
        let p = |n| dialect.placeholder(n);
        let q = |name: &str| dialect.quote(name);
        SessionQueries {
            load: format!(
                "SELECT \"session_data\", \"expire_date\" FROM \"django_session\" \
                 WHERE \"session_key\" = {} AND \"expire_date\" > {}",
                p(1),
                p(2)
            ),
            insert: format!(
                "INSERT INTO \"django_session\" (\"session_key\", \"session_data\", \"expire_date\") \
                 VALUES ({}){}",
                dialect.placeholders(3),
                dialect.or_nothing()
            ),
            update: format!(
                "UPDATE \"django_session\" SET \"session_data\" = {}, \"expire_date\" = {} \
                 WHERE \"session_key\" = {}",
                p(1),
                p(2),
                p(3)
            ),
            delete: format!(
                "DELETE FROM \"django_session\" WHERE \"session_key\" = {}",
                p(1)
            ),
            set_last_login: model.last_login_column.as_ref().map(|column| {
                format!(
                    "UPDATE {} SET {} = {} WHERE {} = {}",
                    q(&model.table),
                    q(column),
                    p(1),
                    q(&model.pk_column),
                    p(2)
                )
            }),
        }
    }
}

impl Database {
    /// The `django_session` row with this key, unless it expired by `now`.
    pub async fn session_load(
        &self,
        key: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<Option<SessionRow>, StoreError> {
        let params = vec![Param::text(key), Param::At(now, times)];
        let Some(row) = self.row(&self.queries.sessions.load, params).await? else {
            return Ok(None);
        };
        let what = "django_session.expire_date";
        Ok(Some(SessionRow {
            data: row
                .text(0, "django_session.session_data")?
                .unwrap_or_default(),
            expire_date: row
                .instant(1, what, times)?
                .ok_or_else(|| StoreError::Query {
                    database: self.database().to_owned(),
                    reason: format!("{what} is NULL"),
                })?,
        }))
    }

    /// Insert a `django_session` row (`insert`; false when the key is taken) or update one
    /// (false when it no longer exists).
    pub async fn session_write(
        &self,
        insert: bool,
        key: &str,
        data: &str,
        expire: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let q = &self.queries.sessions;
        let (key, data, expire) = (
            Param::text(key),
            Param::text(data),
            Param::At(expire, times),
        );
        let changed = if insert {
            self.insert_or_nothing(&q.insert, vec![key, data, expire])
                .await?
        } else {
            self.execute(&q.update, vec![data, expire, key]).await?
        };
        Ok(changed == 1)
    }

    /// Delete the `django_session` row with this key, if any.
    pub async fn session_delete(&self, key: &str) -> Result<(), StoreError> {
        self.execute(&self.queries.sessions.delete, vec![Param::text(key)])
            .await
            .map(drop)
    }

    /// Set the user's `last_login` (nothing when the model has no such column).
    pub async fn set_last_login(
        &self,
        pk: &Pk,
        at: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let Some(sql) = &self.queries.sessions.set_last_login else {
            return Ok(());
        };
        let params = vec![Param::At(at, times), Param::Pk(pk.clone())];
        self.execute(sql, params).await.map(drop)
    }
}
