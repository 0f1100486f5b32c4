//! The user table in MySQL and MariaDB: a small pool of mysql_async connections, each with its
//! prepared statements.
//!
//! Every comparison is the database's: a lookup by username, by DRF key or by session key
//! compares with the column's collation, so under MySQL's default `utf8mb4_*_ci` collations
//! `Alice` finds `alice` and `alice ` finds `alice`, exactly as Django's lookups on that
//! database do. Nothing is case-folded or trimmed here.
//!
//! Connections are made as Django's MySQL backend makes them where it changes answers
//! (`CLIENT_FOUND_ROWS`: an UPDATE reports the rows it matched) and set `ANSI_QUOTES`, so the
//! double-quoted names every dialect shares are names here too. Datetimes are `datetime(6)`
//! columns holding wall times, which [`NaiveTimes`] turns into instants (`USE_TZ`).
//!
//! A read that finds its connection dead (the server restarted, the connection was killed)
//! runs once more on a new connection; every call, connecting included, is bounded by the
//! query timeout; a server that is down is [`StoreError::Unavailable`] until it is back. TLS
//! is not supported: connect over a trusted network or the server's Unix socket.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, Value};

use super::driver::{Cell, Param, schema_and_table};
use super::{DatabaseUrl, StoreError, StoreOptions, scrub, with_sources};
use crate::user::Pk;

/// Server errors that waiting may fix: too many connections, the server shutting down, a lock
/// wait timed out, a deadlock, the query or connection interrupted or killed, a statement
/// time limit (MariaDB's and MySQL's), the server's memory.
const RETRY_LATER: [u16; 11] = [
    1040, 1041, 1053, 1203, 1205, 1213, 1317, 1927, 1969, 3024, 1037,
];

/// Server errors about the credentials: access denied for the user (with or without a
/// password), to the database, or by the authentication plugin.
const AUTHENTICATION: [u16; 4] = [1044, 1045, 1698, 1251];

/// `ER_DUP_ENTRY`: the insert found its unique key taken.
const DUPLICATE_ENTRY: u16 = 1062;

/// What the MySQL URL asks for, after djtoken's own reading of it.
struct Target {
    opts: Opts,
    /// The URL for messages, without the password.
    database: String,
}

/// `mysql://user:password@host:port/name?socket=/path` as dj-database-url reads it: a host
/// that is a percent-encoded path (`%2Frun%2Fmysqld%2Fmysqld.sock`) is the server's socket.
fn target(url: &DatabaseUrl, options: &StoreOptions) -> Result<Target, StoreError> {
    let DatabaseUrl::Mysql(text) = url else {
        unreachable!("Database::open dispatches MySQL URLs here")
    };
    let invalid = |what: &str| StoreError::InvalidUrl(format!("{}: {what}", url.redacted()));
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| invalid("not UTF-8 once percent-decoded"))
    };
    let rest = text
        .split_once("://")
        .map_or(text.as_str(), |(_, rest)| rest);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, name) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (decode(user)?, Some(decode(password)?)),
            None => (decode(info)?, None),
        },
        None => (String::new(), None),
    };
    let mut builder = OptsBuilder::default();
    if hostport.starts_with("%2F") || hostport.starts_with("%2f") {
        builder = builder.socket(Some(decode(hostport)?));
    } else {
        let (host, port) = match hostport.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| invalid("an unclosed [ in the host"))?;
                (host, after.strip_prefix(':'))
            }
            None => match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            },
        };
        let port = port
            .map(str::parse::<u16>)
            .transpose()
            .map_err(|_| invalid("the port is not a number"))?
            .unwrap_or(3306);
        builder = builder
            .ip_or_hostname(if host.is_empty() {
                "localhost".to_owned()
            } else {
                decode(host)?
            })
            .tcp_port(port)
            // A socket path only where the URL gives one.
            .prefer_socket(false);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value)?;
        match key {
            "socket" | "unix_socket" => builder = builder.socket(Some(value)),
            // What libmysqlclient and Django's OPTIONS call them; without TLS only "no TLS"
            // can be honoured.
            "ssl-mode" | "ssl_mode" | "sslmode" if value.eq_ignore_ascii_case("disabled") => {}
            "ssl-mode" | "ssl_mode" | "sslmode" | "ssl" | "ssl-ca" | "ssl_ca" => {
                return Err(invalid(
                    "TLS is not supported: connect over a trusted network or the server's socket",
                ));
            }
            "charset" if value.starts_with("utf8") => {}
            other => return Err(invalid(&format!("unknown option {other:?}"))),
        }
    }
    let connections = options
        .pool_size
        .unwrap_or_else(|| 2 * std::thread::available_parallelism().map_or(2, usize::from) + 2)
        .max(1);
    let pool = PoolOpts::default()
        .with_constraints(PoolConstraints::new(0, connections).expect("0 <= connections"))
        // Idle connections stay for a minute (with no TTL, the pool closes every connection
        // beyond its minimum as soon as it comes back).
        .with_inactive_connection_ttl(std::time::Duration::from_secs(60))
        // No COM_RESET_CONNECTION on each return to the pool: nothing here changes a
        // session's state after `init`, and the reset is a round trip per call.
        .with_reset_connection(false);
    let opts = builder
        .user(Some(user).filter(|u| !u.is_empty()))
        .pass(password)
        .db_name(Some(decode(name)?).filter(|n| !n.is_empty()))
        .client_found_rows(true)
        .stmt_cache_size(128)
        .tcp_nodelay(true)
        .pool_opts(pool)
        .init(vec![
            "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'ANSI_QUOTES')",
        ]);
    Ok(Target {
        opts: opts.into(),
        database: url.redacted(),
    })
}

