//! The placement index: ordered views of the fleet that let the common strategies choose an
//! instance in about O(log n) instead of looking at every instance, with the same choice as the
//! reference pipeline, draw for draw.
//!
//! Kept up to date by the engine on every change that matters (a reservation or release, an
//! instance's status, agent or attributes, a task created or told to stop):
//! * per cluster and Availability Zone (`ecs.availability-zone`, or none), a *pool* of the
//!   placeable instances (ACTIVE, agent connected): in id order (also as bits), and grouped by
//!   remaining memory and by remaining CPU (each group in id order); an instance whose amounts
//!   moved is re-filed in these groups at the next placement (`settle`), once however many
//!   releases came before it. Each grouping is kept only from the first placement that reads
//!   it on (`keep_buckets`, built then in one sorted pass): by CPU for a binpack on CPU, by
//!   memory for a binpack on memory, no strategy, or a spread by instance whose walk in id order
//!   for a non-holder grew long (a fuller fleet);
//! * per cluster, task group and zone, the tasks whose desiredStatus is not STOPPED: how many,
//!   and how many on each instance (what `spread` by zone and by instance counts); for groups
//!   placed by instance, also the holding instances by count and as bits;
//! * per instance, the filed remaining amounts, which the `index-amounts` audit compares with
//!   the world's.
//!
//! `choose` serves `binpack(cpu|memory)`, `spread(instanceId)`, `spread(attribute:
//! ecs.availability-zone)` alone or followed by `binpack(...)` or `spread(instanceId)` (the
//! services' default AZ balance), and no strategy at all; `random` ends a list (it is the
//! tie-break made at once), so `[random]` (RunTask's default) is served as no strategy. In each
//! zone it finds the least valid measure (remaining amount, or the group's tasks on the
//! instance) by walking the pool from the task's requirement and checking every filter (CPU and
//! memory first, then `filters::check`), so the first that passes wins; zones are narrowed by
//! their load exactly as the reference does. The tie-break (`strategy::tie_break`) then draws
//! over the same tied set as the reference, in the same id order: the set is a union of per-zone
//! parts that can each count their members up to an id, so the r-th member is found by
//! bisection, without listing the set (a small set is listed once a draw has missed). The
//! instances holding none of a group, spread by instance's usual tie, are one set of ranked bits
//! over all the zones.
//! Anything else returns `NotIndexed`, and the engine uses the reference pipeline.

use super::bits::{Bits, Ranked};
use super::filters::{self, PlacementInput};
use super::strategy::{self, BinpackField, SpreadField, Strategy, TieSet};
use crate::ids::{ClusterId, InstanceId};
use crate::instance::{Instance, InstanceStatus};
use crate::invariants::Violation;
use crate::rng::RngStreams;
use crate::task::DesiredStatus;
use crate::world::{NameMap, World};
use smallvec::SmallVec;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;

/// The zone attribute spread can use the index for.
pub const ZONE_ATTRIBUTE: &str = "ecs.availability-zone";

/// A zone bucket: the attribute's value (None: the attribute is missing).
type Zone = Option<String>;

/// Instance ids in increasing order.
type Sorted = Vec<InstanceId>;

/// One zone's placeable instances.
#[derive(Clone, Debug, Default)]
struct Pool {
    /// The zone's number (`PlacementIndex::zone_id`), to find the groups' counts there.
    zone_id: u32,
    members: Sorted,
    /// The same members as bits.
    member_bits: Bits,
    /// By remaining memory; each bucket knows the most remaining CPU among its instances.
    /// Kept only once a placement walks by memory (`PlacementIndex::kept`), empty before.
    by_memory: BTreeMap<i64, Bucket>,
    /// By remaining CPU; each bucket knows the most remaining memory among its instances. Kept
    /// only once a placement binpacks on CPU (`PlacementIndex::kept`), empty before.
    by_cpu: BTreeMap<i64, Bucket>,
}

/// The instances with one remaining amount, in id order, and the most of the other resource
/// (CPU for a memory bucket, memory for a CPU bucket) any of them has, with how many have that
/// much. A walk for a task skips a bucket where none has enough of the other resource without
/// looking at its instances.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bucket {
    ids: Sorted,
    most_other: i64,
    at_most: u32,
}

impl Bucket {
    fn new() -> Bucket {
        Bucket {
            ids: Sorted::new(),
            most_other: i64::MIN,
            at_most: 0,
        }
    }

    /// Whether an instance here may have `needs` of the other resource.
    fn may_fit(&self, needs: i64) -> bool {
        self.most_other >= needs
    }

    /// One more instance here has `other`.
    fn add_other(&mut self, other: i64) {
        match other.cmp(&self.most_other) {
            std::cmp::Ordering::Greater => (self.most_other, self.at_most) = (other, 1),
            std::cmp::Ordering::Equal => self.at_most += 1,
            std::cmp::Ordering::Less => {}
        }
    }

    /// One instance with `other` no longer counts; when it was the last with the most, the
    /// most is found again over the listed ones, with `other_of` (their filed amounts).
    fn drop_other(&mut self, other: i64, other_of: impl Fn(InstanceId) -> i64) {
        if other != self.most_other {
            return;
        }
        self.at_most -= 1;
        if self.at_most == 0 {
            let mut again = Bucket::new();
            self.ids
                .iter()
                .for_each(|id| again.add_other(other_of(*id)));
            (self.most_other, self.at_most) = (again.most_other, again.at_most);
        }
    }
}

/// An instance's filed amount of one resource (`of` reads it: CPU for a memory bucket, memory
/// for a CPU bucket).
fn filed_amount(filed: &[Option<Filed>], of: fn(&Filed) -> i64) -> impl Fn(InstanceId) -> i64 {
    move |id| {
        of(filed[id.index()]
            .as_ref()
            .expect("a listed instance is filed"))
    }
}

impl Pool {
    fn by(&self, field: BinpackField) -> &BTreeMap<i64, Bucket> {
        match field {
            BinpackField::Memory => &self.by_memory,
            BinpackField::Cpu => &self.by_cpu,
        }
    }

    fn by_mut(&mut self, field: BinpackField) -> &mut BTreeMap<i64, Bucket> {
        match field {
            BinpackField::Memory => &mut self.by_memory,
            BinpackField::Cpu => &mut self.by_cpu,
        }
    }
}

/// `field`'s amount and the other resource's, from an instance's (memory MiB, CPU): how the
/// buckets by `field` file it.
fn amount_and_other(field: BinpackField, (memory_mib, cpu): (i64, i64)) -> (i64, i64) {
    match field {
        BinpackField::Memory => (memory_mib, cpu),
        BinpackField::Cpu => (cpu, memory_mib),
    }
}

/// The filed amount of the resource other than `field`, by instance (what `field`'s buckets
/// bound).
fn other_filed(filed: &[Option<Filed>], field: BinpackField) -> impl Fn(InstanceId) -> i64 {
    filed_amount(
        filed,
        match field {
            BinpackField::Memory => |f| f.cpu,
            BinpackField::Cpu => |f| f.memory_mib,
        },
    )
}

/// Where an instance is filed, to find it again.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Filed {
    cluster: ClusterId,
    zone: Zone,
    /// Its pool's place in `PlacementIndex::pool_list`.
    pool: usize,
    /// The amounts the pool's buckets hold it under: behind `PlacementIndex::amounts` while
    /// `pending`.
    memory_mib: i64,
    cpu: i64,
    /// Listed in `PlacementIndex::pending`: its amounts moved since the buckets last filed it.
    pending: bool,
}

/// A task group's live tasks in one zone.
#[derive(Clone, Debug, Default)]
pub(super) struct GroupZone {
    tasks: u64,
    /// Instances holding at least one of them, with how many, in id order (8 bytes an entry:
    /// a holder's arrival or departure moves the entries after it).
    per_instance: Vec<(InstanceId, u32)>,
    /// The same instances grouped by how many they hold, each group in id order: spread by
    /// instance looks at the least loaded first. Kept only for groups placed with spread by
    /// instance (`count_by_instance` starts it), since moving an instance between large groups
    /// costs.
    by_count: Option<ByCount>,
    /// The holding instances as bits, kept alongside `by_count`.
    holder_bits: Option<Bits>,
}

impl GroupZone {
    /// The group's live tasks in the zone.
    pub(super) fn tasks(&self) -> u64 {
        self.tasks
    }

    /// The instances holding some, with how many, in id order.
    pub(super) fn per_instance(&self) -> &[(InstanceId, u32)] {
        &self.per_instance
    }

    /// How many of the group's live tasks `id` holds, if any.
    pub(super) fn on(&self, id: InstanceId) -> Option<u64> {
        self.per_instance
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|at| u64::from(self.per_instance[at].1))
    }
}

/// The instances whose remaining amounts may have changed, in order (with repeats), numbered
/// from the first ever logged: a reader keeps the number it read to, and one that finds it
/// before the log's start (emptied when full) reads every amount afresh.
#[derive(Clone, Debug, Default)]
pub(super) struct AmountLog {
    pub(super) kept: bool,
    /// The number of `ids[0]`.
    pub(super) start: u64,
    pub(super) ids: Vec<InstanceId>,
}

/// A group's change log is emptied when it holds this many (a handful in unit tests, so that
/// their readers find it emptied often).
const CHANGE_LOG_MAX: usize = if cfg!(test) { 8 } else { 1 << 16 };

/// The amount log is emptied when it holds this many (a handful in unit tests, so that their
/// readers fall behind it often).
const AMOUNT_LOG_MAX: usize = if cfg!(test) { 8 } else { 1 << 16 };

impl AmountLog {
    #[inline]
    fn note(&mut self, id: InstanceId) {
        if !self.kept {
            return;
        }
        if self.ids.len() >= AMOUNT_LOG_MAX {
            self.start += self.ids.len() as u64;
            self.ids.clear();
        }
        self.ids.push(id);
    }

    /// The number the next entry gets.
    pub(super) fn end(&self) -> u64 {
        self.start + self.ids.len() as u64
    }
}

/// A group's counts in each zone it reached, by the zone's number (`PlacementIndex::zone_id`:
/// a handful, numbered from 0 in order of first sight), so a count reads its zone by index.
#[derive(Clone, Debug, Default)]
pub(super) struct GroupZones {
    by_zone: Vec<Option<GroupZone>>,
    /// The instances whose count changed, kept while a victim layout follows the group's
    /// counts (`victim_layout`), which empties it as it reads.
    changed: RefCell<ChangeLog>,
}

