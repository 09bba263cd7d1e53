//! RunTask, StartTask, StopTask, DescribeTasks, ListTasks.

use super::{at_most, parse, placement};
use crate::ops::taskdefs::validate::{task_cpu, task_memory};
use crate::requests::{
    DescribeTasks, ListTasks, NetworkConfigurationShape, PlacementConstraintShape,
    PlacementStrategyShape, RunTask, StartTask, StopTask, TaskOverrideShape,
};
use crate::{Api, ApiError, TaskExtra, paginate};
use ecsim_core::engine::RunSpec;
use ecsim_core::ids::{ClusterId, TaskDefId, TaskId};
use ecsim_core::placement::Strategy;
use ecsim_core::task::{DesiredStatus, StopCause, StopCode};
use ecsim_core::taskdef::{ContainerOverride, NetworkMode, ResourceOverrides, TaskDefStatus};
use serde_json::{Value, json};

/// The parts of RunTask and StartTask they share.
struct Common<'a> {
    cluster: Option<&'a str>,
    task_definition: Option<&'a str>,
    group: Option<&'a str>,
    started_by: Option<&'a str>,
    started_by_limit: usize,
    network: Option<&'a NetworkConfigurationShape>,
    overrides: Option<&'a TaskOverrideShape>,
    /// The request's `overrides` as given, echoed by DescribeTasks.
    overrides_json: Option<&'a Value>,
    count: u32,
    constraints: &'a [PlacementConstraintShape],
    strategies: &'a [PlacementStrategyShape],
}

pub(super) fn run_task(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: RunTask = parse(body)?;
    let count = req.count.unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(ApiError::invalid(format!(
            "count must be between 1 and 10, got {count}."
        )));
    }
    check_launch(&req)?;
    let common = run_task_common(&req, body, count as u32);
    let spec = run_spec(api, &common)?;
    if !api.engine.world().has_registered_instances(spec.cluster) {
        return Err(ApiError::invalid(
            "No Container Instances were found in your cluster.",
        ));
    }
    let outcome = api.engine.run_task(&spec);
    remember(api, &outcome.tasks, &common);
    let tasks: Vec<Value> = outcome.tasks.iter().map(|t| api.task_json(*t)).collect();
    let failures: Vec<Value> = outcome
        .failures
        .iter()
        .map(|(i, r)| json!({"arn": api.instance_arn(*i), "reason": r.as_str()}))
        .collect();
    Ok(json!({"tasks": tasks, "failures": failures}))
}

fn run_task_common<'a>(req: &'a RunTask, body: &'a Value, count: u32) -> Common<'a> {
    Common {
        cluster: req.cluster.as_deref(),
        task_definition: req.task_definition.as_deref(),
        group: req.group.as_deref(),
        started_by: req.started_by.as_deref(),
        started_by_limit: 128,
        network: req.network_configuration.as_ref(),
        overrides: req.overrides.as_ref(),
        overrides_json: body.get("overrides"),
        count,
        constraints: req.placement_constraints.as_deref().unwrap_or_default(),
        strategies: req.placement_strategy.as_deref().unwrap_or_default(),
    }
}

impl Api {
    /// The placement request one task of a RunTask body makes (count ignored), validated as
    /// RunTask validates it: what `explain` evaluates.
    pub fn run_task_spec(&self, body: &Value) -> Result<RunSpec, ApiError> {
        let req: RunTask = parse(body)?;
        check_launch(&req)?;
        run_spec(self, &run_task_common(&req, body, 1))
    }
}

fn check_launch(req: &RunTask) -> Result<(), ApiError> {
    if req.launch_type.is_some() && req.capacity_provider_strategy.is_some() {
        return Err(ApiError::invalid(
            "Specify either Launch Type or Capacity Provider Strategy, but not both.",
        ));
    }
    if req.capacity_provider_strategy.is_some() {
        return Err(ApiError::new(
            "UnsupportedFeatureException",
            "ecsim models EC2 capacity without capacity providers.",
        ));
    }
    match req.launch_type.as_deref() {
        None | Some("EC2") => Ok(()),
        Some(other) => Err(ApiError::new(
            "UnsupportedFeatureException",
            format!("ecsim models the EC2 launch type only, not {other}."),
        )),
    }
}

