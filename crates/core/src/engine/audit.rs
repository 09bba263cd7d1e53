//! Self-checks of the engine, on when `EngineConfig::check_invariants` is set: the world
//! invariants and the placement index's filing after every event, every task transition
//! against the lifecycle, every placement against the filters, every scheduler pass against the
//! deployment limits, and the clock.

use super::{Engine, RunSpec};
use crate::ids::{InstanceId, ServiceId, TaskId};
use crate::invariants::{self, Violation};
use crate::placement::{self, Verdict};
use crate::scheduler::Action;
use crate::service::Scheduling;
use crate::task::{DesiredStatus, TaskStatus};
use crate::time::SimTime;

/// A violation with when and after what it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFailure {
    pub at: SimTime,
    /// The event or operation after which it was found.
    pub after: String,
    pub violation: Violation,
}

/// How many failures a run keeps (the first ones matter).
const KEPT: usize = 50;

/// Healthy and total (live + STOPPING) tasks of a service.
#[derive(Clone, Copy, Debug)]
pub(super) struct ServiceLoad {
    healthy: u32,
    total: u32,
}

impl Engine {
    pub fn audit_failures(&self) -> &[AuditFailure] {
        &self.audit.failures
    }

    /// Checks the world invariants now (a driver calls it after its own operations).
    pub fn audit(&mut self, after: &str) {
        if !self.audit.enabled {
            return;
        }
        for v in invariants::check(&self.world) {
            self.fail(after, v);
        }
        // Settled first, so that the buckets are checked too (settling changes no choice).
        self.index.settle();
        for v in self.index.misfiled(&self.world) {
            self.fail(after, v);
        }
    }

    fn fail(&mut self, after: &str, violation: Violation) {
        if self.audit.failures.len() < KEPT {
            self.audit.failures.push(AuditFailure {
                at: self.now,
                after: after.to_string(),
                violation,
            });
        }
    }

    pub(super) fn audit_clock(&mut self, next: SimTime) {
        if self.audit.enabled && next < self.now {
            let v = Violation {
                invariant: "clock",
                detail: format!("time went back from {} to {next}", self.now),
            };
            self.fail("the event queue", v);
        }
    }

    /// Records a task's status and checks the step against the lifecycle.
    pub(super) fn audit_transition(&mut self, id: TaskId) {
        if !self.audit.enabled {
            return;
        }
        let now = self.world.task(id).last_status;
        let index = id.index();
        if self.audit.last_status.len() <= index {
            self.audit.last_status.resize(index + 1, None);
        }
        if let Some(before) = self.audit.last_status[index].replace(now)
            && !invariants::valid_transition(before, now)
        {
            let detail = format!(
                "task {} went {} -> {}",
                self.world.task(id).uuid,
                before.as_str(),
                now.as_str()
            );
            self.fail(
                "a task transition",
                Violation {
                    invariant: "lifecycle",
                    detail,
                },
            );
        }
    }

    /// The chosen instance must pass every filter (distinctInstance and memberOf included).
    pub(super) fn audit_placement(&mut self, spec: &RunSpec, inst: InstanceId) {
        if !self.audit.enabled {
            return;
        }
        let req = self
            .world
            .task_def(spec.task_def)
            .requirement(&spec.overrides);
        let member_of = self.member_of(spec);
        let input = self.input(spec, &req, &member_of);
        if let Verdict::Reject(reason, _) =
            placement::filters::check(&self.world, self.world.instance(inst), &input)
        {
            let detail = format!(
                "a task of {} went to {} although it fails {}",
                spec.group,
                self.world.instance(inst).ec2_instance_id,
                reason.as_str()
            );
            self.fail(
                "a placement",
                Violation {
                    invariant: "placement-filters",
                    detail,
                },
            );
        }
    }

