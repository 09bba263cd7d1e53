//! The simulated world: every cluster, instance, task definition and task, indexed by dense id.
//!
//! Entities are appended and never removed, so ids stay valid for the whole run. Reads are public;
//! writes happen only through the engine.

use crate::cluster::{Cluster, ClusterStatus};
use crate::ids::{ClusterId, InstanceId, ServiceId, TaskDefId, TaskId, ZoneId};
use crate::instance::{Instance, InstanceStatus};
use crate::service::{Service, ServiceStatus};
use crate::task::{DesiredStatus, Task};
use crate::taskdef::{TaskDefStatus, TaskDefinition};
use foldhash::fast::FixedState;
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Names (a cluster's task groups) to values, found by a hash of the name rather than by
/// comparing names (a fixed-seed hasher, so the same on every run and machine; iterated, where
/// at all, in insertion order).
pub(crate) type NameMap<V> = IndexMap<Box<str>, V, FixedState>;

#[derive(Clone, Debug, Default)]
pub struct World {
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) task_defs: Vec<TaskDefinition>,
    pub(crate) services: Vec<Service>,
    /// Revisions of each family, in revision order.
    pub(crate) families: BTreeMap<String, Vec<TaskDefId>>,
    /// Per cluster and task group, the tasks whose desiredStatus is not STOPPED, in creation
    /// order: what spread and scale-in count, without walking the cluster.
    pub(crate) groups: BTreeMap<ClusterId, NameMap<TaskList>>,
    /// The group a task last joined or left, with its place in its cluster's map: a service's
    /// tasks share one name (one `Arc`), so its next task finds the place by comparing
    /// pointers instead of hashing the name. Held here, the name cannot be freed and another
    /// take its address.
    last_group: Option<(ClusterId, Arc<str>, usize)>,
    /// The tasks holding resources (not STOPPED), counted by required (CPU, memory MiB).
    pub(crate) task_shapes: TaskShapes,
    /// Per cluster and EC2 instance id, the instances registered with it, in order.
    pub(crate) ec2_ids: BTreeMap<ClusterId, BTreeMap<String, Vec<InstanceId>>>,
    /// The Availability Zones instances registered in, numbered in order of first sight.
    pub(crate) zones: Vec<String>,
    /// Moves whenever an instance's attributes, agent connection or agent version change: what
    /// a memberOf expression that looks at no task reads, besides fields that never change.
    pub(crate) description_epoch: u64,
}

