//! PutAttributes, DeleteAttributes, ListAttributes (§2.3): validation, limits, errors, and
//! attributes taking effect in placement at once.

use crate::support::{api, assert_error, err, instance, ok, td};
use serde_json::{Value, json};

fn put(cluster_arn_or_id: &str, name: &str, value: Option<&str>) -> Value {
    let mut a =
        json!({"name": name, "targetId": cluster_arn_or_id, "targetType": "container-instance"});
    if let Some(v) = value {
        a["value"] = json!(v);
    }
    json!({"attributes": [a]})
}

fn names(api: &mut ecsim::api::Api, body: Value) -> Vec<String> {
    let r = ok(api, "list_attributes", body);
    r["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}={}",
                a["name"].as_str().unwrap(),
                a["value"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn put_list_and_delete() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    let r = ok(&mut api, "put_attributes", put(&ci, "stack", Some("prod")));
    assert_eq!(r["attributes"][0]["value"], "prod");
    let listed = names(
        &mut api,
        json!({"targetType": "container-instance", "attributeName": "stack"}),
    );
    assert_eq!(listed, vec!["stack=prod"]);
    ok(&mut api, "put_attributes", put(&ci, "stack", Some("dev")));
    let listed = names(
        &mut api,
        json!({"targetType": "container-instance", "attributeName": "stack", "attributeValue": "dev"}),
    );
    assert_eq!(listed, vec!["stack=dev"], "put replaces the value");
    ok(
        &mut api,
        "delete_attributes",
        json!({"attributes": [{"name": "stack", "targetId": ci}]}),
    );
    assert!(
        names(
            &mut api,
            json!({"targetType": "container-instance", "attributeName": "stack"})
        )
        .is_empty()
    );
    // Built-in attributes are listed too.
    let all = names(&mut api, json!({"targetType": "container-instance"}));
    assert!(
        all.contains(&"ecs.availability-zone=us-east-1a".to_string()),
        "{all:?}"
    );
}

#[test]
fn errors_follow_ecs() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    let e = err(
        &mut api,
        "put_attributes",
        put("nope", "stack", Some("prod")),
    );
    assert_error(&e, "TargetNotFoundException", "Could not find nope");
    let e = err(&mut api, "put_attributes", put(&ci, "bad name!", Some("x")));
    assert_eq!(e.code, "InvalidParameterException");
    let e = err(&mut api, "put_attributes", put(&ci, "k", Some(" padded")));
    assert_eq!(e.code, "InvalidParameterException");
    let e = err(&mut api, "list_attributes", json!({}));
    assert_eq!(
        e.code, "InvalidParameterException",
        "targetType is required"
    );
    let e = err(
        &mut api,
        "list_attributes",
        json!({"targetType": "container-instance", "attributeValue": "x"}),
    );
    assert_eq!(
        e.code, "InvalidParameterException",
        "attributeValue needs attributeName"
    );
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"name": format!("a{i}"), "targetId": ci}))
        .collect();
    let e = err(&mut api, "put_attributes", json!({"attributes": eleven}));
    assert_eq!(e.code, "InvalidParameterException", "at most 10 a call");
}

#[test]
fn ten_custom_attributes_per_instance() {
    let mut api = api();
    let ci = instance(&mut api, "i-1", 1024, 1024);
    let ten: Vec<Value> = (0..10)
        .map(|i| json!({"name": format!("a{i}"), "value": "v", "targetId": ci}))
        .collect();
    ok(&mut api, "put_attributes", json!({"attributes": ten}));
    ok(&mut api, "put_attributes", put(&ci, "a3", Some("replaced")));
    let e = err(&mut api, "put_attributes", put(&ci, "a10", Some("v")));
    assert_error(
        &e,
        "AttributeLimitExceededException",
        "You can apply up to 10 custom attributes for each resource.",
    );
    let listed = names(
        &mut api,
        json!({"targetType": "container-instance", "attributeName": "a10"}),
    );
    assert!(listed.is_empty(), "a refused call changes nothing");
}

#[test]
fn member_of_sees_a_put_attribute_immediately() {
    let mut api = api();
    let a = instance(&mut api, "i-a", 4096, 4096);
    instance(&mut api, "i-b", 4096, 4096);
    ok(&mut api, "register_task_definition", td("web", 10, 16));
    let body = json!({"taskDefinition": "web", "placementConstraints": [{"type": "memberOf", "expression": "attribute:stack == prod"}]});
    let r = ok(&mut api, "run_task", body.clone());
    assert_eq!(r["failures"].as_array().unwrap().len(), 2);
    assert_eq!(
        r["failures"][0]["reason"],
        "MemberOf placement constraint unsatisfied."
    );
    ok(&mut api, "put_attributes", put(&a, "stack", Some("prod")));
    let r = ok(&mut api, "run_task", body);
    assert_eq!(r["tasks"][0]["containerInstanceArn"], json!(a));
}
