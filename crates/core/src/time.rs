//! Simulated time: integer milliseconds since the scenario's start.
//!
//! There are no floats in time. Arithmetic saturates at `u64::MAX` instead of wrapping, so a
//! pathological delay can never move the clock backwards.

use std::fmt;

/// A point in simulated time, in milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    /// Milliseconds since the start of the run.
    pub fn as_ms(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating.
    #[must_use]
    pub fn after(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// The time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub fn from_secs(s: u64) -> SimDuration {
        SimDuration(s.saturating_mul(1000))
    }

    pub fn as_ms(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SimTime {
    /// Formats as `1h02m03.004s`-style text, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", SimDuration(self.0))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1000;
        let s = (self.0 / 1000) % 60;
        let m = (self.0 / 60_000) % 60;
        let h = self.0 / 3_600_000;
        if h > 0 {
            write!(f, "{h}h{m:02}m{s:02}")?;
        } else if m > 0 {
            write!(f, "{m}m{s:02}")?;
        } else {
            write!(f, "{s}")?;
        }
        if ms > 0 {
            write!(f, ".{ms:03}")?;
        }
        write!(f, "s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime(u64::MAX).after(SimDuration(5)), SimTime(u64::MAX));
        assert_eq!(SimTime(3).since(SimTime(10)), SimDuration::ZERO);
        assert_eq!(SimTime(10).since(SimTime(3)), SimDuration(7));
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(SimTime(0).to_string(), "0s");
        assert_eq!(SimTime(1_500).to_string(), "1.500s");
        assert_eq!(SimTime(90_000).to_string(), "1m30s");
        assert_eq!(SimTime(3_723_004).to_string(), "1h02m03.004s");
    }
}
