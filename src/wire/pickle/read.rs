//! The reader: opcodes onto a stack of shared values, then expanded under a budget.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::rc::Rc;

use super::{MAX_DEPTH, MAX_NODES, PickleError, expansion_budget};
use crate::wire::pyvalue::{PyStr, PyValue, int_from_le_bytes};

type Shared<T> = Rc<RefCell<T>>;

/// A value while it is being unpickled: containers are shared, as Python's objects are,
/// so a reference taken from the memo sees the items added after it was memoised.
#[derive(Clone)]
enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// A `str` with a lone surrogate, as `encode("utf-8", "surrogatepass")` spells it.
    Surrogates(Rc<[u8]>),
    /// An `int` beyond 64 bits, in decimal.
    BigInt(Rc<str>),
    List(Shared<Vec<Obj>>),
    Tuple(Rc<Vec<Obj>>),
    Dict(Shared<Dict>),
    /// Data djtoken does not read but CPython builds without running code (bytes, a set):
    /// refused only if the session holds it, as a leftover on the stack is not.
    Foreign(&'static str),
}

impl Drop for Obj {
    /// Without recursion: 50,000 nested tuples are 50 kB of pickle, and dropping them the
    /// usual way, each inside the other, overflows the stack.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.take_children(&mut pending);
        while let Some(mut obj) = pending.pop() {
            obj.take_children(&mut pending);
            // `obj` holds no children now: dropping it goes no deeper.
        }
    }
}

impl Obj {
    /// Move this value's items into `into`, if nothing else refers to it.
    fn take_children(&mut self, into: &mut Vec<Obj>) {
        match self {
            Obj::Tuple(items) => {
                if let Some(items) = Rc::get_mut(items) {
                    into.append(items);
                }
            }
            Obj::List(items) => {
                if let Some(items) = Rc::get_mut(items) {
                    into.append(items.get_mut());
                }
            }
            Obj::Dict(dict) => {
                if let Some(dict) = Rc::get_mut(dict) {
                    dict.get_mut().drain_into(into);
                }
            }
            Obj::Null
            | Obj::Bool(_)
            | Obj::Int(_)
            | Obj::Float(_)
            | Obj::Str(_)
            | Obj::Surrogates(_)
            | Obj::BigInt(_)
            | Obj::Foreign(_) => {}
        }
    }
}

/// A dict key as Python's dict hashes and compares it (`1 == True`); other keys (floats,
/// tuples) are never equal to another here.
#[derive(PartialEq, Eq, Hash)]
enum Key {
    Str(Rc<str>),
    Surrogates(Rc<[u8]>),
    Int(i64),
    BigInt(Rc<str>),
    Null,
}

impl Key {
    fn of(obj: &Obj) -> Option<Key> {
        match obj {
            Obj::Str(s) => Some(Key::Str(Rc::clone(s))),
            Obj::Surrogates(s) => Some(Key::Surrogates(Rc::clone(s))),
            Obj::Int(v) => Some(Key::Int(*v)),
            Obj::BigInt(v) => Some(Key::BigInt(Rc::clone(v))),
            Obj::Bool(v) => Some(Key::Int(i64::from(*v))),
            Obj::Null => Some(Key::Null),
            _ => None,
        }
    }
}

/// A dict: its items in insertion order, and where each key is (40,000 keys are found by
/// hash, not by a search through the others).
#[derive(Default)]
struct Dict {
    entries: Vec<(Obj, Obj)>,
    index: HashMap<Key, usize>,
}

impl Dict {
    /// `d[key] = value`: a repeated key keeps its place and takes the new value.
    fn set(&mut self, key: Obj, value: Obj) {
        match Key::of(&key) {
            Some(k) => match self.index.entry(k) {
                Entry::Occupied(at) => self.entries[*at.get()].1 = value,
                Entry::Vacant(slot) => {
                    slot.insert(self.entries.len());
                    self.entries.push((key, value));
                }
            },
            None => self.entries.push((key, value)),
        }
    }

    fn drain_into(&mut self, into: &mut Vec<Obj>) {
        self.index.clear();
        for (key, value) in self.entries.drain(..) {
            into.push(key);
            into.push(value);
        }
    }
}

