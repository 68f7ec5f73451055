//! `athena.query`: starts a query, waits for it and returns its rows typed, page after page up to a bound.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::actions::{RunContext, athena};
use crate::aws::{AwsOp, BoxFuture, CallError};

/// The calls a query makes, as their rows declare them.
const START_QUERY_EXECUTION: &AwsOp = athena::START_QUERY_EXECUTION.sent();
const GET_QUERY_EXECUTION: &AwsOp = athena::GET_QUERY_EXECUTION.sent();
const GET_QUERY_RESULTS: &AwsOp = athena::GET_QUERY_RESULTS.sent();
const STOP_QUERY_EXECUTION: &AwsOp = athena::STOP_QUERY_EXECUTION.sent();

const DEFAULT_MAX_ROWS: u64 = 1000;
/// GetQueryResults' own page limit.
const PAGE_ROWS: u64 = 1000;
const FIRST_POLL: Duration = Duration::from_millis(250);
const MAX_POLL: Duration = Duration::from_secs(5);

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `athena.query`: starts the query, polls its state (every 250 ms at first, growing to 5 s), and fetches up to
/// `MaxRows` rows (default 1000) page by page. Output:
///
/// `{QueryExecutionId, State, Columns: [{Name, Type}], Rows: [{column: value}], RowCount, Truncated,
///   DataScannedInBytes, EngineExecutionTimeInMillis, OutputLocation}`
///
/// Values are typed by their column: integers and floating point numbers become numbers, booleans booleans,
/// SQL NULL null; everything else stays text as Athena returns it (`decimal` too, so no digit is lost).
/// A query that fails or is cancelled fails the action with `QueryFailed` / `QueryCancelled`. An interrupted run
/// stops the query before giving up, so nothing keeps scanning (and billing) behind it.
pub fn query(
    context: &dyn RunContext,
    mut input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let max_rows = match input.remove("MaxRows") {
            None | Some(Value::Null) => DEFAULT_MAX_ROWS,
            Some(value) => value.as_u64().ok_or_else(|| {
                CallError::invalid_request(format!(
                    "`MaxRows` must be a whole number ≥ 0, got {value}"
                ))
            })?,
        };
        // Retries of a start that reached Athena must not start the query twice.
        input.insert("ClientRequestToken".into(), json!(request_token()));
        let started = context.call(START_QUERY_EXECUTION, input).await?;
        let id = started
            .get("QueryExecutionId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                CallError::malformed(format!(
                    "StartQueryExecution returned no QueryExecutionId: {started}"
                ))
            })?
            .to_string();
        let by_id = object(json!({ "QueryExecutionId": id }));

        let mut delay = FIRST_POLL;
        let execution = loop {
            let reply = context.call(GET_QUERY_EXECUTION, by_id.clone()).await?;
            let execution = reply.get("QueryExecution").cloned().unwrap_or(Value::Null);
            let status = execution.get("Status").cloned().unwrap_or(Value::Null);
            let state = status.get("State").and_then(Value::as_str).unwrap_or("");
            let reason = status
                .get("StateChangeReason")
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            match state {
                "SUCCEEDED" => break execution,
                "FAILED" => {
                    return Err(CallError::stopped(
                        "QueryFailed",
                        format!("Athena query {id} failed: {reason}"),
                    ));
                }
                "CANCELLED" => {
                    return Err(CallError::stopped(
                        "QueryCancelled",
                        format!("Athena query {id} was cancelled: {reason}"),
                    ));
                }
                _ => {}
            }
            if !context.sleep(delay).await {
                let stopped = context.call(STOP_QUERY_EXECUTION, by_id.clone()).await;
                let note = match stopped {
                    Ok(_) => "stopped it".to_string(),
                    Err(error) => format!("could not stop it: {error}"),
                };
                return Err(CallError::stopped(
                    "Interrupted",
                    format!("interrupted while Athena query {id} was {state}; {note}"),
                ));
            }
            delay = (delay * 2).min(MAX_POLL);
        };

        let mut columns: Vec<(String, String)> = Vec::new();
        let mut rows: Vec<Value> = Vec::new();
        let mut next_token: Option<String> = None;
        let mut first_page = true;
        let truncated = loop {
            let wanted = (max_rows - rows.len() as u64 + u64::from(first_page)).min(PAGE_ROWS);
            let mut request = by_id.clone();
            request.insert("MaxResults".into(), json!(wanted.max(1)));
            if let Some(token) = &next_token {
                request.insert("NextToken".into(), json!(token));
            }
            let page = context.call(GET_QUERY_RESULTS, request).await?;
            let result_set = page.get("ResultSet").cloned().unwrap_or(Value::Null);
            if first_page {
                columns = result_set
                    .pointer("/ResultSetMetadata/ColumnInfo")
                    .and_then(Value::as_array)
                    .map(|info| {
                        info.iter()
                            .map(|column| {
                                let field = |name| {
                                    column
                                        .get(name)
                                        .and_then(Value::as_str)
                                        .unwrap_or_default()
                                        .to_string()
                                };
                                (field("Name"), field("Type"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            let mut page_rows = result_set
                .get("Rows")
                .and_then(Value::as_array)
                .map(|rows| rows.iter().map(cells).collect::<Vec<_>>())
                .unwrap_or_default();
            // A SELECT's first row repeats the column names; DDL results have no such row.
            if first_page
                && page_rows.first().is_some_and(|first| {
                    first.len() == columns.len()
                        && first
                            .iter()
                            .zip(&columns)
                            .all(|(cell, (name, _))| cell.as_deref() == Some(name.as_str()))
                })
            {
                page_rows.remove(0);
            }
            first_page = false;
            let room = (max_rows as usize).saturating_sub(rows.len());
            let more_here = page_rows.len() > room;
            rows.extend(
                page_rows
                    .into_iter()
                    .take(room)
                    .map(|cells| typed_row(&columns, cells)),
            );
            next_token = page
                .get("NextToken")
                .and_then(Value::as_str)
                .filter(|token| !token.is_empty())
                .map(str::to_string);
            if more_here {
                break true;
            }
            if next_token.is_none() {
                break false;
            }
            if rows.len() as u64 >= max_rows {
                break true;
            }
        };
        if truncated {
            context.log(&format!(
                "Athena query {id}: kept the first {max_rows} rows (MaxRows)"
            ));
        }

        let statistics = execution.get("Statistics").cloned().unwrap_or(Value::Null);
        Ok(json!({
            "QueryExecutionId": id,
            "State": "SUCCEEDED",
            "Columns": columns
                .iter()
                .map(|(name, kind)| json!({"Name": name, "Type": kind}))
                .collect::<Vec<_>>(),
            "RowCount": rows.len(),
            "Rows": rows,
            "Truncated": truncated,
            "DataScannedInBytes": statistics.get("DataScannedInBytes").cloned().unwrap_or(Value::Null),
            "EngineExecutionTimeInMillis": statistics
                .get("EngineExecutionTimeInMillis")
                .cloned()
                .unwrap_or(Value::Null),
            "OutputLocation": execution
                .pointer("/ResultConfiguration/OutputLocation")
                .cloned()
                .unwrap_or(Value::Null),
        }))
    })
}

/// 32 random hex digits: ClientRequestToken wants 32 to 128 characters.
fn request_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `{"Data": [{"VarCharValue": "1"}, {}]}` → `[Some("1"), None]` (a missing value is SQL NULL).
fn cells(row: &Value) -> Vec<Option<String>> {
    row.get("Data")
        .and_then(Value::as_array)
        .map(|data| {
            data.iter()
                .map(|cell| {
                    cell.get("VarCharValue")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn typed_row(columns: &[(String, String)], cells: Vec<Option<String>>) -> Value {
    let mut row = Map::with_capacity(cells.len());
    for (index, cell) in cells.into_iter().enumerate() {
        let (name, kind) = columns
            .get(index)
            .map(|(name, kind)| (name.clone(), kind.as_str()))
            .unwrap_or_else(|| (format!("_col{index}"), "varchar"));
        row.insert(name, typed_value(kind, cell));
    }
    Value::Object(row)
}

fn typed_value(kind: &str, cell: Option<String>) -> Value {
    let Some(text) = cell else {
        return Value::Null;
    };
    let converted = match kind.to_ascii_lowercase().as_str() {
        "tinyint" | "smallint" | "integer" | "int" | "bigint" => {
            text.parse::<i64>().ok().map(Value::from)
        }
        "real" | "float" | "double" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        "boolean" => match text.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    converted.unwrap_or(Value::String(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_their_column_types() {
        assert_eq!(typed_value("bigint", Some("42".into())), json!(42));
        assert_eq!(typed_value("double", Some("1.5".into())), json!(1.5));
        assert_eq!(typed_value("boolean", Some("true".into())), json!(true));
        assert_eq!(typed_value("decimal", Some("1.10".into())), json!("1.10"));
        assert_eq!(typed_value("varchar", None), Value::Null);
        assert_eq!(typed_value("integer", Some("NaN".into())), json!("NaN"));
    }

    #[test]
    fn tokens_are_long_enough() {
        let token = request_token();
        assert_eq!(token.len(), 32);
        assert_ne!(token, request_token());
    }
}
