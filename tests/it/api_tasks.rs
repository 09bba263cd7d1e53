//! RunTask, StartTask, StopTask, DescribeTasks, ListTasks, and resource accounting
//! (ecs-semantics §1.2, §1.5, §1.7, §4, §6, §7.2, §7.3, §7.7).

use crate::support::*;
use ecsim::api::{Api, ApiConfig};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn one_instance(cpu: i64, memory: i64) -> (Api, String) {
    let mut api = api();
    let ci = instance(&mut api, "i-1", cpu, memory);
    (api, ci)
}

#[test]
fn run_task_count_limits() {
    let (mut api, _) = one_instance(8192, 8192);
    register_td(&mut api, td("web", 10, 10));
    let r = run(&mut api, json!({"taskDefinition": "web", "count": 10}));
    assert_eq!(task_arns(&r).len(), 10);
    let r = run(&mut api, json!({"taskDefinition": "web"}));
    assert_eq!(task_arns(&r).len(), 1, "count defaults to 1");
    for bad in [11, 0, -1] {
        let e = err(
            &mut api,
            "run_task",
            json!({"taskDefinition": "web", "count": bad}),
        );
        assert_eq!(e.code, "InvalidParameterException", "count {bad}");
    }
}

#[test]
fn run_task_defaults_group_and_keeps_started_by() {
    let (mut api, ci) = one_instance(2048, 2048);
    let td_arn = register_td(&mut api, td("web", 10, 10));
    let r = run(
        &mut api,
        json!({"taskDefinition": "web", "startedBy": "ci-job_1"}),
    );
    let t = &r["tasks"][0];
    assert_eq!(t["group"], "family:web");
    assert_eq!(t["startedBy"], "ci-job_1");
    assert_eq!(t["taskDefinitionArn"], json!(td_arn));
    assert_eq!(t["containerInstanceArn"], json!(ci));
    assert_eq!(t["desiredStatus"], "RUNNING");
    assert_eq!(t["launchType"], "EC2");
    assert!(
        t["taskArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:ecs:us-east-1:123456789012:task/default/")
    );
    let r = run(&mut api, json!({"taskDefinition": "web", "group": "batch"}));
    assert_eq!(r["tasks"][0]["group"], "batch");
    let e = err(
        &mut api,
        "run_task",
        json!({"taskDefinition": "web", "startedBy": "bad by!"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn run_task_lifecycle_pending_then_running() {
    let mut api = api_with(ApiConfig::default(), 0, timing(10_000, 0));
    instance(&mut api, "i-1", 2048, 2048);
    register_td(&mut api, td("web", 10, 10));
    let t = task_arns(&run(&mut api, json!({"taskDefinition": "web"}))).remove(0);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "PENDING");
    advance_to(&mut api, 9_999);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "PENDING");
    advance_to(&mut api, 10_000);
    let d = task(&mut api, "default", &t);
    assert_eq!(d["lastStatus"], "RUNNING");
    assert!(d.get("startedAt").is_some());
}

#[test]
fn run_task_with_unknown_or_inactive_task_definition() {
    // ecs-semantics §7.2 / §7.1: an unknown task definition is a ClientException; §7.6: an
    // INACTIVE revision cannot run new tasks (ClientException "TaskDefinition is inactive").
    let (mut api, _) = one_instance(2048, 2048);
    let e = err(&mut api, "run_task", json!({"taskDefinition": "ghost"}));
    assert_eq!(e.code, "ClientException", "{e}");
    register_td(&mut api, td("web", 10, 10));
    ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web:1"}),
    );
    let e = err(&mut api, "run_task", json!({"taskDefinition": "web:1"}));
    assert_eq!(e.code, "ClientException", "{e}");
    // `web` alone has no ACTIVE revision left.
    let e = err(&mut api, "run_task", json!({"taskDefinition": "web"}));
    assert_eq!(e.code, "ClientException", "{e}");
}

#[test]
fn run_task_without_instances() {
    let mut api = api();
    ok(
        &mut api,
        "create_cluster",
        json!({"clusterName": "default"}),
    );
    register_td(&mut api, td("web", 10, 10));
    let e = err(&mut api, "run_task", json!({"taskDefinition": "web"}));
    assert_error(
        &e,
        "InvalidParameterException",
        "No Container Instances were found in your cluster.",
    );
}

#[test]
fn overrides_change_what_a_task_consumes() {
    let (mut api, ci) = one_instance(4096, 4096);
    register_td(&mut api, td("web", 256, 512));
    run(&mut api, json!({"taskDefinition": "web"}));
    assert_eq!(
        remaining(&mut api, "default", &ci),
        (4096 - 256, 4096 - 512)
    );
    run(
        &mut api,
        json!({"taskDefinition": "web", "overrides": {"cpu": "1024", "memory": "1024"}}),
    );
    assert_eq!(
        remaining(&mut api, "default", &ci),
        (4096 - 256 - 1024, 4096 - 512 - 1024)
    );
    let co = json!({"containerOverrides": [{"name": "app", "cpu": 100, "memory": 200}]});
    let r = run(&mut api, json!({"taskDefinition": "web", "overrides": co}));
    assert_eq!(
        remaining(&mut api, "default", &ci),
        (4096 - 256 - 1024 - 100, 4096 - 512 - 1024 - 200)
    );
    assert_eq!(
        r["tasks"][0]["overrides"]["containerOverrides"][0]["name"],
        "app"
    );
}

fn failure_of(api: &mut Api, body: Value) -> Vec<String> {
    let r = run(api, body);
    assert!(task_arns(&r).is_empty(), "unexpectedly placed: {r}");
    failure_reasons(&r)
}

#[test]
fn placement_failure_cpu_and_memory() {
    let (mut api, ci) = one_instance(1024, 1024);
    register_td(&mut api, td("big-cpu", 2048, 16));
    register_td(&mut api, td("big-mem", 16, 2048));
    let r = run(&mut api, json!({"taskDefinition": "big-cpu"}));
    assert_eq!(failure_reasons(&r), ["RESOURCE:CPU"]);
    assert_eq!(r["failures"][0]["arn"], json!(ci));
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "big-mem"})),
        ["RESOURCE:MEMORY"]
    );
    // Exactly the remaining amount fits.
    register_td(&mut api, td("exact", 1024, 1024));
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "exact"}))).len(),
        1
    );
    assert_eq!(remaining(&mut api, "default", &ci), (0, 0));
}

