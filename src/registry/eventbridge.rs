//! Amazon EventBridge (service prefix `events`).

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Pages, opt, req};
use crate::aws;

/// The ARN of a rule on the default bus; rules on a custom bus are `rule/{EventBusName}/{Name}`.
const RULE: &str = "arn:aws:events:{region}:{account}:rule/{Name}";

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "events.DescribeRule",
        execute: Execute::Call(&aws::eventbridge::DESCRIBE_RULE),
        effect: Effect::Read,
        members: &[req("Name", String), opt("EventBusName", String)],
        iam: &["events:DescribeRule"],
        resource: RULE,
        grants: &[],
        summary: "Describe EventBridge rule {Name}",
        example: "Name: bg-remover-dev-s3-export-schedule",
    },
    ActionSpec {
        name: "events.EnableRule",
        execute: Execute::Call(&aws::eventbridge::ENABLE_RULE),
        effect: Effect::Write,
        members: &[req("Name", String), opt("EventBusName", String)],
        iam: &["events:EnableRule"],
        resource: RULE,
        grants: &[],
        summary: "Enable EventBridge rule {Name}",
        example: "Name: bg-remover-dev-s3-export-schedule",
    },
    ActionSpec {
        name: "events.DisableRule",
        execute: Execute::Call(&aws::eventbridge::DISABLE_RULE),
        effect: Effect::Write,
        members: &[req("Name", String), opt("EventBusName", String)],
        iam: &["events:DisableRule"],
        resource: RULE,
        grants: &[],
        summary: "Disable EventBridge rule {Name}",
        example: "Name: bg-remover-dev-s3-export-schedule",
    },
    ActionSpec {
        name: "events.ListRules",
        execute: Execute::Paged(&aws::eventbridge::LIST_RULES, Pages::next_token(&["Rules"])),
        effect: Effect::Read,
        members: &[
            opt("NamePrefix", String),
            opt("EventBusName", String),
            opt("NextToken", String),
            opt("Limit", Integer),
        ],
        iam: &["events:ListRules"],
        resource: "arn:aws:events:{region}:{account}:rule/*",
        grants: &[],
        summary: "List EventBridge rules named {NamePrefix}*",
        example: "NamePrefix: bg-remover-dev",
    },
];
