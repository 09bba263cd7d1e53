//! Many scale-in picks in a row, fast: the tasks a rolling deployment stops in one reconcile,
//! chosen exactly as `scale_in::ScaleInPass::choose` would choose them one after the other (the
//! same candidates, the same tied set in id order, the same draws), but from the placement
//! index's counts and dense per-reconcile arrays instead of the world's task records.
//!
//! Serves the strategies the index knows: `spread(instanceId)`,
//! `spread(attribute:ecs.availability-zone)`, `binpack(cpu|memory)` and `random` (which ends the
//! list), and no strategy (the default AZ balance). Anything else is `None`, decided before any
//! draw, and the caller takes the general pass.
//!
//! Each pick looks once at the candidates not yet picked: a candidate's score is one number per
//! strategy (the group's live tasks in its zone or on its instance, not counting the tasks picked
//! so far; or what its instance would have available once it and the picked tasks are gone),
//! compared in list order; the candidates with the best score are the tied set, and the draw
//! picks one of them.

use super::index::{PlacementIndex, ZONE_ATTRIBUTE};
use super::scale_in::default_service_strategies;
use super::strategy::{BinpackField, SpreadField, Strategy};
use crate::ids::{ClusterId, TaskId};
use crate::rng::{Purpose, RngStreams};
use crate::service::RetiringTask;
use crate::world::World;

/// One strategy, as the picker scores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    ZoneLoad,
    InstanceLoad,
    Available(BinpackField),
}

/// At most this many levels (ECS allows 5 strategies per service).
const MAX_LEVELS: usize = 5;

fn levels(strategies: &[Strategy]) -> Option<Vec<Level>> {
    let default;
    let list = if strategies.is_empty() {
        default = default_service_strategies();
        &default[..]
    } else {
        strategies
    };
    let mut out = Vec::new();
    for s in list {
        out.push(match s {
            Strategy::Random => break,
            Strategy::Spread(SpreadField::Instance) => Level::InstanceLoad,
            Strategy::Spread(SpreadField::Attribute(a)) if a == ZONE_ATTRIBUTE => Level::ZoneLoad,
            Strategy::Binpack(field) => Level::Available(*field),
            Strategy::Spread(_) => return None,
        });
    }
    (out.len() <= MAX_LEVELS).then_some(out)
}

/// The pass's counts, one slot per instance or zone number.
struct Counts {
    instance_load: Vec<u64>,
    zone_load: Vec<u64>,
    /// CPU and memory the picked tasks give back, per instance.
    freed: Vec<(i64, i64)>,
}

impl Counts {
    fn new(
        world: &World,
        index: &PlacementIndex,
        cluster: ClusterId,
        group: &str,
        levels: &[Level],
    ) -> Counts {
        let n = world.instances().len();
        let wants = |f: fn(&Level) -> bool| levels.iter().any(f);
        let mut counts = Counts {
            instance_load: vec![
                0;
                if wants(|l| *l == Level::InstanceLoad) {
                    n
                } else {
                    0
                }
            ],
            zone_load: vec![0; index.zone_ids()],
            freed: vec![
                (0, 0);
                if wants(|l| matches!(l, Level::Available(_))) {
                    n
                } else {
                    0
                }
            ],
        };
        for (zone, tasks, per_instance) in index.group_counts(cluster, group) {
            counts.zone_load[zone as usize] = tasks;
            if !counts.instance_load.is_empty() {
                for (instance, k) in per_instance {
                    counts.instance_load[instance.index()] = *k;
                }
            }
        }
        counts
    }
}

/// `k` tasks to stop among `candidates` (of the group `(cluster, group)`, in id order), picked
/// one after the other as `ScaleInPass::choose` picks them after `stopped` (tasks of the group
/// already stopped in the pass), each pick counting the earlier ones as gone. Fewer when the
/// candidates run out. None (before any draw) when a strategy is not one served here.
pub fn pick(
    world: &World,
    index: &PlacementIndex,
    (cluster, group): (ClusterId, &str),
    strategies: &[Strategy],
    (stopped, candidates): (&[RetiringTask], &[RetiringTask]),
    k: usize,
    rng: &mut RngStreams,
) -> Option<Vec<TaskId>> {
    let levels = levels(strategies)?;
    let mut counts = Counts::new(world, index, cluster, group, &levels);
    for s in stopped {
        let zone = index
            .zone_id(s.instance)
            .expect("a task's instance is filed");
        forget(&mut counts, s, zone);
    }
    let zone_of: Vec<u32> = candidates
        .iter()
        .map(|c| {
            index
                .zone_id(c.instance)
                .expect("a task's instance is filed")
        })
        .collect();
    let mut taken = vec![false; candidates.len()];
    let mut picked = Vec::with_capacity(k);
    let mut tied: Vec<usize> = Vec::new();
    while picked.len() < k {
        tied.clear();
        let mut best = [i64::MIN; MAX_LEVELS];
        for (at, c) in candidates.iter().enumerate() {
            if taken[at] {
                continue;
            }
            let score = score(world, &counts, &levels, c, zone_of[at]);
            match score.cmp(&best) {
                std::cmp::Ordering::Greater => {
                    best = score;
                    tied.clear();
                    tied.push(at);
                }
                std::cmp::Ordering::Equal => tied.push(at),
                std::cmp::Ordering::Less => {}
            }
        }
        if tied.is_empty() {
            break;
        }
        let at = tied[rng.below(Purpose::Placement, tied.len() as u64) as usize];
        taken[at] = true;
        let c = &candidates[at];
        forget(&mut counts, c, zone_of[at]);
        picked.push(c.task);
    }
    Some(picked)
}

