//! Amazon CloudWatch Logs. Its API members are camelCase (`logGroupName`, `startTime`, ...), as in its reference;
//! times are epoch milliseconds, except StartQuery's, which are epoch seconds.

use super::MemberType::*;
use super::{ActionSpec, Pages, opt, req};

const LOG_GROUP: &str = "arn:aws:logs:{region}:{account}:log-group:{logGroupName}:*";

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        logs.filter_log_events,
        "logs", "FilterLogEvents", Read, crate::aws::logs::JSON;
        pages: Pages {
            request_token: "nextToken",
            response_token: "nextToken",
            lists: &["events", "searchedLogStreams"],
        },
        // Exactly one of logGroupName and logGroupIdentifier is required.
        members: &[
            opt("logGroupName", String),
            opt("logGroupIdentifier", String),
            opt("logStreamNames", List),
            opt("logStreamNamePrefix", String),
            opt("startTime", Integer),
            opt("endTime", Integer),
            opt("filterPattern", String),
            opt("nextToken", String),
            opt("limit", Integer),
            opt("interleaved", Boolean),
            opt("unmask", Boolean),
        ],
        resource: LOG_GROUP,
        summary: "Search {logGroupName} for {filterPattern}",
        example: "logGroupName: /aws/lambda/bg-remover-dev-s3TablesDataValidator\n\
                  filterPattern: validation_summary\n\
                  startTime: 1767052800000\n\
                  limit: 50",
    ),
    call!(
        logs.describe_log_groups,
        "logs", "DescribeLogGroups", Read, crate::aws::logs::JSON;
        pages: Pages {
            request_token: "nextToken",
            response_token: "nextToken",
            lists: &["logGroups"],
        },
        members: &[
            opt("accountIdentifiers", List),
            opt("logGroupNamePrefix", String),
            opt("logGroupNamePattern", String),
            opt("nextToken", String),
            opt("limit", Integer),
            opt("includeLinkedAccounts", Boolean),
            opt("logGroupClass", String),
            opt("logGroupIdentifiers", List),
        ],
        resource: "arn:aws:logs:{region}:{account}:log-group:*",
        summary: "List log groups named {logGroupNamePrefix}*",
        example: "logGroupNamePrefix: /aws/lambda/bg-remover-dev",
    ),
    call!(
        logs.describe_log_streams,
        "logs", "DescribeLogStreams", Read, crate::aws::logs::JSON;
        pages: Pages {
            request_token: "nextToken",
            response_token: "nextToken",
            lists: &["logStreams"],
        },
        // Exactly one of logGroupName and logGroupIdentifier is required.
        members: &[
            opt("logGroupName", String),
            opt("logGroupIdentifier", String),
            opt("logStreamNamePrefix", String),
            opt("orderBy", String),
            opt("descending", Boolean),
            opt("nextToken", String),
            opt("limit", Integer),
        ],
        resource: LOG_GROUP,
        summary: "List log streams of {logGroupName}",
        example: "logGroupName: /aws/lambda/bg-remover-dev-s3-exporter\n\
                  orderBy: LastEventTime\n\
                  descending: true\n\
                  limit: 5",
    ),
    call!(
        logs.get_log_events,
        "logs", "GetLogEvents", Read, crate::aws::logs::JSON;
        members: &[
            req("logStreamName", String),
            opt("logGroupName", String),
            opt("logGroupIdentifier", String),
            opt("startTime", Integer),
            opt("endTime", Integer),
            opt("nextToken", String),
            opt("limit", Integer),
            opt("startFromHead", Boolean),
            opt("unmask", Boolean),
        ],
        resource: LOG_GROUP,
        summary: "Read events of stream {logStreamName} in {logGroupName}",
        example: "logGroupName: /aws/lambda/bg-remover-dev-s3-exporter\n\
                  logStreamName: 2025/12/30/[$LATEST]0123456789abcdef0123456789abcdef\n\
                  limit: 100",
    ),
    call!(
        logs.start_query,
        "logs", "StartQuery", Read, crate::aws::logs::JSON;
        // Only reads logs, but Logs Insights bills per GB scanned: bound the time range.
        members: &[
            req("startTime", Integer),
            req("endTime", Integer),
            req("queryString", String),
            opt("queryLanguage", String),
            opt("logGroupName", String),
            opt("logGroupNames", List),
            opt("logGroupIdentifiers", List),
            opt("limit", Integer),
        ],
        resource: LOG_GROUP,
        summary: "Start Logs Insights query on {logGroupName}: {queryString}",
        example: "logGroupName: /aws/lambda/bg-remover-dev-s3TablesDataValidator\n\
                  startTime: 1767052800\n\
                  endTime: 1767139200\n\
                  queryString: \"fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 20\"",
    ),
    call!(
        logs.get_query_results,
        "logs", "GetQueryResults", Read, crate::aws::logs::JSON;
        members: &[req("queryId", String)],
        resource: "*",
        summary: "Fetch results of Logs Insights query {queryId}",
        example: "queryId: 12ab3456-12ab-123a-789e-1234567890ab",
    ),
];
