//! `containerInstances` entries: parsing, and expansion into RegisterContainerInstance requests
//! as the ECS agent sends them (identity document, resources, attributes, version).

use crate::catalogue::{self, InstanceType};
use crate::error::{ScenarioError, closest};
use crate::model::FleetEntry;
use crate::node::{Located, Node};
use crate::reader::{MapReader, seq, string, strings};
use serde_json::{Value, json};

/// The agent version fleet instances register with, unless `versionInfo` says otherwise.
pub const DEFAULT_AGENT_VERSION: &str = "1.90.0";

/// The largest `count` of one fleet entry (ECS's default quota is 5,000 instances a cluster).
pub const MAX_FLEET_COUNT: i64 = 100_000;

const KEYS: [&str; 8] = [
    "cluster",
    "count",
    "instanceType",
    "availabilityZones",
    "attributes",
    "versionInfo",
    "ec2InstanceIdPrefix",
    "totalResources",
];

pub fn parse_entry(
    file: &str,
    path: &str,
    node: &Located<Node>,
) -> Result<FleetEntry, ScenarioError> {
    let m = MapReader::new(file, path, node, &KEYS)?;
    let count = match m.get("count") {
        None => 1,
        Some(n) => match &n.value {
            Node::Int(c) if (1..=MAX_FLEET_COUNT).contains(c) => *c as u64,
            _ => {
                return Err(ScenarioError::new(
                    file,
                    n.loc,
                    &m.child("count"),
                    format!(
                        "count must be an integer from 1 to {MAX_FLEET_COUNT}, found {}",
                        describe(&n.value)
                    ),
                ));
            }
        },
    };
    let instance_type = m.str("instanceType")?;
    let total_resources = m
        .get("totalResources")
        .map(|n| resources(file, &m.child("totalResources"), n))
        .transpose()?;
    check_type(file, &m, instance_type.as_deref(), total_resources.as_ref())?;
    Ok(FleetEntry {
        cluster: m.str("cluster")?.unwrap_or_else(|| "default".into()),
        count,
        instance_type,
        availability_zones: m
            .get("availabilityZones")
            .map(|n| strings(file, &m.child("availabilityZones"), n))
            .transpose()?
            .unwrap_or_default(),
        attributes: m
            .get("attributes")
            .map(|n| attributes(file, &m.child("attributes"), n))
            .transpose()?
            .unwrap_or_default(),
        version_info: m
            .get("versionInfo")
            .map(|n| version_info(file, &m.child("versionInfo"), n))
            .transpose()?,
        ec2_instance_id_prefix: m.str("ec2InstanceIdPrefix")?,
        total_resources,
        loc: node.loc,
    })
}

fn version_info(file: &str, path: &str, n: &Located<Node>) -> Result<Value, ScenarioError> {
    MapReader::new(
        file,
        path,
        n,
        &["agentVersion", "agentHash", "dockerVersion"],
    )?;
    Ok(n.value.to_json())
}

fn describe(n: &Node) -> String {
    match n {
        Node::Int(i) => i.to_string(),
        other => other.kind().to_string(),
    }
}

/// An instance type must be in the catalogue, unless totalResources gives CPU and MEMORY.
fn check_type(
    file: &str,
    m: &MapReader<'_>,
    t: Option<&str>,
    res: Option<&Value>,
) -> Result<(), ScenarioError> {
    let has = |name: &str| {
        res.and_then(Value::as_array).is_some_and(|l| {
            l.iter()
                .any(|r| r.get("name").and_then(Value::as_str) == Some(name))
        })
    };
    let explicit = has("CPU") && has("MEMORY");
    match t {
        Some(name) if catalogue::lookup(name).is_none() && !explicit => {
            let loc = m.get("instanceType").map_or(m.node.loc, |n| n.loc);
            let err = ScenarioError::new(
                file,
                loc,
                &m.child("instanceType"),
                format!(
                    "instance type `{name}` is not in the built-in catalogue; give totalResources with CPU and MEMORY"
                ),
            );
            Err(
                match closest(name, catalogue::all().iter().map(|t| t.name)) {
                    Some(s) => err.with_help(format!("did you mean `{s}`?")),
                    None => err,
                },
            )
        }
        None if !explicit => Err(ScenarioError::new(
            file,
            m.node.loc,
            &m.path,
            "a fleet entry needs an instanceType from the catalogue or totalResources with CPU and MEMORY",
        )),
        _ => Ok(()),
    }
}

