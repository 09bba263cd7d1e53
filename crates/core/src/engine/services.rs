//! Engine operations on services: create, update, delete, and the hooks through which task and
//! instance changes wake the service scheduler (`Event::Reconcile`, after `schedulerDelay`).

use super::{Engine, Event, Rejection};
use crate::cql::Expr;
use crate::ids::{ClusterId, ServiceId, TaskDefId, TaskId};
use crate::placement::Strategy;
use crate::rng::Purpose;
use crate::service::{
    Deployment, DeploymentConfig, DeploymentStatus, RetiringTask, RolloutState, Scheduling,
    Service, ServiceEvents, ServiceStatus, Throttle,
};
use crate::task::{DesiredStatus, Moment};
use crate::time::SimDuration;
use crate::trace::Field;
use crate::world::TaskList;
use std::cmp::Reverse;

/// A service to create (validated by the API layer).
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    pub cluster: ClusterId,
    pub name: String,
    pub task_def: TaskDefId,
    pub desired_count: u32,
    pub scheduling: Scheduling,
    pub config: DeploymentConfig,
    pub member_of: Vec<Expr>,
    pub distinct_instance: bool,
    pub strategies: Vec<Strategy>,
    pub allowed_zones: Option<Vec<String>>,
    pub health_check_grace_period_s: u64,
    pub has_load_balancers: bool,
}

/// UpdateService: every field optional; a new task definition or `force_new_deployment`
/// starts a deployment, nothing else does.
#[derive(Clone, Debug, Default)]
pub struct ServiceUpdate {
    pub desired_count: Option<u32>,
    pub task_def: Option<TaskDefId>,
    pub config: Option<DeploymentConfig>,
    pub constraints: Option<(Vec<Expr>, bool)>,
    pub strategies: Option<Vec<Strategy>>,
    pub force_new_deployment: bool,
    pub health_check_grace_period_s: Option<u64>,
}

impl Engine {
    /// CreateService: the service with its first (PRIMARY) deployment; the scheduler starts
    /// its tasks.
    pub fn create_service(&mut self, spec: ServiceSpec) -> ServiceId {
        let id = ServiceId(self.world.services.len() as u32);
        let deployment = self.deployment(spec.task_def);
        let desired = spec.desired_count;
        self.world.services.push(Service {
            id,
            cluster: spec.cluster,
            task_group: format!("service:{}", spec.name).into(),
            name: spec.name,
            status: ServiceStatus::Active,
            scheduling: spec.scheduling,
            desired_count: desired,
            config: spec.config,
            member_of: spec.member_of,
            distinct_instance: spec.distinct_instance,
            strategies: spec.strategies,
            allowed_zones: spec.allowed_zones,
            health_check_grace_period_s: spec.health_check_grace_period_s,
            has_load_balancers: spec.has_load_balancers,
            deployments: vec![deployment],
            events: ServiceEvents::default(),
            throttle: Throttle::default(),
            created_at: self.now,
            steady: false,
            tasks: TaskList::default(),
            reconcile_scheduled: false,
            last_failure_message: None,
            blocked_reported: false,
            health_due: Default::default(),
            retiring: Default::default(),
            running_by_zone: Vec::new(),
        });
        self.deployment_started(id);
        self.schedule_reconcile(id);
        id
    }

    fn deployment(&mut self, task_def: TaskDefId) -> Deployment {
        let n = self.rng.below(Purpose::Ids, 10_000_000_000_000_000_000);
        Deployment {
            id: format!("ecs-svc/{n:019}"),
            status: DeploymentStatus::Primary,
            task_def,
            rollout_state: RolloutState::InProgress,
            rollout_reason: String::new(),
            failed_tasks: 0,
            had_running_task: false,
            live_tasks: 0,
            healthy_tasks: 0,
            stopping_tasks: 0,
            running_tasks: 0,
            created_at: self.now,
            updated_at: self.now,
        }
    }

    fn deployment_started(&mut self, id: ServiceId) {
        let s = self.world.service(id);
        let d = s.primary();
        let reason = format!("ECS deployment {} in progress.", d.id);
        let fields = vec![
            ("service", Field::from(s.name.clone())),
            ("deploymentId", d.id.clone().into()),
            ("taskDefinition", self.task_def_name(d.task_def).into()),
        ];
        self.record("DeploymentStarted", fields);
        self.service_event(id, "SERVICE_DEPLOYMENT_IN_PROGRESS", &reason, false);
    }

