//! Cluster Query Language (CQL) of Amazon ECS: parser and evaluator.
//!
//! CQL expressions select container instances in `memberOf` placement constraints and in
//! `ListContainerInstances --filter`. [`parse`] turns an expression into an [`Expr`];
//! [`Expr::matches`] evaluates it against one instance seen through [`CqlSubject`].
//!
//! # Syntax
//!
//! ```text
//! expr     := or_expr | "memberOf" "(" or_expr ")"
//! or_expr  := and_expr { ("||" | "or") and_expr }
//! and_expr := unary { ("&&" | "and") unary }
//! unary    := ("!" | "not") unary | "(" or_expr ")" | simple
//! simple   := subject op [argument]
//! ```
//!
//! * Precedence: `not` > `and` > `or`; `a or b and c` is `a or (b and c)`.
//! * Keywords and operator words are case-sensitive lowercase (`AND` is not `and`).
//! * Subjects: `agentConnected`, `agentVersion`, `ec2InstanceId`, `registeredAt`,
//!   `runningTasksCount`, `task:group`, `attribute:NAME` (NAME: 1-128 letters, digits, `-_./\`).
//! * Operators in both spellings: `==`/`equals`, `!=`/`not_equals`, `>`/`greater_than`,
//!   `>=`/`greater_than_equal`, `<`/`less_than`, `<=`/`less_than_equal`, `exists`,
//!   `!exists`/`not_exists`, `in`, `!in`/`not_in`, `=~`/`matches`, `!~`/`not_matches`.
//! * Allowed operators per subject (the Developer Guide table): `agentVersion`, `registeredAt`,
//!   `runningTasksCount` take `== != > >= < <=`; `agentConnected` and `ec2InstanceId` take
//!   `== != in !in =~ !~`; `attribute:*` and `task:group` take all operators.
//! * Values are bare tokens (`t2.small`, `service:production`, `2018-06-18T22:28:28+00:00`) or
//!   `'single'`/`"double"` quoted strings (quotes stripped, no escapes). Lists: `[v1, v2, ...]`.
//! * The argument of `=~`/`!~` is a quoted string or a bare regex that runs up to whitespace
//!   followed by `and`/`or`/`&&`/`||`/`)`/end of input (whitespace and parentheses inside the
//!   regex's own groups and `[...]` classes do not end it), or up to an unbalanced `)`.
//! * At most [`MAX_EXPRESSION_CHARS`] characters; `(` and `not` nest at most 100 deep.
//!
//! # Semantics decisions (the documentation leaves these open)
//!
//! * Regexes use the `regex` crate's syntax (close to Java's, but without backreferences or
//!   lookaround), are compiled at parse time, and must match the **whole** value
//!   (`\A(?:PAT)\z`). A bad regex is a parse error.
//! * `agentConnected` compares with `true`/`false`; `=~` matches against the text `true`/`false`.
//! * `agentVersion` compares dotted versions numerically per component (`1.9.0 < 1.14.5`,
//!   `1.14 == 1.14.0`). An instance whose version is missing or not a dotted number matches no
//!   `agentVersion` expression.
//! * `runningTasksCount` compares as unsigned integers.
//! * `registeredAt` accepts `2018-06-18T22:28:28+00:00` (any `±HH:MM` offset),
//!   `2018-06-18T22:28:28Z`, `2018-06-18T22:28:28` (UTC) and `2018-06-18` (midnight UTC), and
//!   compares instants in milliseconds. Anything else (including impossible dates such as
//!   `2018-02-30`) is a parse error.
//! * `==`/`!=`/`in`/`!in` on `attribute:*`, `ec2InstanceId` and `task:group` are exact,
//!   case-sensitive string comparisons. `>`, `>=`, `<`, `<=` compare numerically when both sides
//!   parse as finite `f64` numbers, else lexically.
//! * A missing attribute (or missing `ec2InstanceId`) makes every operator false except
//!   `!exists`. In particular `!=`, `!~` and `!in` require the attribute to exist, following the
//!   Developer Guide's example `attribute:stack != prod` ("instances with the custom attribute
//!   stack unless the value is prod"). `exists`/`!exists` test presence.
//! * A value-less attribute (e.g. capability attributes) exists and compares as `""`.
//! * `task:group` looks at the groups of the instance's tasks whose desiredStatus is not STOPPED:
//!   `== X` some group equals X; `!= X` some group differs from X; `in [..]` some group is in the
//!   list; `!in [..]` some group is not in it; `=~ R` some group matches; `!~ R` some group does
//!   not match; `>`.. some group compares so; `exists` there is any task; `!exists` there is none.
//!   So `not(task:group == X)` expresses anti-affinity with group X.
//!
//! # Errors
//!
//! [`CqlError::offset`] is the 0-based character (not byte) offset of the offending token;
//! its `Display` reports it 1-based: `at character 17: expected an operator after
//! 'attribute:stack', found 'prod'` for `attribute:stack prod`.

