//! F10 memberOf and F11 distinctInstance: the placement constraints (§3).
//!
//! memberOf: every expression (task definition and request, combined with AND) must hold for the
//! instance. distinctInstance: no other task of the same task group whose desiredStatus is not
//! STOPPED may be on the instance (tasks of other groups do not count).

use super::{PlacementInput, Shortfall};
use crate::cql::InstanceView;
use crate::instance::Instance;
use crate::task::DesiredStatus;
use crate::world::World;

pub fn member_of(world: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    if input.member_of.is_empty() {
        return None;
    }
    let view = InstanceView {
        world,
        instance: inst.id,
        epoch_unix_ms: input.epoch_unix_ms,
    };
    input
        .member_of
        .iter()
        .position(|e| !e.matches(&view))
        .map(Shortfall::MemberOf)
}

pub fn distinct_instance(
    world: &World,
    inst: &Instance,
    input: &PlacementInput<'_>,
) -> Option<Shortfall> {
    if !input.distinct_instance {
        return None;
    }
    inst.tasks
        .iter()
        .map(|t| world.task(*t))
        .find(|t| &*t.group == input.group && t.desired_status != DesiredStatus::Stopped)
        .map(|t| Shortfall::DistinctInstance(t.id))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Fixture, input};
    use super::*;
    use crate::cql;
    use crate::resources::Requirement;

    #[test]
    fn member_of_names_the_first_failing_expression() {
        let f = Fixture::new(2, 1024, 1024);
        let req = Requirement::default();
        let exprs = [
            cql::parse("attribute:ecs.availability-zone exists").unwrap(),
            cql::parse("attribute:ecs.availability-zone == us-east-1b").unwrap(),
        ];
        let mut i = input(&req);
        i.member_of = &exprs;
        assert_eq!(
            member_of(&f.world, f.inst(0), &i),
            Some(Shortfall::MemberOf(1))
        );
        assert_eq!(member_of(&f.world, f.inst(1), &i), None);
    }

    #[test]
    fn task_group_affinity_sees_placed_tasks() {
        let mut f = Fixture::new(2, 4096, 4096);
        f.place_in_group(1, Requirement::default(), "databases");
        let req = Requirement::default();
        let exprs = [cql::parse("task:group == databases").unwrap()];
        let mut i = input(&req);
        i.member_of = &exprs;
        assert_eq!(
            member_of(&f.world, f.inst(0), &i),
            Some(Shortfall::MemberOf(0))
        );
        assert_eq!(member_of(&f.world, f.inst(1), &i), None);
    }

    #[test]
    fn distinct_instance_is_scoped_to_the_group_and_desired_status() {
        let mut f = Fixture::new(1, 4096, 4096);
        let other = f.place_in_group(0, Requirement::default(), "family:other");
        let req = Requirement::default();
        let mut i = input(&req);
        i.distinct_instance = true;
        i.group = "family:web";
        assert_eq!(
            distinct_instance(&f.world, f.inst(0), &i),
            None,
            "other groups do not count"
        );
        let mine = f.place_in_group(0, Requirement::default(), "family:web");
        assert_eq!(
            distinct_instance(&f.world, f.inst(0), &i),
            Some(Shortfall::DistinctInstance(mine))
        );
        f.world.tasks[mine.index()].desired_status = DesiredStatus::Stopped;
        assert_eq!(
            distinct_instance(&f.world, f.inst(0), &i),
            None,
            "desiredStatus STOPPED frees the instance"
        );
        let _ = other;
    }
}