    pub(crate) fn task_def_name(&self, id: TaskDefId) -> String {
        let td = self.world.task_def(id);
        format!("{}:{}", td.family, td.revision)
    }

    /// Starts a new PRIMARY deployment of `task_def`; the old PRIMARY becomes ACTIVE.
    pub(crate) fn new_deployment(&mut self, id: ServiceId, task_def: TaskDefId, reason: String) {
        let mut d = self.deployment(task_def);
        d.rollout_reason = reason;
        let s = self.service_mut(id);
        for old in s
            .deployments
            .iter_mut()
            .filter(|d| d.status == DeploymentStatus::Primary)
        {
            old.status = DeploymentStatus::Active;
        }
        s.deployments.push(d);
        self.list_retiring(id);
        let s = self.service_mut(id);
        s.throttle = Throttle::default();
        s.steady = false;
        s.blocked_reported = false;
        s.last_failure_message = None;
        self.deployment_started(id);
    }

    /// A deployment started: every live task of the service now belongs to an older one.
    fn list_retiring(&mut self, id: ServiceId) {
        let world = &self.world;
        let s = world.service(id);
        let mut live: Vec<RetiringTask> = s
            .tasks
            .iter()
            .map(|t| world.task(*t))
            .filter(|t| t.desired_status == DesiredStatus::Running)
            .map(|t| RetiringTask {
                task: t.id,
                instance: t.instance,
                cpu: t.allocation.cpu,
                memory_mib: t.allocation.memory_mib,
            })
            .collect();
        live.sort_unstable_by_key(|t| t.task);
        self.service_mut(id).retiring.reset(live);
    }

    /// UpdateService.
    pub fn update_service(&mut self, id: ServiceId, u: ServiceUpdate) -> Result<(), Rejection> {
        if self.world.service(id).status != ServiceStatus::Active {
            return Err(Rejection::new(
                "ServiceNotActiveException",
                "Service was not ACTIVE.",
            ));
        }
        let redeploy = u.force_new_deployment
            || u.task_def
                .is_some_and(|t| t != self.world.service(id).primary().task_def);
        let s = self.service_mut(id);
        if let Some(n) = u.desired_count {
            s.desired_count = n;
        }
        if let Some(c) = u.config {
            s.config = c;
        }
        if let Some((member_of, distinct)) = u.constraints {
            s.member_of = member_of;
            s.distinct_instance = distinct;
        }
        if let Some(st) = u.strategies {
            s.strategies = st;
        }
        if let Some(g) = u.health_check_grace_period_s {
            s.health_check_grace_period_s = g;
        }
        s.steady = false;
        if redeploy {
            let td = u.task_def.unwrap_or(s.primary().task_def);
            self.new_deployment(id, td, String::new());
        }
        self.schedule_reconcile(id);
        Ok(())
    }

    /// DeleteService: the service drains (its tasks stop) and turns INACTIVE once every task is
    /// STOPPING or STOPPED. A REPLICA service scaled above 0 needs `force`.
    pub fn delete_service(&mut self, id: ServiceId, force: bool) -> Result<(), Rejection> {
        let s = self.world.service(id);
        if s.status != ServiceStatus::Active {
            return Err(Rejection::new(
                "ServiceNotActiveException",
                "Service was not ACTIVE.",
            ));
        }
        if s.scheduling == Scheduling::Replica && s.desired_count > 0 && !force {
            return Err(Rejection::new(
                "InvalidParameterException",
                "The service cannot be stopped while it is scaled above 0.",
            ));
        }
        let s = self.service_mut(id);
        s.desired_count = 0;
        s.status = ServiceStatus::Draining;
        let name = s.name.clone();
        self.record("ServiceDeleted", vec![("service", name.into())]);
        self.schedule_reconcile(id);
        Ok(())
    }

    pub(crate) fn service_mut(&mut self, id: ServiceId) -> &mut Service {
        &mut self.world.services[id.index()]
    }

    /// Wakes the scheduler for `id` after the scheduler delay (once until it runs).
    pub(crate) fn schedule_reconcile(&mut self, id: ServiceId) {
        if self.world.service(id).reconcile_scheduled
            || self.world.service(id).status == ServiceStatus::Inactive
        {
            return;
        }
        self.service_mut(id).reconcile_scheduled = true;
        let at = self
            .now
            .after(self.timing.scheduler_delay.draw(&mut self.rng));
        self.schedule(at, Event::Reconcile(id));
    }

