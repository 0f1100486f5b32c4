//! Reading a cached session's pickle: djtoken's `loads_dict` beside CPython's `pickle.loads`
//! (`benches/python_pickles.py`, which makes the pickles as Django's `RedisCache` writes
//! them) on the shapes a review sent: a login, a session of 40,000 keys, a list repeating
//! one 10 kB string 99,990 times, 50,000 nested tuples. djtoken refuses the last two (past its
//! expansion budget; not a dict) — the figure is how long the refusal takes.
//!
//! `cargo bench --bench pickles` (CPython from the Django 6.1 virtualenv, scripts/venv 6.1).

mod support;

use djtoken::sessions::pickle::loads_dict;
use support::{budget, fmt_ns, ns_per_call, run_django_script};

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn main() {
    let Some(out) = run_django_script("6.1", "benches/python_pickles.py", &[]) else {
        eprintln!("no CPython side: nothing to compare");
        return;
    };
    let shapes: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&out).expect("the script's JSON");
    println!(
        "{:<30} {:>12} {:>12}  djtoken's answer",
        "pickle", "CPython", "djtoken"
    );
    for (name, shape) in &shapes {
        let data = unhex(shape["hex"].as_str().expect("hex"));
        let answer = match loads_dict(&data) {
            Ok(dict) => format!("a dict of {} keys", dict.len()),
            Err(e) => format!("refused: {e}"),
        };
        let ns = ns_per_call(|| loads_dict(&data), budget());
        let python = shape["ns"].as_f64().expect("ns");
        println!(
            "{name:<30} {:>12} {:>12}  {answer}",
            fmt_ns(python),
            fmt_ns(ns)
        );
    }
}
