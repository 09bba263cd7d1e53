//! The trace: an append-only record of what happened in a run, and its stable digest.
//!
//! Each record is a kind plus ordered fields of plain values, so the report crate can render it
//! without knowing the model. The digest is FNV-1a (64-bit) over a canonical byte encoding of every
//! record in order: the same run always gives the same digest on any machine.

use crate::time::SimTime;
use std::fmt;

/// A field value in a trace record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Field {
    fn from(s: &str) -> Field {
        Field::Str(s.to_string())
    }
}
impl From<String> for Field {
    fn from(s: String) -> Field {
        Field::Str(s)
    }
}
impl From<i64> for Field {
    fn from(v: i64) -> Field {
        Field::Int(v)
    }
}
impl From<u32> for Field {
    fn from(v: u32) -> Field {
        Field::Int(i64::from(v))
    }
}
impl From<bool> for Field {
    fn from(v: bool) -> Field {
        Field::Bool(v)
    }
}

/// One simulated event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    pub time: SimTime,
    pub kind: &'static str,
    pub fields: Vec<(&'static str, Field)>,
}

/// A stable 64-bit hash of a whole trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceDigest(pub u64);

impl fmt::Display for TraceDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The records of a run, in order, with a running digest.
#[derive(Clone, Debug)]
pub struct Trace {
    records: Vec<TraceRecord>,
    hash: u64,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            records: Vec::new(),
            hash: FNV_OFFSET,
        }
    }
}

impl Trace {
    pub fn push(&mut self, record: TraceRecord) {
        self.absorb(&record.time.0.to_le_bytes());
        self.absorb_str(record.kind);
        for (key, value) in &record.fields {
            self.absorb_str(key);
            match value {
                Field::Str(s) => {
                    self.absorb(b"s");
                    self.absorb_str(s);
                }
                Field::Int(i) => {
                    self.absorb(b"i");
                    self.absorb(&i.to_le_bytes());
                }
                Field::Bool(b) => self.absorb(if *b { b"T" } else { b"F" }),
            }
        }
        self.absorb(b"\n");
        self.records.push(record);
    }

    fn absorb_str(&mut self, s: &str) {
        self.absorb(&(s.len() as u64).to_le_bytes());
        self.absorb(s.as_bytes());
    }

    fn absorb(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.hash ^= u64::from(*b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
    }

    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn digest(&self) -> TraceDigest {
        TraceDigest(self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: u64, kind: &'static str, v: i64) -> TraceRecord {
        TraceRecord {
            time: SimTime(t),
            kind,
            fields: vec![("v", Field::Int(v)), ("s", "x".into())],
        }
    }

    #[test]
    fn digest_is_stable_and_order_sensitive() {
        let mut a = Trace::default();
        a.push(rec(1, "k", 1));
        a.push(rec(2, "k", 2));
        let mut b = Trace::default();
        b.push(rec(1, "k", 1));
        b.push(rec(2, "k", 2));
        assert_eq!(a.digest(), b.digest());
        let mut c = Trace::default();
        c.push(rec(2, "k", 2));
        c.push(rec(1, "k", 1));
        assert_ne!(a.digest(), c.digest());
        assert_eq!(a.digest().to_string().len(), 16);
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = Trace::default();
        a.push(TraceRecord {
            time: SimTime(0),
            kind: "k",
            fields: vec![("ab", "c".into())],
        });
        let mut b = Trace::default();
        b.push(TraceRecord {
            time: SimTime(0),
            kind: "k",
            fields: vec![("a", "bc".into())],
        });
        assert_ne!(a.digest(), b.digest());
    }
}
