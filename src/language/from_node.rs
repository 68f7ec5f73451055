//! Turning YAML nodes into the raw model while collecting every error instead of stopping at the first.
//!
//! [`FromNode`] is our small stand-in for `Deserialize`: conversions return `None` after recording why, and
//! [`Fields`] reads a mapping against its list of known keys, reporting unknown keys with a suggestion and missing
//! required keys at the mapping.

use schemars::JsonSchema;

use crate::foundation::diagnostic::{Diagnostics, ErrorKind};
use crate::foundation::node::{Key, Node, Value};
use crate::foundation::source::Span;
use crate::foundation::suggest;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// The entries of a mapping whose keys are names chosen by the author (`params`, `vars`, `outputs`), in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Entries<T>(pub Vec<(Key, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T: JsonSchema> JsonSchema for Entries<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<T>(),
        })
    }
}

/// Conversion of one node, recording errors in `cx`. `what` names the value in messages, e.g. "`timeout`".
pub trait FromNode: Sized {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<Self>;
}

fn wrong_type(node: &Node, what: &str, expected: &'static str, cx: &mut Diagnostics) {
    let hint = match (&node.value, expected) {
        (Value::Integer(_) | Value::Float(_), "a string")
            if [
                "`timeout`",
                "`delay`",
                "`max_delay`",
                "`interval`",
                "`max_interval`",
            ]
            .contains(&what) =>
        {
            Some(format!(
                "durations need a unit: `{}s`, or `5m`, `2h`",
                node.to_json()
            ))
        }
        (Value::Bool(_) | Value::Integer(_) | Value::Float(_), "a string") => {
            Some("quote the value to make it a string".to_string())
        }
        (Value::String(_), "a list") => Some(format!(
            "write a list: `[{}]`",
            node.as_str().unwrap_or_default()
        )),
        (Value::Null, _) => Some("give the key a value, or remove it".to_string()),
        (Value::String(_), "`true` or `false`") => Some(
            "write `true` or `false`; in runbooks `yes`, `no`, `on` and `off` are strings"
                .to_string(),
        ),
        _ => None,
    };
    let diagnostic = cx.error(
        ErrorKind::WrongType {
            what: what.to_string(),
            expected,
            found: node.type_name(),
        },
        node.span,
    );
    if let Some(hint) = hint {
        diagnostic.set_hint(hint);
    }
}

impl FromNode for String {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<String> {
        match &node.value {
            Value::String(text) => Some(text.clone()),
            _ => {
                wrong_type(node, what, "a string", cx);
                None
            }
        }
    }
}

/// An expression field (`when`, `that`, ...): a string, or a literal boolean or number written bare.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(transparent)]
pub struct ExpressionText(pub String);

impl FromNode for ExpressionText {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<ExpressionText> {
        match &node.value {
            Value::String(text) => Some(ExpressionText(text.clone())),
            Value::Bool(b) => Some(ExpressionText(b.to_string())),
            Value::Integer(i) => Some(ExpressionText(i.to_string())),
            _ => {
                wrong_type(node, what, "an expression (a string)", cx);
                None
            }
        }
    }
}

impl FromNode for bool {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                wrong_type(node, what, "`true` or `false`", cx);
                None
            }
        }
    }
}

impl FromNode for u64 {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<u64> {
        match &node.value {
            Value::Integer(i) if *i >= 0 => Some(*i as u64),
            _ => {
                wrong_type(node, what, "a whole number of at least 0", cx);
                None
            }
        }
    }
}

impl FromNode for f64 {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<f64> {
        match &node.value {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => {
                wrong_type(node, what, "a number", cx);
                None
            }
        }
    }
}

impl FromNode for Node {
    fn from_node(node: &Node, _what: &str, _cx: &mut Diagnostics) -> Option<Node> {
        Some(node.clone())
    }
}

impl<T: FromNode> FromNode for Spanned<T> {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<Spanned<T>> {
        T::from_node(node, what, cx).map(|value| Spanned {
            value,
            span: node.span,
        })
    }
}

