//! Amazon EventBridge operations (awsJson 1.1). Actions name the service by its prefix, `events`.

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const DESCRIBE_RULE: AwsOp = aws_op!(
    eventbridge.describe_rule,
    "events",
    "DescribeRule",
    Read,
    JSON
);
pub const ENABLE_RULE: AwsOp =
    aws_op!(eventbridge.enable_rule, "events", "EnableRule", Write, JSON);
pub const DISABLE_RULE: AwsOp = aws_op!(
    eventbridge.disable_rule,
    "events",
    "DisableRule",
    Write,
    JSON
);
pub const LIST_RULES: AwsOp = aws_op!(eventbridge.list_rules, "events", "ListRules", Read, JSON);
