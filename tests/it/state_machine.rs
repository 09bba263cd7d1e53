//! Model-based tests (`proptest-state-machine`): clusters (create/delete/describe/list), task
//! definitions (register/deregister/describe/list, ecs-semantics §7.6: revisions never reused,
//! a bare family is its latest ACTIVE revision) and custom attributes (put/delete/list, at most
//! 10 a resource, §2.3) against a small reference model; every response is compared with it.

use ecsim::api::{Api, ApiConfig};
use ecsim::core::engine::EngineConfig;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const CLUSTER_NAMES: [&str; 4] = ["default", "c1", "c2", "bad name"];
const FAMILIES: [&str; 3] = ["fa", "fb", "fa-x"];
const ARN_PREFIX: &str = "arn:aws:ecs:us-east-1:123456789012:";

/// The reference model.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Clusters in creation order: (name, ACTIVE?). `default` holds the one instance.
    clusters: Vec<(String, bool)>,
    /// Per family, the ACTIVE flag of revision 1, 2, ...
    families: BTreeMap<String, Vec<bool>>,
    /// Custom attributes of the instance.
    attrs: BTreeMap<String, Option<String>>,
    /// The exception the last transition must raise, if any.
    expect_error: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub enum T {
    CreateCluster(String),
    DeleteCluster(String),
    DescribeClusters(Vec<String>),
    ListClusters,
    Register(String),
    Deregister(String, u32),
    DescribeTaskDef(String, Option<u32>),
    ListTaskDefs(Option<String>, &'static str, bool),
    ListFamilies(Option<String>, &'static str),
    PutAttributes(Vec<(String, Option<String>)>),
    DeleteAttributes(Vec<String>),
    ListAttributes(Option<String>, Option<String>),
}

fn valid_cluster_name(n: &str) -> bool {
    n.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !n.is_empty()
}

fn valid_attr_name(n: &str) -> bool {
    n.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./\\".contains(c))
        && !n.is_empty()
}

fn valid_attr_value(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@/\\: ".contains(c))
        && v.trim() == v
        && !v.is_empty()
}

fn attr_strategy() -> impl Strategy<Value = (String, Option<String>)> {
    let name = prop_oneof![
        12 => (0u32..12).prop_map(|i| format!("a{i}")),
        1 => Just("bad name".to_string()),
    ];
    let value = prop_oneof![
        Just(None),
        Just(Some("v1".to_string())),
        Just(Some("v 2".to_string())),
        Just(Some(" lead".to_string())),
    ];
    (name, value)
}

fn transitions() -> BoxedStrategy<T> {
    let cluster = prop::sample::select(CLUSTER_NAMES.to_vec()).prop_map(str::to_string);
    let family = prop::sample::select(FAMILIES.to_vec()).prop_map(str::to_string);
    let status = prop::sample::select(vec!["ACTIVE", "INACTIVE"]);
    prop_oneof![
        2 => cluster.clone().prop_map(T::CreateCluster),
        1 => cluster.clone().prop_map(T::DeleteCluster),
        1 => prop::collection::vec(cluster, 1..=3).prop_map(T::DescribeClusters),
        1 => Just(T::ListClusters),
        3 => family.clone().prop_map(T::Register),
        2 => (family.clone(), 0u32..=5).prop_map(|(f, r)| T::Deregister(f, r)),
        2 => (family.clone(), prop::option::of(0u32..=5)).prop_map(|(f, r)| T::DescribeTaskDef(f, r)),
        1 => (prop::option::of(family.clone()), status.clone(), any::<bool>())
            .prop_map(|(f, s, d)| T::ListTaskDefs(f, s, d)),
        1 => (prop::option::of(prop::sample::select(vec!["f", "fa", "fb"]).prop_map(str::to_string)),
              prop::sample::select(vec!["ACTIVE", "INACTIVE", "ALL"]))
            .prop_map(|(p, s)| T::ListFamilies(p, s)),
        4 => prop_oneof![
            10 => prop::collection::vec(attr_strategy(), 1..=4),
            1 => prop::collection::vec(attr_strategy(), 11..=11),
        ].prop_map(T::PutAttributes),
        2 => prop::collection::vec(attr_strategy().prop_map(|a| a.0), 1..=3).prop_map(T::DeleteAttributes),
        2 => (prop::option::of((0u32..12).prop_map(|i| format!("a{i}"))),
              prop::option::of(Just("v1".to_string())))
            .prop_map(|(n, v)| T::ListAttributes(n, v)),
    ]
    .boxed()
}

impl Model {
    fn cluster(&self, name: &str) -> Option<bool> {
        self.clusters.iter().find(|(n, _)| n == name).map(|c| c.1)
    }

    fn apply_cluster(&mut self, t: &T) -> Option<&'static str> {
        match t {
            T::CreateCluster(n) if !valid_cluster_name(n) => Some("InvalidParameterException"),
            T::CreateCluster(n) => {
                match self.clusters.iter_mut().find(|(c, _)| c == n) {
                    Some(c) => c.1 = true,
                    None => self.clusters.push((n.clone(), true)),
                }
                None
            }
            T::DeleteCluster(n) if self.cluster(n) != Some(true) => {
                Some("ClusterNotFoundException")
            }
            T::DeleteCluster(n) if n == "default" => {
                Some("ClusterContainsContainerInstancesException")
            }
            T::DeleteCluster(n) => {
                self.clusters
                    .iter_mut()
                    .filter(|(c, _)| c == n)
                    .for_each(|c| c.1 = false);
                None
            }
            _ => None,
        }
    }

    fn apply_task_defs(&mut self, t: &T) -> Option<&'static str> {
        match t {
            T::Register(f) => {
                self.families.entry(f.clone()).or_default().push(true);
                None
            }
            T::Deregister(f, r) => match self.families.get_mut(f) {
                Some(revs) if *r >= 1 && (*r as usize) <= revs.len() => {
                    revs[*r as usize - 1] = false;
                    None
                }
                _ => Some("ClientException"),
            },
            T::DescribeTaskDef(f, r) => self
                .describe_revision(f, *r)
                .is_none()
                .then_some("ClientException"),
            _ => None,
        }
    }

    /// The revision a DescribeTaskDefinition reference names (latest ACTIVE without one).
    fn describe_revision(&self, f: &str, r: Option<u32>) -> Option<u32> {
        let revs = self.families.get(f)?;
        match r {
            None => revs.iter().rposition(|a| *a).map(|i| i as u32 + 1),
            Some(r) => (r >= 1 && (r as usize) <= revs.len()).then_some(r),
        }
    }

    fn apply_attributes(&mut self, t: &T) -> Option<&'static str> {
        match t {
            T::PutAttributes(list) => {
                let invalid = list.len() > 10
                    || list.iter().any(|(n, v)| {
                        !valid_attr_name(n) || v.as_deref().is_some_and(|v| !valid_attr_value(v))
                    });
                if invalid {
                    return Some("InvalidParameterException");
                }
                let mut after = self.attrs.clone();
                list.iter().for_each(|(n, v)| {
                    after.insert(n.clone(), v.clone());
                });
                if after.len() > 10 {
                    return Some("AttributeLimitExceededException");
                }
                self.attrs = after;
                None
            }
            T::DeleteAttributes(names) => {
                if names.iter().any(|n| !valid_attr_name(n)) {
                    return Some("InvalidParameterException");
                }
                names.iter().for_each(|n| {
                    self.attrs.remove(n);
                });
                None
            }
            T::ListAttributes(None, Some(_)) => Some("InvalidParameterException"),
            _ => None,
        }
    }
}

