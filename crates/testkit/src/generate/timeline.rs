//! Generated timelines: deployments (a new task definition revision, then UpdateService),
//! scaling, draining and re-activating instances, instance failures, crashing service tasks,
//! and standalone RunTask / StopTask.

use proptest::prelude::*;
use proptest::sample::Index;

/// One thing that happens at a simulated time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Register the next revision of the service's family and update the service to it.
    Deploy {
        service: usize,
    },
    Scale {
        service: usize,
        desired: u32,
    },
    Drain {
        ec2: String,
    },
    Activate {
        ec2: String,
    },
    Fail {
        ec2: String,
    },
    Crash {
        service: usize,
        count: u32,
    },
    RunTask {
        job: usize,
        count: u32,
    },
    /// Stop the first task of the `run`-th RunTask before this step (if it placed one).
    StopTask {
        run: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub at_ms: u64,
    pub action: Action,
}

/// What a timeline can refer to.
#[derive(Clone, Debug)]
pub struct Targets {
    pub services: usize,
    pub jobs: usize,
    pub ec2_ids: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Deploy,
    Scale,
    Drain,
    Activate,
    Fail,
    Crash,
    Run,
    Stop,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Deploy),
        2 => Just(Kind::Scale),
        2 => Just(Kind::Drain),
        1 => Just(Kind::Activate),
        1 => Just(Kind::Fail),
        2 => Just(Kind::Crash),
        2 => Just(Kind::Run),
        1 => Just(Kind::Stop),
    ]
}

fn action(k: Kind, t: &Targets, i: Index, n: u32) -> Option<Action> {
    let pick = |len: usize| (len > 0).then(|| i.index(len));
    Some(match k {
        Kind::Deploy => Action::Deploy {
            service: pick(t.services)?,
        },
        Kind::Scale => Action::Scale {
            service: pick(t.services)?,
            desired: n,
        },
        Kind::Drain => Action::Drain {
            ec2: t.ec2_ids[pick(t.ec2_ids.len())?].clone(),
        },
        Kind::Activate => Action::Activate {
            ec2: t.ec2_ids[pick(t.ec2_ids.len())?].clone(),
        },
        Kind::Fail => Action::Fail {
            ec2: t.ec2_ids[pick(t.ec2_ids.len())?].clone(),
        },
        Kind::Crash => Action::Crash {
            service: pick(t.services)?,
            count: n.clamp(1, 3),
        },
        Kind::Run => Action::RunTask {
            job: pick(t.jobs)?,
            count: n.clamp(1, 4),
        },
        Kind::Stop => Action::StopTask { run: i.index(4) },
    })
}

/// Up to `max_steps` steps in the first `span_s` seconds, sorted by time (stable).
pub fn timeline(t: Targets, max_steps: usize, span_s: u64) -> impl Strategy<Value = Vec<Step>> {
    let step = (0..=span_s, kind(), any::<Index>(), 0u32..=8);
    prop::collection::vec(step, 0..=max_steps).prop_map(move |raw| {
        let mut steps: Vec<Step> = raw
            .into_iter()
            .filter_map(|(at, k, i, n)| {
                action(k, &t, i, n).map(|action| Step {
                    at_ms: at * 1000,
                    action,
                })
            })
            .collect();
        steps.sort_by_key(|s| s.at_ms);
        steps
    })
}
