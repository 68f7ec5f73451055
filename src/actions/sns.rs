//! Amazon Simple Notification Service (SNS).

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Reach, opt, req};

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "sns.Publish",
        execute: Execute::Run(super::composites::sns_publish::publish),
        effect: Effect::Write,
        reach: Reach::Aws,
        // One of TopicArn, TargetArn and PhoneNumber names the destination.
        members: &[
            req("Message", String),
            opt("TopicArn", String),
            opt("TargetArn", String),
            opt("PhoneNumber", String),
            opt("Subject", String),
            opt("MessageStructure", String),
            opt("MessageAttributes", Map),
            opt("MessageDeduplicationId", String),
            opt("MessageGroupId", String),
        ],
        iam: &["sns:Publish"],
        resource: "{TopicArn}",
        grants: &[],
        summary: "Publish a message to {TopicArn}",
        example: "TopicArn: \"arn:aws:sns:eu-west-1:123456789012:bg-remover-cost-alerts\"\n\
                  Subject: bg-remover rollback finished\n\
                  Message: Lambda alias live now points at version 42",
    },
    call!(
        sns.list_topics,
        "sns", "ListTopics", Read, crate::aws::sns::QUERY;
        members: &[opt("NextToken", String)],
        resource: "*",
        summary: "List SNS topics",
        example: "{}",
    ),
    call!(
        sns.get_topic_attributes,
        "sns", "GetTopicAttributes", Read, crate::aws::sns::QUERY;
        members: &[req("TopicArn", String)],
        resource: "{TopicArn}",
        summary: "Read attributes of topic {TopicArn}",
        example: "TopicArn: \"arn:aws:sns:eu-west-1:123456789012:bg-remover-cost-alerts\"",
    ),
];
