//! ecsim-scenario: YAML/JSON scenario text to a validated `Scenario`, and the runner that plays
//! it against the ECS API.
//!
//! Text comes in as `&str` (the CLI reads files); a `file:` reference is read through a loader
//! the caller provides. Every contract violation is a `ScenarioError` with file, line, column
//! and YAML path; nothing runs until the whole scenario is valid.

pub mod catalogue;
pub mod check;
pub mod compare;
pub mod duration;
pub mod error;
pub mod explain;
pub mod faults;
pub mod fleet;
pub mod generate;
pub mod import;
pub mod invariants;
pub mod load;
pub mod matcher;
pub mod metrics;
pub mod model;
pub mod node;
pub mod plan;
pub mod prices;
mod quick_yaml;
pub mod reader;
pub mod refs;
pub mod request;
pub mod runner;
pub mod timeline;
pub mod yaml_out;

pub use error::ScenarioError;
pub use explain::{ExplainError, ExplainRequest, Explanation, explain};
pub use load::{FileLoader, load};
pub use model::Scenario;
pub use runner::{Check, RunError, RunOptions, RunOutput, run, run_with_progress};
