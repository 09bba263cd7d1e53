//! Expectation matching: is `actual` described by the pattern?
//!
//! Rules (the contract): an object matches when every key given matches; an array matches when
//! it has the same length and each element matches in order, except that an array whose first
//! element is the string `"..."` matches when the remaining elements match, in order, some
//! elements of the actual array; a scalar matches when equal (numbers by value); `"*"` matches
//! any present value; `"re:PATTERN"` matches a string in which PATTERN finds a match.

use regex::Regex;
use serde_json::Value;

/// One place where the actual value differs from the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Path into the response (`services[0].runningCount`).
    pub path: String,
    pub expected: String,
    pub actual: String,
}

/// All mismatches of `actual` against `pattern` (empty when it matches).
pub fn mismatches(pattern: &Value, actual: &Value) -> Vec<Mismatch> {
    let mut out = Vec::new();
    walk(pattern, Some(actual), "", &mut out);
    out
}

fn walk(pattern: &Value, actual: Option<&Value>, path: &str, out: &mut Vec<Mismatch>) {
    let Some(actual) = actual else {
        out.push(miss(path, pattern, "nothing (the key is absent)"));
        return;
    };
    match pattern {
        Value::String(s) if s == "*" => {}
        Value::String(s) if s.starts_with("re:") => {
            regex_match(&s[3..], actual, path, pattern, out)
        }
        Value::Object(keys) => match actual {
            Value::Object(a) => {
                for (k, p) in keys {
                    walk(p, a.get(k), &child(path, k), out);
                }
            }
            other => out.push(miss(path, pattern, &short(other))),
        },
        Value::Array(items) => match actual {
            Value::Array(a) if items.first().and_then(Value::as_str) == Some("...") => {
                subsequence(&items[1..], a, path, out);
            }
            Value::Array(a) if a.len() == items.len() => {
                for (i, (p, x)) in items.iter().zip(a).enumerate() {
                    walk(p, Some(x), &format!("{path}[{i}]"), out);
                }
            }
            Value::Array(a) => out.push(Mismatch {
                path: path.to_string(),
                expected: format!("a list of {} elements", items.len()),
                actual: format!("a list of {} elements: {}", a.len(), short(actual)),
            }),
            other => out.push(miss(path, pattern, &short(other))),
        },
        _ if scalar_eq(pattern, actual) => {}
        _ => out.push(miss(path, pattern, &short(actual))),
    }
}

fn regex_match(re: &str, actual: &Value, path: &str, pattern: &Value, out: &mut Vec<Mismatch>) {
    let ok = match (Regex::new(re), actual) {
        (Ok(r), Value::String(s)) => r.is_match(s),
        (Err(e), _) => {
            out.push(Mismatch {
                path: path.to_string(),
                expected: format!("a valid regular expression ({e})"),
                actual: short(actual),
            });
            return;
        }
        _ => false,
    };
    if !ok {
        out.push(miss(path, pattern, &short(actual)));
    }
}

/// Each pattern element must match some later actual element than the previous one (greedy
/// earliest matching finds a subsequence whenever one exists).
fn subsequence(patterns: &[Value], actual: &[Value], path: &str, out: &mut Vec<Mismatch>) {
    let mut start = 0;
    for (i, p) in patterns.iter().enumerate() {
        let found = (start..actual.len()).find(|j| mismatches(p, &actual[*j]).is_empty());
        match found {
            Some(j) => start = j + 1,
            None => {
                out.push(Mismatch {
                    path: format!("{path}[...]"),
                    expected: format!("an element (pattern #{}) matching {}", i + 1, short(p)),
                    actual: format!(
                        "none among {} elements: {}",
                        actual.len(),
                        short(&Value::Array(actual.to_vec()))
                    ),
                });
                return;
            }
        }
    }
}

fn scalar_eq(p: &Value, a: &Value) -> bool {
    match (p, a) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => p == a,
    }
}

fn miss(path: &str, pattern: &Value, actual: &str) -> Mismatch {
    Mismatch {
        path: path.to_string(),
        expected: short(pattern),
        actual: actual.to_string(),
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Compact JSON, cut to a readable length.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(p: Value, a: Value) -> bool {
        mismatches(&p, &a).is_empty()
    }

    #[test]
    fn objects_match_on_given_keys() {
        assert!(ok(json!({"a": 1}), json!({"a": 1, "b": 2})));
        let m = mismatches(&json!({"a": {"b": 3}}), &json!({"a": {"b": 4}}));
        assert_eq!(
            m,
            vec![Mismatch {
                path: "a.b".into(),
                expected: "3".into(),
                actual: "4".into()
            }]
        );
        assert_eq!(mismatches(&json!({"z": 1}), &json!({}))[0].path, "z");
    }

    #[test]
    fn arrays_need_the_same_length_unless_ellipsis() {
        assert!(ok(json!([1, 2]), json!([1, 2])));
        assert!(!ok(json!([1]), json!([1, 2])));
        assert!(ok(json!(["...", 2, 4]), json!([1, 2, 3, 4])));
        assert!(!ok(json!(["...", 4, 2]), json!([1, 2, 3, 4])));
        assert!(ok(json!(["..."]), json!([])));
        assert!(ok(
            json!(["...", {"r": "X"}]),
            json!([{"r": "Y"}, {"r": "X", "a": 1}])
        ));
    }

    #[test]
    fn wildcards_regexes_and_numbers() {
        assert!(ok(json!("*"), json!({"anything": [1]})));
        assert!(!ok(json!({"k": "*"}), json!({})));
        assert!(ok(
            json!("re:^arn:aws:ecs:"),
            json!("arn:aws:ecs:us-east-1:1:task/x")
        ));
        assert!(!ok(json!("re:^task"), json!("arn:task")));
        assert!(!ok(json!("re:1"), json!(1)));
        assert!(ok(json!(2048), json!(2048.0)));
        assert!(!ok(json!("2048"), json!(2048)));
        assert!(!ok(json!("re:("), json!("x")));
    }
}
