//! Recursive-descent parser: tokens → [`Node`] tree. Checks the subject/operator table, types
//! each value for its subject (booleans, versions, dates, counts, strings), and compiles
//! regular expressions (anchored for a full match). Every error carries an exact char offset.

use regex::Regex;

use super::ast::{Arg, Cond, Node, Op, Subject, Value, Version};
use super::date::parse_timestamp;
use super::lexer::{Kind, Lexer, Token};
use super::{CqlError, MAX_EXPRESSION_CHARS};

/// Deepest nesting of `(` and `!`/`not` accepted (keeps recursion bounded).
pub(crate) const MAX_NESTING: usize = 100;

/// Longest attribute name accepted after `attribute:`.
const MAX_ATTRIBUTE_NAME: usize = 128;

const SUBJECT_LIST: &str = "agentConnected, agentVersion, ec2InstanceId, registeredAt, runningTasksCount, task:group or attribute:NAME";

/// Parses a whole expression, including the optional `memberOf(...)` wrapper.
pub(crate) fn parse_expression(src: &str) -> Result<Node, CqlError> {
    let len = src.chars().count();
    if len > MAX_EXPRESSION_CHARS {
        let msg =
            format!("expression is {len} characters long; the maximum is {MAX_EXPRESSION_CHARS}");
        return Err(CqlError::new(MAX_EXPRESSION_CHARS, msg));
    }
    let mut p = Parser {
        lx: Lexer::new(src),
        peeked: None,
        depth: 0,
    };
    if p.peek()?.is_word("memberOf") {
        let kw = p.bump()?;
        let node = p.parenthesised(&kw)?;
        p.expect_end("end of input after 'memberOf(...)'")?;
        return Ok(node);
    }
    let node = p.or_expr()?;
    p.expect_end("'and', 'or' or end of input")?;
    Ok(node)
}

struct Parser {
    lx: Lexer,
    peeked: Option<Token>,
    depth: usize,
}

