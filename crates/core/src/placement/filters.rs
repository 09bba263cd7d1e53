//! The candidate filters of §1.2, in the documented order, each a small named check.
//!
//! Order: status (silent), AGENT, ATTRIBUTE, LOCATION, RESOURCE:CPU, RESOURCE:MEMORY,
//! RESOURCE:GPU, RESOURCE:PORTS, RESOURCE:ENI. An instance gets the first reason that rejects it.

use crate::instance::{Instance, InstanceStatus};
use crate::resources::{EPHEMERAL_PORTS, MAX_RESERVED_PORTS, Requirement};
use crate::world::World;

/// Why an instance cannot take a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Not ACTIVE (DRAINING, INACTIVE): excluded without a reported reason.
    Status,
    Agent,
    Attribute,
    Location,
    Cpu,
    Memory,
    Gpu,
    Ports,
    Eni,
}

impl Reason {
    /// The ECS failure reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Status => "STATUS",
            Reason::Agent => "AGENT",
            Reason::Attribute => "ATTRIBUTE",
            Reason::Location => "LOCATION",
            Reason::Cpu => "RESOURCE:CPU",
            Reason::Memory => "RESOURCE:MEMORY",
            Reason::Gpu => "RESOURCE:GPU",
            Reason::Ports => "RESOURCE:PORTS",
            Reason::Eni => "RESOURCE:ENI",
        }
    }

    /// Whether ECS reports this reason in `failures` (status exclusions are silent).
    pub fn is_reported(self) -> bool {
        self != Reason::Status
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fit,
    Reject(Reason),
}

/// What placement needs to know about the task.
#[derive(Clone, Copy, Debug)]
pub struct PlacementInput<'a> {
    pub requirement: &'a Requirement,
    /// `requiresAttributes` of the task definition.
    pub required_attributes: &'a [String],
    /// For awsvpc with subnets whose AZ is known: the allowed Availability Zones.
    pub allowed_zones: Option<&'a [String]>,
}

type Filter = fn(&World, &Instance, &PlacementInput<'_>) -> bool;

const FILTERS: [(Reason, Filter); 9] = [
    (Reason::Status, status_ok),
    (Reason::Agent, agent_ok),
    (Reason::Attribute, attributes_ok),
    (Reason::Location, location_ok),
    (Reason::Cpu, cpu_ok),
    (Reason::Memory, memory_ok),
    (Reason::Gpu, gpu_ok),
    (Reason::Ports, ports_ok),
    (Reason::Eni, eni_ok),
];

/// Runs the filters in order; the first that fails names the reason.
pub fn check(world: &World, inst: &Instance, input: &PlacementInput<'_>) -> Verdict {
    for (reason, filter) in FILTERS {
        if !filter(world, inst, input) {
            return Verdict::Reject(reason);
        }
    }
    Verdict::Fit
}

fn status_ok(_: &World, inst: &Instance, _: &PlacementInput<'_>) -> bool {
    inst.status == InstanceStatus::Active
}

fn agent_ok(_: &World, inst: &Instance, _: &PlacementInput<'_>) -> bool {
    inst.agent_connected
}

fn attributes_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    input
        .required_attributes
        .iter()
        .all(|a| inst.attributes.contains_key(a))
}

fn location_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    match (input.allowed_zones, &inst.availability_zone) {
        (Some(zones), Some(az)) => zones.iter().any(|z| z == az),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn cpu_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    input.requirement.cpu <= inst.remaining.cpu
}

fn memory_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    input.requirement.memory_mib <= inst.remaining.memory_mib
}

fn gpu_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    input.requirement.gpus <= inst.remaining.gpus_available()
}

fn ports_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    let req = input.requirement;
    let clash = req
        .ports_tcp
        .iter()
        .any(|p| inst.remaining.ports_tcp.contains(p))
        || req
            .ports_udp
            .iter()
            .any(|p| inst.remaining.ports_udp.contains(p));
    let reserved_after =
        inst.remaining.reserved_port_count() + req.ports_tcp.len() + req.ports_udp.len();
    let ephemeral_total = EPHEMERAL_PORTS.len();
    let dynamic_free = ephemeral_total.saturating_sub(inst.dynamic_ports_in_use.len());
    !clash && reserved_after <= MAX_RESERVED_PORTS && req.dynamic_ports as usize <= dynamic_free
}

fn eni_ok(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    !input.requirement.eni || inst.eni_available()
}
