//! `ecsim import`: converts a public cluster trace into a scenario file that `ecsim run` replays.
//!
//! The conversion itself is `ecsim_scenario::import`; this module reads the files, checks the
//! command line, checks that the output loads, and writes it. Exit status: 0 when the scenario
//! was written; 2 when an input is unreadable or malformed (file:line and the column) or the
//! command line is wrong; 1 when the output cannot be written.

use clap::{Args, Subcommand};
use ecsim::scenario;
use ecsim::scenario::import::{CsvInput, OpenbOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    format: Format,
}

#[derive(Subcommand)]
enum Format {
    /// The Alibaba GPU cluster trace 2023 ("openb"): a node list and a pod list.
    ///
    /// Nodes become containerInstances (one entry per distinct CPU/memory/GPU/model shape, with
    /// `count`; CPU units = cpu_milli x 1024 / 1000; a GPU resource; the GPU model as the
    /// attribute `gpu-model`; zones round-robin). Each distinct pod shape becomes a task
    /// definition `pod-<cpu>-<mem>-<gpu>`; a GPU-sharing pod (gpu_milli < 1000) takes one whole
    /// GPU. Each pod is a run_task at creation_time (save: p<row>; gpu_spec becomes a memberOf
    /// constraint on gpu-model) and leaves at deletion_time through crash_tasks (exit 0) on its
    /// group service:pod-<row>, which does nothing when the pod never placed. Times in the
    /// scenario are milliseconds; `until` is the last event plus 1m.
    #[command(name = "alibaba-openb")]
    AlibabaOpenb(OpenbArgs),
}

#[derive(Args)]
struct OpenbArgs {
    /// The node list: sn,cpu_milli,memory_mib,gpu,model (openb_node_list_*.csv).
    nodes: PathBuf,
    /// The pod list: name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,...,creation_time,
    /// deletion_time,... (openb_pod_list_*.csv).
    pods: PathBuf,
    /// The scenario file to write.
    #[arg(short = 'o', long = "output", value_name = "SCENARIO")]
    output: PathBuf,
    /// Number of Availability Zones (us-east-1a, us-east-1b, ...), 1 to 26.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    azs: u8,
    /// Keep only the first N pods by creation time.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// The scenario name (letters, digits, - and _); default: the output file's stem.
    #[arg(long)]
    name: Option<String>,
    /// The scenario's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Runs `ecsim import`.
pub fn import(args: ImportArgs) -> ExitCode {
    match args.format {
        Format::AlibabaOpenb(a) => openb(&a),
    }
}

fn openb(a: &OpenbArgs) -> ExitCode {
    let name = match a.name.clone() {
        Some(n) if crate::names::valid_name(&n) => n,
        Some(n) => {
            eprintln!("error: --name `{n}`: a scenario name must be letters, digits, - and _");
            return ExitCode::from(2);
        }
        None => crate::names::default_name(&a.output, "alibaba-openb"),
    };
    let (Some(nodes), Some(pods)) = (read(&a.nodes), read(&a.pods)) else {
        return ExitCode::from(2);
    };
    let options = OpenbOptions {
        name,
        azs: usize::from(a.azs),
        limit: a.limit,
        seed: a.seed,
        region: "us-east-1".into(),
    };
    let (nodes_name, pods_name) = (a.nodes.display().to_string(), a.pods.display().to_string());
    let imported = match scenario::import::alibaba_openb(
        CsvInput {
            name: &nodes_name,
            text: &nodes,
        },
        CsvInput {
            name: &pods_name,
            text: &pods,
        },
        &options,
    ) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let out = a.output.display().to_string();
    if let Err(e) = scenario::load(&imported.yaml, &out, &|_| Err("no files".into())) {
        eprintln!("error: the generated scenario does not load (a bug in ecsim import): {e}");
        return ExitCode::from(1);
    }
    if let Err(e) = std::fs::write(&a.output, &imported.yaml) {
        eprintln!("error: cannot write {out}: {e}");
        return ExitCode::from(1);
    }
    println!(
        "{out}: {} container instances in {} shapes, {} pods of {} read ({} skipped: they leave when they arrive), {} task definitions, {} departures, until {}",
        imported.nodes,
        imported.node_shapes,
        imported.pods,
        imported.pods_read,
        imported.skipped,
        imported.task_definitions,
        imported.departures,
        ecsim::core::time::SimDuration(imported.until_ms),
    );
    ExitCode::SUCCESS
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .map_err(|e| eprintln!("error: cannot read {}: {e}", path.display()))
        .ok()
}
