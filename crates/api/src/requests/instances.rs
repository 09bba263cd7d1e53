//! Request shapes of the container-instance and agent operations.

use serde::Deserialize;
use serde_json::Value;

/// The ECS `Resource` shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceShape {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub double_value: Option<f64>,
    pub long_value: Option<i64>,
    pub integer_value: Option<i32>,
    pub string_set_value: Option<Vec<String>>,
}

/// The ECS `Attribute` shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeShape {
    pub name: String,
    pub value: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
}

/// The ECS `VersionInfo` shape.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionInfoShape {
    pub agent_version: Option<String>,
    pub agent_hash: Option<String>,
    pub docker_version: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterContainerInstance {
    pub cluster: Option<String>,
    pub instance_identity_document: Option<String>,
    pub instance_identity_document_signature: Option<String>,
    pub total_resources: Option<Vec<ResourceShape>>,
    pub version_info: Option<VersionInfoShape>,
    pub container_instance_arn: Option<String>,
    pub attributes: Option<Vec<AttributeShape>>,
    pub platform_devices: Option<Value>,
    pub tags: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeregisterContainerInstance {
    pub cluster: Option<String>,
    pub container_instance: String,
    pub force: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeContainerInstances {
    pub cluster: Option<String>,
    pub container_instances: Vec<String>,
    pub include: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListContainerInstances {
    pub cluster: Option<String>,
    pub filter: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateContainerInstancesState {
    pub cluster: Option<String>,
    pub container_instances: Vec<String>,
    pub status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateContainerAgent {
    pub cluster: Option<String>,
    pub container_instance: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscoverPollEndpoint {
    pub container_instance: Option<String>,
    pub cluster: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitContainerStateChange {
    pub cluster: Option<String>,
    pub task: Option<String>,
    pub container_name: Option<String>,
    pub runtime_id: Option<String>,
    pub status: Option<String>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub network_bindings: Option<Value>,
}

/// One container of a SubmitTaskStateChange (`ContainerStateChange`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateChangeShape {
    pub container_name: Option<String>,
    pub image_digest: Option<String>,
    pub runtime_id: Option<String>,
    pub exit_code: Option<i32>,
    pub network_bindings: Option<Value>,
    pub reason: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitTaskStateChange {
    pub cluster: Option<String>,
    pub task: Option<String>,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub containers: Option<Vec<ContainerStateChangeShape>>,
    pub attachments: Option<Value>,
    pub managed_agents: Option<Value>,
    pub pull_started_at: Option<Value>,
    pub pull_stopped_at: Option<Value>,
    pub execution_stopped_at: Option<Value>,
}
