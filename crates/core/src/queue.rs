//! The event queue: a min-heap ordered by `(SimTime, class, seq)`.
//!
//! Contract: events pop in time order. At the same time, events of a lower class pop first (the
//! engine puts its own lifecycle events in class 0 and a driver's timeline entries in class 1,
//! so everything the simulation has due at a millisecond happens before the next timeline entry
//! of that millisecond). Within a time and class, events pop in the order they were pushed (FIFO):
//! every push takes the next value of a monotonically increasing sequence number. This total
//! order is what makes a run reproducible.

use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bits of `Entry::order` that hold the sequence number; the class sits above them.
const SEQ_BITS: u32 = 56;

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

/// A priority queue of events keyed by `(time, insertion order)`.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` in class 0, after every class-0 event already there.
    pub fn push(&mut self, time: SimTime, event: E) {
        self.push_in(time, 0, event);
    }

    /// Schedules `event` at `time` in `class`, after every event already there in that class.
    pub fn push_in(&mut self, time: SimTime, class: u8, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        assert!(seq < 1 << SEQ_BITS, "event sequence numbers exhausted");
        self.heap.push(Reverse(Entry {
            time,
            order: (u64::from(class) << SEQ_BITS) | seq,
            event,
        }));
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.time)
    }

    /// Removes and returns the next event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|Reverse(e)| (e.time, e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
