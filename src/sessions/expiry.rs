//! `_session_expiry` and the expiry arithmetic of `SessionBase` (`get_expiry_age`,
//! `get_expiry_date`): an integer is seconds of inactivity (0: at browser close), a string
//! (Django 4.1+) an ISO datetime, absent or falsy the `SESSION_COOKIE_AGE`.

use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use serde_json::{Map, Value};

/// The key `set_expiry` writes.
pub const SESSION_EXPIRY_KEY: &str = "_session_expiry";

/// `delta.days * 86400 + delta.seconds` of `until - now`: whole seconds, rounded down.
pub fn seconds_until(now: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    let micros = (until - now).num_microseconds().unwrap_or(i64::MAX);
    micros.div_euclid(1_000_000)
}

/// `datetime.fromisoformat` of an `_session_expiry` string, as an instant: it must carry an
/// offset when `use_tz` (comparing naive with aware raises in Django) and must not when not.
pub fn parse_expiry(
    text: &str,
    use_tz: bool,
    time_zone: crate::clock::TimeZone,
) -> Result<DateTime<Utc>, String> {
    if let Ok(aware) = DateTime::parse_from_rfc3339(text) {
        if !use_tz {
            return Err(format!(
                "_session_expiry {text:?} has an offset but USE_TZ is false"
            ));
        }
        return Ok(aware.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            if use_tz {
                return Err(format!(
                    "_session_expiry {text:?} has no offset but USE_TZ is true"
                ));
            }
            return Ok(local(naive, time_zone));
        }
    }
    Err(format!("_session_expiry {text:?} is not an ISO datetime"))
}

fn local(naive: NaiveDateTime, time_zone: crate::clock::TimeZone) -> DateTime<Utc> {
    match time_zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.with_timezone(&Utc)
        }
        chrono::LocalResult::None => naive.and_utc(),
    }
}

/// How the expiry of one session is read.
#[derive(Clone, Copy, Debug)]
pub struct ExpiryRules {
    /// `SESSION_COOKIE_AGE`.
    pub cookie_age: i64,
    /// `USE_TZ`.
    pub use_tz: bool,
    /// `TIME_ZONE`.
    pub time_zone: crate::clock::TimeZone,
}

impl ExpiryRules {
    fn stored<'a>(&self, data: &'a Map<String, Value>) -> Option<&'a Value> {
        data.get(SESSION_EXPIRY_KEY).filter(|v| is_truthy(v))
    }

    /// `get_expiry_age()` at `now`: seconds until the session expires.
    pub fn age(&self, data: &Map<String, Value>, now: DateTime<Utc>) -> Result<i64, String> {
        match self.stored(data) {
            None => Ok(self.cookie_age),
            Some(value) => self.age_of(value, now),
        }
    }

    /// `get_expiry_age(expiry=value)`.
    pub fn age_of(&self, value: &Value, now: DateTime<Utc>) -> Result<i64, String> {
        match value {
            Value::String(text) => Ok(seconds_until(
                now,
                parse_expiry(text, self.use_tz, self.time_zone)?,
            )),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .ok_or_else(|| format!("_session_expiry {n} is not a number of seconds")),
            Value::Bool(true) => Ok(1),
            v if !is_truthy(v) => Ok(self.cookie_age),
            other => Err(format!(
                "_session_expiry {other} is neither seconds nor a datetime"
            )),
        }
    }

    /// `get_expiry_date()` at `now`: when the session expires (what `django_session`
    /// stores; a browser-close session still gets `now + SESSION_COOKIE_AGE`).
    pub fn date(
        &self,
        data: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, String> {
        match self.stored(data) {
            Some(Value::String(text)) => parse_expiry(text, self.use_tz, self.time_zone),
            Some(value) => Ok(now + chrono::Duration::seconds(self.age_of(value, now)?)),
            None => Ok(now + chrono::Duration::seconds(self.cookie_age)),
        }
    }

    /// `get_expire_at_browser_close()`.
    pub fn at_browser_close(&self, data: &Map<String, Value>, setting: bool) -> bool {
        match data.get(SESSION_EXPIRY_KEY) {
            None | Some(Value::Null) => setting,
            Some(value) => value.as_i64() == Some(0),
        }
    }
}

/// Python's truth of a JSON value.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(use_tz: bool) -> ExpiryRules {
        ExpiryRules {
            cookie_age: 1_209_600,
            use_tz,
            time_zone: chrono_tz::UTC,
        }
    }

    #[test]
    fn ages_follow_get_expiry_age() {
        let now: DateTime<Utc> = "2030-01-01T00:00:00.5Z".parse().expect("a datetime");
        let data = |v: Value| {
            let mut m = Map::new();
            m.insert(SESSION_EXPIRY_KEY.into(), v);
            m
        };
        assert_eq!(rules(true).age(&Map::new(), now), Ok(1_209_600));
        assert_eq!(rules(true).age(&data(Value::from(300)), now), Ok(300));
        assert_eq!(rules(true).age(&data(Value::from(0)), now), Ok(1_209_600));
        // Sub-second parts are dropped downwards, as timedelta's days and seconds do.
        assert_eq!(
            rules(true).age(&data(Value::from("2030-01-01T00:01:00+00:00")), now),
            Ok(59)
        );
        assert_eq!(
            rules(true).age(&data(Value::from("2029-12-31T23:59:59.9+00:00")), now),
            Ok(-1)
        );
        assert!(
            rules(true)
                .age(&data(Value::from("2030-01-02T03:04:05")), now)
                .is_err()
        );
        assert!(
            rules(false)
                .age(&data(Value::from("2030-01-02T03:04:05")), now)
                .is_ok()
        );
        assert!(rules(true).age(&data(Value::from("garbage")), now).is_err());
        assert_eq!(
            rules(true).date(&Map::new(), now),
            Ok(now + chrono::Duration::seconds(1_209_600))
        );
    }
}
