//! ECS response shapes: clusters, container instances, tasks and resources as JSON.
//!
//! Keys follow the ECS API (camelCase); optional fields are omitted when unset; timestamps are
//! ISO 8601 UTC (see `clock`). Lists keep the model's order (creation order).

use crate::Api;
use crate::clock::iso8601;
use ecsim_core::cluster::Cluster;
use ecsim_core::ids::{ClusterId, InstanceId, TaskId};
use ecsim_core::instance::Instance;
use ecsim_core::resources::{Gpus, ResourceValue, Resources};
use ecsim_core::task::{Container, Moment, Task, TaskStatus};
use ecsim_core::time::SimTime;
use serde_json::{Map, Value, json};

impl Api {
    /// A simulated time as an ISO 8601 date.
    pub fn date(&self, t: SimTime) -> String {
        iso8601(self.config.epoch_unix_ms + t.as_ms() as i64)
    }

    pub fn cluster_json(&self, id: ClusterId) -> Value {
        let w = self.engine.world();
        let c: &Cluster = w.cluster(id);
        let tasks = c.tasks.iter().map(|t| w.task(*t));
        let running = tasks
            .clone()
            .filter(|t| t.last_status == TaskStatus::Running)
            .count();
        let pending = tasks
            .filter(|t| {
                matches!(
                    t.last_status,
                    TaskStatus::Pending | TaskStatus::Provisioning
                )
            })
            .count();
        json!({
            "clusterArn": self.arns().cluster(&c.name),
            "clusterName": c.name,
            "status": c.status.as_str(),
            "registeredContainerInstancesCount": w.registered_instances(id).len(),
            "runningTasksCount": running,
            "pendingTasksCount": pending,
            "activeServicesCount": w.services().iter().filter(|s| s.cluster == id && s.status == ecsim_core::service::ServiceStatus::Active).count(),
            "statistics": [],
            "tags": [],
            "settings": [{"name": "containerInsights", "value": "disabled"}],
            "capacityProviders": [],
            "defaultCapacityProviderStrategy": [],
        })
    }

    pub fn instance_arn(&self, id: InstanceId) -> String {
        let w = self.engine.world();
        let i = w.instance(id);
        self.arns()
            .container_instance(&w.cluster(i.cluster).name, &i.uuid)
    }

    pub fn task_arn(&self, id: TaskId) -> String {
        let w = self.engine.world();
        let t = w.task(id);
        self.arns().task(&w.cluster(t.cluster).name, &t.uuid)
    }

    pub fn instance_json(&self, id: InstanceId) -> Value {
        let w = self.engine.world();
        let i: &Instance = w.instance(id);
        let mut o = Map::new();
        o.insert("containerInstanceArn".into(), json!(self.instance_arn(id)));
        o.insert("ec2InstanceId".into(), json!(i.ec2_instance_id));
        o.insert("version".into(), json!(i.version));
        o.insert("versionInfo".into(), version_info_json(i));
        o.insert("remainingResources".into(), resources_json(&i.remaining));
        o.insert("registeredResources".into(), resources_json(&i.registered));
        o.insert("status".into(), json!(i.status.as_str()));
        o.insert("agentConnected".into(), json!(i.agent_connected));
        o.insert("runningTasksCount".into(), json!(w.running_tasks_count(id)));
        o.insert("pendingTasksCount".into(), json!(w.pending_tasks_count(id)));
        if let Some(s) = i.agent_update_status {
            o.insert("agentUpdateStatus".into(), json!(s.as_str()));
        }
        o.insert("attributes".into(), attributes_json(i));
        o.insert("registeredAt".into(), json!(self.date(i.registered_at)));
        o.insert("attachments".into(), json!([]));
        o.insert("tags".into(), json!([]));
        Value::Object(o)
    }