/// The MySQL / MariaDB user store.
pub struct MysqlStore {
    url: DatabaseUrl,
    database: String,
    options: StoreOptions,
    opts: Opts,
    pool: Pool,
}

/// Whether a call may run again on a fresh connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    Once,
    Never,
}

/// A datetime parameter, as the column holds it.
fn datetime_value(at: NaiveDateTime) -> Value {
    Value::Date(
        u16::try_from(at.year()).unwrap_or(0),
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
        at.nanosecond() / 1000 % 1_000_000,
    )
}

fn pk_value(pk: &Pk) -> Value {
    match pk {
        Pk::Int(i) => Value::Int(*i),
        // Django keeps UUIDs as 32 hex digits in char(32) (MariaDB's own uuid type, which
        // Django 5.0+ uses on MariaDB 10.7+, reads them too).
        Pk::Uuid(u) => Value::from(u.simple().to_string()),
        Pk::Str(s) => Value::from(s.as_str()),
    }
}

/// A parameter as Django's MySQL backend stores it: booleans as integers, UUIDs as 32 hex
/// digits, datetimes as wall times.
fn value(param: Param) -> Value {
    match param {
        Param::Null => Value::NULL,
        Param::Text(text) => Value::from(text),
        Param::Int(i) => Value::Int(i),
        Param::Bool(b) => Value::Int(i64::from(b)),
        Param::Pk(pk) => pk_value(&pk),
        Param::At(at, times) => datetime_value(times.naive(at)),
        Param::Naive(naive) => datetime_value(naive),
    }
}

/// A value as a [`Cell`]: text, integers and `datetime`s; a `SUM` is decimal text.
fn cell(value: Value) -> Cell {
    match value {
        Value::NULL => Cell::Null,
        Value::Int(i) => Cell::Int(i),
        Value::UInt(u) => i64::try_from(u).map_or_else(|_| Cell::Other(format!("{u}")), Cell::Int),
        Value::Bytes(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Cell::Text(text),
            Err(_) => Cell::Other("bytes that are not UTF-8".into()),
        },
        Value::Date(y, mo, d, h, mi, s, us) => {
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))
                .and_then(|date| {
                    date.and_hms_micro_opt(u32::from(h), u32::from(mi), u32::from(s), us)
                })
                .map_or_else(|| Cell::Other(format!("{value:?}")), Cell::Naive)
        }
        other => Cell::Other(format!("{other:?}")),
    }
}

