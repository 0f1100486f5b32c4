//! The user table in PostgreSQL: a few tokio-postgres connections, shared and pipelined.
//!
//! A token check is one indexed lookup, so the cost is the round trip, not the query. Each
//! reading connection is shared by every request: tokio-postgres sends a query as soon as it
//! is issued and matches answers in order, so concurrent checks travel together instead of
//! queueing for a connection of their own. Reads are spread over the connections in turn.
//! Lookups by pk (every token check) go one step further: while one is on its way to the
//! server, the lookups that arrive on the same connection wait and then travel together as one
//! `pk = ANY($1)` query, so under load the server parses, plans and answers one query for many
//! checks, and an idle server still answers a lone check in one round trip.
//! With `StoreOptions::user_cache_notify` the users read by pk are also kept between checks
//! while the user table's trigger announces no change (`pg_notify`).
//! Writes (a password upgraded at login, `user set-password`) have a connection of their own:
//! an UPDATE waiting on a row lock that a Django transaction holds delays other writes, never
//! the reads pipelined behind it.
//!
//! A connection that died (the server restarted, the network dropped it) or that let a call
//! time out is replaced on the next call that picks it, so service resumes by itself when the
//! database returns. Every call, connecting included, is bounded by the query timeout. TLS is
//! not supported: connect over a trusted network, a Unix socket, or a local pooler.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Statement};
use uuid::Uuid;

use super::authtoken::AuthtokenQueries;
use super::axes::failures_sql;
use super::blacklist::{BlacklistQueries, OutstandingToken};
use super::knox::{KnoxQueries, KnoxRow, KnoxWrite};
use super::pg_notify::{self, UserCache};
use super::sessions::{NaiveTimes, SessionQueries, SessionRow};
use super::users::{UserInsert, UserQueries, Value};
use super::{DatabaseUrl, Dialect, StoreError, StoreOptions, scrub, with_sources};
use crate::axes::{AxesFailures, AxesField};
use crate::user::{Pk, PkKind, User, UserModel};

type Param = Box<dyn ToSql + Sync + Send>;

/// What a call does, which decides the connection it runs on.
#[derive(Clone, Copy)]
enum Use {
    Read,
    Write,
}

/// One live connection and the statements prepared on it.
struct Conn {
    client: Client,
    statements: Mutex<HashMap<String, Statement>>,
}

/// A place in the pool: the current connection, a lock so that only one caller reconnects it
/// at a time, and the lookups by pk waiting to travel on it together.
#[derive(Default)]
struct Slot {
    current: RwLock<Option<Arc<Conn>>>,
    reconnect: tokio::sync::Mutex<()>,
    gather: Mutex<Gather>,
}

/// Lookups by pk waiting for the next batch on one connection.
#[derive(Default)]
struct Gather {
    waiting: VecDeque<Waiter>,
    /// A task is sending batches on this connection; it takes the waiting lookups in turn
    /// and ends when none are left.
    sending: bool,
}

type Found = Result<Option<User>, StoreError>;

struct Waiter {
    pk: Pk,
    reply: tokio::sync::oneshot::Sender<Found>,
}

/// Most pks in one `= ANY($1)` lookup.
const MOST_IN_A_BATCH: usize = 256;

/// The PostgreSQL user store. Cheap to share: the connections live behind an `Arc`, which the
/// batches of lookups by pk hold while they run.
pub struct PgStore(Arc<Shared>);

impl Deref for PgStore {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    url: DatabaseUrl,
    database: String,
    model: UserModel,
    queries: UserQueries,
    sessions: SessionQueries,
    authtoken: AuthtokenQueries,
    blacklist: BlacklistQueries,
    knox: KnoxQueries,
    /// Rows for an array of pks: the batched lookups by pk (PostgreSQL only).
    by_pks: String,
    options: StoreOptions,
    config: tokio_postgres::Config,
    slots: Vec<Slot>,
    next: AtomicUsize,
    /// Users read by pk, while the user table's trigger announces no change (opt-in).
    cache: Option<Arc<UserCache>>,
}

