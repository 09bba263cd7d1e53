//! Engine operations on a task once placed: its creation and resource allocation, the
//! lifecycle on the simulated clock, stops, crashes and the agent's state-change reports.

use super::{Engine, Event, RunSpec};
use crate::ids::ClusterId;
use crate::ids::{InstanceId, ServiceId, TaskDefId, TaskId};
use crate::instance::Instance;
use crate::resources::{Allocation, EPHEMERAL_PORTS, Gpus, Held, Requirement};
use crate::rng::Purpose;
use crate::task::{
    Container, DesiredStatus, Moment, Moments, StopCause, StopCode, Task, TaskStatus,
};
use crate::taskdef::NetworkMode;
use crate::trace::{StrShape, Trace, TraceStr};
use crate::world::World;
use crate::world::remove_task;
use std::collections::BTreeSet;
use std::sync::Arc;

impl Engine {
    /// Creates a task of `spec` on `inst`, taking `req` from it; `service` links a service task
    /// to its service and deployment.
    pub(super) fn create_task(
        &mut self,
        spec: &RunSpec,
        inst: InstanceId,
        req: &Requirement,
        service: Option<(ServiceId, usize)>,
    ) -> TaskId {
        let id = TaskId(self.world.tasks.len() as u32);
        self.audit_placement(spec, inst);
        let allocation = self.allocate(inst, req);
        self.index.update_amounts(&self.world, inst);
        let containers = self.containers_for(spec.task_def, &allocation);
        let td = self.world.task_def(spec.task_def);
        let status = if td.network_mode == NetworkMode::Awsvpc {
            TaskStatus::Provisioning
        } else {
            TaskStatus::Pending
        };
        let mut task = Task {
            id,
            uuid: self.rng.hex(Purpose::Ids),
            cluster: spec.cluster,
            instance: inst,
            task_def: spec.task_def,
            group: spec.group.clone(),
            started_by: spec.started_by.clone(),
            last_status: status,
            desired_status: DesiredStatus::Running,
            allocation,
            containers,
            containers_reported: false,
            created_at: self.now,
            times: Moments::default(),
            stop: None,
            stop_timeout_s: td.stop_timeout_s(),
            version: 1,
            service,
            health_counted: false,
        };
        if status == TaskStatus::Pending {
            task.times.set(Moment::PullStarted, self.now);
        }
        self.index.count_task(&self.world, &spec.group, inst, 1);
        self.world.tasks.push(task);
        self.world.count_shape(id, 1);
        self.world.join_group(id);
        self.world.clusters[spec.cluster.index()].tasks.push(id);
        let on_instance = &mut self.instance_mut(inst).tasks;
        if on_instance.capacity() == 0 {
            // Most instances hold more than the four a first push makes room for.
            on_instance.reserve(INSTANCE_TASKS_FIRST);
        }
        on_instance.push(id);
        self.stats.placed += 1;
        self.record_status(id);
        let (delay, event) = match status {
            TaskStatus::Provisioning => (self.timing.provisioning, Event::TaskProvisioned(id)),
            _ => (self.timing.pending, Event::TaskStarted(id)),
        };
        let at = self.now.after(delay.draw(&mut self.rng));
        self.schedule(at, event);
        id
    }

    fn containers_for(&mut self, td: TaskDefId, alloc: &Allocation) -> Vec<Container> {
        let def = self.world.task_def(td);
        let mut dynamic = alloc.dynamic_ports().iter().copied();
        // Sized exactly: a growing Vec would keep room for four containers per task.
        let mut out = Vec::with_capacity(def.containers.len());
        for c in &def.containers {
            let mut bindings = Vec::with_capacity(c.port_mappings.len());
            for pm in &c.port_mappings {
                let host = match (def.network_mode, pm.host_port) {
                    (NetworkMode::Awsvpc | NetworkMode::None, _) => None,
                    (NetworkMode::Host, None | Some(0)) => Some(pm.container_port),
                    (_, Some(p)) if p != 0 => Some(p),
                    _ => dynamic.next(),
                };
                if let Some(h) = host {
                    bindings.push((pm.container_port, h, pm.protocol.as_str()));
                }
            }
            out.push(Container {
                name: c.name.clone(),
                uuid: self.rng.hex(Purpose::Ids),
                essential: c.essential,
                reported: None,
                exit_code: None,
                reason: None,
                network_bindings: bindings,
            });
        }
        out
    }

