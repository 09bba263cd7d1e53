//! `ecsim explain`: why a task of a task definition would (or would not) land on each container
//! instance of a cluster at simulated time T.
//!
//! The scenario is played with the runner's own loop up to T (every event, timeline entry and
//! expectation at or before T), then one task of the task definition is evaluated the way RunTask
//! would evaluate it next: every instance through the filters (first failing filter and by how
//! much), then the strategies with a clone of the run's random streams, so the choice shown is
//! the one RunTask would make and the simulation itself is left untouched. The result is plain
//! data; `ecsim_report::explain` puts it into words.

use crate::model::Scenario;
use crate::runner::{RunError, RunOptions, run};
use ecsim_api::Api;
use ecsim_core::cql::Expr;
use ecsim_core::engine::RunSpec;
use ecsim_core::ids::InstanceId;
use ecsim_core::placement::explain::describe;
use ecsim_core::placement::filters::check;
use ecsim_core::placement::{
    self, BinpackField, Bucket, Choice, Evaluation, Measure, PlacementInput, Reason, Strategy,
    Verdict,
};
use ecsim_core::resources::Requirement;
use ecsim_core::rng::RngStreams;
use ecsim_core::world::World;
use serde_json::{Value, json};

/// How many spread buckets a step's detail lists before it elides the rest.
const MAX_BUCKETS_SHOWN: usize = 8;

/// What to explain: one task of `task_definition` in `cluster` at `at_ms`.
#[derive(Clone, Debug, Default)]
pub struct ExplainRequest {
    pub cluster: String,
    /// `family`, `family:revision` or an ARN, as RunTask takes it.
    pub task_definition: String,
    /// A service instead: one more task of its PRIMARY deployment, placed as the service
    /// scheduler places it (its constraints, its strategies or the AZ balance).
    pub service: Option<String>,
    pub at_ms: u64,
    pub seed: Option<u64>,
    pub max_events: Option<u64>,
    /// `placementStrategy` entries (ECS JSON), in order; empty means RunTask's default, random.
    pub strategies: Vec<Value>,
    /// `placementConstraints` entries (ECS JSON).
    pub constraints: Vec<Value>,
    /// The task group; `family:FAMILY` when omitted.
    pub group: Option<String>,
    /// awsvpc: the subnets of the network configuration (their zones limit the instances).
    pub subnets: Vec<String>,
}

/// Why nothing could be explained.
#[derive(Clone, Debug)]
pub enum ExplainError {
    /// Bad usage, or a reference that does not exist at T (exit 2).
    Usage(String),
    /// The run stopped on an error before T (exit 1).
    Run(RunError),
}

/// The explanation of one placement, as plain data.
#[derive(Clone, Debug)]
pub struct Explanation {
    pub cluster: String,
    pub at_ms: u64,
    /// `family:revision`.
    pub task_definition: String,
    pub group: String,
    pub requirement: Requirement,
    /// `memberOf(EXPR)` (the task definition's first, then the request's) and `distinctInstance`.
    pub constraints: Vec<String>,
    /// The strategies in the ECS JSON form (`spread(attribute:ecs.availability-zone)`).
    pub strategies: Vec<String>,
    /// Every registered (not INACTIVE) instance of the cluster, in registration order.
    pub instances: Vec<InstanceVerdict>,
    /// Instances rejected per filter, in filter order.
    pub rejected: Vec<Tally>,
    /// How many instances pass every filter.
    pub fit: usize,
    pub outcome: Outcome,
}

/// One instance and the first filter that rejects the task there (None: it fits).
#[derive(Clone, Debug)]
pub struct InstanceVerdict {
    pub ec2_instance_id: String,
    pub container_instance_id: String,
    pub availability_zone: Option<String>,
    pub status: &'static str,
    pub rejection: Option<Refusal>,
}

/// A failed filter: its short name, the ECS failure reason, and by how much it was missed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `STATUS`, `AGENT`, `RESOURCE:MEMORY`, `memberOf`, `distinctInstance`, ...
    pub filter: &'static str,
    /// The ECS failure reason (`MemberOf placement constraint unsatisfied.`).
    pub reason: &'static str,
    /// Whether RunTask reports it in `failures` (status exclusions are silent).
    pub reported: bool,
    pub detail: String,
}

