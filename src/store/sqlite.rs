//! The user table in SQLite, Django's default database.
//!
//! rusqlite is synchronous. A point read (a user by pk or username) first runs right on the
//! async worker with a cached connection that refuses to wait for locks: from SQLite's page
//! cache it takes microseconds, less than handing it to another thread. Anything that would
//! wait (a lock held by Django's writer) and every write run on tokio's blocking pool, where
//! `busy_timeout` lets a locked database wait up to the query timeout, then fail.
//!
//! Users read by pk (every token check) are also kept in a [`PkCache`], valid while the
//! database file's change counter stays what it was when they were read: the check SQLite
//! itself makes before trusting its page cache, for one `pread` instead of a read
//! transaction's file locks (two `fcntl`s, an `access` for a hot journal, and a process-wide
//! mutex, which were most of a token check's cost).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql, params_from_iter};
use uuid::Uuid;

use super::authtoken::AuthtokenQueries;
use super::axes::failures_sql;
use super::blacklist::{BlacklistQueries, OutstandingToken};
use super::knox::{KnoxQueries, KnoxRow, KnoxWrite};
use super::sessions::{NaiveTimes, SessionQueries, SessionRow};
use super::users::{UserInsert, UserQueries, Value};
use super::{Dialect, StoreError, StoreOptions};
use crate::axes::{AxesFailures, AxesField};
use crate::user::{Pk, PkKind, User, UserModel, parse_wall_time, quote_identifier};

/// Handles kept open between calls unless `StoreOptions::pool_size` says otherwise.
const DEFAULT_IDLE_HANDLES: usize = 16;

/// Users kept by pk at most (the cache starts afresh beyond).
const CACHED_USERS: usize = 4096;
/// How often the cache checks that the path still names the file it reads.
const REOPEN_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Users by pk as of one value of the database's change counter.
///
/// In rollback-journal mode SQLite increments the 4-byte counter at offset 24 of the file
/// header in every transaction that changes the database, before the commit point, and keeps
/// the old value if it rolls back: while the counter reads the same, no commit has happened
/// since, and a row read under that value is still the row. A counter that moved, a header
/// that cannot be read, or a database in WAL mode (header bytes 18–19 are 2; there the counter
/// is not kept per transaction) bypass the cache. The counter is read *before* the query, so
/// a commit landing between the two only makes the entry stale at once, never wrong.
struct PkCache {
    path: PathBuf,
    /// The database file, for its header, and its inode.
    file: RwLock<(Option<std::fs::File>, u64)>,
    /// When the path was last compared with the open file, in ms since `started`.
    checked: AtomicU64,
    started: std::time::Instant,
    /// The counter the users were read under, and the users.
    users: RwLock<(Option<u32>, UsersByPk)>,
}

/// Users (or their absence) by pk.
type UsersByPk = std::collections::HashMap<Pk, Option<User>>;

impl PkCache {
    fn new(path: PathBuf) -> Self {
        PkCache {
            file: RwLock::new(open_with_inode(&path)),
            path,
            checked: AtomicU64::new(0),
            started: std::time::Instant::now(),
            users: RwLock::new((None, std::collections::HashMap::new())),
        }
    }

    /// The change counter now, when the cache may be used.
    fn counter(&self) -> Option<u32> {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.checked.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= REOPEN_CHECK.as_millis() as u64
            && self
                .checked
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // A database replaced under the same name (a restore, a rename) is another file:
            // read its header, not the old one's.
            let inode = self.file.read().unwrap_or_else(|p| p.into_inner()).1;
            if inode_of_path(&self.path) != Some(inode) {
                *self.file.write().unwrap_or_else(|p| p.into_inner()) = open_with_inode(&self.path);
                self.users.write().unwrap_or_else(|p| p.into_inner()).0 = None;
            }
        }
        let header = read_header(
            self.file
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .as_ref()?,
        )?;
        if header[18] == 2 || header[19] == 2 {
            return None;
        }
        Some(u32::from_be_bytes([
            header[24], header[25], header[26], header[27],
        ]))
    }

    fn get(&self, counter: u32, pk: &Pk) -> Option<Option<User>> {
        let users = self.users.read().unwrap_or_else(|p| p.into_inner());
        if users.0 != Some(counter) {
            return None;
        }
        users.1.get(pk).cloned()
    }

    fn put(&self, counter: u32, pk: &Pk, user: &Option<User>) {
        let mut users = self.users.write().unwrap_or_else(|p| p.into_inner());
        if users.0 != Some(counter) || users.1.len() >= CACHED_USERS {
            users.1.clear();
            users.0 = Some(counter);
        }
        users.1.insert(pk.clone(), user.clone());
    }
}