/// The instances whose count in a group changed since its reader last read, in order (with
/// repeats), and how many times a reader emptied it: a reader that finds another number than
/// the one it left reads the counts afresh.
#[derive(Clone, Debug, Default)]
pub(super) struct ChangeLog {
    pub(super) kept: bool,
    pub(super) reads: u64,
    pub(super) instances: Vec<InstanceId>,
}

impl GroupZones {
    /// The group's counts in zone `zone`, if it ever had a task there.
    pub(super) fn get(&self, zone: u32) -> Option<&GroupZone> {
        self.by_zone.get(zone as usize).and_then(Option::as_ref)
    }

    /// The group's counts in zone `zone`, created empty on first use.
    fn zone_mut(&mut self, zone: u32) -> &mut GroupZone {
        let at = zone as usize;
        if self.by_zone.len() <= at {
            self.by_zone.resize_with(at + 1, || None);
        }
        self.by_zone[at].get_or_insert_with(GroupZone::default)
    }

    /// `id`'s count changed: logged while a reader follows the log. A full log (its reader
    /// stopped reading: its deployment ended) is emptied and counted as read, so its reader,
    /// if it comes back, reads the counts afresh.
    fn note(&mut self, id: InstanceId) {
        let log = self.changed.get_mut();
        if !log.kept {
            return;
        }
        if log.instances.len() >= CHANGE_LOG_MAX {
            log.instances.clear();
            log.reads += 1;
        }
        log.instances.push(id);
    }

    /// The log of instances whose count changed (kept once a reader asks for it).
    pub(super) fn changes(&self) -> std::cell::RefMut<'_, ChangeLog> {
        self.changed.borrow_mut()
    }

    /// Each zone the group reached, by number, with its counts.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &GroupZone)> {
        (0u32..)
            .zip(&self.by_zone)
            .filter_map(|(zone, c)| Some((zone, c.as_ref()?)))
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut GroupZone> {
        self.by_zone.iter_mut().flatten()
    }
}

#[derive(Clone, Debug, Default)]
pub struct PlacementIndex {
    /// cluster → zone → the place in `pool_list` of the zone's placeable instances (the
    /// filing keeps each instance's place: a re-filing looks up no zone name).
    pools: BTreeMap<ClusterId, BTreeMap<Zone, usize>>,
    pool_list: Vec<Pool>,
    filed: Vec<Option<Filed>>,
    /// Each instance's filed (CPU, memory MiB), dense and small for the placement checks,
    /// which mostly fail on them; `UNFILED` for an instance not filed. Always the world's.
    amounts: Vec<(i64, i64)>,
    /// Filed instances whose buckets are behind their `amounts` (`settle` re-files them).
    pending: Vec<InstanceId>,
    /// cluster → group → zone → live tasks.
    groups: Groups,
    /// Each instance's live tasks (counted and not yet told to stop), over every group.
    live_tasks: Vec<u32>,
    /// How many instances hold live tasks without being filed (draining, deregistered, agent
    /// gone): while none does, every holder of every group is placeable.
    unfiled_holders: usize,
    /// The zone each instance's tasks are counted under.
    counted_zone: Vec<Zone>,
    /// The same zone, as its number in `zone_names` (what dense per-zone arrays index by).
    counted_zone_id: Vec<u32>,
    /// Every zone bucket seen, numbered in order of first sight.
    zone_names: Vec<Zone>,
    /// memberOf verdicts for expression lists that look at no task: the lists' sources, and
    /// per instance the world's description epoch it was judged at, plus one (0: never), with
    /// the verdict. The epoch moves with every change such an expression can see (attributes,
    /// agent connection and version), so a verdict is reused only while it holds.
    member_of_memo: RefCell<Vec<MemberOfVerdicts>>,
    /// What `victims::pick` reuses from one pass to the next.
    pub(super) victims_scratch: RefCell<super::victims::Scratch>,
    /// The rolling deployments' layouts of their older tasks (`victim_layout`).
    pub(super) victim_layouts: RefCell<super::victim_layout::Layouts>,
    /// The instances whose remaining amounts may have changed, kept once a layout reads it.
    pub(super) amount_log: RefCell<AmountLog>,
    /// How many times an instance's tasks moved to another zone's counts.
    zone_moves: u64,
    /// What `choose` builds a tied set of ranked bits in.
    tie_scratch: TieScratch,
    /// Which buckets the pools keep: each from the first placement that reads it on (a run
    /// that never binpacks on a resource never re-files its buckets on every change).
    kept: KeptBuckets,
    /// Set by a placement whose walk for a non-holder in id order checked more than
    /// `WALK_BUDGET` members: the pools keep memory buckets from then on.
    memory_wanted: Cell<bool>,
}

/// Whether the pools keep their buckets by memory and by CPU.
#[derive(Clone, Copy, Debug, Default)]
struct KeptBuckets {
    memory: bool,
    cpu: bool,
}

impl KeptBuckets {
    /// The fields whose buckets are kept.
    fn fields(self) -> impl Iterator<Item = BinpackField> {
        [
            (self.memory, BinpackField::Memory),
            (self.cpu, BinpackField::Cpu),
        ]
        .into_iter()
        .filter_map(|(kept, field)| kept.then_some(field))
    }

    fn of_mut(&mut self, field: BinpackField) -> &mut bool {
        match field {
            BinpackField::Memory => &mut self.memory,
            BinpackField::Cpu => &mut self.cpu,
        }
    }
}

/// One memberOf expression list (its sources) and, per instance, the description epoch it was
/// judged at plus one (0: never) with the verdict.
type MemberOfVerdicts = (Vec<String>, Vec<(u64, bool)>);

/// What the index says about one placement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Indexed {
    /// The strategies are not ones the index serves.
    NotIndexed,
    /// No instance passes every filter.
    Nowhere,
    At(InstanceId),
}

/// The compact amounts of an instance not filed: no requirement is above them, so the
/// placement checks read its record.
const UNFILED: (i64, i64) = (i64::MAX, i64::MAX);

/// Whether `id`'s compact amounts `(cpu, memory MiB)` cover `needs` (the same pair); an
/// instance without them (unfiled) is not ruled out here.
fn has_room(amounts: &[(i64, i64)], id: InstanceId, needs: (i64, i64)) -> bool {
    let (cpu, memory_mib) = amounts.get(id.index()).copied().unwrap_or(UNFILED);
    cpu >= needs.0 && memory_mib >= needs.1
}

/// The instance's zone bucket, borrowed (a present attribute without a value is "").
fn zone_ref(inst: &Instance) -> Option<&str> {
    inst.attributes
        .get(ZONE_ATTRIBUTE)
        .map(|v| v.as_deref().unwrap_or(""))
}

fn insert_sorted(ids: &mut Sorted, id: InstanceId) {
    if let Err(at) = ids.binary_search(&id) {
        ids.insert(at, id);
    }
}

fn remove_sorted(ids: &mut Sorted, id: InstanceId) {
    if let Ok(at) = ids.binary_search(&id) {
        ids.remove(at);
    }
}

/// Files `id` under `(amount, other)`: its amount, and its amount of the other resource.
fn file_amount(sets: &mut BTreeMap<i64, Bucket>, (amount, other): (i64, i64), id: InstanceId) {
    let bucket = sets.entry(amount).or_insert_with(Bucket::new);
    bucket.add_other(other);
    insert_sorted(&mut bucket.ids, id);
}

/// The buckets of instances with (amount, the other resource's amount, id), built at once:
/// sorted by amount then id, each run of one amount is a bucket (the map is built from sorted
/// keys in one pass).
fn buckets_of(mut filed: Vec<(i64, i64, InstanceId)>) -> BTreeMap<i64, Bucket> {
    filed.sort_unstable_by_key(|(amount, _, id)| (*amount, *id));
    filed
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| {
            let mut bucket = Bucket::new();
            for (_, other, id) in run {
                bucket.add_other(*other);
                bucket.ids.push(*id);
            }
            (run[0].0, bucket)
        })
        .collect()
}

/// Moves `id` from `from` to `to` (each an amount and the other resource's amount); the other
/// instances' amounts come from `other_of`.
fn refile_amount(
    sets: &mut BTreeMap<i64, Bucket>,
    (from, to): ((i64, i64), (i64, i64)),
    id: InstanceId,
    other_of: impl Fn(InstanceId) -> i64,
) {
    if from.0 != to.0 {
        unfile_amount(sets, from, id, other_of);
        file_amount(sets, to, id);
    } else if from.1 != to.1
        && let Some(bucket) = sets.get_mut(&to.0)
    {
        bucket.add_other(to.1);
        bucket.drop_other(from.1, other_of);
    }
}

fn unfile_amount(
    sets: &mut BTreeMap<i64, Bucket>,
    (amount, other): (i64, i64),
    id: InstanceId,
    other_of: impl Fn(InstanceId) -> i64,
) {
    if let Some(bucket) = sets.get_mut(&amount) {
        remove_sorted(&mut bucket.ids, id);
        if bucket.ids.is_empty() {
            sets.remove(&amount);
        } else {
            bucket.drop_other(other, other_of);
        }
    }
}

impl PlacementIndex {
    /// Files (or re-files) an instance after any change to it.
    pub fn update(&mut self, world: &World, id: InstanceId) {
        self.amount_log.get_mut().note(id);
        let inst = world.instance(id);
        let i = id.index();
        if self.filed.len() <= i {
            let none = self.intern(&None);
            self.filed.resize(i + 1, None);
            self.amounts.resize(i + 1, UNFILED);
            self.counted_zone.resize(i + 1, None);
            self.counted_zone_id.resize(i + 1, none);
            self.live_tasks.resize(i + 1, 0);
        }
        let zone = zone_ref(inst);
        if zone != self.counted_zone[i].as_deref() {
            self.move_counts(world, id, zone.map(str::to_string));
        }
        let placeable = inst.status == InstanceStatus::Active && inst.agent_connected;
        let (memory_mib, cpu) = (inst.remaining.memory_mib, inst.remaining.cpu);
        // The usual change, a reservation or a release, stays in the same pool: only the
        // amounts move, without touching the pool's id-ordered members.
        if let Some(f) = self.filed[i].as_ref()
            && placeable
            && f.cluster == inst.cluster
            && f.zone.as_deref() == zone
        {
            self.update_amounts(world, id);
            return;
        }
        let was_filed = self.filed[i].is_some();
        if let Some(old) = self.filed[i].take() {
            self.amounts[i] = UNFILED;
            self.unfile(id, old);
        }
        if was_filed != placeable && self.live_tasks[i] > 0 {
            self.count_unfiled_holder(!placeable);
        }
        if placeable {
            let zone = zone.map(str::to_string);
            let at = self.pool_at(inst.cluster, &zone);
            let new = Filed {
                cluster: inst.cluster,
                zone,
                pool: at,
                memory_mib,
                cpu,
                pending: false,
            };
            let pool = &mut self.pool_list[at];
            pool.zone_id = self.counted_zone_id[i];
            insert_sorted(&mut pool.members, id);
            pool.member_bits.insert(id);
            for field in self.kept.fields() {
                let amounts = amount_and_other(field, (new.memory_mib, new.cpu));
                file_amount(pool.by_mut(field), amounts, id);
            }
            self.amounts[i] = (new.cpu, new.memory_mib);
            self.filed[i] = Some(new);
        }
    }

