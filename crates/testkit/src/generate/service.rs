//! Generated services: REPLICA (desired 0-8) or DAEMON, placement strategies, `memberOf`
//! constraints from a small set that always parses, `distinctInstance`, and the deployment
//! configurations of ecs-semantics §5.3 (100/200, 50/200, 0/100, 100/100).

use super::fleet::SUBNETS;
use super::taskdef::{TaskDefPlan, task_def};
use proptest::prelude::*;
use serde_json::{Value, json};

/// `memberOf` expressions that are valid against any generated fleet.
pub const MEMBER_OF: [&str; 3] = [
    "attribute:stack == blue",
    "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
    "attribute:ecs.availability-zone != us-east-1c",
];

/// (minimumHealthyPercent, maximumPercent) of a REPLICA service.
pub const REPLICA_CONFIGS: [(u32, u32); 4] = [(100, 200), (50, 200), (0, 100), (100, 100)];

/// One service and the task definition family it deploys (named after the service).
#[derive(Clone, Debug, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub task_def: TaskDefPlan,
    pub desired: u32,
    pub daemon: bool,
    pub strategies: Vec<Value>,
    pub member_of: Option<String>,
    pub distinct_instance: bool,
    pub min_healthy: u32,
    pub max_percent: u32,
}

impl ServicePlan {
    /// The CreateService body (revision 1 of its family).
    pub fn create_body(&self) -> Value {
        let mut b = json!({
            "serviceName": self.name,
            "taskDefinition": format!("{}:1", self.task_def.family),
            "deploymentConfiguration": {"minimumHealthyPercent": self.min_healthy,
                                        "maximumPercent": self.max_percent},
        });
        if self.daemon {
            b["schedulingStrategy"] = json!("DAEMON");
        } else {
            b["desiredCount"] = json!(self.desired);
            b["placementStrategy"] = json!(self.strategies);
        }
        let mut constraints = Vec::new();
        if let Some(e) = &self.member_of {
            constraints.push(json!({"type": "memberOf", "expression": e}));
        }
        if self.distinct_instance {
            constraints.push(json!({"type": "distinctInstance"}));
        }
        b["placementConstraints"] = json!(constraints);
        if let Some(n) = network_configuration(&self.task_def) {
            b["networkConfiguration"] = n;
        }
        b
    }
}

/// The `networkConfiguration` an awsvpc task needs (every generated subnet), else None.
pub fn network_configuration(td: &TaskDefPlan) -> Option<Value> {
    let subnets: Vec<&str> = SUBNETS.iter().map(|(s, _)| *s).collect();
    td.is_awsvpc()
        .then(|| json!({"awsvpcConfiguration": {"subnets": subnets}}))
}

/// Placement strategy lists a REPLICA service may use.
pub fn strategies() -> impl Strategy<Value = Vec<Value>> {
    let az = json!({"type": "spread", "field": "attribute:ecs.availability-zone"});
    prop::sample::select(vec![
        vec![],
        vec![az.clone()],
        vec![az.clone(), json!({"type": "binpack", "field": "memory"})],
        vec![az.clone(), json!({"type": "spread", "field": "instanceId"})],
        vec![az, json!({"type": "binpack", "field": "cpu"})],
        vec![json!({"type": "binpack", "field": "cpu"})],
        vec![json!({"type": "random"})],
        vec![json!({"type": "spread", "field": "instanceId"})],
    ])
}

/// A service named `name` (its family too).
pub fn service(name: String) -> impl Strategy<Value = ServicePlan> {
    (
        task_def(name.clone()),
        0u32..=8,
        prop::bool::weighted(0.2),
        strategies(),
        prop::option::weighted(0.3, prop::sample::select(MEMBER_OF.to_vec())),
        prop::bool::weighted(0.2),
        prop::sample::select(REPLICA_CONFIGS.to_vec()),
        prop::bool::ANY,
    )
        .prop_map(
            move |(td, desired, daemon, strategies, member_of, distinct, (min, max), half)| {
                ServicePlan {
                    name: name.clone(),
                    task_def: td,
                    desired,
                    daemon,
                    strategies: if daemon { vec![] } else { strategies },
                    member_of: member_of.map(str::to_string),
                    distinct_instance: distinct,
                    min_healthy: match (daemon, half) {
                        (true, true) => 50,
                        (true, false) => 0,
                        _ => min,
                    },
                    max_percent: if daemon { 100 } else { max },
                }
            },
        )
}
