//! Login throttling: failed logins counted per account and per client address, in memory.
//!
//! The account is the user the database found for the submitted username, by its pk: the
//! database compares usernames (a MySQL `_ci` collation finds `alice` for `Alice`, `ALICE`
//! and `alice ` alike, a PostgreSQL `citext` column ignores case), so every spelling that
//! logs in as one user spends that user's one budget. A username that names no one is
//! counted by the exact text submitted.
//!
//! Django has none (django-axes adds it, and [`crate::axes`] reads axes' lockouts). A login
//! is counted as failed *before* its password is checked and uncounted if it succeeds or the
//! server could not decide, so a burst of concurrent guesses cannot get past the limit while
//! the first ones are still hashing. A key with `limit` failures answers 429 until its latest
//! failure is `window` old. A success clears its username's count (the user knew the
//! password) and takes one failure back from its address.
//!
//! Keys are kept as keyed 64-bit hashes (a long username costs no memory), at most
//! [`MAX_KEYS`] per kind; beyond that expired keys are dropped first, then the least recently
//! failed.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::user::Pk;

/// Keys remembered per kind (username, address): about 3 MB each at most.
pub const MAX_KEYS: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    latest: Instant,
}

struct Counter {
    limit: u32,
    entries: HashMap<u64, Entry>,
}

impl Counter {
    /// The time left before `key` may try again, if it has used up its failures.
    fn refused(&mut self, key: u64, now: Instant, window: Duration) -> Option<Duration> {
        let entry = self.entries.get(&key)?;
        let age = now.saturating_duration_since(entry.latest);
        if age >= window {
            self.entries.remove(&key);
            return None;
        }
        (entry.failures >= self.limit).then(|| window - age)
    }

    fn count(&mut self, key: u64, now: Instant, window: Duration) {
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_KEYS {
            self.entries
                .retain(|_, e| now.saturating_duration_since(e.latest) < window);
            if self.entries.len() >= MAX_KEYS {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.latest)
                    .map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        let entry = self.entries.entry(key).or_insert(Entry {
            failures: 0,
            latest: now,
        });
        entry.failures = entry.failures.saturating_add(1);
        entry.latest = now;
    }

    fn uncount(&mut self, key: u64) {
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures == 0 {
                self.entries.remove(&key);
            }
        }
    }
}

struct Counters {
    username: Option<Counter>,
    address: Option<Counter>,
}