/// How many instances one filter rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub filter: &'static str,
    pub reason: &'static str,
    pub count: u32,
}

#[derive(Clone, Debug)]
pub enum Outcome {
    /// The cluster has no registered instance: RunTask fails as a whole.
    NoInstances,
    /// No instance passes every filter; the closest match is the one that passed the most.
    NothingFits {
        closest: Option<Closest>,
    },
    Placed(Placement),
}

#[derive(Clone, Debug)]
pub struct Closest {
    pub ec2_instance_id: String,
    pub availability_zone: Option<String>,
    pub refusal: Refusal,
}

/// Where the task would go, and how the strategies got there.
#[derive(Clone, Debug)]
pub struct Placement {
    pub ec2_instance_id: String,
    pub availability_zone: Option<String>,
    /// Instances that passed every filter.
    pub candidates: usize,
    pub steps: Vec<StrategyStep>,
    /// The instances still tied after the strategies, when a seeded pick decided among them
    /// (None when `random` decided).
    pub tie_break: Option<Vec<String>>,
}

/// What one strategy did.
#[derive(Clone, Debug)]
pub struct StrategyStep {
    pub strategy: String,
    pub kind: StepKind,
    pub before: usize,
    pub after: usize,
    /// The instances kept (EC2 ids).
    pub kept: Vec<String>,
    /// What was compared (`family:web tasks: us-east-1a 1, us-east-1b 0`), or why the strategy
    /// did not apply.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// spread or binpack narrowed the candidates.
    Narrowed,
    /// random picked the instance (and ended the list).
    Random,
    /// Not applied: one candidate left, or after random.
    Skipped,
}

/// `random`, `spread:FIELD` or `binpack:FIELD` as a `placementStrategy` entry; RunTask's own
/// validation judges the field.
pub fn parse_strategy(s: &str) -> Result<Value, String> {
    match s.split_once(':') {
        None if s == "random" => Ok(json!({"type": "random"})),
        Some((kind @ ("spread" | "binpack"), field)) if !field.is_empty() => {
            Ok(json!({"type": kind, "field": field}))
        }
        _ => Err(format!(
            "`{s}` is not a strategy: use random, spread:instanceId, spread:host, spread:attribute:NAME, binpack:cpu or binpack:memory"
        )),
    }
}

/// `distinctInstance` or `memberOf:EXPRESSION` as a `placementConstraints` entry.
pub fn parse_constraint(s: &str) -> Result<Value, String> {
    match s.split_once(':') {
        None if s == "distinctInstance" => Ok(json!({"type": "distinctInstance"})),
        Some(("memberOf", expr)) => Ok(json!({"type": "memberOf", "expression": expr})),
        _ => Err(format!(
            "`{s}` is not a constraint: use distinctInstance or memberOf:EXPRESSION"
        )),
    }
}

pub use crate::duration::compact as compact_duration;

/// Plays `scenario` up to `req.at_ms` and explains one task of `req.task_definition`.
pub fn explain(scenario: &Scenario, req: &ExplainRequest) -> Result<Explanation, ExplainError> {
    let options = RunOptions {
        seed: req.seed,
        until_ms: Some(req.at_ms),
        max_events: req.max_events,
        ..RunOptions::default()
    };
    let out = run(scenario, options);
    if let Some(e) = out.error {
        return Err(ExplainError::Run(e));
    }
    let mut api = out.api;
    let spec = match &req.service {
        Some(name) => service_spec(&api, req, name)?,
        None => run_spec(&api, req)?,
    };
    // choose() draws from the placement stream: draw from a copy so the run is not disturbed
    // and the pick is the one RunTask would make next.
    let rng = api.engine.rng().clone();
    Ok(evaluate(&api, &spec, rng, req.at_ms))
}

/// What the service scheduler would place next for service `name`.
fn service_spec(api: &Api, req: &ExplainRequest, name: &str) -> Result<RunSpec, ExplainError> {
    let at = compact_duration(req.at_ms);
    let not_there = |e: ecsim_api::ApiError| {
        ExplainError::Usage(format!("at {at}, cluster `{}`: {e}", req.cluster))
    };
    let cluster = api.cluster(Some(&req.cluster)).map_err(not_there)?;
    let id = api.find_service(cluster, name).map_err(not_there)?;
    Ok(api.engine.service_spec(id))
}