#[test]
fn placement_failure_ports_conflict_and_reserved() {
    let (mut api, _) = one_instance(4096, 4096);
    register_td(&mut api, td_ports("p8080", &[8080]));
    register_td(&mut api, td_ports("ssh", &[22]));
    let r = run(&mut api, json!({"taskDefinition": "p8080", "count": 2}));
    assert_eq!(task_arns(&r).len(), 1);
    assert_eq!(failure_reasons(&r), ["RESOURCE:PORTS"]);
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "ssh"})),
        ["RESOURCE:PORTS"]
    );
}

#[test]
fn placement_failure_at_the_100_reserved_port_cap() {
    // 5 default reserved ports + 95 static ports = 100: fits; one more does not (§4.4).
    let (mut api, ci) = one_instance(4096, 4096);
    let ports95: Vec<u16> = (10_000..10_095).collect();
    register_td(&mut api, td_ports("p95", &ports95));
    register_td(&mut api, td_ports("p1", &[20_000]));
    let r = run(&mut api, json!({"taskDefinition": "p95"}));
    assert_eq!(task_arns(&r).len(), 1, "{r}");
    assert_eq!(remaining_ports(&mut api, "default", &ci).len(), 100);
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "p1"})),
        ["RESOURCE:PORTS"]
    );
    // Dynamic host ports do not count against the cap.
    let dynamic = json!({"family": "dyn", "containerDefinitions": [{"name": "a", "image": "i", "cpu": 1, "memory": 1,
        "portMappings": [{"containerPort": 80}]}]});
    register_td(&mut api, dynamic);
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "dyn"}))).len(),
        1
    );
}

