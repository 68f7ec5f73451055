//! Amazon CloudWatch Logs operations (awsJson 1.1). Members are camelCase, as in the API.

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const FILTER_LOG_EVENTS: AwsOp = aws_op!(
    logs.filter_log_events,
    "logs",
    "FilterLogEvents",
    Read,
    JSON
);
pub const DESCRIBE_LOG_GROUPS: AwsOp = aws_op!(
    logs.describe_log_groups,
    "logs",
    "DescribeLogGroups",
    Read,
    JSON
);
pub const DESCRIBE_LOG_STREAMS: AwsOp = aws_op!(
    logs.describe_log_streams,
    "logs",
    "DescribeLogStreams",
    Read,
    JSON
);
pub const GET_LOG_EVENTS: AwsOp = aws_op!(logs.get_log_events, "logs", "GetLogEvents", Read, JSON);
pub const START_QUERY: AwsOp = aws_op!(logs.start_query, "logs", "StartQuery", Read, JSON);
pub const GET_QUERY_RESULTS: AwsOp = aws_op!(
    logs.get_query_results,
    "logs",
    "GetQueryResults",
    Read,
    JSON
);
