//! Entry points for the fuzz targets (`fuzz/`) and the no-panic smoke test; not API.

use std::sync::OnceLock;

use crate::hashers::{
    Argon2Params, HasherSettings, Hashers, PasswordHasher, ScryptParams, WorkLimits,
};
use crate::version::DjangoVersion;
use crate::{SecretKeys, TokenapiTokenGenerator, User};

/// Every hasher of every version, with work factors and limits small enough that a fuzzer
/// spends its time in the parsers rather than in PBKDF2.
fn hashers() -> &'static [Hashers] {
    static HASHERS: OnceLock<Vec<Hashers>> = OnceLock::new();
    HASHERS.get_or_init(|| {
        DjangoVersion::ALL
            .iter()
            .map(|&version| {
                let mut settings = HasherSettings::for_version(version);
                settings.pbkdf2_iterations = 10;
                settings.bcrypt_rounds = 4;
                settings.argon2 = Argon2Params {
                    time_cost: 1,
                    memory_cost: 64,
                    parallelism: 1,
                };
                settings.scrypt = ScryptParams {
                    work_factor: 16,
                    block_size: 1,
                    parallelism: 1,
                };
                settings.limits = WorkLimits {
                    max_pbkdf2_iterations: 2_000,
                    max_bcrypt_rounds: 5,
                    max_argon2_memory_kib: 256,
                    max_argon2_time_cost: 2,
                    max_argon2_parallelism: 4,
                    max_scrypt_memory: 1 << 20,
                    max_scrypt_work: 1 << 12,
                };
                let mut kinds = version.profile().password_hashers.to_vec();
                for &kind in version.profile().available {
                    if !kinds.contains(&kind) && kind.is_built() {
                        kinds.push(kind);
                    }
                }
                Hashers::with_kinds(settings, &kinds).expect("the version's own classes")
            })
            .collect()
    })
}

/// First byte: the Django version; the rest: `password \n encoded` (lossy UTF-8).
pub fn exercise_hashers(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let all = hashers();
    let hashers = &all[usize::from(selector) % all.len()];
    let text = String::from_utf8_lossy(rest);
    let (password, encoded) = text.split_once('\n').unwrap_or(("", &text));
    let password = password.as_bytes();
    if let Ok(hasher) = hashers.identify_hasher(encoded) {
        exercise_hasher(hasher, password, encoded);
    }
    for hasher in hashers
        .algorithms()
        .iter()
        .filter_map(|a| hashers.get_hasher(a).ok())
    {
        exercise_hasher(hasher, password, encoded);
    }
    if let Ok(check) = hashers.check_password(password, encoded) {
        // A match is only possible for a hash that verifies.
        if check.is_correct {
            let hasher = hashers
                .identify_hasher(encoded)
                .expect("a matched hash has a hasher");
            assert_eq!(hasher.verify(password, encoded), Ok(true));
        }
    }
    let _ = crate::wire::pyint::parse_int(encoded);
    let _ = crate::base36::base36_to_int(encoded);
    let tokens = TokenapiTokenGenerator::new(&SecretKeys::new("fuzz"));
    let _ = tokens.check(&User::new(1, encoded), encoded);
}

fn exercise_hasher(hasher: &dyn PasswordHasher, password: &[u8], encoded: &str) {
    let _ = hasher.decode(encoded);
    let _ = hasher.must_update(encoded);
    let _ = hasher.safe_summary(encoded);
    let _ = hasher.verify(password, encoded);
    let _ = hasher.harden_runtime(password, encoded);
    let _ = hasher.encode(password, encoded);
}

/// Any text as a signed value, and as the payload of a correctly signed one (so that the
/// base62, base64, zlib and JSON readers see it): `loads` must answer or fail with a typed
/// error under every version's rules, never panic.
pub fn exercise_signing(data: &[u8]) {
    use crate::signing::{self, SignerOptions, TimestampSigner};

    let text = String::from_utf8_lossy(data);
    let keys = SecretKeys::new("fuzz-key").with_fallbacks(["fuzz-old-key"]);
    for version in DjangoVersion::ALL {
        let _ = signing::loads(&text, &keys, version, "fuzz", Some(60.0), 1.7e9);
        let Ok(signer) = TimestampSigner::new(&keys, version, SignerOptions::default()) else {
            continue;
        };
        for payload in [text.to_string(), format!(".{text}")] {
            let signed = signer.signer().sign(&payload);
            let _ = signer.unsign_object(&signed, Some(60.0), 1.7e9);
            let signed = signer.sign(&payload, 1_700_000_000);
            let _ = signer.unsign_object(&signed, None, 1.7e9);
        }
    }
    // Session data as Python's json reads it: what it reads, it writes so that it reads back
    // the same (compared as text: a NaN is not equal to itself).
    if let Ok(data) = crate::sessions::SessionData::from_json(data) {
        let written = data.to_json();
        let again = crate::sessions::SessionData::from_json(&written).expect("reads back");
        assert_eq!(again.to_json(), written, "session data written reads back");
    }
}

/// Any bytes as a cached session: the pickle reader must answer or fail with a typed error,
/// within its bounds, never panic or overflow its stack; what it reads must survive the
/// writer and read back.
///
/// The bytes are also read as a shape: `[n_hi, n_lo, split, rest…]` repeats
/// `rest[split..]` up to 65,535 times after `rest[..split]` and closes it with what
/// Django's pickler writes last (`s.`, `a`, `e`…), so the fuzzer reaches deep nesting (a
/// tuple of tuples, lists in lists), long runs of one reference (a string shared 100,000
/// times) and dicts of many keys with a few bytes of input.
pub fn exercise_pickle(data: &[u8]) {
    read_pickle(data);
    if let [n_hi, n_lo, split, rest @ ..] = data {
        let count = usize::from(u16::from_be_bytes([*n_hi, *n_lo]));
        let split = usize::from(*split).min(rest.len());
        let (head, unit) = rest.split_at(split);
        if unit.is_empty() || unit.len() * count > 1 << 21 {
            return;
        }
        let mut shaped = Vec::with_capacity(head.len() + unit.len() * count + 2);
        shaped.extend_from_slice(head);
        for _ in 0..count {
            shaped.extend_from_slice(unit);
        }
        for tail in [&b"s."[..], b"."] {
            shaped.extend_from_slice(tail);
            read_pickle(&shaped);
            shaped.truncate(shaped.len() - tail.len());
        }
    }
}

fn read_pickle(data: &[u8]) {
    use crate::sessions::pickle::{dumps_dict, loads_dict};

    if let Ok(dict) = loads_dict(data) {
        for protocol in [4, 5] {
            // Compared as pickles: a NaN is not equal to itself, its bytes are.
            let written = dumps_dict(&dict, protocol);
            let again = loads_dict(&written).expect("a dict the writer wrote reads back");
            assert_eq!(
                dumps_dict(&again, protocol),
                written,
                "a dict the writer wrote reads back"
            );
        }
    }
}
