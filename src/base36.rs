//! `django.utils.http.int_to_base36` / `base36_to_int`, as token timestamps use them.
//!
//! # Which spellings [`base36_to_int`] accepts, and why that is safe
//!
//! Django's `base36_to_int` is Python's `int(s, 36)` behind a 13-code-point limit, so it also
//! takes upper case, surrounding Unicode whitespace, a sign, `_` between digits, leading zeros
//! and any Unicode decimal digit (`'٦y0'` is 9000). djtoken's parser takes only the
//! **canonical** spelling, the one [`int_to_base36`] writes: `0-9a-z`, no leading zero except
//! `"0"` itself, at most 13 characters. Everything else is an error.
//!
//! That gives the same answers as Django wherever Django uses the function: both token checks
//! parse the timestamp, **regenerate the whole token with `int_to_base36`** and compare it with
//! the token they were given. A non-canonical spelling can never equal the regenerated text,
//! so Django rejects every token whose timestamp djtoken refuses to parse. The fixtures prove
//! it for every Django version: each string Django parses and djtoken does not is shown to
//! change under Django's own `int_to_base36(base36_to_int(s))`.
//!
//! Thirteen base-36 digits reach 36¹³ − 1 ≈ 1.7·10²⁰, beyond `u64`, so values are `u128`:
//! every string Django can accept has its exact value here.

/// The 13 code points Django allows before it even parses.
pub const MAX_LEN: usize = 13;

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Why a string is not a canonical base-36 number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base36Error {
    /// The empty string.
    #[error("base36 input is empty")]
    Empty,
    /// More than 13 characters, which Django refuses before parsing ("Base36 input too large").
    #[error("base36 input too large (more than 13 characters)")]
    TooLong,
    /// A character outside `0-9a-z`, or a leading zero: a spelling `int_to_base36` never writes.
    #[error("not a canonical base36 number")]
    NotCanonical,
}

/// `int_to_base36(i)`: lower case, no leading zeros, `0 → "0"`.
///
/// ```
/// use djtoken::base36::int_to_base36;
/// assert_eq!(int_to_base36(9000u64), "6y0");
/// assert_eq!(int_to_base36(46656u64), "1000");
/// ```
pub fn int_to_base36(i: impl Into<u128>) -> String {
    let mut buf = [0u8; 25];
    let s = write_base36(i.into(), &mut buf);
    String::from_utf8(s.to_vec()).expect("base36 digits are ASCII")
}

/// `int_to_base36` into a stack buffer (25 digits hold any `u128`); returns the written part.
#[inline]
pub(crate) fn write_base36(mut i: u128, buf: &mut [u8; 25]) -> &[u8] {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = DIGITS[(i % 36) as usize];
        i /= 36;
        if i == 0 {
            break;
        }
    }
    &buf[pos..]
}

/// `base36_to_int(s)` for canonical spellings; see the module docs for what is refused and why.
///
/// ```
/// use djtoken::base36::{base36_to_int, Base36Error};
/// assert_eq!(base36_to_int("6y0"), Ok(9000));
/// assert_eq!(base36_to_int("zzzzzzzzzzzzz"), Ok(170581728179578208255));
/// assert_eq!(base36_to_int("6Y0"), Err(Base36Error::NotCanonical));
/// assert_eq!(base36_to_int("zzzzzzzzzzzzzz"), Err(Base36Error::TooLong));
/// ```
pub fn base36_to_int(s: &str) -> Result<u128, Base36Error> {
    // Django counts code points; any non-ASCII character is refused below anyway, so a byte
    // count only differs for strings that fail either way.
    if s.len() > MAX_LEN && s.chars().count() > MAX_LEN {
        return Err(Base36Error::TooLong);
    }
    let bytes = s.as_bytes();
    match bytes {
        [] => Err(Base36Error::Empty),
        [b'0'] => Ok(0),
        [b'0', ..] => Err(Base36Error::NotCanonical),
        _ => {
            let mut value: u128 = 0;
            for &b in bytes {
                let digit = match b {
                    b'0'..=b'9' => b - b'0',
                    b'a'..=b'z' => b - b'a' + 10,
                    _ => return Err(Base36Error::NotCanonical),
                };
                // 13 digits stay below 36^13 < 2^68: no overflow is possible.
                value = value * 36 + u128::from(digit);
            }
            Ok(value)
        }
    }
}

/// `int_to_base36(i)` for a non-negative integer of any size, given as its big-endian bytes
/// (Python's `i.to_bytes(n, "big")`): Django's function takes any `int`.
///
/// ```
/// use djtoken::base36::int_to_base36_be;
/// assert_eq!(int_to_base36_be(&[0x23, 0x28]), "6y0");
/// assert_eq!(int_to_base36_be(&[]), "0");
/// ```
pub fn int_to_base36_be(be: &[u8]) -> String {
    // Long division of the bytes by 36, least significant digit first.
    let mut number: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 36) as u8;
            remainder = value % 36;
        }
        digits.push(DIGITS[remainder as usize]);
        let leading = number.iter().take_while(|b| **b == 0).count();
        number.drain(..leading);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base36 digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_size_agrees_with_the_u128_writer() {
        for i in [0u128, 1, 35, 36, 9000, u64::MAX.into(), u128::MAX] {
            assert_eq!(int_to_base36_be(&i.to_be_bytes()), int_to_base36(i), "{i}");
        }
        // 2**128: one past u128, as Python's int_to_base36(2**128) writes it.
        let mut big = vec![1u8];
        big.extend([0u8; 16]);
        assert_eq!(int_to_base36_be(&big), "f5lxx1zz5pnorynqglhzmsp34");
    }

    #[test]
    fn known_values_from_the_spec() {
        assert_eq!(int_to_base36(0u8), "0");
        assert_eq!(int_to_base36(35u8), "z");
        assert_eq!(int_to_base36(36u8), "10");
        assert_eq!(int_to_base36(i64::MAX as u64), "1y2p0ij32e8e7");
        assert_eq!(int_to_base36(u128::MAX), "f5lxx1zz5pnorynqglhzmsp33");
    }

    #[test]
    fn round_trips_every_small_value() {
        for i in 0u128..50_000 {
            assert_eq!(base36_to_int(&int_to_base36(i)), Ok(i));
        }
    }

    #[test]
    fn refuses_what_int_to_base36_never_writes() {
        for s in [
            "00", "06y0", " 6y0", "6y0 ", "+6y0", "-1", "6_y0", "٦y0", "６y0", "\u{212a}", "6y0\0",
        ] {
            assert_eq!(base36_to_int(s), Err(Base36Error::NotCanonical), "{s:?}");
        }
        assert_eq!(base36_to_int(""), Err(Base36Error::Empty));
        assert_eq!(base36_to_int("10000000000000"), Err(Base36Error::TooLong));
    }
}
