//! Lexer for CQL: turns the expression's characters into tokens carrying exact 0-based
//! character offsets.
//!
//! The parser drives the lexer because lexing depends on context: [`Lexer::next_token`] yields
//! ordinary tokens, and [`Lexer::regex_token`] reads the argument of `=~`/`!~`, which may contain
//! `[ ] ( ) * | + ? { } ^ $ \`.
//!
//! Ordinary tokens are:
//! * symbols `( ) [ ] , && || ! == != > >= < <= =~ !~ !exists !in`;
//! * quoted strings, `'...'` or `"..."`, with no escapes (the text ends at the next matching quote);
//! * words: runs of characters other than whitespace and `( ) [ ] , ' " = ! < > & |`. Subjects,
//!   keywords, operator words and bare values are all words (`t2.small`, `service:production`,
//!   `2018-06-18T22:28:28+00:00`).

use super::CqlError;

/// What a token is. `Sym` holds the symbol's canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    /// A quoted string; the `char` is the quote used.
    Quoted(char),
    Sym(&'static str),
    End,
}

/// One token: its kind, its text (quotes stripped), and the char offset where it starts
/// (the opening quote for quoted strings, the input length for `End`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub text: String,
    pub offset: usize,
}

impl Token {
    /// The token as it reads in an error message: `'word'`, `"quoted"`, `'=='`, `end of input`.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Word => format!("'{}'", self.text),
            Kind::Quoted(q) => format!("{q}{}{q}", self.text),
            Kind::Sym(s) => format!("'{s}'"),
            Kind::End => "end of input".to_string(),
        }
    }

    pub fn is_sym(&self, sym: &str) -> bool {
        matches!(self.kind, Kind::Sym(s) if s == sym)
    }

    pub fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }

    /// A word or a quoted string: something usable as a value.
    pub fn is_value(&self) -> bool {
        matches!(self.kind, Kind::Word | Kind::Quoted(_))
    }
}

/// Characters that end a word (besides whitespace).
const SPECIAL: [char; 13] = [
    '(', ')', '[', ']', ',', '\'', '"', '=', '!', '<', '>', '&', '|',
];

/// Symbols, longest spellings first so that `>=` wins over `>`.
const SYMBOLS: [&str; 16] = [
    "&&", "||", "==", "=~", "!=", "!~", ">=", "<=", ">", "<", "!", "(", ")", "[", "]", ",",
];

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !SPECIAL.contains(&c)
}

/// A cursor over the expression's characters.
pub(crate) struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

impl Lexer {
    pub fn new(src: &str) -> Self {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn word_char_at(&self, i: usize) -> bool {
        self.at(i).is_some_and(is_word_char)
    }

    /// Whether the ASCII string `s` occurs at char offset `i`.
    fn starts_with_at(&self, i: usize, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.at(i + k) == Some(c))
    }

    /// Whether the keyword `w` occurs at `i` as a whole word.
    fn keyword_at(&self, i: usize, w: &str) -> bool {
        self.starts_with_at(i, w) && !self.word_char_at(i + w.len())
    }

    fn skip_whitespace(&mut self) {
        while self.at(self.pos).is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn end_token(&self) -> Token {
        Token {
            kind: Kind::End,
            text: String::new(),
            offset: self.chars.len(),
        }
    }

    /// Takes `len` characters starting at the cursor as a token of `kind`.
    fn take(&mut self, kind: Kind, len: usize) -> Token {
        let offset = self.pos;
        self.pos += len;
        let text = self.chars[offset..self.pos].iter().collect();
        Token { kind, text, offset }
    }

    /// The next ordinary token (skipping whitespace).
    pub fn next_token(&mut self) -> Result<Token, CqlError> {
        self.skip_whitespace();
        let Some(c) = self.at(self.pos) else {
            return Ok(self.end_token());
        };
        if c == '\'' || c == '"' {
            return self.quoted(c);
        }
        if is_word_char(c) {
            let len = (self.pos..self.chars.len())
                .take_while(|&i| self.word_char_at(i))
                .count();
            return Ok(self.take(Kind::Word, len));
        }
        if let Some(sym) = self.symbol() {
            return Ok(self.take(Kind::Sym(sym), sym.len()));
        }
        let hint = match c {
            '=' => " (did you mean '=='?)",
            '&' => " (did you mean '&&'?)",
            '|' => " (did you mean '||'?)",
            _ => "",
        };
        Err(CqlError::new(
            self.pos,
            format!("unexpected character '{c}'{hint}"),
        ))
    }

    /// The symbol at the cursor, if any; `!exists` and `!in` only as whole words.
    fn symbol(&self) -> Option<&'static str> {
        if let Some(w) = ["!exists", "!in"]
            .into_iter()
            .find(|w| self.keyword_at(self.pos, w))
        {
            return Some(w);
        }
        SYMBOLS
            .into_iter()
            .find(|s| self.starts_with_at(self.pos, s))
    }

