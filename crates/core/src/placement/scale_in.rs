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
//!
//! A `ScaleInPass` serves a loop that stops several tasks: tasks stopped in the pass count as
//! gone for the next pick. It counts the group's tasks per instance once, on the first spread,
//! then updates the counts as tasks stop, so each pick looks at its candidates and at the
//! instances holding the group, with no strings built.

use super::index::{PlacementIndex, ZONE_ATTRIBUTE};
use super::strategy::{BinpackField, SpreadField, Strategy};
use crate::ids::{ClusterId, InstanceId, TaskId};
use crate::rng::{Purpose, RngStreams};
use crate::world::World;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// The placement strategies a REPLICA service uses when it names none (§5.5 AZ balance).
pub fn default_service_strategies() -> Vec<Strategy> {
    vec![
        Strategy::Spread(SpreadField::Attribute("ecs.availability-zone".into())),
        Strategy::Spread(SpreadField::Instance),
    ]
}

/// The task to stop among `tasks` (of group `group`), or None when `tasks` is empty. An empty
/// `strategies` means the default AZ balance. `stopping` are tasks already chosen in this pass:
/// they count as gone, so several picks in a row keep the balance. A loop that picks several
/// tasks should keep one `ScaleInPass` instead: this counts the group afresh on every call.
pub fn choose_task_to_stop(
    world: &World,
    cluster: ClusterId,
    group: &str,
    tasks: &[TaskId],
    strategies: &[Strategy],
    stopping: &[TaskId],
    rng: &mut RngStreams,
) -> Option<TaskId> {
    let mut pass = ScaleInPass::new(world, cluster, group, strategies);
    for &task in stopping {
        pass.stop(task);
    }
    pass.choose(tasks, rng)
}

/// One scale-in pass over a group, e.g. one reconcile of a service: the tasks stopped so far and
/// what they take away, kept up to date as tasks stop so that each pick costs about one look at
/// its candidates, whatever the number of picks.
pub struct ScaleInPass<'a> {
    world: &'a World,
    cluster: ClusterId,
    group: &'a str,
    strategies: Cow<'a, [Strategy]>,
    /// Every task stopped in the pass, in order (repeats kept).
    stopped: Vec<TaskId>,
    /// The same tasks, for membership.
    stopping: BTreeSet<TaskId>,
    /// CPU and memory the stopped tasks give back, per instance.
    freed: BTreeMap<InstanceId, Freed>,
    /// The group's tasks still counted by spread: counted on the first spread, then kept.
    live: Option<LiveCounts<'a>>,
    /// The placement index, whose copy of each instance's zone spares the attribute lookups.
    zones: Option<&'a PlacementIndex>,
}

impl<'a> ScaleInPass<'a> {
    /// A pass with nothing stopped yet. An empty `strategies` means the default AZ balance.
    pub fn new(
        world: &'a World,
        cluster: ClusterId,
        group: &'a str,
        strategies: &'a [Strategy],
    ) -> ScaleInPass<'a> {
        let strategies = if strategies.is_empty() {
            Cow::Owned(default_service_strategies())
        } else {
            Cow::Borrowed(strategies)
        };
        ScaleInPass {
            world,
            cluster,
            group,
            strategies,
            stopped: Vec::new(),
            stopping: BTreeSet::new(),
            freed: BTreeMap::new(),
            live: None,
            zones: None,
        }
    }

    /// Reads zones from the placement index (which the engine keeps equal to each instance's
    /// `ecs.availability-zone` attribute) instead of the attributes: same picks, less work.
    pub fn with_zones(mut self, zones: Option<&'a PlacementIndex>) -> ScaleInPass<'a> {
        self.zones = zones;
        self
    }

    /// Records that `task` stops in this pass: later picks count it as gone.
    pub fn stop(&mut self, task: TaskId) {
        self.stopped.push(task);
        let t = self.world.task(task);
        let freed = self.freed.entry(t.instance).or_default();
        freed.cpu += t.allocation.cpu;
        freed.memory_mib += t.allocation.memory_mib;
        if self.stopping.insert(task)
            && let Some(live) = &mut self.live
        {
            live.forget(self.world, task);
        }
    }

    /// The tasks stopped in this pass, in the order they were stopped.
    pub fn stopped(&self) -> &[TaskId] {
        &self.stopped
    }

    /// Whether `task` stopped in this pass.
    pub fn is_stopped(&self, task: TaskId) -> bool {
        self.stopping.contains(&task)
    }

    /// The task to stop among `tasks`, or None when `tasks` is empty. Does not stop it: call
    /// `stop` with the task actually stopped.
    pub fn choose(&mut self, tasks: &[TaskId], rng: &mut RngStreams) -> Option<TaskId> {
        let mut left: Vec<TaskId> = tasks.to_vec();
        left.sort_unstable();
        let (world, zones) = (self.world, self.zones);
        for s in self.strategies.iter() {
            if left.len() <= 1 {
                break;
            }
            match s {
                Strategy::Random => break,
                Strategy::Spread(field) => {
                    let live = self.live.get_or_insert_with(|| {
                        LiveCounts::new(world, self.cluster, self.group, &self.stopping)
                    });
                    keep_most_loaded(world, zones, live, field, &mut left);
                }
                Strategy::Binpack(field) => keep_most_freed(world, &self.freed, *field, &mut left),
            }
        }
        let pick = rng.below(Purpose::Placement, left.len() as u64) as usize;
        left.get(pick).copied()
    }
}