#[test]
fn placement_failure_over_100_ports_in_one_task() {
    let (mut api, _) = one_instance(4096, 4096);
    let ports96: Vec<u16> = (10_000..10_096).collect();
    register_td(&mut api, td_ports("p96", &ports96));
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "p96"})),
        ["RESOURCE:PORTS"]
    );
}

#[test]
fn placement_failure_gpu() {
    let mut api = api();
    Inst::new("i-gpu", 4096, 4096)
        .resource(json!({"name": "GPU", "type": "INTEGER", "integerValue": 1}))
        .register(&mut api);
    let gpu = |n: &str| {
        json!({"family": format!("gpu{n}"), "containerDefinitions": [{"name": "a", "image": "i", "cpu": 1, "memory": 1,
            "resourceRequirements": [{"type": "GPU", "value": n}]}]})
    };
    register_td(&mut api, gpu("2"));
    register_td(&mut api, gpu("1"));
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "gpu2"})),
        ["RESOURCE:GPU"]
    );
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "gpu1"}))).len(),
        1
    );
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "gpu1"})),
        ["RESOURCE:GPU"]
    );
}

fn vpc_api() -> Api {
    let mut config = ApiConfig {
        eni_limit_of: |t| (t == "c5.large").then_some(3),
        ..ApiConfig::default()
    };
    config
        .subnet_zones
        .insert("subnet-a".into(), "us-east-1a".into());
    config
        .subnet_zones
        .insert("subnet-b".into(), "us-east-1b".into());
    api_with(config, 0, timing(0, 0))
}

fn vpc_run(subnet: &str) -> Value {
    json!({"taskDefinition": "vpc", "networkConfiguration": {"awsvpcConfiguration": {"subnets": [subnet]}}})
}

#[test]
fn placement_failure_eni_limit() {
    // c5.large: 3 ENIs, the primary takes one: two awsvpc tasks (§4.5).
    let mut api = vpc_api();
    Inst::new("i-1", 4096, 4096)
        .instance_type("c5.large")
        .eni_capable()
        .register(&mut api);
    register_td(&mut api, td_awsvpc("vpc"));
    for _ in 0..2 {
        assert_eq!(task_arns(&run(&mut api, vpc_run("subnet-a"))).len(), 1);
    }
    assert_eq!(failure_of(&mut api, vpc_run("subnet-a")), ["RESOURCE:ENI"]);
}

#[test]
fn placement_failure_attribute_and_location() {
    let mut api = vpc_api();
    let plain = Inst::new("i-plain", 4096, 4096).register(&mut api);
    register_td(&mut api, td_awsvpc("vpc"));
    let r = run(&mut api, vpc_run("subnet-a"));
    assert_eq!(failure_reasons(&r), ["ATTRIBUTE"]);
    assert_eq!(r["failures"][0]["arn"], json!(plain));
    let mut api = vpc_api();
    Inst::new("i-a", 4096, 4096)
        .az("us-east-1a")
        .eni_capable()
        .register(&mut api);
    register_td(&mut api, td_awsvpc("vpc"));
    assert_eq!(failure_of(&mut api, vpc_run("subnet-b")), ["LOCATION"]);
    let r = run(&mut api, vpc_run("subnet-a"));
    assert_eq!(r["tasks"][0]["lastStatus"], "PROVISIONING");
    assert_eq!(
        r["tasks"][0]["attachments"][0]["type"],
        "ElasticNetworkInterface"
    );
}

