//! AWS CloudFormation operations (awsQuery, API version 2010-05-15).

use super::Protocol;

/// List members of the outputs, so that an empty one is `[]` rather than an empty string.
pub const QUERY: Protocol = Protocol::Query {
    version: "2010-05-15",
    lists: &[
        "Stacks",
        "StackEvents",
        "StackResources",
        "StackResourceSummaries",
        "Outputs",
        "Parameters",
        "Tags",
        "Capabilities",
        "NotificationARNs",
        "StagesAvailable",
        "ModuleInfo",
    ],
};
