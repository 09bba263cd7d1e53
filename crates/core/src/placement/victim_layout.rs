//! A rolling deployment's victims picked from a layout of the service's older tasks that lasts
//! across reconciles: the same tasks, in the same order, with the same draws as `victims::pick`
//! over the whole retiring list, at a cost that follows the service's instances and zones rather
//! than its tasks.
//!
//! When every older task has the same CPU and memory, a task's score (`victims`' levels: its
//! zone's load, its instance's load, what its instance would have available) is its instance's,
//! so a pick scores the instances holding older tasks (only those of the best zones when the
//! zone comes first), keeps the best, and draws among their tasks in id order. The layout (each
//! task's instance, the instances grouped by zone, each instance's tasks) is built once per
//! epoch of the retiring list (its positions hold until it is reset or compacted) and follows
//! its removals from the list's log; anything a pass changes is undone at its end. The group's
//! per-instance loads are kept too, brought up to the index's counts from the group's change
//! log (the instances whose count moved since the last pass), and with spread levels only
//! (the zone's load then the instance's, or the instance's alone) the instances are kept
//! grouped by load, so a pass reads its best instances instead of scoring them all; with a
//! binpack alone, or the zone's load then a binpack, they are kept ordered by what they have
//! available, brought up to date from the index's amount log. Tasks of differing sizes take
//! `victims::pick`.

use super::bits::nth_in_word;
use super::index::{GroupZones, PlacementIndex};
use super::strategy::{BinpackField, Strategy};
use super::victims::{self, Level, keep_best};
use crate::ids::{ClusterId, InstanceId, ServiceId, TaskId};
use crate::rng::{Purpose, RngStreams};
use crate::service::{Retiring, RetiringTask};
use crate::world::World;
use smallvec::SmallVec;
use std::collections::BTreeSet;
use std::ops::Range;

/// The layouts, by service number, and the arrays a pass reuses.
#[derive(Clone, Debug, Default)]
pub struct Layouts {
    by_service: Vec<Layout>,
    pass: PassArrays,
}

/// One service's older tasks, as the picks see them.
#[derive(Clone, Debug, Default)]
struct Layout {
    /// The retiring list's epoch and the index's zone moves it was built for (None: never).
    built_for: Option<(u64, u64)>,
    /// How many of the list's removals are counted.
    seen_removed: usize,
    /// Every listed task's CPU and memory, None when they differ.
    own: Option<(i64, i64)>,
    /// Per position in the list: its instance's number in the layout, and where the position
    /// is in `positions`.
    local_of: Vec<u32>,
    grouped_at: Vec<u32>,
    /// Per instance number (instances in id order).
    instances: Vec<Slot>,
    /// The positions, grouped by instance number, each group in order.
    positions: Vec<u32>,
    /// Per zone number: its instances' numbers (in id order) and how many tasks are left there.
    zones: Vec<(Vec<u32>, u32)>,
    /// Tasks left in all.
    alive: u32,
    /// The build's (instance, position) pairs, kept for the next build's room.
    by_instance: Vec<(InstanceId, u32)>,
    /// Per entry of `positions`: gone from the list, or picked in the current pass.
    gone: Vec<bool>,
    /// Per position in the list, one bit: the task is left (neither gone nor picked).
    left_bits: Vec<u64>,
    /// Per instance number: the group's live tasks there (older and newer), as the index
    /// counts them, less the current pass's picks; valid while `loads_read` is.
    instance_load: Vec<u64>,
    /// The group's change log's read number after the layout last read it (None: the loads
    /// are to be read afresh).
    loads_read: Option<u64>,
    /// The instances with tasks left by load, while the levels are spread ones it serves.
    by_load: ByLoad,
    /// Per instance number: the CPU and memory the pass's picks give back (written only when
    /// a level reads it; all zero between passes).
    freed: Vec<(i64, i64)>,
    /// The instances with tasks left by what they have available, while the levels are
    /// binpack ones it serves.
    by_amount: ByAmount,
}

/// The instances with tasks left, ordered by their remaining amount of one resource plus what
/// the pass's picks freed there, so that a pass whose levels are that binpack alone, or the
/// zone's load then it, reads its best instances instead of scoring them all. Kept (once a
/// pass asks) from the index's amount log; every change of an instance's tasks left, amount
/// or freed amount refiles it.
#[derive(Clone, Debug, Default)]
struct ByAmount {
    /// Whether it is kept, and then whether per zone, and by which resource.
    kept: Option<(bool, BinpackField)>,
    /// The amount log's number it has read to.
    read_to: u64,
    /// Per instance number: its remaining amount (as filed, or the world's when not filed).
    amount: Vec<i64>,
    /// Per scope (zone number, or 0): (amount with what the pass freed, instance number) of
    /// the instances with tasks left.
    scopes: Vec<BTreeSet<(i64, u32)>>,
}

/// Where the by-load and by-amount orders file an instance (None: not filed there).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Filing {
    load: Option<u64>,
    amount: Option<i64>,
}

/// The instance's remaining amount of `field` (`PlacementIndex::remaining`).
fn remaining_amount(world: &World, index: &PlacementIndex, id: InstanceId, f: BinpackField) -> i64 {
    field_of(index.remaining(world, id), f)
}

/// The instances with tasks left, grouped by their load, so that a pass whose levels are the
/// zone's load then the instance's, or the instance's alone, finds its best instances without
/// scoring them all. Kept (once a pass asks) while the loads are followed; every change of an
/// instance's tasks left or load refiles it.
#[derive(Clone, Debug, Default)]
struct ByLoad {
    /// Whether it is kept, and then whether per zone (else one group for all zones).
    per_zone: Option<bool>,
    /// Per scope (zone number, or 0), per load: the instances' numbers, in order (the lists
    /// keep their room from one filing to the next).
    scopes: Vec<Vec<Vec<u32>>>,
    /// Per scope: one more than its highest load with an instance (0: none).
    ends: Vec<usize>,
}

