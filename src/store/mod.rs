//! Django's tables on SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! A [`Database`] reads and updates the rows `django.contrib.auth` (or a custom
//! `AUTH_USER_MODEL`, described by a [`UserModel`]), `django.contrib.sessions`, DRF, knox,
//! simplejwt's blacklist and django-axes keep, with prepared statements and parameters only; table and column names come from validated configuration and are quoted.
//! Every failure is a [`StoreError`] that names the database (never its password); a database
//! that went away is retried on the next call, without a restart.

pub mod authtoken;
pub mod axes;
pub mod blacklist;
mod dialect;
mod driver;
pub mod knox;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod pg_notify;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "djtoken's store (and server) needs a database: enable the `sqlite`, `postgres` or `mysql` feature"
);

mod schema;
pub mod sessions;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod users;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::user::{InvalidIdentifier, UserModel};
use crate::version::DjangoVersion;
pub use blacklist::OutstandingToken;
pub use dialect::Dialect;
pub use driver::NaiveTimes;
use driver::{Param, Row};
pub use knox::{KnoxRow, KnoxWrite};
pub use sessions::SessionRow;

/// Why the database could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The URL is not `sqlite:…`, `postgres://…` or `mysql://…`, or is malformed.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// A table or column name from configuration is not a plain identifier.
    #[error(transparent)]
    InvalidModel(#[from] InvalidIdentifier),
    /// The database cannot be reached (down, refused, missing file, locked past the timeout).
    #[error("database {database} is unavailable: {reason}")]
    Unavailable {
        /// The database, without credentials.
        database: String,
        /// What the driver said.
        reason: String,
    },
    /// No answer within the query timeout.
    #[error("database {database} did not answer within {timeout:?}")]
    Timeout {
        /// The database, without credentials.
        database: String,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The database answered with an error that waiting will not fix: the table or a column
    /// the user model names is missing, a column has another type… (the server answers 500
    /// and `/readyz` says why).
    #[error("database {database}: {reason}")]
    Query {
        /// The database, without credentials.
        database: String,
        /// What the database said.
        reason: String,
    },
    /// The database (or the cache) refused djtoken's credentials: a wrong password, an
    /// unknown user, a user without access to the database. Waiting will not fix it; the
    /// URL's user and password (or the password file) will.
    #[error("{database} refused the credentials (authentication failed): {reason}")]
    Authentication {
        /// The database, without credentials.
        database: String,
        /// What the server said.
        reason: String,
    },
    /// A change the caller asked for was refused (the user exists, the schema exists…).
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// Whether trying again later may work: the database is down, slow or busy (the server
    /// answers 503 with `Retry-After` for these, 500 for the others).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. } | StoreError::Timeout { .. }
        )
    }
}

/// A parsed database URL, as `dj-database-url` writes them.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH`, `sqlite:///relative/path`, `sqlite:////absolute/path`.
    Sqlite(std::path::PathBuf),
    /// `postgres://user:password@host:port/name?options` (also `postgresql://`, `pgsql://`).
    Postgres(String),
    /// `mysql://user:password@host:port/name?options` (also `mysql2://`, `mysqlgis://`,
    /// `mariadb://`); a percent-encoded path as the host (`%2Frun%2Fmysqld%2Fmysqld.sock`) or
    /// `?socket=PATH` is the server's Unix socket.
    Mysql(String),
}

