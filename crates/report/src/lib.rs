//! ecsim-report: a finished run rendered as text — `summary.json`, `events.jsonl`, and the short
//! human summary the CLI prints.
//!
//! Reports are deterministic: they carry the seed, the scenario hash, the version and the trace
//! digest, and never a wall-clock time, a host name or a path.

mod charts;
pub mod compare;
pub mod explain;
pub mod html;

use ecsim_api::render::resources_json;
use ecsim_core::engine::PlacementFailure;
use ecsim_core::resources::Resources;
use ecsim_core::time::SimDuration;
use ecsim_core::trace::{FieldRef, TraceRecord};
use ecsim_scenario::{RunOutput, Scenario};
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// The version of ecsim that produced a report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `summary.json`.
pub fn summary(scenario: &Scenario, out: &RunOutput) -> Value {
    let engine = &out.api.engine;
    let stats = engine.stats();
    let passed = out.checks.iter().filter(|c| c.passed()).count();
    json!({
        "scenario": scenario.name,
        "seed": out.seed,
        "endTimeMs": engine.now().as_ms(),
        "traceDigest": engine.trace().digest().to_string(),
        "events": engine.trace().len(),
        "ecsimVersion": VERSION,
        "scenarioHash": scenario.source_hash,
        "expectations": {"passed": passed, "failed": out.checks.len() - passed, "skipped": out.skipped},
        "placements": {
            "placed": stats.placed,
            "failed": stats.failed,
            "failuresByReason": stats.failures_by_reason,
            "failedAttempts": stats.failure_events,
            "failureDetails": failure_details(&stats.failures),
        },
        "services": services(out),
        "metrics": metrics(out),
        "instances": instances(out),
        "failures": failures(out),
        "invariants": invariants(scenario, out),
        "engineInvariantViolations": audit(out),
        "error": out.error.as_ref().map(|e| json!({"atMs": e.at_ms, "where": e.what, "message": e.message})),
    })
}

/// The first failed placements: what was refused, by how many instances for each reason, and
/// the closest match with why it did not fit.
fn failure_details(failures: &[PlacementFailure]) -> Vec<Value> {
    failures
        .iter()
        .map(|f| {
            let rejected: Map<String, Value> = f
                .rejected
                .iter()
                .map(|(r, n)| ((*r).to_string(), json!(n)))
                .collect();
            let closest = f.closest.as_ref().map(|(ec2, reason, detail)| {
                json!({"ec2InstanceId": ec2, "reason": reason, "detail": detail})
            });
            json!({
                "atMs": f.at.as_ms(),
                "cluster": f.cluster,
                "taskDefinition": f.task_definition,
                "group": f.group,
                "unplaced": f.unplaced,
                "instancesEvaluated": f.evaluated,
                "instancesRejected": rejected,
                "closestMatch": closest,
            })
        })
        .collect()
}

/// The run's metrics summed up (integers; percentages in basis points), with each deployment's
/// duration and each service's time to its first steady state.
fn metrics(out: &RunOutput) -> Value {
    let m = ecsim_scenario::compare::run_metrics(out);
    let deployments: Vec<Value> = ecsim_scenario::metrics::deployments(&out.api)
        .iter()
        .map(|d| {
            json!({"service": d.service, "deploymentId": d.id, "startedAtMs": d.started_ms,
                   "completedAtMs": d.completed_ms, "durationMs": d.completed_ms.map(|c| c - d.started_ms)})
        })
        .collect();
    let steady: Vec<Value> = out
        .api
        .engine
        .world()
        .services()
        .iter()
        .map(|s| {
            let first = s
                .events
                .iter()
                .find(|e| e.name == "SERVICE_STEADY_STATE")
                .map(|e| e.at.as_ms() - s.created_at.as_ms());
            json!({"service": s.name, "timeToSteadyStateMs": first})
        })
        .collect();
    json!({
        "samples": out.samples.len(),
        "instancesUsedMax": m.instances_used,
        "memoryReservedMeanBp": m.memory_bp_mean,
        "memoryReservedP95Bp": m.memory_bp_p95,
        "cpuReservedMeanBp": m.cpu_bp_mean,
        "strandedMemoryMeanMib": m.stranded_memory_mean,
        "azSkewMax": m.az_skew_max,
        "deployments": deployments,
        "steadyState": steady,
    })
}

