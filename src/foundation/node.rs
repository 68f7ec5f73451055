//! The YAML document as a tree of nodes that remember where they were written.
//!
//! serde-saphyr parses; we keep every node's span (keys included) so that the raw model and the validator can
//! point at the exact line and column of any error, and so that all errors can be collected in one pass rather
//! than stopping at the first one, as a derived `Deserialize` would.

use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::foundation::diagnostic::{Diagnostic, ErrorKind};
use crate::foundation::source::{SourceFile, Span};

/// Largest runbook file we read. A 100,000-step generated runbook is about 10 MB.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Deepest nesting of mappings and sequences; real runbooks use well under 20.
pub const MAX_DEPTH: usize = 64;
/// Most nodes alias replays may add, which stops "billion laughs" documents early and in bounded memory.
const MAX_REPLAYED_EVENTS: usize = 100_000;
/// Most YAML nodes in a document: a 100,000-step runbook has about 1.5 million. Counted by the event screen
/// (`crate::language::yaml_screen`), which costs far less per node than the spanned tree, so a document past it is refused
/// after reading at most this many events (a 4-million-node list: 2.4 s of CPU in a debug build, was 129 s).
pub const MAX_NODES: usize = 2_000_000;
/// Stack for the parser thread: ample for `MAX_DEPTH` levels even in debug builds.
const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Node {
    /// How the node's type reads in an error message.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, node)| node)
    }

    /// The node as plain JSON, spans dropped.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|(key, node)| (key.name.clone(), node.to_json()))
                .collect(),
        }
    }

    /// Every string in the node with its span, depth first, for template checks.
    pub fn for_each_string<'a>(&'a self, visit: &mut dyn FnMut(&'a str, Span)) {
        match &self.value {
            Value::String(text) => visit(text, self.span),
            Value::Seq(items) => items.iter().for_each(|item| item.for_each_string(visit)),
            Value::Map(entries) => entries
                .iter()
                .for_each(|(_, node)| node.for_each_string(visit)),
            _ => {}
        }
    }
}

/// Parses a whole file into a node tree, or returns the one error that stopped the parser.
pub fn parse(file: &Arc<SourceFile>) -> Result<Node, Diagnostic> {
    if file.text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(
            ErrorKind::FileTooLarge {
                limit: MAX_FILE_BYTES,
            },
            file,
            Span::NONE,
        )
        .with_hint("split the procedure into several runbooks"));
    }
    // Deserialization recurses once per nesting level with large frames in debug builds; a thread of our own with
    // a generous stack makes the depth budget, not the caller's stack size, the limit.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("yaml-parse".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, || {
                let options = parser_options();
                match serde_saphyr::from_str_with_options::<Option<Spanned<Raw>>>(
                    &file.text, options,
                ) {
                    Ok(Some(root)) => Ok(convert(file, root)),
                    Ok(None) => Ok(Node {
                        value: Value::Null,
                        span: file.span_at(0),
                    }),
                    Err(error) => Err(parse_error(file, &error)),
                }
            })
            .expect("spawn the YAML parser thread")
            .join()
            .expect("the YAML parser does not panic")
    })
}

fn parser_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    // Without this, `on`, `yes` and `y` silently become `true` in untyped values such as `with:` members.
    options.strict_booleans = true;
    options.with_snippet = false;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES * 2;
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES);
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.alias_limits.max_alias_expansions_per_anchor = 1_000;
    options
}

fn parse_error(file: &Arc<SourceFile>, error: &serde_saphyr::Error) -> Diagnostic {
    let span = error
        .location()
        .filter(|location| location.line() > 0)
        .map_or(Span::NONE, |location| {
            file.span_at_line_column(location.line() as u32, location.column() as u32, 1)
        });
    let message = error.without_snippet().to_string();
    // The library appends the position and sometimes advice about its own options; we show both our way.
    let message = message.split(" at line ").next().unwrap_or(&message);
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message)
        .trim()
        .to_string();
    let lower = message.to_lowercase();
    if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        return Diagnostic::new(
            ErrorKind::DuplicateKey {
                key: key.to_string(),
            },
            file,
            span,
        )
        .with_hint("remove one of them; YAML keeps only one value per key");
    }
    if lower.contains("depth") || lower.contains("nesting") || lower.contains("recursion") {
        return Diagnostic::new(ErrorKind::TooDeep { limit: MAX_DEPTH }, file, span)
            .with_hint("flatten the structure; no runbook needs this much nesting");
    }
    if lower.contains("alias") || lower.contains("replay") || lower.contains("anchor") {
        return Diagnostic::new(ErrorKind::AliasExpansion { message }, file, span)
            .with_hint("write the repeated value out, or use fewer aliases");
    }
    if lower.contains("budget") {
        return Diagnostic::new(ErrorKind::DocumentTooLarge { message }, file, span)
            .with_hint("split the procedure into several runbooks");
    }
    if lower.contains("from_str_multiple") || lower.contains("multiple documents") {
        return Diagnostic::new(ErrorKind::YamlSyntax { message: "the file holds more than one YAML document".into() }, file, span)
            .with_hint("one runbook per file; remove the `---` separator and move the second document to its own file");
    }
    let hint = if lower.contains("tab") {
        "indent with spaces; YAML does not allow tabs for indentation"
    } else if lower.contains("indicator") || lower.contains("mapping values") {
        "check the indentation and that every `key: value` has a space after the colon; quote values that contain `: `"
    } else {
        "check the YAML near this position; quoting the value often helps"
    };
    Diagnostic::new(ErrorKind::YamlSyntax { message }, file, span).with_hint(hint)
}

