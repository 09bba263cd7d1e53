//! Mangled scenario text never panics the loader or the runner: every input is either a located
//! `ScenarioError` or a run (SCENARIO-FORMAT.md, "Principles": errors, never crashes).

use crate::support::*;
use ecsim::scenario::{RunOptions, run};
use proptest::prelude::*;

/// A valid scenario exercising most of the format, used as the seed text for mutations.
const BASE: &str = r#"name: fuzz-base
seed: 3
until: 5m
timing: {pending: 1s..3s, stopping: 1s, stopTimeout: 30s}
clusters: [c1]
subnets: {subnet-a: us-east-1a}
containerInstances:
  - cluster: c1
    count: 2
    instanceType: m5.large
    availabilityZones: [us-east-1a, us-east-1b]
    attributes: {stack: prod, flag: null}
  - count: 1
    ec2InstanceIdPrefix: i-big
    totalResources:
      - {name: CPU, type: INTEGER, integerValue: 4096}
      - {name: MEMORY, type: INTEGER, integerValue: 8192}
taskDefinitions:
  - family: web
    containerDefinitions:
      - {name: web, image: "nginx:1", cpu: 256, memory: 512, portMappings: [{containerPort: 80, hostPort: 8080}]}
  - family: vpc
    networkMode: awsvpc
    containerDefinitions:
      - {name: app, image: "app:1", cpu: 128, memory: 128}
timeline:
  - at: 0s
    run_task: {cluster: c1, taskDefinition: web, count: 3}
    save: first
  - at: 10s
    stop_task: {cluster: c1, task: "${first.tasks[0].taskArn}"}
  - at: 20s
    run_task: {taskDefinition: vpc, networkConfiguration: {awsvpcConfiguration: {subnets: [subnet-a]}}}
  - at: 30s
    disconnect_agents: {cluster: c1, filter: "attribute:ecs.availability-zone == us-east-1a"}
  - at: 40s
    crash_tasks: {cluster: c1, family: web, count: 1}
  - at: 50s
    update_container_instances_state: {containerInstances: ["${ec2:i-big-1}"], status: DRAINING}
  - at: 1m
    add_instances: {cluster: c1, count: 1, instanceType: c5.large}
  - at: 2m
    fail_instances: {cluster: c1, filter: "attribute:stack == prod"}
expect:
  - at: 1m
    list_tasks: {cluster: c1, desiredStatus: STOPPED}
    match: {taskArns: ["*", "*"]}
  - at: 3m
    describe_clusters: {clusters: [c1]}
    match: {clusters: [{clusterName: c1, status: "re:^ACT"}]}
"#;

#[test]
fn the_base_scenario_is_valid_and_runs() {
    let s = load_text(BASE).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&s, RunOptions::default());
    assert!(out.error.is_none(), "{:?}", out.error);
    assert!(out.checks.iter().all(|c| c.passed()), "{:?}", out.checks);
}

const FRAGMENTS: &[&str] = &[
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "${",
    "${first.",
    "${ec2:",
    "..",
    "#",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    "|\n",
    ">\n",
    "\t",
    "\n",
    "  ",
    "null",
    "~",
    "-1",
    "0",
    "99999999999999999999",
    "1e400",
    "5s..1s",
    "at: ",
    "run_task: {}",
    "count: 0",
    "- at: 1s\n    list_tasks: {}\n",
    "timeline: [",
    "expect: {}",
    "match: {a: [\"...\"]}",
    "re:(",
    "\u{feff}",
    "é",
    "\u{0}",
];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteChars(usize, usize),
    DuplicateChars(usize, usize),
    ReplaceChar(usize, char),
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Insert(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(a, n)| Mutation::DeleteChars(a, n)),
        (any::<usize>(), 1..16usize).prop_map(|(a, n)| Mutation::DuplicateChars(a, n)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Mutation::ReplaceChar(a, c)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, f)| Mutation::Insert(a, f)),
    ]
}

/// The char boundary at or before `i % (len + 1)`.
fn boundary(s: &str, i: usize) -> usize {
    let mut i = i % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, m: &Mutation) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    match *m {
        Mutation::DeleteChars(a, k) => {
            let s = boundary(text, a);
            let e = boundary(text, (s + k).min(text.len()));
            text.replace_range(s..e.max(s), "");
            return;
        }
        Mutation::DuplicateChars(a, k) => {
            let s = boundary(text, a);
            let e = boundary(text, (s + k).min(text.len())).max(s);
            let dup = text[s..e].to_string();
            text.insert_str(e, &dup);
            return;
        }
        Mutation::ReplaceChar(a, c) => {
            let s = boundary(text, a);
            let e = text[s..].chars().next().map_or(s, |ch| s + ch.len_utf8());
            text.replace_range(s..e, &c.to_string());
            return;
        }
        Mutation::Insert(a, f) => {
            let s = boundary(text, a);
            text.insert_str(s, FRAGMENTS[f % FRAGMENTS.len()]);
            return;
        }
        Mutation::DeleteLine(a) if !lines.is_empty() => {
            lines.remove(a % n);
        }
        Mutation::DuplicateLine(a) if !lines.is_empty() => {
            let l = lines[a % n].clone();
            lines.insert(a % n, l);
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
        _ => {}
    }
    *text = lines.join("\n");
    text.push('\n');
}

fn load_and_run(text: &str) {
    if let Ok(s) = load_text(text) {
        let options = RunOptions {
            max_events: Some(2_000),
            check_invariants: true,
            ..RunOptions::default()
        };
        let out = run(&s, options);
        // Whatever the input, the engine's own invariants hold.
        let broken: Vec<String> = out
            .api
            .engine
            .audit_failures()
            .iter()
            .map(|f| format!("{:?}", f))
            .collect();
        assert!(
            broken.is_empty(),
            "engine invariants broken on input:\n{text}\n{broken:?}"
        );
        // Whatever happened, the reports render.
        let _ = ecsim::report::summary(&s, &out);
        let _ = ecsim::report::events_jsonl(out.api.engine.trace().records());
    } else if let Err(e) = load_text(text) {
        // An error always names a place inside the text (or the document start).
        assert!(
            e.loc.line <= text.lines().count() + 1,
            "{e} beyond the end of the text"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_never_panic(mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = BASE.to_string();
        for m in &mutations {
            apply(&mut text, m);
        }
        load_and_run(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        load_and_run(&text);
        load_and_run(&format!("name: x\n{text}"));
    }
}
