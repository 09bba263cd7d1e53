//! `ecsim check`: the parallel sweep over fault schedules, the progress bar, the shrinking and
//! the reproducer file. The decisions are in `ecsim_scenario::check`; this is the shell.

use crate::CheckArgs;
use ecsim::scenario::check::{self, Case};
use ecsim::scenario::{self, Scenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) fn check(args: CheckArgs) -> ExitCode {
    let Ok(s) = crate::load(&args.scenario) else {
        return ExitCode::from(2);
    };
    if s.faults.is_empty() {
        eprintln!(
            "note: {} has no `faults:`; every case runs without faults, with its own seed",
            args.scenario.display()
        );
    }
    let Some(failing) = first_failure(&s, &args) else {
        println!(
            "{}: {} cases, every invariant and expectation held",
            s.name, args.cases
        );
        return ExitCode::SUCCESS;
    };
    report_failure(&s, &args, &failing)
}

/// Runs every case (in parallel) and returns the failing case with the lowest index.
fn first_failure(s: &Scenario, args: &CheckArgs) -> Option<Case> {
    let bar = progress(u64::from(args.cases));
    let failing: Vec<u32> = (0..args.cases)
        .into_par_iter()
        .filter(|k| {
            let c = check::case(s, args.seed, *k);
            let passed = check::run_case(s, c.run_seed, &c.faults).passed();
            bar.inc(1);
            !passed
        })
        .collect();
    bar.finish_and_clear();
    failing
        .into_iter()
        .min()
        .map(|k| check::case(s, args.seed, k))
}

fn progress(cases: u64) -> ProgressBar {
    let bar = ProgressBar::new(cases);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} cases {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

fn report_failure(s: &Scenario, args: &CheckArgs, case: &Case) -> ExitCode {
    let shrunk = check::shrink(s, case.run_seed, &case.faults, args.shrink_budget);
    let out = check::run_case(s, case.run_seed, &shrunk);
    let repro = check::reproducer(s, case, &shrunk, &out);
    let path = args.out.join(format!("{}.repro.yaml", s.name));
    if let Err(e) = write_repro(&path, &repro) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    println!(
        "{}: case {} of {} failed (run seed {}).",
        s.name, case.index, args.cases, case.run_seed
    );
    println!(
        "Shrunk from {} fault(s) to {}:",
        case.faults.len(),
        shrunk.len()
    );
    for line in check::fault_lines(s, &shrunk, &out) {
        println!("  {line}");
    }
    println!("What broke:");
    for line in check::story(s, &out) {
        println!("  {line}");
    }
    println!("Reproduce: ecsim run {}", path.display());
    if reproduces(&path) {
        ExitCode::from(1)
    } else {
        eprintln!("warning: the reproducer did not fail when run on its own; please report this");
        ExitCode::from(1)
    }
}

fn write_repro(path: &Path, doc: &serde_json::Value) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let yaml = serde_saphyr::to_string(doc).map_err(std::io::Error::other)?;
    std::fs::write(path, format!("# Written by `ecsim check`.\n{yaml}"))
}

/// Whether the written reproducer fails under `ecsim run`.
fn reproduces(path: &PathBuf) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let no_files = |_: &str| Err("reproducers are standalone".to_string());
    match scenario::load(&text, &path.display().to_string(), &no_files) {
        Ok(s) => !scenario::run(&s, scenario::RunOptions::default()).passed(),
        Err(_) => false,
    }
}
