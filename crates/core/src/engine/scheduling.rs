//! Applying the service scheduler's decisions: one `reconcile` per wake-up, its stops and
//! starts, the service events with ECS's texts (§5.11), deployments turning INACTIVE, steady
//! state, and the circuit breaker (§5.9).

use super::{Engine, RunSpec};
use crate::ids::{InstanceId, ServiceId, TaskId};
use crate::placement::{self, Evaluation, Reason, Rejection, scale_in};
use crate::resources::Requirement;
use crate::rng::Purpose;
use crate::scheduler::{self, Action, StopWhy};
use crate::service::{DeploymentStatus, RolloutState, Scheduling, ServiceEvent, ServiceStatus};
use crate::task::{StopCause, StopCode};
use crate::taskdef::ResourceOverrides;
use crate::trace::TraceStr;
use smallvec::SmallVec;
use std::sync::Arc;

const TROUBLESHOOTING: &str =
    "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";

/// What a service's scheduler stop reason depends on: the deployment, why.
pub(super) type ReasonKey = (usize, StopWhy);

/// The tasks one pass stopped or started: inline for the usual few.
type Moved = SmallVec<[TaskId; 16]>;

impl Engine {
    pub(super) fn on_reconcile(&mut self, id: ServiceId) {
        self.service_mut(id).reconcile_scheduled = false;
        if self.world.service(id).status == ServiceStatus::Inactive {
            return;
        }
        if self.world.service(id).scheduling == Scheduling::Daemon {
            let n = scheduler::daemon_instances(
                &self.world,
                self.world.service(id),
                self.epoch_unix_ms,
            )
            .len();
            let s = self.service_mut(id);
            if s.status == ServiceStatus::Active {
                s.desired_count = n as u32;
            }
        }
        self.absorb_health(id);
        // The reference mode keeps scale-in on the attributes too, so the differential tests
        // compare the index's zones against them.
        let zones = (self.placement == super::PlacementMode::Indexed).then_some(&self.index);
        let full = self.audit.enabled.then(|| {
            let mut rng = self.rng.clone();
            let s = self.world.service(id);
            scheduler::reconcile_full(
                &self.world,
                s,
                self.now,
                self.epoch_unix_ms,
                &mut rng,
                zones,
            )
        });
        let actions = scheduler::reconcile(
            &self.world,
            self.world.service(id),
            self.now,
            self.epoch_unix_ms,
            &mut self.rng,
            zones,
        );
        if let Some(full) = full {
            self.audit_reconcile(id, &actions, &full);
        }
        // The load before, for the audit only (it costs a walk over the service's tasks).
        let before = self.audit.enabled.then(|| self.service_load(id));
        let changed = self.apply(id, &actions);
        self.audit_scheduler(id, before);
        self.retire_deployments(id);
        if changed {
            self.service_mut(id).steady = false;
        } else {
            self.check_steady(id);
        }
    }

    /// Applies the actions; whether any task was stopped or started.
    fn apply(&mut self, id: ServiceId, actions: &[Action]) -> bool {
        let (mut stopped, mut started) = (Moved::new(), Moved::new());
        for a in actions {
            match a {
                Action::Stop(t, why) => {
                    self.scheduler_stop(id, *t, *why);
                    stopped.push(*t);
                }
                Action::Start(n) => self.start_replicas(id, *n, &mut started),
                Action::StartOn(inst) => started.extend(self.start_daemon(id, *inst)),
                Action::Blocked => self.report_blocked(id),
            }
        }
        // The pass stops first, then starts: the events say so in that order.
        self.report_moves(id, "has stopped", "running tasks", &stopped);
        self.report_moves(id, "has started", "tasks", &started);
        !stopped.is_empty() || !started.is_empty()
    }

    /// The stopped reason of a task of deployment `dep` of service `id` stopped for `why`; the
    /// same text (one allocation) as the service's last stop's when that was for the same (a
    /// deployment keeps its place in the service's list, so its number names it).
    fn stop_reason(&mut self, id: ServiceId, dep: usize, why: StopWhy) -> Arc<str> {
        let key = (dep, why);
        if let Some(Some((last, reason))) = self.stop_reasons.get(id.index())
            && *last == key
        {
            return Arc::clone(reason);
        }
        let deployment: &str = &self.world.service(id).deployments[dep].id;
        // Joined rather than formatted: these texts are made once per service and deployment.
        let head = "Scaling activity initiated by (deployment ";
        let reason: Arc<str> = match why {
            StopWhy::Scaling => [head, deployment, ")"].concat().into(),
            StopWhy::Draining => [head, deployment, "): container instance is in DRAINING state"].concat().into(),
            StopWhy::ConstraintViolated => "Service scheduler stopped the task: the container instance no longer satisfies the placement constraints".into(),
        };
        if self.stop_reasons.len() <= id.index() {
            self.stop_reasons.resize(id.index() + 1, None);
        }
        self.stop_reasons[id.index()] = Some((key, Arc::clone(&reason)));
        reason
    }