impl MysqlStore {
    pub fn open(url: DatabaseUrl, options: StoreOptions) -> Result<Self, StoreError> {
        let Target { opts, database } = target(&url, &options)?;
        Ok(MysqlStore {
            pool: Pool::new(opts.clone()),
            opts,
            database,
            url,
            options,
        })
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    fn error(&self, e: &mysql_async::Error) -> StoreError {
        match e {
            mysql_async::Error::Server(server) if RETRY_LATER.contains(&server.code) => {
                self.unavailable(server.message.clone())
            }
            mysql_async::Error::Server(server) if AUTHENTICATION.contains(&server.code) => {
                StoreError::Authentication {
                    database: self.database.clone(),
                    reason: scrub(format!("{} ({})", server.message, server.code), &self.url),
                }
            }
            mysql_async::Error::Server(server) => StoreError::Query {
                database: self.database.clone(),
                reason: scrub(format!("{} ({})", server.message, server.code), &self.url),
            },
            other => self.unavailable(with_sources(other)),
        }
    }

    fn unavailable(&self, reason: String) -> StoreError {
        StoreError::Unavailable {
            database: self.database.clone(),
            reason: scrub(reason, &self.url),
        }
    }

    fn timeout(&self) -> StoreError {
        StoreError::Timeout {
            database: self.database.clone(),
            timeout: self.options.query_timeout,
        }
    }

    /// Run `work` on a pooled connection within the query timeout. With [`Retry::Once`], a
    /// call whose connection turns out dead runs again on a new one (made outside the pool,
    /// so that it is not another stale one).
    async fn on_connection<T, F, Fut>(&self, retry: Retry, work: F) -> Result<T, StoreError>
    where
        F: Fn(Conn) -> Fut,
        Fut: std::future::Future<Output = Result<T, mysql_async::Error>>,
    {
        let deadline = tokio::time::Instant::now() + self.options.query_timeout;
        let first =
            tokio::time::timeout_at(deadline, async { work(self.pool.get_conn().await?).await })
                .await
                .map_err(|_| self.timeout())?;
        let e = match first {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        let e = self.error(&e);
        if retry == Retry::Never || !e.is_unavailable() {
            return Err(e);
        }
        tokio::time::timeout_at(deadline, async {
            work(Conn::new(self.opts.clone()).await?).await
        })
        .await
        .map_err(|_| self.timeout())?
        .map_err(|e| self.error(&e))
    }

    /// The rows `sql` selects with `params`.
    pub async fn rows(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Vec<Cell>>, StoreError> {
        let values: Vec<Value> = params.into_iter().map(value).collect();
        let rows = self
            .on_connection(Retry::Once, |mut conn| {
                let params = positional(&values);
                async move { conn.exec::<Row, _, _>(sql, params).await }
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().into_iter().map(cell).collect())
            .collect())
    }

    /// Run a change: the rows it matched (`CLIENT_FOUND_ROWS`) and the id it inserted.
    async fn change(&self, sql: &str, params: Vec<Param>) -> Result<(u64, u64), StoreError> {
        let values: Vec<Value> = params.into_iter().map(value).collect();
        self.on_connection(Retry::Never, |mut conn| {
            let params = positional(&values);
            async move {
                conn.exec_drop(sql, params).await?;
                Ok((conn.affected_rows(), conn.last_insert_id().unwrap_or(0)))
            }
        })
        .await
    }

    /// Run a change: the rows it matched.
    pub async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, StoreError> {
        Ok(self.change(sql, params).await?.0)
    }

    /// Run an insert: the id it inserted.
    pub async fn insert(&self, sql: &str, params: Vec<Param>) -> Result<Option<i64>, StoreError> {
        let (_, id) = self.change(sql, params).await?;
        Ok(i64::try_from(id).ok().filter(|id| *id > 0))
    }

    /// An insert made with [`Dialect::or_nothing`](super::Dialect::or_nothing): no row when a
    /// unique key is taken.
    pub async fn insert_or_nothing(
        &self,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<u64, StoreError> {
        match self.execute(sql, params).await {
            Err(StoreError::Query { reason, .. })
                if reason.ends_with(&format!("({DUPLICATE_ENTRY})")) =>
            {
                Ok(0)
            }
            other => other,
        }
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.on_connection(Retry::Once, |mut conn| async move { conn.ping().await })
            .await
    }

    /// The columns of `table` (`schema.table` allowed).
    pub async fn table_columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let (schema_name, table) = schema_and_table(table);
        let rows = self
            .rows(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
                 ORDER BY ORDINAL_POSITION",
                vec![schema_name, Param::text(table)],
            )
            .await?;
        Ok(rows.into_iter().map(text_of).collect())
    }

    /// The tables of the connection's database whose names start with `auth_` or `django_`.
    pub async fn django_tables(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .rows(
                "SELECT TABLE_NAME FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
                 AND (TABLE_NAME LIKE 'auth\\_%' OR TABLE_NAME LIKE 'django\\_%') ORDER BY 1",
                vec![],
            )
            .await?;
        Ok(rows.into_iter().map(text_of).collect())
    }

    /// Run a schema script on a connection of its own (it turns foreign key checks off while
    /// the tables appear in name order). MySQL commits each `CREATE TABLE` by itself: a script
    /// that fails half-way leaves the tables it made, which `db init` then refuses to touch.
    pub async fn run_schema(&self, script: &'static str) -> Result<(), StoreError> {
        let work = async {
            let mut conn = Conn::new(self.opts.clone()).await?;
            conn.query_drop(script).await?;
            conn.disconnect().await
        };
        let work = async { work.await.map_err(|e| self.error(&e)) };
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

fn positional(params: &[Value]) -> Params {
    if params.is_empty() {
        Params::Empty
    } else {
        Params::Positional(params.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(url: &str) -> Result<Opts, StoreError> {
        let url = DatabaseUrl::parse(url)?;
        target(&url, &StoreOptions::default()).map(|t| t.opts)
    }

    #[test]
    fn urls_read_as_dj_database_url_writes_them() {
        let o = opts("mysql://bob:p%40ss@db.example:3307/app").expect("a URL");
        assert_eq!(
            (o.user(), o.pass(), o.ip_or_hostname(), o.tcp_port()),
            (Some("bob"), Some("p@ss"), "db.example", 3307)
        );
        assert_eq!(o.db_name(), Some("app"));
        assert!(o.client_found_rows());
        let socket = opts("mysql://root@%2Frun%2Fmysqld%2Fmysqld.sock/app").expect("a socket URL");
        assert_eq!(socket.socket(), Some("/run/mysqld/mysqld.sock"));
        let option = opts("mysql://root@localhost/app?socket=/tmp/m.sock").expect("a URL");
        assert_eq!(option.socket(), Some("/tmp/m.sock"));
        assert_eq!(
            opts("mysql://root@localhost/app")
                .expect("a URL")
                .tcp_port(),
            3306
        );
        let tls = opts("mysql://root:hunter2@localhost/app?ssl-mode=REQUIRED").expect_err("TLS");
        assert!(tls.to_string().contains("TLS is not supported"), "{tls}");
        assert!(!tls.to_string().contains("hunter2"));
        assert!(opts("mysql://root@localhost/app?ssl-mode=DISABLED").is_ok());
        assert!(opts("mysql://root@localhost/app?frobnicate=1").is_err());
        assert!(opts("mysql://root@localhost:port/app").is_err());
    }

    #[test]
    fn datetimes_keep_their_microseconds() {
        let at = NaiveDate::from_ymd_opt(2030, 7, 1)
            .and_then(|d| d.and_hms_micro_opt(12, 3, 4, 567_890))
            .expect("a datetime");
        assert_eq!(
            datetime_value(at),
            Value::Date(2030, 7, 1, 12, 3, 4, 567_890)
        );
    }
}
