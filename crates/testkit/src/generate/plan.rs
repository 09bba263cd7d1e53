//! The plain value a generated case is: [`Plan`] (seed, timing, fleet, services, standalone
//! task definitions, timeline), its calls ([`Plan::calls`]) and its scenario YAML
//! ([`Plan::to_yaml`]), and the strategy that draws it.

use super::fleet::{FleetGroup, SUBNETS, fleet};
use super::service::{ServicePlan, network_configuration, service};
use super::taskdef::{TaskDefPlan, task_def};
use super::timeline::{Action, Step, Targets, timeline};
use ecsim_core::time::SimDuration;
use ecsim_core::timing::{DelayRange, Timing};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Lifecycle delays, in milliseconds (min, max).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingPlan {
    pub pending: (u64, u64),
    pub healthy_ms: u64,
    pub stopping: (u64, u64),
    pub scheduler_delay: (u64, u64),
}

impl TimingPlan {
    pub fn timing(&self) -> Timing {
        let range = |(min_ms, max_ms)| DelayRange { min_ms, max_ms };
        Timing {
            pending: range(self.pending),
            healthy: DelayRange::fixed(self.healthy_ms),
            stopping: range(self.stopping),
            scheduler_delay: range(self.scheduler_delay),
            stop_timeout: SimDuration::from_secs(30),
            ..Timing::default()
        }
    }

    fn yaml(&self) -> String {
        let r = |(a, b): (u64, u64)| format!("{a}ms..{b}ms");
        format!(
            "timing: {{pending: {}, healthy: {}ms, stopping: {}, stopTimeout: 30s, schedulerDelay: {}}}\n",
            r(self.pending),
            self.healthy_ms,
            r(self.stopping),
            r(self.scheduler_delay)
        )
    }
}

/// One generated world and what happens to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub until_ms: u64,
    pub timing: TimingPlan,
    pub fleet: Vec<FleetGroup>,
    pub services: Vec<ServicePlan>,
    /// Families for standalone RunTask (`job0`, `job1`, ...).
    pub jobs: Vec<TaskDefPlan>,
    pub timeline: Vec<Step>,
    /// Read-only checks written into the YAML `expect` section (operation, body, match, at).
    pub expect: Vec<(u64, String, Value, Value)>,
}

/// One timeline entry as an operation: an ECS operation or a scenario simulator event
/// (`drain_instances`, `fail_instances`, `crash_tasks`, ...), with an optional `save` name.
/// A body string `${NAME.tasks[0].taskArn}` refers to a saved response.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub at_ms: u64,
    pub op: &'static str,
    pub body: Value,
    pub save: Option<String>,
}

impl Plan {
    pub fn ec2_ids(&self) -> Vec<String> {
        self.fleet.iter().flat_map(FleetGroup::ec2_ids).collect()
    }

    /// Every task definition registered at time zero, in order.
    pub fn initial_task_defs(&self) -> Vec<&TaskDefPlan> {
        let services = self.services.iter().map(|s| &s.task_def);
        services.chain(&self.jobs).collect()
    }

    /// The timeline as calls, in time order (same-time entries in plan order).
    pub fn calls(&self) -> Vec<Call> {
        let mut revisions: BTreeMap<&str, u32> = BTreeMap::new();
        let mut runs = 0usize;
        let mut out = Vec::new();
        for step in &self.timeline {
            let at = step.at_ms;
            let call = |op, body| Call {
                at_ms: at,
                op,
                body,
                save: None,
            };
            match &step.action {
                Action::Deploy { service } => {
                    let s = &self.services[*service];
                    let rev = revisions.entry(&s.task_def.family).or_insert(1);
                    *rev += 1;
                    out.push(call("register_task_definition", s.task_def.body(*rev)));
                    let td = format!("{}:{rev}", s.task_def.family);
                    let body = json!({"service": s.name, "taskDefinition": td});
                    out.push(call("update_service", body));
                }
                Action::RunTask { job, count } => {
                    let mut c = call("run_task", self.run_task_body(*job, *count));
                    c.save = Some(format!("run{runs}"));
                    runs += 1;
                    out.push(c);
                }
                Action::StopTask { run } if *run < runs => {
                    let task = format!("${{run{run}.tasks[0].taskArn}}");
                    out.push(call(
                        "stop_task",
                        json!({"task": task, "reason": "generated"}),
                    ));
                }
                Action::StopTask { .. } => {}
                other => out.push(self.simple_call(at, other)),
            }
        }
        out
    }

    fn run_task_body(&self, job: usize, count: u32) -> Value {
        let td = &self.jobs[job];
        let mut b = json!({"taskDefinition": format!("{}:1", td.family), "count": count});
        if let Some(n) = network_configuration(td) {
            b["networkConfiguration"] = n;
        }
        b
    }

