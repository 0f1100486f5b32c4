//! Reading requests the way Django does: the decoded path. (`QueryDict`s and
//! `@token_required`'s credentials are the gate's: [`crate::gate::params`].)

pub use crate::gate::params::{Params, post_params};

/// Django's `PATH_INFO`: percent-decoded as UTF-8; bytes that are not UTF-8 stay
/// percent-encoded (`repercent_broken_unicode`), so they can never match a pattern.
pub fn decode_path(raw: &str) -> String {
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    let mut out = String::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).expect("checked valid"));
                let bad = e.error_len().unwrap_or(after.len());
                for b in &after[..bad] {
                    out.push_str(&format!("%{b:02X}"));
                }
                rest = &after[bad..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_like_django() {
        assert_eq!(decode_path("/token/%D9%A1.json"), "/token/\u{661}.json");
        assert_eq!(decode_path("/a%FFb"), "/a%FFb");
        assert_eq!(decode_path("/a%0A"), "/a\n");
    }
}
