//! RegisterContainerInstance, DeregisterContainerInstance, DescribeContainerInstances,
//! ListContainerInstances, UpdateContainerInstancesState (ecs-semantics §4.3, §4.4, §4.6, §7.2).

use crate::support::*;
use serde_json::{Value, json};

fn attr<'v>(ci: &'v Value, name: &str) -> Option<&'v Value> {
    ci["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
}

#[test]
fn register_reads_the_identity_document_resources_attributes_and_version() {
    let mut api = api();
    let body = Inst::new("i-0abc", 4096, 8000)
        .az("us-east-1b")
        .instance_type("m5.xlarge")
        .resource(json!({"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "8080"]}))
        .resource(json!({"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": ["53"]}))
        .resource(json!({"name": "GPU", "type": "INTEGER", "integerValue": 2}))
        .resource(json!({"name": "licences", "type": "INTEGER", "integerValue": 7}))
        .attribute("stack", Some("prod"))
        .attribute("flag", None)
        .agent("1.80.0")
        .body();
    let r = ok(&mut api, "register_container_instance", body);
    let ci = &r["containerInstance"];
    assert_eq!(ci["ec2InstanceId"], "i-0abc");
    assert_eq!(ci["status"], "ACTIVE");
    assert_eq!(ci["agentConnected"], true);
    assert_eq!(ci["versionInfo"]["agentVersion"], "1.80.0");
    let reg = &ci["registeredResources"];
    assert_eq!(resource(reg, "CPU")["integerValue"], 4096);
    assert_eq!(resource(reg, "MEMORY")["integerValue"], 8000);
    assert_eq!(
        resource(reg, "PORTS")["stringSetValue"],
        json!(["22", "8080"])
    );
    assert_eq!(resource(reg, "PORTS_UDP")["stringSetValue"], json!(["53"]));
    assert_eq!(resource(reg, "GPU")["integerValue"], 2);
    assert_eq!(resource(reg, "licences")["integerValue"], 7);
    assert_eq!(ci["remainingResources"], ci["registeredResources"]);
    assert_eq!(
        attr(ci, "ecs.availability-zone").unwrap()["value"],
        "us-east-1b"
    );
    assert_eq!(attr(ci, "ecs.instance-type").unwrap()["value"], "m5.xlarge");
    assert_eq!(attr(ci, "stack").unwrap()["value"], "prod");
    assert!(attr(ci, "flag").is_some());
    let arn = ci["containerInstanceArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:ecs:us-east-1:123456789012:container-instance/default/"),
        "{arn}"
    );
}

#[test]
fn register_defaults_ports_to_the_agents_reserved_set() {
    let mut api = api();
    let arn = instance(&mut api, "i-1", 1024, 1024);
    let ports = remaining_ports(&mut api, "default", &arn);
    assert_eq!(ports, ["22", "2375", "2376", "51678", "51679"]);
}

#[test]
fn register_with_invalid_identity_document_is_invalid_parameter() {
    let mut api = api();
    let mut body = Inst::new("i-1", 1024, 1024).body();
    body["instanceIdentityDocument"] = json!("{not json");
    let e = err(&mut api, "register_container_instance", body);
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn registering_the_same_ec2_instance_twice_returns_the_same_container_instance() {
    let mut api = api();
    let a = instance(&mut api, "i-same", 1024, 1024);
    let b = instance(&mut api, "i-same", 1024, 1024);
    assert_eq!(a, b);
    let list = ok(&mut api, "list_container_instances", json!({}));
    assert_eq!(list["containerInstanceArns"].as_array().unwrap().len(), 1);
}

#[test]
fn describe_reports_missing_instances() {
    let mut api = api();
    let a = instance(&mut api, "i-1", 1024, 1024);
    let r = ok(
        &mut api,
        "describe_container_instances",
        json!({"containerInstances": [a, "0123456789abcdef0123456789abcdef"]}),
    );
    assert_eq!(r["containerInstances"].as_array().unwrap().len(), 1);
    assert_eq!(r["failures"][0]["reason"], "MISSING");
    // By bare id as well as by ARN.
    let id = a.rsplit('/').next().unwrap();
    let r = ok(
        &mut api,
        "describe_container_instances",
        json!({"containerInstances": [id]}),
    );
    assert_eq!(r["containerInstances"][0]["containerInstanceArn"], json!(a));
}

#[test]
fn deregister_with_running_tasks_needs_force_and_force_stops_them() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    register_td(&mut api, td("web", 100, 100));
    let t = task_arns(&run(&mut api, json!({"taskDefinition": "web"}))).remove(0);
    advance(&mut api, 1);
    let e = err(
        &mut api,
        "deregister_container_instance",
        json!({"containerInstance": ci}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Found running tasks on the instance.",
    );
    let r = ok(
        &mut api,
        "deregister_container_instance",
        json!({"containerInstance": ci, "force": true}),
    );
    assert_eq!(r["containerInstance"]["status"], "INACTIVE");
    let t = task(&mut api, "default", &t);
    assert_eq!(t["lastStatus"], "STOPPED");
    assert_eq!(t["desiredStatus"], "STOPPED");
    // An INACTIVE instance is not listed by default, but is with status INACTIVE.
    let l = ok(&mut api, "list_container_instances", json!({}));
    assert!(l["containerInstanceArns"].as_array().unwrap().is_empty());
    let l = ok(
        &mut api,
        "list_container_instances",
        json!({"status": "INACTIVE"}),
    );
    assert_eq!(l["containerInstanceArns"], json!([ci]));
}

#[test]
fn deregister_without_tasks_and_unknown_instance() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    let r = ok(
        &mut api,
        "deregister_container_instance",
        json!({"containerInstance": ci}),
    );
    assert_eq!(r["containerInstance"]["status"], "INACTIVE");
    let e = err(
        &mut api,
        "deregister_container_instance",
        json!({"containerInstance": "ffffffffffffffffffffffffffffffff"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn list_filters_by_status_and_cql() {
    let mut api = api();
    let a = Inst::new("i-a", 1024, 1024)
        .az("us-east-1a")
        .register(&mut api);
    let b = Inst::new("i-b", 1024, 1024)
        .az("us-east-1b")
        .attribute("stack", Some("prod"))
        .register(&mut api);
    let c = Inst::new("i-c", 1024, 1024)
        .az("us-east-1a")
        .register(&mut api);
    ok(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": [c], "status": "DRAINING"}),
    );
    let list = |api: &mut ecsim::api::Api, body: Value| -> Vec<Value> {
        ok(api, "list_container_instances", body)["containerInstanceArns"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(list(&mut api, json!({})), [json!(a), json!(b), json!(c)]);
    assert_eq!(
        list(&mut api, json!({"status": "ACTIVE"})),
        [json!(a), json!(b)]
    );
    assert_eq!(list(&mut api, json!({"status": "DRAINING"})), [json!(c)]);
    let az = json!({"filter": "attribute:ecs.availability-zone == us-east-1a"});
    assert_eq!(list(&mut api, az), [json!(a), json!(c)]);
    let prod = json!({"filter": "attribute:stack == prod"});
    assert_eq!(list(&mut api, prod), [json!(b)]);
    let e = err(
        &mut api,
        "list_container_instances",
        json!({"filter": "attribute:stack =="}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    let e = err(
        &mut api,
        "list_container_instances",
        json!({"filter": "((("}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn list_paginates() {
    let mut api = api();
    let all: Vec<String> = (0..5)
        .map(|i| instance(&mut api, &format!("i-{i}"), 1024, 1024))
        .collect();
    let p1 = ok(
        &mut api,
        "list_container_instances",
        json!({"maxResults": 3}),
    );
    assert_eq!(p1["containerInstanceArns"], json!(all[..3]));
    let token = p1["nextToken"].as_str().unwrap().to_string();
    let p2 = ok(
        &mut api,
        "list_container_instances",
        json!({"maxResults": 3, "nextToken": token}),
    );
    assert_eq!(p2["containerInstanceArns"], json!(all[3..]));
    assert!(p2.get("nextToken").is_none());
    for bad in [0, 101] {
        let e = err(
            &mut api,
            "list_container_instances",
            json!({"maxResults": bad}),
        );
        assert_eq!(e.code, "InvalidParameterException");
    }
}

#[test]
fn update_state_to_draining_blocks_placement_and_back_to_active_allows_it() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    register_td(&mut api, td("web", 100, 100));
    let r = ok(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": [ci], "status": "DRAINING"}),
    );
    assert_eq!(r["containerInstances"][0]["status"], "DRAINING");
    assert_eq!(r["failures"], json!([]));
    let r = run(&mut api, json!({"taskDefinition": "web"}));
    assert!(
        task_arns(&r).is_empty(),
        "placed on a DRAINING instance: {r}"
    );
    ok(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": [ci], "status": "ACTIVE"}),
    );
    let r = run(&mut api, json!({"taskDefinition": "web"}));
    assert_eq!(task_arns(&r).len(), 1);
}

#[test]
fn update_state_with_a_bad_status_and_missing_instances() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    let e = err(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": [ci], "status": "INACTIVE"}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Container instance status should be one of [ACTIVE, DRAINING]",
    );
    let r = ok(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": ["ffffffffffffffffffffffffffffffff"], "status": "DRAINING"}),
    );
    assert_eq!(r["failures"][0]["reason"], "MISSING");
}

#[test]
fn instance_version_increases_on_changes() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    let v1 = container_instance(&mut api, "default", &ci)["version"]
        .as_i64()
        .unwrap();
    ok(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": [ci], "status": "DRAINING"}),
    );
    let v2 = container_instance(&mut api, "default", &ci)["version"]
        .as_i64()
        .unwrap();
    assert!(v2 > v1, "{v1} -> {v2}");
}
