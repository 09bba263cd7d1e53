//! Scale-in: which task to stop when a service has too many (§1.6, §5.5), the inverse of
//! placement, ready for the service scheduler.
//!
//! The strategies apply in list order as lexicographic refinement over the candidate tasks,
//! then a uniform draw from the seeded Placement stream breaks the tie:
//! * `spread(field)`: keep the tasks in the most loaded bucket (the value of `field` holding the
//!   most tasks of the group whose desiredStatus is not STOPPED) — "a task is selected that
//!   leaves the remaining tasks with the best spread"; within it, tasks are picked at random.
//! * `binpack(field)`: keep the tasks on the instance that has the most of `field` available
//!   once the task is gone — "the container instance that has the most available resources left
//!   after task termination has that task terminated".
//! * `random`: a uniform pick, ending the list.
//!
//! With no strategy (a REPLICA service's default), the AZ balance of §5.5 applies: the zone with
//! the most tasks of the service, then the instance with the most, i.e.
//! `[spread(attribute:ecs.availability-zone), spread(instanceId)]`.

use super::strategy::{BinpackField, SpreadField, Strategy};
use crate::ids::{ClusterId, InstanceId, TaskId};
use crate::rng::{Purpose, RngStreams};
use crate::world::World;
use std::collections::BTreeMap;

/// The placement strategies a REPLICA service uses when it names none (§5.5 AZ balance).
pub fn default_service_strategies() -> Vec<Strategy> {
    vec![
        Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
        Strategy::Spread(SpreadField::Instance),
    ]
}

/// The task to stop among `tasks` (of group `group`), or None when `tasks` is empty. An empty
/// `strategies` means the default AZ balance. `stopping` are tasks already chosen in this pass:
/// they count as gone, so several picks in a row keep the balance.
pub fn choose_task_to_stop(
    world: &World,
    cluster: ClusterId,
    group: &str,
    tasks: &[TaskId],
    strategies: &[Strategy],
    stopping: &[TaskId],
    rng: &mut RngStreams,
) -> Option<TaskId> {
    let defaults;
    let strategies = if strategies.is_empty() {
        defaults = default_service_strategies();
        &defaults
    } else {
        strategies
    };
    let mut left: Vec<TaskId> = tasks.to_vec();
    left.sort_unstable();
    for s in strategies {
        if left.len() <= 1 {
            break;
        }
        left = match s {
            Strategy::Random => break,
            Strategy::Spread(field) => most_loaded(world, cluster, group, &left, field, stopping),
            Strategy::Binpack(field) => most_freed(world, &left, *field, stopping),
        };
    }
    let pick = rng.below(Purpose::Placement, left.len() as u64) as usize;
    left.get(pick).copied()
}

/// The bucket key of a task's instance for a spread field.
fn key(world: &World, task: TaskId, field: &SpreadField) -> String {
    instance_key(world, world.task(task).instance, field)
}

/// The bucket key of an instance for a spread field.
fn instance_key(world: &World, instance: InstanceId, field: &SpreadField) -> String {
    let inst = world.instance(instance);
    match field {
        SpreadField::Instance => format!("instance:{}", inst.id.0),
        SpreadField::Attribute(name) => match inst.attributes.get(name) {
            Some(v) => format!("value:{}", v.as_deref().unwrap_or("")),
            None => "missing".into(),
        },
    }
}

fn most_loaded(
    world: &World,
    cluster: ClusterId,
    group: &str,
    left: &[TaskId],
    field: &SpreadField,
    stopping: &[TaskId],
) -> Vec<TaskId> {
    let mut per_instance: BTreeMap<InstanceId, u64> = BTreeMap::new();
    for task in world.group_tasks(cluster, group) {
        if !stopping.contains(&task.id) {
            *per_instance.entry(task.instance).or_insert(0) += 1;
        }
    }
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (instance, n) in per_instance {
        *counts
            .entry(instance_key(world, instance, field))
            .or_insert(0) += n;
    }
    let loads: Vec<u64> = left
        .iter()
        .map(|t| counts.get(&key(world, *t, field)).copied().unwrap_or(0))
        .collect();
    let best = loads.iter().copied().max().unwrap_or(0);
    left.iter()
        .zip(&loads)
        .filter(|(_, n)| **n == best)
        .map(|(t, _)| *t)
        .collect()
}

