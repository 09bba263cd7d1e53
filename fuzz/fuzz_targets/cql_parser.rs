//! Arbitrary text as a cluster query language expression: parsing never panics, and an
//! expression that parses evaluates (never panics) against a fixed container instance.

#![no_main]

use ecsim::core::cql::{CqlSubject, parse};
use libfuzzer_sys::fuzz_target;

/// One container instance with a few built-in and custom attributes and two task groups.
struct Fixed;

impl CqlSubject for Fixed {
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        match name {
            "ecs.instance-type" => Some(Some("m5.large")),
            "ecs.availability-zone" => Some(Some("us-east-1a")),
            "ecs.os-type" => Some(Some("linux")),
            "ecs.cpu-architecture" => Some(Some("x86_64")),
            "stack" => Some(Some("prod")),
            "flag" => Some(None),
            _ => None,
        }
    }
    fn agent_connected(&self) -> bool {
        true
    }
    fn agent_version(&self) -> Option<&str> {
        Some("1.90.0")
    }
    fn ec2_instance_id(&self) -> Option<&str> {
        Some("i-0123456789abcdef0")
    }
    fn registered_at_unix_ms(&self) -> i64 {
        1_735_689_600_000
    }
    fn running_tasks_count(&self) -> u64 {
        2
    }
    fn for_each_task_group(&self, f: &mut dyn FnMut(&str)) {
        f("service:web");
        f("family:batch");
    }
}

fuzz_target!(|src: &str| {
    if let Ok(expr) = parse(src) {
        let _ = expr.matches(&Fixed);
        let _ = expr.uses_task_group();
        let _ = expr.subjects();
        assert_eq!(expr.source(), src);
    }
});
