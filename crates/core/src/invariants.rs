//! Engine invariants: properties of the world that hold after every event, whatever the input.
//!
//! `check` looks at the whole world and reports every violation it finds, as plain data: what
//! broke, where, and the numbers. It is used by the test suite after every event, and by
//! `ecsim run --check-invariants`. A violation is a bug in ecsim, never in the user's scenario.

use crate::ids::{InstanceId, TaskId};
use crate::instance::InstanceStatus;
use crate::resources::Gpus;
use crate::service::Service;
use crate::task::{DesiredStatus, Task, TaskStatus};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// A short name (`resource-accounting`, `port-held-twice`, ...).
    pub invariant: &'static str,
    pub detail: String,
}

/// Every violation in `world`.
pub fn check(world: &World) -> Vec<Violation> {
    let mut out = Vec::new();
    for inst in world.instances() {
        accounting(world, inst.id, &mut out);
        ports(world, inst.id, &mut out);
    }
    for t in world.tasks() {
        placement_site(world, t, &mut out);
    }
    task_lists(world, &mut out);
    live_counts(world, &mut out);
    shapes(world, &mut out);
    ec2_ids(world, &mut out);
    out
}

/// The counts the scheduler's fast paths trust: each deployment's live, healthy and STOPPING
/// tasks, each service's retiring tasks, each cluster's instances that are not ACTIVE, and a
/// service's list holding only live and STOPPING tasks.
fn live_counts(world: &World, out: &mut Vec<Violation>) {
    for s in world.services() {
        let odd = s.tasks.iter().map(|t| world.task(*t)).find(|t| {
            t.desired_status != DesiredStatus::Running && t.last_status != TaskStatus::Stopping
        });
        if let Some(t) = odd {
            let detail = format!(
                "service {} lists task {} ({:?}, desired {:?}): neither live nor STOPPING",
                s.name, t.uuid, t.last_status, t.desired_status
            );
            out.push(v("live-counts", detail));
        }
        retiring_list(world, s, out);
        running_zones(world, s, out);
        for d in 0..s.deployments.len() {
            deployment_counts(world, s, d, out);
        }
    }
    for (i, c) in world.clusters.iter().enumerate() {
        let actual = c
            .instances
            .iter()
            .filter(|id| world.instance(**id).status != InstanceStatus::Active)
            .count() as u32;
        if actual != c.not_active_instances {
            let detail = format!(
                "cluster {} ({i}): counted {} instances not ACTIVE, has {actual}",
                c.name, c.not_active_instances
            );
            out.push(v("live-counts", detail));
        }
    }
}

/// A service's count of live RUNNING tasks per zone of their instance.
fn running_zones(world: &World, s: &Service, out: &mut Vec<Violation>) {
    let mut actual: BTreeMap<&str, u32> = BTreeMap::new();
    for t in world
        .tasks()
        .iter()
        .filter(|t| t.service.is_some_and(|(id, _)| id == s.id))
    {
        let zone = world.instance(t.instance).availability_zone.as_deref();
        if let (DesiredStatus::Running, TaskStatus::Running, Some(z)) =
            (t.desired_status, t.last_status, zone)
        {
            *actual.entry(z).or_insert(0) += 1;
        }
    }
    let counted: BTreeMap<&str, u32> = s
        .running_by_zone
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(z, n)| (world.zone_name(*z), *n))
        .collect();
    if counted != actual {
        let detail = format!(
            "service {}: counted RUNNING tasks per zone {counted:?}, has {actual:?}",
            s.name
        );
        out.push(v("live-counts", detail));
    }
}

/// The world's count of tasks holding resources by shape.
fn shapes(world: &World, out: &mut Vec<Violation>) {
    let mut actual: BTreeMap<(i64, i64), u64> = BTreeMap::new();
    for t in world.tasks().iter().filter(|t| t.holds_resources()) {
        *actual
            .entry((t.allocation.cpu, t.allocation.memory_mib))
            .or_insert(0) += 1;
    }
    let counted: BTreeMap<(i64, i64), u64> = world.task_shapes().iter().collect();
    if actual != counted {
        let detail = format!("counted task shapes {counted:?}, has {actual:?}");
        out.push(v("live-counts", detail));
    }
}

