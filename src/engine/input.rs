//! A rendered `with:` block made ready for the wire, using the member types the registry declares.
//!
//! Templates render to whatever type their expression has, and YAML authors write `FunctionVersion: 3`; AWS wants
//! the type of its model. The validator accepted these forms, so here they are converted, never rejected silently:
//! a value that cannot be converted is an error naming the member.

use serde_json::{Map, Value};

use crate::actions::{ActionSpec, MemberType};
use crate::aws::Protocol;

pub fn coerce(
    spec: &ActionSpec,
    protocol: Option<Protocol>,
    input: Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let epoch_timestamps = matches!(
        protocol,
        Some(Protocol::AwsJson { .. } | Protocol::RestJson { .. })
    );
    let mut out = Map::with_capacity(input.len());
    for (name, value) in input {
        // A member whose template rendered to nothing (`{{ params.marker }}` with no marker) is left out, as the
        // AWS CLI leaves out an option that was not given.
        if value.is_null() {
            continue;
        }
        let value = match spec.member(&name).map(|member| member.ty) {
            Some(MemberType::String) => match value {
                Value::Number(n) => Value::String(n.to_string()),
                Value::Bool(b) => Value::String(b.to_string()),
                other => other,
            },
            Some(MemberType::Integer) => match value {
                Value::String(text) => text
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("`{name}` must be a whole number, got {text:?}"))?,
                Value::Number(n) if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                    Value::from(n.as_f64().unwrap_or_default() as i64)
                }
                other => other,
            },
            Some(MemberType::Number) => match value {
                Value::String(text) => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("`{name}` must be a number, got {text:?}"))?,
                other => other,
            },
            Some(MemberType::Boolean) => match value {
                Value::String(text) if text == "true" || text == "false" => {
                    Value::Bool(text == "true")
                }
                other => other,
            },
            Some(MemberType::Timestamp) => timestamp(&name, value, epoch_timestamps)?,
            _ => value,
        };
        out.insert(name, value);
    }
    Ok(out)
}

/// JSON protocols take epoch seconds; XML ones take RFC 3339 text.
fn timestamp(name: &str, value: Value, epoch: bool) -> Result<Value, String> {
    let instant = match &value {
        Value::String(text) => text.parse::<jiff::Timestamp>().map_err(|error| {
            format!("`{name}` must be an RFC 3339 time such as 2025-12-30T13:55:00Z: {error}")
        })?,
        Value::Number(n) => {
            let seconds = n.as_f64().unwrap_or_default();
            jiff::Timestamp::from_nanosecond((seconds * 1e9) as i128)
                .map_err(|error| format!("`{name}` is not a valid epoch time: {error}"))?
        }
        _ => return Err(format!("`{name}` must be a time, got {value}")),
    };
    Ok(if epoch {
        let seconds = instant.as_nanosecond() as f64 / 1e9;
        serde_json::Number::from_f64(seconds)
            .map(Value::Number)
            .unwrap_or(value)
    } else {
        Value::String(instant.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_become_text_and_times_epoch_seconds_for_json_protocols() {
        let spec = crate::actions::lookup("dynamodb.RestoreTableToPointInTime").unwrap();
        let input = json!({"SourceTableName": 7, "TargetTableName": null, "RestoreDateTime": "2025-12-30T13:55:00Z"});
        let out = coerce(
            spec,
            Some(Protocol::AwsJson { version: "1.0" }),
            input.as_object().unwrap().clone(),
        )
        .unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"SourceTableName": "7", "RestoreDateTime": 1767102900.0})
        );
        let bad = json!({"RestoreDateTime": "yesterday"});
        let error = coerce(
            spec,
            Some(Protocol::AwsJson { version: "1.0" }),
            bad.as_object().unwrap().clone(),
        )
        .unwrap_err();
        assert!(error.contains("RestoreDateTime"), "{error}");
    }
}
