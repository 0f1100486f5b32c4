//! "Now" as Django sees it.
//!
//! Django's token generators read naive **local** time: `date.today()` (tokenapi) and
//! `datetime.now()` (password reset). Django sets the process time zone from
//! `settings.TIME_ZONE` (`os.environ['TZ']` + `time.tzset()`), so local means that zone, not
//! UTC and not the machine's. Both count from 2001-01-01 00:00 local: tokenapi in whole days,
//! the reset generator in whole seconds, and the seconds jump with the wall clock at DST
//! changes exactly as Django's do.
//!
//! A [`Clock`] is a time zone plus a source of the current instant: the system clock, or a
//! fixed instant for tests and for `--now`.

#[cfg(not(target_os = "linux"))]
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::Tz;

/// An IANA time zone, as `settings.TIME_ZONE` names one.
pub type TimeZone = Tz;

/// A `TIME_ZONE` that is not an IANA zone name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TIME_ZONE {0:?}: expected an IANA name such as \"UTC\" or \"Europe/Paris\"")]
pub struct UnknownTimeZone(pub String);

/// Parse a `TIME_ZONE` value (`"UTC"`, `"America/Chicago"`, …).
pub fn parse_time_zone(name: &str) -> Result<TimeZone, UnknownTimeZone> {
    name.parse::<Tz>()
        .map_err(|_| UnknownTimeZone(name.to_owned()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    System,
    Fixed(DateTime<Utc>),
}

/// The current time in a Django `TIME_ZONE`.
///
/// ```
/// use djtoken::clock::{Clock, parse_time_zone};
/// let at = "2025-01-01T02:35:00Z".parse().unwrap();
/// assert_eq!(Clock::fixed(at, chrono_tz::UTC).days_since_2001(), 8766);
/// // Still the last day of 2024 in Chicago.
/// let chicago = parse_time_zone("America/Chicago").unwrap();
/// assert_eq!(Clock::fixed(at, chicago).days_since_2001(), 8765);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    tz: Tz,
    source: Source,
}

impl Default for Clock {
    /// The system clock in UTC, the zone of Django's project template.
    fn default() -> Self {
        Clock::system(Tz::UTC)
    }
}

impl Clock {
    /// The system clock, read at every call, in `time_zone`.
    pub fn system(time_zone: TimeZone) -> Self {
        Clock {
            tz: time_zone,
            source: Source::System,
        }
    }

    /// Always the instant `at`, seen in `time_zone`.
    pub fn fixed(at: DateTime<Utc>, time_zone: TimeZone) -> Self {
        Clock {
            tz: time_zone,
            source: Source::Fixed(at),
        }
    }

    /// The same source in another zone.
    pub fn with_time_zone(self, time_zone: TimeZone) -> Self {
        Clock {
            tz: time_zone,
            ..self
        }
    }

    /// The configured `TIME_ZONE`.
    pub fn time_zone(&self) -> TimeZone {
        self.tz
    }

    /// The current instant.
    #[inline]
    pub fn now_utc(&self) -> DateTime<Utc> {
        match self.source {
            Source::System => Utc::now(),
            Source::Fixed(at) => at,
        }
    }

    /// `datetime.now()` under `TIME_ZONE`: naive local wall time.
    pub fn now_local(&self) -> NaiveDateTime {
        let now = self.now_utc();
        if self.tz == Tz::UTC {
            return now.naive_utc();
        }
        self.tz.from_utc_datetime(&now.naive_utc()).naive_local()
    }

    /// tokenapi's `(date.today() - date(2001, 1, 1)).days`.
    #[inline]
    pub fn days_since_2001(&self) -> i64 {
        let (secs, _) = self.local_unix();
        (secs - EPOCH_2001_UNIX).div_euclid(SECONDS_PER_DAY)
    }

    /// `PasswordResetTokenGenerator._num_seconds(datetime.now())`.
    #[inline]
    pub fn seconds_since_2001(&self) -> i64 {
        let (secs, nanos) = self.local_unix();
        let whole = secs - EPOCH_2001_UNIX;
        // int() of a negative float truncates toward zero.
        if whole < 0 && nanos > 0 {
            whole + 1
        } else {
            whole
        }
    }

    /// Local wall time as seconds (floored) and nanoseconds on the Unix scale. The token
    /// checks call this on every request, so the system clock is read directly and UTC needs
    /// no zone lookup.
    #[inline]
    fn local_unix(&self) -> (i64, u32) {
        let (secs, nanos) = match self.source {
            Source::System => system_unix(),
            Source::Fixed(at) => (at.timestamp(), at.timestamp_subsec_nanos()),
        };
        if self.tz == Tz::UTC {
            return (secs, nanos);
        }
        let offset = DateTime::from_timestamp(secs, 0)
            .map(|at| {
                self.tz
                    .offset_from_utc_datetime(&at.naive_utc())
                    .fix()
                    .local_minus_utc()
            })
            .unwrap_or(0);
        (secs + i64::from(offset), nanos)
    }
}

/// The system's wall clock. On Linux the coarse clock: tokens count whole seconds and days,
/// a reading at most one scheduler tick (a few ms) old decides them exactly as a reading taken
/// a few ms earlier in the request would, and it costs a quarter of the precise clock, which is
/// a tenth of a whole token check.
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn system_unix() -> (i64, u32) {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    (ts.tv_sec, u32::try_from(ts.tv_nsec).unwrap_or(0))
}

#[cfg(not(target_os = "linux"))]
#[inline]
pub(crate) fn system_unix() -> (i64, u32) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(_) => {
            let now = Utc::now();
            (now.timestamp(), now.timestamp_subsec_nanos())
        }
    }
}

