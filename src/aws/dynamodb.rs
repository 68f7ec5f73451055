//! Amazon DynamoDB operations (awsJson 1.0).

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

pub const DESCRIBE_TABLE: AwsOp = aws_op!(dynamodb.describe_table { set_table_name: str("TableName") }, "dynamodb", "DescribeTable", Read, JSON);
pub const LIST_TABLES: AwsOp = aws_op!(dynamodb.list_tables, "dynamodb", "ListTables", Read, JSON);