    /// Wakes every live service of a cluster (an instance changed).
    pub(crate) fn wake_services(&mut self, cluster: ClusterId) {
        let ids: Vec<ServiceId> = self
            .world
            .services
            .iter()
            .filter(|s| s.cluster == cluster && s.status != ServiceStatus::Inactive)
            .map(|s| s.id)
            .collect();
        for id in ids {
            self.schedule_reconcile(id);
        }
    }

    /// A service task reached RUNNING: the deployment has run a task, the throttle resets, and
    /// the task turns healthy after the health delay.
    pub(crate) fn on_service_task_running(&mut self, task: TaskId) {
        let Some((sid, dep)) = self.world.task(task).service else {
            return;
        };
        let delay = self.health_delay(sid);
        let healthy_at = self.now.after(delay);
        self.world.tasks[task.index()]
            .times
            .set(Moment::Healthy, healthy_at);
        self.schedule(healthy_at, Event::TaskHealthy(task));
        let s = self.service_mut(sid);
        s.health_due.push(Reverse((healthy_at, task)));
        s.throttle = Throttle::default();
        let d = &mut s.deployments[dep];
        d.had_running_task = true;
        d.failed_tasks = 0;
        self.schedule_reconcile(sid);
    }

    fn health_delay(&mut self, sid: ServiceId) -> SimDuration {
        let s = self.world.service(sid);
        if !s.has_load_balancers {
            return self.timing.healthy.draw(&mut self.rng);
        }
        let grace = SimDuration::from_secs(s.health_check_grace_period_s);
        self.timing
            .load_balancer_healthy
            .draw(&mut self.rng)
            .max(grace)
    }

    /// Counts the service's tasks whose health delay has passed by now (each once, while it is
    /// live and RUNNING), so the deployments' `healthy_tasks` equal what `is_healthy` says at
    /// this time, whatever order same-time events ran in.
    pub(super) fn absorb_health(&mut self, sid: ServiceId) {
        let now = self.now;
        while let Some(&Reverse((at, task))) = self.world.service(sid).health_due.peek() {
            if at > now {
                break;
            }
            self.service_mut(sid).health_due.pop();
            let t = &mut self.world.tasks[task.index()];
            if let (true, Some((_, dep))) = (t.turns_healthy_at(at), t.service) {
                t.health_counted = true;
                self.service_mut(sid).deployments[dep].healthy_tasks += 1;
            }
        }
    }

    pub(super) fn on_task_healthy(&mut self, task: TaskId) {
        if let Some((sid, _)) = self.world.task(task).service {
            self.schedule_reconcile(sid);
        }
    }

    /// A service task STOPPED: one that never ran counts as a failed start (§5.8, §5.9).
    pub(crate) fn on_service_task_stopped(&mut self, task: TaskId) {
        let t = self.world.task(task);
        let Some((sid, dep)) = t.service else { return };
        let by_scheduler = t.stop.as_ref().and_then(|c| c.code)
            == Some(crate::task::StopCode::ServiceSchedulerInitiated);
        if t.started_at().is_none() && !by_scheduler {
            self.start_failed(sid, dep);
        }
        self.schedule_reconcile(sid);
    }

    /// Counts a failed start: the deployment's failedTasks, the throttle's backoff, the circuit
    /// breaker.
    pub(crate) fn start_failed(&mut self, sid: ServiceId, dep: usize) {
        let now = self.now;
        let s = self.service_mut(sid);
        if !s.deployments[dep].had_running_task {
            s.deployments[dep].failed_tasks += 1;
        }
        s.throttle.consecutive_failures += 1;
        let n = s.throttle.consecutive_failures;
        let backoff_s = 10u64.saturating_mul(1 << (n - 1).min(10)).min(900);
        s.throttle.next_attempt_at = now.after(SimDuration::from_secs(backoff_s));
        let retry = s.throttle.next_attempt_at;
        let name = s.name.clone();
        if n == 3 {
            let msg =
                format!("(service {name}) is unable to consistently start tasks successfully.");
            self.service_event(sid, "SERVICE_TASK_START_IMPAIRED", &msg, true);
        }
        self.schedule(retry, Event::Reconcile(sid));
        self.check_circuit_breaker(sid, dep);
    }
}