    /// Takes the requirement from the instance's remaining resources.
    fn allocate(&mut self, inst: InstanceId, req: &Requirement) -> Allocation {
        let i = self.instance_mut(inst);
        let r = &mut i.remaining;
        r.cpu -= req.cpu;
        r.memory_mib -= req.memory_mib;
        r.ports_tcp.extend(req.ports_tcp.iter().copied());
        r.ports_udp.extend(req.ports_udp.iter().copied());
        let gpu_ids = match &mut r.gpus {
            Some(Gpus::Count(n)) => {
                *n -= req.gpus;
                Vec::new()
            }
            Some(Gpus::Ids(ids)) => {
                let taken: Vec<String> = ids.iter().take(req.gpus as usize).cloned().collect();
                taken.iter().for_each(|g| {
                    ids.remove(g);
                });
                taken
            }
            None => Vec::new(),
        };
        let mut dynamic_ports = Vec::new();
        let mut from = *EPHEMERAL_PORTS.start();
        while (dynamic_ports.len() as u32) < req.dynamic_ports {
            let Some(p) = lowest_free(&i.dynamic_ports_in_use, &i.remaining.ports_tcp, from) else {
                break;
            };
            i.dynamic_ports_in_use.insert(p);
            dynamic_ports.push(p);
            from = p.saturating_add(1);
        }
        if req.eni {
            i.task_enis += 1;
        }
        let held = Held {
            ports_tcp: req.ports_tcp.clone(),
            ports_udp: req.ports_udp.clone(),
            dynamic_ports,
            gpu_ids,
        };
        Allocation::new(req.cpu, req.memory_mib, req.gpus, req.eni, held)
    }

    /// Gives a stopped task's allocation back to its instance.
    fn release(&mut self, task: TaskId) {
        let world = &mut self.world;
        let t = &world.tasks[task.index()];
        let i = &mut world.instances[t.instance.index()];
        i.version += 1;
        give_back(i, &t.allocation);
    }

    pub(super) fn on_task_provisioned(&mut self, id: TaskId) {
        let now = self.now;
        if !self.is_starting(id, TaskStatus::Provisioning) {
            return;
        }
        let t = self.task_mut(id);
        t.last_status = TaskStatus::Pending;
        t.times.set(Moment::PullStarted, now);
        self.record_status(id);
        let at = self.now.after(self.timing.pending.draw(&mut self.rng));
        self.schedule(at, Event::TaskStarted(id));
    }

    pub(super) fn on_task_started(&mut self, id: TaskId) {
        let now = self.now;
        if !self.is_starting(id, TaskStatus::Pending) {
            return;
        }
        let t = self.task_mut(id);
        t.last_status = TaskStatus::Running;
        t.times.set(Moment::PullStopped, now);
        t.times.set(Moment::Started, now);
        // Every container that has not stopped now runs: it follows the task again.
        if t.containers_reported {
            t.containers
                .iter_mut()
                .for_each(|c| c.reported = c.reported.filter(|s| *s == TaskStatus::Stopped));
        }
        self.count_running(id, 1);
        self.record_status(id);
        self.on_service_task_running(id);
    }

    /// StopTask and every graceful stop: desiredStatus STOPPED; a running task goes through
    /// STOPPING for the stopping delay (capped by the stop timeout), a task that never ran stops now.
    pub fn stop_task(&mut self, id: TaskId, cause: StopCause) {
        let status = self.world.task(id).last_status;
        if status == TaskStatus::Stopped || status == TaskStatus::Stopping {
            return;
        }
        self.desire_stopped(id);
        let t = self.task_mut(id);
        t.stop.get_or_insert(cause);
        match t.last_status {
            TaskStatus::Running => self.begin_stopping(id),
            _ => self.finish_stop(id),
        }
    }

    /// Stops a task at once (its host is gone).
    pub(crate) fn stop_now(&mut self, id: TaskId, cause: StopCause) {
        if self.world.task(id).last_status == TaskStatus::Stopped {
            return;
        }
        self.desire_stopped(id);
        self.task_mut(id).stop.get_or_insert(cause);
        self.finish_stop(id);
    }

