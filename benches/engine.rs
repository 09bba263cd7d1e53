//! Engine events per second: workloads dominated by the engine's own events on the simulated
//! clock. Only `Engine::step` loops are timed (`iter_custom`); the fixtures are built, and the
//! operations that schedule events are called, outside the timing.
//!
//! * `task_lifecycle/<tasks>`: tasks placed by RunTask (untimed) go PENDING → RUNNING
//!   (`TaskStarted`, drawn 1–30 s delays), are stopped by StopTask (untimed) and go
//!   STOPPING → STOPPED (`TaskStopped`, drawn 0.5–5 s). 2 events per task.
//! * `service_rollout/<services>x<desired>`: services reach their desired count (Reconcile,
//!   placements by the service scheduler, TaskStarted, TaskHealthy), then every service rolls to
//!   a new revision (its stops and starts); stepped to 2 h of simulated time.
//!
//! Each iteration asserts the event count it processed (the same every time: the runs are
//! deterministic) and that every task ended in the expected state.

use criterion::{Bencher, Criterion, Throughput, criterion_group, criterion_main};
use ecsim_api::Api;
use ecsim_core::ids::TaskId;
use ecsim_core::task::TaskStatus;
use ecsim_testkit::bench::{
    create_services, deploy_all, drain, drain_until, drawn_timing, fleet_api, run_spec,
    run_task_body, stop_all,
};
use serde_json::json;
use std::time::{Duration, Instant};

/// Wall-clock time of `f`: benchmarks measure real time, the one place the workspace's
/// no-wall-clock rule (clippy.toml) does not apply; the simulation itself never sees it.
#[allow(clippy::disallowed_methods)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// A fleet of 1,000 large instances with `tasks` tasks placed (PENDING, events queued).
fn lifecycle_fixture(tasks: usize) -> (Api, Vec<TaskId>) {
    let mut api = fleet_api(3, drawn_timing(), 1_000, 65_536, 262_144);
    let spec = run_spec(&api, &run_task_body(10, &json!([{"type": "random"}])));
    let mut ids = Vec::with_capacity(tasks);
    while ids.len() < tasks {
        let out = api.engine.run_task(&spec);
        assert_eq!(out.tasks.len(), 10, "every task placed");
        ids.extend(out.tasks);
    }
    (api, ids)
}

/// Runs the lifecycle once; (timed duration, events processed).
fn lifecycle_once(tasks: usize) -> (Duration, u64) {
    let (mut api, ids) = lifecycle_fixture(tasks);
    let (started, mut took) = timed(|| drain(&mut api));
    stop_all(&mut api, &ids);
    let (stopped, t) = timed(|| drain(&mut api));
    took += t;
    let world = api.engine.world();
    assert!(
        ids.iter()
            .all(|t| world.task(*t).last_status == TaskStatus::Stopped)
    );
    (took, started + stopped)
}

fn bench_lifecycle(b: &mut Bencher<'_>, tasks: usize, events: u64) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let (took, n) = lifecycle_once(tasks);
            assert_eq!(n, events, "deterministic event count");
            total += took;
        }
        total
    });
}

/// Simulated end of the rollout workload: 2 h.
const ROLLOUT_UNTIL_MS: u64 = 2 * 3_600_000;

/// Runs the service workload once; (timed duration, events processed).
fn rollout_once(services: usize, desired: usize) -> (Duration, u64) {
    let mut api = fleet_api(4, drawn_timing(), 1_000, 65_536, 262_144);
    create_services(&mut api, services, desired);
    let (mut events, mut took) = timed(|| drain_until(&mut api, ROLLOUT_UNTIL_MS / 2));
    deploy_all(&mut api, services);
    let (more, t) = timed(|| drain_until(&mut api, ROLLOUT_UNTIL_MS));
    events += more;
    took += t;
    let running = api
        .engine
        .world()
        .tasks()
        .iter()
        .filter(|t| t.last_status == TaskStatus::Running)
        .count();
    assert_eq!(running, services * desired, "every service back at desired");
    (took, events)
}

fn bench_rollout(b: &mut Bencher<'_>, services: usize, desired: usize, events: u64) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let (took, n) = rollout_once(services, desired);
            assert_eq!(n, events, "deterministic event count");
            total += took;
        }
        total
    });
}

fn engine_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_events");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for tasks in [10_000usize, 100_000] {
        let (_, events) = lifecycle_once(tasks);
        group.throughput(Throughput::Elements(events));
        group.bench_function(format!("task_lifecycle/{tasks}"), |b| {
            bench_lifecycle(b, tasks, events);
        });
    }
    let (services, desired) = (100usize, 20usize);
    let (_, events) = rollout_once(services, desired);
    group.throughput(Throughput::Elements(events));
    group.bench_function(format!("service_rollout/{services}x{desired}"), |b| {
        bench_rollout(b, services, desired, events);
    });
    group.finish();
}

criterion_group!(benches, engine_events);
criterion_main!(benches);
