//! The seam between the table files and the database drivers: the values the tables bind
//! ([`Param`]) and read ([`Cell`], by [`Row`]'s typed readers), whatever the database.
//!
//! A table's operations are written once over [`Database`](super::Database)'s three calls
//! (rows, execute, insert-or-nothing). Each driver turns a [`Param`] into its database's type
//! as Django stores it there — SQLite's text datetimes and hex UUIDs, PostgreSQL's column types
//! (its statements say which each parameter needs), MySQL's `datetime(6)` — and its values
//! back into [`Cell`]s; the readers here absorb what still differs (a datetime as SQLite text,
//! a PostgreSQL `timestamptz` or a MySQL wall time; a boolean as an integer; a MySQL `SUM` as
//! decimal text).

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::clock::TimeZone;
use crate::user::{Pk, PkKind, User, parse_wall_time};

/// How naive datetimes are stored: `USE_TZ` and `TIME_ZONE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NaiveTimes {
    /// `USE_TZ`: naive values are UTC.
    pub use_tz: bool,
    /// `TIME_ZONE`: naive values are local time there when `USE_TZ` is false.
    pub time_zone: TimeZone,
}

impl NaiveTimes {
    /// The naive value Django stores for `at`.
    pub fn naive(self, at: DateTime<Utc>) -> NaiveDateTime {
        if self.use_tz {
            at.naive_utc()
        } else {
            at.with_timezone(&self.time_zone).naive_local()
        }
    }

    /// The instant a stored naive value means (the earlier one in a DST fold; a time in a
    /// DST gap is read as if the clocks had not moved).
    pub fn instant(self, naive: NaiveDateTime) -> DateTime<Utc> {
        if self.use_tz {
            return naive.and_utc();
        }
        match self.time_zone.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                t.with_timezone(&Utc)
            }
            chrono::LocalResult::None => naive.and_utc(),
        }
    }
}

/// A parameter of a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// SQL `NULL`.
    Null,
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A boolean (an integer where the database has no boolean).
    Bool(bool),
    /// A primary key (or a foreign key to one), as the database stores that kind: an integer,
    /// a UUID (32 hex digits on SQLite and MySQL, `uuid` on PostgreSQL), text.
    Pk(Pk),
    /// An instant, for a datetime column: naive as `times` says where the column is naive
    /// (SQLite, MySQL, PostgreSQL's `timestamp`), the instant itself in a `timestamptz`.
    At(DateTime<Utc>, NaiveTimes),
    /// A naive UTC datetime (`date_joined`, django-axes' bound).
    Naive(NaiveDateTime),
}

impl Param {
    /// Text from a `&str`.
    pub fn text(value: &str) -> Param {
        Param::Text(value.to_owned())
    }
}

/// One value of a row, as a driver read it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// An integer of any width.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Text (MySQL's bytes, when they are UTF-8).
    Text(String),
    /// A PostgreSQL `uuid`.
    Uuid(Uuid),
    /// An aware datetime (PostgreSQL's `timestamptz`).
    At(DateTime<Utc>),
    /// A naive datetime (PostgreSQL's `timestamp`, MySQL's `datetime`).
    Naive(NaiveDateTime),
    /// A value of a type no reader takes, described.
    Other(String),
}

/// One row: its cells, and the database it came from (for the errors of the readers).
#[derive(Clone, Debug)]
pub struct Row {
    cells: Vec<Cell>,
    database: Arc<str>,
}

impl Row {
    /// The cells a driver read from `database`.
    pub fn new(cells: Vec<Cell>, database: Arc<str>) -> Row {
        Row { cells, database }
    }

