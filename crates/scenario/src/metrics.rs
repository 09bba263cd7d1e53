//! Metrics sampled on the simulated clock (`sampleEvery`, default 1m), for what-if questions:
//! reservations per cluster and Availability Zone, instances in use, stranded capacity, tasks
//! per service by state, AZ skew, placement failures. Integers only (percentages in basis
//! points), so outputs are deterministic.

use ecsim_api::Api;
use ecsim_core::ids::{ClusterId, ZoneId};
use ecsim_core::instance::InstanceStatus;
use std::collections::BTreeMap;

/// Reserved and registered CPU units and MiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacity {
    pub cpu_reserved: i64,
    pub cpu_registered: i64,
    pub memory_reserved: i64,
    pub memory_registered: i64,
}

impl Capacity {
    fn merge(&mut self, other: &Capacity) {
        self.cpu_reserved += other.cpu_reserved;
        self.cpu_registered += other.cpu_registered;
        self.memory_reserved += other.memory_reserved;
        self.memory_registered += other.memory_registered;
    }

    fn add(&mut self, registered: (i64, i64), remaining: (i64, i64)) {
        self.cpu_registered += registered.0;
        self.memory_registered += registered.1;
        self.cpu_reserved += registered.0 - remaining.0;
        self.memory_reserved += registered.1 - remaining.1;
    }

    /// Memory reserved, in basis points of registered (0..=10000).
    pub fn memory_bp(&self) -> i64 {
        if self.memory_registered == 0 {
            0
        } else {
            self.memory_reserved * 10_000 / self.memory_registered
        }
    }

    pub fn cpu_bp(&self) -> i64 {
        if self.cpu_registered == 0 {
            0
        } else {
            self.cpu_reserved * 10_000 / self.cpu_registered
        }
    }
}

/// One service at one sample.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceSample {
    pub name: String,
    pub desired: u32,
    pub pending: u32,
    pub running: u32,
    pub healthy: u32,
    pub stopping: u32,
    /// max − min running tasks over the zones that have ACTIVE instances.
    pub az_skew: u32,
}

/// The state of the fleet at one time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub t_ms: u64,
    pub total: Capacity,
    pub per_zone: BTreeMap<String, Capacity>,
    pub instances_active: u32,
    pub instances_in_use: u32,
    /// Free CPU and memory on ACTIVE instances that cannot take one more task of the most
    /// common task shape.
    pub stranded_cpu: i64,
    pub stranded_memory: i64,
    pub services: Vec<ServiceSample>,
    /// Failed placements so far.
    pub placement_failures: u64,
    /// Memory reserved on each of the first `HEATMAP_INSTANCES` instances (by registration),
    /// in basis points; -1 for an instance that is gone (INACTIVE).
    pub instance_memory_bp: Vec<i16>,
}

/// How many instances the utilisation heatmap follows.
pub const HEATMAP_INSTANCES: usize = 200;

/// Samples the world now.
pub fn sample(api: &Api) -> Sample {
    let w = api.engine.world();
    let mut s = Sample {
        t_ms: api.engine.now().as_ms(),
        placement_failures: api.engine.stats().failed,
        ..Sample::default()
    };
    let zones = active_zones(api);
    let shape = common_shape(w.task_shapes());
    // Per zone number (slot 0: no zone), and whether any instance counted there.
    let mut per_zone: Vec<Option<Capacity>> = vec![None; w.zone_count() + 1];
    for inst in w
        .instances()
        .iter()
        .filter(|i| i.status != InstanceStatus::Inactive)
    {
        let registered = (inst.registered.cpu, inst.registered.memory_mib);
        let remaining = (inst.remaining.cpu, inst.remaining.memory_mib);
        s.total.add(registered, remaining);
        let slot = inst.zone.map_or(0, |z| z.index() + 1);
        per_zone[slot]
            .get_or_insert_default()
            .add(registered, remaining);
        if inst.status == InstanceStatus::Active {
            s.instances_active += 1;
            if let Some((cpu, mem)) = shape
                && (remaining.0 < cpu || remaining.1 < mem)
            {
                s.stranded_cpu += remaining.0;
                s.stranded_memory += remaining.1;
            }
        }
        // An instance lists exactly its tasks not yet STOPPED (an invariant the engine checks).
        if !inst.tasks.is_empty() {
            s.instances_in_use += 1;
        }
    }
    for (slot, capacity) in per_zone.into_iter().enumerate() {
        let Some(capacity) = capacity else { continue };
        let zone = match slot {
            0 => "(none)",
            _ => w.zone_name(ZoneId(slot as u32 - 1)),
        };
        s.per_zone
            .entry(zone.to_string())
            .or_default()
            .merge(&capacity);
    }
    s.services = w
        .services()
        .iter()
        .map(|svc| service_sample(api, svc, &zones))
        .collect();
    s.instance_memory_bp = w
        .instances()
        .iter()
        .take(HEATMAP_INSTANCES)
        .map(|i| match i.status {
            InstanceStatus::Inactive => -1,
            _ if i.registered.memory_mib <= 0 => 0,
            _ => {
                ((i.registered.memory_mib - i.remaining.memory_mib) * 10_000
                    / i.registered.memory_mib) as i16
            }
        })
        .collect();
    s
}