impl Parser {
    fn peek(&mut self) -> Result<&Token, CqlError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lx.next_token()?,
        };
        Ok(self.peeked.insert(t))
    }

    fn bump(&mut self) -> Result<Token, CqlError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lx.next_token(),
        }
    }

    fn expect_end(&mut self, expected: &str) -> Result<(), CqlError> {
        let t = self.bump()?;
        if t.kind == Kind::End {
            return Ok(());
        }
        Err(CqlError::new(
            t.offset,
            format!("expected {expected}, found {}", t.describe()),
        ))
    }

    /// Consumes the next token if it is the connective `sym` or `word`.
    fn eat_connective(&mut self, sym: &str, word: &str) -> Result<bool, CqlError> {
        let t = self.peek()?;
        let found = t.is_sym(sym) || t.is_word(word);
        if found {
            self.bump()?;
        }
        Ok(found)
    }

    fn or_expr(&mut self) -> Result<Node, CqlError> {
        let mut left = self.and_expr()?;
        while self.eat_connective("||", "or")? {
            let right = self.and_expr()?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Node, CqlError> {
        let mut left = self.unary()?;
        while self.eat_connective("&&", "and")? {
            let right = self.unary()?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, CqlError> {
        let t = self.peek()?.clone();
        let negation = t.is_sym("!") || t.is_word("not");
        if !negation && !t.is_sym("(") {
            return self.simple();
        }
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let msg = format!("expression nested more than {MAX_NESTING} levels deep");
            return Err(CqlError::new(t.offset, msg));
        }
        let node = if negation {
            self.bump()?;
            Node::Not(Box::new(self.unary()?))
        } else {
            self.parenthesised(&t)?
        };
        self.depth -= 1;
        Ok(node)
    }

    /// `"(" expr ")"`, where `before` is the token just before the `(` (or the `(` itself).
    fn parenthesised(&mut self, before: &Token) -> Result<Node, CqlError> {
        let open = self.bump()?;
        if !open.is_sym("(") {
            let msg = format!(
                "expected '(' after {}, found {}",
                before.describe(),
                open.describe()
            );
            return Err(CqlError::new(open.offset, msg));
        }
        let node = self.or_expr()?;
        let close = self.bump()?;
        if close.is_sym(")") {
            return Ok(node);
        }
        let msg = format!(
            "expected ')' to close the '(' at character {}, found {}",
            open.offset + 1,
            close.describe()
        );
        Err(CqlError::new(close.offset, msg))
    }

    /// `subject op [argument]`.
    fn simple(&mut self) -> Result<Node, CqlError> {
        let st = self.bump()?;
        let subject = parse_subject(&st)?;
        let ot = self.bump()?;
        let op = match ot.kind {
            Kind::Word | Kind::Sym(_) => Op::from_spelling(&ot.text),
            _ => None,
        };
        let Some(op) = op else {
            let msg = format!(
                "expected an operator after {}, found {}",
                st.describe(),
                ot.describe()
            );
            return Err(CqlError::new(ot.offset, msg));
        };
        if !subject.allows(op) {
            let msg = format!(
                "operator {} is not allowed with subject {} (allowed: {})",
                ot.describe(),
                st.describe(),
                subject.allowed_list()
            );
            return Err(CqlError::new(ot.offset, msg));
        }
        let arg = self.argument(&subject, op, &ot)?;
        Ok(Node::Cond(Cond { subject, op, arg }))
    }

    fn argument(&mut self, subject: &Subject, op: Op, op_tok: &Token) -> Result<Arg, CqlError> {
        match op {
            Op::Exists | Op::NotExists => Ok(Arg::None),
            Op::In | Op::NotIn => self.list(subject, op_tok).map(Arg::List),
            Op::Matches | Op::NotMatches => self.regex(op_tok).map(Arg::Regex),
            _ => {
                let t = self.bump()?;
                if !t.is_value() {
                    let msg = format!(
                        "expected a value after {}, found {}",
                        op_tok.describe(),
                        t.describe()
                    );
                    return Err(CqlError::new(t.offset, msg));
                }
                typed_value(subject, &t).map(Arg::One)
            }
        }
    }

    /// `"[" value {"," value} "]"`.
    fn list(&mut self, subject: &Subject, op_tok: &Token) -> Result<Vec<Value>, CqlError> {
        let open = self.bump()?;
        if !open.is_sym("[") {
            let msg = format!(
                "expected '[' after {}, found {}",
                op_tok.describe(),
                open.describe()
            );
            return Err(CqlError::new(open.offset, msg));
        }
        let mut values = Vec::new();
        loop {
            let t = self.bump()?;
            if !t.is_value() {
                let msg = format!("expected a list value, found {}", t.describe());
                return Err(CqlError::new(t.offset, msg));
            }
            values.push(typed_value(subject, &t)?);
            let sep = self.bump()?;
            if sep.is_sym("]") {
                return Ok(values);
            }
            if !sep.is_sym(",") {
                let msg = format!(
                    "expected ',' or ']' in the list opened at character {}, found {}",
                    open.offset + 1,
                    sep.describe()
                );
                return Err(CqlError::new(sep.offset, msg));
            }
        }
    }

    /// The argument of `=~`/`!~`, compiled for a full match.
    fn regex(&mut self, op_tok: &Token) -> Result<Regex, CqlError> {
        debug_assert!(
            self.peeked.is_none(),
            "regex lexing must start right after the operator"
        );
        let t = self.lx.regex_token()?;
        let missing = t.kind == Kind::End || (t.kind == Kind::Word && t.text.is_empty());
        if missing {
            let found = if t.kind == Kind::End { t } else { self.bump()? };
            let msg = format!(
                "expected a regular expression after {}, found {}",
                op_tok.describe(),
                found.describe()
            );
            return Err(CqlError::new(found.offset, msg));
        }
        compile_regex(&t)
    }
}

/// Compiles the pattern alone first (so errors speak of the user's text and unbalanced groups
/// cannot escape the anchors), then as `\A(?:PAT)\z`.
fn compile_regex(t: &Token) -> Result<Regex, CqlError> {
    let bad = |e: regex::Error| {
        let text = e.to_string();
        let reason = text
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .map_or_else(|| text.replace('\n', " "), str::to_string);
        let msg = format!("invalid regular expression {}: {reason}", t.describe());
        CqlError::new(t.offset, msg)
    };
    Regex::new(&t.text).map_err(bad)?;
    Regex::new(&format!(r"\A(?:{})\z", t.text)).map_err(bad)
}

fn parse_subject(t: &Token) -> Result<Subject, CqlError> {
    if t.kind != Kind::Word {
        let msg = format!(
            "expected a subject ({SUBJECT_LIST}), found {}",
            t.describe()
        );
        return Err(CqlError::new(t.offset, msg));
    }
    if let Some(name) = t.text.strip_prefix("attribute:") {
        return attribute_subject(name, t.offset + "attribute:".len());
    }
    match Subject::NAMED.iter().find(|(n, _)| *n == t.text) {
        Some((_, s)) => Ok(s.clone()),
        None => {
            let msg = format!("unknown subject {}; expected {SUBJECT_LIST}", t.describe());
            Err(CqlError::new(t.offset, msg))
        }
    }
}

/// Validates an attribute name (letters, digits, `-_./\`, 1-128 chars) starting at `offset`.
fn attribute_subject(name: &str, offset: usize) -> Result<Subject, CqlError> {
    if name.is_empty() {
        return Err(CqlError::new(
            offset,
            "missing attribute name after 'attribute:'".to_string(),
        ));
    }
    let valid = |c: char| c.is_ascii_alphanumeric() || "-_./\\".contains(c);
    if let Some((i, c)) = name.chars().enumerate().find(|(_, c)| !valid(*c)) {
        let msg = format!(
            "invalid character '{c}' in attribute name (allowed: letters, digits, '-', '_', '.', '/', '\\')"
        );
        return Err(CqlError::new(offset + i, msg));
    }
    let len = name.chars().count();
    if len > MAX_ATTRIBUTE_NAME {
        let msg =
            format!("attribute name is {len} characters long; the maximum is {MAX_ATTRIBUTE_NAME}");
        return Err(CqlError::new(offset + MAX_ATTRIBUTE_NAME, msg));
    }
    Ok(Subject::Attribute(name.to_string()))
}

/// Types the value token `t` for `subject`.
fn typed_value(subject: &Subject, t: &Token) -> Result<Value, CqlError> {
    let text = t.text.as_str();
    let err = |what: String| Err(CqlError::new(t.offset, what));
    match subject {
        Subject::AgentConnected => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => err(format!(
                "agentConnected takes true or false, found {}",
                t.describe()
            )),
        },
        Subject::AgentVersion => match Version::parse(text) {
            Some(v) => Ok(Value::Version(v)),
            None => err(format!(
                "invalid agent version {} (expected e.g. 1.14.5)",
                t.describe()
            )),
        },
        Subject::RegisteredAt => match parse_timestamp(text) {
            Ok(ms) => Ok(Value::Millis(ms)),
            Err(why) => err(format!(
                "invalid date {}: {why} (expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss, optionally followed by Z or ±hh:mm)",
                t.describe()
            )),
        },
        Subject::RunningTasksCount => match text
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse())
        {
            Some(Ok(n)) => Ok(Value::Count(n)),
            _ => err(format!(
                "runningTasksCount takes a non-negative integer, found {}",
                t.describe()
            )),
        },
        Subject::Ec2InstanceId | Subject::TaskGroup | Subject::Attribute(_) => {
            Ok(Value::Text(text.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Inst, error_of, eval};

    fn at(expr: &str) -> usize {
        error_of(expr).0
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let only_a = Inst::new().flag("a");
        let e = "attribute:a exists or attribute:b exists and attribute:c exists";
        assert!(eval(e, &only_a), "a or (b and c)");
        let e = "attribute:c exists and attribute:b exists || attribute:a exists";
        assert!(eval(e, &only_a), "(c and b) or a");
    }

    #[test]
    fn not_binds_tighter_than_and() {
        let e = "not attribute:a exists and attribute:b exists";
        assert!(!eval(e, &Inst::new()), "(not a) and b, not not(a and b)");
        assert!(eval(e, &Inst::new().flag("b")));
        assert!(eval("! ! attribute:a exists", &Inst::new().flag("a")));
        assert!(eval("not not attribute:a exists", &Inst::new().flag("a")));
    }

    #[test]
    fn parentheses_override_precedence() {
        let only_a = Inst::new().flag("a");
        let e = "(attribute:a exists or attribute:b exists) and attribute:c exists";
        assert!(!eval(e, &only_a));
        assert!(eval("((((attribute:a exists))))", &only_a));
        assert!(eval("!(attribute:b exists && attribute:a exists)", &only_a));
        assert!(eval("not(attribute:b exists)", &only_a));
    }

    #[test]
    fn connective_spellings_and_tight_spacing() {
        let i = Inst::new().attr("a", "1").attr("c", "x");
        assert!(eval("attribute:a==1&&attribute:c!=d", &i));
        assert!(eval("attribute:a==2||attribute:c==x", &i));
        assert!(eval("attribute:a == 1 and attribute:c == x", &i));
        assert!(eval("attribute:a == 2 or attribute:c == x", &i));
        assert!(eval("!attribute:b exists", &i));
        assert!(eval("attribute:a in[1,2]", &i));
    }

    #[test]
    fn every_operator_in_both_spellings() {
        let i = Inst::new().attr("a", "5");
        let pairs = [
            ("==", "equals"),
            ("!=", "not_equals"),
            (">", "greater_than"),
            (">=", "greater_than_equal"),
            ("<", "less_than"),
            ("<=", "less_than_equal"),
            ("=~", "matches"),
            ("!~", "not_matches"),
        ];
        for (sym, word) in pairs {
            for arg in ["4", "5", "6"] {
                let a = eval(&format!("attribute:a {sym} {arg}"), &i);
                assert_eq!(
                    a,
                    eval(&format!("attribute:a {word} {arg}"), &i),
                    "{sym}/{word} {arg}"
                );
            }
        }
        for (sym, word) in [("in", "in"), ("!in", "not_in")] {
            let a = eval(&format!("attribute:a {sym} [5, 6]"), &i);
            assert_eq!(a, eval(&format!("attribute:a {word} [5, 6]"), &i));
        }
        assert!(eval("attribute:a exists", &i) && !eval("attribute:a !exists", &i));
        assert!(!eval("attribute:a not_exists", &i));
    }

    #[test]
    fn quoted_values() {
        let i = Inst::new()
            .attr("a", "x y")
            .attr("b", "and")
            .attr("c", "it's )");
        assert!(eval("attribute:a == 'x y'", &i) && eval("attribute:a == \"x y\"", &i));
        assert!(eval("attribute:b == and", &i) && eval("attribute:b in ['and', or]", &i));
        assert!(eval("attribute:c == \"it's )\"", &i));
        assert!(eval("(attribute:c == \"it's )\")", &i));
    }

    #[test]
    fn regex_arguments() {
        let i = Inst::new()
            .attr("ecs.availability-zone", "us-east-1b")
            .attr("t", "b9");
        assert!(eval(
            "attribute:ecs.availability-zone =~ us-east-1[ab] and attribute:t exists",
            &i
        ));
        assert!(!eval(
            "attribute:ecs.availability-zone =~ us-east-1[ac]",
            &i
        ));
        assert!(eval("attribute:t =~ (a|b).* or attribute:t == z", &i));
        assert!(eval("(attribute:t =~ (a|b)[0-9])", &i));
        assert!(eval("(attribute:t =~ b\\d )", &i));
        assert!(eval("attribute:t matches '[a-c]9'", &i));
        assert!(eval("attribute:t =~ b{1}9? && attribute:t !~ ^x$", &i));
    }

    #[test]
    fn member_of_wrapper_accepts_compound() {
        let i = Inst::new().flag("a");
        assert!(eval(
            "memberOf(attribute:a exists or attribute:b exists)",
            &i
        ));
        assert!(eval(" memberOf ( not attribute:b exists ) ", &i));
    }

    #[test]
    fn length_limit_counts_characters() {
        let ok = format!("attribute:a == {}", "é".repeat(1985));
        assert!(!eval(&ok, &Inst::new()));
        let long = format!("attribute:a == {}", "x".repeat(1986));
        let (offset, msg) = error_of(&long);
        assert_eq!((offset, msg.contains("2001")), (2000, true));
    }

    #[test]
    fn error_unknown_subject() {
        assert_eq!(at("attribute:a == b and foo == 1"), 21);
        assert_eq!(at("Attribute:a == b"), 0);
        assert_eq!(at("task:groups == b"), 0);
        assert_eq!(at("'attribute:a' exists"), 0);
        assert!(error_of("foo == 1").1.starts_with("unknown subject 'foo'"));
    }

    #[test]
    fn error_bad_attribute_name() {
        assert_eq!(at("attribute:a:b exists"), 11);
        assert_eq!(at("attribute: exists"), 10);
        assert_eq!(at(&format!("attribute:{} exists", "n".repeat(129))), 138);
        assert!(eval(
            &format!("attribute:{} !exists", "n".repeat(128)),
            &Inst::new()
        ));
    }

    #[test]
    fn error_missing_operator() {
        let (offset, msg) = error_of("attribute:stack prod");
        assert_eq!(
            (offset, msg.as_str()),
            (
                16,
                "expected an operator after 'attribute:stack', found 'prod'"
            )
        );
        assert_eq!(at("task:group"), 10);
        assert_eq!(at("task:group 'in' [a]"), 11);
        assert_eq!(at("task:group EQUALS a"), 11);
    }

    #[test]
    fn error_missing_value() {
        let (offset, msg) = error_of("attribute:a ==");
        assert_eq!(
            (offset, msg.as_str()),
            (14, "expected a value after '==', found end of input")
        );
        assert_eq!(at("(attribute:a == )"), 16);
        assert_eq!(at("attribute:a =~"), 14);
        assert_eq!(at("(attribute:a =~ ) and x"), 16);
        assert_eq!(at("attribute:a in x"), 15);
    }

    #[test]
    fn error_unclosed_paren() {
        let (offset, msg) = error_of("(attribute:a exists");
        assert_eq!(offset, 19);
        assert_eq!(
            msg,
            "expected ')' to close the '(' at character 1, found end of input"
        );
        assert_eq!(at("not ((attribute:a exists) or attribute:b exists"), 47);
        assert_eq!(at("memberOf(attribute:a exists"), 27);
    }

    #[test]
    fn error_unclosed_or_bad_list() {
        assert_eq!(at("attribute:a in [x, y"), 20);
        assert_eq!(at("attribute:a in [x y]"), 18);
        assert_eq!(at("attribute:a in []"), 16);
        assert_eq!(at("attribute:a in [x,]"), 18);
        assert_eq!(at("agentConnected in [true, maybe]"), 25);
    }

    #[test]
    fn error_bad_regex() {
        let (offset, msg) = error_of("attribute:a =~ *x and attribute:b exists");
        assert_eq!(offset, 15);
        assert!(
            msg.starts_with("invalid regular expression '*x': "),
            "{msg}"
        );
        assert_eq!(at("attribute:a =~ a[ and attribute:b exists"), 15);
        assert_eq!(at("attribute:a =~ 'a)|(b'"), 15);
        assert_eq!(at("attribute:a =~ (?=x)"), 15);
    }

    #[test]
    fn error_bad_date() {
        let (offset, msg) = error_of("registeredAt > 2018-02-30");
        assert_eq!(offset, 15);
        assert!(
            msg.starts_with("invalid date '2018-02-30': day out of range"),
            "{msg}"
        );
        assert_eq!(at("registeredAt > yesterday"), 15);
        assert_eq!(at("registeredAt > '2018-06-18T22:28:28+0000'"), 15);
    }

    #[test]
    fn error_bad_typed_values() {
        assert_eq!(at("runningTasksCount == -1"), 21);
        assert_eq!(at("runningTasksCount == 1.5"), 21);
        assert_eq!(at("agentConnected == yes"), 18);
        assert_eq!(at("agentConnected == True"), 18);
        assert_eq!(at("agentVersion >= 1.x"), 16);
    }

    #[test]
    fn error_trailing_garbage() {
        let (offset, msg) = error_of("attribute:a exists attribute:b exists");
        assert_eq!(
            (offset, msg.as_str()),
            (
                19,
                "expected 'and', 'or' or end of input, found 'attribute:b'"
            )
        );
        assert_eq!(at("attribute:a exists AND attribute:b exists"), 19);
        assert_eq!(at("attribute:a exists)"), 18);
        assert_eq!(at("memberOf(attribute:a exists) and x"), 29);
    }

    #[test]
    fn error_operator_not_allowed() {
        let (offset, msg) = error_of("agentConnected > true");
        assert_eq!(offset, 15);
        assert_eq!(
            msg,
            "operator '>' is not allowed with subject 'agentConnected' (allowed: ==, !=, in, !in, =~, !~)"
        );
        assert_eq!(at("runningTasksCount in [1]"), 18);
        assert_eq!(at("agentVersion exists"), 13);
        assert_eq!(at("registeredAt =~ 2018.*"), 13);
        assert_eq!(at("ec2InstanceId not_exists"), 14);
        assert_eq!(at("ec2InstanceId >= i-0"), 14);
    }

    #[test]
    fn error_empty_and_dangling() {
        assert_eq!(at(""), 0);
        assert_eq!(at("   "), 3);
        assert_eq!(at("not "), 4);
        assert_eq!(at("attribute:a exists and"), 22);
        assert_eq!(at("attribute:a exists or )"), 22);
        assert_eq!(at("memberOf attribute:a exists"), 9);
        assert_eq!(at("attribute:a == 'open"), 15);
        assert_eq!(at("attribute:a = b"), 12);
    }

    #[test]
    fn error_nesting_too_deep() {
        let deep = format!("{}attribute:a exists{}", "(".repeat(101), ")".repeat(101));
        assert_eq!(at(&deep), 100);
        let ok = format!("{}attribute:a exists{}", "(".repeat(100), ")".repeat(100));
        assert!(eval(&ok, &Inst::new().flag("a")));
        assert_eq!(at(&format!("{}attribute:a exists", "!".repeat(1000))), 100);
    }
}
