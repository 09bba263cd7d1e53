//! The committed outputs in `reports/` (the README's `ecsim compare` and `ecsim plan` examples)
//! are regenerated here and must not drift. After an intended change, regenerate them with
//! `ECSIM_BLESS=1 cargo test --test it reports::` and commit the result.

use crate::support::{all_output, ecsim, stdout};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs an ecsim command (paths relative to the repository) writing into a scratch directory,
/// saves its standard output as `stdout_name`, and compares every file with `reports/<dir>`.
fn check(dir: &str, stdout_name: &str, args: &[&str]) {
    let scratch = crate::support::temp_dir(&format!("reports-{dir}"));
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all[1] = root().join(args[1]).display().to_string();
    all.extend(["--out".to_string(), scratch.display().to_string()]);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let o = ecsim(&refs);
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        all_output(&o)
    );
    let text = stdout(&o).replace(&root().display().to_string(), ".");
    std::fs::write(scratch.join(stdout_name), text).unwrap();
    let committed = root().join("reports").join(dir);
    if std::env::var_os("ECSIM_BLESS").is_some() {
        std::fs::create_dir_all(&committed).unwrap();
        for f in files(&scratch) {
            std::fs::copy(scratch.join(&f), committed.join(&f)).unwrap();
        }
        return;
    }
    for f in files(&scratch) {
        let fresh = std::fs::read_to_string(scratch.join(&f)).unwrap();
        let old = std::fs::read_to_string(committed.join(&f)).unwrap_or_default();
        assert!(
            fresh == old,
            "reports/{dir}/{f} drifted; regenerate with ECSIM_BLESS=1 cargo test --test it reports:: and commit it"
        );
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

#[test]
fn strategy_comparison_report_is_current() {
    check(
        "strategy-comparison",
        "compare.txt",
        &[
            "compare",
            "scenarios/strategy-comparison.yaml",
            "--seeds",
            "3",
            "--strategy",
            "random",
            "--strategy",
            "binpack(memory)",
            "--strategy",
            "spread(attribute:ecs.availability-zone),binpack(memory)",
            "--strategy",
            "spread(instanceId)",
        ],
    );
}

#[test]
fn capacity_plan_report_is_current() {
    check(
        "capacity-plan",
        "plan.txt",
        &[
            "plan",
            "scenarios/capacity-plan.yaml",
            "--vary",
            "containerInstances[0].count=3..30",
            "--survive",
            "az-loss",
        ],
    );
}