/// The scope `ByLoad` and `ByAmount` file an instance in: its zone's number, or 0 for all.
fn scope_of(per_zone: bool, slot: &Slot) -> usize {
    if per_zone { slot.zone as usize } else { 0 }
}

impl ByLoad {
    /// Empties it, to be filed per zone or not.
    fn clear(&mut self, per_zone: bool, zones: usize) {
        let scopes = if per_zone { zones } else { 1 };
        for loads in &mut self.scopes {
            loads.iter_mut().for_each(Vec::clear);
        }
        self.scopes.resize_with(scopes, Vec::new);
        refill(&mut self.ends, scopes, 0);
        self.per_zone = Some(per_zone);
    }

    /// The list of `load` in `scope`, made if new.
    fn list(&mut self, scope: usize, load: u64) -> &mut Vec<u32> {
        let (loads, end) = (&mut self.scopes[scope], &mut self.ends[scope]);
        let load = load as usize;
        if loads.len() <= load {
            loads.resize_with(load + 1, Vec::new);
        }
        *end = (*end).max(load + 1);
        &mut loads[load]
    }

    fn insert(&mut self, scope: usize, load: u64, local: u32) {
        let list = self.list(scope, load);
        let at = list.binary_search(&local).unwrap_err();
        list.insert(at, local);
    }

    fn remove(&mut self, scope: usize, load: u64, local: u32) {
        let (loads, end) = (&mut self.scopes[scope], &mut self.ends[scope]);
        let list = &mut loads[load as usize];
        let at = list
            .binary_search(&local)
            .expect("a filed instance is in its list");
        list.remove(at);
        while *end > 0 && loads[*end - 1].is_empty() {
            *end -= 1;
        }
    }

    /// The highest load in the scope and its instances (None: no instance).
    fn top(&self, scope: usize) -> Option<(u64, &[u32])> {
        let end = self.ends[scope];
        (end > 0).then(|| ((end - 1) as u64, &self.scopes[scope][end - 1][..]))
    }
}

/// One instance holding older tasks.
#[derive(Clone, Debug)]
struct Slot {
    id: InstanceId,
    zone: u32,
    /// Its tasks not gone (nor picked in the pass).
    alive: u32,
    /// Its positions in `Layout::positions`.
    at: Range<u32>,
}

/// What one pass scores by, per zone and per instance number, refilled at its start.
#[derive(Clone, Debug, Default)]
struct PassArrays {
    zone_load: Vec<u64>,
    /// The instances with the best score.
    best: Vec<u32>,
    /// Their tasks left: set with them, lowered by each pick and each instance that leaves.
    tied_count: u32,
    /// Per instance number: among the best (set only while `walk_to` walks the list).
    in_best: Vec<bool>,
    /// Per position in the list, one bit: a task left on one of the best instances; kept
    /// while `counted_valid` (built by the second pick over one set of best instances, then
    /// updated as picks take tasks and instances leave the set).
    counted: Vec<u64>,
    counted_valid: bool,
    /// Whether the list was walked for the current set of best instances.
    walked: bool,
    /// Whether a level is the instance's load (`Layout::instance_load` followed then).
    by_instance: bool,
    /// Whether a level is what instances have available (`Layout::freed` kept then).
    by_available: bool,
    /// The best instances' tasks, when more than one instance ties.
    tied: Vec<u32>,
    picked: Vec<u32>,
    /// Keep `ByLoad` and `ByAmount` for layouts of any size, not only from `BY_LOAD_FROM`
    /// instances (tests check both ways).
    by_load_always: bool,
}

/// What a pass reads besides the layout.
struct Ctx<'a> {
    world: &'a World,
    index: &'a PlacementIndex,
    retiring: &'a Retiring,
    /// The group's counts by zone number.
    group: Option<&'a GroupZones>,
}

/// The tasks one pass picks to stop: inline for the usual few (a rolling deployment stops one
/// or two older tasks a pass).
pub type Victims = SmallVec<[TaskId; 8]>;

/// `k` of the service's older tasks to stop after `stopped` (listed tasks already stopped in the
/// pass), as `victims::pick(.., (stopped, candidates), k, ..)` picks them, where `candidates`
/// are the other listed tasks (in id order; read only when the tasks' sizes differ). None
/// (before any draw) when a strategy is not one `victims` serves.
pub fn pick(
    (world, index): (&World, &PlacementIndex),
    (service, group): (ServiceId, (ClusterId, &str)),
    strategies: &[Strategy],
    (retiring, stopped, candidates): (
        &Retiring,
        &[RetiringTask],
        impl Iterator<Item = RetiringTask>,
    ),
    k: usize,
    rng: &mut RngStreams,
) -> Option<Victims> {
    let levels = victims::levels(strategies)?;
    let mut layouts = index.victim_layouts.borrow_mut();
    let Layouts { by_service, pass } = &mut *layouts;
    if by_service.len() <= service.index() {
        by_service.resize_with(service.index() + 1, Layout::default);
    }
    let layout = &mut by_service[service.index()];
    let group_zones = index.group_zones(group.0, group.1);
    pass.by_instance = levels.contains(&Level::InstanceLoad);
    layout.follow((world, index), retiring, group_zones, pass.by_instance);
    let Some(own) = layout.own else {
        drop(layouts);
        let listed = (stopped, candidates);
        return victims::pick(world, index, group, strategies, listed, k, rng)
            .map(Victims::from_vec);
    };
    let ctx = Ctx {
        world,
        index,
        retiring,
        group: group_zones,
    };
    pass.by_available = levels.iter().any(|l| matches!(l, Level::Available(_)));
    pass.begin(index, layout, ctx.group);
    for s in stopped {
        let at = retiring
            .entries()
            .binary_search_by_key(&s.task, |(t, _)| t.task);
        layout.pick_one(pass, (at.expect("a stopped task is listed") as u32, own));
    }
    let picked = layout.picks(&ctx, pass, (&levels, own), k, rng);
    layout.undo(pass);
    Some(picked)
}

impl PassArrays {
    /// The set of best instances was made anew: `counted` no longer follows it.
    fn best_changed(&mut self) {
        self.counted_valid = false;
        self.walked = false;
    }

