//! Amazon SNS operations (awsQuery, API version 2010-03-31).

use super::{AwsOp, Protocol};
use crate::aws_op;

const QUERY: Protocol = Protocol::Query {
    version: "2010-03-31",
    lists: &["Topics"],
};

pub const PUBLISH: AwsOp = aws_op!(sns.publish, "sns", "Publish", Write, QUERY);
pub const LIST_TOPICS: AwsOp = aws_op!(sns.list_topics, "sns", "ListTopics", Read, QUERY);
pub const GET_TOPIC_ATTRIBUTES: AwsOp = aws_op!(
    sns.get_topic_attributes,
    "sns",
    "GetTopicAttributes",
    Read,
    QUERY
);
