//! The service scheduler's decisions (§5): one pure `reconcile` per service that returns the
//! moves to make now, stop phase first, then start phase. The engine applies them.
//!
//! REPLICA (§5.3, §5.4): pending tasks on DRAINING instances stop at once; tasks beyond
//! `desiredCount` stop (scale-in: pending tasks first, then unhealthy, then healthy ones, each
//! chosen by `placement::scale_in`); tasks of older deployments
//! and running tasks on DRAINING instances are replaced: the unhealthy ones stop at once, the
//! healthy ones one by one while `healthy - 1 >= ceil(desired × minimumHealthyPercent / 100)`;
//! then new tasks of the PRIMARY deployment start while
//! `pending + running + stopping < floor(desired × maximumPercent / 100)` and the primary has
//! fewer than `desiredCount`. When tasks must be replaced and the configuration allows neither
//! move, the deployment is blocked.
//!
//! DAEMON (§5.1): one task on every ACTIVE instance meeting the constraints; tasks on instances
//! that drain or stop meeting them stop; a task of an older deployment is replaced on its
//! instance (stopped first: the maximum is 100 %).

use crate::cql::InstanceView;
use crate::ids::{InstanceId, TaskId};
use crate::instance::InstanceStatus;
use crate::placement::index::PlacementIndex;
use crate::placement::scale_in::ScaleInPass;
use crate::placement::victim_layout;
use crate::rng::RngStreams;
use crate::service::{RetiringTask, RolloutState, Scheduling, Service, ServiceStatus};
use crate::task::{DesiredStatus, TaskStatus};
use crate::time::SimTime;
use crate::world::World;
use smallvec::{SmallVec, smallvec};
use std::collections::{BTreeMap, BTreeSet};

/// Why the scheduler stops a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopWhy {
    /// Replaced by a newer deployment, or scale-in.
    Scaling,
    Draining,
    ConstraintViolated,
}

/// A move of the scheduler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Stop(TaskId, StopWhy),
    /// Place `count` tasks of the PRIMARY deployment with the service's strategies.
    Start(u32),
    /// DAEMON: place a task of the PRIMARY deployment on this instance.
    StartOn(InstanceId),
    /// Tasks must be replaced but the deployment configuration allows no stop and no start.
    Blocked,
}

/// One pass's moves: inline for the usual few (a start, a stop or two), so the common pass
/// allocates nothing.
pub type Actions = SmallVec<[Action; 8]>;

/// What the scheduler should do now for `service`: from the counts when a fast path (`simple`,
/// `rolling`) applies, else by the full pass (`reconcile_full`), with the same moves and draws.
/// `zones`: the placement index, to read instances' zones from (None: from their attributes).
pub fn reconcile(
    world: &World,
    service: &Service,
    now: SimTime,
    epoch_unix_ms: i64,
    rng: &mut RngStreams,
    zones: Option<&PlacementIndex>,
) -> Actions {
    if service.scheduling == Scheduling::Replica {
        let fast = simple(world, service, now).or_else(|| rolling(world, service, now, rng, zones));
        if let Some(actions) = fast {
            return actions;
        }
    }
    reconcile_full(world, service, now, epoch_unix_ms, rng, zones)
}

/// `reconcile` without the fast paths that decide from counts: every task looked at. The same
/// moves and the same draws; the engine's audit compares the two.
pub fn reconcile_full(
    world: &World,
    service: &Service,
    now: SimTime,
    epoch_unix_ms: i64,
    rng: &mut RngStreams,
    zones: Option<&PlacementIndex>,
) -> Actions {
    match service.scheduling {
        Scheduling::Replica => replica(world, service, now, rng, zones),
        Scheduling::Daemon => daemon(world, service, now, epoch_unix_ms),
    }
}

/// The live (desiredStatus RUNNING) and STOPPING tasks of a service.
struct Tasks {
    live: Vec<TaskId>,
    stopping: u32,
}

fn tasks(world: &World, service: &Service) -> Tasks {
    let mut t = Tasks {
        live: Vec::new(),
        stopping: 0,
    };
    for id in service.tasks.iter() {
        let task = world.task(*id);
        if task.desired_status == DesiredStatus::Running {
            t.live.push(*id);
        } else if task.last_status == TaskStatus::Stopping {
            t.stopping += 1;
        }
    }
    t
}

fn draining(world: &World, t: TaskId) -> bool {
    world.instance(world.task(t).instance).status != InstanceStatus::Active
}

