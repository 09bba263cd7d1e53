//! CreateCluster, DeleteCluster, DescribeClusters, ListClusters (ecs-semantics §7.1, §7.2, §7.7).

use crate::support::*;
use serde_json::json;

#[test]
fn create_cluster_is_idempotent_and_listed_once() {
    let mut api = api();
    let a = ok(&mut api, "create_cluster", json!({"clusterName": "prod"}));
    let b = ok(&mut api, "create_cluster", json!({"clusterName": "prod"}));
    assert_eq!(a["cluster"]["clusterArn"], b["cluster"]["clusterArn"]);
    assert_eq!(
        a["cluster"]["clusterArn"],
        "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
    );
    assert_eq!(a["cluster"]["status"], "ACTIVE");
    let list = ok(&mut api, "list_clusters", json!({}));
    let arns = list["clusterArns"].as_array().unwrap();
    let prod = arns
        .iter()
        .filter(|a| a.as_str().unwrap().ends_with("/prod"))
        .count();
    assert_eq!(prod, 1, "{list}");
}

#[test]
fn create_cluster_without_name_is_default_and_bad_names_are_rejected() {
    let mut api = api();
    let r = ok(&mut api, "create_cluster", json!({}));
    assert_eq!(r["cluster"]["clusterName"], "default");
    let e = err(
        &mut api,
        "create_cluster",
        json!({"clusterName": "bad name!"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn describe_clusters_reports_missing_ones() {
    let mut api = api();
    ok(&mut api, "create_cluster", json!({"clusterName": "a"}));
    let r = ok(
        &mut api,
        "describe_clusters",
        json!({"clusters": ["a", "ghost"]}),
    );
    assert_eq!(r["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(r["clusters"][0]["clusterName"], "a");
    assert_eq!(r["failures"].as_array().unwrap().len(), 1);
    assert_eq!(r["failures"][0]["reason"], "MISSING");
    assert!(
        r["failures"][0]["arn"]
            .as_str()
            .unwrap()
            .ends_with("cluster/ghost")
    );
}

#[test]
fn describe_clusters_counts_instances_and_tasks() {
    let mut api = api();
    ok(&mut api, "create_cluster", json!({"clusterName": "c"}));
    Inst::new("i-1", 1024, 1024).cluster("c").register(&mut api);
    Inst::new("i-2", 1024, 1024).cluster("c").register(&mut api);
    register_td(&mut api, td("web", 100, 100));
    run(
        &mut api,
        json!({"cluster": "c", "taskDefinition": "web", "count": 3}),
    );
    advance(&mut api, 1);
    let r = ok(&mut api, "describe_clusters", json!({"clusters": ["c"]}));
    let c = &r["clusters"][0];
    assert_eq!(c["registeredContainerInstancesCount"], 2);
    assert_eq!(c["runningTasksCount"], 3);
    assert_eq!(c["pendingTasksCount"], 0);
}

#[test]
fn delete_cluster_with_instances_is_refused() {
    let mut api = api();
    ok(&mut api, "create_cluster", json!({"clusterName": "c"}));
    Inst::new("i-1", 1024, 1024).cluster("c").register(&mut api);
    let e = err(&mut api, "delete_cluster", json!({"cluster": "c"}));
    assert_eq!(e.code, "ClusterContainsContainerInstancesException");
}

#[test]
fn delete_cluster_succeeds_once_instances_are_deregistered_and_tasks_stopped() {
    // ClusterContainsTasksException needs live tasks without registered instances; in this
    // simulator a forced deregistration stops the instance's tasks at once, so the cluster can
    // then be deleted (ecs-semantics §7.1 ClusterContains*).
    let mut api = api();
    ok(&mut api, "create_cluster", json!({"clusterName": "c"}));
    let ci = Inst::new("i-1", 1024, 1024).cluster("c").register(&mut api);
    register_td(&mut api, td("web", 100, 100));
    let r = run(&mut api, json!({"cluster": "c", "taskDefinition": "web"}));
    let t = task_arns(&r).remove(0);
    advance(&mut api, 1);
    let e = err(&mut api, "delete_cluster", json!({"cluster": "c"}));
    assert_eq!(e.code, "ClusterContainsContainerInstancesException");
    ok(
        &mut api,
        "deregister_container_instance",
        json!({"cluster": "c", "containerInstance": ci, "force": true}),
    );
    assert_eq!(task(&mut api, "c", &t)["lastStatus"], "STOPPED");
    let r = ok(&mut api, "delete_cluster", json!({"cluster": "c"}));
    assert_eq!(r["cluster"]["status"], "INACTIVE");
    // DescribeClusters still shows a deleted cluster, INACTIVE.
    let r = ok(&mut api, "describe_clusters", json!({"clusters": ["c"]}));
    assert_eq!(r["clusters"][0]["status"], "INACTIVE");
}

#[test]
fn deleted_cluster_is_gone_from_list_and_operations() {
    let mut api = api();
    ok(&mut api, "create_cluster", json!({"clusterName": "tmp"}));
    ok(&mut api, "delete_cluster", json!({"cluster": "tmp"}));
    let list = ok(&mut api, "list_clusters", json!({}));
    assert!(
        !list["clusterArns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().ends_with("/tmp")),
        "{list}"
    );
    let e = err(
        &mut api,
        "list_container_instances",
        json!({"cluster": "tmp"}),
    );
    assert_error(&e, "ClusterNotFoundException", "Cluster not found.");
    let e = err(&mut api, "delete_cluster", json!({"cluster": "tmp"}));
    assert_eq!(e.code, "ClusterNotFoundException");
    // Re-creating it brings it back ACTIVE.
    let r = ok(&mut api, "create_cluster", json!({"clusterName": "tmp"}));
    assert_eq!(r["cluster"]["status"], "ACTIVE");
}

#[test]
fn unknown_cluster_is_cluster_not_found_everywhere() {
    let mut api = api();
    for (op, body) in [
        ("delete_cluster", json!({"cluster": "nope"})),
        ("list_container_instances", json!({"cluster": "nope"})),
        ("list_tasks", json!({"cluster": "nope"})),
        (
            "run_task",
            json!({"cluster": "nope", "taskDefinition": "x"}),
        ),
        ("describe_tasks", json!({"cluster": "nope", "tasks": ["x"]})),
        (
            "register_container_instance",
            Inst::new("i-1", 1024, 1024).cluster("nope").body(),
        ),
    ] {
        let e = err(&mut api, op, body);
        assert_eq!(e.code, "ClusterNotFoundException", "{op}: {e}");
    }
}

#[test]
fn list_clusters_paginates() {
    let mut api = api();
    for i in 0..5 {
        ok(
            &mut api,
            "create_cluster",
            json!({"clusterName": format!("c{i}")}),
        );
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"maxResults": 2});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = ok(&mut api, "list_clusters", body);
        let arns = page["clusterArns"].as_array().unwrap();
        assert!(arns.len() <= 2);
        seen.extend(arns.iter().map(|a| a.as_str().unwrap().to_string()));
        match page.get("nextToken").and_then(|t| t.as_str()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    // "default" may or may not exist in a bare Api; the five created ones are all there once.
    for i in 0..5 {
        let n = seen
            .iter()
            .filter(|a| a.ends_with(&format!("/c{i}")))
            .count();
        assert_eq!(n, 1, "{seen:?}");
    }
    for bad in [0, 101] {
        let e = err(&mut api, "list_clusters", json!({"maxResults": bad}));
        assert_eq!(e.code, "InvalidParameterException");
    }
}