/// CPU units and MiB of memory given back on an instance.
#[derive(Clone, Copy, Debug, Default)]
struct Freed {
    cpu: i64,
    memory_mib: i64,
}

impl Freed {
    fn of(&self, field: BinpackField) -> i64 {
        match field {
            BinpackField::Cpu => self.cpu,
            BinpackField::Memory => self.memory_mib,
        }
    }
}

/// The group's tasks (desiredStatus not STOPPED) that are not stopping, per instance. Sorted
/// vectors, built with two sorts: a pass often picks a single task, so building must be cheap.
#[derive(Debug, Default)]
struct LiveCounts<'w> {
    /// The counted tasks, sorted (a task the group lists twice is counted twice).
    tasks: Vec<TaskId>,
    /// Each instance holding counted tasks, with their number, sorted by instance.
    per_instance: Vec<(InstanceId, u64)>,
    /// Per attribute a spread has used in this pass, kept up to date as tasks stop.
    by_attribute: Vec<ByAttribute<'w>>,
}

/// One attribute's view of the counts: each holding instance's value (aligned with
/// `per_instance`) and the counts summed by value. Looked up once per pass, not once per pick,
/// so repeated picks compare no attribute names.
#[derive(Debug)]
struct ByAttribute<'w> {
    name: String,
    values: Vec<Option<&'w str>>,
    per_value: BTreeMap<Option<&'w str>, u64>,
}

impl<'w> LiveCounts<'w> {
    fn new(
        world: &World,
        cluster: ClusterId,
        group: &str,
        stopping: &BTreeSet<TaskId>,
    ) -> LiveCounts<'w> {
        let mut tasks = Vec::new();
        let mut instances = Vec::new();
        for task in world.group_tasks(cluster, group) {
            if !stopping.contains(&task.id) {
                tasks.push(task.id);
                instances.push(task.instance);
            }
        }
        tasks.sort_unstable();
        instances.sort_unstable();
        let mut per_instance: Vec<(InstanceId, u64)> = Vec::new();
        for instance in instances {
            match per_instance.last_mut() {
                Some((last, n)) if *last == instance => *n += 1,
                _ => per_instance.push((instance, 1)),
            }
        }
        LiveCounts {
            tasks,
            per_instance,
            by_attribute: Vec::new(),
        }
    }

    /// The number of counted tasks on `instance`.
    fn on(&self, instance: InstanceId) -> u64 {
        self.per_instance
            .binary_search_by_key(&instance, |(i, _)| *i)
            .map_or(0, |k| self.per_instance[k].1)
    }

    /// `task` stops: it no longer counts.
    fn forget(&mut self, world: &World, task: TaskId) {
        let first = self.tasks.partition_point(|t| *t < task);
        let end = self.tasks.partition_point(|t| *t <= task);
        if first == end {
            return;
        }
        self.tasks.drain(first..end);
        let instance = world.task(task).instance;
        let gone = (end - first) as u64;
        if let Ok(k) = self
            .per_instance
            .binary_search_by_key(&instance, |(i, _)| *i)
        {
            self.per_instance[k].1 -= gone;
            for view in &mut self.by_attribute {
                if let Some(n) = view.per_value.get_mut(&view.values[k]) {
                    *n -= gone;
                }
            }
        }
    }

    /// The view of attribute `name` (None: the attribute is missing; a present attribute
    /// without a value is the value ""), built on first use.
    fn by_attribute(
        &mut self,
        world: &'w World,
        zones: Option<&'w PlacementIndex>,
        name: &str,
    ) -> &ByAttribute<'w> {
        let at = match self.by_attribute.iter().position(|v| v.name == name) {
            Some(at) => at,
            None => {
                let values: Vec<Option<&'w str>> = self
                    .per_instance
                    .iter()
                    .map(|(instance, _)| attribute_value(world, zones, *instance, name))
                    .collect();
                let mut per_value = BTreeMap::new();
                for (value, (_, n)) in values.iter().zip(&self.per_instance) {
                    *per_value.entry(*value).or_insert(0) += n;
                }
                self.by_attribute.push(ByAttribute {
                    name: name.to_string(),
                    values,
                    per_value,
                });
                self.by_attribute.len() - 1
            }
        };
        &self.by_attribute[at]
    }

    /// Where `instance` sits in `per_instance`, if it holds counted tasks.
    fn position(&self, instance: InstanceId) -> Option<usize> {
        self.per_instance
            .binary_search_by_key(&instance, |(i, _)| *i)
            .ok()
    }
}

