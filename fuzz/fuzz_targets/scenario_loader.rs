//! Arbitrary bytes as scenario text: loading never panics, and a scenario that loads runs
//! (briefly: at most 20,000 events, one simulated hour) with the engine's invariants checked
//! after every event and not one audit failure.

#![no_main]

use ecsim::scenario::{RunOptions, load, run};
use libfuzzer_sys::fuzz_target;

/// Larger fleets only make a run slow, not more interesting.
const MAX_INSTANCES: u64 = 64;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let no_files = |rel: &str| Err(format!("no such file: {rel}"));
    let Ok(scenario) = load(text, "fuzz.yaml", &no_files) else {
        return;
    };
    if scenario.fleet.iter().map(|f| f.count).sum::<u64>() > MAX_INSTANCES {
        return;
    }
    let options = RunOptions {
        max_events: Some(20_000),
        until_ms: Some(scenario.until_ms.min(3_600_000)),
        check_invariants: true,
        ..RunOptions::default()
    };
    let out = run(&scenario, options);
    let failures = out.api.engine.audit_failures();
    assert!(
        failures.is_empty(),
        "engine invariants broken: {failures:#?}"
    );
});
