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
use ecsim_core::cql::{self, Expr};
use ecsim_core::engine::RunSpec;
use ecsim_core::ids::{ClusterId, InstanceId};
use ecsim_core::instance::Instance;
use ecsim_core::placement::explain::describe;
use ecsim_core::placement::filters::check;
use ecsim_core::placement::{
    self, BinpackField, Evaluation, PlacementInput, Reason, SpreadField, Strategy, Verdict,
};
use ecsim_core::resources::Requirement;
use ecsim_core::rng::RngStreams;
use ecsim_core::task::DesiredStatus;
use ecsim_core::taskdef::{NetworkMode, ResourceOverrides, TaskDefStatus};
use ecsim_core::world::World;
use std::collections::BTreeMap;

/// "a maximum of 5 strategy rules for each task".
pub const MAX_STRATEGIES: usize = 5;
/// "up to 10 constraints for each task (including constraints in the task definition ...)".
pub const MAX_CONSTRAINTS: usize = 10;
/// How many spread buckets a step's detail lists before it elides the rest.
const MAX_BUCKETS_SHOWN: usize = 8;

/// A placement constraint given on the command line.
#[derive(Clone, Debug)]
pub enum Constraint {
    DistinctInstance,
    MemberOf(Expr),
}

/// What to explain: one task of `task_definition` in `cluster` at `at_ms`.
#[derive(Clone, Debug, Default)]
pub struct ExplainRequest {
    pub cluster: String,
    /// `family`, `family:revision` or an ARN, as RunTask takes it.
    pub task_definition: String,
    pub at_ms: u64,
    pub seed: Option<u64>,
    pub max_events: Option<u64>,
    /// In order; empty means RunTask's default, `random`.
    pub strategies: Vec<Strategy>,
    pub constraints: Vec<Constraint>,
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

/// Parses `random`, `spread:FIELD` (`instanceId`, `host`, `attribute:NAME`) or
/// `binpack:cpu|memory`.
pub fn parse_strategy(s: &str) -> Result<Strategy, String> {
    let (kind, field) = s.split_once(':').map_or((s, None), |(k, f)| (k, Some(f)));
    match (kind, field) {
        ("random", None) => Ok(Strategy::Random),
        ("binpack", Some(f)) if f.eq_ignore_ascii_case("cpu") => {
            Ok(Strategy::Binpack(BinpackField::Cpu))
        }
        ("binpack", Some(f)) if f.eq_ignore_ascii_case("memory") => {
            Ok(Strategy::Binpack(BinpackField::Memory))
        }
        ("spread", Some("instanceId" | "host")) => Ok(Strategy::Spread(SpreadField::Instance)),
        ("spread", Some(f)) if f.len() > "attribute:".len() && f.starts_with("attribute:") => Ok(
            Strategy::Spread(SpreadField::Attribute(f["attribute:".len()..].to_string())),
        ),
        _ => Err(format!(
            "`{s}` is not a strategy: use random, spread:instanceId, spread:host, \
             spread:attribute:NAME, binpack:cpu or binpack:memory"
        )),
    }
}

/// Parses `distinctInstance` or `memberOf:EXPRESSION`.
pub fn parse_constraint(s: &str) -> Result<Constraint, String> {
    if s == "distinctInstance" {
        return Ok(Constraint::DistinctInstance);
    }
    if s.starts_with("distinctInstance:") {
        return Err("distinctInstance takes no expression".into());
    }
    let Some(expr) = s.strip_prefix("memberOf:") else {
        return Err(format!(
            "`{s}` is not a constraint: use distinctInstance or memberOf:EXPRESSION"
        ));
    };
    if expr.len() > 2000 {
        return Err("a memberOf expression can have at most 2000 characters".into());
    }
    cql::parse(expr)
        .map_err(|e| format!("memberOf expression `{expr}` {e}"))
        .map(Constraint::MemberOf)
}

/// Milliseconds in the scenario format's shortest form: `10m`, `1h30m`, `1s500ms`, `0s`.
pub fn compact_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let units = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let mut rest = ms;
    let mut out = String::new();
    for (name, size) in units {
        if rest >= size {
            out.push_str(&format!("{}{name}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Plays `scenario` up to `req.at_ms` and explains one task of `req.task_definition`.
pub fn explain(scenario: &Scenario, req: &ExplainRequest) -> Result<Explanation, ExplainError> {
    if req.strategies.len() > MAX_STRATEGIES {
        return Err(ExplainError::Usage(format!(
            "{} strategies given; RunTask takes at most {MAX_STRATEGIES}",
            req.strategies.len()
        )));
    }
    let options = RunOptions {
        seed: req.seed,
        until_ms: Some(req.at_ms),
        max_events: req.max_events,
    };
    let out = run(scenario, options);
    if let Some(e) = out.error {
        return Err(ExplainError::Run(e));
    }
    let mut api = out.api;
    let spec = run_spec(&api, req)?;
    // choose() draws from the placement stream: draw from a copy so the run is not disturbed
    // and the pick is the one RunTask would make next.
    let rng = api.engine.rng().clone();
    Ok(evaluate(&api, &spec, rng, req.at_ms))
}

/// The RunTask request of `req`, resolved at T as RunTask resolves it.
fn run_spec(api: &Api, req: &ExplainRequest) -> Result<RunSpec, ExplainError> {
    let at = compact_duration(req.at_ms);
    let cluster = api.cluster(Some(&req.cluster)).map_err(|_| {
        ExplainError::Usage(format!(
            "cluster `{}` does not exist (or is INACTIVE) at {at}",
            req.cluster
        ))
    })?;
    let task_def = api.find_task_def(&req.task_definition).ok_or_else(|| {
        ExplainError::Usage(format!(
            "task definition `{}` is not registered at {at}",
            req.task_definition
        ))
    })?;
    let td = api.engine.world().task_def(task_def);
    if td.status == TaskDefStatus::Inactive {
        return Err(ExplainError::Usage(format!(
            "task definition {}:{} is INACTIVE at {at}: RunTask refuses it",
            td.family, td.revision
        )));
    }
    if req.constraints.len() + td.member_of.len() > MAX_CONSTRAINTS {
        return Err(ExplainError::Usage(format!(
            "{} constraints given and {} in the task definition; at most {MAX_CONSTRAINTS} in all",
            req.constraints.len(),
            td.member_of.len()
        )));
    }
    let mut strategies = req.strategies.clone();
    if strategies.is_empty() {
        strategies.push(Strategy::Random);
    }
    Ok(RunSpec {
        cluster,
        task_def,
        count: 1,
        group: req
            .group
            .clone()
            .unwrap_or_else(|| format!("family:{}", td.family)),
        started_by: None,
        overrides: ResourceOverrides::default(),
        allowed_zones: allowed_zones(api, req, td.network_mode)?,
        member_of: member_of(&req.constraints),
        distinct_instance: req
            .constraints
            .iter()
            .any(|c| matches!(c, Constraint::DistinctInstance)),
        strategies,
    })
}

fn member_of(constraints: &[Constraint]) -> Vec<Expr> {
    constraints
        .iter()
        .filter_map(|c| match c {
            Constraint::MemberOf(e) => Some(e.clone()),
            Constraint::DistinctInstance => None,
        })
        .collect()
}

/// awsvpc with `--subnet`: the subnets' zones when all are known (as RunTask does).
fn allowed_zones(
    api: &Api,
    req: &ExplainRequest,
    mode: NetworkMode,
) -> Result<Option<Vec<String>>, ExplainError> {
    if req.subnets.is_empty() {
        return Ok(None);
    }
    if mode != NetworkMode::Awsvpc {
        return Err(ExplainError::Usage(format!(
            "--subnet applies to awsvpc task definitions; {} uses {}",
            req.task_definition,
            mode.as_str()
        )));
    }
    Ok(req
        .subnets
        .iter()
        .map(|s| api.config.subnet_zones.get(s).cloned())
        .collect())
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
            Some(c) => Outcome::Placed(placed(world, spec, &ev.candidates, c.instance)),
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
        group: spec.group.clone(),
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
fn placed(
    world: &World,
    spec: &RunSpec,
    candidates: &[InstanceId],
    chosen: InstanceId,
) -> Placement {
    let mut left = candidates.to_vec();
    let mut steps = Vec::new();
    let mut random = false;
    for s in &spec.strategies {
        let before = left.len();
        let (kind, detail) = if random {
            (StepKind::Skipped, "random already picked".to_string())
        } else if *s == Strategy::Random {
            random = true;
            (StepKind::Random, String::new())
        } else if before <= 1 {
            (StepKind::Skipped, format!("{before} candidate left"))
        } else {
            let (kept, detail) = narrow(world, spec, &left, s);
            left = kept;
            (StepKind::Narrowed, detail)
        };
        steps.push(StrategyStep {
            strategy: s.describe(),
            kind,
            before,
            after: if kind == StepKind::Random {
                1
            } else {
                left.len()
            },
            kept: if kind == StepKind::Random {
                vec![ec2(world, chosen)]
            } else {
                left.iter().map(|i| ec2(world, *i)).collect()
            },
            detail,
        });
    }
    debug_assert!(
        left.contains(&chosen),
        "explain replayed the strategies differently"
    );
    let inst = world.instance(chosen);
    Placement {
        ec2_instance_id: inst.ec2_instance_id.clone(),
        availability_zone: inst.availability_zone.clone(),
        candidates: candidates.len(),
        steps,
        tie_break: (!random).then(|| left.iter().map(|i| ec2(world, *i)).collect()),
    }
}

fn ec2(world: &World, id: InstanceId) -> String {
    world.instance(id).ec2_instance_id.clone()
}

fn narrow(
    world: &World,
    spec: &RunSpec,
    left: &[InstanceId],
    s: &Strategy,
) -> (Vec<InstanceId>, String) {
    match s {
        Strategy::Spread(field) => spread(world, spec.cluster, &spec.group, left, field),
        Strategy::Binpack(field) => binpack(world, left, *field),
        Strategy::Random => (left.to_vec(), String::new()),
    }
}

/// A spread bucket: an instance, or an attribute value (None: the attribute is missing).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bucket {
    Instance(InstanceId),
    Value(Option<String>),
}

fn bucket(inst: &Instance, field: &SpreadField) -> Bucket {
    match field {
        SpreadField::Instance => Bucket::Instance(inst.id),
        SpreadField::Attribute(name) => Bucket::Value(
            inst.attributes
                .get(name)
                .map(|v| v.clone().unwrap_or_default()),
        ),
    }
}

fn bucket_label(world: &World, b: &Bucket) -> String {
    match b {
        Bucket::Instance(i) => ec2(world, *i),
        Bucket::Value(None) => "(missing)".into(),
        Bucket::Value(Some(v)) if v.is_empty() => "(no value)".into(),
        Bucket::Value(Some(v)) => v.clone(),
    }
}

/// spread: the candidates whose bucket holds the fewest tasks of the group (desiredStatus not
/// STOPPED, over the whole cluster), and the count of every bucket present among them.
fn spread(
    world: &World,
    cluster: ClusterId,
    group: &str,
    left: &[InstanceId],
    field: &SpreadField,
) -> (Vec<InstanceId>, String) {
    let mut counts: BTreeMap<Bucket, u64> = left
        .iter()
        .map(|i| (bucket(world.instance(*i), field), 0))
        .collect();
    for t in &world.cluster(cluster).tasks {
        let task = world.task(*t);
        if task.group == group
            && task.desired_status != DesiredStatus::Stopped
            && let Some(n) = counts.get_mut(&bucket(world.instance(task.instance), field))
        {
            *n += 1;
        }
    }
    let best = counts.values().copied().min().unwrap_or(0);
    let kept = left
        .iter()
        .copied()
        .filter(|i| counts.get(&bucket(world.instance(*i), field)) == Some(&best))
        .collect();
    let mut shown: Vec<String> = counts
        .iter()
        .take(MAX_BUCKETS_SHOWN)
        .map(|(b, n)| format!("{} {n}", bucket_label(world, b)))
        .collect();
    if counts.len() > MAX_BUCKETS_SHOWN {
        shown.push(format!("{} more", counts.len() - MAX_BUCKETS_SHOWN));
    }
    (kept, format!("{group} tasks: {}", shown.join(", ")))
}

/// binpack: the candidates with the least remaining amount of the field.
fn binpack(world: &World, left: &[InstanceId], field: BinpackField) -> (Vec<InstanceId>, String) {
    let remaining = |i: &InstanceId| {
        let r = &world.instance(*i).remaining;
        match field {
            BinpackField::Cpu => r.cpu,
            BinpackField::Memory => r.memory_mib,
        }
    };
    let best = left.iter().map(remaining).min().unwrap_or(0);
    let kept = left
        .iter()
        .copied()
        .filter(|i| remaining(i) == best)
        .collect();
    let detail = match field {
        BinpackField::Cpu => format!("least remaining CPU: {best} units"),
        BinpackField::Memory => format!("least remaining memory: {best} MiB"),
    };
    (kept, detail)
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
        assert_eq!(parse_strategy("random"), Ok(Strategy::Random));
        assert_eq!(
            parse_strategy("spread:attribute:ecs.availability-zone"),
            Ok(Strategy::Spread(SpreadField::Attribute(
                "ecs.availability-zone".into()
            )))
        );
        assert_eq!(
            parse_strategy("spread:host"),
            Ok(Strategy::Spread(SpreadField::Instance))
        );
        assert_eq!(
            parse_strategy("binpack:memory"),
            Ok(Strategy::Binpack(BinpackField::Memory))
        );
        for bad in [
            "binpack",
            "binpack:disk",
            "spread",
            "spread:attribute:",
            "first-fit",
            "random:x",
        ] {
            assert!(parse_strategy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_constraints() {
        assert!(matches!(
            parse_constraint("distinctInstance"),
            Ok(Constraint::DistinctInstance)
        ));
        match parse_constraint("memberOf:attribute:stack == prod") {
            Ok(Constraint::MemberOf(e)) => assert_eq!(e.source(), "attribute:stack == prod"),
            other => panic!("{other:?}"),
        }
        let e = parse_constraint("memberOf:attribute:stack ==").unwrap_err();
        assert!(e.contains("at character"), "{e}");
        assert!(parse_constraint("distinctInstance:x").is_err());
        assert!(parse_constraint("sameZone").is_err());
    }
}