    fn begin(&mut self, index: &PlacementIndex, layout: &Layout, group: Option<&GroupZones>) {
        refill(
            &mut self.zone_load,
            index.zone_ids().max(layout.zones.len()),
            0,
        );
        for (zone, counts) in group.into_iter().flat_map(GroupZones::iter) {
            self.zone_load[zone as usize] = counts.tasks();
        }
        // All false between walks.
        let instances = layout.instances.len();
        self.in_best.resize(instances, false);
        self.best_changed();
        self.best.clear();
        self.picked.clear();
    }
}

/// A (CPU, memory) pair's `field`.
fn field_of((cpu, memory_mib): (i64, i64), field: BinpackField) -> i64 {
    match field {
        BinpackField::Cpu => cpu,
        BinpackField::Memory => memory_mib,
    }
}

/// Whether `ByAmount` serves `levels`: per zone for the zone's load then a binpack, for all
/// zones for a binpack alone (and by which resource); None for any other list.
fn by_amount_levels(levels: &[Level]) -> Option<(bool, BinpackField)> {
    match levels {
        [Level::ZoneLoad, Level::Available(field)] => Some((true, *field)),
        [Level::Available(field)] => Some((false, *field)),
        _ => None,
    }
}

/// Whether `ByLoad` serves `levels`: per zone for the zone's load then the instance's, for all
/// zones for the instance's load alone; None for any other list.
fn by_load_levels(levels: &[Level]) -> Option<bool> {
    match levels {
        [Level::ZoneLoad, Level::InstanceLoad] => Some(true),
        [Level::InstanceLoad] => Some(false),
        _ => None,
    }
}

/// Layouts of at least this many instances keep `ByLoad` or `ByAmount` (for fewer, scoring them
/// all each pass costs less than refiling them on every change: the engine bench's rollout of
/// 20-task services, callgrind).
const BY_LOAD_FROM: usize = 64;

/// A tie of at least 1/`NTH_BY_BITS` of the list is found by counting bits (`Layout::nth`).
const NTH_BY_BITS: usize = 128;

/// The position of the `r`-th (from 0) set bit of a list of 64-bit words.
fn select(words: &[u64], r: usize) -> u32 {
    let mut left = r as u32;
    for (w, word) in words.iter().enumerate() {
        let n = word.count_ones();
        if left < n {
            return (w * 64) as u32 + nth_in_word(*word, left);
        }
        left -= n;
    }
    panic!("r is below the set bits' count")
}

/// Clears bit `at` of a list of 64-bit words.
fn clear_bit(words: &mut [u64], at: u32) {
    words[at as usize / 64] &= !(1 << (at % 64));
}

/// Empties `list` and fills it with `len` copies of `value`, keeping its allocation.
fn refill<T: Clone>(list: &mut Vec<T>, len: usize, value: T) {
    list.clear();
    list.resize(len, value);
}

impl Layout {
    /// Brings the layout up to the list: rebuilt for a new epoch (or zones that moved), else
    /// the removals since the last look counted.
    /// The group's per-instance loads are followed when `by_instance`.
    fn follow(
        &mut self,
        (world, index): (&World, &PlacementIndex),
        retiring: &Retiring,
        group: Option<&GroupZones>,
        by_instance: bool,
    ) {
        let key = (retiring.epoch(), index.zone_moves());
        if self.built_for != Some(key) {
            self.build(retiring, index);
            self.built_for = Some(key);
        }
        for &at in &retiring.removed()[self.seen_removed..] {
            self.forget(at);
        }
        self.seen_removed = retiring.removed().len();
        self.follow_amounts(world, index);
        if by_instance {
            self.follow_loads(group);
        } else if self.loads_read.take().is_some() {
            // Not followed any more: the log stops.
            self.by_load.per_zone = None;
            if let Some(group) = group {
                let mut log = group.changes();
                log.kept = false;
                log.instances.clear();
            }
        }
    }

    /// Brings `instance_load` up to the index's counts: the instances the group's change log
    /// names since the last read, or every instance when the layout has not read the log (or
    /// another reader emptied it since).
    fn follow_loads(&mut self, group: Option<&GroupZones>) {
        let Some(group) = group else {
            self.instance_load.fill(0);
            self.loads_read = None;
            self.by_load.per_zone = None;
            return;
        };
        let mut log = group.changes();
        if log.kept && self.loads_read == Some(log.reads) {
            for &id in &log.instances {
                if let Ok(local) = self.instances.binary_search_by_key(&id, |s| s.id) {
                    let zone = self.instances[local].zone;
                    let load = group.get(zone).and_then(|c| c.on(id));
                    let before = self.filed(local);
                    self.instance_load[local] = load.unwrap_or(0);
                    self.refile(local, before);
                }
            }
        } else {
            self.by_load.per_zone = None;
            for zone in 0..self.zones.len() {
                self.read_zone_loads(group, zone);
            }
        }
        log.kept = true;
        log.instances.clear();
        log.reads += 1;
        self.loads_read = Some(log.reads);
    }

    /// Reads the group's loads of the zone's instances.
    fn read_zone_loads(&mut self, group: &GroupZones, zone: usize) {
        let counts = group.get(zone as u32).map_or(&[][..], |c| c.per_instance());
        let mut counts = counts.iter().peekable();
        for &local in &self.zones[zone].0 {
            let id = self.instances[local as usize].id;
            while counts.next_if(|(i, _)| *i < id).is_some() {}
            let n = counts.next_if(|(i, _)| *i == id).map_or(0, |(_, n)| *n);
            self.instance_load[local as usize] = u64::from(n);
        }
    }

