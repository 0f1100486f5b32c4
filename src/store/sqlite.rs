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

use rusqlite::config::DbConfig;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter};

use super::driver::{Cell, Param, datetime_text};
use super::{StoreError, StoreOptions};
use crate::user::{Pk, User, quote_identifier};

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

/// A parameter as Django's SQLite backend stores it: integers (and booleans) as integers,
/// UUIDs as 32 hex digits, datetimes as naive text.
fn sql_value(param: Param) -> SqlValue {
    match param {
        Param::Null => SqlValue::Null,
        Param::Text(text) | Param::Pk(Pk::Str(text)) => SqlValue::Text(text),
        Param::Int(i) | Param::Pk(Pk::Int(i)) => SqlValue::Integer(i),
        Param::Bool(b) => SqlValue::Integer(i64::from(b)),
        Param::Pk(Pk::Uuid(u)) => SqlValue::Text(u.simple().to_string()),
        Param::At(at, times) => SqlValue::Text(datetime_text(times.naive(at))),
        Param::Naive(naive) => SqlValue::Text(datetime_text(naive)),
    }
}

/// A value as a [`Cell`].
fn cell(value: ValueRef<'_>) -> Cell {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i),
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Cell::Text(text.to_owned()),
            Err(_) => Cell::Other("text that is not UTF-8".into()),
        },
        ValueRef::Real(f) => Cell::Other(format!("{f} (real)")),
        ValueRef::Blob(bytes) => Cell::Other(format!("a blob of {} bytes", bytes.len())),
    }
}

impl SqliteStore {
    pub fn open(path: PathBuf, options: StoreOptions, create: bool) -> Result<Self, StoreError> {
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
            path,
            database,
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
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
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
            let result = f(&conn);
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
        F: Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let cached = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        if let Some(conn) = cached {
            let result = f(&conn);
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
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    /// The rows `sql` selects with `params`.
    pub async fn rows(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Vec<Cell>>, StoreError> {
        let sql = sql.to_owned();
        let values: Vec<SqlValue> = params.into_iter().map(sql_value).collect();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(&sql)?;
            let columns = statement.column_count();
            let rows = statement.query_map(params_from_iter(values.iter()), |row| {
                (0..columns).map(|i| row.get_ref(i).map(cell)).collect()
            })?;
            rows.collect()
        })
        .await
    }

    /// Run a change: the rows it changed.
    pub async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, StoreError> {
        let sql = sql.to_owned();
        let values: Vec<SqlValue> = params.into_iter().map(sql_value).collect();
        self.run(move |conn| {
            let changed = conn
                .prepare_cached(&sql)?
                .execute(params_from_iter(values.iter()))?;
            Ok(changed as u64)
        })
        .await
    }

    /// Run an insert: the new row's rowid.
    pub async fn insert(&self, sql: &str, params: Vec<Param>) -> Result<Option<i64>, StoreError> {
        let sql = sql.to_owned();
        let values: Vec<SqlValue> = params.into_iter().map(sql_value).collect();
        self.run(move |conn| {
            conn.execute(&sql, params_from_iter(values.iter()))?;
            Ok(Some(conn.last_insert_rowid()))
        })
        .await
    }

    /// The change counter, when users read under it may be kept (see [`PkCache`]).
    pub fn change_counter(&self) -> Option<u32> {
        self.by_pk.counter()
    }

    /// The user (or its absence) kept for `pk` under `counter`.
    pub fn cached_user(&self, counter: u32, pk: &Pk) -> Option<Option<User>> {
        self.by_pk.get(counter, pk)
    }

    /// Keep the user (or its absence) read for `pk` under `counter`.
    pub fn keep_user(&self, counter: u32, pk: &Pk, user: &Option<User>) {
        self.by_pk.put(counter, pk, user);
    }

    /// Whether the statement `check` prepares: an empty database says so.
    pub async fn check_table(&self, check: &str) -> Result<(), StoreError> {
        let check = check.to_owned();
        let checked = self
            .read(move |conn| {
                let tables: i64 =
                    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
                Ok((tables, conn.prepare_cached(&check).map(drop)))
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

    /// The columns of `table`.
    pub async fn table_columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let table = quote_identifier(table);
        self.run(move |conn| {
            let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
            let names = stmt.query_map([], |row| row.get::<_, String>(1))?;
            names.collect()
        })
        .await
    }

    /// The tables whose names start with `auth_` or `django_`.
    pub async fn django_tables(&self) -> Result<Vec<String>, StoreError> {
        self.run(|conn| {
            conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND (name LIKE 'auth\\_%' ESCAPE '\\' OR name LIKE 'django\\_%' ESCAPE '\\') ORDER BY name",
            )?
            .query_map([], |row| row.get(0))?
            .collect()
        })
        .await
    }

    /// Run a schema script, checking foreign keys once everything is there.
    pub async fn run_schema(&self, script: &'static str) -> Result<(), StoreError> {
        self.run(move |conn| {
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
