//! Trace import: the Alibaba GPU cluster trace 2023 ("openb": a node list and a pod list, both
//! CSV) to scenario text that `load` accepts and `run` replays.
//!
//! The mapping:
//! - Nodes become `containerInstances` entries, one per distinct (CPU, memory, GPU, model) shape
//!   with its `count`, in order of first appearance. CPU units = `cpu_milli` × 1024 / 1000
//!   (rounded down), MEMORY = `memory_mib`, a `GPU` INTEGER resource when `gpu` > 0, and the GPU
//!   model as the custom attribute `gpu-model` when it is non-empty. Availability Zones go
//!   round-robin over the whole fleet in registration order (each entry's zone list is rotated).
//! - Pods are sorted by `creation_time` (ties in file order); `limit` keeps the first N. Each
//!   distinct (CPU units, memory, GPUs) shape is one task definition `pod-<cpu>-<mem>-<gpu>` with
//!   one container. ECS counts whole GPUs: a GPU-sharing pod (`gpu_milli` < 1000, `num_gpu` 1, or
//!   `num_gpu` 0 with `gpu_milli` > 0) takes one whole GPU. A memory of 0 becomes 6 MiB (ECS's
//!   smallest container memory). `gpu_spec` (`A|B`) becomes the constraint
//!   `memberOf attribute:gpu-model in [A, B]`.
//! - A pod arrives with a `run_task` at `creation_time` (`save: p<row>`, where row is the pod's
//!   0-based data row in the file). A pod that fits nowhere fails to place and is gone (ECS does
//!   not queue RunTask; Kubernetes would keep it Pending). A pod leaves at `deletion_time`: a
//!   `stop_task` naming `${p<row>.tasks[0].taskArn}` would be a run error for a pod that did not
//!   place, so the task runs in the task group `pod-<row>` and leaves with
//!   `crash_tasks: {group: pod-<row>, exitCode: 0}`, which acts on nothing when there is no
//!   task: the job's essential container exits 0 (stopCode `EssentialContainerExited`), as a
//!   finished batch job does. A pod without
//!   `deletion_time` runs to the end; one whose `deletion_time` is not after its
//!   `creation_time` never held resources and is skipped. At one time, departures come before
//!   arrivals.
//! - `until` is the last event plus one minute. Times are integer milliseconds. `sampleEvery`
//!   is chosen so that the run takes at most about 2,000 metric samples.

use crate::yaml_out::{sample_every, scalar, section};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;

/// The node list's columns, by name (other columns are ignored; order follows the header).
pub const NODE_COLUMNS: [&str; 5] = ["sn", "cpu_milli", "memory_mib", "gpu", "model"];

/// The pod list's columns that the import reads.
pub const POD_COLUMNS: [&str; 8] = [
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "creation_time",
    "deletion_time",
];

/// ECS's smallest container memory (MiB).
const MIN_MEMORY_MIB: u64 = 6;