    fn build(&mut self, retiring: &Retiring, index: &PlacementIndex) {
        let entries = retiring.entries();
        let first = entries.first().map(|(t, _)| (t.cpu, t.memory_mib));
        self.own = first.filter(|own| entries.iter().all(|(t, _)| (t.cpu, t.memory_mib) == *own));
        let mut by_instance = std::mem::take(&mut self.by_instance);
        by_instance.clear();
        by_instance
            .extend((entries.iter().enumerate()).map(|(at, (t, _))| (t.instance, at as u32)));
        by_instance.sort_unstable();
        self.local_of.clear();
        self.local_of.resize(entries.len(), 0);
        self.grouped_at.clear();
        self.grouped_at.resize(entries.len(), 0);
        self.instances.clear();
        self.positions.clear();
        // Sized once: a task per position, at most as many instances.
        self.positions.reserve(entries.len());
        self.instances.reserve(by_instance.len());
        // Each zone's list emptied in place: a rebuild keeps their room.
        for (list, left) in &mut self.zones {
            list.clear();
            *left = 0;
        }
        self.zones.resize(index.zone_ids(), (Vec::new(), 0));
        for &(id, at) in &by_instance {
            if self.instances.last().is_none_or(|s| s.id != id) {
                self.add_instance(id, index);
            }
            let local = self.instances.len() - 1;
            self.local_of[at as usize] = local as u32;
            self.grouped_at[at as usize] = self.positions.len() as u32;
            self.positions.push(at);
            self.instances[local].at.end += 1;
            self.instances[local].alive += 1;
            self.zones[self.instances[local].zone as usize].1 += 1;
        }
        self.by_instance = by_instance;
        self.alive = entries.len() as u32;
        self.gone.clear();
        self.gone.resize(entries.len(), false);
        refill(&mut self.left_bits, entries.len().div_ceil(64), u64::MAX);
        if !entries.len().is_multiple_of(64) {
            // No bits past the list's end.
            self.left_bits[entries.len() / 64] = (1 << (entries.len() % 64)) - 1;
        }
        refill(&mut self.instance_load, self.instances.len(), 0);
        refill(&mut self.freed, self.instances.len(), (0, 0));
        self.loads_read = None;
        self.by_load.per_zone = None;
        self.by_amount.kept = None;
        self.seen_removed = 0;
        // Every entry counted alive above; the gone ones are in the removal log.
        debug_assert_eq!(
            entries.iter().filter(|(_, gone)| *gone).count(),
            retiring.removed().len()
        );
    }

    fn add_instance(&mut self, id: InstanceId, index: &PlacementIndex) {
        let zone = index.zone_id(id).expect("a task's instance is filed");
        let local = self.instances.len() as u32;
        let start = self.positions.len() as u32;
        self.instances.push(Slot {
            id,
            zone,
            alive: 0,
            at: start..start,
        });
        self.zones[zone as usize].0.push(local);
    }

    /// What the pass's picks freed of `field` on the instance.
    fn freed_of(&self, local: usize, field: BinpackField) -> i64 {
        field_of(self.freed[local], field)
    }

    /// Where `by_load` and `by_amount` file the instance: its load, and its amount with what
    /// the pass freed, while it has tasks left (None for an order not kept).
    #[inline]
    fn filed(&self, local: usize) -> Filing {
        if !self.keeps_orders() {
            // Neither kept (a small layout): nothing to file.
            return Filing::default();
        }
        self.filed_kept(local)
    }

    /// Whether `by_load` or `by_amount` is kept.
    fn keeps_orders(&self) -> bool {
        self.by_load.per_zone.is_some() || self.by_amount.kept.is_some()
    }

    fn filed_kept(&self, local: usize) -> Filing {
        let left = self.instances[local].alive > 0;
        let load = self.by_load.per_zone.filter(|_| left);
        let amount = self.by_amount.kept.filter(|_| left);
        Filing {
            load: load.map(|_| self.instance_load[local]),
            amount: amount.map(|(_, f)| self.by_amount.amount[local] + self.freed_of(local, f)),
        }
    }

    /// Moves the instance in `by_load` and `by_amount` from where they filed it (`before`) to
    /// where they file it now.
    #[inline]
    fn refile(&mut self, local: usize, before: Filing) {
        if self.keeps_orders() {
            self.refile_kept(local, before);
        }
    }

    fn refile_kept(&mut self, local: usize, before: Filing) {
        let after = self.filed_kept(local);
        if before == after {
            return;
        }
        let (slot, l) = (&self.instances[local], local as u32);
        if let Some(per_zone) = self.by_load.per_zone {
            let scope = scope_of(per_zone, slot);
            if let Some(load) = before.load {
                self.by_load.remove(scope, load, l);
            }
            if let Some(load) = after.load {
                self.by_load.insert(scope, load, l);
            }
        }
        if let Some((per_zone, _)) = self.by_amount.kept {
            let scope = &mut self.by_amount.scopes[scope_of(per_zone, slot)];
            if let Some(amount) = before.amount {
                scope.remove(&(amount, l));
            }
            if let Some(amount) = after.amount {
                scope.insert((amount, l));
            }
        }
    }

    /// Files every instance with tasks left in `by_amount`, per zone or not, by `field`, with
    /// the amounts read afresh (and the amount log read from its end on).
    fn file_by_amount(&mut self, ctx: &Ctx<'_>, (per_zone, field): (bool, BinpackField)) {
        let mut log = ctx.index.amount_log.borrow_mut();
        log.kept = true;
        let by_amount = &mut self.by_amount;
        by_amount.read_to = log.end();
        by_amount.kept = Some((per_zone, field));
        let scopes = if per_zone { self.zones.len() } else { 1 };
        by_amount.scopes.iter_mut().for_each(BTreeSet::clear);
        by_amount.scopes.resize_with(scopes, BTreeSet::new);
        by_amount.amount.clear();
        for (local, slot) in self.instances.iter().enumerate() {
            let amount = remaining_amount(ctx.world, ctx.index, slot.id, field);
            by_amount.amount.push(amount);
            if slot.alive > 0 {
                let key = amount + field_of(self.freed[local], field);
                let scope = scope_of(per_zone, slot);
                by_amount.scopes[scope].insert((key, local as u32));
            }
        }
    }