    fn begin_stopping(&mut self, id: TaskId) {
        let now = self.now;
        let t = self.task_mut(id);
        t.last_status = TaskStatus::Stopping;
        t.times.set(Moment::Stopping, now);
        if let Some((sid, dep)) = t.service {
            self.service_mut(sid).deployments[dep].stopping_tasks += 1;
        }
        let t = self.world.task(id);
        let timeout = t.stop_timeout_s.map_or(
            self.timing.stop_timeout,
            crate::time::SimDuration::from_secs,
        );
        self.record_status(id);
        let delay = self.timing.stopping.draw(&mut self.rng).min(timeout);
        self.schedule(now.after(delay), Event::TaskStopped(id));
    }

    pub(super) fn finish_stop(&mut self, id: TaskId) {
        let now = self.now;
        if self.world.task(id).last_status == TaskStatus::Stopped {
            return;
        }
        self.desire_stopped(id);
        if let (TaskStatus::Stopping, Some((sid, dep))) =
            (self.world.task(id).last_status, self.world.task(id).service)
        {
            self.service_mut(sid).deployments[dep].stopping_tasks -= 1;
        }
        let t = self.task_mut(id);
        t.last_status = TaskStatus::Stopped;
        t.times.set(Moment::ExecutionStopped, now);
        t.times.set(Moment::Stopped, now);
        // Every container is STOPPED with its task.
        if t.containers_reported {
            t.containers.iter_mut().for_each(|c| c.reported = None);
            t.containers_reported = false;
        }
        self.release(id);
        self.world.count_shape(id, -1);
        let inst = self.world.task(id).instance;
        self.index.update_amounts(&self.world, inst);
        self.forget_stopped(id);
        self.record_status(id);
        self.on_service_task_stopped(id);
    }

    /// A STOPPED task leaves its instance's and its service's lists of tasks; the cluster keeps
    /// it for ListTasks and DescribeTasks. Order is kept, so nothing downstream sees a change.
    fn forget_stopped(&mut self, id: TaskId) {
        let t = self.world.task(id);
        let (inst, service) = (t.instance, t.service.map(|(s, _)| s));
        remove_task(&mut self.instance_mut(inst).tasks, id);
        if let Some(s) = service {
            self.service_mut(s).tasks.remove(id);
        }
    }

    /// An essential container exits with `exit_code`: the task stops (EssentialContainerExited).
    /// Returns false when the task is not RUNNING.
    pub fn crash_task(&mut self, id: TaskId, exit_code: i64) -> bool {
        if self.world.task(id).last_status != TaskStatus::Running {
            return false;
        }
        let t = self.task_mut(id);
        if let Some(c) = t.containers.iter_mut().find(|c| c.essential) {
            c.reported = Some(TaskStatus::Stopped);
            c.exit_code = Some(exit_code);
            t.containers_reported = true;
        }
        self.stop_task(id, essential_exit());
        true
    }

    /// SubmitTaskStateChange: the agent reports the task RUNNING or STOPPED.
    pub fn agent_task_status(&mut self, id: TaskId, status: TaskStatus, reason: Option<String>) {
        match status {
            TaskStatus::Running => {
                if self.world.task(id).last_status == TaskStatus::Provisioning {
                    self.task_mut(id).last_status = TaskStatus::Pending;
                }
                self.on_task_started(id);
            }
            TaskStatus::Stopped => {
                let reason = reason.unwrap_or_else(|| "Task stopped by the agent".into());
                let reason = reason.into();
                self.stop_now(id, StopCause { code: None, reason });
            }
            _ => {}
        }
    }

    /// SubmitContainerStateChange: a container reports RUNNING or STOPPED (with an exit code).
    pub fn agent_container_status(
        &mut self,
        id: TaskId,
        index: usize,
        status: TaskStatus,
        exit_code: Option<i64>,
        reason: Option<String>,
    ) {
        let t = self.task_mut(id);
        t.containers_reported = true;
        let c = &mut t.containers[index];
        c.reported = Some(status);
        c.exit_code = exit_code.or(c.exit_code);
        c.reason = reason.or(c.reason.take());
        let essential_stopped = status == TaskStatus::Stopped && c.essential;
        let t = self.world.task(id);
        let all_running = t
            .containers
            .iter()
            .all(|c| t.container_status(c) == TaskStatus::Running);
        if essential_stopped {
            self.stop_task(id, essential_exit());
        } else if all_running {
            self.agent_task_status(id, TaskStatus::Running, None);
        }
    }

