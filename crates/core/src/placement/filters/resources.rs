//! F5 RESOURCE:CPU, F6 RESOURCE:MEMORY, F7 RESOURCE:GPU: the task's requirement must fit in the
//! instance's remaining resources.

use super::{PlacementInput, Shortfall};
use crate::instance::Instance;
use crate::world::World;

pub fn cpu(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    let (needs, has) = (input.requirement.cpu, inst.remaining.cpu);
    (needs > has).then_some(Shortfall::Cpu { needs, has })
}

pub fn memory(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    let (needs, has) = (input.requirement.memory_mib, inst.remaining.memory_mib);
    (needs > has).then_some(Shortfall::Memory { needs, has })
}

pub fn gpu(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    let (needs, has) = (input.requirement.gpus, inst.remaining.gpus_available());
    (needs > has).then_some(Shortfall::Gpu { needs, has })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Fixture, input};
    use super::*;
    use crate::resources::{Gpus, Requirement};

    #[test]
    fn cpu_and_memory_fit_exactly_and_not_beyond() {
        let f = Fixture::new(1, 1024, 2048);
        let mut req = Requirement {
            cpu: 1024,
            memory_mib: 2048,
            ..Default::default()
        };
        assert_eq!(cpu(&f.world, f.inst(0), &input(&req)), None);
        assert_eq!(memory(&f.world, f.inst(0), &input(&req)), None);
        req.cpu = 1025;
        req.memory_mib = 2049;
        assert_eq!(
            cpu(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::Cpu {
                needs: 1025,
                has: 1024
            })
        );
        assert_eq!(
            memory(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::Memory {
                needs: 2049,
                has: 2048
            })
        );
    }

    #[test]
    fn gpus_count_either_form() {
        let mut f = Fixture::new(1, 1024, 1024);
        let req = Requirement {
            gpus: 2,
            ..Default::default()
        };
        assert_eq!(
            gpu(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::Gpu { needs: 2, has: 0 })
        );
        f.world.instances[0].remaining.gpus = Some(Gpus::Count(2));
        assert_eq!(gpu(&f.world, f.inst(0), &input(&req)), None);
        f.world.instances[0].remaining.gpus = Some(Gpus::Ids(["a".to_string()].into()));
        assert_eq!(
            gpu(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::Gpu { needs: 2, has: 1 })
        );
    }
}
