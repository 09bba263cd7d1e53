//! CreateService, UpdateService, DeleteService, DescribeServices, ListServices (§5).

use super::tasks::allowed_zones;
use super::{at_most, parse, placement};
use crate::requests::{
    CreateService, DeleteService, DeploymentConfigurationShape, DescribeServices, ListServices,
    UpdateService,
};
use crate::{Api, ApiError, paginate};
use ecsim_core::engine::{ServiceSpec, ServiceUpdate};
use ecsim_core::ids::{ClusterId, ServiceId, TaskDefId};
use ecsim_core::service::{CircuitBreaker, DeploymentConfig, Scheduling, ServiceStatus};
use ecsim_core::taskdef::TaskDefStatus;
use serde_json::{Value, json};

pub(super) fn create_service(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: CreateService = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let name = req.service_name.clone().unwrap_or_default();
    if !super::clusters::valid_name(&name) {
        return Err(ApiError::invalid(
            "serviceName must be 1-255 letters, numbers, hyphens and underscores.",
        ));
    }
    if api.live_service(cluster, &name).is_some() {
        return Err(ApiError::invalid("Creation of service was not idempotent."));
    }
    let spec = service_spec(api, cluster, name, &req)?;
    let id = api.engine.create_service(spec);
    Ok(json!({"service": api.service_json(id)}))
}

fn service_spec(
    api: &Api,
    cluster: ClusterId,
    name: String,
    req: &CreateService,
) -> Result<ServiceSpec, ApiError> {
    check_controller_and_launch(
        req.deployment_controller
            .as_ref()
            .and_then(|c| c.kind.as_deref()),
        req.launch_type.as_deref(),
    )?;
    let scheduling = match req.scheduling_strategy.as_deref().unwrap_or("REPLICA") {
        "REPLICA" => Scheduling::Replica,
        "DAEMON" => Scheduling::Daemon,
        other => {
            return Err(ApiError::invalid(format!(
                "schedulingStrategy must be REPLICA or DAEMON, got {other}."
            )));
        }
    };
    let task_def = task_def(api, req.task_definition.as_deref())?;
    let desired_count = match (scheduling, req.desired_count) {
        (Scheduling::Replica, None) => {
            return Err(ApiError::invalid(
                "desiredCount is required for a REPLICA service.",
            ));
        }
        (_, Some(n)) if n < 0 => {
            return Err(ApiError::invalid("desiredCount must not be negative."));
        }
        (Scheduling::Replica, Some(n)) => n as u32,
        (Scheduling::Daemon, _) => 0,
    };
    let strategies = placement::strategies(req.placement_strategy.as_deref().unwrap_or_default())?;
    if scheduling == Scheduling::Daemon && !strategies.is_empty() {
        return Err(ApiError::invalid(
            "Placement strategies are not supported with the DAEMON scheduling strategy.",
        ));
    }
    let td_constraints = api.engine.world().task_def(task_def).member_of.len();
    let (member_of, distinct_instance) = placement::constraints(
        req.placement_constraints.as_deref().unwrap_or_default(),
        td_constraints,
    )?;
    Ok(ServiceSpec {
        cluster,
        name,
        task_def,
        desired_count,
        scheduling,
        config: deployment_config(
            scheduling,
            DeploymentConfig::default_for(scheduling),
            req.deployment_configuration.as_ref(),
        )?,
        member_of,
        distinct_instance,
        strategies,
        allowed_zones: allowed_zones(api, task_def, req.network_configuration.as_ref())?,
        health_check_grace_period_s: grace(req.health_check_grace_period_seconds)?,
        has_load_balancers: req.load_balancers.as_ref().is_some_and(|l| !l.is_empty()),
    })
}

fn check_controller_and_launch(
    controller: Option<&str>,
    launch_type: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(c) = controller.filter(|c| *c != "ECS") {
        return Err(ApiError::new(
            "UnsupportedFeatureException",
            format!("ecsim simulates the ECS (rolling update) deployment controller, not {c}."),
        ));
    }
    match launch_type {
        None | Some("EC2") => Ok(()),
        Some(other) => Err(ApiError::new(
            "UnsupportedFeatureException",
            format!("ecsim models the EC2 launch type only, not {other}."),
        )),
    }
}

fn grace(seconds: Option<i32>) -> Result<u64, ApiError> {
    match seconds {
        Some(s) if s < 0 => Err(ApiError::invalid(
            "healthCheckGracePeriodSeconds must be between 0 and 2147483647.",
        )),
        Some(s) => Ok(s as u64),
        None => Ok(0),
    }
}

/// An ACTIVE task definition by reference (ClientException otherwise, as RunTask).
fn task_def(api: &Api, reference: Option<&str>) -> Result<TaskDefId, ApiError> {
    let reference = reference
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid("TaskDefinition can not be blank."))?;
    let id = api
        .find_task_def(reference)
        .ok_or_else(|| ApiError::client("TaskDefinition not found."))?;
    if api.engine.world().task_def(id).status == TaskDefStatus::Inactive {
        return Err(ApiError::client("TaskDefinition is inactive"));
    }
    Ok(id)
}

