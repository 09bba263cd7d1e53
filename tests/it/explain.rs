//! `ecsim explain`: per-instance filter verdicts with by-how-much details, strategy steps, the
//! closest match when nothing fits, `--json`, exit codes, and that the explained choice is where
//! RunTask really lands next (README "Placement"; ecs-semantics §1.2, §1.3, §1.7).

use crate::support::*;
use serde_json::Value;

const FLEET_HEAD: &str = r#"seed: 3
until: 30m
containerInstances:
"#;

/// i-node-1 (1a) has 512 MiB, i-node-2 (1b) and i-node-3 (1c) 4096; i-node-3 drains at 1m.
const BASIC: &str = r#"name: explain-basic
seed: 3
until: 30m
containerInstances:
  - ec2InstanceIdPrefix: i-node
    availabilityZones: [us-east-1a]
    totalResources:
      - {name: CPU, type: INTEGER, integerValue: 2048}
      - {name: MEMORY, type: INTEGER, integerValue: 512}
  - count: 2
    ec2InstanceIdPrefix: i-node
    availabilityZones: [us-east-1b, us-east-1c]
    totalResources:
      - {name: CPU, type: INTEGER, integerValue: 2048}
      - {name: MEMORY, type: INTEGER, integerValue: 4096}
taskDefinitions:
  - family: web
    containerDefinitions:
      - {name: web, image: "nginx:1", cpu: 512, memory: 1024, portMappings: [{containerPort: 80, hostPort: 80}]}
timeline:
  - at: 1m
    update_container_instances_state: {containerInstances: ["${ec2:i-node-3}"], status: DRAINING}
  - at: 5m
    register_task_definition:
      family: late
      containerDefinitions: [{name: late, image: "late:1", cpu: 10, memory: 16}]
"#;

fn explain(dir: &std::path::Path, name: &str, text: &str, args: &[&str]) -> std::process::Output {
    let f = write(dir, name, text);
    let mut all = vec!["explain", f.to_str().unwrap()];
    all.extend_from_slice(args);
    ecsim(&all)
}

#[track_caller]
fn explained(o: &std::process::Output) -> String {
    assert_eq!(code(o), 0, "{}", all_output(o));
    stdout(o)
}

/// The line of the table that starts with `ec2`.
#[track_caller]
fn line_of<'a>(out: &'a str, ec2: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{ec2} ")))
        .unwrap_or_else(|| panic!("no line for {ec2}:\n{out}"))
}

#[test]
fn memory_shortfall_draining_and_fit_read_as_documented() {
    let dir = temp_dir("explain-basic");
    let o = explain(
        &dir,
        "s.yaml",
        BASIC,
        &["--at", "10m", "--task-definition", "web"],
    );
    let expected = "\
explain web:1 in cluster default at 10m (group family:web, needs 512 CPU units, 1024 MiB, ports tcp 80)
i-node-1  us-east-1a  ACTIVE    RESOURCE:MEMORY   needs 1024 MiB, has 512 remaining
i-node-2  us-east-1b  ACTIVE    fits
i-node-3  us-east-1c  DRAINING  (skipped)         status is DRAINING: no new tasks
rejected: RESOURCE:MEMORY 1, STATUS 1; 1 of 3 instances fit
strategy random: 1 candidate -> i-node-2
would place on i-node-2 (us-east-1b)
";
    assert_eq!(explained(&o), expected);
}

#[test]
fn before_the_drain_two_instances_fit() {
    let dir = temp_dir("explain-before");
    let out = explained(&explain(
        &dir,
        "s.yaml",
        BASIC,
        &["--at", "59s", "--task-definition", "web"],
    ));
    assert!(line_of(&out, "i-node-3").ends_with("ACTIVE  fits"), "{out}");
    assert!(out.contains("2 of 3 instances fit"), "{out}");
}

