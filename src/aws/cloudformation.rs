//! AWS CloudFormation operations (awsQuery, API version 2010-05-15).

use super::{AwsOp, Protocol};
use crate::aws_op;

/// List members of the outputs, so that an empty one is `[]` rather than an empty string.
const QUERY: Protocol = Protocol::Query {
    version: "2010-05-15",
    lists: &[
        "Stacks",
        "StackEvents",
        "StackResources",
        "StackResourceSummaries",
        "Outputs",
        "Parameters",
        "Tags",
        "Capabilities",
        "NotificationARNs",
        "StagesAvailable",
        "ModuleInfo",
    ],
};

pub const DESCRIBE_STACKS: AwsOp = aws_op!(
    cloudformation.describe_stacks,
    "cloudformation",
    "DescribeStacks",
    Read,
    QUERY
);
pub const DESCRIBE_STACK_RESOURCES: AwsOp = aws_op!(
    cloudformation.describe_stack_resources,
    "cloudformation",
    "DescribeStackResources",
    Read,
    QUERY
);
pub const DESCRIBE_STACK_EVENTS: AwsOp = aws_op!(
    cloudformation.describe_stack_events,
    "cloudformation",
    "DescribeStackEvents",
    Read,
    QUERY
);
pub const GET_TEMPLATE: AwsOp = aws_op!(
    cloudformation.get_template,
    "cloudformation",
    "GetTemplate",
    Read,
    QUERY
);
pub const CONTINUE_UPDATE_ROLLBACK: AwsOp = aws_op!(
    cloudformation.continue_update_rollback,
    "cloudformation",
    "ContinueUpdateRollback",
    Write,
    QUERY
);
pub const LIST_STACK_RESOURCES: AwsOp = aws_op!(
    cloudformation.list_stack_resources,
    "cloudformation",
    "ListStackResources",
    Read,
    QUERY
);
