//! `ecsim import alibaba-openb`: a small slice of the trace format becomes a scenario that loads,
//! runs end to end and places what it should; malformed CSV is exit 2 with file:line and the
//! column; the real trace (when `../shared/data/alibaba-openb/` exists) imports and runs.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const NODES: &str = "sn,cpu_milli,memory_mib,gpu,model
n0,32000,131072,0,
n1,32000,131072,0,
n2,8000,32768,1,V100M16
n3,8000,32768,1,V100M16
n4,96000,393216,8,G2
n5,16000,122880,2,P100
";

/// 20 pods, not in creation order: one fits nowhere (row 0), a GPU share bound to P100 (row 1),
/// an 8-GPU pod bound to G2 (row 2), one without deletion_time (row 3), one that leaves when it
/// arrives (row 4, skipped), twelve CPU pods, and three GPU shares after the big ones left.
fn pods() -> String {
    let mut s = String::from(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
         big,200000,1024,0,0,,BE,Pending,5,100,\n\
         share-p100,4000,8192,1,460,P100,LS,Running,25,500,25\n\
         train-g2,32000,65536,8,1000,G2,LS,Running,20,400,20\n\
         forever,1000,1024,0,0,,BE,Running,30,,30\n\
         zero,1000,1024,0,0,,BE,Pending,40,40,\n",
    );
    for i in 0..12 {
        let t = 50 + 10 * i;
        s.push_str(&format!(
            "cpu-{i},2000,4096,0,0,,BE,Running,{t},{},{t}\n",
            t + 60
        ));
    }
    s.push_str("share-a,4000,8192,1,500,,LS,Running,600,700,600\n");
    s.push_str("share-b,4000,8192,1,500,,LS,Running,610,700,610\n");
    s.push_str("share-c,4000,8192,1,1000,V100M16|P100,LS,Running,620,700,620\n");
    s
}