#[test]
fn awsvpc_without_network_configuration() {
    let mut api = vpc_api();
    Inst::new("i-a", 4096, 4096)
        .eni_capable()
        .register(&mut api);
    register_td(&mut api, td_awsvpc("vpc"));
    let e = err(&mut api, "run_task", json!({"taskDefinition": "vpc"}));
    assert_error(
        &e,
        "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    );
}

#[test]
fn placement_failure_agent_disconnected() {
    let (mut api, _) = one_instance(4096, 4096);
    register_td(&mut api, td("web", 10, 10));
    let id = api.engine.world().instances()[0].id;
    api.engine.set_agent_connected(id, false);
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "web"})),
        ["AGENT"]
    );
    api.engine.set_agent_connected(id, true);
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "web"}))).len(),
        1
    );
}

#[test]
fn each_instance_reports_its_own_first_reason() {
    let mut api = api();
    let small = instance(&mut api, "i-small", 128, 4096);
    let lowmem = instance(&mut api, "i-lowmem", 4096, 128);
    register_td(&mut api, td("web", 512, 512));
    let r = run(&mut api, json!({"taskDefinition": "web"}));
    let mut by_arn: BTreeMap<String, String> = BTreeMap::new();
    for f in r["failures"].as_array().unwrap() {
        by_arn.insert(
            f["arn"].as_str().unwrap().into(),
            f["reason"].as_str().unwrap().into(),
        );
    }
    assert_eq!(by_arn.get(&small).map(String::as_str), Some("RESOURCE:CPU"));
    assert_eq!(
        by_arn.get(&lowmem).map(String::as_str),
        Some("RESOURCE:MEMORY")
    );
}

/// EC2 ids of the instances that RunTask chose, one task at a time, for `seed`.
fn random_placements(seed: u64) -> Vec<String> {
    let mut api = api_seeded(seed);
    let mut ec2_of = BTreeMap::new();
    for i in 0..6 {
        let ec2 = format!("i-{i}");
        let arn = instance(&mut api, &ec2, 65_536, 65_536);
        ec2_of.insert(arn, ec2);
    }
    register_td(&mut api, td("web", 1, 1));
    let mut out = Vec::new();
    for _ in 0..4 {
        let r = run(&mut api, json!({"taskDefinition": "web", "count": 10}));
        for t in r["tasks"].as_array().unwrap() {
            out.push(ec2_of[t["containerInstanceArn"].as_str().unwrap()].clone());
        }
    }
    out
}

#[test]
fn same_seed_same_placements_other_seed_other_placements() {
    let a = random_placements(11);
    assert_eq!(a.len(), 40);
    assert_eq!(a, random_placements(11));
    let distinct: std::collections::BTreeSet<&String> = a.iter().collect();
    assert!(
        distinct.len() >= 4,
        "random placement used only {distinct:?}"
    );
    let differs = [12, 13, 14].iter().any(|s| random_placements(*s) != a);
    assert!(differs, "three other seeds gave the same 40 placements");
}