    fn scheduler_stop(&mut self, id: ServiceId, t: TaskId, why: StopWhy) {
        let dep = self.world.task(t).service.map_or(0, |(_, d)| d);
        let reason = self.stop_reason(id, dep, why);
        if why == StopWhy::ConstraintViolated {
            let name = self.world.service(id).name.clone();
            let ec2 = self
                .world
                .instance(self.world.task(t).instance)
                .ec2_instance_id
                .clone();
            let msg = format!(
                "(service {name}) stopped a daemon task on (instance {ec2}): it no longer satisfies the placement constraints."
            );
            self.service_event(
                id,
                "SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED",
                &msg,
                true,
            );
        }
        self.stop_task(
            t,
            StopCause {
                code: Some(StopCode::ServiceSchedulerInitiated),
                reason,
            },
        );
    }

    /// The RunSpec of one task of the service's PRIMARY deployment (what the scheduler places).
    pub fn service_spec(&self, id: ServiceId) -> RunSpec {
        let s = self.world.service(id);
        let strategies = match (s.scheduling, s.strategies.is_empty()) {
            (Scheduling::Replica, true) => scale_in::default_service_strategies(),
            _ => s.strategies.clone(),
        };
        RunSpec {
            cluster: s.cluster,
            task_def: s.primary().task_def,
            count: 1,
            group: Arc::clone(&s.task_group),
            started_by: Some(s.primary().id.as_str().into()),
            overrides: ResourceOverrides::default(),
            allowed_zones: s.allowed_zones.clone(),
            member_of: s.member_of.clone(),
            distinct_instance: s.distinct_instance,
            strategies,
        }
    }

    /// Places up to `n` tasks of the service, one at a time, onto `started`.
    fn start_replicas(&mut self, id: ServiceId, n: u32, started: &mut Moved) {
        let spec = self.service_spec(id);
        let dep = self.world.service(id).primary_index();
        let req = self
            .world
            .task_def(spec.task_def)
            .requirement(&spec.overrides);
        let before = started.len();
        for _ in 0..n {
            match self.choose_instance(&spec, &req) {
                Ok(instance) => {
                    started.push(self.start_service_task(id, dep, &spec, instance, &req))
                }
                Err(ev) => {
                    let placed = (started.len() - before) as u32;
                    self.note_failure(&spec, &ev, n - placed);
                    self.placement_failed(id, &ev);
                    break;
                }
            }
        }
    }

    fn start_daemon(&mut self, id: ServiceId, inst: InstanceId) -> Option<TaskId> {
        let spec = self.service_spec(id);
        let dep = self.world.service(id).primary_index();
        let req = self
            .world
            .task_def(spec.task_def)
            .requirement(&spec.overrides);
        let member_of = spec.member_of.clone();
        let verdict = placement::filters::check(
            &self.world,
            self.world.instance(inst),
            &self.input(&spec, &req, &member_of),
        );
        match verdict {
            placement::Verdict::Fit => Some(self.start_service_task(id, dep, &spec, inst, &req)),
            placement::Verdict::Reject(reason, shortfall) => {
                let mut ev = Evaluation {
                    rejections: vec![Rejection {
                        instance: inst,
                        reason,
                        shortfall,
                    }],
                    ..Default::default()
                };
                ev.tally.evaluated = 1;
                ev.tally.by_reason[reason.rank()] = 1;
                self.note_failure(&spec, &ev, 1);
                self.placement_failed(id, &ev);
                None
            }
        }
    }

    fn start_service_task(
        &mut self,
        id: ServiceId,
        dep: usize,
        spec: &RunSpec,
        inst: InstanceId,
        req: &Requirement,
    ) -> TaskId {
        let t = self.create_task(spec, inst, req, Some((id, dep)));
        let s = self.service_mut(id);
        s.tasks.push(t);
        s.deployments[dep].live_tasks += 1;
        s.last_failure_message = None;
        t
    }

    /// "(service web) was unable to place a task ...", once per cause; a failed start.
    fn placement_failed(&mut self, id: ServiceId, ev: &Evaluation) {
        let name = self.world.service(id).name.clone();
        let head = format!(
            "(service {name}) was unable to place a task because no container instance met all of its requirements."
        );
        let msg = match ev.closest() {
            Some(r) => {
                let uuid = &self.world.instance(r.instance).uuid;
                format!(
                    "{head} The closest matching (container-instance {uuid}) {} {TROUBLESHOOTING}",
                    closest_clause(r.reason)
                )
            }
            None => format!("{head} Reason: No Container Instances were found in your cluster."),
        };
        let repeat = self.world.service(id).last_failure_message.as_deref() == Some(msg.as_str());
        self.service_event(id, "SERVICE_TASK_PLACEMENT_FAILURE", &msg, !repeat);
        self.service_mut(id).last_failure_message = Some(msg);
        let dep = self.world.service(id).primary_index();
        self.start_failed(id, dep);
    }

