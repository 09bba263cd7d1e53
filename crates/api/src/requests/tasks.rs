//! Request shapes of the task operations.

use super::taskdefs::PlacementConstraintShape;
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementStrategyShape {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub field: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsVpcConfigurationShape {
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub assign_public_ip: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkConfigurationShape {
    pub awsvpc_configuration: Option<AwsVpcConfigurationShape>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerOverrideShape {
    pub name: Option<String>,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
    pub memory_reservation: Option<i32>,
    pub command: Option<Value>,
    pub environment: Option<Value>,
    pub environment_files: Option<Value>,
    pub resource_requirements: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskOverrideShape {
    pub container_overrides: Option<Vec<ContainerOverrideShape>>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub inference_accelerator_overrides: Option<Value>,
    pub execution_role_arn: Option<Value>,
    pub task_role_arn: Option<Value>,
    pub ephemeral_storage: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunTask {
    pub cluster: Option<String>,
    pub task_definition: Option<String>,
    pub count: Option<i32>,
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Option<Value>,
    pub network_configuration: Option<NetworkConfigurationShape>,
    pub overrides: Option<TaskOverrideShape>,
    pub placement_constraints: Option<Vec<PlacementConstraintShape>>,
    pub placement_strategy: Option<Vec<PlacementStrategyShape>>,
    pub platform_version: Option<Value>,
    pub propagate_tags: Option<Value>,
    pub reference_id: Option<Value>,
    pub tags: Option<Value>,
    pub client_token: Option<String>,
    pub enable_ecs_managed_tags: Option<Value>,
    pub enable_execute_command: Option<Value>,
    pub volume_configurations: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTask {
    pub cluster: Option<String>,
    pub task_definition: Option<String>,
    pub container_instances: Option<Vec<String>>,
    pub group: Option<String>,
    pub started_by: Option<String>,
    pub network_configuration: Option<NetworkConfigurationShape>,
    pub overrides: Option<TaskOverrideShape>,
    pub propagate_tags: Option<Value>,
    pub reference_id: Option<Value>,
    pub tags: Option<Value>,
    pub enable_ecs_managed_tags: Option<Value>,
    pub enable_execute_command: Option<Value>,
    pub volume_configurations: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTask {
    pub cluster: Option<String>,
    pub task: String,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeTasks {
    pub cluster: Option<String>,
    pub tasks: Vec<String>,
    pub include: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTasks {
    pub cluster: Option<String>,
    pub container_instance: Option<String>,
    pub family: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
    pub started_by: Option<String>,
    pub service_name: Option<String>,
    pub desired_status: Option<String>,
    pub launch_type: Option<String>,
}
