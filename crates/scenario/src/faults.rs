//! Fault spaces (`faults:`): what `ecsim check` draws concrete fault schedules from, and how a
//! concrete fault becomes a timeline entry.
//!
//! Each space says how many faults of a kind to draw (`count`, an integer or a range `0..3`)
//! and when (`between: [1m, 5m]`, uniform). One drawn fault acts on one instance (or one task
//! for `crash_tasks`), picked when it happens with the seeded fault stream among those its
//! `filter`, `service` or `family` selects.

use crate::duration::duration_ms;
use crate::error::{Loc, ScenarioError};
use crate::model::{Action, CrashSpec, CrashTarget, Entry, SelectBy, Selector, SimEvent};
use crate::node::{Located, Node};
use crate::reader::{MapReader, seq};
use ecsim_core::rng::{Purpose, RngStreams};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    FailInstances,
    DrainInstances,
    /// Reconnects after `for_ms` when given.
    DisconnectAgents {
        for_ms: Option<u64>,
    },
    CrashTasks {
        target: CrashTarget,
        exit_code: i64,
    },
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::FailInstances => "fail_instances",
            FaultKind::DrainInstances => "drain_instances",
            FaultKind::DisconnectAgents { .. } => "disconnect_agents",
            FaultKind::CrashTasks { .. } => "crash_tasks",
        }
    }
}

#[derive(Clone, Debug)]
pub struct FaultSpec {
    pub kind: FaultKind,
    pub cluster: String,
    pub filter: Option<String>,
    /// How many faults to draw: inclusive range.
    pub count: (u64, u64),
    /// When: inclusive range of milliseconds.
    pub between: (u64, u64),
    pub loc: Loc,
}

/// One drawn fault: which space it came from, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fault {
    pub at_ms: u64,
    pub spec: usize,
}

const KINDS: [&str; 4] = [
    "fail_instances",
    "drain_instances",
    "disconnect_agents",
    "crash_tasks",
];

pub fn parse(file: &str, path: &str, node: &Located<Node>) -> Result<FaultSpec, ScenarioError> {
    let outer = MapReader::new(file, path, node, &KINDS)?;
    let keys: Vec<&Located<String>> = outer.keys().collect();
    let [key] = keys.as_slice() else {
        return Err(ScenarioError::new(
            file,
            node.loc,
            path,
            "a fault space names exactly one fault kind",
        ));
    };
    let body = outer.get(&key.value).unwrap_or(node);
    let p = outer.child(&key.value);
    let allowed: &[&str] = match key.value.as_str() {
        "crash_tasks" => &[
            "cluster", "service", "family", "count", "between", "exitCode",
        ],
        "disconnect_agents" => &["cluster", "filter", "count", "between", "for"],
        _ => &["cluster", "filter", "count", "between"],
    };
    let m = MapReader::new(file, &p, body, allowed)?;
    let kind = kind(file, &key.value, &m)?;
    Ok(FaultSpec {
        kind,
        cluster: m.str("cluster")?.unwrap_or_else(|| "default".into()),
        filter: m.str("filter")?,
        count: count(file, &m)?,
        between: between(file, &m)?,
        loc: node.loc,
    })
}

fn kind(file: &str, name: &str, m: &MapReader<'_>) -> Result<FaultKind, ScenarioError> {
    Ok(match name {
        "fail_instances" => FaultKind::FailInstances,
        "drain_instances" => FaultKind::DrainInstances,
        "disconnect_agents" => FaultKind::DisconnectAgents {
            for_ms: m
                .get("for")
                .map(|n| duration_ms(file, &m.child("for"), n))
                .transpose()?,
        },
        _ => {
            let target = match (m.str("service")?, m.str("family")?) {
                (Some(s), None) => CrashTarget::Service(s),
                (None, Some(f)) => CrashTarget::Family(f),
                _ => {
                    return Err(ScenarioError::new(
                        file,
                        m.node.loc,
                        &m.path,
                        "crash_tasks needs exactly one of service or family",
                    ));
                }
            };
            let exit_code = match m.get("exitCode").map(|n| &n.value) {
                Some(Node::Int(i)) => *i,
                None => 1,
                Some(_) => {
                    return Err(ScenarioError::new(
                        file,
                        m.node.loc,
                        &m.child("exitCode"),
                        "exitCode must be an integer",
                    ));
                }
            };
            FaultKind::CrashTasks { target, exit_code }
        }
    })
}