    fn report_blocked(&mut self, id: ServiceId) {
        if self.world.service(id).blocked_reported {
            return;
        }
        self.service_mut(id).blocked_reported = true;
        let name = self.world.service(id).name.clone();
        let msg = format!(
            "(service {name}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
        );
        self.service_event(id, "SERVICE_DEPLOYMENT_CONFIGURATION_BLOCKED", &msg, true);
    }

    fn report_moves(&mut self, id: ServiceId, verb: &str, noun: &str, tasks: &[TaskId]) {
        if tasks.is_empty() {
            return;
        }
        let name = &self.world.service(id).name;
        let head = ["(service ", name, ") ", verb, " "];
        let head_len: usize = head.iter().map(|s| s.len()).sum::<usize>() + 24 + noun.len();
        // Sized for the head (the count in at most 20 digits) and each task's "(task " + 32
        // digits + ") ".
        let mut msg = String::with_capacity(head_len + tasks.len() * ("(task ) ".len() + 32));
        head.iter().for_each(|s| msg.push_str(s));
        push_decimal(&mut msg, tasks.len());
        [" ", noun, ": "].iter().for_each(|s| msg.push_str(s));
        for (at, t) in tasks.iter().enumerate() {
            if at > 0 {
                msg.push(' ');
            }
            msg.push_str("(task ");
            msg.push_str(&self.world.task(*t).uuid);
            msg.push(')');
        }
        msg.push('.');
        let kind = if verb == "has started" {
            "SERVICE_TASKS_STARTED"
        } else {
            "SERVICE_TASKS_STOPPED"
        };
        // The message names tasks by id: new text, recorded without a lookup.
        let text = self.trace.add_unique(&msg);
        self.push_service_event(id, (kind, msg, text), true);
    }

    /// Older deployments with no task left become INACTIVE; a draining service with no task
    /// left (or only STOPPING ones) becomes INACTIVE.
    fn retire_deployments(&mut self, id: ServiceId) {
        let s = self.world.service(id);
        let nothing_to_retire = s.status != ServiceStatus::Draining
            && s.deployments
                .iter()
                .all(|d| d.status != DeploymentStatus::Active);
        if nothing_to_retire {
            return;
        }
        // From the counts: a task whose desiredStatus is STOPPED is STOPPING or STOPPED (a task
        // that never ran stops at once), so the tasks not STOPPED are the live and the STOPPING
        // ones, and the running or pending ones are the live ones.
        let running_or_pending: u32 = s.deployments.iter().map(|d| d.live_tasks).sum();
        let draining_done = s.status == ServiceStatus::Draining && running_or_pending == 0;
        let s = self.service_mut(id);
        for d in s.deployments.iter_mut() {
            let busy = d.live_tasks + d.stopping_tasks > 0;
            if d.status == DeploymentStatus::Active && !busy {
                d.status = DeploymentStatus::Inactive;
            }
        }
        if draining_done {
            s.status = ServiceStatus::Inactive;
            let name = s.name.clone();
            self.record("ServiceInactive", vec![("service", name.into())]);
        }
    }

    /// Steady state: only the PRIMARY deployment, every desired task healthy, nothing pending.
    fn check_steady(&mut self, id: ServiceId) {
        let s = self.world.service(id);
        if s.steady || s.status != ServiceStatus::Active {
            return;
        }
        let only_primary = s
            .deployments
            .iter()
            .filter(|d| d.status != DeploymentStatus::Inactive)
            .count()
            == 1;
        // From the counts (health counted at this reconcile's time): every live task healthy,
        // none STOPPING.
        let sum = |f: fn(&crate::service::Deployment) -> u32| -> u32 {
            s.deployments.iter().map(f).sum()
        };
        let live = sum(|d| d.live_tasks);
        let settled = sum(|d| d.healthy_tasks) == live && sum(|d| d.stopping_tasks) == 0;
        let steady = only_primary && live == s.desired_count && settled;
        self.audit_steady(id, steady);
        if !steady {
            return;
        }
        let s = self.world.service(id);
        let name = s.name.clone();
        let dep = s.primary_index();
        let deployment_id = s.primary().id.clone();
        let completes = s.primary().rollout_state == RolloutState::InProgress;
        self.service_mut(id).steady = true;
        if completes {
            let now = self.now;
            let d = &mut self.service_mut(id).deployments[dep];
            d.rollout_state = RolloutState::Completed;
            d.rollout_reason = ["ECS deployment ", &deployment_id, " completed."].concat();
            d.updated_at = now;
            let msg = [
                "(service ",
                &name,
                ") (deployment ",
                &deployment_id,
                ") deployment completed.",
            ]
            .concat();
            self.service_event(id, "SERVICE_DEPLOYMENT_COMPLETED", &msg, true);
        }
        let msg = ["(service ", &name, ") has reached a steady state."].concat();
        self.service_event(id, "SERVICE_STEADY_STATE", &msg, true);
    }

