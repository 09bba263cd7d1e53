//! F3 ATTRIBUTE (`requiresAttributes`) and F4 LOCATION (awsvpc subnets' Availability Zones).

use super::{PlacementInput, Shortfall};
use crate::instance::Instance;
use crate::world::World;

/// F3: every required attribute must be present on the instance.
pub fn required(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    input
        .required_attributes
        .iter()
        .position(|a| !inst.attributes.contains_key(a))
        .map(Shortfall::MissingAttribute)
}

/// F4: for awsvpc with known subnets, the instance must be in one of their zones.
pub fn location(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    let zones = input.allowed_zones?;
    let inside = inst
        .availability_zone
        .as_ref()
        .is_some_and(|az| zones.iter().any(|z| z == az));
    (!inside).then_some(Shortfall::OutsideZones)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Fixture, input};
    use super::*;

    #[test]
    fn required_attributes_name_the_first_missing() {
        let f = Fixture::new(1, 1024, 1024);
        let req = Default::default();
        let attrs = [
            "ecs.availability-zone".to_string(),
            "ecs.capability.task-eni".to_string(),
        ];
        let mut i = input(&req);
        i.required_attributes = &attrs;
        assert_eq!(
            required(&f.world, f.inst(0), &i),
            Some(Shortfall::MissingAttribute(1))
        );
        i.required_attributes = &attrs[..1];
        assert_eq!(required(&f.world, f.inst(0), &i), None);
    }

    #[test]
    fn location_follows_the_subnet_zones() {
        let f = Fixture::new(2, 1024, 1024);
        let req = Default::default();
        let zones = ["us-east-1b".to_string()];
        let mut i = input(&req);
        assert_eq!(location(&f.world, f.inst(0), &i), None);
        i.allowed_zones = Some(&zones);
        assert_eq!(
            location(&f.world, f.inst(0), &i),
            Some(Shortfall::OutsideZones)
        );
        assert_eq!(location(&f.world, f.inst(1), &i), None);
    }
}
