//! Self-tests of the generators: revisions are numbered as ECS numbers them, generated scenario
//! text loads, and a generated world sets up without an API error.

use super::focused::deployment_plan;
use super::{Driver, Plan, plan};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn sample<S: Strategy>(s: S, seed: u8) -> S::Value {
    let mut runner = TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[seed; 32],
        ),
    );
    s.new_tree(&mut runner).expect("a value").current()
}

fn loads(text: &str) -> Result<ecsim_scenario::Scenario, String> {
    let no_files = |rel: &str| Err(format!("no such file: {rel}"));
    ecsim_scenario::load(text, "generated.yaml", &no_files).map_err(|e| e.to_string())
}

#[test]
fn deployments_use_increasing_revisions() {
    let p: Plan = sample(deployment_plan(60_000), 1);
    let calls = p.calls();
    let update = calls
        .iter()
        .find(|c| c.op == "update_service" && c.body.get("taskDefinition").is_some())
        .expect("a deployment");
    assert_eq!(update.body["taskDefinition"], "web:2");
    assert_eq!(calls[calls.len() - 2].op, "register_task_definition");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn generated_yaml_loads(p in plan()) {
        let yaml = p.to_yaml();
        let s = loads(&yaml);
        prop_assert!(s.is_ok(), "{}\n{yaml}", s.err().unwrap_or_default());
        prop_assert_eq!(s.map(|s| s.timeline.len()).unwrap_or(0), p.calls().len());
    }

    #[test]
    fn generated_worlds_set_up(p in plan()) {
        let d = Driver::new(&p);
        prop_assert!(d.is_ok(), "{}\n{}", d.err().unwrap_or_default(), p.to_yaml());
    }
}

#[test]
fn print_a_sample() {
    println!("{}", sample(plan(), 3).to_yaml());
}
