//! Task placement through the public API: a differential property test of RunTask's choice
//! against a plainly written reference placer, and unit-level checks of the constraint and
//! strategy rules (ecs-semantics §1.2 filters, §1.3 strategies, §1.4 limits, §1.7 failures,
//! §2 CQL, §3.2 distinctInstance, §3.3 memberOf, §7.2 messages).
//!
//! The reference placer below deliberately does not call `ecsim::core::placement`: it filters
//! with straightforward code over a model the test keeps itself, orders by the strategies in
//! list order, and breaks the final tie the way the README documents it (one uniform draw from
//! the seeded Placement stream over the remaining candidates in instance order). Only CQL
//! evaluation is shared (`cql::parse(..).matches(&api.view(id))`).

use crate::support::*;
use ecsim::api::{Api, ApiConfig};
use ecsim::core::cql;
use ecsim::core::ids::InstanceId;
use ecsim::core::placement::strategy::TIE_DRAWS;
use ecsim::core::rng::{Purpose, RngStreams};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;

// =============================================================== the differential test

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
const GROUPS: [&str; 3] = ["family:web", "g1", "g2"];
/// Expressions the generated memberOf constraints draw from (§2: attributes present, missing,
/// value-less comparisons, task:group affinity and anti-affinity, runningTasksCount, compound).
const EXPRESSIONS: [&str; 10] = [
    "attribute:rack == r1",
    "attribute:rack != r1",
    "attribute:rack exists",
    "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
    "task:group == g1",
    "not(task:group == g2)",
    "attribute:ecs.instance-type =~ m5.*",
    "runningTasksCount < 2",
    "attribute:ecs.availability-zone == us-east-1c or attribute:rack == r2",
    "not(attribute:stack exists) and agentConnected == true",
];
/// The strategies the generated lists draw from (`strategy_json` gives their ECS JSON).
const STRATEGIES: [&str; 6] = [
    "spread(az)",
    "spread(instanceId)",
    "spread(rack)",
    "binpack(cpu)",
    "binpack(memory)",
    "random",
];
/// Existing-task shapes: (family, cpu, memory, static port).
const SHAPES: [(&str, i64, i64, Option<u16>); 4] = [
    ("small", 128, 128, None),
    ("medium", 512, 1024, None),
    ("p80", 64, 64, Some(80)),
    ("p8080", 64, 64, Some(8080)),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Health {
    Ok,
    Draining,
    Disconnected,
    /// Deregistered with force: INACTIVE, its tasks stopped.
    Deregistered,
}

#[derive(Clone, Debug)]
struct GenInstance {
    cpu: i64,
    memory: i64,
    zone: usize,
    rack: Option<&'static str>,
    m5: bool,
    stack: bool,
    health: Health,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// desiredStatus RUNNING.
    Runs,
    /// stop_task given, still STOPPING: desiredStatus STOPPED, resources still held.
    Stopping,
    /// STOPPED: nothing held, nothing counted.
    Stopped,
}

#[derive(Clone, Debug)]
struct GenTask {
    instance: usize,
    group: usize,
    shape: usize,
    fate: Fate,
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    instances: Vec<GenInstance>,
    tasks: Vec<GenTask>,
    cpu: i64,
    memory: i64,
    port: Option<u16>,
    /// The probe's group: None = the default `family:probe`.
    group: Option<usize>,
    td_member_of: Option<usize>,
    member_of: Vec<usize>,
    distinct: bool,
    strategies: Vec<usize>,
}

fn gen_instance() -> impl Strategy<Value = GenInstance> {
    (
        prop::sample::select(vec![256i64, 512, 1024, 2048, 4096]),
        prop::sample::select(vec![512i64, 1024, 2048, 4096, 8192]),
        0..3usize,
        prop::sample::select(vec![None, Some("r1"), Some("r2")]),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::sample::select(vec![
            Health::Ok,
            Health::Ok,
            Health::Ok,
            Health::Ok,
            Health::Draining,
            Health::Disconnected,
            Health::Deregistered,
        ]),
    )
        .prop_map(|(cpu, memory, zone, rack, m5, stack, health)| GenInstance {
            cpu,
            memory,
            zone,
            rack,
            m5,
            stack,
            health,
        })
}

fn gen_task() -> impl Strategy<Value = GenTask> {
    (
        0..12usize,
        0..3usize,
        0..4usize,
        prop::sample::select(vec![Fate::Runs, Fate::Runs, Fate::Stopping, Fate::Stopped]),
    )
        .prop_map(|(instance, group, shape, fate)| GenTask {
            instance,
            group,
            shape,
            fate,
        })
}

fn gen_case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        prop::collection::vec(gen_instance(), 1..=12),
        prop::collection::vec(gen_task(), 0..10),
        prop::sample::select(vec![64i64, 128, 256, 512, 1024, 2048]),
        prop::sample::select(vec![32i64, 128, 256, 512, 1024, 2048, 4096]),
        prop::sample::select(vec![None, None, Some(80u16), Some(8080)]),
        prop::option::of(0..3usize),
        prop::option::weighted(0.2, 0..EXPRESSIONS.len()),
        prop::collection::vec(0..EXPRESSIONS.len(), 0..=2),
        any::<bool>(),
        prop::collection::vec(0..STRATEGIES.len(), 0..=3),
    )
        .prop_map(
            |(
                seed,
                instances,
                tasks,
                cpu,
                memory,
                port,
                group,
                tdm,
                member_of,
                distinct,
                strategies,
            )| {
                Case {
                    seed,
                    instances,
                    tasks,
                    cpu,
                    memory,
                    port,
                    group,
                    td_member_of: tdm,
                    member_of,
                    distinct,
                    strategies,
                }
            },
        )
}

