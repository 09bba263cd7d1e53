//! RegisterContainerInstance, DeregisterContainerInstance, DescribeContainerInstances,
//! ListContainerInstances, UpdateContainerInstancesState.

use super::{at_most, parse};
use crate::requests::{
    AttributeShape, DeregisterContainerInstance, DescribeContainerInstances,
    ListContainerInstances, RegisterContainerInstance, ResourceShape,
    UpdateContainerInstancesState, VersionInfoShape,
};
use crate::{Api, ApiError, paginate};
use ecsim_core::cql::{self, InstanceView};
use ecsim_core::engine::InstanceSpec;
use ecsim_core::ids::{ClusterId, InstanceId};
use ecsim_core::instance::{Attributes, InstanceStatus, VersionInfo};
use ecsim_core::resources::{CustomResource, Gpus, ResourceValue, Resources};
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub(super) fn register_container_instance(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let id = register(api, body)?;
    Ok(json!({"containerInstance": api.instance_json(id)}))
}

/// RegisterContainerInstance without its response: the instance registered, or the one already
/// registered under the identity document's EC2 id.
pub(crate) fn register(api: &mut Api, body: &Value) -> Result<InstanceId, ApiError> {
    register_request(api, parse(body)?)
}

/// `register` from the parsed request.
pub(crate) fn register_request(
    api: &mut Api,
    req: RegisterContainerInstance,
) -> Result<InstanceId, ApiError> {
    let cluster = api.cluster(req.cluster.as_deref())?;
    let doc = identity_document(req.instance_identity_document.as_deref())?;
    let ec2_id = doc_field(&doc, "instanceId");
    if let Some(existing) = ec2_id
        .as_deref()
        .and_then(|e| api.engine.world().instance_by_ec2_id(cluster, e))
        && api.engine.world().instance(existing).status != InstanceStatus::Inactive
    {
        return Ok(existing);
    }
    let resources = resources(req.total_resources.as_deref().unwrap_or(&[]))?;
    let instance_type = doc_field(&doc, "instanceType");
    let spec = InstanceSpec {
        cluster,
        ec2_instance_id: ec2_id,
        availability_zone: doc_field(&doc, "availabilityZone"),
        eni_limit: instance_type.as_deref().and_then(api.config.eni_limit_of),
        instance_type,
        resources,
        attributes: attributes(req.attributes.unwrap_or_default())?,
        version_info: version_info(req.version_info.unwrap_or_default()),
    };
    Ok(api.engine.register_instance(spec))
}

fn identity_document(doc: Option<&str>) -> Result<Value, ApiError> {
    match doc {
        None => Ok(json!({})),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            ApiError::invalid(format!("instanceIdentityDocument is not valid JSON: {e}"))
        }),
    }
}

fn doc_field(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_string)
}

fn version_info(v: VersionInfoShape) -> VersionInfo {
    VersionInfo {
        agent_version: v.agent_version,
        agent_hash: v.agent_hash,
        docker_version: v.docker_version,
    }
}

fn attributes(list: Vec<AttributeShape>) -> Result<Attributes, ApiError> {
    let mut out = Attributes::new();
    for a in list {
        if a.name.is_empty() || a.name.len() > 128 {
            return Err(ApiError::invalid(
                "Attribute name must be 1-128 characters.",
            ));
        }
        out.insert(a.name, a.value);
    }
    Ok(out)
}

/// `totalResources` to the model: CPU and MEMORY are required; PORTS default to the agent's set.
fn resources(list: &[ResourceShape]) -> Result<Resources, ApiError> {
    let int = |name: &str| {
        list.iter()
            .find(|r| r.name == name)
            .and_then(|r| r.integer_value)
            .map(i64::from)
    };
    let (Some(cpu), Some(memory)) = (int("CPU"), int("MEMORY")) else {
        return Err(ApiError::invalid(
            "totalResources must include CPU and MEMORY as INTEGER resources.",
        ));
    };
    let mut r = Resources::new(cpu, memory);
    for res in list {
        match res.name.as_str() {
            "CPU" | "MEMORY" => {}
            "PORTS" => r.ports_tcp = port_set(res)?,
            "PORTS_UDP" => r.ports_udp = port_set(res)?,
            "GPU" => r.gpus = Some(gpus(res)),
            _ => r.custom.push(custom(res)?),
        }
    }
    Ok(r)
}

fn port_set(res: &ResourceShape) -> Result<BTreeSet<u16>, ApiError> {
    res.string_set_value
        .iter()
        .flatten()
        .map(|p| {
            p.parse::<u16>().map_err(|_| {
                ApiError::invalid(format!("{}: '{p}' is not a port number.", res.name))
            })
        })
        .collect()
}