/// One entry of the stack: a value or a MARK.
enum Slot {
    Mark,
    Obj(Obj),
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Slot>,
    memo: Vec<Option<Obj>>,
    /// Every list and dict made, emptied when the reader is dropped: a pickle can make a
    /// container that holds itself, a cycle reference counting alone would never free.
    made: Vec<Obj>,
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        // Empty every list and dict, breaking cycles; what they held is dropped one by one.
        let mut pending = Vec::new();
        for obj in &self.made {
            match obj {
                Obj::List(items) => {
                    if let Ok(mut items) = items.try_borrow_mut() {
                        pending.append(&mut items);
                    }
                }
                Obj::Dict(dict) => {
                    if let Ok(mut dict) = dict.try_borrow_mut() {
                        dict.drain_into(&mut pending);
                    }
                }
                _ => {}
            }
        }
        drop(pending);
    }
}

fn malformed<T>(what: &'static str) -> Result<T, PickleError> {
    Err(PickleError::Malformed(what))
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.data.len() => {
                let bytes = &self.data[self.pos..end];
                self.pos = end;
                Ok(bytes)
            }
            _ => malformed("truncated"),
        }
    }

    fn byte(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn le(&mut self, n: usize) -> Result<u64, PickleError> {
        let bytes = self.take(n)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn line(&mut self) -> Result<&'a [u8], PickleError> {
        let rest = &self.data[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return malformed("a text argument without its newline");
        };
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    fn length(&mut self, n: usize) -> Result<usize, PickleError> {
        let len = self.le(n)?;
        // A length beyond what is left is a truncated pickle, whatever it claims.
        match usize::try_from(len) {
            Ok(len) if len <= self.data.len() - self.pos => Ok(len),
            _ => malformed("truncated"),
        }
    }

    fn text(&mut self, len: usize) -> Result<Obj, PickleError> {
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Obj::Str(Rc::from(s))),
            // Python's pickler writes a lone surrogate as "surrogatepass" does.
            Err(_) => match PyStr::from_surrogatepass(bytes) {
                Some(_) => Ok(Obj::Surrogates(Rc::from(bytes))),
                None => malformed("a str that is not UTF-8"),
            },
        }
    }

    fn push(&mut self, obj: Obj) {
        self.stack.push(Slot::Obj(obj));
    }

    /// A new list or dict, remembered for [`Drop`].
    fn push_container(&mut self, obj: Obj) {
        self.made.push(obj.clone());
        self.push(obj);
    }

    fn pop(&mut self) -> Result<Obj, PickleError> {
        match self.stack.pop() {
            Some(Slot::Obj(obj)) => Ok(obj),
            Some(Slot::Mark) => malformed("a MARK where a value was expected"),
            None => malformed("stack underflow"),
        }
    }

    fn top(&self) -> Result<Obj, PickleError> {
        match self.stack.last() {
            Some(Slot::Obj(obj)) => Ok(obj.clone()),
            _ => malformed("no value to memoise"),
        }
    }

    /// The values above the topmost MARK, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<Obj>, PickleError> {
        let Some(mark) = self.stack.iter().rposition(|s| matches!(s, Slot::Mark)) else {
            return malformed("no MARK");
        };
        let items = self
            .stack
            .drain(mark + 1..)
            .map(|slot| match slot {
                Slot::Obj(obj) => obj,
                Slot::Mark => unreachable!("the topmost MARK is at `mark`"),
            })
            .collect();
        self.stack.pop();
        Ok(items)
    }

    fn memo_put(&mut self, index: u64) -> Result<(), PickleError> {
        let obj = self.top()?;
        let index = usize::try_from(index)
            .ok()
            .filter(|&i| i <= MAX_NODES)
            .ok_or(PickleError::TooLarge("memo index"))?;
        if self.memo.len() <= index {
            self.memo.resize(index + 1, None);
        }
        self.memo[index] = Some(obj);
        Ok(())
    }

    fn memo_get(&mut self, index: u64) -> Result<(), PickleError> {
        let obj = usize::try_from(index)
            .ok()
            .and_then(|i| self.memo.get(i))
            .and_then(Option::clone);
        match obj {
            Some(obj) => {
                self.push(obj);
                Ok(())
            }
            None => malformed("a memo reference to nothing"),
        }
    }

    fn set_items(&mut self, items: Vec<Obj>) -> Result<(), PickleError> {
        if !items.len().is_multiple_of(2) {
            return malformed("a key without a value");
        }
        let target = self.pop()?;
        let Obj::Dict(dict) = &target else {
            return malformed("SETITEMS on something that is not a dict");
        };
        {
            let Ok(mut dict) = dict.try_borrow_mut() else {
                return malformed("a dict updated while it is read");
            };
            let mut pairs = items.into_iter();
            while let (Some(k), Some(v)) = (pairs.next(), pairs.next()) {
                dict.set(k, v);
            }
        }
        self.push(target);
        Ok(())
    }

    fn append(&mut self, items: Vec<Obj>) -> Result<(), PickleError> {
        let target = self.pop()?;
        let Obj::List(list) = &target else {
            return malformed("APPENDS on something that is not a list");
        };
        match list.try_borrow_mut() {
            Ok(mut list) => list.extend(items),
            Err(_) => return malformed("a list extended while it is read"),
        }
        self.push(target);
        Ok(())
    }

    fn run(&mut self) -> Result<Obj, PickleError> {
        loop {
            if self.stack.len() > MAX_NODES {
                return Err(PickleError::TooLarge("stack"));
            }
            let op = self.byte()?;
            match op {
                // PROTO n
                0x80 => {
                    if self.byte()? > 5 {
                        return Err(PickleError::Unsupported("a pickle protocol above 5".into()));
                    }
                }
                // FRAME: a length prefix that only helps buffering, but CPython refuses one
                // longer than what is left ("pickle data was truncated").
                0x95 => {
                    let len = self.le(8)?;
                    if usize::try_from(len).map_or(true, |len| len > self.data.len() - self.pos) {
                        return malformed("a FRAME longer than the pickle");
                    }
                }
                b'.' => return self.pop(),
                b'(' => self.stack.push(Slot::Mark),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self.top()?;
                    self.push(top);
                }
                b'N' => self.push(Obj::Null),
                0x88 => self.push(Obj::Bool(true)),
                0x89 => self.push(Obj::Bool(false)),
                // BININT, BININT1, BININT2
                b'J' => {
                    let v = self.le(4)? as u32 as i32;
                    self.push(Obj::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.byte()?;
                    self.push(Obj::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.le(2)?;
                    self.push(Obj::Int(v as i64));
                }
                // LONG1, LONG4: little-endian two's complement.
                0x8a | 0x8b => {
                    let width = if op == 0x8a { 1 } else { 4 };
                    let n = self.length(width)?;
                    let bytes = self.take(n)?;
                    let obj = long_from_le(bytes)?;
                    self.push(obj);
                }
                // INT and LONG in protocol 0: decimal text (`I01`/`I00` are booleans).
                b'I' | b'L' => {
                    let line = self.line()?;
                    let obj = match (op, line) {
                        (b'I', b"01") => Obj::Bool(true),
                        (b'I', b"00") => Obj::Bool(false),
                        _ => {
                            let text = line.strip_suffix(b"L").unwrap_or(line);
                            let text = std::str::from_utf8(text).unwrap_or("");
                            match text.parse::<i64>() {
                                Ok(v) => Obj::Int(v),
                                Err(_) => big_decimal(text)?,
                            }
                        }
                    };
                    self.push(obj);
                }
                // BINFLOAT (big-endian), FLOAT (protocol 0 text).
                b'G' => {
                    let bytes = self.take(8)?;
                    let v = f64::from_be_bytes(bytes.try_into().expect("8 bytes"));
                    self.push(Obj::Float(v));
                }
                b'F' => {
                    let line = self.line()?;
                    match std::str::from_utf8(line)
                        .ok()
                        .and_then(|t| t.parse::<f64>().ok())
                    {
                        Some(v) => self.push(Obj::Float(v)),
                        None => return malformed("a FLOAT that is not a number"),
                    }
                }
                // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8.
                0x8c => {
                    let n = self.length(1)?;
                    let s = self.text(n)?;
                    self.push(s);
                }
                b'X' => {
                    let n = self.length(4)?;
                    let s = self.text(n)?;
                    self.push(s);
                }
                0x8d => {
                    let n = self.length(8)?;
                    let s = self.text(n)?;
                    self.push(s);
                }
                // UNICODE (protocol 0): raw-unicode-escape.
                b'V' => {
                    let line = self.line()?;
                    let s = raw_unicode_escape(line)?;
                    self.push(Obj::Str(Rc::from(s)));
                }
                b'}' => self.push_container(Obj::Dict(Rc::default())),
                b'd' => {
                    let items = self.pop_mark()?;
                    self.push_container(Obj::Dict(Rc::default()));
                    self.set_items(items)?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    self.set_items(vec![key, value])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items)?;
                }
                b']' => self.push_container(Obj::List(Rc::default())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push_container(Obj::List(Rc::new(RefCell::new(items))));
                }
                b'a' => {
                    let item = self.pop()?;
                    self.append(vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.append(items)?;
                }
                b')' => self.push(Obj::Tuple(Rc::default())),
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::Tuple(Rc::new(items)));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return malformed("stack underflow");
                    }
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Obj::Tuple(Rc::new(items)));
                }
                // MEMOIZE, BINPUT, LONG_BINPUT, PUT; BINGET, LONG_BINGET, GET.
                0x94 => {
                    let index = self.memo.len() as u64;
                    self.memo_put(index)?;
                }
                b'q' => {
                    let index = self.le(1)?;
                    self.memo_put(index)?;
                }
                b'r' => {
                    let index = self.le(4)?;
                    self.memo_put(index)?;
                }
                b'p' => {
                    let index = self.decimal_line()?;
                    self.memo_put(index)?;
                }
                b'h' => {
                    let index = self.le(1)?;
                    self.memo_get(index)?;
                }
                b'j' => {
                    let index = self.le(4)?;
                    self.memo_get(index)?;
                }
                b'g' => {
                    let index = self.decimal_line()?;
                    self.memo_get(index)?;
                }
                // GLOBAL and STACK_GLOBAL name a class or function: say which.
                b'c' => {
                    let module = String::from_utf8_lossy(self.line()?).into_owned();
                    let name = String::from_utf8_lossy(self.line()?).into_owned();
                    return Err(PickleError::Unsupported(format!(
                        "a Python object ({}.{})",
                        printable(&module),
                        printable(&name)
                    )));
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let what = match (&module, &name) {
                        (Obj::Str(m), Obj::Str(n)) => {
                            format!("a Python object ({}.{})", printable(m), printable(n))
                        }
                        _ => "a Python object".into(),
                    };
                    return Err(PickleError::Unsupported(what));
                }
                // SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8.
                b'C' | b'B' | 0x8e | 0x96 => {
                    let width = match op {
                        b'C' => 1,
                        b'B' => 4,
                        _ => 8,
                    };
                    let n = self.length(width)?;
                    self.take(n)?;
                    self.push(Obj::Foreign("bytes"));
                }
                b'S' | b'T' | b'U' => {
                    return Err(PickleError::Unsupported("a Python 2 str".into()));
                }
                // EMPTY_SET, ADDITEMS, FROZENSET.
                0x8f => self.push(Obj::Foreign("a set")),
                0x90 => {
                    self.pop_mark()?;
                    if !matches!(self.stack.last(), Some(Slot::Obj(Obj::Foreign("a set")))) {
                        return malformed("ADDITEMS on something that is not a set");
                    }
                }
                0x91 => {
                    self.pop_mark()?;
                    self.push(Obj::Foreign("a set"));
                }
                b'R' | b'b' | b'i' | b'o' | 0x81 | 0x92 | 0x82 | 0x83 | 0x84 | b'P' | b'Q'
                | 0x97 | 0x98 => {
                    return Err(PickleError::Unsupported("a Python object".into()));
                }
                _ => return malformed("an unknown opcode"),
            }
        }
    }

    fn decimal_line(&mut self) -> Result<u64, PickleError> {
        let line = self.line()?;
        match std::str::from_utf8(line).ok().and_then(|t| t.parse().ok()) {
            Some(v) => Ok(v),
            None => malformed("a memo index that is not a number"),
        }
    }
}

