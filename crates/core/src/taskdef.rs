//! Task definitions as the model needs them, and the resource requirement of a task (§4.2).
//!
//! The requirement follows the agent's own accounting: task-level cpu/memory when set, otherwise
//! the sum over containers (memoryReservation when given, else memory); static host ports per
//! protocol except for awsvpc (each task has its own namespace); dynamic host ports for bridge
//! mappings without a host port; GPUs summed over containers.

use crate::ids::TaskDefId;
use crate::resources::Requirement;
use crate::time::SimTime;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetworkMode {
    Bridge,
    Host,
    Awsvpc,
    None,
}

impl NetworkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
            NetworkMode::Awsvpc => "awsvpc",
            NetworkMode::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<NetworkMode> {
        match s {
            "bridge" => Some(NetworkMode::Bridge),
            "host" => Some(NetworkMode::Host),
            "awsvpc" => Some(NetworkMode::Awsvpc),
            "none" => Some(NetworkMode::None),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortMapping {
    pub container_port: u16,
    /// `None` or `Some(0)`: dynamic in bridge mode, the container port in host/awsvpc mode.
    pub host_port: Option<u16>,
    pub protocol: Protocol,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerDef {
    /// Shared with every container of a task of this definition.
    pub name: Arc<str>,
    pub cpu: i64,
    pub memory_mib: Option<i64>,
    pub memory_reservation_mib: Option<i64>,
    pub essential: bool,
    pub port_mappings: Vec<PortMapping>,
    pub gpus: i64,
    /// Seconds before SIGKILL; `None` uses the timing model's stopTimeout.
    pub stop_timeout_s: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskDefStatus {
    Active,
    Inactive,
}

impl TaskDefStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskDefStatus::Active => "ACTIVE",
            TaskDefStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Debug)]
pub struct TaskDefinition {
    pub id: TaskDefId,
    pub family: String,
    pub revision: u32,
    pub status: TaskDefStatus,
    pub network_mode: NetworkMode,
    pub cpu: Option<i64>,
    pub memory_mib: Option<i64>,
    pub containers: Vec<ContainerDef>,
    pub requires_attributes: Vec<String>,
    /// `memberOf` expressions from the task definition, parsed.
    pub member_of: Vec<crate::cql::Expr>,
    pub registered_at: SimTime,
    pub deregistered_at: Option<SimTime>,
}

/// Per-task changes to cpu and memory (RunTask/StartTask `overrides`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceOverrides {
    pub cpu: Option<i64>,
    pub memory_mib: Option<i64>,
    /// Per container name: (cpu, memory, memoryReservation).
    pub containers: Vec<ContainerOverride>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerOverride {
    pub name: String,
    pub cpu: Option<i64>,
    pub memory_mib: Option<i64>,
    pub memory_reservation_mib: Option<i64>,
}

impl TaskDefinition {
    /// What one task of this definition consumes, after `overrides`.
    pub fn requirement(&self, overrides: &ResourceOverrides) -> Requirement {
        let containers: Vec<ContainerDef> = self
            .containers
            .iter()
            .map(|c| apply_container_override(c, overrides))
            .collect();
        let cpu = overrides
            .cpu
            .or(self.cpu)
            .unwrap_or_else(|| containers.iter().map(|c| c.cpu).sum());
        let memory_mib = overrides.memory_mib.or(self.memory_mib).unwrap_or_else(|| {
            containers
                .iter()
                .map(|c| c.memory_reservation_mib.or(c.memory_mib).unwrap_or(0))
                .sum()
        });
        let mut req = Requirement {
            cpu,
            memory_mib,
            gpus: containers.iter().map(|c| c.gpus).sum(),
            eni: self.network_mode == NetworkMode::Awsvpc,
            ..Requirement::default()
        };
        self.add_ports(&mut req);
        req
    }

    fn add_ports(&self, req: &mut Requirement) {
        if matches!(self.network_mode, NetworkMode::Awsvpc | NetworkMode::None) {
            return;
        }
        for pm in self.containers.iter().flat_map(|c| &c.port_mappings) {
            let static_port = match (self.network_mode, pm.host_port) {
                (NetworkMode::Host, None | Some(0)) => Some(pm.container_port),
                (_, Some(p)) if p != 0 => Some(p),
                _ => None,
            };
            match (static_port, pm.protocol) {
                (None, _) => req.dynamic_ports += 1,
                (Some(p), Protocol::Tcp) if !req.ports_tcp.contains(&p) => req.ports_tcp.push(p),
                (Some(p), Protocol::Udp) if !req.ports_udp.contains(&p) => req.ports_udp.push(p),
                _ => {}
            }
        }
    }

    /// The longest container stop timeout, if any container sets one.
    pub fn stop_timeout_s(&self) -> Option<u64> {
        self.containers
            .iter()
            .filter_map(|c| c.stop_timeout_s)
            .max()
    }
}

fn apply_container_override(c: &ContainerDef, o: &ResourceOverrides) -> ContainerDef {
    let mut c = c.clone();
    if let Some(co) = o.containers.iter().find(|co| *co.name == *c.name) {
        c.cpu = co.cpu.unwrap_or(c.cpu);
        c.memory_mib = co.memory_mib.or(c.memory_mib);
        c.memory_reservation_mib = co.memory_reservation_mib.or(c.memory_reservation_mib);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(cpu: i64, mem: Option<i64>, res: Option<i64>) -> ContainerDef {
        ContainerDef {
            name: format!("c{cpu}").into(),
            cpu,
            memory_mib: mem,
            memory_reservation_mib: res,
            essential: true,
            port_mappings: vec![],
            gpus: 0,
            stop_timeout_s: None,
        }
    }

    fn def(mode: NetworkMode, containers: Vec<ContainerDef>) -> TaskDefinition {
        TaskDefinition {
            id: TaskDefId(0),
            family: "f".into(),
            revision: 1,
            status: TaskDefStatus::Active,
            network_mode: mode,
            cpu: None,
            memory_mib: None,
            containers,
            requires_attributes: vec![],
            member_of: vec![],
            registered_at: SimTime::ZERO,
            deregistered_at: None,
        }
    }

    #[test]
    fn container_level_sums_reservation_before_memory() {
        let d = def(
            NetworkMode::Bridge,
            vec![
                container(256, Some(1024), Some(512)),
                container(128, Some(300), None),
            ],
        );
        let r = d.requirement(&ResourceOverrides::default());
        assert_eq!((r.cpu, r.memory_mib), (384, 812));
    }

    #[test]
    fn task_level_wins_and_overrides_win_over_it() {
        let mut d = def(NetworkMode::Bridge, vec![container(256, Some(512), None)]);
        d.cpu = Some(1024);
        d.memory_mib = Some(2048);
        let r = d.requirement(&ResourceOverrides::default());
        assert_eq!((r.cpu, r.memory_mib), (1024, 2048));
        let o = ResourceOverrides {
            memory_mib: Some(4096),
            ..Default::default()
        };
        assert_eq!(d.requirement(&o).memory_mib, 4096);
    }

    #[test]
    fn container_overrides_apply_by_name() {
        let d = def(NetworkMode::Bridge, vec![container(256, Some(512), None)]);
        let o = ResourceOverrides {
            containers: vec![ContainerOverride {
                name: "c256".into(),
                cpu: Some(100),
                memory_reservation_mib: Some(64),
                ..Default::default()
            }],
            ..Default::default()
        };
        let r = d.requirement(&o);
        assert_eq!((r.cpu, r.memory_mib), (100, 64));
    }

    fn with_ports(mode: NetworkMode, maps: Vec<(u16, Option<u16>, Protocol)>) -> Requirement {
        let mut c = container(1, Some(1), None);
        c.port_mappings = maps
            .into_iter()
            .map(|(cp, hp, protocol)| PortMapping {
                container_port: cp,
                host_port: hp,
                protocol,
            })
            .collect();
        def(mode, vec![c]).requirement(&ResourceOverrides::default())
    }

    #[test]
    fn port_rules_per_network_mode() {
        let maps = vec![
            (80, Some(8080), Protocol::Tcp),
            (81, None, Protocol::Tcp),
            (53, Some(53), Protocol::Udp),
        ];
        let bridge = with_ports(NetworkMode::Bridge, maps.clone());
        assert_eq!(bridge.ports_tcp, vec![8080]);
        assert_eq!(bridge.ports_udp, vec![53]);
        assert_eq!(bridge.dynamic_ports, 1);
        let host = with_ports(NetworkMode::Host, vec![(81, None, Protocol::Tcp)]);
        assert_eq!(host.ports_tcp, vec![81]);
        assert_eq!(host.dynamic_ports, 0);
        let vpc = with_ports(NetworkMode::Awsvpc, maps);
        assert!(vpc.ports_tcp.is_empty() && vpc.eni && vpc.dynamic_ports == 0);
    }
}
