//! The placement index: ordered views of the fleet that let the common strategies choose an
//! instance in O(log n) instead of looking at every instance, with the same choice as the
//! reference pipeline, draw for draw.
//!
//! Kept up to date by the engine on every change that matters (a reservation or release, an
//! instance's status, agent or attributes, a task created or told to stop):
//! * per cluster and Availability Zone (`ecs.availability-zone`, or none), the ACTIVE instances
//!   with a connected agent ordered by remaining memory and by remaining CPU;
//! * per cluster and task group, the tasks whose desiredStatus is not STOPPED in each zone (what
//!   `spread(attribute:ecs.availability-zone)` counts).
//!
//! `choose` handles `binpack(cpu|memory)` and `spread(attribute:ecs.availability-zone)` followed
//! by `binpack`: in each zone it walks instances upward from the task's requirement, checking
//! every filter (`filters::check`), so the first that passes has the least remaining amount of
//! all valid instances there; the zones are then narrowed exactly as the reference does, the
//! valid instances tied at the least amount are collected only in the zones that remain, and
//! the final draw is made over the same tied instances in the same (id) order. A zone of fresh,
//! identical instances therefore costs a full walk only when it is the one chosen.
//! Anything else returns `NotIndexed`, and the engine uses the reference pipeline.

use super::filters::{self, PlacementInput, Verdict};
use super::strategy::{BinpackField, SpreadField, Strategy};
use crate::ids::{ClusterId, InstanceId};
use crate::instance::{Instance, InstanceStatus};
use crate::rng::{Purpose, RngStreams};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};

/// The zone attribute spread can use the index for.
pub const ZONE_ATTRIBUTE: &str = "ecs.availability-zone";

/// A zone bucket: the attribute's value (None: the attribute is missing).
type Zone = Option<String>;

/// One zone's instances ordered by a remaining amount (ties by id).
type Ordered = BTreeSet<(i64, InstanceId)>;

/// Where an instance is filed, to find it again.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Filed {
    cluster: ClusterId,
    zone: Zone,
    memory: i64,
    cpu: i64,
}

#[derive(Clone, Debug, Default)]
pub struct PlacementIndex {
    by_memory: BTreeMap<(ClusterId, Zone), Ordered>,
    by_cpu: BTreeMap<(ClusterId, Zone), Ordered>,
    filed: Vec<Option<Filed>>,
    /// (cluster, group) → zone → tasks whose desiredStatus is not STOPPED.
    group_zones: BTreeMap<(ClusterId, String), BTreeMap<Zone, u64>>,
    /// The zone each instance's tasks are counted under.
    counted_zone: Vec<Zone>,
}

/// What the index says about one placement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Indexed {
    /// The strategies are not ones the index serves.
    NotIndexed,
    /// No instance passes every filter.
    Nowhere,
    At(InstanceId),
}

fn zone_of(inst: &Instance) -> Zone {
    inst.attributes
        .get(ZONE_ATTRIBUTE)
        .map(|v| v.clone().unwrap_or_default())
}

impl PlacementIndex {
    /// Files (or re-files) an instance after any change to it.
    pub fn update(&mut self, world: &World, id: InstanceId) {
        let inst = world.instance(id);
        let i = id.index();
        if self.filed.len() <= i {
            self.filed.resize(i + 1, None);
            self.counted_zone.resize(i + 1, None);
        }
        let zone = zone_of(inst);
        if zone != self.counted_zone[i] {
            self.move_counts(world, id, zone.clone());
        }
        let placeable = inst.status == InstanceStatus::Active && inst.agent_connected;
        let want = placeable.then_some(Filed {
            cluster: inst.cluster,
            zone,
            memory: inst.remaining.memory_mib,
            cpu: inst.remaining.cpu,
        });
        if self.filed[i] == want {
            return;
        }
        if let Some(old) = self.filed[i].take() {
            let key = (old.cluster, old.zone.clone());
            self.by_memory
                .get_mut(&key)
                .map(|s| s.remove(&(old.memory, id)));
            self.by_cpu.get_mut(&key).map(|s| s.remove(&(old.cpu, id)));
        }
        if let Some(new) = &want {
            let key = (new.cluster, new.zone.clone());
            self.by_memory
                .entry(key.clone())
                .or_default()
                .insert((new.memory, id));
            self.by_cpu.entry(key).or_default().insert((new.cpu, id));
        }
        self.filed[i] = want;
    }

