//! Scenario generator: a large, realistic and satisfiable scenario from a few numbers (instances,
//! zones, services, tasks, run length, an optional fleet-wide deployment and a crash rate).
//!
//! Everything random comes from [`RngStreams`] seeded with `seed`, one stream per concern (the
//! fleet from `Ids`, the services from `Placement`, deployment times from `Timing`, crashes from
//! `Faults`), so the same options always give byte-identical text, and changing the crash rate
//! does not change the fleet or the services. No floating point is used.
//!
//! The shape of the output:
//! - The fleet: each instance draws a type (m5.large 3, m5.xlarge 4, m5.2xlarge 2, c5.xlarge 2,
//!   r5.xlarge 2, by weight); a fifth of each type (rounded down) carries the custom attribute
//!   `pool: dedicated`, the rest `pool: general`. One `containerInstances` entry per (type, pool)
//!   with its `count`; zones (`<region>a`, `b`, ...) go round-robin over the whole fleet.
//! - Services `svc-0001`..: REPLICA, `desiredCount`s summing to exactly `tasks` (at least one
//!   each), Zipf-like (weight 1/rank, jittered ±20 %), so a few big services and many small ones.
//!   Task shapes come from a menu (256/512 .. 4096/16384 CPU units/MiB; big services get the small
//!   shapes, the two largest only go to services of at most 4 tasks and never exceed half of the
//!   largest instance). A quarter use `memoryReservation` (hard limit twice the reservation);
//!   a fifth of those small enough (at most a quarter of the fleet) hold a static host port
//!   (8000 + index, unique), half of the rest a dynamic one. Strategies: none (the AZ balance)
//!   40 %, spread by zone then binpack memory 25 %, binpack cpu 15 %, spread instanceId 20 %.
//!   About one service in twenty (small ones only) is bound to the dedicated pool with
//!   `memberOf attribute:pool == dedicated`, at most 10 % of the pool's capacity in all.
//! - Satisfiable: when the requests exceed 60 % of the fleet's registered CPU (or memory), every
//!   service's CPU (or memory) is halved, down to 128 CPU units (256 MiB), until they fit; if they
//!   still exceed 70 % a warning says the scenario cannot be satisfied.
//! - `deploy_at_ms`: a revision 2 of every task definition and an `update_service` per service,
//!   spread evenly over `deploy_over_ms`. Services of 10 tasks or more (and static-port ones) use
//!   deployment configurations that need at most 50 % extra room; smaller ones keep 100/200.
//! - `crash_rate_ppm`: crashes per task per hour, in millionths. The whole fleet's crashes are a
//!   Bernoulli process on short slots (at most a 10 % chance a slot, uniform within it), which is
//!   a Poisson process to within a few percent; each crash hits a service with probability
//!   proportional to its `desiredCount` (`crash_tasks: {service, count: 1}`), from 1m (or half
//!   the run) to the end.
//! - `timing` with short pending and stopping ranges; `sampleEvery` the shortest of 1m, 5m, 15m,
//!   1h, 6h, 1d that takes at most 500 samples. No expectations.

use crate::catalogue;
use crate::yaml_out::{sample_every, scalar, section};
use ecsim_core::rng::{Purpose, RngStreams};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Instance types of the fleet and their weights.
const TYPES: [(&str, u64); 5] = [
    ("m5.large", 3),
    ("m5.xlarge", 4),
    ("m5.2xlarge", 2),
    ("c5.xlarge", 2),
    ("r5.xlarge", 2),
];

/// Task shapes (CPU units, MiB), ascending in both.
const SHAPES: [(u64, u64); 10] = [
    (256, 512),
    (256, 1024),
    (512, 1024),
    (512, 2048),
    (1024, 2048),
    (1024, 4096),
    (2048, 4096),
    (2048, 8192),
    (4096, 8192),
    (4096, 16384),
];

/// The most instances `generate` accepts.
pub const MAX_INSTANCES: u64 = 100_000;
/// The most services `generate` accepts.
pub const MAX_SERVICES: usize = 100_000;
/// The most tasks `generate` accepts.
pub const MAX_TASKS: u64 = 10_000_000;

