//! Amazon SQS operations (awsJson 1.0).

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

// No action of its own: `move_messages` uses it to hand skipped messages back.
pub const CHANGE_MESSAGE_VISIBILITY_BATCH: AwsOp = aws_op!(
    sqs.change_message_visibility_batch,
    "sqs",
    "ChangeMessageVisibilityBatch",
    Write,
    JSON
);
