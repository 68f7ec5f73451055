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
