//! Password-hasher vectors from real Django 3.2–6.1 (fixtures/gen/hashers.py).

mod common;

use std::collections::BTreeMap;

use common::vectors;
use djtoken::DjangoVersion;
use djtoken::hashers::ScryptParams;
use djtoken::hashers::{HashError, HasherSettings, Hashers};
use serde::Deserialize;

#[derive(Deserialize)]
struct HasherVectors {
    django: String,
    default_hashers: Vec<String>,
    encode: Vec<Encode>,
    check: Vec<Check>,
    must_update: Vec<MustUpdate>,
    identify: Vec<Identify>,
    safe_summary: Vec<Summary>,
}

#[derive(Deserialize)]
struct Encode {
    class: String,
    algorithm: String,
    password: String,
    salt: String,
    #[serde(default)]
    params: BTreeMap<String, u64>,
    ok: Option<String>,
    raises: Option<String>,
}

#[derive(Deserialize)]
struct Check {
    hashers: Vec<String>,
    password: String,
    encoded: String,
    ok: Option<Verdict>,
    raises: Option<String>,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct Verdict {
    is_correct: bool,
    must_update: bool,
}

#[derive(Deserialize)]
struct MustUpdate {
    hashers: Vec<String>,
    encoded: String,
    ok: Option<bool>,
    raises: Option<String>,
}

#[derive(Deserialize)]
struct Identify {
    encoded: String,
    ok: Option<String>,
}

#[derive(Deserialize)]
struct Summary {
    encoded: String,
    ok: Option<Vec<(String, String)>>,
}

fn version(series: &str) -> DjangoVersion {
    series.parse().expect("a supported series")
}

fn hashers(series: &str, list: &[String]) -> Hashers {
    let names: Vec<&str> = list.iter().map(String::as_str).collect();
    Hashers::new(HasherSettings::for_version(version(series)), Some(&names))
        .expect("Django's own list")
}

fn all_hashers(series: &str) -> Hashers {
    let profile = version(series).profile();
    let mut kinds = profile.password_hashers.to_vec();
    for kind in profile.available {
        if !kinds.contains(kind) {
            kinds.push(*kind);
        }
    }
    Hashers::with_kinds(HasherSettings::for_version(version(series)), &kinds)
        .expect("every class of the version")
}

#[test]
fn default_password_hashers_match_django() {
    for (series, v) in vectors::<HasherVectors>("hashers") {
        assert!(v.django.starts_with(series));
        assert_eq!(
            Hashers::for_version(version(series)).algorithms(),
            v.default_hashers,
            "Django {series}"
        );
    }
}

fn vectors_of(series: &'static str) -> Vec<(&'static str, HasherVectors)> {
    if !common::series().contains(&series) {
        return Vec::new();
    }
    vec![(series, common::vector(series, "hashers"))]
}

/// The costly tables (real work factors) run as one test per series, in parallel.
macro_rules! per_series {
    ($($module:ident => $series:literal),* $(,)?) => {$(
        mod $module {
            #[test]
            fn encode_matches_django_for_every_class() {
                super::encode_matches_django($series);
            }

            #[test]
            fn check_password_matches_django_truth_tables() {
                super::check_password_matches_django($series);
            }
        }
    )*};
}

per_series! {
    django_3_2 => "3.2",
    django_4_2 => "4.2",
    django_5_0 => "5.0",
    django_5_1 => "5.1",
    django_5_2 => "5.2",
    django_6_0 => "6.0",
    django_6_1 => "6.1",
}

fn encode_matches_django(only: &'static str) {
    for (series, v) in vectors_of(only) {
        for case in &v.encode {
            let mut settings = HasherSettings::for_version(version(series));
            if let Some(&n) = case.params.get("iterations") {
                settings.pbkdf2_iterations = u32::try_from(n).expect("a u32");
            }
            if let Some(&n) = case.params.get("n") {
                settings.scrypt = ScryptParams {
                    work_factor: n,
                    block_size: u32::try_from(case.params["r"]).expect("a u32"),
                    parallelism: u32::try_from(case.params["p"]).expect("a u32"),
                };
            }
            let hashers = Hashers::new(settings, Some(&[case.algorithm.as_str()]))
                .expect("a known algorithm");
            let label = format!(
                "Django {series}: {} {:?} salt {:?}",
                case.class, case.password, case.salt
            );
            let ours = hashers.make_password(case.password.as_bytes(), Some(&case.salt), None);
            match (&case.ok, &case.raises, ours) {
                (Some(expected), None, Ok(ours)) => assert_eq!(&ours, expected, "{label}"),
                (Some(expected), None, Err(HashError::VerifyOnly(_))) => {
                    // Legacy hashers: djtoken does not write them, but must accept Django's.
                    let check = hashers
                        .check_password(case.password.as_bytes(), expected)
                        .expect("verifiable");
                    assert!(check.is_correct, "{label}");
                }
                (None, Some(_), Err(_)) => {}
                (ok, raises, ours) => panic!("{label}: Django {ok:?}/{raises:?}, djtoken {ours:?}"),
            }
        }
    }
}

fn check_password_matches_django(only: &'static str) {
    for (series, v) in vectors_of(only) {
        let mut cache: BTreeMap<Vec<String>, Hashers> = BTreeMap::new();
        for case in &v.check {
            let hashers = cache
                .entry(case.hashers.clone())
                .or_insert_with(|| hashers(series, &case.hashers));
            let ours = hashers.check_password(case.password.as_bytes(), &case.encoded);
            let label = format!(
                "Django {series} {:?}: {:?} against {:?}",
                case.hashers, case.password, case.encoded
            );
            match (&case.ok, &case.raises, ours) {
                (Some(expected), None, Ok(ours)) => {
                    assert_eq!(
                        (ours.is_correct, ours.must_update),
                        (expected.is_correct, expected.must_update),
                        "{label}"
                    );
                }
                // Django raises on a corrupt hash with a known prefix; djtoken answers with an
                // error value. Never a match.
                (None, Some(_), Err(_)) => {}
                // argon2-cffi turns what libargon2 cannot decode into VerificationError, which
                // Django reports as a wrong password; djtoken reports the corrupt hash.
                (Some(expected), None, Err(_))
                    if !expected.is_correct && case.encoded.starts_with("argon2$") => {}
                (ok, raises, ours) => panic!("{label}: Django {ok:?}/{raises:?}, djtoken {ours:?}"),
            }
        }
    }
}

#[test]
fn must_update_matches_django_for_hashes_of_other_versions() {
    for (series, v) in vectors::<HasherVectors>("hashers") {
        for case in &v.must_update {
            let hashers = hashers(series, &case.hashers);
            let ours = hashers.identify_hasher(&case.encoded).and_then(|hasher| {
                let preferred = hashers.default_hasher();
                Ok(hasher.algorithm() != preferred.algorithm()
                    || preferred.must_update(&case.encoded)?)
            });
            let label = format!("Django {series} {:?}: {:?}", case.hashers, case.encoded);
            match (case.ok, &case.raises, ours) {
                (Some(expected), None, Ok(ours)) => assert_eq!(ours, expected, "{label}"),
                (None, Some(_), Err(_)) => {}
                (ok, raises, ours) => panic!("{label}: Django {ok:?}/{raises:?}, djtoken {ours:?}"),
            }
        }
    }
}

#[test]
fn identify_hasher_matches_django_special_cases() {
    for (series, v) in vectors::<HasherVectors>("hashers") {
        let hashers = all_hashers(series);
        for case in &v.identify {
            let ours = hashers
                .identify_hasher(&case.encoded)
                .map(|h| h.algorithm().to_owned())
                .ok();
            assert_eq!(ours, case.ok, "Django {series}: {:?}", case.encoded);
        }
    }
}

#[test]
fn safe_summary_matches_django() {
    for (series, v) in vectors::<HasherVectors>("hashers") {
        let hashers = all_hashers(series);
        for case in &v.safe_summary {
            let ours = hashers
                .identify_hasher(&case.encoded)
                .and_then(|h| h.safe_summary(&case.encoded))
                .map(|s| {
                    s.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Vec<_>>()
                })
                .ok();
            assert_eq!(ours, case.ok, "Django {series}: {:?}", case.encoded);
        }
    }
}