fn strategy_json(s: usize) -> Value {
    match STRATEGIES[s] {
        "spread(az)" => json!({"type": "spread", "field": "attribute:ecs.availability-zone"}),
        "spread(instanceId)" => json!({"type": "spread", "field": "instanceId"}),
        "spread(rack)" => json!({"type": "spread", "field": "attribute:rack"}),
        "binpack(cpu)" => json!({"type": "binpack", "field": "cpu"}),
        "binpack(memory)" => json!({"type": "binpack", "field": "memory"}),
        _ => json!({"type": "random"}),
    }
}

fn shape_td(s: usize) -> Value {
    let (family, cpu, memory, port) = SHAPES[s];
    let mut c = json!({"name": "app", "image": "app:1", "cpu": cpu, "memory": memory});
    if let Some(p) = port {
        c["portMappings"] = json!([{"containerPort": p, "hostPort": p}]);
    }
    json!({"family": family, "containerDefinitions": [c]})
}

/// What the test knows about one instance: built from its own requests, not from ecsim's state.
struct Model {
    arn: String,
    id: InstanceId,
    spec: GenInstance,
    /// (group, cpu, memory, port, fate) of every task started on it.
    tasks: Vec<(&'static str, i64, i64, Option<u16>, Fate)>,
}

impl Model {
    fn held(&self) -> impl Iterator<Item = &(&'static str, i64, i64, Option<u16>, Fate)> {
        self.tasks.iter().filter(|t| t.4 != Fate::Stopped)
    }
    fn remaining_cpu(&self) -> i64 {
        self.spec.cpu - self.held().map(|t| t.1).sum::<i64>()
    }
    fn remaining_memory(&self) -> i64 {
        self.spec.memory - self.held().map(|t| t.2).sum::<i64>()
    }
    fn port_taken(&self, p: u16) -> bool {
        self.held().any(|t| t.3 == Some(p))
    }
    /// Tasks of `group` whose desiredStatus is not STOPPED.
    fn active_in(&self, group: &str) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.0 == group && t.4 == Fate::Runs)
            .count()
    }
}

/// Builds the world of `case` through the API. Returns the models in instance order.
fn build(case: &Case) -> (Api, Vec<Model>) {
    // Pending 0 (RUNNING at the next step), stopping 10 s: a stopped task stays STOPPING,
    // holding its resources with desiredStatus STOPPED, until the clock moves 10 s on.
    let mut api = api_with(ApiConfig::default(), case.seed, timing(0, 10_000));
    let mut models = register_fleet(&mut api, case);
    start_existing_tasks(&mut api, &mut models, case);
    for m in &mut models {
        match m.spec.health {
            Health::Ok => {}
            Health::Deregistered => {
                let body = json!({"containerInstance": m.arn, "force": true});
                ok(&mut api, "deregister_container_instance", body);
                m.tasks.iter_mut().for_each(|t| t.4 = Fate::Stopped);
            }
            Health::Draining => {
                let body = json!({"containerInstances": [m.arn], "status": "DRAINING"});
                ok(&mut api, "update_container_instances_state", body);
            }
            Health::Disconnected => api.engine.set_agent_connected(m.id, false),
        }
    }
    // The model must agree with what DescribeContainerInstances reports before we trust it.
    for m in &models {
        assert_eq!(
            remaining(&mut api, "default", &m.arn),
            (m.remaining_cpu(), m.remaining_memory()),
            "test model out of step with ecsim for {}",
            m.arn
        );
    }
    let mut probe =
        json!({"name": "probe", "image": "probe:1", "cpu": case.cpu, "memory": case.memory});
    if let Some(p) = case.port {
        probe["portMappings"] = json!([{"containerPort": p, "hostPort": p}]);
    }
    let mut td = json!({"family": "probe", "containerDefinitions": [probe]});
    if let Some(e) = case.td_member_of {
        td["placementConstraints"] = json!([{"type": "memberOf", "expression": EXPRESSIONS[e]}]);
    }
    register_td(&mut api, td);
    (api, models)
}

/// Registers the generated instances, in order.
fn register_fleet(api: &mut Api, case: &Case) -> Vec<Model> {
    let mut models = Vec::new();
    for (i, g) in case.instances.iter().enumerate() {
        let ec2 = format!("i-{i:02}");
        let mut inst = Inst::new(&ec2, g.cpu, g.memory).az(ZONES[g.zone]);
        inst = inst.instance_type(if g.m5 { "m5.large" } else { "c5.large" });
        if let Some(r) = g.rack {
            inst = inst.attribute("rack", Some(r));
        }
        if g.stack {
            inst = inst.attribute("stack", Some("prod"));
        }
        let arn = inst.register(api);
        let id = api.engine.world().instances()[i].id;
        models.push(Model {
            arn,
            id,
            spec: g.clone(),
            tasks: Vec::new(),
        });
    }
    models
}

