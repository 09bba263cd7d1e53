//! `ecsim plan`: the smallest setting of some numbers of a scenario (a fleet's `count`, a
//! service's `desiredCount`, ...) under which every expectation and invariant holds, optionally
//! also after losing any one Availability Zone or any one instance.
//!
//! A setting is tried by writing its values into [`Scenario::document`] at the varied paths,
//! loading the result again and running it. With one varied path the search bisects the range
//! (assuming that more never hurts), then checks the boundary: the answer passes, one less
//! fails, and one more passes too; anything else is reported as a violation of monotonicity.
//! With several paths it walks the grid cheapest first (by the sum of the values, or by the
//! hourly cost of the fleet) and stops at the first setting that passes; every setting with one
//! less of one path was tried before it and failed. The number of runs is bounded.
//!
//! Everything here is sequential and deterministic.

use crate::check::story;
use crate::duration::compact;
use crate::load::load;
use crate::model::Scenario;
use crate::prices::Prices;
use crate::runner::{RunOptions, RunOutput, run};
use serde_json::{Map, Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt::Write;

/// One `--vary PATH=LOW..HIGH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vary {
    pub path: String,
    pub low: u64,
    pub high: u64,
}

/// Parses `PATH=LOW..HIGH` (integers, LOW ≤ HIGH).
pub fn parse_vary(s: &str) -> Result<Vary, String> {
    let (path, range) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected PATH=LOW..HIGH, found `{s}`"))?;
    let (low, high) = range
        .split_once("..")
        .ok_or_else(|| format!("expected a range LOW..HIGH after `=`, found `{range}`"))?;
    let int = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` is not a non-negative integer"))
    };
    let (low, high) = (int(low)?, int(high)?);
    if low > high {
        return Err(format!("empty range {low}..{high}"));
    }
    parse_path(path)?;
    Ok(Vary {
        path: path.to_string(),
        low,
        high,
    })
}

/// Which loss a setting must survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Survive {
    Nothing,
    /// Every instance of one Availability Zone fails, for each zone that holds instances.
    AzLoss,
    /// One instance fails, for each instance.
    InstanceLoss,
}

/// What "smaller" means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    /// The sum of the varied values.
    Count,
    /// The hourly cost of the fleet (`containerInstances`: count × price of the type).
    Cost,
}

#[derive(Clone, Debug)]
pub struct PlanRequest {
    pub vary: Vec<Vary>,
    pub survive: Survive,
    /// When the loss happens (default: half of `until`).
    pub loss_at_ms: Option<u64>,
    pub objective: Objective,
    pub prices: Prices,
    /// At most this many simulation runs.
    pub max_runs: usize,
}

/// How one setting fared.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    pub passed: bool,
    /// The loss that broke it (`--survive`), e.g. `loss of us-east-1a at 10m (2 instances)`.
    pub broken_by: Option<String>,
    /// What failed: invariants, expectations, the run error.
    pub failures: Vec<String>,
    /// `summary.placements.failuresByReason` of the failing run.
    pub placement_failures: BTreeMap<String, u64>,
}

/// A setting and its verdict.
#[derive(Clone, Debug)]
pub struct Evaluated {
    pub values: Vec<u64>,
    pub cost_per_hour: Option<f64>,
    pub verdict: Verdict,
}

/// The answer.
#[derive(Clone, Debug)]
pub struct Plan {
    pub paths: Vec<String>,
    pub survive: Survive,
    pub loss_at_ms: u64,
    /// The smallest passing setting, if one was found.
    pub minimum: Option<Evaluated>,
    /// The next-smaller settings and why they fail, the closest to the answer first (one path:
    /// the answer − 1; several: each setting with one less of one path). With no answer, the
    /// largest setting tried.
    pub why_not_smaller: Vec<Evaluated>,
    /// Whether the boundary checks held (see the module documentation).
    pub verified: bool,
    /// What the boundary checks found.
    pub notes: Vec<String>,
    pub settings_tried: usize,
    pub runs: usize,
    /// The search stopped at `max_runs`.
    pub budget_hit: bool,
}

/// The scenario document at a setting of the varied paths (to report on the answer).
pub fn document_at(
    scenario: &Scenario,
    request: &PlanRequest,
    values: &[u64],
) -> Result<Value, String> {
    Ok(Planner::new(scenario, request)?.document(values))
}

/// Plans `scenario`. `Err` is a usage error (a bad path, a missing price, a bad loss time).
pub fn plan(scenario: &Scenario, request: &PlanRequest) -> Result<Plan, String> {
    let mut p = Planner::new(scenario, request)?;
    let (minimum, why_not, notes, verified) = if request.vary.len() == 1 {
        p.bisect()
    } else {
        p.best_first()
    };
    let budget_hit = p.budget_hit;
    Ok(Plan {
        paths: request.vary.iter().map(|v| v.path.clone()).collect(),
        survive: request.survive,
        loss_at_ms: p.loss_at_ms,
        minimum: minimum.map(|v| p.evaluated(v)),
        why_not_smaller: why_not.into_iter().map(|v| p.evaluated(v)).collect(),
        verified,
        notes,
        settings_tried: p.cache.len(),
        runs: p.runs,
        budget_hit,
    })
}

/// A step of a path: `key` or `[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let bad =
        || format!("bad path `{path}`: expected keys and [i], e.g. containerInstances[0].count");
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if key.is_empty() && (segs.is_empty() || rest.is_empty()) {
            return Err(bad());
        }
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let (index, after) = rest.split_once(']').ok_or_else(bad)?;
            segs.push(Seg::Index(index.parse().map_err(|_| bad())?));
            rest = match after {
                "" => "",
                a => a.strip_prefix('[').ok_or_else(bad)?,
            };
        }
    }
    Ok(segs)
}