/// A malformed CSV file: where, which column (when one), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    pub file: String,
    /// 1-based line in the file.
    pub line: usize,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(c) = &self.column {
            write!(f, "column `{c}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CsvError {}

/// One input file: its name (for errors) and its text.
#[derive(Clone, Copy, Debug)]
pub struct CsvInput<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// What the generated scenario is called and how it is shaped.
#[derive(Clone, Debug)]
pub struct OpenbOptions {
    /// The scenario `name` (letters, digits, - and _).
    pub name: String,
    /// How many Availability Zones (`<region>a`, `<region>b`, ...), 1 to 26.
    pub azs: usize,
    /// Keep only the first N pods by creation time.
    pub limit: Option<usize>,
    pub seed: u64,
    pub region: String,
}

/// The scenario text and what went into it.
#[derive(Clone, Debug)]
pub struct Imported {
    pub yaml: String,
    pub nodes: u64,
    pub node_shapes: usize,
    /// Pods read from the file.
    pub pods_read: usize,
    /// Pods imported (after `limit`, without the skipped ones).
    pub pods: usize,
    /// Pods skipped because they leave no later than they arrive.
    pub skipped: usize,
    pub task_definitions: usize,
    /// Pods that leave before the end (a `crash_tasks` entry each).
    pub departures: usize,
    pub until_ms: u64,
}

/// Converts the two files to scenario text, or names the first malformed row.
pub fn alibaba_openb(
    nodes: CsvInput<'_>,
    pods: CsvInput<'_>,
    options: &OpenbOptions,
) -> Result<Imported, CsvError> {
    let shapes = read_nodes(nodes)?;
    let mut all = read_pods(pods)?;
    let pods_read = all.len();
    all.sort_by_key(|p| (p.created_ms, p.row));
    all.truncate(options.limit.unwrap_or(usize::MAX));
    let before = all.len();
    all.retain(|p| p.deleted_ms.is_none_or(|d| d > p.created_ms));
    let skipped = before - all.len();
    let families = families(&all);
    let events = events(&all);
    let until_ms = events.last().map_or(0, |e| e.at_ms) + 60_000;
    let yaml = render(&Parts {
        options,
        nodes_file: nodes.name,
        pods_file: pods.name,
        shapes: &shapes,
        pods: &all,
        families: &families,
        events: &events,
        until_ms,
    });
    Ok(Imported {
        yaml,
        nodes: shapes.iter().map(|s| s.count).sum(),
        node_shapes: shapes.len(),
        pods_read,
        pods: all.len(),
        skipped,
        task_definitions: families.len(),
        departures: events.iter().filter(|e| e.departure).count(),
        until_ms,
    })
}

// ---------------------------------------------------------------------------------------------
// CSV

/// A data row: its line and its fields in the order of the wanted columns.
struct Row<'a> {
    file: &'a str,
    line: usize,
    names: &'a [&'a str],
    fields: Vec<String>,
}

impl Row<'_> {
    fn error(&self, i: usize, message: String) -> CsvError {
        CsvError {
            file: self.file.to_string(),
            line: self.line,
            column: Some(self.names[i].to_string()),
            message,
        }
    }

    fn text(&self, i: usize) -> &str {
        &self.fields[i]
    }

    fn u64(&self, i: usize) -> Result<u64, CsvError> {
        let s = self.text(i);
        s.parse()
            .map_err(|_| self.error(i, format!("expected a non-negative integer, found `{s}`")))
    }

    /// Seconds (an integer or a decimal) to milliseconds; `None` when empty.
    fn seconds_ms(&self, i: usize) -> Result<Option<u64>, CsvError> {
        let s = self.text(i);
        if s.is_empty() {
            return Ok(None);
        }
        seconds_to_ms(s).map(Some).ok_or_else(|| {
            self.error(
                i,
                format!("expected a non-negative number of seconds, found `{s}`"),
            )
        })
    }
}

fn seconds_to_ms(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) {
        return None;
    }
    let ms: String = frac.chars().chain("000".chars()).take(3).collect();
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(ms.parse::<u64>().ok()?)
}

/// Splits one CSV line; fields may be double-quoted (`""` inside is a quote). Fields are trimmed.
fn split_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field).trim().to_string()),
            c => field.push(c),
        }
    }
    out.push(field.trim().to_string());
    out
}

