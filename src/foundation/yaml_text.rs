//! A JSON value written as block-style YAML, for output a person reads or a tool that takes YAML (`runbook export
//! --format yaml`). Only writing: strings are double-quoted JSON strings (a valid YAML double-quoted scalar, so
//! no value is ever read back as another type), and keys are plain where YAML reads them as the same string.

use serde_json::Value;

/// `value` as YAML, ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(members) if !members.is_empty() => mapping(&mut out, members, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn mapping(out: &mut String, members: &serde_json::Map<String, Value>, indent: usize) {
    for (key, member) in members {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key_text(key));
        out.push(':');
        nested(out, member, indent + 2);
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        nested(out, item, indent + 2);
    }
}

/// What follows `key:` or `-`: a scalar on the same line, a collection on the lines below.
fn nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(members) if !members.is_empty() => {
            out.push('\n');
            mapping(out, members, indent);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

/// A scalar or an empty collection, in its JSON form (which YAML reads as the same value).
fn inline(value: &Value) -> String {
    value.to_string()
}

/// A plain key when it cannot be read as anything but that string, else a quoted one.
fn key_text(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
        );
    if plain {
        key.to_string()
    } else {
        Value::String(key.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collections_nest_by_indentation_and_scalars_keep_their_type() {
        let value = json!({
            "States": {"a.b": {"Type": "Pass", "Seconds": 2, "End": true, "Next": null}},
            "List": [1, {"x": "y"}, [], {}],
            "yes": "no",
            "with space": "{% $x %}\n",
        });
        assert_eq!(
            to_yaml(&value),
            "States:\n  a.b:\n    Type: \"Pass\"\n    Seconds: 2\n    End: true\n    Next: null\nList:\n  - 1\n  -\n    x: \"y\"\n  - []\n  - {}\n\"yes\": \"no\"\n\"with space\": \"{% $x %}\\n\"\n"
        );
    }
}
