//! The event queue: a min-heap ordered by `(SimTime, class, seq)`.
//!
//! Contract: events pop in time order. At the same time, events of a lower class pop first (the
//! engine puts its own lifecycle events in class 0 and a driver's timeline entries in class 1,
//! so everything the simulation has due at a millisecond happens before the next timeline entry
//! of that millisecond). Within a time and class, events pop in the order they were pushed (FIFO):
//! every push takes the next value of a monotonically increasing sequence number. This total
//! order is what makes a run reproducible: no two entries share a key, so the pop order does not
//! depend on the heap's shape.
//!
//! The heap is 4-ary (children of `i` at `4i+1..=4i+4`): half the depth of a binary heap, with a
//! node's children next to each other in memory, which is what a pop's walk down touches.

use crate::time::SimTime;

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

    /// The key as one integer (time above order): the same order as `key`, one comparison.
    fn rank(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.order)
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

/// Children per node of the heap.
const ARITY: usize = 4;

/// A priority queue of events keyed by `(time, insertion order)`.
#[derive(Debug)]
pub struct EventQueue<E> {
    /// A min-heap: every entry is smaller than its children.
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: Vec::new(),
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
        self.heap.push(Entry {
            time,
            order: (u64::from(class) << SEQ_BITS) | seq,
            event,
        });
        self.sift_up(self.heap.len() - 1);
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| e.time)
    }

    /// The next event, if any.
    pub fn peek(&self) -> Option<&E> {
        self.heap.first().map(|e| &e.event)
    }

    /// Removes and returns the next event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.heap.is_empty() {
            return None;
        }
        let next = self.heap.swap_remove(0);
        self.sift_down(0);
        Some((next.time, next.event))
    }

    /// Moves the entry at `at` up until its parent is smaller.
    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / ARITY;
            if self.heap[parent] <= self.heap[at] {
                return;
            }
            self.heap.swap(parent, at);
            at = parent;
        }
    }

    /// Moves the entry at `at` down until its children are larger.
    fn sift_down(&mut self, mut at: usize) {
        let len = self.heap.len();
        let Some(rank) = self.heap.get(at).map(Entry::rank) else {
            return;
        };
        loop {
            let first = at * ARITY + 1;
            if first >= len {
                return;
            }
            let last = (first + ARITY).min(len);
            let mut least = first;
            let mut least_rank = self.heap[first].rank();
            for child in first + 1..last {
                let child_rank = self.heap[child].rank();
                if child_rank < least_rank {
                    (least, least_rank) = (child, child_rank);
                }
            }
            if rank <= least_rank {
                return;
            }
            self.heap.swap(at, least);
            at = least;
        }
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
}