/// The EC2 id lookup lists every instance of every cluster under its EC2 id, each list in
/// registration (id) order, and nothing else.
fn ec2_ids(world: &World, out: &mut Vec<Violation>) {
    let missing = world
        .clusters()
        .iter()
        .flat_map(|c| &c.instances)
        .find(|id| {
            let inst = world.instance(**id);
            let listed = world
                .ec2_ids
                .get(&inst.cluster)
                .and_then(|ids| ids.get(&inst.ec2_instance_id));
            listed.is_none_or(|l| l.binary_search(id).is_err())
        });
    let lists = || world.ec2_ids.values().flat_map(BTreeMap::values);
    let listed: usize = lists().map(Vec::len).sum();
    let registered: usize = world.clusters().iter().map(|c| c.instances.len()).sum();
    let in_order = lists().all(|l| l.windows(2).all(|w| w[0] < w[1]));
    if missing.is_some() || listed != registered || !in_order {
        let detail = format!(
            "EC2 ids list {listed} instances (in order: {in_order}), {registered} registered; \
             unlisted: {missing:?}"
        );
        out.push(v("ec2-ids", detail));
    }
}

/// A service's retiring list is its older deployments' live tasks, in id order, with their
/// instance and allocation.
fn retiring_list(world: &World, s: &Service, out: &mut Vec<Violation>) {
    let primary = s.primary_index();
    let listed: Vec<TaskId> = s.retiring.tasks().map(|r| r.task).collect();
    let older: Vec<TaskId> = world
        .tasks()
        .iter()
        .filter(|t| t.service.is_some_and(|(id, d)| id == s.id && d != primary))
        .filter(|t| t.desired_status == DesiredStatus::Running)
        .map(|t| t.id)
        .collect();
    let mislisted = s.retiring.tasks().any(|r| {
        let t = world.task(r.task);
        (t.instance, t.allocation.cpu, t.allocation.memory_mib) != (r.instance, r.cpu, r.memory_mib)
    });
    if listed != older || listed.len() != s.retiring.len() || mislisted {
        let detail = format!(
            "service {}: lists {} retiring tasks, the older deployments have {} live",
            s.name,
            listed.len(),
            older.len()
        );
        out.push(v("live-counts", detail));
    }
}

/// A deployment's counts of live, healthy (counted ones are live and RUNNING) and STOPPING tasks.
fn deployment_counts(world: &World, s: &Service, d: usize, out: &mut Vec<Violation>) {
    let dep = &s.deployments[d];
    let mine = || {
        world
            .tasks()
            .iter()
            .filter(|t| t.service == Some((s.id, d)))
    };
    let live = mine()
        .filter(|t| t.desired_status == DesiredStatus::Running)
        .count() as u32;
    let healthy = mine().filter(|t| t.health_counted).count() as u32;
    let stopping = mine()
        .filter(|t| t.last_status == TaskStatus::Stopping)
        .count() as u32;
    let running = mine()
        .filter(|t| t.desired_status == DesiredStatus::Running)
        .filter(|t| t.last_status == TaskStatus::Running)
        .count() as u32;
    let miscounted = mine().find(|t| {
        t.health_counted
            && (t.last_status != TaskStatus::Running
                || t.healthy_at().is_none()
                || t.desired_status != DesiredStatus::Running)
    });
    if let Some(t) = miscounted {
        let detail = format!("task {} counted healthy, not live and RUNNING", t.uuid);
        out.push(v("live-counts", detail));
    }
    let counted = (
        dep.live_tasks,
        dep.healthy_tasks,
        dep.stopping_tasks,
        dep.running_tasks,
    );
    let actual = (live, healthy, stopping, running);
    if counted != actual {
        let detail = format!(
            "service {} deployment {}: counted (live, healthy, STOPPING, RUNNING) {counted:?}, has {actual:?}",
            s.name, dep.id
        );
        out.push(v("live-counts", detail));
    }
}

