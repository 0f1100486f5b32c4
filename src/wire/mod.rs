//! Python's and Django's wire formats, each written once and proven against CPython: the
//! lenient base64 decoder every reader of base64 shares (`base64`), the hex encoder (`hex`),
//! and Python's plain values with its `json` module's reading and writing of them
//! (`pyvalue`).
//!
//! Core: no I/O.

pub mod base64;
pub mod hex;
pub mod pyvalue;
