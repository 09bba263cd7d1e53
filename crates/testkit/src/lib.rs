//! ecsim-testkit: builders shared by tests and benchmarks (never shipped in the binary).
//!
//! Everything here goes through the public ECS API, so a fixture is built the way a user's
//! scenario would build it. `generate` holds the proptest strategies of whole generated worlds.

pub mod bench;
pub mod generate;

use ecsim_api::{Api, ApiConfig};
use ecsim_core::engine::EngineConfig;
use serde_json::{Value, json};

/// An API with a default cluster and `instances` container instances of `cpu` units and
/// `memory_mib`, spread round-robin over three Availability Zones.
pub fn api_with_fleet(seed: u64, instances: usize, cpu: i64, memory_mib: i64) -> Api {
    let engine = EngineConfig {
        seed,
        ..EngineConfig::default()
    };
    let mut api = Api::new(ApiConfig::default(), engine);
    call(&mut api, "create_cluster", &json!({}));
    for i in 0..instances {
        call(
            &mut api,
            "register_container_instance",
            &instance_body(i, cpu, memory_mib),
        );
    }
    api
}

/// A RegisterContainerInstance body for instance number `i`.
pub fn instance_body(i: usize, cpu: i64, memory_mib: i64) -> Value {
    let zone = ["us-east-1a", "us-east-1b", "us-east-1c"][i % 3];
    let doc = json!({"instanceId": format!("i-bench-{i}"), "availabilityZone": zone});
    json!({
        "instanceIdentityDocument": doc.to_string(),
        "totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory_mib},
        ],
    })
}

/// Registers a one-container task definition `family` with `cpu` and `memory_mib`.
pub fn register_task_def(api: &mut Api, family: &str, cpu: i64, memory_mib: i64) {
    let body = json!({
        "family": family,
        "containerDefinitions": [{"name": family, "image": "nginx", "cpu": cpu, "memory": memory_mib}],
    });
    call(api, "register_task_definition", &body);
}

/// Calls an operation that must succeed (a fixture bug otherwise).
pub fn call(api: &mut Api, op: &str, body: &Value) -> Value {
    match api.call(op, body) {
        Ok(v) => v,
        Err(e) => panic!("fixture call {op} failed: {e}"),
    }
}
