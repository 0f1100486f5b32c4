//! JSON as Django's `JSONSerializer` writes and reads it: `json.dumps(obj, separators=(",",
//! ":"))` (ASCII only: every other character, and DEL, as `\uXXXX`; floats as Python's `repr`)
//! encoded as latin-1, and `json.loads` of the bytes decoded as latin-1.

use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// serde_json's compact output with Python's string escapes and float spelling.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json hands over everything it does not escape itself; Python's ensure_ascii
        // also escapes DEL and every non-ASCII character (astral ones as a surrogate pair).
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\x7f' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // The same escapes as Python's (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00XX`).
        CompactFormatter.write_char_escape(writer, escape)
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

pub use crate::wire::pyvalue::python_float_repr;

/// `json.dumps(value, separators=(",", ":")).encode("latin-1")`: always ASCII.
pub fn dumps(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value
        .serialize(&mut serializer)
        .expect("serialising a JSON value into memory cannot fail");
    out
}

/// `json.loads(data.decode("latin-1"))`. Python also reads `NaN`, `Infinity` and integers of
/// any size, which a JSON value cannot hold: those are an error here (serde_json would turn a
/// big integer into a float). `-0` is Python's integer 0.
pub fn loads(data: &[u8]) -> Result<Value, serde_json::Error> {
    match python_exact(data) {
        Some(text) => serde_json::from_str(&text),
        None => Err(serde::de::Error::custom(
            "an integer beyond 64 bits (Python reads it; a JSON value cannot hold it)",
        )),
    }
}

/// The text of `data` (latin-1, borrowed when it is ASCII) as serde_json reads it the way
/// Python's `json` does: `-0` integers spelt `0`; `None` when it holds an integer beyond 64
/// bits, which serde_json would read as a float.
pub fn python_exact(data: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let text = match std::str::from_utf8(data) {
        Ok(ascii) if ascii.is_ascii() => Cow::Borrowed(ascii),
        _ => Cow::Owned(crate::wire::latin1::decode(data)),
    };
    if !may_hold_unusual_integers(text.as_bytes()) {
        return Some(text);
    }
    match integer_tokens(&text) {
        Integers::Plain => Some(text),
        Integers::NegativeZero => Some(Cow::Owned(without_negative_zeros(&text))),
        Integers::TooLarge => None,
    }
}

/// Whether `bytes` has a run of 19 digits or a `-0` anywhere (inside strings too): without
/// either, no integer token can be beyond 64 bits or a negative zero, and the tokens need not
/// be looked at (one pass over the bytes, about a nanosecond for every five).
fn may_hold_unusual_integers(bytes: &[u8]) -> bool {
    let mut run = 0u32;
    let mut previous = 0u8;
    for &b in bytes {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 19 || (b == b'0' && previous == b'-') {
                return true;
            }
        } else {
            run = 0;
        }
        previous = b;
    }
    false
}

enum Integers {
    Plain,
    NegativeZero,
    TooLarge,
}

/// The integer tokens outside strings: any that serde_json would not read as Python does.
fn integer_tokens(text: &str) -> Integers {
    let mut found = Integers::Plain;
    for token in number_tokens(text) {
        if token.contains(['.', 'e', 'E']) {
            continue;
        }
        let digits = token.trim_start_matches('-');
        if digits.len() >= 19 && token.parse::<i64>().is_err() && token.parse::<u64>().is_err() {
            return Integers::TooLarge;
        }
        if token == "-0" {
            found = Integers::NegativeZero;
        }
    }
    found
}

/// The number tokens of a JSON text (outside strings), as slices.
fn number_tokens(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                match b {
                    b'\\' => i += 2,
                    b'"' => {
                        in_string = false;
                        i += 1;
                    }
                    _ => i += 1,
                }
                continue;
            }
            if b == b'"' {
                in_string = true;
                i += 1;
                continue;
            }
            if b == b'-' || b.is_ascii_digit() {
                let start = i;
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || b".eE+-".contains(&bytes[i]))
                {
                    i += 1;
                }
                return Some(&text[start..i]);
            }
            i += 1;
        }
        None
    })
}

/// The text with each `-0` integer token spelt `0`.
fn without_negative_zeros(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for token in number_tokens(text) {
        if token == "-0" {
            let at = token.as_ptr() as usize - text.as_ptr() as usize;
            out.push_str(&text[last..at]);
            out.push('0');
            last = at + token.len();
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_python_reads_them_or_not_at_all() {
        assert_eq!(
            loads(b"[-0, -0.0, \"-0\"]").expect("JSON").to_string(),
            "[0,-0.0,\"-0\"]"
        );
        assert!(loads(b"18446744073709551616").is_err());
        assert!(loads(b"-9223372036854775809").is_err());
        assert_eq!(
            loads(b"18446744073709551615").expect("JSON"),
            Value::from(u64::MAX)
        );
        assert_eq!(
            loads(b"-9223372036854775808").expect("JSON"),
            Value::from(i64::MIN)
        );
        assert_eq!(
            loads(b"[\"12345678901234567890123\"]").expect("JSON")[0],
            "12345678901234567890123"
        );
    }

    #[test]
    fn floats_are_spelt_as_python_repr_spells_them() {
        for (value, python) in [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345.6, "123456789012345.6"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (1e-7, "1e-07"),
            (2.5e300, "2.5e+300"),
            (-3.25, "-3.25"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(python_float_repr(value), python, "{value}");
        }
    }

    #[test]
    fn strings_are_ascii_with_python_escapes() {
        let value = serde_json::json!({"u": "é中😀\u{7f}\u{1}\"\\/\n", "b": [true, null, 1]});
        assert_eq!(
            String::from_utf8(dumps(&value)).expect("ASCII"),
            r#"{"u":"\u00e9\u4e2d\ud83d\ude00\u007f\u0001\"\\/\n","b":[true,null,1]}"#
        );
    }
}
