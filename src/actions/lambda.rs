//! AWS Lambda.

use super::MemberType::*;
use super::observed::{How, Observed, same};
use super::{ActionSpec, Pages, opt, req};

const FUNCTION: &str = "arn:aws:lambda:{region}:{account}:function:{FunctionName}";
const ALIAS: &str = "arn:aws:lambda:{region}:{account}:function:{FunctionName}:{Name}";

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        lambda.list_versions_by_function { set_function_name: str("FunctionName"), set_marker: str("Marker"), set_max_items: i32("MaxItems") },
        "lambda", "ListVersionsByFunction", Read, RestJson { body: false };
        pages: Pages::markers(&["Versions"]),
        members: &[
            req("FunctionName", String),
            opt("Marker", String),
            opt("MaxItems", Integer),
        ],
        resource: FUNCTION,
        summary: "List published versions of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator",
    ),
    call!(
        lambda.list_aliases { set_function_name: str("FunctionName"), set_function_version: str("FunctionVersion"), set_marker: str("Marker"), set_max_items: i32("MaxItems") },
        "lambda", "ListAliases", Read, RestJson { body: false };
        pages: Pages::markers(&["Aliases"]),
        members: &[
            req("FunctionName", String),
            opt("FunctionVersion", String),
            opt("Marker", String),
            opt("MaxItems", Integer),
        ],
        resource: FUNCTION,
        summary: "List aliases of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator",
    ),
    call!(
        lambda.get_alias { set_function_name: str("FunctionName"), set_name: str("Name") },
        "lambda", "GetAlias", Read, RestJson { body: false };
        members: &[req("FunctionName", String), req("Name", String)],
        resource: ALIAS,
        summary: "Show which version alias {Name} of {FunctionName} points at",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Name: live",
    ),
    call!(
        lambda.update_alias { set_function_name: str("FunctionName"), set_name: str("Name") },
        "lambda", "UpdateAlias", Write, RestJson { body: true };
        members: &[
            req("FunctionName", String),
            req("Name", String),
            opt("FunctionVersion", String),
            opt("Description", String),
            opt("RoutingConfig", Structure),
            opt("RevisionId", String),
        ],
        resource: ALIAS,
        summary: "Point alias {Name} of {FunctionName} at version {FunctionVersion}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Name: live\n\
                  FunctionVersion: \"42\"",
    ),
    call!(
        lambda.get_function { set_function_name: str("FunctionName"), set_qualifier: str("Qualifier") },
        "lambda", "GetFunction", Read, RestJson { body: false };
        members: &[req("FunctionName", String), opt("Qualifier", String)],
        resource: FUNCTION,
        summary: "Describe function {FunctionName} and its code location",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Qualifier: live",
    ),
    call!(
        lambda.get_function_configuration { set_function_name: str("FunctionName"), set_qualifier: str("Qualifier") },
        "lambda", "GetFunctionConfiguration", Read, RestJson { body: false };
        members: &[req("FunctionName", String), opt("Qualifier", String)],
        resource: FUNCTION,
        summary: "Show the configuration of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator",
    ),
    call!(
        lambda.update_function_configuration { set_function_name: str("FunctionName") },
        "lambda", "UpdateFunctionConfiguration", Write, RestJson { body: true };
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
        resource: FUNCTION,
        summary: "Update the configuration of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Timeout: 900",
    ),
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
    call!(
        lambda.publish_version { set_function_name: str("FunctionName") },
        "lambda", "PublishVersion", Write, RestJson { body: true };
        members: &[
            req("FunctionName", String),
            opt("CodeSha256", String),
            opt("Description", String),
            opt("RevisionId", String),
            opt("PublishTo", String),
        ],
        resource: FUNCTION,
        summary: "Publish a new version of {FunctionName}",
        example: "FunctionName: bg-remover-dev-s3TablesDataValidator\n\
                  Description: Timeout raised to 900s",
    ),
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