/// A candidate's score, one number per level (higher is picked first).
fn score(
    world: &World,
    counts: &Counts,
    levels: &[Level],
    c: &RetiringTask,
    zone: u32,
) -> [i64; MAX_LEVELS] {
    let mut score = [0; MAX_LEVELS];
    for (slot, level) in score.iter_mut().zip(levels) {
        *slot = match level {
            Level::ZoneLoad => counts.zone_load[zone as usize] as i64,
            Level::InstanceLoad => counts.instance_load[c.instance.index()] as i64,
            Level::Available(field) => {
                let remaining = &world.instance(c.instance).remaining;
                let (cpu, memory_mib) = counts.freed[c.instance.index()];
                match field {
                    BinpackField::Cpu => remaining.cpu + cpu + c.cpu,
                    BinpackField::Memory => remaining.memory_mib + memory_mib + c.memory_mib,
                }
            }
        };
    }
    score
}

/// A picked task stops counting in its zone and on its instance, and gives its resources back.
fn forget(counts: &mut Counts, c: &RetiringTask, zone: u32) {
    let zone_load = &mut counts.zone_load[zone as usize];
    *zone_load = zone_load.saturating_sub(1);
    if let Some(load) = counts.instance_load.get_mut(c.instance.index()) {
        *load = load.saturating_sub(1);
    }
    if let Some(freed) = counts.freed.get_mut(c.instance.index()) {
        freed.0 += c.cpu;
        freed.1 += c.memory_mib;
    }
}

#[cfg(test)]
mod tests {
    use super::super::filters::test_support::Fixture;
    use super::super::scale_in::ScaleInPass;
    use super::*;
    use crate::resources::Requirement;
    use crate::task::DesiredStatus;
    use proptest::prelude::{ProptestConfig, any, prop, prop_assert_eq, prop_oneof, proptest};
    use proptest::strategy::Strategy as _;

    const GROUPS: [&str; 2] = ["service:web", "family:batch"];

    #[derive(Clone, Debug)]
    struct Case {
        /// Per instance: zone choice (3: "", 4: no value, 5: no attribute), CPU, memory.
        instances: Vec<(u8, i64, i64)>,
        /// Per task: instance, group, CPU, memory, told to stop.
        tasks: Vec<(usize, usize, i64, i64, bool)>,
        /// Which live tasks of `service:web` are candidates.
        chosen: Vec<bool>,
        picks: usize,
        /// How many of the first candidates are stopped before the picks.
        stopped_first: usize,
        strategies: Vec<Strategy>,
        seed: u64,
    }

    fn strategy_list() -> impl proptest::strategy::Strategy<Value = Vec<Strategy>> {
        let atoms = vec![
            Strategy::Random,
            Strategy::Spread(SpreadField::Attribute(ZONE_ATTRIBUTE.into())),
            Strategy::Spread(SpreadField::Instance),
            Strategy::Binpack(BinpackField::Cpu),
            Strategy::Binpack(BinpackField::Memory),
            Strategy::Spread(SpreadField::Attribute("rack".into())),
        ];
        prop_oneof![
            prop::sample::select(vec![
                vec![],
                default_service_strategies(),
                vec![atoms[1].clone(), atoms[4].clone()],
                vec![atoms[3].clone()],
                vec![atoms[2].clone()],
            ]),
            prop::collection::vec(prop::sample::select(atoms), 0..5),
        ]
    }

