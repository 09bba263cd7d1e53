//! The ECS `Service` and `Deployment` response shapes.

use crate::Api;
use ecsim_core::ids::{ClusterId, ServiceId};
use ecsim_core::service::{Deployment, DeploymentStatus, Service};
use ecsim_core::task::{DesiredStatus, TaskStatus};
use serde_json::{Value, json};

/// "A maximum of 100 of the latest events".
const EVENTS_SHOWN: usize = 100;

impl Api {
    pub fn service_arn(&self, id: ServiceId) -> String {
        let s = self.engine.world().service(id);
        self.service_arn_of(s.cluster, &s.name)
    }

    pub fn service_arn_of(&self, cluster: ClusterId, name: &str) -> String {
        self.arns()
            .service(&self.engine.world().cluster(cluster).name, name)
    }

    /// (running, pending) tasks of the service, or of one deployment.
    pub fn service_counts(&self, id: ServiceId, deployment: Option<usize>) -> (usize, usize) {
        let w = self.engine.world();
        let s = w.service(id);
        let mut counts = (0, 0);
        for t in s.tasks.iter().map(|t| w.task(*t)) {
            let mine = deployment.is_none_or(|d| t.service.is_some_and(|(_, td)| td == d));
            if !mine || t.desired_status != DesiredStatus::Running {
                continue;
            }
            match t.last_status {
                TaskStatus::Running => counts.0 += 1,
                TaskStatus::Pending | TaskStatus::Provisioning => counts.1 += 1,
                _ => {}
            }
        }
        counts
    }

    pub fn service_json(&self, id: ServiceId) -> Value {
        let w = self.engine.world();
        let s: &Service = w.service(id);
        let (running, pending) = self.service_counts(id, None);
        let td = w.task_def(s.primary().task_def);
        let deployments: Vec<Value> = s
            .deployments
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, d)| d.status != DeploymentStatus::Inactive)
            .map(|(i, d)| self.deployment_json(id, i, d))
            .collect();
        let events: Vec<Value> = s
            .events
            .latest()
            .rev()
            .take(EVENTS_SHOWN)
            .map(|e| json!({"id": e.id.as_str(), "createdAt": self.date(e.at), "message": e.message}))
            .collect();
        let constraints: Vec<Value> = s
            .member_of
            .iter()
            .map(|e| json!({"type": "memberOf", "expression": e.source()}))
            .chain(
                s.distinct_instance
                    .then(|| json!({"type": "distinctInstance"})),
            )
            .collect();
        let strategies: Vec<Value> = s.strategies.iter().map(strategy_json).collect();
        json!({
            "serviceArn": self.service_arn(id),
            "serviceName": s.name,
            "clusterArn": self.arns().cluster(&w.cluster(s.cluster).name),
            "loadBalancers": [],
            "serviceRegistries": [],
            "status": s.status.as_str(),
            "desiredCount": s.desired_count,
            "runningCount": running,
            "pendingCount": pending,
            "launchType": "EC2",
            "taskDefinition": self.arns().task_definition(&td.family, td.revision),
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": s.config.circuit_breaker.enable, "rollback": s.config.circuit_breaker.rollback},
                "maximumPercent": s.config.maximum_percent,
                "minimumHealthyPercent": s.config.minimum_healthy_percent,
            },
            "deployments": deployments,
            "events": events,
            "createdAt": self.date(s.created_at),
            "placementConstraints": constraints,
            "placementStrategy": strategies,
            "healthCheckGracePeriodSeconds": s.health_check_grace_period_s,
            "schedulingStrategy": s.scheduling.as_str(),
            "deploymentController": {"type": "ECS"},
            "enableECSManagedTags": false,
            "propagateTags": "NONE",
            "enableExecuteCommand": false,
        })
    }

    fn deployment_json(&self, id: ServiceId, index: usize, d: &Deployment) -> Value {
        let w = self.engine.world();
        let s = w.service(id);
        let td = w.task_def(d.task_def);
        let (running, pending) = self.service_counts(id, Some(index));
        let desired = if d.status == DeploymentStatus::Primary {
            s.desired_count
        } else {
            0
        };
        json!({
            "id": d.id,
            "status": d.status.as_str(),
            "taskDefinition": self.arns().task_definition(&td.family, td.revision),
            "desiredCount": desired,
            "pendingCount": pending,
            "runningCount": running,
            "failedTasks": d.failed_tasks,
            "createdAt": self.date(d.created_at),
            "updatedAt": self.date(d.updated_at),
            "launchType": "EC2",
            "rolloutState": d.rollout_state.as_str(),
            "rolloutStateReason": d.rollout_reason,
        })
    }
}

fn strategy_json(s: &ecsim_core::placement::Strategy) -> Value {
    use ecsim_core::placement::{BinpackField, SpreadField, Strategy};
    match s {
        Strategy::Random => json!({"type": "random"}),
        Strategy::Spread(SpreadField::Instance) => json!({"type": "spread", "field": "instanceId"}),
        Strategy::Spread(SpreadField::Attribute(a)) => {
            json!({"type": "spread", "field": format!("attribute:{a}")})
        }
        Strategy::Binpack(BinpackField::Cpu) => json!({"type": "binpack", "field": "cpu"}),
        Strategy::Binpack(BinpackField::Memory) => json!({"type": "binpack", "field": "memory"}),
    }
}
