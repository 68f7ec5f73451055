//! AWS Lambda operations (restJson1). Members in the path, query string or headers are set through the typed
//! builder; `Invoke` sends and returns its payload raw, hence its own protocol variant.

use super::{AwsOp, Protocol};
use crate::aws_op;

const FUNCTION: &[&str] = &["FunctionName"];
const QUALIFIED: &[&str] = &["FunctionName", "Qualifier"];
const ALIAS: &[&str] = &["FunctionName", "Name"];

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

pub const LIST_VERSIONS_BY_FUNCTION: AwsOp = aws_op!(lambda.list_versions_by_function { set_function_name: str("FunctionName"), set_marker: str("Marker"), set_max_items: i32("MaxItems") }, "lambda", "ListVersionsByFunction", Read, Protocol::RestJson { uri: &["FunctionName", "Marker", "MaxItems"], body: false });
pub const LIST_ALIASES: AwsOp = aws_op!(lambda.list_aliases { set_function_name: str("FunctionName"), set_function_version: str("FunctionVersion"), set_marker: str("Marker"), set_max_items: i32("MaxItems") }, "lambda", "ListAliases", Read, Protocol::RestJson { uri: &["FunctionName", "FunctionVersion", "Marker", "MaxItems"], body: false });
pub const GET_ALIAS: AwsOp = aws_op!(lambda.get_alias { set_function_name: str("FunctionName"), set_name: str("Name") }, "lambda", "GetAlias", Read, Protocol::RestJson { uri: ALIAS, body: false });
pub const UPDATE_ALIAS: AwsOp = aws_op!(lambda.update_alias { set_function_name: str("FunctionName"), set_name: str("Name") }, "lambda", "UpdateAlias", Write, Protocol::RestJson { uri: ALIAS, body: true });
pub const GET_FUNCTION: AwsOp = aws_op!(lambda.get_function { set_function_name: str("FunctionName"), set_qualifier: str("Qualifier") }, "lambda", "GetFunction", Read, Protocol::RestJson { uri: QUALIFIED, body: false });
pub const GET_FUNCTION_CONFIGURATION: AwsOp = aws_op!(lambda.get_function_configuration { set_function_name: str("FunctionName"), set_qualifier: str("Qualifier") }, "lambda", "GetFunctionConfiguration", Read, Protocol::RestJson { uri: QUALIFIED, body: false });
pub const UPDATE_FUNCTION_CONFIGURATION: AwsOp = aws_op!(lambda.update_function_configuration { set_function_name: str("FunctionName") }, "lambda", "UpdateFunctionConfiguration", Write, Protocol::RestJson { uri: FUNCTION, body: true });
pub const PUBLISH_VERSION: AwsOp = aws_op!(lambda.publish_version { set_function_name: str("FunctionName") }, "lambda", "PublishVersion", Write, Protocol::RestJson { uri: FUNCTION, body: true });
