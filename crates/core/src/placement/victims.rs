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
//! Each pick looks at the candidates not yet picked: a candidate's score is one number per
//! strategy (the group's live tasks in its zone or on its instance, not counting the tasks picked
//! so far; or what its instance would have available once it and the picked tasks are gone),
//! compared strategy by strategy (the candidates with the highest number stay, in list order);
//! the ones left are the tied set, and the draw picks one of them. The candidates are first
//! copied into a compact array (instance and zone numbers, what the instance has available), and
//! the counts are kept only for the zones and the candidates' instances, so a pass touches
//! neither the instance records nor instance-sized arrays.

use super::index::{PlacementIndex, ZONE_ATTRIBUTE};
use super::strategy::{BinpackField, SpreadField, Strategy};
use crate::ids::{ClusterId, InstanceId, TaskId};
use crate::rng::{Purpose, RngStreams};
use crate::service::RetiringTask;
use crate::world::World;

/// One strategy, as the picker scores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Level {
    ZoneLoad,
    InstanceLoad,
    Available(BinpackField),
}

/// At most this many levels (ECS allows 5 strategies per service).
const MAX_LEVELS: usize = 5;

/// The levels of the default service strategies (spread by zone, then by instance), which
/// `levels` gives an empty list without building the strategies.
const DEFAULT_LEVELS: [Level; 2] = [Level::ZoneLoad, Level::InstanceLoad];

/// The levels a pick scores by, in order, held inline (a pick asks for them every time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Levels {
    list: [Level; MAX_LEVELS],
    len: usize,
}

impl std::ops::Deref for Levels {
    type Target = [Level];

    fn deref(&self) -> &[Level] {
        &self.list[..self.len]
    }
}

/// The strategies as levels, up to the first random one; None when a strategy is not one the
/// picker serves (a spread over another attribute) or there are more than `MAX_LEVELS`.
pub(super) fn levels(strategies: &[Strategy]) -> Option<Levels> {
    let mut out = Levels {
        list: [Level::ZoneLoad; MAX_LEVELS],
        len: 0,
    };
    if strategies.is_empty() {
        out.list[..DEFAULT_LEVELS.len()].copy_from_slice(&DEFAULT_LEVELS);
        out.len = DEFAULT_LEVELS.len();
        return Some(out);
    }
    for s in strategies {
        let level = match s {
            Strategy::Random => break,
            Strategy::Spread(SpreadField::Instance) => Level::InstanceLoad,
            Strategy::Spread(SpreadField::Attribute(a)) if a == ZONE_ATTRIBUTE => Level::ZoneLoad,
            Strategy::Binpack(field) => Level::Available(*field),
            Strategy::Spread(_) => return None,
        };
        *out.list.get_mut(out.len)? = level;
        out.len += 1;
    }
    Some(out)
}

/// A candidate as the picker scores it, in a compact array the scoring loop walks: its
/// instance's number among the pass's instances, its zone's number, and what its instance would
/// have available with it gone and before any pick.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    local: u32,
    zone: u32,
    cpu: i64,
    memory_mib: i64,
}

/// What one pass needs beyond the zones' loads, from its levels.
#[derive(Clone, Copy, Debug)]
struct Needs {
    /// The group's tasks per instance (spread by instance).
    instance_load: bool,
    /// What the instances have available (binpack).
    available: bool,
}

impl Needs {
    fn of(levels: &[Level]) -> Needs {
        Needs {
            instance_load: levels.contains(&Level::InstanceLoad),
            available: levels.iter().any(|l| matches!(l, Level::Available(_))),
        }
    }
}

/// What passes reuse, so that a pass neither clears an instance-sized array nor allocates:
/// numbers for the instances of one pass (an instance's number counts only when stamped with
/// the current pass), and the pass's arrays, refilled at its start.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    pass: u32,
    /// Per instance: the pass that numbered it last, and its number in that pass.
    stamps: Vec<(u32, u32)>,
    arrays: Arrays,
}

/// The arrays of one pass: the candidates, which are not picked yet (in list order), the tied
/// set, and the counts per zone number and per instance of the candidates (by the number the
/// scratch gives it), so that a pass costs what its candidates cost.
#[derive(Clone, Debug, Default)]
struct Arrays {
    compact: Vec<Candidate>,
    alive: Vec<u32>,
    tied: Vec<u32>,
    zone_load: Vec<u64>,
    /// The group's live tasks on each of the candidates' instances.
    instance_load: Vec<u64>,
    /// CPU and memory the picked tasks give back, per instance.
    freed: Vec<(i64, i64)>,
    /// The candidates as listed (`compact[i]` scores `tasks[i]`).
    tasks: Vec<RetiringTask>,
}

impl Scratch {
    /// Starts a pass over a world of `instances` instances: every number from before is void.
    fn begin(&mut self, instances: usize) {
        self.pass = self.pass.wrapping_add(1);
        if self.pass == 0 {
            self.stamps.fill((0, 0));
            self.pass = 1;
        }
        if self.stamps.len() < instances {
            self.stamps.resize(instances, (0, 0));
        }
    }