fn pending(world: &World, t: TaskId) -> bool {
    matches!(
        world.task(t).last_status,
        TaskStatus::Pending | TaskStatus::Provisioning
    )
}

fn can_start(service: &Service, now: SimTime) -> bool {
    service.primary().rollout_state != RolloutState::Failed
        && now >= service.throttle.next_attempt_at
}

/// The moves of a REPLICA service in the common case, known from counts without looking at its
/// tasks: every live task belongs to the PRIMARY deployment, there are at most `desiredCount` of
/// them, and no instance of the cluster is draining. The full pass would then keep every task,
/// stop none and draw nothing; only the start phase acts, with the service's other tasks all
/// STOPPING (a service lists its tasks until they are STOPPED, and only a RUNNING task lingers
/// in STOPPING). So a task turning RUNNING or healthy, or a crash, costs O(1) however big the
/// service. None: the full pass is needed.
fn simple(world: &World, service: &Service, now: SimTime) -> Option<Actions> {
    let live: u32 = service.deployments.iter().map(|d| d.live_tasks).sum();
    let desired = service.desired_count;
    let common = service.primary().live_tasks == live
        && live <= desired
        && world.cluster(service.cluster).not_active_instances == 0;
    if !common {
        return None;
    }
    let total = service.tasks.len() as u32; // live + STOPPING
    let room = service.config.max_tasks(desired).saturating_sub(total);
    let start = (desired - live).min(room);
    Some(if start > 0 && can_start(service, now) {
        smallvec![Action::Start(start)]
    } else {
        Actions::new()
    })
}

/// The moves of a REPLICA service during a rolling deployment, from counts and the service's
/// list of older tasks, when no instance of the cluster is draining and the PRIMARY deployment
/// has at most `desiredCount` live tasks (so nothing drains and nothing scales in): the older
/// tasks not healthy stop at once, the healthy ones are picked by `victim_layout::pick` while
/// `healthy > ceil(desired × minimumHealthyPercent / 100)`, then the start phase and the blocked
/// check. The same moves and draws as the full pass; a task turning RUNNING costs O(1), a stop
/// costs one look at the older tasks. Needs the deployments' `healthy_tasks` counted at `now`.
/// None: the full pass is needed (a health still due, a strategy `victims` does not serve, or
/// the reference mode).
fn rolling(
    world: &World,
    service: &Service,
    now: SimTime,
    rng: &mut RngStreams,
    zones: Option<&PlacementIndex>,
) -> Option<Actions> {
    let due = service.health_due.peek().is_some_and(|r| r.0.0 <= now);
    let primary = service.primary();
    let desired = service.desired_count;
    let sum = |f: fn(&crate::service::Deployment) -> u32| -> u32 {
        service.deployments.iter().map(f).sum()
    };
    let (live, healthy, stopping) = (
        sum(|d| d.live_tasks),
        sum(|d| d.healthy_tasks),
        sum(|d| d.stopping_tasks),
    );
    let old_live = live - primary.live_tasks;
    let old_healthy = healthy - primary.healthy_tasks;
    let common = !due
        && primary.live_tasks <= desired
        && world.cluster(service.cluster).not_active_instances == 0;
    if !common {
        return None;
    }
    // Older tasks not healthy cost no health: they stop at once, first, in id order.
    let all_healthy = old_healthy == old_live;
    let unhealthy: Vec<RetiringTask> = older(world, service, now, all_healthy, false).collect();
    let mut actions: Actions = unhealthy
        .iter()
        .map(|r| Action::Stop(r.task, StopWhy::Scaling))
        .collect();
    let min_healthy = service.config.min_healthy(desired);
    if old_healthy > 0 && healthy > min_healthy {
        // The healthy older tasks go one by one while the minimum allows, picked from the
        // index's counts (the reference mode keeps the general pass, as a check of this one).
        let k = (healthy - min_healthy).min(old_healthy) as usize;
        // Picked from the layout of the older tasks kept across reconciles; the healthy ones
        // are read from the list in place when the layout does not serve.
        let candidates = older(world, service, now, all_healthy, true);
        let listed = (&service.retiring, &unhealthy[..], candidates);
        let key = (service.id, (service.cluster, service.group()));
        let victims =
            victim_layout::pick((world, zones?), key, &service.strategies, listed, k, rng)?;
        let stops = victims
            .into_iter()
            .map(|t| Action::Stop(t, StopWhy::Scaling));
        actions.extend(stops);
    }
    // A stopped task that was RUNNING turns STOPPING and still counts; a pending one is gone.
    let gone = unhealthy
        .iter()
        .filter(|r| world.task(r.task).last_status != TaskStatus::Running)
        .count() as u32;
    let room = service
        .config
        .max_tasks(desired)
        .saturating_sub(live + stopping - gone);
    let start = (desired - primary.live_tasks).min(room);
    if start > 0 && can_start(service, now) {
        actions.push(Action::Start(start));
    }
    let settled = stopping == 0 && primary.healthy_tasks == primary.live_tasks;
    if actions.is_empty() && old_live > 0 && room == 0 && settled {
        actions.push(Action::Blocked);
    }
    Some(actions)
}

