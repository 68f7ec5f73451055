//! The part of our expression language a JSONPath `Choice` rule can say exactly: references to parameters, step
//! outputs and the step's own `output`, literals, comparisons, `and`, `or`, `not` and parentheses.
//!
//! Everything else (filters after `|`, function calls, `in`, arithmetic, truthiness of a value that is not a
//! comparison) is refused with the byte range it starts at, so that `export` points at it instead of guessing.

use serde_json::{Value, json};

pub use super::jsonata::Untranslatable;

/// A reference as written: `params.table`, `steps.versions.output.Versions[0]`, `output.State`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub segments: Vec<Segment>,
    pub at: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Name(String),
    Index(i64),
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Reference(Reference),
    Literal(Value),
    Compare(Comparison, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// Where references point in the state: how a [`Reference`] becomes a JSONPath.
pub trait Resolve {
    fn path(&self, reference: &Reference) -> Result<String, Untranslatable>;
}

/// The Choice rule (without `Next`) that is true exactly when `source` is.
pub fn choice_rule(source: &str, resolve: &dyn Resolve) -> Result<Value, Untranslatable> {
    let expr = parse(source)?;
    rule(&expr, resolve, source)
}

/// The single reference `source` consists of, as a JSONPath.
pub fn reference_path(source: &str, resolve: &dyn Resolve) -> Result<String, Untranslatable> {
    match parse(source)? {
        Expr::Reference(reference) => resolve.path(&reference),
        _ => Err(Untranslatable {
            at: 0..source.len(),
            reason: "only a plain reference (such as `params.table` or `output.State`) becomes a JSONPath"
                .into(),
        }),
    }
}

/// `$.a.b[0]` from a base path and the segments after the root.
pub fn json_path(base: &str, segments: &[Segment]) -> String {
    let mut path = base.to_string();
    for segment in segments {
        match segment {
            Segment::Name(name) => {
                path.push('.');
                path.push_str(name);
            }
            Segment::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

fn rule(expr: &Expr, resolve: &dyn Resolve, source: &str) -> Result<Value, Untranslatable> {
    Ok(match expr {
        Expr::And(left, right) => {
            json!({"And": [rule(left, resolve, source)?, rule(right, resolve, source)?]})
        }
        Expr::Or(left, right) => {
            json!({"Or": [rule(left, resolve, source)?, rule(right, resolve, source)?]})
        }
        Expr::Not(inner) => json!({"Not": rule(inner, resolve, source)?}),
        Expr::Compare(op, left, right) => compare(*op, left, right, resolve)?,
        Expr::Reference(reference) => {
            return Err(Untranslatable {
                at: reference.at.clone(),
                reason: "a value used as a condition is true by Jinja truthiness (non-empty, non-zero), which a \
                         Choice rule cannot test; compare it explicitly"
                    .into(),
            });
        }
        Expr::Literal(_) => {
            return Err(Untranslatable {
                at: 0..source.len(),
                reason: "a constant condition has no Choice rule; remove it".into(),
            });
        }
    })
}

fn compare(
    op: Comparison,
    left: &Expr,
    right: &Expr,
    resolve: &dyn Resolve,
) -> Result<Value, Untranslatable> {
    // A literal on the left reads the same mirrored.
    let (op, reference, other) = match (left, right) {
        (Expr::Reference(reference), other) => (op, reference, other),
        (other @ Expr::Literal(_), Expr::Reference(reference)) => (mirrored(op), reference, other),
        _ => {
            return Err(Untranslatable {
                at: 0..0,
                reason: "a comparison needs a reference on one side".into(),
            });
        }
    };
    let variable = resolve.path(reference)?;
    if op == Comparison::NotEqual {
        return Ok(json!({"Not": compare(Comparison::Equal, left, right, resolve)?}));
    }
    let operator = |kind: &str, suffix: &str| format!("{kind}{}{suffix}", op_name(op));
    Ok(match other {
        Expr::Literal(Value::String(text)) => {
            json!({"Variable": variable, operator("String", ""): text})
        }
        Expr::Literal(Value::Number(number)) => {
            json!({"Variable": variable, operator("Numeric", ""): number})
        }
        Expr::Literal(Value::Bool(flag)) if op == Comparison::Equal => {
            json!({"Variable": variable, "BooleanEquals": flag})
        }
        Expr::Literal(Value::Null) if op == Comparison::Equal => {
            json!({"Variable": variable, "IsNull": true})
        }
        Expr::Literal(_) => {
            return Err(Untranslatable {
                at: reference.at.clone(),
                reason: "only equality applies to `true`, `false` and `none`".into(),
            });
        }
        Expr::Reference(other) => {
            // Two references may hold strings or numbers: compare within each type, as Jinja does (a string never
            // equals a number).
            let other = resolve.path(other)?;
            let typed = |kind: &str, test: &str| {
                json!({"And": [
                    {"Variable": variable, test: true},
                    {"Variable": other, test: true},
                    {"Variable": variable, operator(kind, "Path"): other},
                ]})
            };
            let mut choices = vec![typed("String", "IsString"), typed("Numeric", "IsNumeric")];
            if op == Comparison::Equal {
                choices.push(typed("Boolean", "IsBoolean"));
            }
            json!({"Or": choices})
        }
        _ => {
            return Err(Untranslatable {
                at: reference.at.clone(),
                reason: "a comparison between computed values has no Choice rule".into(),
            });
        }
    })
}

fn mirrored(op: Comparison) -> Comparison {
    match op {
        Comparison::Less => Comparison::Greater,
        Comparison::LessOrEqual => Comparison::GreaterOrEqual,
        Comparison::Greater => Comparison::Less,
        Comparison::GreaterOrEqual => Comparison::LessOrEqual,
        same => same,
    }
}

fn op_name(op: Comparison) -> &'static str {
    match op {
        Comparison::Equal | Comparison::NotEqual => "Equals",
        Comparison::Less => "LessThan",
        Comparison::LessOrEqual => "LessThanEquals",
        Comparison::Greater => "GreaterThan",
        Comparison::GreaterOrEqual => "GreaterThanEquals",
    }
}

fn parse(source: &str) -> Result<Expr, Untranslatable> {
    let mut parser = Parser {
        source,
        tokens: tokens(source)?,
        next: 0,
    };
    let expr = parser.or()?;
    match parser.tokens.get(parser.next) {
        None => Ok(expr),
        Some(token) => Err(parser.refuse_at(token)),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Str(String),
    Number(serde_json::Number),
    Symbol(&'static str),
}

const SYMBOLS: &[&str] = &[
    "==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ".", "|", ",", "+", "-", "*", "/", "%",
    "~",
];

fn tokens(source: &str) -> Result<Vec<(Token, std::ops::Range<usize>)>, Untranslatable> {
    let mut found = Vec::new();
    let bytes = source.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let c = bytes[at];
        let start = at;
        if c.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                at += 1;
            }
            found.push((Token::Name(source[start..at].to_string()), start..at));
        } else if c.is_ascii_digit() {
            while at < bytes.len() && (bytes[at].is_ascii_digit() || bytes[at] == b'.') {
                at += 1;
            }
            let number = serde_json::from_str(&source[start..at]).map_err(|_| Untranslatable {
                at: start..at,
                reason: "not a number JSON can hold".into(),
            })?;
            found.push((Token::Number(number), start..at));
        } else if c == b'\'' || c == b'"' {
            at += 1;
            while at < bytes.len() && bytes[at] != c {
                if bytes[at] == b'\\' {
                    return Err(Untranslatable {
                        at: start..at,
                        reason: "escapes in string literals are not translated".into(),
                    });
                }
                at += 1;
            }
            if at == bytes.len() {
                return Err(Untranslatable {
                    at: start..at,
                    reason: "an unterminated string".into(),
                });
            }
            at += 1;
            found.push((Token::Str(source[start + 1..at - 1].to_string()), start..at));
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| source[at..].starts_with(**s)) {
            at += symbol.len();
            found.push((Token::Symbol(symbol), start..at));
        } else {
            let end = source[at..]
                .chars()
                .next()
                .map_or(at + 1, |c| at + c.len_utf8());
            return Err(Untranslatable {
                at: start..end,
                reason: format!("`{}` has no JSONPath translation", &source[start..end]),
            });
        }
    }
    Ok(found)
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<(Token, std::ops::Range<usize>)>,
    next: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(token, _)| token)
    }

    fn is(&self, token: &Token) -> bool {
        self.peek() == Some(token)
    }

    fn refuse_at(&self, (token, at): &(Token, std::ops::Range<usize>)) -> Untranslatable {
        let reason = match token {
            Token::Symbol("|") => {
                "filters (`|`) have no JSONPath translation; JSONata could, and is not used \
                                   (see the module docs of step_functions)"
                    .to_string()
            }
            Token::Symbol("(") => "function calls have no JSONPath translation".to_string(),
            Token::Name(name) if name == "in" => "`in` has no JSONPath Choice rule".to_string(),
            _ => format!(
                "`{}` has no JSONPath translation here",
                &self.source[at.clone()]
            ),
        };
        Untranslatable {
            at: at.clone(),
            reason,
        }
    }

    fn refuse_here(&self) -> Untranslatable {
        match self.tokens.get(self.next) {
            Some(token) => self.refuse_at(token),
            None => Untranslatable {
                at: self.source.len()..self.source.len(),
                reason: "the expression ends too early".into(),
            },
        }
    }

    fn or(&mut self) -> Result<Expr, Untranslatable> {
        let mut left = self.and()?;
        while self.is(&Token::Name("or".into())) {
            self.next += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Untranslatable> {
        let mut left = self.not()?;
        while self.is(&Token::Name("and".into())) {
            self.next += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, Untranslatable> {
        if self.is(&Token::Name("not".into())) {
            self.next += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Untranslatable> {
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token::Symbol("==")) => Comparison::Equal,
            Some(Token::Symbol("!=")) => Comparison::NotEqual,
            Some(Token::Symbol("<")) => Comparison::Less,
            Some(Token::Symbol("<=")) => Comparison::LessOrEqual,
            Some(Token::Symbol(">")) => Comparison::Greater,
            Some(Token::Symbol(">=")) => Comparison::GreaterOrEqual,
            _ => return Ok(left),
        };
        let at = self.tokens[self.next].1.clone();
        self.next += 1;
        let right = self.operand()?;
        if !matches!(
            (&left, &right),
            (Expr::Reference(_), _) | (_, Expr::Reference(_))
        ) {
            return Err(Untranslatable {
                at,
                reason: "a comparison needs a reference on one side".into(),
            });
        }
        Ok(Expr::Compare(op, Box::new(left), Box::new(right)))
    }

    fn operand(&mut self) -> Result<Expr, Untranslatable> {
        let Some((token, at)) = self.tokens.get(self.next).cloned() else {
            return Err(self.refuse_here());
        };
        self.next += 1;
        match token {
            Token::Symbol("(") => {
                let inner = self.or()?;
                if !self.is(&Token::Symbol(")")) {
                    return Err(self.refuse_here());
                }
                self.next += 1;
                Ok(inner)
            }
            Token::Str(text) => Ok(Expr::Literal(Value::String(text))),
            Token::Number(number) => Ok(Expr::Literal(Value::Number(number))),
            Token::Name(name) => match name.as_str() {
                "true" | "True" => Ok(Expr::Literal(Value::Bool(true))),
                "false" | "False" => Ok(Expr::Literal(Value::Bool(false))),
                "none" | "None" => Ok(Expr::Literal(Value::Null)),
                "and" | "or" | "not" | "in" | "is" | "if" | "else" => {
                    self.next -= 1;
                    Err(self.refuse_here())
                }
                _ => self.reference(name, at),
            },
            _ => {
                self.next -= 1;
                Err(self.refuse_here())
            }
        }
    }

    fn reference(
        &mut self,
        root: String,
        at: std::ops::Range<usize>,
    ) -> Result<Expr, Untranslatable> {
        let mut segments = vec![Segment::Name(root)];
        let mut end = at.end;
        loop {
            match self.peek() {
                Some(Token::Symbol(".")) => {
                    self.next += 1;
                    match self.tokens.get(self.next).cloned() {
                        Some((Token::Name(name), range)) => {
                            self.next += 1;
                            segments.push(Segment::Name(name));
                            end = range.end;
                        }
                        _ => return Err(self.refuse_here()),
                    }
                }
                Some(Token::Symbol("[")) => {
                    self.next += 1;
                    let segment = match self.tokens.get(self.next).cloned() {
                        Some((Token::Number(number), _))
                            if number.as_i64().is_some_and(|n| n >= 0) =>
                        {
                            Segment::Index(number.as_i64().unwrap_or_default())
                        }
                        Some((Token::Str(name), _)) => Segment::Name(name),
                        _ => return Err(self.refuse_here()),
                    };
                    self.next += 1;
                    if !self.is(&Token::Symbol("]")) {
                        return Err(self.refuse_here());
                    }
                    end = self.tokens[self.next].1.end;
                    self.next += 1;
                    segments.push(segment);
                }
                Some(Token::Symbol("(") | Token::Symbol("|")) => return Err(self.refuse_here()),
                _ => break,
            }
        }
        Ok(Expr::Reference(Reference {
            segments,
            at: at.start..end,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves every reference under `$.` as written.
    struct AsWritten;

    impl Resolve for AsWritten {
        fn path(&self, reference: &Reference) -> Result<String, Untranslatable> {
            Ok(json_path("$", &reference.segments))
        }
    }

    fn translated(source: &str) -> Value {
        choice_rule(source, &AsWritten).unwrap()
    }

    fn refused(source: &str) -> (String, String) {
        let error = choice_rule(source, &AsWritten).unwrap_err();
        (source[error.at].to_string(), error.reason)
    }

    #[test]
    fn comparisons_with_literals_take_the_literal_s_type() {
        assert_eq!(
            translated("params.strategy == 'alias'"),
            json!({"Variable": "$.params.strategy", "StringEquals": "alias"})
        );
        assert_eq!(
            translated("3 < output.Count"),
            json!({"Variable": "$.output.Count", "NumericGreaterThan": 3})
        );
        assert_eq!(
            translated("output.Stacks[0].StackStatus != 'X'"),
            json!({"Not": {"Variable": "$.output.Stacks[0].StackStatus", "StringEquals": "X"}})
        );
    }

    #[test]
    fn boolean_logic_nests_as_written() {
        assert_eq!(
            translated("not (a == 1 or b == true) and c == none"),
            json!({"And": [
                {"Not": {"Or": [
                    {"Variable": "$.a", "NumericEquals": 1},
                    {"Variable": "$.b", "BooleanEquals": true},
                ]}},
                {"Variable": "$.c", "IsNull": true},
            ]})
        );
    }

    #[test]
    fn two_references_compare_within_each_type() {
        let rule = translated("output.Version == steps.t.version");
        let choices = rule["Or"].as_array().unwrap();
        assert_eq!(choices.len(), 3);
        assert_eq!(
            choices[0]["And"][2],
            json!({"Variable": "$.output.Version", "StringEqualsPath": "$.steps.t.version"})
        );
    }

    #[test]
    fn what_has_no_translation_is_refused_where_it_starts() {
        let (at, reason) = refused("output.Versions | length > 0");
        assert_eq!(at, "|");
        assert!(reason.contains("filters"), "{reason}");
        let (at, _) = refused("'a' in output.Names");
        assert_eq!(at, "in");
        let (at, reason) = refused("params.to_version or a == 1");
        assert_eq!(at, "params.to_version");
        assert!(reason.contains("truthiness"), "{reason}");
        let (at, _) = refused("now() == 1");
        assert_eq!(at, "(");
    }
}
