//! Python's `int(text)` in base 10, which Django applies to user ids (`IntegerField`) and to
//! the work factors inside password hashes.
//!
//! The grammar is wider than Rust's `str::parse`: surrounding Unicode whitespace, one sign,
//! single `_` between digits, leading zeros, and any Unicode decimal digit (`'١'` is 1). More
//! than 4300 digits is a `ValueError` in CPython (`sys.get_int_max_str_digits()`), and so an
//! error here.

mod digits;

use digits::{DIGIT_ZEROS, WHITESPACE};

/// CPython's default `sys.get_int_max_str_digits()`.
pub const MAX_STR_DIGITS: usize = 4300;

/// What `int(text)` gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyInt {
    /// The value, when it fits in 128 bits.
    Small(i128),
    /// A valid number beyond 128 bits; Python has it, no database column does.
    Huge {
        /// The sign of the huge value.
        negative: bool,
    },
}

impl PyInt {
    /// The value as an `i64`, if it is one.
    pub fn to_i64(self) -> Option<i64> {
        match self {
            PyInt::Small(v) => i64::try_from(v).ok(),
            PyInt::Huge { .. } => None,
        }
    }
}

/// Why `int(text)` raises `ValueError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PyIntError {
    /// `invalid literal for int() with base 10`.
    #[error("not an integer")]
    Invalid,
    /// More digits than CPython converts.
    #[error("more than {MAX_STR_DIGITS} digits")]
    TooManyDigits,
}

fn is_whitespace(c: char) -> bool {
    WHITESPACE.binary_search(&u32::from(c)).is_ok()
}

/// Python's `str.isspace()` (what `str.strip()` and `str.split()` remove): the whitespace
/// `int()` strips, and the separators `\x1c`–`\x1f`.
pub fn is_str_space(c: char) -> bool {
    is_whitespace(c) || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The value of a Unicode decimal digit, as `unicodedata.decimal`.
pub fn decimal_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(u32::from(c) - u32::from('0'));
    }
    let cp = u32::from(c);
    let run = DIGIT_ZEROS.partition_point(|&zero| zero <= cp);
    let zero = *DIGIT_ZEROS.get(run.checked_sub(1)?)?;
    (cp - zero < 10).then_some(cp - zero)
}

/// `int(text)` for base 10.
///
/// ```
/// use djtoken::wire::pyint::{parse_int, PyInt};
/// assert_eq!(parse_int(" +1_000\u{a0}"), Ok(PyInt::Small(1000)));
/// assert_eq!(parse_int("١٢"), Ok(PyInt::Small(12)));
/// assert!(parse_int("1__0").is_err());
/// ```
pub fn parse_int(text: &str) -> Result<PyInt, PyIntError> {
    let text = text.trim_matches(is_whitespace);
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: Option<i128> = Some(0);
    let mut digits = 0usize;
    let mut after_digit = false;
    for c in body.chars() {
        if c == '_' {
            if !after_digit {
                return Err(PyIntError::Invalid);
            }
            after_digit = false;
            continue;
        }
        let d = decimal_value(c).ok_or(PyIntError::Invalid)?;
        digits += 1;
        after_digit = true;
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(i128::from(d)));
    }
    if !after_digit {
        // Empty, a lone sign, or a trailing underscore.
        return Err(PyIntError::Invalid);
    }
    if digits > MAX_STR_DIGITS {
        return Err(PyIntError::TooManyDigits);
    }
    Ok(match value {
        Some(v) if negative => PyInt::Small(-v),
        Some(v) => PyInt::Small(v),
        None => PyInt::Huge { negative },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_python_accepts() {
        for (text, value) in [
            ("0", 0),
            ("007", 7),
            (" 1", 1),
            ("+1", 1),
            ("-1", -1),
            ("1_0", 10),
            ("١", 1),
            ("１", 1),
            ("1\u{a0}", 1),
            ("\u{3000}42\u{2029}", 42),
            ("𝟗", 9),
        ] {
            assert_eq!(parse_int(text), Ok(PyInt::Small(value)), "{text:?}");
        }
    }

    #[test]
    fn refuses_what_python_refuses() {
        for text in [
            "",
            " ",
            "+",
            "-",
            "abc",
            "1.5",
            "1\0",
            "_1",
            "1_",
            "1__0",
            "+-1",
            "- 1",
            "1 1",
            "\u{1c}1",
            "\u{200b}1",
            "0x10",
        ] {
            assert_eq!(parse_int(text), Err(PyIntError::Invalid), "{text:?}");
        }
        assert_eq!(parse_int(&"1".repeat(4301)), Err(PyIntError::TooManyDigits));
        assert!(matches!(
            parse_int(&"9".repeat(4300)),
            Ok(PyInt::Huge { negative: false })
        ));
        assert_eq!(
            parse_int(&format!("-{}", "0".repeat(4300))),
            Ok(PyInt::Small(0))
        );
    }

    #[test]
    fn i64_range() {
        assert_eq!(
            parse_int("9223372036854775807").map(PyInt::to_i64),
            Ok(Some(i64::MAX))
        );
        assert_eq!(
            parse_int("9223372036854775808").map(PyInt::to_i64),
            Ok(None)
        );
    }
}