    /// Where the filing disagrees with the world: a placeable instance not filed (or filed
    /// under another cluster), an unplaceable one filed, or amounts other than its remaining.
    /// The walks and the placement checks rely on the filed amounts.
    pub fn misfiled(&self, world: &World) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut unfiled_holders = 0;
        for inst in world.instances() {
            let placeable = inst.status == InstanceStatus::Active && inst.agent_connected;
            let filed = self.filed.get(inst.id.index()).and_then(Option::as_ref);
            let compact = self.amounts.get(inst.id.index()).copied();
            let agrees = match filed {
                None => !placeable && compact.is_none_or(|a| a == UNFILED),
                Some(f) => {
                    let remaining = (inst.remaining.cpu, inst.remaining.memory_mib);
                    placeable
                        && f.cluster == inst.cluster
                        && (f.pending || (f.cpu, f.memory_mib) == remaining)
                        && compact == Some(remaining)
                }
            };
            let live = inst
                .tasks
                .iter()
                .filter(|t| world.task(**t).desired_status != DesiredStatus::Stopped)
                .count();
            let counted = self.live_tasks.get(inst.id.index()).copied().unwrap_or(0);
            if counted as usize != live {
                out.push(Violation {
                    invariant: "index-amounts",
                    detail: format!(
                        "{} holds {live} live tasks, counted as {counted}",
                        inst.ec2_instance_id
                    ),
                });
            }
            unfiled_holders += usize::from(filed.is_none() && live > 0);
            if !agrees {
                out.push(Violation {
                    invariant: "index-amounts",
                    detail: format!(
                        "{} (placeable: {placeable}, CPU {}, memory {} MiB) is filed as {:?}",
                        inst.ec2_instance_id,
                        inst.remaining.cpu,
                        inst.remaining.memory_mib,
                        filed.map(|f| (f.cluster, f.cpu, f.memory_mib)),
                    ),
                });
            }
        }
        if unfiled_holders != self.unfiled_holders {
            out.push(Violation {
                invariant: "index-amounts",
                detail: format!(
                    "{unfiled_holders} instances hold live tasks unfiled, counted as {}",
                    self.unfiled_holders
                ),
            });
        }
        out
    }

    /// Takes an instance's new remaining CPU and memory after a reservation or a release (its
    /// zone, status and cluster are as filed). The compact amounts change now; the buckets at
    /// the next `settle`, so that a run of releases on one instance between two placements
    /// (a service draining, a deployment's stops) re-files it once.
    #[inline(always)]
    pub fn update_amounts(&mut self, world: &World, id: InstanceId) {
        // Logged filed or not: a reader reads an unfiled instance's amounts off the world.
        self.amount_log.get_mut().note(id);
        let Some(f) = self.filed.get_mut(id.index()).and_then(Option::as_mut) else {
            return;
        };
        let r = &world.instance(id).remaining;
        self.amounts[id.index()] = (r.cpu, r.memory_mib);
        if !f.pending {
            f.pending = true;
            self.pending.push(id);
        }
    }

    /// Brings the buckets up to the compact amounts. A bucket is a function of its members'
    /// amounts alone (its ids, the most of the other resource and how many have it), so
    /// re-filing each pending instance once from where it is filed to where it is now leaves
    /// them as re-filing on every change would have.
    pub fn settle(&mut self) {
        // The list goes back emptied, keeping its room for the next run of changes.
        let mut pending = std::mem::take(&mut self.pending);
        for id in pending.drain(..) {
            // Re-filed from scratch since (`update`): nothing pending there any more.
            let Some(f) = self.filed[id.index()].as_mut().filter(|f| f.pending) else {
                continue;
            };
            f.pending = false;
            let (cpu, memory_mib) = self.amounts[id.index()];
            let (old_memory_mib, old_cpu) = (f.memory_mib, f.cpu);
            // Filed first: a bucket that looks its instances' amounts up again sees this one's new.
            (f.memory_mib, f.cpu) = (memory_mib, cpu);
            let pool = &mut self.pool_list[f.pool];
            // Spelled out per field, unlike filing and unfiling: this runs before every
            // placement, and a loop over the kept fields costs a placement about 3 %.
            if self.kept.memory {
                let memory = ((old_memory_mib, old_cpu), (memory_mib, cpu));
                refile_amount(
                    &mut pool.by_memory,
                    memory,
                    id,
                    filed_amount(&self.filed, |f| f.cpu),
                );
            }
            if self.kept.cpu {
                let cpus = ((old_cpu, old_memory_mib), (cpu, memory_mib));
                refile_amount(
                    &mut pool.by_cpu,
                    cpus,
                    id,
                    filed_amount(&self.filed, |f| f.memory_mib),
                );
            }
        }
        self.pending = pending;
    }

    fn unfile(&mut self, id: InstanceId, old: Filed) {
        if let Some(pool) = self.pool_list.get_mut(old.pool) {
            remove_sorted(&mut pool.members, id);
            pool.member_bits.remove(id);
            for field in self.kept.fields() {
                let amounts = amount_and_other(field, (old.memory_mib, old.cpu));
                let other_of = other_filed(&self.filed, field);
                unfile_amount(pool.by_mut(field), amounts, id, other_of);
            }
        }
    }

    /// Files every pool's members by remaining `field`, once, and keeps them filed from then
    /// on (the buckets come out as filing them one by one would have: a bucket is a function
    /// of its members' amounts). Call after `settle`: the filed amounts are read.
    fn keep_buckets(&mut self, field: BinpackField) {
        if std::mem::replace(self.kept.of_mut(field), true) {
            return;
        }
        for pool in &mut self.pool_list {
            let amounts = pool.members.iter().map(|id| {
                let f = self.filed[id.index()].as_ref().expect("a member is filed");
                let (amount, other) = amount_and_other(field, (f.memory_mib, f.cpu));
                (amount, other, *id)
            });
            *pool.by_mut(field) = buckets_of(amounts.collect());
        }
    }

    /// The place in `pool_list` of the pool of `(cluster, zone)`, made empty on first use.
    fn pool_at(&mut self, cluster: ClusterId, zone: &Zone) -> usize {
        let zones = self.pools.entry(cluster).or_default();
        match zones.get(zone) {
            Some(at) => *at,
            None => {
                self.pool_list.push(Pool::default());
                zones.insert(zone.clone(), self.pool_list.len() - 1);
                self.pool_list.len() - 1
            }
        }
    }

    /// The instance's zone changed: its live tasks now count in the new zone.
    fn move_counts(&mut self, world: &World, id: InstanceId, zone: Zone) {
        let old = self.counted_zone_id[id.index()];
        let new = self.intern(&zone);
        self.zone_moves += 1;
        self.counted_zone_id[id.index()] = new;
        self.counted_zone[id.index()] = zone;
        let inst = world.instance(id);
        let live = inst
            .tasks
            .iter()
            .map(|t| world.task(*t))
            .filter(|t| t.desired_status != DesiredStatus::Stopped);
        for t in live {
            let zones = self.groups.get_or_insert(inst.cluster, &t.group);
            change(zones.zone_mut(old), id, -1);
            change(zones.zone_mut(new), id, 1);
            zones.note(id);
        }
    }

    /// A task of `group` on `instance` counts (created) or stops counting (told to stop).
    pub fn count_task(&mut self, world: &World, group: &str, instance: InstanceId, delta: i64) {
        let inst = world.instance(instance);
        // The engine files every instance when it registers; a caller that did not gets it
        // filed here, so the task is counted under the instance's zone either way.
        if self.counted_zone.len() <= instance.index() {
            self.update(world, instance);
        }
        let zone = self.counted_zone_id[instance.index()];
        let zones = self.groups.get_or_insert(inst.cluster, group);
        change(zones.zone_mut(zone), instance, delta);
        zones.note(instance);
        self.count_live(instance, delta);
    }

    /// Adds `delta` to an instance's live tasks; one that starts or stops holding some while
    /// not filed changes `unfiled_holders`.
    fn count_live(&mut self, id: InstanceId, delta: i64) {
        let i = id.index();
        let slot = &mut self.live_tasks[i];
        let before = *slot;
        // `delta` is ±1, and a task stops counting only where it counted.
        *slot = before.wrapping_add(delta as u32);
        let after = *slot;
        if (before == 0) != (after == 0) && self.filed[i].is_none() {
            self.count_unfiled_holder(after > 0);
        }
    }

    fn count_unfiled_holder(&mut self, more: bool) {
        if more {
            self.unfiled_holders += 1;
        } else {
            self.unfiled_holders -= 1;
        }
    }

    /// Whether every instance holding live tasks is filed (so placeable).
    fn holders_filed(&self) -> bool {
        self.unfiled_holders == 0
    }

    /// The zone bucket the index holds for `id` (its `ecs.availability-zone` attribute, None when
    /// missing), or None when the instance was never filed.
    pub fn zone_of(&self, id: InstanceId) -> Option<Option<&str>> {
        self.counted_zone.get(id.index()).map(|z| z.as_deref())
    }

    /// The number of a zone bucket, given on first sight.
    fn intern(&mut self, zone: &Zone) -> u32 {
        match self.zone_names.iter().position(|z| z == zone) {
            Some(at) => at as u32,
            None => {
                self.zone_names.push(zone.clone());
                (self.zone_names.len() - 1) as u32
            }
        }
    }

    /// The memo slot of a memberOf expression list (made on first use).
    fn memo_slot(&self, member_of: &[crate::cql::Expr]) -> usize {
        let mut memo = self.member_of_memo.borrow_mut();
        let same = |sources: &Vec<String>| {
            sources.len() == member_of.len()
                && sources.iter().zip(member_of).all(|(s, e)| s == e.source())
        };
        match memo.iter().position(|(sources, _)| same(sources)) {
            Some(at) => at,
            None => {
                let sources = member_of.iter().map(|e| e.source().to_string()).collect();
                memo.push((sources, Vec::new()));
                memo.len() - 1
            }
        }
    }

    /// How many zone buckets have numbers (`zone_id` is below it).
    pub fn zone_ids(&self) -> usize {
        self.zone_names.len()
    }

    /// The remaining (CPU, memory) filed for `id`, None when it is not placeable.
    pub fn filed_amounts(&self, id: InstanceId) -> Option<(i64, i64)> {
        self.filed.get(id.index())?.as_ref()?;
        Some(self.amounts[id.index()])
    }

    /// The remaining (CPU, memory MiB) of `id`: as filed, or the world's record when it is not
    /// placeable (the two agree for a filed one: the `index-amounts` audit).
    pub fn remaining(&self, world: &World, id: InstanceId) -> (i64, i64) {
        self.filed_amounts(id).unwrap_or_else(|| {
            let remaining = &world.instance(id).remaining;
            (remaining.cpu, remaining.memory_mib)
        })
    }

    /// How many times an instance's tasks moved to another zone's counts (what zone numbers
    /// read before stay true until this changes).
    pub fn zone_moves(&self) -> u64 {
        self.zone_moves
    }

    /// The number of the zone bucket `id`'s tasks count under, or None when never filed.
    pub fn zone_id(&self, id: InstanceId) -> Option<u32> {
        self.counted_zone_id.get(id.index()).copied()
    }

    /// A group's live tasks (desiredStatus not STOPPED) per zone: the zone's number, how many
    /// tasks there, and how many on each instance there (in id order).
    pub fn group_counts(
        &self,
        cluster: ClusterId,
        group: &str,
    ) -> impl Iterator<Item = (u32, u64, &[(InstanceId, u32)])> + '_ {
        let zones = self.groups.get(cluster, group);
        zones
            .into_iter()
            .flat_map(GroupZones::iter)
            .map(|(zone, counts)| (zone, counts.tasks, counts.per_instance.as_slice()))
    }

    /// A group's counts by zone number (None: the group never had a task here).
    pub(super) fn group_zones(&self, cluster: ClusterId, group: &str) -> Option<&GroupZones> {
        self.groups.get(cluster, group)
    }

    /// Chooses as the reference pipeline would, when the strategies are indexed ones (the
    /// buckets settled first).
    pub fn choose(
        &mut self,
        world: &World,
        cluster: ClusterId,
        input: &PlacementInput<'_>,
        strategies: &[Strategy],
        rng: &mut RngStreams,
    ) -> Indexed {
        let Some(plan) = Plan::of(strategies) else {
            return Indexed::NotIndexed;
        };
        self.settle();
        // The group's place, looked up once for the whole placement.
        let group = self.groups.place(cluster, input.group);
        match plan.then {
            Then::Binpack(field) => self.keep_buckets(field),
            // Walked upward by memory for the first valid instance.
            Then::Nothing => self.keep_buckets(BinpackField::Memory),
            // Read by memory only when kept (`some_non_holder_fits`); the group's holders by
            // count.
            Then::Instance => {
                if let Some(at) = group {
                    count_by_instance(&mut self.groups.zones[at]);
                }
            }
        }
        // The tied set's buffers, lent to the pass and kept for the next.
        let mut scratch = std::mem::take(&mut self.tie_scratch);
        let group = group.map(|at| &self.groups.zones[at]);
        let chosen = self.choose_settled(world, (cluster, input, group), plan, rng, &mut scratch);
        self.tie_scratch = scratch;
        if self.memory_wanted.take() {
            self.keep_buckets(BinpackField::Memory);
        }
        chosen
    }

    /// `choose` on a settled index.
    fn choose_settled(
        &self,
        world: &World,
        (cluster, input, group): (ClusterId, &PlacementInput<'_>, Option<&GroupZones>),
        plan: Plan,
        rng: &mut RngStreams,
        scratch: &mut TieScratch,
    ) -> Indexed {
        let check = Check::new(self, world, input);
        // Filled in place (collecting would build the inline list and then move it).
        let mut zones = ZoneViews::new();
        zones.extend(
            self.pools
                .get(&cluster)
                .into_iter()
                .flatten()
                .map(|(_, at)| {
                    let pool = &self.pool_list[*at];
                    let counts = group.and_then(|g| g.get(pool.zone_id));
                    ZoneView {
                        pool,
                        filed: &self.filed,
                        holders_filed: self.holders_filed(),
                        counts,
                        load: counts.map_or(0, |c| c.tasks),
                        least: None,
                    }
                }),
        );
        let walk = match self.kept.memory {
            true => NonHolderWalk::ByMemory,
            false => NonHolderWalk::ById(&self.memory_wanted),
        };
        let least =
            |z: &ZoneView<'_>| least_valid((z.pool, z.counts), plan.then, input, &check, &walk);
        if plan.narrow(&mut zones, least).is_none() {
            return Indexed::Nowhere;
        }
        let Some(best) = zones.iter().filter_map(|z| z.least).min() else {
            return Indexed::Nowhere;
        };
        let parts = match (plan.then, best) {
            (Then::Instance, 0) => Parts::One([Part::Ranked(non_holders(&zones, scratch))]),
            _ if zones.len() == 1 => Parts::One([zones[0].part(plan.then, best)]),
            _ => Parts::Many(zones.iter().map(|z| z.part(plan.then, best)).collect()),
        };
        let needs = (input.requirement.cpu, input.requirement.memory_mib);
        let tied = Union::new(parts, &self.amounts, needs);
        match strategy::tie_break(&tied, |id| check.fits(id), rng) {
            Some(id) => Indexed::At(id),
            None => Indexed::Nowhere,
        }
    }
}