/// Starts the generated existing tasks (StartTask on the chosen instance, in their group), then
/// stops some: STOPPED ones fully, STOPPING ones only just (desiredStatus STOPPED, still holding).
fn start_existing_tasks(api: &mut Api, models: &mut [Model], case: &Case) {
    for s in 0..SHAPES.len() {
        register_td(api, shape_td(s));
    }
    let mut started = Vec::new();
    for t in &case.tasks {
        let k = t.instance % models.len();
        let body = json!({"taskDefinition": SHAPES[t.shape].0, "group": GROUPS[t.group],
                          "containerInstances": [models[k].arn]});
        let r = ok(api, "start_task", body);
        if let Some(arn) = task_arns(&r).first() {
            let (_, cpu, mem, port) = SHAPES[t.shape];
            models[k]
                .tasks
                .push((GROUPS[t.group], cpu, mem, port, t.fate));
            started.push((arn.clone(), t.fate));
        }
    }
    advance(api, 1);
    for (arn, fate) in &started {
        if *fate == Fate::Stopped {
            ok(api, "stop_task", json!({"task": arn}));
        }
    }
    advance(api, 20_000);
    for (arn, fate) in &started {
        if *fate == Fate::Stopping {
            ok(api, "stop_task", json!({"task": arn}));
        }
    }
}

/// The reference placer: the instance it picks, or every refusing instance with its first reason.
fn reference(
    api: &mut Api,
    models: &[Model],
    case: &Case,
) -> Result<usize, Vec<(String, &'static str)>> {
    let group = case.group.map_or("family:probe", |g| GROUPS[g]);
    let exprs: Vec<cql::Expr> = case
        .td_member_of
        .iter()
        .chain(&case.member_of)
        .map(|e| cql::parse(EXPRESSIONS[*e]).expect("test expression"))
        .collect();
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    for (k, m) in models.iter().enumerate() {
        // §1.2 F1: DRAINING and INACTIVE instances are skipped without a failure entry.
        if matches!(m.spec.health, Health::Draining | Health::Deregistered) {
            continue;
        }
        let view = api.view(m.id);
        let reason = if m.spec.health == Health::Disconnected {
            Some("AGENT")
        } else if case.cpu > m.remaining_cpu() {
            Some("RESOURCE:CPU")
        } else if case.memory > m.remaining_memory() {
            Some("RESOURCE:MEMORY")
        } else if case.port.is_some_and(|p| m.port_taken(p)) {
            Some("RESOURCE:PORTS")
        } else if !exprs.iter().all(|e| e.matches(&view)) {
            Some("MemberOf placement constraint unsatisfied.")
        } else if case.distinct && m.active_in(group) > 0 {
            Some("DistinctInstance placement constraint unsatisfied.")
        } else {
            None
        };
        match reason {
            Some(r) => refused.push((m.arn.clone(), r)),
            None => valid.push(k),
        }
    }
    if valid.is_empty() {
        return Err(refused);
    }
    let mut rng = api.engine.rng().clone();
    Ok(order_and_draw(models, group, case, valid, &mut rng))
}

/// How a strategy measures the instance of model `k`.
type Key<'a> = Box<dyn Fn(usize) -> i64 + 'a>;

/// The strategies over the valid models, then the tie-break: the model index picked.
fn order_and_draw(
    models: &[Model],
    group: &str,
    case: &Case,
    valid: Vec<usize>,
    rng: &mut RngStreams,
) -> usize {
    let mut strategies = case.strategies.clone();
    if strategies.is_empty() {
        strategies.push(5); // RunTask's default: random (§1.5)
    }
    let mut left = valid;
    let mut winners: Vec<(Key<'_>, i64)> = Vec::new();
    for s in strategies {
        if STRATEGIES[s] == "random" {
            break; // the tie-break, at once
        }
        let key = strategy_key(models, group, STRATEGIES[s]);
        let best = left.iter().map(|k| key(*k)).min().expect("non-empty");
        left.retain(|k| key(*k) == best);
        winners.push((key, best));
    }
    // The tie-break: draws over every placeable instance that matches each strategy's winning
    // measure (in registration, i.e. id, order), the first valid one wins; after
    // TIE_DRAWS misses, a draw over the valid ones.
    let tied: Vec<usize> = (0..models.len())
        .filter(|k| models[*k].spec.health == Health::Ok)
        .filter(|k| winners.iter().all(|(key, best)| key(*k) == *best))
        .collect();
    for _ in 0..TIE_DRAWS {
        let k = tied[rng.below(Purpose::Placement, tied.len() as u64) as usize];
        if left.contains(&k) {
            return k;
        }
    }
    left[rng.below(Purpose::Placement, left.len() as u64) as usize]
}

/// The measure of one (non-random) strategy, for any model.
fn strategy_key<'a>(models: &'a [Model], group: &'a str, strategy: &'static str) -> Key<'a> {
    match strategy {
        "binpack(cpu)" => Box::new(|k: usize| models[k].remaining_cpu()),
        "binpack(memory)" => Box::new(|k: usize| models[k].remaining_memory()),
        "spread(instanceId)" => Box::new(move |k: usize| models[k].active_in(group) as i64),
        spread => {
            // Tasks of the group over the whole cluster, per attribute value; instances
            // without the attribute share one bucket.
            let value = move |m: &Model| -> Option<&'static str> {
                if spread == "spread(az)" {
                    Some(ZONES[m.spec.zone])
                } else {
                    m.spec.rack
                }
            };
            let mut per_value: BTreeMap<Option<&str>, i64> = BTreeMap::new();
            for m in models {
                *per_value.entry(value(m)).or_default() += m.active_in(group) as i64;
            }
            Box::new(move |k: usize| per_value[&value(&models[k])])
        }
    }
}

