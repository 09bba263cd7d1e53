//! The engine: the clock, the event queue, the random streams, the world and the trace. It is the
//! only place where simulation state changes.
//!
//! A driver (the scenario runner) schedules its own timeline entries as `Event::External` and
//! calls `step` in a loop: internal events are applied here, external ones are handed back to the
//! driver, which then calls the engine's operations. Every run is bounded by `max_events`.

mod audit;
mod fleet;
mod placing;
mod scheduling;
mod services;
mod tasks;

pub use audit::AuditFailure;
pub use fleet::{InstanceSpec, TaskDefSpec};
pub use placing::{KEPT_FAILURES, PlacementFailure, RunOutcome, RunSpec, StartFailure};
pub use services::{ServiceSpec, ServiceUpdate};

use crate::ids::{InstanceId, ServiceId, TaskId};
use crate::queue::EventQueue;
use crate::rng::RngStreams;
use crate::time::SimTime;
use crate::timing::Timing;
use crate::trace::{Field, FieldRef, Trace};
use crate::world::World;
use std::collections::BTreeMap;
use std::fmt;

/// An ECS exception raised by an operation: its name and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn new(code: &'static str, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The closed set of simulation events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A driver's entry (timeline operation, expectation): handed back by `step`.
    External(u32),
    /// PROVISIONING → PENDING.
    TaskProvisioned(TaskId),
    /// PENDING → RUNNING.
    TaskStarted(TaskId),
    /// STOPPING → STOPPED.
    TaskStopped(TaskId),
    /// UpdateContainerAgent finished.
    AgentUpdated(InstanceId),
    /// The service scheduler looks at a service.
    Reconcile(ServiceId),
    /// A service task has been RUNNING long enough to count as healthy.
    TaskHealthy(TaskId),
}

/// What one `step` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An internal event was applied at this time.
    Internal(SimTime),
    /// A driver entry is due at this time; the clock stands there.
    External(SimTime, u32),
}

/// The run exceeded its event budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventLimitExceeded {
    pub limit: u64,
    pub at: SimTime,
}

impl fmt::Display for EventLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the run processed {} events by simulated time {} and was stopped; raise --max-events or shorten `until`",
            self.limit, self.at
        )
    }
}

/// Placement counters over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlacementStats {
    pub placed: u64,
    /// Tasks that could not be placed.
    pub failed: u64,
    /// Per reason: unplaced tasks that at least one instance refused for that reason.
    pub failures_by_reason: BTreeMap<&'static str, u64>,
    /// Failed placement attempts (a RunTask call that stopped, a StartTask instance refused).
    pub failure_events: u64,
    /// The first `KEPT_FAILURES` failed placements in detail.
    pub failures: Vec<PlacementFailure>,
    /// The cluster and time of every failed placement attempt.
    pub failure_times: Vec<(String, SimTime)>,
}

/// Settings of one run.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    pub seed: u64,
    pub timing: Timing,
    pub max_events: u64,
    /// Unix milliseconds of simulated time zero (for `registeredAt` in expressions).
    pub epoch_unix_ms: i64,
    /// Check the engine's invariants after every event (tests, `--check-invariants`).
    pub check_invariants: bool,
    pub placement: PlacementMode,
}

/// How placements are chosen: the same choice either way, at different costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlacementMode {
    /// The placement index where the strategies allow (O(log n)), the reference elsewhere.
    #[default]
    Indexed,
    /// Every instance through every filter, then the strategies (O(n)).
    Reference,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            seed: 0,
            timing: Timing::default(),
            max_events: 10_000_000,
            epoch_unix_ms: 1_735_689_600_000,
            check_invariants: false,
            placement: PlacementMode::Indexed,
        }
    }
}

