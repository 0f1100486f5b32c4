//! The plain values of Python that Django keeps in a session (`None`, `bool`, `int` of any
//! size, `float` with `nan` and the infinities, `str` with lone surrogates, lists and dicts)
//! and Python's `json` module as Django's `JSONSerializer` uses it: `json.loads` of text
//! decoded as latin-1, and `json.dumps(value, separators=(",", ":"))` (ASCII only, `NaN`,
//! `Infinity`, floats spelt as `repr` spells them).
//!
//! A JSON value ([`serde_json::Value`]) holds most of what a session holds; this type holds
//! the rest, which djtoken carries without understanding it (see
//! `sessions::SessionData`). Core: no I/O.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// CPython's default `sys.get_int_max_str_digits()`: `json.loads` of a longer integer raises.
const MAX_INT_DIGITS: usize = 4300;
/// Deeper nesting is refused (CPython's limit is its recursion limit, about 1,000 frames).
pub const MAX_DEPTH: usize = 512;

/// A Python value.
#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True`, `False`.
    Bool(bool),
    /// An `int`, in decimal (`-` only before a non-zero value).
    Int(String),
    /// A `float`, `nan` and the infinities included.
    Float(f64),
    /// A `str`.
    Str(PyStr),
    /// A `list` (or a `tuple`, which JSON and djtoken read as a list).
    List(Vec<PyValue>),
    /// A `dict`, in its order.
    Dict(Vec<(PyValue, PyValue)>),
}

/// A Python `str` as `str.encode("utf-8", "surrogatepass")` spells it: UTF-8, where each lone
/// surrogate (which Python's `str` may hold and Rust's may not) is three bytes of its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PyStr(Vec<u8>);

/// Why text is not JSON Python reads, or not a value of the kind asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PyJsonError(pub &'static str);

impl PyStr {
    /// The bytes of `str.encode("utf-8", "surrogatepass")`, when they are that (as a pickle's
    /// `BINUNICODE` holds them).
    pub fn from_surrogatepass(bytes: &[u8]) -> Option<PyStr> {
        let mut i = 0;
        while i < bytes.len() {
            i += code_point(&bytes[i..])?.1;
        }
        Some(PyStr(bytes.to_vec()))
    }

    /// `str.encode("utf-8", "surrogatepass")`.
    pub fn as_surrogatepass(&self) -> &[u8] {
        &self.0
    }

    /// The text, when it holds no lone surrogate.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    fn push(&mut self, c: u32) {
        let mut buf = [0u8; 4];
        match char::from_u32(c) {
            Some(c) => self.0.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
            // A surrogate: the three bytes UTF-8 would give it.
            None => self.0.extend_from_slice(&[
                0xE0 | (c >> 12) as u8,
                0x80 | ((c >> 6) & 0x3F) as u8,
                0x80 | (c & 0x3F) as u8,
            ]),
        }
    }

    /// The code points, surrogates included.
    pub fn code_points(&self) -> impl Iterator<Item = u32> + '_ {
        let mut i = 0;
        std::iter::from_fn(move || {
            let (c, len) = code_point(&self.0[i..])?;
            i += len;
            Some(c)
        })
    }
}

impl From<&str> for PyStr {
    fn from(s: &str) -> PyStr {
        PyStr(s.as_bytes().to_vec())
    }
}

/// The code point at the start of `bytes` (UTF-8, surrogates allowed) and its length.
fn code_point(bytes: &[u8]) -> Option<(u32, usize)> {
    let b0 = *bytes.first()?;
    let cont = |i: usize| -> Option<u32> {
        let b = *bytes.get(i)?;
        (b & 0xC0 == 0x80).then_some(u32::from(b & 0x3F))
    };
    match b0 {
        0x00..=0x7F => Some((u32::from(b0), 1)),
        0xC2..=0xDF => Some(((u32::from(b0 & 0x1F) << 6) | cont(1)?, 2)),
        0xE0..=0xEF => {
            let c = (u32::from(b0 & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?;
            (c >= 0x800).then_some((c, 3))
        }
        0xF0..=0xF4 => {
            let c = (u32::from(b0 & 0x07) << 18) | (cont(1)? << 12) | (cont(2)? << 6) | cont(3)?;
            (0x10000..=0x10FFFF).contains(&c).then_some((c, 4))
        }
        _ => None,
    }
}

impl PyValue {
    /// `json.loads(data.decode("latin-1"))`.
    pub fn from_json(data: &[u8]) -> Result<PyValue, PyJsonError> {
        let mut reader = Reader { data, pos: 0 };
        reader.space();
        let value = reader.value(0)?;
        reader.space();
        if reader.pos != data.len() {
            return Err(PyJsonError("extra data"));
        }
        Ok(value)
    }

    /// `json.dumps(value, separators=(",", ":")).encode("latin-1")`: always ASCII. `None` for
    /// what `json.dumps` raises on (a dict key that is a list or a dict).
    pub fn to_json(&self) -> Option<Vec<u8>> {
        let mut out = String::new();
        self.write_json(&mut out)?;
        Some(out.into_bytes())
    }

    pub(crate) fn write_json(&self, out: &mut String) -> Option<()> {
        match self {
            PyValue::None => out.push_str("null"),
            PyValue::Bool(true) => out.push_str("true"),
            PyValue::Bool(false) => out.push_str("false"),
            PyValue::Int(digits) => out.push_str(digits),
            PyValue::Float(f) => out.push_str(&python_float_repr(*f)),
            PyValue::Str(s) => write_json_str(out, s),
            PyValue::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out)?;
                }
                out.push(']');
            }
            PyValue::Dict(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_key(out, key)?;
                    out.push(':');
                    value.write_json(out)?;
                }
                out.push('}');
            }
        }
        Some(())
    }

    /// The value as a JSON value, when one holds it: no `nan` or infinity, no integer beyond
    /// 64 bits, no lone surrogate, dict keys that are `str`.
    pub fn to_value(&self) -> Option<Value> {
        Some(match self {
            PyValue::None => Value::Null,
            PyValue::Bool(b) => Value::Bool(*b),
            PyValue::Int(digits) => match digits.parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => Value::from(digits.parse::<u64>().ok()?),
            },
            PyValue::Float(f) => Value::Number(Number::from_f64(*f)?),
            PyValue::Str(s) => Value::String(s.as_str()?.to_owned()),
            PyValue::List(items) => {
                Value::Array(items.iter().map(PyValue::to_value).collect::<Option<_>>()?)
            }
            PyValue::Dict(members) => {
                let mut map = Map::new();
                for (key, value) in members {
                    let PyValue::Str(key) = key else { return None };
                    map.insert(key.as_str()?.to_owned(), value.to_value()?);
                }
                Value::Object(map)
            }
        })
    }

    /// What Python's `json.loads` makes of a JSON value's text.
    pub fn from_value(value: &Value) -> PyValue {
        match value {
            Value::Null => PyValue::None,
            Value::Bool(b) => PyValue::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => PyValue::Int(i.to_string()),
                (_, Some(u), _) => PyValue::Int(u.to_string()),
                (_, _, f) => PyValue::Float(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => PyValue::Str(PyStr::from(s.as_str())),
            Value::Array(items) => PyValue::List(items.iter().map(PyValue::from_value).collect()),
            Value::Object(map) => PyValue::Dict(
                map.iter()
                    .map(|(k, v)| {
                        (
                            PyValue::Str(PyStr::from(k.as_str())),
                            PyValue::from_value(v),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// A dict key as `json.dumps` writes it: a `str` as it is; `int`, `float`, `bool` and `None`
/// as their JSON text in quotes (`{1: 2}` is `{"1":2}`).
fn write_json_key(out: &mut String, key: &PyValue) -> Option<()> {
    match key {
        PyValue::Str(s) => write_json_str(out, s),
        PyValue::List(_) | PyValue::Dict(_) => return None,
        other => {
            let mut text = String::new();
            other.write_json(&mut text)?;
            out.push('"');
            out.push_str(&text);
            out.push('"');
        }
    }
    Some(())
}

/// A `str` as `json.dumps` writes it with `ensure_ascii`: printable ASCII as it is (but `"`
/// and `\`), the usual short escapes, every other code point as `\uXXXX` (astral ones as a
/// surrogate pair).
fn write_json_str(out: &mut String, s: &PyStr) {
    out.push('"');
    for c in s.code_points() {
        match c {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            0x20..=0x7E => out.push(char::from(c as u8)),
            0x10000.. => {
                let v = c - 0x10000;
                let _ = write!(
                    out,
                    "\\u{:04x}\\u{:04x}",
                    0xD800 + (v >> 10),
                    0xDC00 + (v & 0x3FF)
                );
            }
            _ => {
                let _ = write!(out, "\\u{c:04x}");
            }
        }
    }
    out.push('"');
}

/// `repr(float)`: the shortest digits that read back, in fixed notation when the decimal
/// exponent is in -4..16 (always with a `.0` or fraction), else `d.ddde±XX`; `NaN`,
/// `Infinity` and `-Infinity` as `json.dumps` spells them.
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

/// `json.loads` over latin-1 text: one byte is one character.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.data[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, PyJsonError> {
        if depth > MAX_DEPTH {
            return Err(PyJsonError("nested too deeply"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                self.pos += 1;
                self.string().map(PyValue::Str)
            }
            Some(b'n') if self.literal(b"null") => Ok(PyValue::None),
            Some(b't') if self.literal(b"true") => Ok(PyValue::Bool(true)),
            Some(b'f') if self.literal(b"false") => Ok(PyValue::Bool(false)),
            Some(b'N') if self.literal(b"NaN") => Ok(PyValue::Float(f64::NAN)),
            Some(b'I') if self.literal(b"Infinity") => Ok(PyValue::Float(f64::INFINITY)),
            Some(b'-') if self.data[self.pos..].starts_with(b"-Infinity") => {
                self.pos += 9;
                Ok(PyValue::Float(f64::NEG_INFINITY))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(PyJsonError("expecting value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<PyValue, PyJsonError> {
        self.pos += 1;
        let mut members: Vec<(PyValue, PyValue)> = Vec::new();
        let mut index: HashMap<PyStr, usize> = HashMap::new();
        self.space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(PyValue::Dict(members));
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(PyJsonError(
                    "expecting property name enclosed in double quotes",
                ));
            }
            self.pos += 1;
            let key = self.string()?;
            self.space();
            if self.peek() != Some(b':') {
                return Err(PyJsonError("expecting ':' delimiter"));
            }
            self.pos += 1;
            self.space();
            let value = self.value(depth + 1)?;
            // A repeated key keeps its first place and takes the last value, as a dict does.
            match index.entry(key) {
                Entry::Occupied(at) => members[*at.get()].1 = value,
                Entry::Vacant(slot) => {
                    members.push((PyValue::Str(slot.key().clone()), value));
                    slot.insert(members.len() - 1);
                }
            }
            self.space();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.space();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(PyValue::Dict(members));
                }
                _ => return Err(PyJsonError("expecting ',' delimiter")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<PyValue, PyJsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(PyValue::List(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.space();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.space();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(PyValue::List(items));
                }
                _ => return Err(PyJsonError("expecting ',' delimiter")),
            }
        }
    }

    /// After the opening quote: `py_scanstring` with `strict=True`.
    fn string(&mut self) -> Result<PyStr, PyJsonError> {
        let mut out = PyStr(Vec::new());
        loop {
            let Some(b) = self.peek() else {
                return Err(PyJsonError("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(PyJsonError("unterminated string"));
                    };
                    self.pos += 1;
                    let c = match e {
                        b'"' => 0x22,
                        b'\\' => 0x5C,
                        b'/' => 0x2F,
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => 0x0A,
                        b'r' => 0x0D,
                        b't' => 0x09,
                        b'u' => {
                            let mut c = self.hex4()?;
                            // A high surrogate followed by an escaped low one is one character.
                            if (0xD800..0xDC00).contains(&c)
                                && self.data[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                                } else {
                                    self.pos = save;
                                }
                            }
                            c
                        }
                        _ => return Err(PyJsonError("invalid \\escape")),
                    };
                    out.push(c);
                }
                0x00..=0x1F => return Err(PyJsonError("invalid control character")),
                _ => out.push(u32::from(b)),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, PyJsonError> {
        let digits = self
            .data
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or(PyJsonError("invalid \\uXXXX escape"))?;
        self.pos += 4;
        let text = std::str::from_utf8(digits).expect("hex digits are ASCII");
        Ok(u32::from_str_radix(text, 16).expect("four hex digits"))
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`: an `int` without fraction or exponent, else
    /// `float()` of the text.
    fn number(&mut self) -> Result<PyValue, PyJsonError> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while matches!(r.peek(), Some(b'0'..=b'9')) {
                r.pos += 1;
            }
            r.pos - from
        };
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else if digits(self) == 0 {
            return Err(PyJsonError("expecting value"));
        }
        let int_end = self.pos;
        let mut float = false;
        if self.peek() == Some(b'.') && matches!(self.data.get(self.pos + 1), Some(b'0'..=b'9')) {
            self.pos += 1;
            digits(self);
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                self.pos = save; // "1e" is the number 1 followed by extra data
            } else {
                float = true;
            }
        }
        let text = std::str::from_utf8(&self.data[start..self.pos]).expect("ASCII");
        if float {
            return text
                .parse::<f64>()
                .map(PyValue::Float)
                .map_err(|_| PyJsonError("not a float"));
        }
        let magnitude = std::str::from_utf8(&self.data[int_start..int_end]).expect("ASCII");
        if magnitude.len() > MAX_INT_DIGITS {
            return Err(PyJsonError("an integer of more digits than Python reads"));
        }
        Ok(PyValue::Int(if negative && magnitude != "0" {
            format!("-{magnitude}")
        } else {
            magnitude.to_owned()
        }))
    }
}

/// Two's complement, little-endian, as few bytes as hold the value (`LONG1`'s bytes) of a
/// decimal integer.
pub fn int_to_le_bytes(decimal: &str) -> Vec<u8> {
    let (negative, digits) = match decimal.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, decimal),
    };
    // The magnitude in base 2**32, least significant first.
    let mut limbs: Vec<u32> = vec![0];
    for d in digits.bytes() {
        let mut carry = u64::from(d - b'0');
        for limb in &mut limbs {
            let v = u64::from(*limb) * 10 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    bytes.push(0); // room for the sign bit
    if negative {
        // Two's complement: invert and add one.
        let mut carry = 1u16;
        for b in &mut bytes {
            let v = u16::from(!*b) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
    }
    while bytes.len() > 1 {
        let (last, prev) = (bytes[bytes.len() - 1], bytes[bytes.len() - 2]);
        let redundant = (last == 0 && prev & 0x80 == 0) || (last == 0xff && prev & 0x80 != 0);
        if !redundant {
            break;
        }
        bytes.pop();
    }
    bytes
}

/// The decimal integer of two's complement, little-endian bytes (`LONG1`, `LONG4`).
pub fn int_from_le_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "0".into();
    }
    let negative = bytes[bytes.len() - 1] & 0x80 != 0;
    let mut magnitude = bytes.to_vec();
    if negative {
        let mut carry = 1u16;
        for b in &mut magnitude {
            let v = u16::from(!*b) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
    }
    // Base 2**32 limbs, most significant first, divided by 10**9 until nothing is left.
    let mut limbs: Vec<u32> = magnitude
        .chunks(4)
        .rev()
        .map(|c| {
            let mut word = [0u8; 4];
            word[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(word)
        })
        .collect();
    let mut groups = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for limb in &mut limbs {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / 1_000_000_000) as u32;
            rem = v % 1_000_000_000;
        }
        groups.push(rem as u32);
    }
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    match groups.split_last() {
        None => return "0".into(),
        Some((first, rest)) => {
            let _ = write!(text, "{first}");
            for g in rest.iter().rev() {
                let _ = write!(text, "{g:09}");
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let value = PyValue::from_json(text.as_bytes()).expect(text);
        String::from_utf8(value.to_json().expect("writable")).expect("ASCII")
    }

    #[test]
    fn what_only_python_reads_is_read_and_written_back() {
        assert_eq!(
            round_trip(
                r#"{"a": NaN, "b": [Infinity, -Infinity], "c": 123456789012345678901234567890, "d": -0}"#
            ),
            r#"{"a":NaN,"b":[Infinity,-Infinity],"c":123456789012345678901234567890,"d":0}"#
        );
        assert_eq!(
            round_trip(r#""\ud800x\udc00\ud83d\ude00""#),
            r#""\ud800x\udc00\ud83d\ude00""#
        );
        assert_eq!(
            round_trip(r#"{"k": 1, "k": 2, "j": 1e400}"#),
            r#"{"k":2,"j":Infinity}"#
        );
        let latin1 = PyValue::from_json(b"\"\xe9\"").expect("latin-1 text");
        assert_eq!(latin1.to_json().expect("writable"), br#""\u00e9""#);
        for bad in [
            "",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "\"\\x\"",
            "\"\u{1}\"",
            "[1] x",
            "nul",
            "-",
        ] {
            assert!(PyValue::from_json(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn integers_cross_between_decimal_and_pickle_bytes() {
        for (decimal, bytes) in [
            ("0", vec![0u8]),
            ("127", vec![0x7f]),
            ("128", vec![0x80, 0x00]),
            ("-1", vec![0xff]),
            ("-128", vec![0x80]),
            ("-129", vec![0x7f, 0xff]),
            ("18446744073709551616", vec![0, 0, 0, 0, 0, 0, 0, 0, 1]),
            ("-18446744073709551616", vec![0, 0, 0, 0, 0, 0, 0, 0, 0xff]),
        ] {
            assert_eq!(int_to_le_bytes(decimal), bytes, "{decimal}");
            assert_eq!(int_from_le_bytes(&bytes), decimal, "{decimal}");
        }
        let big = "1".repeat(300);
        assert_eq!(int_from_le_bytes(&int_to_le_bytes(&big)), big);
        assert_eq!(
            int_from_le_bytes(&int_to_le_bytes(&format!("-{big}"))),
            format!("-{big}")
        );
    }
}
