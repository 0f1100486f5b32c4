//! The writer: the bytes CPython's pickler writes for plain data.

use crate::wire::pyvalue::{PyValue, int_to_le_bytes};

fn memoize(out: &mut Vec<u8>, memo: &mut usize) {
    out.push(0x94);
    *memo += 1;
}

/// A `str` as its UTF-8 ("surrogatepass") bytes.
fn write_text(out: &mut Vec<u8>, s: &[u8], memo: &mut usize) {
    let len = s.len();
    if len < 256 {
        out.push(0x8c);
        out.push(len as u8);
    } else if let Ok(len) = u32::try_from(len) {
        out.push(b'X');
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        out.push(0x8d);
        out.extend_from_slice(&(len as u64).to_le_bytes());
    }
    out.extend_from_slice(s);
    memoize(out, memo);
}

/// Any value a session holds, as CPython's pickler writes it (lists and dicts in batches of
/// 1,000, strings and containers memoised, integers as small as their opcode allows).
pub(super) fn write_py(out: &mut Vec<u8>, value: &PyValue, memo: &mut usize) {
    match value {
        PyValue::None => out.push(b'N'),
        PyValue::Bool(true) => out.push(0x88),
        PyValue::Bool(false) => out.push(0x89),
        PyValue::Int(digits) => match digits.parse::<i128>() {
            Ok(v) => write_int(out, v),
            Err(_) => {
                let bytes = int_to_le_bytes(digits);
                match u8::try_from(bytes.len()) {
                    Ok(n) => out.extend_from_slice(&[0x8a, n]),
                    Err(_) => {
                        out.push(0x8b);
                        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                    }
                }
                out.extend_from_slice(&bytes);
            }
        },
        PyValue::Float(f) => {
            out.push(b'G');
            out.extend_from_slice(&f.to_be_bytes());
        }
        PyValue::Str(s) => write_text(out, s.as_surrogatepass(), memo),
        PyValue::List(items) => {
            out.push(b']');
            memoize(out, memo);
            for batch in items.chunks(1000) {
                if let [item] = batch {
                    write_py(out, item, memo);
                    out.push(b'a');
                } else {
                    out.push(b'(');
                    for item in batch {
                        write_py(out, item, memo);
                    }
                    out.push(b'e');
                }
            }
        }
        PyValue::Dict(members) => {
            out.push(b'}');
            memoize(out, memo);
            for batch in members.chunks(1000) {
                if let [(key, value)] = batch {
                    write_py(out, key, memo);
                    write_py(out, value, memo);
                    out.push(b's');
                } else {
                    out.push(b'(');
                    for (key, value) in batch {
                        write_py(out, key, memo);
                        write_py(out, value, memo);
                    }
                    out.push(b'u');
                }
            }
        }
    }
}

/// BININT1, BININT2, BININT or LONG1, as CPython chooses.
fn write_int(out: &mut Vec<u8>, v: i128) {
    if (0..256).contains(&v) {
        out.extend_from_slice(&[b'K', v as u8]);
    } else if (0..65536).contains(&v) {
        out.push(b'M');
        out.extend_from_slice(&(v as u16).to_le_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        out.push(b'J');
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        // The fewest little-endian two's-complement bytes that keep the sign.
        let bytes = v.to_le_bytes();
        let mut n = bytes.len();
        while n > 1 {
            let (last, prev) = (bytes[n - 1], bytes[n - 2]);
            let redundant = (last == 0 && prev & 0x80 == 0) || (last == 0xff && prev & 0x80 != 0);
            if !redundant {
                break;
            }
            n -= 1;
        }
        out.extend_from_slice(&[0x8a, n as u8]);
        out.extend_from_slice(&bytes[..n]);
    }
}
