//! Services and their deployments (§5): what the service scheduler keeps running.
//!
//! A service has one PRIMARY deployment (the newest) and possibly ACTIVE ones still holding
//! tasks of an older task definition; a deployment with no tasks left becomes INACTIVE. Events
//! are kept in full here; the API shows the newest 100.

use crate::cql::Expr;
use crate::ids::{ClusterId, HexId, InstanceId, ServiceId, TaskDefId, TaskId, ZoneId};
use crate::placement::Strategy;
use crate::time::SimTime;
use crate::world::TaskList;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceStatus {
    Active,
    Draining,
    Inactive,
}

impl ServiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "ACTIVE",
            ServiceStatus::Draining => "DRAINING",
            ServiceStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduling {
    Replica,
    Daemon,
}

impl Scheduling {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheduling::Replica => "REPLICA",
            Scheduling::Daemon => "DAEMON",
        }
    }
}

/// `deploymentCircuitBreaker`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

/// `deploymentConfiguration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeploymentConfig {
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub circuit_breaker: CircuitBreaker,
}

impl DeploymentConfig {
    /// The API defaults: 100/200 for REPLICA, 0/100 for DAEMON.
    pub fn default_for(s: Scheduling) -> DeploymentConfig {
        let (min, max) = match s {
            Scheduling::Replica => (100, 200),
            Scheduling::Daemon => (0, 100),
        };
        DeploymentConfig {
            minimum_healthy_percent: min,
            maximum_percent: max,
            circuit_breaker: CircuitBreaker::default(),
        }
    }

    /// "rounded up to the nearest integer".
    pub fn min_healthy(&self, desired: u32) -> u32 {
        (u64::from(desired) * u64::from(self.minimum_healthy_percent)).div_ceil(100) as u32
    }

    /// "rounded down".
    pub fn max_tasks(&self, desired: u32) -> u32 {
        (u64::from(desired) * u64::from(self.maximum_percent) / 100) as u32
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentStatus {
    Primary,
    Active,
    Inactive,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Primary => "PRIMARY",
            DeploymentStatus::Active => "ACTIVE",
            DeploymentStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

impl RolloutState {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Completed => "COMPLETED",
            RolloutState::Failed => "FAILED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Deployment {
    /// `ecs-svc/` and 19 digits.
    pub id: String,
    pub status: DeploymentStatus,
    pub task_def: TaskDefId,
    pub rollout_state: RolloutState,
    pub rollout_reason: String,
    /// Consecutive tasks that failed to start (reset once one runs).
    pub failed_tasks: u32,
    /// Whether a task of this deployment has reached RUNNING.
    pub had_running_task: bool,
    /// Tasks of this deployment whose desiredStatus is RUNNING.
    pub live_tasks: u32,
    /// Live tasks counted healthy: RUNNING and past their health delay, counted when the engine
    /// absorbs `Service::health_due` (before every reconcile), uncounted when they stop.
    pub healthy_tasks: u32,
    /// Tasks of this deployment in STOPPING.
    pub stopping_tasks: u32,
    /// Live tasks whose lastStatus is RUNNING.
    pub running_tasks: u32,
    pub created_at: SimTime,
    pub updated_at: SimTime,
}

/// A service event (`ServiceEvent`), with its EventBridge-style name for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEvent {
    pub id: HexId,
    pub at: SimTime,
    pub name: &'static str,
    pub message: String,
}

/// A service's events as ECS keeps them: "A maximum of 100 of the latest events"
/// (`Service.events`, ecs-semantics §5.11), oldest first. Older ones are dropped; how many
/// there were and when the first steady state came are kept for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceEvents {
    latest: VecDeque<ServiceEvent>,
    total: u64,
    first_steady_at: Option<SimTime>,
}

impl ServiceEvents {
    /// How many of the latest events a service keeps.
    pub const KEPT: usize = 100;

    /// A new event, the newest; the oldest kept goes when `KEPT` are kept.
    pub fn push(&mut self, event: ServiceEvent) {
        if event.name == "SERVICE_STEADY_STATE" && self.first_steady_at.is_none() {
            self.first_steady_at = Some(event.at);
        }
        if self.latest.len() == Self::KEPT {
            self.latest.pop_front();
        }
        self.latest.push_back(event);
        self.total += 1;
    }

