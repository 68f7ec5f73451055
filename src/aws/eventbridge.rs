//! Amazon EventBridge operations (awsJson 1.1). Actions name the service by its prefix, `events`.

use super::Protocol;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };
