//! Engine operations that place tasks: RunTask (filters, strategies, tie-break) and StartTask
//! (named instances), with every failed placement tallied and traced with its closest match.

use super::Engine;
use crate::cql::Expr;
use crate::ids::{ClusterId, InstanceId, TaskDefId, TaskId};
use crate::instance::InstanceStatus;
use crate::placement::index::Indexed;
use crate::placement::{self, Evaluation, PlacementInput, Reason, Strategy, Verdict};
use crate::resources::Requirement;
use crate::taskdef::ResourceOverrides;
use crate::time::SimTime;
use crate::trace::Field;
use std::sync::Arc;

/// One RunTask or StartTask request, resolved to ids.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub cluster: ClusterId,
    pub task_def: TaskDefId,
    pub count: u32,
    /// Shared by the tasks placed from it (one allocation per request, not per task).
    pub group: Arc<str>,
    pub started_by: Option<Arc<str>>,
    pub overrides: ResourceOverrides,
    /// awsvpc: the Availability Zones of the given subnets, when known.
    pub allowed_zones: Option<Vec<String>>,
    /// memberOf expressions of the request (the task definition's are added at placement).
    pub member_of: Vec<Expr>,
    pub distinct_instance: bool,
    /// In order; RunTask's default is `[Random]`.
    pub strategies: Vec<Strategy>,
}

/// What RunTask placed and, for what it could not place, why each instance refused.
#[derive(Clone, Debug, Default)]
pub struct RunOutcome {
    pub tasks: Vec<TaskId>,
    pub failures: Vec<(InstanceId, Reason)>,
}

/// Why StartTask could not start a task on a named instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFailure {
    /// The instance was deregistered (`INACTIVE`).
    Inactive,
    /// The instance is DRAINING.
    Draining,
    Rejected(Reason),
}

impl StartFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            StartFailure::Inactive => "INACTIVE",
            StartFailure::Draining => "DRAINING",
            StartFailure::Rejected(r) => r.as_str(),
        }
    }
}

