//! AWS Glue Data Catalog's protocol (awsJson 1.1); its operations are declared in their rows
//! (`src/actions/glue.rs`).

use super::Protocol;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };
