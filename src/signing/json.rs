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

/// `repr(float)`: the shortest digits that read back, in fixed notation when the decimal
/// exponent is in -4..16 (always with a `.0` or fraction), else `d.ddde±XX`.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.5e-5", "-1e16", "0e0".
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("{:e} always writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes a decimal exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{text}")
    } else {
        let mantissa = if digits.len() == 1 {
            digits
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

/// `json.dumps(value, separators=(",", ":")).encode("latin-1")`: always ASCII.
pub fn dumps(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value
        .serialize(&mut serializer)
        .expect("serialising a JSON value into memory cannot fail");
    out
}

/// `json.loads(data.decode("latin-1"))`. Python also reads `NaN` and `Infinity`, which a JSON
/// value cannot hold: those are an error here.
pub fn loads(data: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_str(&crate::latin1::decode(data))
}

#[cfg(test)]
mod tests {
    use super::*;

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