impl DatabaseUrl {
    /// Parse `url`.
    ///
    /// SQLite follows dj-database-url: after `sqlite://` comes `/` and the path, so three
    /// slashes start a relative path and four an absolute one; `sqlite:PATH` (no `//`) takes
    /// the path as written.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = match rest.strip_prefix("//") {
                Some(after_host) => after_host.strip_prefix('/').ok_or_else(|| {
                    StoreError::InvalidUrl(
                        "sqlite:// URLs have no host: write sqlite:///path".into(),
                    )
                })?,
                None => rest,
            };
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::InvalidUrl(
                    "an in-memory SQLite database cannot be shared".into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite(path.into()));
        }
        for scheme in ["postgres://", "postgresql://", "pgsql://", "postgis://"] {
            if let Some(rest) = url.strip_prefix(scheme) {
                return Ok(DatabaseUrl::Postgres(format!("postgresql://{rest}")));
            }
        }
        for scheme in ["mysql://", "mysql2://", "mysqlgis://", "mariadb://"] {
            if let Some(rest) = url.strip_prefix(scheme) {
                return Ok(DatabaseUrl::Mysql(format!("mysql://{rest}")));
            }
        }
        Err(StoreError::InvalidUrl(format!(
            "{} is none of sqlite:PATH, postgres://… and mysql://…",
            crate::urls::redact(url)
        )))
    }

    /// The URL with any password replaced by `***`, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            DatabaseUrl::Postgres(url) | DatabaseUrl::Mysql(url) => crate::urls::redact(url),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Connection settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long one query (or a connection, or a free pool slot) may take before the call
    /// fails with [`StoreError::Timeout`].
    pub query_timeout: Duration,
    /// PostgreSQL: connections that carry reads (one more carries writes). SQLite: handles
    /// kept open between calls. MySQL: the pool's connections. `None` chooses: one reading
    /// connection per core, 16 handles, two MySQL connections per core and two more.
    pub pool_size: Option<usize>,
    /// PostgreSQL: keep users read by pk while the user table's trigger announces no change
    /// (see `djtoken db notify-trigger`). Ignored by the other databases (SQLite's cache
    /// needs no trigger; MySQL has no notifications).
    pub user_cache_notify: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            query_timeout: Duration::from_secs(5),
            pool_size: None,
            user_cache_notify: false,
        }
    }
}

/// The fields `user create` writes.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// `USERNAME_FIELD`, already normalised.
    pub username: String,
    /// `EMAIL_FIELD`, already normalised (`""` for none).
    pub email: String,
    /// The encoded password.
    pub password: String,
    /// `is_superuser` and `is_staff`, where the table has them.
    pub superuser: bool,
    /// When the user joined (`date_joined`, where the table has it), UTC.
    pub date_joined: NaiveDateTime,
}

/// What `db init` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitOutcome {
    /// The schema was created.
    Created,
    /// `django_migrations` already records `auth` and `contenttypes`: nothing to do.
    AlreadyMigrated,
}

/// A database Django's tables live in: the user table, `django_session`, DRF's, knox's and
/// simplejwt's tokens, django-axes' attempts. Each table's operations are written once, in its
/// file (`users.rs`, `sessions.rs`, `authtoken.rs`, `knox.rs`, `blacklist.rs`, `axes.rs`), over
/// the driver's three calls here; what one database does its own way (PostgreSQL's batched
/// lookups by pk, SQLite's change-counter cache) is its driver's.
pub struct Database {
    driver: Driver,
    model: UserModel,
    dialect: Dialect,
    /// The database, without credentials.
    database: Arc<str>,
    queries: Queries,
}

/// Every table's statements, built once from the model in the database's dialect.
struct Queries {
    users: users::UserQueries,
    sessions: sessions::SessionQueries,
    authtoken: authtoken::AuthtokenQueries,
    blacklist: blacklist::BlacklistQueries,
    knox: knox::KnoxQueries,
}

/// The driver of one of the supported databases.
// One store lives for the whole process (behind an Arc in the server): its size is immaterial.
#[allow(clippy::large_enum_variant)]
enum Driver {
    /// SQLite through rusqlite.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteStore),
    /// PostgreSQL through tokio-postgres, on shared pipelined connections.
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgStore),
    /// MySQL or MariaDB through mysql_async, on a small pool.
    #[cfg(feature = "mysql")]
    Mysql(mysql::MysqlStore),
}

macro_rules! dispatch {
    ($self:ident, $driver:ident => $call:expr) => {
        match &$self.driver {
            #[cfg(feature = "sqlite")]
            Driver::Sqlite($driver) => $call,
            #[cfg(feature = "postgres")]
            Driver::Postgres($driver) => $call,
            #[cfg(feature = "mysql")]
            Driver::Mysql($driver) => $call,
        }
    };
}

impl Database {
    /// Open the database at `url` for `model`. PostgreSQL connects lazily (the first query
    /// connects); SQLite opens the file, which must exist unless `create` is set.
    pub async fn open(
        url: &str,
        model: UserModel,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        Self::open_with(url, model, options, false).await
    }

    /// As [`open`](Self::open), creating a missing SQLite file (for `db init`).
    pub async fn open_or_create(
        url: &str,
        model: UserModel,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        Self::open_with(url, model, options, true).await
    }