impl<T: FromNode> FromNode for Vec<T> {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<Vec<T>> {
        match &node.value {
            // A bad item is reported and left out; the rest are kept so that their own errors are found too.
            Value::Seq(items) => Some(
                items
                    .iter()
                    .filter_map(|item| T::from_node(item, what, cx))
                    .collect(),
            ),
            Value::Null => Some(Vec::new()),
            _ => {
                wrong_type(node, what, "a list", cx);
                None
            }
        }
    }
}

impl<T: FromNode> FromNode for Entries<T> {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<Entries<T>> {
        match &node.value {
            Value::Map(entries) => {
                let converted = entries
                    .iter()
                    .filter_map(|(key, item)| {
                        T::from_node(item, &format!("`{}`", key.name), cx)
                            .map(|value| (key.clone(), value))
                    })
                    .collect();
                Some(Entries(converted))
            }
            Value::Null => Some(Entries::default()),
            _ => {
                wrong_type(node, what, "a mapping", cx);
                None
            }
        }
    }
}

/// A mapping read against the keys it may have.
pub struct Fields<'a> {
    entries: &'a [(Key, Node)],
    pub span: Span,
    context: String,
}

impl<'a> Fields<'a> {
    /// Checks that `node` is a mapping and reports every key not in `known` (with `hints` for common mistakes,
    /// then the closest known key by edit distance).
    pub fn new(
        node: &'a Node,
        context: impl Into<String>,
        known: &[&str],
        hints: &[(&str, &str)],
        cx: &mut Diagnostics,
    ) -> Option<Fields<'a>> {
        let context = context.into();
        let Value::Map(entries) = &node.value else {
            let hint = if context.starts_with("parameter") {
                format!(
                    "declare a parameter as a mapping, e.g. `{{type: {}}}`",
                    node.as_str().unwrap_or("string")
                )
            } else if context.contains("step") {
                "a step is a mapping: `- id: my_step` with `action: <service>.<Operation>` on the next line".to_string()
            } else if context == "a check" {
                "a check is a mapping: `- that: <expression>`".to_string()
            } else {
                "write it as `key: value` lines, or `{key: value}`".to_string()
            };
            cx.error(
                ErrorKind::WrongType {
                    what: context,
                    expected: "a mapping of keys to values",
                    found: node.type_name(),
                },
                node.span,
            )
            .set_hint(hint);
            return None;
        };
        for (key, _) in entries {
            if known.contains(&key.name.as_str()) {
                continue;
            }
            let hint = hints
                .iter()
                .find(|(wrong, _)| *wrong == key.name)
                .map(|(_, hint)| hint.to_string())
                .or_else(|| suggest::did_you_mean(&key.name, known.iter().copied()))
                .unwrap_or_else(|| format!("the keys allowed here are: {}", known.join(", ")));
            let span = Span {
                len: key.name.len(),
                ..key.span
            };
            cx.error(
                ErrorKind::UnknownKey {
                    key: key.name.clone(),
                    context: context.clone(),
                },
                span,
            )
            .set_hint(hint);
        }
        Some(Fields {
            entries,
            span: node.span,
            context,
        })
    }

    pub fn node(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, node)| node)
    }

    pub fn key(&self, key: &str) -> Option<&'a Key> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| k)
    }

    pub fn has(&self, key: &str) -> bool {
        self.node(key).is_some()
    }

    /// An optional key: `None` when absent or invalid (the error is already recorded then).
    pub fn get<T: FromNode>(&self, key: &str, cx: &mut Diagnostics) -> Option<T> {
        self.node(key)
            .and_then(|node| T::from_node(node, &format!("`{key}`"), cx))
    }

    /// A required key: reports it missing at the mapping.
    pub fn require<T: FromNode>(
        &self,
        key: &'static str,
        example: &str,
        cx: &mut Diagnostics,
    ) -> Option<T> {
        if !self.has(key) {
            cx.error(
                ErrorKind::MissingKey {
                    key,
                    context: self.context.clone(),
                },
                self.span,
            )
            .set_hint(format!("add `{key}: {example}`"));
            return None;
        }
        self.get(key, cx)
    }
}