const MIN_CPU: u64 = 128;
const MIN_MEMORY: u64 = 256;
/// Requests are shrunk until they are at most this percentage of the fleet.
const TARGET_PERCENT: u64 = 60;
/// Above this percentage of the fleet a warning says the scenario cannot be satisfied.
const LIMIT_PERCENT: u64 = 70;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// The scenario `name` (letters, digits, - and _).
    pub name: String,
    pub instances: u64,
    /// Availability Zones, 1 to 26.
    pub azs: usize,
    pub services: usize,
    /// The sum of the services' `desiredCount` (at least `services`).
    pub tasks: u64,
    pub until_ms: u64,
    /// A new task definition revision for every service at this time.
    pub deploy_at_ms: Option<u64>,
    /// The updates are spread evenly over this long (0: all at once).
    pub deploy_over_ms: u64,
    /// Crashes per task per hour, in millionths (10,000 is 0.01).
    pub crash_rate_ppm: u64,
    pub seed: u64,
    pub region: String,
}

/// The scenario text and what went into it.
#[derive(Clone, Debug)]
pub struct Generated {
    pub yaml: String,
    pub instances: u64,
    pub fleet_entries: usize,
    pub services: usize,
    pub tasks: u64,
    pub deployments: usize,
    pub crashes: usize,
    /// Requested CPU and memory in percent of what the fleet registers.
    pub cpu_percent: u64,
    pub memory_percent: u64,
    /// Why the scenario may not be satisfiable (empty when it should be).
    pub warnings: Vec<String>,
}

/// Generates the scenario, or says which option is out of range.
pub fn generate(o: &GenerateOptions) -> Result<Generated, String> {
    check(o)?;
    let mut rng = RngStreams::new(o.seed);
    let fleet = fleet(o, &mut rng);
    let cap = Capacity::of(&fleet, |_| true);
    let pool = Capacity::of(&fleet, |g| g.dedicated);
    let mut services = services(o, &fleet, &mut rng);
    let mut warnings = shrink(&mut services, &cap);
    bind_to_pool(&mut services, &pool, &mut rng);
    let mut timeline = deployments(o, &services);
    let deployments = timeline.len();
    let crashes = crashes(o, &services, &mut rng);
    let crash_count = crashes.len();
    timeline.extend(crashes);
    timeline.sort_by_key(|e| e.0);
    let (cpu, memory) = demand(&services);
    let (cpu_percent, memory_percent) = (percent(cpu, cap.cpu), percent(memory, cap.memory));
    if cpu_percent > LIMIT_PERCENT || memory_percent > LIMIT_PERCENT {
        warnings.push(format!(
            "the services request {cpu_percent}% of the fleet's CPU and {memory_percent}% of its memory \
             (more than {LIMIT_PERCENT}% even at {MIN_CPU} CPU units / {MIN_MEMORY} MiB a task): \
             some tasks will not be placed; add instances or ask for fewer tasks"
        ));
    }
    let yaml = render(o, &fleet, &services, &timeline);
    Ok(Generated {
        yaml,
        instances: o.instances,
        fleet_entries: fleet.len(),
        services: services.len(),
        tasks: services.iter().map(|s| s.desired).sum(),
        deployments,
        crashes: crash_count,
        cpu_percent,
        memory_percent,
        warnings,
    })
}

fn check(o: &GenerateOptions) -> Result<(), String> {
    if !(1..=MAX_INSTANCES).contains(&o.instances) {
        return Err(format!("--instances must be 1 to {MAX_INSTANCES}"));
    }
    if !(1..=26).contains(&o.azs) {
        return Err("--azs must be 1 to 26".into());
    }
    if !(1..=MAX_SERVICES).contains(&o.services) {
        return Err(format!("--services must be 1 to {MAX_SERVICES}"));
    }
    if o.tasks < o.services as u64 || o.tasks > MAX_TASKS {
        return Err(format!(
            "--tasks must be at least --services ({}; every service runs a task) and at most {MAX_TASKS}",
            o.services
        ));
    }
    if o.until_ms == 0 {
        return Err("--until must be longer than 0".into());
    }
    if o.deploy_at_ms.is_some_and(|t| t > o.until_ms) {
        return Err("--deploy-all-at must not be after --until".into());
    }
    Ok(())
}

fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return u64::MAX;
    }
    (u128::from(part) * 100 / u128::from(whole)) as u64
}

// ---------------------------------------------------------------------------------------------
// The fleet

/// One fleet entry: `count` instances of one type in one pool.
struct Group {
    instance_type: &'static str,
    dedicated: bool,
    count: u64,
    cpu: u64,
    memory: u64,
}