    /// A service task turned RUNNING (`delta` 1) or, RUNNING, was told to stop (-1): its
    /// deployment's and its zone's counts of live RUNNING tasks move.
    fn count_running(&mut self, id: TaskId, delta: i32) {
        let w = &mut self.world;
        let t = &w.tasks[id.index()];
        let Some((sid, dep)) = t.service else { return };
        let zone = w.instances[t.instance.index()].zone;
        let s = &mut w.services[sid.index()];
        let d = &mut s.deployments[dep];
        d.running_tasks = d.running_tasks.saturating_add_signed(delta);
        if let Some(zone) = zone {
            s.count_running_in_zone(zone, delta);
        }
    }

    /// desiredStatus STOPPED: the task stops counting for spread and distinctInstance.
    fn desire_stopped(&mut self, id: TaskId) {
        if self.world.task(id).desired_status == DesiredStatus::Stopped {
            return;
        }
        if self.world.task(id).last_status == TaskStatus::Running {
            self.count_running(id, -1);
        }
        let t = self.task_mut(id);
        t.desired_status = DesiredStatus::Stopped;
        let counted = std::mem::take(&mut t.health_counted);
        if let Some((sid, dep)) = self.world.task(id).service {
            let s = self.service_mut(sid);
            if dep != s.primary_index() {
                s.retiring.remove(id);
            }
            let d = &mut s.deployments[dep];
            d.live_tasks -= 1;
            d.healthy_tasks -= u32::from(counted);
        }
        self.world.leave_group(id);
        let t = self.world.task(id);
        self.index.count_task(&self.world, &t.group, t.instance, -1);
    }

    /// Whether a task is in `status` on its way to RUNNING (and not being stopped).
    fn is_starting(&self, id: TaskId, status: TaskStatus) -> bool {
        let t = self.world.task(id);
        t.last_status == status && t.desired_status == DesiredStatus::Running
    }

    /// The task, for a change: bumps its `version`, as every ECS change does.
    fn task_mut(&mut self, id: TaskId) -> &mut Task {
        let t = &mut self.world.tasks[id.index()];
        t.version += 1;
        t
    }

    /// Records the task's status (`TaskStatus`), borrowing every string from the world.
    fn record_status(&mut self, id: TaskId) {
        self.audit_transition(id);
        let Engine {
            world,
            trace,
            trace_names: names,
            now,
            ..
        } = self;
        let t = world.task(id);
        let (uuid, group) = names.task(trace, t);
        let cluster = names.cluster(trace, world, t.cluster);
        let ec2 = names.instance(trace, world, t.instance);
        let status = names.status(trace, t.last_status);
        let base = [uuid, cluster, ec2, group, status];
        match (t.last_status, &t.stop) {
            (TaskStatus::Stopped | TaskStatus::Stopping, Some(stop)) => {
                let (code, reason) = names.task_stop(trace, t, stop);
                let [a, b, c, d, e] = base;
                let shape = names.shapes(trace).stopped;
                trace.push_strs(*now, shape, [a, b, c, d, e, code, reason]);
            }
            _ => {
                let shape = names.shapes(trace).plain;
                trace.push_strs(*now, shape, base);
            }
        }
    }
}

/// The two shapes of a `TaskStatus` record: without and with the stop's code and reason.
#[derive(Clone, Copy, Debug)]
struct StatusShapes {
    plain: StrShape<5>,
    stopped: StrShape<7>,
}

/// Room an instance's task list makes at its first task.
const INSTANCE_TASKS_FIRST: usize = 8;

/// The keys of a `TaskStatus` record, in order.
const STATUS_KEYS: [&str; 5] = ["taskId", "cluster", "ec2InstanceId", "group", "status"];

