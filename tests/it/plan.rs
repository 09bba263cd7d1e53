//! `ecsim plan`: the smallest passing setting of varied numbers of a scenario, verified at the
//! boundary, with and without surviving a loss, by count or by cost; usage errors; `--json`.

use crate::support::{all_output, code, ecsim, stdout, temp_dir, write};
use ecsim::scenario::catalogue;
use ecsim::scenario::prices::Prices;
use serde_json::Value;

/// One service of `tasks` tasks of 1024 CPU units on m5.large (2048 each, two tasks an
/// instance) over three zones; every task must run at 5m and at the end, and two thirds of
/// them at all times after 2m.
fn fleet(count: u32, tasks: u32) -> String {
    let two_thirds = tasks * 2 / 3;
    format!(
        r#"name: plan-fleet
seed: 3
until: 10m
timing: {{pending: 5s, stopping: 2s}}
containerInstances:
  - {{count: {count}, instanceType: m5.large, availabilityZones: [us-east-1a, us-east-1b, us-east-1c]}}
taskDefinitions:
  - family: app
    containerDefinitions: [{{name: app, image: "app:1", cpu: 1024, memory: 1024}}]
services:
  - {{serviceName: app, taskDefinition: app, desiredCount: {tasks}}}
invariants:
  - {{service: app, runningAtLeast: {two_thirds}, after: 2m}}
expect:
  - at: 4m
    describe_services: {{services: [app]}}
    match: {{services: [{{runningCount: {tasks}}}]}}
  - at: 10m
    describe_services: {{services: [app]}}
    match: {{services: [{{runningCount: {tasks}}}]}}
"#
    )
}

fn plan_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["plan"];
    all.extend_from_slice(args);
    all.push("--json");
    let o = ecsim(&all);
    let v = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("--json prints JSON ({e}): {}", all_output(&o)));
    (code(&o), v)
}

fn count_of(v: &Value) -> u64 {
    v["minimum"]["containerInstances[0].count"]
        .as_u64()
        .unwrap_or_else(|| panic!("a minimum count: {v}"))
}