    /// §5.9: threshold = ceil(desired / 2) within [3, 200]; FAILED stops launching; rollback
    /// deploys the last COMPLETED task definition again.
    pub(super) fn check_circuit_breaker(&mut self, id: ServiceId, dep: usize) {
        let s = self.world.service(id);
        let d = &s.deployments[dep];
        let threshold = s.desired_count.div_ceil(2).clamp(3, 200);
        let trips = s.config.circuit_breaker.enable
            && d.rollout_state == RolloutState::InProgress
            && !d.had_running_task
            && d.failed_tasks >= threshold;
        if !trips {
            return;
        }
        let (name, dep_id, rollback) = (
            s.name.clone(),
            d.id.clone(),
            s.config.circuit_breaker.rollback,
        );
        let previous = s.deployments[..dep]
            .iter()
            .rev()
            .find(|d| d.rollout_state == RolloutState::Completed)
            .map(|d| (d.id.clone(), d.task_def));
        let now = self.now;
        let d = &mut self.service_mut(id).deployments[dep];
        d.rollout_state = RolloutState::Failed;
        d.rollout_reason = "ECS deployment circuit breaker: task failed to start.".into();
        d.updated_at = now;
        let msg = format!(
            "(service {name}) (deployment {dep_id}) deployment failed: tasks failed to start."
        );
        self.service_event(id, "SERVICE_DEPLOYMENT_FAILED", &msg, true);
        if let (true, Some((prev_id, task_def))) = (rollback, previous) {
            let reason =
                format!("ECS deployment circuit breaker: rolling back to deploymentId {prev_id}.");
            let msg = format!("(service {name}) rolling back to deployment {prev_id}.");
            self.service_event(id, "SERVICE_DEPLOYMENT_ROLLBACK", &msg, true);
            self.new_deployment(id, task_def, reason);
            self.schedule_reconcile(id);
        }
    }

    /// Records a service event in the trace and, when `visible`, in the service's events.
    pub(crate) fn service_event(
        &mut self,
        id: ServiceId,
        name: &'static str,
        message: &str,
        visible: bool,
    ) {
        let text = self.trace.intern(message);
        self.push_service_event(id, (name, message.to_string(), text), visible);
    }

    /// Records a service event whose message the trace has as `text`, and lists it on the
    /// service when `visible`.
    fn push_service_event(
        &mut self,
        id: ServiceId,
        (name, message, text): (&'static str, String, TraceStr),
        visible: bool,
    ) {
        let (shape, service, kind) =
            self.trace_names
                .service_event(&mut self.trace, &self.world, (id, name));
        self.trace.push_strs(self.now, shape, [service, kind, text]);
        if visible {
            let event = ServiceEvent {
                id: self.rng.hex(Purpose::Ids),
                at: self.now,
                name,
                message,
            };
            self.service_mut(id).events.push(event);
        }
    }
}

/// Appends `n` in decimal: the same digits as `n.to_string()`, without a string of their own
/// or the formatting machinery.
fn push_decimal(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[at..].iter().for_each(|d| out.push(char::from(*d)));
}

/// The clause after "The closest matching (container-instance ID)" for each reason (§5.11).
fn closest_clause(reason: Reason) -> String {
    match reason {
        Reason::Cpu => "has insufficient CPU units available.".into(),
        Reason::Memory => "has insufficient memory available.".into(),
        Reason::Ports => "is already using a port required by your task.".into(),
        other => format!("encountered error \"{}\".", other.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::push_decimal;
    use proptest::prelude::{any, prop_assert_eq, proptest};

    #[test]
    fn decimals_at_the_edges() {
        for n in [0, 9, 10, 99, 100, 1_000_000, usize::MAX] {
            let mut out = String::from("x");
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}"));
        }
    }

    proptest! {
        #[test]
        fn decimals_read_as_to_string(n in any::<usize>()) {
            let mut out = String::new();
            push_decimal(&mut out, n);
            prop_assert_eq!(out, n.to_string());
        }
    }
}
