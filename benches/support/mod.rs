//! A small timing harness: no statistics library, just enough to print honest ratios.
#![allow(dead_code)]

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Nanoseconds per call of `f`: the best of several batches of about `budget` / 8 each, so a
/// scheduler hiccup in one batch does not count.
pub fn ns_per_call<R>(mut f: impl FnMut() -> R, budget: Duration) -> f64 {
    // Calibrate a batch size that runs about 1/8 of the budget.
    let mut n: u64 = 1;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        let took = start.elapsed();
        if took >= budget / 64 || n >= 1 << 40 {
            let per = took.as_secs_f64() / n as f64;
            n = ((budget.as_secs_f64() / 8.0 / per) as u64).max(1);
            break;
        }
        n *= 4;
    }
    let mut best = f64::INFINITY;
    for _ in 0..8 {
        let start = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    best
}

/// Nanoseconds per call of each closure, measured in interleaved rounds (a batch of each per
/// round, best batch kept), so that a slow spell of the machine hits all of them alike and
/// their ratios stay meaningful.
pub fn ns_per_call_interleaved(fs: &mut [&mut dyn FnMut()], budget: Duration) -> Vec<f64> {
    let rounds = 16;
    let count = fs.len();
    let sizes: Vec<u64> = fs
        .iter_mut()
        .map(|f| {
            let mut n: u64 = 1;
            loop {
                let start = Instant::now();
                for _ in 0..n {
                    f();
                }
                let took = start.elapsed();
                if took >= Duration::from_millis(5) || n >= 1 << 40 {
                    let per = took.as_secs_f64() / n as f64;
                    let share = budget.as_secs_f64() / (rounds * count) as f64;
                    break ((share / per) as u64).max(1);
                }
                n *= 4;
            }
        })
        .collect();
    let mut best = vec![f64::INFINITY; fs.len()];
    for _ in 0..rounds {
        for (i, f) in fs.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..sizes[i] {
                f();
            }
            best[i] = best[i].min(start.elapsed().as_secs_f64() * 1e9 / sizes[i] as f64);
        }
    }
    best
}

/// Human units for a duration in nanoseconds.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The budget per measurement: `DJTOKEN_BENCH_SECONDS` (default 2).
pub fn budget() -> Duration {
    let secs = std::env::var("DJTOKEN_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

/// Run `script` with the Python of the Django `series` virtualenv (made by scripts/venv) and
/// return its stdout, or `None` with the reason on stderr (no Python for that series, say).
pub fn run_django_script(series: &str, script: &str, args: &[&str]) -> Option<String> {
    if std::env::var("DJTOKEN_BENCH_DJANGO").as_deref() == Ok("0") {
        eprintln!("(DJTOKEN_BENCH_DJANGO=0: skipping the Django side)");
        return None;
    }
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = Command::new(top.join("scripts/venv"))
        .arg(series)
        .output()
        .ok()?;
    if !venv.status.success() {
        eprintln!(
            "no Django {series} virtualenv: {}",
            String::from_utf8_lossy(&venv.stderr)
        );
        return None;
    }
    let venv = String::from_utf8_lossy(&venv.stdout).trim().to_owned();
    let out = Command::new(Path::new(&venv).join("bin/python"))
        .arg(top.join(script))
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{script} failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A PostgreSQL database of the bench's own, created on DJTOKEN_BENCH_DATABASE_URL's server
/// (default postgres://postgres@127.0.0.1:5432/test) with `psql`, dropped when dropped.
pub struct ScratchPostgres {
    /// The server's URL (its database is where `CREATE DATABASE` runs).
    pub server: String,
    /// The new database's URL.
    pub url: String,
    name: String,
    /// Whether the database was created (no server: false, and the bench skips it).
    pub ready: bool,
}

impl ScratchPostgres {
    /// Create `prefix_<pid>`.
    pub fn create(prefix: &str) -> Self {
        let server = std::env::var("DJTOKEN_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!("{prefix}_{}", std::process::id());
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        let mut db = ScratchPostgres {
            server,
            url,
            name,
            ready: false,
        };
        db.ready = db.admin(&format!("CREATE DATABASE \"{}\"", db.name));
        db
    }

    fn admin(&self, sql: &str) -> bool {
        Command::new("psql")
            .args(["-q", "-d", &self.server, "-c", sql])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        if self.ready {
            self.admin(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}
