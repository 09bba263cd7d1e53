//! Request shapes of the task-definition operations.
//!
//! `RegisterTaskDefinition` also accepts the read-only fields of a DescribeTaskDefinition
//! output (`taskDefinitionArn`, `revision`, `status`, ...), so a described definition pastes in
//! unchanged; they are ignored.

use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortMappingShape {
    pub container_port: Option<i32>,
    pub host_port: Option<i32>,
    pub protocol: Option<String>,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
    pub container_port_range: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirementShape {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementConstraintShape {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub expression: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDefinitionShape {
    pub name: Option<String>,
    pub image: Option<String>,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
    pub memory_reservation: Option<i32>,
    pub port_mappings: Option<Vec<PortMappingShape>>,
    pub essential: Option<bool>,
    pub resource_requirements: Option<Vec<ResourceRequirementShape>>,
    pub stop_timeout: Option<i32>,
    pub start_timeout: Option<i32>,
    pub repository_credentials: Option<Value>,
    pub links: Option<Value>,
    pub restart_policy: Option<Value>,
    pub entry_point: Option<Value>,
    pub command: Option<Value>,
    pub environment: Option<Value>,
    pub environment_files: Option<Value>,
    pub mount_points: Option<Value>,
    pub volumes_from: Option<Value>,
    pub linux_parameters: Option<Value>,
    pub secrets: Option<Value>,
    pub depends_on: Option<Value>,
    pub version_consistency: Option<Value>,
    pub hostname: Option<Value>,
    pub user: Option<Value>,
    pub working_directory: Option<Value>,
    pub disable_networking: Option<Value>,
    pub privileged: Option<Value>,
    pub readonly_root_filesystem: Option<Value>,
    pub dns_servers: Option<Value>,
    pub dns_search_domains: Option<Value>,
    pub extra_hosts: Option<Value>,
    pub docker_security_options: Option<Value>,
    pub interactive: Option<Value>,
    pub pseudo_terminal: Option<Value>,
    pub docker_labels: Option<Value>,
    pub ulimits: Option<Value>,
    pub log_configuration: Option<Value>,
    pub health_check: Option<Value>,
    pub system_controls: Option<Value>,
    pub firelens_configuration: Option<Value>,
    pub credential_specs: Option<Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterTaskDefinition {
    pub family: Option<String>,
    pub container_definitions: Option<Vec<ContainerDefinitionShape>>,
    pub network_mode: Option<String>,
    /// A string ("1024", "1 vCPU") or a number.
    pub cpu: Option<Value>,
    /// A string ("2048", "2GB") or a number.
    pub memory: Option<Value>,
    pub placement_constraints: Option<Vec<PlacementConstraintShape>>,
    pub requires_compatibilities: Option<Vec<String>>,
    pub task_role_arn: Option<Value>,
    pub execution_role_arn: Option<Value>,
    pub volumes: Option<Value>,
    pub tags: Option<Value>,
    pub pid_mode: Option<Value>,
    pub ipc_mode: Option<Value>,
    pub proxy_configuration: Option<Value>,
    pub inference_accelerators: Option<Value>,
    pub ephemeral_storage: Option<Value>,
    pub runtime_platform: Option<Value>,
    pub enable_fault_injection: Option<Value>,
    // Read-only fields of a DescribeTaskDefinition output, accepted and ignored.
    pub task_definition_arn: Option<Value>,
    pub revision: Option<Value>,
    pub status: Option<Value>,
    pub requires_attributes: Option<Value>,
    pub compatibilities: Option<Value>,
    pub registered_at: Option<Value>,
    pub registered_by: Option<Value>,
    pub deregistered_at: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeregisterTaskDefinition {
    pub task_definition: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeTaskDefinition {
    pub task_definition: String,
    pub include: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTaskDefinitions {
    pub family_prefix: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTaskDefinitionFamilies {
    pub family_prefix: Option<String>,
    pub status: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
}
