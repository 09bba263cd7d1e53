//! Request shapes of the attribute operations.

use super::instances::AttributeShape;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutAttributes {
    pub cluster: Option<String>,
    pub attributes: Vec<AttributeShape>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteAttributes {
    pub cluster: Option<String>,
    pub attributes: Vec<AttributeShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAttributes {
    pub cluster: Option<String>,
    pub target_type: Option<String>,
    pub attribute_name: Option<String>,
    pub attribute_value: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i32>,
}
