//! Any string as a stored password hash: identify_hasher, check_password and every hasher
//! verb must answer or fail with a typed error, never panic.
//!
//!     cargo fuzz run hashers        (from the repository root)
#![no_main]

use djtoken::fuzzing::exercise_hashers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| exercise_hashers(data));