/// Whether an instance passes every filter, for one placement. CPU and memory are compared
/// first: they reject most of the instances a walk meets (full ones), and `filters::check` would
/// reject those too. memberOf expressions that look at no task are judged last, once per
/// instance until an instance's description changes (the index's memo), since evaluating them
/// is the costly part.
struct Check<'a> {
    index: &'a PlacementIndex,
    world: &'a World,
    input: &'a PlacementInput<'a>,
    /// The filters but memberOf, when memberOf is judged through the memo.
    rest: PlacementInput<'a>,
    /// The memo's slot for the input's memberOf expressions.
    memo: Option<usize>,
}

impl<'a> Check<'a> {
    fn new(index: &'a PlacementIndex, world: &'a World, input: &'a PlacementInput<'a>) -> Self {
        let memoised =
            !input.member_of.is_empty() && input.member_of.iter().all(|e| !e.uses_tasks());
        let memo = memoised.then(|| index.memo_slot(input.member_of));
        let rest = PlacementInput {
            member_of: if memoised { &[] } else { input.member_of },
            ..*input
        };
        Check {
            index,
            world,
            input,
            rest,
            memo,
        }
    }

    #[inline(always)]
    fn fits(&self, id: InstanceId) -> bool {
        // The index's copy of the amounts (the `index-amounts` audit keeps it equal to the
        // world's) rejects most instances a walk meets, inline: no call, no record read.
        let needs = &self.input.requirement;
        has_room(&self.index.amounts, id, (needs.cpu, needs.memory_mib)) && self.fits_with_room(id)
    }

    /// `fits` for an instance whose compact amounts cover the task's CPU and memory.
    #[inline(never)]
    fn fits_with_room(&self, id: InstanceId) -> bool {
        // The memo's verdict, looked up once: one known to be outside memberOf (most of a tied
        // set, for a task kept to a few instances) rejects before the record is read.
        let known = self.memo.map(|slot| (slot, self.known_member_of(slot, id)));
        if let Some((_, Some(false))) = known {
            return false;
        }
        let inst = self.world.instance(id);
        let r = &inst.remaining;
        r.cpu >= self.input.requirement.cpu
            && r.memory_mib >= self.input.requirement.memory_mib
            && filters::fits(self.world, inst, &self.rest)
            && match known {
                // Not yet judged since the last description change (a known `false` returned
                // above).
                Some((slot, None)) => self.judge_member_of(slot, inst),
                _ => true,
            }
    }

    /// The memo's memberOf verdict on `id`, if judged since the last description change.
    fn known_member_of(&self, slot: usize, id: InstanceId) -> Option<bool> {
        let memo = self.index.member_of_memo.borrow();
        let (at, ok) = *memo[slot].1.get(id.index())?;
        (at == self.world.description_epoch() + 1).then_some(ok)
    }

    /// The memberOf verdict on an instance the memo holds none for (since the last
    /// description change), judged now and kept.
    fn judge_member_of(&self, slot: usize, inst: &Instance) -> bool {
        let ok = filters::constraints::member_of(self.world, inst, self.input).is_none();
        let mut memo = self.index.member_of_memo.borrow_mut();
        let verdicts = &mut memo[slot].1;
        if verdicts.len() <= inst.id.index() {
            verdicts.resize(inst.id.index() + 1, (0, false));
        }
        verdicts[inst.id.index()] = (self.world.description_epoch() + 1, ok);
        ok
    }
}

/// Per cluster and task group, the group's zones. The names map to places in one list, so a
/// lookup that finds its group (every task's but the group's first) hashes the name once and
/// never clones one.
#[derive(Clone, Debug, Default)]
struct Groups {
    places: BTreeMap<ClusterId, NameMap<usize>>,
    zones: Vec<GroupZones>,
    /// Per place, its cluster and group name.
    owners: Vec<(ClusterId, Box<str>)>,
    /// The place the last lookup found: a run of lookups for one group (a service's
    /// placements, starts and stops) compares the name instead of hashing it.
    last: Cell<Option<usize>>,
}

impl Groups {
    fn place(&self, cluster: ClusterId, group: &str) -> Option<usize> {
        if let Some(at) = self.last.get()
            && self.owners[at].0 == cluster
            && *self.owners[at].1 == *group
        {
            return Some(at);
        }
        let at = self.places.get(&cluster)?.get(group).copied()?;
        self.last.set(Some(at));
        Some(at)
    }

    fn get(&self, cluster: ClusterId, group: &str) -> Option<&GroupZones> {
        self.place(cluster, group).map(|at| &self.zones[at])
    }

    /// The group's zones, created empty on first use.
    fn get_or_insert(&mut self, cluster: ClusterId, group: &str) -> &mut GroupZones {
        let at = match self.place(cluster, group) {
            Some(at) => at,
            None => {
                self.zones.push(GroupZones::default());
                self.owners.push((cluster, group.into()));
                let at = self.zones.len() - 1;
                let names = self.places.entry(cluster).or_default();
                names.insert(group.into(), at);
                at
            }
        };
        &mut self.zones[at]
    }
}

/// A zone's holders of a group grouped by how many tasks they hold, each group in id order:
/// the holders of `n` tasks at place `n - 1`. A group left empty keeps its place and its
/// room, so an instance moving between counts (a task placed, a task stopped) allocates
/// nothing after the first time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ByCount {
    holding: Vec<Sorted>,
}

