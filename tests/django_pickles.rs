//! The pickles Django's Redis caches hold for `cache` and `cached_db` sessions
//! (fixtures/gen/pickles.py): djtoken writes the bytes Django's `RedisSerializer` and
//! django-redis' `PickleSerializer` write for the same dict, and reads pickles of every
//! protocol as `pickle.loads` does — refusing, with a typed error, whatever is not a dict of
//! plain data.

mod common;

use common::vectors;
use djtoken::sessions::pickle::{PickleError, dumps_dict, loads_dict};
use djtoken::sessions::{CacheClient, SessionData};
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
    #[serde(flatten)]
    expected: Expected,
}

/// What CPython made of a pickle, as `fixtures/gen/pickles.py` records it.
#[derive(Deserialize)]
struct Expected {
    /// A dict of JSON data.
    ok: Option<Map<String, Value>>,
    /// A dict djtoken carries for Python; CPython's pickle of it when written again.
    carried: Option<Carried>,
    /// The exception CPython raised.
    error: Option<String>,
    /// What CPython read that is not a session djtoken reads.
    python_type: Option<String>,
}

#[derive(Deserialize)]
struct Carried {
    again: Option<String>,
}

impl Expected {
    /// `ours` is what CPython made of the pickle: the same JSON data, the same dict written
    /// back byte for byte, or a refusal (typed as unsupported or too large for a value that
    /// is not a session).
    fn check(&self, ours: &Result<SessionData, PickleError>, what: &str) {
        if let Some(expected) = &self.ok {
            assert_eq!(
                ours.as_ref().map(SessionData::values),
                Ok(expected),
                "{what}"
            );
        } else if let Some(carried) = &self.carried {
            let data = match ours {
                Ok(data) => data,
                Err(e) => panic!("{what}: CPython read a dict, djtoken: {e}"),
            };
            if let Some(again) = &carried.again {
                assert_eq!(dumps_dict(data, 5), unhex(again), "{what}: written again");
            }
        } else if let Some(error) = &self.error {
            assert!(ours.is_err(), "{what}: CPython {error}, djtoken {ours:?}");
        } else if let Some(kind) = &self.python_type {
            assert!(
                matches!(
                    ours,
                    Err(PickleError::Unsupported(_) | PickleError::TooLarge(_))
                ),
                "{what} ({kind}): {ours:?}"
            );
        } else {
            panic!("{what}: no expectation");
        }
    }
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
    #[serde(flatten)]
    expected: Expected,
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
            let ours = dumps_dict(&row.data.clone().into(), protocol);
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
            row.expected
                .check(&ours, &format!("{series}: {}", row.name));
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
            row.expected.check(&ours, &format!("{series}: case {i}"));
            checked += 1;
        }
    }
    assert!(checked >= 4_000, "only {checked} damaged pickles");
}