fn most_freed(
    world: &World,
    left: &[TaskId],
    field: BinpackField,
    stopping: &[TaskId],
) -> Vec<TaskId> {
    let amount = |t: &TaskId| {
        let a = &world.task(*t).allocation;
        match field {
            BinpackField::Cpu => a.cpu,
            BinpackField::Memory => a.memory_mib,
        }
    };
    let freed = |t: &TaskId| {
        let inst = world.task(*t).instance;
        let r = &world.instance(inst).remaining;
        let already: i64 = stopping
            .iter()
            .filter(|s| world.task(**s).instance == inst)
            .map(amount)
            .sum();
        let now = match field {
            BinpackField::Cpu => r.cpu,
            BinpackField::Memory => r.memory_mib,
        };
        now + already + amount(t)
    };
    let best = left.iter().map(freed).max().unwrap_or(0);
    left.iter().copied().filter(|t| freed(t) == best).collect()
}

#[cfg(test)]
mod tests {
    use super::super::filters::test_support::Fixture;
    use super::*;
    use crate::resources::Requirement;

    fn stop(f: &Fixture, tasks: &[TaskId], s: &[Strategy], seed: u64) -> TaskId {
        let mut rng = RngStreams::new(seed);
        choose_task_to_stop(
            &f.world,
            ClusterId(0),
            "service:web",
            tasks,
            s,
            &[],
            &mut rng,
        )
        .unwrap()
    }

    fn web(f: &mut Fixture, i: usize) -> TaskId {
        f.place_in_group(
            i,
            Requirement {
                cpu: 100,
                memory_mib: 100,
                ..Default::default()
            },
            "service:web",
        )
    }

    #[test]
    fn default_balance_stops_in_the_fullest_zone_and_instance() {
        let mut f = Fixture::new(6, 4096, 4096);
        // zone a: instances 0 and 3; zone b: 1, 4; zone c: 2, 5.
        let a1 = web(&mut f, 0);
        let a2 = web(&mut f, 3);
        let a3 = web(&mut f, 3);
        let b1 = web(&mut f, 1);
        let c1 = web(&mut f, 2);
        let all = [a1, a2, a3, b1, c1];
        for seed in 0..20 {
            let t = stop(&f, &all, &[], seed);
            assert!([a2, a3].contains(&t), "zone a, instance 3: got {t:?}");
        }
    }

    #[test]
    fn binpack_stops_where_the_most_is_left_afterwards() {
        let mut f = Fixture::new(2, 4096, 4096);
        let small = web(&mut f, 0);
        let big = f.place_in_group(
            1,
            Requirement {
                memory_mib: 3000,
                ..Default::default()
            },
            "service:web",
        );
        // Instance 0 has 3996 MiB left, 4096 after its task stops; instance 1 has 1096, 4096 after.
        let tie = [small, big];
        let picks: std::collections::BTreeSet<TaskId> = (0..30)
            .map(|s| stop(&f, &tie, &[Strategy::Binpack(BinpackField::Memory)], s))
            .collect();
        assert_eq!(picks.len(), 2, "equal after termination: a tie");
        f.place(
            0,
            Requirement {
                memory_mib: 1000,
                ..Default::default()
            },
        );
        assert_eq!(
            stop(&f, &tie, &[Strategy::Binpack(BinpackField::Memory)], 1),
            big
        );
    }

    #[test]
    fn spread_by_instance_stops_on_the_busiest_instance() {
        let mut f = Fixture::new(3, 4096, 4096);
        let t0 = web(&mut f, 0);
        let t1 = web(&mut f, 1);
        let t2 = web(&mut f, 1);
        let s = [Strategy::Spread(SpreadField::Instance)];
        for seed in 0..10 {
            assert!([t1, t2].contains(&stop(&f, &[t0, t1, t2], &s, seed)));
        }
    }

    #[test]
    fn random_and_empty() {
        let mut f = Fixture::new(1, 4096, 4096);
        let ts: Vec<TaskId> = (0..4).map(|_| web(&mut f, 0)).collect();
        let picks: std::collections::BTreeSet<TaskId> = (0..40)
            .map(|s| stop(&f, &ts, &[Strategy::Random], s))
            .collect();
        assert!(picks.len() > 1);
        let mut rng = RngStreams::new(0);
        assert_eq!(
            choose_task_to_stop(
                &f.world,
                ClusterId(0),
                "service:web",
                &[],
                &[],
                &[],
                &mut rng
            ),
            None
        );
    }
}
