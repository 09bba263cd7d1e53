//! Seeded random streams: one ChaCha8 generator per purpose.
//!
//! Every stream is built from the same 64-bit seed and told apart by `set_stream`, so adding a new
//! consumer of randomness never shifts the draws of another. Only integer helpers are offered: no
//! floats reach a decision.

use crate::ids::HexId;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// What a stream of random numbers is used for. The discriminant is the ChaCha stream number:
/// never renumber an existing purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// Placement decisions (the random strategy, ties).
    Placement = 1,
    /// Lifecycle delays drawn from timing ranges.
    Timing = 2,
    /// Resource identifiers (task and container-instance ids).
    Ids = 3,
    /// Fault schedules.
    Faults = 4,
}

const PURPOSES: [Purpose; 4] = [
    Purpose::Placement,
    Purpose::Timing,
    Purpose::Ids,
    Purpose::Faults,
];

/// The named random streams of one run.
#[derive(Clone, Debug)]
pub struct RngStreams {
    streams: Vec<ChaCha8Rng>,
}

impl RngStreams {
    pub fn new(seed: u64) -> RngStreams {
        let streams = PURPOSES
            .iter()
            .map(|p| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(*p as u64);
                rng
            })
            .collect();
        RngStreams { streams }
    }

    fn stream(&mut self, purpose: Purpose) -> &mut ChaCha8Rng {
        &mut self.streams[purpose as usize - 1]
    }

    /// A uniform integer in `0..n`; `0` when `n` is zero. Unbiased (rejection sampling).
    pub fn below(&mut self, purpose: Purpose, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.stream(purpose).next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// A uniform integer in `lo..=hi` (`lo` when `hi <= lo`).
    pub fn between(&mut self, purpose: Purpose, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(purpose, span),
            None => self.stream(purpose).next_u64(),
        }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, purpose: Purpose, num: u64, den: u64) -> bool {
        den > 0 && self.below(purpose, den) < num
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, purpose: Purpose, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(purpose, i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// 128 random bits as 32 lowercase hex digits: the shape of an ECS task or instance id.
    pub fn hex_id(&mut self, purpose: Purpose) -> String {
        self.hex(purpose).to_string()
    }

    /// `hex_id`'s draws and digits, held inline.
    pub fn hex(&mut self, purpose: Purpose) -> HexId {
        let a = self.stream(purpose).next_u64();
        let b = self.stream(purpose).next_u64();
        // The same text as `format!("{a:016x}{b:016x}")`, two digits per byte of the draws,
        // most significant first, without the formatting machinery.
        let mut id = [0u8; 32];
        let (high, low) = id.split_at_mut(16);
        write_hex(high, a);
        write_hex(low, b);
        HexId::from_digits(id)
    }
}

/// Writes `value`'s 16 hex digits into `out`, most significant first: two digits per byte,
/// from the table, in a loop the compiler unrolls.
fn write_hex(out: &mut [u8], value: u64) {
    let bytes = value.to_be_bytes();
    for (at, byte) in bytes.iter().enumerate() {
        let pair = HEX_PAIRS[usize::from(*byte)];
        out[2 * at] = pair[0];
        out[2 * at + 1] = pair[1];
    }
}

/// Each byte's two lowercase hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [DIGITS[byte >> 4], DIGITS[byte & 0xf]];
        byte += 1;
    }
    pairs
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_are_the_two_draws_in_lowercase_hex() {
        let mut a = RngStreams::new(3);
        let mut b = RngStreams::new(3);
        for _ in 0..20 {
            let x = b.stream(Purpose::Ids).next_u64();
            let y = b.stream(Purpose::Ids).next_u64();
            assert_eq!(a.hex_id(Purpose::Ids), format!("{x:016x}{y:016x}"));
        }
    }

    #[test]
    fn same_seed_same_draws() {
        let mut a = RngStreams::new(7);
        let mut b = RngStreams::new(7);
        for _ in 0..50 {
            assert_eq!(
                a.below(Purpose::Placement, 10),
                b.below(Purpose::Placement, 10)
            );
        }
    }

    #[test]
    fn streams_are_independent() {
        let mut a = RngStreams::new(7);
        let mut b = RngStreams::new(7);
        // Drawing from Timing on `a` must not shift Placement.
        for _ in 0..10 {
            a.below(Purpose::Timing, 1000);
        }
        let pa: Vec<_> = (0..20).map(|_| a.below(Purpose::Placement, 1000)).collect();
        let pb: Vec<_> = (0..20).map(|_| b.below(Purpose::Placement, 1000)).collect();
        assert_eq!(pa, pb);
    }

    #[test]
    fn different_seeds_differ() {
        let mut a = RngStreams::new(1);
        let mut b = RngStreams::new(2);
        assert_ne!(a.hex_id(Purpose::Ids), b.hex_id(Purpose::Ids));
    }

    #[test]
    fn bounds_hold() {
        let mut r = RngStreams::new(3);
        for _ in 0..1000 {
            let x = r.between(Purpose::Timing, 5, 9);
            assert!((5..=9).contains(&x));
        }
        assert_eq!(r.below(Purpose::Timing, 0), 0);
        assert_eq!(r.between(Purpose::Timing, 4, 4), 4);
        assert_eq!(r.hex_id(Purpose::Ids).len(), 32);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut r = RngStreams::new(9);
        let mut v: Vec<u32> = (0..30).collect();
        r.shuffle(Purpose::Placement, &mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..30).collect::<Vec<_>>());
    }
}