    pub fn task_json(&self, id: TaskId) -> Value {
        let w = self.engine.world();
        let t: &Task = w.task(id);
        let td = w.task_def(t.task_def);
        let cluster = &w.cluster(t.cluster).name;
        let inst = w.instance(t.instance);
        let extra = self.task_extra.get(&id).cloned().unwrap_or_default();
        let mut o = Map::new();
        let task_arn = self.task_arn(id);
        o.insert("taskArn".into(), json!(task_arn));
        o.insert("clusterArn".into(), json!(self.arns().cluster(cluster)));
        o.insert(
            "taskDefinitionArn".into(),
            json!(self.arns().task_definition(&td.family, td.revision)),
        );
        o.insert(
            "containerInstanceArn".into(),
            json!(self.instance_arn(t.instance)),
        );
        o.insert("availabilityZone".into(), json!(inst.availability_zone));
        let overrides = if extra.overrides.is_null() {
            json!({"containerOverrides": []})
        } else {
            extra.overrides.clone()
        };
        o.insert("overrides".into(), overrides);
        o.insert("lastStatus".into(), json!(t.last_status.as_str()));
        o.insert("desiredStatus".into(), json!(t.desired_status.as_str()));
        o.insert("cpu".into(), json!(t.allocation.cpu.to_string()));
        o.insert("memory".into(), json!(t.allocation.memory_mib.to_string()));
        let containers: Vec<Value> = t
            .containers
            .iter()
            .map(|c| self.container_json(c, cluster, t, &task_arn))
            .collect();
        o.insert("containers".into(), Value::Array(containers));
        if let Some(s) = &t.started_by {
            o.insert("startedBy".into(), json!(&**s));
        }
        o.insert("version".into(), json!(t.version));
        if let Some(stop) = &t.stop {
            o.insert("stoppedReason".into(), json!(&*stop.reason));
            if let Some(code) = stop.code {
                o.insert("stopCode".into(), json!(code.as_str()));
            }
        }
        o.insert("connectivity".into(), json!("CONNECTED"));
        o.insert("connectivityAt".into(), json!(self.date(t.created_at)));
        self.insert_task_dates(&mut o, t);
        o.insert("group".into(), json!(&*t.group));
        o.insert("launchType".into(), json!("EC2"));
        o.insert("attachments".into(), self.attachments_json(t, &extra));
        o.insert("healthStatus".into(), json!("UNKNOWN"));
        o.insert("tags".into(), json!([]));
        Value::Object(o)
    }

    fn insert_task_dates(&self, o: &mut Map<String, Value>, t: &Task) {
        let dates = [
            ("pullStartedAt", t.times.get(Moment::PullStarted)),
            ("pullStoppedAt", t.times.get(Moment::PullStopped)),
            ("createdAt", Some(t.created_at)),
            ("startedAt", t.times.get(Moment::Started)),
            ("stoppingAt", t.times.get(Moment::Stopping)),
            ("executionStoppedAt", t.times.get(Moment::ExecutionStopped)),
            ("stoppedAt", t.times.get(Moment::Stopped)),
        ];
        for (key, at) in dates {
            if let Some(at) = at {
                o.insert(key.into(), json!(self.date(at)));
            }
        }
    }

    fn container_json(&self, c: &Container, cluster: &str, t: &Task, task_arn: &str) -> Value {
        let mut o = Map::new();
        o.insert(
            "containerArn".into(),
            json!(self.arns().container(cluster, &t.uuid, &c.uuid)),
        );
        o.insert("taskArn".into(), json!(task_arn));
        o.insert("name".into(), json!(&*c.name));
        if let Some(image) = self.container_image(t, &c.name) {
            o.insert("image".into(), json!(image));
        }
        o.insert("lastStatus".into(), json!(t.container_status(c).as_str()));
        if let Some(code) = c.exit_code {
            o.insert("exitCode".into(), json!(code));
        }
        if let Some(r) = &c.reason {
            o.insert("reason".into(), json!(r));
        }
        let bindings: Vec<Value> = c
            .network_bindings
            .iter()
            .map(|(cp, hp, proto)| {
                json!({"bindIP": "0.0.0.0", "containerPort": cp, "hostPort": hp, "protocol": proto})
            })
            .collect();
        o.insert("networkBindings".into(), Value::Array(bindings));
        o.insert("networkInterfaces".into(), json!([]));
        o.insert("healthStatus".into(), json!("UNKNOWN"));
        Value::Object(o)
    }