fn resources(file: &str, path: &str, n: &Located<Node>) -> Result<Value, ScenarioError> {
    let items = seq(file, path, n)?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let m = MapReader::new(
            file,
            &p,
            item,
            &[
                "name",
                "type",
                "integerValue",
                "longValue",
                "doubleValue",
                "stringSetValue",
            ],
        )?;
        m.required("name")?;
        out.push(item.value.to_json());
    }
    Ok(Value::Array(out))
}

fn attributes(
    file: &str,
    path: &str,
    n: &Located<Node>,
) -> Result<Vec<(String, Option<String>)>, ScenarioError> {
    let Node::Map(entries) = &n.value else {
        return Err(ScenarioError::new(
            file,
            n.loc,
            path,
            format!(
                "expected a mapping of name: value, found {}",
                n.value.kind()
            ),
        ));
    };
    entries
        .iter()
        .map(|(k, v)| match &v.value {
            Node::Null => Ok((k.value.clone(), None)),
            _ => Ok((
                k.value.clone(),
                Some(string(file, &format!("{path}.{}", k.value), v)?),
            )),
        })
        .collect()
}

/// The RegisterContainerInstance bodies of an entry; `next_index(prefix)` numbers EC2 ids.
pub fn expand(
    entry: &FleetEntry,
    region: &str,
    next_index: &mut dyn FnMut(&str) -> u64,
) -> Vec<Value> {
    let r = registrations(entry, region, next_index);
    r.documents.iter().map(|d| r.body(d)).collect()
}

/// An entry's RegisterContainerInstance bodies, as what they share and each instance's
/// instanceIdentityDocument, in order.
#[derive(Clone, Debug)]
pub struct Registrations {
    /// Every field of the body but the identity document.
    pub shared: Value,
    pub documents: Vec<String>,
}

impl Registrations {
    /// One instance's body: the shared fields with its identity document after `cluster`.
    pub fn body(&self, document: &str) -> Value {
        let mut body = serde_json::Map::new();
        for (key, value) in self.shared.as_object().into_iter().flatten() {
            body.insert(key.clone(), value.clone());
            if key == "cluster" {
                body.insert("instanceIdentityDocument".into(), json!(document));
            }
        }
        Value::Object(body)
    }
}

/// The entry's registrations; `next_index(prefix)` numbers EC2 ids.
pub fn registrations(
    entry: &FleetEntry,
    region: &str,
    next_index: &mut dyn FnMut(&str) -> u64,
) -> Registrations {
    let itype = entry.instance_type.as_deref().and_then(catalogue::lookup);
    let documents = (0..entry.count)
        .map(|i| {
            let zones = &entry.availability_zones;
            let az = zones
                .get(i as usize % zones.len().max(1))
                .cloned()
                .unwrap_or_else(|| format!("{region}a"));
            let mut doc = json!({"availabilityZone": az, "region": region});
            if let Some(p) = &entry.ec2_instance_id_prefix {
                doc["instanceId"] = json!(format!("{p}-{}", next_index(p)));
            }
            if let Some(t) = &entry.instance_type {
                doc["instanceType"] = json!(t);
            }
            doc.to_string()
        })
        .collect();
    let shared = json!({
        "cluster": entry.cluster,
        "totalResources": total_resources(entry, itype),
        "attributes": attribute_list(entry, itype),
        "versionInfo": entry.version_info.clone().unwrap_or_else(|| json!({
            "agentVersion": DEFAULT_AGENT_VERSION,
            "agentHash": "ecsim",
            "dockerVersion": "DockerVersion: 25.0.8",
        })),
    });
    Registrations { shared, documents }
}