#[test]
fn start_task_on_named_instances() {
    let mut api = api();
    let a = instance(&mut api, "i-a", 1024, 1024);
    let small = instance(&mut api, "i-small", 64, 64);
    let gone = instance(&mut api, "i-gone", 1024, 1024);
    ok(
        &mut api,
        "deregister_container_instance",
        json!({"containerInstance": gone}),
    );
    register_td(&mut api, td("web", 128, 128));
    let r = ok(
        &mut api,
        "start_task",
        json!({"taskDefinition": "web", "containerInstances": [a, small, gone, "ffffffffffffffffffffffffffffffff"], "startedBy": "me"}),
    );
    assert_eq!(r["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(r["tasks"][0]["containerInstanceArn"], json!(a));
    assert_eq!(r["tasks"][0]["startedBy"], "me");
    let mut reasons: BTreeMap<String, String> = BTreeMap::new();
    for f in r["failures"].as_array().unwrap() {
        reasons.insert(
            f["arn"].as_str().unwrap().into(),
            f["reason"].as_str().unwrap().into(),
        );
    }
    assert_eq!(
        reasons.get(&small).map(String::as_str),
        Some("RESOURCE:CPU")
    );
    assert_eq!(reasons.get(&gone).map(String::as_str), Some("INACTIVE"));
    assert_eq!(
        reasons
            .get("ffffffffffffffffffffffffffffffff")
            .map(String::as_str),
        Some("MISSING")
    );
    let e = err(
        &mut api,
        "start_task",
        json!({"taskDefinition": "web", "containerInstances": []}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn stop_task_user_initiated_and_resources_released_at_stopped() {
    let mut api = api_with(ApiConfig::default(), 0, timing(0, 5_000));
    let ci = instance(&mut api, "i-1", 2048, 2048);
    register_td(&mut api, td_ports("web", &[8080]));
    let t = task_arns(&run(&mut api, json!({"taskDefinition": "web"}))).remove(0);
    advance(&mut api, 1);
    let before = remaining(&mut api, "default", &ci);
    assert!(remaining_ports(&mut api, "default", &ci).contains(&"8080".to_string()));
    let r = ok(&mut api, "stop_task", json!({"task": t}));
    assert_eq!(r["task"]["desiredStatus"], "STOPPED");
    assert_eq!(r["task"]["stopCode"], "UserInitiated");
    assert_eq!(r["task"]["stoppedReason"], "Task stopped by user");
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "STOPPING");
    // Still held while STOPPING (§4.4 [SIM] release at STOPPED).
    assert_eq!(remaining(&mut api, "default", &ci), before);
    assert!(remaining_ports(&mut api, "default", &ci).contains(&"8080".to_string()));
    advance(&mut api, 5_000);
    assert_eq!(task(&mut api, "default", &t)["lastStatus"], "STOPPED");
    assert_eq!(remaining(&mut api, "default", &ci), (2048, 2048));
    assert!(!remaining_ports(&mut api, "default", &ci).contains(&"8080".to_string()));
}

#[test]
fn stop_task_reason_and_unknown_task() {
    let (mut api, _) = one_instance(2048, 2048);
    register_td(&mut api, td("web", 10, 10));
    let t = task_arns(&run(&mut api, json!({"taskDefinition": "web"}))).remove(0);
    let r = ok(
        &mut api,
        "stop_task",
        json!({"task": t, "reason": "what-if"}),
    );
    assert_eq!(r["task"]["stoppedReason"], "what-if");
    let e = err(
        &mut api,
        "stop_task",
        json!({"task": "0123456789abcdef0123456789abcdef"}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "The referenced task was not found.",
    );
}

#[test]
fn describe_tasks_reports_missing() {
    let (mut api, _) = one_instance(2048, 2048);
    register_td(&mut api, td("web", 10, 10));
    let t = task_arns(&run(&mut api, json!({"taskDefinition": "web"}))).remove(0);
    let id = t.rsplit('/').next().unwrap().to_string();
    let r = ok(&mut api, "describe_tasks", json!({"tasks": [id, "nope"]}));
    assert_eq!(r["tasks"][0]["taskArn"], json!(t));
    assert_eq!(r["failures"], json!([{"arn": "nope", "reason": "MISSING"}]));
}

fn list(api: &mut Api, body: Value) -> Vec<String> {
    ok(api, "list_tasks", body)["taskArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_tasks_filters() {
    let mut api = api();
    let a = instance(&mut api, "i-a", 8192, 8192);
    let b = instance(&mut api, "i-b", 8192, 8192);
    register_td(&mut api, td("web", 10, 10));
    register_td(&mut api, td("job", 10, 10));
    let start = |api: &mut Api, f: &str, ci: &str, by: &str| {
        let body = json!({"taskDefinition": f, "containerInstances": [ci], "startedBy": by});
        task_arns(&ok(api, "start_task", body)).remove(0)
    };
    let w1 = start(&mut api, "web", &a, "alice");
    let w2 = start(&mut api, "web", &b, "bob");
    let j1 = start(&mut api, "job", &a, "alice");
    ok(&mut api, "stop_task", json!({"task": j1}));
    advance(&mut api, 1);
    let both = vec![w1.clone(), w2.clone()];
    assert_eq!(list(&mut api, json!({})), both);
    assert_eq!(
        list(&mut api, json!({"desiredStatus": "STOPPED"})),
        vec![j1]
    );
    assert_eq!(list(&mut api, json!({"containerInstance": a})), vec![w1]);
    assert_eq!(list(&mut api, json!({"family": "web"})), both);
    assert_eq!(
        list(&mut api, json!({"family": "job"})),
        Vec::<String>::new()
    );
    assert_eq!(list(&mut api, json!({"startedBy": "bob"})), vec![w2]);
    assert_eq!(list(&mut api, json!({"launchType": "EC2"})), both);
    assert_eq!(
        list(&mut api, json!({"launchType": "FARGATE"})),
        Vec::<String>::new()
    );
    let e = err(&mut api, "list_tasks", json!({"serviceName": "ghost"}));
    assert_eq!(e.code, "ServiceNotFoundException");
}

#[test]
fn list_tasks_paginates() {
    let (mut api, _) = one_instance(8192, 8192);
    register_td(&mut api, td("web", 10, 10));
    let mut all = Vec::new();
    for _ in 0..2 {
        all.extend(task_arns(&run(
            &mut api,
            json!({"taskDefinition": "web", "count": 5}),
        )));
    }
    let mut seen = Vec::new();
    let mut body = json!({"maxResults": 4});
    loop {
        let p = ok(&mut api, "list_tasks", body.clone());
        let page = p["taskArns"].as_array().unwrap();
        assert!(page.len() <= 4);
        seen.extend(page.iter().map(|a| a.as_str().unwrap().to_string()));
        match p.get("nextToken") {
            Some(t) => body["nextToken"] = t.clone(),
            None => break,
        }
    }
    assert_eq!(seen, all);
    for bad in [0, 101] {
        let e = err(&mut api, "list_tasks", json!({"maxResults": bad}));
        assert_eq!(e.code, "InvalidParameterException");
    }
}

// ------------------------------------------------------------------ accounting invariant

#[derive(Clone, Debug)]
enum Op {
    Run(usize, u8),
    Stop(usize),
    ContainerExit(usize),
    Advance(u64),
    Drain(usize, bool),
}

fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0..3usize, 1..5u8).prop_map(|(t, n)| Op::Run(t, n)),
        2 => (0..64usize).prop_map(Op::Stop),
        1 => (0..64usize).prop_map(Op::ContainerExit),
        2 => (0..4_000u64).prop_map(Op::Advance),
        1 => (0..3usize, any::<bool>()).prop_map(|(i, d)| Op::Drain(i, d)),
    ]
}

/// (family, cpu, memory) as each task definition below should consume them (§4.2).
const FAMILIES: [(&str, i64, i64); 3] = [("a", 256, 512), ("b", 100, 300), ("c", 512, 1024)];

fn accounting_setup() -> (Api, Vec<String>) {
    let mut api = api_with(ApiConfig::default(), 3, timing(1_000, 2_000));
    let cis: Vec<String> = (0..3)
        .map(|i| instance(&mut api, &format!("i-{i}"), 2048, 4096))
        .collect();
    let mut a = td_ports("a", &[8080]);
    a["containerDefinitions"][0]["cpu"] = json!(256);
    a["containerDefinitions"][0]["memory"] = json!(512);
    register_td(&mut api, a);
    let b = json!({"family": "b", "containerDefinitions": [
        {"name": "app", "image": "i", "cpu": 60, "memory": 400, "memoryReservation": 200, "portMappings": [{"containerPort": 80}]},
        {"name": "side", "image": "i", "cpu": 40, "memory": 100, "essential": false}]});
    register_td(&mut api, b);
    let mut c = td("c", 100, 100);
    c["cpu"] = json!("0.5 vCPU");
    c["memory"] = json!("1GB");
    register_td(&mut api, c);
    (api, cis)
}

fn apply(api: &mut Api, cis: &[String], tasks: &mut Vec<(String, usize)>, op: &Op) {
    match *op {
        Op::Run(f, n) => {
            let r = run(api, json!({"taskDefinition": FAMILIES[f].0, "count": n}));
            tasks.extend(task_arns(&r).into_iter().map(|t| (t, f)));
        }
        Op::Stop(i) if !tasks.is_empty() => {
            let t = tasks[i % tasks.len()].0.clone();
            ok(api, "stop_task", json!({"task": t}));
        }
        Op::ContainerExit(i) if !tasks.is_empty() => {
            let t = tasks[i % tasks.len()].0.clone();
            let body =
                json!({"task": t, "containerName": "app", "status": "STOPPED", "exitCode": 1});
            ok(api, "submit_container_state_change", body);
        }
        Op::Advance(ms) => advance(api, ms),
        Op::Drain(i, d) => {
            let status = if d { "DRAINING" } else { "ACTIVE" };
            let body = json!({"containerInstances": [cis[i]], "status": status});
            ok(api, "update_container_instances_state", body);
        }
        _ => {}
    }
}

fn check_accounting(api: &mut Api, cis: &[String], tasks: &[(String, usize)]) {
    for ci in cis {
        let (mut cpu, mut mem, mut port_8080) = (2048, 4096, false);
        for (t, f) in tasks {
            let d = task(api, "default", t);
            if d["containerInstanceArn"] == json!(ci) && d["lastStatus"] != "STOPPED" {
                cpu -= FAMILIES[*f].1;
                mem -= FAMILIES[*f].2;
                port_8080 |= *f == 0;
            }
        }
        assert_eq!(remaining(api, "default", ci), (cpu, mem), "instance {ci}");
        let ports = remaining_ports(api, "default", ci);
        assert_eq!(ports.contains(&"8080".to_string()), port_8080, "{ports:?}");
        assert!(cpu >= 0 && mem >= 0, "over-allocated {ci}: {cpu} {mem}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]
    #[test]
    fn remaining_is_registered_minus_live_tasks(ops in proptest::collection::vec(op_strategy(), 1..25)) {
        let (mut api, cis) = accounting_setup();
        let mut tasks = Vec::new();
        for op in &ops {
            apply(&mut api, &cis, &mut tasks, op);
            check_accounting(&mut api, &cis, &tasks);
        }
    }
}

#[test]
fn start_task_on_a_disconnected_agent_and_started_by_limit() {
    let (mut api, ci) = one_instance(2048, 2048);
    register_td(&mut api, td("web", 10, 10));
    let long = "x".repeat(37);
    let e = err(
        &mut api,
        "start_task",
        json!({"taskDefinition": "web", "containerInstances": [ci], "startedBy": long}),
    );
    assert_eq!(
        e.code, "InvalidParameterException",
        "StartTask startedBy is at most 36 (§7.3)"
    );
    let id = api.engine.world().instances()[0].id;
    api.engine.set_agent_connected(id, false);
    let r = ok(
        &mut api,
        "start_task",
        json!({"taskDefinition": "web", "containerInstances": [ci]}),
    );
    assert_eq!(failure_reasons(&r), ["AGENT"]);
}

#[test]
fn udp_and_host_mode_ports_conflict() {
    let (mut api, ci) = one_instance(4096, 4096);
    let udp = json!({"family": "dns", "containerDefinitions": [{"name": "a", "image": "i", "cpu": 1, "memory": 1,
        "portMappings": [{"containerPort": 53, "hostPort": 53, "protocol": "udp"}]}]});
    register_td(&mut api, udp);
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "dns"}))).len(),
        1
    );
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "dns"})),
        ["RESOURCE:PORTS"]
    );
    // TCP 53 is a different port set.
    register_td(&mut api, td_ports("tcp53", &[53]));
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "tcp53"}))).len(),
        1
    );
    // host mode: an undefined hostPort takes the containerPort (§4.4).
    let host = json!({"family": "host", "networkMode": "host", "containerDefinitions": [{"name": "a", "image": "i",
        "cpu": 1, "memory": 1, "portMappings": [{"containerPort": 9000}]}]});
    register_td(&mut api, host);
    assert_eq!(
        task_arns(&run(&mut api, json!({"taskDefinition": "host"}))).len(),
        1
    );
    assert!(remaining_ports(&mut api, "default", &ci).contains(&"9000".to_string()));
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "host"})),
        ["RESOURCE:PORTS"]
    );
}

