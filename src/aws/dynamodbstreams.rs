//! Amazon DynamoDB Streams operations (awsJson 1.0).

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

pub const LIST_STREAMS: AwsOp = aws_op!(
    dynamodbstreams.list_streams,
    "dynamodbstreams",
    "ListStreams",
    Read,
    JSON
);
pub const DESCRIBE_STREAM: AwsOp = aws_op!(
    dynamodbstreams.describe_stream,
    "dynamodbstreams",
    "DescribeStream",
    Read,
    JSON
);
pub const GET_SHARD_ITERATOR: AwsOp = aws_op!(
    dynamodbstreams.get_shard_iterator,
    "dynamodbstreams",
    "GetShardIterator",
    Read,
    JSON
);
pub const GET_RECORDS: AwsOp = aws_op!(
    dynamodbstreams.get_records,
    "dynamodbstreams",
    "GetRecords",
    Read,
    JSON
);