fn run_spec(api: &Api, c: &Common<'_>) -> Result<RunSpec, ApiError> {
    let cluster = api.cluster(c.cluster)?;
    let reference = c
        .task_definition
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("TaskDefinition can not be blank."))?;
    let task_def = api
        .find_task_def(reference)
        .ok_or_else(|| ApiError::client("TaskDefinition not found."))?;
    let td = api.engine.world().task_def(task_def);
    if td.status == TaskDefStatus::Inactive {
        return Err(ApiError::client("TaskDefinition is inactive"));
    }
    let (member_of, distinct_instance) = placement::constraints(c.constraints, td.member_of.len())?;
    let mut strategies = placement::strategies(c.strategies)?;
    if strategies.is_empty() {
        strategies.push(Strategy::Random);
    }
    if let Some(s) = c.started_by {
        check_started_by(s, c.started_by_limit)?;
    }
    let group = c
        .group
        .map_or_else(|| format!("family:{}", td.family), str::to_string);
    if group.len() > 255 {
        return Err(ApiError::invalid("group must be 255 characters or fewer."));
    }
    Ok(RunSpec {
        cluster,
        task_def,
        count: c.count,
        group: group.into(),
        started_by: c.started_by.map(Into::into),
        overrides: overrides(c.overrides)?,
        allowed_zones: allowed_zones(api, task_def, c.network)?,
        member_of,
        distinct_instance,
        strategies,
    })
}

fn check_started_by(s: &str, limit: usize) -> Result<(), ApiError> {
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_'));
    if s.len() > limit || !ok_chars {
        return Err(ApiError::invalid(format!(
            "startedBy must be up to {limit} letters, numbers, hyphens, forward slashes and underscores."
        )));
    }
    Ok(())
}

fn overrides(o: Option<&TaskOverrideShape>) -> Result<ResourceOverrides, ApiError> {
    let Some(o) = o else {
        return Ok(ResourceOverrides::default());
    };
    let containers = o
        .container_overrides
        .iter()
        .flatten()
        .map(|c| ContainerOverride {
            name: c.name.clone().unwrap_or_default(),
            cpu: c.cpu.map(i64::from),
            memory_mib: c.memory.map(i64::from),
            memory_reservation_mib: c.memory_reservation.map(i64::from),
        })
        .collect();
    Ok(ResourceOverrides {
        cpu: o.cpu.as_ref().map(|s| task_cpu(&json!(s))).transpose()?,
        memory_mib: o
            .memory
            .as_ref()
            .map(|s| task_memory(&json!(s)))
            .transpose()?,
        containers,
    })
}

/// awsvpc needs a network configuration; its subnets' zones (when known) limit the instances.
pub(super) fn allowed_zones(
    api: &Api,
    task_def: TaskDefId,
    network: Option<&NetworkConfigurationShape>,
) -> Result<Option<Vec<String>>, ApiError> {
    let awsvpc = api.engine.world().task_def(task_def).network_mode == NetworkMode::Awsvpc;
    let vpc = network.and_then(|n| n.awsvpc_configuration.as_ref());
    match (awsvpc, vpc) {
        (true, None) => Err(ApiError::invalid(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        )),
        (false, Some(_)) => Err(ApiError::invalid(
            "Network Configuration is not valid for the given networkMode of this task definition.",
        )),
        (false, None) => Ok(None),
        (true, Some(v)) => {
            let subnets = v.subnets.as_deref().unwrap_or_default();
            if subnets.is_empty() || subnets.len() > 16 {
                return Err(ApiError::invalid(
                    "awsvpcConfiguration needs 1 to 16 subnets.",
                ));
            }
            let zones: Option<Vec<String>> = subnets
                .iter()
                .map(|s| api.config.subnet_zones.get(s).cloned())
                .collect();
            Ok(zones)
        }
    }
}

fn remember(api: &mut Api, tasks: &[TaskId], c: &Common<'_>) {
    let overrides = c.overrides_json.cloned().unwrap_or(Value::Null);
    let subnet = c
        .network
        .and_then(|n| n.awsvpc_configuration.as_ref())
        .and_then(|v| v.subnets.as_ref())
        .and_then(|s| s.first().cloned());
    for t in tasks {
        let extra = TaskExtra {
            overrides: overrides.clone(),
            subnet: subnet.clone(),
        };
        api.task_extra.insert(*t, extra);
    }
}

