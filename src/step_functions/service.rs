//! Our action prefixes as Step Functions' AWS SDK integrations name the services, and the prefix of the errors
//! those tasks raise.

/// The service in `arn:aws:states:::aws-sdk:<service>:<operation>`. Where AWS's name differs from the action
/// prefix it is listed; moto knows CloudWatch Logs only as `logs`, so that runbook's logs steps do not run there.
pub fn integration_name(prefix: &str) -> &str {
    match prefix {
        "logs" => "cloudwatchlogs",
        "ce" => "costexplorer",
        other => other,
    }
}

/// Services whose own API names its members in camelCase (CloudWatch Logs' `logGroupName`, S3 Tables'
/// `tableBucketARN`), as their API references and botocore's models do. Step Functions names them in PascalCase in
/// a task's arguments and result, so their tasks are renamed both ways ([`super::member_case`]); every other service
/// we call is PascalCase already.
pub fn names_members_in_camel_case(prefix: &str) -> bool {
    matches!(prefix, "logs" | "s3tables")
}

/// Task errors read `<Service>.<Code>` (`Lambda.TooManyRequestsException`); the service in PascalCase.
pub fn error_prefix(prefix: &str) -> String {
    match prefix {
        "dynamodb" => "DynamoDb".into(),
        "dynamodbstreams" => "DynamoDbStreams".into(),
        "cloudformation" => "CloudFormation".into(),
        "cloudwatch" => "CloudWatch".into(),
        "logs" => "CloudWatchLogs".into(),
        "eventbridge" => "EventBridge".into(),
        "s3tables" => "S3Tables".into(),
        "ce" => "CostExplorer".into(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}
