//! The CQL syntax tree: subjects, operators (with both spellings and the subject/operator
//! table), typed arguments, and the dotted-version helper shared by the parser and evaluator.

use std::cmp::Ordering;
use std::fmt;

use regex::Regex;

/// A node of the expression tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Or(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Cond(Cond),
}

/// A simple expression `subject operator [argument]`.
#[derive(Debug, Clone)]
pub(crate) struct Cond {
    pub subject: Subject,
    pub op: Op,
    pub arg: Arg,
}

/// What a simple expression looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    AgentConnected,
    AgentVersion,
    Ec2InstanceId,
    RegisteredAt,
    RunningTasksCount,
    TaskGroup,
    Attribute(String),
}

impl Subject {
    /// The fixed-name subjects, as spelled in expressions.
    pub const NAMED: [(&'static str, Subject); 6] = [
        ("agentConnected", Subject::AgentConnected),
        ("agentVersion", Subject::AgentVersion),
        ("ec2InstanceId", Subject::Ec2InstanceId),
        ("registeredAt", Subject::RegisteredAt),
        ("runningTasksCount", Subject::RunningTasksCount),
        ("task:group", Subject::TaskGroup),
    ];

    /// Whether the documented table allows `op` with this subject.
    pub fn allows(&self, op: Op) -> bool {
        use Op::{Eq, Ge, Gt, In, Le, Lt, Matches, Ne, NotIn, NotMatches};
        match self {
            Subject::AgentVersion | Subject::RegisteredAt | Subject::RunningTasksCount => {
                matches!(op, Eq | Ne | Gt | Ge | Lt | Le)
            }
            Subject::AgentConnected | Subject::Ec2InstanceId => {
                matches!(op, Eq | Ne | In | NotIn | Matches | NotMatches)
            }
            Subject::Attribute(_) | Subject::TaskGroup => true,
        }
    }

    /// The operators allowed with this subject, for error messages.
    pub fn allowed_list(&self) -> String {
        let ops: Vec<&str> = Op::ALL
            .iter()
            .filter(|op| self.allows(**op))
            .map(|op| op.symbol())
            .collect();
        ops.join(", ")
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Exists,
    NotExists,
    In,
    NotIn,
    Matches,
    NotMatches,
}

impl Op {
    pub const ALL: [Op; 12] = [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::Exists,
        Op::NotExists,
        Op::In,
        Op::NotIn,
        Op::Matches,
        Op::NotMatches,
    ];

    /// Both spellings: (symbol, word). `exists` has only the word.
    pub fn spellings(self) -> (&'static str, &'static str) {
        match self {
            Op::Eq => ("==", "equals"),
            Op::Ne => ("!=", "not_equals"),
            Op::Gt => (">", "greater_than"),
            Op::Ge => (">=", "greater_than_equal"),
            Op::Lt => ("<", "less_than"),
            Op::Le => ("<=", "less_than_equal"),
            Op::Exists => ("exists", "exists"),
            Op::NotExists => ("!exists", "not_exists"),
            Op::In => ("in", "in"),
            Op::NotIn => ("!in", "not_in"),
            Op::Matches => ("=~", "matches"),
            Op::NotMatches => ("!~", "not_matches"),
        }
    }

    pub fn symbol(self) -> &'static str {
        self.spellings().0
    }

    /// The operator spelled `text` (either spelling), if any.
    pub fn from_spelling(text: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| {
            let (sym, word) = op.spellings();
            text == sym || text == word
        })
    }

    /// For `>`, `>=`, `<`, `<=`: whether `ord` (actual compared with argument) satisfies it.
    pub fn accepts(self, ord: Ordering) -> bool {
        match self {
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            _ => false,
        }
    }
}

/// The argument of a simple expression, already typed for its subject.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    None,
    One(Value),
    List(Vec<Value>),
    /// Anchored (full-match) compiled regex.
    Regex(Regex),
}

/// A literal value, typed by the subject it is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Bool(bool),
    Version(Version),
    Millis(i64),
    Count(u64),
    Text(String),
}

/// A dotted numeric version such as `1.14.5`; missing trailing components count as 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version(Vec<u64>);

impl Version {
    /// Parses `N(.N)*` with decimal components; `None` for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let parts: Option<Vec<u64>> = text
            .split('.')
            .map(|p| {
                let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
                digits.then(|| p.parse().ok()).flatten()
            })
            .collect();
        parts.map(Version)
    }

    pub fn compare(&self, other: &Version) -> Ordering {
        let n = self.0.len().max(other.0.len());
        let at = |v: &Version, i: usize| v.0.get(i).copied().unwrap_or(0);
        (0..n)
            .map(|i| at(self, i).cmp(&at(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |s: &str| Version::parse(s).expect("version");
        assert_eq!(v("1.9.0").compare(&v("1.14.5")), Ordering::Less);
        assert_eq!(v("1.14").compare(&v("1.14.0")), Ordering::Equal);
        assert_eq!(v("2").compare(&v("1.99.99")), Ordering::Greater);
        assert_eq!(v("01.2").to_string(), "1.2");
        for bad in [
            "",
            "1.",
            ".1",
            "1..2",
            "v1.2",
            "1.2-beta",
            "1.-2",
            "99999999999999999999",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn operator_spellings_round_trip() {
        for op in Op::ALL {
            let (sym, word) = op.spellings();
            assert_eq!(Op::from_spelling(sym), Some(op));
            assert_eq!(Op::from_spelling(word), Some(op));
        }
        assert_eq!(Op::from_spelling("EQUALS"), None);
        assert_eq!(Op::from_spelling("!"), None);
    }

    #[test]
    fn subject_operator_table() {
        assert_eq!(Subject::AgentVersion.allowed_list(), "==, !=, >, >=, <, <=");
        assert_eq!(
            Subject::Ec2InstanceId.allowed_list(),
            "==, !=, in, !in, =~, !~"
        );
        assert!(Op::ALL.iter().all(|op| Subject::TaskGroup.allows(*op)));
        assert!(
            Op::ALL
                .iter()
                .all(|op| Subject::Attribute("a".into()).allows(*op))
        );
    }
}