/// The trace numbers of the strings every task status record repeats (a task's id and group,
/// its instance's EC2 id, its cluster's name), kept by task, instance and cluster so that a
/// record looks none of them up by content.
#[derive(Clone, Debug, Default)]
pub(super) struct TraceNames {
    /// By task: one entry holds all a task's numbers, so a record loads one place for them.
    tasks: Vec<TaskNames>,
    /// The last group interned: tasks placed in a row mostly share it.
    last_group: Option<(Arc<str>, TraceStr)>,
    /// Each service's last stop reason and its number, by service.
    service_reasons: Vec<Option<(Arc<str>, TraceStr)>>,
    /// Each lastStatus's text, by the status's place in `TaskStatus`.
    statuses: [Option<TraceStr>; 5],
    instances: Vec<Option<TraceStr>>,
    clusters: Vec<Option<TraceStr>>,
    /// Each stop code's text, at the code's place in `StopCode` + 1 ("" for none at 0).
    stop_codes: Vec<Option<TraceStr>>,
    /// The stop reasons interned last, newest first: the tasks of one stop share theirs.
    reasons: Vec<(Arc<str>, TraceStr)>,
    /// The `TaskStatus` record shapes, resolved on the first record.
    status_shapes: Option<StatusShapes>,
    /// Each service's name, by service.
    services: Vec<Option<TraceStr>>,
    /// The service event names seen (a handful of constants), by address.
    event_names: Vec<(&'static str, TraceStr)>,
    /// The `ServiceEvent` record shape, resolved on the first.
    service_event_shape: Option<StrShape<3>>,
}

/// The keys of a `ServiceEvent` record, in order.
const SERVICE_EVENT_KEYS: [&str; 3] = ["service", "name", "message"];

/// One task's trace numbers: its id and group (from its first record), its stop code and
/// reason (from its first stop record: a task's stop cause is set once and never changes, so
/// its STOPPED record reads neither the cause's text again).
#[derive(Clone, Copy, Debug, Default)]
struct TaskNames {
    ids: Option<(TraceStr, TraceStr)>,
    stop: Option<(TraceStr, TraceStr)>,
}

/// How many recent stop reasons `TraceNames` keeps.
const RECENT_REASONS: usize = 4;

impl TraceNames {
    /// Starts loading task `id`'s entry (`prefetch`).
    pub(super) fn prefetch(&self, id: TaskId) {
        if let Some(names) = self.tasks.get(id.index()) {
            crate::prefetch::value(names);
        }
    }

    /// Task `at`'s entry, the list grown with empty ones as needed.
    fn task_names(&mut self, at: usize) -> &mut TaskNames {
        if self.tasks.len() <= at {
            self.tasks.resize_with(at + 1, TaskNames::default);
        }
        &mut self.tasks[at]
    }

    fn task(&mut self, trace: &mut Trace, t: &Task) -> (TraceStr, TraceStr) {
        if let Some(ids) = self.task_names(t.id.index()).ids {
            return ids;
        }
        // A task's id is new text, recorded under this number all along: no lookup.
        let uuid = trace.add_unique(&t.uuid);
        let group = match &self.last_group {
            // The same service's tasks share one text: the pointers say so without comparing.
            Some((text, id)) if Arc::ptr_eq(text, &t.group) || *text == t.group => *id,
            _ => {
                let id = trace.intern(&t.group);
                self.last_group = Some((t.group.clone(), id));
                id
            }
        };
        self.tasks[t.id.index()].ids = Some((uuid, group));
        (uuid, group)
    }

    fn shapes(&mut self, trace: &mut Trace) -> StatusShapes {
        *self.status_shapes.get_or_insert_with(|| {
            let [a, b, c, d, e] = STATUS_KEYS;
            StatusShapes {
                plain: trace.str_shape("TaskStatus", STATUS_KEYS),
                stopped: trace
                    .str_shape("TaskStatus", [a, b, c, d, e, "stopCode", "stoppedReason"]),
            }
        })
    }

    fn status(&mut self, trace: &mut Trace, status: TaskStatus) -> TraceStr {
        *self.statuses[status as usize].get_or_insert_with(|| trace.intern(status.as_str()))
    }

