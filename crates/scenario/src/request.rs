//! ECS request bodies inside a scenario: checked against the operation's shape at load time,
//! with the location of the first problem.

use crate::error::{ScenarioError, closest};
use crate::node::{Located, Node};
use crate::reader::join;
use ecsim_api::requests::{self, ShapeError};
use serde_json::Value;

/// A request body node, checked against `op`'s shape.
pub fn body(
    file: &str,
    path: &str,
    op: &str,
    node: &Located<Node>,
) -> Result<Value, ScenarioError> {
    let value = match &node.value {
        Node::Map(_) => node.value.to_json(),
        Node::Null => Value::Object(serde_json::Map::new()),
        other => {
            return Err(ScenarioError::new(
                file,
                node.loc,
                path,
                format!(
                    "expected the {op} request body (a mapping), found {}",
                    other.kind()
                ),
            ));
        }
    };
    requests::check(op, &value).map_err(|e| shape_error(file, path, node, &e))?;
    Ok(value)
}

fn shape_error(file: &str, path: &str, node: &Located<Node>, e: &ShapeError) -> ScenarioError {
    if let Some((field, expected)) = unknown_field(&e.message) {
        let parent = parent_of(&e.path, field);
        let loc = node.locate(&join(&parent, field));
        let full = join(path, &join(&parent, field));
        let err = ScenarioError::new(file, loc, &full, format!("unknown key `{field}`"));
        return match closest(field, expected.iter().map(String::as_str)) {
            Some(s) => err.with_help(format!("did you mean `{s}`?")),
            None => err.with_help(format!("expected one of: {}", expected.join(", "))),
        };
    }
    let loc = node.locate(&e.path);
    ScenarioError::new(file, loc, &join(path, &e.path), tidy(&e.message))
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`", "there are no fields").
fn unknown_field(msg: &str) -> Option<(&str, Vec<String>)> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, tail) = rest.split_once('`')?;
    let expected = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field, expected))
}

/// serde_path_to_error's path for an unknown field may or may not end with the field itself.
fn parent_of(path: &str, field: &str) -> String {
    match path.strip_suffix(field) {
        Some(p) => p.trim_end_matches('.').to_string(),
        None => path.to_string(),
    }
}

fn tidy(msg: &str) -> String {
    msg.replace("invalid type: ", "wrong type: ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::parse_document;

    fn check(yaml: &str, op: &str) -> Result<Value, ScenarioError> {
        let doc = parse_document(yaml, "t.yaml").unwrap();
        body("t.yaml", "timeline[0].run_task", op, &doc)
    }

    #[test]
    fn accepts_a_valid_body() {
        assert!(check("taskDefinition: web\ncount: 2\n", "run_task").is_ok());
    }

    #[test]
    fn unknown_key_is_located_with_a_suggestion() {
        let e = check("taskDefinition: web\ncuont: 2\n", "run_task").unwrap_err();
        assert_eq!(e.loc.line, 2);
        assert_eq!(e.path, "timeline[0].run_task.cuont");
        assert_eq!(e.help.as_deref(), Some("did you mean `count`?"));
    }

    #[test]
    fn nested_unknown_key_and_wrong_type() {
        let yaml = "family: web\ncontainerDefinitions:\n  - name: a\n    image: x\n    memroy: 5\n";
        let e = check(yaml, "register_task_definition").unwrap_err();
        assert_eq!((e.loc.line, e.loc.column), (5, 5));
        assert_eq!(e.help.as_deref(), Some("did you mean `memory`?"));
        let yaml =
            "family: web\ncontainerDefinitions:\n  - name: a\n    image: x\n    memory: lots\n";
        let e = check(yaml, "register_task_definition").unwrap_err();
        assert_eq!(e.loc.line, 5);
        assert!(e.message.contains("wrong type"), "{}", e.message);
    }
}
