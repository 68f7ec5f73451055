//! CloudFormation actions against the emulator (awsQuery). The stack is created with aws-sdk-cloudformation from
//! a small template (an SQS queue and an S3 bucket) and read back through our executors.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use serde_json::{Value, json};

const TEMPLATE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
  "Resources": {
    "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "cfn-runbook-dlq"}},
    "Exports": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "cfn-runbook-exports"}}
  },
  "Outputs": {"DlqUrl": {"Value": {"Ref": "Dlq"}}}
}"#;

/// Creates the stack once per test binary run (tests share the emulator).
async fn stack(moto: &Moto) -> String {
    static CREATED: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    CREATED
        .get_or_init(|| async {
            let sdk = aws_sdk_cloudformation::Client::new(&moto.sdk_config().await);
            sdk.create_stack()
                .stack_name("runbook-cfn")
                .template_body(TEMPLATE)
                .parameters(
                    aws_sdk_cloudformation::types::Parameter::builder()
                        .parameter_key("Stage")
                        .parameter_value("test")
                        .build(),
                )
                .tags(
                    aws_sdk_cloudformation::types::Tag::builder()
                        .key("team")
                        .value("data")
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .stack_id()
                .unwrap()
                .to_string()
        })
        .await
        .clone()
}

#[tokio::test]
async fn describe_stacks_has_outputs_parameters_and_tags() {
    let moto = Moto::shared();
    let stack_id = stack(moto).await;
    let aws = Arc::new(moto.aws().await);
    let output = action(
        aws.clone(),
        "cloudformation.DescribeStacks",
        json!({"StackName": "runbook-cfn"}),
    )
    .await
    .unwrap();
    let stacks = output["Stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 1, "{output}");
    let stack = &stacks[0];
    assert_eq!(stack["StackName"], "runbook-cfn");
    assert_eq!(stack["StackId"], stack_id.as_str());
    assert_eq!(stack["StackStatus"], "CREATE_COMPLETE");
    assert_eq!(
        stack["Parameters"],
        json!([{"ParameterKey": "Stage", "ParameterValue": "test"}])
    );
    assert_eq!(stack["Tags"], json!([{"Key": "team", "Value": "data"}]));
    let outputs = stack["Outputs"].as_array().unwrap();
    assert_eq!(outputs[0]["OutputKey"], "DlqUrl");
    assert!(
        outputs[0]["OutputValue"]
            .as_str()
            .unwrap()
            .ends_with("/cfn-runbook-dlq"),
        "{outputs:?}"
    );
    let created = stack["CreationTime"].as_str().unwrap();
    assert!(created.parse::<jiff::Timestamp>().is_ok(), "{created}");

    let error = action(
        aws,
        "cloudformation.DescribeStacks",
        json!({"StackName": "no-such-stack"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "ValidationError");
    assert!(error.message.contains("no-such-stack"), "{error}");
    assert!(!error.transient);
}

#[tokio::test]
async fn resources_events_and_template() {
    let moto = Moto::shared();
    stack(moto).await;
    let aws = Arc::new(moto.aws().await);

    let resources = action(
        aws.clone(),
        "cloudformation.DescribeStackResources",
        json!({"StackName": "runbook-cfn", "LogicalResourceId": "Exports"}),
    )
    .await
    .unwrap();
    let list = resources["StackResources"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{resources}");
    assert_eq!(list[0]["ResourceType"], "AWS::S3::Bucket");
    assert_eq!(list[0]["PhysicalResourceId"], "cfn-runbook-exports");
    assert_eq!(list[0]["ResourceStatus"], "CREATE_COMPLETE");

    let summaries = action(
        aws.clone(),
        "cloudformation.ListStackResources",
        json!({"StackName": "runbook-cfn"}),
    )
    .await
    .unwrap();
    let mut logical: Vec<&str> = summaries["StackResourceSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["LogicalResourceId"].as_str().unwrap())
        .collect();
    logical.sort();
    assert_eq!(logical, ["Dlq", "Exports"], "{summaries}");

    let events = action(
        aws.clone(),
        "cloudformation.DescribeStackEvents",
        json!({"StackName": "runbook-cfn"}),
    )
    .await
    .unwrap();
    let events = events["StackEvents"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["LogicalResourceId"] == "runbook-cfn"
                && e["ResourceStatus"] == "CREATE_COMPLETE"),
        "{events:?}"
    );

    let template = action(
        aws,
        "cloudformation.GetTemplate",
        json!({"StackName": "runbook-cfn", "TemplateStage": "Original"}),
    )
    .await
    .unwrap();
    let body: Value = serde_json::from_str(template["TemplateBody"].as_str().unwrap()).unwrap();
    assert_eq!(body["Resources"]["Dlq"]["Type"], "AWS::SQS::Queue");
}

#[tokio::test]
async fn continue_update_rollback_is_not_implemented_by_moto() {
    let moto = Moto::shared();
    stack(moto).await;
    let aws = Arc::new(moto.aws().await);
    // moto 5.2.5 has no ContinueUpdateRollback: it answers HTTP 500 with an HTML page (NotImplementedError).
    // We surface that as AWS would a server fault, InternalServerError with the page's text as the message (the
    // engine decides whether a write that met a 500 may be retried). Against AWS the same call on a stack in
    // CREATE_COMPLETE fails with a ValidationError.
    let error = action(
        aws,
        "cloudformation.ContinueUpdateRollback",
        json!({"StackName": "runbook-cfn"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.status),
        ("InternalServerError", Some(500)),
        "{error:?}"
    );
    assert!(error.message.contains("Internal Server Error"), "{error:?}");
}
