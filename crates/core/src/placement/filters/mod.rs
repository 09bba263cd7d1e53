//! The candidate filters of §1.2, in the documented order, each a small named unit.
//!
//! Order: status (silent), AGENT, ATTRIBUTE, LOCATION, RESOURCE:CPU, RESOURCE:MEMORY,
//! RESOURCE:GPU, RESOURCE:PORTS, RESOURCE:ENI, memberOf, distinctInstance. An instance gets the
//! first reason that rejects it, with a `Shortfall` that says by how much (for `explain`). The
//! checks allocate nothing: the hot path only compares numbers.

mod attributes;
pub(crate) mod constraints;
mod instance_state;
mod network;
mod resources;

use crate::cql::Expr;
use crate::ids::{InstanceId, TaskId};
use crate::instance::Instance;
use crate::resources::Requirement;
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
    MemberOf,
    DistinctInstance,
}

impl Reason {
    /// Every reason, in filter order.
    pub const ALL: [Reason; 11] = [
        Reason::Status,
        Reason::Agent,
        Reason::Attribute,
        Reason::Location,
        Reason::Cpu,
        Reason::Memory,
        Reason::Gpu,
        Reason::Ports,
        Reason::Eni,
        Reason::MemberOf,
        Reason::DistinctInstance,
    ];

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
            Reason::MemberOf => "MemberOf placement constraint unsatisfied.",
            Reason::DistinctInstance => "DistinctInstance placement constraint unsatisfied.",
        }
    }

    /// Whether ECS reports this reason in `failures` (status exclusions are silent).
    pub fn is_reported(self) -> bool {
        self != Reason::Status
    }

    /// The position of this filter in the pipeline (0 = first).
    pub fn rank(self) -> usize {
        self as usize
    }
}

/// By how much an instance misses a filter: numbers and ids, rendered only when asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shortfall {
    Status,
    AgentDisconnected,
    /// Index into `required_attributes` of the first missing one.
    MissingAttribute(usize),
    /// The instance's Availability Zone (None when unknown).
    OutsideZones,
    Cpu {
        needs: i64,
        has: i64,
    },
    Memory {
        needs: i64,
        has: i64,
    },
    Gpu {
        needs: i64,
        has: i64,
    },
    /// A static host port already reserved, and the task holding it (None: the agent's own).
    PortTaken {
        port: u16,
        udp: bool,
        holder: Option<TaskId>,
    },
    /// The 100-reserved-port cap would be exceeded.
    PortCap {
        reserved: usize,
        adding: usize,
    },
    /// Not enough ephemeral ports left for the dynamic mappings.
    NoDynamicPorts {
        needs: u32,
        free: usize,
    },
    Eni {
        limit: u32,
        attached: u32,
    },
    /// Index into `member_of` of the first expression the instance fails.
    MemberOf(usize),
    /// A task of the same group already on the instance.
    DistinctInstance(TaskId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fit,
    Reject(Reason, Shortfall),
}

/// What placement needs to know about the task to place.
#[derive(Clone, Copy, Debug)]
pub struct PlacementInput<'a> {
    pub requirement: &'a Requirement,
    /// `requiresAttributes` of the task definition.
    pub required_attributes: &'a [String],
    /// For awsvpc with subnets whose AZ is known: the allowed Availability Zones.
    pub allowed_zones: Option<&'a [String]>,
    /// memberOf expressions of the task definition and the request, all of which must hold.
    pub member_of: &'a [Expr],
    /// distinctInstance: no other non-STOPPED task of `group` on the instance.
    pub distinct_instance: bool,
    /// The task group of the task to place (`family:web`, `service:web`, or a custom group).
    pub group: &'a str,
    /// Unix milliseconds of simulated time zero, for `registeredAt` in expressions.
    pub epoch_unix_ms: i64,
}

/// One filter: `None` when the instance passes, else by how much it misses.
pub type Filter = fn(&World, &Instance, &PlacementInput<'_>) -> Option<Shortfall>;

/// The filters in pipeline order, each with the reason it reports.
pub const FILTERS: [(Reason, Filter); 11] = [
    (Reason::Status, instance_state::status),
    (Reason::Agent, instance_state::agent),
    (Reason::Attribute, attributes::required),
    (Reason::Location, attributes::location),
    (Reason::Cpu, resources::cpu),
    (Reason::Memory, resources::memory),
    (Reason::Gpu, resources::gpu),
    (Reason::Ports, network::ports),
    (Reason::Eni, network::eni),
    (Reason::MemberOf, constraints::member_of),
    (Reason::DistinctInstance, constraints::distinct_instance),
];

/// Runs the filters in order; the first that fails names the reason.
pub fn check(world: &World, inst: &Instance, input: &PlacementInput<'_>) -> Verdict {
    for (reason, filter) in FILTERS {
        if let Some(shortfall) = filter(world, inst, input) {
            return Verdict::Reject(reason, shortfall);
        }
    }
    Verdict::Fit
}

/// Whether every filter passes (`check(..) == Verdict::Fit`), without working out how an
/// instance falls short: the port filter does not look up a taken port's holder.
pub fn fits(world: &World, inst: &Instance, input: &PlacementInput<'_>) -> bool {
    FILTERS.iter().all(|(reason, filter)| match reason {
        Reason::Ports => network::ports_fit(inst, input),
        _ => filter(world, inst, input).is_none(),
    })
}

/// Every filter's result for one instance (for `explain`: not only the first failure).
pub fn check_all(
    world: &World,
    id: InstanceId,
    input: &PlacementInput<'_>,
) -> Vec<(Reason, Option<Shortfall>)> {
    let inst = world.instance(id);
    FILTERS
        .iter()
        .map(|(r, f)| (*r, f(world, inst, input)))
        .collect()
}

#[cfg(test)]
pub(crate) mod test_support;
