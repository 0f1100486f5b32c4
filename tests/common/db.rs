//! A throw-away SQLite database with Django's auth tables and the users a vector file names
//! (feature `sqlite`).

use std::path::PathBuf;

use djtoken::store::{Database, NewUser, StoreOptions};
use djtoken::user::UserModel;

/// The database, removed with its folder when dropped.
pub struct TempSqlite {
    pub store: Database,
    pub path: PathBuf,
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A user to create: username, encoded password, the pk the vectors expect, active.
pub struct UserRow<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub pk: &'a str,
    pub active: bool,
}

/// Django 6.1's auth tables, the users (in order: the pks must come out as the vectors
/// say), then `sql` (tables of the packages, as their migrations make them).
pub async fn sqlite_with_users(name: &str, users: &[UserRow<'_>], sql: &[String]) -> TempSqlite {
    let mut bytes = [0u8; 6];
    djtoken::crypto::fill_random(&mut bytes);
    let unique: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("djtoken-{name}-{unique}"));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("db.sqlite3");
    let url = format!("sqlite:{}", path.display());
    let store = Database::open_or_create(&url, UserModel::default(), StoreOptions::default())
        .await
        .expect("a database");
    store
        .init_schema("6.1".parse().expect("a version"))
        .await
        .expect("auth tables");
    let conn = rusqlite::Connection::open(&path).expect("the database");
    for user in users {
        let pk = store
            .create_user(&NewUser {
                username: user.username.into(),
                email: String::new(),
                password: user.password.into(),
                superuser: false,
                date_joined: chrono::DateTime::UNIX_EPOCH.naive_utc(),
            })
            .await
            .expect("a user");
        assert_eq!(pk.to_string(), user.pk);
        if !user.active {
            conn.execute(
                "UPDATE auth_user SET is_active = 0 WHERE username = ?1",
                [user.username],
            )
            .expect("an inactive user");
        }
    }
    for statement in sql {
        conn.execute_batch(statement).expect("the package's tables");
    }
    TempSqlite { store, path }
}
