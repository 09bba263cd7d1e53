//! Container-instance resources in the ECS `Resource` vocabulary, and what a task consumes.
//!
//! An instance registers CPU units, MEMORY (MiB), reserved TCP and UDP ports, optionally GPUs
//! (as a count or as a set of GPU ids) and any user-defined INTEGER/LONG/DOUBLE/STRINGSET
//! resources. `remaining` starts equal to `registered`; placing a task subtracts its CPU, memory
//! and GPUs and adds its static host ports to the reserved sets; stopping the task reverses that.
//! Dynamic (ephemeral) host ports are not reserved ports, as in ECS.

use std::collections::BTreeSet;

/// The agent's default reserved TCP ports on Linux (`ECS_RESERVED_PORTS`).
pub const DEFAULT_RESERVED_PORTS: [u16; 5] = [22, 2375, 2376, 51678, 51679];

/// "A container instance can have up to 100 reserved ports at a time", TCP and UDP together.
pub const MAX_RESERVED_PORTS: usize = 100;

/// The ephemeral range used for dynamic host ports (the agent's Linux fallback).
pub const EPHEMERAL_PORTS: std::ops::RangeInclusive<u16> = 49153..=65535;

/// The value of a user-defined resource.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceValue {
    Integer(i64),
    Long(i64),
    Double(f64),
    StringSet(Vec<String>),
}

/// A resource the simulation carries but does not consume (for example a licence count).
#[derive(Clone, Debug, PartialEq)]
pub struct CustomResource {
    pub name: String,
    pub value: ResourceValue,
}

/// GPUs on an instance: a plain count, or named GPU ids (the agent's STRINGSET form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gpus {
    Count(i64),
    Ids(BTreeSet<String>),
}

impl Gpus {
    pub fn available(&self) -> i64 {
        match self {
            Gpus::Count(n) => *n,
            Gpus::Ids(ids) => ids.len() as i64,
        }
    }
}

/// A set of resources: what an instance registered, or what it has left.
#[derive(Clone, Debug, PartialEq)]
pub struct Resources {
    pub cpu: i64,
    pub memory_mib: i64,
    pub ports_tcp: BTreeSet<u16>,
    pub ports_udp: BTreeSet<u16>,
    /// `None` when the instance registered no GPU resource.
    pub gpus: Option<Gpus>,
    pub custom: Vec<CustomResource>,
}

impl Resources {
    /// CPU and memory with the agent's default reserved ports, no GPUs.
    pub fn new(cpu: i64, memory_mib: i64) -> Resources {
        Resources {
            cpu,
            memory_mib,
            ports_tcp: DEFAULT_RESERVED_PORTS.into_iter().collect(),
            ports_udp: BTreeSet::new(),
            gpus: None,
            custom: Vec::new(),
        }
    }

    pub fn gpus_available(&self) -> i64 {
        self.gpus.as_ref().map_or(0, Gpus::available)
    }

    pub fn reserved_port_count(&self) -> usize {
        self.ports_tcp.len() + self.ports_udp.len()
    }
}

/// What one task takes from an instance while it is placed (PROVISIONING to STOPPED).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requirement {
    pub cpu: i64,
    pub memory_mib: i64,
    /// Static host ports (TCP), in declaration order, without duplicates.
    pub ports_tcp: Vec<u16>,
    /// Static host ports (UDP).
    pub ports_udp: Vec<u16>,
    /// How many dynamic host ports the task needs (bridge mappings without a host port).
    pub dynamic_ports: u32,
    pub gpus: i64,
    /// awsvpc: the task needs an ENI attachment.
    pub eni: bool,
}

/// What a placed task actually holds on its instance, so that it can be given back exactly.
/// Host ports and GPU ids, which most tasks hold none of, sit in one separate block (none at
/// all when there are none), so the record every task carries is 32 bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    pub cpu: i64,
    pub memory_mib: i64,
    pub gpus: i64,
    pub eni: bool,
    held: Option<Box<Held>>,
}

/// An allocation's host ports and GPU ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    pub dynamic_ports: Vec<u16>,
    pub gpu_ids: Vec<String>,
}

impl Allocation {
    /// `cpu`, `memory_mib`, `gpus` and `eni` with the ports and GPU ids of `held`.
    pub fn new(cpu: i64, memory_mib: i64, gpus: i64, eni: bool, held: Held) -> Allocation {
        let none =
            held.ports_tcp.is_empty() && held.ports_udp.is_empty() && held.dynamic_ports.is_empty();
        let held = (!none || !held.gpu_ids.is_empty()).then(|| Box::new(held));
        Allocation {
            cpu,
            memory_mib,
            gpus,
            eni,
            held,
        }
    }

    fn held(&self) -> Option<&Held> {
        self.held.as_deref()
    }

    /// Static TCP host ports.
    pub fn ports_tcp(&self) -> &[u16] {
        self.held().map_or(&[], |h| &h.ports_tcp)
    }

    /// Static UDP host ports.
    pub fn ports_udp(&self) -> &[u16] {
        self.held().map_or(&[], |h| &h.ports_udp)
    }

    /// Host ports the agent assigned from the ephemeral range.
    pub fn dynamic_ports(&self) -> &[u16] {
        self.held().map_or(&[], |h| &h.dynamic_ports)
    }

    /// GPU ids, when the instance lists them.
    pub fn gpu_ids(&self) -> &[String] {
        self.held().map_or(&[], |h| &h.gpu_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allocation_reads_back_its_ports_and_gpus_and_holds_no_block_without_them() {
        let plain = Allocation::new(256, 512, 0, false, Held::default());
        assert!(plain.held.is_none());
        assert!(plain.ports_tcp().is_empty() && plain.gpu_ids().is_empty());
        let held = Held {
            ports_tcp: vec![80, 443],
            ports_udp: vec![53],
            dynamic_ports: vec![32768],
            gpu_ids: vec!["GPU-1".into()],
        };
        let a = Allocation::new(256, 512, 1, true, held);
        assert_eq!(a.ports_tcp(), [80, 443]);
        assert_eq!(a.ports_udp(), [53]);
        assert_eq!(a.dynamic_ports(), [32768]);
        assert_eq!(a.gpu_ids(), ["GPU-1".to_string()]);
        let gpus_only = Held {
            gpu_ids: vec!["GPU-2".into()],
            ..Held::default()
        };
        let g = Allocation::new(0, 0, 1, false, gpus_only);
        assert_eq!(g.gpu_ids(), ["GPU-2".to_string()]);
    }
}
