//! Templates and expressions: the minijinja environment every runbook string is rendered in, and the static
//! analysis the validator uses to prove that every name a template reads exists where it is read.
//!
//! In `with`, `vars`, parameter defaults and messages every string is a template; one that is exactly one
//! `{{ expr }}` keeps the expression's type. `when`, `that`, `until`, `outputs` and `for_each` are bare expressions.

use std::collections::{BTreeSet, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use jiff::Timestamp;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use crate::foundation::datetime::{self, DateTimeSpec};
use crate::foundation::duration;
use crate::foundation::nesting;

/// The one environment runbooks are rendered in. Building it is cheap but not free, so it is shared.
pub fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(build_environment);
    &ENVIRONMENT
}

fn build_environment() -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt name must fail loudly at 3 a.m., not render as an empty string into an AWS request.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Bounds the work a hostile or runaway template can do (a `range(10**9)` loop) without a clock.
    env.set_fuel(Some(5_000_000));
    env.add_filter("jmespath", jmespath_filter);
    env.add_filter("to_json", to_json);
    env.add_filter("from_json", from_json);
    env.add_filter("add_duration", add_duration);
    env.add_filter("format_datetime", format_datetime);
    env.add_filter("to_epoch", to_epoch);
    env.add_filter("pick", pick);
    env.add_filter("percentile", percentile);
    env.add_filter("table", table);
    env.add_filter("from_epoch", from_epoch);
    env.add_function("now", now);
    env.add_test("containing", containing);
    // Every `{{ }}` passes here: what one prints after reading a secret is secret (crate::foundation::taint).
    env.set_formatter(|out, state, value| {
        crate::foundation::taint::output(value);
        minijinja::escape_formatter(out, state, value)
    });
    env
}

/// Names of global functions (`range`, `now`, ...), which static analysis reports like variables.
fn global_names() -> &'static HashSet<String> {
    static NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
        environment()
            .globals()
            .map(|(name, _)| name.to_string())
            .collect()
    });
    &NAMES
}

/// Whether a string contains template syntax at all; plain strings skip compilation entirely.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// The expression inside a string that is exactly one `{{ expr }}`, which keeps its type when rendered.
pub fn single_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    (!inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%"))
        .then_some(inner.trim())
}

/// A template or expression that does not compile, with the byte range of the fault where minijinja knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub range: Option<Range<usize>>,
    /// The source nests deeper than [`nesting::MAX_DEPTH`]; minijinja never saw it.
    pub too_deep: bool,
}

impl SyntaxError {
    fn from_minijinja(error: &Error) -> SyntaxError {
        let message = error
            .detail()
            .map_or_else(|| error.kind().to_string(), str::to_string);
        SyntaxError {
            message,
            range: error.range(),
            too_deep: false,
        }
    }

    fn too_deep(found: nesting::TooDeep) -> SyntaxError {
        SyntaxError {
            message: format!("it nests deeper than {} levels", nesting::MAX_DEPTH),
            range: Some(found.offset..found.offset + 1),
            too_deep: true,
        }
    }
}

/// The error the renderer gives for a source the validator would have refused as too deep.
fn too_deep_error(found: nesting::TooDeep) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "the template nests deeper than {} levels (at byte {})",
            nesting::MAX_DEPTH,
            found.offset
        ),
    )
}

/// The dotted paths (`params.table`, `steps.describe.output.Table`) a template reads, globals left out.
pub fn template_references(source: &str) -> Result<BTreeSet<String>, SyntaxError> {
    if !is_template(source) {
        return Ok(BTreeSet::new());
    }
    nesting::check_template(source).map_err(SyntaxError::too_deep)?;
    if let Some((word, range)) = other_template_statement(source) {
        return Err(SyntaxError {
            message: format!(
                "`{{% {word} %}}` reads another template, and a runbook's templates are strings of one file"
            ),
            range: Some(range),
            too_deep: false,
        });
    }
    let template = environment()
        .template_from_str(source)
        .map_err(|e| SyntaxError::from_minijinja(&e))?;
    Ok(without_globals(template.undeclared_variables(true)))
}

