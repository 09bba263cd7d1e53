//! Invalid scenarios (exit 2, located) against valid scenarios whose requests ECS rejects
//! (they run; `expectError` asserts them). SCENARIO-FORMAT.md, "Principles", "Timeline".

use crate::support::*;

const HEAD: &str = "name: bad\nuntil: 10m\n";
const FLEET: &str = "containerInstances:\n  - count: 1\n    instanceType: m5.large\n";
const TD: &str = "taskDefinitions:\n  - family: web\n    containerDefinitions:\n      - {name: web, image: nginx, cpu: 128, memory: 128}\n";

/// Asserts that `text` is invalid at `line`:`col` with a YAML path containing `path`, both
/// through the library and through the binary (`validate` and `run` exit 2).
#[track_caller]
fn invalid(name: &str, text: &str, line: usize, col: usize, path: &str) -> String {
    invalid_at(name, text, line, &[col], path)
}

/// As `invalid`, accepting any of `cols` (the key's or the value's column).
#[track_caller]
fn invalid_at(name: &str, text: &str, line: usize, cols: &[usize], path: &str) -> String {
    let e = load_text(text).expect_err("the scenario loaded");
    assert!(
        e.loc.line == line && cols.contains(&e.loc.column),
        "{name}: expected {line}:{cols:?}, got {e}"
    );
    let col = e.loc.column;
    assert!(
        e.path.contains(path),
        "{name}: path `{}` lacks `{path}`: {e}",
        e.path
    );
    let dir = temp_dir(&format!("bad-{name}"));
    let f = write(&dir, "s.yaml", text);
    let file = f.to_str().unwrap();
    for cmd in ["validate", "run"] {
        let o = ecsim(&[cmd, file]);
        assert_eq!(code(&o), 2, "{name} {cmd}: {}", all_output(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{file}:{line}:{col}")),
            "{name}: no location in {err}"
        );
        assert!(err.contains(path), "{name}: no path in {err}");
        assert!(
            stdout(&o).trim().is_empty() || cmd == "validate",
            "{name}: ran anyway"
        );
    }
    e.to_string()
}

#[test]
fn unknown_top_level_key_with_did_you_mean() {
    let text = format!("{HEAD}timline: []\n");
    let msg = invalid("top", &text, 3, 1, "timline");
    assert!(msg.contains("did you mean `timeline`"), "{msg}");
}

#[test]
fn unknown_nested_key_inside_a_request_body() {
    let text = format!(
        "{HEAD}taskDefinitions:\n  - family: web\n    containerDefinitions:\n      - name: web\n        image: nginx\n        memroy: 128\n"
    );
    let msg = invalid("nested", &text, 8, 9, "containerDefinitions[0].memroy");
    assert!(msg.contains("did you mean `memory`"), "{msg}");
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:\n  - at: 1s\n    run_task: {{taskDefinition: web, cuont: 2}}\n"
    );
    let msg = invalid("nested-op", &text, 12, 37, "timeline[0].run_task.cuont");
    assert!(msg.contains("did you mean `count`"), "{msg}");
}

#[test]
fn wrong_type() {
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:\n  - at: 1s\n    run_task: {{taskDefinition: web, count: two}}\n"
    );
    invalid_at("type", &text, 12, &[37, 44], "timeline[0].run_task.count");
    let text = "name: bad\nseed: lots\n";
    invalid("seed", text, 2, 7, "seed");
}

#[test]
fn malformed_durations() {
    invalid("until", "name: bad\nuntil: 5 minutes\n", 2, 8, "until");
    let text = format!("{HEAD}{FLEET}timeline:\n  - at: 1x\n    list_clusters: {{}}\n");
    invalid("at", &text, 7, 9, "timeline[0].at");
    invalid(
        "range",
        "name: bad\ntiming: {pending: 20s..5s}\n",
        2,
        19,
        "timing.pending",
    );
}