    /// Brings `by_amount` up to the index's amounts: the instances the amount log names since
    /// its last read, or (when the log was emptied since) none, to be filed afresh.
    fn follow_amounts(&mut self, world: &World, index: &PlacementIndex) {
        let Some((_, field)) = self.by_amount.kept else {
            return;
        };
        let log = index.amount_log.borrow();
        let Some(from) = self.by_amount.read_to.checked_sub(log.start) else {
            self.by_amount.kept = None;
            return;
        };
        for &id in &log.ids[from as usize..] {
            if let Ok(local) = self.instances.binary_search_by_key(&id, |s| s.id) {
                let before = self.filed(local);
                self.by_amount.amount[local] = remaining_amount(world, index, id, field);
                self.refile(local, before);
            }
        }
        self.by_amount.read_to = log.end();
    }

    /// Files every instance with tasks left in `by_load`, per zone or not.
    fn file_by_load(&mut self, per_zone: bool) {
        let by_load = &mut self.by_load;
        by_load.clear(per_zone, self.zones.len());
        for (local, slot) in self.instances.iter().enumerate() {
            if slot.alive > 0 {
                let scope = scope_of(per_zone, slot);
                // In number order: each list stays in order.
                by_load
                    .list(scope, self.instance_load[local])
                    .push(local as u32);
            }
        }
    }

    /// The task at `at` stops counting (gone from the list).
    fn forget(&mut self, at: u32) {
        let local = self.local_of[at as usize] as usize;
        let before = self.filed(local);
        self.uncount_task(at);
        self.refile(local, before);
    }

    /// The task at `at` stops counting (gone, or picked; `refile` after).
    fn uncount_task(&mut self, at: u32) {
        let slot = &mut self.instances[self.local_of[at as usize] as usize];
        slot.alive -= 1;
        self.zones[slot.zone as usize].1 -= 1;
        self.alive -= 1;
        self.gone[self.grouped_at[at as usize] as usize] = true;
        clear_bit(&mut self.left_bits, at);
    }

    /// The task at `at` counts again (a pick undone; `refile` after).
    fn count_task(&mut self, at: u32) {
        let slot = &mut self.instances[self.local_of[at as usize] as usize];
        slot.alive += 1;
        self.zones[slot.zone as usize].1 += 1;
        self.alive += 1;
        self.gone[self.grouped_at[at as usize] as usize] = false;
        self.left_bits[at as usize / 64] |= 1 << (at % 64);
    }

    /// Undoes the pass's picks (the list says when they are gone) and clears what they freed.
    fn undo(&mut self, pass: &mut PassArrays) {
        for &at in &pass.picked {
            let local = self.local_of[at as usize] as usize;
            let before = self.filed(local);
            self.freed[local] = (0, 0);
            if pass.by_instance {
                self.instance_load[local] += 1;
            }
            self.count_task(at);
            self.refile(local, before);
        }
    }

    /// Up to `k` picks, one after the other, each counting the ones before as gone (as
    /// `victims::pick` picks).
    fn picks(
        &mut self,
        ctx: &Ctx<'_>,
        pass: &mut PassArrays,
        (levels, own): (&[Level], (i64, i64)),
        k: usize,
        rng: &mut RngStreams,
    ) -> Victims {
        let mut out = Victims::with_capacity(k);
        let mut last = None;
        while out.len() < k && self.alive > 0 {
            if !last.is_some_and(|local| self.keep_unmoved(pass, (levels, own), local)) {
                self.best_instances(ctx, pass, (levels, own));
            }
            let tied = pass.tied_count;
            debug_assert_eq!(tied, self.tasks_on(&pass.best));
            let r = rng.below(Purpose::Placement, u64::from(tied)) as usize;
            let at = self.nth(pass, r, tied);
            let local = self.local_of[at as usize];
            self.pick_one(pass, (at, own));
            // The task was on one of the best.
            pass.tied_count -= 1;
            out.push(ctx.retiring.entries()[at as usize].0.task);
            last = Some(local);
        }
        out
    }

    /// The tasks left on `instances`.
    fn tasks_on(&self, instances: &[u32]) -> u32 {
        instances
            .iter()
            .map(|&l| self.instances[l as usize].alive)
            .sum()
    }

    /// The task at `at` is picked: it stops counting in its zone and on its instance, and gives
    /// its resources back.
    fn pick_one(&mut self, pass: &mut PassArrays, (at, own): (u32, (i64, i64))) {
        let local = self.local_of[at as usize] as usize;
        let zone = self.instances[local].zone as usize;
        pass.zone_load[zone] = pass.zone_load[zone].saturating_sub(1);
        let before = self.filed(local);
        if pass.by_instance {
            // A listed task is live, so it counts on its instance: the load is at least one
            // (`undo` adds it back).
            debug_assert!(self.instance_load[local] > 0);
            self.instance_load[local] -= 1;
        }
        if pass.by_available {
            self.freed[local].0 += own.0;
            self.freed[local].1 += own.1;
        }
        self.uncount_task(at);
        self.refile(local, before);
        if pass.counted_valid {
            clear_bit(&mut pass.counted, at);
        }
        pass.picked.push(at);
    }

    /// The instances with tasks left and the best score, into `pass.best`.
    fn best_instances(
        &mut self,
        ctx: &Ctx<'_>,
        pass: &mut PassArrays,
        (levels, own): (&[Level], (i64, i64)),
    ) {
        let mut best = std::mem::take(&mut pass.best);
        best.clear();
        pass.best_changed();
        let large = self.instances.len() >= BY_LOAD_FROM || pass.by_load_always;
        if let Some(per_zone) = by_load_levels(levels).filter(|_| large) {
            self.best_by_load(pass, per_zone, &mut best);
        } else if let Some(order) = by_amount_levels(levels).filter(|_| large) {
            self.best_by_amount(ctx, pass, order, &mut best);
        } else {
            self.best_by_scores(ctx, pass, (levels, own), &mut best);
        }
        pass.tied_count = self.tasks_on(&best);
        pass.best = best;
    }

