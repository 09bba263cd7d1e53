//! Small builders shared by the integration tests: an `Api` with a fleet, request bodies, time
//! travel on the simulated clock, and scenario files for the binary.

#![allow(dead_code)]

use ecsim::api::{Api, ApiConfig, ApiError};
use ecsim::core::engine::{EngineConfig, Step};
use ecsim::core::time::{SimDuration, SimTime};
use ecsim::core::timing::{DelayRange, Timing};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An endpoint with default settings and seed 0, with the `default` cluster created (as the
/// agent does before it registers).
pub fn api() -> Api {
    api_with(ApiConfig::default(), 0, Timing::default())
}

pub fn api_seeded(seed: u64) -> Api {
    api_with(ApiConfig::default(), seed, Timing::default())
}

pub fn api_with(config: ApiConfig, seed: u64, timing: Timing) -> Api {
    let mut api = Api::new(
        config,
        EngineConfig {
            seed,
            timing,
            ..EngineConfig::default()
        },
    );
    ok(
        &mut api,
        "create_cluster",
        json!({"clusterName": "default"}),
    );
    api
}

/// Timing with fixed pending and stopping delays (milliseconds).
pub fn timing(pending_ms: u64, stopping_ms: u64) -> Timing {
    Timing {
        pending: DelayRange::fixed(pending_ms),
        stopping: DelayRange::fixed(stopping_ms),
        stop_timeout: SimDuration::from_secs(30),
        ..Timing::default()
    }
}

/// Calls `op` and expects success.
#[track_caller]
pub fn ok(api: &mut Api, op: &str, body: Value) -> Value {
    match api.call(op, &body) {
        Ok(v) => v,
        Err(e) => panic!("{op} {body} failed: {e}"),
    }
}

/// Calls `op` and expects an ECS exception.
#[track_caller]
pub fn err(api: &mut Api, op: &str, body: Value) -> ApiError {
    match api.call(op, &body) {
        Ok(v) => panic!("{op} {body} succeeded unexpectedly: {v}"),
        Err(e) => e,
    }
}

/// Asserts the exception name and (exact) message.
#[track_caller]
pub fn assert_error(e: &ApiError, code: &str, message: &str) {
    assert_eq!(e.code, code, "wrong exception: {e}");
    assert_eq!(e.message, message, "wrong message: {e}");
}

/// Moves the simulated clock to `t_ms`, applying every event due until then.
pub fn advance_to(api: &mut Api, t_ms: u64) {
    api.engine.schedule_external(SimTime(t_ms), u32::MAX);
    loop {
        match api.engine.step().expect("event limit") {
            Some(Step::External(_, _)) => return,
            Some(Step::Internal(_)) => {}
            None => panic!("the queue ran dry before {t_ms} ms"),
        }
    }
}

/// Moves the clock forward by `ms`.
pub fn advance(api: &mut Api, ms: u64) {
    let now = api.engine.now().as_ms();
    advance_to(api, now + ms);
}

pub struct Inst<'a> {
    pub cluster: &'a str,
    pub ec2: &'a str,
    pub az: &'a str,
    pub cpu: i64,
    pub memory: i64,
    pub extra_resources: Vec<Value>,
    pub attributes: Vec<Value>,
    pub instance_type: Option<&'a str>,
    pub agent_version: &'a str,
}