    /// The stop code and reason of task `id`, whose stop cause is `stop`: the numbers found for
    /// its first stop record, or found now.
    fn task_stop(&mut self, trace: &mut Trace, t: &Task, stop: &StopCause) -> (TraceStr, TraceStr) {
        if let Some(names) = self.task_names(t.id.index()).stop {
            return names;
        }
        let names = self.stop(trace, stop, t.service.map(|(sid, _)| sid));
        self.tasks[t.id.index()].stop = Some(names);
        names
    }

    /// A stop's code and reason; the reason is looked up by content only when it is neither the
    /// service's last (a service's scheduler stops share one text) nor one of the last few.
    fn stop(
        &mut self,
        trace: &mut Trace,
        stop: &StopCause,
        service: Option<ServiceId>,
    ) -> (TraceStr, TraceStr) {
        let at = stop.code.map_or(0, |c| c as usize + 1);
        let code = *slot(&mut self.stop_codes, at)
            .get_or_insert_with(|| trace.intern(stop.code.map_or("", StopCode::as_str)));
        let Some(sid) = service else {
            return (code, self.recent_reason(trace, &stop.reason));
        };
        let last = slot(&mut self.service_reasons, sid.index());
        let reason = match last {
            Some((text, id)) if Arc::ptr_eq(text, &stop.reason) || *text == stop.reason => *id,
            _ => {
                let id = self.recent_reason(trace, &stop.reason);
                self.service_reasons[sid.index()] = Some((stop.reason.clone(), id));
                id
            }
        };
        (code, reason)
    }

    /// A stop reason's number, from the last few or looked up by content.
    fn recent_reason(&mut self, trace: &mut Trace, text: &Arc<str>) -> TraceStr {
        match self.reasons.iter().position(|(r, _)| r == text) {
            Some(at) => {
                let hit = self.reasons.remove(at);
                let id = hit.1;
                self.reasons.insert(0, hit);
                id
            }
            None => {
                let id = trace.intern(text);
                self.reasons.truncate(RECENT_REASONS - 1);
                self.reasons.insert(0, (text.clone(), id));
                id
            }
        }
    }

    fn instance(&mut self, trace: &mut Trace, world: &World, id: InstanceId) -> TraceStr {
        let slot = slot(&mut self.instances, id.index());
        // Recorded under this number all along: added without a lookup, like a task's id.
        *slot.get_or_insert_with(|| trace.add_unique(&world.instance(id).ec2_instance_id))
    }

    fn cluster(&mut self, trace: &mut Trace, world: &World, id: ClusterId) -> TraceStr {
        let slot = slot(&mut self.clusters, id.index());
        *slot.get_or_insert_with(|| trace.intern(&world.cluster(id).name))
    }

