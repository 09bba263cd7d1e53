//! Generated task definitions: one container with CPU and memory (hard limit, soft reservation
//! or both), no, static or dynamic host ports, in bridge, host or awsvpc network mode, and a GPU
//! sometimes. A new revision of a family differs by its image tag.

use proptest::prelude::*;
use serde_json::{Value, json};

/// The network mode of a task definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    Bridge,
    Host,
    Awsvpc,
}

impl Network {
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bridge => "bridge",
            Network::Host => "host",
            Network::Awsvpc => "awsvpc",
        }
    }
}

/// Host ports of the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ports {
    None,
    /// `hostPort` = `containerPort` = this port.
    Static(u16),
    /// Bridge only: `hostPort` 0, a dynamic port.
    Dynamic,
}

/// One task definition family (its first revision; later ones change the image tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDefPlan {
    pub family: String,
    pub network: Network,
    pub cpu: i64,
    /// Hard limit (`memory`).
    pub memory: Option<i64>,
    /// Soft limit (`memoryReservation`).
    pub reservation: Option<i64>,
    pub ports: Ports,
    pub gpu: Option<u32>,
}

impl TaskDefPlan {
    /// The RegisterTaskDefinition body of revision `image` (1 for the first).
    pub fn body(&self, image: u32) -> Value {
        let mut c = json!({"name": "app", "image": format!("{}:{image}", self.family),
                           "cpu": self.cpu, "essential": true});
        if let Some(m) = self.memory {
            c["memory"] = json!(m);
        }
        if let Some(r) = self.reservation {
            c["memoryReservation"] = json!(r);
        }
        match (self.ports, self.network) {
            (Ports::None, _) => {}
            (Ports::Static(p), Network::Awsvpc) => {
                c["portMappings"] = json!([{"containerPort": p}]);
            }
            (Ports::Static(p), _) => {
                c["portMappings"] = json!([{"containerPort": p, "hostPort": p}]);
            }
            (Ports::Dynamic, _) => {
                c["portMappings"] = json!([{"containerPort": 8080, "hostPort": 0}]);
            }
        }
        if let Some(g) = self.gpu {
            c["resourceRequirements"] = json!([{"type": "GPU", "value": g.to_string()}]);
        }
        json!({"family": self.family, "networkMode": self.network.as_str(),
               "containerDefinitions": [c]})
    }

    /// The (CPU, memory) one task takes on an instance.
    pub fn footprint(&self) -> (i64, i64) {
        (self.cpu, self.memory.or(self.reservation).unwrap_or(0))
    }

    pub fn is_awsvpc(&self) -> bool {
        self.network == Network::Awsvpc
    }
}

fn memory() -> impl Strategy<Value = (Option<i64>, Option<i64>)> {
    let size = prop::sample::select(vec![128i64, 256, 512, 1024, 2048]);
    prop_oneof![
        size.clone().prop_map(|m| (Some(m), None)),
        size.clone().prop_map(|r| (None, Some(r))),
        size.prop_map(|r| (Some(r * 2), Some(r))),
    ]
}

fn ports(network: Network) -> BoxedStrategy<Ports> {
    let fixed = prop::sample::select(vec![80u16, 443, 8080]).prop_map(Ports::Static);
    match network {
        Network::Bridge => prop_oneof![Just(Ports::None), fixed, Just(Ports::Dynamic)].boxed(),
        Network::Host => prop_oneof![Just(Ports::None), fixed].boxed(),
        Network::Awsvpc => prop_oneof![Just(Ports::None), fixed].boxed(),
    }
}

/// A task definition of `family`.
pub fn task_def(family: String) -> impl Strategy<Value = TaskDefPlan> {
    let network = prop_oneof![
        3 => Just(Network::Bridge),
        1 => Just(Network::Host),
        1 => Just(Network::Awsvpc),
    ];
    (
        network,
        prop::sample::select(vec![0i64, 128, 256, 512, 1024]),
        memory(),
        prop::option::weighted(0.1, 1u32..=2),
    )
        .prop_flat_map(move |(network, cpu, (memory, reservation), gpu)| {
            let family = family.clone();
            ports(network).prop_map(move |ports| TaskDefPlan {
                family: family.clone(),
                network,
                cpu,
                memory,
                reservation,
                ports,
                gpu,
            })
        })
}
