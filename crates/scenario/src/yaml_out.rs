//! Writing scenario YAML by hand-built text: one flow-style item a line, plain scalars when
//! unambiguous. Shared by the generators (`import`, `generate`); the output always loads back
//! with `load` (their tests check it).

use serde_json::Value;
use std::fmt::Write as _;

/// `key:` and one flow-style item a line, or `key: []`.
pub fn section(out: &mut String, key: &str, items: &[Value]) {
    if items.is_empty() {
        let _ = writeln!(out, "{key}: []");
        return;
    }
    let _ = writeln!(out, "{key}:");
    for item in items {
        let _ = writeln!(out, "  - {}", flow(item));
    }
}

/// A value as one line of YAML flow style; strings are plain when that is unambiguous.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), flow(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => scalar(s),
        other => other.to_string(),
    }
}

/// A plain scalar when it starts with a letter, holds only letters, digits and `-_./`, and is
/// no YAML keyword; otherwise a double-quoted (JSON) string.
pub fn scalar(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

/// The shortest `sampleEvery` of 1m, 5m, 15m, 1h, 6h and 1d that takes at most `max_samples`
/// metric samples over a run of `until_ms` (a long run at the default 1m would take millions).
pub fn sample_every(until_ms: u64, max_samples: u64) -> &'static str {
    const STEPS: [(u64, &str); 6] = [
        (60_000, "1m"),
        (300_000, "5m"),
        (900_000, "15m"),
        (3_600_000, "1h"),
        (21_600_000, "6h"),
        (86_400_000, "1d"),
    ];
    STEPS
        .iter()
        .find(|(ms, _)| until_ms / ms <= max_samples)
        .map_or("1d", |(_, text)| text)
}
