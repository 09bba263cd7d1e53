//! RegisterTaskDefinition, DeregisterTaskDefinition, DescribeTaskDefinition,
//! ListTaskDefinitions, ListTaskDefinitionFamilies.

pub(crate) mod validate;

use super::parse;
use crate::requests::{
    DeregisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitionFamilies,
    ListTaskDefinitions, RegisterTaskDefinition,
};
use crate::{Api, ApiError, arn, paginate};
use ecsim_core::ids::TaskDefId;
use ecsim_core::taskdef::TaskDefStatus;
use serde_json::{Map, Value, json};

/// Fields of a described task definition that a registration ignores (they are recomputed).
const READ_ONLY: [&str; 8] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

pub(super) fn register_task_definition(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: RegisterTaskDefinition = parse(body)?;
    let spec = validate::task_def_spec(&req)?;
    let (cpu, memory) = (spec.cpu, spec.memory_mib);
    let id = api.engine.register_task_def(spec);
    let stored = stored_json(
        body,
        cpu,
        memory,
        api.engine.world().task_def(id).network_mode.as_str(),
    );
    api.task_def_json.insert(id, stored);
    Ok(
        json!({"taskDefinition": api.task_def_json(id), "tags": body.get("tags").cloned().unwrap_or(json!([]))}),
    )
}

/// The registration body as kept: read-only fields dropped, cpu and memory as ECS strings,
/// container defaults filled in.
fn stored_json(body: &Value, cpu: Option<i64>, memory: Option<i64>, mode: &str) -> Value {
    let mut o: Map<String, Value> = body.as_object().cloned().unwrap_or_default();
    READ_ONLY.iter().for_each(|k| {
        o.remove(*k);
    });
    o.remove("tags");
    if let Some(c) = cpu {
        o.insert("cpu".into(), json!(c.to_string()));
    }
    if let Some(m) = memory {
        o.insert("memory".into(), json!(m.to_string()));
    }
    if let Some(Value::Array(containers)) = o.get_mut("containerDefinitions") {
        containers
            .iter_mut()
            .for_each(|c| fill_container_defaults(c, mode));
    }
    Value::Object(o)
}

fn fill_container_defaults(c: &mut Value, mode: &str) {
    let Some(c) = c.as_object_mut() else { return };
    c.entry("essential").or_insert(json!(true));
    let Some(Value::Array(maps)) = c.get_mut("portMappings") else {
        return;
    };
    for pm in maps.iter_mut().filter_map(Value::as_object_mut) {
        pm.entry("protocol").or_insert(json!("tcp"));
        if (mode == "awsvpc" || mode == "host")
            && let Some(cp) = pm.get("containerPort").cloned()
        {
            pm.entry("hostPort").or_insert(cp);
        }
    }
}

impl Api {
    /// The DescribeTaskDefinition shape of a revision.
    pub fn task_def_json(&self, id: TaskDefId) -> Value {
        let td = self.engine.world().task_def(id);
        let mut o = Map::new();
        o.insert(
            "taskDefinitionArn".into(),
            json!(self.arns().task_definition(&td.family, td.revision)),
        );
        if let Some(Value::Object(body)) = self.task_def_json.get(&id) {
            o.extend(body.clone());
        }
        o.insert("family".into(), json!(td.family));
        o.insert("revision".into(), json!(td.revision));
        o.insert("status".into(), json!(td.status.as_str()));
        let req: Vec<Value> = td
            .requires_attributes
            .iter()
            .map(|a| json!({"name": a}))
            .collect();
        o.insert("requiresAttributes".into(), Value::Array(req));
        o.insert("compatibilities".into(), json!(["EC2"]));
        o.insert("registeredAt".into(), json!(self.date(td.registered_at)));
        if let Some(at) = td.deregistered_at {
            o.insert("deregisteredAt".into(), json!(self.date(at)));
        }
        Value::Object(o)
    }
}

pub(super) fn deregister_task_definition(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DeregisterTaskDefinition = parse(body)?;
    if arn::task_definition_ref(&req.task_definition).1.is_none() {
        return Err(ApiError::client("Revision is missing."));
    }
    let id = api
        .find_task_def(&req.task_definition)
        .ok_or_else(|| ApiError::client("The specified task definition does not exist."))?;
    api.engine.deregister_task_def(id);
    Ok(json!({"taskDefinition": api.task_def_json(id)}))
}

pub(super) fn describe_task_definition(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DescribeTaskDefinition = parse(body)?;
    let id = api
        .find_task_def(&req.task_definition)
        .ok_or_else(|| ApiError::client("Unable to describe task definition."))?;
    Ok(json!({"taskDefinition": api.task_def_json(id), "tags": []}))
}

pub(super) fn list_task_definitions(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: ListTaskDefinitions = parse(body)?;
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 100, 100)?;
    let status = match req.status.as_deref().unwrap_or("ACTIVE") {
        "ACTIVE" => Some(TaskDefStatus::Active),
        "INACTIVE" => Some(TaskDefStatus::Inactive),
        "DELETE_IN_PROGRESS" => None,
        other => {
            return Err(ApiError::invalid(format!(
                "status must be one of ACTIVE, INACTIVE, DELETE_IN_PROGRESS; got {other}."
            )));
        }
    };
    let descending = match req.sort.as_deref().unwrap_or("ASC") {
        "ASC" => false,
        "DESC" => true,
        other => {
            return Err(ApiError::invalid(format!(
                "sort must be ASC or DESC; got {other}."
            )));
        }
    };
    let w = api.engine.world();
    let mut arns: Vec<Value> = w
        .families()
        .filter(|(f, _)| req.family_prefix.as_deref().is_none_or(|p| p == *f))
        .flat_map(|(_, revs)| revs.iter())
        .map(|id| w.task_def(*id))
        .filter(|td| Some(td.status) == status)
        .map(|td| json!(api.arns().task_definition(&td.family, td.revision)))
        .collect();
    if descending {
        arns.reverse();
    }
    Ok(paginate::page("taskDefinitionArns", arns, offset, size))
}

pub(super) fn list_task_definition_families(
    api: &mut Api,
    body: &Value,
) -> Result<Value, ApiError> {
    let req: ListTaskDefinitionFamilies = parse(body)?;
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 100, 100)?;
    let wanted = req.status.as_deref().unwrap_or("ALL");
    if !["ACTIVE", "INACTIVE", "ALL"].contains(&wanted) {
        return Err(ApiError::invalid(format!(
            "status must be one of ACTIVE, INACTIVE, ALL; got {wanted}."
        )));
    }
    let w = api.engine.world();
    let families: Vec<Value> = w
        .families()
        .filter(|(f, _)| {
            req.family_prefix
                .as_deref()
                .is_none_or(|p| f.starts_with(p))
        })
        .filter(|(_, revs)| {
            let active = revs
                .iter()
                .any(|id| w.task_def(*id).status == TaskDefStatus::Active);
            match wanted {
                "ACTIVE" => active,
                "INACTIVE" => !active,
                _ => true,
            }
        })
        .map(|(f, _)| json!(f))
        .collect();
    Ok(paginate::page("families", families, offset, size))
}
