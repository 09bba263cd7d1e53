//! The trace: an append-only record of what happened in a run, and its stable digest.
//!
//! Each record is a kind plus ordered fields of plain values, so the report crate can render it
//! without knowing the model. The digest is XXH3-64 (seed 0, the default secret) of a canonical
//! byte encoding of every record in order: the same run always gives the same digest on any
//! machine, and any XXH3 implementation reproduces it from the encoding.
//!
//! Storage is compact, and repeated text is kept once: a record is 16 bytes (time, its shape's
//! number, where its values start) and a field 4 bytes (a string's number or a flag; an
//! integer takes 8); every kind, key, string value and record shape (the kind and each field's
//! key and type) is interned, numbered in order of first sight with `IndexSet` (insertion
//! order, a fixed-seed hasher), so a record allocates only for a string or shape never seen
//! before; `records()` hands out borrowed views (`TraceRecord`) that resolve the numbers.
//! Recording does not hash the digest either: `digest()` absorbs the records added since it was
//! last asked, in order, over the resolved text, so the digest is the same whenever and however
//! often it is asked, and does not depend on how the trace is stored.

use crate::time::SimTime;
use foldhash::fast::FixedState;
use indexmap::IndexSet;
use std::cell::RefCell;
use std::fmt;
use xxhash_rust::xxh3::Xxh3Default;

/// A field value in a trace record, owned (what `Engine::record` callers build).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl Field {
    pub fn as_ref(&self) -> FieldRef<'_> {
        match self {
            Field::Str(s) => FieldRef::Str(s),
            Field::Int(i) => FieldRef::Int(*i),
            Field::Bool(b) => FieldRef::Bool(*b),
        }
    }
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

/// A field value in a trace record, borrowed (what the trace stores and hands out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRef<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

/// A string interned in a trace: its number there (`Trace::intern`). A caller that records the
/// same string often keeps the number and records it with `TraceValue::Interned`, sparing the
/// lookup by content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceStr(u32);

/// A value to record: a field, or a string already interned in this trace.
#[derive(Clone, Copy, Debug)]
pub enum TraceValue<'a> {
    Field(FieldRef<'a>),
    Interned(TraceStr),
}

/// A record shape of string fields, resolved once (`Trace::str_shape`): records pushed with
/// it (`Trace::push_strs`) skip resolving their kind, keys and shape one by one. `N` is the
/// number of fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrShape<const N: usize> {
    id: u32,
}

/// One simulated event, as a view into the trace.
#[derive(Clone, Copy, Debug)]
pub struct TraceRecord<'a> {
    pub time: SimTime,
    pub kind: &'static str,
    /// Each field's key and tag (`Shape::field`), in the order of `values`.
    shape: &'a [u16],
    /// The fields' stored values: one slot each, two for an integer (`Tag::slots`).
    values: &'a [u32],
    trace: &'a Trace,
    /// The shape's number in the trace (`shape_id`).
    shape_id: u32,
}

impl<'a> TraceRecord<'a> {
    /// The number of the record's shape in its trace: records of one trace with the same number
    /// have the same kind, keys (in order) and value types, so whatever depends on those alone
    /// can be worked out once per number (numbers are small, from 0, in order of first sight).
    pub fn shape_id(&self) -> u32 {
        self.shape_id
    }

    /// The fields in the order they were recorded.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&'static str, FieldRef<'a>)> + 'a {
        let (trace, values) = (self.trace, self.values);
        let mut at = 0;
        self.shape.iter().map(move |field| {
            let (key, tag) = unpack(*field);
            let value = match tag.slots() {
                1 => u64::from(values[at]),
                _ => u64::from(values[at]) | u64::from(values[at + 1]) << 32,
            };
            at += tag.slots();
            (trace.name(key), get(trace, tag, value))
        })
    }
}

/// A field's value type; with the key's number it packs into a u16 (`key << 2 | tag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Str = 0,
    Int = 1,
    Bool = 2,
}

impl Tag {
    /// How many 4-byte slots a value of this type is stored in.
    fn slots(self) -> usize {
        match self {
            Tag::Str | Tag::Bool => 1,
            Tag::Int => 2,
        }
    }
}