#[test]
fn zero_and_negative_fleet_counts() {
    for (n, count) in [("zero", "0"), ("negative", "-2")] {
        let text =
            format!("{HEAD}containerInstances:\n  - count: {count}\n    instanceType: m5.large\n");
        invalid(n, &text, 4, 12, "containerInstances[0].count");
    }
}

#[test]
fn missing_file_target() {
    let text = format!("{HEAD}taskDefinitions:\n  - file: taskdefs/nope.json\n");
    invalid("file", &text, 4, 11, "taskDefinitions[0].file");
}

#[test]
fn a_file_target_that_exists_loads() {
    let dir = temp_dir("file-ok");
    std::fs::create_dir_all(dir.join("taskdefs")).unwrap();
    write(
        &dir,
        "taskdefs/web.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 128, "memory": 128}]}"#,
    );
    let text = format!(
        "{HEAD}{FLEET}taskDefinitions:\n  - file: taskdefs/web.json\ntimeline:\n  - at: 1s\n    run_task: {{taskDefinition: web}}\n    match: {{tasks: [\"*\"]}}\n"
    );
    let f = write(&dir, "s.yaml", &text);
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn missing_required_keys() {
    let e = load_text("until: 10m\n").expect_err("no name");
    assert!(e.to_string().contains("name"), "{e}");
    let dir = temp_dir("noname");
    let f = write(&dir, "s.yaml", "until: 10m\n");
    assert_eq!(code(&ecsim(&["validate", f.to_str().unwrap()])), 2);
    let text = format!("{HEAD}timeline:\n  - list_clusters: {{}}\n");
    let e = load_text(&text).expect_err("no at");
    assert!(e.to_string().contains("at"), "{e}");
    assert_eq!(e.loc.line, 4, "{e}");
    assert!(e.path.contains("timeline[0]"), "{e}");
}

#[test]
fn two_operations_in_one_entry() {
    let text =
        format!("{HEAD}timeline:\n  - at: 1s\n    list_clusters: {{}}\n    list_tasks: {{}}\n");
    invalid("two", &text, 6, 5, "timeline[0].list_tasks");
}

#[test]
fn unknown_operation_name() {
    let text = format!("{HEAD}timeline:\n  - at: 1s\n    run_tsak: {{taskDefinition: web}}\n");
    let msg = invalid("unknown-op", &text, 5, 5, "run_tsak");
    assert!(msg.contains("run_task"), "no suggestion: {msg}");
}

#[test]
fn an_expectation_with_a_write_operation() {
    let text = format!("{HEAD}expect:\n  - at: 1s\n    stop_task: {{task: x}}\n    match: {{}}\n");
    invalid("write", &text, 5, 5, "stop_task");
}

#[test]
fn yaml_syntax_errors() {
    let e = load_text("name: bad\ntimeline: [\n  - at: 1s\n").expect_err("syntax");
    assert!(e.loc.line >= 2, "{e}");
    let e = load_text("name: bad\n  until: 1m\n bad: : :\n").expect_err("syntax");
    assert!(e.loc.line >= 2, "{e}");
    let dir = temp_dir("syntax");
    let f = write(&dir, "s.yaml", "name: bad\ntimeline: [\n");
    let o = ecsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(stderr(&o).contains(f.to_str().unwrap()), "{}", stderr(&o));
}

#[test]
fn a_json_scenario_loads_and_runs() {
    let json = r#"{
  "name": "json-scenario",
  "until": "10m",
  "containerInstances": [{"count": 2, "instanceType": "m5.large"}],
  "taskDefinitions": [{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 128, "memory": 128}]}],
  "timeline": [{"at": "1s", "run_task": {"taskDefinition": "web", "count": 2}, "match": {"tasks": ["*", "*"]}}]
}"#;
    let dir = temp_dir("json-scenario");
    let f = write(&dir, "s.json", json);
    let o = ecsim(&["run", f.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    // A typo in a JSON scenario is located like in YAML.
    let f = write(&dir, "bad.json", &json.replace("\"until\"", "\"untill\""));
    let o = ecsim(&["validate", f.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(&format!("{}:3:", f.to_str().unwrap())),
        "{}",
        stderr(&o)
    );
}

fn run_text(name: &str, text: &str) -> std::process::Output {
    let dir = temp_dir(name);
    let f = write(&dir, "s.yaml", text);
    ecsim(&["run", f.to_str().unwrap()])
}

#[test]
fn requests_ecs_rejects_are_valid_and_expect_error_asserts_them() {
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:
  - at: 1s
    run_task: {{taskDefinition: web, count: 11}}
    expectError: InvalidParameterException
  - at: 3s
    stop_task: {{task: 0123456789abcdef0123456789abcdef}}
    expectError: InvalidParameterException
  - at: 4s
    describe_task_definition: {{taskDefinition: ghost}}
    expectError: ClientException
  - at: 5s
    list_tasks: {{serviceName: ghost}}
    expectError: ServiceNotFoundException
  - at: 6s
    run_task: {{cluster: nowhere, taskDefinition: web}}
    expectError: ClusterNotFoundException
"
    );
    let o = run_text("ecs-reject", &text);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn a_wrong_expect_error_fails_the_run() {
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:\n  - at: 1s\n    run_task: {{taskDefinition: web, count: 11}}\n    expectError: ClusterNotFoundException\n"
    );
    let o = run_text("wrong-expect-error", &text);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    assert!(all_output(&o).contains("ClusterNotFoundException"));
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:\n  - at: 1s\n    run_task: {{taskDefinition: web}}\n    expectError: InvalidParameterException\n"
    );
    let o = run_text("unexpected-success", &text);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
}

