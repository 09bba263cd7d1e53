//! F1 status and F2 AGENT: only ACTIVE instances with a connected agent take tasks.

use super::{PlacementInput, Shortfall};
use crate::instance::{Instance, InstanceStatus};
use crate::world::World;

/// F1: DRAINING and INACTIVE instances take no new tasks (excluded silently).
pub fn status(_: &World, inst: &Instance, _: &PlacementInput<'_>) -> Option<Shortfall> {
    (inst.status != InstanceStatus::Active).then_some(Shortfall::Status)
}

/// F2: "Only instances connected to an agent can accept task placement requests."
pub fn agent(_: &World, inst: &Instance, _: &PlacementInput<'_>) -> Option<Shortfall> {
    (!inst.agent_connected).then_some(Shortfall::AgentDisconnected)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Fixture, input};
    use super::*;

    #[test]
    fn only_active_instances_pass() {
        let mut f = Fixture::new(1, 1024, 1024);
        let req = Default::default();
        assert_eq!(status(&f.world, f.inst(0), &input(&req)), None);
        f.world.instances[0].status = InstanceStatus::Draining;
        assert_eq!(
            status(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::Status)
        );
    }

    #[test]
    fn a_disconnected_agent_is_refused() {
        let mut f = Fixture::new(1, 1024, 1024);
        let req = Default::default();
        assert_eq!(agent(&f.world, f.inst(0), &input(&req)), None);
        f.world.instances[0].agent_connected = false;
        assert_eq!(
            agent(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::AgentDisconnected)
        );
    }
}