fn fleet(o: &GenerateOptions, rng: &mut RngStreams) -> Vec<Group> {
    let total: u64 = TYPES.iter().map(|t| t.1).sum();
    let mut counts = [0u64; TYPES.len()];
    for _ in 0..o.instances {
        let mut x = rng.below(Purpose::Ids, total);
        let i = TYPES
            .iter()
            .position(|t| {
                let hit = x < t.1;
                x = x.saturating_sub(t.1);
                hit
            })
            .unwrap_or(0);
        counts[i] += 1;
    }
    let mut out = Vec::new();
    for (&(name, _), &count) in TYPES.iter().zip(&counts) {
        let Some(t) = catalogue::lookup(name) else {
            continue;
        };
        let dedicated = count / 5;
        for (dedicated, count) in [(false, count - dedicated), (true, dedicated)] {
            if count > 0 {
                out.push(Group {
                    instance_type: t.name,
                    dedicated,
                    count,
                    cpu: u64::from(t.registered_cpu_units()),
                    memory: u64::from(t.registered_memory_mib),
                });
            }
        }
    }
    out
}

/// Registered CPU and memory of part of the fleet, and its largest instance.
struct Capacity {
    cpu: u64,
    memory: u64,
    max_cpu: u64,
    max_memory: u64,
}

impl Capacity {
    fn of(fleet: &[Group], pick: impl Fn(&Group) -> bool) -> Capacity {
        let mut c = Capacity {
            cpu: 0,
            memory: 0,
            max_cpu: 0,
            max_memory: 0,
        };
        for g in fleet.iter().filter(|g| pick(g)) {
            c.cpu += g.cpu * g.count;
            c.memory += g.memory * g.count;
            c.max_cpu = c.max_cpu.max(g.cpu);
            c.max_memory = c.max_memory.max(g.memory);
        }
        c
    }
}

// ---------------------------------------------------------------------------------------------
// Services

#[derive(Clone, Copy, PartialEq, Eq)]
enum Port {
    None,
    Dynamic,
    Static(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    AzBalance,
    SpreadAzBinpackMemory,
    BinpackCpu,
    SpreadInstance,
}

struct Service {
    name: String,
    family: String,
    desired: u64,
    cpu: u64,
    /// What placement counts: `memoryReservation` when `soft`, else `memory`.
    memory: u64,
    soft: bool,
    port: Port,
    strategy: Strategy,
    member_of: bool,
}

fn services(o: &GenerateOptions, fleet: &[Group], rng: &mut RngStreams) -> Vec<Service> {
    let desired = desired_counts(o, rng);
    let cap = Capacity::of(fleet, |_| true);
    // Shapes that fit twice on the largest instance.
    let fitting = SHAPES
        .iter()
        .take_while(|s| s.0 * 2 <= cap.max_cpu && s.1 * 2 <= cap.max_memory)
        .count()
        .max(1) as u64;
    let width = o.services.to_string().len().max(4);
    let p = Purpose::Placement;
    let mut next_port = 8000;
    let mut out = Vec::with_capacity(o.services);
    for (i, &d) in desired.iter().enumerate() {
        let classes = if d * 50 > o.tasks {
            5
        } else if d <= 4 && rng.chance(p, 1, 10) {
            10
        } else {
            8
        };
        let (cpu, memory) = SHAPES[rng.below(p, classes.min(fitting)) as usize];
        let port = if d * 4 <= o.instances && rng.chance(p, 1, 5) {
            next_port += 1;
            Port::Static(next_port - 1)
        } else if rng.chance(p, 1, 2) {
            Port::Dynamic
        } else {
            Port::None
        };
        let strategy = match rng.below(p, 100) {
            0..40 => Strategy::AzBalance,
            40..65 => Strategy::SpreadAzBinpackMemory,
            65..80 => Strategy::BinpackCpu,
            _ => Strategy::SpreadInstance,
        };
        let name = format!("svc-{:0width$}", i + 1);
        out.push(Service {
            family: name.clone(),
            name,
            desired: d,
            cpu,
            memory,
            soft: rng.chance(p, 1, 4),
            port,
            strategy,
            member_of: false,
        });
    }
    out
}

/// `tasks` split over the services, at least one each, by jittered weights 1/rank.
fn desired_counts(o: &GenerateOptions, rng: &mut RngStreams) -> Vec<u64> {
    let weights: Vec<u128> = (0..o.services)
        .map(|i| {
            1_000_000_000 / (i as u128 + 1) * u128::from(rng.between(Purpose::Placement, 80, 120))
        })
        .collect();
    let total: u128 = weights.iter().sum();
    let rest = u128::from(o.tasks - o.services as u64);
    let mut counts: Vec<u64> = weights
        .iter()
        .map(|w| 1 + (rest * w / total) as u64)
        .collect();
    // Largest remainders first (ties to the lower index) take what rounding left.
    let mut order: Vec<usize> = (0..o.services).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(rest * weights[i] % total), i));
    let short = o.tasks - counts.iter().sum::<u64>();
    for &i in order.iter().cycle().take(short as usize) {
        counts[i] += 1;
    }
    counts
}

