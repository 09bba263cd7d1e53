//! CreateCluster, DeleteCluster, DescribeClusters, ListClusters.

use super::{at_most, parse};
use crate::requests::{CreateCluster, DeleteCluster, DescribeClusters, ListClusters};
use crate::{Api, ApiError, arn, paginate};
use ecsim_core::cluster::ClusterStatus;
use serde_json::{Value, json};

/// Cluster, service and container names: up to 255 letters, digits, hyphens and underscores.
pub(crate) fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(super) fn create_cluster(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: CreateCluster = parse(body)?;
    let name = req.cluster_name.as_deref().unwrap_or("default");
    if !valid_name(name) {
        return Err(ApiError::invalid(
            "Cluster name should be between 1 and 255 characters long and contain only letters, numbers, hyphens and underscores.",
        ));
    }
    let id = api.engine.create_cluster(name);
    Ok(json!({"cluster": api.cluster_json(id)}))
}

pub(super) fn delete_cluster(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DeleteCluster = parse(body)?;
    let id = api.cluster(Some(&req.cluster))?;
    api.engine.delete_cluster(id)?;
    Ok(json!({"cluster": api.cluster_json(id)}))
}

pub(super) fn describe_clusters(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: DescribeClusters = parse(body)?;
    let names = req.clusters.unwrap_or_else(|| vec!["default".into()]);
    at_most("clusters", names.len(), 100)?;
    let (mut clusters, mut failures) = (Vec::new(), Vec::new());
    for reference in &names {
        let name = arn::cluster_name(reference);
        match api.engine.world().cluster_by_name(name) {
            Some(id) => clusters.push(api.cluster_json(id)),
            None => failures.push(json!({"arn": api.arns().cluster(name), "reason": "MISSING"})),
        }
    }
    Ok(json!({"clusters": clusters, "failures": failures}))
}

pub(super) fn list_clusters(api: &mut Api, body: &Value) -> Result<Value, ApiError> {
    let req: ListClusters = parse(body)?;
    let (offset, size) = paginate::window(req.max_results, req.next_token.as_deref(), 100, 100)?;
    let arns: Vec<Value> = api
        .engine
        .world()
        .clusters()
        .iter()
        .filter(|c| c.status == ClusterStatus::Active)
        .map(|c| json!(api.arns().cluster(&c.name)))
        .collect();
    Ok(paginate::page("clusterArns", arns, offset, size))
}