fn run_body(case: &Case) -> Value {
    let mut constraints: Vec<Value> = case
        .member_of
        .iter()
        .map(|e| json!({"type": "memberOf", "expression": EXPRESSIONS[*e]}))
        .collect();
    if case.distinct {
        constraints.push(json!({"type": "distinctInstance"}));
    }
    let strategies: Vec<Value> = case.strategies.iter().map(|s| strategy_json(*s)).collect();
    let mut body = json!({"taskDefinition": "probe", "count": 1,
                          "placementConstraints": constraints, "placementStrategy": strategies});
    if let Some(g) = case.group {
        body["group"] = json!(GROUPS[g]);
    }
    body
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// RunTask with count 1 picks exactly the instance the reference placer picks, and when
    /// nothing fits both list the same refusing instances with the same first reasons.
    #[test]
    fn run_task_agrees_with_the_reference_placer(case in gen_case()) {
        let (mut api, models) = build(&case);
        let expected = reference(&mut api, &models, &case);
        if models.iter().all(|m| m.spec.health == Health::Deregistered) {
            // No registered instance at all: the request fails as a whole (§1.2, §7.2).
            let e = err(&mut api, "run_task", run_body(&case));
            prop_assert_eq!(e.message, "No Container Instances were found in your cluster.");
            return Ok(());
        }
        let r = run(&mut api, run_body(&case));
        match expected {
            Ok(k) => {
                prop_assert_eq!(r["failures"].as_array().map(Vec::len), Some(0), "{}", r);
                prop_assert_eq!(
                    r["tasks"][0]["containerInstanceArn"].as_str(),
                    Some(models[k].arn.as_str()),
                    "ecsim chose another instance; case {:?}", case
                );
            }
            Err(refused) => {
                prop_assert_eq!(task_arns(&r).len(), 0, "ecsim placed a task the reference could not: {}", r);
                let got: Vec<(String, String)> = r["failures"]
                    .as_array()
                    .expect("failures")
                    .iter()
                    .map(|f| (str_at(f, "/arn"), str_at(f, "/reason")))
                    .collect();
                let want: Vec<(String, String)> =
                    refused.into_iter().map(|(a, r)| (a, r.to_string())).collect();
                prop_assert_eq!(got, want, "case {:?}", case);
            }
        }
    }
}

// =============================================================== validation (§1.4, §7.2)

fn validation_api() -> Api {
    let mut api = api();
    instance(&mut api, "i-1", 4096, 4096);
    register_td(&mut api, td("web", 10, 10));
    api
}

#[track_caller]
fn rejected(api: &mut Api, extra: Value) -> ecsim::api::ApiError {
    let mut body = json!({"taskDefinition": "web"});
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    err(api, "run_task", body)
}

#[test]
fn constraint_count_limit() {
    let mut api = validation_api();
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({"type": "memberOf", "expression": "attribute:a exists"}))
        .collect();
    assert_error(
        &rejected(&mut api, json!({"placementConstraints": eleven})),
        "InvalidParameterException",
        "Too many placement constraints: 11 in the request and 0 in the task definition; at most 10 in all.",
    );
    let ten = &eleven[..10];
    assert_eq!(
        task_arns(&run(
            &mut api,
            json!({"taskDefinition": "web", "placementConstraints": ten})
        ))
        .len(),
        0,
        "10 are allowed (no instance has attribute a, so nothing is placed)"
    );
    // The task definition's memberOf constraints count toward the 10 (§1.4).
    let mut with3 = td("three", 10, 10);
    with3["placementConstraints"] = json!([
        {"type": "memberOf", "expression": "attribute:ecs.availability-zone exists"},
        {"type": "memberOf", "expression": "agentConnected == true"},
        {"type": "memberOf", "expression": "attribute:ecs.availability-zone == us-east-1a"},
    ]);
    register_td(&mut api, with3);
    let eight: Vec<Value> = (0..8)
        .map(|_| json!({"type": "distinctInstance"}))
        .collect();
    let e = err(
        &mut api,
        "run_task",
        json!({"taskDefinition": "three", "placementConstraints": eight}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Too many placement constraints: 8 in the request and 3 in the task definition; at most 10 in all.",
    );
    let seven = &eight[..7];
    let r = run(
        &mut api,
        json!({"taskDefinition": "three", "placementConstraints": seven}),
    );
    assert_eq!(task_arns(&r).len(), 1);
}

