//! The event queue: events ordered by `(SimTime, class, seq)`.
//!
//! Contract: events pop in time order. At the same time, events of a lower class pop first (the
//! engine puts its own lifecycle events in class 0 and a driver's timeline entries in class 1,
//! so everything the simulation has due at a millisecond happens before the next timeline entry
//! of that millisecond). Within a time and class, events pop in the order they were pushed (FIFO):
//! every push takes the next value of a monotonically increasing sequence number. This total
//! order is what makes a run reproducible: no two entries share a key, so the pop order does not
//! depend on how the queue stores them.
//!
//! Storage is a radix heap on the time (Ahuja, Mehlhorn, Orlin and Tarjan, 1990), which suits a
//! simulation's keys: nothing is scheduled before the clock. Times are read as 8-bit digits.
//! Relative to a *base* time (that of the last pop), an entry sits in the bucket of the highest
//! digit place where its time differs from the base and of its digit there; buckets in index
//! order hold ever later times. The entries at the base itself wait in one first-in-first-out
//! list per class. When a pop finds those empty, the lowest non-empty bucket gives the new base
//! (its least time, kept per bucket), and its entries move to buckets of lower places or to the
//! base (sorted there once). An entry moves at most once per digit place (a delay of 30 s, 15 bits,
//! about twice; with 4-bit digits it moved about four times, with one bucket per bit about
//! seven), each move an append: a pop reads a few nearby cache lines instead of walking a heap
//! of every event.
//! An entry earlier than the base (a driver scheduling into the past) waits in a heap of its own;
//! a pop takes the lesser head.

use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Bits of `Entry::order` that hold the sequence number; the class sits above them.
const SEQ_BITS: u32 = 56;
/// The classes an event may have (`push_in`): the engine's own and a driver's.
const CLASSES: usize = 2;

/// The class an entry's `order` holds.
fn class_of(order: u64) -> usize {
    (order >> SEQ_BITS) as usize
}

