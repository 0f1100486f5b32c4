//! `authtoken_token` (Django REST framework's `Token`: `key` varchar(40) primary key,
//! `created`, `user_id` unique): the SQL, written once for every dialect. The key is compared
//! by the database, with the column's collation, as Django's `get(key=…)` does.

use chrono::{DateTime, Utc};

use super::dialect::Dialect;
use super::driver::NaiveTimes;
use super::driver::Param;
use super::{Database, StoreError};
use crate::user::Pk;

/// The statements over `authtoken_token`.
#[derive(Clone, Debug)]
pub struct AuthtokenQueries {
    /// `$1` key: the `user_id` of the token with that key.
    pub user_of_key: String,
    /// `$1` user id: the user's key.
    pub key_of_user: String,
    /// `$1` key, `$2` created, `$3` user id: a new token; nothing when the user (or the key)
    /// already has one.
    pub insert: String,
}

impl AuthtokenQueries {
    /// The statements in `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        AuthtokenQueries {
            user_of_key: format!(
                "SELECT \"user_id\" FROM \"authtoken_token\" WHERE \"key\" = {}",
                dialect.placeholder(1)
            ),
            key_of_user: format!(
                "SELECT \"key\" FROM \"authtoken_token\" WHERE \"user_id\" = {}",
                dialect.placeholder(1)
            ),
            insert: format!(
                "INSERT INTO \"authtoken_token\" (\"key\", \"created\", \"user_id\") VALUES ({}){}",
                dialect.placeholders(3),
                dialect.or_nothing()
            ),
        }
    }
}

impl Database {
    /// The pk of the user whose Django REST framework token has this key (`authtoken_token`),
    /// if any.
    pub async fn drf_token_user(&self, key: &str) -> Result<Option<Pk>, StoreError> {
        let row = self
            .row(&self.queries.authtoken.user_of_key, vec![Param::text(key)])
            .await?;
        row.map(|row| row.pk(0, self.model().pk_kind)).transpose()
    }

    /// The key of the user's Django REST framework token (`authtoken_token`), if any.
    pub async fn drf_key_of(&self, pk: &Pk) -> Result<Option<String>, StoreError> {
        let row = self
            .row(
                &self.queries.authtoken.key_of_user,
                vec![Param::Pk(pk.clone())],
            )
            .await?;
        Ok(match row {
            Some(row) => row.text(0, "authtoken_token.key")?,
            None => None,
        })
    }

    /// Insert a DRF token for the user (`created` at `now`); false when the user or the key
    /// already has one.
    pub async fn drf_insert(
        &self,
        key: &str,
        now: DateTime<Utc>,
        pk: &Pk,
        times: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let params = vec![
            Param::text(key),
            Param::At(now, times),
            Param::Pk(pk.clone()),
        ];
        Ok(self
            .insert_or_nothing(&self.queries.authtoken.insert, params)
            .await?
            == 1)
    }
}
