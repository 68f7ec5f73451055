//! Amazon Athena operations (awsJson 1.1).

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const START_QUERY_EXECUTION: AwsOp = aws_op!(
    athena.start_query_execution,
    "athena",
    "StartQueryExecution",
    Write,
    JSON
);
pub const GET_QUERY_EXECUTION: AwsOp = aws_op!(
    athena.get_query_execution,
    "athena",
    "GetQueryExecution",
    Read,
    JSON
);
pub const GET_QUERY_RESULTS: AwsOp = aws_op!(
    athena.get_query_results,
    "athena",
    "GetQueryResults",
    Read,
    JSON
);
pub const STOP_QUERY_EXECUTION: AwsOp = aws_op!(
    athena.stop_query_execution,
    "athena",
    "StopQueryExecution",
    Write,
    JSON
);