#[test]
fn a_port_held_by_a_task_names_the_task() {
    let text = format!(
        r#"name: explain-port
{FLEET_HEAD}  - count: 2
    instanceType: m5.large
    ec2InstanceIdPrefix: i-edge
    availabilityZones: [us-east-1a, us-east-1b]
taskDefinitions:
  - family: edge
    containerDefinitions:
      - {{name: p, image: "haproxy:3", cpu: 128, memory: 256, portMappings: [{{containerPort: 80, hostPort: 80}}]}}
timeline:
  - at: 0s
    start_task: {{taskDefinition: edge, containerInstances: ["${{ec2:i-edge-1}}"]}}
"#
    );
    let dir = temp_dir("explain-port");
    let out = explained(&explain(
        &dir,
        "s.yaml",
        &text,
        &["--at", "1m", "--task-definition", "edge:1"],
    ));
    let l = line_of(&out, "i-edge-1");
    let (head, holder) = l
        .split_once("port 80/tcp held by task ")
        .unwrap_or_else(|| panic!("{out}"));
    assert!(head.contains("RESOURCE:PORTS"), "{l}");
    assert_eq!(holder.len(), 32, "{l}");
    assert!(holder.chars().all(|c| c.is_ascii_hexdigit()), "{l}");
    assert!(line_of(&out, "i-edge-2").ends_with("fits"), "{out}");
    assert!(
        out.ends_with("would place on i-edge-2 (us-east-1b)\n"),
        "{out}"
    );
}

#[test]
fn member_of_shows_the_attribute_value() {
    let text = format!(
        r#"name: explain-member-of
{FLEET_HEAD}  - instanceType: m5.large
    ec2InstanceIdPrefix: i-dev
    availabilityZones: [us-east-1a]
    attributes: {{stack: dev}}
  - instanceType: m5.large
    ec2InstanceIdPrefix: i-prod
    availabilityZones: [us-east-1b]
    attributes: {{stack: prod}}
taskDefinitions:
  - family: api
    containerDefinitions: [{{name: api, image: "api:1", cpu: 128, memory: 256}}]
"#
    );
    let dir = temp_dir("explain-member-of");
    let out = explained(&explain(
        &dir,
        "s.yaml",
        &text,
        &[
            "--at",
            "0s",
            "--task-definition",
            "api",
            "--constraint",
            "memberOf:attribute:stack == prod",
        ],
    ));
    let l = line_of(&out, "i-dev-1");
    assert!(l.contains("memberOf"), "{l}");
    assert!(
        l.ends_with("`attribute:stack == prod` is false here: attribute:stack is dev"),
        "{l}"
    );
    assert!(
        out.contains("constraints: memberOf(attribute:stack == prod)\n"),
        "{out}"
    );
    assert!(
        out.contains("rejected: memberOf 1; 1 of 2 instances fit"),
        "{out}"
    );
    assert!(
        out.ends_with("would place on i-prod-1 (us-east-1b)\n"),
        "{out}"
    );
}

const SPREAD: &str = r#"name: explain-spread
seed: 5
until: 30m
containerInstances:
  - count: 4
    instanceType: m5.large
    ec2InstanceIdPrefix: i-sp
    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
taskDefinitions:
  - family: api
    containerDefinitions: [{name: api, image: "api:1", cpu: 128, memory: 256}]
timeline:
  # i-sp-1 and i-sp-4 are in us-east-1a, i-sp-2 in 1b, i-sp-3 in 1c.
  - at: 0s
    start_task: {taskDefinition: api, containerInstances: ["${ec2:i-sp-1}", "${ec2:i-sp-2}"]}
"#;

