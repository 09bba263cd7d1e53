//! `report.html` (self-contained: inline SVG charts and CSS, no script, nothing fetched) and
//! `timeseries.csv` for a run.

use crate::charts;
use crate::columns::ServiceColumns;
use ecsim_scenario::metrics::Sample;
use ecsim_scenario::{RunOutput, Scenario};
use std::collections::BTreeSet;
use std::fmt::Write;

/// One row per sample: fleet totals, then each zone's and each service's columns.
pub fn timeseries_csv(samples: &[Sample]) -> String {
    let zones: BTreeSet<&String> = samples.iter().flat_map(|s| s.per_zone.keys()).collect();
    let services = ServiceColumns::of(samples);
    let mut out = String::from(
        "t_ms,cpu_reserved,cpu_registered,memory_reserved,memory_registered,instances_active,instances_in_use,stranded_cpu,stranded_memory,placement_failures",
    );
    for z in &zones {
        let _ = write!(out, ",{z}_memory_reserved_bp");
    }
    for s in services.names() {
        let _ = write!(
            out,
            ",{s}_desired,{s}_pending,{s}_running,{s}_healthy,{s}_stopping,{s}_az_skew"
        );
    }
    out.push('\n');
    for s in samples {
        let t = &s.total;
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            s.t_ms,
            t.cpu_reserved,
            t.cpu_registered,
            t.memory_reserved,
            t.memory_registered,
            s.instances_active,
            s.instances_in_use,
            s.stranded_cpu,
            s.stranded_memory,
            s.placement_failures
        );
        for z in &zones {
            let _ = write!(out, ",{}", s.per_zone.get(*z).map_or(0, |c| c.memory_bp()));
        }
        for service in services.row(s) {
            match service {
                Some(v) => {
                    let _ = write!(
                        out,
                        ",{},{},{},{},{},{}",
                        v.desired, v.pending, v.running, v.healthy, v.stopping, v.az_skew
                    );
                }
                None => out.push_str(",0,0,0,0,0,0"),
            }
        }
        out.push('\n');
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report page of a run.
pub fn report_html(scenario: &Scenario, out: &RunOutput) -> String {
    let samples = &out.samples;
    let charts: Vec<(&str, charts::Chart)> = vec![
        ("utilisation", charts::utilisation(samples)),
        ("services", charts::service_tasks(samples)),
        ("failures", charts::placement_failures(samples)),
        ("heatmap", charts::heatmap(samples)),
    ];
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecsim: {name}</title>\n<style>body{{font-family:sans-serif;margin:2em;color:#222}}figure{{margin:1.5em 0}}pre{{background:#f4f4f4;padding:1em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}</style></head><body>\n<h1>ecsim: {name}</h1>\n",
        name = escape(&scenario.name)
    );
    if let Some(d) = &scenario.description {
        let _ = writeln!(html, "<p>{}</p>", escape(d));
    }
    let _ = writeln!(
        html,
        "<pre>{}</pre>",
        escape(&crate::human(scenario, &scenario.name, out))
    );
    for (id, chart) in charts {
        match chart {
            Ok(svg) => {
                let _ = writeln!(html, "<figure id=\"{id}\" class=\"chart\">{svg}</figure>");
            }
            Err(e) => {
                let _ = writeln!(
                    html,
                    "<p>chart {id} could not be drawn: {}</p>",
                    escape(&e.to_string())
                );
            }
        }
    }
    html.push_str("</body></html>\n");
    html
}

/// The report page of `ecsim compare`: the strategies' table and a bar chart per metric (bar:
/// mean over seeds; line: min..max).
pub fn compare_html(name: &str, results: &[ecsim_scenario::compare::Comparison]) -> String {
    let labels: Vec<String> = results.iter().map(|c| c.strategy.clone()).collect();
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecsim compare: {n}</title>\n<style>body{{font-family:sans-serif;margin:2em;color:#222}}pre{{background:#f4f4f4;padding:1em}}</style></head><body>\n<h1>ecsim compare: {n}</h1>\n<ol>",
        n = escape(name)
    );
    for l in &labels {
        let _ = write!(html, "<li><code>{}</code></li>", escape(l));
    }
    let _ = writeln!(
        html,
        "</ol>\n<pre>{}</pre>",
        escape(&crate::compare::table(results))
    );
    let shown = [
        ("instancesUsed", "Instances used"),
        (
            "memoryReservedMeanBp",
            "Memory reserved, mean (basis points)",
        ),
        ("strandedMemoryMib", "Stranded memory, mean (MiB)"),
        ("azSkewMax", "AZ skew, max"),
        ("placementFailures", "Placement failures"),
    ];
    for (metric, title) in shown {
        let values: Vec<(i64, i64, i64)> = results
            .iter()
            .map(|c| {
                c.metrics
                    .iter()
                    .find(|(n, _)| *n == metric)
                    .map_or((0, 0, 0), |(_, s)| (s.mean_centi, s.min, s.max))
            })
            .collect();
        match charts::bars(title, &labels, &values) {
            Ok(svg) => {
                let _ = writeln!(
                    html,
                    "<figure id=\"{metric}\" class=\"chart\">{svg}</figure>"
                );
            }
            Err(e) => {
                let _ = writeln!(
                    html,
                    "<p>chart {metric} could not be drawn: {}</p>",
                    escape(&e.to_string())
                );
            }
        }
    }
    html.push_str("</body></html>\n");
    html
}