    /// The best instances, scoring every instance with tasks left level by level.
    fn best_by_scores(
        &self,
        ctx: &Ctx<'_>,
        pass: &PassArrays,
        (levels, own): (&[Level], (i64, i64)),
        best: &mut Vec<u32>,
    ) {
        let rest = if levels.first() == Some(&Level::ZoneLoad) {
            self.best_zones_instances(pass, best);
            &levels[1..]
        } else {
            let alive =
                (0..self.instances.len() as u32).filter(|&l| self.instances[l as usize].alive > 0);
            best.extend(alive);
            levels
        };
        for level in rest {
            if best.len() <= 1 {
                break;
            }
            match level {
                Level::ZoneLoad => {
                    keep_best(best, |l| {
                        pass.zone_load[self.instances[l as usize].zone as usize] as i64
                    });
                }
                Level::InstanceLoad => {
                    keep_best(best, |l| self.instance_load[l as usize] as i64);
                }
                Level::Available(field) => {
                    keep_best(best, |l| self.available(ctx, l, (*field, own)));
                }
            }
        }
    }

    /// The best instances from `by_load` (filed first if it is not kept so): the most loaded
    /// of all, or of the most loaded zones with tasks left.
    fn best_by_load(&mut self, pass: &PassArrays, per_zone: bool, best: &mut Vec<u32>) {
        if self.by_load.per_zone != Some(per_zone) {
            self.file_by_load(per_zone);
        }
        let by_load = &self.by_load;
        if !per_zone {
            best.extend_from_slice(by_load.top(0).map_or(&[][..], |(_, ids)| ids));
            return;
        }
        let tops = self.top_zones(pass).filter_map(|z| by_load.top(z));
        let load = tops.clone().map(|(load, _)| load).max();
        for (_, ids) in tops.filter(|(l, _)| Some(*l) == load) {
            best.extend_from_slice(ids);
        }
    }

    /// The best instances from `by_amount` (filed first if it is not kept so): those with the
    /// most available of all, or of the most loaded zones with tasks left.
    fn best_by_amount(
        &mut self,
        ctx: &Ctx<'_>,
        pass: &PassArrays,
        order: (bool, BinpackField),
        best: &mut Vec<u32>,
    ) {
        if self.by_amount.kept != Some(order) {
            self.file_by_amount(ctx, order);
        }
        let scopes = &self.by_amount.scopes;
        let top = |z: usize| scopes[z].last().map(|(amount, _)| *amount);
        let mut take = |z: usize, amount: i64| {
            best.extend(
                scopes[z]
                    .range((amount, 0)..=(amount, u32::MAX))
                    .map(|(_, l)| *l),
            );
        };
        if !order.0 {
            if let Some(amount) = top(0) {
                take(0, amount);
            }
            return;
        }
        let tops = self.top_zones(pass);
        let amount = tops.clone().filter_map(top).max();
        for z in tops.filter(|&z| top(z) == amount) {
            take(
                z,
                amount.expect("a zone with tasks left has an instance filed"),
            );
        }
    }

    /// The zones with tasks left and the highest load, in order.
    fn top_zones<'s>(&'s self, pass: &'s PassArrays) -> impl Iterator<Item = usize> + Clone + 's {
        let zones = (0..self.zones.len()).filter(|&z| self.zones[z].1 > 0);
        let top = zones.clone().map(|z| pass.zone_load[z]).max();
        zones.filter(move |&z| Some(pass.zone_load[z]) == top)
    }

    /// The instances with tasks left in the zones with tasks left and the highest load.
    fn best_zones_instances(&self, pass: &PassArrays, best: &mut Vec<u32>) {
        for z in self.top_zones(pass) {
            let alive = self.zones[z]
                .0
                .iter()
                .filter(|&&l| self.instances[l as usize].alive > 0);
            best.extend(alive);
        }
    }

    /// What the instance would have available of `field` with one of its tasks and the pass's
    /// picks gone.
    fn available(
        &self,
        ctx: &Ctx<'_>,
        local: u32,
        (field, own): (BinpackField, (i64, i64)),
    ) -> i64 {
        let id = self.instances[local as usize].id;
        let amount = remaining_amount(ctx.world, ctx.index, id, field);
        amount + self.freed_of(local as usize, field) + field_of(own, field)
    }

    /// After a pick on `picked`, keeps the best instances whose score it did not move (as
    /// `victims::keep_unmoved` keeps tasks): true when some are left and no level is a binpack
    /// one.
    fn keep_unmoved(
        &self,
        pass: &mut PassArrays,
        (levels, own): (&[Level], (i64, i64)),
        picked: u32,
    ) -> bool {
        if let [Level::Available(field)] = levels {
            pass.best_changed();
            return self.keep_raised(pass, (*field, own), picked);
        }
        if levels.iter().any(|l| matches!(l, Level::Available(_))) {
            return false;
        }
        let by_zone = levels.contains(&Level::ZoneLoad);
        let by_instance = levels.contains(&Level::InstanceLoad);
        let p = &self.instances[picked as usize];
        if !by_zone {
            // Only the picked instance's load and tasks moved since the best were kept (every
            // pick is on one of them, and each picked one leaves at once): it alone may leave,
            // found by its number (the best are in number order without a zone level).
            debug_assert!(pass.best.is_sorted());
            let leaves = by_instance || p.alive == 0;
            if let (true, Ok(at)) = (leaves, pass.best.binary_search(&picked)) {
                pass.best.remove(at);
                pass.tied_count -= p.alive;
                if pass.counted_valid {
                    self.uncount(pass, picked);
                }
            }
            return !pass.best.is_empty();
        }
        pass.best_changed();
        if levels[0] == Level::ZoneLoad {
            // The best are in zone order, and only the picked instance's zone moved: its run
            // leaves (the picked instance with it, the only one whose tasks moved).
            let zone = |l: &u32| self.instances[*l as usize].zone;
            debug_assert!(pass.best.is_sorted_by_key(zone));
            let from = pass.best.partition_point(|l| zone(l) < p.zone);
            let to = pass.best.partition_point(|l| zone(l) <= p.zone);
            pass.tied_count -= self.tasks_on(&pass.best[from..to]);
            pass.best.drain(from..to);
            return !pass.best.is_empty();
        }
        pass.best.retain(|&l| {
            let s = &self.instances[l as usize];
            s.alive > 0 && !(by_zone && s.zone == p.zone) && !(by_instance && l == picked)
        });
        pass.tied_count = self.tasks_on(&pass.best);
        !pass.best.is_empty()
    }

