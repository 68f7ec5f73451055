//! Amazon DynamoDB operations (awsJson 1.0).
//!
//! Every operation on one table or backup also sets that member through the typed builder: the SDK derives the
//! `ResourceArn` endpoint parameter (account-based endpoints) from it and refuses to build the request without it.

use super::{AwsOp, Protocol};
use crate::aws_op;

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
