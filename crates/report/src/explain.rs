//! `ecsim explain` output: an `Explanation` (plain data from `ecsim_scenario::explain`) as an
//! aligned human table with the strategy steps, or as JSON with the same content.
//!
//! Both forms are deterministic: instances in registration order, reasons in filter order, no
//! paths and no wall-clock time.

use ecsim_core::resources::Requirement;
pub use ecsim_scenario::explain::compact_duration;
use ecsim_scenario::explain::{
    Closest, Explanation, InstanceVerdict, Outcome, Placement, Refusal, StepKind, StrategyStep,
};
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// How many kept instances a strategy line names before it only counts them.
const MAX_KEPT_SHOWN: usize = 5;

/// The human explanation, one line per instance, then the tally and the decision.
pub fn human(e: &Explanation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "explain {} in cluster {} at {} (group {}, {})",
        e.task_definition,
        e.cluster,
        compact_duration(e.at_ms),
        e.group,
        needs(&e.requirement)
    );
    if !e.constraints.is_empty() {
        let _ = writeln!(s, "constraints: {}", e.constraints.join(", "));
    }
    s.push_str(&table(&e.instances));
    if !matches!(e.outcome, Outcome::NoInstances) {
        let _ = writeln!(
            s,
            "rejected: {}; {} of {} instances fit",
            rejected(e),
            e.fit,
            e.instances.len()
        );
    }
    s.push_str(&decision(e));
    s
}