/// Catalogue CPU, MEMORY (and GPU), then the entry's totalResources replacing by name.
fn total_resources(entry: &FleetEntry, itype: Option<&InstanceType>) -> Value {
    let mut list: Vec<Value> = Vec::new();
    if let Some(t) = itype {
        list.push(
            json!({"name": "CPU", "type": "INTEGER", "integerValue": t.registered_cpu_units()}),
        );
        list.push(
            json!({"name": "MEMORY", "type": "INTEGER", "integerValue": t.registered_memory_mib}),
        );
        if t.gpus > 0 {
            list.push(json!({"name": "GPU", "type": "INTEGER", "integerValue": t.gpus}));
        }
    }
    for r in entry
        .total_resources
        .iter()
        .flat_map(|v| v.as_array().into_iter().flatten())
    {
        let name = r.get("name").cloned();
        list.retain(|x| x.get("name") != name.as_ref());
        let mut r = r.clone();
        if r.get("type").is_none() {
            let kind = if r.get("stringSetValue").is_some() {
                "STRINGSET"
            } else {
                "INTEGER"
            };
            r["type"] = json!(kind);
        }
        list.push(r);
    }
    Value::Array(list)
}

/// The ECS-optimized AMI's attributes for the type (x86_64 when unknown), then custom ones.
fn attribute_list(entry: &FleetEntry, itype: Option<&InstanceType>) -> Value {
    let reference = itype.or_else(|| catalogue::lookup("m5.large"));
    let mut attrs: Vec<(String, Option<String>)> =
        reference.map(catalogue::ami_attributes).unwrap_or_default();
    attrs.retain(|(n, _)| n != "ecs.instance-type");
    attrs.extend(entry.attributes.iter().cloned());
    let list: Vec<Value> = attrs
        .into_iter()
        .map(|(name, value)| match value {
            Some(v) => json!({"name": name, "value": v}),
            None => json!({"name": name}),
        })
        .collect();
    Value::Array(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecsim_api::{Api, ApiConfig};
    use ecsim_core::engine::EngineConfig;

    fn entry(total_resources: Option<Value>) -> FleetEntry {
        FleetEntry {
            cluster: "default".into(),
            count: 4,
            instance_type: Some("m5.large".into()),
            availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
            attributes: vec![("team".into(), Some("web".into())), ("x".into(), None)],
            version_info: None,
            ec2_instance_id_prefix: Some("i-web".into()),
            total_resources,
            loc: crate::error::Loc::default(),
        }
    }

    fn api() -> Api {
        let mut api = Api::new(ApiConfig::default(), EngineConfig::default());
        api.call("create_cluster", &json!({"clusterName": "default"}))
            .expect("the cluster is created");
        api
    }

    fn registrations_of(entry: &FleetEntry) -> Registrations {
        let mut n = 0;
        registrations(entry, "us-east-1", &mut |_| {
            n += 1;
            n
        })
    }

    /// The setup registers each instance from a copy of the shared request: the same instances
    /// (ids, zones, resources, attributes, drawn uuids) as each whole body through the API.
    #[test]
    fn a_shared_request_registers_what_each_body_registers() {
        let extra = json!([{"name": "ports-pool", "type": "INTEGER", "integerValue": 7}]);
        let r = registrations_of(&entry(Some(extra)));
        let shared = Api::parse_register_request(&r.shared).expect("the shared fields parse");
        let (mut by_body, mut by_request) = (api(), api());
        for doc in &r.documents {
            let body = r.body(doc);
            by_body
                .call("register_container_instance", &body)
                .expect("registered");
            let mut request = shared.clone();
            request.instance_identity_document = Some(doc.clone());
            by_request
                .register_container_instance_request(request)
                .expect("registered");
        }
        let instances = |api: &Api| format!("{:#?}", api.engine.world().instances());
        assert_eq!(by_body.engine.world().instances().len(), 4);
        assert_eq!(instances(&by_body), instances(&by_request));
    }

    /// A body keeps its fields in the order a client writes them, the identity document after
    /// the cluster, and the document names the instance's zone and EC2 id.
    #[test]
    fn each_body_is_the_shared_fields_with_its_document() {
        let r = registrations_of(&entry(None));
        let body = r.body(&r.documents[1]);
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "cluster",
                "instanceIdentityDocument",
                "totalResources",
                "attributes",
                "versionInfo"
            ]
        );
        let doc: Value = serde_json::from_str(&r.documents[1]).unwrap();
        assert_eq!(doc["availabilityZone"], "us-east-1b");
        assert_eq!(doc["instanceId"], "i-web-2");
    }
}
