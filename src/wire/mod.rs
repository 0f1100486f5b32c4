//! Python's and Django's wire formats, each written once and proven against CPython: the
//! lenient base64 decoder every reader of base64 shares (`base64`), and the hex encoder
//! (`hex`).
//!
//! Core: no I/O.

pub mod base64;
pub mod hex;