/// What one task needs: `needs 512 CPU units, 1024 MiB, ports tcp 80`.
pub fn needs(r: &Requirement) -> String {
    let mut parts = vec![
        format!("needs {} CPU units", r.cpu),
        format!("{} MiB", r.memory_mib),
    ];
    let ports = |list: &[u16]| {
        list.iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !r.ports_tcp.is_empty() {
        parts.push(format!("ports tcp {}", ports(&r.ports_tcp)));
    }
    if !r.ports_udp.is_empty() {
        parts.push(format!("ports udp {}", ports(&r.ports_udp)));
    }
    if r.dynamic_ports > 0 {
        let s = if r.dynamic_ports == 1 { "" } else { "s" };
        parts.push(format!("{} dynamic host port{s}", r.dynamic_ports));
    }
    if r.gpus > 0 {
        let s = if r.gpus == 1 { "" } else { "s" };
        parts.push(format!("{} GPU{s}", r.gpus));
    }
    if r.eni {
        parts.push("a network interface".into());
    }
    parts.join(", ")
}

/// The instance table, columns aligned, no trailing spaces.
fn table(instances: &[InstanceVerdict]) -> String {
    let rows: Vec<[String; 5]> = instances
        .iter()
        .map(|i| {
            let (filter, detail) = match &i.rejection {
                None => ("fits".to_string(), String::new()),
                Some(r) if !r.reported => ("(skipped)".to_string(), r.detail.clone()),
                Some(r) => (r.filter.to_string(), r.detail.clone()),
            };
            [
                i.ec2_instance_id.clone(),
                zone(i.availability_zone.as_deref()).to_string(),
                i.status.to_string(),
                filter,
                detail,
            ]
        })
        .collect();
    // The filter column is as wide as the longest filter name, so columns line up across runs.
    let mut widths = [0, 0, 0, "distinctInstance".len()];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    for row in &rows {
        let mut line = String::new();
        for (w, cell) in widths.iter().zip(row) {
            let _ = write!(line, "{cell:<w$}  ");
        }
        line.push_str(&row[4]);
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

fn zone(z: Option<&str>) -> &str {
    z.unwrap_or("-")
}

/// `RESOURCE:MEMORY 1, STATUS 1`: reported reasons in filter order, then silent exclusions.
fn rejected(e: &Explanation) -> String {
    let mut parts: Vec<String> = e
        .rejected
        .iter()
        .filter(|t| t.filter != "STATUS")
        .chain(e.rejected.iter().filter(|t| t.filter == "STATUS"))
        .map(|t| format!("{} {}", t.filter, t.count))
        .collect();
    if parts.is_empty() {
        parts.push("none".into());
    }
    parts.join(", ")
}

fn decision(e: &Explanation) -> String {
    match &e.outcome {
        Outcome::NoInstances => format!(
            "no container instances are registered in cluster {}: RunTask fails with \
             InvalidParameterException (No Container Instances were found in your cluster.)\n",
            e.cluster
        ),
        Outcome::NothingFits { closest: Some(c) } => format!(
            "nothing fits; closest match: {} ({}), {}: {}\n",
            c.ec2_instance_id,
            zone(c.availability_zone.as_deref()),
            c.refusal.filter,
            c.refusal.detail
        ),
        Outcome::NothingFits { closest: None } => {
            "nothing fits; no closest match: every instance was skipped (not ACTIVE), so RunTask \
             returns no task and no failure\n"
                .into()
        }
        Outcome::Placed(p) => placed(p),
    }
}

fn candidates(n: usize) -> String {
    if n == 1 {
        "1 candidate".into()
    } else {
        format!("{n} candidates")
    }
}

fn placed(p: &Placement) -> String {
    let mut s = String::new();
    for step in &p.steps {
        let _ = writeln!(s, "{}", step_line(step, &p.ec2_instance_id));
    }
    if let Some(tied) = &p.tie_break {
        if tied.len() > 1 {
            let _ = writeln!(
                s,
                "tie-break: seeded pick among {} [{}] -> {}",
                tied.len(),
                tied.join(", "),
                p.ec2_instance_id
            );
        } else {
            let _ = writeln!(s, "tie-break: none needed (1 candidate left)");
        }
    }
    let _ = writeln!(
        s,
        "would place on {} ({})",
        p.ec2_instance_id,
        zone(p.availability_zone.as_deref())
    );
    s
}

fn step_line(step: &StrategyStep, chosen: &str) -> String {
    match step.kind {
        StepKind::Random => format!(
            "strategy {}: {} -> {chosen}",
            step.strategy,
            candidates(step.before)
        ),
        StepKind::Skipped => format!("strategy {}: not applied ({})", step.strategy, step.detail),
        StepKind::Narrowed => {
            let kept = if step.kept.len() <= MAX_KEPT_SHOWN {
                format!(" [{}]", step.kept.join(", "))
            } else {
                String::new()
            };
            format!(
                "strategy {}: {} -> {}{kept} ({})",
                step.strategy,
                step.before,
                candidates(step.after),
                step.detail
            )
        }
    }
}

/// The same content as `human`, as JSON.
pub fn json(e: &Explanation) -> Value {
    let r = &e.requirement;
    let rejected: Map<String, Value> = e
        .rejected
        .iter()
        .map(|t| (t.reason.to_string(), json!(t.count)))
        .collect();
    let (choice, closest, steps, tie_break) = outcome_json(&e.outcome);
    json!({
        "cluster": e.cluster,
        "atMs": e.at_ms,
        "taskDefinition": e.task_definition,
        "group": e.group,
        "requirement": {
            "cpu": r.cpu, "memoryMiB": r.memory_mib, "portsTcp": r.ports_tcp,
            "portsUdp": r.ports_udp, "dynamicPorts": r.dynamic_ports, "gpus": r.gpus, "eni": r.eni,
        },
        "constraints": e.constraints,
        "strategies": e.strategies,
        "instances": e.instances.iter().map(instance_json).collect::<Vec<_>>(),
        "evaluated": e.instances.len(),
        "fit": e.fit,
        "rejected": rejected,
        "strategySteps": steps,
        "tieBreak": tie_break,
        "choice": choice,
        "closestMatch": closest,
    })
}

fn refusal_json(r: &Refusal) -> Value {
    json!({"filter": r.filter, "reason": r.reason, "reported": r.reported, "detail": r.detail})
}

fn instance_json(i: &InstanceVerdict) -> Value {
    json!({
        "ec2InstanceId": i.ec2_instance_id,
        "containerInstanceId": i.container_instance_id,
        "availabilityZone": i.availability_zone,
        "status": i.status,
        "fits": i.rejection.is_none(),
        "rejection": i.rejection.as_ref().map(refusal_json),
    })
}

fn closest_json(c: &Closest) -> Value {
    json!({
        "ec2InstanceId": c.ec2_instance_id,
        "availabilityZone": c.availability_zone,
        "filter": c.refusal.filter,
        "reason": c.refusal.reason,
        "detail": c.refusal.detail,
    })
}

fn step_json(s: &StrategyStep) -> Value {
    let kind = match s.kind {
        StepKind::Narrowed => "narrowed",
        StepKind::Random => "random",
        StepKind::Skipped => "notApplied",
    };
    json!({
        "strategy": s.strategy, "kind": kind, "candidatesBefore": s.before,
        "candidatesAfter": s.after, "kept": s.kept, "detail": s.detail,
    })
}

/// (choice, closestMatch, strategySteps, tieBreak).
fn outcome_json(o: &Outcome) -> (Value, Value, Value, Value) {
    match o {
        Outcome::NoInstances => (Value::Null, Value::Null, json!([]), Value::Null),
        Outcome::NothingFits { closest } => (
            Value::Null,
            closest.as_ref().map_or(Value::Null, closest_json),
            json!([]),
            Value::Null,
        ),
        Outcome::Placed(p) => (
            json!({"ec2InstanceId": p.ec2_instance_id, "availabilityZone": p.availability_zone,
                   "candidates": p.candidates}),
            Value::Null,
            Value::Array(p.steps.iter().map(step_json).collect()),
            p.tie_break.as_ref().map_or(
                Value::Null,
                |t| json!({"among": t, "chosen": p.ec2_instance_id}),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_lists_what_is_asked() {
        let r = Requirement {
            cpu: 512,
            memory_mib: 1024,
            ports_tcp: vec![80],
            ..Default::default()
        };
        assert_eq!(needs(&r), "needs 512 CPU units, 1024 MiB, ports tcp 80");
    }
}
