//! AWS Glue Data Catalog operations (awsJson 1.1).

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const GET_TABLE: AwsOp = aws_op!(glue.get_table, "glue", "GetTable", Read, JSON);
pub const UPDATE_TABLE: AwsOp = aws_op!(glue.update_table, "glue", "UpdateTable", Write, JSON);
