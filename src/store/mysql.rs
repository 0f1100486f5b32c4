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

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, Value};

use super::authtoken::AuthtokenQueries;
use super::axes::failures_sql;
use super::blacklist::{BlacklistQueries, OutstandingToken};
use super::knox::{KnoxQueries, KnoxRow, KnoxWrite};
use super::sessions::{NaiveTimes, SessionQueries, SessionRow};
use super::users::{UserInsert, UserQueries, Value as InsertValue};
use super::{DatabaseUrl, Dialect, StoreError, StoreOptions, scrub, with_sources};
use crate::axes::{AxesFailures, AxesField};
use crate::user::{Pk, PkKind, User, UserModel};

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
        unreachable!("UserStore::open dispatches MySQL URLs here")
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
    model: UserModel,
    queries: UserQueries,
    sessions: SessionQueries,
    authtoken: AuthtokenQueries,
    blacklist: BlacklistQueries,
    knox: KnoxQueries,
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

fn text(value: &str) -> Value {
    Value::from(value)
}

impl MysqlStore {
    pub fn open(
        url: DatabaseUrl,
        model: UserModel,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let Target { opts, database } = target(&url, &options)?;
        Ok(MysqlStore {
            pool: Pool::new(opts.clone()),
            opts,
            database,
            queries: UserQueries::new(&model, Dialect::Mysql),
            sessions: SessionQueries::new(&model, Dialect::Mysql),
            authtoken: AuthtokenQueries::new(Dialect::Mysql),
            blacklist: BlacklistQueries::new(Dialect::Mysql),
            knox: KnoxQueries::new(Dialect::Mysql),
            url,
            model,
            options,
        })
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    pub fn model(&self) -> &UserModel {
        &self.model
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

    fn unreadable(&self, what: &str, value: Option<&Value>) -> StoreError {
        StoreError::Query {
            database: self.database.clone(),
            reason: format!("cannot read {what} from {value:?}"),
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
    async fn rows(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        self.on_connection(Retry::Once, |mut conn| {
            let params = positional(&params);
            async move { conn.exec::<Row, _, _>(sql, params).await }
        })
        .await
    }

    /// The first row `sql` selects, if any.
    async fn row(&self, sql: &str, params: Vec<Value>) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }

    /// Run a change: the rows it matched (`CLIENT_FOUND_ROWS`) and the id it inserted.
    async fn change(&self, sql: &str, params: Vec<Value>) -> Result<(u64, u64), StoreError> {
        self.on_connection(Retry::Never, |mut conn| {
            let params = positional(&params);
            async move {
                conn.exec_drop(sql, params).await?;
                Ok((conn.affected_rows(), conn.last_insert_id().unwrap_or(0)))
            }
        })
        .await
    }

    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, StoreError> {
        Ok(self.change(sql, params).await?.0)
    }

    /// An insert made with [`Dialect::or_nothing`]: no row when a unique key is taken.
    async fn insert_or_nothing(&self, sql: &str, params: Vec<Value>) -> Result<u64, StoreError> {
        match self.execute(sql, params).await {
            Err(StoreError::Query { reason, .. })
                if reason.ends_with(&format!("({DUPLICATE_ENTRY})")) =>
            {
                Ok(0)
            }
            other => other,
        }
    }

    fn read_pk(&self, row: &Row, index: usize) -> Result<Pk, StoreError> {
        let value = row.as_ref(index);
        let bad = || self.unreadable("the pk", value);
        match value {
            Some(Value::Int(i)) => Ok(Pk::Int(*i)),
            Some(Value::UInt(u)) => i64::try_from(*u).map(Pk::Int).map_err(|_| bad()),
            Some(Value::Bytes(bytes)) => {
                let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
                match self.model.pk_kind {
                    PkKind::Uuid => uuid::Uuid::try_parse(text).map(Pk::Uuid).map_err(|_| bad()),
                    PkKind::Integer | PkKind::BigInteger => {
                        text.parse().map(Pk::Int).map_err(|_| bad())
                    }
                    PkKind::String => Ok(Pk::Str(text.to_owned())),
                }
            }
            _ => Err(bad()),
        }
    }

    fn read_text(&self, row: &Row, index: usize, what: &str) -> Result<Option<String>, StoreError> {
        match row.as_ref(index) {
            Some(Value::NULL) => Ok(None),
            Some(Value::Bytes(bytes)) => String::from_utf8(bytes.clone())
                .map(Some)
                .map_err(|_| self.unreadable(what, row.as_ref(index))),
            other => Err(self.unreadable(what, other)),
        }
    }

    fn read_int(&self, row: &Row, index: usize, what: &str) -> Result<i64, StoreError> {
        let value = row.as_ref(index);
        match value {
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::UInt(u)) => i64::try_from(*u).map_err(|_| self.unreadable(what, value)),
            // SUM() is a DECIMAL, sent as text.
            Some(Value::Bytes(bytes)) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| self.unreadable(what, value)),
            _ => Err(self.unreadable(what, value)),
        }
    }

    fn read_datetime(
        &self,
        row: &Row,
        index: usize,
        what: &str,
    ) -> Result<Option<NaiveDateTime>, StoreError> {
        let value = row.as_ref(index);
        match value {
            Some(Value::NULL) => Ok(None),
            Some(Value::Date(y, mo, d, h, mi, s, us)) => {
                NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*mo), u32::from(*d))
                    .and_then(|date| {
                        date.and_hms_micro_opt(u32::from(*h), u32::from(*mi), u32::from(*s), *us)
                    })
                    .map(Some)
                    .ok_or_else(|| self.unreadable(what, value))
            }
            _ => Err(self.unreadable(what, value)),
        }
    }

    fn read_user(&self, row: &Row) -> Result<User, StoreError> {
        let is_active = match row.as_ref(5) {
            Some(Value::NULL) => true,
            _ => self.read_int(row, 5, "is_active")? != 0,
        };
        Ok(User {
            pk: self.read_pk(row, 0)?,
            username: self.read_text(row, 1, "the username")?.unwrap_or_default(),
            password: self.read_text(row, 2, "the password")?.unwrap_or_default(),
            email: self.read_text(row, 3, "the email")?.unwrap_or_default(),
            last_login: self.read_datetime(row, 4, "last_login")?,
            is_active,
        })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.on_connection(Retry::Once, |mut conn| async move { conn.ping().await })
            .await
    }

    pub async fn user_by_pk(&self, pk: &Pk) -> Result<Option<User>, StoreError> {
        self.row(&self.queries.by_pk, vec![pk_value(pk)])
            .await?
            .map(|row| self.read_user(&row))
            .transpose()
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.row(&self.queries.by_username, vec![text(username)])
            .await?
            .map(|row| self.read_user(&row))
            .transpose()
    }

    pub async fn set_password_if_unchanged(
        &self,
        pk: &Pk,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let params = vec![text(new), pk_value(pk), text(old)];
        Ok(self
            .execute(&self.queries.set_password_if_unchanged, params)
            .await?
            == 1)
    }

    pub async fn set_password(&self, username: &str, encoded: &str) -> Result<bool, StoreError> {
        let params = vec![text(encoded), text(username)];
        Ok(self.execute(&self.queries.set_password, params).await? > 0)
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = self.rows(&self.queries.list, vec![]).await?;
        rows.iter().map(|row| self.read_user(row)).collect()
    }

    pub async fn check_user_table(&self) -> Result<(), StoreError> {
        self.rows(&self.queries.check, vec![]).await.map(drop)
    }

    pub async fn user_table_columns(&self) -> Result<Vec<String>, StoreError> {
        let (schema_name, table) = match self.model.table.split_once('.') {
            Some((schema_name, table)) => (Value::from(schema_name), table),
            None => (Value::NULL, self.model.table.as_str()),
        };
        let rows = self
            .rows(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
                 ORDER BY ORDINAL_POSITION",
                vec![schema_name, text(table)],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(self.read_text(row, 0, "a column name")?.unwrap_or_default()))
            .collect()
    }

    pub async fn insert_user(&self, insert: &UserInsert) -> Result<Pk, StoreError> {
        let params = insert
            .values
            .iter()
            .map(|value| match value {
                InsertValue::Text(s) => text(s),
                InsertValue::Bool(b) => Value::Int(i64::from(*b)),
                InsertValue::Uuid(u) => pk_value(&Pk::Uuid(*u)),
                InsertValue::DateTime(dt) => datetime_value(*dt),
            })
            .collect();
        let new_uuid = insert.values.iter().find_map(|v| match v {
            InsertValue::Uuid(u) => Some(Pk::Uuid(*u)),
            _ => None,
        });
        let (_, id) = self
            .change(&insert.sql(&self.model, Dialect::Mysql), params)
            .await?;
        Ok(new_uuid.unwrap_or_else(|| Pk::Int(i64::try_from(id).unwrap_or(i64::MAX))))
    }

    pub async fn axes_failures(
        &self,
        filters: &[(AxesField, Option<String>)],
        since: Option<NaiveDateTime>,
    ) -> Result<AxesFailures, StoreError> {
        let (sql, params) = failures_sql(filters, since.is_some(), |_, _| "?".to_owned());
        let mut params: Vec<Value> = params.iter().map(|p| text(p)).collect();
        params.extend(since.map(datetime_value));
        let Some(row) = self.row(&sql, params).await? else {
            return Ok(AxesFailures::default());
        };
        Ok(AxesFailures {
            failures: self.read_int(&row, 0, "axes_accessattempt.failures_since_start")?,
            latest: self.read_datetime(&row, 1, "axes_accessattempt.attempt_time")?,
        })
    }

    pub async fn drf_token_user(&self, key: &str) -> Result<Option<Pk>, StoreError> {
        self.row(&self.authtoken.user_of_key, vec![text(key)])
            .await?
            .map(|row| self.read_pk(&row, 0))
            .transpose()
    }

    pub async fn drf_key_of(&self, pk: &Pk) -> Result<Option<String>, StoreError> {
        match self
            .row(&self.authtoken.key_of_user, vec![pk_value(pk)])
            .await?
        {
            Some(row) => self.read_text(&row, 0, "authtoken_token.key"),
            None => Ok(None),
        }
    }

    pub async fn drf_insert(
        &self,
        key: &str,
        now: DateTime<Utc>,
        pk: &Pk,
        times: NaiveTimes,
    ) -> Result<bool, StoreError> {
        let params = vec![text(key), datetime_value(times.naive(now)), pk_value(pk)];
        Ok(self
            .insert_or_nothing(&self.authtoken.insert, params)
            .await?
            == 1)
    }

    pub async fn jwt_is_blacklisted(&self, jti: &str) -> Result<bool, StoreError> {
        Ok(self
            .row(&self.blacklist.is_blacklisted, vec![text(jti)])
            .await?
            .is_some())
    }

    pub async fn jwt_outstand(
        &self,
        token: &OutstandingToken<'_>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let mut params = vec![
            text(token.jti),
            text(token.token),
            datetime_value(times.naive(token.created_at)),
            datetime_value(times.naive(token.expires_at)),
        ];
        let sql = match token.user {
            Some(user) => {
                params.push(pk_value(user));
                &self.blacklist.outstand
            }
            None => &self.blacklist.outstand_without_user,
        };
        self.insert_or_nothing(sql, params).await.map(drop)
    }

    pub async fn jwt_blacklist(
        &self,
        jti: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let params = vec![datetime_value(times.naive(now)), text(jti)];
        self.insert_or_nothing(&self.blacklist.blacklist, params)
            .await
            .map(drop)
    }

    pub async fn knox_by_key(
        &self,
        key: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<Vec<KnoxRow>, StoreError> {
        let params = vec![datetime_value(times.naive(now)), text(key)];
        let rows = self.rows(&self.knox.by_key, params).await?;
        rows.iter()
            .map(|row| {
                let when = |i, what| {
                    self.read_datetime(row, i, what)
                        .map(|t| t.map(|t| times.instant(t)))
                };
                Ok(KnoxRow {
                    user: self.read_pk(row, 0)?,
                    digest: self
                        .read_text(row, 1, "knox_authtoken.digest")?
                        .unwrap_or_default(),
                    created: when(2, "knox_authtoken.created")?.unwrap_or_default(),
                    expiry: when(3, "knox_authtoken.expiry")?,
                    expired_others: self.read_int(row, 4, "a count")?,
                })
            })
            .collect()
    }

    pub async fn knox_write(
        &self,
        write: KnoxWrite<'_>,
        times: NaiveTimes,
    ) -> Result<u64, StoreError> {
        let at = |t: DateTime<Utc>| datetime_value(times.naive(t));
        let q = &self.knox;
        let (sql, params) = match write {
            KnoxWrite::DeleteExpiredOthers { user, digest, now } => (
                &q.delete_expired_others,
                vec![pk_value(user), text(digest), at(now)],
            ),
            KnoxWrite::Delete { digest } => (&q.delete, vec![text(digest)]),
            KnoxWrite::DeleteAll { user } => (&q.delete_all, vec![pk_value(user)]),
            KnoxWrite::SetExpiry { digest, expiry } => {
                (&q.set_expiry, vec![at(expiry), text(digest)])
            }
            KnoxWrite::Insert {
                digest,
                key,
                user,
                created,
                expiry,
            } => (
                &q.insert,
                vec![
                    text(digest),
                    text(key),
                    pk_value(user),
                    at(created),
                    expiry.map_or(Value::NULL, at),
                ],
            ),
        };
        self.execute(sql, params).await
    }

    pub async fn knox_count_live(
        &self,
        user: &Pk,
        now: DateTime<Utc>,
        without_expiry_too: bool,
        times: NaiveTimes,
    ) -> Result<i64, StoreError> {
        let sql = if without_expiry_too {
            &self.knox.count_live
        } else {
            &self.knox.count_live_with_expiry
        };
        let params = vec![pk_value(user), datetime_value(times.naive(now))];
        match self.row(sql, params).await? {
            Some(row) => self.read_int(&row, 0, "a count"),
            None => Ok(0),
        }
    }

    pub async fn session_load(
        &self,
        key: &str,
        now: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<Option<SessionRow>, StoreError> {
        let params = vec![text(key), datetime_value(times.naive(now))];
        let Some(row) = self.row(&self.sessions.load, params).await? else {
            return Ok(None);
        };
        let expire = self
            .read_datetime(&row, 1, "django_session.expire_date")?
            .ok_or_else(|| self.unreadable("django_session.expire_date", row.as_ref(1)))?;
        Ok(Some(SessionRow {
            data: self
                .read_text(&row, 0, "django_session.session_data")?
                .unwrap_or_default(),
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
        let expire = datetime_value(times.naive(expire));
        let changed = if insert {
            self.insert_or_nothing(&self.sessions.insert, vec![text(key), text(data), expire])
                .await?
        } else {
            self.execute(&self.sessions.update, vec![text(data), expire, text(key)])
                .await?
        };
        Ok(changed == 1)
    }

    pub async fn session_delete(&self, key: &str) -> Result<(), StoreError> {
        self.execute(&self.sessions.delete, vec![text(key)])
            .await
            .map(drop)
    }

    pub async fn set_last_login(
        &self,
        pk: &Pk,
        at: DateTime<Utc>,
        times: NaiveTimes,
    ) -> Result<(), StoreError> {
        let Some(sql) = &self.sessions.set_last_login else {
            return Ok(());
        };
        let params = vec![datetime_value(times.naive(at)), pk_value(pk)];
        self.execute(sql, params).await.map(drop)
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
        rows.iter()
            .map(|row| Ok(self.read_text(row, 0, "a table name")?.unwrap_or_default()))
            .collect()
    }

    /// The single integer `sql` selects.
    pub async fn count(&self, sql: &'static str) -> Result<i64, StoreError> {
        match self.row(sql, vec![]).await? {
            Some(row) => self.read_int(&row, 0, "a count"),
            None => Ok(0),
        }
    }

    /// Run a schema script on a connection of its own (it turns foreign key checks off while
    /// the tables appear in name order). MySQL commits each `CREATE TABLE` by itself: a script
    /// that fails half-way leaves the tables it made, which `db init` then refuses to touch.
    pub async fn run_schema(&self, script: &'static str) -> Result<(), StoreError> {
        let limit = self.options.query_timeout * 4;
        let work = async {
            let mut conn = Conn::new(self.opts.clone()).await?;
            conn.query_drop(script).await?;
            conn.disconnect().await
        };
        tokio::time::timeout(limit, work)
            .await
            .map_err(|_| StoreError::Timeout {
                database: self.database.clone(),
                timeout: limit,
            })?
            .map_err(|e| self.error(&e))
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
