//! Generated worlds for property-based tests: fleets, task definitions, services and timelines
//! (proptest strategies), gathered in a plain [`Plan`] that becomes either a sequence of ECS API
//! calls played on an [`ecsim_api::Api`] ([`Driver`]) or scenario YAML text
//! ([`Plan::to_yaml`]) that `ecsim run` replays.

pub mod driver;
pub mod fleet;
pub mod focused;
pub mod plan;
pub mod service;
pub mod taskdef;
pub mod timeline;

pub use driver::Driver;
pub use plan::{Call, Plan, TimingPlan, plan, plan_with};

#[cfg(test)]
mod tests;