/// `deploymentConfiguration` over `base`: minimum 0-100, maximum at least 100 (exactly 100 for
/// DAEMON), and the circuit breaker.
fn deployment_config(
    scheduling: Scheduling,
    base: DeploymentConfig,
    shape: Option<&DeploymentConfigurationShape>,
) -> Result<DeploymentConfig, ApiError> {
    let Some(c) = shape else {
        return Ok(base);
    };
    let min = c
        .minimum_healthy_percent
        .map_or(Ok(base.minimum_healthy_percent), |m| {
            u32::try_from(m).ok().filter(|m| *m <= 100).ok_or_else(|| {
                ApiError::invalid("minimumHealthyPercent must be between 0 and 100.")
            })
        })?;
    let max = c.maximum_percent.map_or(Ok(base.maximum_percent), |m| {
        u32::try_from(m)
            .ok()
            .filter(|m| *m >= 100)
            .ok_or_else(|| ApiError::invalid("maximumPercent must be at least 100."))
    })?;
    if scheduling == Scheduling::Daemon && max != 100 {
        return Err(ApiError::invalid(
            "The maximumPercent of a DAEMON service must be 100.",
        ));
    }
    let circuit_breaker = c
        .deployment_circuit_breaker
        .map_or(base.circuit_breaker, |cb| CircuitBreaker {
            enable: cb.enable.unwrap_or(false),
            rollback: cb.rollback.unwrap_or(false),
        });
    Ok(DeploymentConfig {
        minimum_healthy_percent: min,
        maximum_percent: max,
        circuit_breaker,
    })
}

pub(super) fn update_service(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let id = apply_update_service(api, body)?;
    Ok(json!({"service": api.service_json(id)}))
}

/// UpdateService's checks and effects, without the response: the service updated.
pub(crate) fn apply_update_service(api: &mut Api, body: &Value) -> Result<ServiceId, ApiError> {
    let req: UpdateService = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let id = api.find_service(cluster, &req.service)?;
    let s = api.engine.world().service(id);
    if s.status != ServiceStatus::Active {
        return Err(ApiError::new(
            "ServiceNotActiveException",
            "Service was not ACTIVE.",
        ));
    }
    let (scheduling, config) = (s.scheduling, s.config);
    check_controller_and_launch(
        req.deployment_controller
            .as_ref()
            .and_then(|c| c.kind.as_deref()),
        None,
    )?;
    let task_def = req
        .task_definition
        .as_deref()
        .map(|r| task_def(api, Some(r)))
        .transpose()?;
    let td = task_def.unwrap_or(s.primary().task_def);
    let td_constraints = api.engine.world().task_def(td).member_of.len();
    let constraints = req
        .placement_constraints
        .as_deref()
        .map(|c| placement::constraints(c, td_constraints))
        .transpose()?;
    let strategies = req
        .placement_strategy
        .as_deref()
        .map(placement::strategies)
        .transpose()?;
    if scheduling == Scheduling::Daemon
        && (strategies.as_ref().is_some_and(|s| !s.is_empty()) || req.desired_count.is_some())
    {
        return Err(ApiError::invalid(
            "A DAEMON service takes neither a desiredCount nor placement strategies.",
        ));
    }
    let update = ServiceUpdate {
        desired_count: req
            .desired_count
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| ApiError::invalid("desiredCount must not be negative."))
            })
            .transpose()?,
        task_def,
        config: req
            .deployment_configuration
            .as_ref()
            .map(|c| deployment_config(scheduling, config, Some(c)))
            .transpose()?,
        constraints,
        strategies,
        force_new_deployment: req.force_new_deployment.unwrap_or(false),
        health_check_grace_period_s: req
            .health_check_grace_period_seconds
            .map(|g| grace(Some(g)))
            .transpose()?,
    };
    api.engine.update_service(id, update)?;
    Ok(id)
}

pub(super) fn delete_service(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DeleteService = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let id = api.find_service(cluster, &req.service)?;
    api.engine.delete_service(id, req.force.unwrap_or(false))?;
    Ok(json!({"service": api.service_json(id)}))
}

pub(super) fn describe_services(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DescribeServices = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    at_most("services", req.services.len(), 10)?;
    let (mut services, mut failures) = (Vec::new(), Vec::new());
    for r in &req.services {
        match api.find_service(cluster, r) {
            Ok(id) => services.push(api.service_json(id)),
            Err(_) => {
                let name = service_name(r);
                let arn = api.service_arn_of(cluster, name);
                failures.push(json!({"arn": arn, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"services": services, "failures": failures}))
}

pub(super) fn list_services(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: ListServices = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 10, 100)?;
    let scheduling = req.scheduling_strategy.as_deref();
    let launch_ok = req.launch_type.as_deref().is_none_or(|l| l == "EC2");
    let arns: Vec<Value> = api
        .engine
        .world()
        .services()
        .iter()
        .filter(|s| s.cluster == cluster && s.status == ServiceStatus::Active && launch_ok)
        .filter(|s| scheduling.is_none_or(|k| k == s.scheduling.as_str()))
        .map(|s| json!(api.service_arn(s.id)))
        .collect();
    Ok(paginate::page("serviceArns", arns, offset, size))
}

/// The service name of a reference (a name or an ARN `...:service/CLUSTER/NAME`).
fn service_name(reference: &str) -> &str {
    match reference.strip_prefix("arn:") {
        Some(_) => reference.rsplit('/').next().unwrap_or(reference),
        None => reference,
    }
}

impl Api {
    /// The ACTIVE or DRAINING service of that name.
    fn live_service(&self, cluster: ClusterId, name: &str) -> Option<ServiceId> {
        self.engine
            .world()
            .service_by_name(cluster, name)
            .filter(|id| self.engine.world().service(*id).status != ServiceStatus::Inactive)
    }

    /// A service by name or ARN (INACTIVE ones included), or ServiceNotFoundException.
    pub fn find_service(&self, cluster: ClusterId, reference: &str) -> Result<ServiceId, ApiError> {
        self.engine
            .world()
            .service_by_name(cluster, service_name(reference))
            .ok_or_else(|| ApiError::new("ServiceNotFoundException", "Service not found."))
    }
}
