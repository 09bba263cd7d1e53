//! A quicker reader for the YAML that large scenarios are made of (what `ecsim generate`
//! writes): the events of granit-parser, the parser under serde-saphyr, turned straight into
//! located nodes, without serde-saphyr's deserializer in between (which takes half of the
//! time of loading a 24-hour scenario's 49,000-entry timeline).
//!
//! It guarantees the tree serde-saphyr would build, node for node and location for location,
//! or nothing: it reads only what it can type exactly as serde-saphyr does, and declines
//! (`None`) anything else — a tag, an anchor, an alias, a merge key, a directive, a second
//! document, a repeated key, a plain scalar that might be a number, boolean or null in some
//! spelling it does not check, deep nesting, a very large text, and every error.
//! `node::parse_document` then reads the text with serde-saphyr, so each document still gets
//! serde-saphyr's tree or serde-saphyr's error.

use crate::error::Loc;
use crate::node::{Located, Node};
use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle, Span};

/// Larger texts go to serde-saphyr, which holds them to its budget (64 MiB of scalar text).
const MAX_TEXT_BYTES: usize = 64 << 20;

/// Deeper nesting goes to serde-saphyr, which holds it to its budget (64 levels).
const MAX_DEPTH: usize = 60;

/// Above this many keys a mapping checks for repeats by sorting rather than pairwise.
const PAIRWISE_KEYS: usize = 16;

/// The located tree of `text`, or None when serde-saphyr must read it.
pub(crate) fn parse(text: &str) -> Option<Located<Node>> {
    if text.len() > MAX_TEXT_BYTES {
        return None;
    }
    let mut r = Reader {
        events: Parser::new_from_str_with_options(text, parser_options()),
        depth: 0,
    };
    matches!(r.next()?.0, Event::StreamStart).then_some(())?;
    matches!(r.next()?.0, Event::DocumentStart(_, None)).then_some(())?;
    let first = r.next()?;
    let root = r.node(first)?;
    matches!(r.next()?.0, Event::DocumentEnd).then_some(())?;
    matches!(r.next()?.0, Event::StreamEnd).then_some(())?;
    Some(root)
}

/// The parser settings serde-saphyr uses with its default budget and `emit_comments: false`.
fn parser_options() -> granit_parser::Options {
    let budget = serde_saphyr::Budget::default();
    let mut options = granit_parser::Options::default();
    options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    options.flow_nesting_limit = budget.flow_nesting_limit;
    options.block_nesting_limit = options
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    options.emit_comments = false;
    options
}

struct Reader<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// The next event, None at an error or the end.
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        self.events.next_event()?.ok()
    }

    /// The node that starts with `first`.
    fn node(&mut self, (first, span): (Event<'a>, Span)) -> Option<Located<Node>> {
        let loc = loc_of(&span);
        let value = match first {
            Event::Scalar(text, style, 0, None) => scalar(&text, style)?,
            Event::SequenceStart(_, 0, None) => self.nested(Self::sequence)?,
            Event::MappingStart(_, 0, None) => self.nested(Self::mapping)?,
            _ => return None,
        };
        Some(Located { value, loc })
    }

    fn nested(&mut self, read: fn(&mut Self) -> Option<Node>) -> Option<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let node = read(self);
        self.depth -= 1;
        node
    }

    fn sequence(&mut self) -> Option<Node> {
        let mut items = Vec::new();
        loop {
            match self.next()? {
                (Event::SequenceEnd, _) => return Some(Node::Seq(items)),
                event => items.push(self.node(event)?),
            }
        }
    }

    fn mapping(&mut self) -> Option<Node> {
        let mut entries = Vec::new();
        loop {
            let (key, span) = match self.next()? {
                (Event::MappingEnd, _) => break,
                (Event::Scalar(text, style, 0, None), span) => (key(text, style)?, span),
                _ => return None,
            };
            let first = self.next()?;
            let value = self.node(first)?;
            let key = Located {
                value: key,
                loc: loc_of(&span),
            };
            entries.push((key, value));
        }
        (!has_repeated_key(&entries)).then_some(Node::Map(entries))
    }
}

/// serde-saphyr's location of a node: its first character, line and column from 1.
fn loc_of(span: &Span) -> Loc {
    Loc {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// A mapping key's text: a quoted key, or a plain one that is a word (`scalar`); a block
/// scalar as a key (`? |`) is left to serde-saphyr.
fn key(text: std::borrow::Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    let taken = match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => true,
        ScalarStyle::Plain => is_word(&text),
        _ => false,
    };
    taken.then(|| text.into_owned())
}

/// A scalar as serde-saphyr types it untagged (`deserialize_any`): a quoted or block scalar
/// is a string; a plain one is null (`~`, `null`, empty), a boolean (`true`, `false`, and
/// YAML 1.1's `yes`, `on`, ... which this declines), an integer, a float, or else a string.
/// This types only plain scalars it is sure of: the null and boolean spellings, decimal
/// integers of at most 18 digits without a leading zero, decimal fractions, and strings no
/// number, boolean or null spelling can be (`is_word`, `is_digits_and_letters`).
fn scalar(text: &str, style: ScalarStyle) -> Option<Node> {
    if style != ScalarStyle::Plain {
        return Some(Node::Str(text.to_string()));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Node::Null),
        "true" | "True" | "TRUE" => return Some(Node::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Node::Bool(false)),
        _ => {}
    }
    if let Some(n) = decimal(text) {
        return Some(Node::Int(n));
    }
    if let Some(x) = fraction(text) {
        return Some(Node::Float(x));
    }
    (is_word(text) || is_digits_and_letters(text)).then(|| Node::Str(text.to_string()))
}

