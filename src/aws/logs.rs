//! Amazon CloudWatch Logs operations (awsJson 1.1). Members are camelCase, as in the API.

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const START_QUERY: AwsOp = aws_op!(logs.start_query, "logs", "StartQuery", Read, JSON);
