//! Amazon Simple Queue Service (SQS).

use super::MemberType::*;
use super::observed::{How, Observed};
use super::{ActionSpec, Effect, Execute, Grant, Pages, opt, req};
use crate::aws;

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "sqs.GetQueueUrl",
        execute: Execute::Call(&aws::sqs::GET_QUEUE_URL),
        effect: Effect::Read,
        members: &[
            req("QueueName", String),
            opt("QueueOwnerAWSAccountId", String),
        ],
        iam: &["sqs:GetQueueUrl"],
        resource: "arn:aws:sqs:{region}:{account}:{QueueName}",
        grants: &[],
        summary: "Look up the URL of queue {QueueName}",
        example: "QueueName: bg-remover-dev-dlq",
    },
    ActionSpec {
        name: "sqs.GetQueueAttributes",
        execute: Execute::Call(&aws::sqs::GET_QUEUE_ATTRIBUTES),
        effect: Effect::Read,
        members: &[req("QueueUrl", String), opt("AttributeNames", List)],
        iam: &["sqs:GetQueueAttributes"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Read attributes of {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  AttributeNames: [ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible]",
    },
    ActionSpec {
        name: "sqs.ReceiveMessage",
        execute: Execute::Call(&aws::sqs::RECEIVE_MESSAGE),
        // Received messages become invisible to other consumers for the visibility timeout.
        effect: Effect::Write,
        members: &[
            req("QueueUrl", String),
            opt("AttributeNames", List),
            opt("MessageSystemAttributeNames", List),
            opt("MessageAttributeNames", List),
            opt("MaxNumberOfMessages", Integer),
            opt("VisibilityTimeout", Integer),
            opt("WaitTimeSeconds", Integer),
            opt("ReceiveRequestAttemptId", String),
        ],
        iam: &["sqs:ReceiveMessage"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Receive up to {MaxNumberOfMessages} messages from {QueueUrl} (hides them for the visibility timeout)",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  MaxNumberOfMessages: 1\n\
                  VisibilityTimeout: 0\n\
                  MessageSystemAttributeNames: [All]",
    },
    ActionSpec {
        name: "sqs.SendMessage",
        execute: Execute::Call(&aws::sqs::SEND_MESSAGE),
        effect: Effect::Write,
        members: &[
            req("QueueUrl", String),
            req("MessageBody", String),
            opt("DelaySeconds", Integer),
            opt("MessageAttributes", Map),
            opt("MessageSystemAttributes", Map),
            opt("MessageDeduplicationId", String),
            opt("MessageGroupId", String),
        ],
        iam: &["sqs:SendMessage"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Send one message to {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-main\"\n\
                  MessageBody: '{\"source\":\"runbook\",\"tenant_id\":\"carousel-labs\"}'",
    },
    ActionSpec {
        name: "sqs.SendMessageBatch",
        execute: Execute::Call(&aws::sqs::SEND_MESSAGE_BATCH),
        effect: Effect::Write,
        members: &[req("QueueUrl", String), req("Entries", List)],
        // There is no separate IAM action for the batch form.
        iam: &["sqs:SendMessage"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Send a batch of messages to {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-main\"\n\
                  Entries: [{Id: \"1\", MessageBody: '{\"source\":\"dlq-redrive\"}'}]",
    },
    ActionSpec {
        name: "sqs.DeleteMessage",
        execute: Execute::Call(&aws::sqs::DELETE_MESSAGE),
        effect: Effect::Write,
        members: &[req("QueueUrl", String), req("ReceiptHandle", String)],
        iam: &["sqs:DeleteMessage"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Delete one received message from {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  ReceiptHandle: AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
    },
    ActionSpec {
        name: "sqs.DeleteMessageBatch",
        execute: Execute::Call(&aws::sqs::DELETE_MESSAGE_BATCH),
        effect: Effect::Write,
        members: &[req("QueueUrl", String), req("Entries", List)],
        // There is no separate IAM action for the batch form.
        iam: &["sqs:DeleteMessage"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Delete a batch of received messages from {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  Entries: [{Id: \"1\", ReceiptHandle: AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...}]",
    },
    ActionSpec {
        name: "sqs.PurgeQueue",
        execute: Execute::Call(&aws::sqs::PURGE_QUEUE),
        effect: Effect::Write,
        members: &[req("QueueUrl", String)],
        iam: &["sqs:PurgeQueue"],
        resource: "{QueueUrl}",
        grants: &[],
        summary: "Delete every message in {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"",
    },
    ActionSpec {
        name: "sqs.ListQueues",
        execute: Execute::Paged(&aws::sqs::LIST_QUEUES, Pages::next_token(&["QueueUrls"])),
        effect: Effect::Read,
        members: &[
            opt("QueueNamePrefix", String),
            opt("NextToken", String),
            opt("MaxResults", Integer),
        ],
        iam: &["sqs:ListQueues"],
        resource: "*",
        grants: &[],
        summary: "List queues named {QueueNamePrefix}*",
        example: "QueueNamePrefix: bg-remover-dev",
    },
    ActionSpec {
        name: "sqs.move_messages",
        execute: Execute::Run(super::composites::sqs_move_messages::move_messages),
        effect: Effect::Write,
        members: &[
            req("SourceQueueUrl", String),
            req("DestinationQueueUrl", String),
            opt("MaxMessages", Integer),
            opt("BatchSize", Integer),
            opt("Pollers", Integer),
            opt("RatePerSecond", Number),
            // An expression evaluated against each message; messages that do not match stay in the source.
            opt("Filter", String),
        ],
        iam: &[
            "sqs:ReceiveMessage",
            "sqs:SendMessage",
            "sqs:DeleteMessage",
            // Messages a filter skips are made visible again.
            "sqs:ChangeMessageVisibility",
        ],
        resource: "{SourceQueueUrl}",
        grants: &[Grant {
            actions: &["sqs:SendMessage"],
            resources: &["{DestinationQueueUrl}"],
        }],
        summary: "Move messages from {SourceQueueUrl} to {DestinationQueueUrl}",
        example: "SourceQueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  DestinationQueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-main\"\n\
                  MaxMessages: 500\n\
                  BatchSize: 10\n\
                  RatePerSecond: 20.0",
    },
];

/// What the writes above did, from their output ([`super::observed`]).
pub const OBSERVED: &[Observed] = &[Observed {
    action: "sqs.move_messages",
    how: How::Output(
        "moved {Moved} of {Received} messages received ({Skipped} left by the filter, {Failed} refused by the destination)",
    ),
}];
