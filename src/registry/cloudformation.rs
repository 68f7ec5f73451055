//! AWS CloudFormation.

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Pages, opt, req};

const STACK: &str = "arn:aws:cloudformation:{region}:{account}:stack/{StackName}/*";

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "cloudformation.DescribeStacks",
        execute: Execute::Call(&crate::aws::cloudformation::DESCRIBE_STACKS),
        effect: Effect::Read,
        members: &[opt("StackName", String), opt("NextToken", String)],
        iam: &["cloudformation:DescribeStacks"],
        resource: STACK,
        grants: &[],
        summary: "Describe stack {StackName}",
        example: "StackName: bg-remover-dev",
    },
    ActionSpec {
        name: "cloudformation.DescribeStackResources",
        execute: Execute::Call(&crate::aws::cloudformation::DESCRIBE_STACK_RESOURCES),
        effect: Effect::Read,
        members: &[
            opt("StackName", String),
            opt("LogicalResourceId", String),
            opt("PhysicalResourceId", String),
        ],
        iam: &["cloudformation:DescribeStackResources"],
        resource: STACK,
        grants: &[],
        summary: "Describe the resources of stack {StackName}",
        example: "StackName: bg-remover-dev\n\
                  LogicalResourceId: S3TablesDataValidatorFunction",
    },
    ActionSpec {
        name: "cloudformation.DescribeStackEvents",
        execute: Execute::Paged(
            &crate::aws::cloudformation::DESCRIBE_STACK_EVENTS,
            Pages::next_token(&["StackEvents"]),
        ),
        effect: Effect::Read,
        members: &[opt("StackName", String), opt("NextToken", String)],
        iam: &["cloudformation:DescribeStackEvents"],
        resource: STACK,
        grants: &[],
        summary: "List recent events of stack {StackName}",
        example: "StackName: bg-remover-dev",
    },
    ActionSpec {
        name: "cloudformation.GetTemplate",
        execute: Execute::Call(&crate::aws::cloudformation::GET_TEMPLATE),
        effect: Effect::Read,
        members: &[
            opt("StackName", String),
            opt("ChangeSetName", String),
            opt("TemplateStage", String),
        ],
        iam: &["cloudformation:GetTemplate"],
        resource: STACK,
        grants: &[],
        summary: "Fetch the template of stack {StackName}",
        example: "StackName: bg-remover-dev\n\
                  TemplateStage: Original",
    },
    ActionSpec {
        name: "cloudformation.ContinueUpdateRollback",
        execute: Execute::Call(&crate::aws::cloudformation::CONTINUE_UPDATE_ROLLBACK),
        effect: Effect::Write,
        members: &[
            req("StackName", String),
            opt("RoleARN", String),
            opt("ResourcesToSkip", List),
            opt("ClientRequestToken", String),
            opt("ForceRollback", Boolean),
        ],
        iam: &["cloudformation:ContinueUpdateRollback"],
        resource: STACK,
        grants: &[],
        summary: "Continue rolling back stack {StackName} from UPDATE_ROLLBACK_FAILED",
        example: "StackName: bg-remover-dev",
    },
    ActionSpec {
        name: "cloudformation.ListStackResources",
        execute: Execute::Paged(
            &crate::aws::cloudformation::LIST_STACK_RESOURCES,
            Pages::next_token(&["StackResourceSummaries"]),
        ),
        effect: Effect::Read,
        members: &[req("StackName", String), opt("NextToken", String)],
        iam: &["cloudformation:ListStackResources"],
        resource: STACK,
        grants: &[],
        summary: "List the resources of stack {StackName}",
        example: "StackName: bg-remover-dev",
    },
];