    fn case() -> impl proptest::strategy::Strategy<Value = Case> {
        let instance = (0u8..6, prop::sample::select(vec![2048i64, 4096]), 0i64..3);
        let task = (
            0usize..8,
            0usize..2,
            prop::sample::select(vec![0i64, 128, 256]),
            prop::sample::select(vec![0i64, 256, 512]),
            prop::bool::weighted(0.1),
        );
        (
            prop::collection::vec(instance, 1..8),
            prop::collection::vec(task, 0..40),
            prop::collection::vec(any::<bool>(), 40),
            0usize..45,
            prop::sample::select(vec![0usize, 0, 1, 3]),
            strategy_list(),
            any::<u64>(),
        )
            .prop_map(
                |(instances, tasks, chosen, picks, stopped_first, strategies, seed)| Case {
                    instances: instances
                        .into_iter()
                        .map(|(z, cpu, m)| (z, cpu, 1024 * (m + 2)))
                        .collect(),
                    tasks,
                    chosen,
                    picks,
                    stopped_first,
                    strategies,
                    seed,
                },
            )
    }

    /// The world, its index, and the candidates (live `service:web` tasks, in id order).
    fn world(case: &Case) -> (Fixture, PlacementIndex, Vec<RetiringTask>) {
        let mut f = Fixture::new(case.instances.len(), 0, 0);
        for (i, (zone, cpu, memory_mib)) in case.instances.iter().enumerate() {
            let inst = &mut f.world.instances[i];
            inst.attributes.clear();
            let value = match zone {
                0..=2 => Some(Some(["a", "b", "c"][*zone as usize].to_string())),
                3 => Some(Some(String::new())),
                4 => Some(None),
                _ => None,
            };
            if let Some(v) = value {
                inst.attributes.insert(ZONE_ATTRIBUTE.into(), v);
            }
            (inst.remaining.cpu, inst.remaining.memory_mib) = (*cpu, *memory_mib);
        }
        let mut index = PlacementIndex::default();
        for i in 0..case.instances.len() {
            index.update(&f.world, crate::ids::InstanceId(i as u32));
        }
        let mut candidates = Vec::new();
        for (k, (i, group, cpu, memory_mib, stopped)) in case.tasks.iter().enumerate() {
            let i = i % case.instances.len();
            let req = Requirement {
                cpu: *cpu,
                memory_mib: *memory_mib,
                ..Default::default()
            };
            let id = f.place_in_group(i, req, GROUPS[*group]);
            if *stopped {
                f.world.tasks[id.index()].desired_status = DesiredStatus::Stopped;
                f.world.leave_group(id);
                continue;
            }
            index.count_task(
                &f.world,
                GROUPS[*group],
                crate::ids::InstanceId(i as u32),
                1,
            );
            if *group == 0 && case.chosen[k] {
                candidates.push(RetiringTask {
                    task: id,
                    instance: crate::ids::InstanceId(i as u32),
                    cpu: *cpu,
                    memory_mib: *memory_mib,
                });
            }
        }
        (f, index, candidates)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The same tasks in the same order as a `ScaleInPass` choosing and stopping one at a
        /// time, and the Placement stream left in the same state; None (no draw) for a
        /// strategy not served here.
        #[test]
        fn picks_match_a_scale_in_pass(case in case()) {
            let (f, index, candidates) = world(&case);
            let mut rng_fast = RngStreams::new(case.seed);
            let mut rng_pass = RngStreams::new(case.seed);
            let group = GROUPS[0];
            // The first candidates stopped beforehand (as unhealthy tasks are), the rest picked.
            let (stopped, candidates) = candidates.split_at(case.stopped_first.min(candidates.len()));
            let got = pick(
                &f.world, &index, (ClusterId(0), group), &case.strategies,
                (stopped, candidates), case.picks, &mut rng_fast,
            );
            let served = levels(&case.strategies).is_some();
            prop_assert_eq!(got.is_some(), served);
            if let Some(got) = got {
                let mut pass = ScaleInPass::new(&f.world, ClusterId(0), group, &case.strategies)
                    .with_zones(Some(&index));
                for s in stopped {
                    pass.stop(s.task);
                }
                let mut left: Vec<TaskId> = candidates.iter().map(|c| c.task).collect();
                let mut expected = Vec::new();
                while expected.len() < case.picks {
                    let Some(victim) = pass.choose(&left, &mut rng_pass) else { break };
                    left.retain(|t| *t != victim);
                    pass.stop(victim);
                    expected.push(victim);
                }
                prop_assert_eq!(got, expected);
            }
            prop_assert_eq!(
                rng_fast.below(Purpose::Placement, u64::MAX),
                rng_pass.below(Purpose::Placement, u64::MAX)
            );
        }
    }
}