fn pack(key: u16, tag: Tag) -> u16 {
    assert!(key < 1 << 14, "under 16,384 kinds and keys");
    key << 2 | tag as u16
}

fn unpack(field: u16) -> (u16, Tag) {
    let tag = match field & 3 {
        0 => Tag::Str,
        1 => Tag::Int,
        _ => Tag::Bool,
    };
    (field >> 2, tag)
}

/// A stored value as the field it was (a string is its number among the strings).
fn get(trace: &Trace, tag: Tag, value: u64) -> FieldRef<'_> {
    match tag {
        Tag::Str => FieldRef::Str(trace.string(value)),
        Tag::Int => FieldRef::Int(value as i64),
        Tag::Bool => FieldRef::Bool(value != 0),
    }
}

/// A stored record: its shape (kind, then each field's key and tag) is `shapes[shape]`, its
/// values start at position `first` of `values`, in one slot or two per field (`Tag::slots`).
/// 16 bytes.
#[derive(Clone, Copy, Debug)]
struct Stored {
    time: SimTime,
    first: u32,
    shape: u32,
}

/// Slots per chunk of a `Chunks` list (a power of two).
const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

/// An append-only list in chunks of `CHUNK` slots: growing never moves what is stored (a
/// doubling `Vec` copies all of it each time, and a run's trace grows to tens of megabytes). A
/// position is `chunk × CHUNK + offset`; slots appended as one run stay in one chunk (the rest
/// of a chunk a run does not fit in is left unused), so a run reads back as a slice.
#[derive(Clone, Debug)]
struct Chunks<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks { chunks: Vec::new() }
    }
}

impl<T: Copy> Chunks<T> {
    /// The position the next slot takes if it fits in the last chunk.
    fn end(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |last| (self.chunks.len() - 1) * CHUNK + last.len())
    }

    /// Appends `run` in one chunk; the position of its first slot.
    fn push_run(&mut self, run: &[T]) -> usize {
        let (first, last) = self.room_for(run.len());
        last.extend_from_slice(run);
        first
    }

    /// `push_run` for a run whose length is known when compiled: its slots are stored one by
    /// one, not through a copy of unknown length (a call that costs more than a record's few
    /// slots).
    fn push_array<const N: usize>(&mut self, run: [T; N]) -> usize {
        let (first, last) = self.room_for(N);
        last.extend(run);
        first
    }

    /// The position the next `n` slots take and the chunk they go in (a new one when the last
    /// has no room for them).
    fn room_for(&mut self, n: usize) -> (usize, &mut Vec<T>) {
        assert!(n <= CHUNK, "a run of at most {CHUNK} slots");
        if self.chunks.last().is_none_or(|last| last.len() + n > CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let first = self.end();
        (first, self.chunks.last_mut().expect("a chunk was made"))
    }

    /// The `n` slots from position `first` (appended as one run; an empty run may sit just past
    /// a full last chunk).
    fn run(&self, first: usize, n: usize) -> &[T] {
        if n == 0 {
            return &[];
        }
        let at = first & (CHUNK - 1);
        &self.chunks[first >> CHUNK_BITS][at..at + n]
    }

    fn get(&self, at: usize) -> &T {
        &self.chunks[at >> CHUNK_BITS][at & (CHUNK - 1)]
    }
}

/// A stable 64-bit hash of a whole trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceDigest(pub u64);

impl fmt::Display for TraceDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Slots of the kinds-and-keys cache.
const NAME_CACHE: usize = 64;

/// The high bit of a string's number: added with `add_unique`.
const UNIQUE: u32 = 1 << 31;

/// Bytes of encoding the digest gathers before handing them to the hasher in one piece.
const DIGEST_BATCH: usize = 64 * 1024;

/// What the digest has absorbed: how many records, and the hasher fed their encoding; and each
/// shape's encoding made so far (`ShapeCode`, by shape number).
#[derive(Clone, Default)]
struct Absorbed {
    records: usize,
    hasher: Xxh3Default,
    codes: Vec<Option<ShapeCode>>,
}

