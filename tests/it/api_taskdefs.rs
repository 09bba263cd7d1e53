//! RegisterTaskDefinition, DeregisterTaskDefinition, DescribeTaskDefinition,
//! ListTaskDefinitions, ListTaskDefinitionFamilies (ecs-semantics §4.1, §4.2, §7.2, §7.4, §7.6).

use crate::support::*;
use serde_json::{Value, json};

const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/";

fn arns(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn short(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|a| a.strip_prefix(TD_ARN).unwrap_or(a).to_string())
        .collect()
}

#[test]
fn revisions_increase_even_after_deregistration() {
    let mut api = api();
    assert_eq!(
        register_td(&mut api, td("web", 1, 16)),
        format!("{TD_ARN}web:1")
    );
    assert_eq!(
        register_td(&mut api, td("web", 1, 16)),
        format!("{TD_ARN}web:2")
    );
    ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web:2"}),
    );
    ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web:1"}),
    );
    assert_eq!(
        register_td(&mut api, td("web", 1, 16)),
        format!("{TD_ARN}web:3")
    );
    assert_eq!(
        register_td(&mut api, td("api", 1, 16)),
        format!("{TD_ARN}api:1")
    );
}

#[test]
fn task_level_cpu_and_memory_strings_are_converted() {
    let mut api = api();
    for (cpu, mem, want_cpu, want_mem) in [
        ("1 vCPU", "1GB", "1024", "1024"),
        ("0.5 vCPU", "2GB", "512", "2048"),
        ("256", "512", "256", "512"),
    ] {
        let mut body = td("conv", 0, 16);
        body["cpu"] = json!(cpu);
        body["memory"] = json!(mem);
        let r = ok(&mut api, "register_task_definition", body);
        assert_eq!(r["taskDefinition"]["cpu"], want_cpu, "{cpu}");
        assert_eq!(r["taskDefinition"]["memory"], want_mem, "{mem}");
    }
}

#[test]
fn invalid_task_cpu_is_a_client_exception_with_the_documented_text() {
    let mut api = api();
    for bad in ["64", "lots", "0.01 vCPU", "999999"] {
        let mut body = td("bad", 0, 16);
        body["cpu"] = json!(bad);
        let e = err(&mut api, "register_task_definition", body);
        assert_error(
            &e,
            "ClientException",
            "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
        );
    }
}

#[test]
fn a_container_without_memory_is_refused_without_task_memory() {
    let mut api = api();
    let body =
        json!({"family": "m", "containerDefinitions": [{"name": "X", "image": "i", "cpu": 10}]});
    let e = err(&mut api, "register_task_definition", body.clone());
    assert_error(
        &e,
        "ClientException",
        "Invalid setting for container 'X'. At least one of 'memory' or 'memoryReservation' must be specified.",
    );
    // Task-level memory makes it valid (§4.2: "either a task-level memory value or a
    // container-level memory value").
    let mut with_task_memory = body;
    with_task_memory["memory"] = json!("512");
    ok(&mut api, "register_task_definition", with_task_memory);
    // memoryReservation alone is enough.
    let res = json!({"family": "m", "containerDefinitions": [{"name": "X", "image": "i", "memoryReservation": 64}]});
    ok(&mut api, "register_task_definition", res);
}

#[test]
fn distinct_instance_in_a_task_definition_is_refused() {
    let mut api = api();
    let mut body = td("d", 1, 16);
    body["placementConstraints"] = json!([{"type": "distinctInstance"}]);
    let e = err(&mut api, "register_task_definition", body);
    assert_eq!(e.code, "ClientException");
    assert!(e.message.contains("distinctInstance"), "{e}");
}

#[test]
fn awsvpc_port_rules_and_required_attribute() {
    let mut api = api();
    let mut body = td_awsvpc("v");
    body["containerDefinitions"][0]["portMappings"] =
        json!([{"containerPort": 80, "hostPort": 8080}]);
    let e = err(&mut api, "register_task_definition", body);
    assert_eq!(e.code, "ClientException");
    let r = ok(&mut api, "register_task_definition", td_awsvpc("v"));
    let req = r["taskDefinition"]["requiresAttributes"]
        .as_array()
        .unwrap();
    assert!(
        req.iter().any(|a| a["name"] == "ecs.capability.task-eni"),
        "{req:?}"
    );
    assert_eq!(r["taskDefinition"]["networkMode"], "awsvpc");
    // A bridge task definition does not require it.
    let r = ok(&mut api, "register_task_definition", td("b", 1, 16));
    let req = r["taskDefinition"]["requiresAttributes"]
        .as_array()
        .unwrap();
    assert!(!req.iter().any(|a| a["name"] == "ecs.capability.task-eni"));
}

#[test]
fn unmodelled_fields_are_kept() {
    let mut api = api();
    let mut body = td("keep", 1, 16);
    body["containerDefinitions"][0]["environment"] = json!([{"name": "A", "value": "1"}]);
    body["containerDefinitions"][0]["logConfiguration"] = json!({"logDriver": "awslogs"});
    ok(&mut api, "register_task_definition", body);
    let d = ok(
        &mut api,
        "describe_task_definition",
        json!({"taskDefinition": "keep"}),
    );
    let c = &d["taskDefinition"]["containerDefinitions"][0];
    assert_eq!(c["environment"], json!([{"name": "A", "value": "1"}]));
    assert_eq!(c["logConfiguration"]["logDriver"], "awslogs");
    assert_eq!(c["image"], "nginx:1.27");
}

