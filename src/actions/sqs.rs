//! Amazon Simple Queue Service (SQS).

use super::MemberType::*;
use super::observed::{How, Observed};
use super::{ActionSpec, Effect, Execute, Grant, Pages, Reach, opt, req};

pub const RECEIVE_MESSAGE: ActionSpec = call!(
    sqs.receive_message,
    "sqs", "ReceiveMessage", Write, crate::aws::sqs::JSON;
    // Received messages become invisible to other consumers for the visibility timeout.
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
    resource: "{QueueUrl}",
    summary: "Receive up to {MaxNumberOfMessages} messages from {QueueUrl} (hides them for the visibility timeout)",
    example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
              MaxNumberOfMessages: 1\n\
              VisibilityTimeout: 0\n\
              MessageSystemAttributeNames: [All]",
);

pub const SEND_MESSAGE_BATCH: ActionSpec = call!(
    sqs.send_message_batch,
    "sqs", "SendMessageBatch", Write, crate::aws::sqs::JSON;
    // There is no separate IAM action for the batch form.
    members: &[req("QueueUrl", String), req("Entries", List)],
    iam: &["sqs:SendMessage"],
    resource: "{QueueUrl}",
    summary: "Send a batch of messages to {QueueUrl}",
    example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-main\"\n\
              Entries: [{Id: \"1\", MessageBody: '{\"source\":\"dlq-redrive\"}'}]",
);

pub const DELETE_MESSAGE_BATCH: ActionSpec = call!(
    sqs.delete_message_batch,
    "sqs", "DeleteMessageBatch", Write, crate::aws::sqs::JSON;
    // There is no separate IAM action for the batch form.
    members: &[req("QueueUrl", String), req("Entries", List)],
    iam: &["sqs:DeleteMessage"],
    resource: "{QueueUrl}",
    summary: "Delete a batch of received messages from {QueueUrl}",
    example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
              Entries: [{Id: \"1\", ReceiptHandle: AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...}]",
);

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        sqs.get_queue_url,
        "sqs", "GetQueueUrl", Read, crate::aws::sqs::JSON;
        members: &[
            req("QueueName", String),
            opt("QueueOwnerAWSAccountId", String),
        ],
        resource: "arn:aws:sqs:{region}:{account}:{QueueName}",
        summary: "Look up the URL of queue {QueueName}",
        example: "QueueName: bg-remover-dev-dlq",
    ),
    call!(
        sqs.get_queue_attributes,
        "sqs", "GetQueueAttributes", Read, crate::aws::sqs::JSON;
        members: &[req("QueueUrl", String), opt("AttributeNames", List)],
        resource: "{QueueUrl}",
        summary: "Read attributes of {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  AttributeNames: [ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible]",
    ),
    RECEIVE_MESSAGE,
    call!(
        sqs.send_message,
        "sqs", "SendMessage", Write, crate::aws::sqs::JSON;
        members: &[
            req("QueueUrl", String),
            req("MessageBody", String),
            opt("DelaySeconds", Integer),
            opt("MessageAttributes", Map),
            opt("MessageSystemAttributes", Map),
            opt("MessageDeduplicationId", String),
            opt("MessageGroupId", String),
        ],
        resource: "{QueueUrl}",
        summary: "Send one message to {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-main\"\n\
                  MessageBody: '{\"source\":\"runbook\",\"tenant_id\":\"carousel-labs\"}'",
    ),
    SEND_MESSAGE_BATCH,
    call!(
        sqs.delete_message,
        "sqs", "DeleteMessage", Write, crate::aws::sqs::JSON;
        members: &[req("QueueUrl", String), req("ReceiptHandle", String)],
        resource: "{QueueUrl}",
        summary: "Delete one received message from {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"\n\
                  ReceiptHandle: AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...",
    ),
    DELETE_MESSAGE_BATCH,
    call!(
        sqs.purge_queue,
        "sqs", "PurgeQueue", Write, crate::aws::sqs::JSON;
        members: &[req("QueueUrl", String)],
        resource: "{QueueUrl}",
        summary: "Delete every message in {QueueUrl}",
        example: "QueueUrl: \"https://sqs.eu-west-1.amazonaws.com/123456789012/bg-remover-dev-dlq\"",
    ),
    call!(
        sqs.list_queues,
        "sqs", "ListQueues", Read, crate::aws::sqs::JSON;
        pages: Pages::next_token(&["QueueUrls"]),
        members: &[
            opt("QueueNamePrefix", String),
            opt("NextToken", String),
            opt("MaxResults", Integer),
        ],
        resource: "*",
        summary: "List queues named {QueueNamePrefix}*",
        example: "QueueNamePrefix: bg-remover-dev",
    ),
    ActionSpec {
        name: "sqs.move_messages",
        execute: Execute::Run(super::composites::sqs_move_messages::move_messages),
        effect: Effect::Write,
        reach: Reach::Aws,
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