impl PgStore {
    pub fn open(
        url: DatabaseUrl,
        model: UserModel,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let DatabaseUrl::Postgres(text) = &url else {
            unreachable!("UserStore::open dispatches PostgreSQL URLs here")
        };
        let mut config: tokio_postgres::Config =
            text.parse().map_err(|e: tokio_postgres::Error| {
                StoreError::InvalidUrl(scrub(e.to_string(), &url))
            })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.query_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("djtoken");
        }
        let readers = options
            .pool_size
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
            .max(1);
        let queries = UserQueries::new(&model, Dialect::Postgres);
        let sessions = SessionQueries::new(&model, Dialect::Postgres);
        Ok(PgStore(Arc::new(Shared {
            database: url.redacted(),
            by_pks: format!(
                "{} WHERE {} = ANY($1)",
                queries.select,
                Dialect::Postgres.quote(&model.pk_column)
            ),
            queries,
            sessions,
            authtoken: AuthtokenQueries::new(Dialect::Postgres),
            blacklist: BlacklistQueries::new(Dialect::Postgres),
            knox: KnoxQueries::new(Dialect::Postgres),
            url,
            model,
            options,
            config,
            // The readers, then the writer.
            slots: (0..readers + 1).map(|_| Slot::default()).collect(),
            next: AtomicUsize::new(0),
            cache: options
                .user_cache_notify
                .then(|| Arc::new(UserCache::new())),
        })))
    }

    /// Start the listener of the user cache, if there is one.
    pub fn watch_changes(&self) {
        if let Some(cache) = &self.cache {
            cache.start(
                &self.config,
                &self.model.table,
                &self.database,
                self.options.query_timeout,
            );
        }
    }

    /// See [`super::UserStore::notified_cache_live`].
    pub fn notified_cache_live(&self) -> bool {
        self.cache.as_ref().is_some_and(|cache| cache.is_live())
    }

    /// The user with this pk: from the notified cache when there is one, else the database.
    /// Integer and UUID keys are looked up in batches (see the module documentation); text
    /// keys one by one, so that matching rows to requests never depends on how the column's
    /// collation compares text.
    pub async fn user_by_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        let Some(cache) = &self.cache else {
            return self.user_by_pk_from_database(pk).await;
        };
        self.watch_changes();
        if let Some(user) = cache.get(pk) {
            return Ok(user);
        }
        let epoch = cache.begin();
        let user = self.user_by_pk_from_database(pk).await?;
        if let Some(epoch) = epoch {
            cache.put(epoch, pk, &user);
        }
        Ok(user)
    }

    async fn user_by_pk_from_database(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        if matches!(pk, Pk::Str(_)) || matches!(self.model.pk_kind, PkKind::String) {
            return self.user_by_one_pk(pk).await;
        }
        // Refuse what the column cannot hold before joining a batch.
        self.pk_param(pk)?;
        let index = self.pick(Use::Read);
        let (reply, found) = tokio::sync::oneshot::channel();
        let start = {
            let mut gather = self.slots[index]
                .gather
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            gather.waiting.push_back(Waiter {
                pk: pk.clone(),
                reply,
            });
            !std::mem::replace(&mut gather.sending, true)
        };
        if start {
            tokio::spawn(Arc::clone(&self.0).send_batches(index));
        }
        match tokio::time::timeout(self.options.query_timeout, found).await {
            Ok(Ok(found)) => found,
            // The batch task went away (the runtime is shutting down).
            Ok(Err(_)) => Err(self.unavailable("the lookup was abandoned".into())),
            Err(_) => Err(self.timeout()),
        }
    }
}

impl Shared {
    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn model(&self) -> &UserModel {
        &self.model
    }

    fn unavailable(&self, reason: String) -> StoreError {
        StoreError::Unavailable {
            database: self.database.clone(),
            reason: scrub(reason, &self.url),
        }
    }