/// A queued event; `order` packs `(class, seq)` into one integer so that an entry is 24 bytes
/// for an 8-byte event and compares as two integers.
#[derive(Debug)]
struct Entry<E> {
    time: SimTime,
    order: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> (SimTime, u64) {
        (self.time, self.order)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The bucket of `time` (above `base`): the highest digit place where the two differ, and
/// `time`'s digit there (above `base`'s), so that buckets in index order hold ever later times.
fn bucket_of(time: u64, base: u64) -> usize {
    let place = (u64::BITS - 1 - (time ^ base).leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (place * DIGIT_BITS)) as usize & (RADIX - 1);
    place as usize * RADIX + digit
}

/// A min-heap of entries by key.
type MinHeap<E> = BinaryHeap<Reverse<Entry<E>>>;

/// Bits per digit of the radix part: a bucket is a (digit place, digit value) pair.
const DIGIT_BITS: u32 = 8;
/// Values of one digit.
const RADIX: usize = 1 << DIGIT_BITS;
/// Buckets of the radix part: each digit place of a 64-bit time, times each value.
const BUCKETS: usize = (64 / DIGIT_BITS as usize) * RADIX;
/// Words of the mask of filled buckets.
const FILLED_WORDS: usize = BUCKETS / 64;

/// One bucket of the radix part: its entries, unordered, and their least time.
#[derive(Debug)]
struct Bucket<E> {
    entries: Vec<Entry<E>>,
    /// Meaningful while it holds entries (`u64::MAX` when empty).
    min_time: u64,
}

/// Every bucket empty, built on the heap.
fn empty_buckets<E>() -> Box<[Bucket<E>; BUCKETS]> {
    let buckets: Box<[Bucket<E>]> = (0..BUCKETS)
        .map(|_| Bucket {
            entries: Vec::new(),
            min_time: u64::MAX,
        })
        .collect();
    match buckets.try_into() {
        Ok(all) => all,
        Err(_) => unreachable!("BUCKETS buckets were built"),
    }
}

/// A priority queue of events keyed by `(time, insertion order)`.
#[derive(Debug)]
pub struct EventQueue<E> {
    /// No entry of the radix part is earlier: the time of its last pop, or of its least entries
    /// once a pop has rebased on them (0 before any).
    base: u64,
    /// The radix part's entries at `base`, one first-in-first-out list per class, each in
    /// order. All share one time, so a rebase sorts the ones it moves here once, and a push at
    /// the base's own time (the highest sequence number yet) goes to the back of its class:
    /// every push and pop at the base takes constant time, however many entries wait there.
    at_base: [VecDeque<Entry<E>>; CLASSES],
    /// Bucket `place * RADIX + digit`: entries whose time is above `base`, differs from it first
    /// at that digit place, and has that digit there (`bucket_of`).
    /// Boxed: 64 KiB the engine need not carry (or copy when it moves) inline.
    buckets: Box<[Bucket<E>; BUCKETS]>,
    /// Bit `b` set: bucket `b` holds entries.
    filled: [u64; FILLED_WORDS],
    /// Entries earlier than `base`: pushed into the past by a driver, or after such an entry
    /// popped (the clock is then behind `base`). Empty in a run that never schedules back.
    early: MinHeap<E>,
    /// How many entries the radix part holds.
    radix_len: usize,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            base: 0,
            at_base: [VecDeque::new(), VecDeque::new()],
            buckets: empty_buckets(),
            filled: [0; FILLED_WORDS],
            early: BinaryHeap::new(),
            radix_len: 0,
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in class 0, after every class-0 event already there.
    pub fn push(&mut self, time: SimTime, event: E) {
        self.push_in(time, 0, event);
    }

    /// Schedules `event` at `time` in `class` (0 or 1), after every event already there in that
    /// class.
    pub fn push_in(&mut self, time: SimTime, class: u8, event: E) {
        assert!(usize::from(class) < CLASSES, "event class 0 or 1");
        let seq = self.next_seq;
        self.next_seq += 1;
        assert!(seq < 1 << SEQ_BITS, "event sequence numbers exhausted");
        let entry = Entry {
            time,
            order: (u64::from(class) << SEQ_BITS) | seq,
            event,
        };
        if time.0 < self.base {
            self.early.push(Reverse(entry));
        } else {
            self.file(entry);
            self.radix_len += 1;
        }
    }

    /// Puts an entry no earlier than `base` in its place in the radix part.
    fn file(&mut self, entry: Entry<E>) {
        if entry.time.0 == self.base {
            // The last of its class: its sequence number is the highest yet.
            self.at_base[class_of(entry.order)].push_back(entry);
            return;
        }
        self.file_above_base(entry);
    }

    /// Puts an entry later than `base` in its bucket.
    fn file_above_base(&mut self, entry: Entry<E>) {
        let time = entry.time.0;
        let b = bucket_of(time, self.base);
        let bucket = &mut self.buckets[b];
        bucket.entries.push(entry);
        bucket.min_time = bucket.min_time.min(time);
        self.filled[b / 64] |= 1 << (b % 64);
    }

    /// The radix part's next entry, if it holds any: the first at the base, else the least of
    /// the lowest bucket (before the pop that rebases on it).
    fn radix_head(&self) -> Option<&Entry<E>> {
        if let Some(e) = self.base_head() {
            return Some(e);
        }
        self.buckets[self.lowest()?].entries.iter().min()
    }

    /// Whether the next entry is an early one.
    fn early_first(&self) -> bool {
        match (self.early.peek(), self.radix_head()) {
            (Some(Reverse(early)), Some(radix)) => early < radix,
            (early, _) => early.is_some(),
        }
    }

    /// The next entry, if any (the radix part's head found once: it may scan a bucket).
    fn head(&self) -> Option<&Entry<E>> {
        let early = self.early.peek().map(|Reverse(e)| e);
        match (early, self.radix_head()) {
            (Some(early), Some(radix)) => Some(early.min(radix)),
            (early, radix) => early.or(radix),
        }
    }

    /// The time of the next event, if any (without finding the entry: the lowest bucket
    /// knows its least time).
    pub fn peek_time(&self) -> Option<SimTime> {
        let radix = match self.base_head() {
            Some(e) => Some(e.time.0),
            None => self.lowest().map(|b| self.buckets[b].min_time),
        };
        let early = self.early.peek().map(|Reverse(e)| e.time.0);
        match (early, radix) {
            (Some(e), Some(r)) => Some(SimTime(e.min(r))),
            (e, r) => e.or(r).map(SimTime),
        }
    }

    /// The next event, if any.
    pub fn peek(&self) -> Option<&E> {
        self.head().map(|e| &e.event)
    }

    /// The next event or, when finding it would search a bucket, a likely one: the first
    /// entry of the lowest bucket (of one time when the bucket is of the lowest digit place, and
    /// mostly the first pushed there). For hints (`prefetch`), where a wrong guess costs only a
    /// wasted load; an early entry (scheduled into the past) is not looked at.
    pub fn likely_next(&self) -> Option<&E> {
        let entry = match self.base_head() {
            Some(e) => e,
            None => self.buckets[self.lowest()?].entries.first()?,
        };
        Some(&entry.event)
    }

    /// Removes and returns the next event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.base_head().is_none()
            && let Some(b) = self.lowest()
        {
            self.rebase(b);
        }
        if self.early_first() {
            return self.early.pop().map(|Reverse(e)| (e.time, e.event));
        }
        let [first, second] = &mut self.at_base;
        let next = first.pop_front().or_else(|| second.pop_front())?;
        self.radix_len -= 1;
        Some((next.time, next.event))
    }

    /// The entries at the base are gone and a pop is due: the lowest non-empty bucket's least
    /// time becomes the base, and its entries move to lower buckets or to the base (the higher
    /// buckets' entries differ from the new base at the same bit as from the old).
    fn rebase(&mut self, b: usize) {
        self.base = std::mem::replace(&mut self.buckets[b].min_time, u64::MAX);
        self.filled[b / 64] &= !(1 << (b % 64));
        let mut moving = std::mem::take(&mut self.buckets[b].entries);
        for entry in moving.drain(..) {
            match entry.time.0 == self.base {
                true => self.at_base[class_of(entry.order)].push_back(entry),
                false => self.file_above_base(entry),
            }
        }
        // In order. A bucket keeps the entries of one time in the order they came (each time
        // has one bucket under any base, and a rebase moves whole buckets into empty ones), so
        // this sort finds them sorted; it stays so that the order never rests on that argument.
        for class in &mut self.at_base {
            class.make_contiguous().sort_unstable_by_key(|e| e.order);
        }
        // The emptied list goes back, keeping its capacity for the next time round.
        self.buckets[b].entries = moving;
    }

    /// The first entry at the base: of the lowest class holding any.
    fn base_head(&self) -> Option<&Entry<E>> {
        let [first, second] = &self.at_base;
        first.front().or_else(|| second.front())
    }

    /// The lowest bucket holding entries (its entries are below every other bucket's).
    fn lowest(&self) -> Option<usize> {
        let (at, word) = self.filled.iter().enumerate().find(|(_, w)| **w != 0)?;
        Some(at * 64 + word.trailing_zeros() as usize)
    }

    pub fn len(&self) -> usize {
        self.radix_len + self.early.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), "b");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "c");
        q.push(SimTime(3), "x");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (SimTime(1), "a"),
                (SimTime(3), "x"),
                (SimTime(5), "b"),
                (SimTime(5), "c")
            ]
        );
    }

    #[test]
    fn peek_shows_the_event_pop_returns_next() {
        let mut q = EventQueue::default();
        for (t, e) in [(9, "c"), (2, "a"), (5, "b"), (2, "a2")] {
            q.push(SimTime(t), e);
        }
        while let Some(next) = q.peek().copied() {
            assert_eq!(q.pop().map(|(_, e)| e), Some(next));
        }
        assert!(q.pop().is_none());
    }

    /// Where no search is needed (entries at the base, or one entry), the guess is the head.
    #[test]
    fn the_likely_next_is_the_head_when_known_without_a_search() {
        let mut q = EventQueue::default();
        assert_eq!(q.likely_next(), None);
        q.push(SimTime(300), "only");
        assert_eq!(q.likely_next(), Some(&"only"));
        for e in ["a", "b", "c"] {
            q.push(SimTime(700), e);
        }
        assert_eq!(q.pop(), Some((SimTime(300), "only")));
        assert_eq!(q.pop(), Some((SimTime(700), "a")));
        // "b" and "c" wait at the base: the guess is the head, pop by pop.
        while let Some(head) = q.peek().copied() {
            assert_eq!(q.likely_next(), Some(&head));
            q.pop();
        }
        assert_eq!(q.likely_next(), None);
    }

    /// A stop of thousands of tasks with no stopping delay schedules them all at the clock's
    /// own millisecond, among timeline entries waiting there: each class stays first in, first
    /// out, the engine's before the driver's.
    #[test]
    fn many_pushes_at_the_base_keep_class_then_fifo_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(9), 0);
        for i in 0..1_000 {
            q.push_in(SimTime(9), 1, 1_000_000 + i);
        }
        assert_eq!(q.pop(), Some((SimTime(9), 0)));
        for i in 1..50_000 {
            q.push(SimTime(9), i);
        }
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        let engine = 1..50_000;
        let driver = 1_000_000..1_001_000;
        assert!(popped.iter().copied().eq(engine.chain(driver)));
    }

    #[test]
    fn lower_class_first_at_the_same_time() {
        let mut q = EventQueue::default();
        q.push_in(SimTime(5), 1, "entry");
        q.push(SimTime(5), "internal");
        q.push_in(SimTime(4), 1, "early entry");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["early entry", "internal", "entry"]);
    }

    #[test]
    fn same_time_is_fifo_even_after_interleaving() {
        let mut q = EventQueue::default();
        for i in 0..100 {
            q.push(SimTime(7), i);
            q.push(SimTime(9), 1000 + i);
        }
        let firsts: Vec<_> = (0..100).map(|_| q.pop().unwrap().1).collect();
        assert_eq!(firsts, (0..100).collect::<Vec<_>>());
    }

    /// Between two pops, a push that orders before the head of the lowest bucket (an earlier
    /// time, or the same time in a lower class) is the next peek's head, and `peek_time` (read
    /// off the bucket's least time) agrees.
    #[test]
    fn a_lesser_push_between_pops_is_the_next_head() {
        let mut q = EventQueue::default();
        q.push(SimTime(1), "clock");
        assert_eq!(q.pop(), Some((SimTime(1), "clock")));
        q.push_in(SimTime(40), 1, "timeline");
        q.push_in(SimTime(50), 0, "later");
        assert_eq!(q.peek(), Some(&"timeline"));
        assert_eq!(q.peek_time(), Some(SimTime(40)));
        q.push_in(SimTime(40), 0, "engine");
        assert_eq!(q.peek(), Some(&"engine"));
        q.push_in(SimTime(39), 1, "earlier");
        assert_eq!(q.peek(), Some(&"earlier"));
        assert_eq!(q.peek_time(), Some(SimTime(39)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["earlier", "engine", "timeline", "later"]);
    }

    #[test]
    fn matches_a_sorted_model_under_interleaved_pushes_and_pops() {
        let mut q = EventQueue::default();
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 7;
        for i in 0..5_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let (time, class) = (SimTime((x >> 33) % 50), ((x >> 20) % 2) as u8);
            q.push_in(time, class, i);
            model.insert((time, class, i));
            if (x >> 40).is_multiple_of(3) {
                let want = model.pop_first().map(|(t, _, e)| (t, e));
                assert_eq!(q.pop(), want);
            }
        }
        while let Some((t, _, e)) = model.pop_first() {
            assert_eq!(q.pop(), Some((t, e)));
        }
        assert!(q.is_empty());
    }

    /// As a simulation schedules: at or after the clock (the last pop), by delays from none to
    /// days, with timeline entries far ahead; every pop, peek and length agrees with the model.
    #[test]
    fn matches_a_sorted_model_when_scheduling_ahead_of_the_clock() {
        let mut q = EventQueue::default();
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 11;
        let mut clock = 0u64;
        for i in 0..20_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let delay = match (x >> 60) % 4 {
                0 => 0,
                1 => (x >> 20) % 30,
                2 => (x >> 20) % 30_000,
                _ => (x >> 20) % (1 << 36),
            };
            let (time, class) = (SimTime(clock + delay), ((x >> 10) % 2) as u8);
            q.push_in(time, class, i);
            model.insert((time, class, i));
            if (x >> 40).is_multiple_of(2) {
                let want = model.pop_first().map(|(t, _, e)| (t, e));
                assert_eq!(q.pop(), want);
                clock = want.map_or(clock, |(t, _)| t.0);
            }
            let head = model.first().map(|(t, _, e)| (*t, *e));
            assert_eq!(q.peek_time().zip(q.peek().copied()), head);
            assert_eq!(q.len(), model.len());
            // The guess is some queued event (nothing here is scheduled into the past).
            let guess = q.likely_next().copied();
            assert_eq!(guess.is_some(), !model.is_empty());
            assert!(guess.is_none_or(|g| model.iter().any(|(_, _, e)| *e == g)));
        }
        while let Some((t, _, e)) = model.pop_first() {
            assert_eq!(q.pop(), Some((t, e)));
        }
        assert!(q.is_empty() && q.peek().is_none());
    }
}
