//! ecsim-api: the ECS API over the simulation engine.
//!
//! Requests and responses are the ECS API's own JSON shapes (camelCase). Each operation parses
//! its request (`requests`), validates it with ECS's exception names and messages, resolves
//! names and ARNs to the engine's dense ids, calls the engine, and renders the ECS response shape
//! (`render`). No I/O happens here.

pub mod arn;
pub mod clock;
mod ops;
pub use ops::is_supported;
pub mod paginate;
pub mod render;
mod render_service;
pub mod requests;

use ecsim_core::engine::{Engine, EngineConfig};
use ecsim_core::ids::{InstanceId, TaskDefId, TaskId};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// An ECS exception: its name (`ClusterNotFoundException`) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidParameterException", message)
    }
    pub fn client(message: impl Into<String>) -> ApiError {
        ApiError::new("ClientException", message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<ecsim_core::engine::Rejection> for ApiError {
    fn from(r: ecsim_core::engine::Rejection) -> ApiError {
        ApiError::new(r.code, r.message)
    }
}

/// The account-level settings of a simulated ECS endpoint.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    pub region: String,
    pub account_id: String,
    /// Unix milliseconds of simulated time zero (the scenario's `epoch`).
    pub epoch_unix_ms: i64,
    /// The Availability Zone of each subnet named in `awsvpcConfiguration`.
    pub subnet_zones: BTreeMap<String, String>,
    /// The ENI limit of an instance type, when the catalogue knows it.
    pub eni_limit_of: fn(&str) -> Option<u32>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            epoch_unix_ms: 1_735_689_600_000,
            subnet_zones: BTreeMap::new(),
            eni_limit_of: |_| None,
        }
    }
}

/// What the API remembers about a task beyond the engine's model.
#[derive(Clone, Debug, Default)]
pub(crate) struct TaskExtra {
    pub overrides: Value,
    pub subnet: Option<String>,
}

/// A simulated ECS endpoint: the engine plus the wire-level state the API keeps.
pub struct Api {
    pub engine: Engine,
    pub config: ApiConfig,
    /// The registered JSON of each task definition, by id.
    task_def_json: BTreeMap<TaskDefId, Value>,
    task_extra: BTreeMap<TaskId, TaskExtra>,
}

impl Api {
    /// A simulated endpoint; the engine's epoch is taken from `config`.
    pub fn new(config: ApiConfig, engine: EngineConfig) -> Api {
        let engine = EngineConfig {
            epoch_unix_ms: config.epoch_unix_ms,
            ..engine
        };
        Api {
            engine: Engine::new(engine),
            config,
            task_def_json: BTreeMap::new(),
            task_extra: BTreeMap::new(),
        }
    }

    /// Calls operation `op` (snake_case ECS name) with a JSON request body.
    pub fn call(&mut self, op: &str, body: &Value) -> Result<Value, ApiError> {
        ops::dispatch(self, op, body)
    }

    /// `call` for a caller that reads no response (a timeline entry without `match` or
    /// `save`): the same checks, effects and errors, without rendering what an UpdateService
    /// returns (a service description with its last hundred events).
    pub fn call_discarding(&mut self, op: &str, body: &Value) -> Result<(), ApiError> {
        match op {
            "update_service" => ops::services::apply_update_service(self, body).map(drop),
            _ => self.call(op, body).map(drop),
        }
    }

    /// RegisterContainerInstance for a caller that discards the response (a fleet's setup):
    /// the same checks and effects as `call`, without rendering the instance.
    pub fn register_container_instance(&mut self, body: &Value) -> Result<InstanceId, ApiError> {
        ops::instances::register(self, body)
    }

    /// `register_container_instance` from a request parsed with `parse_register_request`:
    /// a fleet's setup parses what its instances' bodies share once, and registers each
    /// instance from a copy with its own identity document.
    pub fn register_container_instance_request(
        &mut self,
        request: requests::RegisterContainerInstance,
    ) -> Result<InstanceId, ApiError> {
        ops::instances::register_request(self, request)
    }

    /// A RegisterContainerInstance body parsed, or the error `register_container_instance`
    /// gives for it.
    pub fn parse_register_request(
        body: &Value,
    ) -> Result<requests::RegisterContainerInstance, ApiError> {
        ops::parse(body)
    }

    pub(crate) fn arns(&self) -> arn::Arns<'_> {
        arn::Arns::new(&self.config.region, &self.config.account_id)
    }
}