/// The RunTask request of `req`, resolved and validated at T exactly as RunTask does.
fn run_spec(api: &Api, req: &ExplainRequest) -> Result<RunSpec, ExplainError> {
    let mut body = json!({
        "cluster": req.cluster,
        "taskDefinition": req.task_definition,
        "placementStrategy": req.strategies,
        "placementConstraints": req.constraints,
    });
    if let Some(g) = &req.group {
        body["group"] = json!(g);
    }
    if !req.subnets.is_empty() {
        body["networkConfiguration"] = json!({"awsvpcConfiguration": {"subnets": req.subnets}});
    }
    api.run_task_spec(&body).map_err(|e| {
        let at = compact_duration(req.at_ms);
        ExplainError::Usage(format!(
            "at {at}, RunTask in cluster `{}` would refuse this request: {e}",
            req.cluster
        ))
    })
}

/// Evaluates one task of `spec` without placing it.
fn evaluate(api: &Api, spec: &RunSpec, mut rng: RngStreams, at_ms: u64) -> Explanation {
    let engine = &api.engine;
    let world = engine.world();
    let (ev, member_of, req) = engine.evaluate(spec);
    let input = engine.input(spec, &req, &member_of);
    let instances: Vec<InstanceVerdict> = world
        .registered_instances(spec.cluster)
        .into_iter()
        .map(|id| verdict(world, id, &input))
        .collect();
    let outcome = if instances.is_empty() {
        Outcome::NoInstances
    } else {
        let choice = placement::strategy::choose(
            world,
            spec.cluster,
            &spec.group,
            &ev.candidates,
            &spec.strategies,
            &mut rng,
        );
        match choice {
            Some(c) => Outcome::Placed(placed(world, spec, &c)),
            None => Outcome::NothingFits {
                closest: closest(world, &ev, &input),
            },
        }
    };
    let td = world.task_def(spec.task_def);
    Explanation {
        cluster: world.cluster(spec.cluster).name.clone(),
        at_ms,
        task_definition: format!("{}:{}", td.family, td.revision),
        group: spec.group.to_string(),
        constraints: constraint_names(&member_of, spec.distinct_instance),
        strategies: spec.strategies.iter().map(Strategy::describe).collect(),
        rejected: ev
            .tally
            .reasons()
            .map(|(r, count)| Tally {
                filter: filter_name(r),
                reason: r.as_str(),
                count,
            })
            .collect(),
        fit: ev.candidates.len(),
        requirement: req.clone(),
        instances,
        outcome,
    }
}

fn constraint_names(member_of: &[Expr], distinct: bool) -> Vec<String> {
    let mut out: Vec<String> = member_of
        .iter()
        .map(|e| format!("memberOf({})", e.source()))
        .collect();
    if distinct {
        out.push("distinctInstance".into());
    }
    out
}

/// The short name of a filter, for tables.
pub fn filter_name(r: Reason) -> &'static str {
    match r {
        Reason::MemberOf => "memberOf",
        Reason::DistinctInstance => "distinctInstance",
        other => other.as_str(),
    }
}

fn refusal(
    world: &World,
    id: InstanceId,
    input: &PlacementInput<'_>,
    r: Reason,
    s: &placement::Shortfall,
) -> Refusal {
    Refusal {
        filter: filter_name(r),
        reason: r.as_str(),
        reported: r.is_reported(),
        detail: describe(world, id, input, s),
    }
}

fn verdict(world: &World, id: InstanceId, input: &PlacementInput<'_>) -> InstanceVerdict {
    let inst = world.instance(id);
    let rejection = match check(world, inst, input) {
        Verdict::Fit => None,
        Verdict::Reject(r, s) => Some(refusal(world, id, input, r, &s)),
    };
    InstanceVerdict {
        ec2_instance_id: inst.ec2_instance_id.clone(),
        container_instance_id: inst.uuid.clone(),
        availability_zone: inst.availability_zone.clone(),
        status: inst.status.as_str(),
        rejection,
    }
}

fn closest(world: &World, ev: &Evaluation, input: &PlacementInput<'_>) -> Option<Closest> {
    ev.closest().map(|r| {
        let inst = world.instance(r.instance);
        Closest {
            ec2_instance_id: inst.ec2_instance_id.clone(),
            availability_zone: inst.availability_zone.clone(),
            refusal: refusal(world, r.instance, input, r.reason, &r.shortfall),
        }
    })
}

