//! Scenario errors: what is wrong, and exactly where (file, line, column, YAML path).

use std::fmt;

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub line: usize,
    pub column: usize,
}

/// A scenario that breaks the contract. The run does not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub loc: Loc,
    /// The YAML path of the offending node (`containerInstances[0].availabiltyZones`).
    pub path: String,
    pub message: String,
    /// A hint such as "did you mean `availabilityZones`?".
    pub help: Option<String>,
}

impl ScenarioError {
    pub fn new(file: &str, loc: Loc, path: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: file.to_string(),
            loc,
            path: path.to_string(),
            message: message.into(),
            help: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> ScenarioError {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.loc.line, self.loc.column)?;
        if !self.path.is_empty() {
            write!(f, "at `{}`: ", self.path)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Edit distance between two strings (for "did you mean").
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        let keys = ["availabilityZones", "attributes", "count"];
        assert_eq!(closest("availabiltyZones", keys), Some("availabilityZones"));
        assert_eq!(closest("zzz", keys), None);
    }

    #[test]
    fn display_names_place_and_path() {
        let e = ScenarioError::new(
            "s.yaml",
            Loc { line: 7, column: 5 },
            "a[0].b",
            "unknown key `b`",
        )
        .with_help("did you mean `c`?");
        assert_eq!(
            e.to_string(),
            "s.yaml:7:5: at `a[0].b`: unknown key `b` (did you mean `c`?)"
        );
    }
}