#[test]
fn deregister_needs_a_revision_and_marks_it_inactive() {
    let mut api = api();
    register_td(&mut api, td("web", 1, 16));
    let e = err(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web"}),
    );
    assert_error(&e, "ClientException", "Revision is missing.");
    let r = ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web:1"}),
    );
    assert_eq!(r["taskDefinition"]["status"], "INACTIVE");
    assert!(r["taskDefinition"].get("deregisteredAt").is_some());
    let e = err(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web:9"}),
    );
    assert_eq!(e.code, "ClientException");
    // By full ARN too.
    register_td(&mut api, td("web", 1, 16));
    let r = ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": format!("{TD_ARN}web:2")}),
    );
    assert_eq!(r["taskDefinition"]["revision"], 2);
}

#[test]
fn describe_family_is_the_latest_active_revision() {
    let mut api = api();
    for _ in 0..3 {
        register_td(&mut api, td("web", 1, 16));
    }
    let d = |api: &mut ecsim::api::Api, r: &str| {
        ok(
            api,
            "describe_task_definition",
            json!({"taskDefinition": r}),
        )["taskDefinition"]
            .clone()
    };
    assert_eq!(d(&mut api, "web")["revision"], 3);
    ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "web:3"}),
    );
    assert_eq!(d(&mut api, "web")["revision"], 2);
    // An explicit INACTIVE revision is still describable.
    let r3 = d(&mut api, "web:3");
    assert_eq!(
        (r3["revision"].clone(), r3["status"].clone()),
        (json!(3), json!("INACTIVE"))
    );
    let e = err(
        &mut api,
        "describe_task_definition",
        json!({"taskDefinition": "nope"}),
    );
    assert_eq!(e.code, "ClientException");
}

#[test]
fn list_task_definitions_filters_sorts_and_paginates() {
    let mut api = api();
    for f in ["web", "api", "web", "webapp", "api"] {
        register_td(&mut api, td(f, 1, 16));
    }
    ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "api:1"}),
    );
    let all = arns(
        &ok(&mut api, "list_task_definitions", json!({})),
        "taskDefinitionArns",
    );
    assert_eq!(short(&all), ["api:2", "web:1", "web:2", "webapp:1"]);
    let desc = ok(&mut api, "list_task_definitions", json!({"sort": "DESC"}));
    assert_eq!(
        short(&arns(&desc, "taskDefinitionArns")),
        ["webapp:1", "web:2", "web:1", "api:2"]
    );
    // familyPrefix is the full family name: `web` does not list `webapp`.
    let web = ok(
        &mut api,
        "list_task_definitions",
        json!({"familyPrefix": "web"}),
    );
    assert_eq!(short(&arns(&web, "taskDefinitionArns")), ["web:1", "web:2"]);
    let inactive = ok(
        &mut api,
        "list_task_definitions",
        json!({"status": "INACTIVE"}),
    );
    assert_eq!(short(&arns(&inactive, "taskDefinitionArns")), ["api:1"]);
    let mut pages = Vec::new();
    let mut body = json!({"maxResults": 3});
    loop {
        let p = ok(&mut api, "list_task_definitions", body.clone());
        pages.extend(arns(&p, "taskDefinitionArns"));
        match p.get("nextToken") {
            Some(t) => body["nextToken"] = t.clone(),
            None => break,
        }
    }
    assert_eq!(pages, all);
    for bad in [0, 101] {
        let e = err(
            &mut api,
            "list_task_definitions",
            json!({"maxResults": bad}),
        );
        assert_eq!(e.code, "InvalidParameterException");
    }
}

#[test]
fn list_task_definition_families_by_prefix_and_status() {
    let mut api = api();
    for f in ["web", "webapp", "api", "old"] {
        register_td(&mut api, td(f, 1, 16));
    }
    ok(
        &mut api,
        "deregister_task_definition",
        json!({"taskDefinition": "old:1"}),
    );
    let fams = |api: &mut ecsim::api::Api, body: Value| {
        arns(&ok(api, "list_task_definition_families", body), "families")
    };
    assert_eq!(fams(&mut api, json!({})), ["api", "old", "web", "webapp"]);
    assert_eq!(
        fams(&mut api, json!({"status": "ALL"})),
        ["api", "old", "web", "webapp"]
    );
    assert_eq!(
        fams(&mut api, json!({"status": "ACTIVE"})),
        ["api", "web", "webapp"]
    );
    assert_eq!(fams(&mut api, json!({"status": "INACTIVE"})), ["old"]);
    assert_eq!(
        fams(&mut api, json!({"familyPrefix": "web"})),
        ["web", "webapp"]
    );
    let p = ok(
        &mut api,
        "list_task_definition_families",
        json!({"maxResults": 2}),
    );
    assert_eq!(arns(&p, "families"), ["api", "old"]);
    assert!(p.get("nextToken").is_some());
    let e = err(
        &mut api,
        "list_task_definition_families",
        json!({"maxResults": 0}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}
