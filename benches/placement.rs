//! RunTask placement throughput.
//!
//! * `engine_run_task/<mix>/<n>`: `Engine::run_task` with count 10 (10 placements per
//!   iteration) for each strategy mix at 100, 1,000 and 10,000 instances, straight into the
//!   engine (the `RunSpec` is resolved once by the API, outside the timing).
//! * `api_run_task/spread_az_binpack_memory/<n>`: the same through `Api::call("run_task")`,
//!   request parsing and response rendering included, for comparison.
//! * `cost_curve/<placer>/spread_az_binpack_memory/<n>`: 1,000, 10,000 and 100,000 instances,
//!   with the placement index (the default) and with the reference placer.
//! * `reference_run_task/<mix>/<n>`: every mix with `PlacementMode::Reference`, 1,000 and
//!   10,000 instances (the index's speed-up is the ratio to `engine_run_task`).
//!
//! Only the `run_task` call is timed (`iter_custom`). Fleets are 16 vCPU / 64 GiB instances, so
//! the tasks (256 CPU / 512 MiB) never run out; after `REBUILD_AFTER` placements the fixture is
//! rebuilt outside the timing, so the cluster's task list (which spread scans) stays small.
//! Every iteration asserts that all 10 tasks were placed on a valid instance.

use criterion::{Bencher, Criterion, Throughput, criterion_group, criterion_main};
use ecsim_api::Api;
use ecsim_core::engine::{EngineConfig, PlacementMode, RunSpec};
use ecsim_testkit::bench::{
    fleet_api_with, placed_validly, run_spec, run_task_body, spread_az_binpack_memory,
    strategy_mixes,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Placements between two rebuilds of the fixture.
const REBUILD_AFTER: usize = 2_000;
const CPU: i64 = 16_384;
const MEMORY_MIB: i64 = 65_536;

/// A fleet and the resolved request; rebuilt when it has taken `REBUILD_AFTER` placements.
struct Fixture {
    mode: PlacementMode,
    instances: usize,
    body: Value,
    api: Api,
    spec: RunSpec,
    placed: usize,
}

impl Fixture {
    fn new(mode: PlacementMode, instances: usize, strategies: &Value) -> Fixture {
        let body = run_task_body(10, strategies);
        let config = EngineConfig {
            seed: 1,
            placement: mode,
            ..EngineConfig::default()
        };
        let api = fleet_api_with(config, instances, CPU, MEMORY_MIB);
        let spec = run_spec(&api, &body);
        Fixture {
            mode,
            instances,
            body,
            api,
            spec,
            placed: 0,
        }
    }

    fn refresh(&mut self) {
        if self.placed >= REBUILD_AFTER {
            let strategies = self.body["placementStrategy"].clone();
            *self = Fixture::new(self.mode, self.instances, &strategies);
        }
    }

    fn check(&mut self, tasks: &[ecsim_core::ids::TaskId]) {
        assert_eq!(tasks.len(), 10, "every task placed");
        for t in tasks {
            assert!(placed_validly(&self.api, &self.spec, *t), "valid instance");
        }
        self.placed += tasks.len();
    }
}

/// Wall-clock time of `f`: benchmarks measure real time, the one place the workspace's
/// no-wall-clock rule (clippy.toml) does not apply; the simulation itself never sees it.
#[allow(clippy::disallowed_methods)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Times `Engine::run_task` (count 10) only.
fn bench_engine(b: &mut Bencher<'_>, mode: PlacementMode, instances: usize, strategies: &Value) {
    let mut f = Fixture::new(mode, instances, strategies);
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            f.refresh();
            let (out, took) = timed(|| f.api.engine.run_task(&f.spec));
            total += took;
            f.check(&out.tasks);
        }
        total
    });
}

/// Times `Api::call("run_task")` (count 10) only.
fn bench_api(b: &mut Bencher<'_>, instances: usize, strategies: &Value) {
    let mut f = Fixture::new(PlacementMode::Indexed, instances, strategies);
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            f.refresh();
            let (r, took) = timed(|| f.api.call("run_task", &f.body));
            let r = r.expect("run_task");
            total += took;
            let n = r["tasks"].as_array().map_or(0, Vec::len);
            assert_eq!(n, 10, "every task placed");
            assert!(r["failures"].as_array().is_some_and(Vec::is_empty));
            f.placed += n;
        }
        total
    });
}

fn engine_run_task(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_run_task");
    group.throughput(Throughput::Elements(10));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, strategies) in strategy_mixes() {
        for instances in [100usize, 1_000, 10_000] {
            group.bench_function(format!("{name}/{instances}"), |b| {
                bench_engine(b, PlacementMode::Indexed, instances, &strategies);
            });
        }
    }
    group.finish();
}

fn api_run_task(c: &mut Criterion) {
    let mut group = c.benchmark_group("api_run_task");
    group.throughput(Throughput::Elements(10));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let strategies = spread_az_binpack_memory();
    for instances in [100usize, 1_000, 10_000] {
        group.bench_function(format!("spread_az_binpack_memory/{instances}"), |b| {
            bench_api(b, instances, &strategies);
        });
    }
    group.finish();
}

fn cost_curve(c: &mut Criterion) {
    let mut group = c.benchmark_group("cost_curve");
    group.throughput(Throughput::Elements(10));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    let strategies = spread_az_binpack_memory();
    for (mode, name) in [
        (PlacementMode::Indexed, "indexed"),
        (PlacementMode::Reference, "reference"),
    ] {
        for instances in [1_000usize, 10_000, 100_000] {
            group.bench_function(
                format!("{name}/spread_az_binpack_memory/{instances}"),
                |b| {
                    bench_engine(b, mode, instances, &strategies);
                },
            );
        }
    }
    group.finish();
}

/// The reference placer (every instance through every filter) on the indexed mixes.
fn reference_run_task(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference_run_task");
    group.throughput(Throughput::Elements(10));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, strategies) in strategy_mixes() {
        for instances in [1_000usize, 10_000] {
            group.bench_function(format!("{name}/{instances}"), |b| {
                bench_engine(b, PlacementMode::Reference, instances, &strategies);
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    engine_run_task,
    api_run_task,
    cost_curve,
    reference_run_task
);
criterion_main!(benches);
