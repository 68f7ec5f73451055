//! Amazon EventBridge (service prefix `events`).

use super::MemberType::*;
use super::{ActionSpec, Pages, opt, req};

/// The ARN of a rule on the default bus; rules on a custom bus are `rule/{EventBusName}/{Name}`.
const RULE: &str = "arn:aws:events:{region}:{account}:rule/{Name}";

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        eventbridge.describe_rule,
        "events", "DescribeRule", Read, crate::aws::eventbridge::JSON;
        members: &[req("Name", String), opt("EventBusName", String)],
        resource: RULE,
        summary: "Describe EventBridge rule {Name}",
        example: "Name: bg-remover-dev-s3-export-schedule",
    ),
    call!(
        eventbridge.enable_rule,
        "events", "EnableRule", Write, crate::aws::eventbridge::JSON;
        members: &[req("Name", String), opt("EventBusName", String)],
        resource: RULE,
        summary: "Enable EventBridge rule {Name}",
        example: "Name: bg-remover-dev-s3-export-schedule",
    ),
    call!(
        eventbridge.disable_rule,
        "events", "DisableRule", Write, crate::aws::eventbridge::JSON;
        members: &[req("Name", String), opt("EventBusName", String)],
        resource: RULE,
        summary: "Disable EventBridge rule {Name}",
        example: "Name: bg-remover-dev-s3-export-schedule",
    ),
    call!(
        eventbridge.list_rules,
        "events", "ListRules", Read, crate::aws::eventbridge::JSON;
        pages: Pages::next_token(&["Rules"]),
        members: &[
            opt("NamePrefix", String),
            opt("EventBusName", String),
            opt("NextToken", String),
            opt("Limit", Integer),
        ],
        resource: "arn:aws:events:{region}:{account}:rule/*",
        summary: "List EventBridge rules named {NamePrefix}*",
        example: "NamePrefix: bg-remover-dev",
    ),
];