    #[cfg_attr(not(feature = "sqlite"), allow(unused_variables))]
    async fn open_with(
        url: &str,
        model: UserModel,
        options: StoreOptions,
        create: bool,
    ) -> Result<Self, StoreError> {
        model.validate()?;
        let (driver, dialect) = match DatabaseUrl::parse(url)? {
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(path) => (
                Driver::Sqlite(sqlite::SqliteStore::open(path, options, create)?),
                Dialect::Sqlite,
            ),
            #[cfg(feature = "postgres")]
            url @ DatabaseUrl::Postgres(_) => (
                Driver::Postgres(postgres::PgStore::open(url, model.clone(), options)?),
                Dialect::Postgres,
            ),
            #[cfg(feature = "mysql")]
            url @ DatabaseUrl::Mysql(_) => (
                Driver::Mysql(mysql::MysqlStore::open(url, options)?),
                Dialect::Mysql,
            ),
            #[allow(unreachable_patterns)]
            other => {
                return Err(StoreError::InvalidUrl(format!(
                    "{} needs a djtoken built with that database's feature",
                    other.redacted()
                )));
            }
        };
        let mut store = Database {
            driver,
            dialect,
            database: Arc::from(""),
            queries: Queries {
                users: users::UserQueries::new(&model, dialect),
                sessions: sessions::SessionQueries::new(&model, dialect),
                authtoken: authtoken::AuthtokenQueries::new(dialect),
                blacklist: blacklist::BlacklistQueries::new(dialect),
                knox: knox::KnoxQueries::new(dialect),
            },
            model,
        };
        store.database = Arc::from(dispatch!(store, d => d.database()));
        Ok(store)
    }

    /// The database, without credentials.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The user model this store reads.
    pub fn model(&self) -> &UserModel {
        &self.model
    }

    /// The database's SQL dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The rows `sql` selects with `params` (a read: it may run again on a fresh connection).
    async fn rows(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, StoreError> {
        let rows = dispatch!(self, d => d.rows(sql, params).await)?;
        Ok(rows
            .into_iter()
            .map(|cells| Row::new(cells, Arc::clone(&self.database)))
            .collect())
    }

    /// The first row `sql` selects, if any.
    async fn row(&self, sql: &str, params: Vec<Param>) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }

    /// Run a change: the rows it matched.
    async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, StoreError> {
        dispatch!(self, d => d.execute(sql, params).await)
    }

    /// Run an insert written with [`Dialect::or_nothing`]: 0 rows when a unique key is taken.
    async fn insert_or_nothing(&self, sql: &str, params: Vec<Param>) -> Result<u64, StoreError> {
        match &self.driver {
            #[cfg(feature = "mysql")]
            Driver::Mysql(mysql) => mysql.insert_or_nothing(sql, params).await,
            // `ON CONFLICT DO NOTHING` reports no row by itself.
            #[allow(unreachable_patterns)]
            _ => self.execute(sql, params).await,
        }
    }

    /// Run an insert: the integer pk the database chose, if it chose one.
    async fn insert(&self, sql: &str, params: Vec<Param>) -> Result<Option<i64>, StoreError> {
        dispatch!(self, d => d.insert(sql, params).await)
    }

    /// Add (or, with `install` false, remove) the trigger on the user table whose
    /// notifications let a PostgreSQL store keep users read by pk
    /// ([`StoreOptions::user_cache_notify`]). PostgreSQL only.
    pub async fn notify_trigger(&self, install: bool) -> Result<(), StoreError> {
        match &self.driver {
            #[cfg(feature = "postgres")]
            Driver::Postgres(s) => s.notify_trigger(install).await,
            #[allow(unreachable_patterns)]
            _ => Err(StoreError::Refused(
                "the change-notification trigger is for PostgreSQL only (SQLite's cache needs \
                 none; MySQL and MariaDB have no notifications)"
                    .into(),
            )),
        }
    }

    /// Start listening for the user table's change notifications now rather than at the
    /// first lookup by pk, when [`StoreOptions::user_cache_notify`] asks for them (PostgreSQL;
    /// nothing elsewhere). Needs a tokio runtime.
    pub fn watch_changes(&self) {
        #[cfg(feature = "postgres")]
        if let Driver::Postgres(s) = &self.driver {
            s.watch_changes();
        }
    }

