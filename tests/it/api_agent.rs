//! UpdateContainerAgent, DiscoverPollEndpoint, SubmitTaskStateChange,
//! SubmitContainerStateChange (ecs-semantics §6.1, §6.2, §6.3, §6.4, §7.8).

use crate::support::*;
use ecsim::api::{Api, ApiConfig};
use serde_json::json;

#[test]
fn update_container_agent_goes_pending_then_updated_after_the_delay() {
    let mut api = api();
    let ci = Inst::new("i-1", 1024, 1024)
        .agent("1.50.0")
        .register(&mut api);
    let r = ok(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": ci}),
    );
    assert_eq!(r["containerInstance"]["agentUpdateStatus"], "PENDING");
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": ci}),
    );
    assert_eq!(e.code, "UpdateInProgressException");
    // The default agent-update delay is 60 s.
    advance_to(&mut api, 59_999);
    assert_eq!(
        container_instance(&mut api, "default", &ci)["agentUpdateStatus"],
        "PENDING"
    );
    advance_to(&mut api, 60_000);
    let d = container_instance(&mut api, "default", &ci);
    assert_eq!(d["agentUpdateStatus"], "UPDATED");
    let latest = d["versionInfo"]["agentVersion"].as_str().unwrap();
    assert_ne!(latest, "1.50.0", "the update changed nothing");
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": ci}),
    );
    assert_eq!(e.code, "NoUpdateAvailableException");
}

#[test]
fn update_container_agent_at_latest_and_unknown_instance() {
    let mut api = api();
    // Learn the latest version by updating an old agent, then register one already there.
    let old = Inst::new("i-old", 1024, 1024)
        .agent("1.0.0")
        .register(&mut api);
    ok(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": old}),
    );
    advance(&mut api, 3_600_000);
    let d = container_instance(&mut api, "default", &old);
    let latest = d["versionInfo"]["agentVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let ci = Inst::new("i-1", 1024, 1024)
        .agent(&latest)
        .register(&mut api);
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": ci}),
    );
    assert_eq!(e.code, "NoUpdateAvailableException");
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": "ffffffffffffffffffffffffffffffff"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"cluster": "ghost", "containerInstance": ci}),
    );
    assert_eq!(e.code, "ClusterNotFoundException");
}

#[test]
fn discover_poll_endpoint_names_the_region() {
    let mut api = Api::new(
        ApiConfig {
            region: "eu-west-1".into(),
            ..ApiConfig::default()
        },
        Default::default(),
    );
    let r = ok(&mut api, "discover_poll_endpoint", json!({}));
    let endpoint = r["endpoint"].as_str().unwrap();
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    assert!(endpoint.contains("eu-west-1"), "{endpoint}");
    assert!(
        r["telemetryEndpoint"]
            .as_str()
            .unwrap()
            .contains("eu-west-1")
    );
}

fn pending_task(api: &mut Api) -> String {
    instance(api, "i-1", 4096, 4096);
    let body = json!({"family": "two", "containerDefinitions": [
        {"name": "main", "image": "i", "cpu": 10, "memory": 10},
        {"name": "side", "image": "i", "cpu": 10, "memory": 10, "essential": false}]});
    register_td(api, body);
    task_arns(&run(api, json!({"taskDefinition": "two"}))).remove(0)
}

#[test]
fn submit_task_state_change_running_early() {
    let mut api = api_with(ApiConfig::default(), 0, timing(60_000, 0));
    let t = pending_task(&mut api);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "PENDING");
    let r = ok(
        &mut api,
        "submit_task_state_change",
        json!({"task": t, "status": "RUNNING"}),
    );
    assert_eq!(r["acknowledgment"], "ACK");
    let d = task(&mut api, "default", &t);
    assert_eq!(d["lastStatus"], "RUNNING");
    assert_eq!(d["startedAt"], d["createdAt"], "started at time 0");
    // The scheduled start later is a no-op.
    advance_to(&mut api, 61_000);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "RUNNING");
}