const EPOCH_2001_UNIX: i64 = 978_307_200;
const SECONDS_PER_DAY: i64 = 86_400;

fn epoch_2001() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2001, 1, 1)
        .expect("2001-01-01 is a date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight is a time")
}

/// Whole days from 2001-01-01 to the date of `local`.
pub fn days_since_2001(local: NaiveDateTime) -> i64 {
    (local.date() - epoch_2001().date()).num_days()
}

/// `int((local - datetime(2001, 1, 1)).total_seconds())`: truncated toward zero.
pub fn seconds_since_2001(local: NaiveDateTime) -> i64 {
    (local - epoch_2001()).num_seconds()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a valid RFC 3339 test instant")
    }

    #[test]
    fn utc_seconds_are_unix_time_minus_978307200() {
        let clock = Clock::fixed(at("2025-01-01T00:00:00.999Z"), Tz::UTC);
        assert_eq!(clock.seconds_since_2001(), 1_735_689_600 - 978_307_200);
    }

    #[test]
    fn chicago_is_six_hours_behind_in_winter() {
        let chicago = parse_time_zone("America/Chicago").expect("a zone chrono-tz knows");
        let now = at("2025-01-15T12:00:00Z");
        let utc = Clock::fixed(now, Tz::UTC).seconds_since_2001();
        assert_eq!(
            Clock::fixed(now, chicago).seconds_since_2001(),
            utc - 6 * 3600
        );
    }

    #[test]
    fn seconds_jump_with_the_wall_clock_at_dst() {
        let chicago = parse_time_zone("America/Chicago").expect("a zone chrono-tz knows");
        let before = Clock::fixed(at("2025-03-09T07:59:59Z"), chicago).seconds_since_2001();
        let after = Clock::fixed(at("2025-03-09T08:00:00Z"), chicago).seconds_since_2001();
        assert_eq!(after - before, 3601);
    }

    #[test]
    fn pre_2001_seconds_truncate_toward_zero() {
        let local = epoch_2001() - chrono::Duration::milliseconds(500);
        assert_eq!(seconds_since_2001(local), 0);
        let clock = Clock::fixed(at("2000-12-31T23:59:59.500Z"), Tz::UTC);
        assert_eq!(clock.seconds_since_2001(), 0);
        assert_eq!(clock.days_since_2001(), -1);
    }

    #[test]
    fn fast_paths_agree_with_the_naive_local_time() {
        let zones = [
            "UTC",
            "America/Chicago",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "America/St_Johns",
        ];
        for zone in zones {
            let tz = parse_time_zone(zone).expect("a zone chrono-tz knows");
            for instant in [
                "2025-03-09T07:59:59.25Z",
                "2025-11-02T06:30:00Z",
                "2024-02-29T23:59:59.999Z",
            ] {
                let clock = Clock::fixed(at(instant), tz);
                assert_eq!(
                    clock.days_since_2001(),
                    days_since_2001(clock.now_local()),
                    "{zone} {instant}"
                );
                assert_eq!(
                    clock.seconds_since_2001(),
                    seconds_since_2001(clock.now_local()),
                    "{zone} {instant}"
                );
            }
        }
        let system = Clock::system(Tz::UTC);
        let via_chrono = days_since_2001(system.now_local());
        assert!((system.days_since_2001() - via_chrono).abs() <= 1);
    }

    #[test]
    fn unknown_zone_is_an_error() {
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }
}
