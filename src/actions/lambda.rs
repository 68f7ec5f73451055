//! AWS Lambda.

use super::MemberType::*;
use super::observed::{How, Observed, same};
use super::{ActionSpec, Effect, Execute, Pages, Reach, opt, req};
use crate::aws;

const FUNCTION: &str = "arn:aws:lambda:{region}:{account}:function:{FunctionName}";
const ALIAS: &str = "arn:aws:lambda:{region}:{account}:function:{FunctionName}:{Name}";

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "lambda.ListVersionsByFunction",
        execute: Execute::Paged(
            &aws::lambda::LIST_VERSIONS_BY_FUNCTION,
            Pages::markers(&["Versions"]),
        ),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[
            req("FunctionName", String),
            opt("Marker", String),
            opt("MaxItems", Integer),
        ],
        iam: &["lambda:ListVersionsByFunction"],
        resource: FUNCTION,
        grants: &[],
        summary: "List published versions of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator",
    },
    ActionSpec {
        name: "lambda.ListAliases",
        execute: Execute::Paged(&aws::lambda::LIST_ALIASES, Pages::markers(&["Aliases"])),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[
            req("FunctionName", String),
            opt("FunctionVersion", String),
            opt("Marker", String),
            opt("MaxItems", Integer),
        ],
        iam: &["lambda:ListAliases"],
        resource: FUNCTION,
        grants: &[],
        summary: "List aliases of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator",
    },
    ActionSpec {
        name: "lambda.GetAlias",
        execute: Execute::Call(&aws::lambda::GET_ALIAS),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[req("FunctionName", String), req("Name", String)],
        iam: &["lambda:GetAlias"],
        resource: ALIAS,
        grants: &[],
        summary: "Show which version alias {Name} of {FunctionName} points at",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Name: live",
    },
    ActionSpec {
        name: "lambda.UpdateAlias",
        execute: Execute::Call(&aws::lambda::UPDATE_ALIAS),
        effect: Effect::Write,
        reach: Reach::Aws,
        members: &[
            req("FunctionName", String),
            req("Name", String),
            opt("FunctionVersion", String),
            opt("Description", String),
            opt("RoutingConfig", Structure),
            opt("RevisionId", String),
        ],
        iam: &["lambda:UpdateAlias"],
        resource: ALIAS,
        grants: &[],
        summary: "Point alias {Name} of {FunctionName} at version {FunctionVersion}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Name: live\n\
                  FunctionVersion: \"42\"",
    },
    ActionSpec {
        name: "lambda.GetFunction",
        execute: Execute::Call(&aws::lambda::GET_FUNCTION),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[req("FunctionName", String), opt("Qualifier", String)],
        iam: &["lambda:GetFunction"],
        resource: FUNCTION,
        grants: &[],
        summary: "Describe function {FunctionName} and its code location",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Qualifier: live",
    },
    ActionSpec {
        name: "lambda.GetFunctionConfiguration",
        execute: Execute::Call(&aws::lambda::GET_FUNCTION_CONFIGURATION),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[req("FunctionName", String), opt("Qualifier", String)],
        iam: &["lambda:GetFunctionConfiguration"],
        resource: FUNCTION,
        grants: &[],
        summary: "Show the configuration of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator",
    },
    ActionSpec {
        name: "lambda.UpdateFunctionConfiguration",
        execute: Execute::Call(&aws::lambda::UPDATE_FUNCTION_CONFIGURATION),
        effect: Effect::Write,
        reach: Reach::Aws,
        members: &[
            req("FunctionName", String),
            opt("Role", String),
            opt("Handler", String),
            opt("Description", String),
            opt("Timeout", Integer),
            opt("MemorySize", Integer),
            opt("VpcConfig", Structure),
            opt("Environment", Structure),
            opt("Runtime", String),
            opt("DeadLetterConfig", Structure),
            opt("KMSKeyArn", String),
            opt("TracingConfig", Structure),
            opt("RevisionId", String),
            opt("Layers", List),
            opt("FileSystemConfigs", List),
            opt("ImageConfig", Structure),
            opt("EphemeralStorage", Structure),
            opt("SnapStart", Structure),
            opt("LoggingConfig", Structure),
            opt("CapacityProviderConfig", Structure),
            opt("DurableConfig", Structure),
        ],
        iam: &["lambda:UpdateFunctionConfiguration"],
        resource: FUNCTION,
        grants: &[],
        summary: "Update the configuration of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Timeout: 900",
    },
    call!(
        lambda.invoke { set_function_name: str("FunctionName"), set_qualifier: str("Qualifier"), set_invocation_type: enum_value("InvocationType"), set_log_type: enum_value("LogType"), set_client_context: str("ClientContext"), set_durable_execution_name: str("DurableExecutionName"), set_tenant_id: str("TenantId") },
        "lambda", "Invoke", Write, crate::aws::lambda::RAW_PAYLOAD;
        members: &[
            req("FunctionName", String),
            opt("InvocationType", String),
            opt("LogType", String),
            opt("ClientContext", String),
            opt("DurableExecutionName", String),
            opt("Payload", Any),
            opt("Qualifier", String),
            opt("TenantId", String),
        ],
        iam: &["lambda:InvokeFunction"],
        resource: FUNCTION,
        summary: "Invoke {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3-exporter\n\
                  InvocationType: RequestResponse\n\
                  Payload: {source: manual-trigger}",
    ),
    ActionSpec {
        name: "lambda.PublishVersion",
        execute: Execute::Call(&aws::lambda::PUBLISH_VERSION),
        effect: Effect::Write,
        reach: Reach::Aws,
        members: &[
            req("FunctionName", String),
            opt("CodeSha256", String),
            opt("Description", String),
            opt("RevisionId", String),
            opt("PublishTo", String),
        ],
        iam: &["lambda:PublishVersion"],
        resource: FUNCTION,
        grants: &[],
        summary: "Publish a new version of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Description: Timeout raised to 900s",
    },
];

/// What the writes above change, read back before and after ([`super::observed`]).
pub const OBSERVED: &[Observed] = &[
    Observed {
        action: "lambda.UpdateAlias",
        how: How::Read {
            read: "lambda.GetAlias",
            with: &[("FunctionName", "FunctionName"), ("Name", "Name")],
            fields: &[same("alias {Name} of {FunctionName}", "FunctionVersion")],
        },
    },
    Observed {
        action: "lambda.UpdateFunctionConfiguration",
        how: How::Read {
            read: "lambda.GetFunctionConfiguration",
            with: &[("FunctionName", "FunctionName")],
            fields: &[
                same("timeout (s) of {FunctionName}", "Timeout"),
                same("memory (MB) of {FunctionName}", "MemorySize"),
                same("handler of {FunctionName}", "Handler"),
                same("runtime of {FunctionName}", "Runtime"),
                same("role of {FunctionName}", "Role"),
            ],
        },
    },
];