/// The most common (cpu, memory) among the tasks holding resources; ties to the smallest.
fn common_shape(shapes: &ecsim_core::world::TaskShapes) -> Option<(i64, i64)> {
    shapes
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(shape, _)| shape)
}

/// One service from the engine's counts: tasks by state per deployment, healthy ones at this
/// time, RUNNING ones per zone (over the zones with ACTIVE instances in its cluster).
fn service_sample(
    api: &Api,
    svc: &ecsim_core::service::Service,
    zones: &BTreeMap<ClusterId, Vec<ZoneId>>,
) -> ServiceSample {
    let sum = |f: fn(&ecsim_core::service::Deployment) -> u32| -> u32 {
        svc.deployments.iter().map(f).sum()
    };
    let running = sum(|d| d.running_tasks);
    let per_zone: Vec<u32> = zones
        .get(&svc.cluster)
        .into_iter()
        .flatten()
        .map(|z| svc.running_in_zone(*z))
        .collect();
    let max = per_zone.iter().max().copied().unwrap_or(0);
    let min = per_zone.iter().min().copied().unwrap_or(0);
    ServiceSample {
        name: svc.name.clone(),
        desired: svc.desired_count,
        pending: sum(|d| d.live_tasks) - running,
        running,
        healthy: svc.healthy_tasks_at(api.engine.world(), api.engine.now()),
        stopping: sum(|d| d.stopping_tasks),
        az_skew: max - min,
    }
}

/// Each cluster's zones that have ACTIVE instances, in name order: computed once per sample.
fn active_zones(api: &Api) -> BTreeMap<ClusterId, Vec<ZoneId>> {
    let w = api.engine.world();
    let mut seen: Vec<(ClusterId, ZoneId)> = Vec::new();
    for inst in w.instances() {
        if let (InstanceStatus::Active, Some(z)) = (inst.status, inst.zone)
            && !seen.contains(&(inst.cluster, z))
        {
            seen.push((inst.cluster, z));
        }
    }
    seen.sort_by(|a, b| (a.0, w.zone_name(a.1)).cmp(&(b.0, w.zone_name(b.1))));
    let mut zones: BTreeMap<ClusterId, Vec<ZoneId>> = BTreeMap::new();
    for (cluster, zone) in seen {
        zones.entry(cluster).or_default().push(zone);
    }
    zones
}

/// A deployment's start and completion (ms), once it completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentTiming {
    pub service: String,
    pub id: String,
    pub started_ms: u64,
    pub completed_ms: Option<u64>,
}

/// Every deployment of every service, with its completion time when it completed.
pub fn deployments(api: &Api) -> Vec<DeploymentTiming> {
    let mut out = Vec::new();
    for svc in api.engine.world().services() {
        for d in &svc.deployments {
            let done = d.rollout_state == ecsim_core::service::RolloutState::Completed;
            out.push(DeploymentTiming {
                service: svc.name.clone(),
                id: d.id.clone(),
                started_ms: d.created_at.as_ms(),
                completed_ms: done.then(|| d.updated_at.as_ms()),
            });
        }
    }
    out
}
