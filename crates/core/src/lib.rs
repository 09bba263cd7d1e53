//! ecsim-core: the pure model and discrete-event engine of ecsim.
//!
//! No I/O, no serde, no wall clock, no threads, no hash-ordered collections: everything here is a
//! deterministic function of the scenario and the seed. The engine (`engine::Engine`) is the only
//! mutator of the world; placement decides in pure functions over `&World`.

pub mod cluster;
pub mod cql;
pub mod engine;
pub mod ids;
pub mod instance;
pub mod invariants;
pub mod placement;
mod prefetch;
pub mod queue;
pub mod resources;
pub mod rng;
pub mod scheduler;
pub mod service;
pub mod task;
pub mod taskdef;
pub mod time;
pub mod timing;
pub mod trace;
pub mod world;