    /// The instance's number in this pass, if it has one.
    fn get(&self, id: InstanceId) -> Option<usize> {
        match self.stamps[id.index()] {
            (pass, n) if pass == self.pass => Some(n as usize),
            _ => None,
        }
    }

    /// The instance's number in this pass, `next` if it had none (and whether it was new).
    fn number(&mut self, id: InstanceId, next: usize) -> (usize, bool) {
        if let Some(n) = self.get(id) {
            return (n, false);
        }
        self.stamps[id.index()] = (self.pass, next as u32);
        (next, true)
    }

    /// Starts a pass: numbers the candidates' instances, copies the candidates into the compact
    /// array, and reads the group's counts (per instance only when a level needs them).
    fn start(
        &mut self,
        (world, index): (&World, &PlacementIndex),
        (cluster, group): (ClusterId, &str),
        candidates: impl Iterator<Item = RetiringTask>,
        needs: Needs,
    ) {
        self.begin(world.instances().len());
        let mut a = std::mem::take(&mut self.arrays);
        a.compact.clear();
        a.tasks.clear();
        a.tasks.extend(candidates);
        let mut distinct = 0;
        for c in &a.tasks {
            let (local, new) = self.number(c.instance, distinct);
            distinct += usize::from(new);
            let (cpu, memory_mib) = if needs.available {
                let (cpu, memory_mib) = index.remaining(world, c.instance);
                (cpu + c.cpu, memory_mib + c.memory_mib)
            } else {
                (0, 0)
            };
            let zone = index
                .zone_id(c.instance)
                .expect("a task's instance is filed");
            let local = local as u32;
            a.compact.push(Candidate {
                local,
                zone,
                cpu,
                memory_mib,
            });
        }
        refill(&mut a.zone_load, index.zone_ids(), 0);
        refill(&mut a.instance_load, distinct, 0);
        refill(&mut a.freed, distinct, (0, 0));
        for (zone, tasks, per_instance) in index.group_counts(cluster, group) {
            a.zone_load[zone as usize] = tasks;
            for (instance, k) in per_instance.iter().filter(|_| needs.instance_load) {
                if let Some(at) = self.get(*instance) {
                    a.instance_load[at] = u64::from(*k);
                }
            }
        }
        a.alive.clear();
        a.alive.extend(0..a.tasks.len() as u32);
        self.arrays = a;
    }

    /// A picked (or already stopped) task stops counting in its zone and on its instance, and
    /// gives its resources back.
    fn forget(&mut self, c: &RetiringTask, zone: u32) {
        let at = self.get(c.instance);
        let a = &mut self.arrays;
        a.zone_load[zone as usize] = a.zone_load[zone as usize].saturating_sub(1);
        if let Some(at) = at {
            a.instance_load[at] = a.instance_load[at].saturating_sub(1);
            a.freed[at].0 += c.cpu;
            a.freed[at].1 += c.memory_mib;
        }
    }
}

/// Empties `list` and fills it with `len` copies of `value`, keeping its allocation.
fn refill<T: Clone>(list: &mut Vec<T>, len: usize, value: T) {
    list.clear();
    list.resize(len, value);
}

/// `k` tasks to stop among `candidates` (of the group `(cluster, group)`, in id order), picked
/// one after the other as `ScaleInPass::choose` picks them after `stopped` (tasks of the group
/// already stopped in the pass), each pick counting the earlier ones as gone. Fewer when the
/// candidates run out. None (before any draw) when a strategy is not one served here.
pub fn pick(
    world: &World,
    index: &PlacementIndex,
    group: (ClusterId, &str),
    strategies: &[Strategy],
    (stopped, candidates): (&[RetiringTask], impl Iterator<Item = RetiringTask>),
    k: usize,
    rng: &mut RngStreams,
) -> Option<Vec<TaskId>> {
    let levels = levels(strategies)?;
    let mut scratch = index.victims_scratch.borrow_mut();
    scratch.start((world, index), group, candidates, Needs::of(&levels));
    for s in stopped {
        let zone = index
            .zone_id(s.instance)
            .expect("a task's instance is filed");
        scratch.forget(s, zone);
    }
    let mut picked = Vec::with_capacity(k);
    let mut last = None;
    while picked.len() < k && !scratch.arrays.alive.is_empty() {
        let a = &mut scratch.arrays;
        if !last.is_some_and(|at| keep_unmoved(a, &levels, at)) {
            best_tied(a, &levels);
        }
        let at = a.tied[rng.below(Purpose::Placement, a.tied.len() as u64) as usize];
        let place = a
            .alive
            .binary_search(&at)
            .expect("a tied candidate is alive");
        a.alive.remove(place);
        last = Some(at);
        let at = at as usize;
        let (zone, task) = (a.compact[at].zone, a.tasks[at]);
        scratch.forget(&task, zone);
        picked.push(task.task);
    }
    Some(picked)
}

