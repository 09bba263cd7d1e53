//! ecsim: a deterministic discrete-event simulator of Amazon ECS scheduling and task placement.
//!
//! This facade re-exports the workspace crates for the binary, the benchmarks and the
//! integration tests: `core` (model and engine), `api` (ECS operations), `scenario` (scenario
//! files and the runner), `report` (outputs).

pub use ecsim_api as api;
pub use ecsim_core as core;
pub use ecsim_report as report;
pub use ecsim_scenario as scenario;
