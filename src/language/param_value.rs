//! Parameter values: parsing them from the command line and checking them against a parameter's type and
//! constraints. The validator uses the same checks on defaults, so a default can never be a value the command
//! line would refuse.

use crate::foundation::datetime::{self, DateTimeSpec};
use crate::foundation::duration;
use crate::foundation::template;
use crate::language::raw::ParamTypeName;
use crate::language::runbook::{Constraints, Param, ParamDefault};

/// Parameter values in declaration order: what `given` says for each (an error names the parameter), else the
/// default (a template rendered over the earlier parameters), else false for a boolean and null for the rest.
/// Relative datetimes are resolved against `now`, the run's start.
pub fn resolve(
    params: &[Param],
    mut given: impl FnMut(&Param) -> Result<Option<serde_json::Value>, String>,
    now: jiff::Timestamp,
) -> Result<serde_json::Map<String, serde_json::Value>, (String, String)> {
    let mut values = serde_json::Map::new();
    for param in params {
        let error = |message: String| (param.name.clone(), message);
        let value = match (given(param).map_err(error)?, &param.default) {
            (Some(value), _) => value,
            (None, Some(ParamDefault::Value(value))) => value.clone(),
            (None, Some(ParamDefault::Template(text))) => {
                let context = template::from_json_value(&serde_json::json!({ "params": values }));
                let rendered =
                    template::render(&text.source, &context).map_err(|e| error(e.to_string()))?;
                let rendered =
                    template::to_json_value(&rendered).map_err(|e| error(e.to_string()))?;
                check(param.ty, &param.constraints, &rendered).map_err(|reason| {
                    error(format!("the default renders to an invalid value: {reason}"))
                })?;
                rendered
            }
            // An unset switch is off, so `when: params.verify` needs no `is not none` guard.
            (None, None) if param.ty == ParamTypeName::Boolean => serde_json::Value::Bool(false),
            (None, None) => serde_json::Value::Null,
        };
        let value = match (&value, param.ty) {
            (serde_json::Value::String(text), ParamTypeName::Datetime) => {
                let at = DateTimeSpec::parse(text)
                    .and_then(|spec| spec.resolve(now))
                    .ok_or_else(|| {
                        error(format!(
                            "`{text}` is not a date and time; {}",
                            datetime::HINT
                        ))
                    })?;
                serde_json::Value::String(datetime::format_rfc3339(at))
            }
            _ => value,
        };
        values.insert(param.name.clone(), value);
    }
    Ok(values)
}

/// Parses a command-line string as a value of type `ty`, then checks the constraints.
pub fn parse_cli(
    ty: ParamTypeName,
    constraints: &Constraints,
    text: &str,
) -> Result<serde_json::Value, String> {
    let value = match ty {
        ParamTypeName::String | ParamTypeName::Datetime | ParamTypeName::Duration => {
            serde_json::Value::String(text.to_string())
        }
        ParamTypeName::Integer => text.trim().parse::<i64>().map(Into::into).map_err(|_| {
            if is_whole_number(text.trim()) {
                out_of_range(text)
            } else {
                format!("`{text}` is not a whole number")
            }
        })?,
        ParamTypeName::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .ok_or_else(|| format!("`{text}` is not a number"))?,
        ParamTypeName::Boolean => match text.trim() {
            "true" => true.into(),
            "false" => false.into(),
            _ => return Err(format!("`{text}` is not `true` or `false`")),
        },
        ParamTypeName::List | ParamTypeName::Map => serde_json::from_str(text).map_err(|e| {
            format!("`{text}` is not JSON ({e}); write e.g. '[\"a\", \"b\"]' or '{{\"k\": \"v\"}}'")
        })?,
    };
    check(ty, constraints, &value)?;
    Ok(value)
}

