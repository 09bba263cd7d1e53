//! Placement strategies (§1.3): spread, binpack and random, applied in list order as
//! lexicographic refinement, then a seeded tie-break.
//!
//! * `spread(field)`: keep the candidates whose value of `field` (the instance itself for
//!   `instanceId`/`host`, else an attribute) has the fewest tasks of the task group (the
//!   service's tasks for a service), counting tasks whose desiredStatus is not STOPPED over the
//!   whole cluster. Instances without the attribute form one bucket of their own. Only values
//!   present among the candidates compete, so a zone with no valid instance is skipped.
//! * `binpack(cpu|memory)`: keep the candidates with the least remaining amount of the field.
//! * `random`: pick uniformly among the remaining candidates; strategies after it have no effect.
//! * Ties left after every strategy: a uniform pick from the seeded Placement stream.

use crate::ids::{ClusterId, InstanceId};
use crate::instance::Instance;
use crate::rng::{Purpose, RngStreams};
use crate::world::World;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Random,
    Spread(SpreadField),
    Binpack(BinpackField),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpreadField {
    /// `instanceId` or `host`.
    Instance,
    /// `attribute:NAME`.
    Attribute(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinpackField {
    Cpu,
    Memory,
}

impl Strategy {
    /// The ECS JSON form, for messages (`spread(attribute:ecs.availability-zone)`).
    pub fn describe(&self) -> String {
        match self {
            Strategy::Random => "random".into(),
            Strategy::Spread(SpreadField::Instance) => "spread(instanceId)".into(),
            Strategy::Spread(SpreadField::Attribute(a)) => format!("spread(attribute:{a})"),
            Strategy::Binpack(BinpackField::Cpu) => "binpack(cpu)".into(),
            Strategy::Binpack(BinpackField::Memory) => "binpack(memory)".into(),
        }
    }
}

/// What one strategy did to the candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub strategy: Strategy,
    /// Candidates before the step.
    pub before: usize,
    /// Candidates kept (for `random`: the one picked).
    pub kept: Vec<InstanceId>,
    pub measure: Measure,
}

/// What a step compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// spread: the group's tasks in each bucket present among the candidates.
    Spread(Vec<(Bucket, u64)>),
    /// binpack: the least remaining amount, kept.
    Binpack(i64),
    /// random picked one and ended the list.
    Random,
    /// Not applied: one candidate left, or `random` already picked.
    Skipped,
}

/// The instance chosen, and how the strategies got there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub instance: InstanceId,
    /// Candidates before the first strategy.
    pub candidates: usize,
    pub steps: Vec<Step>,
    /// The instances still tied when the seeded tie-break drew (empty when `random` picked).
    pub tie: Vec<InstanceId>,
}

/// A spread bucket: an instance, or an attribute value (None: the attribute is missing;
/// `Some("")`: present without a value).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bucket {
    Instance(InstanceId),
    Value(Option<String>),
}

/// Orders `candidates` (in id order) by `strategies` and picks one; None when there is none.
pub fn choose(
    world: &World,
    cluster: ClusterId,
    group: &str,
    candidates: &[InstanceId],
    strategies: &[Strategy],
    rng: &mut RngStreams,
) -> Option<Choice> {
    if candidates.is_empty() {
        return None;
    }
    let mut left: Vec<InstanceId> = candidates.to_vec();
    let mut steps = Vec::new();
    let mut picked = None;
    for s in strategies {
        let before = left.len();
        let (kept, measure) = match s {
            _ if picked.is_some() => (left.clone(), Measure::Skipped),
            Strategy::Random => {
                let one = left[rng.below(Purpose::Placement, before as u64) as usize];
                picked = Some(one);
                (vec![one], Measure::Random)
            }
            _ if before <= 1 => (left.clone(), Measure::Skipped),
            Strategy::Spread(field) => spread(world, cluster, group, &left, field),
            Strategy::Binpack(field) => binpack(world, &left, *field),
        };
        if picked.is_none() {
            left.clone_from(&kept);
        }
        steps.push(Step {
            strategy: s.clone(),
            before,
            kept,
            measure,
        });
    }
    let (instance, tie) = match picked {
        Some(one) => (one, Vec::new()),
        None => (
            left[rng.below(Purpose::Placement, left.len() as u64) as usize],
            left,
        ),
    };
    Some(Choice {
        instance,
        candidates: candidates.len(),
        steps,
        tie,
    })
}

fn bucket(inst: &Instance, field: &SpreadField) -> Bucket {
    match field {
        SpreadField::Instance => Bucket::Instance(inst.id),
        SpreadField::Attribute(name) => Bucket::Value(
            inst.attributes
                .get(name)
                .map(|v| v.clone().unwrap_or_default()),
        ),
    }
}

/// spread: the candidates whose bucket holds the fewest tasks of the group (desiredStatus not
/// STOPPED, over the whole cluster), and the count of every bucket present among them.
fn spread(
    world: &World,
    cluster: ClusterId,
    group: &str,
    left: &[InstanceId],
    field: &SpreadField,
) -> (Vec<InstanceId>, Measure) {
    let keys: Vec<Bucket> = left
        .iter()
        .map(|i| bucket(world.instance(*i), field))
        .collect();
    let mut counts: BTreeMap<Bucket, u64> = keys.iter().map(|k| (k.clone(), 0)).collect();
    for task in world.group_tasks(cluster, group) {
        if let Some(n) = counts.get_mut(&bucket(world.instance(task.instance), field)) {
            *n += 1;
        }
    }
    let best = counts.values().copied().min().unwrap_or(0);
    let kept = left
        .iter()
        .zip(&keys)
        .filter(|(_, k)| counts.get(*k) == Some(&best))
        .map(|(i, _)| *i)
        .collect();
    (kept, Measure::Spread(counts.into_iter().collect()))
}

