//! Scenario text to a validated `Scenario`: the top-level keys of the contract, each checked
//! with its location. Nothing runs until the whole scenario is valid.

use crate::duration::{delay_range, duration_ms};
use crate::error::{Loc, ScenarioError};
use crate::model::{Request, Scenario};
use crate::node::{Located, Node, parse_document};
use crate::reader::{MapReader, seq, string};
use crate::{fleet, request, timeline};
use ecsim_core::time::SimDuration;
use ecsim_core::timing::Timing;
use std::collections::BTreeMap;
use std::sync::Arc;

const TOP_KEYS: [&str; 17] = [
    "sampleEvery",
    "name",
    "description",
    "seed",
    "region",
    "accountId",
    "until",
    "epoch",
    "timing",
    "clusters",
    "subnets",
    "containerInstances",
    "taskDefinitions",
    "services",
    "timeline",
    "expect",
    "invariants",
];

const DEFAULT_EPOCH: &str = "2025-01-01T00:00:00Z";

/// Reads the file a `file:` reference names (relative to the scenario), or says why it cannot.
pub type FileLoader<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Parses and validates scenario `text`; `file` names it in errors.
pub fn load(text: &str, file: &str, files: FileLoader<'_>) -> Result<Scenario, ScenarioError> {
    let doc = Arc::new(parse_document(text, file)?);
    let mut keys = TOP_KEYS.to_vec();
    keys.push("faults");
    let m = MapReader::new(file, "", &doc, &keys)?;
    let name = m
        .str("name")?
        .ok_or_else(|| ScenarioError::new(file, doc.loc, "", "missing required key `name`"))?;
    check_name(file, &m, &name)?;
    let until_ms = m
        .get("until")
        .map(|n| duration_ms(file, "until", n))
        .transpose()?
        .unwrap_or(3_600_000);
    let scenario = Scenario {
        description: m.str("description")?,
        seed: m.u64("seed")?.unwrap_or(0),
        region: m.str("region")?.unwrap_or_else(|| "us-east-1".into()),
        account_id: m.str("accountId")?.unwrap_or_else(|| "123456789012".into()),
        until_ms,
        sample_every_ms: sample_every(file, &m)?,
        epoch_unix_ms: epoch(file, &m)?,
        timing: timing(file, &m)?,
        clusters: m
            .get("clusters")
            .map(|n| crate::reader::strings(file, "clusters", n))
            .transpose()?
            .unwrap_or_default(),
        subnets: subnets(file, &m)?,
        fleet: list(file, &m, "containerInstances", fleet::parse_entry)?,
        task_definitions: task_definitions(file, &m, files)?,
        services: list(file, &m, "services", service)?,
        timeline: list(file, &m, "timeline", timeline::parse_entry)?,
        expectations: list(file, &m, "expect", timeline::parse_expectation)?,
        invariants: list(file, &m, "invariants", crate::invariants::parse)?,
        faults: list(file, &m, "faults", crate::faults::parse)?,
        source: Arc::clone(&doc),
        source_hash: fnv_hex(text),
        name,
    };
    check_times(file, &doc, &scenario)?;
    Ok(scenario)
}

/// `sampleEvery`: a positive duration, default 1m.
fn sample_every(file: &str, m: &MapReader<'_>) -> Result<u64, ScenarioError> {
    let Some(n) = m.get("sampleEvery") else {
        return Ok(60_000);
    };
    match duration_ms(file, "sampleEvery", n)? {
        0 => Err(ScenarioError::new(
            file,
            n.loc,
            "sampleEvery",
            "sampleEvery must be longer than 0",
        )),
        ms => Ok(ms),
    }
}

fn check_name(file: &str, m: &MapReader<'_>, name: &str) -> Result<(), ScenarioError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        return Ok(());
    }
    let loc = m.get("name").map_or(Loc::default(), |n| n.loc);
    Err(ScenarioError::new(
        file,
        loc,
        "name",
        "name must be letters, digits, - and _",
    ))
}

fn epoch(file: &str, m: &MapReader<'_>) -> Result<i64, ScenarioError> {
    let text = m.str("epoch")?.unwrap_or_else(|| DEFAULT_EPOCH.into());
    ecsim_api::clock::parse_iso8601(&text).ok_or_else(|| {
        let loc = m.get("epoch").map_or(Loc::default(), |n| n.loc);
        ScenarioError::new(
            file,
            loc,
            "epoch",
            format!("`{text}` is not an ISO 8601 date such as {DEFAULT_EPOCH}"),
        )
    })
}

fn timing(file: &str, m: &MapReader<'_>) -> Result<Timing, ScenarioError> {
    let mut t = Timing::default();
    let Some(node) = m.get("timing") else {
        return Ok(t);
    };
    let keys = [
        "provisioning",
        "pending",
        "healthy",
        "stopping",
        "stopTimeout",
        "schedulerDelay",
        "agentUpdate",
    ];
    let tm = MapReader::new(file, "timing", node, &keys)?;
    let range = |k: &str| {
        tm.get(k)
            .map(|n| delay_range(file, &tm.child(k), n))
            .transpose()
    };
    t.provisioning = range("provisioning")?.unwrap_or(t.provisioning);
    t.pending = range("pending")?.unwrap_or(t.pending);
    t.healthy = range("healthy")?.unwrap_or(t.healthy);
    t.stopping = range("stopping")?.unwrap_or(t.stopping);
    t.scheduler_delay = range("schedulerDelay")?.unwrap_or(t.scheduler_delay);
    t.agent_update = range("agentUpdate")?.unwrap_or(t.agent_update);
    if let Some(n) = tm.get("stopTimeout") {
        t.stop_timeout = SimDuration(duration_ms(file, "timing.stopTimeout", n)?);
    }
    Ok(t)
}

