//! Whole scenarios, loaded outside the timing and run end to end with `ecsim_scenario::run`.
//!
//! * `scenario/strategy-comparison`: the bundled `scenarios/strategy-comparison.yaml`.
//! * `scenario/day_<instances>i_<services>s_<tasks>t`: a generated day (`DayShape`): m5.xlarge
//!   instances over three zones, REPLICA services with the default AZ balance, a rolling
//!   deployment of a tenth of the services and a scale-out/scale-in of another tenth, 24 h.
//!
//! Each iteration asserts that the run passed (no run error, every expectation and invariant
//! held). The full-size day (10,000 instances, 1,000 services, 200,000 tasks) is not a
//! criterion bench: `scripts/bench_day.py` times it once with the release binary.

use criterion::{Criterion, criterion_group, criterion_main};
use ecsim_scenario::{RunOptions, Scenario, load, run};
use ecsim_testkit::bench::{DayShape, day_scenario_yaml};
use std::time::Duration;

fn no_files(name: &str) -> Result<String, String> {
    Err(format!("no file references in benchmarks ({name})"))
}

fn load_text(text: &str, file: &str) -> Scenario {
    match load(text, file, &no_files) {
        Ok(s) => s,
        Err(e) => panic!("{file}: {e}"),
    }
}

fn run_checked(scenario: &Scenario) -> usize {
    let out = run(scenario, RunOptions::default());
    assert!(out.error.is_none(), "run error: {:?}", out.error);
    assert!(out.passed(), "scenario expectations or invariants failed");
    out.api.engine.trace().len()
}

fn bundled(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/strategy-comparison.yaml"
    );
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let scenario = load_text(&text, "strategy-comparison.yaml");
    let mut group = c.benchmark_group("scenario");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("strategy-comparison", |b| {
        b.iter(|| run_checked(&scenario));
    });
    group.finish();
}

/// The generated days: a small one, and one with a tenth of the instances and services.
const DAYS: [DayShape; 2] = [
    DayShape {
        instances: 100,
        services: 20,
        tasks_per_service: 20,
        hours: 24,
        deployments: 2,
    },
    DayShape {
        instances: 1_000,
        services: 100,
        tasks_per_service: 20,
        hours: 24,
        deployments: 10,
    },
];

fn generated(c: &mut Criterion) {
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for shape in DAYS {
        let name = format!(
            "day_{}i_{}s_{}t",
            shape.instances,
            shape.services,
            shape.services * shape.tasks_per_service
        );
        let scenario = load_text(&day_scenario_yaml(shape), &name);
        group.bench_function(&name, |b| b.iter(|| run_checked(&scenario)));
    }
    group.finish();
}

criterion_group!(benches, bundled, generated);
criterion_main!(benches);