    /// After a pick on `picked`, when the only level is what instances have available: the pick
    /// raised its instance's score by what it gives back, above every other (they were at most
    /// equal before), so that instance is the best alone while it has tasks left; a pick that
    /// gives nothing back moved no score. None left: `best_instances` again.
    fn keep_raised(
        &self,
        pass: &mut PassArrays,
        (field, own): (BinpackField, (i64, i64)),
        picked: u32,
    ) -> bool {
        if field_of(own, field) > 0 {
            pass.best.clear();
            pass.best.push(picked);
        }
        pass.best.retain(|&l| self.instances[l as usize].alive > 0);
        pass.tied_count = self.tasks_on(&pass.best);
        !pass.best.is_empty()
    }

    /// The `r`-th (from 0) task left on the best instances, in list order, found by counting
    /// bits of `counted` (made first if it does not follow the best).
    fn nth_counted(&self, pass: &mut PassArrays, r: usize) -> u32 {
        if !pass.counted_valid {
            self.count_best(pass);
        }
        select(&pass.counted, r)
    }

    /// `nth` by walking the list.
    fn walk_to(&self, pass: &mut PassArrays, r: usize) -> u32 {
        for &l in &pass.best {
            pass.in_best[l as usize] = true;
        }
        let mut left = r;
        let mut found = None;
        'words: for (w, word) in self.left_bits.iter().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let at = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if pass.in_best[self.local_of[at] as usize] {
                    if left == 0 {
                        found = Some(at as u32);
                        break 'words;
                    }
                    left -= 1;
                }
            }
        }
        for &l in &pass.best {
            pass.in_best[l as usize] = false;
        }
        found.expect("r is below the tied count")
    }

    /// Sets `counted` to the tasks left on the best instances.
    fn count_best(&self, pass: &mut PassArrays) {
        refill(&mut pass.counted, self.local_of.len().div_ceil(64), 0);
        for &l in &pass.best {
            let at = &self.instances[l as usize].at;
            for g in at.start as usize..at.end as usize {
                if !self.gone[g] {
                    let p = self.positions[g];
                    pass.counted[p as usize / 64] |= 1 << (p % 64);
                }
            }
        }
        pass.counted_valid = true;
    }

    /// The instance `l` left the best: its tasks stop counting.
    fn uncount(&self, pass: &mut PassArrays, l: u32) {
        let at = &self.instances[l as usize].at;
        for &p in &self.positions[at.start as usize..at.end as usize] {
            clear_bit(&mut pass.counted, p);
        }
    }

    /// The `r`-th (from 0) of the `tied` tasks left on the best instances, in list order: its
    /// position. One instance's tasks are read in place; a tie over every task left is counted
    /// by the bits of the tasks left, kept across passes. A tie over most of the tasks left is
    /// walked to at its first pick (most sets of best instances serve one, and a walk that
    /// stops at the task costs less than counting them all) and counted by bits after; any
    /// other tie of more than a small share of the list is counted by bits (setting a bit per
    /// task and counting 64 positions a word costs less than listing the tasks and selecting);
    /// a small one is listed and selected.
    fn nth(&self, pass: &mut PassArrays, r: usize, tied: u32) -> u32 {
        let left = |l: u32| {
            let at = &self.instances[l as usize].at;
            let (from, to) = (at.start as usize, at.end as usize);
            let gone = &self.gone[from..to];
            (self.positions[from..to].iter().zip(gone))
                .filter(|(_, gone)| !**gone)
                .map(|(at, _)| *at)
        };
        if let [only] = pass.best[..] {
            return left(only).nth(r).expect("r is below the tied count");
        }
        if tied == self.alive {
            // Every task left ties (a spread over instances loaded alike, mostly).
            return select(&self.left_bits, r);
        }
        let most = tied * 2 > self.alive;
        if most && !pass.counted_valid && !std::mem::replace(&mut pass.walked, true) {
            return self.walk_to(pass, r);
        }
        if pass.counted_valid || most || tied as usize * NTH_BY_BITS >= self.local_of.len() {
            return self.nth_counted(pass, r);
        }
        pass.tied.clear();
        for &l in &pass.best {
            pass.tied.extend(left(l));
        }
        *pass.tied.select_nth_unstable(r).1
    }
}

#[cfg(test)]
mod tests {
    use super::super::filters::test_support::Fixture;
    use super::*;
    use crate::placement::strategy::SpreadField;
    use crate::resources::Requirement;
    use proptest::prelude::{ProptestConfig, any, prop, prop_assert_eq, proptest};
    use proptest::strategy::Strategy as _;

    const WEB: &str = "service:web";

    /// One reconcile: how many the pass picks, how many listed tasks it stops first, which
    /// listed tasks stop afterwards besides the picked ones (crashes), whether the list is
    /// then set anew (a new deployment) from the tasks left, and whether the picked tasks are
    /// left running (the pass's picks then undone for good).
    type Round = (usize, usize, Vec<prop::sample::Index>, bool, bool);

    #[derive(Clone, Debug)]
    struct Case {
        /// Per instance: CPU and memory left.
        instances: Vec<(i64, i64)>,
        /// Per task: instance, group (0: the service's older tasks, 1: its newer ones, 2:
        /// another group), and whether it is larger than the others.
        tasks: Vec<(usize, usize, bool)>,
        strategies: Vec<Strategy>,
        rounds: Vec<Round>,
        seed: u64,
    }