/// `count: 2` or `count: 0..3` (default 1).
fn count(file: &str, m: &MapReader<'_>) -> Result<(u64, u64), ScenarioError> {
    let Some(n) = m.get("count") else {
        return Ok((1, 1));
    };
    let bad = || {
        ScenarioError::new(
            file,
            n.loc,
            &m.child("count"),
            "count is an integer or a range such as 0..3",
        )
    };
    match &n.value {
        Node::Int(i) if *i >= 0 => Ok((*i as u64, *i as u64)),
        Node::Str(s) => {
            let (lo, hi) = s.split_once("..").ok_or_else(bad)?;
            let (lo, hi): (u64, u64) = (
                lo.trim().parse().map_err(|_| bad())?,
                hi.trim().parse().map_err(|_| bad())?,
            );
            if lo > hi || hi > 1000 {
                return Err(bad());
            }
            Ok((lo, hi))
        }
        _ => Err(bad()),
    }
}

/// `between: [1m, 5m]` (required).
fn between(file: &str, m: &MapReader<'_>) -> Result<(u64, u64), ScenarioError> {
    let n = m.required("between")?;
    let p = m.child("between");
    let items = seq(file, &p, n)?;
    let [a, b] = items else {
        return Err(ScenarioError::new(
            file,
            n.loc,
            &p,
            "between takes two times: [from, to]",
        ));
    };
    let (lo, hi) = (
        duration_ms(file, &format!("{p}[0]"), a)?,
        duration_ms(file, &format!("{p}[1]"), b)?,
    );
    if lo > hi {
        return Err(ScenarioError::new(
            file,
            n.loc,
            &p,
            "between ends before it starts",
        ));
    }
    Ok((lo, hi))
}

/// Draws a concrete schedule from the spaces, in time order.
pub fn draw(specs: &[FaultSpec], rng: &mut RngStreams) -> Vec<Fault> {
    let mut faults = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let n = rng.between(Purpose::Faults, s.count.0, s.count.1);
        for _ in 0..n {
            let at_ms = rng.between(Purpose::Faults, s.between.0, s.between.1);
            faults.push(Fault { at_ms, spec: i });
        }
    }
    faults.sort();
    faults
}

/// The timeline entry of one drawn fault: one instance (or task), picked when it happens.
pub fn entry(specs: &[FaultSpec], fault: &Fault) -> Entry {
    let s = &specs[fault.spec];
    let selector = |for_ms| Selector {
        cluster: s.cluster.clone(),
        by: s.filter.clone().map_or(SelectBy::All, SelectBy::Filter),
        count: Some(1),
        for_ms,
    };
    let event = match &s.kind {
        FaultKind::FailInstances => SimEvent::FailInstances(selector(None)),
        FaultKind::DrainInstances => SimEvent::DrainInstances(selector(None)),
        FaultKind::DisconnectAgents { for_ms } => SimEvent::DisconnectAgents(selector(*for_ms)),
        FaultKind::CrashTasks { target, exit_code } => SimEvent::CrashTasks(CrashSpec {
            cluster: s.cluster.clone(),
            target: target.clone(),
            count: 1,
            exit_code: *exit_code,
        }),
    };
    Entry {
        at_ms: fault.at_ms,
        action: Action::Sim(event),
        matcher: None,
        expect_error: None,
        save: None,
        loc: s.loc,
    }
}
