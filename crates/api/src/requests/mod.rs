//! ECS request shapes, as the API takes them (camelCase JSON), one struct per operation.
//!
//! Integer fields are `i32`, as the ECS model's `Integer`: a larger value is a type error.
//!
//! Every struct denies unknown fields, so a typo is an error; fields of the ECS shape that the
//! simulation does not model are accepted as opaque JSON and kept. `check` validates a request
//! body against its operation's shape and reports the JSON path of the first problem.

mod attributes;
mod clusters;
mod instances;
mod services;
mod taskdefs;
mod tasks;

pub use attributes::*;
pub use clusters::*;
pub use instances::*;
pub use services::*;
pub use taskdefs::*;
pub use tasks::*;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A request body that does not fit its operation's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// JSON path inside the body (`containerDefinitions[0].memory`), empty for the body itself.
    pub path: String,
    pub message: String,
}

/// Deserializes `body` as `T`, reporting the path of the first problem.
pub fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, ShapeError> {
    // Most bodies are well formed: the plain pass is the fast one, and only a failure is parsed
    // again with the path tracked, to say where (the same pass, so the same error).
    T::deserialize(body).or_else(|_| parse_tracked(body))
}

fn parse_tracked<T: DeserializeOwned>(body: &Value) -> Result<T, ShapeError> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        ShapeError {
            path: if path == "." { String::new() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// Every operation name the API knows: the 31 ECS operations of the simulator.
pub const OPERATIONS: [&str; 31] = [
    "create_cluster",
    "delete_cluster",
    "describe_clusters",
    "list_clusters",
    "register_container_instance",
    "deregister_container_instance",
    "describe_container_instances",
    "list_container_instances",
    "update_container_instances_state",
    "update_container_agent",
    "discover_poll_endpoint",
    "submit_container_state_change",
    "submit_task_state_change",
    "register_task_definition",
    "deregister_task_definition",
    "describe_task_definition",
    "list_task_definitions",
    "list_task_definition_families",
    "run_task",
    "start_task",
    "stop_task",
    "describe_tasks",
    "list_tasks",
    "create_service",
    "update_service",
    "delete_service",
    "describe_services",
    "list_services",
    "put_attributes",
    "delete_attributes",
    "list_attributes",
];

/// Operations that only read state (usable in `expect`).
pub fn is_read_only(op: &str) -> bool {
    op.starts_with("describe_") || op.starts_with("list_") || op == "discover_poll_endpoint"
}

/// Checks a request body against its operation's shape. Unknown operation names are the
/// caller's concern (see `OPERATIONS`).
pub fn check(op: &str, body: &Value) -> Result<(), ShapeError> {
    fn c<T: DeserializeOwned>(b: &Value) -> Result<(), ShapeError> {
        parse::<T>(b).map(|_| ())
    }
    match op {
        "create_cluster" => c::<CreateCluster>(body),
        "delete_cluster" => c::<DeleteCluster>(body),
        "describe_clusters" => c::<DescribeClusters>(body),
        "list_clusters" => c::<ListClusters>(body),
        "register_container_instance" => c::<RegisterContainerInstance>(body),
        "deregister_container_instance" => c::<DeregisterContainerInstance>(body),
        "describe_container_instances" => c::<DescribeContainerInstances>(body),
        "list_container_instances" => c::<ListContainerInstances>(body),
        "update_container_instances_state" => c::<UpdateContainerInstancesState>(body),
        "update_container_agent" => c::<UpdateContainerAgent>(body),
        "discover_poll_endpoint" => c::<DiscoverPollEndpoint>(body),
        "submit_container_state_change" => c::<SubmitContainerStateChange>(body),
        "submit_task_state_change" => c::<SubmitTaskStateChange>(body),
        "register_task_definition" => c::<RegisterTaskDefinition>(body),
        "deregister_task_definition" => c::<DeregisterTaskDefinition>(body),
        "describe_task_definition" => c::<DescribeTaskDefinition>(body),
        "list_task_definitions" => c::<ListTaskDefinitions>(body),
        "list_task_definition_families" => c::<ListTaskDefinitionFamilies>(body),
        "run_task" => c::<RunTask>(body),
        "start_task" => c::<StartTask>(body),
        "stop_task" => c::<StopTask>(body),
        "describe_tasks" => c::<DescribeTasks>(body),
        "list_tasks" => c::<ListTasks>(body),
        "create_service" => c::<CreateService>(body),
        "update_service" => c::<UpdateService>(body),
        "delete_service" => c::<DeleteService>(body),
        "describe_services" => c::<DescribeServices>(body),
        "list_services" => c::<ListServices>(body),
        "put_attributes" => c::<PutAttributes>(body),
        "delete_attributes" => c::<DeleteAttributes>(body),
        "list_attributes" => c::<ListAttributes>(body),
        _ => Ok(()),
    }
}
