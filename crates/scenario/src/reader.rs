//! Typed reading of located nodes: every accessor reports the file, line, column and YAML path
//! of a value that is missing, of the wrong type, or unknown.

use crate::error::{Loc, ScenarioError, closest};
use crate::node::{Located, Node};

/// Where a node sits: its file and YAML path.
#[derive(Clone, Copy, Debug)]
pub struct At<'a> {
    pub file: &'a str,
    pub path: &'a str,
}

impl At<'_> {
    pub fn error(&self, loc: Loc, message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(self.file, loc, self.path, message)
    }
}

/// `parent.key` or `key` at the top.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A mapping whose keys were checked against the allowed set.
pub struct MapReader<'a> {
    pub file: &'a str,
    pub path: String,
    pub node: &'a Located<Node>,
    entries: &'a [(Located<String>, Located<Node>)],
}

impl<'a> MapReader<'a> {
    /// Fails unless `node` is a mapping whose keys are all in `allowed`.
    pub fn new(
        file: &'a str,
        path: &str,
        node: &'a Located<Node>,
        allowed: &[&str],
    ) -> Result<Self, ScenarioError> {
        let Node::Map(entries) = &node.value else {
            return Err(ScenarioError::new(
                file,
                node.loc,
                path,
                format!("expected a mapping, found {}", node.value.kind()),
            ));
        };
        for (k, _) in entries {
            if !allowed.contains(&k.value.as_str()) {
                return Err(unknown_key(file, path, k, allowed));
            }
        }
        Ok(MapReader {
            file,
            path: path.to_string(),
            node,
            entries,
        })
    }

    pub fn get(&self, key: &str) -> Option<&'a Located<Node>> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }

    pub fn child(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The keys present, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &'a Located<String>> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn required(&self, key: &str) -> Result<&'a Located<Node>, ScenarioError> {
        self.get(key).ok_or_else(|| {
            ScenarioError::new(
                self.file,
                self.node.loc,
                &self.path,
                format!("missing required key `{key}`"),
            )
        })
    }

    pub fn str(&self, key: &str) -> Result<Option<String>, ScenarioError> {
        self.get(key)
            .map(|n| string(self.file, &self.child(key), n))
            .transpose()
    }

    pub fn u64(&self, key: &str) -> Result<Option<u64>, ScenarioError> {
        self.get(key)
            .map(|n| unsigned(self.file, &self.child(key), n))
            .transpose()
    }
}

pub fn unknown_key(
    file: &str,
    path: &str,
    key: &Located<String>,
    allowed: &[&str],
) -> ScenarioError {
    let err = ScenarioError::new(
        file,
        key.loc,
        &join(path, &key.value),
        format!("unknown key `{}`", key.value),
    );
    match closest(&key.value, allowed.iter().copied()) {
        Some(s) => err.with_help(format!("did you mean `{s}`?")),
        None => err.with_help(format!("expected one of: {}", allowed.join(", "))),
    }
}

pub fn string(file: &str, path: &str, n: &Located<Node>) -> Result<String, ScenarioError> {
    match &n.value {
        Node::Str(s) => Ok(s.clone()),
        Node::Int(i) => Ok(i.to_string()),
        Node::UInt(u) => Ok(u.to_string()),
        other => Err(ScenarioError::new(
            file,
            n.loc,
            path,
            format!("expected a string, found {}", other.kind()),
        )),
    }
}

pub fn unsigned(file: &str, path: &str, n: &Located<Node>) -> Result<u64, ScenarioError> {
    match &n.value {
        Node::Int(i) if *i >= 0 => Ok(*i as u64),
        Node::UInt(u) => Ok(*u),
        Node::Int(i) => Err(ScenarioError::new(
            file,
            n.loc,
            path,
            format!("expected a non-negative integer, found {i}"),
        )),
        other => Err(ScenarioError::new(
            file,
            n.loc,
            path,
            format!("expected an integer, found {}", other.kind()),
        )),
    }
}

pub fn seq<'n>(
    file: &str,
    path: &str,
    n: &'n Located<Node>,
) -> Result<&'n [Located<Node>], ScenarioError> {
    match &n.value {
        Node::Seq(items) => Ok(items),
        other => Err(ScenarioError::new(
            file,
            n.loc,
            path,
            format!("expected a list, found {}", other.kind()),
        )),
    }
}

pub fn strings(file: &str, path: &str, n: &Located<Node>) -> Result<Vec<String>, ScenarioError> {
    seq(file, path, n)?
        .iter()
        .enumerate()
        .map(|(i, item)| string(file, &format!("{path}[{i}]"), item))
        .collect()
}
