//! The agent-side operations: UpdateContainerAgent, DiscoverPollEndpoint,
//! SubmitTaskStateChange, SubmitContainerStateChange. A submitted state change moves the task or
//! container as the agent's report would.

use super::parse;
use crate::requests::{
    DiscoverPollEndpoint, SubmitContainerStateChange, SubmitTaskStateChange, UpdateContainerAgent,
};
use crate::{Api, ApiError};
use ecsim_core::ids::TaskId;
use ecsim_core::task::TaskStatus;
use serde_json::{Value, json};

pub(super) fn update_container_agent(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: UpdateContainerAgent = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let id = api
        .find_instance(cluster, &req.container_instance)
        .ok_or_else(|| ApiError::invalid("The referenced container instance was not found."))?;
    api.engine.update_agent(id)?;
    Ok(json!({"containerInstance": api.instance_json(id)}))
}

pub(super) fn discover_poll_endpoint(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let _req: DiscoverPollEndpoint = parse(body)?;
    let region = &api.config.region;
    Ok(json!({
        "endpoint": format!("https://ecs-a-1.{region}.amazonaws.com/"),
        "telemetryEndpoint": format!("https://ecs-t-1.{region}.amazonaws.com/"),
        "serviceConnectEndpoint": format!("https://ecs-sc.{region}.api.aws"),
    }))
}

fn reported_status(s: Option<&str>) -> Result<TaskStatus, ApiError> {
    match s {
        Some("RUNNING") => Ok(TaskStatus::Running),
        Some("STOPPED") => Ok(TaskStatus::Stopped),
        Some("PENDING") => Ok(TaskStatus::Pending),
        other => Err(ApiError::invalid(format!(
            "status must be one of PENDING, RUNNING, STOPPED; got {}.",
            other.unwrap_or("nothing")
        ))),
    }
}

fn reported_task(api: &Api, cluster: Option<&str>, task: Option<&str>) -> Result<TaskId, ApiError> {
    let cluster = api.cluster(cluster)?;
    let task = task.ok_or_else(|| ApiError::invalid("task must be given."))?;
    api.find_task(cluster, task)
        .ok_or_else(|| ApiError::invalid("The referenced task was not found."))
}

pub(super) fn submit_task_state_change(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: SubmitTaskStateChange = parse(body)?;
    let task = reported_task(api, req.cluster.as_deref(), req.task.as_deref())?;
    for c in req.containers.iter().flatten() {
        let name = c.container_name.as_deref().unwrap_or_default();
        let index = container_index(api, task, name)?;
        let status = reported_status(c.status.as_deref())?;
        api.engine.agent_container_status(
            task,
            index,
            status,
            c.exit_code.map(i64::from),
            c.reason.clone(),
        );
    }
    if req.status.is_some() {
        let status = reported_status(req.status.as_deref())?;
        api.engine.agent_task_status(task, status, req.reason);
    }
    Ok(json!({"acknowledgment": "ACK"}))
}

pub(super) fn submit_container_state_change(
    api: &mut Api,
    body: &Value,
) -> Result<Value, ApiError> {
    let req: SubmitContainerStateChange = parse(body)?;
    let task = reported_task(api, req.cluster.as_deref(), req.task.as_deref())?;
    let name = req.container_name.as_deref().unwrap_or_default();
    let index = container_index(api, task, name)?;
    let status = reported_status(req.status.as_deref())?;
    api.engine.agent_container_status(
        task,
        index,
        status,
        req.exit_code.map(i64::from),
        req.reason,
    );
    Ok(json!({"acknowledgment": "ACK"}))
}

fn container_index(api: &Api, task: TaskId, name: &str) -> Result<usize, ApiError> {
    api.engine
        .world()
        .task(task)
        .containers
        .iter()
        .position(|c| *c.name == *name)
        .ok_or_else(|| ApiError::invalid(format!("The task has no container named '{name}'.")))
}
