//! Runs a scenario: sets up the fleet and task definitions at time zero, plays the timeline on
//! the simulated clock, and checks expectations after everything at their time has happened.

mod sim;

use crate::catalogue;
use crate::error::Loc;
use crate::matcher::{Mismatch, mismatches};
use crate::model::{Action, Scenario};
use crate::refs;
use ecsim_api::{Api, ApiConfig, ApiError};
use ecsim_core::engine::{EngineConfig, Step};
use ecsim_core::time::SimTime;
use ecsim_core::trace::Field;
use serde_json::Value;
use std::collections::BTreeMap;

/// Command-line overrides of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub until_ms: Option<u64>,
    pub max_events: Option<u64>,
    /// Check the engine's own invariants after every event (a failure is a bug in ecsim).
    pub check_invariants: bool,
    /// The indexed placer (default) or the reference one: the same choices.
    pub placement: ecsim_core::engine::PlacementMode,
}

/// The outcome of one assertion (an `expect` entry, or a timeline entry's match/expectError).
#[derive(Clone, Debug)]
pub struct Check {
    pub at_ms: u64,
    /// What was checked: `expect[2] describe_clusters` or `timeline[0] run_task`.
    pub what: String,
    pub loc: Loc,
    pub failures: Vec<Mismatch>,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// An error that ends the run (exit 1): a bad reference, a failed setup call, the event limit.
#[derive(Clone, Debug)]
pub struct RunError {
    pub at_ms: u64,
    pub what: String,
    pub loc: Option<Loc>,
    pub message: String,
}

pub struct RunOutput {
    pub api: Api,
    pub seed: u64,
    pub until_ms: u64,
    pub checks: Vec<Check>,
    /// Expectations not reached because `--until` cut the run short.
    pub skipped: usize,
    pub error: Option<RunError>,
    /// Every scenario invariant, with its first violation if any.
    pub invariants: Vec<InvariantOutcome>,
    /// The response of each simulator event of the timeline that ran (by index; faults are
    /// such events), for reproducers.
    pub responses: BTreeMap<usize, Value>,
    /// Metrics sampled every `sampleEvery`, from time zero to the end.
    pub samples: Vec<crate::metrics::Sample>,
}

/// How a scenario invariant fared.
#[derive(Clone, Debug, Default)]
pub struct InvariantOutcome {
    pub first: Option<Violation>,
    /// How many events left it broken.
    pub violations: u64,
}

/// The first time an invariant broke.
#[derive(Clone, Debug)]
pub struct Violation {
    pub at_ms: u64,
    /// The event after which it broke.
    pub after: String,
    /// The state around it.
    pub state: String,
}

impl RunOutput {
    /// Whether everything held: expectations, invariants, the run itself, the engine audit.
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.checks.iter().all(Check::passed)
            && self.invariants.iter().all(|i| i.first.is_none())
            && self.api.engine.audit_failures().is_empty()
    }
}

struct Runner<'s> {
    scenario: &'s Scenario,
    api: Api,
    until: SimTime,
    saved: BTreeMap<String, Value>,
    checks: Vec<Check>,
    ec2_counters: BTreeMap<String, u64>,
    invariants: Vec<InvariantOutcome>,
    responses: BTreeMap<usize, Value>,
    samples: Vec<crate::metrics::Sample>,
    progress: &'s mut dyn FnMut(u64),
    steps: u64,
    /// Agents to reconnect (`disconnect_agents` with `for`), scheduled after the timeline's
    /// own entries: entry `timeline.len() + k` is `reconnects[k]`.
    reconnects: Vec<Vec<ecsim_core::ids::InstanceId>>,
}

/// Runs `scenario` to its end (or the first run error).
pub fn run(scenario: &Scenario, options: RunOptions) -> RunOutput {
    run_with_progress(scenario, options, &mut |_| {})
}

/// How many events pass between two progress reports.
const PROGRESS_EVERY: u64 = 4096;