fn services(out: &RunOutput) -> Vec<Value> {
    let w = out.api.engine.world();
    w.services()
        .iter()
        .map(|s| {
            let (running, pending) = out.api.service_counts(s.id, None);
            let deployments = s
                .deployments
                .iter()
                .filter(|d| d.status != ecsim_core::service::DeploymentStatus::Inactive)
                .count();
            json!({
                "cluster": w.cluster(s.cluster).name,
                "serviceName": s.name,
                "status": s.status.as_str(),
                "desiredCount": s.desired_count,
                "runningCount": running,
                "pendingCount": pending,
                "deployments": deployments,
                "rolloutState": s.primary().rollout_state.as_str(),
                "events": s.events.len(),
            })
        })
        .collect()
}

fn instances(out: &RunOutput) -> Vec<Value> {
    let w = out.api.engine.world();
    w.instances()
        .iter()
        .map(|i| {
            json!({
                "cluster": w.cluster(i.cluster).name,
                "ec2InstanceId": i.ec2_instance_id,
                "containerInstanceArn": out.api.instance_arn(i.id),
                "instanceType": i.instance_type,
                "availabilityZone": i.availability_zone,
                "status": i.status.as_str(),
                "agentConnected": i.agent_connected,
                "runningTasksCount": w.running_tasks_count(i.id),
                "registered": resource_totals(&i.registered),
                "remaining": resource_totals(&i.remaining),
            })
        })
        .collect()
}

/// `{"CPU": 2048, "MEMORY": 7680, "GPU": 1, ...}`: the numeric resources by name.
fn resource_totals(r: &Resources) -> Value {
    let mut o = Map::new();
    for res in resources_json(r).as_array().into_iter().flatten() {
        let Some(name) = res.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = ["integerValue", "longValue", "doubleValue"]
            .iter()
            .find_map(|k| res.get(*k));
        if let Some(v) = value {
            o.insert(name.to_string(), v.clone());
        } else if name == "GPU" {
            let n = res
                .get("stringSetValue")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            o.insert(name.to_string(), json!(n));
        }
    }
    Value::Object(o)
}

/// Each scenario invariant: held, or its first violation and how many events left it broken.
fn invariants(scenario: &Scenario, out: &RunOutput) -> Vec<Value> {
    scenario
        .invariants
        .iter()
        .zip(&out.invariants)
        .map(|(inv, o)| {
            let first = o.first.as_ref().map(|v| json!({"atMs": v.at_ms, "after": v.after, "state": v.state}));
            json!({"invariant": inv.describe(), "afterMs": inv.after_ms, "held": o.first.is_none(), "violations": o.violations, "firstViolation": first})
        })
        .collect()
}

/// Violations of ecsim's own invariants (`--check-invariants`): bugs in ecsim.
fn audit(out: &RunOutput) -> Vec<Value> {
    out.api
        .engine
        .audit_failures()
        .iter()
        .map(|f| json!({"atMs": f.at.as_ms(), "after": f.after, "invariant": f.violation.invariant, "detail": f.violation.detail}))
        .collect()
}

fn failures(out: &RunOutput) -> Vec<Value> {
    out.checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| {
            let details: Vec<Value> = c
                .failures
                .iter()
                .map(|m| json!({"path": m.path, "expected": m.expected, "actual": m.actual}))
                .collect();
            json!({"atMs": c.at_ms, "what": c.what, "line": c.loc.line, "mismatches": details})
        })
        .collect()
}

