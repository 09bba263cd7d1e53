//! RegisterTaskDefinition validation (§4.2, §4.4, §7.2): the request to a `TaskDefSpec`, or the
//! ClientException ECS would raise.

use crate::ApiError;
use crate::ops::clusters::valid_name;
use crate::requests::{ContainerDefinitionShape, PortMappingShape, RegisterTaskDefinition};
use ecsim_core::cql;
use ecsim_core::engine::TaskDefSpec;
use ecsim_core::taskdef::{ContainerDef, NetworkMode, PortMapping, Protocol};
use serde_json::Value;

const CPU_ERROR: &str = "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";
const MEMORY_ERROR: &str = "Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";

pub(super) fn task_def_spec(req: &RegisterTaskDefinition) -> Result<TaskDefSpec, ApiError> {
    let family = req.family.as_deref().unwrap_or_default();
    if !valid_name(family) {
        return Err(ApiError::client(
            "Family must be 1-255 letters, numbers, hyphens and underscores.",
        ));
    }
    let network_mode = match req.network_mode.as_deref() {
        None => NetworkMode::Bridge,
        Some(m) => NetworkMode::parse(m).ok_or_else(|| {
            ApiError::client(format!(
                "networkMode must be one of bridge, host, awsvpc, none; got {m}."
            ))
        })?,
    };
    let cpu = req.cpu.as_ref().map(task_cpu).transpose()?;
    let memory_mib = req.memory.as_ref().map(task_memory).transpose()?;
    let containers = containers(req, network_mode, memory_mib.is_some())?;
    check_totals(&containers, cpu, memory_mib)?;
    let member_of = member_of(req)?;
    let requires_attributes = match network_mode {
        NetworkMode::Awsvpc => vec!["ecs.capability.task-eni".to_string()],
        _ => Vec::new(),
    };
    Ok(TaskDefSpec {
        family: family.to_string(),
        network_mode,
        cpu,
        memory_mib,
        containers,
        requires_attributes,
        member_of,
    })
}

/// Task-level cpu: a number of units, a numeric string, or "N vCPU" (1 vCPU = 1024 units).
pub fn task_cpu(v: &Value) -> Result<i64, ApiError> {
    let units = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_with_unit(s, "vcpu", 1024),
        _ => None,
    };
    units
        .filter(|u| (128..=196_608).contains(u))
        .ok_or_else(|| ApiError::client(CPU_ERROR))
}

/// Task-level memory: MiB as a number or numeric string, or "N GB" (1 GB = 1024 MiB).
pub fn task_memory(v: &Value) -> Result<i64, ApiError> {
    let mib = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_with_unit(s, "gb", 1024),
        _ => None,
    };
    mib.filter(|m| *m > 0)
        .ok_or_else(|| ApiError::client(MEMORY_ERROR))
}

fn parse_with_unit(s: &str, unit: &str, factor: i64) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    match t.strip_suffix(unit) {
        Some(n) => {
            let x: f64 = n.trim().parse().ok()?;
            let scaled = x * factor as f64;
            (scaled.is_finite() && scaled.fract() == 0.0).then_some(scaled as i64)
        }
        None => t.parse().ok(),
    }
}

fn containers(
    req: &RegisterTaskDefinition,
    mode: NetworkMode,
    task_memory: bool,
) -> Result<Vec<ContainerDef>, ApiError> {
    let shapes = req.container_definitions.as_deref().unwrap_or_default();
    if shapes.is_empty() {
        return Err(ApiError::client("Container list cannot be empty."));
    }
    if shapes.len() > 10 {
        return Err(ApiError::client(
            "Too many containers: a task definition can have at most 10.",
        ));
    }
    let mut out: Vec<ContainerDef> = Vec::new();
    for c in shapes {
        let def = container(c, mode, task_memory)?;
        if out.iter().any(|o| o.name == def.name) {
            return Err(ApiError::client(format!(
                "Duplicate container name '{}'.",
                def.name
            )));
        }
        out.push(def);
    }
    if !out.iter().any(|c| c.essential) {
        return Err(ApiError::client(
            "A task definition must have at least one essential container.",
        ));
    }
    Ok(out)
}

fn container(
    c: &ContainerDefinitionShape,
    mode: NetworkMode,
    task_memory: bool,
) -> Result<ContainerDef, ApiError> {
    let name = c.name.as_deref().unwrap_or_default();
    if !valid_name(name) {
        return Err(ApiError::client(
            "Container name must be 1-255 letters, numbers, hyphens and underscores.",
        ));
    }
    if c.image.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::client(
            "Container.image should not be null or empty.",
        ));
    }
    let bad =
        |what: &str| ApiError::client(format!("Invalid setting for container '{name}'. {what}"));
    if !task_memory && c.memory.is_none() && c.memory_reservation.is_none() {
        return Err(bad(
            "At least one of 'memory' or 'memoryReservation' must be specified.",
        ));
    }
    if let (Some(m), Some(r)) = (c.memory, c.memory_reservation)
        && m <= r
    {
        return Err(bad("'memory' must be greater than 'memoryReservation'."));
    }
    if c.cpu.is_some_and(|v| v < 0)
        || c.memory.is_some_and(|v| v <= 0)
        || c.memory_reservation.is_some_and(|v| v <= 0)
    {
        return Err(bad(
            "'cpu' must not be negative and 'memory'/'memoryReservation' must be positive.",
        ));
    }
    Ok(ContainerDef {
        name: name.into(),
        cpu: i64::from(c.cpu.unwrap_or(0)),
        memory_mib: c.memory.map(i64::from),
        memory_reservation_mib: c.memory_reservation.map(i64::from),
        essential: c.essential.unwrap_or(true),
        port_mappings: port_mappings(name, c.port_mappings.as_deref().unwrap_or_default(), mode)?,
        gpus: gpus(name, c)?,
        stop_timeout_s: c.stop_timeout.map(|s| s.max(0) as u64),
    })
}