fn slot<'v>(doc: &'v mut Value, segs: &[Seg]) -> Option<&'v mut Value> {
    segs.iter().try_fold(doc, |v, s| match s {
        Seg::Key(k) => v.as_object_mut()?.get_mut(k),
        Seg::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

/// The path's segments, when it names a number in `doc`.
fn number_path(doc: &Value, path: &str) -> Result<Vec<Seg>, String> {
    let segs = parse_path(path)?;
    let mut copy = doc.clone();
    match slot(&mut copy, &segs) {
        Some(v) if v.is_number() => Ok(segs),
        Some(v) => Err(format!(
            "`{path}` is {} in the scenario, not a number",
            kind(v)
        )),
        None => Err(format!("`{path}` names nothing in the scenario")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The hourly cost of the fleet of `doc`, or what is missing to price it.
fn fleet_cost(doc: &Value, prices: &Prices) -> Result<f64, String> {
    let fleet = doc
        .get("containerInstances")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut total = 0.0;
    for (i, entry) in fleet.iter().enumerate() {
        let count = entry.get("count").and_then(Value::as_u64).unwrap_or(1);
        let Some(t) = entry.get("instanceType").and_then(Value::as_str) else {
            return Err(format!(
                "containerInstances[{i}] has no instanceType to price"
            ));
        };
        let price = prices
            .get(t)
            .ok_or_else(|| format!("no price for {t} (containerInstances[{i}]); give --prices"))?;
        total += count as f64 * price;
    }
    Ok(total)
}

/// One instance loss to survive: a `fail_instances` body and how to name it.
struct Loss {
    label: String,
    body: Value,
}

struct Planner<'a> {
    scenario: &'a Scenario,
    /// The scenario's document, made once: each setting tried is a copy with numbers changed.
    base: Value,
    request: &'a PlanRequest,
    segs: Vec<Vec<Seg>>,
    loss_at_ms: u64,
    runs: usize,
    budget_hit: bool,
    cache: BTreeMap<Vec<u64>, Verdict>,
}

impl<'a> Planner<'a> {
    fn new(scenario: &'a Scenario, request: &'a PlanRequest) -> Result<Planner<'a>, String> {
        if request.vary.is_empty() {
            return Err("give at least one --vary PATH=LOW..HIGH".into());
        }
        let base = scenario.document();
        let mut segs = Vec::new();
        for (k, v) in request.vary.iter().enumerate() {
            if request.vary[..k].iter().any(|w| w.path == v.path) {
                return Err(format!("`{}` is varied twice", v.path));
            }
            segs.push(number_path(&base, &v.path)?);
        }
        if request.objective == Objective::Cost {
            fleet_cost(&base, &request.prices).map_err(|e| format!("--objective cost: {e}"))?;
        }
        let loss_at_ms = request.loss_at_ms.unwrap_or(scenario.until_ms / 2);
        if loss_at_ms > scenario.until_ms {
            return Err(format!(
                "--loss-at {} is after the end of the scenario ({})",
                compact(loss_at_ms),
                compact(scenario.until_ms)
            ));
        }
        if request.max_runs == 0 {
            return Err("--max-runs must be at least 1".into());
        }
        Ok(Planner {
            scenario,
            base,
            request,
            segs,
            loss_at_ms,
            runs: 0,
            budget_hit: false,
            cache: BTreeMap::new(),
        })
    }

    fn document(&self, values: &[u64]) -> Value {
        let mut doc = self.base.clone();
        for (segs, v) in self.segs.iter().zip(values) {
            if let Some(slot) = slot(&mut doc, segs) {
                *slot = json!(v);
            }
        }
        doc
    }

    fn cost(&self, values: &[u64]) -> Option<f64> {
        fleet_cost(&self.document(values), &self.request.prices).ok()
    }

    fn evaluated(&self, values: Vec<u64>) -> Evaluated {
        Evaluated {
            cost_per_hour: self.cost(&values),
            verdict: self.cache.get(&values).cloned().unwrap_or_default(),
            values,
        }
    }

    /// Loads and runs a document; `None` when the run budget is spent.
    fn run_doc(&mut self, doc: &Value) -> Option<Result<(Scenario, RunOutput), String>> {
        let text = serde_json::to_string(doc).unwrap_or_default();
        let no_files = |_: &str| Err("files are inlined".to_string());
        let s = match load(
            &text,
            &format!("{} (planned)", self.scenario.name),
            &no_files,
        ) {
            Ok(s) => s,
            Err(e) => return Some(Err(format!("invalid scenario: {e}"))),
        };
        if self.runs >= self.request.max_runs {
            self.budget_hit = true;
            return None;
        }
        self.runs += 1;
        let out = run(&s, RunOptions::default());
        Some(Ok((s, out)))
    }

    /// Whether a setting passes (cached); `None` when the run budget is spent.
    fn passes(&mut self, values: &[u64]) -> Option<bool> {
        if let Some(v) = self.cache.get(values) {
            return Some(v.passed);
        }
        let verdict = self.judge(values)?;
        let passed = verdict.passed;
        self.cache.insert(values.to_vec(), verdict);
        Some(passed)
    }

    fn judge(&mut self, values: &[u64]) -> Option<Verdict> {
        let doc = self.document(values);
        let (s, out) = match self.run_doc(&doc)? {
            Ok(r) => r,
            Err(message) => {
                return Some(Verdict {
                    failures: vec![message],
                    ..Verdict::default()
                });
            }
        };
        if !out.passed() {
            return Some(failed(&s, &out, None));
        }
        for loss in self.losses(&out) {
            match self.run_doc(&with_loss(&doc, self.loss_at_ms, &loss))? {
                Ok((s, out)) if !out.passed() => return Some(failed(&s, &out, Some(loss.label))),
                Ok(_) => {}
                Err(message) => {
                    return Some(Verdict {
                        broken_by: Some(loss.label),
                        failures: vec![message],
                        ..Verdict::default()
                    });
                }
            }
        }
        Some(Verdict {
            passed: true,
            ..Verdict::default()
        })
    }

    /// The losses to survive, from the instances of a passing run registered by the loss time.
    fn losses(&self, out: &RunOutput) -> Vec<Loss> {
        let w = out.api.engine.world();
        let at = compact(self.loss_at_ms);
        let present = w
            .instances()
            .iter()
            .filter(|i| i.registered_at.as_ms() <= self.loss_at_ms);
        match self.request.survive {
            Survive::Nothing => Vec::new(),
            Survive::InstanceLoss => present
                .map(|i| {
                    let cluster = &w.cluster(i.cluster).name;
                    let zone = i.availability_zone.as_deref().unwrap_or("no zone");
                    Loss {
                        label: format!("loss of {} ({zone}) at {at}", i.ec2_instance_id),
                        body: json!({"cluster": cluster, "ec2InstanceIds": [i.ec2_instance_id]}),
                    }
                })
                .collect(),
            Survive::AzLoss => {
                let mut zones: BTreeMap<(String, String), usize> = BTreeMap::new();
                for i in present {
                    if let Some(z) = &i.availability_zone {
                        let key = (w.cluster(i.cluster).name.clone(), z.clone());
                        *zones.entry(key).or_default() += 1;
                    }
                }
                zones
                    .into_iter()
                    .map(|((cluster, zone), n)| Loss {
                        label: zone_label(&cluster, &zone, n, &at),
                        body: json!({
                            "cluster": cluster,
                            "filter": format!("attribute:ecs.availability-zone == {zone}"),
                        }),
                    })
                    .collect()
            }
        }
    }
}

fn zone_label(cluster: &str, zone: &str, n: usize, at: &str) -> String {
    let of = if cluster == "default" {
        String::new()
    } else {
        format!(" in cluster {cluster}")
    };
    let s = if n == 1 { "" } else { "s" };
    format!("loss of {zone}{of} at {at} ({n} instance{s})")
}

fn with_loss(doc: &Value, at_ms: u64, loss: &Loss) -> Value {
    let mut doc = doc.clone();
    if let Some(map) = doc.as_object_mut() {
        let timeline = map
            .entry("timeline")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = timeline.as_array_mut() {
            list.push(json!({"at": at_ms, "fail_instances": loss.body}));
        }
    }
    doc
}

fn failed(s: &Scenario, out: &RunOutput, broken_by: Option<String>) -> Verdict {
    Verdict {
        passed: false,
        broken_by,
        failures: story(s, out),
        placement_failures: out
            .api
            .engine
            .stats()
            .failures_by_reason
            .iter()
            .map(|(r, n)| ((*r).to_string(), *n))
            .collect(),
    }
}

/// What a search found: the answer, the setting that explains it, notes, verified.
type Found = (Option<Vec<u64>>, Vec<Vec<u64>>, Vec<String>, bool);

impl Planner<'_> {
    /// One path: bisection on the smallest passing value, then the boundary checks.
    fn bisect(&mut self) -> Found {
        let Vary { low, high, .. } = self.request.vary[0].clone();
        match self.passes(&[high]) {
            Some(true) => {}
            Some(false) => return (None, vec![vec![high]], Vec::new(), false),
            None => return (None, Vec::new(), Vec::new(), false),
        }
        let (mut lo, mut hi) = (low, high);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.passes(&[mid]) {
                Some(true) => hi = mid,
                Some(false) => lo = mid + 1,
                None => {
                    let note = format!(
                        "the run budget ran out: the smallest passing value is between {lo} and {hi}"
                    );
                    return (Some(vec![hi]), Vec::new(), vec![note], false);
                }
            }
        }
        let (notes, verified) = self.verify_one(hi, low, high);
        let why_not = (hi > low).then(|| vec![hi - 1]).into_iter().collect();
        (Some(vec![hi]), why_not, notes, verified)
    }

    fn verify_one(&mut self, answer: u64, low: u64, high: u64) -> (Vec<String>, bool) {
        let mut notes = Vec::new();
        let mut verified = true;
        if answer > low {
            let below = self.passes(&[answer - 1]);
            verified &= below == Some(false);
            notes.push(match below {
                Some(false) => format!("{} fails, {answer} passes", answer - 1),
                Some(true) => format!("not monotonic: {} passes too", answer - 1),
                None => format!("{} not checked (run budget)", answer - 1),
            });
        } else {
            notes.push(format!("{answer} is the low end of the range"));
        }
        if answer < high {
            let above = self.passes(&[answer + 1]);
            verified &= above == Some(true);
            notes.push(match above {
                Some(true) => format!("{} passes too", answer + 1),
                Some(false) => format!(
                    "not monotonic: {} fails although {answer} passes; the answer is where bisection landed",
                    answer + 1
                ),
                None => format!("{} not checked (run budget)", answer + 1),
            });
        }
        for (v, verdict) in &self.cache {
            if (v[0] < answer && verdict.passed) || (v[0] > answer && !verdict.passed) {
                verified = false;
                let what = if verdict.passed { "passes" } else { "fails" };
                notes.push(format!("not monotonic: {} {what}", v[0]));
            }
        }
        notes.dedup();
        (notes, verified)
    }

    /// The objective of a setting, for ordering: integer micro-dollars or the sum of values.
    fn key(&self, values: &[u64]) -> (u64, u64) {
        let sum = values.iter().sum();
        match self.request.objective {
            Objective::Count => (sum, sum),
            Objective::Cost => {
                let micro = (self.cost(values).unwrap_or(0.0) * 1e6).round() as u64;
                (micro, sum)
            }
        }
    }

    /// Several paths: the grid cheapest first; the first passing setting wins.
    fn best_first(&mut self) -> Found {
        let lows: Vec<u64> = self.request.vary.iter().map(|v| v.low).collect();
        let mut heap = BinaryHeap::new();
        let mut seen = BTreeSet::new();
        heap.push(Reverse((self.key(&lows), lows.clone())));
        seen.insert(lows);
        let mut last_failed = None;
        while let Some(Reverse((_, values))) = heap.pop() {
            match self.passes(&values) {
                None => return (None, last_failed.into_iter().collect(), Vec::new(), false),
                Some(true) => {
                    let (why_not, notes, verified) = self.verify_grid(&values);
                    return (Some(values), why_not, notes, verified);
                }
                Some(false) => {}
            }
            for (k, v) in self.request.vary.iter().enumerate() {
                if values[k] < v.high {
                    let mut next = values.clone();
                    next[k] += 1;
                    if seen.insert(next.clone()) {
                        heap.push(Reverse((self.key(&next), next)));
                    }
                }
            }
            last_failed = Some(values);
        }
        (None, last_failed.into_iter().collect(), Vec::new(), false)
    }

    /// Every setting with one less of one path failed (they all come earlier in the order);
    /// the one of them closest to the answer explains it.
    fn verify_grid(&mut self, answer: &[u64]) -> (Vec<Vec<u64>>, Vec<String>, bool) {
        let mut below = Vec::new();
        for (k, v) in self.request.vary.iter().enumerate() {
            if answer[k] > v.low {
                let mut b = answer.to_vec();
                b[k] -= 1;
                below.push(b);
            }
        }
        let mut notes = Vec::new();
        let mut verified = true;
        for b in &below {
            let passed = self.passes(b);
            verified &= passed == Some(false);
            if passed != Some(false) {
                notes.push(format!("not monotonic: {} passes too", self.describe(b)));
            }
        }
        if verified {
            notes.push(if below.is_empty() {
                "every path is at the low end of its range".to_string()
            } else {
                format!("each of the {} settings with one less fails", below.len())
            });
        }
        below.sort_by_key(|b| Reverse((self.key(b), b.clone())));
        (below, notes, verified)
    }

    fn describe(&self, values: &[u64]) -> String {
        describe(&self.request.vary, values)
    }
}

fn describe(vary: &[Vary], values: &[u64]) -> String {
    vary.iter()
        .zip(values)
        .map(|(v, x)| format!("{} = {x}", v.path))
        .collect::<Vec<_>>()
        .join(", ")
}

fn setting_json(paths: &[String], values: &[u64]) -> Value {
    let map: Map<String, Value> = paths
        .iter()
        .zip(values)
        .map(|(p, v)| (p.clone(), json!(v)))
        .collect();
    Value::Object(map)
}

fn cost_json(cost: Option<f64>) -> Value {
    cost.map_or(Value::Null, |c| json!((c * 10_000.0).round() / 10_000.0))
}

fn evaluated_json(paths: &[String], e: &Evaluated) -> Value {
    json!({
        "setting": setting_json(paths, &e.values),
        "cost": cost_json(e.cost_per_hour),
        "passed": e.verdict.passed,
        "brokenBy": e.verdict.broken_by,
        "failures": e.verdict.failures,
        "placementFailuresByReason": e.verdict.placement_failures,
    })
}

/// `ecsim plan --json`.
#[must_use]
pub fn json(plan: &Plan) -> Value {
    json!({
        "minimum": plan.minimum.as_ref().map(|m| setting_json(&plan.paths, &m.values)),
        "cost": cost_json(plan.minimum.as_ref().and_then(|m| m.cost_per_hour)),
        "why_not_smaller": plan.why_not_smaller.first().map(|e| evaluated_json(&plan.paths, e)),
        "other_smaller": plan.why_not_smaller.iter().skip(1).map(|e| evaluated_json(&plan.paths, e)).collect::<Vec<_>>(),
        "verified": plan.verified,
        "notes": plan.notes,
        "survive": match plan.survive {
            Survive::Nothing => Value::Null,
            Survive::AzLoss => json!("az-loss"),
            Survive::InstanceLoss => json!("instance-loss"),
        },
        "lossAtMs": plan.loss_at_ms,
        "settingsTried": plan.settings_tried,
        "runs": plan.runs,
        "budgetHit": plan.budget_hit,
    })
}

fn cost_text(cost: Option<f64>) -> String {
    cost.map_or_else(String::new, |c| format!(", ${c:.4} per hour"))
}

/// The human report of `ecsim plan`.
#[must_use]
pub fn human(name: &str, vary: &[Vary], plan: &Plan) -> String {
    let mut s = String::new();
    let surviving = match plan.survive {
        Survive::Nothing => String::new(),
        Survive::AzLoss => format!(
            " surviving the loss of any one AZ at {}",
            compact(plan.loss_at_ms)
        ),
        Survive::InstanceLoss => {
            format!(
                " surviving the loss of any one instance at {}",
                compact(plan.loss_at_ms)
            )
        }
    };
    match &plan.minimum {
        Some(m) => {
            let _ = writeln!(s, "{name}: minimum{surviving}:");
            let _ = writeln!(
                s,
                "  {}{}",
                describe(vary, &m.values),
                cost_text(m.cost_per_hour)
            );
            let check = if plan.verified {
                "verified"
            } else {
                "NOT verified"
            };
            let _ = writeln!(s, "{check}: {}", plan.notes.join("; "));
        }
        None if plan.budget_hit => {
            let _ = writeln!(
                s,
                "{name}: no passing setting{surviving} found before the run budget ran out ({} runs); raise --max-runs",
                plan.runs
            );
        }
        None => {
            let _ = writeln!(s, "{name}: no setting in range passes{surviving}");
        }
    }
    for e in &plan.why_not_smaller {
        let label = match (&plan.minimum, plan.budget_hit) {
            (Some(_), _) => "why not",
            (None, true) => "last tried:",
            (None, false) => "largest tried:",
        };
        let _ = writeln!(
            s,
            "{label} {}{}:",
            describe(vary, &e.values),
            cost_text(e.cost_per_hour)
        );
        s.push_str(&verdict_lines(&e.verdict));
    }
    let _ = writeln!(
        s,
        "searched {} settings in {} runs",
        plan.settings_tried, plan.runs
    );
    s
}

fn verdict_lines(v: &Verdict) -> String {
    let mut s = String::new();
    if let Some(b) = &v.broken_by {
        let _ = writeln!(s, "  broken by the {b}");
    }
    for f in &v.failures {
        let _ = writeln!(s, "  {f}");
    }
    if !v.placement_failures.is_empty() {
        let reasons: Vec<String> = v
            .placement_failures
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let _ = writeln!(s, "  placement failures by reason: {}", reasons.join(", "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_keys_and_indices() {
        assert_eq!(
            parse_path("containerInstances[0].count"),
            Ok(vec![
                Seg::Key("containerInstances".into()),
                Seg::Index(0),
                Seg::Key("count".into())
            ])
        );
        assert_eq!(
            parse_path("a[1][2]"),
            Ok(vec![Seg::Key("a".into()), Seg::Index(1), Seg::Index(2)])
        );
        for bad in ["", "a[x]", "a[1", "[0].a", "a[1]b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vary_parses_a_range() {
        let v = parse_vary("services[0].desiredCount=2..9").expect("parses");
        assert_eq!(
            (v.path.as_str(), v.low, v.high),
            ("services[0].desiredCount", 2, 9)
        );
        assert!(parse_vary("a=5..2").is_err());
        assert!(parse_vary("a=5").is_err());
        assert!(parse_vary("a=x..2").is_err());
    }
}