#[test]
fn an_unknown_reference_is_a_run_error_naming_the_entry() {
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:\n  - at: 1s\n    run_task: {{taskDefinition: web}}\n    save: first\n  - at: 2s\n    stop_task: {{task: \"${{nope.tasks[0].taskArn}}\"}}\n"
    );
    let o = run_text("bad-ref", &text);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    let out = all_output(&o);
    assert!(out.contains("timeline[1]"), "entry not named: {out}");
    assert!(out.contains("nope"), "{out}");
    let bad_path = text.replace("nope.tasks[0]", "first.tasks[5]");
    let o = run_text("bad-ref-path", &bad_path);
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    assert!(all_output(&o).contains("timeline[1]"));
}

#[test]
fn run_task_with_an_unknown_task_definition_expects_client_exception() {
    // ecs-semantics §7.2: an unknown task definition is a ClientException (RunTask answers
    // "TaskDefinition not found."), and §7.1 ClientException covers "an identifier that isn't
    // valid". The scenario runs (exit 0) when expectError names that exception.
    let text = format!(
        "{HEAD}{FLEET}{TD}timeline:\n  - at: 1s\n    run_task: {{taskDefinition: ghost}}\n    expectError: ClientException\n"
    );
    let o = run_text("ghost-td", &text);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
}

#[test]
fn a_fleet_entry_the_api_rejects_is_a_run_error_naming_the_entry_and_field() {
    // Valid YAML, but RegisterContainerInstance rejects the resource's value: the run stops at
    // setup (exit 1) naming the entry, the operation, the exception and the field, once.
    let fleet = "containerInstances:\n  - count: 3\n    instanceType: m5.large\n    totalResources:\n      - {name: SLOTS, integerValue: \"x\"}\n";
    let o = run_text("bad-resource", &format!("{HEAD}{fleet}"));
    assert_eq!(code(&o), 1, "{}", all_output(&o));
    let out = all_output(&o);
    let said = "s.yaml:4:5): register_container_instance failed: \
                InvalidParameterException: totalResources[2].integerValue";
    assert_eq!(out.matches(said).count(), 1, "{out}");
    assert!(
        out.contains("ERROR in containerInstances[0] at 0s"),
        "{out}"
    );
    assert!(out.contains("instances: 0,"), "nothing registered: {out}");
}