impl World {
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }
    pub fn cluster(&self, id: ClusterId) -> &Cluster {
        &self.clusters[id.index()]
    }
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }
    pub fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.index()]
    }
    /// The name of a zone the world numbered.
    pub fn zone_name(&self, id: ZoneId) -> &str {
        &self.zones[id.index()]
    }
    /// The count of changes to instances' attributes, agent connections and agent versions so
    /// far: a memberOf verdict that looks at no task holds while it stays the same.
    pub fn description_epoch(&self) -> u64 {
        self.description_epoch
    }
    /// How many zones the world has numbered: every `ZoneId` is below it.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }
    /// The zone's number, numbering it when it is new (a fleet has a handful of zones).
    pub(crate) fn zone_id(&mut self, name: &str) -> ZoneId {
        let at = self
            .zones
            .iter()
            .position(|z| z == name)
            .unwrap_or_else(|| {
                self.zones.push(name.to_string());
                self.zones.len() - 1
            });
        ZoneId(at as u32)
    }
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }
    pub fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.index()]
    }
    pub fn services(&self) -> &[Service] {
        &self.services
    }
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    /// The newest service of this name in the cluster (ACTIVE ones win over INACTIVE).
    pub fn service_by_name(&self, cluster: ClusterId, name: &str) -> Option<ServiceId> {
        self.services
            .iter()
            .filter(|s| s.cluster == cluster && s.name == name)
            .max_by_key(|s| s.status != ServiceStatus::Inactive)
            .map(|s| s.id)
    }

    pub fn task_defs(&self) -> &[TaskDefinition] {
        &self.task_defs
    }
    pub fn task_def(&self, id: TaskDefId) -> &TaskDefinition {
        &self.task_defs[id.index()]
    }

    /// The cluster with this name, whatever its status.
    pub fn cluster_by_name(&self, name: &str) -> Option<ClusterId> {
        self.clusters
            .iter()
            .position(|c| c.name == name)
            .map(|i| ClusterId(i as u32))
    }

    /// The ACTIVE cluster with this name.
    pub fn active_cluster(&self, name: &str) -> Option<ClusterId> {
        self.cluster_by_name(name)
            .filter(|id| self.cluster(*id).status == ClusterStatus::Active)
    }

    /// Revisions of a family, oldest first.
    pub fn family(&self, family: &str) -> &[TaskDefId] {
        self.families.get(family).map_or(&[], Vec::as_slice)
    }

    pub fn families(&self) -> impl Iterator<Item = (&str, &[TaskDefId])> {
        self.families
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// The latest ACTIVE revision of a family.
    pub fn latest_active(&self, family: &str) -> Option<TaskDefId> {
        self.family(family)
            .iter()
            .rev()
            .copied()
            .find(|id| self.task_def(*id).status == TaskDefStatus::Active)
    }

    /// A given revision of a family, whatever its status.
    pub fn revision(&self, family: &str, revision: u32) -> Option<TaskDefId> {
        self.family(family)
            .iter()
            .copied()
            .find(|id| self.task_def(*id).revision == revision)
    }

    /// Instances of a cluster that are not INACTIVE, in registration order.
    /// Whether the cluster has an instance that is not INACTIVE (without listing them).
    pub fn has_registered_instances(&self, cluster: ClusterId) -> bool {
        self.cluster(cluster)
            .instances
            .iter()
            .any(|i| self.instance(*i).status != InstanceStatus::Inactive)
    }

    pub fn registered_instances(&self, cluster: ClusterId) -> Vec<InstanceId> {
        self.cluster(cluster)
            .instances
            .iter()
            .copied()
            .filter(|i| self.instance(*i).status != InstanceStatus::Inactive)
            .collect()
    }

    /// The cluster's instance registered with `ec2_id`: the last one not INACTIVE, else the
    /// last one.
    pub fn instance_by_ec2_id(&self, cluster: ClusterId, ec2_id: &str) -> Option<InstanceId> {
        self.ec2_ids
            .get(&cluster)?
            .get(ec2_id)?
            .iter()
            .copied()
            .max_by_key(|i| self.instance(*i).status != InstanceStatus::Inactive)
    }

    /// Files a newly registered instance under its cluster and EC2 id.
    pub(crate) fn file_ec2_id(&mut self, id: InstanceId) {
        let inst = &self.instances[id.index()];
        self.ec2_ids
            .entry(inst.cluster)
            .or_default()
            .entry(inst.ec2_instance_id.clone())
            .or_default()
            .push(id);
    }

    pub fn instance_by_uuid(&self, cluster: ClusterId, uuid: &str) -> Option<InstanceId> {
        self.cluster(cluster)
            .instances
            .iter()
            .copied()
            .find(|i| self.instance(*i).uuid == uuid)
    }

    pub fn task_by_uuid(&self, cluster: ClusterId, uuid: &str) -> Option<TaskId> {
        self.cluster(cluster)
            .tasks
            .iter()
            .copied()
            .find(|t| *self.task(*t).uuid == *uuid)
    }

    /// The tasks of `group` in a cluster whose desiredStatus is not STOPPED (what spread and
    /// scale-in count), in creation order.
    pub fn group_tasks<'a>(
        &'a self,
        cluster: ClusterId,
        group: &str,
    ) -> impl Iterator<Item = &'a Task> + 'a {
        self.groups
            .get(&cluster)
            .and_then(|g| g.get(group))
            .into_iter()
            .flat_map(TaskList::iter)
            .map(|t| self.task(*t))
    }

    /// How many tasks hold resources (not STOPPED), by required (CPU units, memory MiB).
    pub fn task_shapes(&self) -> &TaskShapes {
        &self.task_shapes
    }

    /// A task starts or stops holding resources: its shape's count moves by `delta`.
    pub(crate) fn count_shape(&mut self, task: TaskId, delta: i64) {
        let r = &self.tasks[task.index()].allocation;
        self.task_shapes.add((r.cpu, r.memory_mib), delta);
    }

    /// The ids of `group_tasks`, in creation order (None: the group never had a task).
    pub fn group_task_list(&self, cluster: ClusterId, group: &str) -> Option<&TaskList> {
        self.groups.get(&cluster).and_then(|g| g.get(group))
    }

    /// A task just created with desiredStatus RUNNING joins its group.
    pub(crate) fn join_group(&mut self, task: TaskId) {
        let t = &self.tasks[task.index()];
        let groups = self.groups.entry(t.cluster).or_default();
        match group_place(&mut self.last_group, (t.cluster, &t.group), groups) {
            Some(at) => groups[at].push(task),
            None => {
                // Only a group's first task clones its name.
                let mut list = TaskList::default();
                list.push(task);
                groups.insert((*t.group).into(), list);
            }
        }
    }

    /// A task whose desiredStatus just turned STOPPED leaves its group.
    pub(crate) fn leave_group(&mut self, task: TaskId) {
        let t = &self.tasks[task.index()];
        let Some(groups) = self.groups.get_mut(&t.cluster) else {
            return;
        };
        if let Some(at) = group_place(&mut self.last_group, (t.cluster, &t.group), groups) {
            groups[at].remove(task);
        }
    }

    /// Tasks on an instance that still hold resources.
    pub fn live_tasks_on(&self, instance: InstanceId) -> impl Iterator<Item = &Task> {
        self.instance(instance)
            .tasks
            .iter()
            .map(|t| self.task(*t))
            .filter(|t| t.holds_resources())
    }

    /// `runningTasksCount`: tasks on the instance whose desiredStatus is RUNNING.
    pub fn running_tasks_count(&self, instance: InstanceId) -> u64 {
        self.instance(instance)
            .tasks
            .iter()
            .filter(|t| self.task(**t).desired_status == DesiredStatus::Running)
            .count() as u64
    }

    /// `pendingTasksCount`: tasks on the instance in PENDING (or PROVISIONING).
    pub fn pending_tasks_count(&self, instance: InstanceId) -> u64 {
        use crate::task::TaskStatus::{Pending, Provisioning};
        self.instance(instance)
            .tasks
            .iter()
            .filter(|t| matches!(self.task(**t).last_status, Pending | Provisioning))
            .count() as u64
    }
}

