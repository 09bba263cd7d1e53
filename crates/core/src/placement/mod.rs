//! Task placement: candidate filters with ECS failure reasons, then strategies that order the
//! valid candidates, then a seeded tie-break.
//!
//! Pipeline (§1): every instance of the cluster goes through `filters` in the documented order
//! and gets a `Verdict`; every rejection is tallied by reason (as Nomad's AllocMetric does) and
//! the closest match is kept, so "why not" is always answerable. The valid candidates are then
//! narrowed by the strategies in list order (lexicographic refinement, `strategy`), and the
//! remaining ties are broken by the seeded Placement stream. This module decides; the engine
//! applies.

mod bits;
pub mod explain;
pub mod filters;
pub mod index;
pub mod scale_in;
pub mod strategy;
pub mod victim_layout;
pub mod victims;

use crate::ids::InstanceId;
use crate::world::World;
pub use filters::{PlacementInput, Reason, Shortfall, Verdict};
pub use strategy::{BinpackField, Bucket, Choice, Measure, SpreadField, Step, Strategy};

/// How many instances each reason rejected (each instance counted once, by its first reason).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RejectionTally {
    pub evaluated: u32,
    pub by_reason: [u32; Reason::ALL.len()],
}

impl RejectionTally {
    /// The reasons that rejected at least one instance, in filter order, with their counts.
    pub fn reasons(&self) -> impl Iterator<Item = (Reason, u32)> + '_ {
        Reason::ALL
            .iter()
            .zip(self.by_reason)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (*r, n))
    }
}

/// A rejected instance and by how much it missed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub instance: InstanceId,
    pub reason: Reason,
    pub shortfall: Shortfall,
}

/// The verdict of every instance of a cluster for one task.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// Instances that pass every filter, in id order.
    pub candidates: Vec<InstanceId>,
    /// Rejected instances with a reported reason, in id order.
    pub rejections: Vec<Rejection>,
    pub tally: RejectionTally,
}

impl Evaluation {
    /// The instance that passed the most filters (ties: the lowest id), among the reported
    /// rejections; the one ECS service events name as "the closest matching container-instance".
    pub fn closest(&self) -> Option<&Rejection> {
        self.rejections.iter().max_by(|a, b| {
            a.reason
                .rank()
                .cmp(&b.reason.rank())
                .then(b.instance.cmp(&a.instance))
        })
    }
}

/// Runs the filters over `instances`.
pub fn evaluate(world: &World, instances: &[InstanceId], input: &PlacementInput<'_>) -> Evaluation {
    let mut ev = Evaluation::default();
    for &id in instances {
        ev.tally.evaluated += 1;
        match filters::check(world, world.instance(id), input) {
            Verdict::Fit => ev.candidates.push(id),
            Verdict::Reject(reason, shortfall) => {
                ev.tally.by_reason[reason.rank()] += 1;
                if reason.is_reported() {
                    ev.rejections.push(Rejection {
                        instance: id,
                        reason,
                        shortfall,
                    });
                }
            }
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::filters::test_support::{Fixture, input};
    use super::*;
    use crate::resources::Requirement;

    #[test]
    fn tallies_first_reasons_and_finds_the_closest_match() {
        let mut f = Fixture::new(4, 1024, 1024);
        f.world.instances[0].agent_connected = false;
        f.world.instances[1].remaining.memory_mib = 100;
        f.world.instances[2].remaining.cpu = 100;
        f.world.instances[3].status = crate::instance::InstanceStatus::Draining;
        let req = Requirement {
            cpu: 512,
            memory_mib: 512,
            ..Default::default()
        };
        let ids: Vec<InstanceId> = (0..4).map(InstanceId).collect();
        let ev = evaluate(&f.world, &ids, &input(&req));
        assert!(ev.candidates.is_empty());
        let reasons: Vec<_> = ev.tally.reasons().collect();
        assert_eq!(
            reasons,
            vec![
                (Reason::Status, 1),
                (Reason::Agent, 1),
                (Reason::Cpu, 1),
                (Reason::Memory, 1)
            ]
        );
        assert_eq!(ev.rejections.len(), 3, "status exclusions are not reported");
        let closest = ev.closest().unwrap();
        assert_eq!(
            (closest.instance, closest.reason),
            (InstanceId(1), Reason::Memory)
        );
    }

    #[test]
    fn closest_ties_go_to_the_lowest_id() {
        let mut f = Fixture::new(3, 1024, 1024);
        for i in 0..3 {
            f.world.instances[i].remaining.cpu = 10;
        }
        let req = Requirement {
            cpu: 512,
            ..Default::default()
        };
        let ids: Vec<InstanceId> = (0..3).map(InstanceId).collect();
        let ev = evaluate(&f.world, &ids, &input(&req));
        assert_eq!(ev.closest().unwrap().instance, InstanceId(0));
    }
}