/// A record shape's encoding with the values left out (`encode_record`): the bytes before each
/// value (the kind, then the field's key and, but for a flag, its tag) and after the last one,
/// so that a record's encoding is its time, then these pieces and its values in turn.
#[derive(Clone, Debug)]
struct ShapeCode {
    bytes: Vec<u8>,
    /// Where each piece ends in `bytes`: one per field, then the last.
    ends: Vec<u32>,
    /// Each field's tag.
    tags: Vec<Tag>,
}

impl ShapeCode {
    fn new(trace: &Trace, shape: &[u16]) -> ShapeCode {
        let mut code = ShapeCode {
            bytes: Vec::new(),
            ends: Vec::with_capacity(shape.len()),
            tags: Vec::with_capacity(shape.len() - 1),
        };
        encode_str(&mut code.bytes, trace.name(shape[0]));
        for field in &shape[1..] {
            let (key, tag) = unpack(*field);
            encode_str(&mut code.bytes, trace.name(key));
            match tag {
                Tag::Str => code.bytes.push(b's'),
                Tag::Int => code.bytes.push(b'i'),
                Tag::Bool => {}
            }
            code.ends.push(code.bytes.len() as u32);
            code.tags.push(tag);
        }
        code.bytes.push(b'\n');
        code.ends.push(code.bytes.len() as u32);
        code
    }

    /// Appends a record's encoding (the same bytes as `encode_record`'s) from its time and
    /// stored values.
    fn encode(&self, trace: &Trace, out: &mut Vec<u8>, (time, values): (SimTime, &[u32])) {
        out.extend_from_slice(&time.0.to_le_bytes());
        let (mut from, mut at) = (0, 0);
        for (tag, end) in self.tags.iter().zip(&self.ends) {
            out.extend_from_slice(&self.bytes[from..*end as usize]);
            from = *end as usize;
            match tag {
                Tag::Str => encode_str(out, trace.string(u64::from(values[at]))),
                Tag::Int => {
                    let v = u64::from(values[at]) | u64::from(values[at + 1]) << 32;
                    out.extend_from_slice(&v.to_le_bytes());
                }
                Tag::Bool => out.push(if values[at] != 0 { b'T' } else { b'F' }),
            }
            at += tag.slots();
        }
        out.extend_from_slice(&self.bytes[from..]);
    }
}

impl fmt::Debug for Absorbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Absorbed")
            .field("records", &self.records)
            .field("digest", &TraceDigest(self.hasher.digest()))
            .finish()
    }
}

/// The records of a run, in order, and their digest so far.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Every record, in order (one slot each: a record's position is its index).
    records: Chunks<Stored>,
    /// Every field's value, record after record: a string's number or a flag in one slot, an
    /// integer in two (low half first).
    values: Chunks<u32>,
    /// The values of the record being built by `push_values`.
    scratch_values: Vec<u32>,
    /// Every record shape: the kind's number, then each field's packed key and tag. Records
    /// of one kind nearly always share one, so a field costs its value alone.
    shapes: IndexSet<Box<[u16]>, FixedState>,
    /// By shape: how many value slots a record of it takes.
    shape_slots: Vec<u32>,
    /// Every kind and key, numbered in order of first sight.
    names: IndexSet<&'static str, FixedState>,
    /// Every string value, numbered in order of first sight.
    strings: IndexSet<Box<str>, FixedState>,
    /// Strings added with `add_unique` (numbered from `UNIQUE` on): their text back to back,
    /// and where each starts and ends.
    unique_text: String,
    unique_spans: Vec<(u32, u32)>,
    /// The shape being built by `push` (kept to spare an allocation per record).
    scratch: Vec<u16>,
    /// Kinds and keys by address: a `&'static str` at one address always reads the same, so
    /// a hit needs no hashing (64 slots, by address).
    name_cache: [Option<(usize, usize, u16)>; NAME_CACHE],
    /// Per kind, the shape its last record had: nearly always the next one's, found without
    /// hashing.
    last_shape: Vec<Option<u32>>,
    /// How many records the digest has absorbed, and the hasher fed their encoding.
    digested: RefCell<Absorbed>,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            records: Chunks::default(),
            values: Chunks::default(),
            scratch_values: Vec::new(),
            shapes: IndexSet::default(),
            shape_slots: Vec::new(),
            names: IndexSet::default(),
            strings: IndexSet::default(),
            unique_text: String::new(),
            unique_spans: Vec::new(),
            scratch: Vec::new(),
            last_shape: Vec::new(),
            name_cache: [None; NAME_CACHE],
            digested: RefCell::default(),
        }
    }
}