/// A list of task ids in id (creation) order from which tasks leave often: a leaving task is
/// marked gone in place (one bit), and the list is compacted once more than half of it is gone,
/// so that each leave costs a binary search instead of moving the list's tail (a large
/// service's list holds tens of thousands of tasks). Reads see only the tasks not gone, in
/// order; the `r`-th of them is found by counting bits, 64 entries at a time.
#[derive(Clone, Debug, Default)]
pub struct TaskList {
    ids: Vec<TaskId>,
    /// Bit `i % 64` of word `i / 64`: entry `i` is gone.
    gone: Vec<u64>,
    gone_count: usize,
}

/// The place of `group` in its cluster's map `groups`, from `last` when the name is the same
/// `Arc` (and then without hashing it); a lookup otherwise, remembered in `last`. None: the
/// group has no list yet.
fn group_place(
    last: &mut Option<(ClusterId, Arc<str>, usize)>,
    (cluster, group): (ClusterId, &Arc<str>),
    groups: &NameMap<TaskList>,
) -> Option<usize> {
    if let Some((c, name, at)) = last
        && *c == cluster
        && Arc::ptr_eq(name, group)
    {
        return Some(*at);
    }
    let at = groups.get_index_of(&**group)?;
    *last = Some((cluster, Arc::clone(group), at));
    Some(at)
}

/// Room a task list makes at its first task.
const TASK_LIST_FIRST: usize = 16;

impl TaskList {
    /// Adds `task` (at the end when it is the newest, as new tasks are; else in its place; once).
    pub fn push(&mut self, task: TaskId) {
        if self.ids.last().is_none_or(|last| *last < task) {
            if self.ids.capacity() == 0 {
                // Lists mostly grow past a first push's four: room for more at once.
                self.ids.reserve(TASK_LIST_FIRST);
            }
            self.ids.push(task);
            self.gone.resize(self.ids.len().div_ceil(64), 0);
            return;
        }
        match self.ids.binary_search(&task) {
            Ok(at) if self.is_gone(at) => {
                self.gone[at / 64] &= !(1 << (at % 64));
                self.gone_count -= 1;
            }
            Ok(_) => {}
            Err(at) => {
                let mut kept = self.flags();
                kept.insert(at, false);
                self.ids.insert(at, task);
                self.set_flags(kept);
            }
        }
    }

    /// `task` leaves the list; nothing when it is not listed.
    pub fn remove(&mut self, task: TaskId) {
        let Ok(at) = self.ids.binary_search(&task) else {
            return;
        };
        if self.is_gone(at) {
            return;
        }
        self.gone[at / 64] |= 1 << (at % 64);
        self.gone_count += 1;
        if self.gone_count * 2 > self.ids.len() {
            let mut flags = self.flags().into_iter();
            self.ids.retain(|_| !flags.next().unwrap_or(false));
            self.set_flags(vec![false; self.ids.len()]);
        }
    }

    fn is_gone(&self, at: usize) -> bool {
        self.gone[at / 64] & (1 << (at % 64)) != 0
    }

    /// Each entry's gone mark, as a list (for the rare edits that move entries).
    fn flags(&self) -> Vec<bool> {
        (0..self.ids.len()).map(|at| self.is_gone(at)).collect()
    }

