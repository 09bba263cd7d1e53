//! Engine operations on clusters, container instances and task definitions.

use super::{Engine, Event, Rejection};
use crate::cluster::{Cluster, ClusterStatus};
use crate::ids::{ClusterId, InstanceId, TaskDefId};
use crate::instance::{AgentUpdateStatus, Attributes, Instance, InstanceStatus, VersionInfo};
use crate::resources::Resources;
use crate::rng::Purpose;
use crate::task::{StopCause, TaskStatus};
use crate::taskdef::{ContainerDef, NetworkMode, TaskDefStatus, TaskDefinition};
use crate::trace::Field;
use std::collections::BTreeSet;

/// The agent version an update brings an instance to.
pub const LATEST_AGENT_VERSION: &str = "1.97.0";

/// A container instance to register.
#[derive(Clone, Debug)]
pub struct InstanceSpec {
    pub cluster: ClusterId,
    /// `None`: a fresh id is drawn (`i-` and 17 hex digits).
    pub ec2_instance_id: Option<String>,
    pub availability_zone: Option<String>,
    pub instance_type: Option<String>,
    pub resources: Resources,
    pub attributes: Attributes,
    pub version_info: VersionInfo,
    pub eni_limit: Option<u32>,
}

/// A task definition revision to register (already validated by the API layer).
#[derive(Clone, Debug)]
pub struct TaskDefSpec {
    pub family: String,
    pub network_mode: NetworkMode,
    pub cpu: Option<i64>,
    pub memory_mib: Option<i64>,
    pub containers: Vec<ContainerDef>,
    pub requires_attributes: Vec<String>,
    pub member_of: Vec<crate::cql::Expr>,
}

impl Engine {
    /// CreateCluster: idempotent for an ACTIVE name; re-activates an INACTIVE one.
    pub fn create_cluster(&mut self, name: &str) -> ClusterId {
        if let Some(id) = self.world.cluster_by_name(name) {
            let c = &mut self.world.clusters[id.index()];
            if c.status == ClusterStatus::Inactive {
                c.status = ClusterStatus::Active;
                self.record("ClusterCreated", vec![("cluster", name.into())]);
            }
            return id;
        }
        let id = ClusterId(self.world.clusters.len() as u32);
        self.world.clusters.push(Cluster {
            not_active_instances: 0,
            name: name.to_string(),
            status: ClusterStatus::Active,
            created_at: self.now,
            instances: Vec::new(),
            tasks: Vec::new(),
        });
        self.record("ClusterCreated", vec![("cluster", name.into())]);
        id
    }

    /// DeleteCluster: only a cluster without registered instances and active tasks.
    pub fn delete_cluster(&mut self, id: ClusterId) -> Result<(), Rejection> {
        if self.world.has_registered_instances(id) {
            return Err(Rejection::new(
                "ClusterContainsContainerInstancesException",
                "The Cluster cannot be deleted while Container Instances are active or draining.",
            ));
        }
        let c = self.world.cluster(id);
        if c.tasks
            .iter()
            .any(|t| self.world.task(*t).holds_resources())
        {
            return Err(Rejection::new(
                "ClusterContainsTasksException",
                "The Cluster cannot be deleted while Tasks are active.",
            ));
        }
        let name = c.name.clone();
        self.world.clusters[id.index()].status = ClusterStatus::Inactive;
        self.record("ClusterDeleted", vec![("cluster", name.into())]);
        Ok(())
    }

    /// RegisterContainerInstance.
    pub fn register_instance(&mut self, spec: InstanceSpec) -> InstanceId {
        let id = InstanceId(self.world.instances.len() as u32);
        let uuid = self.rng.hex_id(Purpose::Ids);
        let ec2 = spec.ec2_instance_id.unwrap_or_else(|| {
            let hex = self.rng.hex_id(Purpose::Ids);
            format!("i-{}", &hex[..17])
        });
        let mut attributes = spec.attributes;
        if let Some(az) = &spec.availability_zone {
            attributes.insert("ecs.availability-zone".into(), Some(az.clone()));
        }
        if let Some(t) = &spec.instance_type {
            attributes.insert("ecs.instance-type".into(), Some(t.clone()));
        }
        self.record(
            "InstanceRegistered",
            vec![
                (
                    "cluster",
                    self.world.cluster(spec.cluster).name.clone().into(),
                ),
                ("ec2InstanceId", ec2.clone().into()),
                ("containerInstanceId", uuid.clone().into()),
                (
                    "availabilityZone",
                    spec.availability_zone.clone().unwrap_or_default().into(),
                ),
            ],
        );
        let zone = spec
            .availability_zone
            .as_deref()
            .map(|z| self.world.zone_id(z));
        self.world.instances.push(Instance {
            id,
            cluster: spec.cluster,
            uuid,
            ec2_instance_id: ec2,
            availability_zone: spec.availability_zone,
            zone,
            instance_type: spec.instance_type,
            status: InstanceStatus::Active,
            agent_connected: true,
            version_info: spec.version_info,
            agent_update_status: None,
            registered_at: self.now,
            attributes,
            remaining: spec.resources.clone(),
            registered: spec.resources,
            dynamic_ports_in_use: BTreeSet::new(),
            eni_limit: spec.eni_limit,
            task_enis: 0,
            tasks: Vec::new(),
            version: 1,
        });
        self.world.clusters[spec.cluster.index()].instances.push(id);
        self.world.file_ec2_id(id);
        self.index.update(&self.world, id);
        self.wake_services(spec.cluster);
        id
    }