impl<'a> Inst<'a> {
    pub fn new(ec2: &'a str, cpu: i64, memory: i64) -> Inst<'a> {
        Inst {
            cluster: "default",
            ec2,
            az: "us-east-1a",
            cpu,
            memory,
            extra_resources: Vec::new(),
            attributes: Vec::new(),
            instance_type: None,
            agent_version: "1.90.0",
        }
    }
    pub fn cluster(mut self, c: &'a str) -> Self {
        self.cluster = c;
        self
    }
    pub fn az(mut self, az: &'a str) -> Self {
        self.az = az;
        self
    }
    pub fn resource(mut self, r: Value) -> Self {
        self.extra_resources.push(r);
        self
    }
    pub fn attribute(mut self, name: &str, value: Option<&str>) -> Self {
        self.attributes.push(match value {
            Some(v) => json!({"name": name, "value": v}),
            None => json!({"name": name}),
        });
        self
    }
    pub fn eni_capable(self) -> Self {
        self.attribute("ecs.capability.task-eni", None)
    }
    pub fn instance_type(mut self, t: &'a str) -> Self {
        self.instance_type = Some(t);
        self
    }
    pub fn agent(mut self, v: &'a str) -> Self {
        self.agent_version = v;
        self
    }

    pub fn body(&self) -> Value {
        let mut doc =
            json!({"instanceId": self.ec2, "availabilityZone": self.az, "region": "us-east-1"});
        if let Some(t) = self.instance_type {
            doc["instanceType"] = json!(t);
        }
        let mut resources = vec![
            json!({"name": "CPU", "type": "INTEGER", "integerValue": self.cpu}),
            json!({"name": "MEMORY", "type": "INTEGER", "integerValue": self.memory}),
        ];
        resources.extend(self.extra_resources.iter().cloned());
        json!({
            "cluster": self.cluster,
            "instanceIdentityDocument": doc.to_string(),
            "totalResources": resources,
            "attributes": self.attributes,
            "versionInfo": {"agentVersion": self.agent_version, "agentHash": "abc", "dockerVersion": "DockerVersion: 25.0.8"},
        })
    }

    /// Registers the instance and returns its container instance ARN.
    #[track_caller]
    pub fn register(&self, api: &mut Api) -> String {
        let r = ok(api, "register_container_instance", self.body());
        str_at(&r, "/containerInstance/containerInstanceArn")
    }
}

/// Registers a plain instance in `default` and returns its ARN.
pub fn instance(api: &mut Api, ec2: &str, cpu: i64, memory: i64) -> String {
    Inst::new(ec2, cpu, memory).register(api)
}

/// A one-container bridge task definition body.
pub fn td(family: &str, cpu: i64, memory: i64) -> Value {
    json!({
        "family": family,
        "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "cpu": cpu, "memory": memory}],
    })
}

/// A one-container bridge task definition with static TCP host ports.
pub fn td_ports(family: &str, ports: &[u16]) -> Value {
    let maps: Vec<Value> = ports
        .iter()
        .map(|p| json!({"containerPort": p, "hostPort": p}))
        .collect();
    json!({
        "family": family,
        "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "cpu": 10, "memory": 16, "portMappings": maps}],
    })
}

/// An awsvpc task definition.
pub fn td_awsvpc(family: &str) -> Value {
    json!({
        "family": family,
        "networkMode": "awsvpc",
        "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "cpu": 128, "memory": 128,
                                  "portMappings": [{"containerPort": 80}]}],
    })
}

/// Registers a task definition and returns its ARN.
#[track_caller]
pub fn register_td(api: &mut Api, body: Value) -> String {
    let r = ok(api, "register_task_definition", body);
    str_at(&r, "/taskDefinition/taskDefinitionArn")
}

/// RunTask and return the response.
#[track_caller]
pub fn run(api: &mut Api, body: Value) -> Value {
    ok(api, "run_task", body)
}