/// `run`, calling `progress` with the simulated time (ms) every few thousand events.
pub fn run_with_progress(
    scenario: &Scenario,
    options: RunOptions,
    progress: &mut dyn FnMut(u64),
) -> RunOutput {
    let seed = options.seed.unwrap_or(scenario.seed);
    let until_ms = options.until_ms.unwrap_or(scenario.until_ms);
    let config = ApiConfig {
        region: scenario.region.clone(),
        account_id: scenario.account_id.clone(),
        epoch_unix_ms: scenario.epoch_unix_ms,
        subnet_zones: scenario.subnets.clone(),
        eni_limit_of: |t| catalogue::lookup(t).map(|c| c.eni_limit),
    };
    let engine = EngineConfig {
        seed,
        timing: scenario.timing,
        max_events: options
            .max_events
            .unwrap_or(EngineConfig::default().max_events),
        epoch_unix_ms: scenario.epoch_unix_ms,
        check_invariants: options.check_invariants,
        placement: options.placement,
    };
    let mut r = Runner {
        scenario,
        api: Api::new(config, engine),
        until: SimTime(until_ms),
        saved: BTreeMap::new(),
        checks: Vec::new(),
        ec2_counters: BTreeMap::new(),
        invariants: vec![InvariantOutcome::default(); scenario.invariants.len()],
        responses: BTreeMap::new(),
        samples: Vec::new(),
        reconnects: Vec::new(),
        progress,
        steps: 0,
    };
    let error = r.setup().err().or_else(|| r.play().err());
    let skipped = scenario
        .expectations
        .iter()
        .filter(|e| e.at_ms > until_ms)
        .count();
    RunOutput {
        api: r.api,
        seed,
        until_ms,
        checks: r.checks,
        skipped,
        error,
        invariants: r.invariants,
        responses: r.responses,
        samples: r.samples,
    }
}

