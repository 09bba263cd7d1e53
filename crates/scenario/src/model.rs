//! The validated scenario: plain data, ready to run.

use crate::error::Loc;
use crate::node::{Located, Node};
use ecsim_core::timing::Timing;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub seed: u64,
    pub region: String,
    pub account_id: String,
    pub until_ms: u64,
    /// How often metrics are sampled (`sampleEvery`).
    pub sample_every_ms: u64,
    pub epoch_unix_ms: i64,
    pub timing: Timing,
    pub clusters: Vec<String>,
    pub subnets: BTreeMap<String, String>,
    pub fleet: Vec<FleetEntry>,
    /// register_task_definition bodies, in order.
    pub task_definitions: Vec<Request>,
    /// create_service bodies, in order.
    pub services: Vec<Request>,
    pub timeline: Vec<Entry>,
    pub expectations: Vec<Expectation>,
    pub invariants: Vec<crate::invariants::Invariant>,
    pub faults: Vec<crate::faults::FaultSpec>,
    /// The parsed document, kept for `document` (a run never needs it as JSON).
    pub(crate) source: Arc<Located<Node>>,
    /// A stable hash of the scenario text (FNV-1a, 16 hex digits) for reports.
    pub source_hash: String,
}

impl Scenario {
    /// The document as JSON (for writing a reproducer or a variant), with every `file:` task
    /// definition replaced by its body so that it stands alone. Made on each call: only plan,
    /// check and compare ask, and converting a large scenario costs a run tens of milliseconds.
    pub fn document(&self) -> Value {
        let mut document = self.source.value.to_json();
        if let Some(doc) = document.as_object_mut()
            && doc.contains_key("taskDefinitions")
        {
            let bodies: Vec<Value> = self
                .task_definitions
                .iter()
                .map(|r| r.body.clone())
                .collect();
            doc.insert("taskDefinitions".into(), Value::Array(bodies));
        }
        document
    }
}

/// An ECS request with its place in the source.
#[derive(Clone, Debug)]
pub struct Request {
    pub op: String,
    pub body: Value,
    pub file: String,
    pub loc: Loc,
}

/// One `containerInstances` entry (also the body of `add_instances`).
#[derive(Clone, Debug)]
pub struct FleetEntry {
    pub cluster: String,
    pub count: u64,
    pub instance_type: Option<String>,
    pub availability_zones: Vec<String>,
    pub attributes: Vec<(String, Option<String>)>,
    pub version_info: Option<Value>,
    pub ec2_instance_id_prefix: Option<String>,
    pub total_resources: Option<Value>,
    pub loc: Loc,
}

/// A timeline entry.
#[derive(Clone, Debug)]
pub struct Entry {
    pub at_ms: u64,
    pub action: Action,
    pub matcher: Option<Value>,
    pub expect_error: Option<String>,
    pub save: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub enum Action {
    Api { op: String, body: Value },
    Sim(SimEvent),
}

impl Action {
    pub fn name(&self) -> &str {
        match self {
            Action::Api { op, .. } => op,
            Action::Sim(e) => e.name(),
        }
    }
}

/// Faults and fleet changes.
#[derive(Clone, Debug)]
pub enum SimEvent {
    FailInstances(Selector),
    DisconnectAgents(Selector),
    ReconnectAgents(Selector),
    DrainInstances(Selector),
    ActivateInstances(Selector),
    CrashTasks(CrashSpec),
    StopTasks(StopSpec),
    AddInstances(Box<FleetEntry>),
}

impl SimEvent {
    pub fn name(&self) -> &'static str {
        match self {
            SimEvent::FailInstances(_) => "fail_instances",
            SimEvent::DisconnectAgents(_) => "disconnect_agents",
            SimEvent::ReconnectAgents(_) => "reconnect_agents",
            SimEvent::DrainInstances(_) => "drain_instances",
            SimEvent::ActivateInstances(_) => "activate_instances",
            SimEvent::CrashTasks(_) => "crash_tasks",
            SimEvent::StopTasks(_) => "stop_tasks",
            SimEvent::AddInstances(_) => "add_instances",
        }
    }
}

/// Which container instances a simulator event acts on.
#[derive(Clone, Debug)]
pub struct Selector {
    pub cluster: String,
    pub by: SelectBy,
    /// Pick this many of the selected instances with the seeded fault stream (default: all).
    pub count: Option<u64>,
    /// disconnect_agents: reconnect the same agents after this long.
    pub for_ms: Option<u64>,
}

#[derive(Clone, Debug)]
pub enum SelectBy {
    /// Container instance ids or ARNs.
    Instances(Vec<String>),
    Ec2Ids(Vec<String>),
    /// A Cluster Query Language expression.
    Filter(String),
    /// Every registered (not INACTIVE) instance of the cluster.
    All,
}

#[derive(Clone, Debug)]
pub struct CrashSpec {
    pub cluster: String,
    pub target: CrashTarget,
    pub count: u64,
    pub exit_code: i64,
}

/// `stop_tasks`: StopTask for every live task of a group (or started by someone), none when
/// none match.
#[derive(Clone, Debug)]
pub struct StopSpec {
    pub cluster: String,
    pub target: StopTarget,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopTarget {
    Group(String),
    StartedBy(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrashTarget {
    Service(String),
    /// A task group (`family:web`, or a custom `group` of RunTask).
    Group(String),
    Family(String),
    Tasks(Vec<String>),
}

/// An `expect` entry: a read operation and a pattern its response must match.
#[derive(Clone, Debug)]
pub struct Expectation {
    pub at_ms: u64,
    pub op: String,
    pub body: Value,
    pub matcher: Value,
    pub loc: Loc,
}