/// An instance's value of attribute `name`: its spread bucket.
fn attribute_value<'w>(
    world: &'w World,
    zones: Option<&'w PlacementIndex>,
    instance: InstanceId,
    name: &str,
) -> Option<&'w str> {
    if name == ZONE_ATTRIBUTE
        && let Some(zone) = zones.and_then(|z| z.zone_of(instance))
    {
        return zone;
    }
    let attributes = &world.instance(instance).attributes;
    attributes.get(name).map(|v| v.as_deref().unwrap_or(""))
}

/// spread: keeps the tasks whose bucket holds the most counted tasks of the group.
fn keep_most_loaded<'w>(
    world: &'w World,
    zones: Option<&'w PlacementIndex>,
    live: &mut LiveCounts<'w>,
    field: &SpreadField,
    left: &mut Vec<TaskId>,
) {
    let instance_of = |t: &TaskId| world.task(*t).instance;
    let loads: Vec<u64> = match field {
        SpreadField::Instance => left.iter().map(|t| live.on(instance_of(t))).collect(),
        SpreadField::Attribute(name) => {
            let positions: Vec<Option<usize>> =
                left.iter().map(|t| live.position(instance_of(t))).collect();
            let view = live.by_attribute(world, zones, name);
            left.iter()
                .zip(positions)
                .map(|(t, at)| match at {
                    Some(k) => view.values[k],
                    None => attribute_value(world, zones, instance_of(t), name),
                })
                .map(|v| view.per_value.get(&v).copied().unwrap_or(0))
                .collect()
        }
    };
    keep_best(left, &loads);
}

/// binpack: keeps the tasks on the instance with the most of `field` available once the task and
/// the pass's stopped tasks are gone.
fn keep_most_freed(
    world: &World,
    freed: &BTreeMap<InstanceId, Freed>,
    field: BinpackField,
    left: &mut Vec<TaskId>,
) {
    let available_after: Vec<i64> = left
        .iter()
        .map(|t| {
            let task = world.task(*t);
            let remaining = &world.instance(task.instance).remaining;
            let now = Freed {
                cpu: remaining.cpu,
                memory_mib: remaining.memory_mib,
            };
            let own = Freed {
                cpu: task.allocation.cpu,
                memory_mib: task.allocation.memory_mib,
            };
            let stopped = freed.get(&task.instance).copied().unwrap_or_default();
            now.of(field) + stopped.of(field) + own.of(field)
        })
        .collect();
    keep_best(left, &available_after);
}