fn gpus(name: &str, c: &ContainerDefinitionShape) -> Result<i64, ApiError> {
    let mut total = 0;
    for r in c
        .resource_requirements
        .iter()
        .flatten()
        .filter(|r| r.kind == "GPU")
    {
        total += r.value.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::client(format!(
                "Invalid setting for container '{name}'. GPU resource requirement must be a positive integer, got '{}'.",
                r.value
            ))
        })?;
    }
    Ok(total)
}

fn port_mappings(
    name: &str,
    maps: &[PortMappingShape],
    mode: NetworkMode,
) -> Result<Vec<PortMapping>, ApiError> {
    if mode == NetworkMode::None && !maps.is_empty() {
        return Err(ApiError::client(
            "Port mappings are not allowed when networkMode is none.",
        ));
    }
    let mut out: Vec<PortMapping> = Vec::new();
    for pm in maps {
        let port = |v: Option<i32>, what: &str| -> Result<Option<u16>, ApiError> {
            v.map(|p| {
                u16::try_from(p).map_err(|_| {
                    ApiError::client(format!(
                        "Invalid {what} {p} in container '{name}': ports are 0-65535."
                    ))
                })
            })
            .transpose()
        };
        let Some(container_port) = port(pm.container_port, "containerPort")? else {
            if pm.container_port_range.is_some() {
                continue;
            }
            return Err(ApiError::client(format!(
                "Container '{name}': a port mapping needs containerPort."
            )));
        };
        let host_port = port(pm.host_port, "hostPort")?;
        let same_or_blank = host_port.is_none_or(|h| h == container_port);
        if matches!(mode, NetworkMode::Awsvpc | NetworkMode::Host) && !same_or_blank {
            return Err(ApiError::client(format!(
                "When networkMode={}, the host ports and container ports in port mappings must match.",
                mode.as_str()
            )));
        }
        let protocol = match pm.protocol.as_deref().unwrap_or("tcp") {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            other => {
                return Err(ApiError::client(format!(
                    "Invalid protocol '{other}': must be tcp or udp."
                )));
            }
        };
        if out
            .iter()
            .any(|o| o.container_port == container_port && o.protocol != protocol)
        {
            return Err(ApiError::client(format!(
                "Container '{name}' exposes port {container_port} for multiple protocols."
            )));
        }
        out.push(PortMapping {
            container_port,
            host_port,
            protocol,
        });
    }
    Ok(out)
}

fn check_totals(
    containers: &[ContainerDef],
    cpu: Option<i64>,
    memory: Option<i64>,
) -> Result<(), ApiError> {
    let cpu_sum: i64 = containers.iter().map(|c| c.cpu).sum();
    if cpu.is_some_and(|t| cpu_sum > t) {
        return Err(ApiError::client(format!(
            "The container cpu total ({cpu_sum}) is greater than the task cpu ({}).",
            cpu.unwrap_or_default()
        )));
    }
    let mem_sum: i64 = containers
        .iter()
        .map(|c| c.memory_reservation_mib.or(c.memory_mib).unwrap_or(0))
        .sum();
    if memory.is_some_and(|t| mem_sum > t) {
        return Err(ApiError::client(format!(
            "The container memory total ({mem_sum} MiB) is greater than the task memory ({} MiB).",
            memory.unwrap_or_default()
        )));
    }
    Ok(())
}

fn member_of(req: &RegisterTaskDefinition) -> Result<Vec<cql::Expr>, ApiError> {
    let list = req.placement_constraints.as_deref().unwrap_or_default();
    if list.len() > 10 {
        return Err(ApiError::client(
            "A task definition can have at most 10 placement constraints.",
        ));
    }
    let mut out = Vec::new();
    for c in list {
        match c.kind.as_deref() {
            Some("memberOf") => {}
            Some("distinctInstance") => {
                return Err(ApiError::client(
                    "The constraint type 'distinctInstance' is not supported in task definitions.",
                ));
            }
            other => {
                return Err(ApiError::client(format!(
                    "Placement constraint type must be memberOf, got {}.",
                    other.unwrap_or("nothing")
                )));
            }
        }
        let expr = c.expression.as_deref().unwrap_or_default();
        out.push(
            cql::parse(expr).map_err(|e| ApiError::client(format!("memberOf expression: {e}")))?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cpu_and_memory_strings() {
        assert_eq!(task_cpu(&json!("1 vCPU")).unwrap(), 1024);
        assert_eq!(task_cpu(&json!("0.25 vcpu")).unwrap(), 256);
        assert_eq!(task_cpu(&json!("512")).unwrap(), 512);
        assert_eq!(task_cpu(&json!(2048)).unwrap(), 2048);
        assert_eq!(task_cpu(&json!("64")).unwrap_err().message, CPU_ERROR);
        assert!(task_cpu(&json!("lots")).is_err());
        assert_eq!(task_memory(&json!("1GB")).unwrap(), 1024);
        assert_eq!(task_memory(&json!("0.5 GB")).unwrap(), 512);
        assert_eq!(task_memory(&json!("3072")).unwrap(), 3072);
        assert!(task_memory(&json!("0")).is_err());
    }
}
