//! The `ecsim` binary: exit codes, `--json`, `--out`, `--seed`, `--until`, failure reports and
//! `validate` (SCENARIO-FORMAT.md, "Command line" and "Expectations").

use crate::support::*;
use serde_json::Value;

fn summary_of(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("--json output is not JSON ({e}):\n{}", all_output(o)))
}

#[test]
fn a_passing_run_exits_0_and_validate_accepts_it() {
    let dir = temp_dir("pass");
    let f = write(&dir, "basic.yaml", BASIC);
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let o = ecsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn json_prints_the_contract_summary() {
    let dir = temp_dir("json");
    let f = write(&dir, "basic.yaml", BASIC);
    let o = ecsim(&["run", f.to_str().unwrap(), "--json"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let s = summary_of(&o);
    for k in [
        "scenario",
        "seed",
        "endTimeMs",
        "traceDigest",
        "events",
        "expectations",
        "placements",
        "services",
        "instances",
    ] {
        assert!(s.get(k).is_some(), "summary lacks {k}: {s}");
    }
    assert_eq!(s["scenario"], "it-basic");
    assert_eq!(s["seed"], 7);
    assert_eq!(s["endTimeMs"], 600_000);
    let digest = s["traceDigest"].as_str().unwrap();
    assert_eq!(digest.len(), 16);
    assert!(
        digest
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    // 3 checks on timeline entries with match/expectError... 2 of them, plus 2 expectations.
    assert_eq!(s["expectations"]["passed"], 4);
    assert_eq!(s["expectations"]["failed"], 0);
    assert_eq!(s["placements"]["placed"], 3);
    assert_eq!(s["placements"]["failed"], 1);
    assert_eq!(s["placements"]["failuresByReason"]["RESOURCE:PORTS"], 1);
    let inst = s["instances"].as_array().unwrap();
    assert_eq!(inst.len(), 3);
    for i in inst {
        for k in [
            "ec2InstanceId",
            "availabilityZone",
            "status",
            "runningTasksCount",
            "registered",
            "remaining",
        ] {
            assert!(i.get(k).is_some(), "instance lacks {k}: {i}");
        }
        assert_eq!(i["registered"]["CPU"], 2048);
        assert_eq!(i["registered"]["MEMORY"], 4096);
    }
    // One of the three tasks was stopped at 2m: its instance has everything back.
    let mut mem: Vec<i64> = inst
        .iter()
        .map(|i| i["remaining"]["MEMORY"].as_i64().unwrap())
        .collect();
    mem.sort_unstable();
    assert_eq!(mem, [3584, 3584, 4096]);
    let zones: Vec<&str> = inst
        .iter()
        .map(|i| i["availabilityZone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
}

#[test]
fn out_writes_summary_and_events() {
    let dir = temp_dir("out");
    let f = write(&dir, "basic.yaml", BASIC);
    let out = dir.join("o");
    let o = ecsim(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    let lines: Vec<&str> = events.lines().collect();
    assert!(!lines.is_empty());
    assert_eq!(lines.len() as u64, summary["events"].as_u64().unwrap());
    let mut last = 0;
    for l in lines {
        let e: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let t = e["t"].as_u64().unwrap_or_else(|| panic!("no t in {l}"));
        assert!(t >= last, "t went backwards: {l}");
        assert!(t <= 600_000, "event after until: {l}");
        last = t;
    }
    // A second run writes the same bytes.
    let out2 = dir.join("o2");
    ecsim(&["run", f.to_str().unwrap(), "--out", out2.to_str().unwrap()]);
    for file in ["summary.json", "events.jsonl"] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(out2.join(file)).unwrap(),
            "{file} differs between two runs"
        );
    }
}

#[test]
fn seed_flag_overrides_the_scenario_seed() {
    let dir = temp_dir("seed");
    let f = write(&dir, "basic.yaml", BASIC);
    let a = summary_of(&ecsim(&["run", f.to_str().unwrap(), "--json"]));
    let b = summary_of(&ecsim(&[
        "run",
        f.to_str().unwrap(),
        "--json",
        "--seed",
        "99",
    ]));
    assert_eq!(a["seed"], 7);
    assert_eq!(b["seed"], 99);
    assert_ne!(
        a["traceDigest"], b["traceDigest"],
        "pending 2s..5s must draw from the seed"
    );
}

#[test]
fn until_flag_shortens_the_run() {
    let dir = temp_dir("until");
    let f = write(&dir, "basic.yaml", BASIC);
    let o = ecsim(&["run", f.to_str().unwrap(), "--json", "--until", "90s"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let s = summary_of(&o);
    assert_eq!(s["endTimeMs"], 90_000);
    let full = summary_of(&ecsim(&["run", f.to_str().unwrap(), "--json"]));
    assert!(s["events"].as_u64().unwrap() < full["events"].as_u64().unwrap());
    let o = ecsim(&["run", f.to_str().unwrap(), "--until", "soon"]);
    assert_eq!(code(&o), 2, "a malformed --until is a command-line error");
}

#[test]
fn a_failed_expectation_exits_1_with_at_path_expected_and_actual() {
    let dir = temp_dir("fail");
    let text = BASIC.replace("runningTasksCount: 3}", "runningTasksCount: 4}");
    assert_ne!(text, BASIC);
    let f = write(&dir, "wrong.yaml", &text);
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    let out = all_output(&o);
    assert!(out.contains("runningTasksCount"), "no path: {out}");
    assert!(
        out.contains('4') && out.contains('3'),
        "no expected/actual: {out}"
    );
    assert!(out.contains("1m"), "no `at`: {out}");
    let s = summary_of(&ecsim(&["run", f.to_str().unwrap(), "--json"]));
    assert_eq!(s["expectations"]["failed"], 1);
}

#[test]
fn a_failed_timeline_match_exits_1() {
    let dir = temp_dir("tlfail");
    let text = BASIC.replace(r#"tasks: ["*", "*", "*"]"#, r#"tasks: ["*", "*"]"#);
    assert_ne!(text, BASIC);
    let f = write(&dir, "wrong.yaml", &text);
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    assert!(all_output(&o).contains("tasks"), "{}", all_output(&o));
}

#[test]
fn usage_errors_exit_2() {
    let dir = temp_dir("usage");
    let f = write(&dir, "basic.yaml", BASIC);
    let missing = dir.join("missing.yaml");
    for args in [
        vec!["run"],
        vec!["frobnicate", f.to_str().unwrap()],
        vec!["run", f.to_str().unwrap(), "--seed", "minus-one"],
        vec!["run", f.to_str().unwrap(), "--no-such-flag"],
        vec!["run", missing.to_str().unwrap()],
        vec!["validate", missing.to_str().unwrap()],
    ] {
        let o = ecsim(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", all_output(&o));
    }
}

#[test]
fn validate_rejects_an_invalid_scenario_with_exit_2() {
    let dir = temp_dir("validate");
    let f = write(&dir, "bad.yaml", &BASIC.replace("seed: 7", "sede: 7"));
    let o = ecsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    let err = stderr(&o);
    assert!(err.contains("sede"), "{err}");
    assert!(err.contains("seed"), "no suggestion: {err}");
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(!dir.join("summary.json").exists());
}
