//! Scenario invariants (`invariants:`): properties of the user's system checked after every
//! event, such as "service web keeps at least 4 running tasks after 2m".
//!
//! Each invariant is evaluated on the world as it stands after an event; the first time one
//! fails is reported with the time, the event that broke it and the state around it. Later
//! failures of the same invariant are only counted.

use crate::duration::duration_ms;
use crate::error::{Loc, ScenarioError};
use crate::node::{Located, Node};
use crate::reader::MapReader;
use ecsim_api::Api;
use ecsim_core::ids::ServiceId;
use ecsim_core::instance::InstanceStatus;
use ecsim_core::task::{DesiredStatus, TaskStatus};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    RunningAtLeast(u64),
    HealthyAtLeast(u64),
    AzSkewAtMost(u64),
    NoPlacementFailures,
}

#[derive(Clone, Debug)]
pub struct Invariant {
    pub cluster: String,
    /// The service the rule is about (required except for noPlacementFailures).
    pub service: Option<String>,
    pub rule: Rule,
    pub after_ms: u64,
    pub loc: Loc,
}

impl Invariant {
    /// `service web runningAtLeast 4 (after 2m)`, for reports.
    pub fn describe(&self) -> String {
        let what = match self.rule {
            Rule::RunningAtLeast(n) => format!("runningAtLeast {n}"),
            Rule::HealthyAtLeast(n) => format!("healthyAtLeast {n}"),
            Rule::AzSkewAtMost(n) => format!("azSkewAtMost {n}"),
            Rule::NoPlacementFailures => "noPlacementFailures".into(),
        };
        let scope = self.service.as_ref().map_or_else(
            || format!("cluster {}", self.cluster),
            |s| format!("service {s}"),
        );
        format!("{scope} {what}")
    }
}

const KEYS: [&str; 7] = [
    "cluster",
    "service",
    "runningAtLeast",
    "healthyAtLeast",
    "azSkewAtMost",
    "noPlacementFailures",
    "after",
];

pub fn parse(file: &str, path: &str, node: &Located<Node>) -> Result<Invariant, ScenarioError> {
    let m = MapReader::new(file, path, node, &KEYS)?;
    let given: Vec<&str> = KEYS[2..6]
        .iter()
        .copied()
        .filter(|k| m.get(k).is_some())
        .collect();
    let rule = match given.as_slice() {
        ["runningAtLeast"] => Rule::RunningAtLeast(m.u64("runningAtLeast")?.unwrap_or(0)),
        ["healthyAtLeast"] => Rule::HealthyAtLeast(m.u64("healthyAtLeast")?.unwrap_or(0)),
        ["azSkewAtMost"] => Rule::AzSkewAtMost(m.u64("azSkewAtMost")?.unwrap_or(0)),
        ["noPlacementFailures"] => match m.get("noPlacementFailures").map(|n| &n.value) {
            Some(Node::Bool(true)) => Rule::NoPlacementFailures,
            _ => {
                return Err(ScenarioError::new(
                    file,
                    node.loc,
                    &m.child("noPlacementFailures"),
                    "noPlacementFailures takes `true`",
                ));
            }
        },
        _ => {
            return Err(ScenarioError::new(
                file,
                node.loc,
                path,
                "an invariant has exactly one of runningAtLeast, healthyAtLeast, azSkewAtMost, noPlacementFailures",
            ));
        }
    };
    let service = m.str("service")?;
    if service.is_none() && rule != Rule::NoPlacementFailures {
        return Err(ScenarioError::new(
            file,
            node.loc,
            path,
            "this invariant needs a `service`",
        ));
    }
    Ok(Invariant {
        cluster: m.str("cluster")?.unwrap_or_else(|| "default".into()),
        service,
        rule,
        after_ms: m
            .get("after")
            .map(|n| duration_ms(file, &m.child("after"), n))
            .transpose()?
            .unwrap_or(0),
        loc: node.loc,
    })
}

/// Why an invariant does not hold now, with the state around it; None when it holds.
pub fn violated(api: &Api, inv: &Invariant, now_ms: u64) -> Option<String> {
    if now_ms < inv.after_ms {
        return None;
    }
    let w = api.engine.world();
    if inv.rule == Rule::NoPlacementFailures {
        let late = w_failures_after(api, &inv.cluster, inv.after_ms);
        return (late > 0).then(|| {
            format!(
                "{late} placement failure(s) in cluster {} since {} ms",
                inv.cluster, inv.after_ms
            )
        });
    }
    let cluster = w.cluster_by_name(&inv.cluster)?;
    let service = w.service_by_name(cluster, inv.service.as_deref()?)?;
    let state = ServiceState::of(api, service);
    let broken = match inv.rule {
        Rule::RunningAtLeast(n) => state.running < n,
        Rule::HealthyAtLeast(n) => state.healthy < n,
        Rule::AzSkewAtMost(n) => state.skew() > n,
        Rule::NoPlacementFailures => false,
    };
    broken.then(|| state.describe())
}

fn w_failures_after(api: &Api, cluster: &str, after_ms: u64) -> usize {
    let stats = api.engine.stats();
    stats
        .failure_times
        .iter()
        .filter(|(c, t)| c == cluster && t.as_ms() >= after_ms)
        .count()
}

/// A service's running and healthy tasks, and its running tasks per Availability Zone that has
/// ACTIVE instances.
struct ServiceState {
    running: u64,
    healthy: u64,
    per_zone: BTreeMap<String, u64>,
}

impl ServiceState {
    fn of(api: &Api, id: ServiceId) -> ServiceState {
        let w = api.engine.world();
        let s = w.service(id);
        let now = api.engine.now();
        let mut state = ServiceState {
            running: 0,
            healthy: 0,
            per_zone: BTreeMap::new(),
        };
        for i in w.registered_instances(s.cluster) {
            let inst = w.instance(i);
            if let (InstanceStatus::Active, Some(az)) = (inst.status, &inst.availability_zone) {
                state.per_zone.entry(az.clone()).or_insert(0);
            }
        }
        for t in s.tasks.iter().map(|t| w.task(*t)) {
            if t.desired_status != DesiredStatus::Running || t.last_status != TaskStatus::Running {
                continue;
            }
            state.running += 1;
            state.healthy += u64::from(t.is_healthy(now));
            if let Some(n) = w
                .instance(t.instance)
                .availability_zone
                .as_ref()
                .and_then(|az| state.per_zone.get_mut(az))
            {
                *n += 1;
            }
        }
        state
    }

    fn skew(&self) -> u64 {
        let max = self.per_zone.values().max().copied().unwrap_or(0);
        let min = self.per_zone.values().min().copied().unwrap_or(0);
        max - min
    }

    fn describe(&self) -> String {
        let zones: Vec<String> = self
            .per_zone
            .iter()
            .map(|(z, n)| format!("{z} {n}"))
            .collect();
        format!(
            "running {}, healthy {}, running per zone: {}",
            self.running,
            self.healthy,
            zones.join(", ")
        )
    }
}
