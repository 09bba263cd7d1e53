//! `crash_tasks` on a service (SCENARIO-FORMAT "Timeline"): it stops `count` of the service's
//! RUNNING tasks, picked uniformly at random with the seeded fault stream, never a task that is
//! not RUNNING, and every RUNNING one when `count` is larger than their number.

use crate::support::load_text;
use ecsim::core::task::StopCode;
use ecsim::scenario::{RunOptions, run};
use std::collections::BTreeSet;

/// Six web tasks on three instances, `count` of them crashed at 5 m; `pending` is how long a
/// task takes to start. Returns the tasks that crashed, by creation number.
fn crashed(seed: u64, count: u64, pending: &str) -> BTreeSet<u32> {
    let text = format!(
        r#"
name: crash
seed: {seed}
until: 6m
timing: {{pending: {pending}}}
containerInstances:
  - {{count: 3, ec2InstanceIdPrefix: i-, availabilityZones: [us-east-1a, us-east-1b, us-east-1c],
     totalResources: [{{name: CPU, type: INTEGER, integerValue: 4096}}, {{name: MEMORY, type: INTEGER, integerValue: 8192}}]}}
taskDefinitions:
  - family: web
    containerDefinitions: [{{name: web, image: "web:1", cpu: 256, memory: 512}}]
services:
  - {{serviceName: web, taskDefinition: web, desiredCount: 6}}
timeline:
  - at: 5m
    crash_tasks: {{service: web, count: {count}}}
"#
    );
    let scenario = load_text(&text).expect("valid scenario");
    let out = run(&scenario, RunOptions::default());
    assert!(out.error.is_none(), "{:?}", out.error);
    let world = out.api.engine.world();
    world
        .tasks()
        .iter()
        .filter(|t| {
            t.stop.as_ref().and_then(|s| s.code) == Some(StopCode::EssentialContainerExited)
        })
        .inspect(|t| assert_ne!(t.started_at(), None, "only RUNNING tasks crash"))
        .map(|t| t.id.0)
        .collect()
}

#[test]
fn crashes_count_distinct_running_tasks_and_reaches_every_one() {
    let mut ever = BTreeSet::new();
    for seed in 0..40 {
        let picked = crashed(seed, 2, "0s");
        assert_eq!(picked.len(), 2, "seed {seed}: {picked:?}");
        assert!(picked.iter().all(|t| *t < 6), "one of the first six tasks");
        ever.extend(picked);
    }
    assert_eq!(
        ever.len(),
        6,
        "every task is picked for some seed: {ever:?}"
    );
}

#[test]
fn a_count_beyond_the_running_tasks_crashes_them_all() {
    assert_eq!(crashed(3, 10, "0s"), (0..6).collect());
}

#[test]
fn tasks_not_yet_running_never_crash() {
    // PENDING for 10 minutes: nothing is RUNNING at 5 m.
    assert_eq!(crashed(3, 1, "10m"), BTreeSet::new());
}