pub(super) fn start_task(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: StartTask = parse(body)?;
    let refs = req.container_instances.clone().unwrap_or_default();
    if refs.is_empty() {
        return Err(ApiError::invalid("containerInstances can not be empty."));
    }
    at_most("containerInstances", refs.len(), 10)?;
    let common = Common {
        cluster: req.cluster.as_deref(),
        task_definition: req.task_definition.as_deref(),
        group: req.group.as_deref(),
        started_by: req.started_by.as_deref(),
        started_by_limit: 36,
        network: req.network_configuration.as_ref(),
        overrides: req.overrides.as_ref(),
        overrides_json: body.get("overrides"),
        count: 1,
        constraints: &[],
        strategies: &[],
    };
    let spec = run_spec(api, &common)?;
    let mut failures = Vec::new();
    let mut instances = Vec::new();
    for r in &refs {
        match api.find_instance(spec.cluster, r) {
            Some(i) => instances.push(i),
            None => failures.push(json!({"arn": r, "reason": "MISSING"})),
        }
    }
    let (started, refused) = api.engine.start_task(&spec, &instances);
    remember(api, &started, &common);
    for (i, why) in refused {
        failures.push(json!({"arn": api.instance_arn(i), "reason": why.as_str()}));
    }
    let tasks: Vec<Value> = started.iter().map(|t| api.task_json(*t)).collect();
    Ok(json!({"tasks": tasks, "failures": failures}))
}

pub(super) fn stop_task(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: StopTask = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let task = api
        .find_task(cluster, &req.task)
        .ok_or_else(|| ApiError::invalid("The referenced task was not found."))?;
    let cause = StopCause {
        code: Some(StopCode::UserInitiated),
        reason: req
            .reason
            .unwrap_or_else(|| "Task stopped by user".into())
            .into(),
    };
    api.engine.stop_task(task, cause);
    Ok(json!({"task": api.task_json(task)}))
}

pub(super) fn describe_tasks(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DescribeTasks = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    at_most("tasks", req.tasks.len(), 100)?;
    let (mut tasks, mut failures) = (Vec::new(), Vec::new());
    for r in &req.tasks {
        match api.find_task(cluster, r) {
            Some(t) => tasks.push(api.task_json(t)),
            None => failures.push(json!({"arn": r, "reason": "MISSING"})),
        }
    }
    Ok(json!({"tasks": tasks, "failures": failures}))
}

pub(super) fn list_tasks(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: ListTasks = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 100, 100)?;
    let service = req
        .service_name
        .as_deref()
        .map(|s| api.find_service(cluster, s))
        .transpose()?;
    let desired = match req.desired_status.as_deref().unwrap_or("RUNNING") {
        "RUNNING" => Some(DesiredStatus::Running),
        "STOPPED" => Some(DesiredStatus::Stopped),
        "PENDING" => None,
        other => {
            return Err(ApiError::invalid(format!(
                "desiredStatus must be one of RUNNING, PENDING, STOPPED; got {other}."
            )));
        }
    };
    if let Some(lt) = req.launch_type.as_deref()
        && !["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"].contains(&lt)
    {
        return Err(ApiError::invalid(format!("launchType {lt} is not valid.")));
    }
    let instance = match req.container_instance.as_deref() {
        Some(r) => Some(api.find_instance(cluster, r).ok_or_else(|| {
            ApiError::invalid("The referenced container instance was not found.")
        })?),
        None => None,
    };
    let arns: Vec<Value> = matching_tasks(api, cluster, &req, desired, instance, service)
        .into_iter()
        .map(|t| json!(api.task_arn(t)))
        .collect();
    Ok(paginate::page("taskArns", arns, offset, size))
}

fn matching_tasks(
    api: &Api,
    cluster: ClusterId,
    req: &ListTasks,
    desired: Option<DesiredStatus>,
    instance: Option<ecsim_core::ids::InstanceId>,
    service: Option<ecsim_core::ids::ServiceId>,
) -> Vec<TaskId> {
    let w = api.engine.world();
    let launch_ok = req.launch_type.as_deref().is_none_or(|lt| lt == "EC2");
    w.cluster(cluster)
        .tasks
        .iter()
        .copied()
        .filter(|id| {
            let t = w.task(*id);
            Some(t.desired_status) == desired
                && launch_ok
                && service.is_none_or(|s| t.service.is_some_and(|(ts, _)| ts == s))
                && instance.is_none_or(|i| t.instance == i)
                && req
                    .family
                    .as_deref()
                    .is_none_or(|f| w.task_def(t.task_def).family == f)
                && req
                    .started_by
                    .as_deref()
                    .is_none_or(|s| t.started_by.as_deref() == Some(s))
        })
        .collect()
}
