//! RunTask placement throughput at the product's scale axes (100 and 1,000 instances), with the
//! default random strategy. Setup is outside the timed closure; each iteration asserts that every
//! task was placed, so a regression in correctness cannot pass as a speed-up.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ecsim_testkit::{api_with_fleet, register_task_def};
use serde_json::json;

fn run_task_batches(c: &mut Criterion) {
    let mut group = c.benchmark_group("run_task_count10");
    for instances in [100usize, 1_000] {
        group.bench_function(format!("{instances}_instances_x10_calls"), |b| {
            b.iter_batched(
                || {
                    let mut api = api_with_fleet(1, instances, 2048, 4096);
                    register_task_def(&mut api, "web", 256, 512);
                    api
                },
                |mut api| {
                    for _ in 0..10 {
                        let r = api
                            .call("run_task", &json!({"taskDefinition": "web", "count": 10}))
                            .expect("run_task");
                        assert_eq!(r["tasks"].as_array().map(Vec::len), Some(10));
                    }
                    api
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, run_task_batches);
criterion_main!(benches);
