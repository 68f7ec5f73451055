//! Templates (`"{{ params.table }}"`, `"table {{ params.table }} restored"`) as JSONPath values: a lone reference
//! becomes a path, text around references becomes `States.Format`. Blocks (`{% %}`) and filters are refused.

use serde_json::Value;

use super::expression::{self, Resolve, Untranslatable};

/// How a template's value is written in a JSONPath `Parameters` block.
#[derive(Debug, PartialEq)]
pub enum Translated {
    /// Text without templates, kept as it is.
    Literal(String),
    /// A path or an intrinsic function: its key takes the `.$` suffix.
    Dynamic(String),
}

pub fn translate(source: &str, resolve: &dyn Resolve) -> Result<Translated, Untranslatable> {
    if let Some(at) = ["{%", "{#"].iter().filter_map(|m| source.find(m)).min() {
        return Err(Untranslatable {
            at: at..at + 2,
            reason: "template blocks and comments have no JSONPath translation; compute the value in an earlier \
                     step's outputs or keep this runbook local"
                .into(),
        });
    }
    let mut text = String::new();
    let mut arguments = Vec::new();
    let mut rest = 0;
    while let Some(open) = source[rest..].find("{{").map(|n| rest + n) {
        let close = source[open..]
            .find("}}")
            .map(|n| open + n)
            .ok_or(Untranslatable {
                at: open..open + 2,
                reason: "`{{` without its `}}`".into(),
            })?;
        text.push_str(&escaped(&source[rest..open]));
        text.push_str("{}");
        let inner = &source[open + 2..close];
        let path = expression::reference_path(inner, resolve).map_err(|error| Untranslatable {
            at: error.at.start + open + 2..error.at.end + open + 2,
            reason: error.reason,
        })?;
        arguments.push(path);
        rest = close + 2;
    }
    if arguments.is_empty() {
        return Ok(Translated::Literal(source.to_string()));
    }
    if arguments.len() == 1 && text == "{}" && source[rest..].is_empty() {
        return Ok(Translated::Dynamic(arguments.remove(0)));
    }
    text.push_str(&escaped(&source[rest..]));
    Ok(Translated::Dynamic(format!(
        "States.Format('{text}', {})",
        arguments.join(", ")
    )))
}

/// Text inside an intrinsic function's string literal: its quote, braces and backslash are escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `with:` block as JSONPath `Parameters`: every templated string under a key ending in `.$`.
pub fn parameters(with: &Value, resolve: &dyn Resolve) -> Result<Value, Untranslatable> {
    match with {
        Value::Object(members) => {
            let mut out = serde_json::Map::new();
            for (key, value) in members {
                match value {
                    Value::String(source) => match translate(source, resolve)? {
                        Translated::Literal(text) => {
                            out.insert(key.clone(), Value::String(text));
                        }
                        Translated::Dynamic(path) => {
                            out.insert(format!("{key}.$"), Value::String(path));
                        }
                    },
                    nested @ Value::Object(_) => {
                        out.insert(key.clone(), parameters(nested, resolve)?);
                    }
                    Value::Array(items) if items.iter().any(has_template) => {
                        return Err(Untranslatable {
                            at: 0..0,
                            reason: format!(
                                "`{key}` is a list with templates inside; JSONPath Parameters cannot template a list's items"
                            ),
                        });
                    }
                    other => {
                        out.insert(key.clone(), other.clone());
                    }
                }
            }
            Ok(Value::Object(out))
        }
        other => Ok(other.clone()),
    }
}

fn has_template(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains("{{") || text.contains("{%"),
        Value::Array(items) => items.iter().any(has_template),
        Value::Object(members) => members.values().any(has_template),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step_functions::expression::{Reference, json_path};

    struct AsWritten;

    impl Resolve for AsWritten {
        fn path(&self, reference: &Reference) -> Result<String, Untranslatable> {
            Ok(json_path("$", &reference.segments))
        }
    }

    #[test]
    fn a_lone_reference_is_a_path_and_text_around_references_is_format() {
        assert_eq!(
            translate("{{ params.function }}", &AsWritten).unwrap(),
            Translated::Dynamic("$.params.function".into())
        );
        assert_eq!(
            translate("alias {{ params.alias }} isn't {ok}", &AsWritten).unwrap(),
            Translated::Dynamic(
                "States.Format('alias {} isn\\'t \\{ok\\}', $.params.alias)".into()
            )
        );
        assert_eq!(
            translate("plain", &AsWritten).unwrap(),
            Translated::Literal("plain".into())
        );
    }

    #[test]
    fn blocks_and_filters_are_refused_where_they_start() {
        let source = "x {% if a %}y{% endif %}";
        let error = translate(source, &AsWritten).unwrap_err();
        assert_eq!(&source[error.at], "{%");
        let source = "v{{ a.b | int }}";
        let error = translate(source, &AsWritten).unwrap_err();
        assert_eq!(&source[error.at], "|");
    }
}