    /// DeregisterContainerInstance. Without `force`, an instance with tasks is refused; with it,
    /// the instance's tasks are stopped at once.
    pub fn deregister_instance(&mut self, id: InstanceId, force: bool) -> Result<(), Rejection> {
        let live: Vec<_> = self.world.live_tasks_on(id).map(|t| t.id).collect();
        if !live.is_empty() && !force {
            return Err(Rejection::new(
                "InvalidParameterException",
                "Found running tasks on the instance.",
            ));
        }
        let cause = StopCause {
            code: None,
            reason: "Container instance deregistration forced by user".into(),
        };
        for t in live {
            self.stop_now(t, cause.clone());
        }
        self.set_instance_status(id, InstanceStatus::Inactive);
        self.describe_instance(id).agent_connected = false;
        Ok(())
    }

    /// UpdateContainerInstancesState for one instance (ACTIVE or DRAINING).
    pub fn update_instance_state(
        &mut self,
        id: InstanceId,
        status: InstanceStatus,
    ) -> Result<(), Rejection> {
        if self.world.instance(id).status == InstanceStatus::Inactive {
            return Err(Rejection::new(
                "InvalidParameterException",
                "Container instance is INACTIVE and its state cannot be updated.",
            ));
        }
        if self.world.instance(id).status != status {
            self.set_instance_status(id, status);
        }
        Ok(())
    }

    pub(crate) fn set_instance_status(&mut self, id: InstanceId, status: InstanceStatus) {
        let inst = self.instance_mut(id);
        let was_active = inst.status == InstanceStatus::Active;
        inst.status = status;
        let ec2 = inst.ec2_instance_id.clone();
        let cluster = self.world.instance(id).cluster;
        let not_active = &mut self.world.clusters[cluster.index()].not_active_instances;
        match (was_active, status == InstanceStatus::Active) {
            (true, false) => *not_active += 1,
            (false, true) => *not_active -= 1,
            _ => {}
        }
        self.index.update(&self.world, id);
        self.wake_services(cluster);
        self.record(
            "InstanceStatus",
            vec![
                ("ec2InstanceId", ec2.into()),
                ("status", status.as_str().into()),
            ],
        );
    }

    /// The agent connects or disconnects (`agentConnected`).
    pub fn set_agent_connected(&mut self, id: InstanceId, connected: bool) {
        let current = self.world.instance(id);
        if current.agent_connected == connected || current.status == InstanceStatus::Inactive {
            return;
        }
        let inst = self.describe_instance(id);
        inst.agent_connected = connected;
        let ec2 = inst.ec2_instance_id.clone();
        self.record(
            "AgentConnection",
            vec![
                ("ec2InstanceId", ec2.into()),
                ("agentConnected", connected.into()),
            ],
        );
        let cluster = self.world.instance(id).cluster;
        self.index.update(&self.world, id);
        self.wake_services(cluster);
    }

    /// The EC2 instance terminates: its tasks stop at once and the instance goes INACTIVE.
    pub fn fail_instance(&mut self, id: InstanceId) {
        if self.world.instance(id).status == InstanceStatus::Inactive {
            return;
        }
        let ec2 = self.world.instance(id).ec2_instance_id.clone();
        self.record(
            "InstanceTerminated",
            vec![("ec2InstanceId", ec2.clone().into())],
        );
        let live: Vec<_> = self.world.live_tasks_on(id).map(|t| t.id).collect();
        let cause = StopCause {
            code: None,
            reason: format!("Host EC2 (instance {ec2}) terminated.").into(),
        };
        for t in live {
            self.stop_now(t, cause.clone());
        }
        self.describe_instance(id).agent_connected = false;
        self.set_instance_status(id, InstanceStatus::Inactive);
    }

    /// UpdateContainerAgent: PENDING now, UPDATED to the latest version after the timing delay.
    pub fn update_agent(&mut self, id: InstanceId) -> Result<(), Rejection> {
        let inst = self.world.instance(id);
        if inst.status == InstanceStatus::Inactive || !inst.agent_connected {
            return Err(Rejection::new(
                "ClientException",
                "The container instance is not connected to its agent; the agent cannot be updated.",
            ));
        }
        if inst.version_info.agent_version.is_none() {
            return Err(Rejection::new(
                "MissingVersionException",
                "Amazon ECS can't determine the current version of the Amazon ECS container agent on the container instance and doesn't have enough information to proceed with an update.",
            ));
        }
        if inst.agent_update_status == Some(AgentUpdateStatus::Pending) {
            return Err(Rejection::new(
                "UpdateInProgressException",
                "There is already a current Amazon ECS container agent update in progress on the container instance.",
            ));
        }
        if inst.version_info.agent_version.as_deref() == Some(LATEST_AGENT_VERSION) {
            return Err(Rejection::new(
                "NoUpdateAvailableException",
                "There is no update available for your container agent.",
            ));
        }
        self.instance_mut(id).agent_update_status = Some(AgentUpdateStatus::Pending);
        let delay = self.timing.agent_update.draw(&mut self.rng);
        self.schedule(self.now.after(delay), Event::AgentUpdated(id));
        Ok(())
    }