    /// A quoted string opened by `quote` at the cursor.
    fn quoted(&mut self, quote: char) -> Result<Token, CqlError> {
        let start = self.pos;
        let Some(close) = (start + 1..self.chars.len()).find(|&i| self.chars[i] == quote) else {
            let msg = format!("unterminated string: no closing {quote} for the one opened here");
            return Err(CqlError::new(start, msg));
        };
        self.pos = close + 1;
        let text = self.chars[start + 1..close].iter().collect();
        Ok(Token {
            kind: Kind::Quoted(quote),
            text,
            offset: start,
        })
    }

    /// The argument of `=~`/`!~`: a quoted string, or a bare regular expression running up to
    /// whitespace followed by `and`/`or`/`&&`/`||`/`)`/end of input, or up to an unbalanced `)`,
    /// ignoring whitespace and parentheses inside the regex's own `( )` groups and `[ ]` classes.
    /// Returns an empty `Word` if nothing regex-like is at the cursor (the cursor does not move).
    pub fn regex_token(&mut self) -> Result<Token, CqlError> {
        self.skip_whitespace();
        match self.at(self.pos) {
            None => Ok(self.end_token()),
            Some(q @ ('\'' | '"')) => self.quoted(q),
            Some(_) => {
                let len = self.regex_end(self.pos) - self.pos;
                Ok(self.take(Kind::Word, len))
            }
        }
    }

    /// Where a bare regex starting at `start` ends (exclusive char offset).
    fn regex_end(&self, start: usize) -> usize {
        let (mut i, mut depth, mut class) = (start, 0usize, 0usize);
        while let Some(c) = self.at(i) {
            if c == '\\' {
                i += 2;
                continue;
            }
            if class > 0 {
                match c {
                    '[' => class += 1,
                    ']' => class -= 1,
                    _ => {}
                }
            } else {
                match c {
                    '[' => class = 1,
                    '(' => depth += 1,
                    ')' if depth == 0 => return i,
                    ')' => depth -= 1,
                    _ if c.is_whitespace() && depth == 0 && self.ends_regex(i) => return i,
                    _ => {}
                }
            }
            i += 1;
        }
        self.chars.len()
    }

