//! `base64.b64decode` and `base64.urlsafe_b64decode` as CPython runs them (not validating):
//! `binascii.a2b_base64` skips every character outside the alphabet, stops at the first
//! complete `=` padding (`QQ==QUJD` is `b"A"`), and refuses a last group of one character
//! or an incomplete one without its padding. Every base64 djtoken reads from Django's or a
//! client's side goes through here: signed values and cookies, legacy session data, tokenapi's
//! and DRF's `Authorization: Basic`. `fixtures/gen/b64.py` holds it to CPython 3.10 and 3.12.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Why CPython's decoder raises `binascii.Error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    /// A last group of two or three characters without its `=`.
    #[error("Incorrect padding")]
    IncorrectPadding,
    /// A last group of one character.
    #[error(
        "Invalid base64-encoded string: number of data characters ({0}) cannot be 1 more than a multiple of 4"
    )]
    OneTooMany(usize),
}

/// `base64.b64decode(data)`.
pub fn b64decode(data: &[u8]) -> Result<Vec<u8>, Base64Error> {
    // What encoders write decodes strictly, and the same: only other input needs the loop.
    if let Ok(decoded) = STANDARD.decode(data) {
        return Ok(decoded);
    }
    a2b_base64(data.iter().copied())
}

/// `base64.urlsafe_b64decode(data)`: `-` and `_` read as `+` and `/`, then [`b64decode`].
pub fn urlsafe_b64decode(data: &[u8]) -> Result<Vec<u8>, Base64Error> {
    urlsafe_padded(data, 0)
}

/// `urlsafe_b64decode(data + b"=" * padding)`, without copying `data` (Django's
/// `signing.b64_decode` pads what `b64_encode` stripped).
pub fn urlsafe_padded(data: &[u8], padding: usize) -> Result<Vec<u8>, Base64Error> {
    if padding == (4 - data.len() % 4) % 4
        && let Ok(decoded) = URL_SAFE_NO_PAD.decode(data)
    {
        return Ok(decoded);
    }
    let url_safe = data.iter().map(|&b| match b {
        b'-' => b'+',
        b'_' => b'/',
        other => other,
    });
    a2b_base64(url_safe.chain(std::iter::repeat_n(b'=', padding)))
}

/// CPython's `binascii.a2b_base64(data, strict_mode=False)`.
fn a2b_base64(data: impl Iterator<Item = u8>) -> Result<Vec<u8>, Base64Error> {
    let value = |c: u8| -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(data.size_hint().0 / 4 * 3);
    let (mut quad, mut left, mut pads, mut chars) = (0u8, 0u8, 0u8, 0usize);
    for c in data {
        if c == b'=' {
            // Padding counts only after two data characters of a group, and a complete one
            // ends the input.
            if quad >= 2 {
                pads += 1;
                if quad + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(v) = value(c) else { continue };
        pads = 0;
        chars += 1;
        match quad {
            0 => {
                left = v;
                quad = 1;
            }
            1 => {
                out.push((left << 2) | (v >> 4));
                left = v & 0x0f;
                quad = 2;
            }
            2 => {
                out.push((left << 4) | (v >> 2));
                left = v & 0x03;
                quad = 3;
            }
            _ => {
                out.push((left << 6) | v);
                quad = 0;
            }
        }
    }
    match quad {
        0 => Ok(out),
        1 => Err(Base64Error::OneTooMany(chars)),
        _ => Err(Base64Error::IncorrectPadding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reviews_inputs_read_as_cpython_reads_them() {
        assert_eq!(b64decode(b"QQ==QUJD"), Ok(b"A".to_vec()));
        assert_eq!(b64decode(b"YTo=QUJD"), Ok(b"a:".to_vec()));
        assert_eq!(b64decode(b"M*Q=*="), Ok(b"1".to_vec()));
        assert_eq!(b64decode(b"MQ"), Err(Base64Error::IncorrectPadding));
        assert_eq!(b64decode(b"M"), Err(Base64Error::OneTooMany(1)));
        assert_eq!(b64decode(b"!!!!"), Ok(Vec::new()));
        assert_eq!(b64decode(b"-_8="), Err(Base64Error::OneTooMany(1)));
        assert_eq!(urlsafe_b64decode(b"-_8="), Ok(vec![0xfb, 0xff]));
        assert_eq!(urlsafe_padded(b"QQ", 2), Ok(b"A".to_vec()));
    }
}