    /// A `ServiceEvent` record's shape and the numbers of its service's name and of the event's
    /// `name` (interned in that order on first sight, as a record pushed field by field would).
    pub(super) fn service_event(
        &mut self,
        trace: &mut Trace,
        world: &World,
        (id, name): (ServiceId, &'static str),
    ) -> (StrShape<3>, TraceStr, TraceStr) {
        let slot = slot(&mut self.services, id.index());
        let service = *slot.get_or_insert_with(|| trace.intern(&world.service(id).name));
        let seen = self
            .event_names
            .iter()
            .find(|(n, _)| std::ptr::eq(*n, name))
            .map(|(_, at)| *at);
        let name = seen.unwrap_or_else(|| {
            let at = trace.intern(name);
            self.event_names.push((name, at));
            at
        });
        let shape = *self
            .service_event_shape
            .get_or_insert_with(|| trace.str_shape("ServiceEvent", SERVICE_EVENT_KEYS));
        (shape, service, name)
    }
}

/// The `at`-th entry, the list grown with empty ones as needed.
fn slot<T>(list: &mut Vec<Option<T>>, at: usize) -> &mut Option<T> {
    if list.len() <= at {
        list.resize_with(at + 1, || None);
    }
    &mut list[at]
}

/// Returns an allocation's resources to the instance that held them.
fn give_back(i: &mut Instance, a: &Allocation) {
    let r = &mut i.remaining;
    r.cpu += a.cpu;
    r.memory_mib += a.memory_mib;
    a.ports_tcp().iter().for_each(|p| {
        r.ports_tcp.remove(p);
    });
    a.ports_udp().iter().for_each(|p| {
        r.ports_udp.remove(p);
    });
    match &mut r.gpus {
        Some(Gpus::Count(n)) => *n += a.gpus,
        Some(Gpus::Ids(ids)) => ids.extend(a.gpu_ids().iter().cloned()),
        None => {}
    }
    a.dynamic_ports().iter().for_each(|p| {
        i.dynamic_ports_in_use.remove(p);
    });
    if a.eni {
        i.task_enis -= 1;
    }
}

/// The lowest ephemeral port from `from` on that neither set holds: one ordered walk over both
/// sets' ports in the range, not a lookup per candidate port.
fn lowest_free(dynamic: &BTreeSet<u16>, tcp: &BTreeSet<u16>, from: u16) -> Option<u16> {
    let end = *EPHEMERAL_PORTS.end();
    if from > end || from < *EPHEMERAL_PORTS.start() {
        return None;
    }
    // Usually the first port is free: two lookups, no walk.
    if !dynamic.contains(&from) && !tcp.contains(&from) {
        return Some(from);
    }
    let mut taken = dynamic.range(from..).peekable();
    let mut reserved = tcp.range(from..).peekable();
    let mut p = from;
    loop {
        let used = taken.next_if_eq(&&p).is_some() | reserved.next_if_eq(&&p).is_some();
        if !used {
            return Some(p);
        }
        if p == end {
            return None;
        }
        p += 1;
    }
}

fn essential_exit() -> StopCause {
    StopCause {
        code: Some(StopCode::EssentialContainerExited),
        reason: "Essential container in task exited".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop, prop_assert_eq, proptest};

    /// The plain rule: the first port from `from` in neither set.
    fn naive(dynamic: &BTreeSet<u16>, tcp: &BTreeSet<u16>, from: u16) -> Option<u16> {
        (from..=*EPHEMERAL_PORTS.end()).find(|p| !dynamic.contains(p) && !tcp.contains(p))
    }

    #[test]
    fn lowest_free_skips_both_sets() {
        let start = *EPHEMERAL_PORTS.start();
        let dynamic: BTreeSet<u16> = [start, start + 1, start + 3].into();
        let tcp: BTreeSet<u16> = [22, start + 2, start + 4].into();
        assert_eq!(lowest_free(&dynamic, &tcp, start), Some(start + 5));
        assert_eq!(lowest_free(&BTreeSet::new(), &tcp, start), Some(start));
        let all: BTreeSet<u16> = EPHEMERAL_PORTS.collect();
        assert_eq!(lowest_free(&all, &tcp, start), None);
        assert_eq!(lowest_free(&dynamic, &tcp, u16::MAX), Some(u16::MAX));
    }

    #[test]
    fn a_services_stop_reasons_are_numbered_by_their_text() {
        let (mut names, mut trace) = (TraceNames::default(), Trace::default());
        let cause = |text: &str| StopCause {
            code: Some(StopCode::ServiceSchedulerInitiated),
            reason: text.into(),
        };
        let (s0, s1) = (Some(ServiceId(0)), Some(ServiceId(1)));
        let a = names.stop(&mut trace, &cause("scaled in"), s0).1;
        let b = names.stop(&mut trace, &cause("drained"), s0).1;
        assert_ne!(a, b, "a new reason of the same service is not its last");
        assert_eq!(b, trace.intern("drained"));
        let again = names.stop(&mut trace, &cause("scaled in"), s0).1;
        assert_eq!(
            again, a,
            "the same text (another allocation) has the same number"
        );
        let other = names.stop(&mut trace, &cause("scaled in"), s1).1;
        assert_eq!(other, a, "another service's stop with that text too");
        let outside = names.stop(&mut trace, &cause("crashed"), None).1;
        assert_eq!(outside, trace.intern("crashed"), "a stop outside services");
    }

    proptest! {
        #[test]
        fn lowest_free_is_the_first_port_in_neither_set(
            dynamic in prop::collection::btree_set(65500u16..=65535, 0..36),
            tcp in prop::collection::btree_set(65500u16..=65535, 0..36),
            from in 65490u16..=65535,
        ) {
            let from = from.max(*EPHEMERAL_PORTS.start());
            prop_assert_eq!(lowest_free(&dynamic, &tcp, from), naive(&dynamic, &tcp, from));
        }
    }
}