mod ast;
mod date;
mod eval;
mod lexer;
mod parser;
mod view;

pub use view::InstanceView;
#[cfg(test)]
mod test_support;

use std::fmt;
use std::str::FromStr;

/// The longest expression accepted, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 2000;

/// A CQL parse error at a character position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CqlError {
    /// Character offset into the expression, 0-based (not a byte offset).
    pub offset: usize,
    /// What is wrong, without the position.
    pub message: String,
}

impl CqlError {
    pub(crate) fn new(offset: usize, message: String) -> Self {
        CqlError { offset, message }
    }
}

impl fmt::Display for CqlError {
    /// `at character N: MESSAGE`, with N = `offset + 1` (1-based for humans).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.offset + 1, self.message)
    }
}

impl std::error::Error for CqlError {}

/// A container instance as CQL sees it.
pub trait CqlSubject {
    /// The attribute `name` (built-in such as `ecs.instance-type`, or custom).
    /// None: attribute absent; Some(None): present without a value; Some(Some(v)): present with value v.
    fn attribute(&self, name: &str) -> Option<Option<&str>>;
    /// Whether the container agent is connected (`agentConnected`).
    fn agent_connected(&self) -> bool;
    /// The container agent's version, e.g. `1.14.5` (`agentVersion`); None if unknown.
    fn agent_version(&self) -> Option<&str>;
    /// The EC2 instance id, e.g. `i-abcd1234` (`ec2InstanceId`); None for external instances.
    fn ec2_instance_id(&self) -> Option<&str>;
    /// Registration time in milliseconds since the Unix epoch (UTC).
    fn registered_at_unix_ms(&self) -> i64;
    /// Number of tasks whose desiredStatus is RUNNING (`runningTasksCount`).
    fn running_tasks_count(&self) -> u64;
    /// Calls `f` with the task group of each task on the instance whose desiredStatus is not STOPPED.
    fn for_each_task_group(&self, f: &mut dyn FnMut(&str));
}

/// A parsed, validated CQL expression (regexes compiled, dates and versions typed).
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    root: ast::Node,
}

/// Parses a CQL expression.
pub fn parse(src: &str) -> Result<Expr, CqlError> {
    let root = parser::parse_expression(src)?;
    Ok(Expr {
        source: src.to_string(),
        root,
    })
}

impl Expr {
    /// Whether the instance satisfies the expression.
    pub fn matches(&self, s: &dyn CqlSubject) -> bool {
        self.root.eval(s)
    }

    /// The expression text as given to [`parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the expression mentions `task:group`, i.e. its result can change as tasks are
    /// placed on or removed from instances.
    pub fn uses_task_group(&self) -> bool {
        self.root.uses_task_group()
    }

    /// Whether the expression looks at the instance's tasks (`task:group`, `runningTasksCount`).
    /// If not, its result changes only when the instance itself changes.
    pub fn uses_tasks(&self) -> bool {
        self.root.uses_tasks()
    }

    /// The subjects the expression looks at (`attribute:stack`, `task:group`, ...), in order of
    /// first appearance: what `explain` shows the instance's values of.
    pub fn subjects(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.collect_subjects(&mut out);
        out
    }
}

impl fmt::Display for Expr {
    /// The source text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Expr {
    type Err = CqlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{Inst, eval};
    use super::*;

    fn t2_small_1a() -> Inst {
        Inst::new()
            .attr("ecs.instance-type", "t2.small")
            .attr("ecs.availability-zone", "us-east-1a")
    }

