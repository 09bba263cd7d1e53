//! Evaluation of a parsed CQL tree against one container instance seen through
//! [`CqlSubject`]. The semantics (missing attributes, typed comparisons, `task:group`) are
//! listed in the module documentation of [`crate::cql`].

use std::borrow::Cow;
use std::cmp::Ordering;

use super::CqlSubject;
use super::ast::{Arg, Cond, Node, Op, Subject, Value, Version};

impl Node {
    pub(crate) fn eval(&self, s: &dyn CqlSubject) -> bool {
        match self {
            Node::Or(a, b) => a.eval(s) || b.eval(s),
            Node::And(a, b) => a.eval(s) && b.eval(s),
            Node::Not(a) => !a.eval(s),
            Node::Cond(c) => c.eval(s),
        }
    }

    /// Whether any simple expression in the tree has the subject `task:group`.
    pub(crate) fn uses_task_group(&self) -> bool {
        match self {
            Node::Or(a, b) | Node::And(a, b) => a.uses_task_group() || b.uses_task_group(),
            Node::Not(a) => a.uses_task_group(),
            Node::Cond(c) => c.subject == Subject::TaskGroup,
        }
    }

    /// Whether any simple expression looks at the instance's tasks (`task:group`,
    /// `runningTasksCount`): the rest changes only with the instance itself.
    pub(crate) fn uses_tasks(&self) -> bool {
        match self {
            Node::Or(a, b) | Node::And(a, b) => a.uses_tasks() || b.uses_tasks(),
            Node::Not(a) => a.uses_tasks(),
            Node::Cond(c) => matches!(c.subject, Subject::TaskGroup | Subject::RunningTasksCount),
        }
    }

    /// The subjects the tree looks at, as spelled in expressions, first occurrence first.
    pub(crate) fn collect_subjects(&self, out: &mut Vec<String>) {
        match self {
            Node::Or(a, b) | Node::And(a, b) => {
                a.collect_subjects(out);
                b.collect_subjects(out);
            }
            Node::Not(a) => a.collect_subjects(out),
            Node::Cond(c) => {
                let name = match &c.subject {
                    Subject::Attribute(a) => format!("attribute:{a}"),
                    named => Subject::NAMED
                        .iter()
                        .find(|(_, s)| s == named)
                        .map_or_else(String::new, |(n, _)| (*n).to_string()),
                };
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
}

/// The instance's value for a subject, typed like the parsed argument.
enum Actual<'a> {
    Text(&'a str),
    Bool(bool),
    Version(Version),
    Millis(i64),
    Count(u64),
}

impl Actual<'_> {
    /// The value as text, for regex matching.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Actual::Text(t) => Cow::Borrowed(t),
            Actual::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Actual::Version(v) => Cow::Owned(v.to_string()),
            Actual::Millis(ms) => Cow::Owned(ms.to_string()),
            Actual::Count(n) => Cow::Owned(n.to_string()),
        }
    }
}

/// The instance's value for a non-`task:group` subject; `None` when absent (a missing
/// attribute, no EC2 instance id, or an agent version that is not a dotted number).
fn actual<'a>(subject: &Subject, s: &'a dyn CqlSubject) -> Option<Actual<'a>> {
    match subject {
        Subject::Attribute(name) => s.attribute(name).map(|v| Actual::Text(v.unwrap_or(""))),
        Subject::Ec2InstanceId => s.ec2_instance_id().map(Actual::Text),
        Subject::AgentConnected => Some(Actual::Bool(s.agent_connected())),
        Subject::AgentVersion => s
            .agent_version()
            .and_then(Version::parse)
            .map(Actual::Version),
        Subject::RegisteredAt => Some(Actual::Millis(s.registered_at_unix_ms())),
        Subject::RunningTasksCount => Some(Actual::Count(s.running_tasks_count())),
        Subject::TaskGroup => None,
    }
}