/// The lists the engine keeps for speed hold exactly the tasks they promise: a group's list the
/// tasks whose desiredStatus is not STOPPED, an instance's and a service's list the tasks not yet
/// STOPPED, each once.
fn task_lists(world: &World, out: &mut Vec<Violation>) {
    let grouped: Vec<TaskId> = world
        .groups
        .values()
        .flat_map(|g| g.values().flat_map(|l| l.iter().copied()))
        .collect();
    let on_instances: Vec<TaskId> = world
        .instances()
        .iter()
        .flat_map(|i| i.tasks.iter().copied())
        .collect();
    let in_services: Vec<TaskId> = world
        .services()
        .iter()
        .flat_map(|s| s.tasks.iter().copied())
        .collect();
    let unstopped = |t: &Task| t.last_status != TaskStatus::Stopped;
    let live = |t: &Task| t.desired_status != DesiredStatus::Stopped;
    list_holds(world, "group", &grouped, live, out);
    list_holds(world, "instance", &on_instances, unstopped, out);
    let served = |t: &Task| t.service.is_some() && unstopped(t);
    list_holds(world, "service", &in_services, served, out);
}

/// `ids` (every entry of one kind of list) holds each task that `belongs`, once, and no other.
fn list_holds(
    world: &World,
    list: &str,
    ids: &[TaskId],
    belongs: impl Fn(&Task) -> bool,
    out: &mut Vec<Violation>,
) {
    let set: BTreeSet<TaskId> = ids.iter().copied().collect();
    let expected = world.tasks().iter().filter(|t| belongs(t)).count();
    let wrong = world
        .tasks()
        .iter()
        .find(|t| belongs(t) != set.contains(&t.id));
    if set.len() != ids.len() || set.len() != expected || wrong.is_some() {
        out.push(v(
            "task-lists",
            format!(
                "{list} lists hold {} entries ({} distinct), {expected} tasks belong; first \
                 misfiled task {:?}",
                ids.len(),
                set.len(),
                wrong.map(|t| &t.uuid)
            ),
        ));
    }
}

fn v(invariant: &'static str, detail: String) -> Violation {
    Violation { invariant, detail }
}

/// remaining = registered − Σ allocations of non-STOPPED tasks, per resource, never negative.
fn accounting(world: &World, id: InstanceId, out: &mut Vec<Violation>) {
    let inst = world.instance(id);
    let live: Vec<&Task> = world.live_tasks_on(id).collect();
    let ec2 = &inst.ec2_instance_id;
    let cpu = inst.registered.cpu - live.iter().map(|t| t.allocation.cpu).sum::<i64>();
    let mem =
        inst.registered.memory_mib - live.iter().map(|t| t.allocation.memory_mib).sum::<i64>();
    if cpu != inst.remaining.cpu || mem != inst.remaining.memory_mib {
        out.push(v("resource-accounting", format!(
            "{ec2}: remaining CPU {} / MEMORY {} but registered minus live tasks is {cpu} / {mem}",
            inst.remaining.cpu, inst.remaining.memory_mib
        )));
    }
    if inst.remaining.cpu < 0
        || inst.remaining.memory_mib < 0
        || inst.remaining.gpus_available() < 0
    {
        out.push(v(
            "resource-negative",
            format!(
                "{ec2}: remaining CPU {}, MEMORY {}, GPU {}",
                inst.remaining.cpu,
                inst.remaining.memory_mib,
                inst.remaining.gpus_available()
            ),
        ));
    }
    let gpus_used: i64 = live.iter().map(|t| t.allocation.gpus).sum();
    let gpus_left = inst.registered.gpus_available() - gpus_used;
    if inst.registered.gpus.is_some() && gpus_left != inst.remaining.gpus_available() {
        out.push(v(
            "resource-accounting",
            format!(
                "{ec2}: {} GPUs remaining but registered minus live tasks is {gpus_left}",
                inst.remaining.gpus_available()
            ),
        ));
    }
    if let Some(Gpus::Ids(left)) = &inst.remaining.gpus {
        let held: BTreeSet<&String> = live.iter().flat_map(|t| t.allocation.gpu_ids()).collect();
        if held.iter().any(|g| left.contains(*g)) {
            out.push(v(
                "gpu-held-twice",
                format!("{ec2}: a GPU id is both held by a task and free"),
            ));
        }
    }
    let enis = live.iter().filter(|t| t.allocation.eni).count() as u32;
    if enis != inst.task_enis || inst.eni_limit.is_some_and(|l| enis + 1 > l && enis > 0) {
        out.push(v(
            "eni-accounting",
            format!(
                "{ec2}: {} task ENIs counted, {enis} awsvpc tasks live, limit {:?}",
                inst.task_enis, inst.eni_limit
            ),
        ));
    }
}