    /// The scheduler's answer from its counts must be the full pass's (moves and draws), and
    /// its health counts must say what `is_healthy` says now.
    pub(super) fn audit_reconcile(&mut self, id: ServiceId, actions: &[Action], full: &[Action]) {
        let s = self.world.service(id);
        let name = s.name.clone();
        let miscounted = s.tasks.iter().map(|t| self.world.task(*t)).find(|t| {
            t.desired_status == DesiredStatus::Running && t.health_counted != t.is_healthy(self.now)
        });
        if let Some(t) = miscounted {
            let detail = format!(
                "service {name}: task {} counted healthy {}, healthy {}",
                t.uuid,
                t.health_counted,
                t.is_healthy(self.now)
            );
            let invariant = "health-counts";
            self.fail("a scheduler pass", Violation { invariant, detail });
        }
        if actions != full {
            let detail =
                format!("service {name}: the counts said {actions:?}, the full pass {full:?}");
            let invariant = "scheduler-fast-path";
            self.fail("a scheduler pass", Violation { invariant, detail });
        }
    }

    /// The steady-state test from the counts (`steady`) against a walk over the service's tasks.
    pub(super) fn audit_steady(&mut self, id: ServiceId, steady: bool) {
        if !self.audit.enabled {
            return;
        }
        let s = self.world.service(id);
        let only_primary = s
            .deployments
            .iter()
            .filter(|d| d.status != crate::service::DeploymentStatus::Inactive)
            .count()
            == 1;
        let tasks = || s.tasks.iter().map(|t| self.world.task(*t));
        let live = tasks()
            .filter(|t| t.desired_status == DesiredStatus::Running)
            .count();
        let walked = only_primary
            && live == s.desired_count as usize
            && tasks()
                .filter(|t| t.desired_status == DesiredStatus::Running)
                .all(|t| t.is_healthy(self.now))
            && !tasks().any(|t| t.last_status == TaskStatus::Stopping);
        if steady != walked {
            let detail = format!(
                "service {}: the counts say steady {steady}, the tasks {walked}",
                s.name
            );
            let invariant = "steady-counts";
            self.fail("a steady-state check", Violation { invariant, detail });
        }
    }

    pub(super) fn service_load(&self, id: ServiceId) -> ServiceLoad {
        let s = self.world.service(id);
        let mut load = ServiceLoad {
            healthy: 0,
            total: 0,
        };
        for t in s.tasks.iter().map(|t| self.world.task(*t)) {
            if t.desired_status == DesiredStatus::Running || t.last_status == TaskStatus::Stopping {
                load.total += 1;
            }
            if t.desired_status == DesiredStatus::Running && t.is_healthy(self.now) {
                load.healthy += 1;
            }
        }
        load
    }

    /// A scheduler pass never takes healthy tasks below the minimum, nor the total above the
    /// maximum, by its own moves (what was already beyond a limit may stay there).
    pub(super) fn audit_scheduler(&mut self, id: ServiceId, before: Option<ServiceLoad>) {
        let Some(before) = before else { return };
        if !self.audit.enabled || self.world.service(id).scheduling == Scheduling::Daemon {
            return;
        }
        let after = self.service_load(id);
        let s = self.world.service(id);
        let min = s.config.min_healthy(s.desired_count).min(before.healthy);
        let max = s.config.max_tasks(s.desired_count).max(before.total);
        let name = s.name.clone();
        if after.healthy < min {
            let detail = format!(
                "service {name}: the scheduler left {} healthy tasks, minimum {min}",
                after.healthy
            );
            self.fail(
                "a scheduler pass",
                Violation {
                    invariant: "minimum-healthy",
                    detail,
                },
            );
        }
        if after.total > max {
            let detail = format!(
                "service {name}: the scheduler brought {} tasks, maximum {max}",
                after.total
            );
            self.fail(
                "a scheduler pass",
                Violation {
                    invariant: "maximum-percent",
                    detail,
                },
            );
        }
    }
}

/// The audit's state.
#[derive(Clone, Debug, Default)]
pub(super) struct Audit {
    pub enabled: bool,
    pub failures: Vec<AuditFailure>,
    /// The last status seen of each task, by id.
    pub last_status: Vec<Option<TaskStatus>>,
}