    /// The events kept, oldest first.
    pub fn latest(&self) -> impl DoubleEndedIterator<Item = &ServiceEvent> + ExactSizeIterator {
        self.latest.iter()
    }

    /// How many events the service ever had.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// When the service first reached a steady state (`SERVICE_STEADY_STATE`), if it did.
    pub fn first_steady_at(&self) -> Option<SimTime> {
        self.first_steady_at
    }
}

/// The service's throttle of failing starts (§5.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Throttle {
    pub consecutive_failures: u32,
    /// No task is started before this time.
    pub next_attempt_at: SimTime,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub id: ServiceId,
    pub cluster: ClusterId,
    pub name: String,
    /// The task group of its tasks, "service:" and the name (a name never changes).
    pub task_group: Arc<str>,
    pub status: ServiceStatus,
    pub scheduling: Scheduling,
    pub desired_count: u32,
    pub config: DeploymentConfig,
    pub member_of: Vec<Expr>,
    pub distinct_instance: bool,
    /// Empty: the default AZ balance (REPLICA) or none (DAEMON).
    pub strategies: Vec<Strategy>,
    /// awsvpc: the zones of the service's subnets, when known.
    pub allowed_zones: Option<Vec<String>>,
    pub health_check_grace_period_s: u64,
    pub has_load_balancers: bool,
    /// Newest last; the last one is PRIMARY.
    pub deployments: Vec<Deployment>,
    pub events: ServiceEvents,
    pub throttle: Throttle,
    pub created_at: SimTime,
    /// Whether the last event said the service is at steady state (to send it once a change).
    pub steady: bool,
    /// The tasks the service started that are not yet STOPPED, in creation order (a task leaves
    /// the list when it stops, so each reconcile costs what the service runs, not its history).
    pub tasks: TaskList,
    /// A reconcile is already scheduled.
    pub reconcile_scheduled: bool,
    /// The last placement-failure message, to suppress repeats (ECS shows a cause once).
    pub last_failure_message: Option<String>,
    /// Whether the "unable to stop or start tasks" event was sent for the current deployment.
    pub blocked_reported: bool,
    /// RUNNING tasks not yet counted healthy, by the time they turn healthy (earliest first).
    pub health_due: BinaryHeap<Reverse<(SimTime, TaskId)>>,
    /// The live tasks of the older deployments: what a rolling deployment replaces.
    pub retiring: Retiring,
    /// Live RUNNING tasks per Availability Zone of their instance (instances without a zone
    /// are not counted), few zones, in first-seen order.
    pub running_by_zone: Vec<(ZoneId, u32)>,
}

/// A live task of an older deployment, with what scale-in looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetiringTask {
    pub task: TaskId,
    pub instance: InstanceId,
    pub cpu: i64,
    pub memory_mib: i64,
}

/// The live tasks of a service's older deployments, in id order: set when a deployment starts
/// (the tasks live then are the older ones from then on, since new tasks start in the PRIMARY),
/// and each removed when it is told to stop (marked gone, the list compacted once half gone),
/// so a reconcile finds them without walking the service's tasks.
///
/// Positions in the list hold from one reset or compaction to the next (an epoch, numbered), and
/// the positions marked gone in the epoch are logged in order, so that a reader can keep what it
/// derives from the list and catch up with the removals only.
#[derive(Clone, Debug, Default)]
pub struct Retiring {
    entries: Vec<(RetiringTask, bool)>,
    gone: usize,
    epoch: u64,
    removed: Vec<u32>,
}

impl Retiring {
    /// The older deployments' live tasks are now `tasks` (in id order).
    pub fn reset(&mut self, tasks: impl IntoIterator<Item = RetiringTask>) {
        self.entries = tasks.into_iter().map(|t| (t, false)).collect();
        self.new_epoch();
        debug_assert!(self.entries.is_sorted_by_key(|(t, _)| t.task));
    }

    /// `task` no longer counts (it was told to stop); nothing when it is not listed.
    pub fn remove(&mut self, task: TaskId) {
        let Ok(at) = self.entries.binary_search_by_key(&task, |(t, _)| t.task) else {
            return;
        };
        if !std::mem::replace(&mut self.entries[at].1, true) {
            self.gone += 1;
            self.removed.push(at as u32);
        }
        if self.gone * 2 > self.entries.len() {
            self.entries.retain(|(_, gone)| !gone);
            self.new_epoch();
        }
    }

