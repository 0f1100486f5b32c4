//! The pickles Django's Redis caches hold for `cache` and `cached_db` sessions: a session
//! dict, pickled by `pickle.dumps(d, protocol)` (protocol 5 for Django's `RedisCache`, 4 for
//! django-redis on Python ≤ 3.13), and read whatever protocol wrote it.
//!
//! Only plain data is read: `None`, booleans, integers that fit 64 bits, floats, `str`,
//! lists, tuples (read as lists) and dicts with `str` keys — what a JSON-serialisable session
//! holds. Anything else (bytes, sets, a `datetime`, any other object: opcodes that name a
//! class) is [`PickleError::Unsupported`], naming what was found; nothing is imported or
//! called. Hostile input cannot make the reader allocate or work beyond a bound: shared
//! references count once per use against [`MAX_NODES`], and nesting is limited to
//! [`MAX_DEPTH`].
//!
//! Why not a crate: serde-pickle 1.2 (the maintained one) reads into a `BTreeMap`, losing a
//! dict's order; it clones shared references eagerly, so a few hundred bytes of `BINGET`s
//! expand exponentially; and it writes protocols 2–3 only. This reader keeps references
//! shared while parsing and expands them under a budget, and the writer emits the bytes
//! CPython's pickler emits for the same dict.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{Map, Number, Value};

/// At most this many values (shared ones counted at every use) in one pickle.
pub const MAX_NODES: usize = 100_000;
/// At most this deep a nesting of containers.
pub const MAX_DEPTH: usize = 64;

/// Why a pickle was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickleError {
    /// Not a pickle, or a truncated or inconsistent one.
    #[error("malformed pickle: {0}")]
    Malformed(&'static str),
    /// A well-formed pickle of something djtoken does not read.
    #[error("the pickle holds {0}, which djtoken does not read")]
    Unsupported(String),
    /// More values or deeper nesting than the bounds allow.
    #[error("the pickle is larger than djtoken reads ({0})")]
    TooLarge(&'static str),
}

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
    List(Shared<Vec<Obj>>),
    Tuple(Rc<Vec<Obj>>),
    Dict(Shared<Vec<(Obj, Obj)>>),
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
        for obj in self.made.drain(..) {
            match obj {
                Obj::List(items) => {
                    if let Ok(mut items) = items.try_borrow_mut() {
                        items.clear();
                    }
                }
                Obj::Dict(entries) => {
                    if let Ok(mut entries) = entries.try_borrow_mut() {
                        entries.clear();
                    }
                }
                _ => {}
            }
        }
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
        match std::str::from_utf8(self.take(len)?) {
            Ok(s) => Ok(Obj::Str(Rc::from(s))),
            Err(_) => malformed("a str that is not UTF-8"),
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
        let Obj::Dict(dict) = self.pop()? else {
            return malformed("SETITEMS on something that is not a dict");
        };
        let mut pairs = items.into_iter();
        while let (Some(k), Some(v)) = (pairs.next(), pairs.next()) {
            let mut entries = dict.borrow_mut();
            // Python's dict: a repeated key keeps its place and takes the new value.
            match entries.iter_mut().find(|(key, _)| same_key(key, &k)) {
                Some(entry) => entry.1 = v,
                None => entries.push((k, v)),
            }
        }
        self.push(Obj::Dict(dict));
        Ok(())
    }

    fn append(&mut self, items: Vec<Obj>) -> Result<(), PickleError> {
        let Obj::List(list) = self.pop()? else {
            return malformed("APPENDS on something that is not a list");
        };
        list.borrow_mut().extend(items);
        self.push(Obj::List(list));
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
                // FRAME: a length prefix that only helps buffering.
                0x95 => {
                    self.take(8)?;
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
                            let text = std::str::from_utf8(text)
                                .ok()
                                .and_then(|t| t.parse::<i64>().ok());
                            match text {
                                Some(v) => Obj::Int(v),
                                None => {
                                    return Err(PickleError::Unsupported(
                                        "an integer beyond 64 bits".into(),
                                    ));
                                }
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
                        "a Python object ({module}.{name})"
                    )));
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let what = match (module, name) {
                        (Obj::Str(m), Obj::Str(n)) => format!("a Python object ({m}.{n})"),
                        _ => "a Python object".into(),
                    };
                    return Err(PickleError::Unsupported(what));
                }
                b'B' | b'C' | 0x8e | 0x96 => {
                    return Err(PickleError::Unsupported("bytes".into()));
                }
                b'S' | b'T' | b'U' => {
                    return Err(PickleError::Unsupported("a Python 2 str".into()));
                }
                0x8f..=0x91 => {
                    return Err(PickleError::Unsupported("a set".into()));
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

/// Dict keys compare as Python compares `str`, `int` and `bool` keys (`1 == True`).
fn same_key(a: &Obj, b: &Obj) -> bool {
    let int = |o: &Obj| match o {
        Obj::Int(v) => Some(*v),
        Obj::Bool(v) => Some(i64::from(*v)),
        _ => None,
    };
    match (a, b) {
        (Obj::Str(x), Obj::Str(y)) => x == y,
        (Obj::Null, Obj::Null) => true,
        _ => matches!((int(a), int(b)), (Some(x), Some(y)) if x == y),
    }
}

fn long_from_le(bytes: &[u8]) -> Result<Obj, PickleError> {
    if bytes.is_empty() {
        return Ok(Obj::Int(0));
    }
    if bytes.len() > 8 {
        return Err(PickleError::Unsupported("an integer beyond 64 bits".into()));
    }
    let negative = bytes[bytes.len() - 1] & 0x80 != 0;
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..bytes.len()].copy_from_slice(bytes);
    Ok(Obj::Int(i64::from_le_bytes(buf)))
}

