//! Python's and Django's wire formats, each written once and proven against CPython: the
//! lenient base64 decoder every reader of base64 shares (`base64`), the hex encoder (`hex`),
//! latin-1 as WSGI decodes headers (`latin1`), Python's `int()` of text (`pyint`), Python's
//! plain values with its `json` module's reading and writing of them (`pyvalue`), its
//! `pickle` of them (`pickle`), and cookies as Django reads and writes them (`cookie`).
//!
//! Core: no I/O.

pub mod base64;
pub mod cookie;
pub mod hex;
pub mod latin1;
pub mod pickle;
pub mod pyint;
pub mod pyvalue;
