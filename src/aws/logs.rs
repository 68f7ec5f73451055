//! Amazon CloudWatch Logs' protocol (awsJson 1.1); its operations are declared in their rows
//! (`src/actions/logs.rs`), whose members are camelCase, as in the API.

use super::Protocol;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };
