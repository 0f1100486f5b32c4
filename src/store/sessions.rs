//! `django_session` (and `last_login`, which a session login updates): the SQL, written once
//! for every dialect, and how its datetimes are written.
//!
//! Django writes `expire_date` and `last_login` as aware UTC on PostgreSQL (the columns are
//! `timestamp with time zone` whatever `USE_TZ` says, so djtoken always passes an instant)
//! and as naive text on SQLite: UTC with `USE_TZ = True`, local time in `TIME_ZONE`
//! otherwise, as `YYYY-MM-DD HH:MM:SS[.ffffff]` so that text comparison orders them.

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};

use super::dialect::Dialect;
use crate::clock::TimeZone;
use crate::user::UserModel;

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

/// A `django_session` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// `session_data`: the signed, encoded session.
    pub data: String,
    /// `expire_date`.
    pub expire_date: DateTime<Utc>,
}

/// The statements over `django_session` and the user table's `last_login`.
#[derive(Clone, Debug)]
pub struct SessionQueries {
    /// `$1` key, `$2` now: the row, unless it expired.
    pub load: String,
    /// `$1` key, `$2` data, `$3` expiry: one row, or none when the key is taken.
    pub insert: String,
    /// `$1` data, `$2` expiry, `$3` key.
    pub update: String,
    /// `$1` key.
    pub delete: String,
    /// `$1` time, `$2` pk; `None` when the model has no `last_login`.
    pub set_last_login: Option<String>,
}

impl SessionQueries {
    /// The statements in `dialect`, for `model`'s `last_login`.
    pub fn new(model: &UserModel, dialect: Dialect) -> Self {
        let p = |n| dialect.placeholder(n);
        let q = |name: &str| dialect.quote(name);
        SessionQueries {
            load: format!(
                "SELECT \"session_data\", \"expire_date\" FROM \"django_session\" \
                 WHERE \"session_key\" = {} AND \"expire_date\" > {}",
                p(1),
                p(2)
            ),
            insert: format!(
                "INSERT INTO \"django_session\" (\"session_key\", \"session_data\", \"expire_date\") \
                 VALUES ({}){}",
                dialect.placeholders(3),
                dialect.or_nothing()
            ),
            update: format!(
                "UPDATE \"django_session\" SET \"session_data\" = {}, \"expire_date\" = {} \
                 WHERE \"session_key\" = {}",
                p(1),
                p(2),
                p(3)
            ),
            delete: format!(
                "DELETE FROM \"django_session\" WHERE \"session_key\" = {}",
                p(1)
            ),
            set_last_login: model.last_login_column.as_ref().map(|column| {
                format!(
                    "UPDATE {} SET {} = {} WHERE {} = {}",
                    q(&model.table),
                    q(column),
                    p(1),
                    q(&model.pk_column),
                    p(2)
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
