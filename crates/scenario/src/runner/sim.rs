//! Simulator events of the timeline: faults and fleet changes, applied to the engine.

use crate::model::{CrashSpec, CrashTarget, SelectBy, Selector, SimEvent, StopSpec, StopTarget};
use ecsim_api::{Api, ApiError};
use ecsim_core::cql;
use ecsim_core::ids::{ClusterId, InstanceId, TaskId};
use ecsim_core::instance::InstanceStatus;
use ecsim_core::rng::Purpose;
use ecsim_core::task::TaskStatus;
use ecsim_core::world::World;
use serde_json::{Value, json};

/// Agents to reconnect later (`disconnect_agents` with `for`): when, and which.
pub(super) type Reconnect = (u64, Vec<InstanceId>);

/// Applies one event; the response lists what it acted on, so `match` can assert it.
pub(super) fn apply(
    api: &mut Api,
    event: &SimEvent,
    region: &str,
    next: &mut dyn FnMut(&str) -> u64,
    later: &mut Vec<Reconnect>,
) -> Result<Value, ApiError> {
    match event {
        SimEvent::FailInstances(s) => each_instance(api, s, |api, i| api.engine.fail_instance(i)),
        SimEvent::DisconnectAgents(s) => {
            let ids = select(api, s)?;
            if let Some(for_ms) = s.for_ms {
                later.push((api.engine.now().as_ms().saturating_add(for_ms), ids.clone()));
            }
            Ok(act_on(api, &ids, |api, i| {
                api.engine.set_agent_connected(i, false)
            }))
        }
        SimEvent::ReconnectAgents(s) => {
            each_instance(api, s, |api, i| api.engine.set_agent_connected(i, true))
        }
        SimEvent::DrainInstances(s) => set_state(api, s, "DRAINING"),
        SimEvent::ActivateInstances(s) => set_state(api, s, "ACTIVE"),
        SimEvent::CrashTasks(c) => crash(api, c),
        SimEvent::StopTasks(s) => stop(api, s),
        SimEvent::AddInstances(entry) => {
            let mut arns = Vec::new();
            for body in crate::fleet::expand(entry, region, next) {
                let r = api.call("register_container_instance", &body)?;
                arns.push(r["containerInstance"]["containerInstanceArn"].clone());
            }
            Ok(json!({"containerInstanceArns": arns}))
        }
    }
}

/// The instances a selector names, in registration order; with `count`, that many of them,
/// picked with the seeded fault stream.
fn select(api: &mut Api, s: &Selector) -> Result<Vec<InstanceId>, ApiError> {
    let mut ids = selected(api, s)?;
    if let Some(n) = s.count
        && (ids.len() as u64) > n
    {
        api.engine.rng().shuffle(Purpose::Faults, &mut ids);
        ids.truncate(n as usize);
        ids.sort();
    }
    Ok(ids)
}

fn selected(api: &Api, s: &Selector) -> Result<Vec<InstanceId>, ApiError> {
    let cluster = api
        .engine
        .world()
        .active_cluster(&s.cluster)
        .ok_or_else(|| ApiError::new("ClusterNotFoundException", "Cluster not found."))?;
    let w = api.engine.world();
    let not_found = |r: &str| {
        ApiError::invalid(format!(
            "The referenced container instance was not found: {r}."
        ))
    };
    match &s.by {
        SelectBy::Instances(refs) => refs
            .iter()
            .map(|r| api.find_instance(cluster, r).ok_or_else(|| not_found(r)))
            .collect(),
        SelectBy::Ec2Ids(ids) => ids
            .iter()
            .map(|r| w.instance_by_ec2_id(cluster, r).ok_or_else(|| not_found(r)))
            .collect(),
        SelectBy::All => Ok(w.registered_instances(cluster)),
        SelectBy::Filter(f) => {
            let expr = cql::parse(f).map_err(|e| ApiError::invalid(format!("filter: {e}")))?;
            Ok(w.registered_instances(cluster)
                .into_iter()
                .filter(|i| expr.matches(&api.view(*i)))
                .collect())
        }
    }
}

fn each_instance(
    api: &mut Api,
    s: &Selector,
    f: impl Fn(&mut Api, InstanceId),
) -> Result<Value, ApiError> {
    let ids = select(api, s)?;
    Ok(act_on(api, &ids, f))
}

/// Applies `f` to each instance; the response names them.
fn act_on(api: &mut Api, ids: &[InstanceId], f: impl Fn(&mut Api, InstanceId)) -> Value {
    let arns: Vec<Value> = ids.iter().map(|i| json!(api.instance_arn(*i))).collect();
    for i in ids {
        f(api, *i);
    }
    json!({"containerInstanceArns": arns})
}

/// Reconnects agents disconnected with `for`.
pub(super) fn reconnect(api: &mut Api, ids: &[InstanceId]) -> Value {
    act_on(api, ids, |api, i| api.engine.set_agent_connected(i, true))
}

fn set_state(api: &mut Api, s: &Selector, status: &str) -> Result<Value, ApiError> {
    let ids = select(api, s)?;
    let arns: Vec<String> = ids
        .iter()
        .filter(|i| api.engine.world().instance(**i).status != InstanceStatus::Inactive)
        .map(|i| api.instance_arn(*i))
        .collect();
    if arns.is_empty() {
        return Ok(json!({"containerInstances": [], "failures": []}));
    }
    let body = json!({"cluster": s.cluster, "containerInstances": arns, "status": status});
    api.call("update_container_instances_state", &body)
}

