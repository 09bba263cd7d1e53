//! `ecsim compare`: the same scenario under different placement strategies, over several seeds.
//!
//! A strategy SPEC is what the ECS JSON says in a compact form: `random`, `binpack(memory)`,
//! `spread(attribute:ecs.availability-zone),binpack(memory)`. It replaces the placement
//! strategy of every REPLICA service and every RunTask call. Each run is summed up in integer
//! metrics; several seeds give a mean and a range.

use crate::metrics::Sample;
use crate::runner::RunOutput;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Parses a SPEC into `placementStrategy` JSON.
pub fn parse_spec(spec: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for item in split_top(spec) {
        let item = item.trim();
        let (kind, field) = match item.split_once('(') {
            Some((k, rest)) => {
                let field = rest
                    .strip_suffix(')')
                    .ok_or_else(|| format!("`{item}`: missing `)`"))?;
                (k.trim(), Some(field.trim()))
            }
            None => (item, None),
        };
        out.push(match (kind, field) {
            ("random", None) => json!({"type": "random"}),
            ("spread" | "binpack", Some(f)) if !f.is_empty() => json!({"type": kind, "field": f}),
            _ => {
                return Err(format!(
                    "`{item}` is not a strategy: use random, spread(FIELD) or binpack(cpu|memory)"
                ));
            }
        });
    }
    if out.is_empty() {
        return Err("an empty strategy".into());
    }
    Ok(out)
}

/// Splits on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The scenario document with `strategies` on every REPLICA service and RunTask.
pub fn with_strategies(document: &Value, strategies: &[Value]) -> Value {
    let mut doc = document.clone();
    let set = |body: &mut Value| {
        let daemon = body.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON");
        if !daemon && let Some(o) = body.as_object_mut() {
            o.insert(
                "placementStrategy".into(),
                Value::Array(strategies.to_vec()),
            );
        }
    };
    if let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) {
        services.iter_mut().for_each(set);
    }
    if let Some(timeline) = doc.get_mut("timeline").and_then(Value::as_array_mut) {
        for entry in timeline.iter_mut().filter_map(Value::as_object_mut) {
            for op in ["run_task", "create_service"] {
                if let Some(body) = entry.get_mut(op) {
                    set(body);
                }
            }
        }
    }
    doc
}

/// One run summed up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunMetrics {
    pub instances_used: i64,
    /// Memory reserved over registered, basis points: mean and 95th percentile over samples.
    pub memory_bp_mean: i64,
    pub memory_bp_p95: i64,
    pub cpu_bp_mean: i64,
    /// Stranded memory (MiB), mean over samples.
    pub stranded_memory_mean: i64,
    /// The largest AZ skew of any service at any sample.
    pub az_skew_max: i64,
    pub placement_failures: i64,
    pub failures_by_reason: BTreeMap<String, i64>,
    /// Mean duration of completed deployments, ms (0 when none).
    pub deployment_ms_mean: i64,
    pub passed: bool,
}

/// Sums up a finished run.
pub fn run_metrics(out: &RunOutput) -> RunMetrics {
    let s: &[Sample] = &out.samples;
    let mean = |f: &dyn Fn(&Sample) -> i64| {
        if s.is_empty() {
            0
        } else {
            s.iter().map(f).sum::<i64>() / s.len() as i64
        }
    };
    let mut memory: Vec<i64> = s.iter().map(|x| x.total.memory_bp()).collect();
    memory.sort_unstable();
    let p95 = memory
        .get((memory.len() * 95).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or(0);
    let done: Vec<i64> = crate::metrics::deployments(&out.api)
        .iter()
        .filter_map(|d| d.completed_ms.map(|c| (c - d.started_ms) as i64))
        .collect();
    let stats = out.api.engine.stats();
    RunMetrics {
        instances_used: s
            .iter()
            .map(|x| i64::from(x.instances_in_use))
            .max()
            .unwrap_or(0),
        memory_bp_mean: mean(&|x| x.total.memory_bp()),
        memory_bp_p95: p95,
        cpu_bp_mean: mean(&|x| x.total.cpu_bp()),
        stranded_memory_mean: mean(&|x| x.stranded_memory),
        az_skew_max: s
            .iter()
            .flat_map(|x| x.services.iter().map(|v| i64::from(v.az_skew)))
            .max()
            .unwrap_or(0),
        placement_failures: stats.failed as i64,
        failures_by_reason: stats
            .failures_by_reason
            .iter()
            .map(|(r, n)| ((*r).to_string(), *n as i64))
            .collect(),
        deployment_ms_mean: if done.is_empty() {
            0
        } else {
            done.iter().sum::<i64>() / done.len() as i64
        },
        passed: out.passed(),
    }
}

/// A metric over seeds: mean in hundredths, minimum and maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    pub mean_centi: i64,
    pub min: i64,
    pub max: i64,
}