fn demand(services: &[Service]) -> (u64, u64) {
    services.iter().fold((0, 0), |(c, m), s| {
        (c + s.cpu * s.desired, m + s.memory * s.desired)
    })
}

/// Halves CPU (or memory) of every service while the requests exceed `TARGET_PERCENT` of the
/// fleet; says what it did.
fn shrink(services: &mut [Service], cap: &Capacity) -> Vec<String> {
    let mut notes = Vec::new();
    let mut halvings = (0, 0);
    loop {
        let (cpu, memory) = demand(services);
        let cpu_over = percent(cpu, cap.cpu) > TARGET_PERCENT;
        let memory_over = percent(memory, cap.memory) > TARGET_PERCENT;
        let mut changed = false;
        for s in services.iter_mut() {
            if cpu_over && s.cpu > MIN_CPU {
                s.cpu = (s.cpu / 2).max(MIN_CPU);
                changed = true;
            }
            if memory_over && s.memory > MIN_MEMORY {
                s.memory = (s.memory / 2).max(MIN_MEMORY);
                changed = true;
            }
        }
        if !changed {
            break;
        }
        halvings.0 += u32::from(cpu_over);
        halvings.1 += u32::from(memory_over);
    }
    if halvings != (0, 0) {
        notes.push(format!(
            "the fleet is small for {} tasks: task CPU halved {} time(s), memory {} time(s) (at least {MIN_CPU} CPU units, {MIN_MEMORY} MiB)",
            services.iter().map(|s| s.desired).sum::<u64>(),
            halvings.0,
            halvings.1
        ));
    }
    notes
}