/// Whose failures a login counts against.
#[derive(Clone, Copy, Debug)]
pub enum Account<'a> {
    /// The user the database found, whatever spelling of the username found it.
    User(&'a Pk),
    /// The submitted username, which names no user.
    Unknown(&'a str),
}

/// The throttle of one server: off unless a limit is configured.
pub struct LoginThrottle {
    window: Duration,
    hasher: RandomState,
    counters: Mutex<Counters>,
}

/// A login counted as failed until it is settled.
#[derive(Debug)]
#[must_use = "settle the attempt: succeeded() or undecided(); a failure needs nothing"]
pub struct Attempt {
    username: Option<u64>,
    address: Option<u64>,
}

impl LoginThrottle {
    /// A throttle allowing `by_username` / `by_address` failures per `window` (`None`: that
    /// kind is not throttled).
    pub fn new(by_username: Option<u32>, by_address: Option<u32>, window: Duration) -> Self {
        let counter = |limit: Option<u32>| {
            limit.map(|limit| Counter {
                limit: limit.max(1),
                entries: HashMap::new(),
            })
        };
        LoginThrottle {
            window,
            hasher: RandomState::new(),
            counters: Mutex::new(Counters {
                username: counter(by_username),
                address: counter(by_address),
            }),
        }
    }

    /// Whether any limit is configured.
    pub fn is_on(&self) -> bool {
        let counters = self.lock();
        counters.username.is_some() || counters.address.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Count a login to `account` from `address` as failed, or refuse it: `Err` holds the
    /// time until it may try again (the longer of the two when both are throttled).
    pub fn begin(
        &self,
        account: Account<'_>,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let mut counters = self.lock();
        let Counters {
            username: by_username,
            address: by_address,
        } = &mut *counters;
        let username = by_username.as_ref().map(|_| match account {
            Account::User(pk) => self.hasher.hash_one(("user", pk)),
            Account::Unknown(username) => self.hasher.hash_one(("username", username)),
        });
        let address = by_address
            .as_ref()
            .zip(address)
            .map(|(_, ip)| self.hasher.hash_one(("address", ip)));
        let refused = [
            by_username.as_mut().zip(username),
            by_address.as_mut().zip(address),
        ]
        .into_iter()
        .flatten()
        .filter_map(|(counter, key)| counter.refused(key, now, self.window))
        .max();
        if let Some(wait) = refused {
            return Err(wait);
        }
        for (counter, key) in [
            by_username.as_mut().zip(username),
            by_address.as_mut().zip(address),
        ]
        .into_iter()
        .flatten()
        {
            counter.count(key, now, self.window);
        }
        Ok(Attempt { username, address })
    }

    /// The password was right: the account starts afresh and the address gets its failure
    /// back.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut counters = self.lock();
        if let (Some(counter), Some(key)) = (counters.username.as_mut(), attempt.username) {
            counter.entries.remove(&key);
        }
        if let (Some(counter), Some(key)) = (counters.address.as_mut(), attempt.address) {
            counter.uncount(key);
        }
    }

    /// The server could not decide (database down, no hashing capacity): not a failure.
    pub fn undecided(&self, attempt: Attempt) {
        let mut counters = self.lock();
        if let (Some(counter), Some(key)) = (counters.username.as_mut(), attempt.username) {
            counter.uncount(key);
        }
        if let (Some(counter), Some(key)) = (counters.address.as_mut(), attempt.address) {
            counter.uncount(key);
        }
    }

    #[cfg(test)]
    fn keys(&self) -> (usize, usize) {
        let counters = self.lock();
        (
            counters.username.as_ref().map_or(0, |c| c.entries.len()),
            counters.address.as_ref().map_or(0, |c| c.entries.len()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("an address"))
    }

    #[test]
    fn a_username_is_refused_after_its_failures_until_the_window_passes() {
        let throttle = LoginThrottle::new(Some(3), None, WINDOW);
        let t0 = Instant::now();
        for i in 0..3 {
            let _failed = throttle
                .begin(
                    Account::Unknown("alice"),
                    ip("10.0.0.1"),
                    t0 + Duration::from_secs(i),
                )
                .expect("under the limit");
        }
        let wait = throttle
            .begin(
                Account::Unknown("alice"),
                ip("10.0.0.9"),
                t0 + Duration::from_secs(10),
            )
            .expect_err("limit reached, from any address");
        assert_eq!(wait, Duration::from_secs(52), "from the latest failure");
        let _other = throttle
            .begin(
                Account::Unknown("bob"),
                ip("10.0.0.1"),
                t0 + Duration::from_secs(10),
            )
            .expect("another username is not throttled");
        let _again = throttle
            .begin(
                Account::Unknown("alice"),
                None,
                t0 + Duration::from_secs(62),
            )
            .expect("the window passed");
    }

    #[test]
    fn every_spelling_that_found_one_user_spends_that_users_budget() {
        // MySQL's utf8mb4_general_ci finds alice for "Alice", "ALICE" and "alice  ": the
        // lookup's pk is the key, so three failures under any spelling lock them all.
        let throttle = LoginThrottle::new(Some(3), None, WINDOW);
        let t0 = Instant::now();
        let alice = Pk::Int(1);
        for _spelling in ["alice", "Alice", "ALICE"] {
            let _failed = throttle
                .begin(Account::User(&alice), None, t0)
                .expect("under the limit");
        }
        assert!(throttle.begin(Account::User(&alice), None, t0).is_err());
        // An unknown username with the same text as a pk is another account.
        let _other = throttle
            .begin(Account::Unknown("1"), None, t0)
            .expect("not alice's budget");
        let _bob = throttle
            .begin(Account::User(&Pk::Int(2)), None, t0)
            .expect("another user");
    }

    #[test]
    fn an_address_is_refused_whatever_the_username() {
        let throttle = LoginThrottle::new(None, Some(2), WINDOW);
        let t0 = Instant::now();
        for name in ["a", "b"] {
            let _failed = throttle
                .begin(Account::Unknown(name), ip("10.0.0.1"), t0)
                .expect("allowed");
        }
        assert!(
            throttle
                .begin(Account::Unknown("c"), ip("10.0.0.1"), t0)
                .is_err()
        );
        assert!(
            throttle
                .begin(Account::Unknown("c"), ip("10.0.0.2"), t0)
                .is_ok()
        );
        assert!(
            throttle.begin(Account::Unknown("c"), None, t0).is_ok(),
            "an unknown address is not one key"
        );
    }

    #[test]
    fn concurrent_attempts_count_before_they_are_checked() {
        // Three guesses in flight at once: the fourth is refused before any has finished.
        let throttle = LoginThrottle::new(Some(3), None, WINDOW);
        let t0 = Instant::now();
        let in_flight: Vec<_> = (0..3)
            .map(|_| {
                throttle
                    .begin(Account::Unknown("alice"), None, t0)
                    .expect("allowed")
            })
            .collect();
        assert!(throttle.begin(Account::Unknown("alice"), None, t0).is_err());
        // Two were undecided (the database was down): they do not count.
        let mut in_flight = in_flight.into_iter();
        throttle.undecided(in_flight.next().expect("one"));
        throttle.undecided(in_flight.next().expect("two"));
        let _third_failed = in_flight.next();
        let _allowed = throttle
            .begin(Account::Unknown("alice"), None, t0)
            .expect("one failure left");
    }

    #[test]
    fn a_success_clears_the_username_and_gives_the_address_one_back() {
        let throttle = LoginThrottle::new(Some(2), Some(2), WINDOW);
        let t0 = Instant::now();
        let _failed = throttle
            .begin(Account::Unknown("alice"), ip("10.0.0.1"), t0)
            .expect("allowed");
        let ok = throttle
            .begin(Account::Unknown("alice"), ip("10.0.0.1"), t0)
            .expect("allowed");
        throttle.succeeded(ok);
        assert_eq!(throttle.keys(), (0, 1));
        let _failed = throttle
            .begin(Account::Unknown("alice"), ip("10.0.0.1"), t0)
            .expect("allowed");
        assert!(
            throttle
                .begin(Account::Unknown("alice"), ip("10.0.0.1"), t0)
                .is_err()
        );
    }

    #[test]
    fn memory_is_bounded_under_a_spray_of_usernames() {
        let throttle = LoginThrottle::new(Some(1), None, WINDOW);
        let t0 = Instant::now();
        let _target = throttle
            .begin(Account::Unknown("target"), None, t0)
            .expect("allowed");
        for i in 0..MAX_KEYS + 10 {
            let now = t0 + Duration::from_millis(1 + i as u64 / 10_000);
            let _failed = throttle.begin(Account::Unknown(&format!("spray-{i}")), None, now);
        }
        assert_eq!(throttle.keys().0, MAX_KEYS);
        // The least recently failed went first.
        assert!(throttle.begin(Account::Unknown("target"), None, t0).is_ok());
        // Once the window has passed, expired keys make the room.
        let later = t0 + WINDOW * 2;
        let _failed = throttle
            .begin(Account::Unknown("fresh"), None, later)
            .expect("allowed");
        assert_eq!(throttle.keys().0, 1);
    }
}
