//! `ecsim generate`: writes a large, realistic, satisfiable scenario for load and scale testing.
//!
//! The generation itself is `ecsim_scenario::generate`; this module checks the command line,
//! checks that the output loads, and writes it. Exit status: 0 when the scenario was written
//! (warnings, such as requests the fleet cannot hold, go to standard error); 2 when the command
//! line is wrong; 1 when the output cannot be written.

use clap::Args;
use ecsim::scenario;
use ecsim::scenario::generate::GenerateOptions;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct GenerateArgs {
    /// Container instances, of mixed catalogue types (m5.large/xlarge/2xlarge, c5.xlarge,
    /// r5.xlarge); a fifth of each type carries the attribute pool=dedicated.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    instances: u64,
    /// Availability Zones (us-east-1a, us-east-1b, ...), instances round-robin over them.
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    azs: u8,
    /// REPLICA services (svc-0001, ...): a few big ones, many small ones.
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    services: u64,
    /// The sum of the services' desiredCount (at least --services).
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    tasks: u64,
    /// Simulated end time, e.g. 30m or 24h.
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    until: u64,
    /// Deploy a new task definition revision of every service at this time.
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    deploy_all_at: Option<u64>,
    /// Spread those updates evenly over this long (0s: all at once).
    #[arg(long, value_name = "D", default_value = "10s", value_parser = parse_duration)]
    deploy_over: u64,
    /// Random task crashes (crash_tasks), about this many per task per hour, e.g. 0.01.
    #[arg(long, value_name = "PER_TASK_HOUR", value_parser = scenario::generate::parse_millionths)]
    crash_rate: Option<u64>,
    /// Seed of the generator, and the scenario's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The scenario name (letters, digits, - and _); default: the output file's stem.
    #[arg(long)]
    name: Option<String>,
    /// The scenario file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
}

fn parse_duration(s: &str) -> Result<u64, String> {
    scenario::duration::parse_duration(s)
}

/// Runs `ecsim generate`.
pub fn generate(a: GenerateArgs) -> ExitCode {
    let name = match a.name.clone() {
        Some(n) if crate::names::valid_name(&n) => n,
        Some(n) => {
            eprintln!("error: --name `{n}`: a scenario name must be letters, digits, - and _");
            return ExitCode::from(2);
        }
        None => crate::names::default_name(&a.output, "generated"),
    };
    let options = GenerateOptions {
        name,
        instances: a.instances,
        azs: usize::from(a.azs),
        services: usize::try_from(a.services).unwrap_or(usize::MAX),
        tasks: a.tasks,
        until_ms: a.until,
        deploy_at_ms: a.deploy_all_at,
        deploy_over_ms: a.deploy_over,
        crash_rate_ppm: a.crash_rate.unwrap_or(0),
        seed: a.seed,
        region: "us-east-1".into(),
    };
    let g = match scenario::generate::generate(&options) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for w in &g.warnings {
        eprintln!("warning: {w}");
    }
    let out = a.output.display().to_string();
    if let Err(e) = scenario::load(&g.yaml, &out, &|_| Err("no files".into())) {
        eprintln!("error: the generated scenario does not load (a bug in ecsim generate): {e}");
        return ExitCode::from(1);
    }
    if let Err(e) = std::fs::write(&a.output, &g.yaml) {
        eprintln!("error: cannot write {out}: {e}");
        return ExitCode::from(1);
    }
    println!(
        "{out}: {} instances in {} fleet entries, {} services, {} tasks ({}% of the fleet's CPU, {}% of its memory), {} deployments, {} crashes, {} bytes",
        g.instances,
        g.fleet_entries,
        g.services,
        g.tasks,
        g.cpu_percent,
        g.memory_percent,
        g.deployments,
        g.crashes,
        g.yaml.len()
    );
    ExitCode::SUCCESS
}
