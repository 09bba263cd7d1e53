//! Task placement: candidate filters with ECS failure reasons, then a choice among the valid
//! candidates.
//!
//! Pipeline: every instance of the cluster goes through the filters of `filters` in the
//! documented order; each rejection carries the first reason that rejects it. The valid
//! candidates are then ordered by the strategy. This module decides; the engine applies.

pub mod filters;

use crate::ids::InstanceId;
use crate::rng::{Purpose, RngStreams};
use crate::world::World;
pub use filters::{PlacementInput, Reason, Verdict};

/// The verdict of every instance of a cluster for one task.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// Instances that pass every filter, in id order.
    pub candidates: Vec<InstanceId>,
    /// Instances rejected with a reported reason, in id order.
    pub rejections: Vec<(InstanceId, Reason)>,
}

/// Runs the filters over `instances`.
pub fn evaluate(world: &World, instances: &[InstanceId], input: &PlacementInput<'_>) -> Evaluation {
    let mut ev = Evaluation::default();
    for &id in instances {
        match filters::check(world, world.instance(id), input) {
            Verdict::Fit => ev.candidates.push(id),
            Verdict::Reject(reason) if reason.is_reported() => ev.rejections.push((id, reason)),
            Verdict::Reject(_) => {}
        }
    }
    ev
}

/// RunTask's default strategy: a uniformly random valid candidate, from the Placement stream.
pub fn choose_random(candidates: &[InstanceId], rng: &mut RngStreams) -> Option<InstanceId> {
    if candidates.is_empty() {
        return None;
    }
    let i = rng.below(Purpose::Placement, candidates.len() as u64) as usize;
    Some(candidates[i])
}
