//! A session's data as Django keeps it: a dict, read and written by Python's `json` (or, for
//! the `cache` engine, its `pickle`).
//!
//! The members djtoken reads (`_auth_user_id`, the hash, the expiry, the CSRF token) and most
//! others are JSON values. A member Python writes and reads but a JSON value cannot hold —
//! `NaN` or an infinity, an integer beyond 64 bits, a string with a lone surrogate, anywhere
//! inside it, or a key that is not text — is carried as it is ([`PyValue`]), never
//! understood: djtoken writes it back where it read it, in its place among the others (after
//! the member it followed; at the end once that member is gone).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::signing::json;
use crate::wire::pyvalue::{PyJsonError, PyStr, PyValue};

/// A session's members.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionData {
    values: Map<String, Value>,
    /// Members only Python reads, in the order found, each with the key of the JSON-value
    /// member it came after (`None`: first).
    python: Vec<(Option<String>, PyValue, PyValue)>,
}

/// The session data is not a dict (Django would fail on it later; djtoken reads no session).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DataError {
    /// Not JSON that Python's `json` reads.
    #[error("session data is not JSON Python reads: {0}")]
    Json(#[from] PyJsonError),
    /// JSON, but not an object.
    #[error("session data is not a JSON object")]
    NotAnObject,
}

impl SessionData {
    /// No members.
    pub fn new() -> Self {
        SessionData::default()
    }

    /// The members of a dict, each a JSON value where one holds it.
    pub fn from_members(members: Vec<(PyValue, PyValue)>) -> Self {
        let mut data = SessionData::new();
        let mut after: Option<String> = None;
        for (key, value) in members {
            let read = match &key {
                PyValue::Str(text) => text.as_str().zip(value.to_value()),
                _ => None,
            };
            match read {
                Some((text, value)) => {
                    data.values.insert(text.to_owned(), value);
                    after = Some(text.to_owned());
                }
                None => data.python.push((after.clone(), key, value)),
            }
        }
        data
    }

    /// `json.loads(data.decode("latin-1"))`, which must give a dict.
    pub fn from_json(data: &[u8]) -> Result<Self, DataError> {
        // What serde_json reads as Python does is read so, and the rest by Python's rules.
        match json::loads(data) {
            Ok(Value::Object(values)) => Ok(SessionData {
                values,
                python: Vec::new(),
            }),
            Ok(_) => Err(DataError::NotAnObject),
            Err(_) => match PyValue::from_json(data)? {
                PyValue::Dict(members) => Ok(SessionData::from_members(members)),
                _ => Err(DataError::NotAnObject),
            },
        }
    }

    /// `json.dumps(data, separators=(",", ":")).encode("latin-1")`.
    pub fn to_json(&self) -> Vec<u8> {
        if self.python.is_empty() {
            return json::dumps(&Value::Object(self.values.clone()));
        }
        self.to_py()
            .to_json()
            .expect("a session's keys are never lists or dicts")
    }

    /// The whole dict as a Python value, in its order.
    pub fn to_py(&self) -> PyValue {
        // The carried members, by the member they follow (those whose member is gone: last).
        let mut following: HashMap<Option<&str>, Vec<(PyValue, PyValue)>> = HashMap::new();
        let mut orphans = Vec::new();
        for (after, key, value) in &self.python {
            let member = (key.clone(), value.clone());
            match after.as_deref() {
                Some(k) if !self.values.contains_key(k) => orphans.push(member),
                anchor => following.entry(anchor).or_default().push(member),
            }
        }
        let mut members = following.remove(&None).unwrap_or_default();
        for (k, v) in &self.values {
            members.push((
                PyValue::Str(PyStr::from(k.as_str())),
                PyValue::from_value(v),
            ));
            members.extend(following.remove(&Some(k.as_str())).unwrap_or_default());
        }
        members.extend(orphans);
        PyValue::Dict(members)
    }

    /// The member `key`, when a JSON value holds it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// `data[key] = value`.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.drop_python(&key);
        self.values.insert(key, value)
    }

    /// `data.pop(key, None)`, when a JSON value held it.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.drop_python(key);
        self.values.shift_remove(key)
    }

    fn drop_python(&mut self, key: &str) {
        if !self.python.is_empty() {
            let key = PyValue::Str(PyStr::from(key));
            self.python.retain(|(_, k, _)| *k != key);
        }
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.values.len() + self.python.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.python.is_empty()
    }

    /// The members JSON values hold.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// The members carried for Python.
    pub fn python_only(&self) -> &[(Option<String>, PyValue, PyValue)] {
        &self.python
    }
}

impl From<Map<String, Value>> for SessionData {
    fn from(values: Map<String, Value>) -> Self {
        SessionData {
            values,
            python: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_only_python_reads_are_carried_and_written_back() {
        let text = br#"{"_auth_user_id":"1","nan":NaN,"big":[123456789012345678901234567890],"s":"\ud800","ok":[1.5,"x"]}"#;
        let mut data = SessionData::from_json(text).expect("Python reads it");
        assert_eq!(data.get("_auth_user_id"), Some(&Value::from("1")));
        assert_eq!(data.get("ok"), Some(&serde_json::json!([1.5, "x"])));
        assert_eq!(data.get("nan"), None);
        assert_eq!(data.python_only().len(), 3);
        assert_eq!(
            String::from_utf8(data.to_json()).expect("ASCII"),
            r#"{"_auth_user_id":"1","nan":NaN,"big":[123456789012345678901234567890],"s":"\ud800","ok":[1.5,"x"]}"#
        );
        data.insert("nan".into(), Value::from(1));
        assert_eq!(data.python_only().len(), 2);
        assert_eq!(data.remove("s"), None);
        assert_eq!(data.python_only().len(), 1);
        assert_eq!(SessionData::from_json(b"[1]"), Err(DataError::NotAnObject));
        assert!(SessionData::from_json(b"{").is_err());
    }
}