pub struct Engine {
    now: SimTime,
    queue: EventQueue<Event>,
    world: World,
    rng: RngStreams,
    trace: Trace,
    timing: Timing,
    stats: PlacementStats,
    processed: u64,
    max_events: u64,
    epoch_unix_ms: i64,
    audit: audit::Audit,
    index: crate::placement::index::PlacementIndex,
    placement: PlacementMode,
    trace_names: tasks::TraceNames,
    /// Per service number, the service scheduler's last stop reason and what it was for
    /// (deployment, why): the tasks its reconciles stop share one text.
    stop_reasons: Vec<Option<(scheduling::ReasonKey, std::sync::Arc<str>)>>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            world: World::default(),
            rng: RngStreams::new(config.seed),
            trace: Trace::default(),
            timing: config.timing,
            stats: PlacementStats::default(),
            processed: 0,
            max_events: config.max_events,
            epoch_unix_ms: config.epoch_unix_ms,
            audit: audit::Audit {
                enabled: config.check_invariants,
                ..Default::default()
            },
            index: Default::default(),
            placement: config.placement,
            trace_names: Default::default(),
            stop_reasons: Vec::new(),
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn world(&self) -> &World {
        &self.world
    }
    /// Re-files in the placement index the instances whose amounts moved since the last
    /// placement, as every placement does first (releases re-file lazily: once per instance,
    /// however many tasks it gave back). Changes no choice; benchmarks call it to time that
    /// deferred work with the events that caused it.
    pub fn settle_index(&mut self) {
        self.index.settle();
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn stats(&self) -> &PlacementStats {
        &self.stats
    }
    pub fn timing(&self) -> &Timing {
        &self.timing
    }
    /// The run's random streams, for drivers that draw (fault selection uses `Purpose::Faults`).
    pub fn rng(&mut self) -> &mut RngStreams {
        &mut self.rng
    }

    /// Schedules a driver entry. At the same millisecond it runs after the engine's own
    /// events (see `queue`), so it sees everything that was due before it.
    pub fn schedule_external(&mut self, at: SimTime, entry: u32) {
        self.queue.push_in(at, 1, Event::External(entry));
    }

    /// The time of the next event, if any.
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Applies the next event, or hands back a driver entry. `Ok(None)` when the queue is empty.
    pub fn step(&mut self) -> Result<Option<Step>, EventLimitExceeded> {
        let Some((time, event)) = self.queue.pop() else {
            return Ok(None);
        };
        self.processed += 1;
        if self.processed > self.max_events {
            return Err(EventLimitExceeded {
                limit: self.max_events,
                at: time,
            });
        }
        self.audit_clock(time);
        self.now = time;
        self.prefetch_next();
        let name = match event {
            Event::External(entry) => return Ok(Some(Step::External(time, entry))),
            Event::TaskProvisioned(_) => "TaskProvisioned",
            Event::TaskStarted(_) => "TaskStarted",
            Event::TaskStopped(_) => "TaskStopped",
            Event::AgentUpdated(_) => "AgentUpdated",
            Event::Reconcile(_) => "Reconcile",
            Event::TaskHealthy(_) => "TaskHealthy",
        };
        match event {
            Event::External(_) => {}
            Event::TaskProvisioned(t) => self.on_task_provisioned(t),
            Event::TaskStarted(t) => self.on_task_started(t),
            Event::TaskStopped(t) => self.finish_stop(t),
            Event::AgentUpdated(i) => self.on_agent_updated(i),
            Event::Reconcile(s) => self.on_reconcile(s),
            Event::TaskHealthy(t) => self.on_task_healthy(t),
        }
        self.audit(name);
        Ok(Some(Step::Internal(time)))
    }

    /// Starts loading the records the next event reads that a large run keeps out of the
    /// cache: a task event's task and its trace numbers (tasks are met in time order, which is
    /// no order in memory). Results do not depend on it (`prefetch`).
    fn prefetch_next(&self) {
        if self.world.tasks.len() < PREFETCH_FROM_TASKS {
            // A small run's records stay in the cache: the hints would cost, not save.
            return;
        }
        if let Some(
            Event::TaskProvisioned(t)
            | Event::TaskStarted(t)
            | Event::TaskStopped(t)
            | Event::TaskHealthy(t),
        ) = self.queue.likely_next()
            && let Some(task) = self.world.tasks.get(t.index())
        {
            crate::prefetch::value(task);
            self.trace_names.prefetch(*t);
        }
    }

    /// Moves the clock forward to `t` with nothing happening (the end of a run).
    pub fn advance_to(&mut self, t: SimTime) {
        if t > self.now {
            self.now = t;
        }
    }

    /// Appends a record to the trace at the current time.
    pub fn record(&mut self, kind: &'static str, fields: Vec<(&'static str, Field)>) {
        let fields: Vec<(&'static str, FieldRef<'_>)> =
            fields.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        self.trace.push(self.now, kind, &fields);
    }

    fn schedule(&mut self, at: SimTime, event: Event) {
        self.queue.push(at, event);
    }
}

/// Tasks from which `prefetch_next` hints the next event's records: fewer tasks' records (about
/// 330 bytes each with their trace numbers, so under 3 MiB) stay in a core's own cache.
const PREFETCH_FROM_TASKS: usize = 8_192;
