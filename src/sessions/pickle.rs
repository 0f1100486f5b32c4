//! The session dict as Django's Redis caches pickle it ([`crate::wire::pickle`] reads and
//! writes the pickle; this is the dict as a [`SessionData`]).

use crate::wire::pickle;
pub use crate::wire::pickle::PickleError;

use super::SessionData;

/// `pickle.loads(data)` of a session dict.
pub fn loads_dict(data: &[u8]) -> Result<SessionData, PickleError> {
    pickle::loads_dict(data).map(SessionData::from_members)
}

/// `pickle.dumps(data, protocol)` of a session dict (protocol 4 or 5), as CPython writes it.
pub fn dumps_dict(data: &SessionData, protocol: u8) -> Vec<u8> {
    pickle::dumps_dict(&data.to_py(), protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::pyvalue::{PyStr, PyValue};
    use serde_json::{Map, Value};

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

    /// `f` on a thread with a small stack: a reader that recurses once per nesting level
    /// overflows it (and aborts the process) long before 50,000 levels.
    fn on_a_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(f)
            .expect("a thread")
            .join()
            .expect("no stack overflow")
    }

    #[test]
    fn deeply_nested_containers_are_refused_and_dropped_without_recursion() {
        const LEVELS: usize = 50_000;
        // The review's pickle: () wrapped in 50,000 one-tuples.
        let mut tuples = b"\x80\x05)".to_vec();
        tuples.extend(std::iter::repeat_n(0x85, LEVELS));
        tuples.push(b'.');
        // 50,000 lists, each appended to the one before, inside a dict.
        let mut lists = b"\x80\x05}\x8c\x01k".to_vec();
        lists.extend(std::iter::repeat_n(b']', LEVELS));
        lists.extend(std::iter::repeat_n(b'a', LEVELS - 1));
        lists.extend_from_slice(b"s.");
        // The same with MARK and LIST, and dicts nested by SETITEM, left on the stack.
        let mut marks = b"\x80\x05".to_vec();
        marks.extend(std::iter::repeat_n(b'(', LEVELS));
        marks.extend(std::iter::repeat_n(b'l', LEVELS));
        let mut dicts = b"\x80\x05".to_vec();
        for _ in 1..LEVELS {
            dicts.extend_from_slice(b"}\x8c\x01k");
        }
        dicts.push(b'}');
        dicts.extend(std::iter::repeat_n(b's', LEVELS - 1));
        let answers = on_a_small_stack(move || {
            [tuples, lists, marks, dicts]
                .iter()
                .map(|data| loads_dict(data))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            answers[0],
            Err(PickleError::Unsupported(
                "something other than a dict".into()
            ))
        );
        assert_eq!(answers[1], Err(PickleError::TooLarge("nesting")));
        assert_eq!(answers[2], Err(PickleError::Malformed("truncated")));
        assert_eq!(answers[3], Err(PickleError::Malformed("truncated")));
    }

    #[test]
    fn a_string_shared_a_hundred_thousand_times_is_refused_not_copied() {
        // {"l": [s] * 99_990} with a 10 kB s, as Django's pickler writes it: s once, then a
        // BINGET per repetition. 210 kB of pickle; a gigabyte if each reference were copied.
        let mut data = b"\x80\x05}\x8c\x01l](X\x10\x27\x00\x00".to_vec();
        data.extend(std::iter::repeat_n(b'x', 10_000));
        data.extend_from_slice(b"q\x01");
        for _ in 1..99_990 {
            data.extend_from_slice(b"h\x01");
        }
        data.extend_from_slice(b"es.");
        assert_eq!(loads_dict(&data), Err(PickleError::TooLarge("text")));
        // Sharing within the budget reads as Python reads it.
        let mut small = b"\x80\x05}\x8c\x01l](\x8c\x03abcq\x01".to_vec();
        small.extend_from_slice(b"h\x01h\x01es.");
        let dict = loads_dict(&small).expect("three references to one str");
        assert_eq!(dict.values()["l"], serde_json::json!(["abc", "abc", "abc"]));
    }

    #[test]
    fn forty_thousand_keys_keep_pythons_order_and_last_value() {
        let mut map = Map::new();
        for i in 0..40_000 {
            map.insert(format!("key-{i}"), Value::from(i));
        }
        let mut data = dumps_dict(&SessionData::from(map.clone()), 5);
        // Append a SETITEM that repeats the first key: it keeps its place, takes the value.
        data.pop();
        data.extend_from_slice(b"\x8c\x05key-0K\x07s.");
        let back = loads_dict(&data).expect("a dict");
        assert_eq!(back.values().len(), 40_000);
        assert_eq!(
            back.values().keys().next().map(String::as_str),
            Some("key-0")
        );
        assert_eq!(back.values()["key-0"], Value::from(7));
        assert_eq!(back.values()["key-39999"], Value::from(39_999));
        // int and bool keys are one key, as in Python (the first key, the last value), and
        // carried for Python (not str keys).
        let ints = b"\x80\x05}(K\x01\x8c\x01a\x88\x8c\x01bu.";
        let back = loads_dict(ints).expect("a dict");
        assert_eq!(
            back.python_only(),
            [(
                None,
                PyValue::Int("1".into()),
                PyValue::Str(PyStr::from("b"))
            )]
        );
    }

    #[test]
    fn a_frame_longer_than_the_pickle_is_refused_as_cpython_refuses_it() {
        let mut map = Map::new();
        map.insert("k".into(), Value::from("v"));
        let good = dumps_dict(&SessionData::from(map.clone()), 5);
        assert!(loads_dict(&good).is_ok());
        let mut long = good.clone();
        long[3] += 1;
        assert_eq!(
            loads_dict(&long),
            Err(PickleError::Malformed("a FRAME longer than the pickle"))
        );
        let mut huge = good;
        huge[10] = 0xff;
        assert!(loads_dict(&huge).is_err());
    }

    #[test]
    fn class_names_in_errors_are_escaped_and_short() {
        let global = b"\x80\x05cos\rx\x1b[31m\nsystem\n.";
        let Err(PickleError::Unsupported(what)) = loads_dict(global) else {
            panic!("a GLOBAL is refused");
        };
        assert_eq!(what, "a Python object (os\\rx\\u{1b}[31m.system)");
        let mut stack_global = b"\x80\x05\x8c\x05a\nb\"c\x8c".to_vec();
        let long = "n".repeat(200);
        stack_global.push(200);
        stack_global.extend_from_slice(long.as_bytes());
        stack_global.extend_from_slice(b"\x93.");
        let Err(PickleError::Unsupported(what)) = loads_dict(&stack_global) else {
            panic!("a STACK_GLOBAL is refused");
        };
        assert!(
            what.starts_with("a Python object (a\\nb\\\"c.nnn"),
            "{what}"
        );
        assert!(what.ends_with("…)") && what.len() < 120, "{what}");
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
            let back = loads_dict(&dumps_dict(&SessionData::from(map.clone()), 5))
                .expect("reads its own pickle");
            assert_eq!(back.values()["v"], Value::from(v), "{v}");
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
