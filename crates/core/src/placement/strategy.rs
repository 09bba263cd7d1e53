//! Placement strategies (§1.3): spread, binpack and random, applied in list order as
//! lexicographic refinement, then a seeded tie-break.
//!
//! * `spread(field)`: keep the candidates whose value of `field` (the instance itself for
//!   `instanceId`/`host`, else an attribute) has the fewest tasks of the task group (the
//!   service's tasks for a service), counting tasks whose desiredStatus is not STOPPED over the
//!   whole cluster. Instances without the attribute form one bucket of their own. Only values
//!   present among the candidates compete, so a zone with no valid instance is skipped.
//! * `binpack(cpu|memory)`: keep the candidates with the least remaining amount of the field.
//! * `random`: pick uniformly among the remaining candidates (the tie-break below, at once);
//!   strategies after it have no effect.
//! * Ties left after every strategy: a uniform pick from the seeded Placement stream, made by
//!   `tie_break` over the *tied set*: every placeable instance of the cluster (ACTIVE, agent
//!   connected) whose measure under each strategy equals that strategy's winning measure (the
//!   spread count of its bucket, or its remaining amount), in id order. Up to `TIE_DRAWS`
//!   uniform draws over that set take the first valid instance drawn; after that, a uniform draw
//!   over its valid instances (exactly the candidates every strategy kept). Either way the pick
//!   is uniform over the valid tied instances; drawing over the tied set lets the placement
//!   index pick in O(log n) without checking every tied instance.

use crate::ids::{ClusterId, InstanceId};
use crate::instance::{Instance, InstanceStatus};
use crate::rng::{Purpose, RngStreams};
use crate::world::World;
use std::collections::BTreeMap;

/// How many uniform draws over the tied set the tie-break makes before it lists the valid ones.
pub const TIE_DRAWS: usize = 16;

/// An ordered set of instances the tie-break draws from.
pub trait TieSet {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The `r`-th instance in id order (`r < len()`).
    fn nth(&self, r: usize) -> InstanceId;
    /// The instances `valid` accepts, in id order.
    fn valid(&self, valid: &dyn Fn(InstanceId) -> bool) -> Vec<InstanceId>;
}

impl TieSet for [InstanceId] {
    fn len(&self) -> usize {
        <[InstanceId]>::len(self)
    }
    fn nth(&self, r: usize) -> InstanceId {
        self[r]
    }
    fn valid(&self, valid: &dyn Fn(InstanceId) -> bool) -> Vec<InstanceId> {
        self.iter().copied().filter(|id| valid(*id)).collect()
    }
}

/// The seeded tie-break (module doc): up to `TIE_DRAWS` draws over `tied`, the first instance
/// that `valid` accepts wins; then a uniform draw over the valid ones. None when none is valid.
pub fn tie_break<T: TieSet + ?Sized>(
    tied: &T,
    valid: impl Fn(InstanceId) -> bool,
    rng: &mut RngStreams,
) -> Option<InstanceId> {
    if tied.is_empty() {
        return None;
    }
    let n = tied.len() as u64;
    for _ in 0..TIE_DRAWS {
        let one = tied.nth(rng.below(Purpose::Placement, n) as usize);
        if valid(one) {
            return Some(one);
        }
    }
    let valid = tied.valid(&valid);
    let pick = rng.below(Purpose::Placement, valid.len() as u64) as usize;
    valid.get(pick).copied()
}

/// What one strategy kept, as a test any instance can be put to (for the tied set).
enum Winner {
    /// The bucket's count of group tasks (over every bucket of the cluster) equals `best`.
    Spread {
        field: SpreadField,
        counts: BTreeMap<Bucket, u64>,
        best: u64,
    },
    /// The remaining amount equals `best`.
    Binpack { field: BinpackField, best: i64 },
}

impl Winner {
    fn matches(&self, inst: &Instance) -> bool {
        match self {
            Winner::Spread {
                field,
                counts,
                best,
            } => counts.get(&bucket(inst, field)).copied().unwrap_or(0) == *best,
            Winner::Binpack { field, best } => remaining(inst, *field) == *best,
        }
    }
}

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
    let mut winners = Vec::new();
    let mut picked = None;
    for s in strategies {
        let before = left.len();
        let (kept, measure) = match s {
            _ if picked.is_some() => (left.clone(), Measure::Skipped),
            Strategy::Random => {
                // The tie-break, now: uniform over the candidates left.
                let one = draw(world, cluster, &winners, &left, rng)?;
                picked = Some(one);
                (vec![one], Measure::Random)
            }
            Strategy::Spread(field) => {
                let (kept, measure, winner) = spread(world, cluster, group, &left, field);
                winners.push(winner);
                (kept, measure)
            }
            Strategy::Binpack(field) => {
                let (kept, measure, winner) = binpack(world, &left, *field);
                winners.push(winner);
                (kept, measure)
            }
        };
        let measure = if before <= 1 && picked.is_none() {
            Measure::Skipped
        } else {
            measure
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
        None => (draw(world, cluster, &winners, &left, rng)?, left),
    };
    Some(Choice {
        instance,
        candidates: candidates.len(),
        steps,
        tie,
    })
}