/// A decimal integer without sign but `-`, leading zero or underscore, and at most 18 digits
/// (so it fits an i64).
fn decimal(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    plain.then(|| text.parse().ok()).flatten()
}

/// A decimal fraction (`-0.25`, `1.5`): digits without a leading zero (but `0`), a point and
/// digits; what serde-saphyr reads with `str::parse::<f64>` too, and a finite one is a float.
fn fraction(text: &str) -> Option<f64> {
    let (whole, part) = text.strip_prefix('-').unwrap_or(text).split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let plain = digits(whole) && digits(part) && (whole == "0" || !whole.starts_with('0'));
    plain
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .filter(|x| x.is_finite())
}

/// Starts with an ASCII letter and is no boolean, null or non-finite float spelling of any
/// case: no number starts with a letter, and these are every letter-led non-string.
fn is_word(text: &str) -> bool {
    const NOT_WORDS: [&str; 12] = [
        "y", "yes", "n", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    text.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && !NOT_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
}

/// Starts with a digit and holds a character no number has: numbers are made of digits,
/// `+ - . _ :`, and letters only as an exponent (`e`), a radix after `0` (`0x`, `0o`, `0b`) or
/// hex digits after it, so a text that does not start with a radix and holds a letter other
/// than `e`, or any other character, is a string (`0s`, `1d`, `2s..10s`, `10.0.0.0/8`).
fn is_digits_and_letters(text: &str) -> bool {
    let bytes = text.as_bytes();
    let radix = bytes.len() > 1 && bytes[0] == b'0' && b"xXoObB".contains(&bytes[1]);
    let number_char = |b: &u8| b.is_ascii_digit() || b"+-._:eE".contains(b);
    bytes.first().is_some_and(u8::is_ascii_digit) && !radix && !bytes.iter().all(number_char)
}

/// Whether two entries share a key (serde-saphyr reports that; this leaves it to it).
fn has_repeated_key(entries: &[(Located<String>, Located<Node>)]) -> bool {
    if entries.len() <= PAIRWISE_KEYS {
        return entries
            .iter()
            .enumerate()
            .any(|(at, (k, _))| entries[..at].iter().any(|(e, _)| e.value == k.value));
    }
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.value.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::parse_with_saphyr;
    use proptest::prelude::*;
    use std::path::Path;

    /// The quick reader's tree, which must be serde-saphyr's, or None (it declined).
    fn checked(text: &str) -> Option<Located<Node>> {
        let quick = parse(text)?;
        let saphyr = parse_with_saphyr(text, "t.yaml");
        assert_eq!(Some(&quick), saphyr.as_ref().ok(), "{text:?}");
        Some(quick)
    }

    fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                out.push(path);
            }
        }
    }

    /// Every scenario and report file of the repository reads the same both ways, and the quick
    /// reader takes at least three in four (the others use what it declines, such as anchors).
    #[test]
    fn the_repositorys_documents_read_the_same_both_ways() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["scenarios", "reports", "crates/scenario/data"] {
            yaml_files(&root.join(dir), &mut files);
        }
        let taken = files
            .iter()
            .filter(|f| checked(&std::fs::read_to_string(f).expect("a file")).is_some())
            .count();
        assert!(files.len() >= 30, "{} files", files.len());
        assert!(
            taken * 4 >= files.len() * 3,
            "{taken} of {} taken",
            files.len()
        );
    }

    /// Plain scalar spellings of every kind serde-saphyr tells apart.
    const SPELLINGS: &[&str] = &[
        "",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "0",
        "-0",
        "+1",
        "7",
        "-42",
        "007",
        "0x1F",
        "0X1F",
        "0o17",
        "0b101",
        "1_000",
        "123456789012345678",
        "1234567890123456789",
        "18446744073709551616",
        "-9223372036854775808",
        "1.5",
        "-0.25",
        "0.5",
        "00.5",
        "1.",
        ".5",
        "1e3",
        "1E3",
        "1.5e-3",
        "1e999",
        ".inf",
        "-.inf",
        ".nan",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "1d",
        "5m",
        "2s..10s",
        "10.0.0.0/8",
        "1:30",
        "12:30:00",
        "2001-12-14",
        "0s",
        "e5",
        "E",
        "svc-0001",
        "m5.large",
        "us-east-1a",
        "a b c",
        "x:y",
        "<<",
        "=",
        "-",
        "@x",
        "`x",
        "%x",
        "0.5ms",
        "5.2xlarge",
        "1e5x",
        "-1d",
        "+1d",
        "-",
        "-a",
    ];

    /// Plain scalars of every kind, each as a mapping's value, a sequence's item and a key:
    /// what the quick reader types is what serde-saphyr types, and it takes the usual ones.
    #[test]
    fn scalars_are_typed_as_serde_saphyr_types_them() {
        let taken = |s: &str| {
            let docs = [
                format!("k: {s}\n"),
                format!("- {s}\n"),
                format!("[{s}]"),
                format!("{s}: 1\n"),
                format!("k: '{s}'\n"),
                format!("k: \"{s}\"\n"),
            ];
            docs.map(|doc| checked(&doc).is_some())
        };
        for s in SPELLINGS {
            taken(s);
        }
        // A fraction too large for an f64 (serde-saphyr rejects it as non-finite).
        taken(&format!("{}.5", "9".repeat(400)));
        let usual = [
            "svc-0001",
            "us-east-1a",
            "7",
            "-42",
            "0",
            "1.5",
            "-0.25",
            "true",
            "null",
        ];
        for s in usual
            .into_iter()
            .chain(["0s", "1d", "5m", "2s..10s", "5.2xlarge"])
        {
            let [value, item, flow, key, single, double] = taken(s);
            assert!(value && item && flow && single && double, "{s} declined");
            assert_eq!(key, is_word(s), "{s} as a key");
        }
    }

    /// Structure and locations: block and flow collections nested, empty ones, comments,
    /// multi-line plain and block scalars, CRLF, a document start marker.
    #[test]
    fn structures_and_locations_are_serde_saphyrs() {
        let docs = [
            "a: 1\nb:\n  - {c: x, d: null}\n  - 1.5\n",
            "# head\nname: x # trailing\nlist:\n- a\n- b\nmap:\n  k: v\n  e: {}\n  s: []\n",
            "---\ntop:\n  nested:\n    deeper: [1, [2, [3, {four: 4}]]]\n",
            "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\nplain: a\n  continued\n",
            "a: 1\r\nb:\r\n  - x\r\n",
            "{\"name\": \"x\", \"n\": [1, 2], \"o\": {\"p\": true}}",
            "k:\n",
            "k: [a, b,\n  c]\n",
            "? k\n: v\n",
        ];
        for doc in docs {
            assert!(checked(doc).is_some(), "declined {doc:?}");
        }
    }

    /// What it must leave to serde-saphyr: tags, anchors and aliases, merge keys, directives,
    /// several documents, repeated keys, non-scalar and block-scalar keys, errors, deep nesting.
    #[test]
    fn it_declines_what_serde_saphyr_must_read() {
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let docs = [
            "k: !!str 1\n",
            "a: &x 1\nb: *x\n",
            "base: &b {x: 1}\nd:\n  <<: *b\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1\na: 2\n",
            "? [a]\n: 1\n",
            "? |\n  k\n: 1\n",
            "a: [1,\nb: 2",
            "",
            &deep,
        ];
        for doc in docs {
            assert_eq!(parse(doc), None, "{doc:?}");
        }
    }

    /// Many keys: a repeat among them is found (the sorting check).
    #[test]
    fn a_repeat_among_many_keys_is_left_to_serde_saphyr() {
        let keys: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(checked(&keys).is_some());
        assert_eq!(parse(&format!("{keys}k7: 0\n")), None);
    }

    fn scalar_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9.-]{0,8}",
            "-?[0-9]{1,20}",
            "-?[0-9]{1,3}\\.[0-9]{0,3}",
            "[0-9][a-z0-9._:-]{0,5}",
            "[0-9a-zA-Z .:_+-]{0,6}",
            "(y|n|yes|no|on|off|true|false|null|nan|inf|~)",
        ]
    }

    fn document() -> impl Strategy<Value = String> {
        let leaf = scalar_text().prop_map(|s| {
            if s.contains(": ") || s.ends_with(':') || s.starts_with(['-', ':', ' ']) {
                format!("'{s}'")
            } else {
                s
            }
        });
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec(("[a-z]{1,3}", inner), 0..4).prop_map(|v| {
                    let body: Vec<String> = v.iter().map(|(k, x)| format!("{k}: {x}")).collect();
                    format!("{{{}}}", body.join(", "))
                }),
            ]
        })
    }

    proptest! {
        /// Random flow documents of tricky scalars: whatever the quick reader takes, it reads as
        /// serde-saphyr does.
        #[test]
        fn random_documents_read_the_same(doc in document()) {
            checked(&format!("root: {doc}\n"));
            checked(&format!("- {doc}\n- x\n"));
        }
    }
}