/// Expands shared values into JSON values, counting every use against the budget.
struct Expander {
    nodes: usize,
}

impl Expander {
    fn value(&mut self, obj: &Obj, depth: usize) -> Result<Value, PickleError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(PickleError::TooLarge("values"));
        }
        if depth > MAX_DEPTH {
            return Err(PickleError::TooLarge("nesting"));
        }
        Ok(match obj {
            Obj::Null => Value::Null,
            Obj::Bool(v) => Value::Bool(*v),
            Obj::Int(v) => Value::from(*v),
            Obj::Float(v) => match Number::from_f64(*v) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(PickleError::Unsupported(
                        "a float that is not finite".into(),
                    ));
                }
            },
            Obj::Str(s) => Value::String(s.to_string()),
            Obj::List(items) => self.array(&items.borrow(), depth)?,
            Obj::Tuple(items) => self.array(items, depth)?,
            Obj::Dict(entries) => Value::Object(self.object(&entries.borrow(), depth)?),
        })
    }

    fn array(&mut self, items: &[Obj], depth: usize) -> Result<Value, PickleError> {
        items
            .iter()
            .map(|item| self.value(item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    }

    fn object(
        &mut self,
        entries: &[(Obj, Obj)],
        depth: usize,
    ) -> Result<Map<String, Value>, PickleError> {
        let mut map = Map::new();
        for (key, value) in entries {
            let Obj::Str(key) = key else {
                return Err(PickleError::Unsupported(
                    "a dict key that is not a str".into(),
                ));
            };
            map.insert(key.to_string(), self.value(value, depth + 1)?);
        }
        Ok(map)
    }
}

/// `pickle.loads(data)` of a session dict: its items in order.
pub fn loads_dict(data: &[u8]) -> Result<Map<String, Value>, PickleError> {
    let mut reader = Reader {
        data,
        pos: 0,
        stack: Vec::new(),
        memo: Vec::new(),
        made: Vec::new(),
    };
    let obj = reader.run()?;
    let Obj::Dict(entries) = &obj else {
        return Err(PickleError::Unsupported(
            "something other than a dict".into(),
        ));
    };
    let mut expander = Expander { nodes: 0 };
    expander.object(&entries.borrow(), 0)
}

/// `pickle.dumps(data, protocol)` (protocol 4 or 5, the ones Django's caches write) as
/// CPython's pickler writes it for plain data: one frame, every str, list and dict memoised,
/// items in batches of 1,000. Non-finite floats cannot come from `serde_json` values.
pub fn dumps_dict(data: &Map<String, Value>, protocol: u8) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    let mut memo = 0usize;
    write_dict(&mut body, data, &mut memo);
    body.push(b'.');
    let mut out = Vec::with_capacity(body.len() + 11);
    out.extend_from_slice(&[0x80, protocol.clamp(4, 5)]);
    // CPython frames anything of at least 4 bytes; the frame includes STOP.
    if body.len() >= 4 {
        out.push(0x95);
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(&body);
    out
}

fn memoize(out: &mut Vec<u8>, memo: &mut usize) {
    out.push(0x94);
    *memo += 1;
}

fn write_dict(out: &mut Vec<u8>, data: &Map<String, Value>, memo: &mut usize) {
    out.push(b'}');
    memoize(out, memo);
    let items: Vec<_> = data.iter().collect();
    for batch in items.chunks(1000) {
        if let [(key, value)] = batch {
            write_str(out, key, memo);
            write_value(out, value, memo);
            out.push(b's');
        } else {
            out.push(b'(');
            for (key, value) in batch {
                write_str(out, key, memo);
                write_value(out, value, memo);
            }
            out.push(b'u');
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str, memo: &mut usize) {
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
    out.extend_from_slice(s.as_bytes());
    memoize(out, memo);
}

fn write_value(out: &mut Vec<u8>, value: &Value, memo: &mut usize) {
    match value {
        Value::Null => out.push(b'N'),
        Value::Bool(true) => out.push(0x88),
        Value::Bool(false) => out.push(0x89),
        Value::Number(n) => {
            if let Some(v) = n.as_i64() {
                write_int(out, i128::from(v));
            } else if let Some(v) = n.as_u64() {
                write_int(out, i128::from(v));
            } else {
                out.push(b'G');
                out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_be_bytes());
            }
        }
        Value::String(s) => write_str(out, s, memo),
        Value::Array(items) => {
            out.push(b']');
            memoize(out, memo);
            for batch in items.chunks(1000) {
                if let [item] = batch {
                    write_value(out, item, memo);
                    out.push(b'a');
                } else {
                    out.push(b'(');
                    for item in batch {
                        write_value(out, item, memo);
                    }
                    out.push(b'e');
                }
            }
        }
        Value::Object(map) => write_dict(out, map, memo),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_references_cannot_expand_without_bound() {
        // [] memoised, then [m, m] memoised, 40 times over: 2**40 values if expanded.
        let mut data = vec![0x80, 5, b'}', 0x94, 0x8c, 1, b'k', 0x94, b']', 0x94, b'0'];
        for i in 0..40u8 {
            data.extend_from_slice(&[b'(', b'h', i + 2, b'h', i + 2, b'l', 0x94, b'0']);
        }
        data.extend_from_slice(&[b'h', 42, b's', b'.']);
        assert_eq!(loads_dict(&data), Err(PickleError::TooLarge("values")));
    }

    #[test]
    fn a_list_that_contains_itself_is_refused() {
        // l = []; l.append(l); {"k": l}
        let data = b"\x80\x05}\x94\x8c\x01k\x94]\x94h\x02as.";
        assert_eq!(loads_dict(data), Err(PickleError::TooLarge("nesting")));
    }

    #[test]
    fn integers_round_trip_with_cpythons_opcodes() {
        for v in [
            0i64,
            255,
            256,
            65535,
            65536,
            -1,
            i64::from(i32::MIN),
            1 << 40,
            -(1 << 40),
            i64::MAX,
            i64::MIN,
        ] {
            let mut map = Map::new();
            map.insert("v".into(), Value::from(v));
            let back = loads_dict(&dumps_dict(&map, 5)).expect("reads its own pickle");
            assert_eq!(back["v"], Value::from(v), "{v}");
        }
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for data in [
            &b""[..],
            b".",
            b"\x80\x05.",
            b"\x80\x05\x8c\xff",
            b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff",
            b"(u.",
            b"}(\x8c\x01ku.",
            b"h\x00.",
            b"I12345678901234567890\n.",
            b"\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01.",
            b"cdatetime\ndatetime\n.",
        ] {
            assert!(loads_dict(data).is_err(), "{data:?}");
        }
    }
}
