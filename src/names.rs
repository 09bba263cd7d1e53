//! Scenario names for the commands that write scenarios (`import`, `generate`).

use std::path::Path;

/// A scenario name: letters, digits, `-` and `_`, not empty.
pub fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The output file's stem with other characters as `-`, or `fallback` when that is empty.
pub fn default_name(output: &Path, fallback: &str) -> String {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        fallback.into()
    } else {
        name
    }
}
