//! Same file + same seed + same binary ⇒ byte-identical outputs (SCENARIO-FORMAT.md,
//! "Principles"), for every bundled scenario; another seed changes random placements.

use ecsim::scenario::{RunOptions, Scenario, load, run};
use std::path::{Path, PathBuf};

/// The bundled scenarios (`scenarios/`, recursively: .yaml, .yml, .json), sorted.
fn scenario_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
                && !is_task_definition_file(&p)
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &mut out,
    );
    out.sort();
    out
}

/// A `.json` holding one task definition (referenced with `file:`) is not a scenario.
fn is_task_definition_file(p: &Path) -> bool {
    p.extension().and_then(|x| x.to_str()) == Some("json")
        && std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v.get("containerDefinitions").is_some() || v.get("name").is_none())
}

fn load_file(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("read scenario");
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let files = move |rel: &str| std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string());
    load(&text, &path.display().to_string(), &files)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()))
}

/// (summary.json text, events.jsonl text, problems) of one run.
fn outputs(s: &Scenario, seed: Option<u64>) -> (String, String, Vec<String>) {
    let out = run(
        s,
        RunOptions {
            seed,
            check_invariants: true,
            ..RunOptions::default()
        },
    );
    let summary = serde_json::to_string_pretty(&ecsim::report::summary(s, &out)).unwrap();
    let events = ecsim::report::events_jsonl(out.api.engine.trace().records());
    let mut problems: Vec<String> = out
        .checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| format!("{} at {} ms: {:?}", c.what, c.at_ms, c.failures))
        .collect();
    if let Some(e) = &out.error {
        problems.push(format!(
            "run error in {} at {} ms: {}",
            e.what, e.at_ms, e.message
        ));
    }
    // Every bundled scenario also runs with the engine's own invariants checked.
    for f in out.api.engine.audit_failures() {
        problems.push(format!(
            "engine invariant {} after {}: {}",
            f.violation.invariant, f.after, f.violation.detail
        ));
    }
    (summary, events, problems)
}

#[test]
fn every_bundled_scenario_passes_and_is_byte_identical_across_runs() {
    // An empty or missing directory passes trivially; JSON task definitions referenced with
    // `file:` are covered by the scenarios that use them.
    for path in scenario_files() {
        let s = load_file(&path);
        let (sum1, ev1, problems) = outputs(&s, None);
        assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
        let (sum2, ev2, _) = outputs(&load_file(&path), None);
        assert!(
            sum1 == sum2,
            "{}: summary.json differs between runs",
            path.display()
        );
        assert!(
            ev1 == ev2,
            "{}: events.jsonl differs between runs",
            path.display()
        );
        let summary: serde_json::Value = serde_json::from_str(&sum1).unwrap();
        assert_eq!(summary["events"].as_u64(), Some(ev1.lines().count() as u64));
    }
}

/// A scenario's document stands alone (what `check` writes a reproducer from and `compare`
/// varies): loaded again with no files, every bundled scenario, `file:` task definitions
/// included, runs to the same events.
#[test]
fn every_bundled_scenario_document_reloads_without_files_to_the_same_run() {
    let no_files = |rel: &str| Err(format!("no file {rel}"));
    for path in scenario_files() {
        let s = load_file(&path);
        let text = serde_json::to_string(&s.document()).unwrap();
        let again = load(&text, "document.json", &no_files).unwrap_or_else(|e| {
            panic!("{}: the document does not load alone: {e}", path.display())
        });
        let (_, events, _) = outputs(&s, None);
        let (_, events_again, _) = outputs(&again, None);
        assert!(
            events == events_again,
            "{}: the document runs differently",
            path.display()
        );
    }
}

const RANDOM_PLACEMENTS: &str = r#"name: random-placements
seed: 1
until: 10m
containerInstances:
  - count: 8
    ec2InstanceIdPrefix: i-r
    instanceType: m5.xlarge
    availabilityZones: [us-east-1a, us-east-1b]