impl Runner<'_> {
    /// Time zero: the default cluster, `clusters`, the fleet, the task definitions, the services.
    fn setup(&mut self) -> Result<(), RunError> {
        let s = self.scenario;
        let mut clusters = vec!["default".to_string()];
        clusters.extend(s.clusters.iter().filter(|c| *c != "default").cloned());
        for name in clusters {
            self.setup_call(
                "clusters",
                None,
                "create_cluster",
                &serde_json::json!({"clusterName": name}),
            )?;
        }
        for (i, entry) in s.fleet.iter().enumerate() {
            let what = format!("containerInstances[{i}]");
            let fleet = self.registrations(entry);
            // Parsed once for the entry; when it does not parse, each instance's body goes
            // through the API, which reports the error as a call would.
            let shared = Api::parse_register_request(&fleet.shared);
            for doc in &fleet.documents {
                let op = "register_container_instance";
                let registered = self.traced(op, |api| match &shared {
                    Ok(request) => {
                        let mut request = request.clone();
                        request.instance_identity_document = Some(doc.clone());
                        api.register_container_instance_request(request)
                    }
                    Err(_) => api.register_container_instance(&fleet.body(doc)),
                });
                self.setup_result(&what, Some(entry.loc), op, registered)?;
            }
        }
        for (i, td) in s.task_definitions.iter().enumerate() {
            let what = format!("taskDefinitions[{i}] ({})", td.file);
            self.setup_call(&what, Some(td.loc), &td.op, &td.body)?;
        }
        for (i, svc) in s.services.iter().enumerate() {
            let what = format!("services[{i}]");
            self.setup_call(&what, Some(svc.loc), &svc.op, &svc.body)?;
        }
        for (i, e) in s.timeline.iter().enumerate() {
            self.api
                .engine
                .schedule_external(SimTime(e.at_ms), i as u32);
        }
        Ok(())
    }

    fn registrations(&mut self, entry: &crate::model::FleetEntry) -> crate::fleet::Registrations {
        let counters = &mut self.ec2_counters;
        let mut next = |prefix: &str| {
            let c = counters.entry(prefix.to_string()).or_insert(0);
            *c += 1;
            *c
        };
        crate::fleet::registrations(entry, &self.scenario.region, &mut next)
    }

    fn setup_call(
        &mut self,
        what: &str,
        loc: Option<Loc>,
        op: &str,
        body: &Value,
    ) -> Result<Value, RunError> {
        let result = self.call(op, body);
        self.setup_result(what, loc, op, result)
    }

    /// A setup call's outcome: an error says which entry failed; the engine is audited after.
    fn setup_result<T>(
        &mut self,
        what: &str,
        loc: Option<Loc>,
        op: &str,
        result: Result<T, ApiError>,
    ) -> Result<T, RunError> {
        let result = result.map_err(|e| RunError {
            at_ms: 0,
            what: what.to_string(),
            loc,
            message: format!("{op} failed: {e}"),
        });
        self.api.engine.audit(what);
        result
    }

    /// An API call, traced: `ApiCall` before, `ApiError` after a failure.
    fn call(&mut self, op: &str, body: &Value) -> Result<Value, ApiError> {
        self.traced(op, |api| api.call(op, body))
    }

    /// Operation `op` made by `call`, traced as `call` traces it.
    fn traced<T>(
        &mut self,
        op: &str,
        call: impl FnOnce(&mut Api) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.api
            .engine
            .record("ApiCall", vec![("operation", op.into())]);
        let result = call(&mut self.api);
        if let Err(e) = &result {
            let fields = vec![
                ("operation", Field::from(op)),
                ("code", e.code.clone().into()),
                ("message", e.message.clone().into()),
            ];
            self.api.engine.record("ApiError", fields);
        }
        result
    }

    /// The event loop, with expectations run once their time is fully processed.
    /// The event loop. Expectations and metric samples run, in time order, once everything at
    /// their time has happened.
    fn play(&mut self) -> Result<(), RunError> {
        let mut pending: Vec<usize> = (0..self.scenario.expectations.len()).collect();
        pending.sort_by_key(|i| self.scenario.expectations[*i].at_ms);
        let (mut next_expect, mut next_sample) = (0, 0);
        loop {
            let next_event = self.api.engine.next_time().filter(|t| *t <= self.until);
            let until = self.until.as_ms();
            let due = |t: u64| t <= until && next_event.is_none_or(|e| e.as_ms() > t);
            loop {
                let expect_at = pending
                    .get(next_expect)
                    .map(|i| self.scenario.expectations[*i].at_ms);
                match expect_at {
                    Some(at) if due(at) && at <= next_sample => {
                        self.api.engine.advance_to(SimTime(at));
                        self.expectation(pending[next_expect])?;
                        next_expect += 1;
                    }
                    _ if due(next_sample) => {
                        self.api.engine.advance_to(SimTime(next_sample));
                        self.samples.push(crate::metrics::sample(&self.api));
                        next_sample = next_sample.saturating_add(self.scenario.sample_every_ms);
                    }
                    _ => break,
                }
            }
            if next_event.is_none() {
                break;
            }
            self.step()?;
        }
        self.api.engine.advance_to(self.until);
        Ok(())
    }

    /// One engine step, then the scenario invariants.
    fn step(&mut self) -> Result<(), RunError> {
        self.steps += 1;
        if self.steps.is_multiple_of(PROGRESS_EVERY) {
            (self.progress)(self.api.engine.now().as_ms());
        }
        let step = self.api.engine.step().map_err(|e| RunError {
            at_ms: e.at.as_ms(),
            what: "the run".into(),
            loc: None,
            message: e.to_string(),
        })?;
        let external = match step {
            Some(Step::External(_, i)) => Some(self.entry(i as usize)?),
            _ => None,
        };
        if !self.scenario.invariants.is_empty() {
            let after = external.unwrap_or_else(|| self.last_event());
            self.check_invariants(&after);
        }
        Ok(())
    }

    fn expectation(&mut self, i: usize) -> Result<(), RunError> {
        let e = &self.scenario.expectations[i];
        let what = format!("expect[{i}] {}", e.op);
        let run_error = |message: String| RunError {
            at_ms: e.at_ms,
            what: what.clone(),
            loc: Some(e.loc),
            message,
        };
        let body = self.resolve(&e.body).map_err(run_error)?;
        let matcher = self.resolve(&e.matcher).map_err(run_error)?;
        let failures = match self.api.call(&e.op, &body) {
            Ok(response) => mismatches(&matcher, &response),
            Err(err) => vec![Mismatch {
                path: String::new(),
                expected: "a response".into(),
                actual: err.to_string(),
            }],
        };
        self.checks.push(Check {
            at_ms: e.at_ms,
            what,
            loc: e.loc,
            failures,
        });
        Ok(())
    }

    /// Runs timeline entry `i` (or a scheduled reconnect); returns what ran, for reports.
    fn entry(&mut self, i: usize) -> Result<String, RunError> {
        let Some(e) = self.scenario.timeline.get(i) else {
            let ids = self.reconnects[i - self.scenario.timeline.len()].clone();
            sim::reconnect(&mut self.api, &ids);
            self.api
                .engine
                .audit("reconnect_agents (after disconnect_agents `for`)");
            return Ok("reconnect_agents (after disconnect_agents `for`)".into());
        };
        let what = format!("timeline[{i}] {}", e.action.name());
        let run_error = |message: String| RunError {
            at_ms: e.at_ms,
            what: what.clone(),
            loc: Some(e.loc),
            message,
        };
        let matcher = e
            .matcher
            .as_ref()
            .map(|m| self.resolve(m))
            .transpose()
            .map_err(run_error)?;
        let result = match &e.action {
            Action::Api { op, body } => {
                let body = self.resolve(body).map_err(run_error)?;
                if e.matcher.is_none() && e.save.is_none() {
                    // Nothing reads the response: only its error counts.
                    self.traced(op, |api| api.call_discarding(op, &body))
                        .map(|()| Value::Null)
                } else {
                    self.call(op, &body)
                }
            }
            Action::Sim(event) => self.sim_event(event),
        };
        // Kept for the simulator's events alone: a fault's reproducer names what it hit.
        if let (Action::Sim(_), Ok(v)) = (&e.action, &result) {
            self.responses.insert(i, v.clone());
        }
        self.assert_entry(i, &what, matcher.as_ref(), result);
        self.api.engine.audit(&what);
        Ok(what)
    }

    fn sim_event(&mut self, event: &crate::model::SimEvent) -> Result<Value, ApiError> {
        self.api
            .engine
            .record("SimulatorEvent", vec![("event", event.name().into())]);
        let counters = &mut self.ec2_counters;
        let mut next = |p: &str| {
            let c = counters.entry(p.to_string()).or_insert(0);
            *c += 1;
            *c
        };
        let mut later = Vec::new();
        let result = sim::apply(
            &mut self.api,
            event,
            &self.scenario.region,
            &mut next,
            &mut later,
        );
        for (at_ms, ids) in later {
            let index = self.scenario.timeline.len() + self.reconnects.len();
            self.reconnects.push(ids);
            self.api
                .engine
                .schedule_external(SimTime(at_ms), index as u32);
        }
        result
    }

    /// The engine's last trace record, as `Kind(key=value, ...)`.
    fn last_event(&self) -> String {
        let Some(r) = self.api.engine.trace().last() else {
            return "the start".into();
        };
        let fields: Vec<String> = r
            .fields()
            .take(4)
            .map(|(k, v)| match v {
                ecsim_core::trace::FieldRef::Str(s) => format!("{k}={s}"),
                ecsim_core::trace::FieldRef::Int(n) => format!("{k}={n}"),
                ecsim_core::trace::FieldRef::Bool(b) => format!("{k}={b}"),
            })
            .collect();
        format!("{}({})", r.kind, fields.join(", "))
    }

    /// Evaluates every scenario invariant after an event.
    fn check_invariants(&mut self, after: &str) {
        let now = self.api.engine.now().as_ms();
        for (inv, outcome) in self
            .scenario
            .invariants
            .iter()
            .zip(self.invariants.iter_mut())
        {
            if let Some(state) = crate::invariants::violated(&self.api, inv, now) {
                outcome.violations += 1;
                outcome.first.get_or_insert(Violation {
                    at_ms: now,
                    after: after.to_string(),
                    state,
                });
            }
        }
    }

    fn resolve(&self, body: &Value) -> Result<Value, String> {
        let api = &self.api;
        let lookup = |id: &str| {
            let w = api.engine.world();
            w.instances()
                .iter()
                .rev()
                .find(|inst| inst.ec2_instance_id == id)
                .map(|inst| api.instance_arn(inst.id))
        };
        refs::substitute(body, &self.saved, &lookup)
    }

    fn assert_entry(
        &mut self,
        i: usize,
        what: &str,
        matcher: Option<&Value>,
        result: Result<Value, ApiError>,
    ) {
        let e = &self.scenario.timeline[i];
        let failures = match (&result, &e.expect_error, matcher) {
            (Ok(_), Some(code), _) => vec![Mismatch {
                path: String::new(),
                expected: code.clone(),
                actual: "success".into(),
            }],
            (Err(err), Some(code), _) if &err.code != code => {
                vec![Mismatch {
                    path: String::new(),
                    expected: code.clone(),
                    actual: err.to_string(),
                }]
            }
            (Err(err), None, Some(_)) => vec![Mismatch {
                path: String::new(),
                expected: "a response".into(),
                actual: err.to_string(),
            }],
            (Ok(v), None, Some(m)) => mismatches(m, v),
            _ => Vec::new(),
        };
        if e.expect_error.is_some() || e.matcher.is_some() {
            self.checks.push(Check {
                at_ms: e.at_ms,
                what: what.to_string(),
                loc: e.loc,
                failures,
            });
        }
        if let (Some(name), Ok(v)) = (&e.save, result) {
            self.saved.insert(name.clone(), v);
        }
    }
}
