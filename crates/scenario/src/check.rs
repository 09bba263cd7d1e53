//! `ecsim check`: runs a scenario under fault schedules drawn from its `faults:`, finds one
//! that breaks an invariant or an expectation, shrinks it, and writes a reproducer.
//!
//! Everything here is sequential and deterministic: case `k` of seed `S` always draws the same
//! schedule and run seed. The CLI runs cases in parallel and picks the failing case with the
//! lowest index, so the result does not depend on the number of cores.

use crate::duration::compact;
use crate::faults::{self, Fault};
use crate::model::Scenario;
use crate::runner::{RunOptions, RunOutput, run};
use ecsim_core::rng::{Purpose, RngStreams};
use serde_json::{Map, Value, json};

/// One case: the seed of its run and its fault schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub index: u32,
    pub run_seed: u64,
    pub faults: Vec<Fault>,
}

/// The schedule and run seed of case `index` under check seed `seed`.
pub fn case(scenario: &Scenario, seed: u64, index: u32) -> Case {
    let mut rng = RngStreams::new(seed ^ u64::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let run_seed = rng.between(Purpose::Faults, 0, u64::from(u32::MAX));
    let faults = faults::draw(&scenario.faults, &mut rng);
    Case {
        index,
        run_seed,
        faults,
    }
}

/// The scenario with the case's faults added to its timeline, ready to run.
pub fn with_faults(scenario: &Scenario, faults: &[Fault]) -> Scenario {
    let mut s = scenario.clone();
    s.timeline
        .extend(faults.iter().map(|f| faults::entry(&scenario.faults, f)));
    s
}

/// Runs one case with the engine audit on.
pub fn run_case(scenario: &Scenario, run_seed: u64, faults: &[Fault]) -> RunOutput {
    let options = RunOptions {
        seed: Some(run_seed),
        check_invariants: true,
        ..RunOptions::default()
    };
    run(&with_faults(scenario, faults), options)
}

/// Shrinks a failing schedule: fewer faults first, then earlier and rounder times, keeping
/// every step that still fails. At most `budget` runs.
pub fn shrink(scenario: &Scenario, run_seed: u64, failing: &[Fault], budget: usize) -> Vec<Fault> {
    let mut best = failing.to_vec();
    let mut runs = 0;
    let mut fails = |faults: &[Fault]| {
        runs += 1;
        runs <= budget && !run_case(scenario, run_seed, faults).passed()
    };
    let mut i = 0;
    while i < best.len() {
        let mut fewer = best.clone();
        fewer.remove(i);
        if fails(&fewer) {
            best = fewer;
        } else {
            i += 1;
        }
    }
    for i in 0..best.len() {
        for at in simpler_times(scenario, &best[i]) {
            let mut t = best.clone();
            t[i].at_ms = at;
            t.sort();
            if fails(&t) {
                best = t;
                break;
            }
        }
    }
    best
}

/// Candidate times simpler than the fault's: the start of its window, then the time rounded
/// down to a minute and to ten seconds, all within the window.
fn simpler_times(scenario: &Scenario, f: &Fault) -> Vec<u64> {
    let (lo, _) = scenario.faults[f.spec].between;
    let mut out = Vec::new();
    for t in [lo, f.at_ms / 60_000 * 60_000, f.at_ms / 10_000 * 10_000] {
        if t >= lo && t < f.at_ms && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// What went wrong in a failing run, in a few lines.
pub fn story(scenario: &Scenario, out: &RunOutput) -> Vec<String> {
    let mut lines = Vec::new();
    for (inv, o) in scenario.invariants.iter().zip(&out.invariants) {
        if let Some(v) = &o.first {
            lines.push(format!(
                "invariant `{}` broken at {} after {}: {}",
                inv.describe(),
                compact(v.at_ms),
                v.after,
                v.state
            ));
        }
    }
    for c in out.checks.iter().filter(|c| !c.passed()) {
        for m in &c.failures {
            lines.push(format!(
                "{} at {}: {} expected {}, got {}",
                c.what,
                compact(c.at_ms),
                m.path,
                m.expected,
                m.actual
            ));
        }
    }
    if let Some(e) = &out.error {
        lines.push(format!(
            "run error in {} at {}: {}",
            e.what,
            compact(e.at_ms),
            e.message
        ));
    }
    for f in out.api.engine.audit_failures() {
        lines.push(format!(
            "ecsim bug: engine invariant {} broken after {}: {}",
            f.violation.invariant, f.after, f.violation.detail
        ));
    }
    lines
}

/// The faults as they happened in `out` (which instance or task each one hit), one line each.
pub fn fault_lines(scenario: &Scenario, faults: &[Fault], out: &RunOutput) -> Vec<String> {
    faults
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let name = scenario.faults[f.spec].kind.name();
            let hit = hit_of(out.responses.get(&(scenario.timeline.len() + k)));
            format!(
                "{name} at {} on {}",
                compact(f.at_ms),
                if hit.is_empty() {
                    "nothing (no match)".into()
                } else {
                    hit.join(", ")
                }
            )
        })
        .collect()
}

/// The ARNs a fault entry's response names.
fn hit_of(response: Option<&Value>) -> Vec<String> {
    let Some(r) = response else { return Vec::new() };
    let list = r.get("containerInstanceArns").or_else(|| r.get("taskArns"));
    let from_state = r
        .get("containerInstances")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|c| {
                    c.get("containerInstanceArn")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect::<Vec<_>>()
        });
    match (list.and_then(Value::as_array), from_state) {
        (Some(l), _) => l
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        (None, Some(l)) => l,
        (None, None) => Vec::new(),
    }
}

/// A standalone scenario that reproduces the failure under `ecsim run`: the original document
/// without `faults`, with the run seed, and with each fault as a timeline entry naming exactly
/// the instance or task it hit in the failing run.
pub fn reproducer(scenario: &Scenario, case: &Case, faults: &[Fault], out: &RunOutput) -> Value {
    let mut doc: Map<String, Value> = match scenario.document() {
        Value::Object(doc) => doc,
        _ => Map::new(),
    };
    doc.remove("faults");
    doc.insert("name".into(), json!(format!("{}-repro", scenario.name)));
    let description = format!(
        "Reproducer written by `ecsim check` (case {}, {} fault(s) after shrinking). Run it with `ecsim run`: it fails.",
        case.index,
        faults.len()
    );
    doc.insert("description".into(), json!(description));
    doc.insert("seed".into(), json!(case.run_seed));
    let mut timeline: Vec<Value> = doc
        .get("timeline")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (k, f) in faults.iter().enumerate() {
        let hit = hit_of(out.responses.get(&(scenario.timeline.len() + k)));
        timeline.push(concrete_entry(scenario, f, &hit));
    }
    doc.insert("timeline".into(), Value::Array(timeline));
    Value::Object(doc)
}

fn concrete_entry(scenario: &Scenario, f: &Fault, hit: &[String]) -> Value {
    let spec = &scenario.faults[f.spec];
    let mut body = json!({"cluster": spec.cluster});
    match &spec.kind {
        faults::FaultKind::CrashTasks { exit_code, .. } => {
            body["tasks"] = json!(hit);
            body["count"] = json!(hit.len());
            body["exitCode"] = json!(exit_code);
        }
        faults::FaultKind::DisconnectAgents { for_ms } => {
            body["containerInstances"] = json!(hit);
            if let Some(ms) = for_ms {
                body["for"] = json!(compact(*ms));
            }
        }
        _ => body["containerInstances"] = json!(hit),
    }
    json!({"at": compact(f.at_ms), spec.kind.name(): body})
}
