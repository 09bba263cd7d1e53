//! Property-based tests over generated worlds (`ecsim_testkit::generate`): the engine's own
//! invariants hold on every run, runs are deterministic, satisfiable deployments complete
//! (ecs-semantics §5.3, §5.6) and drained instances empty of service tasks (§5.4).
//!
//! A failure prints the simulation seed, the proptest case, and the scenario YAML (also written
//! to a temporary file) so that `ecsim run FILE --check-invariants` replays it.

use crate::support::load_text;
use ecsim::scenario::{RunOptions, RunOutput, run};
use ecsim_testkit::generate::focused::{deployment_plan, single_service_plan};
use ecsim_testkit::generate::timeline::{Action, Step};
use ecsim_testkit::generate::{Driver, Plan, plan, plan_with};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

static CASE: AtomicU64 = AtomicU64::new(0);

/// `default` cases, or `ECSIM_PROP_CASES` when set (for longer bug hunts).
fn cases(default: u32) -> u32 {
    std::env::var("ECSIM_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The failure message of a case: problems, seed, case number, replay file and scenario text.
fn report(property: &str, plan: &Plan, problems: &[String]) -> String {
    let case = CASE.fetch_add(1, Ordering::Relaxed);
    let yaml = plan.to_yaml();
    let path = std::env::temp_dir().join(format!(
        "ecsim-prop-{property}-{}-{case}.yaml",
        std::process::id()
    ));
    let _ = std::fs::write(&path, &yaml);
    format!(
        "property {property} failed (simulation seed {}, proptest case #{case}):\n  {}\nreplay: ecsim run {} --check-invariants\n--- scenario ---\n{yaml}",
        plan.seed,
        problems.join("\n  "),
        path.display()
    )
}

fn audit(out: &RunOutput) -> Vec<String> {
    out.api
        .engine
        .audit_failures()
        .iter()
        .map(|f| {
            format!(
                "audit at {} ms after {}: {} — {}",
                f.at.as_ms(),
                f.after,
                f.violation.invariant,
                f.violation.detail
            )
        })
        .collect()
}

/// Runs the plan's scenario text through the loader and the runner, invariants checked.
fn run_yaml(plan: &Plan) -> Result<(ecsim::scenario::Scenario, RunOutput), String> {
    let s = load_text(&plan.to_yaml()).map_err(|e| format!("does not load: {e}"))?;
    let out = run(
        &s,
        RunOptions {
            check_invariants: true,
            ..RunOptions::default()
        },
    );
    Ok((s, out))
}

/// Audit failures and run errors (a stop_task whose RunTask placed nothing is not an error).
fn problems(out: &RunOutput) -> Vec<String> {
    let mut p = audit(out);
    if let Some(e) = &out.error
        && !e.what.ends_with("stop_task")
    {
        p.push(format!(
            "run error in {} at {} ms: {}",
            e.what, e.at_ms, e.message
        ));
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    /// (a) Every generated scenario runs with zero engine audit failures.
    #[test]
    fn generated_scenarios_keep_engine_invariants(p in plan()) {
        let found = match run_yaml(&p) {
            Ok((_, out)) => problems(&out),
            Err(e) => vec![e],
        };
        prop_assert!(found.is_empty(), "{}", report("invariants", &p, &found));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(32), ..ProptestConfig::default() })]

    /// (a') The same plans, played directly on the API (no scenario runner).
    #[test]
    fn api_driven_runs_keep_engine_invariants(p in plan()) {
        let found = match Driver::new(&p) {
            Ok(mut d) => match d.run_until(p.until_ms) {
                Ok(()) => d
                    .api
                    .engine
                    .audit_failures()
                    .iter()
                    .map(|f| format!("audit at {} ms after {}: {} — {}", f.at.as_ms(), f.after,
                                     f.violation.invariant, f.violation.detail))
                    .collect(),
                Err(e) => vec![e],
            },
            Err(e) => vec![e],
        };
        prop_assert!(found.is_empty(), "{}", report("api-invariants", &p, &found));
    }

    /// (b) Same scenario and seed: byte-identical summary.json and events.jsonl.
    #[test]
    fn runs_are_deterministic(p in plan_with(8)) {
        let outputs = || -> Result<(String, String), String> {
            let (s, out) = run_yaml(&p)?;
            let summary = serde_json::to_string_pretty(&ecsim::report::summary(&s, &out))
                .map_err(|e| e.to_string())?;
            Ok((summary, ecsim::report::events_jsonl(out.api.engine.trace().records())))
        };
        let (first, second) = (outputs(), outputs());
        let same = first == second;
        let found = match (&first, &second) {
            (Err(e), _) => vec![e.clone()],
            (Ok((s1, e1)), Ok((s2, e2))) if !same => vec![format!(
                "outputs differ: summary equal {}, events equal {} (first difference in events at line {:?})",
                s1 == s2, e1 == e2,
                e1.lines().zip(e2.lines()).position(|(a, b)| a != b)
            )],
            _ => vec![],
        };
        prop_assert!(found.is_empty(), "{}", report("determinism", &p, &found));
    }
}

/// When a deployment is started.
const DEPLOY_MS: u64 = 60_000;
/// How long a satisfiable deployment may take (simulated).
const DEPLOY_BOUND_MS: u64 = 30 * 60_000;

/// The desired count after the plan's scale steps.
fn final_desired(p: &Plan) -> u32 {
    p.timeline
        .iter()
        .rev()
        .find_map(|s| match s.action {
            Action::Scale { desired, .. } => Some(desired),
            _ => None,
        })
        .unwrap_or(p.services[0].desired)
}

/// Whether `web` is at steady state on revision 2: one COMPLETED deployment, running = desired.
fn steady_on_rev2(service: &Value, desired: u32) -> bool {
    let deployments = service["deployments"].as_array().map_or(0, Vec::len);
    let d = &service["deployments"][0];
    deployments == 1
        && d["rolloutState"] == "COMPLETED"
        && d["taskDefinition"]
            .as_str()
            .is_some_and(|t| t.ends_with("web:2"))
        && service["runningCount"] == json!(desired)
        && service["desiredCount"] == json!(desired)
}

fn describe_web(d: &mut Driver) -> Value {
    let r = d
        .api
        .call("describe_services", &json!({"services": ["web"]}));
    r.map(|v| v["services"][0].clone()).unwrap_or(Value::Null)
}

/// Checks the deployment at every simulated minute up to the bound.
fn deployment_outcome(p: &Plan) -> Vec<String> {
    let desired = final_desired(p);
    let mut d = match Driver::new(p) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut t = DEPLOY_MS;
    while t <= DEPLOY_MS + DEPLOY_BOUND_MS {
        if let Err(e) = d.run_until(t) {
            return vec![e];
        }
        if t > DEPLOY_MS && steady_on_rev2(&describe_web(&mut d), desired) {
            return vec![];
        }
        t += 60_000;
    }
    let s = describe_web(&mut d);
    vec![format!(
        "no steady state on web:2 {} min after the deployment: desiredCount {}, runningCount {}, pendingCount {}, deployments {}",
        DEPLOY_BOUND_MS / 60_000, s["desiredCount"], s["runningCount"], s["pendingCount"],
        json!(s["deployments"].as_array().map(|l| l.iter().map(|d| json!({
            "status": d["status"], "taskDefinition": d["taskDefinition"], "rolloutState": d["rolloutState"],
            "runningCount": d["runningCount"], "pendingCount": d["pendingCount"], "failedTasks": d["failedTasks"]
        })).collect::<Vec<_>>()))
    )]
}

/// The expectation that makes the YAML replay fail like the property.
fn with_steady_expectation(mut p: Plan) -> Plan {
    let at = DEPLOY_MS + DEPLOY_BOUND_MS;
    p.until_ms = at;
    let desired = final_desired(&p);
    p.expect.push((
        at,
        "describe_services".into(),
        json!({"services": ["web"]}),
        json!({"services": [{"desiredCount": desired, "runningCount": desired,
                "deployments": [{"taskDefinition": "re:web:2$", "rolloutState": "COMPLETED"}]}]}),
    ));
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    /// (c) A deployment with room for desired × 2 (maximumPercent 200) reaches a steady state
    /// on the new revision within 30 simulated minutes.
    #[test]
    fn satisfiable_deployments_reach_steady_state(p in deployment_plan(DEPLOY_MS)) {
        let p = with_steady_expectation(p);
        let found = deployment_outcome(&p);
        prop_assert!(found.is_empty(), "{}", report("deployment-liveness", &p, &found));
    }
}

const DRAIN_MS: u64 = 180_000;
const DRAIN_BOUND_MS: u64 = 10 * 60_000;

/// The EC2 id of an instance holding a live task of `web` at `DRAIN_MS`.
fn instance_with_web_task(p: &Plan) -> Result<Option<String>, String> {
    let mut d = Driver::new(p)?;
    d.run_until(DRAIN_MS)?;
    let w = d.api.engine.world();
    Ok(w.instances()
        .iter()
        .find(|i| w.live_tasks_on(i.id).any(|t| &*t.group == "service:web"))
        .map(|i| i.ec2_instance_id.clone()))
}

/// Service tasks not yet STOPPED on `ec2` (as "uuid lastStatus").
fn web_tasks_on(d: &Driver, ec2: &str) -> Vec<String> {
    let w = d.api.engine.world();
    w.instances()
        .iter()
        .filter(|i| i.ec2_instance_id == ec2)
        .flat_map(|i| w.live_tasks_on(i.id))
        .filter(|t| &*t.group == "service:web")
        .map(|t| format!("{} {}", t.uuid, t.last_status.as_str()))
        .collect()
}

fn drain_outcome(p: &Plan, ec2: &str) -> Vec<String> {
    let mut d = match Driver::new(p) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    if let Err(e) = d.run_until(DRAIN_MS + DRAIN_BOUND_MS) {
        return vec![e];
    }
    let left = web_tasks_on(&d, ec2);
    if left.is_empty() {
        return vec![];
    }
    let s = describe_web(&mut d);
    vec![format!(
        "{ec2} drained at {DRAIN_MS} ms still holds service tasks {} min later: {left:?} (service runningCount {}, desiredCount {}, pendingCount {})",
        DRAIN_BOUND_MS / 60_000,
        s["runningCount"],
        s["desiredCount"],
        s["pendingCount"]
    )]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    /// (d) With room elsewhere, a drained instance has no service task left (all STOPPED)
    /// within 10 simulated minutes, whatever the deployment configuration that can move.
    #[test]
    fn drained_instances_empty_of_service_tasks(
        p in single_service_plan(6, 1, vec![(100, 200), (50, 200), (0, 100)])
    ) {
        let mut p = p;
        p.until_ms = DRAIN_MS + DRAIN_BOUND_MS;
        let target = instance_with_web_task(&p);
        let found = match target {
            Err(e) => vec![e],
            Ok(None) => vec!["no instance holds a task of web at the drain time".into()],
            Ok(Some(ec2)) => {
                p.timeline.push(Step { at_ms: DRAIN_MS, action: Action::Drain { ec2: ec2.clone() } });
                p.expect.push((p.until_ms, "list_tasks".into(),
                    json!({"serviceName": "web", "containerInstance": format!("${{ec2:{ec2}}}")}),
                    json!({"taskArns": []})));
                drain_outcome(&p, &ec2)
            }
        };
        prop_assert!(found.is_empty(), "{}", report("drain", &p, &found));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    /// The placement index chooses exactly as the reference placer: the whole run, event by
    /// event, is the same either way.
    #[test]
    fn indexed_and_reference_placement_agree(p in plan()) {
        let s = match load_text(&p.to_yaml()) {
            Ok(s) => s,
            Err(e) => return Err(TestCaseError::fail(format!("does not load: {e}"))),
        };
        let events = |mode| {
            let out = run(&s, RunOptions { placement: mode, ..RunOptions::default() });
            ecsim::report::events_jsonl(out.api.engine.trace().records())
        };
        let indexed = events(ecsim::core::engine::PlacementMode::Indexed);
        let reference = events(ecsim::core::engine::PlacementMode::Reference);
        prop_assert!(indexed == reference, "{}", report("indexed-vs-reference", &p, &["the runs differ".to_string()]));
    }
}