impl Cond {
    fn eval(&self, s: &dyn CqlSubject) -> bool {
        if self.subject == Subject::TaskGroup {
            return self.eval_task_groups(s);
        }
        match actual(&self.subject, s) {
            Some(a) => self.test(&a),
            None => self.op == Op::NotExists,
        }
    }

    /// `task:group`: true if some (non-STOPPED) task's group passes the test; `exists` and
    /// `!exists` look at whether there is any task at all.
    fn eval_task_groups(&self, s: &dyn CqlSubject) -> bool {
        let (mut any_task, mut hit) = (false, false);
        s.for_each_task_group(&mut |group| {
            any_task = true;
            hit = hit || self.test(&Actual::Text(group));
        });
        match self.op {
            Op::Exists => any_task,
            Op::NotExists => !any_task,
            _ => hit,
        }
    }

    /// The test on a present value.
    fn test(&self, a: &Actual<'_>) -> bool {
        match (self.op, &self.arg) {
            (Op::Exists, _) => true,
            (Op::NotExists, _) => false,
            (Op::Eq, Arg::One(v)) => equal(a, v),
            (Op::Ne, Arg::One(v)) => !equal(a, v),
            (Op::In, Arg::List(vs)) => vs.iter().any(|v| equal(a, v)),
            (Op::NotIn, Arg::List(vs)) => !vs.iter().any(|v| equal(a, v)),
            (Op::Matches, Arg::Regex(re)) => re.is_match(&a.text()),
            (Op::NotMatches, Arg::Regex(re)) => !re.is_match(&a.text()),
            (op, Arg::One(v)) => order(a, v).is_some_and(|o| op.accepts(o)),
            _ => false,
        }
    }
}

/// Equality: exact string equality for text, `order == Equal` for typed values.
fn equal(a: &Actual<'_>, v: &Value) -> bool {
    match (a, v) {
        (Actual::Text(x), Value::Text(y)) => *x == y,
        _ => order(a, v) == Some(Ordering::Equal),
    }
}