/// The first `{% include %}`, `{% extends %}`, `{% import %}` or `{% from %}` tag: they compile, but there is
/// no other template to read, so they could only fail when the step runs.
fn other_template_statement(source: &str) -> Option<(&'static str, Range<usize>)> {
    let mut from = 0;
    while let Some(found) = source[from..].find("{%") {
        let start = from + found;
        let rest = source[start + 2..]
            .trim_start_matches(['-', '+'])
            .trim_start();
        let word = rest
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or_default();
        if let Some(known) = ["include", "extends", "import", "from"]
            .into_iter()
            .find(|known| *known == word)
        {
            let at = source.len() - rest.len();
            return Some((known, at..at + word.len()));
        }
        from = start + 2;
    }
    None
}

/// The dotted paths every template inside a JSON value reads (a `vars` entry, a `with` block), added to `out`;
/// templates that do not compile add nothing (the validator reports them on their own).
pub fn json_template_references(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(text) => {
            if let Ok(found) = template_references(text) {
                out.extend(found);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                json_template_references(item, out);
            }
        }
        serde_json::Value::Object(map) => {
            for item in map.values() {
                json_template_references(item, out);
            }
        }
        _ => {}
    }
}

/// The dotted paths an expression reads, globals left out.
pub fn expression_references(source: &str) -> Result<BTreeSet<String>, SyntaxError> {
    if source.trim().is_empty() {
        return Err(SyntaxError {
            message: "the expression is empty".into(),
            range: None,
            too_deep: false,
        });
    }
    if source.contains("{{") || source.contains("{%") {
        return Err(SyntaxError {
            message: "this is an expression; write it without `{{ }}`".into(),
            range: source
                .find("{{")
                .or_else(|| source.find("{%"))
                .map(|start| start..start + 2),
            too_deep: false,
        });
    }
    nesting::check_expression(source).map_err(SyntaxError::too_deep)?;
    let expression = environment()
        .compile_expression(source)
        .map_err(|e| SyntaxError::from_minijinja(&e))?;
    Ok(without_globals(expression.undeclared_variables(true)))
}

fn without_globals(names: HashSet<String>) -> BTreeSet<String> {
    let globals = global_names();
    names
        .into_iter()
        .filter(|name| !globals.contains(name.split('.').next().unwrap_or(name)))
        .collect()
}

/// Renders a template. A string that is exactly one `{{ expr }}` yields the expression's own value (a number stays
/// a number, a list a list); anything else yields a string.
pub fn render(source: &str, context: &Value) -> Result<Value, Error> {
    if !is_template(source) {
        return Ok(Value::from(source));
    }
    if let Some(expression) = single_expression(source) {
        return evaluate(expression, context);
    }
    nesting::check_template(source).map_err(too_deep_error)?;
    crate::foundation::taint::begin();
    let rendered = environment().render_str(source, context);
    crate::foundation::taint::finish_text(rendered.as_deref().unwrap_or_default());
    rendered.map(Value::from)
}

/// Evaluates a bare expression.
pub fn evaluate(source: &str, context: &Value) -> Result<Value, Error> {
    // The validator refuses deeper sources; this keeps a worker's stack safe whatever reaches it.
    nesting::check_expression(source).map_err(too_deep_error)?;
    crate::foundation::taint::begin();
    let value = environment().compile_expression(source)?.eval(context);
    crate::foundation::taint::finish_value(value.as_ref().unwrap_or(&Value::UNDEFINED));
    let value = value?;
    // Strict mode fails on printing an undefined value, not on producing one; an expression that names nothing
    // must fail here rather than pass `undefined` on to a request or a check.
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("`{source}` is undefined"),
        ));
    }
    Ok(value)
}

/// Renders every string inside a JSON value, keeping its shape.
pub fn render_json(value: &serde_json::Value, context: &Value) -> Result<serde_json::Value, Error> {
    Ok(match value {
        serde_json::Value::String(text) if is_template(text) => {
            to_json_value(&render(text, context)?)?
        }
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| render_json(item, context))
            .collect::<Result<_, _>>()?,
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(key, item)| Ok((key.clone(), render_json(item, context)?)))
            .collect::<Result<serde_json::Map<_, _>, Error>>()?
            .into(),
        other => other.clone(),
    })
}

