//! ecsim-report: a finished run rendered as text — `summary.json`, `events.jsonl`, and the short
//! human summary the CLI prints.
//!
//! Reports are deterministic: they carry the seed, the scenario hash, the version and the trace
//! digest, and never a wall-clock time, a host name or a path.

mod charts;
mod columns;
pub mod compare;
pub mod explain;
pub mod html;

use ecsim_core::engine::PlacementFailure;
use ecsim_core::resources::{Gpus, ResourceValue, Resources};
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
                .first_steady_at()
                .map(|at| at.as_ms() - s.created_at.as_ms());
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
                "events": s.events.total(),
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

/// `{"CPU": 2048, "MEMORY": 7680, "GPU": 1, ...}`: the numeric resources by name, in the
/// order DescribeContainerInstances lists them (GPUs by count; string sets left out).
fn resource_totals(r: &Resources) -> Value {
    let mut o = Map::new();
    o.insert("CPU".into(), json!(r.cpu));
    o.insert("MEMORY".into(), json!(r.memory_mib));
    match &r.gpus {
        Some(Gpus::Count(n)) => o.insert("GPU".into(), json!(n)),
        Some(Gpus::Ids(ids)) => o.insert("GPU".into(), json!(ids.len())),
        None => None,
    };
    for c in &r.custom {
        let value = match &c.value {
            ResourceValue::Integer(v) | ResourceValue::Long(v) => json!(v),
            ResourceValue::Double(v) => json!(v),
            ResourceValue::StringSet(ids) if c.name == "GPU" => json!(ids.len()),
            ResourceValue::StringSet(_) => continue,
        };
        o.insert(c.name.clone(), value);
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

/// `events.jsonl`: one trace record a line, `{"t": ms, "event": kind, ...fields}`. The records
/// are one trace's (as `Trace::records` gives them): lines are written per record shape, and
/// shape numbers belong to their trace.
pub fn events_jsonl<'a>(records: impl IntoIterator<Item = TraceRecord<'a>>) -> String {
    let mut out = Vec::new();
    write_events_jsonl(records, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// Writes `events.jsonl` (see `events_jsonl`; the records of one trace) line by line to `w`, so
/// the text of a large run is never held whole in memory.
pub fn write_events_jsonl<'a, W: std::io::Write>(
    records: impl IntoIterator<Item = TraceRecord<'a>>,
    w: &mut W,
) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(256);
    let mut codes: Vec<Option<LineCode>> = Vec::new();
    for r in records {
        line.clear();
        let shape = r.shape_id() as usize;
        if codes.len() <= shape {
            codes.resize_with(shape + 1, || None);
        }
        codes[shape]
            .get_or_insert_with(|| LineCode::new(&r))
            .write(&mut line, &r);
        w.write_all(&line)?;
    }
    Ok(())
}

/// How the lines of one record shape (a kind and its keys in order) are written, worked out
/// once per shape: field by field, with the kind and each key escaped once; or, when a key
/// repeats (or is `t` or `event`), through a JSON object, where the later value of a key replaces
/// the earlier one in its place, and the line is the same as that object's text.
struct LineCode {
    /// `,"event":` and the kind.
    head: Vec<u8>,
    /// Each field's `,"key":`.
    keys: Vec<Vec<u8>>,
    object: bool,
}

impl LineCode {
    fn new(r: &TraceRecord<'_>) -> LineCode {
        let mut head = b",\"event\":".to_vec();
        json_str(&mut head, r.kind);
        let keys = r
            .fields()
            .map(|(k, _)| {
                let mut key = vec![b','];
                json_str(&mut key, k);
                key.push(b':');
                key
            })
            .collect();
        LineCode {
            head,
            keys,
            object: has_repeated_key(r),
        }
    }

    /// Appends `r`'s line; `r` has this code's shape.
    fn write(&self, out: &mut Vec<u8>, r: &TraceRecord<'_>) {
        if self.object {
            out.extend_from_slice(event_object(r).to_string().as_bytes());
            out.push(b'\n');
            return;
        }
        out.extend_from_slice(b"{\"t\":");
        json_int(out, r.time.as_ms());
        out.extend_from_slice(&self.head);
        for ((_, v), key) in r.fields().zip(&self.keys) {
            out.extend_from_slice(key);
            match v {
                FieldRef::Str(x) => json_str(out, x),
                FieldRef::Int(x) => json_int(out, x),
                FieldRef::Bool(x) => out.extend_from_slice(if x { b"true" } else { b"false" }),
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// `s` as a JSON string, escaped as serde_json escapes it. serde_json escapes only `"`, `\`
/// and the control characters below U+0020, so a string without them is copied between quotes
/// (nearly every string of a trace: names, ARNs, statuses); any other goes through serde_json.
fn json_str(out: &mut Vec<u8>, s: &str) {
    // Folded without an early exit, so the compiler checks many bytes per instruction.
    if s.bytes().fold(false, |any, b| any | needs_escape(b)) {
        serde_json::to_writer(&mut *out, s).expect("writing to memory cannot fail");
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether serde_json writes byte `b` of a string escaped.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// An integer as JSON writes it (`itoa` writes the same digits as `Display`, without the
/// formatting machinery).
fn json_int(out: &mut Vec<u8>, x: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
}

/// Whether a key repeats, or is `t` or `event` (a record of more than `KEYS` fields counts as
/// repeating: it takes the object path, which is right for any record).
fn has_repeated_key(r: &TraceRecord<'_>) -> bool {
    const KEYS: usize = 32;
    let mut seen = [""; KEYS];
    for (i, (k, _)) in r.fields().enumerate() {
        if i == KEYS || k == "t" || k == "event" || seen[..i].contains(&k) {
            return true;
        }
        seen[i] = k;
    }
    false
}

/// The record as a JSON object: `t`, `event`, then the fields in order.
fn event_object(r: &TraceRecord<'_>) -> Value {
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
    Value::Object(o)
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

#[cfg(test)]
mod tests {
    use super::*;
    use ecsim_core::resources::CustomResource;
    use ecsim_core::time::SimTime;
    use ecsim_core::trace::Trace;

    /// The totals as read off the rendered DescribeContainerInstances list: every resource
    /// with a number, and GPUs counted.
    fn totals_from_rendered(r: &Resources) -> Value {
        let mut o = Map::new();
        for res in ecsim_api::render::resources_json(r)
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = res["name"].as_str().expect("a name").to_string();
            let number = ["integerValue", "longValue", "doubleValue"]
                .iter()
                .find_map(|k| res.get(*k));
            match (number, name.as_str()) {
                (Some(v), _) => o.insert(name, v.clone()),
                (None, "GPU") => o.insert(
                    name,
                    json!(res["stringSetValue"].as_array().map_or(0, Vec::len)),
                ),
                (None, _) => None,
            };
        }
        Value::Object(o)
    }

    #[test]
    fn resource_totals_are_the_rendered_numbers_in_order() {
        let custom = |name: &str, value| CustomResource {
            name: name.into(),
            value,
        };
        let mut r = Resources::new(2048, 7680);
        r.ports_tcp.insert(8080);
        let mut cases = vec![r.clone()];
        r.gpus = Some(Gpus::Count(2));
        r.custom = vec![
            custom("SLOTS", ResourceValue::Integer(7)),
            custom("BYTES", ResourceValue::Long(1 << 40)),
            custom("RATIO", ResourceValue::Double(0.5)),
            custom("ZONES", ResourceValue::StringSet(vec!["a".into()])),
            custom("CPU", ResourceValue::Integer(1)),
        ];
        cases.push(r.clone());
        r.gpus = Some(Gpus::Ids(["g0", "g1", "g2"].map(String::from).into()));
        cases.push(r);
        for r in &cases {
            let (ours, rendered) = (resource_totals(r), totals_from_rendered(r));
            assert_eq!(ours.to_string(), rendered.to_string());
        }
        assert_eq!(
            resource_totals(&cases[2]).to_string(),
            r#"{"CPU":1,"MEMORY":7680,"GPU":3,"SLOTS":7,"BYTES":1099511627776,"RATIO":0.5}"#
        );
    }

    /// The copied strings and the escaped ones are serde_json's text, byte for byte: every
    /// ASCII character alone and inside text, DEL, non-ASCII, and U+2028 (which JSON allows raw).
    #[test]
    fn json_strings_and_integers_are_serde_jsons_text() {
        let mut samples: Vec<String> = (0u8..0x80)
            .map(|b| char::from(b).to_string())
            .chain((0u8..0x80).map(|b| format!("arn:aws:ecs:{}x", char::from(b))))
            .collect();
        samples.extend(["", "é 漢 \u{1F600}", "\u{2028}", "plain-name_1"].map(String::from));
        for s in &samples {
            let mut out = Vec::new();
            json_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        for x in [0, 7, -1, 42, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            json_int(&mut out, x);
            assert_eq!(out, x.to_string().into_bytes());
        }
    }

    /// Every line written field by field is the text of the record's JSON object, whatever
    /// its strings hold; records whose keys repeat or reuse `t`/`event` take the object's form;
    /// records of one shape each get their own values.
    #[test]
    fn event_lines_are_the_records_json_objects() {
        let mut trace = Trace::default();
        let odd = "quote \" back \\ tab \t nl \n bell \u{7} é 漢 \u{1F600}";
        trace.push(SimTime(0), "Plain", &[]);
        trace.push(
            SimTime(17),
            "Mixed",
            &[
                ("s", FieldRef::Str(odd)),
                ("n", FieldRef::Int(-42)),
                ("big", FieldRef::Int(i64::MAX)),
                ("yes", FieldRef::Bool(true)),
                ("no", FieldRef::Bool(false)),
            ],
        );
        trace.push(
            SimTime(u64::from(u32::MAX) * 3),
            "Repeats",
            &[
                ("a", FieldRef::Int(1)),
                ("b", FieldRef::Int(2)),
                ("a", FieldRef::Int(3)),
            ],
        );
        trace.push(
            SimTime(5),
            "Reserved",
            &[("t", FieldRef::Str("x")), ("event", FieldRef::Int(9))],
        );
        // The shapes again with other values: each line is written from its own values.
        for (t, v) in [(21, 7), (22, -8)] {
            let fields = [
                ("s", FieldRef::Str("plain")),
                ("n", FieldRef::Int(v)),
                ("big", FieldRef::Int(v * 1000)),
                ("yes", FieldRef::Bool(v < 0)),
                ("no", FieldRef::Bool(v > 0)),
            ];
            trace.push(SimTime(t), "Mixed", &fields);
            let repeats = [
                ("a", FieldRef::Int(v)),
                ("b", FieldRef::Int(2)),
                ("a", FieldRef::Int(-v)),
            ];
            trace.push(SimTime(t), "Repeats", &repeats);
        }
        let shapes: std::collections::BTreeSet<u32> =
            trace.records().map(|r| r.shape_id()).collect();
        assert_eq!(shapes.len(), 4, "four shapes among eight records");
        let text = events_jsonl(trace.records());
        let want: String = trace
            .records()
            .map(|r| format!("{}\n", event_object(&r)))
            .collect();
        assert_eq!(text, want);
        let repeated = text.lines().nth(2).expect("a third line");
        assert_eq!(
            repeated,
            r#"{"t":12884901885,"event":"Repeats","a":3,"b":2}"#
        );
        assert_eq!(text.lines().nth(3), Some(r#"{"t":"x","event":9}"#));
    }
}