/// The ARNs of the tasks of a RunTask/StartTask response.
pub fn task_arns(r: &Value) -> Vec<String> {
    r["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["taskArn"].as_str().expect("taskArn").to_string())
        .collect()
}

/// The `reason`s of a failures list.
pub fn failure_reasons(r: &Value) -> Vec<String> {
    r["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["reason"].as_str().expect("reason").to_string())
        .collect()
}

#[track_caller]
pub fn str_at(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
        .to_string()
}

/// One task as DescribeTasks shows it.
#[track_caller]
pub fn task(api: &mut Api, cluster: &str, arn: &str) -> Value {
    let r = ok(
        api,
        "describe_tasks",
        json!({"cluster": cluster, "tasks": [arn]}),
    );
    r["tasks"][0].clone()
}

/// One container instance as DescribeContainerInstances shows it.
#[track_caller]
pub fn container_instance(api: &mut Api, cluster: &str, arn: &str) -> Value {
    let r = ok(
        api,
        "describe_container_instances",
        json!({"cluster": cluster, "containerInstances": [arn]}),
    );
    r["containerInstances"][0].clone()
}

/// The named resource of a Resource list.
pub fn resource<'v>(list: &'v Value, name: &str) -> &'v Value {
    list.as_array()
        .expect("resource list")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

/// Remaining (CPU, MEMORY) of an instance.
pub fn remaining(api: &mut Api, cluster: &str, arn: &str) -> (i64, i64) {
    let ci = container_instance(api, cluster, arn);
    let r = &ci["remainingResources"];
    (
        resource(r, "CPU")["integerValue"].as_i64().expect("cpu"),
        resource(r, "MEMORY")["integerValue"]
            .as_i64()
            .expect("memory"),
    )
}

/// The remaining reserved TCP ports of an instance.
pub fn remaining_ports(api: &mut Api, cluster: &str, arn: &str) -> Vec<String> {
    let ci = container_instance(api, cluster, arn);
    resource(&ci["remainingResources"], "PORTS")["stringSetValue"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p.as_str().expect("port").to_string())
        .collect()
}

// ---------------------------------------------------------------- the binary and its files

/// A fresh directory for one test's files, removed with its files when the test drops it.
pub fn temp_dir(name: &str) -> TestDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("ecsim-it-{name}-"))
        .tempdir()
        .expect("temp dir");
    TestDir(dir)
}

/// A test's directory (`temp_dir`): a path while it lives, gone after.
pub struct TestDir(tempfile::TempDir);

impl std::ops::Deref for TestDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// Writes `text` to `dir/file` and returns its path.
pub fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, text).expect("write scenario");
    p
}

/// Runs the `ecsim` binary.
pub fn ecsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecsim"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "400")
        .output()
        .expect("run ecsim")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Both output streams, for messages.
pub fn all_output(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// Loads scenario text with a loader that knows no files.
pub fn load_text(text: &str) -> Result<ecsim::scenario::Scenario, ecsim::scenario::ScenarioError> {
    let no_files = |rel: &str| Err(format!("no such file: {rel}"));
    ecsim::scenario::load(text, "t.yaml", &no_files)
}

/// A small valid scenario used as a base by several tests.
pub const BASIC: &str = r#"name: it-basic
seed: 7
until: 10m
timing: {pending: 2s..5s, stopping: 1s}
clusters: [demo]
containerInstances:
  - cluster: demo
    count: 3
    ec2InstanceIdPrefix: i-it
    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
    totalResources:
      - {name: CPU, type: INTEGER, integerValue: 2048}
      - {name: MEMORY, type: INTEGER, integerValue: 4096}
taskDefinitions:
  - family: hello
    containerDefinitions:
      - {name: hello, image: "hello:1", cpu: 256, memory: 512, portMappings: [{containerPort: 8080, hostPort: 8080}]}
timeline:
  - at: 0s
    run_task: {cluster: demo, taskDefinition: hello, count: 4}
    save: first
    match:
      tasks: ["*", "*", "*"]
      failures: ["...", {reason: "RESOURCE:PORTS"}]
  - at: 1m
    describe_task_definition: {taskDefinition: "nope:3"}
    expectError: ClientException
  - at: 2m
    stop_task: {cluster: demo, task: "${first.tasks[0].taskArn}"}
expect:
  - at: 1m
    describe_clusters: {clusters: [demo]}
    match:
      clusters:
        - {clusterName: demo, status: ACTIVE, registeredContainerInstancesCount: 3, runningTasksCount: 3}
  - at: 5m
    list_tasks: {cluster: demo}
    match: {taskArns: ["*", "*"]}
"#;