fn gpus(res: &ResourceShape) -> Gpus {
    match &res.string_set_value {
        Some(ids) => Gpus::Ids(ids.iter().cloned().collect()),
        None => Gpus::Count(i64::from(res.integer_value.unwrap_or(0))),
    }
}

fn custom(res: &ResourceShape) -> Result<CustomResource, ApiError> {
    let value = match res.kind.as_deref().unwrap_or("INTEGER") {
        "INTEGER" => ResourceValue::Integer(i64::from(res.integer_value.unwrap_or(0))),
        "LONG" => ResourceValue::Long(res.long_value.unwrap_or(0)),
        "DOUBLE" => ResourceValue::Double(res.double_value.unwrap_or(0.0)),
        "STRINGSET" => ResourceValue::StringSet(res.string_set_value.clone().unwrap_or_default()),
        other => {
            return Err(ApiError::invalid(format!(
                "Resource {}: type must be one of INTEGER, LONG, DOUBLE, STRINGSET, got {other}.",
                res.name
            )));
        }
    };
    Ok(CustomResource {
        name: res.name.clone(),
        value,
    })
}

pub(super) fn deregister_container_instance(
    api: &mut Api,
    body: &Value,
) -> Result<Value, ApiError> {
    let req: DeregisterContainerInstance = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let id = api
        .find_instance(cluster, &req.container_instance)
        .ok_or_else(|| ApiError::invalid("The referenced container instance was not found."))?;
    api.engine
        .deregister_instance(id, req.force.unwrap_or(false))?;
    Ok(json!({"containerInstance": api.instance_json(id)}))
}

pub(super) fn describe_container_instances(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DescribeContainerInstances = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    at_most("containerInstances", req.container_instances.len(), 100)?;
    let (found, failures) = resolve_instances(api, cluster, &req.container_instances);
    let list: Vec<Value> = found.iter().map(|i| api.instance_json(*i)).collect();
    Ok(json!({"containerInstances": list, "failures": failures}))
}

/// Resolves references, collecting a MISSING failure for each unknown one.
fn resolve_instances(
    api: &Api,
    cluster: ClusterId,
    refs: &[String],
) -> (Vec<InstanceId>, Vec<Value>) {
    let (mut found, mut failures) = (Vec::new(), Vec::new());
    for r in refs {
        match api.find_instance(cluster, r) {
            Some(id) => found.push(id),
            None => failures.push(json!({"arn": r, "reason": "MISSING"})),
        }
    }
    (found, failures)
}

pub(super) fn list_container_instances(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: ListContainerInstances = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 100, 100)?;
    let status = match req.status.as_deref() {
        None => None,
        Some(s) => Some(InstanceStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "status must be one of ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED, INACTIVE; got {s}."
            ))
        })?),
    };
    let filter = match req.filter.as_deref() {
        Some(f) => Some(cql::parse(f).map_err(|e| ApiError::invalid(format!("filter: {e}")))?),
        None => None,
    };
    let w = api.engine.world();
    let arns: Vec<Value> = w
        .cluster(cluster)
        .instances
        .iter()
        .copied()
        .filter(|i| match status {
            Some(s) => w.instance(*i).status == s,
            None => w.instance(*i).status != InstanceStatus::Inactive,
        })
        .filter(|i| filter.as_ref().is_none_or(|f| f.matches(&api.view(*i))))
        .map(|i| json!(api.instance_arn(i)))
        .collect();
    Ok(paginate::page("containerInstanceArns", arns, offset, size))
}

pub(super) fn update_container_instances_state(
    api: &mut Api,
    body: &Value,
) -> Result<Value, ApiError> {
    let req: UpdateContainerInstancesState = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    at_most("containerInstances", req.container_instances.len(), 10)?;
    let status = match req.status.as_str() {
        "ACTIVE" => InstanceStatus::Active,
        "DRAINING" => InstanceStatus::Draining,
        _ => {
            return Err(ApiError::invalid(
                "Container instance status should be one of [ACTIVE, DRAINING]",
            ));
        }
    };
    let (found, mut failures) = resolve_instances(api, cluster, &req.container_instances);
    let mut updated = Vec::new();
    for id in found {
        match api.engine.update_instance_state(id, status) {
            Ok(()) => updated.push(id),
            Err(e) => failures.push(
                json!({"arn": api.instance_arn(id), "reason": "INACTIVE", "detail": e.message}),
            ),
        }
    }
    let list: Vec<Value> = updated.iter().map(|i| api.instance_json(*i)).collect();
    Ok(json!({"containerInstances": list, "failures": failures}))
}

impl Api {
    /// An instance seen by the Cluster Query Language.
    pub fn view(&self, instance: InstanceId) -> InstanceView<'_> {
        InstanceView {
            world: self.engine.world(),
            instance,
            epoch_unix_ms: self.config.epoch_unix_ms,
        }
    }
}
