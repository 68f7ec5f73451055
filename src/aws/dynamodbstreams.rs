//! Amazon DynamoDB Streams operations (awsJson 1.0).

use super::Protocol;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.0" };