/// A placement that failed, as `summary.json` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementFailure {
    pub at: SimTime,
    pub cluster: String,
    pub task_definition: String,
    pub group: String,
    pub unplaced: u32,
    pub evaluated: u32,
    /// Instances rejected per reason (each instance by its first reason), in filter order.
    pub rejected: Vec<(&'static str, u32)>,
    /// The instance that passed the most filters: (EC2 id, reason, detail).
    pub closest: Option<(String, &'static str, String)>,
}

/// How many failure details the run keeps (the counters keep counting beyond).
pub const KEPT_FAILURES: usize = 100;

impl Engine {
    /// RunTask: places `count` tasks one at a time through the filters and strategies, updating
    /// the accounting between placements. Stops at the first task that fits nowhere.
    pub fn run_task(&mut self, spec: &RunSpec) -> RunOutcome {
        let req = self
            .world
            .task_def(spec.task_def)
            .requirement(&spec.overrides);
        let mut out = RunOutcome::default();
        for placed in 0..spec.count {
            match self.choose_instance(spec, &req) {
                Ok(instance) => out.tasks.push(self.create_task(spec, instance, &req, None)),
                Err(ev) => {
                    self.note_failure(spec, &ev, spec.count - placed);
                    out.failures = ev
                        .rejections
                        .iter()
                        .map(|r| (r.instance, r.reason))
                        .collect();
                    break;
                }
            }
        }
        out
    }

    /// Filters, strategies and tie-break for one task of `spec`: where it goes, or the
    /// evaluation that found no place.
    pub(super) fn choose_instance(
        &mut self,
        spec: &RunSpec,
        req: &Requirement,
    ) -> Result<InstanceId, Evaluation> {
        if self.placement == super::PlacementMode::Indexed {
            let member_of = self.member_of(spec);
            let input = PlacementInput {
                requirement: req,
                required_attributes: &self.world.task_def(spec.task_def).requires_attributes,
                allowed_zones: spec.allowed_zones.as_deref(),
                member_of: &member_of,
                distinct_instance: spec.distinct_instance,
                group: &spec.group,
                epoch_unix_ms: self.epoch_unix_ms,
            };
            let indexed = self.index.choose(
                &self.world,
                spec.cluster,
                &input,
                &spec.strategies,
                &mut self.rng,
            );
            match indexed {
                Indexed::At(instance) => return Ok(instance),
                Indexed::Nowhere => return Err(self.evaluate(spec).0),
                Indexed::NotIndexed => {}
            }
        }
        let (ev, _, _) = self.evaluate(spec);
        let choice = placement::strategy::choose(
            &self.world,
            spec.cluster,
            &spec.group,
            &ev.candidates,
            &spec.strategies,
            &mut self.rng,
        );
        choice.map(|c| c.instance).ok_or(ev)
    }

    /// StartTask: one task on each named instance, or the reason it cannot go there.
    pub fn start_task(
        &mut self,
        spec: &RunSpec,
        instances: &[InstanceId],
    ) -> (Vec<TaskId>, Vec<(InstanceId, StartFailure)>) {
        let req = self
            .world
            .task_def(spec.task_def)
            .requirement(&spec.overrides);
        let member_of = self.member_of(spec);
        let (mut tasks, mut failures) = (Vec::new(), Vec::new());
        for &inst in instances {
            let input = self.input(spec, &req, &member_of);
            let verdict = placement::filters::check(&self.world, self.world.instance(inst), &input);
            match (verdict, self.world.instance(inst).status) {
                (Verdict::Fit, _) => tasks.push(self.create_task(spec, inst, &req, None)),
                (_, InstanceStatus::Inactive) => failures.push((inst, StartFailure::Inactive)),
                (_, InstanceStatus::Draining) => failures.push((inst, StartFailure::Draining)),
                (Verdict::Reject(reason, shortfall), _) => {
                    let ev = Evaluation {
                        candidates: Vec::new(),
                        rejections: vec![placement::Rejection {
                            instance: inst,
                            reason,
                            shortfall,
                        }],
                        tally: single_tally(reason),
                    };
                    self.note_failure(spec, &ev, 1);
                    failures.push((inst, StartFailure::Rejected(reason)));
                }
            }
        }
        (tasks, failures)
    }

    /// The evaluation of every instance of the cluster for one task of `spec`, without placing
    /// it (for `explain`), with the combined memberOf expressions and the requirement.
    pub fn evaluate(&self, spec: &RunSpec) -> (Evaluation, Vec<Expr>, Requirement) {
        let req = self
            .world
            .task_def(spec.task_def)
            .requirement(&spec.overrides);
        let member_of = self.member_of(spec);
        let instances = self.world.registered_instances(spec.cluster);
        let ev = placement::evaluate(&self.world, &instances, &self.input(spec, &req, &member_of));
        (ev, member_of, req)
    }

    /// The memberOf expressions of the task definition and the request, combined with AND.
    pub(super) fn member_of(&self, spec: &RunSpec) -> Vec<Expr> {
        let td = self.world.task_def(spec.task_def);
        td.member_of
            .iter()
            .chain(&spec.member_of)
            .cloned()
            .collect()
    }

    /// The placement input of one task of `spec`.
    pub fn input<'a>(
        &'a self,
        spec: &'a RunSpec,
        req: &'a Requirement,
        member_of: &'a [Expr],
    ) -> PlacementInput<'a> {
        PlacementInput {
            requirement: req,
            required_attributes: &self.world.task_def(spec.task_def).requires_attributes,
            allowed_zones: spec.allowed_zones.as_deref(),
            member_of,
            distinct_instance: spec.distinct_instance,
            group: &spec.group,
            epoch_unix_ms: self.epoch_unix_ms,
        }
    }

    pub(super) fn note_failure(&mut self, spec: &RunSpec, ev: &Evaluation, unplaced: u32) {
        let failure = self.describe_failure(spec, ev, unplaced);
        self.stats.failed += u64::from(unplaced);
        self.stats.failure_events += 1;
        let cluster = self.world.cluster(spec.cluster).name.clone();
        self.stats.failure_times.push((cluster, self.now));
        for (reason, _) in ev.tally.reasons().filter(|(r, _)| r.is_reported()) {
            *self
                .stats
                .failures_by_reason
                .entry(reason.as_str())
                .or_default() += u64::from(unplaced);
        }
        let rejected: Vec<String> = failure
            .rejected
            .iter()
            .map(|(r, n)| format!("{r}={n}"))
            .collect();
        let mut fields = vec![
            ("cluster", Field::from(failure.cluster.clone())),
            ("taskDefinition", failure.task_definition.clone().into()),
            ("group", failure.group.clone().into()),
            ("unplaced", Field::from(unplaced)),
            ("evaluated", Field::from(failure.evaluated)),
            ("rejected", rejected.join(",").into()),
        ];
        if let Some((ec2, reason, detail)) = &failure.closest {
            fields.push(("closestMatch", ec2.clone().into()));
            fields.push(("closestReason", (*reason).into()));
            fields.push(("closestDetail", detail.clone().into()));
        }
        self.record("PlacementFailed", fields);
        if self.stats.failures.len() < KEPT_FAILURES {
            self.stats.failures.push(failure);
        }
    }

    fn describe_failure(&self, spec: &RunSpec, ev: &Evaluation, unplaced: u32) -> PlacementFailure {
        let td = self.world.task_def(spec.task_def);
        let req = td.requirement(&spec.overrides);
        let member_of = self.member_of(spec);
        let input = self.input(spec, &req, &member_of);
        let closest = ev.closest().map(|r| {
            let ec2 = self.world.instance(r.instance).ec2_instance_id.clone();
            let detail =
                placement::explain::describe(&self.world, r.instance, &input, &r.shortfall);
            (ec2, r.reason.as_str(), detail)
        });
        PlacementFailure {
            at: self.now,
            cluster: self.world.cluster(spec.cluster).name.clone(),
            task_definition: format!("{}:{}", td.family, td.revision),
            group: spec.group.to_string(),
            unplaced,
            evaluated: ev.tally.evaluated,
            rejected: ev.tally.reasons().map(|(r, n)| (r.as_str(), n)).collect(),
            closest,
        }
    }
}

fn single_tally(reason: Reason) -> placement::RejectionTally {
    let mut t = placement::RejectionTally {
        evaluated: 1,
        ..Default::default()
    };
    t.by_reason[reason.rank()] = 1;
    t
}