/// Ordering of the instance's value against the argument, if they are of the same type.
fn order(a: &Actual<'_>, v: &Value) -> Option<Ordering> {
    match (a, v) {
        (Actual::Text(x), Value::Text(y)) => Some(compare_text(x, y)),
        (Actual::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Actual::Version(x), Value::Version(y)) => Some(x.compare(y)),
        (Actual::Millis(x), Value::Millis(y)) => Some(x.cmp(y)),
        (Actual::Count(x), Value::Count(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Numeric when both sides parse as finite `f64`, else lexical (by Unicode scalar values).
fn compare_text(x: &str, y: &str) -> Ordering {
    let number = |s: &str| s.parse::<f64>().ok().filter(|f| f.is_finite());
    match (number(x), number(y)) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => x.cmp(y),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Inst, eval};
    use super::*;

    #[test]
    fn text_comparison_numeric_or_lexical() {
        assert_eq!(compare_text("9", "10"), Ordering::Less);
        assert_eq!(compare_text("1.5", "1.50"), Ordering::Equal);
        assert_eq!(compare_text("-2", "1e1"), Ordering::Less);
        assert_eq!(compare_text("b9", "b10"), Ordering::Greater);
        assert_eq!(compare_text("NaN", "1"), Ordering::Greater);
        assert_eq!(compare_text("inf", "1"), Ordering::Greater);
    }

    #[test]
    fn attribute_equality_is_string_equality() {
        let i = Inst::new().attr("n", "1.0");
        assert!(!eval("attribute:n == 1", &i));
        assert!(eval("attribute:n != 1", &i));
        assert!(eval("attribute:n >= 1", &i) && eval("attribute:n <= 1", &i));
    }

    #[test]
    fn attribute_ordering_operators() {
        let i = Inst::new().attr("cpu", "9").attr("tier", "gold");
        assert!(!eval("attribute:cpu > 10", &i) && eval("attribute:cpu < 10", &i));
        assert!(
            eval("attribute:cpu greater_than 8", &i)
                && eval("attribute:cpu greater_than_equal 9", &i)
        );
        assert!(
            eval("attribute:cpu less_than 9.5", &i) && eval("attribute:cpu less_than_equal 9", &i)
        );
        assert!(eval("attribute:tier > bronze", &i) && eval("attribute:tier < silver", &i));
        assert!(!eval("attribute:tier >= silver", &i) && eval("attribute:tier <= gold", &i));
        assert!(!eval("attribute:cpu > abc", &i), "'9' < 'abc' lexically");
    }

    #[test]
    fn missing_attribute_is_false_except_exists_family() {
        let i = Inst::new();
        for e in [
            "attribute:x == a",
            "attribute:x =~ .*",
            "attribute:x in [a]",
            "attribute:x > 1",
            "attribute:x >= 1",
            "attribute:x < 1",
            "attribute:x <= 1",
            "attribute:x != a",
            "attribute:x !~ a",
            "attribute:x not_in [a]",
            "attribute:x exists",
        ] {
            assert!(!eval(e, &i), "{e}");
        }
        assert!(eval("attribute:x !exists", &i) && eval("attribute:x not_exists", &i));
        assert!(eval("not attribute:x == a", &i));
    }

    #[test]
    fn valueless_attribute_compares_as_empty_string() {
        let i = Inst::new().flag("com.amazonaws.ecs.capability.docker-remote-api.1.17");
        let name = "attribute:com.amazonaws.ecs.capability.docker-remote-api.1.17";
        assert!(eval(&format!("{name} exists"), &i));
        assert!(!eval(&format!("{name} !exists"), &i));
        assert!(eval(&format!("{name} == ''"), &i));
        assert!(eval(&format!("{name} != x"), &i));
        assert!(eval(&format!("{name} =~ .*"), &i) && !eval(&format!("{name} =~ .+"), &i));
        assert!(eval(&format!("{name} in ['', x]"), &i));
    }

    #[test]
    fn task_group_semantics() {
        let none = Inst::new();
        let two = Inst::new().group("service:web").group("database");
        let one = Inst::new().group("database");
        assert!(eval("task:group == database", &two) && !eval("task:group == database", &none));
        assert!(eval("task:group != database", &two) && !eval("task:group != database", &one));
        assert!(!eval("task:group != database", &none));
        assert!(eval("task:group in [x, database]", &one) && !eval("task:group in [x]", &one));
        assert!(
            eval("task:group not_in [database]", &two) && !eval("task:group !in [database]", &one)
        );
        assert!(
            eval("task:group =~ service:.*", &two) && !eval("task:group matches service:.*", &one)
        );
        assert!(
            eval("task:group !~ service:.*", &two) && !eval("task:group not_matches data.*", &one)
        );
        assert!(eval("task:group exists", &one) && !eval("task:group exists", &none));
        assert!(eval("task:group !exists", &none) && !eval("task:group not_exists", &one));
        assert!(eval("task:group > d", &one) && !eval("task:group < d", &one));
    }

    #[test]
    fn task_group_anti_affinity() {
        let e = "not(task:group == database)";
        assert!(eval(e, &Inst::new()));
        assert!(eval(e, &Inst::new().group("web")));
        assert!(!eval(e, &Inst::new().group("web").group("database")));
    }

    #[test]
    fn agent_connected() {
        let up = Inst::new().connected(true);
        let down = Inst::new();
        assert!(eval("agentConnected == true", &up) && !eval("agentConnected equals true", &down));
        assert!(
            eval("agentConnected != true", &down) && eval("agentConnected not_equals false", &up)
        );
        assert!(
            eval("agentConnected in [true]", &up) && eval("agentConnected not_in [true]", &down)
        );
        assert!(eval("agentConnected =~ t.*", &up) && eval("agentConnected !~ t.*", &down));
    }

    #[test]
    fn agent_version_numeric() {
        let v = Inst::new().version("1.9.0");
        assert!(eval("agentVersion < 1.14.5", &v) && !eval("agentVersion > 1.14.5", &v));
        assert!(eval("agentVersion == 1.9", &v) && eval("agentVersion >= 1.9.0", &v));
        assert!(eval("agentVersion <= 1.9.0.0", &v) && eval("agentVersion != 1.9.1", &v));
        assert!(
            eval("agentVersion greater_than 1.8.99", &v) && eval("agentVersion less_than 2", &v)
        );
    }

    #[test]
    fn agent_version_missing_or_unparsable_is_false() {
        for i in [Inst::new(), Inst::new().version("1.9.0-beta")] {
            assert!(!eval("agentVersion < 9", &i) && !eval("agentVersion != 9", &i));
            assert!(!eval("agentVersion == 1.9.0", &i));
        }
    }

    #[test]
    fn ec2_instance_id() {
        let i = Inst::new().ec2("i-abcd1234");
        assert!(eval("ec2InstanceId == i-abcd1234", &i) && eval("ec2InstanceId != i-x", &i));
        assert!(eval("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", &i));
        assert!(
            eval("ec2InstanceId !in [i-x]", &i) && !eval("ec2InstanceId not_in [i-abcd1234]", &i)
        );
        assert!(eval("ec2InstanceId =~ i-[a-d0-9]+", &i) && eval("ec2InstanceId !~ i-x.*", &i));
        let none = Inst::new();
        assert!(!eval("ec2InstanceId != i-x", &none) && !eval("ec2InstanceId not_in [i-x]", &none));
        assert!(!eval("ec2InstanceId !~ x", &none) && !eval("ec2InstanceId == i-x", &none));
    }

    #[test]
    fn running_tasks_count() {
        let i = Inst::new().running(3);
        assert!(eval("runningTasksCount == 3", &i) && eval("runningTasksCount != 30", &i));
        assert!(eval("runningTasksCount > 2", &i) && eval("runningTasksCount >= 3", &i));
        assert!(eval("runningTasksCount < 10", &i) && eval("runningTasksCount <= 3", &i));
        assert!(!eval("runningTasksCount < 3", &i) && !eval("runningTasksCount > 3", &i));
    }

    #[test]
    fn registered_at_all_formats() {
        let i = Inst::new().registered(1_529_360_908_000); // 2018-06-18T22:28:28Z
        assert!(eval("registeredAt == 2018-06-18T22:28:28+00:00", &i));
        assert!(eval("registeredAt == 2018-06-18T22:28:28Z", &i));
        assert!(eval("registeredAt == 2018-06-18T22:28:28", &i));
        assert!(eval("registeredAt == 2018-06-19T00:28:28+02:00", &i));
        assert!(eval("registeredAt > 2018-06-18", &i) && eval("registeredAt < 2018-06-19", &i));
        assert!(eval("registeredAt >= 2018-06-18T22:28:28Z", &i));
        assert!(eval("registeredAt <= '2018-06-18T22:28:28Z'", &i));
        assert!(eval("registeredAt != 2018-06-18T22:28:29Z", &i));
    }

    #[test]
    fn regex_is_a_full_match() {
        let i = Inst::new().attr("t", "xt2.micro");
        assert!(!eval("attribute:t =~ t2.*", &i) && eval("attribute:t =~ .*t2.*", &i));
        assert!(!eval("attribute:t =~ 'xt2|zzz'", &i) && eval("attribute:t =~ 'x.*|zzz'", &i));
        assert!(eval("attribute:t !~ t2", &i));
    }

    #[test]
    fn uses_task_group_flag() {
        let e = super::super::parse("attribute:a exists or not (task:group == x)").expect("parses");
        assert!(e.uses_task_group());
        let e = super::super::parse("attribute:a exists").expect("parses");
        assert!(!e.uses_task_group());
        assert!(!e.uses_tasks());
        let e =
            super::super::parse("attribute:a exists and runningTasksCount > 2").expect("parses");
        assert!(e.uses_tasks() && !e.uses_task_group());
        let e = super::super::parse("not (task:group == x)").expect("parses");
        assert!(e.uses_tasks());
    }
}