    fn error(&self, e: &tokio_postgres::Error) -> StoreError {
        match e.as_db_error() {
            // Connection exceptions, shutdowns, too many connections, a transaction rolled
            // back (serialization failure, deadlock), a lock not available: come back later.
            // Everything else (a missing table or column, a wrong type) waiting will not fix.
            Some(db)
                if ["08", "40", "53", "55P03", "57"]
                    .iter()
                    .any(|class| db.code().code().starts_with(class)) =>
            {
                self.unavailable(db.message().to_owned())
            }
            // invalid_authorization_specification, invalid_password: a wrong password or
            // user in the URL (or the password file), not a missing table.
            Some(db) if db.code().code().starts_with("28") => StoreError::Authentication {
                database: self.database.clone(),
                reason: scrub(
                    format!("{} ({})", db.message(), db.code().code()),
                    &self.url,
                ),
            },
            Some(db) => StoreError::Query {
                database: self.database.clone(),
                reason: scrub(
                    format!("{} ({})", db.message(), db.code().code()),
                    &self.url,
                ),
            },
            None => self.unavailable(with_sources(e)),
        }
    }

    fn timeout(&self) -> StoreError {
        StoreError::Timeout {
            database: self.database.clone(),
            timeout: self.options.query_timeout,
        }
    }

    /// The slot for a call: the next reader in turn, or the writer.
    fn pick(&self, use_: Use) -> usize {
        let readers = self.slots.len() - 1;
        match use_ {
            Use::Read => self.next.fetch_add(1, Ordering::Relaxed) % readers,
            Use::Write => readers,
        }
    }