/// The `raw-unicode-escape` codec: latin-1, except `\\uXXXX` and `\\UXXXXXXXX`.
fn raw_unicode_escape(bytes: &[u8]) -> Result<String, PickleError> {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let width = match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            (b, _) => {
                out.push(char::from(b));
                i += 1;
                continue;
            }
        };
        let digits = bytes
            .get(i + 2..i + 2 + width)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        let Some(code) = digits else {
            return malformed("a truncated \\u escape");
        };
        let Some(c) = char::from_u32(code) else {
            return Err(PickleError::Unsupported(
                "a str with a lone surrogate".into(),
            ));
        };
        out.push(c);
        i += 2 + width;
    }
    Ok(out)
}

/// A name from the pickle as an error (and a log line) may show it: control characters and
/// quotes escaped, at most 80 characters.
fn printable(name: &str) -> String {
    const MOST: usize = 80;
    let mut out: String = name
        .chars()
        .take(MOST)
        .flat_map(char::escape_debug)
        .collect();
    if name.chars().nth(MOST).is_some() {
        out.push('…');
    }
    out
}

/// The most bytes of an integer read: 4,300 decimal digits, what Python's `int` and `json`
/// convert to and from text (`sys.get_int_max_str_digits()`).
const MAX_INT_BYTES: usize = 1786;

