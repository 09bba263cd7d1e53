//! Plays a [`Plan`] directly on an [`Api`] (no scenario runner): the fleet, task definitions and
//! services at time zero, then the timeline's calls at their simulated times, with the engine's
//! invariant audit on. Simulator events are applied the way the scenario runner applies them,
//! except that `crash_tasks` picks the first RUNNING tasks instead of drawing them.

use super::fleet::{SUBNETS, eni_limit_of};
use super::plan::{Call, Plan};
use ecsim_api::{Api, ApiConfig, ApiError};
use ecsim_core::engine::{EngineConfig, Step};
use ecsim_core::instance::InstanceStatus;
use ecsim_core::task::TaskStatus;
use ecsim_core::time::SimTime;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A plan being played on an API.
pub struct Driver {
    pub api: Api,
    calls: Vec<Call>,
    saved: BTreeMap<String, Value>,
    /// Timeline calls that failed: (time, operation, exception).
    pub errors: Vec<(u64, &'static str, ApiError)>,
}

impl Driver {
    /// Sets up the plan's world at time zero; an error names the setup call that failed.
    pub fn new(plan: &Plan) -> Result<Driver, String> {
        let config = ApiConfig {
            subnet_zones: SUBNETS
                .iter()
                .map(|(s, z)| (s.to_string(), z.to_string()))
                .collect(),
            eni_limit_of,
            ..ApiConfig::default()
        };
        let engine = EngineConfig {
            seed: plan.seed,
            timing: plan.timing.timing(),
            check_invariants: true,
            ..EngineConfig::default()
        };
        let mut d = Driver {
            api: Api::new(config, engine),
            calls: plan.calls(),
            saved: BTreeMap::new(),
            errors: Vec::new(),
        };
        d.setup(plan)?;
        for (i, c) in d.calls.iter().enumerate() {
            d.api.engine.schedule_external(SimTime(c.at_ms), i as u32);
        }
        Ok(d)
    }

    fn setup(&mut self, plan: &Plan) -> Result<(), String> {
        let mut calls = vec![("create_cluster", json!({"clusterName": "default"}))];
        for g in &plan.fleet {
            calls.extend(
                g.register_bodies()
                    .into_iter()
                    .map(|b| ("register_container_instance", b)),
            );
        }
        for td in plan.initial_task_defs() {
            calls.push(("register_task_definition", td.body(1)));
        }
        for s in &plan.services {
            calls.push(("create_service", s.create_body()));
        }
        for (op, body) in calls {
            self.api
                .call(op, &body)
                .map_err(|e| format!("setup {op} {body} failed: {e}"))?;
            self.api.engine.audit(op);
        }
        Ok(())
    }

    /// Applies every event and timeline call due until `t_ms`, then sets the clock to `t_ms`.
    pub fn run_until(&mut self, t_ms: u64) -> Result<(), String> {
        let until = SimTime(t_ms);
        while self.api.engine.next_time().is_some_and(|n| n <= until) {
            match self.api.engine.step().map_err(|e| e.to_string())? {
                Some(Step::External(_, i)) => self.apply(i as usize),
                Some(Step::Internal(_)) | None => {}
            }
        }
        self.api.engine.advance_to(until);
        Ok(())
    }

    fn apply(&mut self, i: usize) {
        let c = self.calls[i].clone();
        let result = match c.op {
            "drain_instances" => self.set_state(&c.body, "DRAINING"),
            "activate_instances" => self.set_state(&c.body, "ACTIVE"),
            "fail_instances" => {
                self.instances(&c.body)
                    .into_iter()
                    .for_each(|id| self.api.engine.fail_instance(id));
                Ok(json!({}))
            }
            "crash_tasks" => {
                self.crash(&c.body);
                Ok(json!({}))
            }
            op => match self.resolve(&c.body) {
                Some(body) => self.api.call(op, &body),
                None => Ok(json!({})),
            },
        };
        match result {
            Ok(v) => {
                if let Some(name) = &c.save {
                    self.saved.insert(name.clone(), v);
                }
            }
            Err(e) => self.errors.push((c.at_ms, c.op, e)),
        }
        self.api.engine.audit(c.op);
    }

    /// The body with `${NAME.tasks[0].taskArn}` substituted; None when the task does not exist.
    fn resolve(&self, body: &Value) -> Option<Value> {
        let mut out = body.clone();
        if let Some(Value::String(s)) = out.get_mut("task")
            && let Some(name) = s.strip_prefix("${").and_then(|r| r.split('.').next())
        {
            let arn = self.saved.get(name)?.pointer("/tasks/0/taskArn")?.clone();
            *out.get_mut("task")? = arn;
        }
        Some(out)
    }

    fn instances(&self, body: &Value) -> Vec<ecsim_core::ids::InstanceId> {
        let w = self.api.engine.world();
        let Some(cluster) = w.active_cluster("default") else {
            return Vec::new();
        };
        body["ec2InstanceIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| w.instance_by_ec2_id(cluster, e.as_str()?))
            .collect()
    }

    fn set_state(&mut self, body: &Value, status: &str) -> Result<Value, ApiError> {
        let w = self.api.engine.world();
        let arns: Vec<String> = self
            .instances(body)
            .into_iter()
            .filter(|i| w.instance(*i).status != InstanceStatus::Inactive)
            .map(|i| self.api.instance_arn(i))
            .collect();
        if arns.is_empty() {
            return Ok(json!({}));
        }
        let body = json!({"containerInstances": arns, "status": status});
        self.api.call("update_container_instances_state", &body)
    }

    fn crash(&mut self, body: &Value) {
        let group = format!("service:{}", body["service"].as_str().unwrap_or_default());
        let count = body["count"].as_u64().unwrap_or(1) as usize;
        let w = self.api.engine.world();
        let victims: Vec<_> = w
            .tasks()
            .iter()
            .filter(|t| *t.group == *group && t.last_status == TaskStatus::Running)
            .map(|t| t.id)
            .take(count)
            .collect();
        for t in victims {
            self.api.engine.crash_task(t, 1);
        }
    }
}
