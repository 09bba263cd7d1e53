//! The `ecsim` command: run, validate and explain scenarios.
//!
//! Exit status: 0 when the run completed and every expectation held (for `explain`: when the
//! placement was explained, even if nothing fits); 1 when an expectation failed or the run
//! stopped on an error; 2 when the scenario is invalid or the command line is wrong. Output files
//! are written only for a run that started.

use clap::{Args, Parser, Subcommand};
use ecsim::core::engine::PlacementMode;
use ecsim::report;
use ecsim::scenario::explain::{ExplainError, ExplainRequest};
use ecsim::scenario::{self, RunOptions, Scenario, ScenarioError};
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A deterministic discrete-event simulator of Amazon ECS scheduling and task placement.
///
/// Scenarios are YAML (or JSON) files that describe a fleet of container instances, task
/// definitions, a timeline of ECS API calls and faults on a simulated clock, and expectations
/// about the responses. The same scenario, seed and binary always give byte-identical outputs.
#[derive(Parser)]
#[command(name = "ecsim", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and check its expectations.
    ///
    /// Prints a short summary (or summary.json with --json). Exit status 0: every expectation
    /// held; 1: an expectation failed or the run hit an error; 2: invalid scenario or usage.
    Run {
        /// The scenario file (.yaml, .yml or .json).
        scenario: PathBuf,
        /// Seed for every random choice (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated end time, e.g. 30m or 2h (overrides the scenario's `until`).
        #[arg(long, value_parser = parse_until)]
        until: Option<u64>,
        /// Write summary.json and events.jsonl into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print summary.json to standard output instead of the human summary.
        #[arg(long)]
        json: bool,
        /// Stop the run after this many simulated events.
        #[arg(long, value_name = "N")]
        max_events: Option<u64>,
        /// Check ecsim's own invariants after every event (resource accounting, ports, the
        /// task lifecycle, placements, deployment limits); a violation is a bug in ecsim.
        #[arg(long)]
        check_invariants: bool,
        /// The placement implementation: the index (O(log n) for binpack and spread by zone then
        /// binpack) or the reference (every instance through every filter). Same choices.
        #[arg(long, value_enum, default_value = "indexed")]
        placement: PlacementArg,
    },
    /// Check a scenario against the format without running it.
    Validate {
        /// The scenario file (.yaml, .yml or .json).
        scenario: PathBuf,
    },
    /// Explain where RunTask would place a task at a simulated time, and why not elsewhere.
    ///
    /// Plays the scenario up to --at (every event at or before it), then shows, for each
    /// container instance of the cluster, the first filter that rejects one task of the task
    /// definition (or service) and by how much, or that it fits; then the strategy steps and the
    /// instance RunTask (or the service scheduler) would choose next, or the closest match when nothing fits. The simulation is not
    /// changed. Exit status 0: explained (even if nothing fits); 1: the run hit an error before
    /// --at; 2: invalid scenario or usage, or an unknown cluster or task definition at --at.
    Explain(ExplainArgs),
    /// Check a scenario's invariants and expectations under fault schedules drawn from its
    /// `faults:`, and shrink the first failure to a minimal reproducer.
    ///
    /// Runs N cases (in parallel; each run single-threaded and deterministic), shrinks the
    /// failing case with the lowest number to the fewest faults at the simplest times, writes
    /// DIR/<name>.repro.yaml (a standalone scenario that fails under `ecsim run`) and tells what
    /// happened. Exit status 0: every case held; 1: a failure was found; 2: invalid scenario or
    /// usage.
    Check(CheckArgs),
    /// Find the smallest setting of some numbers of a scenario (a fleet's count, a service's
    /// desiredCount, ...) under which every expectation and invariant holds.
    ///
    /// Each --vary PATH=LOW..HIGH names a number in the scenario. One path: bisection, then the
    /// boundary is verified (the answer passes, one less fails). Several: the grid cheapest
    /// first (--objective count: the sum of the values; cost: the fleet's hourly cost). With
    /// --survive az-loss (or instance-loss) a setting must also pass when every instance of any
    /// one zone (or any one instance) fails at --loss-at. Exit status 0: a passing setting was
    /// found; 1: none in range (or the run budget ran out); 2: invalid scenario or usage.
    Plan(plan::PlanArgs),
    /// Compare placement strategies on the same scenario over several seeds.
    ///
    /// Replaces the placement strategy of every REPLICA service and RunTask with each SPEC in
    /// turn, runs every seed (in parallel) and prints a side-by-side table: instances used,
    /// memory and CPU reserved (mean and p95), stranded memory, AZ skew, placement failures by
    /// reason and deployment time, each as a mean and a range over seeds.
    Compare(compare::CompareArgs),
    /// Convert a public cluster trace into a scenario file that `ecsim run` replays.
    ///
    /// Formats: alibaba-openb (the Alibaba GPU cluster trace 2023). Exit status 0: the scenario
    /// was written; 1: it could not be written; 2: an input is unreadable or malformed (the
    /// message names file:line and the column) or the command line is wrong.
    Import(import::ImportArgs),
    /// Generate a large, realistic, satisfiable scenario (fleet, services, a deployment of every
    /// service, random crashes) for load and scale testing.
    ///
    /// The same arguments always write the same bytes. Prints a warning when the fleet cannot
    /// hold the tasks. Exit status 0: the scenario was written; 1: it could not be written;
    /// 2: the command line is wrong.
    Generate(generate::GenerateArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// The scenario file (.yaml, .yml or .json).
    scenario: PathBuf,
    /// How many fault schedules to try.
    #[arg(long, default_value_t = 100)]
    cases: u32,
    /// Seed of the schedules (and of each case's run seed).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to write the reproducer.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// At most this many runs while shrinking.
    #[arg(long, default_value_t = 200)]
    shrink_budget: usize,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true)))]