fn crash(api: &mut Api, c: &CrashSpec) -> Result<Value, ApiError> {
    let mut victims = match sampled(api, c)? {
        Some(victims) => victims,
        None => candidates(api, c)?,
    };
    if (victims.len() as u64) > c.count {
        api.engine.rng().shuffle(Purpose::Faults, &mut victims);
        victims.truncate(c.count as usize);
        victims.sort();
    }
    let arns: Vec<Value> = victims.iter().map(|t| json!(api.task_arn(*t))).collect();
    for t in victims {
        api.engine.crash_task(t, c.exit_code);
    }
    Ok(json!({"taskArns": arns}))
}

/// Draws per task sought before `sampled` gives up and the candidates are listed.
const DRAWS_PER_VICTIM: u64 = 32;

/// For a group or service target: `count` of its RUNNING tasks, uniformly at random without
/// replacement, in id order, drawn from the group's live tasks (nearly all RUNNING, so about one
/// draw per task) instead of listing and shuffling the whole group. None when the target is
/// something else, or when the draws kept missing (few RUNNING tasks): the caller lists the
/// candidates and shuffles, which is uniform too, so the pick is uniform either way.
fn sampled(api: &mut Api, c: &CrashSpec) -> Result<Option<Vec<TaskId>>, ApiError> {
    let w = api.engine.world();
    let cluster = w
        .active_cluster(&c.cluster)
        .ok_or_else(|| ApiError::new("ClusterNotFoundException", "Cluster not found."))?;
    let group = match &c.target {
        CrashTarget::Group(group) => group.clone(),
        CrashTarget::Service(s) => format!("service:{s}"),
        _ => return Ok(None),
    };
    // The group's list is looked up again for each draw rather than copied: a draw changes
    // nothing in the world, and a large service's list is long.
    let n = w.group_task_list(cluster, &group).map_or(0, |l| l.len()) as u64;
    if n == 0 {
        return Ok(Some(Vec::new()));
    }
    let mut picked = std::collections::BTreeSet::new();
    let mut draws = 0;
    while (picked.len() as u64) < c.count && draws < DRAWS_PER_VICTIM.saturating_mul(c.count) {
        draws += 1;
        let at = api.engine.rng().below(Purpose::Faults, n) as usize;
        let w = api.engine.world();
        let listed = w.group_task_list(cluster, &group).and_then(|l| l.nth(at));
        let t = listed.expect("a draw below the group's count");
        if w.task(t).last_status == TaskStatus::Running {
            picked.insert(t);
        }
    }
    Ok(((picked.len() as u64) == c.count).then(|| picked.into_iter().collect()))
}

/// RUNNING tasks of the cluster that the target names, in creation order.
fn candidates(api: &Api, c: &CrashSpec) -> Result<Vec<TaskId>, ApiError> {
    let w = api.engine.world();
    let cluster = w
        .active_cluster(&c.cluster)
        .ok_or_else(|| ApiError::new("ClusterNotFoundException", "Cluster not found."))?;
    let running = |t: &TaskId| w.task(*t).last_status == TaskStatus::Running;
    let tasks = &w.cluster(cluster).tasks;
    Ok(match &c.target {
        CrashTarget::Group(group) => running_in_group(w, cluster, group),
        CrashTarget::Service(s) => running_in_group(w, cluster, &format!("service:{s}")),
        CrashTarget::Family(f) => tasks
            .iter()
            .copied()
            .filter(running)
            .filter(|t| &w.task_def(w.task(*t).task_def).family == f)
            .collect(),
        CrashTarget::Tasks(refs) => {
            let mut out = Vec::new();
            for r in refs {
                let t = api.find_task(cluster, r).ok_or_else(|| {
                    ApiError::invalid(format!("The referenced task was not found: {r}."))
                })?;
                out.push(t);
            }
            out.into_iter().filter(running).collect()
        }
    })
}

/// RUNNING tasks of a task group, in creation order, from the group's live tasks (a RUNNING
/// task always has desiredStatus RUNNING) rather than every task the cluster ever had.
fn running_in_group(w: &World, cluster: ClusterId, group: &str) -> Vec<TaskId> {
    let mut ids: Vec<TaskId> = w
        .group_tasks(cluster, group)
        .filter(|t| t.last_status == TaskStatus::Running)
        .map(|t| t.id)
        .collect();
    ids.sort_unstable();
    ids
}

/// StopTask for every live task the spec names (none is fine).
fn stop(api: &mut Api, s: &StopSpec) -> Result<Value, ApiError> {
    let w = api.engine.world();
    let cluster = w
        .active_cluster(&s.cluster)
        .ok_or_else(|| ApiError::new("ClusterNotFoundException", "Cluster not found."))?;
    let matches = |t: &ecsim_core::task::Task| match &s.target {
        StopTarget::Group(g) => *t.group == **g,
        StopTarget::StartedBy(b) => t.started_by.as_deref() == Some(b.as_str()),
    };
    let tasks: Vec<TaskId> = w
        .cluster(cluster)
        .tasks
        .iter()
        .copied()
        .filter(|t| {
            w.task(*t).desired_status == ecsim_core::task::DesiredStatus::Running
                && matches(w.task(*t))
        })
        .collect();
    let arns: Vec<Value> = tasks.iter().map(|t| json!(api.task_arn(*t))).collect();
    let reason = s.reason.clone().map_or_else(
        || "Task stopped by user".into(),
        std::sync::Arc::<str>::from,
    );
    for t in tasks {
        let cause = ecsim_core::task::StopCause {
            code: Some(ecsim_core::task::StopCode::UserInitiated),
            reason: reason.clone(),
        };
        api.engine.stop_task(t, cause);
    }
    Ok(json!({"taskArns": arns}))
}