/// Binds about one service in twenty (not among the biggest tenth, no static port) to the
/// dedicated pool, while their requests stay within 10 % of the pool.
fn bind_to_pool(services: &mut [Service], pool: &Capacity, rng: &mut RngStreams) {
    if pool.cpu == 0 {
        return;
    }
    let want = (services.len() / 20).max(1);
    let mut order: Vec<usize> = (services.len() / 10..services.len()).collect();
    rng.shuffle(Purpose::Placement, &mut order);
    let (mut cpu, mut memory, mut bound) = (0, 0, 0);
    for i in order {
        let s = &mut services[i];
        let fits = s.cpu * 2 <= pool.max_cpu && s.memory * 2 <= pool.max_memory;
        let (c, m) = (cpu + s.cpu * s.desired, memory + s.memory * s.desired);
        if bound == want || !fits || matches!(s.port, Port::Static(_)) {
            continue;
        }
        if c * 10 <= pool.cpu && m * 10 <= pool.memory {
            s.member_of = true;
            (cpu, memory, bound) = (c, m, bound + 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The timeline

/// Timeline entries: (time, entry).
type Entry = (u64, Value);

fn deployments(o: &GenerateOptions, services: &[Service]) -> Vec<Entry> {
    let Some(at) = o.deploy_at_ms else {
        return Vec::new();
    };
    let n = services.len() as u64;
    let over = o.deploy_over_ms.min(o.until_ms - at);
    services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = at + over * i as u64 / n;
            let body = json!({"service": s.name, "taskDefinition": format!("{}:2", s.family)});
            (t, json!({"at": t, "update_service": body}))
        })
        .collect()
}

/// Crashes of the whole fleet as a Bernoulli process on slots with at most a 10 % chance each;
/// each crash hits a service by `desiredCount`.
fn crashes(o: &GenerateOptions, services: &[Service], rng: &mut RngStreams) -> Vec<Entry> {
    const DEN: u128 = 3_600_000 * 1_000_000; // ms per hour × millionths
    let tasks: u64 = services.iter().map(|s| s.desired).sum();
    // Expected crashes per ms = rate × tasks / DEN.
    let per_ms = u128::from(o.crash_rate_ppm) * u128::from(tasks);
    if per_ms == 0 {
        return Vec::new();
    }
    let start = 60_000.min(o.until_ms / 2);
    let span = o.until_ms - start;
    let slot = (DEN / 10 / per_ms).clamp(1, u128::from(span.max(1))) as u64;
    let chance = per_ms * u128::from(slot); // expected crashes a slot, × DEN
    let mut ends = Vec::with_capacity(services.len());
    let mut sum = 0;
    for s in services {
        sum += s.desired;
        ends.push(sum);
    }
    let f = Purpose::Faults;
    let mut out = Vec::new();
    let mut t0 = start;
    while t0 < o.until_ms {
        let len = slot.min(o.until_ms - t0);
        let expected = chance * u128::from(len) / u128::from(slot);
        let whole = (expected / DEN) as u64;
        let frac = (expected % DEN) as u64;
        let n = whole + u64::from(rng.chance(f, frac, DEN as u64));
        let mut times: Vec<u64> = (0..n).map(|_| t0 + 1 + rng.below(f, len)).collect();
        times.sort_unstable();
        for t in times {
            let task = rng.below(f, tasks);
            let s = &services[ends.partition_point(|&e| e <= task)];
            let body = json!({"service": s.name, "count": 1});
            out.push((t, json!({"at": t, "crash_tasks": body})));
        }
        t0 += len;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Output

fn render(
    o: &GenerateOptions,
    fleet: &[Group],
    services: &[Service],
    timeline: &[Entry],
) -> String {
    let mut out = String::new();
    let tasks: u64 = services.iter().map(|s| s.desired).sum();
    let _ = writeln!(
        out,
        "# Generated by `ecsim generate`: {} instances in {} zone(s), {} services, {tasks} tasks.",
        o.instances, o.azs, o.services
    );
    let description = format!(
        "Generated: {} instances of {} types in {} zone(s) (a fifth in pool dedicated), {} REPLICA services with {tasks} tasks{}{}.",
        o.instances,
        fleet.iter().filter(|g| !g.dedicated).count(),
        o.azs,
        o.services,
        if o.deploy_at_ms.is_some() {
            ", a deployment of every service"
        } else {
            ""
        },
        if o.crash_rate_ppm > 0 {
            ", random task crashes"
        } else {
            ""
        },
    );
    let _ = writeln!(out, "name: {}", scalar(&o.name));
    let _ = writeln!(out, "description: {}", scalar(&description));
    let _ = writeln!(out, "seed: {}", o.seed);
    let _ = writeln!(out, "until: {}", crate::duration::compact(o.until_ms));
    let _ = writeln!(out, "sampleEvery: {}", sample_every(o.until_ms, 500));
    let _ = writeln!(out, "timing: {{pending: 2s..10s, stopping: 1s..5s}}");
    section(&mut out, "containerInstances", &fleet_entries(o, fleet));
    let mut tds: Vec<Value> = services.iter().map(|s| task_definition(s, 1)).collect();
    if o.deploy_at_ms.is_some() {
        tds.extend(services.iter().map(|s| task_definition(s, 2)));
    }
    section(&mut out, "taskDefinitions", &tds);
    let bodies: Vec<Value> = services.iter().map(service).collect();
    section(&mut out, "services", &bodies);
    let entries: Vec<Value> = timeline.iter().map(|e| e.1.clone()).collect();
    section(&mut out, "timeline", &entries);
    out
}

/// The fleet entries, with zone lists rotated so that zones go round-robin over the whole fleet.
fn fleet_entries(o: &GenerateOptions, fleet: &[Group]) -> Vec<Value> {
    let zones: Vec<String> = (0..o.azs.clamp(1, 26))
        .map(|i| format!("{}{}", o.region, char::from(b'a' + i as u8)))
        .collect();
    let mut registered = 0u64;
    let mut out = Vec::new();
    for g in fleet {
        let start = (registered % zones.len() as u64) as usize;
        let rotated: Vec<&String> = zones[start..].iter().chain(&zones[..start]).collect();
        registered += g.count;
        let pool = if g.dedicated { "dedicated" } else { "general" };
        out.push(json!({
            "count": g.count,
            "instanceType": g.instance_type,
            "ec2InstanceIdPrefix": format!("i-{}-{pool}", g.instance_type.replace('.', "-")),
            "availabilityZones": rotated,
            "attributes": {"pool": pool},
        }));
    }
    out
}

fn task_definition(s: &Service, revision: u32) -> Value {
    let mut c = json!({
        "name": "app",
        "image": format!("registry.example/{}:{revision}", s.family),
        "cpu": s.cpu,
    });
    if s.soft {
        c["memoryReservation"] = json!(s.memory);
        c["memory"] = json!(s.memory * 2);
    } else {
        c["memory"] = json!(s.memory);
    }
    match s.port {
        Port::None => {}
        Port::Dynamic => c["portMappings"] = json!([{"containerPort": 8080, "hostPort": 0}]),
        Port::Static(p) => c["portMappings"] = json!([{"containerPort": 8080, "hostPort": p}]),
    }
    json!({"family": s.family, "containerDefinitions": [c]})
}

fn service(s: &Service) -> Value {
    let mut v = json!({
        "serviceName": s.name,
        "taskDefinition": format!("{}:1", s.family),
        "desiredCount": s.desired,
    });
    let (min, max) = match (s.port, s.desired) {
        (Port::Static(_), _) => (50, 100),
        (_, 0..10) => (100, 200),
        (_, d) => [(50, 100), (75, 125), (50, 150)][(d % 3) as usize],
    };
    v["deploymentConfiguration"] = json!({"minimumHealthyPercent": min, "maximumPercent": max});
    let spread = |field: &str| json!({"type": "spread", "field": field});
    let binpack = |field: &str| json!({"type": "binpack", "field": field});
    match s.strategy {
        Strategy::AzBalance => {}
        Strategy::SpreadAzBinpackMemory => {
            v["placementStrategy"] =
                json!([spread("attribute:ecs.availability-zone"), binpack("memory")]);
        }
        Strategy::BinpackCpu => v["placementStrategy"] = json!([binpack("cpu")]),
        Strategy::SpreadInstance => v["placementStrategy"] = json!([spread("instanceId")]),
    }
    if s.member_of {
        v["placementConstraints"] =
            json!([{"type": "memberOf", "expression": "attribute:pool == dedicated"}]);
    }
    v
}

/// Parses a non-negative decimal (`0.01`, `2`, `.5`) into millionths, rounding down.
pub fn parse_millionths(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a non-negative decimal number such as 0.01");
    let (whole, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(bad());
    }
    let frac: String = frac.chars().chain("000000".chars()).take(6).collect();
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(frac.parse().ok()?))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> GenerateOptions {
        GenerateOptions {
            name: "g".into(),
            instances: 30,
            azs: 3,
            services: 5,
            tasks: 60,
            until_ms: 1_800_000,
            deploy_at_ms: Some(600_000),
            deploy_over_ms: 10_000,
            crash_rate_ppm: 100_000,
            seed: 1,
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn generates_what_was_asked_and_loads() {
        let g = generate(&options()).unwrap();
        assert_eq!(
            (g.instances, g.services, g.tasks, g.deployments),
            (30, 5, 60, 5)
        );
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        let s = crate::load(&g.yaml, "g.yaml", &|_| Err("no files".into())).unwrap();
        assert_eq!(s.fleet.iter().map(|e| e.count).sum::<u64>(), 30);
        assert_eq!(s.services.len(), 5);
        assert_eq!(s.timeline.len(), 5 + g.crashes);
        assert_eq!(generate(&options()).unwrap().yaml, g.yaml);
    }

    #[test]
    fn counts_are_exact_and_skewed() {
        let mut o = options();
        o.services = 100;
        o.tasks = 5_000;
        let d = desired_counts(&o, &mut RngStreams::new(3));
        assert_eq!(d.iter().sum::<u64>(), 5_000);
        assert!(d.iter().all(|&c| c >= 1));
        assert!(d[0] > 10 * d[99], "{d:?}");
    }

    #[test]
    fn crash_rate_is_about_right() {
        let mut o = options();
        o.crash_rate_ppm = 1_000_000; // 1 per task-hour, 60 tasks, 29 minutes: about 29
        o.until_ms = 1_800_000;
        o.instances = 100;
        let mut total = 0;
        for seed in 0..20 {
            o.seed = seed;
            total += generate(&o).unwrap().crashes;
        }
        assert!((20 * 25..=20 * 33).contains(&total), "{total}");
    }

    #[test]
    fn impossible_inputs_warn() {
        let mut o = options();
        o.instances = 1;
        o.tasks = 400;
        assert!(!generate(&o).unwrap().warnings.is_empty());
        o.tasks = 4;
        assert!(generate(&o).is_err());
    }

    #[test]
    fn millionths() {
        assert_eq!(parse_millionths("0.01"), Ok(10_000));
        assert_eq!(parse_millionths("2"), Ok(2_000_000));
        assert_eq!(parse_millionths(".5"), Ok(500_000));
        assert!(parse_millionths("-1").is_err());
        assert!(parse_millionths("1e3").is_err());
        assert!(parse_millionths(".").is_err());
    }
}
