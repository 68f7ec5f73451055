//! AWS STS operations (awsQuery).

use super::{AwsOp, Protocol};
use crate::aws_op;

const QUERY: Protocol = Protocol::Query {
    version: "2011-06-15",
    lists: &[],
};

pub const GET_CALLER_IDENTITY: AwsOp = aws_op!(
    sts.get_caller_identity,
    "sts",
    "GetCallerIdentity",
    Read,
    QUERY
);