/// A template value as JSON.
pub fn to_json_value(value: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// JSON as a template value.
pub fn from_json_value(value: &serde_json::Value) -> Value {
    Value::from(Serde(value))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// `value | jmespath('Versions[?Version != `$LATEST`].Version')`: the AWS CLI's `--query` language.
fn jmespath_filter(value: Value, expression: &str) -> Result<Value, Error> {
    let compiled =
        jmespath::compile(expression).map_err(|e| invalid(format!("invalid JMESPath: {e}")))?;
    let data = to_json_value(&value)?;
    let found = compiled
        .search(data)
        .map_err(|e| invalid(format!("JMESPath failed: {e}")))?;
    let json = serde_json::to_value(&*found).map_err(|e| invalid(e.to_string()))?;
    Ok(from_json_value(&json))
}

fn to_json(value: Value) -> Result<String, Error> {
    serde_json::to_string(&to_json_value(&value)?).map_err(|e| invalid(e.to_string()))
}

/// `message is containing('ERROR')`: `'ERROR' in message` as a test, so `select` and `selectattr` can keep the
/// members that hold a text (a log line with a word), a key or a member; minijinja's own `in` tests the other way.
fn containing(
    state: &minijinja::State<'_, '_>,
    value: &Value,
    needle: &Value,
) -> Result<bool, Error> {
    minijinja::tests::is_in(state, needle, value)
}

/// `item | pick(['PK', 'SK'])`: the mapping with only the named keys it has, in that order (a DynamoDB key out
/// of a whole item).
fn pick(value: Value, names: Vec<String>) -> Result<Value, Error> {
    if value.as_object().is_none() || value.as_str().is_some() {
        return Err(invalid(format!("pick needs a mapping, found {value}")));
    }
    let mut picked = Vec::with_capacity(names.len());
    for name in names {
        let found = value.get_item(&Value::from(name.as_str()))?;
        if !found.is_undefined() {
            picked.push((name, found));
        }
    }
    Ok(Value::from_pairs(picked))
}

/// The `p`th percentile of a list of numbers by the nearest-rank method (the smallest value with at least p% of
/// the values at or below it), as CloudWatch's `p99` reads; none for an empty list, so a runbook can tell "no
/// data" from zero.
fn percentile(values: Vec<Value>, p: f64) -> Result<Value, Error> {
    if !(p > 0.0 && p <= 100.0) {
        return Err(invalid(format!("percentile needs 0 < p <= 100, found {p}")));
    }
    let mut numbers = values
        .iter()
        .map(|value| {
            f64::try_from(value.clone())
                .map_err(|_| invalid(format!("percentile needs numbers, found {value}")))
        })
        .collect::<Result<Vec<f64>, Error>>()?;
    if numbers.is_empty() {
        return Ok(Value::from(()));
    }
    numbers.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * numbers.len() as f64).ceil() as usize;
    Ok(Value::from(numbers[rank.clamp(1, numbers.len()) - 1]))
}

/// `rows | table(columns, format)`: a report's table as text in `format`: `text` (padded columns, the default),
/// `markdown`, or `json` (a list of objects keyed by the columns, in column order). Each row is a list of cells in
/// column order, or a mapping read by column name; none and missing cells are empty.
fn table(rows: Vec<Value>, columns: Vec<String>, format: Option<&str>) -> Result<Value, Error> {
    let cells: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| match row.kind() {
            minijinja::value::ValueKind::Map => Ok(columns
                .iter()
                .map(|column| row.get_attr(column).unwrap_or_default())
                .collect()),
            minijinja::value::ValueKind::Seq => Ok(row
                .try_iter()?
                .chain(std::iter::repeat(Value::from(())))
                .take(columns.len())
                .collect()),
            _ => Err(invalid(format!(
                "table needs rows that are lists or mappings, found {row}"
            ))),
        })
        .collect::<Result<_, Error>>()?;
    let empty = |value: &Value| value.is_none() || value.is_undefined();
    let header: Vec<&str> = columns.iter().map(String::as_str).collect();
    let text = || -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| {
                        if empty(v) {
                            String::new()
                        } else {
                            v.to_string()
                        }
                    })
                    .collect()
            })
            .collect()
    };
    match format.unwrap_or("text") {
        "text" => Ok(Value::from(crate::foundation::table::render(
            &header,
            &text(),
        ))),
        "markdown" => Ok(Value::from(crate::foundation::table::markdown(
            &header,
            &text(),
        ))),
        "json" => {
            let objects: Vec<Value> = cells
                .iter()
                .map(|row| {
                    Value::from_pairs(
                        columns
                            .iter()
                            .zip(row)
                            .map(|(column, v)| {
                                let v = if empty(v) { Value::from(()) } else { v.clone() };
                                (column.clone(), v)
                            })
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            to_json(Value::from(objects)).map(Value::from)
        }
        other => Err(invalid(format!(
            "table formats are text, markdown and json, not {other}"
        ))),
    }
}

fn from_json(text: &str) -> Result<Value, Error> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
    Ok(from_json_value(&json))
}

fn parse_timestamp(value: &Value) -> Result<Timestamp, Error> {
    if let Some(seconds) = value.as_i64() {
        return Timestamp::from_second(seconds).map_err(|e| invalid(e.to_string()));
    }
    let text = value
        .as_str()
        .ok_or_else(|| invalid(format!("expected a date and time, found {value}")))?;
    DateTimeSpec::parse(text)
        .and_then(|spec| spec.resolve(Timestamp::now()))
        .ok_or_else(|| {
            invalid(format!(
                "`{text}` is not a date and time; {}",
                datetime::HINT
            ))
        })
}

/// `'2025-12-30T14:00:00Z' | add_duration('-5m')` gives `2025-12-30T13:55:00Z`.
fn add_duration(value: Value, amount: &str) -> Result<String, Error> {
    let at = parse_timestamp(&value)?;
    let (negative, amount) = duration::parse_signed(amount)
        .ok_or_else(|| invalid(format!("`{amount}` is not a duration; {}", duration::HINT)))?;
    let amount = jiff::SignedDuration::try_from(amount).map_err(|e| invalid(e.to_string()))?;
    let moved = if negative {
        at.checked_sub(amount)
    } else {
        at.checked_add(amount)
    };
    Ok(datetime::format_rfc3339(
        moved.map_err(|e| invalid(e.to_string()))?,
    ))
}

/// `x | format_datetime('%Y-%m-%d')`, strftime syntax, in UTC.
fn format_datetime(value: Value, format: &str) -> Result<String, Error> {
    let at = parse_timestamp(&value)?;
    let zoned = at.to_zoned(jiff::tz::TimeZone::UTC);
    jiff::fmt::strtime::format(format, &zoned).map_err(|e| invalid(e.to_string()))
}

fn to_epoch(value: Value) -> Result<i64, Error> {
    Ok(parse_timestamp(&value)?.as_second())
}

fn from_epoch(value: Value) -> Result<String, Error> {
    Ok(datetime::format_rfc3339(parse_timestamp(&value)?))
}

fn now() -> String {
    datetime::format_rfc3339(Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Value {
        from_json_value(&serde_json::json!({
            "params": {"table": "sales", "limit": 10},
            "steps": {"versions": {"output": {"Versions": [{"Version": "$LATEST"}, {"Version": "3"}, {"Version": "4"}]}}},
        }))
    }

    #[test]
    fn pick_keeps_the_named_keys_and_whole_items_compare_by_value() {
        let context = from_json_value(&serde_json::json!({
            "item": {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "10"}},
            "same": {"amount": {"N": "10"}, "SK": {"S": "b"}, "PK": {"S": "a"}},
            "other": {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "11"}},
        }));
        assert_eq!(
            render(
                "{{ item | pick(['PK', 'SK', 'absent']) | to_json }}",
                &context
            )
            .unwrap()
            .to_string(),
            r#"{"PK":{"S":"a"},"SK":{"S":"b"}}"#
        );
        assert!(evaluate("item == same", &context).unwrap().is_true());
        assert!(!evaluate("item == other", &context).unwrap().is_true());
        assert!(render("{{ 'text' | pick(['a']) }}", &context).is_err());
    }

    #[test]
    fn table_renders_text_markdown_and_json_from_lists_or_mappings() {
        let context = from_json_value(&serde_json::json!({
            "rows": [["AWS Lambda", 0.07, "ok"], {"service": "Amazon SNS", "cost": 0.5}],
        }));
        let table = |format: &str| {
            render(
                &format!("{{{{ rows | table(['service', 'cost', 'status'], '{format}') }}}}"),
                &context,
            )
            .unwrap()
            .to_string()
        };
        assert_eq!(
            table("text"),
            "service     cost  status\nAWS Lambda  0.07  ok\nAmazon SNS  0.5\n"
        );
        assert_eq!(
            table("markdown"),
            "| service | cost | status |\n| --- | --- | --- |\n| AWS Lambda | 0.07 | ok |\n| Amazon SNS | 0.5 |  |\n"
        );
        assert_eq!(
            table("json"),
            r#"[{"service":"AWS Lambda","cost":0.07,"status":"ok"},{"service":"Amazon SNS","cost":0.5,"status":null}]"#
        );
        assert!(render("{{ rows | table(['a'], 'html') }}", &context).is_err());
        assert!(render("{{ [1] | table(['a']) }}", &context).is_err());
    }

    #[test]
    fn containing_is_in_turned_around() {
        let context = from_json_value(&serde_json::json!({
            "events": [{"message": "a COMPLETED"}, {"message": "an ERROR"}, {"message": "ERROR COMPLETED"}],
        }));
        let eval = |expr: &str| evaluate(expr, &context).unwrap().to_string();
        assert_eq!(
            eval(
                "events | selectattr('message', 'containing', 'COMPLETED') | map(attribute='message') | list"
            ),
            "['a COMPLETED', 'ERROR COMPLETED']"
        );
        assert_eq!(eval("['a', 'b'] is containing('b')"), "True");
        assert_eq!(eval("{'k': 1} is containing('k')"), "True");
        assert_eq!(eval("'abc' is containing('d')"), "False");
    }

    #[test]
    fn percentile_is_the_nearest_rank() {
        let context = from_json_value(&serde_json::json!({
            "hundred": (1..=100).rev().collect::<Vec<i64>>(),
            "few": [3.5, 1, 2],
            "empty": [],
        }));
        let eval = |expr: &str| evaluate(expr, &context).unwrap().to_string();
        assert_eq!(eval("hundred | percentile(99)"), "99.0");
        assert_eq!(eval("hundred | percentile(50)"), "50.0");
        assert_eq!(eval("hundred | percentile(100)"), "100.0");
        assert_eq!(eval("few | percentile(99)"), "3.5");
        assert_eq!(eval("few | percentile(1)"), "1.0");
        assert!(
            evaluate("empty | percentile(99)", &context)
                .unwrap()
                .is_none()
        );
        assert!(evaluate("few | percentile(0)", &context).is_err());
        assert!(evaluate("['a'] | percentile(50)", &context).is_err());
    }

    #[test]
    fn a_single_expression_keeps_its_type() {
        assert_eq!(
            render("{{ params.limit }}", &context()).unwrap(),
            Value::from(10)
        );
        assert_eq!(
            render("{{ params.table }}-restore", &context()).unwrap(),
            Value::from("sales-restore")
        );
        assert_eq!(render("plain", &context()).unwrap(), Value::from("plain"));
    }

    #[test]
    fn undefined_names_fail() {
        assert!(render("{{ params.tabel }}", &context()).is_err());
    }

    #[test]
    fn references_are_full_paths_without_globals() {
        let found = template_references(
            "{{ params.table }} {{ steps.versions.output.Versions | length }} {{ now() }}",
        );
        let found: Vec<_> = found.unwrap().into_iter().collect();
        assert_eq!(found, ["params.table", "steps.versions.output.Versions"]);
        let found: Vec<_> = expression_references("range(3) | list")
            .unwrap()
            .into_iter()
            .collect();
        assert!(found.is_empty());
    }

    #[test]
    fn syntax_errors_carry_a_range() {
        let error = template_references("{{ params.table }").unwrap_err();
        assert!(error.range.is_some(), "{error:?}");
        assert!(expression_references("{{ x }}").is_err());
        assert!(expression_references("a ==").is_err());
    }

    #[test]
    fn jmespath_carries_the_cli_queries_over() {
        let value = evaluate(
            "steps.versions.output | jmespath(\"Versions[?Version != '$LATEST'].Version | [-1]\")",
            &context(),
        )
        .unwrap();
        assert_eq!(value, Value::from("4"));
    }

    #[test]
    fn datetime_arithmetic_and_formatting() {
        let ctx = context();
        assert_eq!(
            render("{{ '2025-12-30T14:00:00Z' | add_duration('-5m') }}", &ctx).unwrap(),
            Value::from("2025-12-30T13:55:00Z")
        );
        assert_eq!(
            render(
                "{{ '2025-12-30T14:00:00Z' | format_datetime('%Y%m%d') }}",
                &ctx
            )
            .unwrap(),
            Value::from("20251230")
        );
        assert_eq!(
            render("{{ '1970-01-01T00:01:00Z' | to_epoch }}", &ctx).unwrap(),
            Value::from(60)
        );
        assert_eq!(
            render("{{ {'a': [1]} | to_json }}", &ctx).unwrap(),
            Value::from(r#"{"a":[1]}"#)
        );
        // Lambda's LastModified writes its offset without a colon.
        assert_eq!(
            render("{{ '1970-01-01T00:01:00.000+0000' | to_epoch }}", &ctx).unwrap(),
            Value::from(60)
        );
    }
}