/// A value given to a runbook by the runbook that runs it (its `with:`, literal or rendered): text is read as the
/// command line would read it (`"5"` for an integer), a number or a boolean for a string parameter becomes its
/// text, and the result is checked as [`check`] does.
pub fn coerce(
    ty: ParamTypeName,
    constraints: &Constraints,
    value: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    match (ty, value) {
        (
            ParamTypeName::String | ParamTypeName::Datetime | ParamTypeName::Duration,
            J::Number(_) | J::Bool(_),
        ) => {
            let text = J::String(value.to_string());
            check(ty, constraints, &text)?;
            Ok(text)
        }
        (
            ParamTypeName::Integer
            | ParamTypeName::Number
            | ParamTypeName::Boolean
            | ParamTypeName::List
            | ParamTypeName::Map,
            J::String(text),
        ) => parse_cli(ty, constraints, text),
        _ => check(ty, constraints, value).map(|()| value.clone()),
    }
}

/// Checks a value (a default or a parsed flag) against the type and the constraints.
pub fn check(
    ty: ParamTypeName,
    constraints: &Constraints,
    value: &serde_json::Value,
) -> Result<(), String> {
    use serde_json::Value as J;
    let found = json_type_name(value);
    match (ty, value) {
        (ParamTypeName::String, J::String(text)) => {
            let length = text.chars().count() as u64;
            if let Some(min) = constraints.min_length.filter(|min| length < *min) {
                return Err(format!("`{text}` is shorter than {min} characters"));
            }
            if let Some(max) = constraints.max_length.filter(|max| length > *max) {
                return Err(format!("`{text}` is longer than {max} characters"));
            }
            if let Some(pattern) = &constraints.pattern
                && !pattern.is_match(text)
            {
                // Show the pattern as the runbook wrote it, not the anchoring the validator wrapped it in.
                let written = pattern.as_str();
                let written = written
                    .strip_prefix("^(?:")
                    .and_then(|p| p.strip_suffix(")$"))
                    .unwrap_or(written);
                return Err(format!("`{text}` does not match the pattern `{written}`"));
            }
        }
        (ParamTypeName::Integer, J::Number(n)) if n.is_i64() => check_bounds(constraints, value)?,
        (ParamTypeName::Integer, J::Number(n)) if n.is_u64() => {
            return Err(out_of_range(&n.to_string()));
        }
        (ParamTypeName::Number, J::Number(_)) => check_bounds(constraints, value)?,
        (ParamTypeName::Boolean, J::Bool(_)) => {}
        (ParamTypeName::Datetime, J::String(text)) => {
            DateTimeSpec::parse(text)
                .ok_or_else(|| format!("`{text}` is not a date and time; {}", datetime::HINT))?;
        }
        (ParamTypeName::Duration, J::String(text)) => {
            duration::parse(text)
                .ok_or_else(|| format!("`{text}` is not a duration; {}", duration::HINT))?;
        }
        (ParamTypeName::List, J::Array(items)) => {
            let length = items.len() as u64;
            if let Some(min) = constraints.min_length.filter(|min| length < *min) {
                return Err(format!("the list has fewer than {min} items"));
            }
            if let Some(max) = constraints.max_length.filter(|max| length > *max) {
                return Err(format!("the list has more than {max} items"));
            }
        }
        (ParamTypeName::Map, J::Object(_)) => {}
        _ => return Err(format!("expected {}, found {found}", expected_name(ty))),
    }
    let same = |allowed: &serde_json::Value| match (allowed.as_f64(), value.as_f64()) {
        // `1` in the runbook and `1.0` from the command line are the same number.
        (Some(a), Some(b)) => a == b,
        _ => allowed == value,
    };
    if !constraints.allowed.is_empty() && !constraints.allowed.iter().any(same) {
        let allowed: Vec<String> = constraints.allowed.iter().map(display_value).collect();
        return Err(format!(
            "{} is not one of {}",
            display_value(value),
            allowed.join(", ")
        ));
    }
    Ok(())
}