    /// Positions change (or the list is new): nothing is gone or logged any more.
    fn new_epoch(&mut self) {
        self.gone = 0;
        self.removed.clear();
        self.epoch += 1;
    }

    /// The epoch the positions belong to.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Every entry of the epoch, in id order, with whether it is gone.
    pub fn entries(&self) -> &[(RetiringTask, bool)] {
        &self.entries
    }

    /// The positions marked gone in this epoch, in the order they went.
    pub fn removed(&self) -> &[u32] {
        &self.removed
    }

    /// The listed tasks, in id order.
    pub fn tasks(&self) -> impl Iterator<Item = &RetiringTask> {
        self.entries
            .iter()
            .filter(|(_, gone)| !gone)
            .map(|(t, _)| t)
    }

    /// How many are listed.
    pub fn len(&self) -> usize {
        self.entries.len() - self.gone
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Service {
    /// Live RUNNING tasks on instances in `zone`.
    pub fn running_in_zone(&self, zone: ZoneId) -> u32 {
        self.running_by_zone
            .iter()
            .find(|(z, _)| *z == zone)
            .map_or(0, |(_, n)| *n)
    }

    /// A live task turned RUNNING (`delta` 1) or stopped being live and RUNNING (-1) in `zone`.
    pub fn count_running_in_zone(&mut self, zone: ZoneId, delta: i32) {
        match self.running_by_zone.iter_mut().find(|(z, _)| *z == zone) {
            Some((_, n)) => *n = n.saturating_add_signed(delta),
            None => self
                .running_by_zone
                .push((zone, 0u32.saturating_add_signed(delta))),
        }
    }

    /// Live tasks healthy at `now`: the counted ones, and those whose health delay has passed
    /// since the engine last counted (a read-only look at `health_due`).
    pub fn healthy_tasks_at(&self, world: &crate::world::World, now: SimTime) -> u32 {
        let counted: u32 = self.deployments.iter().map(|d| d.healthy_tasks).sum();
        let due = self
            .health_due
            .iter()
            .filter(|Reverse((at, t))| *at <= now && world.task(*t).turns_healthy_at(*at));
        counted + due.count() as u32
    }

    /// The task group of the service's tasks.
    pub fn group(&self) -> &str {
        &self.task_group
    }

    pub fn primary(&self) -> &Deployment {
        &self.deployments[self.deployments.len() - 1]
    }

    pub fn primary_index(&self) -> usize {
        self.deployments.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_rounding() {
        let c = |min, max| DeploymentConfig {
            minimum_healthy_percent: min,
            maximum_percent: max,
            circuit_breaker: CircuitBreaker::default(),
        };
        // min 50 %, desired 4: two may stop; min 75 %, desired 2: none may stop.
        assert_eq!(c(50, 200).min_healthy(4), 2);
        assert_eq!(c(75, 200).min_healthy(2), 2);
        // max 200 %, desired 4: four may start; max 125 %, desired 3: none may start.
        assert_eq!(c(100, 200).max_tasks(4), 8);
        assert_eq!(c(100, 125).max_tasks(3), 3);
        assert_eq!(c(100, 150).max_tasks(3), 4);
    }

    #[test]
    fn events_keep_the_latest_hundred_and_remember_the_first_steady_state() {
        let mut events = ServiceEvents::default();
        for n in 0..250u64 {
            let name = if n == 3 || n == 200 {
                "SERVICE_STEADY_STATE"
            } else {
                "SERVICE_TASKS_STARTED"
            };
            let id = HexId::parse(&format!("{n:032x}")).expect("32 hex digits");
            let message = String::new();
            events.push(ServiceEvent {
                id,
                at: SimTime(n * 10),
                name,
                message,
            });
        }
        let kept: Vec<&str> = events.latest().map(|e| e.id.as_str()).collect();
        let want: Vec<String> = (150..250u64).map(|n| format!("{n:032x}")).collect();
        assert_eq!(kept, want);
        assert_eq!(events.total(), 250);
        assert_eq!(events.first_steady_at(), Some(SimTime(30)));
    }
}