impl ReferenceStateMachine for Model {
    type State = Model;
    type Transition = T;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model {
            clusters: vec![("default".into(), true)],
            ..Model::default()
        })
        .boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<T> {
        transitions()
    }

    fn apply(mut state: Model, t: &T) -> Model {
        let e = state.apply_cluster(t);
        let e = e.or_else(|| state.apply_task_defs(t));
        state.expect_error = e.or_else(|| state.apply_attributes(t));
        state
    }
}

/// The system under test: an endpoint with one instance in `default`.
pub struct Sut {
    api: Api,
    instance: String,
}

struct Ecs;

impl StateMachineTest for Ecs {
    type SystemUnderTest = Sut;
    type Reference = Model;

    fn init_test(_: &Model) -> Sut {
        let mut api = Api::new(ApiConfig::default(), EngineConfig::default());
        api.call("create_cluster", &json!({}))
            .expect("default cluster");
        let body = ecsim_testkit::instance_body(0, 2048, 4096);
        let r = api
            .call("register_container_instance", &body)
            .expect("instance");
        let instance = r["containerInstance"]["containerInstanceArn"]
            .as_str()
            .expect("arn")
            .to_string();
        Sut { api, instance }
    }

    fn apply(mut sut: Sut, model: &Model, t: T) -> Sut {
        let (op, body) = request(&sut, &t);
        let result = sut.api.call(op, &body);
        let got = result.as_ref().err().map(|e| e.code.clone());
        assert_eq!(
            got.as_deref(),
            model.expect_error,
            "{op} {body}: exception differs from the model ({result:?})"
        );
        if let Ok(v) = result {
            check(&sut, model, &t, &v);
        }
        sut
    }
}

