//! AWS Glue Data Catalog operations (awsJson 1.1).

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const GET_TABLE: AwsOp = aws_op!(glue.get_table, "glue", "GetTable", Read, JSON);
pub const GET_TABLES: AwsOp = aws_op!(glue.get_tables, "glue", "GetTables", Read, JSON);
pub const GET_DATABASE: AwsOp = aws_op!(glue.get_database, "glue", "GetDatabase", Read, JSON);
pub const UPDATE_TABLE: AwsOp = aws_op!(glue.update_table, "glue", "UpdateTable", Write, JSON);
pub const GET_TABLE_VERSIONS: AwsOp = aws_op!(
    glue.get_table_versions,
    "glue",
    "GetTableVersions",
    Read,
    JSON
);
