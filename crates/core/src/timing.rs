//! The timing model: how long lifecycle transitions take, as ranges drawn from the Timing stream.

use crate::rng::{Purpose, RngStreams};
use crate::time::SimDuration;

/// A delay drawn uniformly from `min..=max` milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DelayRange {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl DelayRange {
    pub const ZERO: DelayRange = DelayRange {
        min_ms: 0,
        max_ms: 0,
    };

    pub fn fixed(ms: u64) -> DelayRange {
        DelayRange {
            min_ms: ms,
            max_ms: ms,
        }
    }

    /// Draws a delay. A fixed delay draws nothing, so it never shifts the stream.
    pub fn draw(self, rng: &mut RngStreams) -> SimDuration {
        if self.max_ms <= self.min_ms {
            return SimDuration(self.min_ms);
        }
        SimDuration(rng.between(Purpose::Timing, self.min_ms, self.max_ms))
    }
}

/// Lifecycle delays of a run (the scenario's `timing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// PROVISIONING → PENDING for awsvpc tasks (ENI attachment).
    pub provisioning: DelayRange,
    /// PENDING → RUNNING (image pull and start).
    pub pending: DelayRange,
    /// RUNNING → counts as healthy for deployments.
    pub healthy: DelayRange,
    /// STOPPING → STOPPED when the container exits on SIGTERM; capped by the stop timeout.
    pub stopping: DelayRange,
    /// SIGTERM → SIGKILL.
    pub stop_timeout: SimDuration,
    /// How long the service scheduler takes to react.
    pub scheduler_delay: DelayRange,
    /// UpdateContainerAgent: PENDING → UPDATED.
    pub agent_update: DelayRange,
    /// For services with load balancers: RUNNING → healthy in the target group (at least the
    /// service's `healthCheckGracePeriodSeconds`).
    pub load_balancer_healthy: DelayRange,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            provisioning: DelayRange::ZERO,
            pending: DelayRange::ZERO,
            healthy: DelayRange::fixed(40_000),
            stopping: DelayRange::ZERO,
            stop_timeout: SimDuration::from_secs(30),
            scheduler_delay: DelayRange::ZERO,
            agent_update: DelayRange::fixed(60_000),
            load_balancer_healthy: DelayRange::fixed(150_000),
        }
    }
}
