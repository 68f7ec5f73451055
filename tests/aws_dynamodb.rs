//! DynamoDB actions against the emulator, through the engine's own executors.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;

use runbook::engine::{ActionContext, Silent, invoke};
use serde_json::{Value, json};
use support::moto::Moto;

async fn action(
    aws: Arc<runbook::aws::Aws>,
    name: &str,
    input: Value,
) -> Result<Value, runbook::aws::CallError> {
    let context = ActionContext::standalone(Some(aws), true, Arc::new(Silent));
    let spec = runbook::registry::lookup(name).expect("registered");
    invoke(&context, spec, input.as_object().unwrap()).await
}

#[tokio::test]
async fn describe_table_returns_the_api_shape_with_rfc3339_times() {
    let moto = Moto::shared();
    let sdk = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    sdk.create_table()
        .table_name("describe-me")
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let aws = Arc::new(moto.aws().await);
    let output = action(
        aws.clone(),
        "dynamodb.DescribeTable",
        json!({"TableName": "describe-me"}),
    )
    .await
    .unwrap();
    assert_eq!(output["Table"]["TableName"], "describe-me");
    assert_eq!(output["Table"]["TableStatus"], "ACTIVE");
    let created = output["Table"]["CreationDateTime"]
        .as_str()
        .expect("RFC 3339 text");
    assert!(created.parse::<jiff::Timestamp>().is_ok(), "{created}");

    let error = action(
        aws,
        "dynamodb.DescribeTable",
        json!({"TableName": "absent"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException");
    assert!(!error.transient);
}

#[tokio::test]
async fn sts_caller_identity_through_the_query_protocol() {
    let aws = Arc::new(Moto::shared().aws().await);
    let output = action(aws, "sts.GetCallerIdentity", json!({}))
        .await
        .unwrap();
    assert_eq!(output["Account"], "123456789012", "{output}");
    assert!(
        output["Arn"].as_str().unwrap().starts_with("arn:aws:"),
        "{output}"
    );
}
