//! Test fixtures for the CQL tests: a small in-memory instance implementing [`CqlSubject`]
//! and helpers to parse-and-evaluate or to get a parse error's position.

use std::collections::BTreeMap;

use super::{CqlSubject, parse};

/// An in-memory container instance with builder methods.
#[derive(Debug, Default, Clone)]
pub(crate) struct Inst {
    attributes: BTreeMap<String, Option<String>>,
    connected: bool,
    version: Option<String>,
    ec2: Option<String>,
    registered_ms: i64,
    running: u64,
    groups: Vec<String>,
}

impl Inst {
    pub fn new() -> Self {
        Inst::default()
    }

    pub fn attr(mut self, name: &str, value: &str) -> Self {
        self.attributes
            .insert(name.to_string(), Some(value.to_string()));
        self
    }

    /// A value-less attribute.
    pub fn flag(mut self, name: &str) -> Self {
        self.attributes.insert(name.to_string(), None);
        self
    }

    pub fn connected(mut self, up: bool) -> Self {
        self.connected = up;
        self
    }

    pub fn version(mut self, v: &str) -> Self {
        self.version = Some(v.to_string());
        self
    }

    pub fn ec2(mut self, id: &str) -> Self {
        self.ec2 = Some(id.to_string());
        self
    }

    pub fn registered(mut self, ms: i64) -> Self {
        self.registered_ms = ms;
        self
    }

    pub fn running(mut self, n: u64) -> Self {
        self.running = n;
        self
    }

    pub fn group(mut self, g: &str) -> Self {
        self.groups.push(g.to_string());
        self
    }
}

impl CqlSubject for Inst {
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.attributes.get(name).map(Option::as_deref)
    }
    fn agent_connected(&self) -> bool {
        self.connected
    }
    fn agent_version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    fn ec2_instance_id(&self) -> Option<&str> {
        self.ec2.as_deref()
    }
    fn registered_at_unix_ms(&self) -> i64 {
        self.registered_ms
    }
    fn running_tasks_count(&self) -> u64 {
        self.running
    }
    fn for_each_task_group(&self, f: &mut dyn FnMut(&str)) {
        self.groups.iter().for_each(|g| f(g));
    }
}

/// Parses `expr` (panicking with the error if it does not parse) and evaluates it on `inst`.
pub(crate) fn eval(expr: &str, inst: &Inst) -> bool {
    match parse(expr) {
        Ok(e) => e.matches(inst),
        Err(e) => panic!("{expr:?} failed to parse: {e}"),
    }
}

/// The error offset and message of an expression that must fail to parse.
pub(crate) fn error_of(expr: &str) -> (usize, String) {
    match parse(expr) {
        Ok(_) => panic!("{expr:?} parsed but should not"),
        Err(e) => (e.offset, e.message),
    }
}