impl Trace {
    /// Appends a record: `kind` at `time` with `fields` in order.
    pub fn push(
        &mut self,
        time: SimTime,
        kind: &'static str,
        fields: &[(&'static str, FieldRef<'_>)],
    ) {
        let values = fields.iter().map(|(k, v)| (*k, TraceValue::Field(*v)));
        self.push_values(time, kind, values);
    }

    /// `push`, with string values possibly given by their number (`intern`).
    pub fn push_interned(
        &mut self,
        time: SimTime,
        kind: &'static str,
        fields: &[(&'static str, TraceValue<'_>)],
    ) {
        self.push_values(time, kind, fields.iter().copied());
    }

    /// The number of `s`, interned on first sight.
    pub fn intern(&mut self, s: &str) -> TraceStr {
        let id = match self.strings.get_index_of(s) {
            Some(id) => id,
            None => self.strings.insert_full(s.into()).0,
        };
        let id = u32::try_from(id).expect("under 2 billion trace strings");
        assert!(id < UNIQUE, "under 2 billion trace strings");
        TraceStr(id)
    }

    /// A number for `s` without looking for it among the strings seen: for text the caller
    /// records under one number all along and knows to be new (a task's id), it saves the
    /// lookup. The same text given to `intern` later gets another number; both read back alike.
    pub fn add_unique(&mut self, s: &str) -> TraceStr {
        let start = u32::try_from(self.unique_text.len()).expect("under 4 GiB of unique text");
        self.unique_text.push_str(s);
        let end = u32::try_from(self.unique_text.len()).expect("under 4 GiB of unique text");
        let id = u32::try_from(self.unique_spans.len()).expect("under 2 billion unique strings");
        assert!(id < UNIQUE, "under 2 billion unique strings");
        self.unique_spans.push((start, end));
        TraceStr(UNIQUE | id)
    }

    /// The shape of a `kind` record whose fields are the strings `keys`, in order.
    pub fn str_shape<const N: usize>(
        &mut self,
        kind: &'static str,
        keys: [&'static str; N],
    ) -> StrShape<N> {
        let mut shape = vec![self.name_id(kind)];
        for key in keys {
            shape.push(pack(self.name_id(key), Tag::Str));
        }
        StrShape {
            id: self.shape_id(&shape),
        }
    }

    /// Appends a record of `shape` at `time`, with `values` for its fields in order: the same
    /// record as `push_interned` with those keys and values makes.
    pub fn push_strs<const N: usize>(
        &mut self,
        time: SimTime,
        shape: StrShape<N>,
        values: [TraceStr; N],
    ) {
        let first = self.values.push_array(values.map(|v| v.0));
        let first = u32::try_from(first).expect("under 4 billion trace fields");
        self.records.push_array([Stored {
            time,
            first,
            shape: shape.id,
        }]);
    }

    fn push_values<'v>(
        &mut self,
        time: SimTime,
        kind: &'static str,
        fields: impl Iterator<Item = (&'static str, TraceValue<'v>)>,
    ) {
        let mut shape = std::mem::take(&mut self.scratch);
        shape.clear();
        let mut values = std::mem::take(&mut self.scratch_values);
        values.clear();
        shape.push(self.name_id(kind));
        for (key, value) in fields {
            let (tag, stored) = match value {
                TraceValue::Field(f) => self.store(f),
                TraceValue::Interned(TraceStr(id)) => (Tag::Str, u64::from(id)),
            };
            shape.push(pack(self.name_id(key), tag));
            // The low half, then the high half for an integer.
            values.push(stored as u32);
            if tag.slots() == 2 {
                values.push((stored >> 32) as u32);
            }
        }
        let shape_id = self.shape_id(&shape);
        self.scratch = shape;
        let shape = shape_id;
        let first = self.values.push_run(&values);
        let first = u32::try_from(first).expect("under 4 billion trace fields");
        self.scratch_values = values;
        self.records.push_array([Stored { time, first, shape }]);
    }