    fn cell(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&Cell::Null)
    }

    fn unreadable(&self, index: usize, what: &str) -> StoreError {
        StoreError::Query {
            database: self.database.to_string(),
            reason: format!("cannot read {what} from {:?}", self.cell(index)),
        }
    }

    /// Text, or `None` for `NULL`.
    pub fn text(&self, index: usize, what: &str) -> Result<Option<String>, StoreError> {
        match self.cell(index) {
            Cell::Null => Ok(None),
            Cell::Text(text) => Ok(Some(text.clone())),
            _ => Err(self.unreadable(index, what)),
        }
    }

    /// An integer (also a decimal sent as text, as MySQL sends `SUM`).
    pub fn int(&self, index: usize, what: &str) -> Result<i64, StoreError> {
        match self.cell(index) {
            Cell::Int(i) => Ok(*i),
            Cell::Text(text) => text.parse().map_err(|_| self.unreadable(index, what)),
            _ => Err(self.unreadable(index, what)),
        }
    }

    /// A boolean (an integer where the database has none), `default` for `NULL`.
    pub fn flag(&self, index: usize, what: &str, default: bool) -> Result<bool, StoreError> {
        match self.cell(index) {
            Cell::Null => Ok(default),
            Cell::Bool(b) => Ok(*b),
            Cell::Int(i) => Ok(*i != 0),
            _ => Err(self.unreadable(index, what)),
        }
    }

    /// A primary key of `kind` (a UUID as SQLite and MySQL store it, 32 hex digits, too).
    pub fn pk(&self, index: usize, kind: PkKind) -> Result<Pk, StoreError> {
        let bad = || self.unreadable(index, "the pk");
        match (self.cell(index), kind) {
            (Cell::Int(i), _) => Ok(Pk::Int(*i)),
            (Cell::Uuid(u), _) => Ok(Pk::Uuid(*u)),
            (Cell::Text(text), PkKind::Uuid) => {
                Uuid::try_parse(text).map(Pk::Uuid).map_err(|_| bad())
            }
            (Cell::Text(text), PkKind::Integer | PkKind::BigInteger) => {
                text.parse().map(Pk::Int).map_err(|_| bad())
            }
            (Cell::Text(text), PkKind::String) => Ok(Pk::Str(text.clone())),
            _ => Err(bad()),
        }
    }

    /// A datetime as naive UTC (or naive local time, as the column holds it), `None` for
    /// `NULL`.
    pub fn naive(&self, index: usize, what: &str) -> Result<Option<NaiveDateTime>, StoreError> {
        match self.cell(index) {
            Cell::Null => Ok(None),
            Cell::Naive(naive) => Ok(Some(*naive)),
            Cell::At(at) => Ok(Some(at.naive_utc())),
            Cell::Text(text) => parse_wall_time(text)
                .map(Some)
                .map_err(|_| self.unreadable(index, what)),
            _ => Err(self.unreadable(index, what)),
        }
    }

    /// A datetime as the instant it means: a naive value read as `times` says Django wrote
    /// it, an aware one as it is. `None` for `NULL`.
    pub fn instant(
        &self,
        index: usize,
        what: &str,
        times: NaiveTimes,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.cell(index) {
            Cell::At(at) => Ok(Some(*at)),
            _ => Ok(self.naive(index, what)?.map(|naive| times.instant(naive))),
        }
    }

    /// A user, from the six columns every user lookup selects (see
    /// [`UserQueries`](super::users::UserQueries)); the row's text moves into it.
    pub fn into_user(mut self, kind: PkKind) -> Result<User, StoreError> {
        let pk = self.pk(0, kind)?;
        let last_login = self.naive(4, "last_login")?;
        let is_active = self.flag(5, "is_active", true)?;
        Ok(User {
            pk,
            username: self.take_text(1, "the username")?,
            password: self.take_text(2, "the password")?,
            email: self.take_text(3, "the email")?,
            last_login,
            is_active,
        })
    }

    /// Text moved out of the row (`""` for `NULL`).
    fn take_text(&mut self, index: usize, what: &str) -> Result<String, StoreError> {
        match self.cells.get_mut(index) {
            Some(Cell::Text(text)) => Ok(std::mem::take(text)),
            Some(Cell::Null) | None => Ok(String::new()),
            Some(_) => Err(self.unreadable(index, what)),
        }
    }
}

/// `schema.table` as the schema (`NULL`: the connection's own) and the table, for the
/// `information_schema` queries.
pub fn schema_and_table(name: &str) -> (Param, &str) {
    match name.split_once('.') {
        Some((schema_name, table)) => (Param::text(schema_name), table),
        None => (Param::Null, name),
    }
}