fn request(sut: &Sut, t: &T) -> (&'static str, Value) {
    let target = |n: &String, v: &Option<String>| {
        let mut a =
            json!({"name": n, "targetId": sut.instance, "targetType": "container-instance"});
        if let Some(v) = v {
            a["value"] = json!(v);
        }
        a
    };
    match t {
        T::CreateCluster(n) => ("create_cluster", json!({"clusterName": n})),
        T::DeleteCluster(n) => ("delete_cluster", json!({"cluster": n})),
        T::DescribeClusters(ns) => ("describe_clusters", json!({"clusters": ns})),
        T::ListClusters => ("list_clusters", json!({})),
        T::Register(f) => ("register_task_definition", ecsim_testkit_td(f)),
        T::Deregister(f, r) => (
            "deregister_task_definition",
            json!({"taskDefinition": format!("{f}:{r}")}),
        ),
        T::DescribeTaskDef(f, r) => {
            let reference = r.map_or(f.clone(), |r| format!("{f}:{r}"));
            (
                "describe_task_definition",
                json!({"taskDefinition": reference}),
            )
        }
        T::ListTaskDefs(f, s, desc) => {
            let mut b = json!({"status": s, "sort": if *desc { "DESC" } else { "ASC" }});
            if let Some(f) = f {
                b["familyPrefix"] = json!(f);
            }
            ("list_task_definitions", b)
        }
        T::ListFamilies(p, s) => {
            let mut b = json!({"status": s});
            if let Some(p) = p {
                b["familyPrefix"] = json!(p);
            }
            ("list_task_definition_families", b)
        }
        T::PutAttributes(l) => {
            let attrs: Vec<Value> = l.iter().map(|(n, v)| target(n, v)).collect();
            ("put_attributes", json!({"attributes": attrs}))
        }
        T::DeleteAttributes(l) => {
            let attrs: Vec<Value> = l.iter().map(|n| target(n, &None)).collect();
            ("delete_attributes", json!({"attributes": attrs}))
        }
        T::ListAttributes(n, v) => {
            let mut b = json!({"targetType": "container-instance"});
            if let Some(n) = n {
                b["attributeName"] = json!(n);
            }
            if let Some(v) = v {
                b["attributeValue"] = json!(v);
            }
            ("list_attributes", b)
        }
    }
}

fn ecsim_testkit_td(family: &str) -> Value {
    json!({"family": family, "containerDefinitions": [{"name": "app", "image": "app:1", "cpu": 64, "memory": 64}]})
}

fn td_arn(f: &str, r: u32) -> Value {
    json!(format!("{ARN_PREFIX}task-definition/{f}:{r}"))
}

/// Compares a successful response with the model (after the transition).
fn check(sut: &Sut, m: &Model, t: &T, v: &Value) {
    match t {
        T::CreateCluster(n) | T::DeleteCluster(n) => {
            let status = if m.cluster(n) == Some(true) {
                "ACTIVE"
            } else {
                "INACTIVE"
            };
            assert_eq!(v["cluster"]["clusterName"], json!(n), "{v}");
            assert_eq!(v["cluster"]["status"], status, "{t:?}: {v}");
            let count = usize::from(n == "default");
            assert_eq!(
                v["cluster"]["registeredContainerInstancesCount"], count,
                "{t:?}: {v}"
            );
        }
        T::DescribeClusters(ns) => check_describe_clusters(m, ns, v),
        T::ListClusters => {
            let want: Vec<Value> = m
                .clusters
                .iter()
                .filter(|c| c.1)
                .map(|(n, _)| json!(format!("{ARN_PREFIX}cluster/{n}")))
                .collect();
            assert_eq!(v["clusterArns"], json!(want), "list_clusters");
        }
        T::PutAttributes(_) | T::DeleteAttributes(_) | T::ListAttributes(..) => {
            check_attributes(sut, m, t, v);
        }
        _ => check_task_defs(m, t, v),
    }
}

