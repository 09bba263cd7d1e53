//! Builders for the benchmarks (`benches/*.rs`): large fleets built quickly, placement requests
//! resolved once to a `RunSpec`, the strategy mixes the benchmarks compare, and generated
//! scenarios of a chosen size.
//!
//! A fleet of 100,000 instances through `register_container_instance` JSON takes seconds, so
//! `fleet_api` registers instances with `Engine::register_instance` directly (the engine call
//! the API op makes, without the JSON parsing and the response rendering); the cluster and the
//! task definitions still go through the API, so the API can serve calls on the result.

use crate::{call, register_task_def};
use ecsim_api::{Api, ApiConfig};
use ecsim_core::engine::{EngineConfig, InstanceSpec, RunSpec};
use ecsim_core::ids::TaskId;
use ecsim_core::instance::{Attributes, VersionInfo};
use ecsim_core::resources::Resources;
use ecsim_core::task::{StopCause, StopCode};
use ecsim_core::timing::{DelayRange, Timing};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The three Availability Zones of every generated fleet (round-robin).
pub const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// The strategy mixes the placement benchmarks compare: (name, RunTask `placementStrategy`).
pub fn strategy_mixes() -> Vec<(&'static str, Value)> {
    vec![
        ("random", json!([{"type": "random"}])),
        (
            "binpack_memory",
            json!([{"type": "binpack", "field": "memory"}]),
        ),
        ("spread_az_binpack_memory", spread_az_binpack_memory()),
        (
            "spread_instance",
            json!([{"type": "spread", "field": "instanceId"}]),
        ),
    ]
}

/// spread(attribute:ecs.availability-zone) then binpack(memory): the headline mix.
pub fn spread_az_binpack_memory() -> Value {
    json!([
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "binpack", "field": "memory"},
    ])
}

/// An API (engine seed `seed`, the given timing) with a default cluster of `instances`
/// instances of `cpu` units and `memory_mib`, round-robin over `ZONES`, and a task definition
/// `web` of 256 CPU units and 512 MiB.
pub fn fleet_api(seed: u64, timing: Timing, instances: usize, cpu: i64, memory_mib: i64) -> Api {
    let engine = EngineConfig {
        seed,
        timing,
        max_events: u64::MAX,
        ..EngineConfig::default()
    };
    fleet_api_with(engine, instances, cpu, memory_mib)
}

/// `fleet_api` with a whole engine configuration (e.g. `PlacementMode::Reference`).
pub fn fleet_api_with(engine: EngineConfig, instances: usize, cpu: i64, memory_mib: i64) -> Api {
    let mut api = Api::new(ApiConfig::default(), engine);
    call(&mut api, "create_cluster", &json!({}));
    let cluster = api
        .engine
        .world()
        .cluster_by_name("default")
        .expect("default cluster");
    for i in 0..instances {
        api.engine.register_instance(InstanceSpec {
            cluster,
            ec2_instance_id: Some(format!("i-bench-{i}")),
            availability_zone: Some(ZONES[i % 3].to_string()),
            instance_type: None,
            resources: Resources::new(cpu, memory_mib),
            attributes: Attributes::new(),
            version_info: VersionInfo::default(),
            eni_limit: None,
        });
    }
    register_task_def(&mut api, "web", 256, 512);
    api
}

/// A RunTask body for `web` with `count` tasks and the given `placementStrategy`.
pub fn run_task_body(count: u32, strategies: &Value) -> Value {
    json!({"taskDefinition": "web", "count": count, "placementStrategy": strategies})
}

/// The engine request of a RunTask body, as the API resolves it, with `count` tasks.
pub fn run_spec(api: &Api, body: &Value) -> RunSpec {
    let mut spec = match api.run_task_spec(body) {
        Ok(s) => s,
        Err(e) => panic!("bench RunTask body rejected: {e}"),
    };
    spec.count = body["count"].as_u64().unwrap_or(1) as u32;
    spec
}

/// Whether `task` stands on an ACTIVE instance of the spec's cluster that still has
/// non-negative CPU and memory: the check every placement benchmark makes.
pub fn placed_validly(api: &Api, spec: &RunSpec, task: TaskId) -> bool {
    let world = api.engine.world();
    let inst = world.instance(world.task(task).instance);
    inst.cluster == spec.cluster
        && inst.status == ecsim_core::instance::InstanceStatus::Active
        && inst.remaining.cpu >= 0
        && inst.remaining.memory_mib >= 0
}

/// The lifecycle timing of the event benchmarks: drawn delays, so the Timing stream and the
/// queue's ordering are exercised.
pub fn drawn_timing() -> Timing {
    Timing {
        pending: DelayRange {
            min_ms: 1_000,
            max_ms: 30_000,
        },
        stopping: DelayRange {
            min_ms: 500,
            max_ms: 5_000,
        },
        ..Timing::default()
    }
}