/// The strategy steps that led to `chosen`, replayed for their detail (`choose` itself made the
/// pick; the steps only say why).
fn placed(world: &World, spec: &RunSpec, choice: &Choice) -> Placement {
    let steps = choice
        .steps
        .iter()
        .map(|step| {
            let (kind, detail) = match &step.measure {
                Measure::Spread(counts) => (
                    StepKind::Narrowed,
                    spread_detail(world, &spec.group, counts),
                ),
                Measure::Binpack(least) => {
                    (StepKind::Narrowed, binpack_detail(&step.strategy, *least))
                }
                Measure::Random => (StepKind::Random, String::new()),
                Measure::Skipped if step.before <= 1 => {
                    (StepKind::Skipped, format!("{} candidate left", step.before))
                }
                Measure::Skipped => (StepKind::Skipped, "random already picked".to_string()),
            };
            StrategyStep {
                strategy: step.strategy.describe(),
                kind,
                before: step.before,
                after: step.kept.len(),
                kept: step.kept.iter().map(|i| ec2(world, *i)).collect(),
                detail,
            }
        })
        .collect();
    let inst = world.instance(choice.instance);
    Placement {
        ec2_instance_id: inst.ec2_instance_id.clone(),
        availability_zone: inst.availability_zone.clone(),
        candidates: choice.candidates,
        steps,
        tie_break: (!choice.tie.is_empty())
            .then(|| choice.tie.iter().map(|i| ec2(world, *i)).collect()),
    }
}

fn ec2(world: &World, id: InstanceId) -> String {
    world.instance(id).ec2_instance_id.clone()
}

fn bucket_label(world: &World, b: &Bucket) -> String {
    match b {
        Bucket::Instance(i) => ec2(world, *i),
        Bucket::Value(None) => "(missing)".into(),
        Bucket::Value(Some(v)) if v.is_empty() => "(no value)".into(),
        Bucket::Value(Some(v)) => v.clone(),
    }
}

/// `family:web tasks: us-east-1a 1, us-east-1b 0`, eliding past `MAX_BUCKETS_SHOWN`.
fn spread_detail(world: &World, group: &str, counts: &[(Bucket, u64)]) -> String {
    let mut shown: Vec<String> = counts
        .iter()
        .take(MAX_BUCKETS_SHOWN)
        .map(|(b, n)| format!("{} {n}", bucket_label(world, b)))
        .collect();
    if counts.len() > MAX_BUCKETS_SHOWN {
        shown.push(format!("{} more", counts.len() - MAX_BUCKETS_SHOWN));
    }
    format!("{group} tasks: {}", shown.join(", "))
}

fn binpack_detail(strategy: &Strategy, least: i64) -> String {
    match strategy {
        Strategy::Binpack(BinpackField::Cpu) => format!("least remaining CPU: {least} units"),
        _ => format!("least remaining memory: {least} MiB"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_compact() {
        assert_eq!(compact_duration(0), "0s");
        assert_eq!(compact_duration(600_000), "10m");
        assert_eq!(compact_duration(5_400_000), "1h30m");
        assert_eq!(compact_duration(1_500), "1s500ms");
    }

    #[test]
    fn parses_strategies() {
        assert_eq!(parse_strategy("random"), Ok(json!({"type": "random"})));
        assert_eq!(
            parse_strategy("spread:attribute:ecs.availability-zone"),
            Ok(json!({"type": "spread", "field": "attribute:ecs.availability-zone"}))
        );
        assert_eq!(
            parse_strategy("binpack:memory"),
            Ok(json!({"type": "binpack", "field": "memory"}))
        );
        for bad in ["binpack", "spread", "spread:", "first-fit", "random:x"] {
            assert!(parse_strategy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_constraints() {
        assert_eq!(
            parse_constraint("distinctInstance"),
            Ok(json!({"type": "distinctInstance"}))
        );
        assert_eq!(
            parse_constraint("memberOf:attribute:stack == prod"),
            Ok(json!({"type": "memberOf", "expression": "attribute:stack == prod"}))
        );
        assert!(parse_constraint("distinctInstance:x").is_err());
        assert!(parse_constraint("sameZone").is_err());
    }
}