    #[test]
    fn error_display_is_one_based() {
        let e = parse("attribute:stack prod").expect_err("missing operator");
        assert_eq!(e.offset, 16);
        let text = "at character 17: expected an operator after 'attribute:stack', found 'prod'";
        assert_eq!(e.to_string(), text);
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("at character 17"));
    }

    #[test]
    fn expr_accessors() {
        let e: Expr = "task:group == a".parse().expect("parses");
        assert_eq!(
            (e.source(), e.to_string().as_str()),
            ("task:group == a", "task:group == a")
        );
        assert!(e.uses_task_group());
    }

    #[test]
    fn doc_instance_type_equals() {
        assert!(eval(
            "attribute:ecs.instance-type == t2.small",
            &t2_small_1a()
        ));
        let other = Inst::new().attr("ecs.instance-type", "t2.medium");
        assert!(!eval("attribute:ecs.instance-type == t2.small", &other));
    }

    #[test]
    fn doc_availability_zone_in() {
        let e = "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]";
        assert!(eval(e, &t2_small_1a()));
        assert!(!eval(
            e,
            &Inst::new().attr("ecs.availability-zone", "us-east-1c")
        ));
    }

    #[test]
    fn doc_instance_type_matches() {
        let e = "attribute:ecs.instance-type =~ g2.*";
        assert!(eval(
            e,
            &Inst::new().attr("ecs.instance-type", "g2.2xlarge")
        ));
        assert!(!eval(e, &t2_small_1a()));
    }

    #[test]
    fn doc_task_group_equals() {
        let e = "task:group == service:production";
        assert!(eval(e, &Inst::new().group("service:production")));
        assert!(!eval(e, &Inst::new().group("service:staging")));
    }

    #[test]
    fn doc_not_task_group() {
        let e = "not(task:group == database)";
        assert!(eval(e, &Inst::new().group("web")));
        assert!(!eval(e, &Inst::new().group("database")));
    }

    #[test]
    fn doc_running_tasks_count() {
        assert!(eval("runningTasksCount == 1", &Inst::new().running(1)));
        assert!(!eval("runningTasksCount == 1", &Inst::new().running(2)));
    }

    #[test]
    fn doc_ec2_instance_id_in() {
        let e = "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']";
        assert!(eval(e, &Inst::new().ec2("i-wxyx7890")));
        assert!(!eval(e, &Inst::new().ec2("i-00000000")));
    }

    #[test]
    fn doc_matches_and_not_equals() {
        let e =
            "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d";
        assert!(eval(e, &t2_small_1a()));
        let in_1d = Inst::new()
            .attr("ecs.instance-type", "t2.micro")
            .attr("ecs.availability-zone", "us-east-1d");
        assert!(!eval(e, &in_1d));
        assert!(!eval(
            e,
            &Inst::new().attr("ecs.availability-zone", "us-east-1a")
        ));
    }

    #[test]
    fn doc_registered_at() {
        let e = "registeredAt < 2018-06-18T22:28:28+00:00";
        assert!(eval(e, &Inst::new().registered(1_529_360_907_999)));
        assert!(!eval(e, &Inst::new().registered(1_529_360_908_000)));
    }

    #[test]
    fn doc_agent_version() {
        assert!(eval("agentVersion < 1.14.5", &Inst::new().version("1.9.0")));
        assert!(!eval(
            "agentVersion < 1.14.5",
            &Inst::new().version("1.14.5")
        ));
    }

    #[test]
    fn doc_agent_connected() {
        assert!(eval(
            "agentConnected == false",
            &Inst::new().connected(false)
        ));
        assert!(!eval(
            "agentConnected == false",
            &Inst::new().connected(true)
        ));
    }

    #[test]
    fn doc_parenthesised_compound() {
        let e = "(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) \
                 and attribute:ecs.availability-zone != us-east-1d";
        assert!(eval(e, &t2_small_1a()));
        let medium_1b = Inst::new()
            .attr("ecs.instance-type", "t2.medium")
            .attr("ecs.availability-zone", "us-east-1b");
        assert!(eval(e, &medium_1b));
        let small_1d = Inst::new()
            .attr("ecs.instance-type", "t2.small")
            .attr("ecs.availability-zone", "us-east-1d");
        assert!(!eval(e, &small_1d));
        let large_1a = Inst::new()
            .attr("ecs.instance-type", "t2.large")
            .attr("ecs.availability-zone", "us-east-1a");
        assert!(!eval(e, &large_1a));
    }

    #[test]
    fn doc_stack_not_equals_requires_attribute() {
        let e = "attribute:stack != prod";
        assert!(eval(e, &Inst::new().attr("stack", "dev")));
        assert!(!eval(e, &Inst::new().attr("stack", "prod")));
        assert!(!eval(e, &Inst::new()));
    }

    #[test]
    fn member_of_wrapper() {
        let e = "memberOf(attribute:ecs.instance-type == t2.small)";
        assert!(eval(e, &t2_small_1a()));
        assert!(!eval(e, &Inst::new()));
    }
}