impl ByCount {
    /// The holders of `count` tasks, in id order.
    fn get(&self, count: u64) -> &[InstanceId] {
        let at = usize::try_from(count).ok().and_then(|n| n.checked_sub(1));
        at.and_then(|at| self.holding.get(at))
            .map_or(&[], Vec::as_slice)
    }

    /// Each count held by some instance, least first, with its holders.
    fn iter(&self) -> impl Iterator<Item = (u64, &Sorted)> {
        let counts = (1u64..).zip(&self.holding);
        counts.filter(|(_, ids)| !ids.is_empty())
    }

    fn join(&mut self, count: u64, id: InstanceId) {
        let at = usize::try_from(count - 1).expect("a count fits in memory");
        if self.holding.len() <= at {
            self.holding.resize_with(at + 1, Vec::new);
        }
        insert_sorted(&mut self.holding[at], id);
    }

    fn leave(&mut self, count: u64, id: InstanceId) {
        let at = usize::try_from(count - 1).expect("a count fits in memory");
        if let Some(ids) = self.holding.get_mut(at) {
            remove_sorted(ids, id);
        }
    }
}

/// Room made for a group's holders in a zone when it gains its first.
const ZONE_HOLDERS_FIRST: usize = 16;

/// Adds `delta` tasks on `instance` to a zone's counts.
fn change(counts: &mut GroupZone, instance: InstanceId, delta: i64) {
    counts.tasks = counts.tasks.saturating_add_signed(delta);
    let list = &mut counts.per_instance;
    let at = match list.binary_search_by_key(&instance, |(i, _)| *i) {
        Ok(at) => at,
        Err(at) => {
            if list.capacity() == 0 {
                // A group mostly holds more instances in a zone than a first insert's four.
                list.reserve(ZONE_HOLDERS_FIRST);
            }
            list.insert(at, (instance, 0));
            at
        }
    };
    let before = u64::from(list[at].1);
    let after = before.saturating_add_signed(delta);
    list[at].1 = u32::try_from(after).expect("an instance's tasks fit in u32");
    if after == 0 {
        list.remove(at);
    }
    if let Some(bits) = counts.holder_bits.as_mut() {
        match (before, after) {
            (0, 1..) => bits.insert(instance),
            (1.., 0) => bits.remove(instance),
            _ => {}
        }
    }
    if let (true, Some(by_count)) = (before != after, counts.by_count.as_mut()) {
        if before > 0 {
            by_count.leave(before, instance);
        }
        if after > 0 {
            by_count.join(after, instance);
        }
    }
}

/// The holders of a zone grouped by how many tasks they hold, each group in id order.
fn group_by_count(per_instance: &[(InstanceId, u32)]) -> ByCount {
    let mut by_count = ByCount::default();
    for (id, n) in per_instance {
        by_count.join(u64::from(*n), *id);
    }
    by_count
}

/// Readies a group's zones for a placement with a spread by instance: their holders are read
/// by count from then on (done before each such placement: a zone the group reaches later
/// gets its counts then).
fn count_by_instance(zones: &mut GroupZones) {
    for counts in zones.values_mut() {
        if counts.by_count.is_none() {
            counts.by_count = Some(group_by_count(&counts.per_instance));
            let holders = counts.per_instance.iter().map(|(id, _)| *id);
            counts.holder_bits = Some(Bits::from_ids(holders));
        }
    }
}

/// The strategy lists the index serves: an optional spread by zone, then one measure.
#[derive(Clone, Copy, Debug)]
struct Plan {
    by_zone: bool,
    then: Then,
}

/// The measure that orders instances within the zones kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    /// Nothing: every valid instance ties.
    Nothing,
    /// binpack: the remaining amount.
    Binpack(BinpackField),
    /// spread(instanceId): the group's tasks on the instance.
    Instance,
}

impl Plan {
    fn of(strategies: &[Strategy]) -> Option<Plan> {
        // `random` is the tie-break made at once: what follows it has no effect.
        let strategies = match strategies.iter().position(|s| *s == Strategy::Random) {
            Some(at) => &strategies[..at],
            None => strategies,
        };
        let zone = |s: &Strategy| matches!(s, Strategy::Spread(SpreadField::Attribute(a)) if a == ZONE_ATTRIBUTE);
        let then = |s: &Strategy| match s {
            Strategy::Binpack(f) => Some(Then::Binpack(*f)),
            Strategy::Spread(SpreadField::Instance) => Some(Then::Instance),
            _ => None,
        };
        let (by_zone, then) = match strategies {
            [] => (false, Then::Nothing),
            [z] if zone(z) => (true, Then::Nothing),
            [s] => (false, then(s)?),
            [z, s] if zone(z) => (true, then(s)?),
            _ => return None,
        };
        Some(Plan { by_zone, then })
    }

    /// The zones whose instances can tie, each with its least valid measure (`least`): with a
    /// spread by zone, the zones at the least load among those with a valid instance (zones of
    /// higher loads are never judged); otherwise every zone. Narrowed in place (the list is
    /// a few hundred bytes inline, not worth moving); None: no valid instance.
    fn narrow<'a>(
        &self,
        zones: &mut ZoneViews<'a>,
        least: impl Fn(&ZoneView<'a>) -> Option<i64>,
    ) -> Option<()> {
        if !self.by_zone {
            zones.iter_mut().for_each(|z| z.least = least(z));
            return zones.iter().any(|z| z.least.is_some()).then_some(());
        }
        // Load by load upward: the first load with a valid zone is the least such load.
        let mut above = None;
        loop {
            let load = zones
                .iter()
                .map(|z| z.load)
                .filter(|l| above.is_none_or(|a| *l > a))
                .min()?;
            let mut valid = false;
            for z in zones.iter_mut().filter(|z| z.load == load) {
                z.least = least(z);
                valid |= z.least.is_some();
            }
            if valid {
                zones.retain(|z| z.load == load);
                return Some(());
            }
            above = Some(load);
        }
    }
}

/// A cluster's zones as one placement sees them: inline up to six (most regions have three to
/// six Availability Zones), so a placement allocates nothing for them.
type ZoneViews<'a> = SmallVec<[ZoneView<'a>; 6]>;

/// One zone as a placement sees it.
struct ZoneView<'a> {
    pool: &'a Pool,
    /// The index's filing of every instance (Some: placeable, so in its zone's pool).
    filed: &'a [Option<Filed>],
    /// Every instance holding live tasks is filed: a group's holders need no check.
    holders_filed: bool,
    counts: Option<&'a GroupZone>,
    /// The group's live tasks in the zone.
    load: u64,
    /// The least measure of a valid instance (None: no valid instance, or not judged yet).
    least: Option<i64>,
}

