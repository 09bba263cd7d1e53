//! PutAttributes, DeleteAttributes, ListAttributes (§2.3): custom attributes on container
//! instances, usable by memberOf and spread as soon as they are put.
//!
//! A call is validated whole before anything changes: names of 1-128 letters, digits, `-_./\`;
//! values of 1-128 letters, digits, `-_.@/\:` and spaces without leading or trailing whitespace;
//! at most 10 attributes a call and 10 custom attributes a resource.

use super::{at_most, parse};
use crate::requests::{AttributeShape, DeleteAttributes, ListAttributes, PutAttributes};
use crate::{Api, ApiError, paginate};
use ecsim_core::ids::{ClusterId, InstanceId};
use ecsim_core::instance::{MAX_CUSTOM_ATTRIBUTES, is_builtin_attribute};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const TARGET_TYPE: &str = "container-instance";

pub(super) fn put_attributes(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: PutAttributes = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    at_most("attributes", req.attributes.len(), 10)?;
    let targets = resolve(api, cluster, &req.attributes, true)?;
    check_limit(api, &req.attributes, &targets)?;
    for (a, id) in req.attributes.iter().zip(&targets) {
        api.engine.put_attribute(*id, &a.name, a.value.clone());
    }
    Ok(json!({"attributes": echo(&req.attributes)}))
}

pub(super) fn delete_attributes(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DeleteAttributes = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    at_most("attributes", req.attributes.len(), 10)?;
    let targets = resolve(api, cluster, &req.attributes, false)?;
    for (a, id) in req.attributes.iter().zip(&targets) {
        api.engine.delete_attribute(*id, &a.name);
    }
    Ok(json!({"attributes": echo(&req.attributes)}))
}

/// The target instance of each attribute, after checking names, values and target types.
fn resolve(
    api: &Api,
    cluster: ClusterId,
    attrs: &[AttributeShape],
    check_value: bool,
) -> Result<Vec<InstanceId>, ApiError> {
    attrs
        .iter()
        .map(|a| {
            check_name(&a.name)?;
            if check_value && let Some(v) = &a.value {
                check_value_text(v)?;
            }
            if a.target_type.as_deref().is_some_and(|t| t != TARGET_TYPE) {
                return Err(ApiError::invalid(format!(
                    "targetType must be {TARGET_TYPE}."
                )));
            }
            let target = a
                .target_id
                .as_deref()
                .ok_or_else(|| ApiError::invalid("targetId is required."))?;
            api.find_instance(cluster, target).ok_or_else(|| {
                ApiError::new(
                    "TargetNotFoundException",
                    format!("Could not find {target}"),
                )
            })
        })
        .collect()
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_./\\".contains(c);
    if (1..=128).contains(&name.chars().count()) && name.chars().all(ok_char) {
        return Ok(());
    }
    Err(ApiError::invalid(format!(
        "Attribute name '{name}' is not valid: 1-128 letters, numbers, hyphens, underscores, periods, forward and back slashes."
    )))
}

fn check_value_text(value: &str) -> Result<(), ApiError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_.@/\\: ".contains(c);
    let trimmed = value.trim() == value;
    if (1..=128).contains(&value.chars().count()) && value.chars().all(ok_char) && trimmed {
        return Ok(());
    }
    Err(ApiError::invalid(format!(
        "Attribute value '{value}' is not valid: 1-128 letters, numbers, hyphens, underscores, periods, at signs, slashes, colons and spaces, without leading or trailing whitespace."
    )))
}

/// No instance may end up with more than 10 custom attributes.
fn check_limit(
    api: &Api,
    attrs: &[AttributeShape],
    targets: &[InstanceId],
) -> Result<(), ApiError> {
    let w = api.engine.world();
    for id in targets.iter().collect::<BTreeSet<_>>() {
        let inst = w.instance(*id);
        let new: BTreeSet<&str> = attrs
            .iter()
            .zip(targets)
            .filter(|(a, t)| {
                *t == id && !is_builtin_attribute(&a.name) && !inst.attributes.contains_key(&a.name)
            })
            .map(|(a, _)| a.name.as_str())
            .collect();
        if inst.custom_attribute_count() + new.len() > MAX_CUSTOM_ATTRIBUTES {
            return Err(ApiError::new(
                "AttributeLimitExceededException",
                "You can apply up to 10 custom attributes for each resource.",
            ));
        }
    }
    Ok(())
}

fn echo(attrs: &[AttributeShape]) -> Vec<Value> {
    attrs.iter().map(attribute_json).collect()
}

fn attribute_json(a: &AttributeShape) -> Value {
    let mut o = json!({"name": a.name, "targetType": TARGET_TYPE});
    if let Some(v) = &a.value {
        o["value"] = json!(v);
    }
    if let Some(t) = &a.target_id {
        o["targetId"] = json!(t);
    }
    o
}

pub(super) fn list_attributes(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: ListAttributes = parse(body)?;
    let cluster = api.cluster(req.cluster.as_deref())?;
    if req.target_type.as_deref() != Some(TARGET_TYPE) {
        return Err(ApiError::invalid(format!(
            "targetType is required and must be {TARGET_TYPE}."
        )));
    }
    if req.attribute_value.is_some() && req.attribute_name.is_none() {
        return Err(ApiError::invalid(
            "attributeValue can only be given with attributeName.",
        ));
    }
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 100, 100)?;
    let w = api.engine.world();
    let mut out = Vec::new();
    for id in w.registered_instances(cluster) {
        let arn = api.instance_arn(id);
        for (name, value) in &w.instance(id).attributes {
            let name_ok = req.attribute_name.as_ref().is_none_or(|n| n == name);
            let value_ok = req.attribute_value.is_none() || req.attribute_value == *value;
            if name_ok && value_ok {
                let shape = AttributeShape {
                    name: name.clone(),
                    value: value.clone(),
                    target_type: None,
                    target_id: Some(arn.clone()),
                };
                out.push(attribute_json(&shape));
            }
        }
    }
    Ok(paginate::page("attributes", out, offset, size))
}