    /// Whether the whitespace at `ws` ends a bare regex: it is followed (after more whitespace)
    /// by end of input, `)`, `&&`, `||`, or the whole word `and`/`or`.
    fn ends_regex(&self, ws: usize) -> bool {
        let j = (ws..self.chars.len()).find(|&k| !self.chars[k].is_whitespace());
        let Some(j) = j else {
            return true;
        };
        self.at(j) == Some(')')
            || self.starts_with_at(j, "&&")
            || self.starts_with_at(j, "||")
            || self.keyword_at(j, "and")
            || self.keyword_at(j, "or")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_all(src: &str) -> Vec<(Kind, String, usize)> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().expect("lexes");
            if t.kind == Kind::End {
                return out;
            }
            out.push((t.kind, t.text, t.offset));
        }
    }

    fn w(text: &str, offset: usize) -> (Kind, String, usize) {
        (Kind::Word, text.to_string(), offset)
    }

    fn s(sym: &'static str, offset: usize) -> (Kind, String, usize) {
        (Kind::Sym(sym), sym.to_string(), offset)
    }

    #[test]
    fn words_and_symbols_with_offsets() {
        let toks = lex_all("attribute:ecs.instance-type==t2.small && !(x != y)");
        let expect = vec![
            w("attribute:ecs.instance-type", 0),
            s("==", 27),
            w("t2.small", 29),
            s("&&", 38),
            s("!", 41),
            s("(", 42),
            w("x", 43),
            s("!=", 45),
            w("y", 48),
            s(")", 49),
        ];
        assert_eq!(toks, expect);
    }

    #[test]
    fn all_operator_symbols() {
        let toks = lex_all("== != > >= < <= =~ !~ !exists !in || [ ] ,");
        let syms: Vec<String> = toks.into_iter().map(|t| t.1).collect();
        let expect = "== != > >= < <= =~ !~ !exists !in || [ ] ,";
        assert_eq!(syms.join(" "), expect);
    }

    #[test]
    fn bang_before_word_is_not() {
        assert_eq!(lex_all("!inside"), vec![s("!", 0), w("inside", 1)]);
        assert_eq!(lex_all("!existsx"), vec![s("!", 0), w("existsx", 1)]);
        assert_eq!(lex_all("!in("), vec![s("!in", 0), s("(", 3)]);
    }

    #[test]
    fn bare_values_keep_punctuation() {
        let toks = lex_all("service:production 2018-06-18T22:28:28+00:00 a/b\\c@d");
        let expect = vec![
            w("service:production", 0),
            w("2018-06-18T22:28:28+00:00", 19),
            w("a/b\\c@d", 45),
        ];
        assert_eq!(toks, expect);
    }

    #[test]
    fn quoted_strings_strip_quotes() {
        let toks = lex_all(r#"['i-abcd1234', "a b"]"#);
        let expect = vec![
            s("[", 0),
            (Kind::Quoted('\''), "i-abcd1234".to_string(), 1),
            s(",", 13),
            (Kind::Quoted('"'), "a b".to_string(), 15),
            s("]", 20),
        ];
        assert_eq!(toks, expect);
    }

    #[test]
    fn unterminated_quote_and_stray_characters() {
        let e = Lexer::new("  'abc").next_token().expect_err("unterminated");
        assert_eq!(e.offset, 2);
        let mut lx = Lexer::new("a = b");
        assert!(lx.next_token().is_ok());
        let e = lx.next_token().expect_err("single '='");
        assert_eq!((e.offset, e.message.contains("==")), (2, true));
        let e = Lexer::new(" & ").next_token().expect_err("single '&'");
        assert_eq!(e.offset, 1);
    }

    #[test]
    fn offsets_count_chars_not_bytes() {
        assert_eq!(lex_all("é == ü"), vec![w("é", 0), s("==", 2), w("ü", 5)]);
    }

    fn regex_of(src: &str) -> (String, usize, String) {
        let mut lx = Lexer::new(src);
        let t = lx.regex_token().expect("lexes");
        let rest: String = lx.chars[lx.pos..].iter().collect();
        (t.text, t.offset, rest)
    }

    #[test]
    fn regex_stops_before_connectives() {
        assert_eq!(regex_of(" t2.* and x"), ("t2.*".into(), 1, " and x".into()));
        assert_eq!(regex_of(" t2.*  or x"), ("t2.*".into(), 1, "  or x".into()));
        assert_eq!(regex_of(" t2.* && x"), ("t2.*".into(), 1, " && x".into()));
        assert_eq!(regex_of(" t2.* ||x"), ("t2.*".into(), 1, " ||x".into()));
        assert_eq!(regex_of(" t2.* )"), ("t2.*".into(), 1, " )".into()));
        assert_eq!(regex_of(" t2.*  "), ("t2.*".into(), 1, "  ".into()));
        assert_eq!(regex_of("t2.*)"), ("t2.*".into(), 0, ")".into()));
    }

    #[test]
    fn regex_keeps_brackets_groups_and_inner_spaces() {
        assert_eq!(regex_of("us-east-1[ab] and x").0, "us-east-1[ab]");
        assert_eq!(regex_of("(a|b).* and x").0, "(a|b).*");
        assert_eq!(regex_of("(a or b) and x").0, "(a or b)");
        assert_eq!(regex_of("[ )]x) y").0, "[ )]x");
        assert_eq!(regex_of("a b and c").0, "a b");
        assert_eq!(regex_of("a\\) b").0, "a\\) b");
        assert_eq!(regex_of("x andy").0, "x andy");
        assert_eq!(regex_of("x{2,3}$|^y+ and z").0, "x{2,3}$|^y+");
    }

    #[test]
    fn regex_quoted_or_missing() {
        assert_eq!(regex_of(" 'a b' and x"), ("a b".into(), 1, " and x".into()));
        assert_eq!(regex_of(") x"), (String::new(), 0, ") x".into()));
        let t = Lexer::new("   ").regex_token().expect("lexes");
        assert_eq!((t.kind, t.offset), (Kind::End, 3));
    }
}