fn open_with_inode(path: &PathBuf) -> (Option<std::fs::File>, u64) {
    let file = std::fs::File::open(path).ok();
    let inode = file
        .as_ref()
        .and_then(|f| f.metadata().ok())
        .map_or(0, |m| inode(&m));
    (file, inode)
}

/// The first 28 bytes of the database header, read without moving any file position.
#[cfg(unix)]
fn read_header(file: &std::fs::File) -> Option<[u8; 28]> {
    let mut header = [0u8; 28];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut header, 0).ok()?;
    Some(header)
}

/// Elsewhere the cache is never used.
#[cfg(not(unix))]
fn read_header(_: &std::fs::File) -> Option<[u8; 28]> {
    None
}

#[cfg(unix)]
fn inode(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

fn inode_of_path(path: &PathBuf) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| inode(&m))
}

pub struct SqliteStore {
    path: PathBuf,
    database: String,
    model: UserModel,
    queries: Arc<UserQueries>,
    sessions: Arc<SessionQueries>,
    authtoken: Arc<AuthtokenQueries>,
    blacklist: Arc<BlacklistQueries>,
    knox: Arc<KnoxQueries>,
    options: StoreOptions,
    idle: Arc<Mutex<Vec<Connection>>>,
    /// Calls on the blocking pool at once (each holds one handle): a locked database makes
    /// calls wait there, and without a bound every request would take a thread and a file.
    blocking: Arc<tokio::sync::Semaphore>,
    /// Users by pk, while the database is unchanged.
    by_pk: PkCache,
}

/// A connection that never waits for a lock; [`SqliteStore::run`] lets it wait when it runs on
/// the blocking pool.
fn connect(path: &PathBuf, create: bool) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // A double-quoted name that is not a column would otherwise be read as a string literal
    // (SQLite's legacy "DQS" quirk): a misspelt column must be an error, not a constant.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    conn.busy_timeout(std::time::Duration::ZERO)?;
    // A small page cache per handle: the user table's hot pages, not megabytes per handle.
    // It is only an optimisation: a database locked right now must still open.
    match conn.execute_batch("PRAGMA cache_size = -256") {
        Err(e) if !is_busy(&e) => return Err(e),
        _ => {}
    }
    Ok(conn)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A pk as Django stores it in SQLite: integers as integers, UUIDs as 32 hex characters.
fn pk_param(pk: &Pk) -> Box<dyn ToSql + Send> {
    match pk {
        Pk::Int(i) => Box::new(*i),
        Pk::Uuid(u) => Box::new(u.simple().to_string()),
        Pk::Str(s) => Box::new(s.clone()),
    }
}

/// The pk as a SQLite value, as [`pk_param`] binds it.
fn pk_value(pk: &Pk) -> rusqlite::types::Value {
    match pk {
        Pk::Int(i) => (*i).into(),
        Pk::Uuid(u) => u.simple().to_string().into(),
        Pk::Str(s) => s.clone().into(),
    }
}

/// The pk in a row's first column, as Django stores that kind in SQLite.
fn read_pk(row: &Row<'_>, kind: PkKind) -> rusqlite::Result<Pk> {
    Ok(match kind {
        PkKind::Integer | PkKind::BigInteger => Pk::Int(row.get(0)?),
        PkKind::Uuid => {
            let text: String = row.get(0)?;
            Pk::Uuid(Uuid::parse_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?)
        }
        PkKind::String => Pk::Str(row.get(0)?),
    })
}

