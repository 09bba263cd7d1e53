//! `${NAME.PATH}` references to saved responses, and `${ec2:ID}` for the container instance ARN
//! of an EC2 instance, substituted into request strings just before a request runs.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Resolves `ec2:` references.
pub type Ec2Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Replaces every reference in every string of `body`. A string that is exactly one reference
/// takes the referenced value with its type.
pub fn substitute(
    body: &Value,
    saved: &BTreeMap<String, Value>,
    ec2: Ec2Lookup<'_>,
) -> Result<Value, String> {
    Ok(match body {
        Value::String(s) => substitute_str(s, saved, ec2)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, saved, ec2))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                out.insert(k.clone(), substitute(v, saved, ec2)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn substitute_str(
    s: &str,
    saved: &BTreeMap<String, Value>,
    ec2: Ec2Lookup<'_>,
) -> Result<Value, String> {
    if !s.contains("${") {
        return Ok(Value::String(s.to_string()));
    }
    let whole = s.starts_with("${") && s.ends_with('}') && s.matches("${").count() == 1;
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed reference in `{s}`"))?
            + start;
        let value = resolve(&rest[start + 2..end], saved, ec2)?;
        if whole {
            return Ok(value);
        }
        match value {
            Value::String(v) => out.push_str(&v),
            other => out.push_str(&other.to_string()),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn resolve(
    reference: &str,
    saved: &BTreeMap<String, Value>,
    ec2: Ec2Lookup<'_>,
) -> Result<Value, String> {
    if let Some(id) = reference.strip_prefix("ec2:") {
        return ec2(id).map(Value::String).ok_or_else(|| {
            format!("`${{{reference}}}`: no container instance has EC2 instance id {id}")
        });
    }
    let name_len = reference.find(['.', '[']).unwrap_or(reference.len());
    let name = &reference[..name_len];
    let mut value = saved
        .get(name)
        .ok_or_else(|| format!("`${{{reference}}}`: nothing was saved as `{name}`"))?;
    for step in steps(&reference[name_len..])? {
        let next = match step {
            Step::Key(k) => value.get(k),
            Step::Index(i) => value.get(i),
        };
        value = next.ok_or_else(|| {
            format!(
                "`${{{reference}}}`: the saved response has no `{}`",
                step.text()
            )
        })?;
    }
    Ok(value.clone())
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Step<'_> {
    fn text(&self) -> String {
        match self {
            Step::Key(k) => (*k).to_string(),
            Step::Index(i) => format!("[{i}]"),
        }
    }
}

fn steps(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let len = r.find(['.', '[']).unwrap_or(r.len());
            out.push(Step::Key(&r[..len]));
            rest = &r[len..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in `{path}`"))?;
            let i = r[..close]
                .parse()
                .map_err(|_| format!("`{}` is not an index", &r[..close]))?;
            out.push(Step::Index(i));
            rest = &r[close + 1..];
        } else {
            return Err(format!("malformed path `{path}`"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saved() -> BTreeMap<String, Value> {
        BTreeMap::from([(
            "first".to_string(),
            json!({"tasks": [{"taskArn": "arn:t1", "n": 3}]}),
        )])
    }

    fn no_ec2(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn substitutes_paths_and_keeps_types() {
        let body = json!({"task": "${first.tasks[0].taskArn}", "x": "n=${first.tasks[0].n}", "y": "${first.tasks[0].n}"});
        let out = substitute(&body, &saved(), &no_ec2).unwrap();
        assert_eq!(out, json!({"task": "arn:t1", "x": "n=3", "y": 3}));
    }

    #[test]
    fn ec2_references() {
        let lookup = |id: &str| (id == "i-1").then(|| "arn:ci".to_string());
        let out = substitute(&json!(["${ec2:i-1}"]), &saved(), &lookup).unwrap();
        assert_eq!(out, json!(["arn:ci"]));
        assert!(substitute(&json!("${ec2:i-2}"), &saved(), &lookup).is_err());
    }

    #[test]
    fn unknown_names_and_paths_are_errors() {
        let e = substitute(&json!("${second.x}"), &saved(), &no_ec2).unwrap_err();
        assert!(e.contains("nothing was saved as `second`"), "{e}");
        let e = substitute(&json!("${first.tasks[4]}"), &saved(), &no_ec2).unwrap_err();
        assert!(e.contains("[4]"), "{e}");
        assert!(substitute(&json!("${first"), &saved(), &no_ec2).is_err());
    }
}
