//! Timeline entries and expectations: `at`, one operation or simulator event, and the optional
//! `match`, `expectError` and `save`.

use crate::duration::duration_ms;
use crate::error::ScenarioError;
use crate::fleet;
use crate::model::{
    Action, CrashSpec, CrashTarget, Entry, Expectation, SelectBy, Selector, SimEvent, StopSpec,
    StopTarget,
};
use crate::node::{Located, Node};
use crate::reader::{MapReader, strings};
use crate::request;
use ecsim_api::requests::{OPERATIONS, is_read_only};

const SIM_EVENTS: [&str; 8] = [
    "stop_tasks",
    "fail_instances",
    "disconnect_agents",
    "reconnect_agents",
    "drain_instances",
    "activate_instances",
    "crash_tasks",
    "add_instances",
];
const ENTRY_KEYS: [&str; 4] = ["at", "match", "expectError", "save"];

fn all_entry_keys() -> Vec<&'static str> {
    ENTRY_KEYS
        .iter()
        .chain(OPERATIONS.iter())
        .chain(SIM_EVENTS.iter())
        .copied()
        .collect()
}

/// The single operation key of an entry, with its node.
fn operation<'a>(
    m: &MapReader<'a>,
) -> Result<(&'a Located<String>, &'a Located<Node>), ScenarioError> {
    let ops: Vec<_> = m
        .keys()
        .filter(|k| !ENTRY_KEYS.contains(&k.value.as_str()))
        .collect();
    match ops.as_slice() {
        [one] => Ok((one, m.get(&one.value).unwrap_or(m.node))),
        [] => Err(ScenarioError::new(
            m.file,
            m.node.loc,
            &m.path,
            "the entry names no operation",
        )),
        [_, second, ..] => Err(ScenarioError::new(
            m.file,
            second.loc,
            &m.child(&second.value),
            format!(
                "an entry has exactly one operation; this one also has `{}`",
                second.value
            ),
        )),
    }
}

fn supported(file: &str, path: &str, key: &Located<String>) -> Result<(), ScenarioError> {
    if ecsim_api::is_supported(&key.value) || SIM_EVENTS.contains(&key.value.as_str()) {
        return Ok(());
    }
    Err(ScenarioError::new(
        file,
        key.loc,
        path,
        format!(
            "`{}` is an ECS operation that this version of ecsim does not simulate yet",
            key.value
        ),
    ))
}

pub fn parse_entry(file: &str, path: &str, node: &Located<Node>) -> Result<Entry, ScenarioError> {
    let keys = all_entry_keys();
    let m = MapReader::new(file, path, node, &keys)?;
    let at_ms = duration_ms(file, &m.child("at"), m.required("at")?)?;
    let (key, body) = operation(&m)?;
    let op_path = m.child(&key.value);
    supported(file, &op_path, key)?;
    let action = if SIM_EVENTS.contains(&key.value.as_str()) {
        Action::Sim(sim_event(file, &op_path, &key.value, body)?)
    } else {
        Action::Api {
            op: key.value.clone(),
            body: request::body(file, &op_path, &key.value, body)?,
        }
    };
    let save = m.str("save")?;
    if let (Some(name), Some(n)) = (&save, m.get("save"))
        && (name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        return Err(ScenarioError::new(
            file,
            n.loc,
            &m.child("save"),
            "a save name is letters, digits, - and _",
        ));
    }
    Ok(Entry {
        at_ms,
        action,
        matcher: m.get("match").map(|n| n.value.to_json()),
        expect_error: m.str("expectError")?,
        save,
        loc: node.loc,
    })
}

pub fn parse_expectation(
    file: &str,
    path: &str,
    node: &Located<Node>,
) -> Result<Expectation, ScenarioError> {
    let mut keys: Vec<&str> = vec!["at", "match"];
    keys.extend(OPERATIONS.iter().filter(|o| is_read_only(o)));
    let m = MapReader::new(file, path, node, &keys)?;
    let at_ms = duration_ms(file, &m.child("at"), m.required("at")?)?;
    let (key, body) =
        operation(&m).map_err(
            |e| match m.keys().find(|k| !keys.contains(&k.value.as_str())) {
                Some(_) => e,
                None => ScenarioError::new(
                    file,
                    node.loc,
                    path,
                    "an expectation names one read operation (describe_* or list_*)",
                ),
            },
        )?;
    let op_path = m.child(&key.value);
    supported(file, &op_path, key)?;
    Ok(Expectation {
        at_ms,
        op: key.value.clone(),
        body: request::body(file, &op_path, &key.value, body)?,
        matcher: m.required("match")?.value.to_json(),
        loc: node.loc,
    })
}