    fn container_image(&self, t: &Task, name: &str) -> Option<Value> {
        let defs = self
            .task_def_json
            .get(&t.task_def)?
            .get("containerDefinitions")?;
        defs.as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))?
            .get("image")
            .cloned()
    }

    fn attachments_json(&self, t: &Task, extra: &crate::TaskExtra) -> Value {
        if !t.allocation.eni {
            return json!([]);
        }
        let status = match t.last_status {
            TaskStatus::Provisioning => "PRECREATED",
            TaskStatus::Stopped => "DELETED",
            _ => "ATTACHED",
        };
        let mut details =
            vec![json!({"name": "networkInterfaceId", "value": format!("eni-{}", &t.uuid[..17])})];
        if let Some(s) = &extra.subnet {
            details.insert(0, json!({"name": "subnetId", "value": s}));
        }
        json!([{"id": t.uuid.as_str(), "type": "ElasticNetworkInterface", "status": status, "details": details}])
    }
}

fn version_info_json(i: &Instance) -> Value {
    let mut o = Map::new();
    let v = &i.version_info;
    for (k, val) in [
        ("agentVersion", &v.agent_version),
        ("agentHash", &v.agent_hash),
        ("dockerVersion", &v.docker_version),
    ] {
        if let Some(val) = val {
            o.insert(k.into(), json!(val));
        }
    }
    Value::Object(o)
}

fn attributes_json(i: &Instance) -> Value {
    let list: Vec<Value> = i
        .attributes
        .iter()
        .map(|(name, value)| match value {
            Some(v) => json!({"name": name, "value": v}),
            None => json!({"name": name}),
        })
        .collect();
    Value::Array(list)
}

fn ports_json(ports: &std::collections::BTreeSet<u16>) -> Value {
    Value::Array(ports.iter().map(|p| json!(p.to_string())).collect())
}

/// The ECS `Resource` list: CPU, MEMORY, PORTS, PORTS_UDP, then GPU and custom resources.
pub fn resources_json(r: &Resources) -> Value {
    let mut list = vec![
        json!({"name": "CPU", "type": "INTEGER", "integerValue": r.cpu}),
        json!({"name": "MEMORY", "type": "INTEGER", "integerValue": r.memory_mib}),
        json!({"name": "PORTS", "type": "STRINGSET", "stringSetValue": ports_json(&r.ports_tcp)}),
        json!({"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": ports_json(&r.ports_udp)}),
    ];
    match &r.gpus {
        Some(Gpus::Count(n)) => {
            list.push(json!({"name": "GPU", "type": "INTEGER", "integerValue": n}))
        }
        Some(Gpus::Ids(ids)) => {
            list.push(json!({"name": "GPU", "type": "STRINGSET", "stringSetValue": ids}));
        }
        None => {}
    }
    for c in &r.custom {
        list.push(match &c.value {
            ResourceValue::Integer(v) => {
                json!({"name": c.name, "type": "INTEGER", "integerValue": v})
            }
            ResourceValue::Long(v) => json!({"name": c.name, "type": "LONG", "longValue": v}),
            ResourceValue::Double(v) => json!({"name": c.name, "type": "DOUBLE", "doubleValue": v}),
            ResourceValue::StringSet(v) => {
                json!({"name": c.name, "type": "STRINGSET", "stringSetValue": v})
            }
        });
    }
    Value::Array(list)
}
