//! Plans for liveness properties: one REPLICA service on a fleet with room for twice its
//! desired count, so that a rolling deployment (maximumPercent 200) or a drain can always finish.

use super::fleet::{FleetGroup, SIZES, ZONES};
use super::plan::{Plan, timing_plan};
use super::service::{ServicePlan, strategies};
use super::taskdef::{TaskDefPlan, task_def};
use super::timeline::{Action, Step};
use proptest::prelude::*;

/// A task definition without GPUs (the focused fleets have none).
fn plain_task_def() -> impl Strategy<Value = TaskDefPlan> {
    task_def("web".into()).prop_map(|mut td| {
        td.gpu = None;
        td
    })
}

/// The smallest catalogue size that fits one task of `td`.
fn size_for(td: &TaskDefPlan) -> (i64, i64) {
    let (cpu, mem) = td.footprint();
    SIZES
        .iter()
        .copied()
        .find(|(c, m)| *c >= cpu && *m >= mem)
        .unwrap_or(SIZES[SIZES.len() - 1])
}

/// `instances` instances over `zones` zones, each with room for at least one task of `td`.
pub fn roomy_fleet(td: &TaskDefPlan, instances: u32, zones: usize) -> Vec<FleetGroup> {
    let (cpu, memory_mib) = size_for(td);
    vec![FleetGroup {
        prefix: "i-w".into(),
        count: instances,
        cpu,
        memory_mib,
        zones: ZONES[..zones].iter().map(|z| z.to_string()).collect(),
        stack: None,
        gpus: None,
        instance_type: None,
    }]
}

/// One REPLICA service `web` (desired 1-`max_desired`, no memberOf) with `configs`, on
/// `2 × desired + spare` roomy instances, and no timeline yet.
pub fn single_service_plan(
    max_desired: u32,
    spare: u32,
    configs: Vec<(u32, u32)>,
) -> impl Strategy<Value = Plan> {
    (
        any::<u64>(),
        timing_plan(),
        plain_task_def(),
        1..=max_desired,
        strategies(),
        prop::bool::weighted(0.3),
        prop::sample::select(configs),
        1usize..=3,
    )
        .prop_map(
            move |(seed, timing, td, desired, strategies, distinct, (min, max), zones)| Plan {
                seed: seed % 1_000_000,
                until_ms: 0,
                timing,
                fleet: roomy_fleet(&td, 2 * desired + spare, zones),
                services: vec![ServicePlan {
                    name: "web".into(),
                    task_def: td,
                    desired,
                    daemon: false,
                    strategies,
                    member_of: None,
                    distinct_instance: distinct,
                    min_healthy: min,
                    max_percent: max,
                }],
                jobs: Vec::new(),
                timeline: Vec::new(),
                expect: Vec::new(),
            },
        )
}

/// [`single_service_plan`] with maximumPercent 200, a deployment of revision 2 at
/// `deploy_ms`, and sometimes a scale-in (never above the initial count) before it.
pub fn deployment_plan(deploy_ms: u64) -> impl Strategy<Value = Plan> {
    let configs = vec![(100, 200), (50, 200), (0, 200)];
    (
        single_service_plan(8, 0, configs),
        prop::option::of(1u32..=8),
    )
        .prop_map(move |(mut p, scale)| {
            if let Some(n) = scale {
                let n = n.min(p.services[0].desired);
                p.timeline.push(Step {
                    at_ms: deploy_ms / 2,
                    action: Action::Scale {
                        service: 0,
                        desired: n,
                    },
                });
            }
            p.timeline.push(Step {
                at_ms: deploy_ms,
                action: Action::Deploy { service: 0 },
            });
            p
        })
}
