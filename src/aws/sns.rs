//! Amazon SNS operations (awsQuery, API version 2010-03-31).

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const QUERY: Protocol = Protocol::Query {
    version: "2010-03-31",
    lists: &["Topics"],
};

pub const PUBLISH: AwsOp = aws_op!(sns.publish, "sns", "Publish", Write, QUERY);
