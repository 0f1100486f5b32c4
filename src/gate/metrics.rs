//! Prometheus metrics: requests by route and status, password-hash durations, hashes in
//! flight, database errors. Plain atomics, no locks on the request path.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The routes requests are counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `{prefix}new.json`
    TokenNew,
    /// `{prefix}<token>/<user>.json`
    Token,
    /// `/auth`
    Auth,
    /// `/healthz`
    Healthz,
    /// `/readyz`
    Readyz,
    /// `/metrics`
    Metrics,
    /// The `/session/` endpoints (`csrf/`, `login/`, `logout/`, `whoami/`).
    Session,
    /// DRF's `obtain_auth_token` (`serve.drf_obtain_token_path`).
    DrfObtainToken,
    /// simplejwt's views (`serve.jwt_*_path`).
    SimpleJwt,
    /// knox's views (`serve.knox_*_path`).
    Knox,
    /// Anything else (404).
    Other,
}

const ROUTES: [(Route, &str); 11] = [
    (Route::TokenNew, "token_new"),
    (Route::Token, "token"),
    (Route::Auth, "auth"),
    (Route::Healthz, "healthz"),
    (Route::Readyz, "readyz"),
    (Route::Metrics, "metrics"),
    (Route::Session, "session"),
    (Route::DrfObtainToken, "drf_obtain_token"),
    (Route::SimpleJwt, "simplejwt"),
    (Route::Knox, "knox"),
    (Route::Other, "other"),
];

/// The statuses the server answers with; anything else is counted as `other`.
const STATUSES: [u16; 14] = [
    200, 400, 401, 403, 404, 405, 408, 413, 500, 503, 301, 204, 429, 0,
];

/// Upper bounds of the hash-duration buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    f64::INFINITY,
];

/// The server's counters.
pub struct Metrics {
    requests: [[AtomicU64; STATUSES.len()]; ROUTES.len()],
    hash_buckets: [AtomicU64; BUCKETS.len()],
    hash_sum_micros: AtomicU64,
    hash_count: AtomicU64,
    hashes_in_flight: AtomicI64,
    hash_rejected: AtomicU64,
    db_errors: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            hash_buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            hash_sum_micros: AtomicU64::new(0),
            hash_count: AtomicU64::new(0),
            hashes_in_flight: AtomicI64::new(0),
            hash_rejected: AtomicU64::new(0),
            db_errors: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Count one answered request.
    pub fn request(&self, route: Route, status: u16) {
        let r = ROUTES
            .iter()
            .position(|(x, _)| *x == route)
            .unwrap_or(ROUTES.len() - 1);
        let s = STATUSES
            .iter()
            .position(|&x| x == status)
            .unwrap_or(STATUSES.len() - 1);
        self.requests[r][s].fetch_add(1, Relaxed);
    }

    /// A password hash started; the guard records its duration when dropped.
    pub fn hash_started(&self) -> HashTimer<'_> {
        self.hashes_in_flight.fetch_add(1, Relaxed);
        HashTimer {
            metrics: self,
            start: std::time::Instant::now(),
        }
    }

    fn hash_finished(&self, took: Duration) {
        self.hashes_in_flight.fetch_sub(1, Relaxed);
        let secs = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len() - 1);
        self.hash_buckets[bucket].fetch_add(1, Relaxed);
        self.hash_sum_micros
            .fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Relaxed);
        self.hash_count.fetch_add(1, Relaxed);
    }

    /// A password check refused for lack of hashing capacity.
    pub fn hash_rejected(&self) {
        self.hash_rejected.fetch_add(1, Relaxed);
    }

    /// A database call failed.
    pub fn db_error(&self) {
        self.db_errors.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP djtoken_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE djtoken_requests_total counter\n");
        for (r, (_, route)) in ROUTES.iter().enumerate() {
            for (s, status) in STATUSES.iter().enumerate() {
                let n = self.requests[r][s].load(Relaxed);
                if n > 0 {
                    let status = if *status == 0 {
                        "other".to_owned()
                    } else {
                        status.to_string()
                    };
                    let _ = writeln!(
                        out,
                        "djtoken_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                    );
                }
            }
        }
        out.push_str("# HELP djtoken_password_hash_seconds Time spent in one password hash (check or make).\n");
        out.push_str("# TYPE djtoken_password_hash_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.hash_buckets[i].load(Relaxed);
            let le = if bound.is_infinite() {
                "+Inf".to_owned()
            } else {
                bound.to_string()
            };
            let _ = writeln!(
                out,
                "djtoken_password_hash_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "djtoken_password_hash_seconds_sum {}",
            self.hash_sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "djtoken_password_hash_seconds_count {}",
            self.hash_count.load(Relaxed)
        );
        let single = |out: &mut String, name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        single(
            &mut out,
            "djtoken_password_hashes_in_flight",
            "gauge",
            "Password hashes running now.",
            self.hashes_in_flight.load(Relaxed).to_string(),
        );
        single(
            &mut out,
            "djtoken_password_hash_rejected_total",
            "counter",
            "Password checks refused (503) for lack of capacity.",
            self.hash_rejected.load(Relaxed).to_string(),
        );
        single(
            &mut out,
            "djtoken_database_errors_total",
            "counter",
            "Database calls that failed.",
            self.db_errors.load(Relaxed).to_string(),
        );
        out
    }
}

/// Records a hash's duration when dropped.
pub struct HashTimer<'a> {
    metrics: &'a Metrics,
    start: std::time::Instant,
}

impl Drop for HashTimer<'_> {
    fn drop(&mut self) {
        self.metrics.hash_finished(self.start.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.request(Route::Token, 200);
        m.request(Route::Token, 200);
        m.request(Route::Auth, 403);
        m.request(Route::Other, 999);
        drop(m.hash_started());
        m.db_error();
        let text = m.render();
        assert!(text.contains("djtoken_requests_total{route=\"token\",status=\"200\"} 2"));
        assert!(text.contains("djtoken_requests_total{route=\"auth\",status=\"403\"} 1"));
        assert!(text.contains("djtoken_requests_total{route=\"other\",status=\"other\"} 1"));
        assert!(text.contains("djtoken_password_hash_seconds_count 1"));
        assert!(text.contains("djtoken_password_hash_seconds_bucket{le=\"+Inf\"} 1"));
        assert!(text.contains("djtoken_password_hashes_in_flight 0"));
        assert!(text.contains("djtoken_database_errors_total 1"));
    }
}
