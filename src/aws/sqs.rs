//! Amazon SQS operations (awsJson 1.0).

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

// Receiving hides the messages for the visibility timeout: a change of state.
pub const RECEIVE_MESSAGE: AwsOp =
    aws_op!(sqs.receive_message, "sqs", "ReceiveMessage", Write, JSON);
pub const SEND_MESSAGE_BATCH: AwsOp = aws_op!(
    sqs.send_message_batch,
    "sqs",
    "SendMessageBatch",
    Write,
    JSON
);
pub const DELETE_MESSAGE_BATCH: AwsOp = aws_op!(
    sqs.delete_message_batch,
    "sqs",
    "DeleteMessageBatch",
    Write,
    JSON
);
// No action of its own: `move_messages` uses it to hand skipped messages back.
pub const CHANGE_MESSAGE_VISIBILITY_BATCH: AwsOp = aws_op!(
    sqs.change_message_visibility_batch,
    "sqs",
    "ChangeMessageVisibilityBatch",
    Write,
    JSON
);