impl<'a> ZoneView<'a> {
    /// The zone's placeable instances whose measure is `best`.
    fn part(&self, then: Then, best: i64) -> Part<'a> {
        match then {
            Then::Nothing => Part::Ids(&self.pool.members),
            Then::Binpack(f) => Part::Ids(self.pool.by(f).get(&best).map_or(&[], |b| &b.ids)),
            Then::Instance => {
                let bucket = self
                    .counts
                    .and_then(|c| c.by_count.as_ref())
                    .map(|b| b.get(best as u64));
                match bucket {
                    Some(ids) if self.holders_filed || ids.iter().all(|id| self.placeable(*id)) => {
                        Part::Ids(ids)
                    }
                    _ => Part::Owned(self.holding(|n| n as i64 == best)),
                }
            }
        }
    }

    fn placeable(&self, id: InstanceId) -> bool {
        self.filed.get(id.index()).is_some_and(Option::is_some)
    }

    /// The zone's placeable instances holding tasks of the group, a count `keep` accepts.
    fn holding(&self, keep: impl Fn(u64) -> bool) -> Sorted {
        self.counts
            .map(|c| {
                c.per_instance
                    .iter()
                    .filter(|(id, n)| keep(u64::from(*n)) && self.placeable(*id))
                    .map(|(id, _)| *id)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The buffers of a tied set of ranked bits, kept from one placement to the next.
#[derive(Clone, Debug, Default)]
struct TieScratch {
    bits: Bits,
    holders: Bits,
    before: Vec<u32>,
}

/// The zones' placeable instances holding no task of the group (the tied set of a spread by
/// instance whose least measure is 0), as ranked bits in `scratch`: a few word operations per
/// 64 instances instead of a search over ids per draw.
fn non_holders<'a>(zones: &[ZoneView<'_>], scratch: &'a mut TieScratch) -> Ranked<'a> {
    let TieScratch {
        bits: tied,
        holders,
        before,
    } = scratch;
    tied.clear();
    for z in zones {
        let counted = z.counts.map(|c| (c, c.holder_bits.as_ref()));
        match counted {
            Some((_, Some(bits))) => tied.add_difference(&z.pool.member_bits, Some(bits)),
            Some((c, None)) => {
                holders.clear();
                c.per_instance
                    .iter()
                    .for_each(|(id, _)| holders.insert(*id));
                tied.add_difference(&z.pool.member_bits, Some(holders));
            }
            None => tied.add_difference(&z.pool.member_bits, None),
        }
    }
    tied.ranked(before)
}

/// The least measure of a valid instance in a zone's pool: for binpack the pool is walked upward
/// from the task's requirement, so the first valid instance is the least; for spread(instanceId)
/// any valid instance without the group's tasks means 0, else the least over those holding some.
fn least_valid(
    (pool, counts): (&Pool, Option<&GroupZone>),
    then: Then,
    input: &PlacementInput<'_>,
    check: &Check<'_>,
    walk: &NonHolderWalk<'_>,
) -> Option<i64> {
    let needs = (input.requirement.cpu, input.requirement.memory_mib);
    match then {
        Then::Nothing => first_fitting_amount(pool, BinpackField::Memory, needs, check).map(|_| 0),
        Then::Binpack(f) => first_fitting_amount(pool, f, needs, check),
        Then::Instance => {
            let fits = |id: &InstanceId| check.fits(*id);
            if some_non_holder_fits((pool, counts), needs, &fits, walk) {
                return Some(0);
            }
            // The least loaded holders first: the first count with a valid instance is it.
            let counts = counts?;
            match &counts.by_count {
                Some(by_count) => by_count
                    .iter()
                    .find(|(_, ids)| ids.iter().any(&fits))
                    .map(|(n, _)| n as i64),
                None => counts
                    .per_instance
                    .iter()
                    .filter(|(id, _)| fits(id))
                    .map(|(_, n)| *n as i64)
                    .min(),
            }
        }
    }
}

/// The least remaining `field` of an instance of the pool that passes `check`: the buckets
/// walked upward from the need (`needs` is CPU, memory MiB), past those where the other
/// resource cannot suffice.
fn first_fitting_amount(
    pool: &Pool,
    field: BinpackField,
    (needs_cpu, needs_memory_mib): (i64, i64),
    check: &Check<'_>,
) -> Option<i64> {
    let (needs, needs_other) = match field {
        BinpackField::Memory => (needs_memory_mib, needs_cpu),
        BinpackField::Cpu => (needs_cpu, needs_memory_mib),
    };
    let mut upward = pool.by(field).range(needs..);
    upward.find_map(|(amount, b)| {
        let fits = b.may_fit(needs_other) && b.ids.iter().any(|id| check.fits(*id));
        fits.then_some(*amount)
    })
}

/// How `some_non_holder_fits` looks among many non-holders.
enum NonHolderWalk<'a> {
    /// Downward from the most memory left (the pools keep memory buckets).
    ByMemory,
    /// In id order; the cell is set once a walk checks more than `WALK_BUDGET` members (a
    /// fuller fleet: the index then keeps memory buckets for the next placements).
    ById(&'a Cell<bool>),
}

/// How many non-holders a walk in id order checks before it asks for memory buckets.
const WALK_BUDGET: u32 = 32;

/// Whether a valid instance of the pool holds no task of the group. When most members hold
/// some, the few that do not are listed (from the bits when kept, else by one merge of the two
/// id-ordered lists); otherwise one is likeliest among those with the most memory left, so the
/// pool is walked downward from the most memory, stopping at the requirement, when the memory
/// buckets are kept, and in id order (the first usually fits in a fleet with room) when not.
fn some_non_holder_fits(
    (pool, counts): (&Pool, Option<&GroupZone>),
    (needs_cpu, needs_memory_mib): (i64, i64),
    fits: &impl Fn(&InstanceId) -> bool,
    walk: &NonHolderWalk<'_>,
) -> bool {
    let holders = counts.map_or(&[][..], |c| c.per_instance.as_slice());
    let holder_bits = counts.and_then(|c| c.holder_bits.as_ref());
    let most_hold = holders.len() * 4 >= pool.members.len() * 3;
    if let (false, NonHolderWalk::ById(wanted)) = (most_hold, walk) {
        let mut checked = 0;
        let fits_counted = |m: &InstanceId| {
            checked += 1;
            if checked == WALK_BUDGET + 1 {
                wanted.set(true);
            }
            fits(m)
        };
        return non_holders_in_order(pool, holders, holder_bits, fits_counted);
    }
    if most_hold {
        return non_holders_in_order(pool, holders, holder_bits, |m| fits(m));
    }
    let holds = |id: &InstanceId| match holder_bits {
        Some(bits) => bits.contains(*id),
        None => counts.is_some_and(|c| c.on(*id).is_some()),
    };
    pool.by_memory
        .range(needs_memory_mib..)
        .rev()
        .filter(|(_, b)| b.may_fit(needs_cpu))
        .flat_map(|(_, b)| b.ids.iter())
        .any(|id| !holds(id) && fits(id))
}

/// Whether `fits` accepts a member of the pool not among the holders, asked in id order.
fn non_holders_in_order(
    pool: &Pool,
    holders: &[(InstanceId, u32)],
    holder_bits: Option<&Bits>,
    mut fits: impl FnMut(&InstanceId) -> bool,
) -> bool {
    if let Some(bits) = holder_bits {
        return pool.member_bits.without(Some(bits)).any(|m| fits(&m));
    }
    let mut held = holders.iter().map(|(id, _)| *id).peekable();
    pool.members.iter().any(|m| {
        while held.next_if(|h| h < m).is_some() {}
        held.peek() != Some(m) && fits(m)
    })
}

/// Part of the tied set: one zone's, or (as ranked bits) several zones'.
enum Part<'a> {
    Ids(&'a [InstanceId]),
    Owned(Sorted),
    Ranked(Ranked<'a>),
}

impl Part<'_> {
    fn len(&self) -> usize {
        match self {
            Part::Ids(ids) => ids.len(),
            Part::Owned(ids) => ids.len(),
            Part::Ranked(bits) => bits.len(),
        }
    }

    /// How many members have an id of at most `id`.
    fn count_le(&self, id: InstanceId) -> usize {
        let upto = |ids: &[InstanceId]| ids.partition_point(|i| *i <= id);
        match self {
            Part::Ids(ids) => upto(ids),
            Part::Owned(ids) => upto(ids),
            Part::Ranked(bits) => bits.count_le(id),
        }
    }

    /// How many members have an id of at most `id`, knowing the count is in `known` (a list
    /// part searches only there).
    fn count_le_within(&self, id: InstanceId, known: std::ops::Range<usize>) -> usize {
        let upto =
            |ids: &[InstanceId]| known.start + ids[known.clone()].partition_point(|i| *i <= id);
        match self {
            Part::Ids(ids) => upto(ids),
            Part::Owned(ids) => upto(ids),
            Part::Ranked(bits) => bits.count_le(id),
        }
    }

    /// Appends the members `valid` accepts, in id order.
    fn push_valid(&self, valid: &impl Fn(InstanceId) -> bool, out: &mut Vec<InstanceId>) {
        let keep = |id: &InstanceId| valid(*id);
        match self {
            Part::Ids(ids) => out.extend(ids.iter().copied().filter(keep)),
            Part::Owned(ids) => out.extend(ids.iter().copied().filter(keep)),
            Part::Ranked(bits) => out.extend(bits.ids().filter(keep)),
        }
    }

    /// The member with `r` members before it in id order.
    fn nth(&self, r: usize) -> InstanceId {
        match self {
            Part::Ids(ids) => ids[r],
            Part::Owned(ids) => ids[r],
            Part::Ranked(bits) => bits.nth(r),
        }
    }

    /// An id no member exceeds (for the bisection), None when empty.
    fn bound(&self) -> Option<InstanceId> {
        match self {
            Part::Ids(ids) => ids.last().copied(),
            Part::Owned(ids) => ids.last().copied(),
            Part::Ranked(bits) => bits.last(),
        }
    }
}

/// A union's parts: most tied sets have one, held without a list.
enum Parts<'a> {
    One([Part<'a>; 1]),
    Many(Vec<Part<'a>>),
}

impl<'a> std::ops::Deref for Parts<'a> {
    type Target = [Part<'a>];

    fn deref(&self) -> &[Part<'a>] {
        match self {
            Parts::One(part) => part,
            Parts::Many(parts) => parts,
        }
    }
}

impl<'a> From<Vec<Part<'a>>> for Parts<'a> {
    fn from(parts: Vec<Part<'a>>) -> Parts<'a> {
        Parts::Many(parts)
    }
}

/// The tied set: disjoint parts (one per zone), selected from in id order by rank.
struct Union<'a> {
    parts: Parts<'a>,
    /// Draws made so far.
    draws: Cell<u32>,
    /// Every member in id order, listed once a draw has missed (small sets only).
    merged: OnceCell<Sorted>,
    /// The index's compact amounts and the task's requirement: listing the valid members
    /// skips those without the CPU or memory before asking the full check.
    amounts: &'a [(i64, i64)],
    /// The task's (CPU, memory MiB).
    needs: (i64, i64),
}

/// A tied set of several parts with at most this many members is merged into one list after
/// its first draw (which, in a fleet with room, is the only one): later draws then read their
/// member directly instead of bisecting over the ids.
const MERGE_AT_MOST: usize = 128;

impl<'a> Union<'a> {
    fn new(parts: impl Into<Parts<'a>>, amounts: &'a [(i64, i64)], needs: (i64, i64)) -> Union<'a> {
        Union {
            parts: parts.into(),
            draws: Cell::new(0),
            merged: OnceCell::new(),
            amounts,
            needs,
        }
    }

    /// The members `keep` accepts, in id order.
    fn listed(&self, keep: impl Fn(InstanceId) -> bool) -> Vec<InstanceId> {
        let mut ids = Vec::new();
        for part in self.parts.iter() {
            part.push_valid(&keep, &mut ids);
        }
        // Each part is in id order: a stable sort merges the runs instead of sorting anew.
        ids.sort();
        ids
    }

    fn count_le(&self, id: InstanceId) -> usize {
        self.parts.iter().map(|p| p.count_le(id)).sum()
    }

    /// The member of rank `r` (from 0) in id order, found by narrowing each part to a window of
    /// positions that may hold it: a member of the widest window is taken as a pivot, placed among
    /// the others by a search in their windows only, and every window is cut on its side. The
    /// pivot is at the spot the rank suggests (members spread evenly over the ids, so it lands
    /// near) and, every other step, in the middle, so that the widest window at least halves.
    fn search(&self, r: usize) -> InstanceId {
        let parts = &self.parts[..];
        let mut lo = [0usize; MAX_SEARCHED_PARTS];
        let mut hi = [0usize; MAX_SEARCHED_PARTS];
        for (h, part) in hi.iter_mut().zip(parts) {
            *h = part.len();
        }
        let mut guess = true;
        loop {
            // Members below every window precede the answer: `below <= r < below + left`.
            let below: usize = lo.iter().sum();
            let left: usize = hi.iter().zip(&lo).map(|(h, l)| h - l).sum();
            let p = (0..parts.len())
                .max_by_key(|&i| hi[i] - lo[i])
                .expect("a union has parts");
            let width = hi[p] - lo[p];
            let step = if guess {
                ((r - below) * width / left).min(width - 1)
            } else {
                width / 2
            };
            guess = !guess;
            let at = lo[p] + step;
            let pivot = parts[p].nth(at);
            // Per part, its members before the pivot (parts are disjoint: none equals it).
            let mut before = [0usize; MAX_SEARCHED_PARTS];
            for (i, part) in parts.iter().enumerate() {
                before[i] = if i == p {
                    at
                } else {
                    part.count_le_within(pivot, lo[i]..hi[i])
                };
            }
            let rank: usize = before.iter().sum();
            match rank.cmp(&r) {
                std::cmp::Ordering::Equal => return pivot,
                std::cmp::Ordering::Less => {
                    lo = before;
                    lo[p] = at + 1;
                }
                std::cmp::Ordering::Greater => hi = before,
            }
        }
    }
}

/// A tied set of at most this many parts is searched with per-part bounds (`Union::search`).
const MAX_SEARCHED_PARTS: usize = 8;

impl TieSet for Union<'_> {
    fn len(&self) -> usize {
        self.parts.iter().map(Part::len).sum()
    }

    /// The member of rank `r` in id order: read off a lone part, else searched for by windows
    /// (`search`), or bisected over the ids past `MAX_SEARCHED_PARTS` parts.
    fn nth(&self, r: usize) -> InstanceId {
        if let [part] = &self.parts[..] {
            return part.nth(r);
        }
        let draws = self.draws.get();
        self.draws.set(draws + 1);
        if draws > 0 && self.len() <= MERGE_AT_MOST {
            return self.merged.get_or_init(|| self.listed(|_| true))[r];
        }
        if self.parts.len() <= MAX_SEARCHED_PARTS {
            return self.search(r);
        }
        let mut lo = 0u32;
        let mut hi = self
            .parts
            .iter()
            .filter_map(Part::bound)
            .map(|i| i.0)
            .max()
            .unwrap_or(0);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.count_le(InstanceId(mid)) > r {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        InstanceId(lo)
    }

    fn valid(&self, valid: &dyn Fn(InstanceId) -> bool) -> Vec<InstanceId> {
        let keep = |id: InstanceId| has_room(self.amounts, id, self.needs) && valid(id);
        match self.merged.get() {
            // Merged by the draws that missed: already in id order.
            Some(all) => all.iter().copied().filter(|id| keep(*id)).collect(),
            None => self.listed(keep),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Sorted {
        v.iter().copied().map(InstanceId).collect()
    }

    fn bits(v: &[u32]) -> Bits {
        Bits::from_ids(ids(v))
    }

    /// `members` without `held`, as the ranked part a spread by instance ties over.
    fn non_holding(members: &[u32], held: &[u32]) -> Part<'static> {
        let mut tied = Bits::default();
        tied.add_difference(&bits(members), Some(&bits(held)));
        // Kept for the rest of the test run: a test part borrows nothing.
        let tied: &'static Bits = Box::leak(Box::new(tied));
        Part::Ranked(tied.ranked(Box::leak(Box::default())))
    }

    /// Listing the valid members skips those whose compact amounts lack the CPU or the memory
    /// (or are unfiled: never skipped) before the full check; draws still see every member.
    #[test]
    fn valid_members_are_those_with_room_that_pass_the_check() {
        let a = ids(&[1, 4, 9]);
        let mut amounts = vec![(1024, 2048); 21];
        amounts[4] = (256, 2048);
        amounts[5] = (1024, 100);
        amounts[9] = UNFILED;
        let tied = Union::new(
            vec![Part::Ids(&a), Part::Owned(ids(&[5, 6, 20]))],
            &amounts,
            (512, 1024),
        );
        assert_eq!(tied.valid(&|_| true), ids(&[1, 6, 9, 20]));
        assert_eq!(tied.valid(&|id| id.0 != 6), ids(&[1, 9, 20]));
        assert_eq!(tied.len(), 6);
        assert_eq!(tied.nth(1), InstanceId(4));
        // A second draw merges the small set; the listing then reads the merged list.
        assert_eq!(tied.nth(3), InstanceId(6));
        assert!(tied.merged.get().is_some());
        assert_eq!(tied.valid(&|_| true), ids(&[1, 6, 9, 20]));
        assert_eq!(tied.valid(&|id| id.0 != 6), ids(&[1, 9, 20]));
    }

    #[test]
    fn union_selects_in_id_order_across_parts() {
        let a = ids(&[1, 4, 9]);
        let union = || {
            Union::new(
                vec![
                    Part::Ids(&a),
                    non_holding(&[0, 2, 3, 5, 8, 12], &[3, 8]),
                    Part::Owned(ids(&[6, 20])),
                ],
                &[],
                (0, 0),
            )
        };
        let tied = union();
        let expected = ids(&[0, 1, 2, 4, 5, 6, 9, 12, 20]);
        assert_eq!(tied.len(), expected.len());
        assert_eq!(tied.valid(&|_| true), expected);
        for (r, id) in expected.iter().enumerate() {
            // A first draw bisects; the ones after it read the list.
            assert_eq!(union().nth(r), *id, "rank {r} bisected");
            assert_eq!(tied.nth(r), *id, "rank {r}");
        }
        let odd = |id: InstanceId| id.0 % 2 == 1;
        let odd_ones: Sorted = expected.iter().copied().filter(|i| odd(*i)).collect();
        assert_eq!(tied.valid(&odd), odd_ones);
        assert!(
            tied.merged.get().is_some(),
            "a small union is listed after a draw"
        );
        for (r, id) in expected.iter().enumerate() {
            assert_eq!(tied.nth(r), *id, "rank {r} from the list");
        }
    }

    /// A union past the size worth merging keeps its parts, and reads the same either way.
    #[test]
    fn a_large_union_keeps_its_parts() {
        let evens: Sorted = (0..MERGE_AT_MOST as u32)
            .map(|i| InstanceId(2 * i))
            .collect();
        let odds: Sorted = (0..3).map(|i| InstanceId(2 * i + 1)).collect();
        let tied = Union::new(vec![Part::Ids(&evens), Part::Ids(&odds)], &[], (0, 0));
        let all = tied.valid(&|_| true);
        assert_eq!(all.len(), MERGE_AT_MOST + 3);
        for (r, id) in all.iter().enumerate() {
            assert_eq!(tied.nth(r), *id, "rank {r}");
        }
        assert!(tied.merged.get().is_none(), "bisected, never listed");
    }

    proptest::proptest! {
        /// The first draw of a fresh union (the searched or, past `MAX_SEARCHED_PARTS` parts,
        /// the bisected one) gives every rank the member of that rank in id order, however the
        /// members spread: evenly, in runs, or clustered at one end.
        #[test]
        fn union_ranks_match_the_merged_list(
            members in proptest::collection::vec((0u32..4000, 0usize..12), 1..300),
            kinds in proptest::collection::vec(0u8..3, 12),
            squeeze in 1u32..40,
        ) {
            // Each id in at most one part (parts are disjoint), spread or squeezed to the front.
            let mut by_part = vec![std::collections::BTreeSet::new(); 12];
            let mut seen = std::collections::BTreeSet::new();
            for (id, part) in members {
                let id = if squeeze > 20 { id / squeeze } else { id };
                if seen.insert(id) {
                    by_part[part].insert(id);
                }
            }
            let lists: Vec<Sorted> = by_part.iter().map(|p| p.iter().copied().map(InstanceId).collect()).collect();
            for count in [2usize, 3, 8, 9, 12] {
                let part = |i: usize| match kinds[i] {
                    0 => Part::Ids(&lists[i]),
                    1 => Part::Owned(lists[i].clone()),
                    _ => non_holding(&by_part[i].iter().copied().collect::<Vec<_>>(), &[]),
                };
                let union = || Union::new((0..count).map(part).collect::<Vec<_>>(), &[], (0, 0));
                let expected = union().valid(&|_| true);
                for (r, id) in expected.iter().enumerate() {
                    proptest::prop_assert_eq!(union().nth(r), *id, "rank {} of {} parts", r, count);
                }
            }
        }
    }

    /// A lone part reads its rank directly; with an empty second part the union bisects over
    /// the ids instead: both give every rank the same member, for holders at the ends, in runs,
    /// or none.
    #[test]
    fn a_lone_part_reads_ranks_as_the_bisection_does() {
        let listed = [0, 2, 3, 5, 8, 12, 13, 14, 30, 64, 65, 130];
        let members = ids(&listed);
        let holdings: [&[u32]; 6] = [&[], &[0], &[130], &[2, 3, 5], &[0, 12, 13, 14, 30], &[64]];
        for held in holdings {
            let part = |kind: usize| match kind {
                0 => non_holding(&listed, held),
                1 => Part::Ids(&members),
                _ => Part::Owned(ids(&[4, 7])),
            };
            for kind in 0..3 {
                let mut expected = Vec::new();
                part(kind).push_valid(&|_| true, &mut expected);
                let lone = Union::new(vec![part(kind)], &[], (0, 0));
                // A fresh union per rank: its first draw bisects.
                let bisected =
                    || Union::new(vec![part(kind), Part::Owned(Vec::new())], &[], (0, 0));
                for (r, id) in expected.iter().enumerate() {
                    assert_eq!(lone.nth(r), *id, "rank {r} of part {kind}, held {held:?}");
                    assert_eq!(bisected().nth(r), *id, "rank {r} bisected, held {held:?}");
                }
            }
        }
    }

    proptest::proptest! {
        /// After any reservations and releases, settled, every bucket holds exactly the
        /// instances with its amount, and knows the most of the other resource among them and
        /// how many have it. The memory and the CPU buckets are kept from the
        /// `keep_memory_from`-th and `keep_cpu_from`-th change on (built then from the filed
        /// amounts), and are empty before.
        #[test]
        fn buckets_file_each_amount_and_bound_the_other(
            changes in proptest::collection::vec((0usize..6, -3i64..4, -3i64..4, 0u8..8), 0..60),
            keep_memory_from in 0usize..70,
            keep_cpu_from in 0usize..70,
        ) {
            let mut f = crate::placement::filters::test_support::Fixture::new(6, 1024, 2048);
            let mut index = PlacementIndex::default();
            for i in 0..6 {
                index.update(&f.world, InstanceId(i));
            }
            for (step, (i, cpu, memory, toggle)) in changes.into_iter().enumerate() {
                let inst = &mut f.world.instances[i];
                let r = &mut inst.remaining;
                r.cpu = (r.cpu + 128 * cpu).clamp(0, 1024);
                r.memory_mib = (r.memory_mib + 256 * memory).clamp(0, 2048);
                if toggle == 0 {
                    // Draining leaves the pool (unfiled), ACTIVE again files it anew.
                    inst.status = match inst.status {
                        InstanceStatus::Active => InstanceStatus::Draining,
                        _ => InstanceStatus::Active,
                    };
                    index.update(&f.world, InstanceId(i as u32));
                } else {
                    index.update_amounts(&f.world, InstanceId(i as u32));
                }
                proptest::prop_assert_eq!(index.misfiled(&f.world), vec![]);
                if toggle % 2 == 1 {
                    // Left pending: changes pile up (on one instance or several) until a settle.
                    continue;
                }
                index.settle();
                if step >= keep_memory_from {
                    index.keep_buckets(BinpackField::Memory);
                }
                if step >= keep_cpu_from {
                    index.keep_buckets(BinpackField::Cpu);
                }
                for pool in &index.pool_list {
                    let filed = |by: &BTreeMap<i64, Bucket>| by.values().map(|b| b.ids.len()).sum::<usize>();
                    let kept = |on: bool| if on { pool.members.len() } else { 0 };
                    proptest::prop_assert_eq!(filed(&pool.by_memory), kept(index.kept.memory));
                    proptest::prop_assert_eq!(filed(&pool.by_cpu), kept(index.kept.cpu));
                    // Kept one by one, they equal a build in one pass (ids in order too).
                    let amounts = |field| pool.members.iter().map(|id| {
                        let f = index.filed[id.index()].as_ref().expect("filed");
                        let (amount, other) = amount_and_other(field, (f.memory_mib, f.cpu));
                        (amount, other, *id)
                    }).collect();
                    if index.kept.memory {
                        proptest::prop_assert_eq!(&pool.by_memory, &buckets_of(amounts(BinpackField::Memory)));
                    }
                    if index.kept.cpu {
                        proptest::prop_assert_eq!(&pool.by_cpu, &buckets_of(amounts(BinpackField::Cpu)));
                    }
                    for (by, field) in [(&pool.by_memory, BinpackField::Memory), (&pool.by_cpu, BinpackField::Cpu)] {
                        for (amount, bucket) in by {
                            let mut others = Vec::new();
                            for id in &bucket.ids {
                                let r = &f.world.instance(*id).remaining;
                                let (own, other) = match field {
                                    BinpackField::Memory => (r.memory_mib, r.cpu),
                                    BinpackField::Cpu => (r.cpu, r.memory_mib),
                                };
                                proptest::prop_assert_eq!(own, *amount);
                                others.push(other);
                            }
                            let most = others.iter().max().copied();
                            proptest::prop_assert_eq!(Some(bucket.most_other), most);
                            let at_most = others.iter().filter(|o| Some(**o) == most).count();
                            proptest::prop_assert_eq!(bucket.at_most as usize, at_most);
                        }
                    }
                }
            }
        }
    }

    /// The audit names an instance whose amounts moved without a re-filing, and one that left
    /// service but is still filed.
    #[test]
    fn misfiled_names_stale_amounts_and_unplaceable_instances() {
        let mut f = crate::placement::filters::test_support::Fixture::new(3, 1024, 2048);
        let mut index = PlacementIndex::default();
        for i in 0..3 {
            index.update(&f.world, InstanceId(i));
        }
        assert_eq!(index.misfiled(&f.world), vec![]);
        f.world.instances[1].remaining.memory_mib -= 512;
        f.world.instances[2].status = InstanceStatus::Draining;
        let named: Vec<String> = index
            .misfiled(&f.world)
            .into_iter()
            .map(|v| format!("{}: {}", v.invariant, v.detail))
            .collect();
        assert_eq!(named.len(), 2, "{named:?}");
        assert!(named[0].starts_with("index-amounts") && named[0].contains("memory 1536 MiB"));
        assert!(named[1].contains("placeable: false"), "{named:?}");
        index.update_amounts(&f.world, InstanceId(1));
        index.update(&f.world, InstanceId(2));
        assert_eq!(index.misfiled(&f.world), vec![]);
    }

    /// A lookup remembers the group it found: one of the same name in another cluster, or of
    /// another name, is still a group of its own.
    #[test]
    fn groups_of_one_name_in_two_clusters_stay_apart() {
        let (a, b) = (ClusterId(0), ClusterId(1));
        let mut groups = Groups::default();
        let zones = |g: Option<&GroupZones>| g.map(|z| z.iter().map(|(zone, _)| zone).collect());
        let reached = |g: &mut GroupZones| g.iter().count();
        groups.get_or_insert(a, "service:web").zone_mut(2);
        assert_eq!(zones(groups.get(a, "service:web")), Some(vec![2]));
        assert!(groups.get(b, "service:web").is_none());
        assert!(groups.get(a, "service:api").is_none());
        assert_eq!(reached(groups.get_or_insert(b, "service:web")), 0);
        assert_eq!(zones(groups.get(a, "service:web")), Some(vec![2]));
        assert_eq!(zones(groups.get(b, "service:web")), Some(vec![]));
        let web = groups.get_or_insert(a, "service:web");
        assert!(web.get(0).is_none() && web.get(2).is_some() && web.get(9).is_none());
    }

    /// The zones' non-holders, whether a zone's holders are kept as bits, listed only, or
    /// absent: every member of each zone not holding, in id order across the zones.
    #[test]
    fn non_holders_span_the_zones_in_id_order() {
        let pool = |members: &[u32]| Pool {
            members: ids(members),
            member_bits: bits(members),
            ..Pool::default()
        };
        let (a, b, c) = (
            pool(&[0, 3, 70, 130]),
            pool(&[1, 2, 64, 200]),
            pool(&[5, 6]),
        );
        let mut kept = GroupZone {
            holder_bits: Some(Bits::default()),
            ..GroupZone::default()
        };
        [3, 130]
            .iter()
            .for_each(|i| change(&mut kept, InstanceId(*i), 1));
        let mut listed = GroupZone::default();
        [2, 200]
            .iter()
            .for_each(|i| change(&mut listed, InstanceId(*i), 1));
        let view = |pool, counts| ZoneView {
            pool,
            filed: &[],
            holders_filed: false,
            counts,
            load: 0,
            least: Some(0),
        };
        let zones = [
            view(&a, Some(&kept)),
            view(&b, Some(&listed)),
            view(&c, None),
        ];
        let mut scratch = TieScratch::default();
        let tied = non_holders(&zones, &mut scratch);
        assert_eq!(tied.ids().collect::<Vec<_>>(), ids(&[0, 1, 5, 6, 64, 70]));
        assert_eq!(tied.nth(4), InstanceId(64));
    }

    #[test]
    fn a_fitting_non_holder_is_found_whether_few_or_most_members_hold() {
        let pool = Pool {
            members: ids(&[1, 2, 3, 4, 5, 6, 7, 8]),
            member_bits: bits(&[1, 2, 3, 4, 5, 6, 7, 8]),
            by_memory: [(512, &[1, 2, 3, 4]), (1024, &[5, 6, 7, 8])]
                .map(|(amount, v): (i64, &[u32; 4])| {
                    let bucket = Bucket {
                        ids: ids(v),
                        most_other: i64::MAX,
                        at_most: 4,
                    };
                    (amount, bucket)
                })
                .into(),
            ..Pool::default()
        };
        let held = |h: &[u32], as_bits: bool| {
            let mut z = GroupZone {
                holder_bits: as_bits.then(Bits::default),
                ..GroupZone::default()
            };
            h.iter().for_each(|i| change(&mut z, InstanceId(*i), 1));
            z
        };
        let held_both = |h: &'static [u32]| [held(h, false), held(h, true)];
        let only = |ok: &'static [u32]| move |id: &InstanceId| ok.contains(&id.0);
        // Few hold (the walk by memory or in id order), then most hold (the merge, or the
        // bits): the answer is the same.
        let wanted = Cell::new(false);
        let walks = [NonHolderWalk::ByMemory, NonHolderWalk::ById(&wanted)];
        let cases = [held_both(&[1, 5]), held_both(&[1, 2, 3, 5, 6, 7, 8])];
        for (holders, walk) in cases.iter().flatten().zip(walks.iter().cycle()) {
            let z = Some(holders);
            assert!(some_non_holder_fits((&pool, z), (0, 0), &only(&[4]), walk));
            assert!(!some_non_holder_fits(
                (&pool, z),
                (0, 0),
                &only(&[1, 5]),
                walk
            ));
            assert!(!some_non_holder_fits((&pool, z), (0, 0), &only(&[]), walk));
        }
        let all = held(&[1, 2, 3, 4, 5, 6, 7, 8], true);
        let none_fits = only(&[1, 2, 3, 4]);
        assert!(!some_non_holder_fits(
            (&pool, Some(&all)),
            (0, 0),
            &none_fits,
            &walks[1]
        ));
        assert!(some_non_holder_fits(
            (&pool, None),
            (0, 0),
            &only(&[8]),
            &walks[0]
        ));
        assert!(!wanted.get(), "no walk in id order checked many");
    }

    /// A walk in id order among few holders that checks more than `WALK_BUDGET` members still
    /// answers exactly, and asks for memory buckets; a short one does not.
    #[test]
    fn a_long_walk_in_id_order_asks_for_memory_buckets() {
        let members: Vec<u32> = (0..100).collect();
        let pool = Pool {
            members: ids(&members),
            member_bits: bits(&members),
            ..Pool::default()
        };
        let wanted = Cell::new(false);
        let walk = NonHolderWalk::ById(&wanted);
        let from = |first: u32| move |id: &InstanceId| id.0 >= first;
        let budget = WALK_BUDGET;
        assert!(some_non_holder_fits(
            (&pool, None),
            (0, 0),
            &from(budget - 1),
            &walk
        ));
        assert!(!wanted.get(), "found at the budget's last check");
        assert!(some_non_holder_fits(
            (&pool, None),
            (0, 0),
            &from(budget),
            &walk
        ));
        assert!(wanted.get(), "found past the budget");
        wanted.set(false);
        assert!(!some_non_holder_fits(
            (&pool, None),
            (0, 0),
            &from(100),
            &walk
        ));
        assert!(wanted.get(), "none found among them all");
    }

    #[test]
    fn counts_per_instance_stay_sorted_and_drop_at_zero() {
        let mut z = GroupZone::default();
        for (id, d) in [(5, 1), (2, 1), (5, 1), (9, 1), (2, -1)] {
            change(&mut z, InstanceId(id), d);
        }
        assert_eq!(z.tasks, 3);
        assert_eq!(z.per_instance, vec![(InstanceId(5), 2), (InstanceId(9), 1)]);
        assert_eq!(z.on(InstanceId(5)), Some(2));
        assert_eq!(z.on(InstanceId(2)), None);
        assert_eq!(
            z.by_count, None,
            "not kept until a placement spreads by instance"
        );
        z.by_count = Some(group_by_count(&z.per_instance));
        z.holder_bits = Some(bits(&[5, 9]));
        change(&mut z, InstanceId(9), 1);
        change(&mut z, InstanceId(3), 1);
        change(&mut z, InstanceId(5), -1);
        change(&mut z, InstanceId(5), -1);
        assert_eq!(
            z.holder_bits,
            Some(bits(&[3, 9])),
            "a holder leaves at 0, not before"
        );
        let by_count = z.by_count.as_ref().expect("kept");
        let held: Vec<(u64, &Sorted)> = by_count.iter().collect();
        assert_eq!(held, vec![(1, &ids(&[3])), (2, &ids(&[9]))]);
        assert_eq!(by_count.get(2), ids(&[9]), "a count's holders");
        assert_eq!(by_count.get(3), [], "a count no instance holds");
        assert_eq!(by_count.get(0), [], "0 is not held");
        change(&mut z, InstanceId(3), -1);
        let by_count = z.by_count.as_ref().expect("kept");
        let held: Vec<(u64, &Sorted)> = by_count.iter().collect();
        assert_eq!(held, vec![(2, &ids(&[9]))], "an emptied count is skipped");
        assert_eq!(by_count.get(1), [], "an emptied count holds none");
    }
}
