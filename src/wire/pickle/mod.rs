//! Python's `pickle`, as Django's Redis caches hold `cache` and `cached_db` sessions: a
//! dict, pickled by `pickle.dumps(d, protocol)` (protocol 5 for Django's `RedisCache`, 4 for
//! django-redis on Python ≤ 3.13), and read whatever protocol wrote it.
//!
//! Only plain data is read: `None`, booleans, integers (of up to 4,300 digits, as Python's
//! `int` converts to text), floats (`nan` and the infinities too), `str` (lone surrogates
//! too), lists, tuples (read as lists) and dicts whose keys are `str`, numbers or `None` —
//! what a session holds; what a JSON value cannot hold is carried (`SessionData`). Anything else (bytes, sets, a `datetime`, any other object: opcodes that name a
//! class) is [`PickleError::Unsupported`], naming what was found; nothing is imported or
//! called. Hostile input cannot make the reader allocate or work beyond a bound, crash it or
//! stall it: shared references count once per use against [`MAX_NODES`], and the text they
//! expand to against a budget proportional to the input ([`expansion_budget`]); nesting is
//! limited to [`MAX_DEPTH`] when the result is read, and what was built is dropped without
//! recursion however deep it is; dict keys are found by hash, as Python finds them; a
//! `FRAME` longer than what is left is refused as CPython refuses it. Names that go into an
//! error (and from there into a log) are escaped and cut short.
//!
//! Why not a crate: serde-pickle 1.2 (the maintained one) reads into a `BTreeMap`, losing a
//! dict's order; it clones shared references eagerly, so a few hundred bytes of `BINGET`s
//! expand exponentially; and it writes protocols 2–3 only. This reader keeps references
//! shared while parsing and expands them under a budget, and the writer emits the bytes
//! CPython's pickler emits for the same dict.

mod read;
mod write;

use crate::wire::pyvalue::PyValue;

/// At most this many values (shared ones counted at every use) in one pickle.
pub const MAX_NODES: usize = 100_000;
/// At most this deep a nesting of containers.
pub const MAX_DEPTH: usize = 64;

/// Bytes of text a pickle of `len` bytes may expand to: four times its own size and a MiB.
/// Django's pickler writes a repeated object once and refers to it after: a list repeating
/// one 10 kB string 100,000 times is 210 kB of pickle and would be a gigabyte of copies.
pub fn expansion_budget(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(1 << 20)
}

/// Why a pickle was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickleError {
    /// Not a pickle, or a truncated or inconsistent one.
    #[error("malformed pickle: {0}")]
    Malformed(&'static str),
    /// A well-formed pickle of something djtoken does not read.
    #[error("the pickle holds {0}, which djtoken does not read")]
    Unsupported(String),
    /// More values or deeper nesting than the bounds allow.
    #[error("the pickle is larger than djtoken reads ({0})")]
    TooLarge(&'static str),
}

/// `pickle.loads(data)` of a dict: its items in order.
pub fn loads_dict(data: &[u8]) -> Result<Vec<(PyValue, PyValue)>, PickleError> {
    read::loads_dict(data)
}

/// `pickle.dumps(data, protocol)` (protocol 4 or 5, the ones Django's caches write) as
/// CPython's pickler writes it for plain data: one frame, every str, list and dict memoised,
/// items in batches of 1,000. Non-finite floats cannot come from `serde_json` values.
pub fn dumps_dict(dict: &PyValue, protocol: u8) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    let mut memo = 0usize;
    write::write_py(&mut body, dict, &mut memo);
    body.push(b'.');
    let mut out = Vec::with_capacity(body.len() + 11);
    out.extend_from_slice(&[0x80, protocol.clamp(4, 5)]);
    // CPython frames anything of at least 4 bytes; the frame includes STOP.
    if body.len() >= 4 {
        out.push(0x95);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(&body);
    out
}