/// Digits with an optional sign: a whole number, whatever its size.
fn is_whole_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Integers are 64-bit signed all the way through (templates, JSON, AWS members such as an Iceberg snapshot id,
/// itself a Java `long`): a bigger one is refused with the range, not called "not a whole number".
fn out_of_range(text: &str) -> String {
    format!(
        "`{text}` is out of range: whole numbers are 64-bit signed, from {} to {}",
        i64::MIN,
        i64::MAX
    )
}

fn check_bounds(constraints: &Constraints, value: &serde_json::Value) -> Result<(), String> {
    let number = value.as_f64().unwrap_or_default();
    if let Some(min) = constraints.minimum.filter(|min| number < *min) {
        return Err(format!(
            "{} is less than the minimum {min}",
            display_value(value)
        ));
    }
    if let Some(max) = constraints.maximum.filter(|max| number > *max) {
        return Err(format!(
            "{} is more than the maximum {max}",
            display_value(value)
        ));
    }
    Ok(())
}

pub fn expected_name(ty: ParamTypeName) -> &'static str {
    match ty {
        ParamTypeName::String => "a string",
        ParamTypeName::Integer => "a whole number",
        ParamTypeName::Number => "a number",
        ParamTypeName::Boolean => "`true` or `false`",
        ParamTypeName::Datetime => "a date and time (a string)",
        ParamTypeName::Duration => "a duration (a string)",
        ParamTypeName::List => "a list",
        ParamTypeName::Map => "a mapping",
    }
}

fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(n) if n.is_f64() => "a number",
        serde_json::Value::Number(_) => "a whole number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// A value as a person would type it: strings in backticks, the rest as JSON.
pub fn display_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => format!("`{text}`"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Constraints {
        Constraints::default()
    }

    #[test]
    fn parses_each_type_from_the_command_line() {
        assert_eq!(
            parse_cli(ParamTypeName::Integer, &none(), "42").unwrap(),
            42
        );
        assert_eq!(
            parse_cli(ParamTypeName::Number, &none(), "1.5").unwrap(),
            1.5
        );
        assert_eq!(
            parse_cli(ParamTypeName::Boolean, &none(), "false").unwrap(),
            false
        );
        assert_eq!(
            parse_cli(ParamTypeName::List, &none(), r#"["a"]"#).unwrap(),
            serde_json::json!(["a"])
        );
        assert!(parse_cli(ParamTypeName::Integer, &none(), "4.2").is_err());
        // The operations runbook's example snapshot id is beyond a signed 64-bit integer (an Iceberg `long`).
        let error = parse_cli(ParamTypeName::Integer, &none(), "12345678901234567890").unwrap_err();
        assert!(error.contains("out of range"), "{error}");
        assert!(error.contains("9223372036854775807"), "{error}");
        assert_eq!(
            parse_cli(ParamTypeName::Integer, &none(), "9223372036854775807").unwrap(),
            serde_json::json!(9223372036854775807i64)
        );
        let error = check(
            ParamTypeName::Integer,
            &none(),
            &serde_json::json!(12345678901234567890u64),
        )
        .unwrap_err();
        assert!(error.contains("out of range"), "{error}");
        assert!(parse_cli(ParamTypeName::Datetime, &none(), "yesterday").is_err());
        assert!(parse_cli(ParamTypeName::Duration, &none(), "5 minutes").is_err());
        assert!(parse_cli(ParamTypeName::Map, &none(), "[1]").is_err());
    }

    #[test]
    fn checks_constraints() {
        let bounded = Constraints {
            minimum: Some(1.0),
            maximum: Some(1000.0),
            ..none()
        };
        assert!(
            parse_cli(ParamTypeName::Integer, &bounded, "0")
                .unwrap_err()
                .contains("minimum")
        );
        assert!(parse_cli(ParamTypeName::Integer, &bounded, "1000").is_ok());
        let patterned = Constraints {
            pattern: Some(regex::Regex::new("^[a-z]{3,}$").unwrap()),
            ..none()
        };
        assert!(
            parse_cli(ParamTypeName::String, &patterned, "ab")
                .unwrap_err()
                .contains("pattern")
        );
        let listed = Constraints {
            allowed: vec!["glue".into(), "s3tables".into()],
            ..none()
        };
        assert!(
            parse_cli(ParamTypeName::String, &listed, "hive")
                .unwrap_err()
                .contains("not one of")
        );
    }
}