    fn set_flags(&mut self, flags: Vec<bool>) {
        self.gone = vec![0; flags.len().div_ceil(64)];
        self.gone_count = 0;
        for (at, _) in flags.iter().enumerate().filter(|(_, gone)| **gone) {
            self.gone[at / 64] |= 1 << (at % 64);
            self.gone_count += 1;
        }
    }

    /// The listed tasks, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &TaskId> + Clone {
        (self.ids.iter().enumerate())
            .filter(|(at, _)| !self.is_gone(*at))
            .map(|(_, id)| id)
    }

    /// The listed task with `r` listed tasks before it, None when fewer are listed.
    pub fn nth(&self, r: usize) -> Option<TaskId> {
        let mut r = r;
        for (word, gone) in self.gone.iter().enumerate() {
            let entries = (self.ids.len() - word * 64).min(64);
            let mut listed = !gone & (u64::MAX >> (64 - entries));
            let n = listed.count_ones() as usize;
            if r >= n {
                r -= n;
                continue;
            }
            for _ in 0..r {
                listed &= listed - 1;
            }
            return Some(self.ids[word * 64 + listed.trailing_zeros() as usize]);
        }
        None
    }

    /// How many are listed.
    pub fn len(&self) -> usize {
        self.ids.len() - self.gone_count
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Removes `task` from a list of tasks that holds it at most once, keeping the others' order.
/// The world's lists are in creation order, which is id order, so a binary search finds it; a
/// scan covers any list that is not.
pub(crate) fn remove_task(list: &mut Vec<TaskId>, task: TaskId) {
    match list.binary_search(&task) {
        Ok(at) => {
            list.remove(at);
        }
        Err(_) => list.retain(|t| *t != task),
    }
}

/// Counts by task shape (CPU units, memory MiB), in shape order, none zero. A run has a
/// handful of shapes and counts one on every task start and stop, so they are a sorted list
/// found by bisection rather than a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskShapes {
    counts: Vec<((i64, i64), u64)>,
}

impl TaskShapes {
    /// Moves `shape`'s count by `delta` (a count reaching zero leaves the list).
    fn add(&mut self, shape: (i64, i64), delta: i64) {
        match self.counts.binary_search_by_key(&shape, |(s, _)| *s) {
            Ok(at) => {
                let n = &mut self.counts[at].1;
                *n = n.saturating_add_signed(delta);
                if *n == 0 {
                    self.counts.remove(at);
                }
            }
            Err(at) if delta > 0 => self.counts.insert(at, (shape, delta as u64)),
            Err(_) => {}
        }
    }

    /// Each shape with its count, in shape order.
    pub fn iter(&self) -> impl Iterator<Item = ((i64, i64), u64)> + '_ {
        self.counts.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop, prop_assert_eq, proptest};

    proptest! {
        /// Shape counts moved up and down in any order hold what a map of counts would, in
        /// shape order, with no zero count (a move below zero stops at zero).
        #[test]
        fn task_shapes_count_as_a_map_would(
            ops in prop::collection::vec(((0i64..4, 0i64..3), any::<bool>()), 0..200),
        ) {
            let mut shapes = TaskShapes::default();
            let mut model: BTreeMap<(i64, i64), u64> = BTreeMap::new();
            for (shape, up) in ops {
                let delta = if up { 1 } else { -1 };
                shapes.add(shape, delta);
                let n = model.entry(shape).or_insert(0);
                *n = n.saturating_add_signed(delta);
                if *n == 0 {
                    model.remove(&shape);
                }
                let listed: Vec<((i64, i64), u64)> = shapes.iter().collect();
                prop_assert_eq!(listed, model.iter().map(|(s, n)| (*s, *n)).collect::<Vec<_>>());
            }
        }

        /// Through any adds and leaves (in order or not, of listed tasks or not, twice or not),
        /// the list holds what a sorted set would, in id order, and counts it.
        #[test]
        fn a_task_list_holds_what_a_set_would(
            ops in prop::collection::vec((any::<bool>(), 0u32..200), 0..400),
        ) {
            let mut list = TaskList::default();
            let mut model = std::collections::BTreeSet::new();
            for (add, id) in ops {
                if add {
                    list.push(TaskId(id));
                    model.insert(TaskId(id));
                } else {
                    list.remove(TaskId(id));
                    model.remove(&TaskId(id));
                }
                let listed: Vec<TaskId> = list.iter().copied().collect();
                prop_assert_eq!(&listed, &model.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(list.len(), model.len());
                for (r, id) in listed.iter().enumerate() {
                    prop_assert_eq!(list.nth(r), Some(*id));
                }
                prop_assert_eq!(list.nth(listed.len()), None);
                prop_assert_eq!(list.is_empty(), model.is_empty());
            }
        }
    }
}