fn check_describe_clusters(m: &Model, names: &[String], v: &Value) {
    let mut clusters = Vec::new();
    let mut failures = Vec::new();
    for n in names {
        match m.cluster(n) {
            Some(active) => clusters.push(json!([n, if active { "ACTIVE" } else { "INACTIVE" }])),
            None => failures.push(json!([format!("{ARN_PREFIX}cluster/{n}"), "MISSING"])),
        }
    }
    let got: Vec<Value> = v["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .map(|c| json!([c["clusterName"], c["status"]]))
        .collect();
    let got_f: Vec<Value> = v["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| json!([f["arn"], f["reason"]]))
        .collect();
    assert_eq!(
        json!(got),
        json!(clusters),
        "describe_clusters {names:?}: {v}"
    );
    assert_eq!(
        json!(got_f),
        json!(failures),
        "describe_clusters {names:?}: {v}"
    );
}

fn check_task_defs(m: &Model, t: &T, v: &Value) {
    match t {
        T::Register(f) | T::Deregister(f, _) | T::DescribeTaskDef(f, _) => {
            let rev = match t {
                T::Register(_) => m.families[f].len() as u32,
                T::Deregister(_, r) => *r,
                T::DescribeTaskDef(_, r) => m.describe_revision(f, *r).expect("model"),
                _ => unreachable!(),
            };
            let active = m.families[f][rev as usize - 1];
            let td = &v["taskDefinition"];
            assert_eq!(td["revision"], json!(rev), "{t:?}: {td}");
            assert_eq!(td["family"], json!(f), "{t:?}");
            assert_eq!(td["taskDefinitionArn"], td_arn(f, rev), "{t:?}");
            assert_eq!(
                td["status"],
                if active { "ACTIVE" } else { "INACTIVE" },
                "{t:?}"
            );
        }
        T::ListTaskDefs(f, status, desc) => {
            let mut want: Vec<Value> = m
                .families
                .iter()
                .filter(|(name, _)| f.as_ref().is_none_or(|f| f == *name))
                .flat_map(|(name, revs)| {
                    revs.iter()
                        .enumerate()
                        .filter(|(_, a)| **a == (*status == "ACTIVE"))
                        .map(move |(i, _)| td_arn(name, i as u32 + 1))
                })
                .collect();
            if *desc {
                want.reverse();
            }
            assert_eq!(v["taskDefinitionArns"], json!(want), "{t:?}");
        }
        T::ListFamilies(p, status) => {
            let want: Vec<&String> = m
                .families
                .iter()
                .filter(|(name, _)| p.as_ref().is_none_or(|p| name.starts_with(p.as_str())))
                .filter(|(_, revs)| match *status {
                    "ACTIVE" => revs.iter().any(|a| *a),
                    "INACTIVE" => !revs.iter().any(|a| *a),
                    _ => true,
                })
                .map(|(n, _)| n)
                .collect();
            assert_eq!(v["families"], json!(want), "{t:?}");
        }
        _ => unreachable!(),
    }
}

fn check_attributes(sut: &Sut, m: &Model, t: &T, v: &Value) {
    let T::ListAttributes(name, value) = t else {
        // The echo of put/delete is the request; the state is checked by a listing.
        let l = list_custom(&sut.api, &sut.instance);
        let want: Vec<Value> = m.attrs.iter().map(|(n, v)| json!([n, v])).collect();
        assert_eq!(json!(l), json!(want), "after {t:?}");
        return;
    };
    let mut got: Vec<Value> = v["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter(|a| !a["name"].as_str().unwrap_or("").starts_with("ecs."))
        .map(|a| json!([a["name"], a.get("value").cloned().unwrap_or(Value::Null)]))
        .collect();
    got.sort_by_key(Value::to_string);
    let want: Vec<Value> = m
        .attrs
        .iter()
        .filter(|(n, _)| name.as_ref().is_none_or(|x| x == *n))
        .filter(|(_, a)| value.is_none() || value == *a)
        .map(|(n, v)| json!([n, v]))
        .collect();
    assert_eq!(json!(got), json!(want), "{t:?}: {v}");
}

/// (name, value) of the instance's custom attributes, by name.
fn list_custom(api: &Api, _instance: &str) -> Vec<(String, Option<String>)> {
    let w = api.engine.world();
    let mut out: Vec<(String, Option<String>)> = w
        .instances()
        .iter()
        .flat_map(|i| i.attributes.iter())
        .filter(|(n, _)| !n.starts_with("ecs."))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    out.sort();
    out
}

/// `default` cases, or `ECSIM_PROP_CASES` when set (for longer bug hunts).
fn cases(default: u32) -> u32 {
    std::env::var("ECSIM_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    /// Every response of a random sequence of 1-40 operations agrees with the model.
    #[test]
    fn ecs_control_plane_matches_the_model(sequential 1..40 => Ecs);
}