/// Protocol 0's decimal `INT`/`LONG` beyond 64 bits.
fn big_decimal(text: &str) -> Result<Obj, PickleError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return malformed("an INT that is not a number");
    }
    if digits.len() > 4300 {
        return Err(PickleError::TooLarge("an integer of more than 4300 digits"));
    }
    let digits = digits.trim_start_matches('0');
    Ok(match (digits.is_empty(), negative) {
        (true, _) => Obj::Int(0),
        (false, true) => Obj::BigInt(Rc::from(format!("-{digits}"))),
        (false, false) => Obj::BigInt(Rc::from(digits)),
    })
}

fn long_from_le(bytes: &[u8]) -> Result<Obj, PickleError> {
    if bytes.is_empty() {
        return Ok(Obj::Int(0));
    }
    if bytes.len() > 8 {
        if bytes.len() > MAX_INT_BYTES {
            return Err(PickleError::TooLarge("an integer of more than 4300 digits"));
        }
        let decimal = int_from_le_bytes(bytes);
        if decimal.trim_start_matches('-').len() > 4300 {
            return Err(PickleError::TooLarge("an integer of more than 4300 digits"));
        }
        return Ok(match decimal.parse::<i64>() {
            Ok(v) => Obj::Int(v),
            Err(_) => Obj::BigInt(Rc::from(decimal)),
        });
    }
    let negative = bytes[bytes.len() - 1] & 0x80 != 0;
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..bytes.len()].copy_from_slice(bytes);
    Ok(Obj::Int(i64::from_le_bytes(buf)))
}