    /// The instance's zone changed: its live tasks now count in the new zone.
    fn move_counts(&mut self, world: &World, id: InstanceId, zone: Zone) {
        let old = std::mem::replace(&mut self.counted_zone[id.index()], zone.clone());
        let inst = world.instance(id);
        for t in inst
            .tasks
            .iter()
            .map(|t| world.task(*t))
            .filter(|t| t.desired_status != crate::task::DesiredStatus::Stopped)
        {
            let counts = self
                .group_zones
                .entry((inst.cluster, t.group.clone()))
                .or_default();
            if let Some(n) = counts.get_mut(&old) {
                *n = n.saturating_sub(1);
            }
            *counts.entry(zone.clone()).or_insert(0) += 1;
        }
    }

    /// A task of `group` on `instance` counts (created) or stops counting (told to stop).
    pub fn count_task(&mut self, world: &World, group: &str, instance: InstanceId, delta: i64) {
        let cluster = world.instance(instance).cluster;
        let zone = self
            .counted_zone
            .get(instance.index())
            .cloned()
            .unwrap_or_else(|| zone_of(world.instance(instance)));
        let counts = self
            .group_zones
            .entry((cluster, group.to_string()))
            .or_default();
        let n = counts.entry(zone).or_insert(0);
        *n = n.saturating_add_signed(delta);
    }

    /// Chooses as the reference pipeline would, when the strategies are indexed ones.
    pub fn choose(
        &self,
        world: &World,
        cluster: ClusterId,
        input: &PlacementInput<'_>,
        strategies: &[Strategy],
        rng: &mut RngStreams,
    ) -> Indexed {
        let (spread, field) = match strategies {
            [Strategy::Binpack(f)] => (false, *f),
            [
                Strategy::Spread(SpreadField::Attribute(a)),
                Strategy::Binpack(f),
            ] if a == ZONE_ATTRIBUTE => (true, *f),
            _ => return Indexed::NotIndexed,
        };
        let sets = match field {
            BinpackField::Memory => &self.by_memory,
            BinpackField::Cpu => &self.by_cpu,
        };
        let needs = match field {
            BinpackField::Memory => input.requirement.memory_mib,
            BinpackField::Cpu => input.requirement.cpu,
        };
        // Each zone's load and least valid amount first; ties are then collected only in the
        // zones that can win, so a fresh (all-tied) zone costs a walk only when it is chosen.
        let mut zones: Vec<(u64, i64, &Ordered)> = Vec::new();
        for ((c, zone), set) in sets.range((cluster, None)..) {
            if *c != cluster {
                break;
            }
            if let Some(least) = least_valid(world, set, needs, input) {
                let load = if spread {
                    self.load(cluster, input.group, zone)
                } else {
                    0
                };
                zones.push((load, least, set));
            }
        }
        let Some(min_load) = zones.iter().map(|z| z.0).min() else {
            return Indexed::Nowhere;
        };
        zones.retain(|z| z.0 == min_load);
        let least = zones.iter().map(|z| z.1).min().unwrap_or(0);
        let mut tied: Vec<InstanceId> = zones
            .into_iter()
            .filter(|z| z.1 == least)
            .flat_map(|z| valid_at(world, z.2, least, input))
            .collect();
        tied.sort_unstable();
        Indexed::At(tied[rng.below(Purpose::Placement, tied.len() as u64) as usize])
    }

    fn load(&self, cluster: ClusterId, group: &str, zone: &Zone) -> u64 {
        self.group_zones
            .get(&(cluster, group.to_string()))
            .and_then(|z| z.get(zone))
            .copied()
            .unwrap_or(0)
    }
}

/// The least remaining amount among the valid instances of one zone (at least `needs`).
fn least_valid(
    world: &World,
    set: &Ordered,
    needs: i64,
    input: &PlacementInput<'_>,
) -> Option<i64> {
    set.range((needs, InstanceId(0))..)
        .find(|(_, id)| filters::check(world, world.instance(*id), input) == Verdict::Fit)
        .map(|(amount, _)| *amount)
}

/// Every valid instance of one zone with exactly `amount` remaining, in id order.
fn valid_at<'s>(
    world: &'s World,
    set: &'s Ordered,
    amount: i64,
    input: &'s PlacementInput<'_>,
) -> impl Iterator<Item = InstanceId> + 's {
    set.range((amount, InstanceId(0))..)
        .take_while(move |(a, _)| *a == amount)
        .map(|(_, id)| *id)
        .filter(move |id| filters::check(world, world.instance(*id), input) == Verdict::Fit)
}
