//! The integration test suite of ecsim: the ECS API driven directly, the `ecsim` binary, invalid
//! scenarios, robustness against mangled input, and determinism of every bundled scenario.
//!
//! Expected behaviour comes from `/work/shared/SCENARIO-FORMAT.md` (the contract) and
//! `/work/shared/ecs-semantics.md` (ECS semantics); section numbers are cited in the tests.

mod support;

mod api_agent;
mod api_attributes;
mod api_clusters;
mod api_instances;
mod api_taskdefs;
mod api_tasks;
mod bad_input;
mod check;
mod cli;
mod determinism;
mod explain;
mod faults;
mod generate;
mod import;
mod no_panic;
mod placement;
mod plan;
mod properties;
mod report;
mod reports;
mod services;
mod state_machine;
