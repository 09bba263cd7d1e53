//! A YAML (or JSON) document as a tree of nodes, each with its line and column.
//!
//! serde-saphyr parses the text; every scalar, sequence, mapping and key keeps the location it
//! was read from, so every later error can point at the exact place.

use crate::error::{Loc, ScenarioError};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;
use std::fmt;

/// A node of the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Located<Node>>),
    Map(Vec<(Located<String>, Located<Node>)>),
}

/// A value with its place in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<T>::deserialize(d)?;
        Ok(Located {
            value: s.value,
            loc: Loc {
                line: s.referenced.line() as usize,
                column: s.referenced.column() as usize,
            },
        })
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::UInt(v), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(x) = a.next_element()? {
            items.push(x);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = a.next_key::<Located<String>>()? {
            let v = a.next_value()?;
            entries.push((k, v));
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Parses YAML or JSON text into a located tree. `file` names the source in errors.
///
/// A document in the plain YAML most scenarios are written in (every generated one) goes
/// through a quicker reader that builds the same tree (`quick_yaml`); any other, and every
/// error, through serde-saphyr.
pub fn parse_document(text: &str, file: &str) -> Result<Located<Node>, ScenarioError> {
    match crate::quick_yaml::parse(text) {
        Some(doc) => Ok(doc),
        None => parse_with_saphyr(text, file),
    }
}

/// `parse_document` by serde-saphyr alone.
///
/// The parser's node and event budgets are raised from serde-saphyr's defaults (250,000 nodes)
/// so a generated 24-hour scenario with tens of thousands of timeline entries loads; alias
/// expansion keeps its default limits against alias bombs.
pub(crate) fn parse_with_saphyr(text: &str, file: &str) -> Result<Located<Node>, ScenarioError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: 50_000_000,
            max_events: 200_000_000,
        },
        // Scenarios read no comment: the parser still checks them but keeps no text.
        emit_comments: false,
    };
    serde_saphyr::from_str_with_options::<Located<Node>>(text, options).map_err(|e| {
        let loc = e.location().map_or(Loc { line: 1, column: 1 }, |l| Loc {
            line: l.line() as usize,
            column: l.column() as usize,
        });
        let message = first_line(&e.to_string());
        ScenarioError::new(file, loc, "", message)
    })
}

/// serde-saphyr prefixes its message with the location and appends a snippet: keep the message.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
        _ => line.to_string(),
    }
}

impl Node {
    /// A short name of the node's type, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::UInt(_) => "an integer",
            Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as JSON (locations dropped).
    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::UInt(u) => Value::from(*u),
            Node::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Node::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k.value.clone(), v.value.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

impl Located<Node> {
    /// The node at a serde_path_to_error path (`a.b[2].c`), or the deepest node on the way.
    /// Returns the node's location and, if the last step is a key that is present, the key's.
    pub fn locate(&self, path: &str) -> Loc {
        let mut node = self;
        let mut loc = self.loc;
        for step in path_steps(path) {
            let next = match (&node.value, step) {
                (Node::Map(entries), Step::Key(k)) => entries
                    .iter()
                    .find(|(key, _)| key.value == k)
                    .map(|(key, v)| {
                        loc = key.loc;
                        v
                    }),
                (Node::Seq(items), Step::Index(i)) => items.get(i).inspect(|v| loc = v.loc),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        loc
    }

    /// The location of key `key` of this mapping, if present.
    pub fn key_loc(&self, key: &str) -> Option<Loc> {
        match &self.value {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.value == key)
                .map(|(k, _)| k.loc),
            _ => None,
        }
    }
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_steps(path: &str) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            steps.push(Step::Key(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                steps.push(Step::Index(i));
            }
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_locations_and_types() {
        let doc = parse_document("a: 1\nb:\n  - {c: x, d: null}\n  - 1.5\n", "t.yaml").unwrap();
        assert_eq!(
            doc.value.to_json(),
            serde_json::json!({"a": 1, "b": [{"c": "x", "d": null}, 1.5]})
        );
        assert_eq!(
            doc.locate("b[0].d"),
            Loc {
                line: 3,
                column: 12
            }
        );
        assert_eq!(doc.locate("b[1]"), Loc { line: 4, column: 5 });
        assert_eq!(doc.key_loc("b"), Some(Loc { line: 2, column: 1 }));
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse_document("a: [1,\nb: 2", "t.yaml").unwrap_err();
        assert_eq!(e.loc.line, 1);
        assert!(e.message.contains("bracket"), "{}", e.message);
        let e = parse_document("a: 1\na: 2\n", "t.yaml").unwrap_err();
        assert_eq!(e.loc.line, 2);
        assert!(e.message.contains("duplicate"), "{}", e.message);
    }

    #[test]
    fn json_loads_too() {
        let doc = parse_document("{\"name\": \"x\", \"n\": [1, 2]}", "t.json").unwrap();
        assert_eq!(
            doc.value.to_json(),
            serde_json::json!({"name": "x", "n": [1, 2]})
        );
    }
}