    /// The connection in slot `index`, connecting (again) if it is missing or dead.
    async fn connection(&self, index: usize) -> Result<Arc<Conn>, StoreError> {
        let slot = &self.slots[index];
        let live = |slot: &Slot| {
            slot.current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .as_ref()
                .filter(|conn| !conn.client.is_closed())
                .cloned()
        };
        if let Some(conn) = live(slot) {
            return Ok(conn);
        }
        let _one_at_a_time = slot.reconnect.lock().await;
        if let Some(conn) = live(slot) {
            return Ok(conn);
        }
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| self.error(&e))?;
        // The connection task ends when the server or the network drops it; the client then
        // reports itself closed and the slot reconnects.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let conn = Arc::new(Conn {
            client,
            statements: Mutex::new(HashMap::new()),
        });
        *slot
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::clone(&conn));
        Ok(conn)
    }

    /// Stop handing out `conn`: a call on it timed out, so the server or the path to it may be
    /// stuck without the socket closing. Calls already on it finish or time out by themselves;
    /// the next call that picks the slot connects afresh.
    fn retire(&self, index: usize, conn: &Arc<Conn>) {
        let mut current = self.slots[index]
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, conn)) {
            *current = None;
        }
    }

    /// Run `work` on a connection for `use_` within the query timeout, retiring the
    /// connection if the timeout passes. A read that loses its connection (the server
    /// restarted, an administrator killed the backend) runs once more on a fresh one, so a
    /// dropped connection costs a reconnect, not a failed check.
    async fn on_connection<T, F>(
        &self,
        use_: Use,
        work: impl Fn(Arc<Conn>) -> F,
    ) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = Result<T, StoreError>>,
    {
        self.on_slot(self.pick(use_), use_, work).await
    }

    /// [`Self::on_connection`] on the connection of slot `index`.
    async fn on_slot<T, F>(
        &self,
        index: usize,
        use_: Use,
        work: impl Fn(Arc<Conn>) -> F,
    ) -> Result<T, StoreError>
    where
        F: std::future::Future<Output = Result<T, StoreError>>,
    {
        let deadline = tokio::time::Instant::now() + self.options.query_timeout;
        let mut retried = false;
        loop {
            let conn = tokio::time::timeout_at(deadline, self.connection(index))
                .await
                .map_err(|_| self.timeout())??;
            match tokio::time::timeout_at(deadline, work(Arc::clone(&conn))).await {
                Ok(Err(e)) if matches!(use_, Use::Read) && !retried && e.is_unavailable() => {
                    self.retire(index, &conn);
                    retried = true;
                }
                Ok(result) => return result,
                Err(_) => {
                    self.retire(index, &conn);
                    return Err(self.timeout());
                }
            }
        }
    }

    /// `sql` prepared on `conn`, once per connection.
    async fn statement(&self, conn: &Conn, sql: &str) -> Result<Statement, StoreError> {
        let cached = conn
            .statements
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(sql)
            .cloned();
        if let Some(statement) = cached {
            return Ok(statement);
        }
        let statement = conn.client.prepare(sql).await.map_err(|e| self.error(&e))?;
        conn.statements
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Run `sql` with `params`, within the query timeout.
    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.rows(Use::Read, sql, params).await
    }

    /// Run `sql` with `params` on the connection for `use_`, within the query timeout.
    async fn rows(
        &self,
        use_: Use,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.on_connection(use_, |conn| async move {
            let statement = self.statement(&conn, sql).await?;
            conn.client
                .query(&statement, params)
                .await
                .map_err(|e| self.error(&e))
        })
        .await
    }

    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.on_connection(Use::Write, |conn| async move {
            let statement = self.statement(&conn, sql).await?;
            conn.client
                .execute(&statement, params)
                .await
                .map_err(|e| self.error(&e))
        })
        .await
    }

    /// A pk as a parameter of the column's type.
    fn pk_param(&self, pk: &Pk) -> Result<Param, StoreError> {
        Ok(match (pk, self.model.pk_kind) {
            (Pk::Int(i), PkKind::Integer) => Box::new(i32::try_from(*i).map_err(|_| {
                StoreError::Refused("integer pk out of range for an integer column".into())
            })?),
            (Pk::Int(i), _) => Box::new(*i),
            (Pk::Uuid(u), _) => Box::new(*u),
            (Pk::Str(s), _) => Box::new(s.clone()),
        })
    }

    fn read_user(&self, row: &Row) -> Result<User, StoreError> {
        let bad = |column: &str, e: &dyn std::fmt::Display| StoreError::Query {
            database: self.database.clone(),
            reason: format!("cannot read {column}: {e}"),
        };
        let pk = match *row.columns()[0].type_() {
            Type::INT2 => row.try_get::<_, i16>(0).map(|v| Pk::Int(i64::from(v))),
            Type::INT4 => row.try_get::<_, i32>(0).map(|v| Pk::Int(i64::from(v))),
            Type::INT8 => row.try_get::<_, i64>(0).map(Pk::Int),
            Type::UUID => row.try_get::<_, Uuid>(0).map(Pk::Uuid),
            _ => row.try_get::<_, String>(0).map(Pk::Str),
        }
        .map_err(|e| bad("the pk", &e))?;
        let last_login = match *row.columns()[4].type_() {
            Type::TIMESTAMPTZ => row
                .try_get::<_, Option<DateTime<Utc>>>(4)
                .map(|v| v.map(|dt| dt.naive_utc())),
            Type::TIMESTAMP => row.try_get::<_, Option<NaiveDateTime>>(4),
            _ => Ok(None),
        }
        .map_err(|e| bad("last_login", &e))?;
        let is_active = match *row.columns()[5].type_() {
            Type::BOOL => row
                .try_get::<_, Option<bool>>(5)
                .map_err(|e| bad("is_active", &e))?
                .unwrap_or(true),
            _ => true,
        };
        Ok(User {
            pk,
            username: row.try_get(1).map_err(|e| bad("the username", &e))?,
            password: row.try_get(2).map_err(|e| bad("the password", &e))?,
            email: row
                .try_get::<_, Option<String>>(3)
                .map_err(|e| bad("the email", &e))?
                .unwrap_or_default(),
            last_login,
            is_active,
        })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.query("SELECT 1", &[]).await.map(drop)
    }

    async fn user_by_one_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        // PostgreSQL text cannot hold NUL; no row can match (Django raises ValueError here).
        if matches!(pk, Pk::Str(s) if s.contains('\0')) {
            return Ok(None);
        }
        let param = self.pk_param(pk)?;
        let rows = self.query(&self.queries.by_pk, &[param.as_ref()]).await?;
        rows.first().map(|row| self.read_user(row)).transpose()
    }

    /// Send the lookups waiting on connection `index` in batches until none are left.
    async fn send_batches(self: Arc<Self>, index: usize) {
        // Should this task end early (its runtime shut down), the next lookup starts another.
        struct Sending<'a> {
            gather: &'a Mutex<Gather>,
            finished: bool,
        }
        impl Drop for Sending<'_> {
            fn drop(&mut self) {
                if !self.finished {
                    self.gather
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .sending = false;
                }
            }
        }
        let mut sending = Sending {
            gather: &self.slots[index].gather,
            finished: false,
        };
        loop {
            // Let the request tasks that are ready run first: their lookups join this batch
            // instead of paying a round trip (and the server's work) of their own.
            tokio::task::yield_now().await;
            let batch: Vec<Waiter> = {
                let mut gather = self.slots[index]
                    .gather
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                // Callers that gave up (timed out, hung up) need no answer.
                gather.waiting.retain(|w| !w.reply.is_closed());
                if gather.waiting.is_empty() {
                    // Under the lock that callers take to queue a lookup: one queued after
                    // this point starts a new task.
                    gather.sending = false;
                    sending.finished = true;
                    return;
                }
                let n = gather.waiting.len().min(MOST_IN_A_BATCH);
                gather.waiting.drain(..n).collect()
            };
            let found = self.users_by_pks(index, &batch).await;
            for waiter in batch {
                let answer = match &found {
                    Ok(users) => Ok(users.get(&waiter.pk).cloned()),
                    Err(e) => Err(e.clone()),
                };
                let _ = waiter.reply.send(answer);
            }
        }
    }

    /// The users among the waiters' pks, in one query on connection `index`.
    async fn users_by_pks(
        &self,
        index: usize,
        batch: &[Waiter],
    ) -> Result<HashMap<Pk, User>, StoreError> {
        let mut seen = HashSet::new();
        let pks: Vec<&Pk> = batch
            .iter()
            .map(|w| &w.pk)
            .filter(|pk| seen.insert(*pk))
            .collect();
        // The array's element type is the column's (pk_param has checked each value fits).
        let param: Param = match self.model.pk_kind {
            PkKind::Integer => Box::new(
                pks.iter()
                    .filter_map(|pk| match pk {
                        Pk::Int(i) => i32::try_from(*i).ok(),
                        _ => None,
                    })
                    .collect::<Vec<i32>>(),
            ),
            PkKind::BigInteger => Box::new(
                pks.iter()
                    .filter_map(|pk| match pk {
                        Pk::Int(i) => Some(*i),
                        _ => None,
                    })
                    .collect::<Vec<i64>>(),
            ),
            PkKind::Uuid | PkKind::String => Box::new(
                pks.iter()
                    .filter_map(|pk| match pk {
                        Pk::Uuid(u) => Some(*u),
                        _ => None,
                    })
                    .collect::<Vec<Uuid>>(),
            ),
        };
        let sql = &self.by_pks;
        let rows = self
            .on_slot(index, Use::Read, |conn| {
                let param = param.as_ref();
                async move {
                    let statement = self.statement(&conn, sql).await?;
                    conn.client
                        .query(&statement, &[param])
                        .await
                        .map_err(|e| self.error(&e))
                }
            })
            .await?;
        rows.iter()
            .map(|row| self.read_user(row).map(|user| (user.pk.clone(), user)))
            .collect()
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        // PostgreSQL text cannot hold NUL; no row can match (Django raises ValueError here).
        if username.contains('\0') {
            return Ok(None);
        }
        let rows = self.query(&self.queries.by_username, &[&username]).await?;
        rows.first().map(|row| self.read_user(row)).transpose()
    }

    pub async fn set_password_if_unchanged(
        &self,
        pk: &Pk,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let pk = self.pk_param(pk)?;
        let changed = self
            .execute(
                &self.queries.set_password_if_unchanged,
                &[&new, pk.as_ref(), &old],
            )
            .await?;
        Ok(changed == 1)
    }

    pub async fn set_password(&self, username: &str, encoded: &str) -> Result<bool, StoreError> {
        Ok(self
            .execute(&self.queries.set_password, &[&encoded, &username])
            .await?
            > 0)
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = self.query(&self.queries.list, &[]).await?;
        rows.iter().map(|row| self.read_user(row)).collect()
    }

    pub async fn check_user_table(&self) -> Result<(), StoreError> {
        self.query(&self.queries.check, &[]).await.map(drop)
    }

    /// The user table's columns (and their types, for `date_joined`).
    async fn columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let (schema_name, table) = match self.model.table.split_once('.') {
            Some((schema_name, table)) => (Some(schema_name.to_owned()), table.to_owned()),
            None => (None, self.model.table.clone()),
        };
        let rows = self
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())",
                &[&table, &schema_name],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn user_table_columns(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.columns().await?.into_iter().map(|(c, _)| c).collect())
    }

    pub async fn insert_user(&self, insert: &UserInsert) -> Result<Pk, StoreError> {
        let with_zone = self
            .columns()
            .await?
            .iter()
            .any(|(c, t)| c == "date_joined" && t == "timestamp with time zone");
        let values: Vec<Param> = insert
            .values
            .iter()
            .map(|value| -> Param {
                match value {
                    Value::Text(s) => Box::new(s.clone()),
                    Value::Bool(b) => Box::new(*b),
                    Value::Uuid(u) => Box::new(*u),
                    Value::DateTime(dt) if with_zone => Box::new(dt.and_utc()),
                    Value::DateTime(dt) => Box::new(*dt),
                }
            })
            .collect();
        let params: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let sql = insert.sql(&self.model, Dialect::Postgres);
        let rows = self.rows(Use::Write, &sql, &params).await?;
        let row = rows.first().ok_or_else(|| StoreError::Query {
            database: self.database.clone(),
            reason: "INSERT returned no pk".into(),
        })?;
        Ok(self.read_pk(row))
    }

    fn read_pk(&self, row: &Row) -> Pk {
        match *row.columns()[0].type_() {
            Type::INT4 => Pk::Int(i64::from(row.get::<_, i32>(0))),
            Type::INT8 => Pk::Int(row.get(0)),
            Type::UUID => Pk::Uuid(row.get(0)),
            _ => Pk::Str(row.get(0)),
        }
    }

    pub async fn axes_failures(
        &self,
        filters: &[(AxesField, Option<String>)],
        since: Option<NaiveDateTime>,
    ) -> Result<AxesFailures, StoreError> {
        // Text parameters, cast where the column is not text (`inet`, `timestamptz`), so the
        // comparison stays on the column and its index.
        let (sql, mut params) = failures_sql(filters, since.is_some(), |n, field| match field {
            Some(AxesField::IpAddress) => format!("${n}::text::inet"),
            Some(_) => format!("${n}"),
            None => format!("${n}::text::timestamptz"),
        });
        params.extend(since.map(|t| t.and_utc().to_rfc3339()));
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.query(&sql, &refs).await?;
        let Some(row) = rows.first() else {
            return Ok(AxesFailures::default());
        };
        let latest = match *row.columns()[1].type_() {
            Type::TIMESTAMPTZ => row
                .try_get::<_, Option<DateTime<Utc>>>(1)
                .map(|t| t.map(|t| t.naive_utc())),
            _ => row.try_get::<_, Option<NaiveDateTime>>(1),
        }
        .map_err(|e| StoreError::Query {
            database: self.database.clone(),
            reason: format!("axes_accessattempt.attempt_time: {e}"),
        })?;
        let failures = row.try_get::<_, i64>(0).map_err(|e| StoreError::Query {
            database: self.database.clone(),
            reason: format!("axes_accessattempt.failures_since_start: {e}"),
        })?;
        Ok(AxesFailures { failures, latest })
    }

    pub async fn drf_token_user(&self, key: &str) -> Result<Option<Pk>, StoreError> {
        let rows = self.query(&self.authtoken.user_of_key, &[&key]).await?;
        Ok(rows.first().map(|row| self.read_pk(row)))
    }

    pub async fn drf_key_of(&self, pk: &Pk) -> Result<Option<String>, StoreError> {
        let pk = self.pk_param(pk)?;
        let rows = self.query(&self.authtoken.key_of_user, &[&*pk]).await?;
        Ok(rows.first().map(|row| row.get(0)))
    }

    pub async fn drf_insert(
        &self,
        key: &str,
        now: DateTime<Utc>,
        pk: &Pk,
        _: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let pk = self.pk_param(pk)?;
        let changed = self
            .execute(&self.authtoken.insert, &[&key, &now, &*pk])
            .await?;
        Ok(changed == 1)
    }

    pub async fn jwt_is_blacklisted(&self, jti: &str) -> Result<bool, StoreError> {
        let rows = self.query(&self.blacklist.is_blacklisted, &[&jti]).await?;
        Ok(!rows.is_empty())
    }

    pub async fn jwt_outstand(
        &self,
        token: &OutstandingToken<'_>,
        _: NaiveTimes,
    ) -> Result<(), StoreError> {
        let (jti, text) = (token.jti, token.token);
        match token.user {
            Some(user) => {
                let user = self.pk_param(user)?;
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
                    [&jti, &text, &token.created_at, &token.expires_at, &*user];
                self.execute(&self.blacklist.outstand, &params).await?;
            }
            None => {
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
                    [&jti, &text, &token.created_at, &token.expires_at];
                self.execute(&self.blacklist.outstand_without_user, &params)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn jwt_blacklist(
        &self,
        jti: &str,
        now: DateTime<Utc>,
        _: NaiveTimes,
    ) -> Result<(), StoreError> {
        self.execute(&self.blacklist.blacklist, &[&now, &jti])
            .await?;
        Ok(())
    }

    pub async fn knox_by_key(
        &self,
        key: &str,
        now: DateTime<Utc>,
        _: NaiveTimes,
    ) -> Result<Vec<KnoxRow>, StoreError> {
        let rows = self.query(&self.knox.by_key, &[&now, &key]).await?;
        rows.iter()
            .map(|row| {
                let read = |e: tokio_postgres::Error| StoreError::Query {
                    database: self.database.clone(),
                    reason: format!("knox_authtoken: {e}"),
                };
                Ok(KnoxRow {
                    user: self.read_pk(row),
                    digest: row.try_get(1).map_err(read)?,
                    created: row.try_get(2).map_err(read)?,
                    expiry: row.try_get(3).map_err(read)?,
                    expired_others: row.try_get(4).map_err(read)?,
                })
            })
            .collect()
    }

    pub async fn knox_write(&self, write: KnoxWrite<'_>, _: NaiveTimes) -> Result<u64, StoreError> {
        let q = &self.knox;
        match write {
            KnoxWrite::DeleteExpiredOthers { user, digest, now } => {
                let user = self.pk_param(user)?;
                self.execute(&q.delete_expired_others, &[&*user, &digest, &now])
                    .await
            }
            KnoxWrite::Delete { digest } => self.execute(&q.delete, &[&digest]).await,
            KnoxWrite::DeleteAll { user } => {
                let user = self.pk_param(user)?;
                self.execute(&q.delete_all, &[&*user]).await
            }
            KnoxWrite::SetExpiry { digest, expiry } => {
                self.execute(&q.set_expiry, &[&expiry, &digest]).await
            }
            KnoxWrite::Insert {
                digest,
                key,
                user,
                created,
                expiry,
            } => {
                let user = self.pk_param(user)?;
                self.execute(&q.insert, &[&digest, &key, &*user, &created, &expiry])
                    .await
            }
        }
    }

    pub async fn knox_count_live(
        &self,
        user: &Pk,
        now: DateTime<Utc>,
        without_expiry_too: bool,
        _: NaiveTimes,
    ) -> Result<i64, StoreError> {
        let sql = if without_expiry_too {
            &self.knox.count_live
        } else {
            &self.knox.count_live_with_expiry
        };
        let user = self.pk_param(user)?;
        let rows = self.query(sql, &[&*user, &now]).await?;
        Ok(rows.first().map_or(0, |row| row.get(0)))
    }

    // `timestamp with time zone` columns take instants: USE_TZ does not change them.
    pub async fn session_load(
        &self,
        key: &str,
        now: DateTime<Utc>,
        _: NaiveTimes,
    ) -> Result<Option<SessionRow>, StoreError> {
        let rows = self.query(&self.sessions.load, &[&key, &now]).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let read = |e: tokio_postgres::Error| StoreError::Query {
            database: self.database.clone(),
            reason: format!("django_session: {e}"),
        };
        Ok(Some(SessionRow {
            data: row.try_get(0).map_err(read)?,
            expire_date: row.try_get(1).map_err(read)?,
        }))
    }

    pub async fn session_write(
        &self,
        insert: bool,
        key: &str,
        data: &str,
        expire: DateTime<Utc>,
        _: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let changed = if insert {
            self.execute(&self.sessions.insert, &[&key, &data, &expire])
                .await?
        } else {
            self.execute(&self.sessions.update, &[&data, &expire, &key])
                .await?
        };
        Ok(changed == 1)
    }

    pub async fn session_delete(&self, key: &str) -> Result<(), StoreError> {
        self.execute(&self.sessions.delete, &[&key]).await.map(drop)
    }

    pub async fn set_last_login(
        &self,
        pk: &Pk,
        at: DateTime<Utc>,
        _: NaiveTimes,
    ) -> Result<(), StoreError> {
        let Some(sql) = &self.sessions.set_last_login else {
            return Ok(());
        };
        let pk = self.pk_param(pk)?;
        self.execute(sql, &[&at, &*pk]).await.map(drop)
    }

    /// The tables of the current schema whose names start with `auth_` or `django_`.
    pub async fn django_tables(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .query(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'r' AND n.nspname = current_schema() \
                 AND (c.relname LIKE 'auth\\_%' OR c.relname LIKE 'django\\_%') ORDER BY 1",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The single integer `sql` selects.
    pub async fn count(&self, sql: &'static str) -> Result<i64, StoreError> {
        let rows = self.query(sql, &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0)))
    }

    /// Add or remove the user table's change-notification trigger (see `pg_notify`).
    pub async fn notify_trigger(&self, install: bool) -> Result<(), StoreError> {
        let script = if install {
            pg_notify::install_sql(&self.model.table)
        } else {
            pg_notify::drop_sql(&self.model.table)
        };
        self.run_schema(&script).await
    }

    /// Run a schema script as one transaction: all of it or nothing.
    pub async fn run_schema(&self, script: &str) -> Result<(), StoreError> {
        let work = async {
            let conn = self.connection(self.pick(Use::Write)).await?;
            // One simple-query string runs as one transaction.
            conn.client
                .batch_execute(script)
                .await
                .map_err(|e| self.error(&e))
        };
        let limit = self.options.query_timeout * 4;
        tokio::time::timeout(limit, work)
            .await
            .map_err(|_| StoreError::Timeout {
                database: self.database.clone(),
                timeout: limit,
            })?
    }
}