/// `str(naive_utc_datetime)`, as Django's SQLite backend stores datetimes (and as
/// PostgreSQL reads a `timestamp` from text).
pub fn datetime_text(dt: NaiveDateTime) -> String {
    if dt.and_utc().timestamp_subsec_micros() == 0 {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: Vec<Cell>) -> Row {
        Row::new(cells, Arc::from("test"))
    }

    #[test]
    fn every_drivers_datetime_reads_as_the_same_instant() {
        let times = NaiveTimes {
            use_tz: false,
            time_zone: chrono_tz::Europe::Paris,
        };
        let at: DateTime<Utc> = "2030-07-01T12:00:00Z".parse().expect("a datetime");
        let local = times.naive(at);
        for cell in [
            Cell::At(at),
            Cell::Naive(local),
            Cell::Text(datetime_text(local)),
        ] {
            assert_eq!(
                row(vec![cell]).instant(0, "t", times).expect("read"),
                Some(at)
            );
        }
        assert_eq!(
            row(vec![Cell::Null]).instant(0, "t", times).expect("read"),
            None
        );
        let err = row(vec![Cell::Text("soon".into())])
            .naive(0, "expire_date")
            .expect_err("not a datetime");
        assert!(err.to_string().contains("expire_date"), "{err}");
    }

    #[test]
    fn pks_read_as_each_database_stores_them() {
        let u = Uuid::from_u128(0x1234);
        let read = |cell: Cell, kind| row(vec![cell]).pk(0, kind);
        assert_eq!(read(Cell::Int(7), PkKind::Integer).ok(), Some(Pk::Int(7)));
        assert_eq!(read(Cell::Uuid(u), PkKind::Uuid).ok(), Some(Pk::Uuid(u)));
        assert_eq!(
            read(Cell::Text(u.simple().to_string()), PkKind::Uuid).ok(),
            Some(Pk::Uuid(u))
        );
        assert_eq!(
            read(Cell::Text("7".into()), PkKind::BigInteger).ok(),
            Some(Pk::Int(7))
        );
        assert_eq!(
            read(Cell::Text("x".into()), PkKind::String).ok(),
            Some(Pk::Str("x".into()))
        );
        assert!(read(Cell::Null, PkKind::Integer).is_err());
        assert!(read(Cell::Text("x".into()), PkKind::Uuid).is_err());
    }

    #[test]
    fn a_user_row_reads_as_django_reads_it() {
        let user = row(vec![
            Cell::Int(3),
            Cell::Text("alice".into()),
            Cell::Text("!".into()),
            Cell::Null,
            Cell::Text("2030-07-01 12:00:00.5".into()),
            Cell::Int(0),
        ])
        .into_user(PkKind::Integer)
        .expect("a user");
        assert_eq!((user.pk, user.username.as_str()), (Pk::Int(3), "alice"));
        assert_eq!(user.email, "");
        assert!(!user.is_active);
        assert_eq!(
            user.last_login.map(|t| t.to_string()),
            Some("2030-07-01 12:00:00.500".into())
        );
        let bad = row(vec![Cell::Int(3), Cell::Int(5)]).into_user(PkKind::Integer);
        assert!(bad.is_err());
    }

    #[test]
    fn flags_and_counts_absorb_each_databases_types() {
        assert!(row(vec![Cell::Int(1)]).flag(0, "f", false).expect("an int"));
        assert!(
            !row(vec![Cell::Bool(false)])
                .flag(0, "f", true)
                .expect("a bool")
        );
        assert!(row(vec![Cell::Null]).flag(0, "f", true).expect("NULL"));
        assert_eq!(
            row(vec![Cell::Text("12".into())]).int(0, "n").ok(),
            Some(12)
        );
        assert!(
            row(vec![Cell::Other("3.5 (double)".into())])
                .int(0, "n")
                .is_err()
        );
    }

    #[test]
    fn naive_times_follow_use_tz() {
        let at: DateTime<Utc> = "2030-07-01T12:00:00Z".parse().expect("a datetime");
        let utc = NaiveTimes {
            use_tz: true,
            time_zone: chrono_tz::Europe::Paris,
        };
        let local = NaiveTimes {
            use_tz: false,
            ..utc
        };
        assert_eq!(utc.naive(at).to_string(), "2030-07-01 12:00:00");
        assert_eq!(local.naive(at).to_string(), "2030-07-01 14:00:00");
        assert_eq!(local.instant(local.naive(at)), at);
        assert_eq!(utc.instant(utc.naive(at)), at);
    }
}
