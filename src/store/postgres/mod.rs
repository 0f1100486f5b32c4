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

mod batch;
mod pool;
mod values;

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use super::driver::{Cell, Param, schema_and_table};
use super::pg_notify::{self, UserCache};
use super::users::UserQueries;
use super::{DatabaseUrl, Dialect, StoreError, StoreOptions, scrub, with_sources};
use crate::user::{User, UserModel};
use pool::Slot;
use tokio_postgres::Row;
use values::{bind_all, cells, refs};

/// What a call does, which decides the connection it runs on.
#[derive(Clone, Copy)]
enum Use {
    Read,
    Write,
}

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
    /// The database, without credentials (shared with the rows read).
    database: Arc<str>,
    model: UserModel,
    /// A user by pk (`$1`).
    by_pk: String,
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
            unreachable!("Database::open dispatches PostgreSQL URLs here")
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
        Ok(PgStore(Arc::new(Shared {
            database: Arc::from(url.redacted()),
            by_pks: format!(
                "{} WHERE {} = ANY($1)",
                queries.select,
                Dialect::Postgres.quote(&model.pk_column)
            ),
            by_pk: queries.by_pk,
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

    /// See [`super::Database::notified_cache_live`].
    pub fn notified_cache_live(&self) -> bool {
        self.cache.as_ref().is_some_and(|cache| cache.is_live())
    }
}

impl Shared {
    pub fn database(&self) -> &str {
        &self.database
    }

    fn unavailable(&self, reason: String) -> StoreError {
        StoreError::Unavailable {
            database: self.database.to_string(),
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
                database: self.database.to_string(),
                reason: scrub(
                    format!("{} ({})", db.message(), db.code().code()),
                    &self.url,
                ),
            },
            Some(db) => StoreError::Query {
                database: self.database.to_string(),
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
            database: self.database.to_string(),
            timeout: self.options.query_timeout,
        }
    }

    /// The rows `sql` selects with `params` on the connection for `use_`, each parameter bound
    /// as the type the statement says it needs.
    async fn cells(
        &self,
        use_: Use,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        let rows = self
            .on_connection(use_, |conn| async move {
                let statement = self.statement(&conn, sql).await?;
                let bound = bind_all(params, statement.params())?;
                conn.client
                    .query(&statement, &refs(&bound))
                    .await
                    .map_err(|e| self.error(&e))
            })
            .await?;
        Ok(rows.iter().map(cells).collect())
    }

    /// The rows `sql` selects with `params`.
    pub async fn rows(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Vec<Cell>>, StoreError> {
        self.cells(Use::Read, sql, &params).await
    }

    /// Run a change: the rows it changed.
    pub async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, StoreError> {
        let params = &params;
        self.on_connection(Use::Write, |conn| async move {
            let statement = self.statement(&conn, sql).await?;
            let bound = bind_all(params, statement.params())?;
            conn.client
                .execute(&statement, &refs(&bound))
                .await
                .map_err(|e| self.error(&e))
        })
        .await
    }

    /// Run an insert `RETURNING` the pk: the integer pk, if it is one.
    pub async fn insert(&self, sql: &str, params: Vec<Param>) -> Result<Option<i64>, StoreError> {
        let rows = self.cells(Use::Write, sql, &params).await?;
        Ok(match rows.first().and_then(|row| row.first()) {
            Some(Cell::Int(id)) => Some(*id),
            _ => None,
        })
    }

    fn read_user(&self, row: &Row) -> Result<User, StoreError> {
        super::driver::Row::new(cells(row), Arc::clone(&self.database))
            .into_user(self.model.pk_kind)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.rows("SELECT 1", Vec::new()).await.map(drop)
    }

    /// The columns of `table` (`schema.table` allowed).
    pub async fn table_columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let (schema_name, table) = schema_and_table(table);
        let rows = self
            .rows(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())",
                vec![Param::text(table), schema_name],
            )
            .await?;
        Ok(rows.into_iter().map(text_of).collect())
    }

    /// The tables of the current schema whose names start with `auth_` or `django_`.
    pub async fn django_tables(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .rows(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'r' AND n.nspname = current_schema() \
                 AND (c.relname LIKE 'auth\\_%' OR c.relname LIKE 'django\\_%') ORDER BY 1",
                Vec::new(),
            )
            .await?;
        Ok(rows.into_iter().map(text_of).collect())
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
        super::schema_within(&self.database, &self.options, work).await
    }
}

/// The first cell of a row of names.
fn text_of(row: Vec<Cell>) -> String {
    match row.into_iter().next() {
        Some(Cell::Text(text)) => text,
        _ => String::new(),
    }
}

/// An integer pk that fits an `integer` column.
fn pk_in_range(i: i64) -> Result<i32, StoreError> {
    i32::try_from(i)
        .map_err(|_| StoreError::Refused("integer pk out of range for an integer column".into()))
}