/// Keeps the items of `left` whose score (same index in `scores`) is the highest, in order.
fn keep_best<T: Ord + Copy>(left: &mut Vec<TaskId>, scores: &[T]) {
    let Some(best) = scores.iter().copied().max() else {
        return;
    };
    let mut kept = scores.iter().map(|s| *s == best);
    left.retain(|_| kept.next().unwrap_or(false));
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

    /// The plainly written version `ScaleInPass` must agree with, pick for pick and draw for
    /// draw: it recounts the group and builds a string key per instance and task on every call.
    mod reference {
        use super::super::super::strategy::{BinpackField, SpreadField, Strategy};
        use super::super::default_service_strategies;
        use crate::ids::{ClusterId, InstanceId, TaskId};
        use crate::rng::{Purpose, RngStreams};
        use crate::world::World;
        use std::collections::BTreeMap;

        /// The task to stop among `tasks`, with `stopping` counted as gone.
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
                    Strategy::Spread(field) => {
                        most_loaded(world, cluster, group, &left, field, stopping)
                    }
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
    }

    /// Property tests: on generated worlds, `ScaleInPass` picks what `reference` picks.
    mod same_picks {
        use super::super::super::filters::test_support::Fixture;
        use super::super::*;
        use super::reference;
        use crate::resources::Requirement;
        use crate::task::DesiredStatus;
        use proptest::prelude::{
            Just, ProptestConfig, any, prop, prop_assert_eq, prop_oneof, proptest,
        };
        use proptest::strategy::Strategy as _;

        const GROUPS: [&str; 3] = ["service:web", "service:api", "family:batch"];
        const AZ: &str = "ecs.availability-zone";

        /// An instance's zone: three values, a present attribute with an empty or no value, or
        /// no attribute at all.
        fn zone(choice: u8) -> Option<Option<String>> {
            match choice {
                0..=2 => Some(Some(["a", "b", "c"][choice as usize].into())),
                3 => Some(Some(String::new())),
                4 => Some(None),
                _ => None,
            }
        }

        #[derive(Clone, Debug)]
        struct TaskSpec {
            instance: usize,
            group: usize,
            cpu: i64,
            memory_mib: i64,
            /// desiredStatus STOPPED: out of its group.
            stopped: bool,
        }

        #[derive(Clone, Debug)]
        struct Case {
            /// Per instance: zone choice, rack choice, registered CPU and memory.
            instances: Vec<(u8, u8, i64, i64)>,
            tasks: Vec<TaskSpec>,
            group: usize,
            /// Indices into `tasks` (modulo), in any order, repeats allowed.
            candidates: Vec<usize>,
            stopping: Vec<usize>,
            /// Tasks stopped between picks without being picked (e.g. unhealthy replacements).
            stopped_between: Vec<usize>,
            picks: usize,
            strategies: Vec<Strategy>,
            seed: u64,
        }

        fn atoms() -> Vec<Strategy> {
            vec![
                Strategy::Random,
                Strategy::Spread(SpreadField::Attribute(AZ.into())),
                Strategy::Spread(SpreadField::Attribute("rack".into())),
                Strategy::Spread(SpreadField::Instance),
                Strategy::Binpack(BinpackField::Cpu),
                Strategy::Binpack(BinpackField::Memory),
            ]
        }

        /// The lists services use, then arbitrary combinations of up to four strategies.
        fn strategy_list() -> impl proptest::strategy::Strategy<Value = Vec<Strategy>> {
            let a = atoms();
            let named = vec![
                vec![],
                default_service_strategies(),
                vec![a[1].clone()],
                vec![a[3].clone()],
                vec![a[4].clone()],
                vec![a[5].clone()],
                vec![a[0].clone()],
                vec![a[1].clone(), a[5].clone()],
                vec![a[5].clone(), a[1].clone(), a[3].clone()],
                vec![a[4].clone(), a[5].clone()],
                vec![a[1].clone(), a[0].clone()],
            ];
            prop_oneof![
                prop::sample::select(named),
                prop::collection::vec(prop::sample::select(a), 0..5),
            ]
        }

        fn task_spec(instances: usize) -> impl proptest::strategy::Strategy<Value = TaskSpec> {
            (
                0..instances,
                0..GROUPS.len(),
                prop::sample::select(vec![0i64, 128, 256, 512]),
                prop::sample::select(vec![0i64, 256, 512]),
                prop::bool::weighted(0.15),
            )
                .prop_map(|(instance, group, cpu, memory_mib, stopped)| TaskSpec {
                    instance,
                    group,
                    cpu,
                    memory_mib,
                    stopped,
                })
        }

        fn case() -> impl proptest::strategy::Strategy<Value = Case> {
            let instance = (
                0u8..6,
                0u8..3,
                prop::sample::select(vec![2048i64, 4096]),
                prop::sample::select(vec![2048i64, 4096]),
            );
            prop::collection::vec(instance, 1..10)
                .prop_flat_map(|instances| {
                    let n = instances.len();
                    (
                        Just(instances),
                        prop::collection::vec(task_spec(n), 0..40),
                        0..GROUPS.len(),
                        prop::collection::vec(0usize..1000, 0..30),
                        prop::collection::vec(0usize..1000, 0..6),
                        prop::collection::vec(0usize..1000, 0..4),
                        1usize..6,
                        strategy_list(),
                        any::<u64>(),
                    )
                })
                .prop_map(
                    |(instances, tasks, group, candidates, stopping, between, picks, s, seed)| {
                        Case {
                            instances,
                            tasks,
                            group,
                            candidates,
                            stopping,
                            stopped_between: between,
                            picks,
                            strategies: s,
                            seed,
                        }
                    },
                )
        }

        fn world(case: &Case) -> (Fixture, Vec<TaskId>) {
            let mut f = Fixture::new(case.instances.len(), 0, 0);
            for (i, (zone_choice, rack, cpu, memory_mib)) in case.instances.iter().enumerate() {
                let inst = &mut f.world.instances[i];
                inst.attributes.clear();
                if let Some(z) = zone(*zone_choice) {
                    inst.attributes.insert(AZ.into(), z);
                }
                if *rack > 0 {
                    inst.attributes
                        .insert("rack".into(), Some(format!("r{rack}")));
                }
                inst.remaining.cpu = *cpu;
                inst.remaining.memory_mib = *memory_mib;
            }
            let mut ids = Vec::new();
            for spec in &case.tasks {
                let req = Requirement {
                    cpu: spec.cpu,
                    memory_mib: spec.memory_mib,
                    ..Default::default()
                };
                let id = f.place_in_group(spec.instance, req, GROUPS[spec.group]);
                if spec.stopped {
                    f.world.tasks[id.index()].desired_status = DesiredStatus::Stopped;
                    f.world.leave_group(id);
                }
                ids.push(id);
            }
            (f, ids)
        }

        /// The tasks at `indices` (taken modulo the number of tasks).
        fn pick_out(ids: &[TaskId], indices: &[usize]) -> Vec<TaskId> {
            if ids.is_empty() {
                return Vec::new();
            }
            indices.iter().map(|i| ids[i % ids.len()]).collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// One call: the same task, and the Placement stream left in the same state.
            #[test]
            fn one_pick_matches_the_reference(case in case()) {
                let (f, ids) = world(&case);
                let group = GROUPS[case.group];
                let candidates = pick_out(&ids, &case.candidates);
                let stopping = pick_out(&ids, &case.stopping);
                let mut rng_ref = RngStreams::new(case.seed);
                let mut rng_fast = RngStreams::new(case.seed);
                let expected = reference::choose_task_to_stop(
                    &f.world, ClusterId(0), group, &candidates, &case.strategies, &stopping,
                    &mut rng_ref,
                );
                let got = choose_task_to_stop(
                    &f.world, ClusterId(0), group, &candidates, &case.strategies, &stopping,
                    &mut rng_fast,
                );
                prop_assert_eq!(got, expected);
                prop_assert_eq!(
                    rng_fast.below(Purpose::Placement, u64::MAX),
                    rng_ref.below(Purpose::Placement, u64::MAX)
                );
            }

            /// A scheduler-like loop: picks in a row, other stops in between, one pass kept
            /// throughout against the reference called afresh with the growing stopping list.
            #[test]
            fn a_pass_of_picks_matches_the_reference(case in case()) {
                let (f, ids) = world(&case);
                let group = GROUPS[case.group];
                let mut candidates = pick_out(&ids, &case.candidates);
                let mut stopping = pick_out(&ids, &case.stopping);
                let between = pick_out(&ids, &case.stopped_between);
                let mut rng_ref = RngStreams::new(case.seed);
                let mut rng_fast = RngStreams::new(case.seed);
                let mut pass = ScaleInPass::new(&f.world, ClusterId(0), group, &case.strategies);
                for t in &stopping {
                    pass.stop(*t);
                }
                for round in 0..case.picks {
                    let expected = reference::choose_task_to_stop(
                        &f.world, ClusterId(0), group, &candidates, &case.strategies, &stopping,
                        &mut rng_ref,
                    );
                    let got = pass.choose(&candidates, &mut rng_fast);
                    prop_assert_eq!(got, expected, "pick {}", round);
                    let Some(victim) = got else { break };
                    candidates.retain(|t| *t != victim);
                    stopping.push(victim);
                    pass.stop(victim);
                    if let Some(other) = between.get(round) {
                        stopping.push(*other);
                        pass.stop(*other);
                    }
                    prop_assert_eq!(pass.stopped(), &stopping[..]);
                }
                prop_assert_eq!(
                    rng_fast.below(Purpose::Placement, u64::MAX),
                    rng_ref.below(Purpose::Placement, u64::MAX)
                );
            }
        }
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
