//! AWS CloudFormation.

use super::MemberType::*;
use super::{ActionSpec, Pages, opt, req};

const STACK: &str = "arn:aws:cloudformation:{region}:{account}:stack/{StackName}/*";

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        cloudformation.describe_stacks,
        "cloudformation", "DescribeStacks", Read, crate::aws::cloudformation::QUERY;
        members: &[opt("StackName", String), opt("NextToken", String)],
        resource: STACK,
        summary: "Describe stack {StackName}",
        example: "StackName: bg-remover-dev",
    ),
    call!(
        cloudformation.describe_stack_resources,
        "cloudformation", "DescribeStackResources", Read, crate::aws::cloudformation::QUERY;
        members: &[
            opt("StackName", String),
            opt("LogicalResourceId", String),
            opt("PhysicalResourceId", String),
        ],
        resource: STACK,
        summary: "Describe the resources of stack {StackName}",
        example: "StackName: bg-remover-dev\n\
                  LogicalResourceId: S3TablesDataValidatorFunction",
    ),
    call!(
        cloudformation.describe_stack_events,
        "cloudformation", "DescribeStackEvents", Read, crate::aws::cloudformation::QUERY;
        pages: Pages::next_token(&["StackEvents"]),
        members: &[opt("StackName", String), opt("NextToken", String)],
        resource: STACK,
        summary: "List recent events of stack {StackName}",
        example: "StackName: bg-remover-dev",
    ),
    call!(
        cloudformation.get_template,
        "cloudformation", "GetTemplate", Read, crate::aws::cloudformation::QUERY;
        members: &[
            opt("StackName", String),
            opt("ChangeSetName", String),
            opt("TemplateStage", String),
        ],
        resource: STACK,
        summary: "Fetch the template of stack {StackName}",
        example: "StackName: bg-remover-dev\n\
                  TemplateStage: Original",
    ),
    call!(
        cloudformation.continue_update_rollback,
        "cloudformation", "ContinueUpdateRollback", Write, crate::aws::cloudformation::QUERY;
        members: &[
            req("StackName", String),
            opt("RoleARN", String),
            opt("ResourcesToSkip", List),
            opt("ClientRequestToken", String),
            opt("ForceRollback", Boolean),
        ],
        resource: STACK,
        summary: "Continue rolling back stack {StackName} from UPDATE_ROLLBACK_FAILED",
        example: "StackName: bg-remover-dev",
    ),
    call!(
        cloudformation.list_stack_resources,
        "cloudformation", "ListStackResources", Read, crate::aws::cloudformation::QUERY;
        pages: Pages::next_token(&["StackResourceSummaries"]),
        members: &[req("StackName", String), opt("NextToken", String)],
        resource: STACK,
        summary: "List the resources of stack {StackName}",
        example: "StackName: bg-remover-dev",
    ),
];
