//! A small world built by hand for the placement unit tests.

use super::PlacementInput;
use crate::cluster::{Cluster, ClusterStatus};
use crate::ids::{ClusterId, HexId, InstanceId, TaskDefId, TaskId};
use crate::instance::{Attributes, Instance, InstanceStatus, VersionInfo};
use crate::resources::{Allocation, Held, Requirement, Resources};
use crate::task::{DesiredStatus, Task, TaskStatus};
use crate::time::SimTime;
use crate::world::World;
use std::collections::BTreeSet;

pub struct Fixture {
    pub world: World,
}

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

impl Fixture {
    /// `n` ACTIVE, connected instances of `cpu`/`memory_mib`, zones a, b, c round-robin.
    pub fn new(n: usize, cpu: i64, memory_mib: i64) -> Fixture {
        let mut world = World::default();
        world.clusters.push(Cluster {
            not_active_instances: 0,
            name: "default".into(),
            status: ClusterStatus::Active,
            created_at: SimTime::ZERO,
            instances: Vec::new(),
            tasks: Vec::new(),
        });
        for i in 0..n {
            let zone = ZONES[i % 3].to_string();
            let attributes: Attributes =
                [("ecs.availability-zone".to_string(), Some(zone.clone()))].into();
            let resources = Resources::new(cpu, memory_mib);
            let zone_id = world.zone_id(&zone);
            world.instances.push(Instance {
                id: InstanceId(i as u32),
                cluster: ClusterId(0),
                uuid: format!("{i:032x}"),
                ec2_instance_id: format!("i-{i}"),
                zone: Some(zone_id),
                availability_zone: Some(zone),
                instance_type: None,
                status: InstanceStatus::Active,
                agent_connected: true,
                version_info: VersionInfo::default(),
                agent_update_status: None,
                registered_at: SimTime::ZERO,
                attributes,
                remaining: resources.clone(),
                registered: resources,
                dynamic_ports_in_use: BTreeSet::new(),
                eni_limit: None,
                task_enis: 0,
                tasks: Vec::new(),
                version: 1,
            });
            world.clusters[0].instances.push(InstanceId(i as u32));
            world.file_ec2_id(InstanceId(i as u32));
        }
        Fixture { world }
    }

    pub fn inst(&self, i: usize) -> &Instance {
        &self.world.instances[i]
    }

    /// Places a task of group `family:test` on instance `i`, taking its resources.
    pub fn place(&mut self, i: usize, req: Requirement) -> TaskId {
        self.place_in_group(i, req, "family:test")
    }

    pub fn place_in_group(&mut self, i: usize, req: Requirement, group: &str) -> TaskId {
        let id = TaskId(self.world.tasks.len() as u32);
        let inst = &mut self.world.instances[i];
        inst.remaining.cpu -= req.cpu;
        inst.remaining.memory_mib -= req.memory_mib;
        inst.remaining
            .ports_tcp
            .extend(req.ports_tcp.iter().copied());
        inst.remaining
            .ports_udp
            .extend(req.ports_udp.iter().copied());
        inst.tasks.push(id);
        let held = Held {
            ports_tcp: req.ports_tcp.clone(),
            ports_udp: req.ports_udp.clone(),
            ..Held::default()
        };
        let allocation = Allocation::new(req.cpu, req.memory_mib, 0, false, held);
        self.world.tasks.push(Task {
            id,
            uuid: HexId::parse(&format!("{:032x}", 1000 + id.0)).expect("32 hex digits"),
            cluster: ClusterId(0),
            instance: InstanceId(i as u32),
            task_def: TaskDefId(0),
            group: group.into(),
            started_by: None,
            last_status: TaskStatus::Running,
            desired_status: DesiredStatus::Running,
            allocation,
            containers: Vec::new(),
            containers_reported: false,
            created_at: SimTime::ZERO,
            times: Default::default(),
            stop: None,
            stop_timeout_s: None,
            version: 1,
            service: None,
            health_counted: false,
        });
        self.world.count_shape(id, 1);
        self.world.join_group(id);
        self.world.clusters[0].tasks.push(id);
        id
    }
}

/// An input with no constraints, in group `family:web`.
pub fn input(req: &Requirement) -> PlacementInput<'_> {
    PlacementInput {
        requirement: req,
        required_attributes: &[],
        allowed_zones: None,
        member_of: &[],
        distinct_instance: false,
        group: "family:web",
        epoch_unix_ms: 0,
    }
}