    fn simple_call(&self, at_ms: u64, action: &Action) -> Call {
        let ec2 = |e: &String| json!({"ec2InstanceIds": [e]});
        let (op, body) = match action {
            Action::Scale { service, desired } => (
                "update_service",
                json!({"service": self.services[*service].name, "desiredCount": desired}),
            ),
            Action::Drain { ec2: e } => ("drain_instances", ec2(e)),
            Action::Activate { ec2: e } => ("activate_instances", ec2(e)),
            Action::Fail { ec2: e } => ("fail_instances", ec2(e)),
            Action::Crash { service, count } => (
                "crash_tasks",
                json!({"service": self.services[*service].name, "count": count, "exitCode": 1}),
            ),
            _ => unreachable!("handled by calls()"),
        };
        Call {
            at_ms,
            op,
            body,
            save: None,
        }
    }
}

impl Plan {
    /// The scenario text (`ecsim run` replays it); request bodies are JSON flow mappings.
    pub fn to_yaml(&self) -> String {
        let mut s = format!(
            "# generated by ecsim-testkit; replay with `ecsim run FILE --check-invariants`\nname: generated\nseed: {}\nuntil: {}ms\n",
            self.seed, self.until_ms
        );
        s.push_str(&self.timing.yaml());
        let subnets: BTreeMap<&str, &str> = SUBNETS.iter().copied().collect();
        let _ = writeln!(s, "subnets: {}", json!(subnets));
        s.push_str("containerInstances:\n");
        self.fleet.iter().for_each(|g| s.push_str(&g.yaml()));
        s.push_str("taskDefinitions:\n");
        for td in self.initial_task_defs() {
            let _ = writeln!(s, "  - {}", td.body(1));
        }
        s.push_str(if self.services.is_empty() {
            "services: []\n"
        } else {
            "services:\n"
        });
        for svc in &self.services {
            let _ = writeln!(s, "  - {}", svc.create_body());
        }
        self.timeline_yaml(&mut s);
        s
    }

    fn timeline_yaml(&self, s: &mut String) {
        let calls = self.calls();
        s.push_str(if calls.is_empty() {
            "timeline: []\n"
        } else {
            "timeline:\n"
        });
        for c in &calls {
            let _ = writeln!(s, "  - at: {}ms\n    {}: {}", c.at_ms, c.op, c.body);
            if let Some(name) = &c.save {
                let _ = writeln!(s, "    save: {name}");
            }
        }
        s.push_str(if self.expect.is_empty() {
            "expect: []\n"
        } else {
            "expect:\n"
        });
        for (at, op, body, matcher) in &self.expect {
            let _ = writeln!(s, "  - at: {at}ms\n    {op}: {body}\n    match: {matcher}");
        }
    }
}

/// Timing with some spread: PENDING takes 0-20 s, healthy after 40 s (sometimes at once, so a
/// task turns healthy in the same millisecond as other events), STOPPING 0-5 s, and the
/// scheduler reacting at once or up to 3 s later.
pub fn timing_plan() -> impl Strategy<Value = TimingPlan> {
    (
        prop::sample::select(vec![(0u64, 0u64), (5000, 5000), (2000, 20_000)]),
        prop::sample::select(vec![0u64, 40_000, 40_000]),
        prop::sample::select(vec![(0u64, 0u64), (1000, 5000)]),
        prop::sample::select(vec![(0u64, 0u64), (0, 0), (0, 3000)]),
    )
        .prop_map(
            |(pending, healthy_ms, stopping, scheduler_delay)| TimingPlan {
                pending,
                healthy_ms,
                stopping,
                scheduler_delay,
            },
        )
}

/// A whole generated case: 1-3 services, 0-2 job families, up to `max_steps` timeline steps in
/// the first 20 minutes, run until 30 minutes.
pub fn plan_with(max_steps: usize) -> impl Strategy<Value = Plan> {
    let services = (1usize..=3).prop_flat_map(|n| {
        (0..n)
            .map(|i| service(format!("svc{i}")))
            .collect::<Vec<_>>()
    });
    let jobs = (0usize..=2).prop_flat_map(|n| {
        (0..n)
            .map(|i| task_def(format!("job{i}")))
            .collect::<Vec<_>>()
    });
    (any::<u64>(), timing_plan(), fleet(), services, jobs).prop_flat_map(
        move |(seed, timing, fleet, services, jobs)| {
            let targets = Targets {
                services: services.len(),
                jobs: jobs.len(),
                ec2_ids: fleet.iter().flat_map(FleetGroup::ec2_ids).collect(),
            };
            timeline(targets, max_steps, 1200).prop_map(move |timeline| Plan {
                seed: seed % 1_000_000,
                until_ms: 1_800_000,
                timing,
                fleet: fleet.clone(),
                services: services.clone(),
                jobs: jobs.clone(),
                timeline,
                expect: Vec::new(),
            })
        },
    )
}

/// [`plan_with`] 12 steps.
pub fn plan() -> impl Strategy<Value = Plan> {
    plan_with(12)
}
