//! Warnings the request path can repeat, each logged at most a few times per interval and
//! then counted.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Milliseconds since the first call: a clock for the warnings' intervals.
pub(crate) fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// A warning logged at most `burst` times per interval (once, by default), then counted:
/// the next line says how many were held back. An outage or an attack must not turn every
/// request into a log line.
pub struct Throttled {
    /// Milliseconds (on [`now_ms`]'s clock) of the interval's first line, plus one so that 0
    /// is "never".
    last: AtomicU64,
    /// Lines logged in the current interval.
    in_interval: AtomicU64,
    burst: u64,
    held_back: AtomicU64,
}

impl Default for Throttled {
    fn default() -> Self {
        Throttled::with_burst(1)
    }
}

impl Throttled {
    /// The interval between two lines of one warning.
    pub const INTERVAL: Duration = Duration::from_secs(5);

    /// `Some(held back since the last line)` when this occurrence should be logged.
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(now_ms() + 1)
    }

    /// At most `burst` lines per interval.
    pub fn with_burst(burst: u64) -> Self {
        Throttled {
            last: AtomicU64::new(0),
            in_interval: AtomicU64::new(0),
            burst: burst.max(1),
            held_back: AtomicU64::new(0),
        }
    }

    /// [`Throttled::allow`] at `now` (milliseconds, never 0).
    fn allow_at(&self, now: u64) -> Option<u64> {
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= Self::INTERVAL.as_millis() as u64;
        if due
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.in_interval.store(1, Ordering::Relaxed);
            return Some(self.held_back.swap(0, Ordering::Relaxed));
        }
        if !due && self.in_interval.fetch_add(1, Ordering::Relaxed) < self.burst {
            return Some(0);
        }
        self.held_back.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// Refusals logged per interval before they are only counted.
pub const REFUSALS_PER_INTERVAL: u64 = 20;

/// The warnings the request path can repeat.
pub struct Warnings {
    /// The database is down, slow or locked.
    pub database_unavailable: Throttled,
    /// The database lacks the configured table or columns.
    pub database_broken: Throttled,
    /// No hashing slot or memory within the wait.
    pub overloaded: Throttled,
    /// `/readyz` failed.
    pub not_ready: Throttled,
    /// A stored hash could not be read.
    pub unreadable_hash: Throttled,
    /// Logins refused by the login throttle or django-axes.
    pub login_throttled: Throttled,
    /// A request to `/auth` with a proxy's method header and no `--forwarded-method-header`.
    pub method_header_unset: Throttled,
    /// Refused requests and logins, with their reasons (info lines).
    pub refusals: Throttled,
}

impl Default for Warnings {
    fn default() -> Self {
        Warnings {
            database_unavailable: Throttled::default(),
            database_broken: Throttled::default(),
            overloaded: Throttled::default(),
            not_ready: Throttled::default(),
            unreadable_hash: Throttled::default(),
            login_throttled: Throttled::default(),
            method_header_unset: Throttled::default(),
            refusals: Throttled::with_burst(REFUSALS_PER_INTERVAL),
        }
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::*;

    #[test]
    fn a_repeated_warning_is_logged_once_per_interval_with_a_count() {
        let warning = Throttled::default();
        let interval = Throttled::INTERVAL.as_millis() as u64;
        assert_eq!(warning.allow_at(1), Some(0));
        assert_eq!(warning.allow_at(2), None);
        assert_eq!(warning.allow_at(interval), None);
        assert_eq!(warning.allow_at(interval + 1), Some(2));
        assert_eq!(warning.allow_at(interval + 2), None);
    }

    #[test]
    fn a_burst_of_lines_then_a_count() {
        let lines = Throttled::with_burst(3);
        let interval = Throttled::INTERVAL.as_millis() as u64;
        let allowed: Vec<_> = (1..=5).map(|t| lines.allow_at(t)).collect();
        assert_eq!(allowed, [Some(0), Some(0), Some(0), None, None]);
        assert_eq!(lines.allow_at(interval + 1), Some(2));
        assert_eq!(lines.allow_at(interval + 2), Some(0));
    }
}
