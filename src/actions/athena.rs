//! Amazon Athena.

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Grant, Pages, Reach, opt, req};

const WORKGROUP: &str = "arn:aws:athena:{region}:{account}:workgroup/{WorkGroup}";
const ANY_WORKGROUP: &str = "arn:aws:athena:{region}:{account}:workgroup/*";

pub const START_QUERY_EXECUTION: ActionSpec = call!(
    athena.start_query_execution,
    "athena", "StartQueryExecution", Write, crate::aws::athena::JSON;
    // Costs money per byte scanned and can run DDL, INSERT or CTAS.
    members: &[
        req("QueryString", String),
        opt("ClientRequestToken", String),
        opt("QueryExecutionContext", Structure),
        opt("ResultConfiguration", Structure),
        opt("WorkGroup", String),
        opt("ExecutionParameters", List),
        opt("ResultReuseConfiguration", Structure),
        opt("EngineConfiguration", Structure),
    ],
    // Running a query also reads the Glue catalog and writes results to S3.
    iam: &[
        "athena:StartQueryExecution",
        "glue:GetDatabase",
        "glue:GetTable",
        "s3:GetBucketLocation",
        "s3:PutObject",
    ],
    resource: WORKGROUP,
    grants: &[
        Grant {
            actions: &["s3:PutObject", "s3:GetBucketLocation"],
            resources: &["{ResultConfiguration.OutputLocation}"],
        },
        Grant {
            actions: &["glue:GetTable", "glue:GetDatabase"],
            resources: &[
                "arn:aws:glue:{region}:{account}:catalog",
                "arn:aws:glue:{region}:{account}:database/{QueryExecutionContext.Database}",
                "arn:aws:glue:{region}:{account}:table/{QueryExecutionContext.Database}/*",
            ],
        },
    ],
    summary: "Start Athena query: {QueryString}",
    example: "QueryString: REFRESH TABLE pricing_intelligence_dev.sales_history\n\
              QueryExecutionContext: {Database: pricing_intelligence_dev}\n\
              ResultConfiguration: {OutputLocation: \"s3://carousel-labs-analytics-dev/athena-results/\"}",
);

pub const GET_QUERY_EXECUTION: ActionSpec = call!(
    athena.get_query_execution,
    "athena", "GetQueryExecution", Read, crate::aws::athena::JSON;
    members: &[req("QueryExecutionId", String)],
    resource: ANY_WORKGROUP,
    summary: "Show status of Athena query {QueryExecutionId}",
    example: "QueryExecutionId: 5c0e8f3a-6b1d-4a8e-9d2f-0123456789ab",
);

pub const GET_QUERY_RESULTS: ActionSpec = call!(
    athena.get_query_results,
    "athena", "GetQueryResults", Read, crate::aws::athena::JSON;
    // Results are streamed from the S3 output location.
    members: &[
        req("QueryExecutionId", String),
        opt("NextToken", String),
        opt("MaxResults", Integer),
        opt("QueryResultType", String),
    ],
    iam: &["athena:GetQueryResults", "s3:GetObject"],
    resource: ANY_WORKGROUP,
    grants: &[Grant {
        actions: &["s3:GetObject"],
        // The query's output location, which its execution names at run time.
        resources: &["arn:aws:s3:::{output bucket}/*"],
    }],
    summary: "Fetch one page of rows of Athena query {QueryExecutionId}",
    example: "QueryExecutionId: 5c0e8f3a-6b1d-4a8e-9d2f-0123456789ab\n\
              MaxResults: 100",
);

pub const STOP_QUERY_EXECUTION: ActionSpec = call!(
    athena.stop_query_execution,
    "athena", "StopQueryExecution", Write, crate::aws::athena::JSON;
    members: &[req("QueryExecutionId", String)],
    resource: ANY_WORKGROUP,
    summary: "Cancel Athena query {QueryExecutionId}",
    example: "QueryExecutionId: 5c0e8f3a-6b1d-4a8e-9d2f-0123456789ab",
);

pub const ACTIONS: &[ActionSpec] = &[
    START_QUERY_EXECUTION,
    GET_QUERY_EXECUTION,
    GET_QUERY_RESULTS,
    call!(
        athena.list_query_executions,
        "athena", "ListQueryExecutions", Read, crate::aws::athena::JSON;
        pages: Pages::next_token(&["QueryExecutionIds"]),
        members: &[
            opt("NextToken", String),
            opt("MaxResults", Integer),
            opt("WorkGroup", String),
        ],
        resource: WORKGROUP,
        summary: "List recent Athena query IDs in workgroup {WorkGroup}",
        example: "MaxResults: 5",
    ),
    STOP_QUERY_EXECUTION,
    ActionSpec {
        name: "athena.query",
        execute: Execute::Run(super::composites::athena_query::query),
        // Runs arbitrary SQL, so it is a write even when the SQL is a SELECT.
        effect: Effect::Write,
        reach: Reach::Aws,
        members: &[
            req("QueryString", String),
            opt("QueryExecutionContext", Structure),
            opt("ResultConfiguration", Structure),
            opt("WorkGroup", String),
            opt("MaxRows", Integer),
        ],
        iam: &[
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            // It cancels its query when it gives up waiting.
            "athena:StopQueryExecution",
            "s3:GetObject",
            "s3:PutObject",
            "glue:GetTable",
        ],
        resource: WORKGROUP,
        grants: &[
            Grant {
                actions: &["s3:GetObject", "s3:PutObject"],
                resources: &["{ResultConfiguration.OutputLocation}"],
            },
            Grant {
                actions: &["glue:GetTable"],
                resources: &[
                    "arn:aws:glue:{region}:{account}:catalog",
                    "arn:aws:glue:{region}:{account}:database/{QueryExecutionContext.Database}",
                    "arn:aws:glue:{region}:{account}:table/{QueryExecutionContext.Database}/*",
                ],
            },
        ],
        summary: "Run Athena query and fetch its rows",
        example: "QueryString: SELECT COUNT(*) AS record_count FROM pricing_intelligence_dev.sales_history WHERE tenant_id = 'carousel-labs'\n\
                  QueryExecutionContext: {Database: pricing_intelligence_dev}\n\
                  ResultConfiguration: {OutputLocation: \"s3://carousel-labs-analytics-dev/athena-results/\"}\n\
                  MaxRows: 1000",
    },
];