/// The data rows of `input`, with the `wanted` columns found by the header's names.
fn table<'a>(input: CsvInput<'a>, wanted: &'a [&'a str]) -> Result<Vec<Row<'a>>, CsvError> {
    let mut lines = input
        .text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let error = |line: usize, column: Option<&str>, message: String| CsvError {
        file: input.name.to_string(),
        line,
        column: column.map(str::to_string),
        message,
    };
    let Some((header_line, header)) = lines.next() else {
        return Err(error(
            1,
            None,
            "the file is empty: expected a header".into(),
        ));
    };
    let header = split_line(header);
    let mut positions = Vec::new();
    for name in wanted {
        let at = header.iter().position(|h| h == name).ok_or_else(|| {
            let message = format!(
                "the header has no such column (expected {})",
                wanted.join(",")
            );
            error(header_line, Some(name), message)
        })?;
        positions.push(at);
    }
    let mut rows = Vec::new();
    for (line, text) in lines {
        let mut fields = split_line(text);
        if fields.len() != header.len() {
            let message = format!(
                "expected {} columns ({}), found {}",
                header.len(),
                header.join(","),
                fields.len()
            );
            return Err(error(line, None, message));
        }
        let picked = positions.iter().map(|&p| std::mem::take(&mut fields[p]));
        rows.push(Row {
            file: input.name,
            line,
            names: wanted,
            fields: picked.collect(),
        });
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Nodes and pods

/// One fleet entry: a node shape and how many nodes have it.
#[derive(Debug)]
struct NodeShape {
    cpu_units: u64,
    memory_mib: u64,
    gpus: u64,
    model: String,
    count: u64,
}

fn cpu_units(milli: u64) -> u64 {
    milli.saturating_mul(1024) / 1000
}

fn read_nodes(input: CsvInput<'_>) -> Result<Vec<NodeShape>, CsvError> {
    let mut shapes: Vec<NodeShape> = Vec::new();
    let mut index: BTreeMap<(u64, u64, u64, String), usize> = BTreeMap::new();
    for row in table(input, &NODE_COLUMNS)? {
        let key = (
            cpu_units(row.u64(1)?),
            row.u64(2)?,
            row.u64(3)?,
            row.text(4).to_string(),
        );
        let i = *index.entry(key.clone()).or_insert_with(|| {
            shapes.push(NodeShape {
                cpu_units: key.0,
                memory_mib: key.1,
                gpus: key.2,
                model: key.3,
                count: 0,
            });
            shapes.len() - 1
        });
        shapes[i].count += 1;
    }
    Ok(shapes)
}

/// One pod, in ECS terms.
#[derive(Debug)]
struct Pod {
    /// 0-based data row in the pod file.
    row: usize,
    name: String,
    cpu_units: u64,
    memory_mib: u64,
    gpus: u64,
    gpu_spec: Vec<String>,
    created_ms: u64,
    deleted_ms: Option<u64>,
}

impl Pod {
    fn family(&self) -> String {
        format!("pod-{}-{}-{}", self.cpu_units, self.memory_mib, self.gpus)
    }
}

fn read_pods(input: CsvInput<'_>) -> Result<Vec<Pod>, CsvError> {
    let mut pods = Vec::new();
    for (i, row) in table(input, &POD_COLUMNS)?.into_iter().enumerate() {
        let num_gpu = row.u64(3)?;
        let gpu_milli = row.u64(4)?;
        let created_ms = row
            .seconds_ms(6)?
            .ok_or_else(|| row.error(6, "expected a number of seconds, found nothing".into()))?;
        pods.push(Pod {
            row: i,
            name: row.text(0).to_string(),
            cpu_units: cpu_units(row.u64(1)?),
            memory_mib: row.u64(2)?.max(MIN_MEMORY_MIB),
            gpus: if num_gpu == 0 && gpu_milli > 0 {
                1
            } else {
                num_gpu
            },
            gpu_spec: row
                .text(5)
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            created_ms,
            deleted_ms: row.seconds_ms(7)?,
        });
    }
    Ok(pods)
}

/// The distinct pod shapes, in order of first use: (family, cpu units, memory, GPUs).
fn families(pods: &[Pod]) -> Vec<(String, u64, u64, u64)> {
    let mut seen = BTreeSet::new();
    pods.iter()
        .filter(|p| seen.insert(p.family()))
        .map(|p| (p.family(), p.cpu_units, p.memory_mib, p.gpus))
        .collect()
}

/// A timeline entry: pod `pod` (an index into the imported pods) arrives or departs.
struct Event {
    at_ms: u64,
    departure: bool,
    pod: usize,
}

/// Arrivals and departures in time order; at one time departures first, then in pod order.
fn events(pods: &[Pod]) -> Vec<Event> {
    let mut out = Vec::new();
    for (i, p) in pods.iter().enumerate() {
        out.push(Event {
            at_ms: p.created_ms,
            departure: false,
            pod: i,
        });
        if let Some(d) = p.deleted_ms {
            out.push(Event {
                at_ms: d,
                departure: true,
                pod: i,
            });
        }
    }
    out.sort_by_key(|e| (e.at_ms, !e.departure, e.pod));
    out
}

// ---------------------------------------------------------------------------------------------
// Output

struct Parts<'a> {
    options: &'a OpenbOptions,
    nodes_file: &'a str,
    pods_file: &'a str,
    shapes: &'a [NodeShape],
    pods: &'a [Pod],
    families: &'a [(String, u64, u64, u64)],
    events: &'a [Event],
    until_ms: u64,
}