/// `events.jsonl`: one trace record a line, `{"t": ms, "event": kind, ...fields}`.
pub fn events_jsonl<'a>(records: impl IntoIterator<Item = TraceRecord<'a>>) -> String {
    let mut s = String::new();
    for r in records {
        let mut o = Map::new();
        o.insert("t".into(), json!(r.time.as_ms()));
        o.insert("event".into(), json!(r.kind));
        for (k, v) in r.fields() {
            let v = match v {
                FieldRef::Str(x) => json!(x),
                FieldRef::Int(x) => json!(x),
                FieldRef::Bool(x) => json!(x),
            };
            o.insert(k.to_string(), v);
        }
        s.push_str(&Value::Object(o).to_string());
        s.push('\n');
    }
    s
}

/// The short human summary `ecsim run` prints, failures first.
pub fn human(scenario: &Scenario, file: &str, out: &RunOutput) -> String {
    let mut s = problems(scenario, file, out);
    totals(&mut s, scenario, out);
    s
}

/// Failed checks with the path, expected and actual value of each mismatch; the run error.
fn problems(scenario: &Scenario, file: &str, out: &RunOutput) -> String {
    let mut s = String::new();
    for c in out.checks.iter().filter(|c| !c.passed()) {
        let _ = writeln!(
            s,
            "FAILED {} at {} ({file}:{}:{})",
            c.what,
            SimDuration(c.at_ms),
            c.loc.line,
            c.loc.column
        );
        for m in &c.failures {
            let path = if m.path.is_empty() {
                "response"
            } else {
                &m.path
            };
            let _ = writeln!(s, "  {path}: expected {}, got {}", m.expected, m.actual);
        }
    }
    for (inv, o) in scenario.invariants.iter().zip(&out.invariants) {
        if let Some(v) = &o.first {
            let _ = writeln!(
                s,
                "INVARIANT {} broken at {} ({file}:{}:{}) after {}: {}",
                inv.describe(),
                SimDuration(v.at_ms),
                inv.loc.line,
                inv.loc.column,
                v.after,
                v.state
            );
        }
    }
    for f in out.api.engine.audit_failures() {
        let _ = writeln!(
            s,
            "ENGINE INVARIANT {} broken at {} after {}: {} (a bug in ecsim; please report it with this scenario)",
            f.violation.invariant,
            SimDuration(f.at.as_ms()),
            f.after,
            f.violation.detail
        );
    }
    if let Some(e) = &out.error {
        let place = e
            .loc
            .map(|l| format!(" ({file}:{}:{})", l.line, l.column))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "ERROR in {} at {}{place}: {}",
            e.what,
            SimDuration(e.at_ms),
            e.message
        );
    }
    s
}

fn totals(s: &mut String, scenario: &Scenario, out: &RunOutput) {
    let engine = &out.api.engine;
    let stats = engine.stats();
    let _ = writeln!(
        s,
        "{} (seed {}): ran to {}, {} events, trace {}",
        scenario.name,
        out.seed,
        engine.now(),
        engine.trace().len(),
        engine.trace().digest()
    );
    let reasons: Vec<String> = stats
        .failures_by_reason
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    let reasons = if reasons.is_empty() {
        String::new()
    } else {
        format!(" ({})", reasons.join(", "))
    };
    let _ = writeln!(
        s,
        "placements: {} placed, {} failed{reasons}",
        stats.placed, stats.failed
    );
    let w = engine.world();
    let running = w
        .tasks()
        .iter()
        .filter(|t| t.last_status == ecsim_core::task::TaskStatus::Running)
        .count();
    let _ = writeln!(
        s,
        "instances: {}, tasks running: {running}",
        w.instances().len()
    );
    let passed = out.checks.iter().filter(|c| c.passed()).count();
    let skipped = if out.skipped > 0 {
        format!(", {} skipped (after --until)", out.skipped)
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "expectations: {passed} passed, {} failed{skipped}",
        out.checks.len() - passed
    );
}
