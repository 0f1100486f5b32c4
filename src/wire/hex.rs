//! `bytes.hex()` / `hexdigest()`: lower-case hexadecimal, two digits per byte.

/// The digits, by value.
pub const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `data.hex()`.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 2);
    for &b in data {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lower_case_two_digits_per_byte() {
        assert_eq!(super::encode(b""), "");
        assert_eq!(super::encode(&[0, 1, 0xab, 0xff]), "0001abff");
    }
}
