//! AWS Lambda's wire protocol beyond plain restJson1: `Invoke` sends and returns its payload raw, hence its own
//! protocol variant. The operations themselves are declared in their rows (`src/actions/lambda.rs`).

use super::Protocol;

/// Invoke's request headers and query string; `Payload` is the body.
pub const RAW_PAYLOAD: Protocol = Protocol::RestJsonPayload {
    uri: &[
        "FunctionName",
        "Qualifier",
        "InvocationType",
        "LogType",
        "ClientContext",
        "DurableExecutionName",
        "TenantId",
    ],
    payload: "Payload",
    status: "StatusCode",
    headers: &[
        ("x-amz-function-error", "FunctionError"),
        ("x-amz-executed-version", "ExecutedVersion"),
        ("x-amz-log-result", "LogResult"),
        ("x-amz-durable-execution-arn", "DurableExecutionArn"),
    ],
};