fn render(p: &Parts<'_>) -> String {
    let o = p.options;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `ecsim import alibaba-openb` from {} and {}.\n\
         # GPU-sharing pods take one whole GPU; a pod that fits nowhere fails to place and is gone;\n\
         # a pod leaves with crash_tasks (exit 0) on its task group pod-<row>, a no-op when it never placed.",
        base_name(p.nodes_file),
        base_name(p.pods_file)
    );
    let description = format!(
        "Alibaba GPU cluster trace 2023 (openb): {} nodes in {} shapes, {} pods ({} task definitions).",
        p.shapes.iter().map(|s| s.count).sum::<u64>(),
        p.shapes.len(),
        p.pods.len(),
        p.families.len()
    );
    let _ = writeln!(out, "name: {}", scalar(&o.name));
    let _ = writeln!(out, "description: {}", scalar(&description));
    let _ = writeln!(out, "seed: {}", o.seed);
    let _ = writeln!(out, "until: {}", p.until_ms);
    let _ = writeln!(out, "sampleEvery: {}", sample_every(p.until_ms, 2_000));
    section(&mut out, "containerInstances", &fleet(p.shapes, o));
    let mut tds = Vec::new();
    for (family, cpu, memory, gpus) in p.families {
        let mut container = json!({
            "name": "pod", "image": "alibaba/openb-pod", "cpu": cpu, "memory": memory,
        });
        if *gpus > 0 {
            container["resourceRequirements"] = json!([{"type": "GPU", "value": gpus.to_string()}]);
        }
        tds.push(json!({"family": family, "containerDefinitions": [container]}));
    }
    section(&mut out, "taskDefinitions", &tds);
    let timeline: Vec<Value> = p.events.iter().map(|e| entry(e, &p.pods[e.pod])).collect();
    section(&mut out, "timeline", &timeline);
    out
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The fleet entries, with zone lists rotated so that zones go round-robin over the whole fleet.
fn fleet(shapes: &[NodeShape], o: &OpenbOptions) -> Vec<Value> {
    let zones: Vec<String> = (0..o.azs.clamp(1, 26))
        .map(|i| format!("{}{}", o.region, char::from(b'a' + i as u8)))
        .collect();
    let mut used = BTreeSet::new();
    let mut registered = 0u64;
    let mut out = Vec::new();
    for s in shapes {
        let start = (registered % zones.len() as u64) as usize;
        let rotated: Vec<&String> = zones[start..].iter().chain(&zones[..start]).collect();
        registered += s.count;
        let mut resources = vec![
            json!({"name": "CPU", "type": "INTEGER", "integerValue": s.cpu_units}),
            json!({"name": "MEMORY", "type": "INTEGER", "integerValue": s.memory_mib}),
        ];
        if s.gpus > 0 {
            resources.push(json!({"name": "GPU", "type": "INTEGER", "integerValue": s.gpus}));
        }
        let mut e = json!({
            "count": s.count,
            "ec2InstanceIdPrefix": unique(&mut used, instance_prefix(s)),
            "availabilityZones": rotated,
        });
        if !s.model.is_empty() {
            e["attributes"] = json!({"gpu-model": s.model});
        }
        e["totalResources"] = Value::Array(resources);
        out.push(e);
    }
    out
}

/// `i-<cpus>c-<memory>-<gpus>x<model>`, e.g. `i-96c-384g-8xg2`.
fn instance_prefix(s: &NodeShape) -> String {
    let memory = if s.memory_mib.is_multiple_of(1024) {
        format!("{}g", s.memory_mib / 1024)
    } else {
        format!("{}m", s.memory_mib)
    };
    let mut p = format!("i-{}c-{memory}", s.cpu_units / 1024);
    if !s.cpu_units.is_multiple_of(1024) {
        p = format!("i-{}u-{memory}", s.cpu_units);
    }
    if s.gpus > 0 || !s.model.is_empty() {
        let model: String = s
            .model
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let _ = write!(p, "-{}x{model}", s.gpus);
    }
    p
}

fn unique(used: &mut BTreeSet<String>, prefix: String) -> String {
    let mut candidate = prefix.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{prefix}-s{n}");
        n += 1;
    }
    candidate
}

