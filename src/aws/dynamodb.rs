//! Amazon DynamoDB operations (awsJson 1.0).
//!
//! Every operation on one table or backup also sets that member through the typed builder: the SDK derives the
//! `ResourceArn` endpoint parameter (account-based endpoints) from it and refuses to build the request without it.

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

// The lock's table is read and written with these, besides their rows.
pub const GET_ITEM: AwsOp = aws_op!(dynamodb.get_item { set_table_name: str("TableName") }, "dynamodb", "GetItem", Read, JSON);
pub const PUT_ITEM: AwsOp = aws_op!(dynamodb.put_item { set_table_name: str("TableName") }, "dynamodb", "PutItem", Write, JSON);
