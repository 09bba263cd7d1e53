//! `ecsim generate`: the same arguments write the same bytes (another seed other bytes), the
//! output validates and runs with ecsim's invariants checked, its counts are the ones asked for,
//! an impossible request warns, and bad arguments exit 2.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const SMALL: [&str; 14] = [
    "--instances",
    "30",
    "--azs",
    "3",
    "--services",
    "5",
    "--tasks",
    "60",
    "--until",
    "30m",
    "--deploy-all-at",
    "10m",
    "--crash-rate",
    "0.5",
];

fn generate(dir: &Path, file: &str, extra: &[&str]) -> (std::process::Output, PathBuf) {
    let out = dir.join(file);
    let mut args = vec!["generate"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", out.to_str().unwrap()]);
    (ecsim(&args), out)
}

#[test]
fn same_arguments_same_bytes_other_seed_other_bytes() {
    let dir = temp_dir("generate-determinism");
    let (a, pa) = generate(&dir, "a.yaml", &["--seed", "7"]);
    let (b, pb) = generate(&dir, "b.yaml", &["--seed", "7", "--name", "a"]);
    let (c, pc) = generate(&dir, "c.yaml", &["--seed", "8", "--name", "a"]);
    for o in [&a, &b, &c] {
        assert_eq!(code(o), 0, "{}", all_output(o));
    }
    let read = |p: &PathBuf| std::fs::read(p).unwrap();
    assert_eq!(read(&pa), read(&pb));
    assert_ne!(read(&pa), read(&pc));
}

#[test]
fn output_validates_and_runs_with_invariants() {
    let dir = temp_dir("generate-runs");
    let (o, path) = generate(&dir, "small.yaml", &["--seed", "3"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let p = path.to_str().unwrap();
    let v = ecsim(&["validate", p]);
    assert_eq!(code(&v), 0, "{}", all_output(&v));
    let r = ecsim(&["run", p, "--check-invariants", "--json"]);
    assert_eq!(code(&r), 0, "{}", all_output(&r));
    let summary: Value = serde_json::from_str(&stdout(&r)).unwrap();
    assert_eq!(summary["placements"]["failed"], 0, "{summary:#}");
}

#[test]
fn counts_in_the_file_match_the_arguments() {
    let dir = temp_dir("generate-counts");
    let (o, path) = generate(&dir, "counts.yaml", &[]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let text = std::fs::read_to_string(&path).unwrap();
    let s = load_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(s.name, "counts");
    assert_eq!(s.until_ms, 30 * 60_000);
    assert_eq!(s.fleet.iter().map(|e| e.count).sum::<u64>(), 30);
    let mut zones: Vec<&String> = s.fleet.iter().flat_map(|e| &e.availability_zones).collect();
    zones.sort();
    zones.dedup();
    assert_eq!(zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert_eq!(s.services.len(), 5);
    let desired: u64 = s
        .services
        .iter()
        .map(|r| r.body["desiredCount"].as_u64().unwrap())
        .sum();
    assert_eq!(desired, 60);
    // One update_service per service, at 10m (spread over the default 10 s), to revision 2.
    let document = s.document();
    let timeline = document["timeline"].as_array().unwrap();
    let updates: Vec<&Value> = timeline
        .iter()
        .filter(|e| e.get("update_service").is_some())
        .collect();
    assert_eq!(updates.len(), 5);
    for u in &updates {
        assert!(
            (600_000..610_000).contains(&u["at"].as_u64().unwrap()),
            "{u}"
        );
        let td = u["update_service"]["taskDefinition"].as_str().unwrap();
        assert!(td.ends_with(":2"), "{u}");
    }
    // Crashes: 0.5 a task-hour, 60 tasks, 29 minutes: about 14 (a Poisson draw).
    let crashes = timeline
        .iter()
        .filter(|e| e["crash_tasks"]["count"] == 1)
        .count();
    assert!((3..=35).contains(&crashes), "{crashes}\n{text}");
    assert_eq!(timeline.len(), 5 + crashes);
}

#[test]
fn an_impossible_request_warns() {
    let dir = temp_dir("generate-warns");
    let out = dir.join("tight.yaml");
    let o = ecsim(&[
        "generate",
        "--instances",
        "2",
        "--services",
        "3",
        "--tasks",
        "400",
        "--until",
        "10m",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    assert!(stderr(&o).contains("warning:"), "{}", all_output(&o));
    assert!(
        stderr(&o).contains("will not be placed"),
        "{}",
        all_output(&o)
    );
}

#[test]
fn bad_arguments_exit_2() {
    let dir = temp_dir("generate-bad");
    let out = dir.join("bad.yaml");
    let o = out.to_str().unwrap();
    // The valid arguments, with one flag's value replaced (or one flag added).
    let with = |flag: &'static str, value: &'static str| {
        let mut v = vec![
            "generate",
            "--instances",
            "10",
            "--services",
            "5",
            "--tasks",
            "20",
            "--until",
            "10m",
            "-o",
            o,
        ];
        match v.iter().position(|a| *a == flag) {
            Some(i) => v[i + 1] = value,
            None => v.extend_from_slice(&[flag, value]),
        }
        v
    };
    let ok = ecsim(&with("--seed", "1"));
    assert_eq!(code(&ok), 0, "{}", all_output(&ok));
    std::fs::remove_file(&out).unwrap();
    let cases = [
        with("--tasks", "4"), // fewer tasks than services
        with("--azs", "0"),
        with("--azs", "27"),
        with("--until", "ten"),
        with("--until", "0s"),
        with("--crash-rate", "-1"),
        with("--crash-rate", "often"),
        with("--deploy-all-at", "11m"), // after the end
        with("--name", "a b"),
        with("--instances", "0"),
        with("--services", "0"),
        with("--bogus", "1"),
    ];
    for args in cases {
        let r = ecsim(&args);
        assert_eq!(code(&r), 2, "{args:?}: {}", all_output(&r));
    }
    assert!(!out.exists());
}