/// Stops every task in `tasks` as a user would (StopTask).
pub fn stop_all(api: &mut Api, tasks: &[TaskId]) {
    for &t in tasks {
        api.engine.stop_task(
            t,
            StopCause {
                code: Some(StopCode::UserInitiated),
                reason: "bench".into(),
            },
        );
    }
}

/// Steps the engine until its queue is empty, then settles the placement index (the re-filing
/// its releases left for the next placement, timed with them); the number of events applied.
pub fn drain(api: &mut Api) -> u64 {
    let mut n = 0;
    while let Some(step) = api.engine.step().expect("event budget") {
        if matches!(step, ecsim_core::engine::Step::Internal(_)) {
            n += 1;
        }
    }
    api.engine.settle_index();
    n
}

/// Steps the engine through every event due up to simulated millisecond `until_ms` (driver
/// entries included, which a bare engine has none of), then settles the index as `drain` does;
/// the number of internal events applied.
pub fn drain_until(api: &mut Api, until_ms: u64) -> u64 {
    let mut n = 0;
    while api
        .engine
        .next_time()
        .is_some_and(|t| t.as_ms() <= until_ms)
    {
        if let Some(ecsim_core::engine::Step::Internal(_)) =
            api.engine.step().expect("event budget")
        {
            n += 1;
        }
    }
    api.engine.settle_index();
    n
}

/// Creates `services` REPLICA services `s0`, `s1`, ... of `web` with `desired` tasks each.
pub fn create_services(api: &mut Api, services: usize, desired: usize) {
    for s in 0..services {
        let body = json!({"serviceName": format!("s{s}"), "taskDefinition": "web", "desiredCount": desired});
        call(api, "create_service", &body);
    }
}

/// Registers a new revision of `web` and rolls every service `s0`.. onto it.
pub fn deploy_all(api: &mut Api, services: usize) {
    register_task_def(api, "web", 256, 512);
    for s in 0..services {
        let body = json!({"service": format!("s{s}"), "taskDefinition": "web"});
        call(api, "update_service", &body);
    }
}

/// The size of a generated "day" scenario.
#[derive(Clone, Copy, Debug)]
pub struct DayShape {
    pub instances: usize,
    pub services: usize,
    pub tasks_per_service: usize,
    pub hours: u64,
    /// How many services get a new task definition revision during the day (a rolling deploy).
    pub deployments: usize,
}

/// The placement strategy of the generated day's services (the headline mix).
const DAY_STRATEGY: &str =
    "[{type: spread, field: \"attribute:ecs.availability-zone\"}, {type: binpack, field: memory}]";

/// A scenario YAML of `shape`: m5.xlarge instances over three zones, `services` REPLICA
/// services (spread by zone, then binpack memory) of 128 CPU / 512 MiB tasks, rolling deployments spread over
/// the day, and a scale-out and scale-in of every tenth service.
pub fn day_scenario_yaml(shape: DayShape) -> String {
    let mut y = String::new();
    let _ = write!(
        y,
        "name: bench-day\nseed: 1\nuntil: {h}h\n\
         timing: {{pending: 5s..30s, healthy: 40s, stopping: 2s..10s}}\n\
         containerInstances:\n  - count: {n}\n    instanceType: m5.xlarge\n    \
         availabilityZones: [us-east-1a, us-east-1b, us-east-1c]\ntaskDefinitions:\n",
        h = shape.hours,
        n = shape.instances
    );
    for rev in 1..=2 {
        let _ = writeln!(
            y,
            "  - family: app\n    containerDefinitions: \
             [{{name: app, image: \"app:{rev}\", cpu: 128, memory: 512}}]"
        );
    }
    y.push_str("services:\n");
    for s in 0..shape.services {
        let _ = writeln!(
            y,
            "  - {{serviceName: s{s}, taskDefinition: \"app:1\", desiredCount: {}, \
             placementStrategy: {DAY_STRATEGY}}}",
            shape.tasks_per_service
        );
    }
    y.push_str(&day_timeline(shape));
    y
}

fn day_timeline(shape: DayShape) -> String {
    let mut y = String::from("timeline:\n");
    let minutes = shape.hours * 60;
    let span = minutes.saturating_sub(60).max(1);
    for d in 0..shape.deployments.min(shape.services) {
        let at = 30 + span * d as u64 / shape.deployments.max(1) as u64;
        let _ = writeln!(
            y,
            "  - at: {at}m\n    update_service: {{service: s{d}, taskDefinition: \"app:2\"}}"
        );
    }
    let up = shape.tasks_per_service + shape.tasks_per_service / 2;
    for s in (0..shape.services).step_by(10) {
        let at = 20 + span * s as u64 / shape.services.max(1) as u64;
        let _ = writeln!(
            y,
            "  - at: {at}m\n    update_service: {{service: s{s}, desiredCount: {up}}}\n  \
             - at: {}m\n    update_service: {{service: s{s}, desiredCount: {}}}",
            at + 20,
            shape.tasks_per_service
        );
    }
    y
}
