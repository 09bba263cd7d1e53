//! Tasks and their containers: lifecycle states, stop codes and timestamps.
//!
//! Lifecycle: PROVISIONING (awsvpc only) → PENDING → RUNNING → STOPPING → STOPPED. A task that is
//! stopped before it runs goes straight to STOPPED. Resources are held from placement until STOPPED.

use crate::ids::{ClusterId, HexId, InstanceId, ServiceId, TaskDefId, TaskId};
use crate::resources::Allocation;
use crate::time::SimTime;
use std::sync::Arc;

/// `Task.lastStatus` (and the statuses a container reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskStatus {
    Provisioning,
    Pending,
    Running,
    Stopping,
    Stopped,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Provisioning => "PROVISIONING",
            TaskStatus::Pending => "PENDING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Stopping => "STOPPING",
            TaskStatus::Stopped => "STOPPED",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        match s {
            "PROVISIONING" => Some(TaskStatus::Provisioning),
            "PENDING" => Some(TaskStatus::Pending),
            "RUNNING" => Some(TaskStatus::Running),
            "STOPPING" => Some(TaskStatus::Stopping),
            "STOPPED" => Some(TaskStatus::Stopped),
            _ => None,
        }
    }
}

/// `Task.desiredStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DesiredStatus {
    Running,
    Stopped,
}

impl DesiredStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DesiredStatus::Running => "RUNNING",
            DesiredStatus::Stopped => "STOPPED",
        }
    }
}

/// `TaskStopCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopCode {
    TaskFailedToStart,
    EssentialContainerExited,
    UserInitiated,
    ServiceSchedulerInitiated,
    SpotInterruption,
    TerminationNotice,
    InfrastructureHealth,
}

impl StopCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StopCode::TaskFailedToStart => "TaskFailedToStart",
            StopCode::EssentialContainerExited => "EssentialContainerExited",
            StopCode::UserInitiated => "UserInitiated",
            StopCode::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
            StopCode::SpotInterruption => "SpotInterruption",
            StopCode::TerminationNotice => "TerminationNotice",
            StopCode::InfrastructureHealth => "InfrastructureHealth",
        }
    }
}

/// Why and how a task is being stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopCause {
    pub code: Option<StopCode>,
    /// Shared by the tasks one cause stops (a deployment's scale-in, an instance's end).
    pub reason: Arc<str>,
}

/// One container of a task, as DescribeTasks shows it. Its `lastStatus` follows its task's
/// (`Task::container_status`) unless the container reported one of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    /// Shared with its task definition.
    pub name: Arc<str>,
    pub uuid: HexId,
    pub essential: bool,
    /// The status the container reported on its own (an agent's container state change, an
    /// essential container's exit) since its task last moved them all; `None` follows the task.
    pub reported: Option<TaskStatus>,
    pub exit_code: Option<i64>,
    pub reason: Option<String>,
    /// (containerPort, hostPort, protocol) for every host binding.
    pub network_bindings: Vec<(u16, u16, &'static str)>,
}

#[derive(Clone, Debug)]
pub struct Task {
    pub id: TaskId,
    /// The 32-hex-digit task id (the last part of its ARN).
    pub uuid: HexId,
    pub cluster: ClusterId,
    pub instance: InstanceId,
    pub task_def: TaskDefId,
    /// Shared with the other tasks of the request or service deployment that placed it.
    pub group: Arc<str>,
    pub started_by: Option<Arc<str>>,
    pub last_status: TaskStatus,
    pub desired_status: DesiredStatus,
    /// What the task holds on its instance (its CPU, memory and ENI are its requirement's).
    pub allocation: Allocation,
    pub containers: Vec<Container>,
    /// Whether some container has a status of its own (`Container::reported`): only then do
    /// the task's transitions touch its containers.
    pub containers_reported: bool,
    pub created_at: SimTime,
    /// When it reached each point of its lifecycle (pull, start, stop, health), if it did.
    pub times: Moments,
    pub stop: Option<StopCause>,
    /// Seconds the agent waits after SIGTERM before SIGKILL.
    pub stop_timeout_s: Option<u64>,
    pub version: u64,
    /// The service and deployment (index into its deployments) that started the task.
    pub service: Option<(ServiceId, usize)>,
    /// Whether its deployment's `healthy_tasks` counts it (a live service task past its
    /// `Moment::Healthy`).
    pub health_counted: bool,
}

