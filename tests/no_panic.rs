//! Mutated real hashes and tokens through every parser: typed answers, never a panic.
//! The same entry point as the cargo-fuzz target (`fuzz/`), run here on a deterministic
//! stream so that CI sees it on every change.

use djtoken::fuzzing::{exercise_hashers, exercise_pickle, exercise_signing};

const SEEDS: &[&str] = &[
    "pbkdf2_sha256$1500000$abcdefghijklmnopqrstuv$pNqHYgQMzZwLzZH8KDx+/7Hu5G0/nkZvE3+OniqKI9o=",
    "pbkdf2_sha1$10$abcdefghijklmnopqrstuv$COZqNPHGKW4wKR37FKcjskN41/U=",
    "argon2$argon2id$v=19$m=64,t=1,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$cbYV8dbAeaxTGgeSUds3eWl/1GYuxCEvQmo1aJcgrhc",
    "argon2$argon2i$m=64,t=1,p=1$YWJjZGVmZ2hpamts$AAAAAAAAAAAAAAAAAAAAAA",
    "bcrypt_sha256$$2b$04$JyJxJ88RA6./w7JXtRglXeJN9CziC5vMrW97ZZS4uPbwaV7IdUA86",
    "bcrypt$$2b$04$JyJxJ88RA6./w7JXtRglXeFbpgbjKbSSXA2TWsUscQbNJzlQV2O8G",
    "scrypt$16$abcdefghijklmnopqrstuv$1$1$NSnoIm3vLpDMiLvc+TzkKtXEJGSHphhvkGRpzYQHyvEXGr+784hQA71c+qDUQtSeGdsdq/SfW8IG8hQUkeJTJQ==",
    "md5$abcdefghijklmnopqrstuv$02144cc061e1c896b28fdbca2ef32806",
    "sha1$abcdefghijklmnopqrstuv$4e47d0814a3787b3773b25c8e8d86ce8aa5d9747",
    "sha1$$2f9e53523b62abc141a2b4d6019d23cba835dbd0",
    "3cb4e732631f47e6eb961f34554b7cde",
    "md5$$3cb4e732631f47e6eb961f34554b7cde",
    "crypt$$abhfCpXqd4GrI",
    "crypt$$$1$abcdefgh$xxxxxxxxxxxxxxxxxxxxxx",
    "6y0-a438a0c8937197581e32",
    "!unusable",
    " +1_000 ",
];

const BYTES: &[u8] =
    b"$$=,0123456789-_+/ \x00\xff\xc3\xa9abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:;";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_hashes_never_panic() {
    let cases: usize = std::env::var("DJTOKEN_NO_PANIC_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..cases {
        let mut data = vec![rng.next() as u8];
        data.extend_from_slice(b"correct horse\n");
        let mut hash = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(hash.len() + 1);
            match rng.below(5) {
                0 if at < hash.len() => {
                    hash.remove(at);
                }
                1 => hash.insert(at, BYTES[rng.below(BYTES.len())]),
                2 if at < hash.len() => hash[at] = BYTES[rng.below(BYTES.len())],
                3 => hash.truncate(at),
                _ => {
                    let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                    let from = rng.below(other.len());
                    hash.splice(at..at, other[from..].iter().copied().take(12));
                }
            }
        }
        data.extend_from_slice(&hash);
        let result = std::panic::catch_unwind(|| exercise_hashers(&data));
        assert!(
            result.is_ok(),
            "case {i} panicked on {:?}",
            String::from_utf8_lossy(&data)
        );
    }
}

const SIGNED: &[&str] = &[
    "ImhlbGxvIg:1r31eq:PQZ8_WpcIVflZMPedCRnOZ-jMKSREEmB9WD1_Jfsk-8",
    ".eJwFwcERACAIwLCF-rCiILN47r-GyZVJsNgkxaFxoDgxcOHGxMKD_T7vhAml",
    "eyJhIjoxLCJiIjpbMSwyLCJ4Il0sInUiOiJcdTAwZTlcdTRlMmQifQ",
    ".eJyrVipOLS7OzM_zTFGyUjJU0lFKTEktLCqpBAB_2gjc",
    "TmFO",
];

#[test]
fn mutated_signed_values_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for i in 0..3_000 {
        let mut value = SIGNED[rng.below(SIGNED.len())].as_bytes().to_vec();
        for _ in 0..=rng.below(4) {
            let at = rng.below(value.len() + 1);
            match rng.below(4) {
                0 if at < value.len() => {
                    value.remove(at);
                }
                1 => value.insert(at, BYTES[rng.below(BYTES.len())]),
                2 if at < value.len() => value[at] = BYTES[rng.below(BYTES.len())],
                _ => value.truncate(at),
            }
        }
        let result = std::panic::catch_unwind(|| exercise_signing(&value));
        assert!(
            result.is_ok(),
            "case {i} panicked on {:?}",
            String::from_utf8_lossy(&value)
        );
    }
}

/// Pickles of sessions as Django's Redis caches write them (fixtures/vectors/*/pickles.json),
/// mutated byte by byte.
#[test]
fn mutated_pickles_never_panic() {
    let seeds: Vec<Vec<u8>> = ["3.2", "6.1"]
        .iter()
        .flat_map(|series| {
            let path = format!(
                "{}/fixtures/vectors/django-{series}/pickles.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).expect("the pickle vectors");
            let vectors: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            vectors["loads"]
                .as_array()
                .expect("loads")
                .iter()
                .map(|row| {
                    let hex = row["hex"].as_str().expect("hex");
                    (0..hex.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                        .collect()
                })
                .collect::<Vec<Vec<u8>>>()
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..20_000 {
        let mut value = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(value.len() + 1);
            let byte = (rng.next() & 0xff) as u8;
            match rng.below(4) {
                0 if at < value.len() => {
                    value.remove(at);
                }
                1 => value.insert(at, byte),
                2 if at < value.len() => value[at] = byte,
                _ => value.truncate(at),
            }
        }
        let result = std::panic::catch_unwind(|| exercise_pickle(&value));
        assert!(result.is_ok(), "case {i} panicked on {value:02x?}");
    }
}