#[test]
fn the_smallest_count_is_found_and_verified_at_the_boundary() {
    let dir = temp_dir("plan-smallest");
    let f = write(&dir, "s.yaml", &fleet(12, 9));
    let path = f.to_str().unwrap();
    let o = ecsim(&["plan", path, "--vary", "containerInstances[0].count=1..20"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let text = stdout(&o);
    // 9 tasks, two an instance: 5 instances.
    assert!(
        text.contains("containerInstances[0].count = 5, $0.4800 per hour"),
        "{text}"
    );
    assert!(
        text.contains("verified: 4 fails, 5 passes; 6 passes too"),
        "{text}"
    );
    assert!(
        text.contains("why not containerInstances[0].count = 4"),
        "{text}"
    );
    assert!(
        text.contains("services[0].runningCount expected 9, got 8"),
        "{text}"
    );
    assert!(
        text.contains("placement failures by reason: RESOURCE:CPU"),
        "{text}"
    );
    // The boundary holds under `ecsim run` too.
    let at = write(&dir, "five.yaml", &fleet(5, 9));
    assert_eq!(code(&ecsim(&["run", at.to_str().unwrap()])), 0);
    let below = write(&dir, "four.yaml", &fleet(4, 9));
    assert_eq!(code(&ecsim(&["run", below.to_str().unwrap()])), 1);
}

#[test]
fn surviving_a_loss_needs_more_than_not() {
    let dir = temp_dir("plan-survive");
    let f = write(&dir, "s.yaml", &fleet(12, 9));
    let path = f.to_str().unwrap();
    let vary = ["--vary", "containerInstances[0].count=1..20"];
    let (c, plain) = plan_json(&[path, vary[0], vary[1]]);
    assert_eq!(c, 0, "{plain}");
    let (c, az) = plan_json(&[path, vary[0], vary[1], "--survive", "az-loss"]);
    assert_eq!(c, 0, "{az}");
    let (c, one) = plan_json(&[path, vary[0], vary[1], "--survive", "instance-loss"]);
    assert_eq!(c, 0, "{one}");
    assert_eq!(count_of(&plain), 5);
    assert!(count_of(&az) > count_of(&plain), "{az}");
    assert!(count_of(&one) > count_of(&plain), "{one}");
    assert!(count_of(&az) >= count_of(&one), "{az} {one}");
    assert_eq!(az["verified"], true, "{az}");
    let broken = az["why_not_smaller"]["brokenBy"]
        .as_str()
        .unwrap_or_default();
    assert!(broken.starts_with("loss of us-east-1"), "{az}");
    assert!(broken.contains(" at 5m "), "half of until by default: {az}");
    let (_, later) = plan_json(&[
        path,
        vary[0],
        vary[1],
        "--survive",
        "az-loss",
        "--loss-at",
        "3m",
    ]);
    assert_eq!(later["lossAtMs"], 180_000, "{later}");
}

/// 10 tasks of 2048 CPU units on c5.large (one task each, $0.085) and m5.2xlarge (four each,
/// $0.384): the fewest instances are 1 + 3, the cheapest mix 6 + 1.
const MIX: &str = r#"name: plan-mix
seed: 1
until: 5m
containerInstances:
  - {count: 1, instanceType: c5.large, availabilityZones: [us-east-1a, us-east-1b]}
  - {count: 1, instanceType: m5.2xlarge, availabilityZones: [us-east-1a, us-east-1b]}
taskDefinitions:
  - family: job
    containerDefinitions: [{name: job, image: "job:1", cpu: 2048, memory: 1024}]
services:
  - {serviceName: job, taskDefinition: job, desiredCount: 10}
expect:
  - at: 5m
    describe_services: {services: [job]}
    match: {services: [{runningCount: 10}]}
"#;

#[test]
fn the_cost_objective_picks_the_cheaper_mix() {
    let dir = temp_dir("plan-cost");
    let f = write(&dir, "mix.yaml", MIX);
    let path = f.to_str().unwrap();
    let small = "containerInstances[0].count=1..8";
    let big = "containerInstances[1].count=1..4";
    let setting = |v: &Value| {
        (
            v["minimum"]["containerInstances[0].count"].as_u64(),
            v["minimum"]["containerInstances[1].count"].as_u64(),
        )
    };
    let (c, by_count) = plan_json(&[path, "--vary", small, "--vary", big]);
    assert_eq!(c, 0, "{by_count}");
    assert_eq!(setting(&by_count), (Some(1), Some(3)), "{by_count}");
    let (c, by_cost) = plan_json(&[path, "--vary", small, "--vary", big, "--objective", "cost"]);
    assert_eq!(c, 0, "{by_cost}");
    assert_eq!(setting(&by_cost), (Some(6), Some(1)), "{by_cost}");
    assert_eq!(by_cost["cost"], 0.894, "6 × 0.085 + 0.384: {by_cost}");
    assert!(
        by_cost["cost"].as_f64() < by_count["cost"].as_f64(),
        "{by_cost} {by_count}"
    );
    // A prices file changes the answer: a cheap m5.2xlarge makes 2 + 2 the cheapest.
    let prices = write(&dir, "prices.json", r#"{"m5.2xlarge": 0.1}"#);
    let (c, cheap_big) = plan_json(&[
        path,
        "--vary",
        small,
        "--vary",
        big,
        "--objective",
        "cost",
        "--prices",
        prices.to_str().unwrap(),
    ]);
    assert_eq!(c, 0, "{cheap_big}");
    assert_eq!(setting(&cheap_big), (Some(2), Some(2)), "{cheap_big}");
}

#[test]
fn bad_input_exits_2_and_no_passing_setting_exits_1() {
    let dir = temp_dir("plan-bad");
    let f = write(&dir, "s.yaml", &fleet(12, 9));
    let path = f.to_str().unwrap();
    for (vary, says) in [
        ("containerInstances[3].count=1..5", "names nothing"),
        (
            "containerInstances[0].instanceType=1..5",
            "is a string in the scenario, not a number",
        ),
        ("containerInstances[0].count=5..1", "empty range"),
        ("containerInstances[x].count=1..5", "bad path"),
    ] {
        let o = ecsim(&["plan", path, "--vary", vary]);
        assert_eq!(code(&o), 2, "{vary}: {}", all_output(&o));
        assert!(all_output(&o).contains(says), "{vary}: {}", all_output(&o));
    }
    let o = ecsim(&["plan", path, "--vary", "containerInstances[0].count=1..3"]);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    assert!(
        stdout(&o).contains("no setting in range passes"),
        "{}",
        all_output(&o)
    );
    assert!(
        stdout(&o).contains("largest tried: containerInstances[0].count = 3"),
        "{}",
        all_output(&o)
    );
    let o = ecsim(&[
        "plan",
        path,
        "--vary",
        "containerInstances[0].count=1..20",
        "--loss-at",
        "1h",
    ]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
}

#[test]
fn json_names_the_minimum_its_cost_and_why_not_smaller() {
    let dir = temp_dir("plan-json");
    let f = write(&dir, "s.yaml", &fleet(12, 9));
    let (c, v) = plan_json(&[
        f.to_str().unwrap(),
        "--vary",
        "containerInstances[0].count=1..20",
    ]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(
        v["minimum"],
        serde_json::json!({"containerInstances[0].count": 5})
    );
    assert_eq!(v["cost"], 0.48, "5 × m5.large at 0.096: {v}");
    let why = &v["why_not_smaller"];
    assert_eq!(
        why["setting"],
        serde_json::json!({"containerInstances[0].count": 4})
    );
    assert_eq!(why["passed"], false);
    assert!(
        why["failures"].as_array().is_some_and(|f| !f.is_empty()),
        "{v}"
    );
    assert!(
        why["placementFailuresByReason"]["RESOURCE:CPU"].as_u64() > Some(0),
        "{v}"
    );
    assert_eq!(v["verified"], true);
    assert!(v["runs"].as_u64() > Some(0));
}

#[test]
fn the_bundled_capacity_plan_scenario_commits_its_own_answer() {
    let (c, v) = plan_json(&[
        "scenarios/capacity-plan.yaml",
        "--vary",
        "containerInstances[0].count=3..30",
        "--survive",
        "az-loss",
    ]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(v["minimum"]["containerInstances[0].count"], 9, "{v}");
    assert_eq!(v["verified"], true, "{v}");
}

#[test]
fn every_catalogue_type_has_a_built_in_price() {
    let prices = Prices::built_in();
    for t in catalogue::all() {
        assert!(
            prices.get(t.name).is_some_and(|p| p > 0.0),
            "no price for {}",
            t.name
        );
    }
}