    pub(super) fn on_agent_updated(&mut self, id: InstanceId) {
        let current = self.world.instance(id);
        let pending = current.agent_update_status == Some(AgentUpdateStatus::Pending);
        if current.status == InstanceStatus::Inactive || !pending {
            return;
        }
        let inst = self.describe_instance(id);
        inst.agent_update_status = Some(AgentUpdateStatus::Updated);
        inst.version_info.agent_version = Some(LATEST_AGENT_VERSION.into());
        let ec2 = inst.ec2_instance_id.clone();
        self.record(
            "AgentUpdated",
            vec![
                ("ec2InstanceId", ec2.into()),
                ("agentVersion", LATEST_AGENT_VERSION.into()),
            ],
        );
    }

    /// PutAttributes for one attribute: creates it or replaces its value.
    pub fn put_attribute(&mut self, id: InstanceId, name: &str, value: Option<String>) {
        let ec2 = self.world.instance(id).ec2_instance_id.clone();
        let fields = vec![
            ("ec2InstanceId", ec2.into()),
            ("name", name.into()),
            ("value", value.clone().unwrap_or_default().into()),
        ];
        self.describe_instance(id)
            .attributes
            .insert(name.to_string(), value);
        self.record("AttributePut", fields);
        let cluster = self.world.instance(id).cluster;
        self.index.update(&self.world, id);
        self.wake_services(cluster);
    }

    /// DeleteAttributes for one attribute (absent: nothing happens).
    pub fn delete_attribute(&mut self, id: InstanceId, name: &str) {
        if !self.world.instance(id).attributes.contains_key(name) {
            return;
        }
        let ec2 = self.world.instance(id).ec2_instance_id.clone();
        self.describe_instance(id).attributes.remove(name);
        let cluster = self.world.instance(id).cluster;
        self.index.update(&self.world, id);
        self.wake_services(cluster);
        self.record(
            "AttributeDeleted",
            vec![("ec2InstanceId", ec2.into()), ("name", name.into())],
        );
    }

    /// RegisterTaskDefinition: the next revision of the family.
    pub fn register_task_def(&mut self, spec: TaskDefSpec) -> TaskDefId {
        let id = TaskDefId(self.world.task_defs.len() as u32);
        let revisions = self.world.families.entry(spec.family.clone()).or_default();
        let revision = revisions.len() as u32 + 1;
        revisions.push(id);
        self.record(
            "TaskDefinitionRegistered",
            vec![
                ("family", spec.family.clone().into()),
                ("revision", revision.into()),
            ],
        );
        self.world.task_defs.push(TaskDefinition {
            id,
            family: spec.family,
            revision,
            status: TaskDefStatus::Active,
            network_mode: spec.network_mode,
            cpu: spec.cpu,
            memory_mib: spec.memory_mib,
            containers: spec.containers,
            requires_attributes: spec.requires_attributes,
            member_of: spec.member_of,
            registered_at: self.now,
            deregistered_at: None,
        });
        id
    }

    /// DeregisterTaskDefinition: the revision becomes INACTIVE (idempotent).
    pub fn deregister_task_def(&mut self, id: TaskDefId) {
        let now = self.now;
        let td = &mut self.world.task_defs[id.index()];
        if td.status == TaskDefStatus::Inactive {
            return;
        }
        td.status = TaskDefStatus::Inactive;
        td.deregistered_at = Some(now);
        let fields = vec![
            ("family", td.family.clone().into()),
            ("revision", Field::from(td.revision)),
        ];
        self.record("TaskDefinitionDeregistered", fields);
    }

    pub(crate) fn instance_mut(&mut self, id: InstanceId) -> &mut Instance {
        let inst = &mut self.world.instances[id.index()];
        inst.version += 1;
        inst
    }

    /// The instance, for a change to what memberOf expressions that look at no task read (its
    /// attributes, agent connection or agent version): also moves the world's
    /// `description_epoch`, which the index's memberOf verdicts are kept under.
    pub(crate) fn describe_instance(&mut self, id: InstanceId) -> &mut Instance {
        self.world.description_epoch += 1;
        self.instance_mut(id)
    }

    /// Whether any task on the instance is not yet STOPPED.
    pub fn instance_has_live_tasks(&self, id: InstanceId) -> bool {
        self.world.live_tasks_on(id).next().is_some()
    }

    /// Tasks of an instance in a given status (for tests and reports); STOPPED tasks have left
    /// the instance, so they count 0.
    pub fn tasks_in_status(&self, id: InstanceId, status: TaskStatus) -> usize {
        self.world
            .instance(id)
            .tasks
            .iter()
            .filter(|t| self.world.task(**t).last_status == status)
            .count()
    }
}