taskDefinitions:
  - family: tiny
    containerDefinitions:
      - {name: t, image: "busybox", cpu: 16, memory: 16}
timeline:
  - {at: 1s, run_task: {taskDefinition: tiny, count: 10}}
  - {at: 2s, run_task: {taskDefinition: tiny, count: 10}}
  - {at: 3s, run_task: {taskDefinition: tiny, count: 10}}
"#;

/// The instance each task went to, in order, from the trace.
fn placements(events: &str) -> Vec<String> {
    events
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "TaskStatus" && e["status"] == "PENDING")
        .map(|e| e["ec2InstanceId"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn another_seed_changes_random_placements() {
    let no_files = |rel: &str| Err(format!("no file {rel}"));
    let s = load(RANDOM_PLACEMENTS, "random.yaml", &no_files).unwrap_or_else(|e| panic!("{e}"));
    let (sum1, ev1, problems) = outputs(&s, None);
    assert!(problems.is_empty(), "{problems:?}");
    let p1 = placements(&ev1);
    assert_eq!(p1.len(), 30, "30 tasks placed");
    let (sum1b, ev1b, _) = outputs(&s, Some(1));
    assert_eq!(
        (sum1.as_str(), ev1.as_str()),
        (sum1b.as_str(), ev1b.as_str()),
        "--seed 1 == seed: 1"
    );
    let (sum2, ev2, _) = outputs(&s, Some(2));
    assert_ne!(
        p1,
        placements(&ev2),
        "seed 2 placed 30 tasks exactly like seed 1"
    );
    assert_ne!(sum1, sum2);
}

#[test]
fn indexed_and_reference_placement_agree_on_every_scenario() {
    for path in scenario_files() {
        let s = load_file(&path);
        let events = |mode| {
            let out = run(
                &s,
                RunOptions {
                    placement: mode,
                    ..RunOptions::default()
                },
            );
            ecsim::report::events_jsonl(out.api.engine.trace().records())
        };
        let indexed = events(ecsim::core::engine::PlacementMode::Indexed);
        let reference = events(ecsim::core::engine::PlacementMode::Reference);
        assert!(
            indexed == reference,
            "{}: the indexed placer chose differently",
            path.display()
        );
    }
}

/// A drained instance still holding a spread-by-instance service's tasks is not placeable: it
/// stays out of the tie over the least loaded holders, in the indexed placer (which skips its
/// check of the holders while every instance holding tasks is placeable) as in the reference.
/// Each of three instances holds two tasks when one is drained, so the replacements tie over the
/// holders of two with the drained instance among them.
#[test]
fn a_drained_holder_stays_out_of_the_tie_over_holders() {
    let yaml = r#"name: drained-holder
until: 10m
timing: {pending: 5s, healthy: 10s, stopping: 5s}
containerInstances:
  - {count: 3, instanceType: m5.large, availabilityZones: [us-east-1a], ec2InstanceIdPrefix: i-h}
taskDefinitions:
  - family: web
    containerDefinitions: [{name: web, image: "web:1", cpu: 256, memory: 512}]
services:
  - serviceName: web
    taskDefinition: web
    desiredCount: 6
    placementStrategy: [{type: spread, field: instanceId}]
timeline:
  - at: 2m
    drain_instances: {ec2InstanceIds: [i-h-2]}
"#;
    let no_files = |rel: &str| Err(format!("no such file: {rel}"));
    let s = load(yaml, "drained-holder.yaml", &no_files).expect("loads");
    for seed in 1..=16 {
        let events = |placement| {
            let options = RunOptions {
                seed: Some(seed),
                check_invariants: true,
                placement,
                ..RunOptions::default()
            };
            let out = run(&s, options);
            assert!(out.passed(), "seed {seed}: the run held");
            ecsim::report::events_jsonl(out.api.engine.trace().records())
        };
        let indexed = events(ecsim::core::engine::PlacementMode::Indexed);
        let reference = events(ecsim::core::engine::PlacementMode::Reference);
        assert!(
            indexed == reference,
            "seed {seed}: the indexed placer chose differently"
        );
    }
}