/// A point of a task's lifecycle with a time (`Moments`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    PullStarted,
    PullStopped,
    Started,
    Stopping,
    ExecutionStopped,
    Stopped,
    /// When a RUNNING task starts counting as healthy for deployments.
    Healthy,
}

/// A task's lifecycle times: each `Moment`'s time, if it came. 64 bytes, where seven
/// `Option<SimTime>` take 112 (a time may be any u64, so none can stand for "not yet").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moments {
    at: [u64; 7],
    /// Bit `m` set: `at[m]` holds moment `m`'s time.
    came: u8,
}

impl Moments {
    pub fn get(&self, m: Moment) -> Option<SimTime> {
        let i = m as usize;
        (self.came & 1 << i != 0).then(|| SimTime(self.at[i]))
    }

    pub fn set(&mut self, m: Moment, at: SimTime) {
        let i = m as usize;
        self.at[i] = at.0;
        self.came |= 1 << i;
    }
}

/// The status a container shows when it reported none of its own, by its task's status: PENDING
/// until the task runs, RUNNING while it runs and stops, STOPPED once it stopped.
pub fn container_default(task: TaskStatus) -> TaskStatus {
    match task {
        TaskStatus::Provisioning | TaskStatus::Pending => TaskStatus::Pending,
        TaskStatus::Running | TaskStatus::Stopping => TaskStatus::Running,
        TaskStatus::Stopped => TaskStatus::Stopped,
    }
}

impl Task {
    /// The `lastStatus` of container `c` of this task.
    pub fn container_status(&self, c: &Container) -> TaskStatus {
        c.reported
            .unwrap_or_else(|| container_default(self.last_status))
    }

    /// When it turned RUNNING, if it did.
    pub fn started_at(&self) -> Option<SimTime> {
        self.times.get(Moment::Started)
    }

    /// When it counts (or will count) as healthy, once it is RUNNING.
    pub fn healthy_at(&self) -> Option<SimTime> {
        self.times.get(Moment::Healthy)
    }

    /// Whether the task still holds resources on its instance.
    pub fn holds_resources(&self) -> bool {
        self.last_status != TaskStatus::Stopped
    }

    /// Whether the task is to be counted healthy from `at` on (the time it was given when it
    /// turned RUNNING): it is live and RUNNING with that health time, and not counted yet.
    pub fn turns_healthy_at(&self, at: SimTime) -> bool {
        self.desired_status == DesiredStatus::Running
            && self.last_status == TaskStatus::Running
            && self.healthy_at() == Some(at)
            && !self.health_counted
    }

    /// RUNNING and past its health delay.
    pub fn is_healthy(&self, now: SimTime) -> bool {
        self.last_status == TaskStatus::Running && self.healthy_at().is_some_and(|h| h <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_hold_any_time_and_only_the_ones_set() {
        let all = [
            Moment::PullStarted,
            Moment::PullStopped,
            Moment::Started,
            Moment::Stopping,
            Moment::ExecutionStopped,
            Moment::Stopped,
            Moment::Healthy,
        ];
        let mut m = Moments::default();
        assert!(all.iter().all(|x| m.get(*x).is_none()));
        m.set(Moment::Started, SimTime(0));
        m.set(Moment::Healthy, SimTime(u64::MAX));
        m.set(Moment::PullStopped, SimTime(7));
        let got: Vec<_> = all.iter().map(|x| m.get(*x)).collect();
        let want = [None, Some(SimTime(7)), Some(SimTime(0)), None, None, None];
        assert_eq!(got[..6], want);
        assert_eq!(got[6], Some(SimTime(u64::MAX)));
        assert!(std::mem::size_of::<Moments>() <= 64);
    }
}
