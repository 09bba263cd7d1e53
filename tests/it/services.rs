//! The service scheduler through the public API: CreateService / UpdateService / DeleteService
//! / DescribeServices / ListServices validation, what starts a deployment, the rolling-update
//! arithmetic of the documented examples, steady state, service events, placement failures,
//! the throttle and the circuit breaker (ecs-semantics §5.1–§5.11, §6, §7.2).
//!
//! Every test drives `Api` and moves the simulated clock with `support::advance_to`. Times are
//! in milliseconds. Unless a test says otherwise: PENDING -> RUNNING takes 5 s, STOPPING ->
//! STOPPED 2 s, and a RUNNING task counts as healthy 40 s later (the default, §5.3).

use crate::support::*;
use ecsim::api::{Api, ApiConfig};
use ecsim::core::timing::Timing;
use serde_json::{Value, json};

const S: u64 = 1_000;
const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

// =============================================================== helpers

/// An endpoint with `n` instances (4 vCPU, 8 GiB) spread round-robin over `zones`.
fn fleet(n: usize, zones: &[&str]) -> Api {
    fleet_with(n, zones, timing(5 * S, 2 * S))
}

fn fleet_with(n: usize, zones: &[&str], t: Timing) -> Api {
    let mut api = api_with(ApiConfig::default(), 0, t);
    for i in 0..n {
        let ec2 = format!("i-{}", i + 1);
        Inst::new(&ec2, 4096, 8192)
            .az(zones[i % zones.len()])
            .register(&mut api);
    }
    register_td(&mut api, td("web", 256, 512));
    register_td(&mut api, td("web", 256, 512)); // web:2, the same shape: a new version
    api
}

/// CreateService of `name` from `task_def` with `desired` tasks, plus the `extra` fields.
#[track_caller]
fn create(api: &mut Api, name: &str, task_def: &str, desired: i64, extra: Value) -> Value {
    let mut body =
        json!({"serviceName": name, "taskDefinition": task_def, "desiredCount": desired});
    if let Value::Object(m) = extra {
        body.as_object_mut().expect("object").extend(m);
    }
    ok(api, "create_service", body)["service"].clone()
}

#[track_caller]
fn update(api: &mut Api, body: Value) -> Value {
    ok(api, "update_service", body)["service"].clone()
}

/// The service as DescribeServices shows it.
#[track_caller]
fn describe(api: &mut Api, name: &str) -> Value {
    let r = ok(api, "describe_services", json!({"services": [name]}));
    assert_eq!(r["failures"], json!([]), "{r}");
    r["services"][0].clone()
}

fn messages(service: &Value) -> Vec<String> {
    service["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message"].as_str().expect("message").to_string())
        .collect()
}

fn deployments(service: &Value) -> Vec<Value> {
    service["deployments"]
        .as_array()
        .expect("deployments")
        .clone()
}

fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// The service's tasks as DescribeTasks shows them (`desired`: RUNNING or STOPPED).
fn service_tasks(api: &mut Api, name: &str, desired: &str) -> Vec<Value> {
    let r = ok(
        api,
        "list_tasks",
        json!({"serviceName": name, "desiredStatus": desired}),
    );
    let arns = r["taskArns"].as_array().expect("taskArns").clone();
    if arns.is_empty() {
        return Vec::new();
    }
    let d = ok(api, "describe_tasks", json!({"tasks": arns}));
    d["tasks"].as_array().expect("tasks").clone()
}

/// (old, new) tasks with desiredStatus RUNNING: by task definition revision.
fn old_and_new(api: &mut Api, name: &str) -> (Vec<Value>, Vec<Value>) {
    service_tasks(api, name, "RUNNING")
        .into_iter()
        .partition(|t| t["taskDefinitionArn"].as_str().expect("td").ends_with(":1"))
}

fn status_count(tasks: &[Value], status: &str) -> usize {
    tasks.iter().filter(|t| t["lastStatus"] == status).count()
}

/// Stopped tasks of the service that are still STOPPING.
fn stopping(api: &mut Api, name: &str) -> usize {
    status_count(&service_tasks(api, name, "STOPPED"), "STOPPING")
}