fn sim_event(
    file: &str,
    path: &str,
    name: &str,
    node: &Located<Node>,
) -> Result<SimEvent, ScenarioError> {
    Ok(match name {
        "fail_instances" => SimEvent::FailInstances(selector(file, path, node)?),
        "disconnect_agents" => SimEvent::DisconnectAgents(selector(file, path, node)?),
        "reconnect_agents" => SimEvent::ReconnectAgents(selector(file, path, node)?),
        "drain_instances" => SimEvent::DrainInstances(selector(file, path, node)?),
        "activate_instances" => SimEvent::ActivateInstances(selector(file, path, node)?),
        "crash_tasks" => SimEvent::CrashTasks(crash(file, path, node)?),
        "stop_tasks" => SimEvent::StopTasks(stop(file, path, node)?),
        _ => SimEvent::AddInstances(Box::new(fleet::parse_entry(file, path, node)?)),
    })
}

fn selector(file: &str, path: &str, node: &Located<Node>) -> Result<Selector, ScenarioError> {
    let keys = [
        "cluster",
        "containerInstances",
        "ec2InstanceIds",
        "filter",
        "count",
        "for",
    ];
    let m = MapReader::new(file, path, node, &keys)?;
    let given: Vec<&str> = ["containerInstances", "ec2InstanceIds", "filter"]
        .into_iter()
        .filter(|k| m.get(k).is_some())
        .collect();
    let count = m.u64("count")?;
    let by = match (given.as_slice(), count) {
        (["containerInstances"], _) => SelectBy::Instances(strings(
            file,
            &m.child("containerInstances"),
            m.get("containerInstances").unwrap_or(node),
        )?),
        (["ec2InstanceIds"], _) => SelectBy::Ec2Ids(strings(
            file,
            &m.child("ec2InstanceIds"),
            m.get("ec2InstanceIds").unwrap_or(node),
        )?),
        (["filter"], _) => SelectBy::Filter(filter(file, &m, node)?),
        ([], Some(_)) => SelectBy::All,
        _ => {
            return Err(ScenarioError::new(
                file,
                node.loc,
                path,
                "give exactly one of containerInstances, ec2InstanceIds or filter (or only `count`, to pick among all instances)",
            ));
        }
    };
    let for_ms = m
        .get("for")
        .map(|n| crate::duration::duration_ms(file, &m.child("for"), n))
        .transpose()?;
    Ok(Selector {
        cluster: m.str("cluster")?.unwrap_or_else(|| "default".into()),
        by,
        count,
        for_ms,
    })
}

fn filter(file: &str, m: &MapReader<'_>, node: &Located<Node>) -> Result<String, ScenarioError> {
    let f = m.str("filter")?.unwrap_or_default();
    if let Err(e) = ecsim_core::cql::parse(&f) {
        let loc = m.get("filter").map_or(node.loc, |n| n.loc);
        return Err(ScenarioError::new(
            file,
            loc,
            &m.child("filter"),
            format!("bad filter: {e}"),
        ));
    }
    Ok(f)
}

fn stop(file: &str, path: &str, node: &Located<Node>) -> Result<StopSpec, ScenarioError> {
    let m = MapReader::new(
        file,
        path,
        node,
        &["cluster", "group", "startedBy", "reason"],
    )?;
    let target = match (m.str("group")?, m.str("startedBy")?) {
        (Some(g), None) => StopTarget::Group(g),
        (None, Some(s)) => StopTarget::StartedBy(s),
        _ => {
            return Err(ScenarioError::new(
                file,
                node.loc,
                path,
                "give exactly one of group or startedBy",
            ));
        }
    };
    Ok(StopSpec {
        cluster: m.str("cluster")?.unwrap_or_else(|| "default".into()),
        target,
        reason: m.str("reason")?,
    })
}

fn crash(file: &str, path: &str, node: &Located<Node>) -> Result<CrashSpec, ScenarioError> {
    let m = MapReader::new(
        file,
        path,
        node,
        &[
            "cluster", "service", "family", "group", "tasks", "count", "exitCode",
        ],
    )?;
    let given = ["service", "family", "group", "tasks"]
        .iter()
        .filter(|k| m.get(k).is_some())
        .count();
    let target = match (
        m.str("service")?,
        m.str("family")?,
        m.str("group")?,
        m.get("tasks"),
    ) {
        _ if given != 1 => None,
        (Some(s), ..) => Some(CrashTarget::Service(s)),
        (_, Some(f), ..) => Some(CrashTarget::Family(f)),
        (_, _, Some(g), _) => Some(CrashTarget::Group(g)),
        (_, _, _, Some(t)) => Some(CrashTarget::Tasks(strings(file, &m.child("tasks"), t)?)),
        _ => None,
    };
    let target = match target {
        Some(t) => t,
        _ => {
            return Err(ScenarioError::new(
                file,
                node.loc,
                path,
                "give exactly one of service, family, group or tasks",
            ));
        }
    };
    let exit_code = match m.get("exitCode") {
        Some(n) => match n.value {
            Node::Int(i) => i,
            _ => {
                return Err(ScenarioError::new(
                    file,
                    n.loc,
                    &m.child("exitCode"),
                    "exitCode must be an integer",
                ));
            }
        },
        None => 1,
    };
    Ok(CrashSpec {
        cluster: m.str("cluster")?.unwrap_or_else(|| "default".into()),
        target,
        count: m.u64("count")?.unwrap_or(1),
        exit_code,
    })
}
