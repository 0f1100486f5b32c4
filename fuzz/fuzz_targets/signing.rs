//! Any bytes as a signed value and as a signed payload: `signing.loads` under every version's
//! rules must answer or fail with a typed error, never panic.
//!
//!     cargo fuzz run signing        (from the repository root)
#![no_main]

use djtoken::fuzzing::exercise_signing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| exercise_signing(data));