struct ExplainArgs {
    /// The scenario file (.yaml, .yml or .json).
    scenario: PathBuf,
    /// Simulated time to explain at, e.g. 10m or 1h30m.
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    at: u64,
    /// The task definition: family, family:revision or ARN.
    #[arg(long, value_name = "TASKDEF", group = "what")]
    task_definition: Option<String>,
    /// A service: one more task of its PRIMARY deployment, placed as the service scheduler
    /// would (its constraints and strategies, or the AZ balance).
    #[arg(long, value_name = "SERVICE", group = "what")]
    service: Option<String>,
    /// The cluster.
    #[arg(long, value_name = "CLUSTER", default_value = "default")]
    cluster: String,
    /// A placement strategy, in order (repeatable, at most 5): random, spread:instanceId,
    /// spread:host, spread:attribute:NAME, binpack:cpu, binpack:memory. Default: random.
    #[arg(long = "strategy", value_name = "STRATEGY", value_parser = scenario::explain::parse_strategy)]
    strategies: Vec<serde_json::Value>,
    /// A placement constraint (repeatable): distinctInstance or memberOf:EXPRESSION.
    #[arg(long = "constraint", value_name = "CONSTRAINT", value_parser = scenario::explain::parse_constraint)]
    constraints: Vec<serde_json::Value>,
    /// The task group (default: family:FAMILY).
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
    /// awsvpc: a subnet of the network configuration (repeatable); its zone limits the instances.
    #[arg(long = "subnet", value_name = "SUBNET")]
    subnets: Vec<String>,
    /// Seed for every random choice (overrides the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PlacementArg {
    Indexed,
    Reference,
}