/// Expands shared values into JSON values, counting every use against the budgets.
struct Expander {
    nodes: usize,
    /// Bytes of text still allowed.
    text: usize,
}

impl Expander {
    fn value(&mut self, obj: &Obj, depth: usize) -> Result<PyValue, PickleError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(PickleError::TooLarge("values"));
        }
        if depth > MAX_DEPTH {
            return Err(PickleError::TooLarge("nesting"));
        }
        Ok(match obj {
            Obj::Null => PyValue::None,
            Obj::Bool(v) => PyValue::Bool(*v),
            Obj::Int(v) => PyValue::Int(v.to_string()),
            Obj::BigInt(v) => PyValue::Int(self.text_str(v)?.to_owned()),
            Obj::Float(v) => PyValue::Float(*v),
            Obj::Str(s) => PyValue::Str(PyStr::from(self.text_str(s)?)),
            Obj::Surrogates(s) => PyValue::Str(
                PyStr::from_surrogatepass(self.text(s)?).expect("checked when it was read"),
            ),
            Obj::List(items) => self.array(&items.borrow(), depth)?,
            Obj::Tuple(items) => self.array(items, depth)?,
            Obj::Dict(dict) => PyValue::Dict(self.object(&dict.borrow().entries, depth)?),
            Obj::Foreign(what) => return Err(PickleError::Unsupported((*what).into())),
        })
    }

    /// `s`, counted against the text budget.
    fn text<'a>(&mut self, s: &'a [u8]) -> Result<&'a [u8], PickleError> {
        self.text = self
            .text
            .checked_sub(s.len())
            .ok_or(PickleError::TooLarge("text"))?;
        Ok(s)
    }

    fn text_str<'a>(&mut self, s: &'a str) -> Result<&'a str, PickleError> {
        self.text(s.as_bytes())?;
        Ok(s)
    }

    fn array(&mut self, items: &[Obj], depth: usize) -> Result<PyValue, PickleError> {
        items
            .iter()
            .map(|item| self.value(item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(PyValue::List)
    }

    fn object(
        &mut self,
        entries: &[(Obj, Obj)],
        depth: usize,
    ) -> Result<Vec<(PyValue, PyValue)>, PickleError> {
        let mut members = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if !matches!(
                key,
                Obj::Str(_)
                    | Obj::Surrogates(_)
                    | Obj::Int(_)
                    | Obj::BigInt(_)
                    | Obj::Null
                    | Obj::Bool(_)
                    | Obj::Float(_)
            ) {
                return Err(PickleError::Unsupported(
                    "a dict key that is not a str or a number".into(),
                ));
            }
            members.push((self.value(key, depth + 1)?, self.value(value, depth + 1)?));
        }
        Ok(members)
    }
}

/// See [`super::loads_dict`].
pub(super) fn loads_dict(data: &[u8]) -> Result<Vec<(PyValue, PyValue)>, PickleError> {
    let mut reader = Reader {
        data,
        pos: 0,
        stack: Vec::new(),
        memo: Vec::new(),
        made: Vec::new(),
    };
    let obj = reader.run()?;
    let Obj::Dict(dict) = &obj else {
        return Err(PickleError::Unsupported(
            "something other than a dict".into(),
        ));
    };
    let mut expander = Expander {
        nodes: 0,
        text: expansion_budget(data.len()),
    };
    expander.object(&dict.borrow().entries, 0)
}
