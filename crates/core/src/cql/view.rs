//! A container instance of the world seen as a CQL subject.

use super::CqlSubject;
use crate::ids::InstanceId;
use crate::task::DesiredStatus;
use crate::world::World;

/// One instance, with the Unix time of simulated zero for `registeredAt`.
pub struct InstanceView<'a> {
    pub world: &'a World,
    pub instance: InstanceId,
    pub epoch_unix_ms: i64,
}

impl CqlSubject for InstanceView<'_> {
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        self.world
            .instance(self.instance)
            .attributes
            .get(name)
            .map(Option::as_deref)
    }

    fn agent_connected(&self) -> bool {
        self.world.instance(self.instance).agent_connected
    }

    fn agent_version(&self) -> Option<&str> {
        self.world
            .instance(self.instance)
            .version_info
            .agent_version
            .as_deref()
    }

    fn ec2_instance_id(&self) -> Option<&str> {
        Some(&self.world.instance(self.instance).ec2_instance_id)
    }

    fn registered_at_unix_ms(&self) -> i64 {
        let at = self.world.instance(self.instance).registered_at.as_ms();
        self.epoch_unix_ms
            .saturating_add(i64::try_from(at).unwrap_or(i64::MAX))
    }

    fn running_tasks_count(&self) -> u64 {
        self.world.running_tasks_count(self.instance)
    }

    fn for_each_task_group(&self, f: &mut dyn FnMut(&str)) {
        for t in &self.world.instance(self.instance).tasks {
            let task = self.world.task(*t);
            if task.desired_status != DesiredStatus::Stopped {
                f(&task.group);
            }
        }
    }
}