    /// The number of a record shape (its kind first), interned on first sight.
    fn shape_id(&mut self, shape: &[u16]) -> u32 {
        let kind = usize::from(shape[0]);
        if self.last_shape.len() <= kind {
            self.last_shape.resize(kind + 1, None);
        }
        if let Some(id) = self.last_shape[kind]
            && *self.shapes[id as usize] == *shape
        {
            return id;
        }
        let id = match self.shapes.get_index_of(shape) {
            Some(id) => id,
            None => {
                let slots = shape[1..]
                    .iter()
                    .map(|f| unpack(*f).1.slots())
                    .sum::<usize>();
                self.shape_slots
                    .push(u32::try_from(slots).expect("under 4 billion fields"));
                self.shapes.insert_full(shape.into()).0
            }
        };
        let id = u32::try_from(id).expect("under 4 billion record shapes");
        self.last_shape[kind] = Some(id);
        id
    }

    fn name_id(&mut self, name: &'static str) -> u16 {
        let address = name.as_ptr() as usize;
        let slot = (address >> 2 ^ name.len()) % NAME_CACHE;
        if let Some((a, len, id)) = self.name_cache[slot]
            && (a, len) == (address, name.len())
        {
            return id;
        }
        let (id, _) = self.names.insert_full(name);
        let id = u16::try_from(id).expect("under 65,536 kinds and keys");
        self.name_cache[slot] = Some((address, name.len(), id));
        id
    }

    fn name(&self, id: u16) -> &'static str {
        self.names[usize::from(id)]
    }

    fn string(&self, id: u64) -> &str {
        let id = id as u32;
        if id & UNIQUE != 0 {
            let (start, end) = self.unique_spans[(id & !UNIQUE) as usize];
            return &self.unique_text[start as usize..end as usize];
        }
        &self.strings[id as usize]
    }

    /// A value's tag and its stored form.
    fn store(&mut self, value: FieldRef<'_>) -> (Tag, u64) {
        match value {
            FieldRef::Str(s) => (Tag::Str, u64::from(self.intern(s).0)),
            FieldRef::Int(i) => (Tag::Int, i as u64),
            FieldRef::Bool(b) => (Tag::Bool, u64::from(b)),
        }
    }

    fn view(&self, stored: &Stored) -> TraceRecord<'_> {
        let shape = &self.shapes[stored.shape as usize];
        TraceRecord {
            time: stored.time,
            kind: self.name(shape[0]),
            shape: &shape[1..],
            values: self.stored_values(stored),
            trace: self,
            shape_id: stored.shape,
        }
    }

    /// A stored record's value slots (its shape says how many).
    fn stored_values(&self, stored: &Stored) -> &[u32] {
        let slots = self.shape_slots[stored.shape as usize] as usize;
        self.values.run(stored.first as usize, slots)
    }

    /// Every record, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = TraceRecord<'_>> + ExactSizeIterator {
        (0..self.len()).map(|at| self.view(self.records.get(at)))
    }

    /// The newest record.
    pub fn last(&self) -> Option<TraceRecord<'_>> {
        let len = self.len();
        (len > 0).then(|| self.view(self.records.get(len - 1)))
    }

    pub fn len(&self) -> usize {
        self.records.end()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The digest of every record so far (absorbing the ones added since the last call).
    pub fn digest(&self) -> TraceDigest {
        let mut absorbed = self.digested.borrow_mut();
        let mut bytes = Vec::with_capacity(DIGEST_BATCH + 1024);
        absorbed.codes.resize_with(self.shapes.len(), || None);
        for at in absorbed.records..self.len() {
            let stored = self.records.get(at);
            let shape = stored.shape as usize;
            let code = absorbed.codes[shape]
                .get_or_insert_with(|| ShapeCode::new(self, &self.shapes[shape]));
            code.encode(self, &mut bytes, (stored.time, self.stored_values(stored)));
            if bytes.len() >= DIGEST_BATCH {
                absorbed.hasher.update(&bytes);
                bytes.clear();
            }
        }
        absorbed.hasher.update(&bytes);
        absorbed.records = self.len();
        TraceDigest(absorbed.hasher.digest())
    }
}