/// The tree as serde-saphyr hands it over, before spans are converted to ours.
enum Raw {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
                Raw::deserialize(deserializer)
            }
            fn visit_bool<E>(self, value: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(value))
            }
            fn visit_i64<E>(self, value: i64) -> Result<Raw, E> {
                Ok(Raw::Integer(value))
            }
            fn visit_u64<E>(self, value: u64) -> Result<Raw, E> {
                Ok(i64::try_from(value).map_or(Raw::Float(value as f64), Raw::Integer))
            }
            fn visit_i128<E>(self, value: i128) -> Result<Raw, E> {
                Ok(Raw::Float(value as f64))
            }
            fn visit_u128<E>(self, value: u128) -> Result<Raw, E> {
                Ok(Raw::Float(value as f64))
            }
            fn visit_f64<E>(self, value: f64) -> Result<Raw, E> {
                Ok(Raw::Float(value))
            }
            fn visit_str<E>(self, value: &str) -> Result<Raw, E> {
                Ok(Raw::String(value.to_string()))
            }
            fn visit_string<E>(self, value: String) -> Result<Raw, E> {
                Ok(Raw::String(value))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = access.next_element()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = access.next_entry()? {
                    entries.push(entry);
                }
                Ok(Raw::Map(entries))
            }
        }
        deserializer.deserialize_any(RawVisitor)
    }
}

fn span_of(file: &SourceFile, location: &serde_saphyr::Location) -> Span {
    let span = location.span();
    match span.byte_offset() {
        Some(offset) if location.line() > 0 => Span {
            line: location.line() as u32,
            column: location.column() as u32,
            offset: offset as usize,
            len: span.byte_len().unwrap_or(0) as usize,
        },
        _ if location.line() > 0 => file.span_at_line_column(
            location.line() as u32,
            location.column() as u32,
            span.len() as usize,
        ),
        _ => Span::NONE,
    }
}

fn convert(file: &SourceFile, raw: Spanned<Raw>) -> Node {
    let span = span_of(file, &raw.referenced);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Integer(i) => Value::Integer(i),
        Raw::Float(f) => Value::Float(f),
        Raw::String(s) => Value::String(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|item| convert(file, item)).collect()),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, node)| {
                    (
                        Key {
                            span: span_of(file, &key.referenced),
                            name: key.value,
                        },
                        convert(file, node),
                    )
                })
                .collect(),
        ),
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Node, Diagnostic> {
        parse(&SourceFile::new("t.yaml", text.to_string()))
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let node = parse_str("name: x\nsteps:\n  - id: a\n    with: {A: 1}\n").unwrap();
        let steps = node.get("steps").unwrap();
        let Value::Seq(items) = &steps.value else {
            panic!("not a list")
        };
        let (key, value) = &items[0].as_map().unwrap()[1];
        assert_eq!(
            (key.name.as_str(), key.span.line, key.span.column),
            ("with", 4, 5)
        );
        assert_eq!(value.get("A").unwrap().span.line, 4);
    }

    #[test]
    fn yes_and_on_stay_strings() {
        let node = parse_str("a: yes\nb: on\nc: true\n").unwrap();
        assert_eq!(node.get("a").unwrap().value, Value::String("yes".into()));
        assert_eq!(node.get("b").unwrap().value, Value::String("on".into()));
        assert_eq!(node.get("c").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_position() {
        let error = parse_str("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(error.kind.code(), "duplicate-key");
        assert_eq!(error.span.line, 3);
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let prev = level - 1;
            text.push_str(&format!(
                "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let error = parse_str(&text).unwrap_err();
        assert_eq!(error.kind.code(), "alias-expansion", "{error:?}");
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse_str(&text).unwrap_err().kind.code(), "too-deep");
    }
}
