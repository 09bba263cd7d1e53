//! Container instances: identity, status, agent, attributes and resources.

use crate::ids::{ClusterId, InstanceId, TaskId, ZoneId};
use crate::resources::Resources;
use crate::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// `ContainerInstance.status`. Only ACTIVE instances take new tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InstanceStatus {
    Active,
    Draining,
    Inactive,
}

impl InstanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Active => "ACTIVE",
            InstanceStatus::Draining => "DRAINING",
            InstanceStatus::Inactive => "INACTIVE",
        }
    }

    pub fn parse(s: &str) -> Option<InstanceStatus> {
        match s {
            "ACTIVE" => Some(InstanceStatus::Active),
            "DRAINING" => Some(InstanceStatus::Draining),
            "INACTIVE" => Some(InstanceStatus::Inactive),
            _ => None,
        }
    }
}

/// `AgentUpdateStatus` of UpdateContainerAgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentUpdateStatus {
    Pending,
    Updated,
}

impl AgentUpdateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentUpdateStatus::Pending => "PENDING",
            AgentUpdateStatus::Updated => "UPDATED",
        }
    }
}

/// The ECS `VersionInfo` shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionInfo {
    pub agent_version: Option<String>,
    pub agent_hash: Option<String>,
    pub docker_version: Option<String>,
}

/// Attributes by name; a value of `None` is an attribute without a value.
pub type Attributes = BTreeMap<String, Option<String>>;

#[derive(Clone, Debug)]
pub struct Instance {
    pub id: InstanceId,
    pub cluster: ClusterId,
    /// The 32-hex-digit container instance id (the last part of its ARN).
    pub uuid: String,
    pub ec2_instance_id: String,
    pub availability_zone: Option<String>,
    /// `availability_zone` as the world's number (`World::zone_name` gives the name back).
    pub zone: Option<ZoneId>,
    pub instance_type: Option<String>,
    pub status: InstanceStatus,
    pub agent_connected: bool,
    pub version_info: VersionInfo,
    pub agent_update_status: Option<AgentUpdateStatus>,
    pub registered_at: SimTime,
    pub attributes: Attributes,
    pub registered: Resources,
    pub remaining: Resources,
    /// Dynamic host ports handed out to tasks, so two tasks never share one.
    pub dynamic_ports_in_use: BTreeSet<u16>,
    /// Network interfaces the instance can attach, the primary included; `None` = unlimited.
    pub eni_limit: Option<u32>,
    /// ENIs attached for awsvpc tasks (the primary interface is not counted here).
    pub task_enis: u32,
    /// The tasks placed here that are not yet STOPPED, in placement order (a task leaves the
    /// list when it stops, so work over an instance's tasks stays proportional to what it runs).
    pub tasks: Vec<TaskId>,
    /// Incremented on every change, as `ContainerInstance.version`.
    pub version: u64,
}

/// Whether an attribute name is one ECS or its agent sets (not a custom attribute).
pub fn is_builtin_attribute(name: &str) -> bool {
    name.starts_with("ecs.") || name.starts_with("com.amazonaws.ecs.")
}

/// "You can apply up to 10 custom attributes for each resource."
pub const MAX_CUSTOM_ATTRIBUTES: usize = 10;

impl Instance {
    /// How many custom attributes the instance has.
    pub fn custom_attribute_count(&self) -> usize {
        self.attributes
            .keys()
            .filter(|k| !is_builtin_attribute(k))
            .count()
    }

    /// Whether another awsvpc task's ENI fits (the primary interface takes one slot).
    pub fn eni_available(&self) -> bool {
        self.eni_limit
            .is_none_or(|limit| self.task_enis + 1 < limit)
    }
}