#[test]
fn constraint_shape_errors() {
    let mut api = validation_api();

    assert_error(
        &rejected(
            &mut api,
            json!({"placementConstraints": [{"type": "distinctInstance", "expression": "attribute:a == b"}]}),
        ),
        "InvalidParameterException",
        "distinctInstance expression should not be specified.",
    );
    assert_error(
        &rejected(
            &mut api,
            json!({"placementConstraints": [{"type": "distinctInstance"}, {"type": "memberOf"}]}),
        ),
        "InvalidParameterException",
        "placementConstraints[1]: a memberOf constraint needs an expression.",
    );
    assert_error(
        &rejected(
            &mut api,
            json!({"placementConstraints": [{"type": "sameInstance"}]}),
        ),
        "InvalidParameterException",
        "placementConstraints[0].type must be memberOf or distinctInstance, got sameInstance.",
    );
    assert_error(
        &rejected(
            &mut api,
            json!({"placementConstraints": [{"expression": "attribute:a exists"}]}),
        ),
        "InvalidParameterException",
        "placementConstraints[0].type must be memberOf or distinctInstance, got nothing.",
    );
}

#[test]
fn expression_errors() {
    let mut api = validation_api();
    // A malformed expression names where it goes wrong.
    assert_error(
        &rejected(
            &mut api,
            json!({"placementConstraints": [{"type": "memberOf", "expression": "attribute:stack prod"}]}),
        ),
        "InvalidParameterException",
        "placementConstraints[0].expression at character 17: expected an operator after 'attribute:stack', found 'prod'",
    );
    let e = rejected(
        &mut api,
        json!({"placementConstraints": [{"type": "memberOf", "expression": "attribute:a exists"},
                                        {"type": "memberOf", "expression": "(attribute:a == b"}]}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    assert!(
        e.message
            .starts_with("placementConstraints[1].expression at character "),
        "{e}"
    );
    // §1.4: "The expression can have a maximum length of 2000 characters."
    let long = format!("attribute:a == {}", "x".repeat(1990));
    let e = rejected(
        &mut api,
        json!({"placementConstraints": [{"type": "memberOf", "expression": long}]}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
    assert!(e.message.contains("2000"), "{e}");
    // distinctInstance is not allowed in a task definition (§1.4, §7.2): ClientException.
    let mut bad = td("bad", 10, 10);
    bad["placementConstraints"] = json!([{"type": "distinctInstance"}]);
    assert_error(
        &err(&mut api, "register_task_definition", bad),
        "ClientException",
        "The constraint type 'distinctInstance' is not supported in task definitions.",
    );
}

#[test]
fn strategy_validation_errors() {
    let mut api = validation_api();
    let six: Vec<Value> = (0..6).map(|_| json!({"type": "random"})).collect();
    assert_error(
        &rejected(&mut api, json!({"placementStrategy": six})),
        "InvalidParameterException",
        "Too many placement strategies: 6; at most 5.",
    );
    let r = run(
        &mut api,
        json!({"taskDefinition": "web", "placementStrategy": &six[..5]}),
    );
    assert_eq!(task_arns(&r).len(), 1, "5 strategies are allowed");
    let cases = [
        (
            json!([{"type": "binpack", "field": "disk"}]),
            "placementStrategy[0]: binpack needs field cpu or memory, got 'disk'.",
        ),
        (
            json!([{"type": "random"}, {"type": "binpack"}]),
            "placementStrategy[1]: binpack needs field cpu or memory, got nothing.",
        ),
        (
            json!([{"type": "spread"}]),
            "placementStrategy[0]: spread needs field instanceId, host or attribute:NAME, got nothing.",
        ),
        (
            json!([{"type": "spread", "field": "attribute:"}]),
            "placementStrategy[0]: spread needs field instanceId, host or attribute:NAME, got 'attribute:'.",
        ),
        (
            json!([{"type": "spread", "field": "zone"}]),
            "placementStrategy[0]: spread needs field instanceId, host or attribute:NAME, got 'zone'.",
        ),
        (
            json!([{"type": "first-fit"}]),
            "placementStrategy[0].type must be random, spread or binpack, got first-fit.",
        ),
        (
            json!([{"field": "cpu"}]),
            "placementStrategy[0].type must be random, spread or binpack, got nothing.",
        ),
    ];
    for (strategies, message) in cases {
        assert_error(
            &rejected(&mut api, json!({"placementStrategy": strategies})),
            "InvalidParameterException",
            message,
        );
    }
    // Every documented strategy form is accepted (§2.4).
    for ok_list in [
        json!([{"field": "attribute:ecs.availability-zone", "type": "spread"}]),
        json!([{"field": "instanceId", "type": "spread"}]),
        json!([{"field": "host", "type": "spread"}]),
        json!([{"field": "memory", "type": "binpack"}]),
        json!([{"field": "cpu", "type": "binpack"}]),
        json!([{"type": "random"}]),
        json!([{"field": "attribute:ecs.availability-zone", "type": "spread"}, {"field": "instanceId", "type": "spread"}]),
        json!([{"field": "attribute:ecs.availability-zone", "type": "spread"}, {"field": "memory", "type": "binpack"}]),
    ] {
        let r = run(
            &mut api,
            json!({"taskDefinition": "web", "placementStrategy": ok_list}),
        );
        assert_eq!(task_arns(&r).len(), 1, "{ok_list}");
    }
}

// =============================================================== strategies (§1.3)

/// Where the task of a one-task RunTask response went.
fn placed_on(r: &Value) -> String {
    str_at(r, "/tasks/0/containerInstanceArn")
}

#[track_caller]
fn start_on(api: &mut Api, family: &str, group: &str, ci: &str) -> String {
    let r = ok(
        api,
        "start_task",
        json!({"taskDefinition": family, "group": group, "containerInstances": [ci]}),
    );
    assert_eq!(failure_reasons(&r), Vec::<String>::new(), "{r}");
    task_arns(&r)[0].clone()
}

#[test]
fn spread_counts_only_the_same_group() {
    for seed in 0..12 {
        let mut api = api_seeded(seed);
        let a = instance(&mut api, "i-a", 4096, 4096);
        let b = instance(&mut api, "i-b", 4096, 4096);
        let c = instance(&mut api, "i-c", 4096, 4096);
        register_td(&mut api, td("web", 10, 10));
        for _ in 0..3 {
            start_on(&mut api, "web", "other", &a);
        }
        start_on(&mut api, "web", "family:web", &b);
        start_on(&mut api, "web", "family:web", &c);
        // Spread by instance for family:web: a holds 3 tasks, but none of the group.
        let r = run(
            &mut api,
            json!({"taskDefinition": "web", "placementStrategy": [{"type": "spread", "field": "instanceId"}]}),
        );
        assert_eq!(placed_on(&r), a, "seed {seed}");
        // `host` is the same as instanceId; the group "other" now holds 3 on a and 0 elsewhere.
        let r = run(
            &mut api,
            json!({"taskDefinition": "web", "group": "other", "placementStrategy": [{"type": "spread", "field": "host"}]}),
        );
        assert_ne!(placed_on(&r), a, "seed {seed}");
    }
}

#[test]
fn spread_ignores_stopped_tasks_of_the_group() {
    let mut api = api_with(ApiConfig::default(), 5, timing(0, 60_000));
    let a = instance(&mut api, "i-a", 4096, 4096);
    let b = instance(&mut api, "i-b", 4096, 4096);
    register_td(&mut api, td("web", 10, 10));
    let on_a = start_on(&mut api, "web", "family:web", &a);
    start_on(&mut api, "web", "family:web", &b);
    start_on(&mut api, "web", "family:web", &b);
    advance(&mut api, 1);
    // desiredStatus STOPPED (still STOPPING for a minute): it no longer counts (§1.3 [SIM]).
    ok(&mut api, "stop_task", json!({"task": on_a}));
    assert_eq!(task(&mut api, "default", &on_a)["lastStatus"], "STOPPING");
    let spread = json!([{"type": "spread", "field": "instanceId"}]);
    for _ in 0..2 {
        let r = run(
            &mut api,
            json!({"taskDefinition": "web", "placementStrategy": spread}),
        );
        assert_eq!(placed_on(&r), a);
    }
}

#[test]
fn spread_skips_zones_without_a_valid_instance() {
    for seed in 0..12 {
        let mut api = api_seeded(seed);
        let a = Inst::new("i-a", 4096, 4096)
            .az("us-east-1a")
            .register(&mut api);
        let b = Inst::new("i-b", 4096, 4096)
            .az("us-east-1b")
            .register(&mut api);
        // Zone c holds no task of the group, but its only instance is too small.
        Inst::new("i-c", 4096, 256)
            .az("us-east-1c")
            .register(&mut api);
        register_td(&mut api, td("web", 10, 512));
        start_on(&mut api, "web", "family:web", &a);
        start_on(&mut api, "web", "family:web", &b);
        start_on(&mut api, "web", "family:web", &b);
        let r = run(
            &mut api,
            json!({"taskDefinition": "web",
                   "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}]}),
        );
        // Best effort: the emptiest zone among the valid candidates, not a failure.
        assert_eq!(failure_reasons(&r), Vec::<String>::new());
        assert_eq!(placed_on(&r), a, "seed {seed}");
    }
}

#[test]
fn instances_lacking_the_spread_attribute_are_one_bucket() {
    let spread = json!([{"type": "spread", "field": "attribute:rack"}]);
    for seed in 0..12 {
        let mut api = api_seeded(seed);
        let r1 = Inst::new("i-r1", 4096, 4096)
            .attribute("rack", Some("r1"))
            .register(&mut api);
        let none1 = instance(&mut api, "i-n1", 4096, 4096);
        let none2 = instance(&mut api, "i-n2", 4096, 4096);
        register_td(&mut api, td("web", 10, 10));
        start_on(&mut api, "web", "family:web", &r1);
        start_on(&mut api, "web", "family:web", &none1);
        start_on(&mut api, "web", "family:web", &none2);
        // r1: 1 task; the "missing" bucket (n1 + n2): 2 tasks, although each holds only one.
        let r = run(
            &mut api,
            json!({"taskDefinition": "web", "placementStrategy": spread}),
        );
        assert_eq!(placed_on(&r), r1, "seed {seed}");
    }
}

#[test]
fn binpack_picks_the_least_remaining() {
    let mut api = api_seeded(3);
    let big = instance(&mut api, "i-big", 1024, 4096);
    let small = instance(&mut api, "i-small", 4096, 2048);
    let mid = instance(&mut api, "i-mid", 2048, 3000);
    register_td(&mut api, td("web", 100, 1000));
    let memory = json!([{"type": "binpack", "field": "memory"}]);
    let mut order = Vec::new();
    for _ in 0..4 {
        let r = run(
            &mut api,
            json!({"taskDefinition": "web", "placementStrategy": memory}),
        );
        order.push(placed_on(&r));
    }
    // small: 2048 -> 1048 -> 48 (full); then mid: 3000 -> 2000.
    assert_eq!(
        order,
        [small.clone(), small.clone(), mid.clone(), mid.clone()]
    );
    // binpack(cpu): big has 1024 CPU left (the least), then 924, ...
    let cpu = json!([{"type": "binpack", "field": "cpu"}]);
    register_td(&mut api, td("cpu-only", 500, 10));
    let r = run(
        &mut api,
        json!({"taskDefinition": "cpu-only", "count": 3, "placementStrategy": cpu}),
    );
    let on: Vec<Value> = r["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["containerInstanceArn"].clone())
        .collect();
    // big 1024 -> 524 -> 24 (no room for 500), then mid (1848 left < small's 3896).
    assert_eq!(on, [json!(big), json!(big), json!(mid)]);
}

#[test]
fn random_is_terminal() {
    // random first: binpack after it has no effect, so both instances get picked over seeds.
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..24 {
        let mut api = api_seeded(seed);
        let a = instance(&mut api, "i-a", 4096, 1024);
        instance(&mut api, "i-b", 4096, 4096);
        register_td(&mut api, td("web", 10, 10));
        let r = run(
            &mut api,
            json!({"taskDefinition": "web",
                   "placementStrategy": [{"type": "random"}, {"type": "binpack", "field": "memory"}]}),
        );
        seen.insert(placed_on(&r) == a);
    }
    assert_eq!(seen.len(), 2, "binpack(memory) alone would always pick i-a");
}

// =============================================================== failures (§1.2, §1.7)

#[test]
fn failures_list_every_refusing_instance_with_its_first_reason() {
    let mut api = api_with(ApiConfig::default(), 1, timing(0, 0));
    let disconnected = Inst::new("i-agent", 64, 64).register(&mut api);
    let low_cpu = Inst::new("i-cpu", 64, 4096).register(&mut api);
    let low_mem = Inst::new("i-mem", 4096, 64).register(&mut api);
    let port = instance(&mut api, "i-port", 4096, 4096);
    let dev = Inst::new("i-dev", 4096, 4096)
        .attribute("stack", Some("dev"))
        .register(&mut api);
    let distinct = Inst::new("i-distinct", 4096, 4096)
        .attribute("stack", Some("prod"))
        .register(&mut api);
    let draining = Inst::new("i-drain", 64, 64).register(&mut api);
    let id = api.engine.world().instances()[0].id;
    api.engine.set_agent_connected(id, false);
    ok(
        &mut api,
        "update_container_instances_state",
        json!({"containerInstances": [draining], "status": "DRAINING"}),
    );
    let mut web = td_ports("web", &[80]);
    web["containerDefinitions"][0]["cpu"] = json!(256);
    web["containerDefinitions"][0]["memory"] = json!(256);
    register_td(&mut api, web);
    let mut holder = td_ports("holder", &[80]);
    holder["containerDefinitions"][0]["cpu"] = json!(1);
    register_td(&mut api, holder);
    start_on(&mut api, "holder", "other", &port);
    register_td(&mut api, td("sleeper", 1, 1));
    start_on(&mut api, "sleeper", "family:web", &distinct);
    let r = run(
        &mut api,
        json!({"taskDefinition": "web", "count": 2,
               "placementConstraints": [{"type": "memberOf", "expression": "attribute:stack == prod"},
                                        {"type": "distinctInstance"}]}),
    );
    // Nothing fits: the first placement fails and ends the call. The draining instance is
    // skipped silently (§1.2 F1); every other instance appears once, in instance order.
    assert_eq!(task_arns(&r), Vec::<String>::new(), "{r}");
    let got: Vec<(String, String)> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (str_at(f, "/arn"), str_at(f, "/reason")))
        .collect();
    let want = [
        (disconnected, "AGENT"),
        (low_cpu, "RESOURCE:CPU"),
        (low_mem, "RESOURCE:MEMORY"),
        (port, "RESOURCE:PORTS"),
        (dev, "MemberOf placement constraint unsatisfied."),
        (
            distinct,
            "DistinctInstance placement constraint unsatisfied.",
        ),
    ];
    let want: Vec<(String, String)> = want.into_iter().map(|(a, r)| (a, r.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn a_partial_run_task_lists_the_instances_that_refused_the_rest() {
    let mut api = api_seeded(4);
    let a = instance(&mut api, "i-a", 4096, 4096);
    let b = instance(&mut api, "i-b", 4096, 4096);
    register_td(&mut api, td("web", 10, 10));
    let r = run(
        &mut api,
        json!({"taskDefinition": "web", "count": 3, "placementConstraints": [{"type": "distinctInstance"}]}),
    );
    assert_eq!(task_arns(&r).len(), 2);
    let d = "DistinctInstance placement constraint unsatisfied.";
    assert_eq!(
        r["failures"],
        json!([{"arn": a, "reason": d}, {"arn": b, "reason": d}])
    );
}

// =============================================================== summary.json (§1.7)

#[test]
fn summary_failure_details_name_the_closest_match() {
    let text = r#"name: closest-match
seed: 2
until: 5m
containerInstances:
  - {ec2InstanceIdPrefix: i-cpu, availabilityZones: [us-east-1a], attributes: {stack: prod},
     totalResources: [{name: CPU, type: INTEGER, integerValue: 128}, {name: MEMORY, type: INTEGER, integerValue: 4096}]}
  - {ec2InstanceIdPrefix: i-dev, availabilityZones: [us-east-1b], attributes: {stack: dev},
     totalResources: [{name: CPU, type: INTEGER, integerValue: 4096}, {name: MEMORY, type: INTEGER, integerValue: 4096}]}
  - {ec2InstanceIdPrefix: i-mem, availabilityZones: [us-east-1c], attributes: {stack: prod},
     totalResources: [{name: CPU, type: INTEGER, integerValue: 4096}, {name: MEMORY, type: INTEGER, integerValue: 256}]}
taskDefinitions:
  - family: api
    containerDefinitions: [{name: api, image: "api:1", cpu: 512, memory: 512}]
timeline:
  - at: 0s
    run_task:
      taskDefinition: api
      count: 2
      placementConstraints: [{type: memberOf, expression: "attribute:stack == prod"}]
    match: {tasks: [], failures: [{reason: "RESOURCE:CPU"}, {reason: "MemberOf placement constraint unsatisfied."}, {reason: "RESOURCE:MEMORY"}]}
"#;
    let scenario = load_text(text).expect("valid scenario");
    let out = ecsim::scenario::run(&scenario, ecsim::scenario::RunOptions::default());
    assert!(out.error.is_none(), "{:?}", out.error);
    assert!(out.checks.iter().all(|c| c.passed()), "{:?}", out.checks);
    let s = ecsim::report::summary(&scenario, &out);
    let p = &s["placements"];
    assert_eq!(p["placed"], 0);
    assert_eq!(p["failed"], 2);
    let details = p["failureDetails"].as_array().expect("failureDetails");
    assert_eq!(details.len(), 1, "{p}");
    let d = &details[0];
    assert_eq!(d["taskDefinition"], "api:1");
    assert_eq!(d["group"], "family:api");
    assert_eq!(d["unplaced"], 2);
    assert_eq!(d["instancesEvaluated"], 3);
    assert_eq!(
        d["instancesRejected"],
        json!({"RESOURCE:CPU": 1, "RESOURCE:MEMORY": 1, "MemberOf placement constraint unsatisfied.": 1})
    );
    // memberOf comes after every resource filter: i-dev-1 passed the most filters.
    assert_eq!(
        d["closestMatch"],
        json!({"ec2InstanceId": "i-dev-1", "reason": "MemberOf placement constraint unsatisfied.",
               "detail": "`attribute:stack == prod` is false here: attribute:stack is dev"})
    );
}

/// The index judges memberOf expressions that look at no task once per instance change; a
/// changed attribute must be seen at the next placement, both ways.
#[test]
fn member_of_follows_attribute_changes() {
    let mut api = api_seeded(3);
    let a = instance(&mut api, "i-a", 4096, 4096);
    let b = instance(&mut api, "i-b", 4096, 4096);
    register_td(&mut api, td("web", 10, 10));
    let attr = |ci: &str, value: Option<&str>| {
        let mut a = json!({"name": "pool", "targetId": ci, "targetType": "container-instance"});
        if let Some(v) = value {
            a["value"] = json!(v);
        }
        json!({"attributes": [a]})
    };
    let run = |api: &mut Api| {
        ok(
            api,
            "run_task",
            json!({"taskDefinition": "web", "count": 1, "placementStrategy": [{"type": "binpack", "field": "memory"}],
                   "placementConstraints": [{"type": "memberOf", "expression": "attribute:pool == dedicated"}]}),
        )
    };
    let r = run(&mut api);
    assert_eq!(task_arns(&r).len(), 0, "no dedicated instance yet: {r}");
    ok(&mut api, "put_attributes", attr(&b, Some("dedicated")));
    assert_eq!(placed_on(&run(&mut api)), b);
    ok(&mut api, "put_attributes", attr(&b, Some("shared")));
    ok(&mut api, "put_attributes", attr(&a, Some("dedicated")));
    for _ in 0..3 {
        assert_eq!(placed_on(&run(&mut api)), a, "b left the pool, a joined it");
    }
    ok(&mut api, "delete_attributes", attr(&a, None));
    let r = run(&mut api);
    assert_eq!(task_arns(&r).len(), 0, "no dedicated instance left: {r}");
}

/// The index keeps memberOf verdicts until an instance's description changes; an agent update
/// is such a change: the next placement must see the new version.
#[test]
fn member_of_follows_agent_updates() {
    let mut api = api_seeded(5);
    let old = Inst::new("i-old", 4096, 4096)
        .agent("1.50.0")
        .register(&mut api);
    register_td(&mut api, td("web", 10, 10));
    let run = |api: &mut Api| {
        ok(
            api,
            "run_task",
            json!({"taskDefinition": "web", "count": 1,
                   "placementConstraints": [{"type": "memberOf", "expression": "agentVersion >= 1.60.0"}]}),
        )
    };
    assert_eq!(task_arns(&run(&mut api)).len(), 0, "1.50.0 is too old");
    ok(
        &mut api,
        "update_container_agent",
        json!({"containerInstance": old}),
    );
    // The default agent-update delay is 60 s; before it, the old version still counts.
    advance_to(&mut api, 59_999);
    assert_eq!(task_arns(&run(&mut api)).len(), 0, "not updated yet");
    advance_to(&mut api, 60_000);
    assert_eq!(
        placed_on(&run(&mut api)),
        old,
        "updated to the latest version"
    );
}