fn subnets(file: &str, m: &MapReader<'_>) -> Result<BTreeMap<String, String>, ScenarioError> {
    let Some(node) = m.get("subnets") else {
        return Ok(BTreeMap::new());
    };
    let Node::Map(entries) = &node.value else {
        return Err(ScenarioError::new(
            file,
            node.loc,
            "subnets",
            "expected a mapping of subnet: availability zone",
        ));
    };
    entries
        .iter()
        .map(|(k, v)| {
            Ok((
                k.value.clone(),
                string(file, &format!("subnets.{}", k.value), v)?,
            ))
        })
        .collect()
}

type Parse<T> = fn(&str, &str, &Located<Node>) -> Result<T, ScenarioError>;

/// A `services` entry: a CreateService request.
fn service(file: &str, path: &str, node: &Located<Node>) -> Result<Request, ScenarioError> {
    Ok(Request {
        op: "create_service".into(),
        body: request::body(file, path, "create_service", node)?,
        file: file.to_string(),
        loc: node.loc,
    })
}

fn list<T>(
    file: &str,
    m: &MapReader<'_>,
    key: &str,
    parse: Parse<T>,
) -> Result<Vec<T>, ScenarioError> {
    let Some(node) = m.get(key) else {
        return Ok(Vec::new());
    };
    seq(file, key, node)?
        .iter()
        .enumerate()
        .map(|(i, item)| parse(file, &format!("{key}[{i}]"), item))
        .collect()
}

/// `taskDefinitions`: request bodies, or `- file: path.json` holding one task definition.
fn task_definitions(
    file: &str,
    m: &MapReader<'_>,
    files: FileLoader<'_>,
) -> Result<Vec<Request>, ScenarioError> {
    let Some(node) = m.get("taskDefinitions") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, item) in seq(file, "taskDefinitions", node)?.iter().enumerate() {
        let path = format!("taskDefinitions[{i}]");
        out.push(match item.key_loc("file") {
            Some(_) => from_file(file, &path, item, files)?,
            None => Request {
                op: "register_task_definition".into(),
                body: request::body(file, &path, "register_task_definition", item)?,
                file: file.to_string(),
                loc: item.loc,
            },
        });
    }
    Ok(out)
}

fn from_file(
    file: &str,
    path: &str,
    item: &Located<Node>,
    files: FileLoader<'_>,
) -> Result<Request, ScenarioError> {
    let m = MapReader::new(file, path, item, &["file"])?;
    let node = m.required("file")?;
    let rel = string(file, &m.child("file"), node)?;
    let text = files(&rel).map_err(|e| {
        ScenarioError::new(
            file,
            node.loc,
            &m.child("file"),
            format!("cannot read `{rel}`: {e}"),
        )
    })?;
    let doc = parse_document(&text, &rel)?;
    let (inner, path) = unwrap_described(&doc);
    let body = request::body(&rel, path, "register_task_definition", inner)?;
    Ok(Request {
        op: "register_task_definition".into(),
        body,
        file: rel,
        loc: inner.loc,
    })
}

/// `aws ecs describe-task-definition` prints `{"taskDefinition": {...}, "tags": [...]}`: a file
/// holding that output is taken as the inner task definition, so it pastes in unchanged.
fn unwrap_described(doc: &Located<Node>) -> (&Located<Node>, &'static str) {
    let Node::Map(entries) = &doc.value else {
        return (doc, "");
    };
    let output_keys = entries
        .iter()
        .all(|(k, _)| k.value == "taskDefinition" || k.value == "tags");
    match entries.iter().find(|(k, _)| k.value == "taskDefinition") {
        Some((_, inner)) if output_keys => (inner, "taskDefinition"),
        _ => (doc, ""),
    }
}

/// Entries and expectations must fall within `until`.
fn check_times(file: &str, doc: &Located<Node>, s: &Scenario) -> Result<(), ScenarioError> {
    let late = |at: u64| at > s.until_ms;
    for (i, e) in s.timeline.iter().enumerate() {
        if late(e.at_ms) {
            let path = format!("timeline[{i}].at");
            return Err(ScenarioError::new(
                file,
                doc.locate(&path),
                &path,
                format!(
                    "this entry is at {} but the run ends at `until` = {}",
                    SimDuration(e.at_ms),
                    SimDuration(s.until_ms)
                ),
            ));
        }
    }
    for (i, e) in s.expectations.iter().enumerate() {
        if late(e.at_ms) {
            let path = format!("expect[{i}].at");
            return Err(ScenarioError::new(
                file,
                doc.locate(&path),
                &path,
                format!(
                    "this expectation is at {} but the run ends at `until` = {}",
                    SimDuration(e.at_ms),
                    SimDuration(s.until_ms)
                ),
            ));
        }
    }
    Ok(())
}

/// FNV-1a of the text, as 16 hex digits.
fn fnv_hex(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
