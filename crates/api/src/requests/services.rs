//! Request shapes of the service operations.

use super::taskdefs::PlacementConstraintShape;
use super::tasks::{NetworkConfigurationShape, PlacementStrategyShape};
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CircuitBreakerShape {
    pub enable: Option<bool>,
    pub rollback: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentConfigurationShape {
    pub deployment_circuit_breaker: Option<CircuitBreakerShape>,
    pub maximum_percent: Option<i32>,
    pub minimum_healthy_percent: Option<i32>,
    pub alarms: Option<Value>,
    pub strategy: Option<Value>,
    pub bake_time_in_minutes: Option<Value>,
    pub lifecycle_hooks: Option<Value>,
    pub canary_configuration: Option<Value>,
    pub linear_configuration: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentControllerShape {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateService {
    pub cluster: Option<String>,
    pub service_name: Option<String>,
    pub task_definition: Option<String>,
    pub desired_count: Option<i32>,
    pub launch_type: Option<String>,
    pub scheduling_strategy: Option<String>,
    pub deployment_configuration: Option<DeploymentConfigurationShape>,
    pub deployment_controller: Option<DeploymentControllerShape>,
    pub placement_constraints: Option<Vec<PlacementConstraintShape>>,
    pub placement_strategy: Option<Vec<PlacementStrategyShape>>,
    pub network_configuration: Option<NetworkConfigurationShape>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub load_balancers: Option<Vec<Value>>,
    pub availability_zone_rebalancing: Option<String>,
    pub service_registries: Option<Value>,
    pub client_token: Option<String>,
    pub capacity_provider_strategy: Option<Value>,
    pub platform_version: Option<Value>,
    pub role: Option<Value>,
    pub tags: Option<Value>,
    pub enable_ecs_managed_tags: Option<Value>,
    pub propagate_tags: Option<Value>,
    pub enable_execute_command: Option<Value>,
    pub service_connect_configuration: Option<Value>,
    pub volume_configurations: Option<Value>,
    pub vpc_lattice_configurations: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateService {
    pub cluster: Option<String>,
    pub service: String,
    pub desired_count: Option<i32>,
    pub task_definition: Option<String>,
    pub deployment_configuration: Option<DeploymentConfigurationShape>,
    pub placement_constraints: Option<Vec<PlacementConstraintShape>>,
    pub placement_strategy: Option<Vec<PlacementStrategyShape>>,
    pub network_configuration: Option<NetworkConfigurationShape>,
    pub force_new_deployment: Option<bool>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub load_balancers: Option<Vec<Value>>,
    pub availability_zone_rebalancing: Option<String>,
    pub capacity_provider_strategy: Option<Value>,
    pub platform_version: Option<Value>,
    pub deployment_controller: Option<DeploymentControllerShape>,
    pub enable_execute_command: Option<Value>,
    pub enable_ecs_managed_tags: Option<Value>,
    pub propagate_tags: Option<Value>,
    pub service_registries: Option<Value>,
    pub service_connect_configuration: Option<Value>,
    pub volume_configurations: Option<Value>,
    pub vpc_lattice_configurations: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteService {
    pub cluster: Option<String>,
    pub service: String,
    pub force: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeServices {
    pub cluster: Option<String>,
    pub services: Vec<String>,
    pub include: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListServices {
    pub cluster: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
    pub launch_type: Option<String>,
    pub scheduling_strategy: Option<String>,
    pub resource_management_type: Option<String>,
}
