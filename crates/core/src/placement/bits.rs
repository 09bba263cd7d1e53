//! Sets of instances as bits (one per instance number), for the tied sets that are "a zone's
//! placeable instances without the group's holders": built with a few word operations per 64
//! instances, ranked by counting bits, listed in id order.
//!
//! Guarantees: `Bits` holds exactly the ids set and not cleared since; `Ranked` answers the
//! `r`-th member in id order, as a sorted list of the same members would.

use crate::ids::InstanceId;

/// A growable set of instance ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    pub fn from_ids(ids: impl IntoIterator<Item = InstanceId>) -> Bits {
        let mut bits = Bits::default();
        ids.into_iter().for_each(|id| bits.insert(id));
        bits
    }

    pub fn insert(&mut self, id: InstanceId) {
        let (word, bit) = place(id);
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= bit;
    }

    /// Empties the set, keeping its room.
    pub fn clear(&mut self) {
        self.words.clear();
    }

    pub fn remove(&mut self, id: InstanceId) {
        let (word, bit) = place(id);
        if let Some(w) = self.words.get_mut(word) {
            *w &= !bit;
        }
    }

    pub fn contains(&self, id: InstanceId) -> bool {
        let (word, bit) = place(id);
        self.words.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Adds the members of `with` that `without` lacks (`without` may be None: none).
    pub fn add_difference(&mut self, with: &Bits, without: Option<&Bits>) {
        if self.words.len() < with.words.len() {
            self.words.resize(with.words.len(), 0);
        }
        let without = without.map_or(&[][..], |b| b.words.as_slice());
        for (at, w) in with.words.iter().enumerate() {
            self.words[at] |= w & !without.get(at).copied().unwrap_or(0);
        }
    }

    /// The members `without` lacks (None: every member), in id order.
    pub fn without<'a>(
        &'a self,
        without: Option<&'a Bits>,
    ) -> impl Iterator<Item = InstanceId> + 'a {
        let without = without.map_or(&[][..], |b| b.words.as_slice());
        ids_of(&self.words, without)
    }

    /// The set, ready to be asked for the `r`-th member: the count before each word is written
    /// to `before` (emptied first; a caller keeps it from one placement to the next).
    pub fn ranked<'a>(&'a self, before: &'a mut Vec<u32>) -> Ranked<'a> {
        before.clear();
        let mut count = 0u32;
        for w in &self.words {
            before.push(count);
            count += w.count_ones();
        }
        Ranked {
            words: &self.words,
            before,
            len: count as usize,
        }
    }
}

/// The ids whose bit is set in `words` and not in `without`, in id order.
fn ids_of<'a>(words: &'a [u64], without: &'a [u64]) -> impl Iterator<Item = InstanceId> + 'a {
    words.iter().enumerate().flat_map(move |(at, w)| {
        let mut left = w & !without.get(at).copied().unwrap_or(0);
        std::iter::from_fn(move || {
            (left != 0).then(|| {
                let bit = left.trailing_zeros();
                left &= left - 1;
                InstanceId(at as u32 * 64 + bit)
            })
        })
    })
}

/// The place in `word` of its set bit with `r` set bits below it (`r` < its set bits).
pub(super) fn nth_in_word(mut word: u64, r: u32) -> u32 {
    for _ in 0..r {
        word &= word - 1;
    }
    word.trailing_zeros()
}

/// The word and the bit of an id.
fn place(id: InstanceId) -> (usize, u64) {
    (id.index() / 64, 1u64 << (id.index() % 64))
}

/// A set's words with, per word, how many members come before it (both borrowed).
#[derive(Clone, Copy, Debug)]
pub struct Ranked<'a> {
    words: &'a [u64],
    before: &'a [u32],
    len: usize,
}

impl Ranked<'_> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// The member with `r` members before it in id order (`r < len()`).
    pub fn nth(&self, r: usize) -> InstanceId {
        let r = r as u32;
        // The last word with at most `r` members before it holds the answer.
        let at = self.before.partition_point(|b| *b <= r) - 1;
        InstanceId(at as u32 * 64 + nth_in_word(self.words[at], r - self.before[at]))
    }

    /// How many members have an id of at most `id`.
    pub fn count_le(&self, id: InstanceId) -> usize {
        let (word, bit) = place(id);
        match self.words.get(word) {
            // The bits up to and including `id`'s own.
            Some(w) => (self.before[word] + (w & (bit | (bit - 1))).count_ones()) as usize,
            None => self.len,
        }
    }

    /// The greatest member, None when empty.
    pub fn last(&self) -> Option<InstanceId> {
        let at = self.words.iter().rposition(|w| *w != 0)?;
        let top = 63 - self.words[at].leading_zeros();
        Some(InstanceId(at as u32 * 64 + top))
    }

    pub fn ids(&self) -> impl Iterator<Item = InstanceId> + '_ {
        ids_of(self.words, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop, prop_assert, prop_assert_eq, proptest};

    fn set(ids: &[u32]) -> Bits {
        Bits::from_ids(ids.iter().map(|i| InstanceId(*i)))
    }

    #[test]
    fn a_difference_ranks_its_members_in_id_order() {
        let mut tied = Bits::default();
        tied.add_difference(&set(&[0, 3, 63, 64, 65, 200]), Some(&set(&[3, 64, 900])));
        tied.add_difference(&set(&[7, 128]), None);
        let apart = set(&[0, 3, 63, 64, 65, 200]);
        let kept: Vec<u32> = apart
            .without(Some(&set(&[3, 64, 900])))
            .map(|i| i.0)
            .collect();
        assert_eq!(kept, [0, 63, 65, 200]);
        let mut before = Vec::new();
        let ranked = tied.ranked(&mut before);
        let expected = [0, 7, 63, 65, 128, 200].map(InstanceId);
        assert_eq!(ranked.len(), expected.len());
        assert_eq!(ranked.ids().collect::<Vec<_>>(), expected);
        for (r, id) in expected.iter().enumerate() {
            assert_eq!(ranked.nth(r), *id, "rank {r}");
        }
    }

    proptest! {
        /// Inserting and removing keeps exactly the ids a sorted list keeps, and every rank
        /// reads the list's member at that place.
        #[test]
        fn bits_rank_as_a_sorted_list_does(
            changes in prop::collection::vec((0u32..400, prop::bool::ANY), 0..200),
        ) {
            let mut bits = Bits::default();
            let mut list: Vec<u32> = Vec::new();
            for (id, add) in changes {
                if add {
                    bits.insert(InstanceId(id));
                    if let Err(at) = list.binary_search(&id) {
                        list.insert(at, id);
                    }
                } else {
                    bits.remove(InstanceId(id));
                    list.retain(|i| *i != id);
                }
            }
            for id in 0..400 {
                prop_assert_eq!(bits.contains(InstanceId(id)), list.contains(&id));
            }
            let mut before = vec![7; 3];
            let ranked = bits.ranked(&mut before);
            prop_assert_eq!(ranked.len(), list.len());
            for (r, id) in list.iter().enumerate() {
                prop_assert_eq!(ranked.nth(r), InstanceId(*id));
            }
            prop_assert!(ranked.ids().map(|i| i.0).eq(list.iter().copied()));
            prop_assert_eq!(ranked.last().map(|i| i.0), list.last().copied());
            for id in 0..420 {
                let upto = list.partition_point(|i| *i <= id);
                prop_assert_eq!(ranked.count_le(InstanceId(id)), upto);
            }
        }
    }
}