/// A service of `desired` web:1 tasks with `config`, steady, then updated to web:2 at 2 min.
fn deploy(desired: i64, config: Value) -> Api {
    let mut api = fleet(4, &ZONES[..2]);
    create(
        &mut api,
        "web",
        "web:1",
        desired,
        json!({"deploymentConfiguration": config}),
    );
    advance_to(&mut api, 60 * S);
    let s = describe(&mut api, "web");
    assert_eq!(count(&s, "runningCount"), desired as u64, "{s}");
    advance_to(&mut api, 120 * S);
    update(
        &mut api,
        json!({"service": "web", "taskDefinition": "web:2"}),
    );
    advance_to(&mut api, 120 * S);
    api
}

// =============================================================== CreateService validation

#[test]
fn create_service_duplicate_name_is_not_idempotent() {
    let mut api = fleet(1, &ZONES);
    create(&mut api, "web", "web:1", 1, json!({}));
    let e = err(
        &mut api,
        "create_service",
        json!({"serviceName": "web", "taskDefinition": "web:1", "desiredCount": 1}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Creation of service was not idempotent.",
    );
    // §5.10: a DRAINING service still holds its name.
    ok(
        &mut api,
        "delete_service",
        json!({"service": "web", "force": true}),
    );
    assert_eq!(describe(&mut api, "web")["status"], "DRAINING");
    let e = err(
        &mut api,
        "create_service",
        json!({"serviceName": "web", "taskDefinition": "web:1", "desiredCount": 1}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Creation of service was not idempotent.",
    );
}

#[test]
fn create_service_parameter_checks() {
    let mut api = fleet(1, &ZONES);
    // §5.1: REPLICA needs desiredCount.
    let e = err(
        &mut api,
        "create_service",
        json!({"serviceName": "a", "taskDefinition": "web:1"}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
    // §5.1: a DAEMON's maximumPercent must be 100.
    let e = err(
        &mut api,
        "create_service",
        json!({"serviceName": "b", "taskDefinition": "web:1", "schedulingStrategy": "DAEMON",
               "deploymentConfiguration": {"maximumPercent": 200}}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
    ok(
        &mut api,
        "create_service",
        json!({"serviceName": "b", "taskDefinition": "web:1", "schedulingStrategy": "DAEMON",
               "deploymentConfiguration": {"maximumPercent": 100}}),
    );
    // §5.3: minimumHealthyPercent above 100.
    let e = err(
        &mut api,
        "create_service",
        json!({"serviceName": "c", "taskDefinition": "web:1", "desiredCount": 1,
               "deploymentConfiguration": {"minimumHealthyPercent": 101}}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
    // §7.2: an unknown task definition is a ClientException.
    let e = err(
        &mut api,
        "create_service",
        json!({"serviceName": "d", "taskDefinition": "nope:1", "desiredCount": 1}),
    );
    assert_eq!(e.code, "ClientException", "{e}");
    // None of the rejected ones exists.
    let r = ok(
        &mut api,
        "describe_services",
        json!({"services": ["a", "c", "d"]}),
    );
    assert_eq!(r["services"], json!([]));
    assert_eq!(r["failures"].as_array().expect("failures").len(), 3);
}

// =============================================================== Update / Delete / Describe / List

#[test]
fn update_unknown_service_is_not_found() {
    let mut api = fleet(1, &ZONES);
    let e = err(
        &mut api,
        "update_service",
        json!({"service": "ghost", "desiredCount": 1}),
    );
    assert_error(&e, "ServiceNotFoundException", "Service not found.");
}

#[test]
fn update_of_a_deleted_service_is_not_active() {
    let mut api = fleet(2, &ZONES);
    create(&mut api, "web", "web:1", 2, json!({}));
    advance_to(&mut api, 60 * S);
    ok(
        &mut api,
        "delete_service",
        json!({"service": "web", "force": true}),
    );
    assert_eq!(describe(&mut api, "web")["status"], "DRAINING");
    let e = err(
        &mut api,
        "update_service",
        json!({"service": "web", "desiredCount": 1}),
    );
    assert_error(&e, "ServiceNotActiveException", "Service was not ACTIVE.");
    advance_to(&mut api, 120 * S);
    assert_eq!(describe(&mut api, "web")["status"], "INACTIVE");
    let e = err(
        &mut api,
        "update_service",
        json!({"service": "web", "desiredCount": 1}),
    );
    assert_error(&e, "ServiceNotActiveException", "Service was not ACTIVE.");
}

#[test]
fn delete_scaled_up_replica_needs_force_then_drains_to_inactive() {
    let mut api = fleet(2, &ZONES);
    create(&mut api, "web", "web:1", 2, json!({}));
    advance_to(&mut api, 60 * S);
    let e = err(&mut api, "delete_service", json!({"service": "web"}));
    assert_error(
        &e,
        "InvalidParameterException",
        "The service cannot be stopped while it is scaled above 0.",
    );
    assert_eq!(describe(&mut api, "web")["status"], "ACTIVE");
    let r = ok(
        &mut api,
        "delete_service",
        json!({"service": "web", "force": true}),
    );
    assert_eq!(r["service"]["status"], "DRAINING", "{r}");
    // §5.10: DRAINING services are hidden from ListServices.
    let l = ok(&mut api, "list_services", json!({}));
    assert_eq!(l["serviceArns"], json!([]));
    // "After all tasks have transitioned to either STOPPING or STOPPED status, the service
    // status moves from DRAINING to INACTIVE."
    advance_to(&mut api, 61 * S);
    let s = describe(&mut api, "web");
    assert_eq!(s["status"], "INACTIVE", "{s}");
    assert_eq!(count(&s, "desiredCount"), 0);
    assert_eq!(count(&s, "runningCount"), 0);
    advance_to(&mut api, 70 * S);
    let stopped = service_tasks(&mut api, "web", "STOPPED");
    assert_eq!(stopped.len(), 2);
    assert!(stopped.iter().all(|t| t["lastStatus"] == "STOPPED"));
    // The name is free again.
    create(&mut api, "web", "web:1", 1, json!({}));
    assert_eq!(describe(&mut api, "web")["status"], "ACTIVE");
}

#[test]
fn delete_scaled_down_replica_needs_no_force() {
    let mut api = fleet(1, &ZONES);
    create(&mut api, "web", "web:1", 1, json!({}));
    advance_to(&mut api, 60 * S);
    update(&mut api, json!({"service": "web", "desiredCount": 0}));
    advance_to(&mut api, 70 * S);
    let r = ok(&mut api, "delete_service", json!({"service": "web"}));
    assert_ne!(r["service"]["status"], "ACTIVE", "{r}");
    advance_to(&mut api, 71 * S);
    assert_eq!(describe(&mut api, "web")["status"], "INACTIVE");
}

/// §5.10: force is "only necessary ... if the service uses the REPLICA scheduling strategy"; a
/// deleted DAEMON service stops its tasks and turns INACTIVE like any other.
#[test]
fn delete_daemon_service_stops_its_tasks() {
    let mut api = fleet(3, &ZONES);
    ok(
        &mut api,
        "create_service",
        json!({"serviceName": "agent", "taskDefinition": "web:1", "schedulingStrategy": "DAEMON"}),
    );
    advance_to(&mut api, 60 * S);
    assert_eq!(count(&describe(&mut api, "agent"), "runningCount"), 3);
    ok(&mut api, "delete_service", json!({"service": "agent"}));
    advance_to(&mut api, 70 * S);
    let running = service_tasks(&mut api, "agent", "RUNNING");
    assert!(
        running.is_empty(),
        "a deleted DAEMON service keeps {} tasks running",
        running.len()
    );
    assert_eq!(describe(&mut api, "agent")["status"], "INACTIVE");
}

#[test]
fn describe_services_reports_missing_ones_as_failures() {
    let mut api = fleet(1, &ZONES);
    create(&mut api, "web", "web:1", 0, json!({}));
    let r = ok(
        &mut api,
        "describe_services",
        json!({"services": ["nope", "web"]}),
    );
    assert_eq!(r["services"].as_array().expect("services").len(), 1);
    assert_eq!(r["services"][0]["serviceName"], "web");
    let f = &r["failures"];
    assert_eq!(f.as_array().expect("failures").len(), 1, "{r}");
    assert_eq!(f[0]["reason"], "MISSING");
    assert_eq!(
        f[0]["arn"],
        "arn:aws:ecs:us-east-1:123456789012:service/default/nope"
    );
}

#[test]
fn list_services_pages_by_10_and_shows_only_active() {
    let mut api = fleet(1, &ZONES);
    for i in 0..12 {
        create(&mut api, &format!("svc-{i:02}"), "web:1", 0, json!({}));
    }
    ok(&mut api, "delete_service", json!({"service": "svc-03"}));
    let first = ok(&mut api, "list_services", json!({}));
    let arns = first["serviceArns"].as_array().expect("arns").clone();
    assert_eq!(arns.len(), 10, "default maxResults is 10");
    let token = first["nextToken"].as_str().expect("nextToken").to_string();
    let second = ok(&mut api, "list_services", json!({"nextToken": token}));
    let rest = second["serviceArns"].as_array().expect("arns").clone();
    assert_eq!(rest.len(), 1, "12 created, 1 deleted");
    assert!(second.get("nextToken").is_none_or(Value::is_null));
    let all: Vec<String> = arns
        .iter()
        .chain(rest.iter())
        .map(|a| a.as_str().expect("arn").to_string())
        .collect();
    assert!(!all.iter().any(|a| a.ends_with("/svc-03")), "{all:?}");
    assert!(
        all.iter()
            .all(|a| a.starts_with("arn:aws:ecs:us-east-1:123456789012:service/default/svc-"))
    );
}

// =============================================================== deployments

#[test]
fn what_starts_a_deployment() {
    let mut api = fleet(3, &ZONES);
    create(&mut api, "web", "web:1", 2, json!({}));
    advance_to(&mut api, 60 * S);
    let first = describe(&mut api, "web")["deployments"][0]["id"].clone();
    // §5.3: desiredCount, deploymentConfiguration and placement changes do not.
    let no_deployment = [
        json!({"service": "web", "desiredCount": 3}),
        json!({"service": "web", "deploymentConfiguration": {"minimumHealthyPercent": 50}}),
        json!({"service": "web", "placementStrategy": [{"type": "binpack", "field": "memory"}]}),
        json!({"service": "web", "placementConstraints": [{"type": "distinctInstance"}]}),
        json!({"service": "web", "taskDefinition": "web:1"}),
    ];
    for (i, body) in no_deployment.into_iter().enumerate() {
        let s = update(&mut api, body.clone());
        let d = deployments(&s);
        assert_eq!(d.len(), 1, "{body}: {s}");
        assert_eq!(d[0]["id"], first, "{body}");
        advance_to(&mut api, (120 + 60 * i as u64) * S);
    }
    // A new task definition does.
    let s = update(
        &mut api,
        json!({"service": "web", "taskDefinition": "web:2"}),
    );
    let d = deployments(&s);
    assert_eq!(d.len(), 2, "{s}");
    assert_eq!(
        (d[0]["status"].clone(), d[1]["status"].clone()),
        (json!("PRIMARY"), json!("ACTIVE"))
    );
    assert_ne!(d[0]["id"], first);
    assert!(
        d[0]["taskDefinition"]
            .as_str()
            .expect("td")
            .ends_with("web:2")
    );
    advance_to(&mut api, 600 * S);
    let s = describe(&mut api, "web");
    assert_eq!(deployments(&s).len(), 1, "{s}");
    let second = s["deployments"][0]["id"].clone();
    // forceNewDeployment does, with the same task definition.
    let s = update(
        &mut api,
        json!({"service": "web", "forceNewDeployment": true}),
    );
    let d = deployments(&s);
    assert_eq!(d.len(), 2, "{s}");
    assert_ne!(d[0]["id"], second);
    assert!(
        d[0]["taskDefinition"]
            .as_str()
            .expect("td")
            .ends_with("web:2")
    );
    assert_eq!(d[0]["rolloutState"], "IN_PROGRESS");
}

/// §5.2, §5.9: startedBy of a service task is its deployment id, `ecs-svc/` + 19 digits; the
/// task group is `service:NAME`.
/// The stoppedReason of every STOPPED task of service `name`, sorted.
fn stopped_reasons(api: &mut Api, name: &str) -> Vec<String> {
    let mut out: Vec<String> = service_tasks(api, name, "STOPPED")
        .iter()
        .map(|t| {
            t["stoppedReason"]
                .as_str()
                .expect("stoppedReason")
                .to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_scheduler_stop_names_its_own_deployment_and_cause() {
    let mut api = fleet(4, &ZONES);
    create(&mut api, "web", "web:1", 3, json!({}));
    advance_to(&mut api, 60 * S);
    let first = str_at(&describe(&mut api, "web"), "/deployments/0/id");
    // A drain stops one task of the first deployment, then a scale-in two more of it.
    let on = str_at(
        &service_tasks(&mut api, "web", "RUNNING")[0],
        "/containerInstanceArn",
    );
    let body = json!({"containerInstances": [on], "status": "DRAINING"});
    ok(&mut api, "update_container_instances_state", body);
    advance_to(&mut api, 120 * S);
    update(&mut api, json!({"service": "web", "desiredCount": 1}));
    advance_to(&mut api, 180 * S);
    // A deployment stops the first deployment's last task, then a scale-in the new one's.
    update(
        &mut api,
        json!({"service": "web", "taskDefinition": "web:2"}),
    );
    let second = str_at(&describe(&mut api, "web"), "/deployments/0/id");
    advance_to(&mut api, 300 * S);
    update(&mut api, json!({"service": "web", "desiredCount": 0}));
    advance_to(&mut api, 360 * S);
    let scaling = |d: &str| format!("Scaling activity initiated by (deployment {d})");
    let mut want = vec![
        format!(
            "{}: container instance is in DRAINING state",
            scaling(&first)
        ),
        scaling(&first),
        scaling(&first),
        scaling(&first),
        scaling(&second),
    ];
    want.sort();
    assert_eq!(stopped_reasons(&mut api, "web"), want);
}

#[test]
fn service_tasks_carry_deployment_id_and_group() {
    let mut api = fleet(2, &ZONES);
    create(&mut api, "web", "web:1", 2, json!({}));
    advance_to(&mut api, 10 * S);
    let id = describe(&mut api, "web")["deployments"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let digits = id.strip_prefix("ecs-svc/").expect("ecs-svc/ prefix");
    assert_eq!(digits.len(), 19, "{id}");
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{id}");
    let tasks = service_tasks(&mut api, "web", "RUNNING");
    assert_eq!(tasks.len(), 2);
    for t in &tasks {
        assert_eq!(t["startedBy"], id.as_str(), "{t}");
        assert_eq!(t["group"], "service:web", "{t}");
    }
    // After a deployment the new tasks carry the new id.
    update(
        &mut api,
        json!({"service": "web", "taskDefinition": "web:2"}),
    );
    let new_id = describe(&mut api, "web")["deployments"][0]["id"].clone();
    advance_to(&mut api, 20 * S);
    let (_, new) = old_and_new(&mut api, "web");
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|t| t["startedBy"] == new_id));
}

// =============================================================== §5.3 documented examples

/// "min 50 %, desired 4: the scheduler can stop two existing tasks before starting two new
/// tasks" (maximumPercent 100 keeps it to exactly that).
#[test]
fn min_50_desired_4_stops_two_before_starting_new_ones() {
    let mut api = deploy(
        4,
        json!({"minimumHealthyPercent": 50, "maximumPercent": 100}),
    );
    let (old, new) = old_and_new(&mut api, "web");
    assert_eq!(
        status_count(&old, "RUNNING"),
        2,
        "two old tasks keep running"
    );
    assert_eq!(stopping(&mut api, "web"), 2, "two old tasks stop first");
    assert!(new.is_empty(), "no new task before the stops: {new:?}");
    advance_to(&mut api, 122 * S);
    let (_, new) = old_and_new(&mut api, "web");
    assert_eq!(status_count(&new, "PENDING"), 2, "then two new tasks start");
    // Never fewer than ceil(4 × 50 %) = 2 RUNNING tasks while it rolls.
    for t in 122..400 {
        advance_to(&mut api, t * S);
        let s = describe(&mut api, "web");
        assert!(count(&s, "runningCount") >= 2, "at {t}s: {s}");
    }
    let s = describe(&mut api, "web");
    assert_eq!(deployments(&s).len(), 1, "{s}");
    assert_eq!(s["deployments"][0]["rolloutState"], "COMPLETED");
    assert_eq!(old_and_new(&mut api, "web").1.len(), 4);
}

/// "min 75 %, desired 2: the scheduler can't stop any tasks due to the resulting value also
/// being two" — so with the default maximum it starts the new ones first.
#[test]
fn min_75_desired_2_stops_nothing_first() {
    let mut api = deploy(
        2,
        json!({"minimumHealthyPercent": 75, "maximumPercent": 200}),
    );
    let (old, new) = old_and_new(&mut api, "web");
    assert_eq!(status_count(&old, "RUNNING"), 2);
    assert_eq!(stopping(&mut api, "web"), 0, "no old task stops first");
    assert_eq!(status_count(&new, "PENDING"), 2);
    advance_to(&mut api, 164 * S);
    assert_eq!(stopping(&mut api, "web"), 0, "new tasks not healthy yet");
    assert_eq!(count(&describe(&mut api, "web"), "runningCount"), 4);
    advance_to(&mut api, 165 * S);
    assert_eq!(stopping(&mut api, "web"), 2);
}

/// "max 200 %, desired 4: the scheduler can start four new tasks before stopping four
/// existing tasks".
#[test]
fn max_200_desired_4_starts_four_before_stopping() {
    let mut api = deploy(
        4,
        json!({"minimumHealthyPercent": 100, "maximumPercent": 200}),
    );
    let (old, new) = old_and_new(&mut api, "web");
    assert_eq!(status_count(&old, "RUNNING"), 4);
    assert_eq!(status_count(&new, "PENDING"), 4);
    assert_eq!(stopping(&mut api, "web"), 0);
    advance_to(&mut api, 125 * S);
    let s = describe(&mut api, "web");
    assert_eq!(count(&s, "runningCount"), 8, "{s}");
    advance_to(&mut api, 164 * S);
    assert_eq!(count(&describe(&mut api, "web"), "runningCount"), 8);
    advance_to(&mut api, 165 * S);
    assert_eq!(stopping(&mut api, "web"), 4);
    let (old, _) = old_and_new(&mut api, "web");
    assert!(old.is_empty());
}

/// "max 125 %, desired 3: the scheduler can't start any tasks due to the resulting value also
/// being three" — with minimumHealthyPercent 50 it must stop one first.
#[test]
fn max_125_desired_3_starts_nothing_first() {
    let mut api = deploy(
        3,
        json!({"minimumHealthyPercent": 50, "maximumPercent": 125}),
    );
    let (old, new) = old_and_new(&mut api, "web");
    assert!(new.is_empty(), "no new task first: {new:?}");
    assert_eq!(status_count(&old, "RUNNING"), 2, "ceil(3 × 50 %) = 2 stay");
    assert_eq!(stopping(&mut api, "web"), 1);
    advance_to(&mut api, 122 * S);
    let (_, new) = old_and_new(&mut api, "web");
    assert_eq!(new.len(), 1, "one new task once the stopped one is gone");
}

/// §5.3 [SIM]: STOPPING tasks count toward maximumPercent.
#[test]
fn stopping_tasks_count_toward_the_maximum() {
    let mut api = fleet_with(2, &ZONES, timing(5 * S, 20 * S));
    create(
        &mut api,
        "web",
        "web:1",
        2,
        json!({"deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 100}}),
    );
    advance_to(&mut api, 120 * S);
    update(
        &mut api,
        json!({"service": "web", "taskDefinition": "web:2"}),
    );
    advance_to(&mut api, 120 * S);
    assert_eq!(stopping(&mut api, "web"), 1);
    advance_to(&mut api, 139 * S);
    assert_eq!(stopping(&mut api, "web"), 1);
    let (_, new) = old_and_new(&mut api, "web");
    assert!(
        new.is_empty(),
        "1 RUNNING + 1 STOPPING = maxTasks 2: {new:?}"
    );
    advance_to(&mut api, 140 * S);
    let (_, new) = old_and_new(&mut api, "web");
    assert_eq!(new.len(), 1);
}

// =============================================================== steady state and events

#[test]
fn steady_state_event_and_rollout_completed() {
    let mut api = fleet(2, &ZONES);
    create(&mut api, "web", "web:1", 2, json!({}));
    advance_to(&mut api, 44 * S);
    let s = describe(&mut api, "web");
    assert_eq!(count(&s, "runningCount"), 2);
    assert_eq!(s["deployments"][0]["rolloutState"], "IN_PROGRESS");
    assert!(
        !messages(&s).iter().any(|m| m.contains("steady state")),
        "{s}"
    );
    advance_to(&mut api, 45 * S);
    let s = describe(&mut api, "web");
    let d = &s["deployments"][0];
    assert_eq!(d["rolloutState"], "COMPLETED", "{s}");
    assert_eq!(
        d["rolloutStateReason"],
        format!(
            "ECS deployment {} completed.",
            d["id"].as_str().expect("id")
        )
    );
    assert_eq!(messages(&s)[0], "(service web) has reached a steady state.");
    assert!(messages(&s)[2].starts_with("(service web) has started 2 tasks: (task "));
}

/// Events are newest first, and DescribeServices shows at most the latest 100 (§5.11).
#[test]
fn events_newest_first_and_at_most_100() {
    let mut api = fleet(2, &ZONES);
    create(&mut api, "web", "web:1", 1, json!({}));
    let mut t = 60;
    for i in 0..70 {
        update(
            &mut api,
            json!({"service": "web", "desiredCount": 2 - (i % 2)}),
        );
        t += 60;
        advance_to(&mut api, t * S);
    }
    let s = describe(&mut api, "web");
    let events = s["events"].as_array().expect("events");
    assert_eq!(events.len(), 100, "{} events", events.len());
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["createdAt"].as_str().expect("createdAt"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(messages(&s)[0], "(service web) has reached a steady state.");
    // The oldest ones (from creation at t=0) are the ones left out.
    assert!(times[99] > "2025-01-01T00:01:00.000Z", "{}", times[99]);
    let ids: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 100, "event ids are unique");
}

/// §5.3 [SIM] stop phase first: in one tick the stops come before the starts, so (newest
/// first) "has started" is above "has stopped".
#[test]
fn one_tick_reports_its_stops_before_its_starts() {
    let mut api = deploy(
        4,
        json!({"minimumHealthyPercent": 50, "maximumPercent": 200}),
    );
    let m = messages(&describe(&mut api, "web"));
    assert!(
        m[0].starts_with("(service web) has started 4 tasks: "),
        "{m:?}"
    );
    assert!(
        m[1].starts_with("(service web) has stopped 2 running tasks: "),
        "{m:?}"
    );
}

// =============================================================== placement failures

#[test]
fn placement_failure_names_the_closest_instance() {
    let mut api = fleet(1, &ZONES);
    let ci = ok(&mut api, "list_container_instances", json!({}))["containerInstanceArns"][0]
        .as_str()
        .expect("arn")
        .to_string();
    let uuid = ci.rsplit('/').next().expect("id").to_string();
    register_td(&mut api, td("big", 256, 16_384));
    create(&mut api, "big", "big", 1, json!({}));
    advance_to(&mut api, 0);
    let s = describe(&mut api, "big");
    assert_eq!(
        messages(&s)[0],
        format!(
            "(service big) was unable to place a task because no container instance met all of its requirements. \
             The closest matching (container-instance {uuid}) has insufficient memory available. \
             For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
        )
    );
    assert_eq!(count(&s, "pendingCount"), 0);
    assert_eq!(count(&s["deployments"][0], "failedTasks"), 1);
}

#[test]
fn placement_failure_without_instances() {
    let mut api = api_with(ApiConfig::default(), 0, timing(5 * S, 2 * S));
    register_td(&mut api, td("web", 256, 512));
    create(&mut api, "web", "web", 1, json!({}));
    advance_to(&mut api, 0);
    let s = describe(&mut api, "web");
    assert_eq!(
        messages(&s)[0],
        "(service web) was unable to place a task because no container instance met all of its requirements. \
         Reason: No Container Instances were found in your cluster."
    );
}

// =============================================================== throttle and circuit breaker

/// Failure count of the PRIMARY deployment at `t` seconds.
fn failed_at(api: &mut Api, name: &str, t: u64) -> u64 {
    advance_to(api, t * S);
    count(&describe(api, name)["deployments"][0], "failedTasks")
}

/// §5.8 [SIM]: retries after 10 s × 2^(n-1), capped at 900 s; the third failure in a row adds
/// "is unable to consistently start tasks successfully." once; a new task definition resets it.
#[test]
fn throttle_backs_off_failed_starts() {
    let mut api = fleet(1, &ZONES);
    register_td(&mut api, td("big", 256, 16_384));
    create(&mut api, "big", "big", 1, json!({}));
    // Attempts at 0, 10, 30, 70, 150, 310, 630, 1270, then every 900 s: 2170, 3070.
    let attempts = [0, 10, 30, 70, 150, 310, 630, 1270, 2170, 3070];
    for (n, at) in attempts.iter().enumerate().skip(1) {
        assert_eq!(failed_at(&mut api, "big", at - 1), n as u64, "before {at}s");
        assert_eq!(failed_at(&mut api, "big", *at), n as u64 + 1, "at {at}s");
    }
    let m = messages(&describe(&mut api, "big"));
    let impaired = "(service big) is unable to consistently start tasks successfully.";
    assert_eq!(m.iter().filter(|x| *x == impaired).count(), 1, "{m:?}");
    assert_eq!(
        m.iter()
            .filter(|x| x.contains("was unable to place a task"))
            .count(),
        1,
        "the same cause is shown once: {m:?}"
    );
    // A task definition that fits: back to normal at once, no waiting for the 3970 s retry.
    register_td(&mut api, td("big", 256, 512));
    update(
        &mut api,
        json!({"service": "big", "taskDefinition": "big:2"}),
    );
    advance_to(&mut api, 3070 * S);
    assert_eq!(count(&describe(&mut api, "big"), "pendingCount"), 1);
    advance_to(&mut api, 3075 * S);
    assert_eq!(count(&describe(&mut api, "big"), "runningCount"), 1);
}

/// §5.9: threshold = ceil(desired / 2) clamped to [3, 200]: desired 1 fails after 3.
#[test]
fn circuit_breaker_threshold_for_desired_1_is_3() {
    let mut api = fleet(1, &ZONES);
    register_td(&mut api, td("big", 256, 16_384));
    let cb = json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": false}}});
    create(&mut api, "big", "big", 1, cb);
    assert_eq!(failed_at(&mut api, "big", 29), 2);
    assert_eq!(
        describe(&mut api, "big")["deployments"][0]["rolloutState"],
        "IN_PROGRESS"
    );
    assert_eq!(failed_at(&mut api, "big", 30), 3);
    let s = describe(&mut api, "big");
    let d = &s["deployments"][0];
    assert_eq!(d["rolloutState"], "FAILED", "{s}");
    assert_eq!(
        d["rolloutStateReason"],
        "ECS deployment circuit breaker: task failed to start."
    );
    // "A deployment in FAILED state doesn't launch any new tasks."
    assert_eq!(failed_at(&mut api, "big", 3600), 3);
}

#[test]
fn circuit_breaker_threshold_for_desired_10_is_5() {
    let mut api = fleet(1, &ZONES);
    register_td(&mut api, td("big", 256, 16_384));
    let cb = json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": false}}});
    create(&mut api, "big", "big", 10, cb);
    assert_eq!(failed_at(&mut api, "big", 149), 4);
    assert_eq!(
        describe(&mut api, "big")["deployments"][0]["rolloutState"],
        "IN_PROGRESS"
    );
    assert_eq!(failed_at(&mut api, "big", 150), 5);
    assert_eq!(
        describe(&mut api, "big")["deployments"][0]["rolloutState"],
        "FAILED"
    );
}

// =============================================================== scale-in AZ balance

/// §5.5 stop rule, applied task by task: 9 -> 3 over three AZs leaves one task per AZ,
/// whatever the seed.
#[test]
fn scale_in_keeps_the_az_balance() {
    for seed in 0..6 {
        let mut api = api_with(ApiConfig::default(), seed, timing(5 * S, 2 * S));
        let arns: Vec<String> = (0..3)
            .map(|i| {
                Inst::new(&format!("i-{i}"), 4096, 8192)
                    .az(ZONES[i])
                    .register(&mut api)
            })
            .collect();
        register_td(&mut api, td("web", 256, 512));
        create(&mut api, "web", "web", 9, json!({}));
        advance_to(&mut api, 60 * S);
        update(&mut api, json!({"service": "web", "desiredCount": 3}));
        advance_to(&mut api, 120 * S);
        let counts: Vec<u64> = arns
            .iter()
            .map(|a| {
                count(
                    &container_instance(&mut api, "default", a),
                    "runningTasksCount",
                )
            })
            .collect();
        assert_eq!(counts, vec![1, 1, 1], "seed {seed}");
    }
}

/// UpdateService through `call_discarding` (a timeline entry nobody reads) has the effects and
/// the errors of `call`: the same service afterwards, the same rollout, the same refusals.
#[test]
fn update_service_discarding_its_response_acts_as_the_call_does() {
    let run = |discard: bool| {
        let mut api = fleet(6, &ZONES);
        create(&mut api, "web", "web:1", 4, json!({}));
        advance_to(&mut api, 60 * S);
        let good = json!({"service": "web", "taskDefinition": "web:2", "desiredCount": 5});
        let bad = json!({"service": "nope", "desiredCount": 1});
        let outcomes: Vec<Result<(), String>> = [good, bad]
            .iter()
            .map(|body| {
                let r = if discard {
                    api.call_discarding("update_service", body)
                } else {
                    api.call("update_service", body).map(drop)
                };
                r.map_err(|e| e.to_string())
            })
            .collect();
        advance_to(&mut api, 600 * S);
        (outcomes, describe(&mut api, "web"))
    };
    let (called, described) = run(false);
    assert!(called[0].is_ok() && called[1].is_err(), "{called:?}");
    assert_eq!(run(true), (called, described));
}
