//! Placement explanations in words: what a `Shortfall` means for one instance ("needs 1024 MiB,
//! has 512 remaining"; "port 80/tcp held by task ..."; "attribute:stack is dev").

use super::filters::{PlacementInput, Shortfall};
use crate::cql::{CqlSubject, InstanceView};
use crate::ids::InstanceId;
use crate::world::World;

/// One sentence on why `instance` failed its first filter.
pub fn describe(
    world: &World,
    instance: InstanceId,
    input: &PlacementInput<'_>,
    s: &Shortfall,
) -> String {
    let inst = world.instance(instance);
    match s {
        Shortfall::Status => format!("status is {}: no new tasks", inst.status.as_str()),
        Shortfall::AgentDisconnected => "the container agent is disconnected".into(),
        Shortfall::MissingAttribute(i) => {
            let name = input
                .required_attributes
                .get(*i)
                .map_or("?", String::as_str);
            format!("lacks the required attribute {name}")
        }
        Shortfall::OutsideZones => format!(
            "is in {}, the task's subnets are in {}",
            inst.availability_zone.as_deref().unwrap_or("no known zone"),
            input.allowed_zones.unwrap_or_default().join(", ")
        ),
        Shortfall::Cpu { needs, has } => format!("needs {needs} CPU units, has {has} remaining"),
        Shortfall::Memory { needs, has } => format!("needs {needs} MiB, has {has} remaining"),
        Shortfall::Gpu { needs, has } => format!("needs {needs} GPUs, has {has} available"),
        Shortfall::PortTaken { port, udp, holder } => {
            let proto = if *udp { "udp" } else { "tcp" };
            match holder {
                Some(t) => format!("port {port}/{proto} held by task {}", world.task(*t).uuid),
                None => format!("port {port}/{proto} is reserved by the container agent"),
            }
        }
        Shortfall::PortCap { reserved, adding } => format!(
            "{reserved} ports reserved, {adding} more would exceed the limit of 100 reserved ports"
        ),
        Shortfall::NoDynamicPorts { needs, free } => {
            format!("needs {needs} dynamic host ports, {free} ephemeral ports free")
        }
        Shortfall::Eni { limit, attached } => format!(
            "all {limit} network interfaces in use ({attached} attached, the primary included)"
        ),
        Shortfall::MemberOf(i) => member_of(world, instance, input, *i),
        Shortfall::DistinctInstance(t) => {
            format!(
                "task {} of group {} is already here",
                world.task(*t).uuid,
                input.group
            )
        }
    }
}

fn member_of(world: &World, instance: InstanceId, input: &PlacementInput<'_>, i: usize) -> String {
    let Some(expr) = input.member_of.get(i) else {
        return "a memberOf expression is false".into();
    };
    let view = InstanceView {
        world,
        instance,
        epoch_unix_ms: input.epoch_unix_ms,
    };
    let values: Vec<String> = expr
        .subjects()
        .iter()
        .map(|s| format!("{s} is {}", value_of(&view, s)))
        .collect();
    format!("`{}` is false here: {}", expr.source(), values.join(", "))
}

/// The instance's value of a CQL subject, for messages.
fn value_of(view: &InstanceView<'_>, subject: &str) -> String {
    if let Some(name) = subject.strip_prefix("attribute:") {
        return match view.attribute(name) {
            None => "missing".into(),
            Some(None) => "present without a value".into(),
            Some(Some(v)) => v.to_string(),
        };
    }
    match subject {
        "agentConnected" => view.agent_connected().to_string(),
        "agentVersion" => view.agent_version().unwrap_or("unknown").to_string(),
        "ec2InstanceId" => view.ec2_instance_id().unwrap_or("none").to_string(),
        "registeredAt" => format!("{} ms after the Unix epoch", view.registered_at_unix_ms()),
        "runningTasksCount" => view.running_tasks_count().to_string(),
        "task:group" => {
            let mut groups = Vec::new();
            view.for_each_task_group(&mut |g| {
                if !groups.iter().any(|x: &String| x == g) {
                    groups.push(g.to_string());
                }
            });
            if groups.is_empty() {
                "no tasks".into()
            } else {
                format!("[{}]", groups.join(", "))
            }
        }
        _ => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::filters::test_support::{Fixture, input};
    use super::super::filters::{Verdict, check};
    use super::*;
    use crate::cql;
    use crate::resources::Requirement;

    fn why(f: &Fixture, i: usize, input: &PlacementInput<'_>) -> String {
        match check(&f.world, f.inst(i), input) {
            Verdict::Reject(_, s) => describe(&f.world, InstanceId(i as u32), input, &s),
            Verdict::Fit => "fits".into(),
        }
    }

    #[test]
    fn says_by_how_much() {
        let f = Fixture::new(1, 1024, 512);
        let req = Requirement {
            memory_mib: 1024,
            ..Default::default()
        };
        assert_eq!(
            why(&f, 0, &input(&req)),
            "needs 1024 MiB, has 512 remaining"
        );
    }

    #[test]
    fn names_the_port_holder() {
        let mut f = Fixture::new(1, 4096, 4096);
        let t = f.place(
            0,
            Requirement {
                ports_tcp: vec![80],
                ..Default::default()
            },
        );
        let req = Requirement {
            ports_tcp: vec![80],
            ..Default::default()
        };
        let uuid = f.world.tasks[t.index()].uuid;
        assert_eq!(
            why(&f, 0, &input(&req)),
            format!("port 80/tcp held by task {uuid}")
        );
    }

    #[test]
    fn shows_attribute_values_for_member_of() {
        let mut f = Fixture::new(1, 4096, 4096);
        f.world.instances[0]
            .attributes
            .insert("stack".into(), Some("dev".into()));
        let req = Requirement::default();
        let exprs = [cql::parse("attribute:stack == prod").unwrap()];
        let mut i = input(&req);
        i.member_of = &exprs;
        assert_eq!(
            why(&f, 0, &i),
            "`attribute:stack == prod` is false here: attribute:stack is dev"
        );
    }
}
