//! Operation dispatch and the reference resolution every operation shares.

mod agent;
mod attributes;
pub(crate) mod clusters;
pub(crate) mod instances;
pub(crate) mod placement;
pub(crate) mod services;
pub(crate) mod taskdefs;
mod tasks;

use crate::requests::{self, ShapeError};
use crate::{Api, ApiError, arn};
use ecsim_core::ids::{ClusterId, InstanceId, TaskDefId, TaskId};
use serde::de::DeserializeOwned;
use serde_json::Value;

type Op = fn(&mut Api, &Value) -> Result<Value, ApiError>;

fn operation(op: &str) -> Option<Op> {
    Some(match op {
        "create_cluster" => clusters::create_cluster,
        "delete_cluster" => clusters::delete_cluster,
        "describe_clusters" => clusters::describe_clusters,
        "list_clusters" => clusters::list_clusters,
        "register_container_instance" => instances::register_container_instance,
        "deregister_container_instance" => instances::deregister_container_instance,
        "describe_container_instances" => instances::describe_container_instances,
        "list_container_instances" => instances::list_container_instances,
        "update_container_instances_state" => instances::update_container_instances_state,
        "update_container_agent" => agent::update_container_agent,
        "discover_poll_endpoint" => agent::discover_poll_endpoint,
        "submit_container_state_change" => agent::submit_container_state_change,
        "submit_task_state_change" => agent::submit_task_state_change,
        "register_task_definition" => taskdefs::register_task_definition,
        "deregister_task_definition" => taskdefs::deregister_task_definition,
        "describe_task_definition" => taskdefs::describe_task_definition,
        "list_task_definitions" => taskdefs::list_task_definitions,
        "list_task_definition_families" => taskdefs::list_task_definition_families,
        "run_task" => tasks::run_task,
        "start_task" => tasks::start_task,
        "stop_task" => tasks::stop_task,
        "describe_tasks" => tasks::describe_tasks,
        "list_tasks" => tasks::list_tasks,
        "create_service" => services::create_service,
        "update_service" => services::update_service,
        "delete_service" => services::delete_service,
        "describe_services" => services::describe_services,
        "list_services" => services::list_services,
        "put_attributes" => attributes::put_attributes,
        "delete_attributes" => attributes::delete_attributes,
        "list_attributes" => attributes::list_attributes,
        _ => return None,
    })
}

/// Whether the simulator implements `op` today.
pub fn is_supported(op: &str) -> bool {
    operation(op).is_some()
}

pub(crate) fn dispatch(api: &mut Api, op: &str, body: &Value) -> Result<Value, ApiError> {
    match operation(op) {
        Some(f) => f(api, body),
        None if requests::OPERATIONS.contains(&op) => Err(ApiError::new(
            "UnsupportedFeatureException",
            format!("{op} is not supported by this version of ecsim."),
        )),
        None => Err(ApiError::new(
            "UnknownOperationException",
            format!("Unknown operation {op}."),
        )),
    }
}

/// Parses a request body; a shape problem is an InvalidParameterException naming the field.
pub(crate) fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    requests::parse(body).map_err(|ShapeError { path, message }| {
        if path.is_empty() {
            ApiError::invalid(message)
        } else {
            ApiError::invalid(format!("{path}: {message}"))
        }
    })
}

impl Api {
    /// An ACTIVE cluster by name or ARN (`default` when omitted).
    pub fn cluster(&self, reference: Option<&str>) -> Result<ClusterId, ApiError> {
        let name = arn::cluster_name(reference.unwrap_or("default"));
        self.engine
            .world()
            .active_cluster(name)
            .ok_or_else(|| ApiError::new("ClusterNotFoundException", "Cluster not found."))
    }

    /// A container instance of `cluster` by id or ARN.
    pub fn find_instance(&self, cluster: ClusterId, reference: &str) -> Option<InstanceId> {
        let (arn_cluster, id) = arn::scoped_id(reference, "container-instance");
        let w = self.engine.world();
        if arn_cluster.is_some_and(|c| c != w.cluster(cluster).name) {
            return None;
        }
        w.instance_by_uuid(cluster, id)
    }

    /// A task of `cluster` by id or ARN.
    pub fn find_task(&self, cluster: ClusterId, reference: &str) -> Option<TaskId> {
        let (arn_cluster, id) = arn::scoped_id(reference, "task");
        let w = self.engine.world();
        if arn_cluster.is_some_and(|c| c != w.cluster(cluster).name) {
            return None;
        }
        w.task_by_uuid(cluster, id)
    }

    /// A task definition by `family`, `family:revision` or ARN; `family` alone is the latest
    /// ACTIVE revision.
    pub fn find_task_def(&self, reference: &str) -> Option<TaskDefId> {
        let w = self.engine.world();
        match arn::task_definition_ref(reference) {
            (family, None) => w.latest_active(family),
            (family, Some(rev)) => w.revision(family, rev.parse().ok()?),
        }
    }
}

/// Fails when a list parameter has more than `limit` entries.
pub(crate) fn at_most(name: &str, len: usize, limit: usize) -> Result<(), ApiError> {
    if len > limit {
        return Err(ApiError::invalid(format!(
            "{name} can have at most {limit} entries, got {len}."
        )));
    }
    Ok(())
}
