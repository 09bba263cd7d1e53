//! F8 RESOURCE:PORTS and F9 RESOURCE:ENI.
//!
//! Ports: no static host port of the task may already be reserved on the instance (TCP and UDP
//! separately); TCP and UDP reservations together may not exceed the 100-port cap; the dynamic
//! mappings need free ephemeral ports. ENIs: an awsvpc task needs a free attachment.

use super::{PlacementInput, Shortfall};
use crate::ids::TaskId;
use crate::instance::Instance;
use crate::resources::{EPHEMERAL_PORTS, MAX_RESERVED_PORTS};
use crate::world::World;

pub fn ports(world: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    match ports_short(inst, input)? {
        Shortfall::PortTaken { port, udp, .. } => Some(Shortfall::PortTaken {
            port,
            udp,
            holder: holder(world, inst, port, udp),
        }),
        other => Some(other),
    }
}

/// Whether the ports filter passes (`ports(..).is_none()`, without looking up who holds a port).
pub fn ports_fit(inst: &Instance, input: &PlacementInput<'_>) -> bool {
    ports_short(inst, input).is_none()
}

/// The ports filter's shortfall, a taken port's holder left out (None).
fn ports_short(inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    let req = input.requirement;
    let taken = |udp: bool, port: u16| Shortfall::PortTaken {
        port,
        udp,
        holder: None,
    };
    if let Some(p) = req
        .ports_tcp
        .iter()
        .find(|p| inst.remaining.ports_tcp.contains(p))
    {
        return Some(taken(false, *p));
    }
    if let Some(p) = req
        .ports_udp
        .iter()
        .find(|p| inst.remaining.ports_udp.contains(p))
    {
        return Some(taken(true, *p));
    }
    let reserved = inst.remaining.reserved_port_count();
    let adding = req.ports_tcp.len() + req.ports_udp.len();
    if reserved + adding > MAX_RESERVED_PORTS {
        return Some(Shortfall::PortCap { reserved, adding });
    }
    let free = EPHEMERAL_PORTS
        .len()
        .saturating_sub(inst.dynamic_ports_in_use.len());
    (req.dynamic_ports as usize > free).then_some(Shortfall::NoDynamicPorts {
        needs: req.dynamic_ports,
        free,
    })
}

/// The live task holding a static port on the instance (None: reserved by the agent).
fn holder(world: &World, inst: &Instance, port: u16, udp: bool) -> Option<TaskId> {
    world
        .live_tasks_on(inst.id)
        .find(|t| {
            let held = if udp {
                t.allocation.ports_udp()
            } else {
                t.allocation.ports_tcp()
            };
            held.contains(&port)
        })
        .map(|t| t.id)
}

pub fn eni(_: &World, inst: &Instance, input: &PlacementInput<'_>) -> Option<Shortfall> {
    if !input.requirement.eni || inst.eni_available() {
        return None;
    }
    let limit = inst.eni_limit.unwrap_or(0);
    Some(Shortfall::Eni {
        limit,
        attached: inst.task_enis + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Fixture, input};
    use super::*;
    use crate::resources::Requirement;

    #[test]
    fn agent_ports_and_task_ports_clash() {
        let mut f = Fixture::new(1, 4096, 4096);
        let req = Requirement {
            ports_tcp: vec![22],
            ..Default::default()
        };
        let s = ports(&f.world, f.inst(0), &input(&req));
        assert_eq!(
            s,
            Some(Shortfall::PortTaken {
                port: 22,
                udp: false,
                holder: None
            })
        );
        let req = Requirement {
            ports_udp: vec![22],
            ..Default::default()
        };
        assert_eq!(
            ports(&f.world, f.inst(0), &input(&req)),
            None,
            "UDP 22 is free"
        );
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
        let s = ports(&f.world, f.inst(0), &input(&req));
        assert_eq!(
            s,
            Some(Shortfall::PortTaken {
                port: 80,
                udp: false,
                holder: Some(t)
            })
        );
    }

    #[test]
    fn the_cap_counts_tcp_and_udp_together() {
        let mut f = Fixture::new(1, 4096, 4096);
        let udp: Vec<u16> = (1000..1095).collect();
        f.world.instances[0].remaining.ports_udp.extend(udp);
        // 5 agent ports + 95 UDP = 100: one more static port exceeds the cap.
        let req = Requirement {
            ports_tcp: vec![8080],
            ..Default::default()
        };
        let s = ports(&f.world, f.inst(0), &input(&req));
        assert_eq!(
            s,
            Some(Shortfall::PortCap {
                reserved: 100,
                adding: 1
            })
        );
        let dynamic = Requirement {
            dynamic_ports: 3,
            ..Default::default()
        };
        assert_eq!(
            ports(&f.world, f.inst(0), &input(&dynamic)),
            None,
            "dynamic ports are not reserved ports"
        );
    }

    /// `ports_fit` and `filters::fits` answer as the full checks do, a taken port included.
    #[test]
    fn the_quick_checks_agree_with_the_full_ones() {
        let mut f = Fixture::new(1, 4096, 4096);
        f.place(
            0,
            Requirement {
                ports_tcp: vec![80],
                ..Default::default()
            },
        );
        let reqs = [
            (vec![80], vec![], 0),
            (vec![22], vec![], 0),
            (vec![], vec![80], 0),
            (vec![8080], vec![53], 2),
            (vec![], vec![], 60_000),
        ];
        for (tcp, udp, dynamic) in reqs {
            let req = Requirement {
                ports_tcp: tcp,
                ports_udp: udp,
                dynamic_ports: dynamic,
                ..Default::default()
            };
            let (inst, input) = (f.inst(0), input(&req));
            let full = ports(&f.world, inst, &input);
            assert_eq!(ports_fit(inst, &input), full.is_none(), "{req:?}");
            let verdict = super::super::check(&f.world, inst, &input);
            let fits = super::super::fits(&f.world, inst, &input);
            assert_eq!(fits, verdict == super::super::Verdict::Fit, "{req:?}");
        }
    }

    #[test]
    fn eni_limit_counts_the_primary_interface() {
        let mut f = Fixture::new(1, 4096, 4096);
        f.world.instances[0].eni_limit = Some(3);
        let req = Requirement {
            eni: true,
            ..Default::default()
        };
        assert_eq!(eni(&f.world, f.inst(0), &input(&req)), None);
        f.world.instances[0].task_enis = 2;
        assert_eq!(
            eni(&f.world, f.inst(0), &input(&req)),
            Some(Shortfall::Eni {
                limit: 3,
                attached: 3
            })
        );
        let plain = Requirement::default();
        assert_eq!(eni(&f.world, f.inst(0), &input(&plain)), None);
    }
}