#[test]
fn every_container_running_makes_the_task_running() {
    let mut api = api_with(ApiConfig::default(), 0, timing(60_000, 0));
    let t = pending_task(&mut api);
    for c in ["main", "side"] {
        let body = json!({"task": t, "containerName": c, "status": "RUNNING"});
        ok(&mut api, "submit_container_state_change", body);
    }
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "RUNNING");
}

#[test]
fn essential_container_stopped_stops_the_task() {
    let mut api = api();
    let t = pending_task(&mut api);
    advance(&mut api, 1);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "RUNNING");
    let body = json!({"task": t, "containerName": "main", "status": "STOPPED", "exitCode": 137});
    ok(&mut api, "submit_container_state_change", body);
    advance(&mut api, 1);
    let d = task(&mut api, "default", &t);
    assert_eq!(d["lastStatus"], "STOPPED");
    assert_eq!(d["desiredStatus"], "STOPPED");
    assert_eq!(d["stopCode"], "EssentialContainerExited");
    assert_eq!(d["stoppedReason"], "Essential container in task exited");
    let main = d["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "main")
        .unwrap();
    assert_eq!(main["exitCode"], 137);
}

#[test]
fn non_essential_container_stopped_keeps_the_task_running() {
    let mut api = api();
    let t = pending_task(&mut api);
    advance(&mut api, 1);
    let body = json!({"task": t, "containerName": "side", "status": "STOPPED", "exitCode": 0});
    ok(&mut api, "submit_container_state_change", body);
    advance(&mut api, 1);
    let d = task(&mut api, "default", &t);
    assert_eq!(d["lastStatus"], "RUNNING");
    assert_eq!(d["desiredStatus"], "RUNNING");
}

/// Each container's `lastStatus` by name, as DescribeTasks shows it.
fn container_statuses(api: &mut Api, t: &str) -> Vec<(String, String)> {
    let d = task(api, "default", t);
    let cs = d["containers"].as_array().unwrap().iter();
    let pair = |c: &serde_json::Value| (c["name"].to_string(), c["lastStatus"].to_string());
    let mut out: Vec<_> = cs.map(pair).collect();
    out.sort();
    out
}

/// SubmitContainerStateChange: container `name` of task `t` reports `status` (with `exit`).
fn report(api: &mut Api, t: &str, name: &str, status: &str, exit: Option<i64>) {
    let mut body = json!({"task": t, "containerName": name, "status": status});
    if let Some(code) = exit {
        body["exitCode"] = json!(code);
    }
    ok(api, "submit_container_state_change", body);
}

fn pairs(main: &str, side: &str) -> Vec<(String, String)> {
    let q = |s: &str| format!("\"{s}\"");
    vec![(q("main"), q(main)), (q("side"), q(side))]
}

#[test]
fn containers_follow_their_task_unless_they_reported_a_status() {
    let mut api = api_with(ApiConfig::default(), 0, timing(60_000, 0));
    let t = pending_task(&mut api);
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("PENDING", "PENDING")
    );
    // A container's own report shows while its task is still PENDING.
    report(&mut api, &t, "side", "RUNNING", None);
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("PENDING", "RUNNING")
    );
    advance_to(&mut api, 61_000);
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("RUNNING", "RUNNING")
    );
    // A non-essential exit stays STOPPED while the task runs on, and after it stops.
    report(&mut api, &t, "side", "STOPPED", Some(0));
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("RUNNING", "STOPPED")
    );
    ok(&mut api, "stop_task", json!({"task": t}));
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "STOPPING");
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("RUNNING", "STOPPED")
    );
    report(&mut api, &t, "main", "RUNNING", None);
    advance(&mut api, 60_000);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "STOPPED");
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("STOPPED", "STOPPED")
    );
}

