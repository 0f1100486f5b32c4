//! The pickles Django's Redis caches hold for `cache` and `cached_db` sessions
//! (fixtures/gen/pickles.py): djtoken writes the bytes Django's `RedisSerializer` and
//! django-redis' `PickleSerializer` write for the same dict, and reads pickles of every
//! protocol as `pickle.loads` does — refusing, with a typed error, whatever is not a dict of
//! plain data.

mod common;

use common::vectors;
use djtoken::sessions::CacheClient;
use djtoken::sessions::pickle::{PickleError, dumps_dict, loads_dict};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Pickles {
    dumps: Vec<DumpRow>,
    loads: Vec<LoadRow>,
    /// Damaged copies of the dumps (the first and the latest series only).
    #[serde(default)]
    corrupted: Vec<CorruptedRow>,
}

#[derive(Deserialize)]
struct CorruptedRow {
    base: usize,
    /// `[position, "set" | "ins" | "del", byte]`, applied in order.
    edits: Vec<(usize, String, u8)>,
    ok: Option<Map<String, Value>>,
    error: Option<String>,
    python_type: Option<String>,
}

#[derive(Deserialize)]
struct DumpRow {
    backend: String,
    data: Map<String, Value>,
    hex: String,
}

#[derive(Deserialize)]
struct LoadRow {
    name: String,
    hex: String,
    ok: Option<Map<String, Value>>,
    error: Option<String>,
    python_type: Option<String>,
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn djtoken_writes_the_bytes_djangos_redis_caches_write() {
    let mut checked = 0;
    for (series, v) in vectors::<Pickles>("pickles") {
        for row in &v.dumps {
            let client = match row.backend.as_str() {
                "django" => CacheClient::Django,
                "django-redis" => CacheClient::DjangoRedis,
                other => panic!("{series}: unknown backend {other}"),
            };
            let protocol = match client {
                CacheClient::Django => 5,
                CacheClient::DjangoRedis => 4,
            };
            let ours = dumps_dict(&row.data, protocol);
            assert_eq!(
                ours,
                unhex(&row.hex),
                "{series} {}: {:?}",
                row.backend,
                row.data
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} dumps vectors");
}

#[test]
fn djtoken_reads_pickles_as_pickle_loads_does() {
    let mut checked = 0;
    for (series, v) in vectors::<Pickles>("pickles") {
        for row in &v.loads {
            let ours = loads_dict(&unhex(&row.hex));
            match (&row.ok, &row.error, &row.python_type) {
                (Some(expected), _, _) => {
                    assert_eq!(ours.as_ref(), Ok(expected), "{series}: {}", row.name)
                }
                // Python raised: a malformed pickle, or data djtoken does not read either.
                (_, Some(error), _) => assert!(ours.is_err(), "{series}: {} ({error})", row.name),
                // Python read something that is not a dict of plain data: refused, typed.
                (_, _, Some(kind)) => assert!(
                    matches!(ours, Err(PickleError::Unsupported(_))),
                    "{series}: {} ({kind}): {ours:?}",
                    row.name
                ),
                _ => panic!("{series}: {}: no expectation", row.name),
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} loads vectors");
}

#[test]
fn every_damaged_pickle_cpython_refuses_is_refused() {
    let mut checked = 0;
    for (series, v) in vectors::<Pickles>("pickles") {
        for (i, row) in v.corrupted.iter().enumerate() {
            let mut data = unhex(&v.dumps[row.base].hex);
            for (at, kind, byte) in &row.edits {
                match kind.as_str() {
                    "set" => data[*at] = *byte,
                    "ins" => data.insert(*at, *byte),
                    "del" => {
                        data.remove(*at);
                    }
                    other => panic!("{series}: case {i}: unknown edit {other}"),
                }
            }
            let ours = loads_dict(&data);
            match (&row.ok, &row.error, &row.python_type) {
                (Some(expected), _, _) => {
                    assert_eq!(ours.as_ref(), Ok(expected), "{series}: case {i}")
                }
                (_, Some(error), _) => {
                    assert!(
                        ours.is_err(),
                        "{series}: case {i}: CPython {error}, djtoken {ours:?}"
                    )
                }
                (_, _, Some(kind)) => {
                    assert!(ours.is_err(), "{series}: case {i}: CPython read a {kind}")
                }
                _ => panic!("{series}: case {i}: no expectation"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 4_000, "only {checked} damaged pickles");
}