/// The tie-break over the instances matching `winners`, accepting the candidates `left`.
fn draw(
    world: &World,
    cluster: ClusterId,
    winners: &[Winner],
    left: &[InstanceId],
    rng: &mut RngStreams,
) -> Option<InstanceId> {
    let tied = tied_set(world, cluster, winners);
    let mut valid = left.to_vec();
    valid.sort_unstable();
    tie_break(tied.as_slice(), |i| valid.binary_search(&i).is_ok(), rng)
}

/// The tied set: the cluster's placeable instances that match every winner, in id order.
fn tied_set(world: &World, cluster: ClusterId, winners: &[Winner]) -> Vec<InstanceId> {
    let mut tied: Vec<InstanceId> = world
        .cluster(cluster)
        .instances
        .iter()
        .map(|i| world.instance(*i))
        .filter(|inst| inst.status == InstanceStatus::Active && inst.agent_connected)
        .filter(|inst| winners.iter().all(|w| w.matches(inst)))
        .map(|inst| inst.id)
        .collect();
    tied.sort_unstable();
    tied
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
) -> (Vec<InstanceId>, Measure, Winner) {
    let keys: Vec<Bucket> = left
        .iter()
        .map(|i| bucket(world.instance(*i), field))
        .collect();
    let mut counts: BTreeMap<Bucket, u64> = BTreeMap::new();
    for task in world.group_tasks(cluster, group) {
        *counts
            .entry(bucket(world.instance(task.instance), field))
            .or_insert(0) += 1;
    }
    let present: BTreeMap<Bucket, u64> = keys
        .iter()
        .map(|k| (k.clone(), counts.get(k).copied().unwrap_or(0)))
        .collect();
    let best = present.values().copied().min().unwrap_or(0);
    let kept = left
        .iter()
        .zip(&keys)
        .filter(|(_, k)| present.get(*k) == Some(&best))
        .map(|(i, _)| *i)
        .collect();
    let winner = Winner::Spread {
        field: field.clone(),
        counts,
        best,
    };
    (kept, Measure::Spread(present.into_iter().collect()), winner)
}

fn remaining(inst: &Instance, field: BinpackField) -> i64 {
    match field {
        BinpackField::Cpu => inst.remaining.cpu,
        BinpackField::Memory => inst.remaining.memory_mib,
    }
}

/// binpack: the candidates with the least remaining amount of the field.
fn binpack(
    world: &World,
    left: &[InstanceId],
    field: BinpackField,
) -> (Vec<InstanceId>, Measure, Winner) {
    let amount = |i: &InstanceId| remaining(world.instance(*i), field);
    let best = left.iter().map(amount).min().unwrap_or(0);
    (
        left.iter().copied().filter(|i| amount(i) == best).collect(),
        Measure::Binpack(best),
        Winner::Binpack { field, best },
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
    fn tie_break_is_uniform_over_the_valid_and_never_picks_another() {
        let tied = ids(10);
        let valid = |i: InstanceId| i.0 % 2 == 1;
        let mut seen = [0u32; 10];
        for seed in 0..2_000 {
            let one = tie_break(tied.as_slice(), valid, &mut RngStreams::new(seed)).unwrap();
            seen[one.0 as usize] += 1;
        }
        for (i, n) in seen.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(*n, 0, "instance {i} is not valid");
            } else {
                assert!((300..500).contains(n), "instance {i} drawn {n} of 2000");
            }
        }
    }

    #[test]
    fn tie_break_lists_the_valid_ones_after_the_draws_miss() {
        let tied = ids(100_000);
        let only = InstanceId(77_777);
        for seed in 0..5 {
            let one = tie_break(tied.as_slice(), |i| i == only, &mut RngStreams::new(seed));
            assert_eq!(one, Some(only));
        }
        assert_eq!(
            tie_break(tied.as_slice(), |_| false, &mut RngStreams::new(1)),
            None
        );
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
