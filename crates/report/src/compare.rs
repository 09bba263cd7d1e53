//! `ecsim compare` output: a side-by-side table of strategies (mean and range over seeds) and
//! its JSON form. Numbers stay integers or fixed-point text.

use ecsim_scenario::compare::{Comparison, Spread};
use ecsim_scenario::duration::compact;
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// `1234` hundredths as `12.34`.
fn centi(v: i64) -> String {
    format!(
        "{}{}.{:02}",
        if v < 0 { "-" } else { "" },
        v.abs() / 100,
        v.abs() % 100
    )
}

/// A metric's mean and range, as the table shows it.
fn cell(name: &str, s: Spread) -> String {
    match name {
        n if n.ends_with("Bp") => format!(
            "{}% ({}..{})",
            centi(s.mean_centi / 100),
            centi(s.min),
            centi(s.max)
        ),
        "deploymentMsMean" => format!(
            "{} ({}..{})",
            compact((s.mean_centi / 100) as u64),
            compact(s.min as u64),
            compact(s.max as u64)
        ),
        _ => format!("{} ({}..{})", centi(s.mean_centi), s.min, s.max),
    }
}

const HEADERS: [(&str, &str); 8] = [
    ("instancesUsed", "instances used"),
    ("memoryReservedMeanBp", "memory reserved (mean)"),
    ("memoryReservedP95Bp", "memory reserved (p95)"),
    ("cpuReservedMeanBp", "CPU reserved (mean)"),
    ("strandedMemoryMib", "stranded MiB (mean)"),
    ("azSkewMax", "AZ skew (max)"),
    ("placementFailures", "placement failures"),
    ("deploymentMsMean", "deployment time"),
];

/// One block per strategy, one line per metric, aligned.
pub fn table(results: &[Comparison]) -> String {
    let mut s = String::new();
    let width = HEADERS.iter().map(|(_, h)| h.len()).max().unwrap_or(0);
    for c in results {
        let _ = writeln!(
            s,
            "{} — {} seed(s), {} passed every expectation and invariant",
            c.strategy, c.seeds, c.runs_passed
        );
        for (name, spread) in &c.metrics {
            let header = HEADERS
                .iter()
                .find(|(n, _)| n == name)
                .map_or(*name, |(_, h)| h);
            let _ = writeln!(s, "  {header:<width$}  {}", cell(name, *spread));
        }
        if !c.failures_by_reason.is_empty() {
            let reasons: Vec<String> = c
                .failures_by_reason
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            let _ = writeln!(
                s,
                "  {:<width$}  {}",
                "failures by reason",
                reasons.join(", ")
            );
        }
    }
    s.push_str("(mean, then minimum..maximum over seeds; percentages of registered capacity)\n");
    s
}

/// `{"strategies": [{"strategy": SPEC, "seeds": N, METRIC: {"mean": "x.yy", "min": a, "max": b}, ...}]}`.
pub fn json(results: &[Comparison]) -> Value {
    let list: Vec<Value> = results
        .iter()
        .map(|c| {
            let mut o = Map::new();
            o.insert("strategy".into(), json!(c.strategy));
            o.insert("seeds".into(), json!(c.seeds));
            o.insert("runsPassed".into(), json!(c.runs_passed));
            for (name, sp) in &c.metrics {
                o.insert(
                    (*name).into(),
                    json!({"mean": centi(sp.mean_centi), "min": sp.min, "max": sp.max}),
                );
            }
            o.insert("failuresByReason".into(), json!(c.failures_by_reason));
            Value::Object(o)
        })
        .collect();
    json!({"strategies": list})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_text() {
        assert_eq!(centi(1234), "12.34");
        assert_eq!(centi(5), "0.05");
        assert_eq!(centi(-150), "-1.50");
        assert_eq!(
            cell(
                "memoryReservedMeanBp",
                Spread {
                    mean_centi: 542_000,
                    min: 5000,
                    max: 5800
                }
            ),
            "54.20% (50.00..58.00)"
        );
        assert_eq!(
            cell(
                "instancesUsed",
                Spread {
                    mean_centi: 1250,
                    min: 12,
                    max: 13
                }
            ),
            "12.50 (12..13)"
        );
    }
}