#[test]
fn spread_by_zone_chooses_the_empty_zone_and_shows_the_counts() {
    let dir = temp_dir("explain-spread");
    let out = explained(&explain(
        &dir,
        "s.yaml",
        SPREAD,
        &[
            "--at",
            "1m",
            "--task-definition",
            "api",
            "--strategy",
            "spread:attribute:ecs.availability-zone",
        ],
    ));
    assert!(
        out.contains(
            "strategy spread(attribute:ecs.availability-zone): 4 -> 1 candidate [i-sp-3] \
             (family:api tasks: us-east-1a 1, us-east-1b 1, us-east-1c 0)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("tie-break: none needed (1 candidate left)\n"),
        "{out}"
    );
    assert!(
        out.ends_with("would place on i-sp-3 (us-east-1c)\n"),
        "{out}"
    );
}

#[test]
fn nothing_fits_names_the_closest_match() {
    let text = format!(
        r#"name: explain-nothing
{FLEET_HEAD}  - ec2InstanceIdPrefix: i-tiny
    availabilityZones: [us-east-1a]
    totalResources:
      - {{name: CPU, type: INTEGER, integerValue: 256}}
      - {{name: MEMORY, type: INTEGER, integerValue: 4096}}
  - ec2InstanceIdPrefix: i-tiny
    availabilityZones: [us-east-1b]
    totalResources:
      - {{name: CPU, type: INTEGER, integerValue: 2048}}
      - {{name: MEMORY, type: INTEGER, integerValue: 512}}
taskDefinitions:
  - family: big
    containerDefinitions: [{{name: big, image: "big:1", cpu: 1024, memory: 1024}}]
"#
    );
    let dir = temp_dir("explain-nothing");
    let out = explained(&explain(
        &dir,
        "s.yaml",
        &text,
        &["--at", "0s", "--task-definition", "big"],
    ));
    assert!(
        line_of(&out, "i-tiny-1")
            .ends_with("RESOURCE:CPU      needs 1024 CPU units, has 256 remaining"),
        "{out}"
    );
    assert!(
        out.contains("rejected: RESOURCE:CPU 1, RESOURCE:MEMORY 1; 0 of 2 instances fit\n"),
        "{out}"
    );
    // The memory filter comes after the CPU filter: i-tiny-2 got further.
    assert!(
        out.ends_with(
            "nothing fits; closest match: i-tiny-2 (us-east-1b), RESOURCE:MEMORY: \
             needs 1024 MiB, has 512 remaining\n"
        ),
        "{out}"
    );
    assert!(!out.contains("would place"), "{out}");
}

#[test]
fn json_has_the_same_content() {
    let dir = temp_dir("explain-json");
    let o = explain(
        &dir,
        "s.yaml",
        BASIC,
        &["--at", "10m", "--task-definition", "web", "--json"],
    );
    let v: Value = serde_json::from_str(&explained(&o))
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", all_output(&o)));
    assert_eq!(v["taskDefinition"], "web:1");
    assert_eq!(v["cluster"], "default");
    assert_eq!(v["atMs"], 600_000);
    assert_eq!(v["group"], "family:web");
    assert_eq!(v["requirement"]["memoryMiB"], 1024);
    assert_eq!(v["requirement"]["portsTcp"], serde_json::json!([80]));
    assert_eq!(v["evaluated"], 3);
    assert_eq!(v["fit"], 1);
    assert_eq!(
        v["rejected"],
        serde_json::json!({"STATUS": 1, "RESOURCE:MEMORY": 1})
    );
    let inst = v["instances"].as_array().unwrap();
    assert_eq!(inst.len(), 3);
    assert_eq!(inst[0]["rejection"]["reason"], "RESOURCE:MEMORY");
    assert_eq!(
        inst[0]["rejection"]["detail"],
        "needs 1024 MiB, has 512 remaining"
    );
    assert_eq!(inst[1]["fits"], true);
    assert_eq!(inst[2]["status"], "DRAINING");
    assert_eq!(inst[2]["rejection"]["reported"], false);
    assert_eq!(v["choice"]["ec2InstanceId"], "i-node-2");
    assert_eq!(v["choice"]["availabilityZone"], "us-east-1b");
    assert_eq!(v["strategySteps"][0]["strategy"], "random");
    assert!(v["closestMatch"].is_null());
}

#[test]
fn a_task_definition_unknown_at_t_is_exit_2() {
    let dir = temp_dir("explain-unknown");
    let o = explain(
        &dir,
        "s.yaml",
        BASIC,
        &["--at", "1m", "--task-definition", "nope"],
    );
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(
        stderr(&o)
            .contains("would refuse this request: ClientException: TaskDefinition not found."),
        "{}",
        all_output(&o)
    );
    // `late` is registered by the timeline at 5m: unknown before, explained from then on.
    let o = explain(
        &dir,
        "s.yaml",
        BASIC,
        &["--at", "4m", "--task-definition", "late"],
    );
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    let o = explain(
        &dir,
        "s.yaml",
        BASIC,
        &["--at", "5m", "--task-definition", "late"],
    );
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let o = explain(
        &dir,
        "s.yaml",
        BASIC,
        &[
            "--at",
            "1m",
            "--task-definition",
            "web",
            "--cluster",
            "nope",
        ],
    );
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(stderr(&o).contains("cluster `nope`"), "{}", all_output(&o));
}

#[test]
fn a_service_is_explained_as_its_scheduler_places() {
    let dir = temp_dir("explain-service");
    let o = explain(&dir, "s.yaml", BASIC, &["--at", "1m", "--service", "web"]);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    assert!(
        stderr(&o).contains("ServiceNotFoundException"),
        "{}",
        all_output(&o)
    );
    let with_service = BASIC.replace(
        "timeline:",
        "services:\n  - {serviceName: api, taskDefinition: web, desiredCount: 1}\ntimeline:",
    );
    let out = explained(&explain(
        &dir,
        "svc.yaml",
        &with_service,
        &["--at", "30s", "--service", "api"],
    ));
    // The service's one task holds port 80 on i-node-2 or i-node-3 (i-node-1 lacks memory), so
    // the next one can only go to the other, through the service's default AZ balance.
    assert!(out.contains("(group service:api"), "{out}");
    assert!(
        out.contains("strategy spread(attribute:ecs.availability-zone)"),
        "{out}"
    );
    assert!(out.contains("RESOURCE:PORTS"), "{out}");
}

#[test]
fn bad_usage_is_exit_2() {
    let dir = temp_dir("explain-usage");
    for args in [
        &["--at", "1m"][..],
        &["--at", "1m", "--task-definition", "web", "--service", "web"],
        &[
            "--at",
            "1m",
            "--task-definition",
            "web",
            "--strategy",
            "binpack:disk",
        ],
        &[
            "--at",
            "1m",
            "--task-definition",
            "web",
            "--constraint",
            "memberOf:attribute:x ==",
        ],
        &["--at", "soon", "--task-definition", "web"],
    ] {
        let o = explain(&dir, "s.yaml", BASIC, args);
        assert_eq!(code(&o), 2, "{args:?}: {}", all_output(&o));
    }
}

/// The explained instance is where a `run_task` at the same time actually lands: the copy of
/// the scenario appends that run_task (last at T) with a match on the explained instance.
#[test]
fn the_explained_choice_is_where_run_task_lands() {
    let base = r#"name: explain-agrees
seed: 1
until: 30m
containerInstances:
  - count: 6
    instanceType: m5.large
    ec2InstanceIdPrefix: i-ag
    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
taskDefinitions:
  - family: api
    containerDefinitions: [{name: api, image: "api:1", cpu: 128, memory: 256}]
timeline:
  - at: 0s
    run_task: {taskDefinition: api, count: 4}
  - at: 2m
    run_task: {taskDefinition: api, count: 3, placementStrategy: [{type: spread, field: host}]}
"#;
    let dir = temp_dir("explain-agrees");
    let cases: [(&[&str], &str); 3] = [
        (&[], ""),
        (
            &["--strategy", "spread:attribute:ecs.availability-zone"],
            ", placementStrategy: [{type: spread, field: \"attribute:ecs.availability-zone\"}]",
        ),
        (
            &["--strategy", "binpack:memory", "--strategy", "random"],
            ", placementStrategy: [{type: binpack, field: memory}, {type: random}]",
        ),
    ];
    for seed in ["1", "2", "3", "4"] {
        for (strategy_args, strategy_json) in cases {
            let mut args = vec![
                "--at",
                "2m",
                "--task-definition",
                "api",
                "--seed",
                seed,
                "--json",
            ];
            args.extend_from_slice(strategy_args);
            let o = explain(&dir, "s.yaml", base, &args);
            let v: Value = serde_json::from_str(&explained(&o)).unwrap();
            let chosen = v["choice"]["ec2InstanceId"].as_str().unwrap().to_string();
            let copy = format!(
                "{base}  - at: 2m\n    run_task: {{taskDefinition: api{strategy_json}}}\n    \
                 match: {{tasks: [{{containerInstanceArn: \"${{ec2:{chosen}}}\"}}]}}\n"
            );
            let f = write(&dir, "copy.yaml", &copy);
            let o = ecsim(&["run", f.to_str().unwrap(), "--seed", seed]);
            assert_eq!(
                code(&o),
                0,
                "seed {seed}, {strategy_args:?}: explain chose {chosen}, run_task landed elsewhere:\n{}",
                all_output(&o)
            );
        }
    }
}