fn import(dir: &Path, extra: &[&str]) -> (std::process::Output, PathBuf) {
    let nodes = write(dir, "nodes.csv", NODES);
    let pods = write(dir, "pods.csv", &pods());
    let out = dir.join("slice.yaml");
    let mut args = vec![
        "import",
        "alibaba-openb",
        nodes.to_str().unwrap(),
        pods.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    (ecsim(&args), out)
}

#[test]
fn a_slice_imports_to_the_expected_fleet_and_task_definitions() {
    let dir = temp_dir("import-slice");
    let (o, out) = import(&dir, &[]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let s = load_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(s.name, "slice");
    let fleet: Vec<(u64, Vec<String>)> = s
        .fleet
        .iter()
        .map(|e| (e.count, e.availability_zones.clone()))
        .collect();
    let zones = |v: &[&str]| {
        v.iter()
            .map(|z| format!("us-east-1{z}"))
            .collect::<Vec<_>>()
    };
    // One entry per shape; zone lists rotated so zones go round-robin over all six nodes.
    assert_eq!(
        fleet,
        vec![
            (2, zones(&["a", "b", "c"])),
            (2, zones(&["c", "a", "b"])),
            (1, zones(&["b", "c", "a"])),
            (1, zones(&["c", "a", "b"])),
        ]
    );
    let families: Vec<&str> = s
        .task_definitions
        .iter()
        .map(|r| r.body["family"].as_str().unwrap())
        .collect();
    assert_eq!(
        families,
        [
            "pod-204800-1024-0",
            "pod-32768-65536-8",
            "pod-4096-8192-1",
            "pod-1024-1024-0",
            "pod-2048-4096-0"
        ]
    );
    let share = &s.task_definitions[2].body["containerDefinitions"][0];
    assert_eq!(share["cpu"], 4096);
    assert_eq!(share["memory"], 8192);
    assert_eq!(share["resourceRequirements"][0]["value"], "1");
    assert!(
        s.task_definitions[0].body["containerDefinitions"][0]["resourceRequirements"].is_null()
    );
    // 19 arrivals (the pod that leaves when it arrives is skipped), 18 departures.
    let ops: Vec<&str> = s.timeline.iter().map(|e| e.action.name()).collect();
    assert_eq!(ops.iter().filter(|o| **o == "run_task").count(), 19);
    assert_eq!(ops.iter().filter(|o| **o == "crash_tasks").count(), 18);
    assert_eq!(s.timeline[0].save.as_deref(), Some("p0"));
    assert_eq!(s.until_ms, 760_000);
    assert!(text.contains(r#"expression: "attribute:gpu-model in [V100M16, P100]""#));
    // Same input, same bytes.
    let (o, _) = import(&dir, &[]);
    assert_eq!(code(&o), 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}

/// Expectations appended to the imported slice: where the constrained pods went, and that a
/// pod's departure stops its task with exit code 0.
const EXPECT: &str = r#"expect:
  - at: 300s
    describe_tasks: {tasks: ["${p1.tasks[0].taskArn}"]}
    match: {tasks: [{containerInstanceArn: "${ec2:i-16c-120g-2xp100-1}", lastStatus: RUNNING}]}
  - at: 300s
    describe_tasks: {tasks: ["${p2.tasks[0].taskArn}"]}
    match: {tasks: [{containerInstanceArn: "${ec2:i-96c-384g-8xg2-1}"}]}
  - at: 750s
    describe_tasks: {tasks: ["${p1.tasks[0].taskArn}", "${p3.tasks[0].taskArn}"]}
    match:
      tasks:
        - {lastStatus: STOPPED, stopCode: EssentialContainerExited, containers: [{exitCode: 0}], startedBy: share-p100}
        - {lastStatus: RUNNING, startedBy: forever}
  - at: 750s
    describe_tasks: {tasks: ["${p19.tasks[0].taskArn}"]}
    match: {tasks: [{containerInstanceArn: "re:.", lastStatus: STOPPED}]}
"#;

#[test]
fn the_imported_slice_runs_end_to_end() {
    let dir = temp_dir("import-run");
    let (o, out) = import(&dir, &["--name", "openb-slice", "--seed", "3"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let mut text = std::fs::read_to_string(&out).unwrap();
    text.push_str(EXPECT);
    let f = write(&dir, "slice-expect.yaml", &text);
    let o = ecsim(&["run", f.to_str().unwrap(), "--json"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let s: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["scenario"], "openb-slice");
    assert_eq!(s["seed"], 3);
    assert_eq!(s["endTimeMs"], 760_000);
    assert_eq!(s["expectations"]["passed"], 4, "{s}");
    assert_eq!(s["expectations"]["failed"], 0);
    // Everything places but the pod too big for any node.
    assert_eq!(s["placements"]["placed"], 18, "{s}");
    assert!(
        s["placements"]["failuresByReason"]["RESOURCE:CPU"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{s}"
    );
    let instances = s["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 6);
    let g2 = instances
        .iter()
        .find(|i| i["ec2InstanceId"] == "i-96c-384g-8xg2-1")
        .unwrap_or_else(|| panic!("no G2 instance: {s}"));
    assert_eq!(g2["registered"]["CPU"], 98_304);
    assert_eq!(g2["registered"]["MEMORY"], 393_216);
    assert_eq!(g2["registered"]["GPU"], 8);
    assert_eq!(g2["availabilityZone"], "us-east-1b");
    // Only the pod without deletion_time is still running at the end.
    let running: u64 = instances
        .iter()
        .map(|i| i["runningTasksCount"].as_u64().unwrap())
        .sum();
    assert_eq!(running, 1, "{s}");
}

#[test]
fn limit_keeps_the_first_pods_by_creation_time() {
    let dir = temp_dir("import-limit");
    let (o, out) = import(&dir, &["--limit", "3", "--azs", "1"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let s = load_text(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let saved: Vec<&str> = s
        .timeline
        .iter()
        .filter_map(|e| e.save.as_deref())
        .collect();
    assert_eq!(saved, ["p0", "p2", "p1"]);
    assert!(
        s.fleet
            .iter()
            .all(|e| e.availability_zones == ["us-east-1a"])
    );
    // The last event is p1 leaving at 500 s.
    assert_eq!(s.until_ms, 560_000);
}

#[test]
fn malformed_csv_is_exit_2_with_file_line_and_column() {
    let dir = temp_dir("import-bad");
    let nodes = write(&dir, "nodes.csv", NODES);
    let out = dir.join("bad.yaml");
    let mut bad = pods();
    bad = bad.replacen("share-p100,4000,8192", "share-p100,4000,8x92", 1);
    let pods = write(&dir, "pods.csv", &bad);
    let run = |n: &Path, p: &Path| {
        ecsim(&[
            "import",
            "alibaba-openb",
            n.to_str().unwrap(),
            p.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let o = run(&nodes, &pods);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    let e = stderr(&o);
    assert!(e.contains("pods.csv:3:"), "{e}");
    assert!(e.contains("memory_mib") && e.contains("8x92"), "{e}");
    assert!(!out.exists());

    let short = NODES.replace("n2,8000,32768,1,V100M16", "n2,8000,32768");
    let nodes = write(&dir, "nodes-short.csv", &short);
    let pods = write(&dir, "pods-ok.csv", &self::pods());
    let o = run(&nodes, &pods);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
    let e = stderr(&o);
    assert!(e.contains("nodes-short.csv:4:"), "{e}");
    assert!(
        e.contains("expected 5 columns") && e.contains("found 3"),
        "{e}"
    );

    let o = run(&dir.join("missing.csv"), &pods);
    assert_eq!(code(&o), 2, "{}", all_output(&o));
}

#[test]
fn the_real_trace_imports_and_runs_when_present() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/alibaba-openb");
    let nodes = data.join("openb_node_list_all_node.csv");
    let pods = data.join("openb_pod_list_default.csv");
    if !nodes.exists() || !pods.exists() {
        eprintln!("skipped: {} is not there", data.display());
        return;
    }
    let dir = temp_dir("import-real");
    let out = dir.join("openb-500.yaml");
    let o = ecsim(&[
        "import",
        "alibaba-openb",
        nodes.to_str().unwrap(),
        pods.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--limit",
        "500",
    ]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let o = ecsim(&["run", out.to_str().unwrap(), "--json"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let s: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["instances"].as_array().unwrap().len(), 1523);
    let p = &s["placements"];
    let total = p["placed"].as_u64().unwrap() + p["failed"].as_u64().unwrap();
    assert!(total >= 500, "{s}");
}
