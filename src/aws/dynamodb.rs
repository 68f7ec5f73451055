//! Amazon DynamoDB operations (awsJson 1.0), and the `dynamodb.count_items` composite.
//!
//! Every operation on one table or backup also sets that member through the typed builder: the SDK derives the
//! `ResourceArn` endpoint parameter (account-based endpoints) from it and refuses to build the request without it.

use serde_json::{Map, Value, json};

use super::{AwsOp, BoxFuture, CallError, Protocol};
use crate::aws_op;
use crate::engine::ActionContext;

const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

pub const DESCRIBE_TABLE: AwsOp = aws_op!(dynamodb.describe_table { set_table_name: str("TableName") }, "dynamodb", "DescribeTable", Read, JSON);
pub const LIST_TABLES: AwsOp = aws_op!(dynamodb.list_tables, "dynamodb", "ListTables", Read, JSON);
pub const DESCRIBE_CONTINUOUS_BACKUPS: AwsOp = aws_op!(dynamodb.describe_continuous_backups { set_table_name: str("TableName") }, "dynamodb", "DescribeContinuousBackups", Read, JSON);
pub const UPDATE_CONTINUOUS_BACKUPS: AwsOp = aws_op!(dynamodb.update_continuous_backups { set_table_name: str("TableName") }, "dynamodb", "UpdateContinuousBackups", Write, JSON);
pub const LIST_BACKUPS: AwsOp = aws_op!(dynamodb.list_backups { set_table_name: str("TableName") }, "dynamodb", "ListBackups", Read, JSON);
pub const CREATE_BACKUP: AwsOp = aws_op!(dynamodb.create_backup { set_table_name: str("TableName") }, "dynamodb", "CreateBackup", Write, JSON);
pub const DESCRIBE_BACKUP: AwsOp = aws_op!(dynamodb.describe_backup { set_backup_arn: str("BackupArn") }, "dynamodb", "DescribeBackup", Read, JSON);
pub const DELETE_BACKUP: AwsOp = aws_op!(dynamodb.delete_backup { set_backup_arn: str("BackupArn") }, "dynamodb", "DeleteBackup", Write, JSON);
pub const RESTORE_TABLE_TO_POINT_IN_TIME: AwsOp = aws_op!(dynamodb.restore_table_to_point_in_time { set_target_table_name: str("TargetTableName") }, "dynamodb", "RestoreTableToPointInTime", Write, JSON);
pub const RESTORE_TABLE_FROM_BACKUP: AwsOp = aws_op!(dynamodb.restore_table_from_backup { set_target_table_name: str("TargetTableName") }, "dynamodb", "RestoreTableFromBackup", Write, JSON);
pub const UPDATE_TABLE: AwsOp = aws_op!(dynamodb.update_table { set_table_name: str("TableName") }, "dynamodb", "UpdateTable", Write, JSON);
pub const DELETE_TABLE: AwsOp = aws_op!(dynamodb.delete_table { set_table_name: str("TableName") }, "dynamodb", "DeleteTable", Write, JSON);
pub const SCAN: AwsOp =
    aws_op!(dynamodb.scan { set_table_name: str("TableName") }, "dynamodb", "Scan", Read, JSON);
pub const QUERY: AwsOp =
    aws_op!(dynamodb.query { set_table_name: str("TableName") }, "dynamodb", "Query", Read, JSON);
pub const GET_ITEM: AwsOp = aws_op!(dynamodb.get_item { set_table_name: str("TableName") }, "dynamodb", "GetItem", Read, JSON);
pub const PUT_ITEM: AwsOp = aws_op!(dynamodb.put_item { set_table_name: str("TableName") }, "dynamodb", "PutItem", Write, JSON);

/// `dynamodb.count_items`: the exact number of items (matching `FilterExpression`, within
/// `KeyConditionExpression` when given), by `Select: COUNT` pages followed through `LastEvaluatedKey`. A Query
/// when there is a key condition, a Scan otherwise. Output: `{Count, ScannedCount, Pages}`.
///
/// `ItemCount` of DescribeTable is refreshed only every six hours, which is useless for verifying a restore.
pub fn count_items(
    context: &ActionContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let op = if input.contains_key("KeyConditionExpression") {
            &QUERY
        } else {
            &SCAN
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
                return Err(CallError {
                    code: "Interrupted".into(),
                    message: format!("interrupted after counting {count} items in {pages} pages"),
                    status: None,
                    request_id: None,
                    transient: false,
                });
            }
        }
        Ok(json!({"Count": count, "ScannedCount": scanned, "Pages": pages}))
    })
}