fn entry(e: &Event, pod: &Pod) -> Value {
    let group = format!("pod-{}", pod.row);
    if e.departure {
        return json!({"at": e.at_ms, "crash_tasks": {"group": group, "exitCode": 0}});
    }
    let mut run = json!({"taskDefinition": pod.family(), "group": group});
    let started_by_ok = !pod.name.is_empty()
        && pod.name.len() <= 128
        && pod
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
    if started_by_ok {
        run["startedBy"] = json!(pod.name);
    }
    if !pod.gpu_spec.is_empty() {
        let expression = format!("attribute:gpu-model in [{}]", pod.gpu_spec.join(", "));
        run["placementConstraints"] = json!([{"type": "memberOf", "expression": expression}]);
    }
    json!({"at": e.at_ms, "run_task": run, "save": format!("p{}", pod.row)})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> OpenbOptions {
        OpenbOptions {
            name: "t".into(),
            azs: 3,
            limit: None,
            seed: 0,
            region: "us-east-1".into(),
        }
    }

    fn input<'a>(name: &'a str, text: &'a str) -> CsvInput<'a> {
        CsvInput { name, text }
    }

    const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,0,\nn1,8000,32768,1,V100M16\nn2,32000,262144,0,\n";
    const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
        a,1000,2048,1,460,V100M16|P100,LS,Running,10,20,10\n\
        b,500,0,0,0,,BE,Running,5,,5\n\
        c,500,1024,0,0,,BE,Failed,7,7,\n";

    #[test]
    fn maps_nodes_pods_and_times() {
        let r = alibaba_openb(input("n.csv", NODES), input("p.csv", PODS), &options()).unwrap();
        assert_eq!((r.nodes, r.node_shapes, r.pods, r.skipped), (3, 2, 2, 1));
        assert!(r.yaml.contains("- {count: 2, ec2InstanceIdPrefix: i-32c-256g, availabilityZones: [us-east-1a, us-east-1b, us-east-1c], totalResources: [{name: CPU, type: INTEGER, integerValue: 32768}"), "{}", r.yaml);
        assert!(r.yaml.contains("ec2InstanceIdPrefix: i-8c-32g-1xv100m16, availabilityZones: [us-east-1c, us-east-1a, us-east-1b], attributes: {gpu-model: V100M16}"), "{}", r.yaml);
        assert!(r.yaml.contains("{family: pod-512-6-0, containerDefinitions: [{name: pod, image: alibaba/openb-pod, cpu: 512, memory: 6}]}"), "{}", r.yaml);
        assert!(
            r.yaml
                .contains(r#"resourceRequirements: [{type: GPU, value: "1"}]"#)
        );
        assert!(r.yaml.contains(r#"{at: 10000, run_task: {taskDefinition: pod-1024-2048-1, group: pod-0, startedBy: a, placementConstraints: [{type: memberOf, expression: "attribute:gpu-model in [V100M16, P100]"}]}, save: p0}"#), "{}", r.yaml);
        assert!(
            r.yaml
                .contains("{at: 20000, crash_tasks: {group: pod-0, exitCode: 0}}")
        );
        assert_eq!(r.until_ms, 80_000);
        let s = crate::load(&r.yaml, "t.yaml", &|_| Err("no files".into())).unwrap();
        assert_eq!(s.timeline.len(), 3);
        assert_eq!(s.timeline[0].at_ms, 5000);
    }

    #[test]
    fn malformed_rows_name_line_and_column() {
        let bad = "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,0,\nn1,8k,1,0,\n";
        let e = alibaba_openb(input("n.csv", bad), input("p.csv", PODS), &options()).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (3, Some("cpu_milli")));
        assert!(
            e.to_string().starts_with("n.csv:3: column `cpu_milli`:"),
            "{e}"
        );
        let short = "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144\n";
        let e = alibaba_openb(input("n.csv", short), input("p.csv", PODS), &options()).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (2, None));
        assert!(e.message.contains("found 3"), "{e}");
    }

    #[test]
    fn helpers() {
        assert_eq!(seconds_to_ms("12"), Some(12_000));
        assert_eq!(seconds_to_ms("1.5"), Some(1_500));
        assert_eq!(seconds_to_ms("-1"), None);
        assert_eq!(split_line(r#"a,"b,c","d""e""#), vec!["a", "b,c", "d\"e"]);
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("${p1.x}"), "\"${p1.x}\"");
    }
}