/// binpack: the candidates with the least remaining amount of the field.
fn binpack(world: &World, left: &[InstanceId], field: BinpackField) -> (Vec<InstanceId>, Measure) {
    let remaining = |i: &InstanceId| {
        let r = &world.instance(*i).remaining;
        match field {
            BinpackField::Cpu => r.cpu,
            BinpackField::Memory => r.memory_mib,
        }
    };
    let best = left.iter().map(remaining).min().unwrap_or(0);
    (
        left.iter()
            .copied()
            .filter(|i| remaining(i) == best)
            .collect(),
        Measure::Binpack(best),
    )
}

#[cfg(test)]
mod tests {
    use super::super::filters::test_support::Fixture;
    use super::*;
    use crate::resources::Requirement;

    fn ids(n: u32) -> Vec<InstanceId> {
        (0..n).map(InstanceId).collect()
    }

    fn pick(f: &Fixture, strategies: &[Strategy], seed: u64) -> Choice {
        let mut rng = RngStreams::new(seed);
        let n = f.world.instances.len() as u32;
        choose(
            &f.world,
            ClusterId(0),
            "family:web",
            &ids(n),
            strategies,
            &mut rng,
        )
        .unwrap()
    }

    #[test]
    fn spread_by_zone_prefers_the_emptiest_zone() {
        let mut f = Fixture::new(6, 4096, 4096);
        // zones: 0,3 -> a; 1,4 -> b; 2,5 -> c. Put web tasks in a and b.
        f.place_in_group(0, Requirement::default(), "family:web");
        f.place_in_group(4, Requirement::default(), "family:web");
        f.place_in_group(5, Requirement::default(), "family:other");
        let az = Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into()));
        for seed in 0..20 {
            let c = pick(&f, std::slice::from_ref(&az), seed);
            assert!(
                [2, 5].contains(&c.instance.0),
                "zone c only, got {:?}",
                c.instance
            );
        }
    }

    #[test]
    fn spread_then_instance_refines_within_the_zone() {
        let mut f = Fixture::new(6, 4096, 4096);
        f.place_in_group(0, Requirement::default(), "family:web");
        f.place_in_group(1, Requirement::default(), "family:web");
        f.place_in_group(2, Requirement::default(), "family:web");
        f.place_in_group(2, Requirement::default(), "family:web");
        let s = [
            Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
            Strategy::Spread(SpreadField::Instance),
        ];
        // zones a (0,3) and b (1,4) have 1 task each, c has 2: then the emptier instance, 3 or 4.
        for seed in 0..20 {
            let c = pick(&f, &s, seed);
            assert!([3, 4].contains(&c.instance.0), "got {:?}", c.instance);
            assert_eq!(
                c.steps.iter().map(|s| s.kept.len()).collect::<Vec<_>>(),
                vec![4, 2]
            );
        }
    }

    #[test]
    fn binpack_takes_the_least_remaining() {
        let mut f = Fixture::new(3, 4096, 4096);
        f.place(
            1,
            Requirement {
                memory_mib: 1000,
                cpu: 10,
                ..Default::default()
            },
        );
        f.place(
            2,
            Requirement {
                memory_mib: 500,
                cpu: 3000,
                ..Default::default()
            },
        );
        assert_eq!(
            pick(&f, &[Strategy::Binpack(BinpackField::Memory)], 1).instance,
            InstanceId(1)
        );
        assert_eq!(
            pick(&f, &[Strategy::Binpack(BinpackField::Cpu)], 1).instance,
            InstanceId(2)
        );
    }

    #[test]
    fn missing_attribute_is_one_bucket() {
        let mut f = Fixture::new(3, 4096, 4096);
        f.world.instances[0]
            .attributes
            .insert("rack".into(), Some("r1".into()));
        f.place_in_group(0, Requirement::default(), "family:web");
        f.place_in_group(1, Requirement::default(), "family:web");
        // r1 has 1 task, the missing bucket (1 and 2) has 1 too: everyone ties.
        let s = [Strategy::Spread(SpreadField::Attribute("rack".into()))];
        let seen: std::collections::BTreeSet<u32> =
            (0..40).map(|seed| pick(&f, &s, seed).instance.0).collect();
        assert_eq!(seen, [0, 1, 2].into());
        f.place_in_group(2, Requirement::default(), "family:web");
        for seed in 0..20 {
            assert_eq!(
                pick(&f, &s, seed).instance,
                InstanceId(0),
                "missing bucket now holds 2"
            );
        }
    }

    #[test]
    fn random_is_terminal_and_seeded() {
        let f = Fixture::new(5, 4096, 4096);
        let s = [Strategy::Random, Strategy::Binpack(BinpackField::Memory)];
        let a: Vec<u32> = (0..30).map(|seed| pick(&f, &s, seed).instance.0).collect();
        let b: Vec<u32> = (0..30).map(|seed| pick(&f, &s, seed).instance.0).collect();
        assert_eq!(a, b);
        assert!(a.iter().collect::<std::collections::BTreeSet<_>>().len() > 2);
    }
}
