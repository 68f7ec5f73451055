//! `dynamodb.count_items`: the exact number of items of a table, page after page.

use serde_json::{Map, Value, json};

use crate::actions::{RunContext, dynamodb};
use crate::aws::{AwsOp, BoxFuture, CallError};

/// The calls a count makes, as their rows declare them.
const QUERY: &AwsOp = dynamodb::QUERY.sent();
const SCAN: &AwsOp = dynamodb::SCAN.sent();

/// `dynamodb.count_items`: the exact number of items (matching `FilterExpression`, within
/// `KeyConditionExpression` when given), by `Select: COUNT` pages followed through `LastEvaluatedKey`. A Query
/// when there is a key condition, a Scan otherwise. Output: `{Count, ScannedCount, Pages}`.
///
/// `ItemCount` of DescribeTable is refreshed only every six hours, which is useless for verifying a restore.
pub fn count_items(
    context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let op = if input.contains_key("KeyConditionExpression") {
            QUERY
        } else {
            SCAN
        };
        let mut request = input;
        request.insert("Select".into(), json!("COUNT"));
        let (mut count, mut scanned, mut pages) = (0u64, 0u64, 0u64);
        loop {
            let page = context.call(op, request.clone()).await?;
            pages += 1;
            count += page.get("Count").and_then(Value::as_u64).unwrap_or(0);
            scanned += page
                .get("ScannedCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            context.progress(&format!("counted {count} items in {pages} pages"));
            match page.get("LastEvaluatedKey") {
                Some(key @ Value::Object(map)) if !map.is_empty() => {
                    request.insert("ExclusiveStartKey".into(), key.clone());
                }
                _ => break,
            }
            if context.cancelled() {
                return Err(CallError::stopped(
                    "Interrupted",
                    format!("interrupted after counting {count} items in {pages} pages"),
                ));
            }
        }
        Ok(json!({"Count": count, "ScannedCount": scanned, "Pages": pages}))
    })
}