    /// Whether users read by pk are being kept now on the strength of the user table's change
    /// notifications (a PostgreSQL store with [`StoreOptions::user_cache_notify`] whose
    /// listener is connected and has found the trigger).
    pub fn notified_cache_live(&self) -> bool {
        match &self.driver {
            #[cfg(feature = "postgres")]
            Driver::Postgres(s) => s.notified_cache_live(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, d => d.ping().await)
    }

    /// The user table's columns.
    async fn user_table_columns(&self) -> Result<Vec<String>, StoreError> {
        dispatch!(self, d => d.table_columns(&self.model.table).await)
    }

    /// Create the tables `migrate` creates for `auth` and `contenttypes` in Django `version`,
    /// with their `django_migrations` rows, unless they are already recorded. A database that
    /// has some of those tables but no record of migrating them is left alone.
    pub async fn init_schema(&self, version: DjangoVersion) -> Result<InitOutcome, StoreError> {
        let existing = dispatch!(self, d => d.django_tables().await)?;
        if existing.iter().any(|t| t == "django_migrations") {
            let migrated = match self.row(schema::MIGRATED, Vec::new()).await? {
                Some(row) => row.int(0, "a count")?,
                None => 0,
            };
            if migrated > 0 {
                return Ok(InitOutcome::AlreadyMigrated);
            }
        }
        if let Some(t) = existing.first() {
            return Err(StoreError::Refused(format!(
                "the database already has a {t} table but no migration records for auth; refusing to touch it"
            )));
        }
        let script = schema::script(version, self.dialect());
        dispatch!(self, d => d.run_schema(script).await)?;
        Ok(InitOutcome::Created)
    }
}

/// `uuid.uuid4()`, from the OS random source.
fn uuid4() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    crate::crypto::fill_random(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// `work` (a schema script), given four query timeouts: its error, or
/// [`StoreError::Timeout`] naming `database`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn schema_within<T>(
    database: &str,
    options: &StoreOptions,
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let limit = options.query_timeout * 4;
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| StoreError::Timeout {
            database: database.to_owned(),
            timeout: limit,
        })?
}

/// An error and its causes, `outer: inner: …` ("error connecting to server: Connection refused").
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// Scrub a driver message of the URL's password, in case a driver ever echoes it.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
fn scrub(message: String, url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Postgres(text) | DatabaseUrl::Mysql(text) => {
            crate::urls::scrub(&message, text)
        }
        DatabaseUrl::Sqlite(_) => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_follow_dj_database_url() {
        let path = |url: &str| match DatabaseUrl::parse(url) {
            Ok(DatabaseUrl::Sqlite(p)) => p.display().to_string(),
            other => panic!("{url}: {other:?}"),
        };
        assert_eq!(path("sqlite:db.sqlite3"), "db.sqlite3");
        assert_eq!(path("sqlite:/var/db.sqlite3"), "/var/db.sqlite3");
        assert_eq!(path("sqlite:///db.sqlite3"), "db.sqlite3");
        assert_eq!(path("sqlite:////var/db.sqlite3"), "/var/db.sqlite3");
        assert!(DatabaseUrl::parse("sqlite://host/db").is_err());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
        assert!(DatabaseUrl::parse("oracle://x").is_err());
    }

    #[test]
    fn postgres_urls_never_show_the_password() {
        let url =
            DatabaseUrl::parse("postgres://alice:s3cr%40t@db.example:5432/app?sslmode=disable")
                .expect("a postgres URL");
        assert_eq!(
            url.redacted(),
            "postgresql://alice:***@db.example:5432/app?sslmode=disable"
        );
        assert_eq!(
            scrub("auth failed for 's3cr@t'".into(), &url),
            "auth failed for '***'"
        );
        let options = DatabaseUrl::parse("postgres:///app?host=/run&password=hunter2&user=bob")
            .expect("a URL");
        assert_eq!(
            options.redacted(),
            "postgresql:///app?host=/run&password=***&user=bob"
        );
        assert!(!format!("{options:?}").contains("hunter2"));
        let err = DatabaseUrl::parse("mssql://root:hunter2@localhost/db").expect_err("unsupported");
        assert!(!err.to_string().contains("hunter2"));
        let mysql = DatabaseUrl::parse("mysql2://root:hunter2@localhost/db").expect("a MySQL URL");
        assert_eq!(mysql.redacted(), "mysql://root:***@localhost/db");
    }
}