    fn case() -> impl proptest::strategy::Strategy<Value = Case> {
        let atoms = super::super::victims::tests::served_strategies();
        let instance = (
            prop::sample::select(vec![0i64, 512, 1024]),
            prop::sample::select(vec![0i64, 1024]),
        );
        let task = (0usize..12, 0usize..3, prop::bool::weighted(0.03));
        let round = (
            0usize..8,
            prop::sample::select(vec![0usize, 0, 0, 1, 2]),
            prop::collection::vec(any::<prop::sample::Index>(), 0..3),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.2),
        );
        (
            prop::collection::vec(instance, 1..12),
            prop::collection::vec(task, 0..80),
            prop::collection::vec(prop::sample::select(atoms), 0..4),
            prop::collection::vec(round, 1..12),
            any::<u64>(),
        )
            .prop_map(|(instances, tasks, strategies, rounds, seed)| Case {
                instances,
                tasks,
                strategies,
                rounds,
                seed,
            })
    }

    struct State {
        f: Fixture,
        index: PlacementIndex,
        retiring: Retiring,
        /// Every task of the service: its group's name and its listing.
        tasks: Vec<RetiringTask>,
        groups: Vec<&'static str>,
    }

    impl State {
        fn new(case: &Case) -> State {
            let mut f = Fixture::new(case.instances.len(), 4096, 8192);
            let mut index = PlacementIndex::default();
            for (i, (cpu, memory_mib)) in case.instances.iter().enumerate() {
                let r = &mut f.world.instances[i].remaining;
                (r.cpu, r.memory_mib) = (r.cpu - cpu, r.memory_mib - memory_mib);
                index.update(&f.world, InstanceId(i as u32));
            }
            let (mut tasks, mut groups, mut older) = (Vec::new(), Vec::new(), Vec::new());
            for (i, group, large) in &case.tasks {
                let i = i % case.instances.len();
                let size = if *large { (256, 512) } else { (128, 256) };
                let req = Requirement {
                    cpu: size.0,
                    memory_mib: size.1,
                    ..Default::default()
                };
                let name = ["service:web", "service:web", "service:other"][*group];
                let id = f.place_in_group(i, req, name);
                index.update_amounts(&f.world, InstanceId(i as u32));
                index.count_task(&f.world, name, InstanceId(i as u32), 1);
                let listed = RetiringTask {
                    task: id,
                    instance: InstanceId(i as u32),
                    cpu: size.0,
                    memory_mib: size.1,
                };
                if *group == 0 {
                    older.push(listed);
                }
                tasks.push(listed);
                groups.push(name);
            }
            let mut retiring = Retiring::default();
            retiring.reset(older);
            State {
                f,
                index,
                retiring,
                tasks,
                groups,
            }
        }

        /// A listed task stops: it leaves the list and its group's counts, and gives its
        /// resources back.
        fn stop(&mut self, task: TaskId) {
            let t = self.tasks[task.index()];
            self.retiring.remove(task);
            let world = &mut self.f.world;
            self.index
                .count_task(world, self.groups[task.index()], t.instance, -1);
            let r = &mut world.instances[t.instance.index()].remaining;
            (r.cpu, r.memory_mib) = (r.cpu + t.cpu, r.memory_mib + t.memory_mib);
            self.index.update_amounts(world, t.instance);
        }
    }

    /// Runs `case`'s rounds, comparing each pass's picks (and the draws after them) with
    /// `victims::pick`'s.
    fn picks_match(case: &Case) -> Result<(), proptest::test_runner::TestCaseError> {
        picks_match_with(case, false)?;
        picks_match_with(case, true)
    }

    /// `picks_match`, with `ByLoad` kept for layouts of any size or only for large ones.
    fn picks_match_with(
        case: &Case,
        by_load_always: bool,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let mut s = State::new(case);
        s.index.victim_layouts.borrow_mut().pass.by_load_always = by_load_always;
        let mut rng_layout = RngStreams::new(case.seed);
        let mut rng_direct = RngStreams::new(case.seed);
        for (round, (k, stop_first, crashes, reset, kept)) in case.rounds.iter().enumerate() {
            // Every fourth pass by a second service of the same group: two layouts read the
            // group's change log, and each finds the other emptied it.
            let key = (ServiceId(u32::from(round % 4 == 3)), (ClusterId(0), WEB));
            let listed: Vec<RetiringTask> = s.retiring.tasks().copied().collect();
            let (stopped, candidates) = listed.split_at((*stop_first).min(listed.len()));
            let scope = (&s.f.world, &s.index);
            let from_layout = pick(
                scope,
                key,
                &case.strategies,
                (&s.retiring, stopped, candidates.iter().copied()),
                *k,
                &mut rng_layout,
            );
            let direct = victims::pick(
                &s.f.world,
                &s.index,
                key.1,
                &case.strategies,
                (stopped, candidates.iter().copied()),
                *k,
                &mut rng_direct,
            );
            prop_assert_eq!(from_layout.as_deref(), direct.as_deref());
            prop_assert_eq!(
                rng_layout.below(Purpose::Placement, u64::MAX),
                rng_direct.below(Purpose::Placement, u64::MAX)
            );
            let picked = from_layout.unwrap_or_default();
            let picked = picked.into_iter().filter(|_| !kept);
            for t in stopped.iter().map(|r| r.task).chain(picked) {
                s.stop(t);
            }
            for crash in crashes {
                let left: Vec<TaskId> = s.retiring.tasks().map(|r| r.task).collect();
                if !left.is_empty() {
                    s.stop(left[crash.index(left.len())]);
                }
            }
            if *reset {
                let left: Vec<RetiringTask> = s.retiring.tasks().copied().collect();
                s.retiring.reset(left);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Round after round, the layout kept across passes picks what `victims::pick` picks
        /// from the list (the same tasks, in order, and the same draws), through removals,
        /// compactions and new lists.
        #[test]
        fn layout_picks_match_victims_pick(case in case()) {
            picks_match(&case)?;
        }

        /// The same with spread(instanceId) alone: a pass's picks then leave the best one
        /// instance at a time, and a tie over most tasks is found by counting bits kept across
        /// the pass's picks.
        #[test]
        fn layout_picks_match_victims_pick_spread_by_instance(case in case()) {
            let case = Case {
                strategies: vec![Strategy::Spread(SpreadField::Instance)],
                ..case
            };
            picks_match(&case)?;
        }
    }
}
