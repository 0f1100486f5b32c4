//! Latin-1, as Python decodes bytes Django never interprets otherwise: WSGI hands every
//! request header to Django as latin-1 text, `JSONSerializer` reads signed payloads as latin-1,
//! and argon2-cffi's salts come back that way. One character per byte, never an error.

/// `bytes.decode("latin-1")`.
pub fn decode(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// [`decode`], borrowing ASCII (the same text either way) instead of copying it.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(ascii) if ascii.is_ascii() => std::borrow::Cow::Borrowed(ascii),
        _ => std::borrow::Cow::Owned(decode(bytes)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_byte_is_the_code_point_of_its_value() {
        let all: Vec<u8> = (0..=255).collect();
        let text = super::decode(&all);
        assert_eq!(text.chars().count(), 256);
        assert!(text.chars().zip(0u32..).all(|(c, n)| c as u32 == n));
        // UTF-8 is not how WSGI reads a header: each byte is one character.
        assert_eq!(super::text("é".as_bytes()), "Ã©");
        assert!(matches!(
            super::text(b"ascii"),
            std::borrow::Cow::Borrowed("ascii")
        ));
    }
}
