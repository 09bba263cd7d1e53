//! Scenario invariants, fault spaces and `ecsim check` (SCENARIO-FORMAT.md "Invariants and
//! fault spaces"): exit codes, located errors, the shrunk reproducer and its failing under
//! `ecsim run`, and determinism of the search.

use crate::support::{all_output, code, ecsim, load_text, stdout, temp_dir, write};

/// One service of 4 one-per-instance tasks on 4 instances: losing an instance during the
/// deployment at 5m breaks "at least 2 healthy" (minimumHealthyPercent 50 already takes 2).
fn tight(instances: u32, min: u32, max: u32) -> String {
    format!(
        r#"name: tight
seed: 5
until: 20m
timing: {{pending: 10s, stopping: 2s}}
containerInstances:
  - count: {instances}
    ec2InstanceIdPrefix: i-app
    availabilityZones: [us-east-1a, us-east-1b]
    totalResources:
      - {{name: CPU, type: INTEGER, integerValue: 2048}}
      - {{name: MEMORY, type: INTEGER, integerValue: 4096}}
taskDefinitions:
  - family: app
    containerDefinitions: [{{name: app, image: "app:1", cpu: 1536, memory: 1024}}]
  - family: app
    containerDefinitions: [{{name: app, image: "app:2", cpu: 1536, memory: 1024}}]
services:
  - serviceName: app
    taskDefinition: "app:1"
    desiredCount: 4
    deploymentConfiguration: {{minimumHealthyPercent: {min}, maximumPercent: {max}}}
timeline:
  - at: 5m
    update_service: {{service: app, taskDefinition: "app:2"}}
invariants:
  - {{service: app, healthyAtLeast: 2, after: 2m}}
faults:
  - fail_instances: {{count: 1, between: [5m, 6m]}}
"#
    )
}

#[test]
fn check_finds_shrinks_and_writes_a_failing_reproducer() {
    let dir = temp_dir("check-finds");
    let f = write(&dir, "tight.yaml", &tight(4, 50, 100));
    let out_dir = dir.join("out");
    let o = ecsim(&[
        "check",
        f.to_str().unwrap(),
        "--cases",
        "30",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    let text = stdout(&o);
    assert!(text.contains("Shrunk from 1 fault(s) to 1"), "{text}");
    assert!(
        text.contains("invariant `service app healthyAtLeast 2` broken"),
        "{text}"
    );
    let repro = out_dir.join("tight.repro.yaml");
    let repro_text = std::fs::read_to_string(&repro).expect("the reproducer is written");
    assert!(
        !repro_text.contains("faults"),
        "the reproducer is concrete:\n{repro_text}"
    );
    assert!(repro_text.contains("fail_instances"), "{repro_text}");
    let run = ecsim(&["run", repro.to_str().unwrap()]);
    assert_eq!(
        code(&run),
        1,
        "the reproducer fails under ecsim run: {}",
        all_output(&run)
    );
    assert!(
        stdout(&run).contains("INVARIANT service app healthyAtLeast 2 broken"),
        "{}",
        all_output(&run)
    );
}

#[test]
fn the_fixed_twin_passes_every_case() {
    let dir = temp_dir("check-twin");
    let f = write(&dir, "twin.yaml", &tight(5, 75, 125));
    let o = ecsim(&[
        "check",
        f.to_str().unwrap(),
        "--cases",
        "30",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(
        stdout(&o).contains("30 cases, every invariant and expectation held"),
        "{}",
        all_output(&o)
    );
}

#[test]
fn check_is_deterministic_whatever_the_cores() {
    let dir = temp_dir("check-determinism");
    let f = write(&dir, "tight.yaml", &tight(4, 50, 100));
    let (a, b) = (dir.join("a"), dir.join("b"));
    let oa = ecsim(&[
        "check",
        f.to_str().unwrap(),
        "--cases",
        "20",
        "--seed",
        "9",
        "--out",
        a.to_str().unwrap(),
    ]);
    let ob = ecsim(&[
        "check",
        f.to_str().unwrap(),
        "--cases",
        "20",
        "--seed",
        "9",
        "--out",
        b.to_str().unwrap(),
    ]);
    let strip = |s: String| {
        s.replace(a.to_str().unwrap(), "DIR")
            .replace(b.to_str().unwrap(), "DIR")
    };
    assert_eq!(strip(stdout(&oa)), strip(stdout(&ob)));
    let ra = std::fs::read(a.join("tight.repro.yaml")).unwrap();
    let rb = std::fs::read(b.join("tight.repro.yaml")).unwrap();
    assert_eq!(ra, rb);
}

#[test]
fn run_reports_a_broken_invariant_with_time_event_and_state() {
    let dir = temp_dir("check-run-invariant");
    let text = tight(4, 50, 100).replace(
        "invariants:",
        // At 5m01s two old tasks are stopping and the other two are the healthy ones: losing
        // an instance that holds one leaves 1.
        "  - at: 5m1s\n    fail_instances: {filter: \"task:group == service:app\", count: 1}\ninvariants:",
    );
    let f = write(&dir, "broken.yaml", &text);
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    let out = stdout(&o);
    assert!(
        out.contains("INVARIANT service app healthyAtLeast 2 broken at 5m01s"),
        "{out}"
    );
    assert!(out.contains("after timeline[1] fail_instances"), "{out}");
    assert!(out.contains("healthy 1"), "{out}");
    let json = ecsim(&["run", f.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["invariants"][0]["held"], false);
    assert_eq!(v["invariants"][0]["firstViolation"]["atMs"], 301_000);
}

#[test]
fn invalid_invariants_and_faults_are_located() {
    let cases = [
        (
            "invariants:\n  - {service: app, runningAtLeast: 2, healthyAtLeast: 1}\n",
            "exactly one of",
        ),
        (
            "invariants:\n  - {runningAtLeast: 2}\n",
            "needs a `service`",
        ),
        (
            "invariants:\n  - {service: app, runingAtLeast: 2}\n",
            "did you mean `runningAtLeast`",
        ),
        (
            "faults:\n  - fail_instances: {count: 1}\n",
            "missing required key `between`",
        ),
        (
            "faults:\n  - fail_instances: {count: 3..1, between: [1m, 2m]}\n",
            "count is an integer or a range",
        ),
        (
            "faults:\n  - fail_instances: {between: [5m, 1m]}\n",
            "between ends before it starts",
        ),
        (
            "faults:\n  - crash_tasks: {between: [1m, 2m]}\n",
            "exactly one of service or family",
        ),
        (
            "faults:\n  - explode: {between: [1m, 2m]}\n",
            "unknown key `explode`",
        ),
    ];
    for (yaml, message) in cases {
        let text = format!("name: bad\n{yaml}");
        let e = load_text(&text).expect_err(yaml);
        assert!(e.loc.line >= 2, "{yaml}: {e}");
        assert!(e.to_string().contains(message), "{yaml}: {e}");
    }
}

#[test]
fn check_without_faults_varies_only_the_seed() {
    let dir = temp_dir("check-no-faults");
    let text = tight(4, 50, 100).replace(
        "faults:\n  - fail_instances: {count: 1, between: [5m, 6m]}\n",
        "",
    );
    let f = write(&dir, "calm.yaml", &text);
    let o = ecsim(&[
        "check",
        f.to_str().unwrap(),
        "--cases",
        "5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(
        all_output(&o).contains("has no `faults:`"),
        "{}",
        all_output(&o)
    );
}
