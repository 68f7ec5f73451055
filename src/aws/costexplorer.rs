//! AWS Cost Explorer operations (awsJson 1.1). Actions name the service by its prefix, `ce`; the SDK resolves its
//! global endpoint (us-east-1) whatever the run's region.

use super::Protocol;

/// The protocol of every Cost Explorer operation; the operations are declared in their rows (`src/actions/ce.rs`).
pub const JSON: Protocol = Protocol::AwsJson { version: "1.1" };