/// The older deployments' live tasks that are (`healthy`) or are not healthy now, in id order;
/// when the counts say they are `all_healthy`, no task record is read.
fn older<'a>(
    world: &'a World,
    service: &'a Service,
    now: SimTime,
    all_healthy: bool,
    healthy: bool,
) -> impl Iterator<Item = RetiringTask> + 'a {
    let is_healthy = move |r: &RetiringTask| all_healthy || world.task(r.task).is_healthy(now);
    service
        .retiring
        .tasks()
        .copied()
        .filter(move |r| is_healthy(r) == healthy)
}

fn replica(
    world: &World,
    service: &Service,
    now: SimTime,
    rng: &mut RngStreams,
    zones: Option<&PlacementIndex>,
) -> Actions {
    let all = tasks(world, service);
    let primary = service.primary_index();
    let deployment_of = |t: TaskId| world.task(t).service.map_or(primary, |(_, d)| d);
    let mut actions = Actions::new();
    let group = service.group();
    // Every task stopped in this reconcile, whatever the reason: later picks count it as gone.
    let mut pass =
        ScaleInPass::new(world, service.cluster, group, &service.strategies).with_zones(zones);
    // Pending tasks on draining instances stop at once.
    for &t in all
        .live
        .iter()
        .filter(|t| draining(world, **t) && pending(world, **t))
    {
        actions.push(Action::Stop(t, StopWhy::Draining));
        pass.stop(t);
    }
    // Scale-in: primary tasks beyond desiredCount.
    let mut keepers: Vec<TaskId> = all
        .live
        .iter()
        .copied()
        .filter(|t| deployment_of(*t) == primary && !draining(world, *t))
        .collect();
    while keepers.len() > service.desired_count as usize {
        // Tasks not yet running go first, then running ones not yet healthy, then healthy ones:
        // scaling in never costs health it does not have to.
        let rank = |t: &TaskId| match (pending(world, *t), world.task(*t).is_healthy(now)) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        let worst = keepers.iter().map(rank).min().unwrap_or(0);
        let pool: Vec<TaskId> = keepers
            .iter()
            .copied()
            .filter(|t| rank(t) == worst)
            .collect();
        let Some(victim) = pass.choose(&pool, rng) else {
            break;
        };
        keepers.retain(|t| *t != victim);
        actions.push(Action::Stop(victim, StopWhy::Scaling));
        pass.stop(victim);
    }
    replace(
        world,
        service,
        now,
        rng,
        &all,
        &keepers,
        &mut pass,
        &mut actions,
    );
    actions
}

/// The stop phase for tasks to replace, then the start phase.
#[allow(clippy::too_many_arguments)]
fn replace(
    world: &World,
    service: &Service,
    now: SimTime,
    rng: &mut RngStreams,
    all: &Tasks,
    keepers: &[TaskId],
    pass: &mut ScaleInPass<'_>,
    actions: &mut Actions,
) {
    let desired = service.desired_count;
    let mut to_replace = not_kept(&all.live, keepers, pass);
    let mut healthy = all
        .live
        .iter()
        .filter(|t| !pass.is_stopped(**t) && world.task(**t).is_healthy(now))
        .count() as u32;
    let before = actions.len();
    // Unhealthy ones cost no health: stop them at once.
    for &t in to_replace
        .iter()
        .filter(|t| !world.task(**t).is_healthy(now))
    {
        actions.push(Action::Stop(t, why(world, t)));
        pass.stop(t);
    }
    to_replace.retain(|t| world.task(*t).is_healthy(now));
    let min_healthy = service.config.min_healthy(desired);
    while !to_replace.is_empty() && healthy > min_healthy {
        let Some(victim) = pass.choose(&to_replace, rng) else {
            break;
        };
        to_replace.retain(|t| *t != victim);
        actions.push(Action::Stop(victim, why(world, victim)));
        pass.stop(victim);
        healthy -= 1;
    }
    // Stopped running tasks turn STOPPING and still count toward the maximum; pending ones stop.
    let now_stopping = pass
        .stopped()
        .iter()
        .filter(|t| world.task(**t).last_status == TaskStatus::Running)
        .count();
    let total = (all.live.len() - pass.stopped().len() + now_stopping) as u32 + all.stopping;
    let room = service.config.max_tasks(desired).saturating_sub(total);
    let want = desired.saturating_sub(keepers.len() as u32);
    let start = want.min(room);
    if start > 0 && can_start(service, now) {
        actions.push(Action::Start(start));
    }
    // Blocked only when waiting cannot help: nothing stopping, no new task on its way to health.
    let settled = all.stopping == 0 && keepers.iter().all(|t| world.task(*t).is_healthy(now));
    let stuck = actions.len() == before && !to_replace.is_empty() && room == 0 && settled;
    if stuck {
        actions.push(Action::Blocked);
    }
}

/// The live tasks neither kept nor stopped. `keepers` is `live` filtered (every copy of a task
/// kept or none), in the same order: one walk over both finds the others, with no set to build.
fn not_kept(live: &[TaskId], keepers: &[TaskId], pass: &ScaleInPass<'_>) -> Vec<TaskId> {
    let mut kept = keepers.iter().peekable();
    let others = live
        .iter()
        .copied()
        .filter(|t| {
            if kept.peek() == Some(&t) {
                kept.next();
                return false;
            }
            !pass.is_stopped(*t)
        })
        .collect();
    debug_assert!(
        kept.next().is_none(),
        "keepers must be a subsequence of live"
    );
    others
}

fn why(world: &World, t: TaskId) -> StopWhy {
    if draining(world, t) {
        StopWhy::Draining
    } else {
        StopWhy::Scaling
    }
}

/// Whether `instance` should run the daemon: ACTIVE and meeting every memberOf expression.
fn daemon_eligible(
    world: &World,
    service: &Service,
    instance: InstanceId,
    epoch_unix_ms: i64,
) -> bool {
    let view = InstanceView {
        world,
        instance,
        epoch_unix_ms,
    };
    world.instance(instance).status == InstanceStatus::Active
        && service.member_of.iter().all(|e| e.matches(&view))
}

/// The instances a DAEMON service should cover (its desiredCount).
pub fn daemon_instances(world: &World, service: &Service, epoch_unix_ms: i64) -> Vec<InstanceId> {
    world
        .registered_instances(service.cluster)
        .into_iter()
        .filter(|i| daemon_eligible(world, service, *i, epoch_unix_ms))
        .collect()
}

fn daemon(world: &World, service: &Service, now: SimTime, epoch_unix_ms: i64) -> Actions {
    let all = tasks(world, service);
    let primary = service.primary_index();
    let mut actions = Actions::new();
    // Each instance's live and STOPPING tasks, found once rather than once per instance.
    let mut live_on: BTreeMap<InstanceId, Vec<TaskId>> = BTreeMap::new();
    for t in &all.live {
        live_on.entry(world.task(*t).instance).or_default().push(*t);
    }
    let stopping_on: BTreeSet<InstanceId> = service
        .tasks
        .iter()
        .map(|t| world.task(*t))
        .filter(|t| t.last_status == TaskStatus::Stopping)
        .map(|t| t.instance)
        .collect();
    for inst in world.registered_instances(service.cluster) {
        let here: &[TaskId] = live_on.get(&inst).map_or(&[], Vec::as_slice);
        if service.status != ServiceStatus::Active {
            actions.extend(here.iter().map(|t| Action::Stop(*t, StopWhy::Scaling)));
            continue;
        }
        if !daemon_eligible(world, service, inst, epoch_unix_ms) {
            let why = if world.instance(inst).status == InstanceStatus::Active {
                StopWhy::ConstraintViolated
            } else {
                StopWhy::Draining
            };
            actions.extend(here.iter().map(|t| Action::Stop(*t, why)));
            continue;
        }
        let is_primary = |t: &TaskId| world.task(*t).service.is_some_and(|(_, d)| d == primary);
        actions.extend(
            here.iter()
                .filter(|t| !is_primary(t))
                .map(|t| Action::Stop(*t, StopWhy::Scaling)),
        );
        let stopping_here = stopping_on.contains(&inst);
        let has_primary = here.iter().any(is_primary);
        if !has_primary && here.is_empty() && !stopping_here && can_start(service, now) {
            actions.push(Action::StartOn(inst));
        }
    }
    actions
}