fn read_user(row: &Row<'_>, kind: PkKind) -> rusqlite::Result<User> {
    let pk = read_pk(row, kind)?;
    let last_login: Option<String> = row.get(4)?;
    let last_login = match last_login {
        Some(text) => Some(parse_wall_time(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?),
        None => None,
    };
    Ok(User {
        pk,
        username: row.get(1)?,
        password: row.get(2)?,
        email: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
        last_login,
        is_active: row.get::<_, Option<bool>>(5)?.unwrap_or(true),
    })
}

/// `str(naive_utc_datetime)`, as Django's SQLite backend stores datetimes.
fn datetime_text(dt: NaiveDateTime) -> String {
    if dt.and_utc().timestamp_subsec_micros() == 0 {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}

impl SqliteStore {
    pub fn open(
        path: PathBuf,
        model: UserModel,
        options: StoreOptions,
        create: bool,
    ) -> Result<Self, StoreError> {
        let database = format!("sqlite:{}", path.display());
        if !create && !path.exists() {
            return Err(StoreError::Unavailable {
                database,
                reason: "no such file (create it with `djtoken db init`, or Django's migrate)"
                    .into(),
            });
        }
        let new = !path.exists();
        let first = connect(&path, create).map_err(|e| StoreError::Unavailable {
            database: database.clone(),
            reason: e.to_string(),
        })?;
        // A database djtoken creates holds password hashes: its owner's alone.
        #[cfg(unix)]
        if new {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(
                |e| StoreError::Unavailable {
                    database: database.clone(),
                    reason: format!("making the new file private: {e}"),
                },
            )?;
        }
        Ok(SqliteStore {
            by_pk: PkCache::new(path.clone()),
            queries: Arc::new(UserQueries::new(&model, Dialect::Sqlite)),
            sessions: Arc::new(SessionQueries::new(&model, Dialect::Sqlite)),
            authtoken: Arc::new(AuthtokenQueries::new(Dialect::Sqlite)),
            blacklist: Arc::new(BlacklistQueries::new(Dialect::Sqlite)),
            knox: Arc::new(KnoxQueries::new(Dialect::Sqlite)),
            path,
            database,
            model,
            options,
            idle: Arc::new(Mutex::new(vec![first])),
            blocking: Arc::new(tokio::sync::Semaphore::new(
                options.pool_size.unwrap_or(DEFAULT_IDLE_HANDLES).max(1),
            )),
        })
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn model(&self) -> &UserModel {
        &self.model
    }

    fn error(&self, e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode::{
            CannotOpen, DatabaseBusy, DatabaseCorrupt, DatabaseLocked, NotADatabase,
            SystemIoFailure,
        };
        let reason = e.to_string();
        match e.sqlite_error_code() {
            Some(
                DatabaseBusy | DatabaseLocked | CannotOpen | NotADatabase | DatabaseCorrupt
                | SystemIoFailure,
            ) => StoreError::Unavailable {
                database: self.database.clone(),
                reason,
            },
            _ => StoreError::Query {
                database: self.database.clone(),
                reason,
            },
        }
    }

    /// Run `f` with a connection on the blocking pool, within the query timeout.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &UserQueries) -> rusqlite::Result<T> + Send + 'static,
    {
        // At most pool-size calls hold a thread and a handle; the rest wait for one here, as
        // a future (no thread, no file), within the same query timeout: a writer's commit
        // that blocks readers for a millisecond queues them, a lock held past the timeout
        // answers them all.
        let deadline = tokio::time::Instant::now() + self.options.query_timeout;
        let acquire = Arc::clone(&self.blocking).acquire_owned();
        let Ok(Ok(permit)) = tokio::time::timeout_at(deadline, acquire).await else {
            return Err(StoreError::Unavailable {
                database: self.database.clone(),
                reason: "every database handle stayed busy for the query timeout (the \
                         database is locked or slow)"
                    .into(),
            });
        };
        let idle = Arc::clone(&self.idle);
        let queries = Arc::clone(&self.queries);
        let path = self.path.clone();
        let pool_size = self.options.pool_size;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let cached = idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            let conn = match cached {
                Some(conn) => conn,
                None => connect(&path, false)?,
            };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            conn.busy_timeout(left.max(std::time::Duration::from_millis(1)))?;
            let result = f(&conn, &queries);
            conn.busy_timeout(std::time::Duration::ZERO)?;
            let mut idle = idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if idle.len() < pool_size.unwrap_or(DEFAULT_IDLE_HANDLES) {
                idle.push(conn);
            }
            result
        });
        // busy_timeout bounds lock waits inside SQLite; this bounds everything else (a stuck
        // disk). The blocking task may outlive the answer; it finishes on its own.
        match tokio::time::timeout_at(deadline + std::time::Duration::from_secs(1), task).await {
            Err(_) => Err(StoreError::Timeout {
                database: self.database.clone(),
                timeout: self.options.query_timeout,
            }),
            Ok(Err(join)) => Err(StoreError::Unavailable {
                database: self.database.clone(),
                reason: format!("database task failed: {join}"),
            }),
            Ok(Ok(result)) => result.map_err(|e| self.error(e)),
        }
    }

    /// A read: inline with an idle connection when it needs no lock, else on the blocking
    /// pool (see the module docs).
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection, &UserQueries) -> rusqlite::Result<T> + Send + 'static,
    {
        let cached = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        if let Some(conn) = cached {
            let result = f(&conn, &self.queries);
            self.idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(conn);
            match result {
                Err(e) if is_busy(&e) => {}
                other => return other.map_err(|e| self.error(e)),
            }
        }
        self.run(f).await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn, _| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    pub async fn user_by_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        let counter = self.by_pk.counter();
        if let Some(user) = counter.and_then(|c| self.by_pk.get(c, pk)) {
            return Ok(user);
        }
        let (param, kind) = (pk_param(pk), self.model.pk_kind);
        let user = self
            .read(move |conn, q| {
                conn.prepare_cached(&q.by_pk)?
                    .query_row([&param], |row| read_user(row, kind))
                    .optional()
            })
            .await?;
        if let Some(counter) = counter {
            self.by_pk.put(counter, pk, &user);
        }
        Ok(user)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let (username, kind) = (username.to_owned(), self.model.pk_kind);
        self.read(move |conn, q| {
            conn.prepare_cached(&q.by_username)?
                .query_row([&username], |row| read_user(row, kind))
                .optional()
        })
        .await
    }

    pub async fn set_password_if_unchanged(
        &self,
        pk: &Pk,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let (pk, old, new) = (pk_param(pk), old.to_owned(), new.to_owned());
        self.run(move |conn, q| {
            let changed = conn
                .prepare_cached(&q.set_password_if_unchanged)?
                .execute(rusqlite::params![new, pk, old])?;
            Ok(changed == 1)
        })
        .await
    }

    pub async fn set_password(&self, username: &str, encoded: &str) -> Result<bool, StoreError> {
        let (username, encoded) = (username.to_owned(), encoded.to_owned());
        self.run(move |conn, q| {
            Ok(conn
                .prepare_cached(&q.set_password)?
                .execute([encoded, username])?
                > 0)
        })
        .await
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let kind = self.model.pk_kind;
        self.run(move |conn, q| {
            let mut stmt = conn.prepare_cached(&q.list)?;
            let rows = stmt.query_map([], |row| read_user(row, kind))?;
            rows.collect()
        })
        .await
    }

    pub async fn check_user_table(&self) -> Result<(), StoreError> {
        let checked = self
            .read(|conn, q| {
                let tables: i64 =
                    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
                Ok((tables, conn.prepare_cached(&q.check).map(drop)))
            })
            .await?;
        match checked {
            (_, Ok(())) => Ok(()),
            (0, Err(e)) => Err(StoreError::Query {
                database: self.database.clone(),
                reason: format!(
                    "{e}: the database is empty (create the tables with `djtoken db init`, or Django's migrate)"
                ),
            }),
            (_, Err(e)) => Err(self.error(e)),
        }
    }

    /// The user table's columns.
    pub async fn user_table_columns(&self) -> Result<Vec<String>, StoreError> {
        let table = quote_identifier(&self.model.table);
        self.run(move |conn, _| {
            let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
            let names = stmt.query_map([], |row| row.get::<_, String>(1))?;
            names.collect()
        })
        .await
    }

    pub async fn insert_user(&self, insert: &UserInsert) -> Result<Pk, StoreError> {
        let sql = insert.sql(&self.model, Dialect::Sqlite);
        // As Django's SQLite backend stores them: UUIDs as 32 hex digits, datetimes as text.
        let values: Vec<SqlValue> = insert
            .values
            .iter()
            .map(|value| match value {
                Value::Text(s) => SqlValue::Text(s.clone()),
                Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
                Value::Uuid(u) => SqlValue::Text(u.simple().to_string()),
                Value::DateTime(dt) => SqlValue::Text(datetime_text(*dt)),
            })
            .collect();
        let new_uuid = insert.values.iter().find_map(|v| match v {
            Value::Uuid(u) => Some(Pk::Uuid(*u)),
            _ => None,
        });
        self.run(move |conn, _| {
            conn.execute(&sql, params_from_iter(values.iter()))?;
            Ok(new_uuid.unwrap_or_else(|| Pk::Int(conn.last_insert_rowid())))
        })
        .await
    }

    pub async fn axes_failures(
        &self,
        filters: &[(AxesField, Option<String>)],
        since: Option<NaiveDateTime>,
    ) -> Result<AxesFailures, StoreError> {
        let (sql, mut params) = failures_sql(filters, since.is_some(), |n, _| format!("?{n}"));
        // Django's SQLite backend stores and compares datetimes as naive UTC text.
        params.extend(since.map(datetime_text));
        self.read(move |conn, _| {
            conn.prepare_cached(&sql)?
                .query_row(params_from_iter(params.iter()), |row| {
                    let latest: Option<String> = row.get(1)?;
                    let latest = match latest {
                        Some(text) => Some(parse_wall_time(&text).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                1,
                                rusqlite::types::Type::Text,
                                Box::new(e),
                            )
                        })?),
                        None => None,
                    };
                    Ok(AxesFailures {
                        failures: row.get(0)?,
                        latest,
                    })
                })
        })
        .await
    }

    pub async fn drf_token_user(&self, key: &str) -> Result<Option<Pk>, StoreError> {
        let (sql, key, kind) = (
            self.authtoken.user_of_key.clone(),
            key.to_owned(),
            self.model.pk_kind,
        );
        self.read(move |conn, _| {
            conn.prepare_cached(&sql)?
                .query_row([&key], |row| read_pk(row, kind))
                .optional()
        })
        .await
    }

    pub async fn drf_key_of(&self, pk: &Pk) -> Result<Option<String>, StoreError> {
        let (sql, pk) = (self.authtoken.key_of_user.clone(), pk_param(pk));
        self.read(move |conn, _| {
            conn.prepare_cached(&sql)?
                .query_row(rusqlite::params![pk], |row| row.get(0))
                .optional()
        })
        .await
    }

    pub async fn drf_insert(
        &self,
        key: &str,
        now: DateTime<Utc>,
        pk: &Pk,
        times: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let (sql, key) = (self.authtoken.insert.clone(), key.to_owned());
        let (created, pk) = (datetime_text(times.naive(now)), pk_param(pk));
        self.run(move |conn, _| {
            let changed = conn
                .prepare_cached(&sql)?
                .execute(rusqlite::params![key, created, pk])?;
            Ok(changed == 1)
        })
        .await
    }

    pub async fn jwt_is_blacklisted(&self, jti: &str) -> Result<bool, StoreError> {
        let (sql, jti) = (self.blacklist.is_blacklisted.clone(), jti.to_owned());
        self.read(move |conn, _| {
            conn.prepare_cached(&sql)?
                .query_row([&jti], |_| Ok(()))
                .optional()
                .map(|row| row.is_some())
        })
        .await
    }

    pub async fn jwt_outstand(
        &self,
        token: &OutstandingToken<'_>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let created = datetime_text(times.naive(token.created_at));
        let expires = datetime_text(times.naive(token.expires_at));
        let (jti, text) = (token.jti.to_owned(), token.token.to_owned());
        let user = token.user.map(pk_param);
        let sql = match user {
            Some(_) => self.blacklist.outstand.clone(),
            None => self.blacklist.outstand_without_user.clone(),
        };
        self.run(move |conn, _| {
            let mut statement = conn.prepare_cached(&sql)?;
            match user {
                Some(user) => {
                    statement.execute(rusqlite::params![jti, text, created, expires, user])?
                }
                None => statement.execute(rusqlite::params![jti, text, created, expires])?,
            };
            Ok(())
        })
        .await
    }

    pub async fn jwt_blacklist(
        &self,
        jti: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let (sql, jti) = (self.blacklist.blacklist.clone(), jti.to_owned());
        let now = datetime_text(times.naive(now));
        self.run(move |conn, _| {
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params![now, jti])?;
            Ok(())
        })
        .await
    }

    pub async fn knox_by_key(
        &self,
        key: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<Vec<KnoxRow>, StoreError> {
        let (sql, key, kind) = (self.knox.by_key.clone(), key.to_owned(), self.model.pk_kind);
        let now = datetime_text(times.naive(now));
        self.read(move |conn, _| {
            let mut statement = conn.prepare_cached(&sql)?;
            let rows = statement.query_map([&now, &key], |row| {
                let when =
                    |i: usize, text: Option<String>| -> rusqlite::Result<Option<DateTime<Utc>>> {
                        text.map(|t| {
                            parse_wall_time(&t).map(|n| times.instant(n)).map_err(|e| {
                                rusqlite::Error::FromSqlConversionFailure(
                                    i,
                                    rusqlite::types::Type::Text,
                                    Box::new(e),
                                )
                            })
                        })
                        .transpose()
                    };
                Ok(KnoxRow {
                    user: read_pk(row, kind)?,
                    digest: row.get(1)?,
                    created: when(2, row.get(2)?)?.unwrap_or_default(),
                    expiry: when(3, row.get(3)?)?,
                    expired_others: row.get(4)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    pub async fn knox_write(
        &self,
        write: KnoxWrite<'_>,
        times: NaiveTimes,
    ) -> Result<u64, StoreError> {
        let text = |at: DateTime<Utc>| datetime_text(times.naive(at));
        let q = &self.knox;
        let (sql, params): (String, Vec<rusqlite::types::Value>) = match write {
            KnoxWrite::DeleteExpiredOthers { user, digest, now } => (
                q.delete_expired_others.clone(),
                vec![pk_value(user), digest.to_owned().into(), text(now).into()],
            ),
            KnoxWrite::Delete { digest } => (q.delete.clone(), vec![digest.to_owned().into()]),
            KnoxWrite::DeleteAll { user } => (q.delete_all.clone(), vec![pk_value(user)]),
            KnoxWrite::SetExpiry { digest, expiry } => (
                q.set_expiry.clone(),
                vec![text(expiry).into(), digest.to_owned().into()],
            ),
            KnoxWrite::Insert {
                digest,
                key,
                user,
                created,
                expiry,
            } => (
                q.insert.clone(),
                vec![
                    digest.to_owned().into(),
                    key.to_owned().into(),
                    pk_value(user),
                    text(created).into(),
                    expiry
                        .map(text)
                        .map_or(rusqlite::types::Value::Null, Into::into),
                ],
            ),
        };
        self.run(move |conn, _| {
            let changed = conn
                .prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(params))?;
            Ok(changed as u64)
        })
        .await
    }

    pub async fn knox_count_live(
        &self,
        user: &Pk,
        now: DateTime<Utc>,
        without_expiry_too: bool,
        times: NaiveTimes,
    ) -> Result<i64, StoreError> {
        let sql = if without_expiry_too {
            self.knox.count_live.clone()
        } else {
            self.knox.count_live_with_expiry.clone()
        };
        let (user, now) = (pk_value(user), datetime_text(times.naive(now)));
        self.read(move |conn, _| {
            conn.prepare_cached(&sql)?
                .query_row(rusqlite::params![user, now], |row| row.get(0))
        })
        .await
    }

    pub async fn session_load(
        &self,
        key: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<Option<SessionRow>, StoreError> {
        let (sql, key) = (self.sessions.load.clone(), key.to_owned());
        let now = datetime_text(times.naive(now));
        let row = self
            .read(move |conn, _| {
                conn.prepare_cached(&sql)?
                    .query_row([&key, &now], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                    })
                    .optional()
            })
            .await?;
        let Some((data, expire)) = row else {
            return Ok(None);
        };
        let expire = parse_wall_time(&expire).map_err(|e| StoreError::Query {
            database: self.database.clone(),
            reason: format!("django_session.expire_date {expire:?}: {e}"),
        })?;
        Ok(Some(SessionRow {
            data,
            expire_date: times.instant(expire),
        }))
    }

    pub async fn session_write(
        &self,
        insert: bool,
        key: &str,
        data: &str,
        expire: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let expire = datetime_text(times.naive(expire));
        let (key, data) = (key.to_owned(), data.to_owned());
        let sessions = Arc::clone(&self.sessions);
        self.run(move |conn, _| {
            let changed = if insert {
                conn.prepare_cached(&sessions.insert)?
                    .execute([&key, &data, &expire])?
            } else {
                conn.prepare_cached(&sessions.update)?
                    .execute([&data, &expire, &key])?
            };
            Ok(changed == 1)
        })
        .await
    }

    pub async fn session_delete(&self, key: &str) -> Result<(), StoreError> {
        let (sql, key) = (self.sessions.delete.clone(), key.to_owned());
        self.run(move |conn, _| conn.prepare_cached(&sql)?.execute([&key]).map(drop))
            .await
    }

    pub async fn set_last_login(
        &self,
        pk: &Pk,
        at: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let Some(sql) = self.sessions.set_last_login.clone() else {
            return Ok(());
        };
        let (pk, at) = (pk_param(pk), datetime_text(times.naive(at)));
        self.run(move |conn, _| {
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params![at, pk])
                .map(drop)
        })
        .await
    }

    /// The tables whose names start with `auth_` or `django_`.
    pub async fn django_tables(&self) -> Result<Vec<String>, StoreError> {
        self.run(|conn, _| {
            conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND (name LIKE 'auth\\_%' ESCAPE '\\' OR name LIKE 'django\\_%' ESCAPE '\\') ORDER BY name",
            )?
            .query_map([], |row| row.get(0))?
            .collect()
        })
        .await
    }

    /// The single integer `sql` selects.
    pub async fn count(&self, sql: &'static str) -> Result<i64, StoreError> {
        self.run(move |conn, _| conn.query_row(sql, [], |row| row.get(0)))
            .await
    }

    /// Run a schema script, checking foreign keys once everything is there.
    pub async fn run_schema(&self, script: &'static str) -> Result<(), StoreError> {
        self.run(move |conn, _| {
            // The dump creates tables in name order and fills some before the tables they
            // reference exist; foreign keys are checked once everything is there.
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
            let created = conn.execute_batch(script);
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
            created?;
            let broken: Option<String> = conn
                .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
                .optional()?;
            Ok(broken)
        })
        .await?
        .map_or(Ok(()), |table| {
            Err(StoreError::Refused(format!(
                "the created schema has a dangling foreign key in {table}"
            )))
        })
    }
}