fn parse_until(s: &str) -> Result<u64, String> {
    scenario::duration::parse_duration(s)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { scenario } => match load(&scenario) {
            Ok(s) => {
                println!("{}: valid scenario `{}`", scenario.display(), s.name);
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run {
            scenario,
            seed,
            until,
            out,
            json,
            max_events,
            check_invariants,
            placement,
        } => {
            let Ok(s) = load(&scenario) else {
                return ExitCode::from(2);
            };
            let options = RunOptions {
                seed,
                until_ms: until,
                max_events,
                check_invariants,
                placement: match placement {
                    PlacementArg::Indexed => PlacementMode::Indexed,
                    PlacementArg::Reference => PlacementMode::Reference,
                },
            };
            run(&scenario, &s, options, out.as_deref(), json)
        }
        Command::Explain(args) => explain(args),
        Command::Check(args) => check::check(args),
        Command::Import(args) => import::import(args),
        Command::Generate(args) => generate::generate(args),
        Command::Compare(args) => compare::compare(args),
        Command::Plan(args) => plan::plan(args),
    }
}

mod check;
mod compare;
mod generate;
mod import;
mod names;
mod plan;

fn explain(args: ExplainArgs) -> ExitCode {
    let Ok(s) = load(&args.scenario) else {
        return ExitCode::from(2);
    };
    let request = ExplainRequest {
        cluster: args.cluster,
        task_definition: args.task_definition.unwrap_or_default(),
        service: args.service,
        at_ms: args.at,
        seed: args.seed,
        max_events: None,
        strategies: args.strategies,
        constraints: args.constraints,
        group: args.group,
        subnets: args.subnets,
    };
    match scenario::explain(&s, &request) {
        Ok(e) if args.json => {
            let text = serde_json::to_string_pretty(&report::explain::json(&e)).unwrap_or_default();
            println!("{text}");
            ExitCode::SUCCESS
        }
        Ok(e) => {
            print!("{}", report::explain::human(&e));
            ExitCode::SUCCESS
        }
        Err(ExplainError::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(ExplainError::Run(e)) => {
            eprintln!(
                "error: the run stopped before {} in {}: {}",
                report::explain::compact_duration(args.at),
                e.what,
                e.message
            );
            ExitCode::from(1)
        }
    }
}

fn run(path: &Path, s: &Scenario, options: RunOptions, out: Option<&Path>, json: bool) -> ExitCode {
    let result = run_with_bar(s, options);
    let summary = report::summary(s, &result);
    let summary_text = format!(
        "{}\n",
        serde_json::to_string_pretty(&summary).unwrap_or_default()
    );
    if let Some(dir) = out {
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join("summary.json"), &summary_text))
            .and_then(|()| write_events(&dir.join("events.jsonl"), &result))
            .and_then(|()| {
                std::fs::write(
                    dir.join("timeseries.csv"),
                    report::html::timeseries_csv(&result.samples),
                )
            })
            .and_then(|()| {
                std::fs::write(
                    dir.join("report.html"),
                    report::html::report_html(s, &result),
                )
            });
        if let Err(e) = written {
            eprintln!("error: cannot write to {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    let human = report::human(s, &path.display().to_string(), &result);
    if json {
        print!("{summary_text}");
        eprint!("{human}");
    } else {
        print!("{human}");
    }
    let code = if !result.passed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: its memory goes back whole, without freeing a large run's millions
    // of records and tasks one by one (about 3 % of a 10,000-instance day).
    std::mem::forget(result);
    code
}

/// Streams `events.jsonl` to `path` through a buffer.
fn write_events(path: &Path, result: &scenario::RunOutput) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    report::write_events_jsonl(result.api.engine.trace().records(), &mut w)?;
    std::io::Write::flush(&mut w)
}

/// Runs a scenario; on a terminal, a progress bar over simulated time appears once the run has
/// taken a second (nothing on a pipe).
fn run_with_bar(s: &Scenario, options: RunOptions) -> scenario::RunOutput {
    let until = options.until_ms.unwrap_or(s.until_ms);
    let bar = indicatif::ProgressBar::hidden();
    bar.set_length(until);
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // The CLI may read the wall clock (the simulation never does): only to delay the bar.
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    let mut shown = false;
    let out = scenario::run_with_progress(s, options, &mut |now_ms| {
        if terminal && !shown && started.elapsed().as_secs() >= 1 {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_position(now_ms.min(until));
    });
    bar.finish_and_clear();
    out
}

/// Runs a scenario document (`file:` task definitions already inlined) and writes its
/// summary.json, timeseries.csv and report.html into `dir`.
pub(crate) fn report_answer(doc: &serde_json::Value, name: &str, dir: &Path) -> Result<(), String> {
    let text = serde_json::to_string(doc).map_err(|e| e.to_string())?;
    let no_files = |_: &str| Err("task definitions are inlined".to_string());
    let s = scenario::load(&text, name, &no_files).map_err(|e| e.to_string())?;
    let out = scenario::run(&s, RunOptions::default());
    let summary = serde_json::to_string_pretty(&report::summary(&s, &out)).unwrap_or_default();
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join("summary.json"), summary + "\n"))
        .and_then(|()| {
            std::fs::write(
                dir.join("timeseries.csv"),
                report::html::timeseries_csv(&out.samples),
            )
        })
        .and_then(|()| std::fs::write(dir.join("report.html"), report::html::report_html(&s, &out)))
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))
}

/// Reads and validates a scenario; on failure prints a located error and returns exit code 2.
pub(crate) fn load(path: &Path) -> Result<Scenario, ExitCode> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {name}: {e}");
        ExitCode::from(2)
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = |rel: &str| std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string());
    scenario::load(&text, &name, &files).map_err(|e| {
        let source = if e.file == name {
            text.clone()
        } else {
            std::fs::read_to_string(dir.join(&e.file)).unwrap_or_default()
        };
        eprintln!("{:?}", diagnostic(&e, source));
        ExitCode::from(2)
    })
}

fn diagnostic(e: &ScenarioError, source: String) -> Report {
    let mut d = MietteDiagnostic::new(e.to_string()).with_code("ecsim::invalid_scenario");
    if let Some(offset) = byte_offset(&source, e.loc.line, e.loc.column) {
        let label = if e.path.is_empty() {
            "here".to_string()
        } else {
            e.path.clone()
        };
        d = d.with_label(LabeledSpan::at(
            offset..offset + token_len(&source[offset..]),
            label,
        ));
    }
    if let Some(h) = &e.help {
        d = d.with_help(h.clone());
    }
    Report::new(d).with_source_code(NamedSource::new(e.file.clone(), source))
}

/// The byte offset of a 1-based line and character column.
fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let line_text = text.get(start..)?.lines().next().unwrap_or("");
    let within = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    Some(start + within)
}

fn token_len(s: &str) -> usize {
    s.find([':', ',', '}', ']', '\n']).unwrap_or(s.len()).max(1)
}