#[test]
fn eni_is_given_back_when_an_awsvpc_task_stops() {
    let mut api = vpc_api();
    Inst::new("i-1", 4096, 4096)
        .instance_type("c5.large")
        .eni_capable()
        .register(&mut api);
    register_td(&mut api, td_awsvpc("vpc"));
    let first = task_arns(&run(&mut api, vpc_run("subnet-a"))).remove(0);
    run(&mut api, vpc_run("subnet-a"));
    advance(&mut api, 1);
    assert_eq!(failure_of(&mut api, vpc_run("subnet-a")), ["RESOURCE:ENI"]);
    ok(&mut api, "stop_task", json!({"task": first}));
    advance(&mut api, 1);
    assert_eq!(task(&mut api, "default", &first)["lastStatus"], "STOPPED");
    assert_eq!(task_arns(&run(&mut api, vpc_run("subnet-a"))).len(), 1);
}

#[test]
fn gpu_ids_are_handed_out_and_returned() {
    let mut api = api();
    let ci = Inst::new("i-gpu", 4096, 4096)
        .resource(json!({"name": "GPU", "type": "STRINGSET", "stringSetValue": ["gpu-0", "gpu-1"]}))
        .register(&mut api);
    let body = json!({"family": "g", "containerDefinitions": [{"name": "a", "image": "i", "cpu": 1, "memory": 1,
        "resourceRequirements": [{"type": "GPU", "value": "1"}]}]});
    register_td(&mut api, body);
    let t = task_arns(&run(&mut api, json!({"taskDefinition": "g"}))).remove(0);
    run(&mut api, json!({"taskDefinition": "g"}));
    assert_eq!(
        failure_of(&mut api, json!({"taskDefinition": "g"})),
        ["RESOURCE:GPU"]
    );
    let left = container_instance(&mut api, "default", &ci);
    assert_eq!(
        resource(&left["remainingResources"], "GPU")["stringSetValue"],
        json!([])
    );
    advance(&mut api, 1);
    ok(&mut api, "stop_task", json!({"task": t}));
    advance(&mut api, 1);
    let left = container_instance(&mut api, "default", &ci);
    assert_eq!(
        resource(&left["remainingResources"], "GPU")["stringSetValue"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn instance_task_counts_and_idempotent_stop() {
    let mut api = api_with(ApiConfig::default(), 0, timing(5_000, 0));
    let ci = instance(&mut api, "i-1", 4096, 4096);
    register_td(&mut api, td("web", 10, 10));
    let ts = task_arns(&run(&mut api, json!({"taskDefinition": "web", "count": 3})));
    let d = container_instance(&mut api, "default", &ci);
    assert_eq!(
        (
            d["runningTasksCount"].clone(),
            d["pendingTasksCount"].clone()
        ),
        (json!(3), json!(3))
    );
    advance(&mut api, 5_000);
    ok(&mut api, "stop_task", json!({"task": ts[0]}));
    advance(&mut api, 1);
    let d = container_instance(&mut api, "default", &ci);
    assert_eq!(
        (
            d["runningTasksCount"].clone(),
            d["pendingTasksCount"].clone()
        ),
        (json!(2), json!(0))
    );
    // Stopping a STOPPED task changes nothing.
    let again = ok(
        &mut api,
        "stop_task",
        json!({"task": ts[0], "reason": "again"}),
    );
    assert_eq!(again["task"]["lastStatus"], "STOPPED");
    assert_eq!(again["task"]["stoppedReason"], "Task stopped by user");
    assert_eq!(remaining(&mut api, "default", &ci), (4096 - 20, 4096 - 20));
}