#[test]
fn a_stopped_container_reported_before_the_start_stays_stopped() {
    let mut api = api_with(ApiConfig::default(), 0, timing(60_000, 0));
    let t = pending_task(&mut api);
    report(&mut api, &t, "side", "STOPPED", Some(1));
    advance_to(&mut api, 61_000);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "RUNNING");
    assert_eq!(
        container_statuses(&mut api, &t),
        pairs("RUNNING", "STOPPED")
    );
}

#[test]
fn essential_exit_reported_in_a_task_state_change() {
    let mut api = api();
    let t = pending_task(&mut api);
    advance(&mut api, 1);
    let body = json!({"task": t, "containers": [{"containerName": "main", "status": "STOPPED", "exitCode": 2}]});
    ok(&mut api, "submit_task_state_change", body);
    advance(&mut api, 1);
    let d = task(&mut api, "default", &t);
    assert_eq!(d["lastStatus"], "STOPPED");
    assert_eq!(d["stopCode"], "EssentialContainerExited");
}

#[test]
fn task_state_change_stopped_releases_resources() {
    let mut api = api();
    let t = pending_task(&mut api);
    advance(&mut api, 1);
    let ci = api.instance_arn(api.engine.world().instances()[0].id);
    assert_eq!(remaining(&mut api, "default", &ci), (4096 - 20, 4096 - 20));
    ok(
        &mut api,
        "submit_task_state_change",
        json!({"task": t, "status": "STOPPED"}),
    );
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "STOPPED");
    assert_eq!(remaining(&mut api, "default", &ci), (4096, 4096));
}

#[test]
fn state_changes_for_unknown_tasks_or_containers_are_refused() {
    let mut api = api();
    let t = pending_task(&mut api);
    let e = err(
        &mut api,
        "submit_task_state_change",
        json!({"task": "0123456789abcdef0123456789abcdef", "status": "RUNNING"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    let e = err(
        &mut api,
        "submit_container_state_change",
        json!({"task": t, "containerName": "nope", "status": "RUNNING"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    let e = err(
        &mut api,
        "submit_task_state_change",
        json!({"task": t, "status": "DANCING"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

/// Exception names of the ECS model (ecs-semantics §7.1).
const ECS_EXCEPTIONS: [&str; 28] = [
    "AccessDeniedException",
    "AttributeLimitExceededException",
    "BlockedException",
    "ClientException",
    "ClusterContainsCapacityProviderException",
    "ClusterContainsContainerInstancesException",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ClusterNotFoundException",
    "ConflictException",
    "InvalidParameterException",
    "LimitExceededException",
    "MissingVersionException",
    "NamespaceNotFoundException",
    "NoUpdateAvailableException",
    "PlatformTaskDefinitionIncompatibilityException",
    "PlatformUnknownException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ServerException",
    "ServiceDeploymentNotFoundException",
    "ServiceNotActiveException",
    "ServiceNotFoundException",
    "TargetNotConnectedException",
    "TargetNotFoundException",
    "TaskSetNotFoundException",
    "UnsupportedFeatureException",
    "UpdateInProgressException",
];

#[test]
fn update_container_agent_on_a_disconnected_agent_raises_an_ecs_exception() {
    let mut api = api();
    let ci = Inst::new("i-1", 1024, 1024)
        .agent("1.50.0")
        .register(&mut api);
    let id = api.engine.world().instances()[0].id;
    api.engine.set_agent_connected(id, false);
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": ci}),
    );
    assert!(
        ECS_EXCEPTIONS.contains(&e.code.as_str()),
        "`{}` is not an exception of the ECS API (§7.1): {e}",
        e.code
    );
}

#[test]
fn update_container_agent_without_a_known_version_is_missing_version() {
    // §7.1 MissingVersionException: ECS cannot determine the agent's current version.
    let mut api = api();
    let mut body = Inst::new("i-1", 1024, 1024).body();
    body.as_object_mut().unwrap().remove("versionInfo");
    let r = ok(&mut api, "register_container_instance", body);
    let ci = str_at(&r, "/containerInstance/containerInstanceArn");
    let e = err(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": ci}),
    );
    assert_eq!(e.code, "MissingVersionException", "{e}");
}
