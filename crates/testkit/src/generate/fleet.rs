//! Generated fleets: groups of container instances with catalogue-like CPU and memory sizes,
//! spread round-robin over one to three Availability Zones, with an optional custom attribute,
//! GPUs sometimes and an ENI limit (a catalogue instance type) sometimes.

use proptest::prelude::*;
use serde_json::{Value, json};

/// The Availability Zones a generated fleet draws from (in this order).
pub const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// The subnet of each zone, for awsvpc tasks.
pub const SUBNETS: [(&str, &str); 3] = [
    ("subnet-a", "us-east-1a"),
    ("subnet-b", "us-east-1b"),
    ("subnet-c", "us-east-1c"),
];

/// Registered (CPU units, MEMORY MiB) of common ECS-optimized instance sizes.
pub const SIZES: [(i64, i64); 5] = [
    (1024, 1932),
    (2048, 3828),
    (2048, 7680),
    (4096, 15_576),
    (8192, 31_368),
];

/// Catalogue instance types used only for their ENI limit (resources are overridden).
pub const ENI_TYPES: [(&str, u32); 2] = [("c5.large", 3), ("c5.xlarge", 4)];

/// The ENI limit of the instance types a generated fleet uses (the scenario catalogue's).
pub fn eni_limit_of(instance_type: &str) -> Option<u32> {
    ENI_TYPES
        .iter()
        .find(|(t, _)| *t == instance_type)
        .map(|(_, l)| *l)
}

/// The custom attribute a fleet group may carry (`stack`), and its possible values.
pub const STACK_VALUES: [&str; 2] = ["blue", "green"];

/// One `containerInstances` entry: `count` identical instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetGroup {
    /// `ec2InstanceIdPrefix`: the instances are `PREFIX-1`, `PREFIX-2`, ...
    pub prefix: String,
    pub count: u32,
    pub cpu: i64,
    pub memory_mib: i64,
    pub zones: Vec<String>,
    /// Value of the custom attribute `stack`.
    pub stack: Option<String>,
    pub gpus: Option<u32>,
    /// A catalogue type, for its ENI limit.
    pub instance_type: Option<String>,
}

impl FleetGroup {
    pub fn ec2_ids(&self) -> Vec<String> {
        (1..=self.count)
            .map(|i| format!("{}-{i}", self.prefix))
            .collect()
    }

    /// The zone of instance number `i` (0-based), round-robin as the scenario fleet does.
    pub fn zone_of(&self, i: usize) -> &str {
        &self.zones[i % self.zones.len()]
    }

    fn resources(&self) -> Vec<Value> {
        let mut r = vec![
            json!({"name": "CPU", "type": "INTEGER", "integerValue": self.cpu}),
            json!({"name": "MEMORY", "type": "INTEGER", "integerValue": self.memory_mib}),
        ];
        if let Some(g) = self.gpus {
            r.push(json!({"name": "GPU", "type": "INTEGER", "integerValue": g}));
        }
        r
    }

    /// RegisterContainerInstance bodies, as the agent sends them.
    pub fn register_bodies(&self) -> Vec<Value> {
        let mut attributes = vec![json!({"name": "ecs.capability.task-eni"})];
        if let Some(s) = &self.stack {
            attributes.push(json!({"name": "stack", "value": s}));
        }
        self.ec2_ids()
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut doc = json!({"instanceId": id, "availabilityZone": self.zone_of(i),
                                     "region": "us-east-1"});
                if let Some(t) = &self.instance_type {
                    doc["instanceType"] = json!(t);
                }
                json!({
                    "instanceIdentityDocument": doc.to_string(),
                    "totalResources": self.resources(),
                    "attributes": attributes,
                    "versionInfo": {"agentVersion": "1.90.0", "agentHash": "ecsim",
                                    "dockerVersion": "DockerVersion: 25.0.8"},
                })
            })
            .collect()
    }

    /// The `containerInstances` entry (YAML, with JSON flow values).
    pub fn yaml(&self) -> String {
        let mut s = format!(
            "  - count: {}\n    ec2InstanceIdPrefix: {}\n    availabilityZones: {}\n    totalResources: {}\n",
            self.count,
            self.prefix,
            json!(self.zones),
            json!(self.resources())
        );
        if let Some(t) = &self.instance_type {
            s.push_str(&format!("    instanceType: {t}\n"));
        }
        if let Some(v) = &self.stack {
            s.push_str(&format!("    attributes: {}\n", json!({"stack": v})));
        }
        s
    }
}

/// A fleet group of 1-4 instances over `zones`.
pub fn fleet_group(zones: Vec<String>) -> impl Strategy<Value = FleetGroup> {
    (
        1u32..=4,
        prop::sample::select(SIZES.to_vec()),
        prop::option::weighted(0.5, prop::sample::select(STACK_VALUES.to_vec())),
        prop::option::weighted(0.2, 1u32..=4),
        prop::option::weighted(0.3, prop::sample::select(ENI_TYPES.to_vec())),
    )
        .prop_map(move |(count, (cpu, mem), stack, gpus, itype)| FleetGroup {
            prefix: String::new(),
            count,
            cpu,
            memory_mib: mem,
            zones: zones.clone(),
            stack: stack.map(str::to_string),
            gpus,
            instance_type: itype.map(|(t, _)| t.to_string()),
        })
}

/// A fleet: 1-3 groups over 1-3 zones; groups are named `i-g0`, `i-g1`, ...
pub fn fleet() -> impl Strategy<Value = Vec<FleetGroup>> {
    (1usize..=3)
        .prop_flat_map(|n| {
            let zones: Vec<String> = ZONES[..n].iter().map(|z| z.to_string()).collect();
            prop::collection::vec(fleet_group(zones), 1..=3)
        })
        .prop_map(|mut groups| {
            for (i, g) in groups.iter_mut().enumerate() {
                g.prefix = format!("i-g{i}");
            }
            groups
        })
}