/// After the pick of `picked` (from `tied`), keeps in `tied` the candidates whose score it did not
/// move, and says whether they are the best left (asked before the next pick only). A pick only
/// lowers scores when no level is a binpack one (its zone's and its instance's loads drop by one;
/// what instances have available, which a pick raises, is not scored): then a tied candidate whose
/// score did not move still has the best score, no other candidate can have reached it, and the
/// tied set is those, in list order, as `best_tied` would find them. None left, or a binpack
/// level: `best_tied` again.
fn keep_unmoved(a: &mut Arrays, levels: &[Level], picked: u32) -> bool {
    if levels.iter().any(|l| matches!(l, Level::Available(_))) {
        return false;
    }
    let by_zone = levels.contains(&Level::ZoneLoad);
    let by_instance = levels.contains(&Level::InstanceLoad);
    let p = a.compact[picked as usize];
    let compact = &a.compact;
    a.tied.retain(|&at| {
        let c = &compact[at as usize];
        at != picked && !(by_zone && c.zone == p.zone) && !(by_instance && c.local == p.local)
    });
    !a.tied.is_empty()
}

/// The candidates of `alive` (the ones not picked, in list order) with the best score, in list
/// order, into `tied`: level by level, the ones with the level's highest number stay.
fn best_tied(a: &mut Arrays, levels: &[Level]) {
    let Arrays {
        compact,
        alive,
        tied,
        zone_load,
        instance_load,
        freed,
        ..
    } = a;
    tied.clear();
    tied.extend_from_slice(alive);
    for level in levels {
        if tied.len() <= 1 {
            return;
        }
        let c = |at: u32| &compact[at as usize];
        match level {
            Level::ZoneLoad => keep_best(tied, |at| zone_load[c(at).zone as usize] as i64),
            Level::InstanceLoad => {
                keep_best(tied, |at| instance_load[c(at).local as usize] as i64);
            }
            Level::Available(BinpackField::Cpu) => {
                keep_best(tied, |at| c(at).cpu + freed[c(at).local as usize].0);
            }
            Level::Available(BinpackField::Memory) => {
                keep_best(tied, |at| c(at).memory_mib + freed[c(at).local as usize].1);
            }
        }
    }
}

/// Keeps the entries of `list` whose `value` is the highest, in order: one sweep, each value
/// computed once, the kept entries moved forward in place. Every entry is written at the kept
/// end and counts only when it ties the best, so the sweep has no branch on a tie (ties and
/// misses alternate unpredictably); only a new best, rare after the first entries, branches.
pub(super) fn keep_best(list: &mut Vec<u32>, value: impl Fn(u32) -> i64) {
    let mut best = i64::MIN;
    let mut kept = 0;
    for i in 0..list.len() {
        let at = list[i];
        let v = value(at);
        if v > best {
            (best, kept) = (v, 0);
        }
        // `kept <= i`: the write lands on an entry already read.
        list[kept] = at;
        kept += usize::from(v == best);
    }
    list.truncate(kept);
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::filters::test_support::Fixture;
    use super::super::scale_in::{ScaleInPass, default_service_strategies};
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

    /// One strategy of each kind `pick` serves.
    pub(in crate::placement) fn served_strategies() -> Vec<Strategy> {
        vec![
            Strategy::Random,
            Strategy::Spread(SpreadField::Attribute(ZONE_ATTRIBUTE.into())),
            Strategy::Spread(SpreadField::Instance),
            Strategy::Binpack(BinpackField::Cpu),
            Strategy::Binpack(BinpackField::Memory),
        ]
    }

    #[test]
    fn no_strategies_score_as_the_default_service_strategies() {
        let default = levels(&default_service_strategies()).expect("served");
        assert_eq!(levels(&[]), Some(default));
        assert_eq!(&*default, &DEFAULT_LEVELS[..]);
        let six = vec![Strategy::Spread(SpreadField::Instance); MAX_LEVELS + 1];
        assert_eq!(levels(&six), None, "more levels than ECS allows strategies");
        let capped = [&six[..MAX_LEVELS], &[Strategy::Random]].concat();
        assert_eq!(levels(&capped).map(|l| l.len()), Some(MAX_LEVELS));
    }

    fn strategy_list() -> impl proptest::strategy::Strategy<Value = Vec<Strategy>> {
        let mut atoms = served_strategies();
        atoms.push(Strategy::Spread(SpreadField::Attribute("rack".into())));
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
            // The engine re-files an instance after each reservation.
            index.update_amounts(&f.world, crate::ids::InstanceId(i as u32));
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
            // A pass before over other candidates: the numbers it left in the scratch are void.
            let _ = pick(
                &f.world, &index, (ClusterId(0), group), &case.strategies,
                (&[], candidates[candidates.len() / 2..].iter().copied()), case.picks,
                &mut RngStreams::new(case.seed ^ 1),
            );
            let got = pick(
                &f.world, &index, (ClusterId(0), group), &case.strategies,
                (stopped, candidates.iter().copied()), case.picks, &mut rng_fast,
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