impl Spread {
    pub fn of(values: &[i64]) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        Spread {
            mean_centi: values.iter().sum::<i64>() * 100 / values.len() as i64,
            min: values.iter().copied().min().unwrap_or(0),
            max: values.iter().copied().max().unwrap_or(0),
        }
    }
}

/// One strategy over every seed.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    pub strategy: String,
    pub seeds: usize,
    /// Name → spread, in the order of `METRICS`.
    pub metrics: Vec<(&'static str, Spread)>,
    pub failures_by_reason: BTreeMap<String, i64>,
    pub runs_passed: usize,
}

/// The metrics compared, with how to read each from a run.
/// How a compared metric is read from one run.
pub type Reader = fn(&RunMetrics) -> i64;

pub const METRICS: [(&str, Reader); 8] = [
    ("instancesUsed", |m| m.instances_used),
    ("memoryReservedMeanBp", |m| m.memory_bp_mean),
    ("memoryReservedP95Bp", |m| m.memory_bp_p95),
    ("cpuReservedMeanBp", |m| m.cpu_bp_mean),
    ("strandedMemoryMib", |m| m.stranded_memory_mean),
    ("azSkewMax", |m| m.az_skew_max),
    ("placementFailures", |m| m.placement_failures),
    ("deploymentMsMean", |m| m.deployment_ms_mean),
];

/// Aggregates the runs of one strategy.
pub fn compare(strategy: &str, runs: &[RunMetrics]) -> Comparison {
    let metrics = METRICS
        .iter()
        .map(|(name, read)| {
            (
                *name,
                Spread::of(&runs.iter().map(read).collect::<Vec<_>>()),
            )
        })
        .collect();
    let mut failures_by_reason = BTreeMap::new();
    for r in runs {
        for (k, v) in &r.failures_by_reason {
            *failures_by_reason.entry(k.clone()).or_insert(0) += v;
        }
    }
    Comparison {
        strategy: strategy.to_string(),
        seeds: runs.len(),
        metrics,
        failures_by_reason,
        runs_passed: runs.iter().filter(|r| r.passed).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(
            parse_spec("random").unwrap(),
            vec![json!({"type": "random"})]
        );
        assert_eq!(
            parse_spec("spread(attribute:ecs.availability-zone),binpack(memory)").unwrap(),
            vec![
                json!({"type": "spread", "field": "attribute:ecs.availability-zone"}),
                json!({"type": "binpack", "field": "memory"})
            ]
        );
        for bad in ["", "binpack", "spread()", "first-fit", "binpack(memory"] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strategies_replace_replica_services_and_run_task() {
        let doc = json!({
            "services": [{"serviceName": "a"}, {"serviceName": "d", "schedulingStrategy": "DAEMON"}],
            "timeline": [{"at": 0, "run_task": {"taskDefinition": "x"}}, {"at": 1, "stop_task": {"task": "t"}}],
        });
        let s = vec![json!({"type": "random"})];
        let out = with_strategies(&doc, &s);
        assert_eq!(out["services"][0]["placementStrategy"], json!(s));
        assert!(out["services"][1].get("placementStrategy").is_none());
        assert_eq!(
            out["timeline"][0]["run_task"]["placementStrategy"],
            json!(s)
        );
        assert!(
            out["timeline"][1]["stop_task"]
                .get("placementStrategy")
                .is_none()
        );
    }

    #[test]
    fn spread_of_values() {
        assert_eq!(
            Spread::of(&[1, 2, 4]),
            Spread {
                mean_centi: 233,
                min: 1,
                max: 4
            }
        );
        assert_eq!(Spread::of(&[]), Spread::default());
    }
}
