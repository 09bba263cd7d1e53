//! `ecsim plan`: the command line of capacity planning. The search is in
//! `ecsim_scenario::plan`; this is the shell (arguments, prices file, output, exit status).

use clap::{Args, ValueEnum};
use ecsim::scenario::duration::parse_duration;
use ecsim::scenario::plan::{self, Objective, PlanRequest, Survive, Vary};
use ecsim::scenario::prices::Prices;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub(crate) struct PlanArgs {
    /// The scenario file (.yaml, .yml or .json).
    scenario: PathBuf,
    /// A number of the scenario to vary, and its range: PATH=LOW..HIGH, where PATH walks keys
    /// and [i], e.g. containerInstances[0].count=1..20 or services[0].desiredCount=2..8
    /// (repeatable).
    #[arg(long = "vary", value_name = "PATH=LOW..HIGH", required = true, value_parser = plan::parse_vary)]
    vary: Vec<Vary>,
    /// Also survive the loss of any one Availability Zone (every instance of it fails) or of
    /// any one instance, at --loss-at: one more run per zone or instance.
    #[arg(long, value_enum)]
    survive: Option<SurviveArg>,
    /// When the loss happens, e.g. 10m (default: half of the scenario's `until`).
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    loss_at: Option<u64>,
    /// What "smallest" means: the sum of the varied values, or the hourly cost of the fleet
    /// (each containerInstances entry's count × the price of its instanceType).
    #[arg(long, value_enum, default_value = "count")]
    objective: ObjectiveArg,
    /// A JSON map of instance type to USD per hour, over the built-in table (approximate
    /// on-demand list prices, us-east-1).
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// At most this many simulation runs.
    #[arg(long, value_name = "N", default_value_t = 500)]
    max_runs: usize,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
    /// Write report.html, timeseries.csv and summary.json of a run at the minimum into DIR.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SurviveArg {
    AzLoss,
    InstanceLoss,
}

#[derive(Clone, Copy, ValueEnum)]
enum ObjectiveArg {
    Count,
    Cost,
}

pub(crate) fn plan(args: PlanArgs) -> ExitCode {
    let Ok(s) = crate::load(&args.scenario) else {
        return ExitCode::from(2);
    };
    let prices = match read_prices(args.prices.as_ref()) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let request = PlanRequest {
        vary: args.vary.clone(),
        survive: match args.survive {
            None => Survive::Nothing,
            Some(SurviveArg::AzLoss) => Survive::AzLoss,
            Some(SurviveArg::InstanceLoss) => Survive::InstanceLoss,
        },
        loss_at_ms: args.loss_at,
        objective: match args.objective {
            ObjectiveArg::Count => Objective::Count,
            ObjectiveArg::Cost => Objective::Cost,
        },
        prices,
        max_runs: args.max_runs,
    };
    let result = match plan::plan(&s, &request) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if let (Some(dir), Some(answer)) = (&args.out, &result.minimum) {
        let written = plan::document_at(&s, &request, &answer.values)
            .and_then(|doc| crate::report_answer(&doc, &format!("{} at the minimum", s.name), dir));
        if let Err(message) = written {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    if args.json {
        let text = serde_json::to_string_pretty(&plan::json(&result)).unwrap_or_default();
        println!("{text}");
    } else {
        print!("{}", plan::human(&s.name, &args.vary, &result));
    }
    if result.minimum.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn read_prices(file: Option<&PathBuf>) -> Result<Prices, String> {
    let built_in = Prices::built_in();
    let Some(path) = file else {
        return Ok(built_in);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file = Prices::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(built_in.overridden_by(file))
}
