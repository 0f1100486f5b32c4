//! `authtoken_token` (Django REST framework's `Token`: `key` varchar(40) primary key,
//! `created`, `user_id` unique): the SQL, written once for every dialect. The key is compared
//! by the database, with the column's collation, as Django's `get(key=…)` does.

use super::dialect::Dialect;

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
