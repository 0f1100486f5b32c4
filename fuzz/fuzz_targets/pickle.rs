//! Any bytes as a pickled session from Redis: the reader answers or fails with a typed error,
//! never panics, and what it reads round-trips through the writer.
//!
//!     cargo fuzz run pickle        (from the repository root)
#![no_main]

use djtoken::fuzzing::exercise_pickle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| exercise_pickle(data));
