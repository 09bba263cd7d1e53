//! Clusters: a name, a status, and the instances and tasks registered in it.

use crate::ids::{InstanceId, TaskId};
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClusterStatus {
    Active,
    Inactive,
}

impl ClusterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterStatus::Active => "ACTIVE",
            ClusterStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub status: ClusterStatus,
    pub created_at: SimTime,
    /// Every instance ever registered here, in registration order.
    pub instances: Vec<InstanceId>,
    /// Every task ever started here, in creation order.
    pub tasks: Vec<TaskId>,
    /// Instances whose status is not ACTIVE (DRAINING or INACTIVE): while there is none, no
    /// task of the cluster sits on a draining instance, which the scheduler's fast path needs.
    pub not_active_instances: u32,
}
