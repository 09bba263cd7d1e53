//! Request shapes of the cluster operations.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCluster {
    pub cluster_name: Option<String>,
    pub tags: Option<Value>,
    pub settings: Option<Value>,
    pub configuration: Option<Value>,
    pub capacity_providers: Option<Value>,
    pub default_capacity_provider_strategy: Option<Value>,
    pub service_connect_defaults: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteCluster {
    pub cluster: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeClusters {
    pub clusters: Option<Vec<String>>,
    pub include: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListClusters {
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
}