/// Appends a record's canonical encoding: the time (little-endian u64), the kind, then per field
/// the key and the tagged value (`s` + string, `i` + little-endian i64, `T`/`F`), then `\n`;
/// every string is preceded by its length as a little-endian u64. The digest encodes records
/// through their shape's `ShapeCode`, which the tests hold to this.
#[cfg(test)]
fn encode_record(out: &mut Vec<u8>, record: TraceRecord<'_>) {
    out.extend_from_slice(&record.time.0.to_le_bytes());
    encode_str(out, record.kind);
    for (key, value) in record.fields() {
        encode_str(out, key);
        match value {
            FieldRef::Str(s) => {
                out.push(b's');
                encode_str(out, s);
            }
            FieldRef::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(&i.to_le_bytes());
            }
            FieldRef::Bool(b) => out.push(if b { b'T' } else { b'F' }),
        }
    }
    out.push(b'\n');
}

fn encode_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(trace: &mut Trace, t: u64, kind: &'static str, v: i64) {
        trace.push(
            SimTime(t),
            kind,
            &[("v", FieldRef::Int(v)), ("s", FieldRef::Str("x"))],
        );
    }

    /// Runs of 1 to 7 slots over several chunks: each reads back whole from its position, and
    /// a run that does not fit in a chunk's rest starts the next.
    #[test]
    fn chunk_runs_read_back_across_chunks() {
        let mut list = Chunks::default();
        let mut runs = Vec::new();
        let mut next = 0u32;
        while list.end() < 3 * CHUNK + 10 {
            let len = (next as usize % 7) + 1;
            let run: Vec<u32> = (next..next + len as u32).collect();
            next += len as u32;
            let first = list.push_run(&run);
            assert_eq!(first >> CHUNK_BITS, (first + len - 1) >> CHUNK_BITS);
            runs.push((first, run));
        }
        assert_eq!(list.chunks.len(), 4);
        for (first, run) in &runs {
            assert_eq!(list.run(*first, run.len()), run.as_slice());
            assert_eq!(list.get(*first), &run[0]);
        }
        // A record without fields, when the last chunk is full, reads back as no values.
        let rest = vec![0; 4 * CHUNK - list.end()];
        list.push_run(&rest);
        let empty = list.push_run(&[]);
        assert_eq!(list.run(empty, 0), &[] as &[u32]);
    }

    /// A trace of more records and values than one chunk holds reads back as pushed.
    #[test]
    fn a_long_trace_reads_back_as_pushed() {
        let mut a = Trace::default();
        let shape = a.str_shape("S", ["x", "y", "z"]);
        let (x, y) = (a.intern("x"), a.add_unique("y"));
        for t in 0..70_000u64 {
            if t % 3 == 0 {
                a.push_strs(SimTime(t), shape, [x, y, x]);
            } else {
                push(&mut a, t, "long", t as i64 - 35_000);
            }
        }
        assert_eq!(a.len(), 70_000);
        for (t, r) in a.records().enumerate() {
            let fields: Vec<_> = r.fields().collect();
            assert_eq!(r.time, SimTime(t as u64));
            if t % 3 == 0 {
                let want = [("x", "x"), ("y", "y"), ("z", "x")].map(|(k, v)| (k, FieldRef::Str(v)));
                assert_eq!(fields, want);
            } else {
                let v = FieldRef::Int(t as i64 - 35_000);
                assert_eq!(fields, [("v", v), ("s", FieldRef::Str("x"))]);
            }
        }
        assert_eq!(a.last().map(|r| r.time), Some(SimTime(69_999)));
    }

    #[test]
    fn digest_is_stable_and_order_sensitive() {
        let mut a = Trace::default();
        push(&mut a, 1, "k", 1);
        push(&mut a, 2, "k", 2);
        let mut b = Trace::default();
        push(&mut b, 1, "k", 1);
        push(&mut b, 2, "k", 2);
        assert_eq!(a.digest(), b.digest());
        let mut c = Trace::default();
        push(&mut c, 2, "k", 2);
        push(&mut c, 1, "k", 1);
        assert_ne!(a.digest(), c.digest());
        assert_eq!(a.digest().to_string().len(), 16);
    }

    #[test]
    fn digest_of_a_known_trace_never_changes() {
        let mut a = Trace::default();
        push(&mut a, 1, "k", 1);
        a.push(SimTime(3), "b", &[("flag", FieldRef::Bool(true))]);
        assert_eq!(a.digest().to_string(), KNOWN_DIGEST);
    }

    /// XXH3-64 of the encoding above, computed by an independent implementation (the
    /// reference C library, libxxhash 0.8.1, over bytes encoded by a separate script).
    const KNOWN_DIGEST: &str = "2db7732909e19f21";

    #[test]
    fn digest_of_a_long_trace_is_the_hash_of_its_whole_encoding() {
        // 174,000 bytes of encoding: more than two of the digest's batches, asked for midway.
        let mut a = Trace::default();
        for t in 0..3000 {
            push(&mut a, t, "long", t as i64 * 7 - 1000);
            if t == 1234 {
                a.digest();
            }
        }
        assert_eq!(a.digest().to_string(), LONG_DIGEST);
        assert_eq!(Trace::default().digest().to_string(), EMPTY_DIGEST);
    }

    /// XXH3-64 of the 3,000 records' encoding and of no bytes, computed as `KNOWN_DIGEST` was.
    const LONG_DIGEST: &str = "046a7a51f93dd981";
    const EMPTY_DIGEST: &str = "2d06800538d394c2";

    /// Records of every field type, in shapes that share keys and kinds, with interned and
    /// unique strings: their shapes' codes encode each as `encode_record` does.
    #[test]
    fn shape_codes_encode_records_as_the_encoding_says() {
        let mut t = Trace::default();
        let unique = t.add_unique("once (task 1234)");
        for n in 0..40i64 {
            let text = format!("s{}", n % 7);
            let fields: &[(&'static str, FieldRef<'_>)] = match n % 4 {
                0 => &[("a", FieldRef::Int(n * -1_000_003))],
                1 => &[
                    ("a", FieldRef::Str(&text)),
                    ("flag", FieldRef::Bool(n % 3 == 0)),
                ],
                2 => &[],
                _ => &[
                    ("flag", FieldRef::Bool(n % 5 == 0)),
                    ("b", FieldRef::Int(i64::MIN + n)),
                    ("a", FieldRef::Str("")),
                ],
            };
            t.push(
                SimTime(n as u64 * 13),
                ["k", "kind2"][(n % 2) as usize],
                fields,
            );
        }
        t.push_interned(SimTime(999), "u", &[("text", TraceValue::Interned(unique))]);
        for at in 0..t.len() {
            let stored = t.records.get(at);
            let mut expected = Vec::new();
            encode_record(&mut expected, t.view(stored));
            let shape = &t.shapes[stored.shape as usize];
            let mut got = Vec::new();
            ShapeCode::new(&t, shape).encode(&t, &mut got, (stored.time, t.stored_values(stored)));
            assert_eq!(got, expected, "record {at}");
        }
    }

    #[test]
    fn asking_for_the_digest_midway_changes_nothing() {
        let mut a = Trace::default();
        push(&mut a, 1, "k", 1);
        let midway = a.digest();
        push(&mut a, 2, "k", 2);
        let mut b = Trace::default();
        push(&mut b, 1, "k", 1);
        push(&mut b, 2, "k", 2);
        assert_ne!(midway, b.digest());
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.digest(), a.clone().digest());
    }

    #[test]
    fn records_of_a_prepared_shape_are_the_records_pushed_field_by_field() {
        let mut a = Trace::default();
        let mut b = Trace::default();
        push(&mut a, 1, "other", 7);
        push(&mut b, 1, "other", 7);
        let shape = a.str_shape("Status", ["task", "status"]);
        for (t, (task, status)) in [("t1", "RUNNING"), ("t2", "STOPPED")]
            .into_iter()
            .enumerate()
        {
            let time = SimTime(t as u64 + 2);
            let values = [a.add_unique(task), a.intern(status)];
            a.push_strs(time, shape, values);
            let fields = [
                ("task", FieldRef::Str(task)),
                ("status", FieldRef::Str(status)),
            ];
            b.push(time, "Status", &fields);
            push(&mut a, t as u64 + 3, "other", 8);
            push(&mut b, t as u64 + 3, "other", 8);
        }
        assert_eq!(a.digest(), b.digest());
        let fields = |t: &Trace| -> Vec<Vec<(&'static str, String)>> {
            t.records()
                .map(|r| r.fields().map(|(k, v)| (k, format!("{v:?}"))).collect())
                .collect()
        };
        assert_eq!(fields(&a), fields(&b));
        assert_eq!(a.records().nth(3).unwrap().kind, "Status");
    }

    #[test]
    fn interned_strings_record_as_their_text() {
        let mut a = Trace::default();
        let web = a.intern("web");
        a.push_interned(
            SimTime(1),
            "k",
            &[
                ("s", TraceValue::Interned(web)),
                ("v", TraceValue::Field(FieldRef::Int(2))),
            ],
        );
        let mut b = Trace::default();
        b.push(
            SimTime(1),
            "k",
            &[("s", FieldRef::Str("web")), ("v", FieldRef::Int(2))],
        );
        assert_eq!(a.digest(), b.digest());
        let fields: Vec<_> = a.last().unwrap().fields().collect();
        assert_eq!(
            fields,
            vec![("s", FieldRef::Str("web")), ("v", FieldRef::Int(2))]
        );
        assert_eq!(a.intern("web"), web);
        let again = a.add_unique("web");
        assert_ne!(again, web);
        a.push_interned(SimTime(2), "k", &[("s", TraceValue::Interned(again))]);
        b.push(SimTime(2), "k", &[("s", FieldRef::Str("web"))]);
        assert_eq!(a.digest(), b.digest(), "both numbers read back as the text");
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = Trace::default();
        a.push(SimTime(0), "k", &[("ab", FieldRef::Str("c"))]);
        let mut b = Trace::default();
        b.push(SimTime(0), "k", &[("a", FieldRef::Str("bc"))]);
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn records_read_back_as_pushed() {
        let mut a = Trace::default();
        push(&mut a, 1, "k", 1);
        a.push(SimTime(2), "e", &[]);
        a.push(
            SimTime(3),
            "b",
            &[("s", FieldRef::Str("yz")), ("f", FieldRef::Bool(false))],
        );
        let kinds: Vec<_> = a
            .records()
            .map(|r| (r.time.0, r.kind, r.fields().len()))
            .collect();
        assert_eq!(kinds, vec![(1, "k", 2), (2, "e", 0), (3, "b", 2)]);
        let last: Vec<_> = a.last().unwrap().fields().collect();
        assert_eq!(
            last,
            vec![("s", FieldRef::Str("yz")), ("f", FieldRef::Bool(false))]
        );
        let first: Vec<_> = a.records().next().unwrap().fields().collect();
        assert_eq!(
            first,
            vec![("v", FieldRef::Int(1)), ("s", FieldRef::Str("x"))]
        );
    }

    #[test]
    fn integers_of_every_size_read_back_between_other_fields() {
        let mut a = Trace::default();
        let ints = [i64::MIN, -1, 0, 1, 1 << 32, -(1 << 32) - 1, i64::MAX];
        for (n, v) in ints.into_iter().enumerate() {
            let fields = [
                ("s", FieldRef::Str("before")),
                ("i", FieldRef::Int(v)),
                ("f", FieldRef::Bool(n % 2 == 0)),
                ("j", FieldRef::Int(!v)),
                ("t", FieldRef::Str("after")),
            ];
            a.push(SimTime(n as u64), "k", &fields);
            let back: Vec<_> = a.last().unwrap().fields().collect();
            assert_eq!(back, fields);
        }
        let read: Vec<_> = a.records().map(|r| r.fields().nth(1).unwrap().1).collect();
        assert_eq!(read, ints.map(FieldRef::Int));
    }
}
