//! AWS Cost Explorer operations (awsJson 1.1). Actions name the service by its prefix, `ce`; the SDK resolves its
//! global endpoint (us-east-1) whatever the run's region.

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const GET_COST_AND_USAGE: AwsOp = aws_op!(
    costexplorer.get_cost_and_usage,
    "ce",
    "GetCostAndUsage",
    Read,
    JSON
);
