//! `ecsim compare`: runs the scenario once per strategy and seed (in parallel), and prints the
//! side-by-side table or its JSON. Decisions and metrics live in `ecsim_scenario::compare`.

use clap::Args;
use ecsim::report;
use ecsim::scenario::compare::{self, Comparison};
use ecsim::scenario::{self, RunOptions, Scenario};
use indicatif::{ProgressBar, ProgressDrawTarget};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct CompareArgs {
    /// The scenario file (.yaml, .yml or .json).
    scenario: PathBuf,
    /// A strategy set, repeatable: random, binpack(memory), spread(instanceId),
    /// spread(attribute:ecs.availability-zone),binpack(memory), ...
    #[arg(long = "strategy", value_name = "SPEC", required = true)]
    strategies: Vec<String>,
    /// How many seeds per strategy (the scenario's seed, then the next ones).
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Also write compare.json, report.html (table and charts) and timeseries.csv (each
    /// strategy's first seed) into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn compare(args: CompareArgs) -> ExitCode {
    let Ok(base) = crate::load(&args.scenario) else {
        return ExitCode::from(2);
    };
    let mut variants = Vec::new();
    for spec in &args.strategies {
        match variant(&base, spec) {
            Ok(s) => variants.push((spec.clone(), s)),
            Err(message) => {
                eprintln!("error: --strategy {spec}: {message}");
                return ExitCode::from(2);
            }
        }
    }
    let results = run_all(&variants, base.seed, args.seeds);
    let doc = report::compare::json(&results);
    if let Some(dir) = &args.out {
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let html = report::html::compare_html(&base.name, &results);
        let csv = first_seed_timeseries(&variants, base.seed);
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join("compare.json"), text + "\n"))
            .and_then(|()| std::fs::write(dir.join("report.html"), html))
            .and_then(|()| std::fs::write(dir.join("timeseries.csv"), csv));
        if let Err(e) = written {
            eprintln!("error: cannot write to {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", report::compare::table(&results));
    }
    ExitCode::SUCCESS
}

/// The scenario with one strategy set, re-validated as a scenario of its own.
fn variant(base: &Scenario, spec: &str) -> Result<Scenario, String> {
    let strategies = compare::parse_spec(spec)?;
    let doc = compare::with_strategies(&base.document(), &strategies);
    let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let no_files = |_: &str| Err("task definitions are inlined".to_string());
    scenario::load(&text, &format!("{} with {spec}", base.name), &no_files)
        .map_err(|e| e.to_string())
}

fn run_all(variants: &[(String, Scenario)], first_seed: u64, seeds: u64) -> Vec<Comparison> {
    let jobs: Vec<(usize, u64)> = (0..variants.len())
        .flat_map(|v| (0..seeds).map(move |k| (v, k)))
        .collect();
    let bar = ProgressBar::new(jobs.len() as u64);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let metrics: Vec<(usize, compare::RunMetrics)> = jobs
        .par_iter()
        .map(|(v, k)| {
            let options = RunOptions {
                seed: Some(first_seed.wrapping_add(*k)),
                ..RunOptions::default()
            };
            let m = compare::run_metrics(&scenario::run(&variants[*v].1, options));
            bar.inc(1);
            (*v, m)
        })
        .collect();
    bar.finish_and_clear();
    variants
        .iter()
        .enumerate()
        .map(|(i, (spec, _))| {
            let runs: Vec<compare::RunMetrics> = metrics
                .iter()
                .filter(|(v, _)| *v == i)
                .map(|(_, m)| m.clone())
                .collect();
            compare::compare(spec, &runs)
        })
        .collect()
}

/// The time series of each strategy's first seed, one block after the other, each row led by
/// the strategy's number (1 = the first --strategy).
fn first_seed_timeseries(variants: &[(String, Scenario)], seed: u64) -> String {
    let mut out = String::new();
    for (k, (_, s)) in variants.iter().enumerate() {
        let run = scenario::run(
            s,
            RunOptions {
                seed: Some(seed),
                ..RunOptions::default()
            },
        );
        let csv = report::html::timeseries_csv(&run.samples);
        for (i, line) in csv.lines().enumerate() {
            if i == 0 && k == 0 {
                out.push_str(&format!("strategy,{line}\n"));
            } else if i > 0 {
                out.push_str(&format!("{},{line}\n", k + 1));
            }
        }
    }
    out
}
