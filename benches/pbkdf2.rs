//! PBKDF2 at each Django version's default iterations, against the hardware limit and CPython.
//!
//! `cargo bench --bench pbkdf2` prints, per Django version, the time of one PBKDF2-SHA256 and
//! PBKDF2-SHA1 derivation (what one login costs), the time of exactly two compression-function
//! calls per iteration on the same machine in the same run (no PBKDF2 can be faster), and
//! CPython's `hashlib.pbkdf2_hmac`, which Django calls (`benches/django_pbkdf2.py`).

mod support;

use std::hint::black_box;
use std::time::Instant;

use djtoken::DjangoVersion;
use djtoken::hashers::pbkdf2::{Pbkdf2Digest, pbkdf2_hmac};
use support::{fmt_ns, run_django_script};

/// Best of `runs` timings of `f`, in nanoseconds.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e9
        })
        .fold(f64::INFINITY, f64::min)
}

fn compress_limit(digest: Pbkdf2Digest, calls: u32) -> f64 {
    let block = [[0x5au8; 64]];
    match digest {
        Pbkdf2Digest::Sha256 => best_of(3, || {
            let mut state = [0u32; 8];
            for _ in 0..calls {
                sha2::block_api::compress256(black_box(&mut state), black_box(&block));
            }
            black_box(state);
        }),
        Pbkdf2Digest::Sha1 => best_of(3, || {
            let mut state = [0u32; 5];
            for _ in 0..calls {
                sha1::block_api::compress(black_box(&mut state), black_box(&block));
            }
            black_box(state);
        }),
    }
}

fn main() {
    let runs: usize = std::env::var("DJTOKEN_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let iterations: Vec<u32> = DjangoVersion::ALL
        .iter()
        .map(|v| v.profile().pbkdf2_iterations)
        .collect();
    let args: Vec<String> = iterations.iter().map(u32::to_string).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let python: Vec<(String, u32, f64)> =
        run_django_script("6.1", "benches/django_pbkdf2.py", &args)
            .map(|out| {
                out.lines()
                    .filter_map(|l| {
                        let mut p = l.split_whitespace();
                        Some((
                            p.next()?.to_owned(),
                            p.next()?.parse().ok()?,
                            p.next()?.parse().ok()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();

    println!(
        "{:<8} {:<7} {:>10} {:>11} {:>13} {:>9} {:>13} {:>9}",
        "Django",
        "digest",
        "iterations",
        "djtoken",
        "2 compress/it",
        "vs limit",
        "CPython",
        "speed-up"
    );
    for version in DjangoVersion::ALL {
        let n = version.profile().pbkdf2_iterations;
        for (digest, name, len) in [
            (Pbkdf2Digest::Sha256, "sha256", 32),
            (Pbkdf2Digest::Sha1, "sha1", 20),
        ] {
            let ours = best_of(runs, || {
                let mut out = [0u8; 32];
                pbkdf2_hmac(
                    digest,
                    black_box(b"correct horse battery"),
                    b"abcdefghijklmnopqrstuv",
                    n,
                    &mut out[..len],
                );
                black_box(out);
            });
            let limit = compress_limit(digest, 2 * n);
            let cpython = python
                .iter()
                .find(|(d, i, _)| d == name && *i == n)
                .map(|(_, _, ns)| *ns);
            println!(
                "{:<8} {:<7} {:>10} {:>11} {:>13} {:>8.3}x {:>13} {:>9}",
                version.as_str(),
                name,
                n,
                fmt_ns(ours),
                fmt_ns(limit),
                ours / limit,
                cpython.map_or("-".into(), fmt_ns),
                cpython.map_or("-".into(), |c| format!("{:.2}x", c / ours)),
            );
        }
    }
}