/// No static host port is held by two live tasks (or by a task and the agent), and the
/// reserved sets are exactly the agent's ports plus the live tasks' static ports.
fn ports(world: &World, id: InstanceId, out: &mut Vec<Violation>) {
    let inst = world.instance(id);
    let ec2 = &inst.ec2_instance_id;
    let mut tcp: BTreeSet<u16> = inst.registered.ports_tcp.clone();
    let mut udp: BTreeSet<u16> = inst.registered.ports_udp.clone();
    let mut dynamic: BTreeSet<u16> = BTreeSet::new();
    for t in world.live_tasks_on(id) {
        for p in t.allocation.ports_tcp() {
            if !tcp.insert(*p) {
                out.push(v(
                    "port-held-twice",
                    format!("{ec2}: tcp port {p} held twice (task {})", t.uuid),
                ));
            }
        }
        for p in t.allocation.ports_udp() {
            if !udp.insert(*p) {
                out.push(v(
                    "port-held-twice",
                    format!("{ec2}: udp port {p} held twice (task {})", t.uuid),
                ));
            }
        }
        for p in t.allocation.dynamic_ports() {
            if !dynamic.insert(*p) || tcp.contains(p) {
                out.push(v(
                    "port-held-twice",
                    format!("{ec2}: dynamic port {p} held twice (task {})", t.uuid),
                ));
            }
        }
    }
    if tcp != inst.remaining.ports_tcp || udp != inst.remaining.ports_udp {
        out.push(v(
            "port-accounting",
            format!("{ec2}: reserved ports differ from the agent's plus the live tasks'"),
        ));
    }
    if tcp.len() + udp.len() > crate::resources::MAX_RESERVED_PORTS + registered_excess(inst) {
        out.push(v(
            "port-cap",
            format!("{ec2}: {} reserved ports, over 100", tcp.len() + udp.len()),
        ));
    }
}

/// Ports an instance registered beyond the cap itself (allowed: the cap binds placements).
fn registered_excess(inst: &crate::instance::Instance) -> usize {
    inst.registered
        .reserved_port_count()
        .saturating_sub(crate::resources::MAX_RESERVED_PORTS)
}

/// Every non-STOPPED task is on an instance of its cluster that is not INACTIVE.
fn placement_site(world: &World, t: &Task, out: &mut Vec<Violation>) {
    if t.last_status == TaskStatus::Stopped {
        return;
    }
    let inst = world.instance(t.instance);
    if inst.status == InstanceStatus::Inactive || inst.cluster != t.cluster {
        out.push(v(
            "task-on-lost-instance",
            format!(
                "task {} is {} on {} ({})",
                t.uuid,
                t.last_status.as_str(),
                inst.ec2_instance_id,
                inst.status.as_str()
            ),
        ));
    }
}

/// Whether `from → to` is a step of the task lifecycle.
pub fn valid_transition(from: TaskStatus, to: TaskStatus) -> bool {
    use TaskStatus::{Pending, Provisioning, Running, Stopped, Stopping};
    matches!(
        (from, to),
        (Provisioning, Pending | Stopped)
            | (Pending, Running | Stopped)
            | (Running, Stopping | Stopped)
            | (Stopping, Stopped)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::filters::test_support::Fixture;
    use crate::resources::Requirement;

    #[test]
    fn an_instance_missing_from_the_ec2_lookup_is_found() {
        let mut f = Fixture::new(3, 4096, 4096);
        let unfiled = |f: &Fixture| check(&f.world).iter().any(|v| v.invariant == "ec2-ids");
        assert!(!unfiled(&f));
        let lists = f
            .world
            .ec2_ids
            .get_mut(&crate::ids::ClusterId(0))
            .expect("filed");
        lists.remove("i-1");
        assert!(unfiled(&f), "an instance not listed");
        f.world.ec2_ids.clear();
        f.world.file_ec2_id(InstanceId(0));
        f.world.file_ec2_id(InstanceId(1));
        f.world.file_ec2_id(InstanceId(2));
        f.world.file_ec2_id(InstanceId(2));
        assert!(unfiled(&f), "an instance listed twice");
    }

    #[test]
    fn a_consistent_world_has_no_violation() {
        let mut f = Fixture::new(2, 4096, 4096);
        f.place(
            0,
            Requirement {
                cpu: 100,
                memory_mib: 200,
                ports_tcp: vec![80],
                ..Default::default()
            },
        );
        assert_eq!(check(&f.world), vec![]);
    }

    #[test]
    fn a_task_left_in_its_group_after_stopping_is_found() {
        let mut f = Fixture::new(1, 4096, 4096);
        let t = f.place(0, Requirement::default());
        assert_eq!(check(&f.world), vec![]);
        // Told to stop without leaving its group's list: spread would still count it.
        f.world.tasks[t.index()].desired_status = DesiredStatus::Stopped;
        let found = check(&f.world);
        assert!(
            found
                .iter()
                .any(|v| v.invariant == "task-lists" && v.detail.starts_with("group")),
            "{found:?}"
        );
        f.world.leave_group(t);
        assert_eq!(check(&f.world), vec![]);
    }

    #[test]
    fn planted_accounting_and_port_bugs_are_found() {
        let mut f = Fixture::new(1, 4096, 4096);
        let a = f.place(
            0,
            Requirement {
                ports_tcp: vec![80],
                ..Default::default()
            },
        );
        f.world.instances[0].remaining.cpu -= 1;
        let names: Vec<&str> = check(&f.world).iter().map(|v| v.invariant).collect();
        assert_eq!(names, vec!["resource-accounting"]);
        f.world.instances[0].remaining.cpu += 1;
        // A second task holding port 80 (as if the port filter were skipped).
        f.place(
            0,
            Requirement {
                ports_tcp: vec![80],
                ..Default::default()
            },
        );
        let names: Vec<&str> = check(&f.world).iter().map(|v| v.invariant).collect();
        assert!(names.contains(&"port-held-twice"), "{names:?}");
        let _ = a;
    }

    #[test]
    fn an_instance_drained_behind_the_counts_back_is_found() {
        let mut f = Fixture::new(2, 4096, 4096);
        f.world.instances[1].status = InstanceStatus::Draining;
        let names: Vec<&str> = check(&f.world).iter().map(|v| v.invariant).collect();
        assert_eq!(names, vec!["live-counts"]);
        f.world.clusters[0].not_active_instances = 1;
        assert_eq!(check(&f.world), vec![]);
    }

    #[test]
    fn tasks_on_inactive_instances_are_reported() {
        let mut f = Fixture::new(1, 4096, 4096);
        f.place(0, Requirement::default());
        f.world.instances[0].status = InstanceStatus::Inactive;
        assert_eq!(check(&f.world)[0].invariant, "task-on-lost-instance");
    }

    #[test]
    fn lifecycle_steps() {
        use TaskStatus::*;
        assert!(valid_transition(Pending, Running));
        assert!(valid_transition(Running, Stopping));
        assert!(!valid_transition(Stopped, Running));
        assert!(!valid_transition(Running, Pending));
    }
}
