//! The one lenient base64 decoder (`djtoken::wire::base64`) against CPython's
//! `base64.b64decode` and `urlsafe_b64decode` on 1,200 inputs each (fixtures/gen/b64.py, under
//! CPython 3.10 and 3.12): padding in the middle, junk, whitespace, `-`/`_`, non-ASCII bytes,
//! truncated groups. Signing, legacy session data, tokenapi's and DRF's Basic credentials all
//! read base64 through it.

mod common;

use common::vector;
use djtoken::wire::base64::{b64decode, urlsafe_b64decode};
use djtoken::wire::hex;
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    cases: Vec<(String, String, String)>,
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn shown(result: Result<Vec<u8>, djtoken::wire::base64::Base64Error>) -> String {
    match result {
        Ok(bytes) => hex::encode(&bytes),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn every_input_decodes_as_cpythons_b64decode_and_urlsafe_b64decode() {
    let mut checked = 0;
    for series in ["3.2", "6.1"] {
        let v: Cases = vector(series, "b64");
        for (input, standard, url_safe) in &v.cases {
            let data = unhex(input);
            assert_eq!(
                &shown(b64decode(&data)),
                standard,
                "{series}: b64decode({data:?})"
            );
            assert_eq!(
                &shown(urlsafe_b64decode(&data)),
                url_safe,
                "{series}: urlsafe_b64decode({data:?})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2_400, "only {checked} inputs");
}
