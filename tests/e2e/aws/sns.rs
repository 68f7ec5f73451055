//! SNS actions against the emulator (awsQuery). Topics and an SQS subscriber are created with the aws-sdk
//! crates; what Publish sent is read back from the queue.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use serde_json::{Value, json};

#[tokio::test]
async fn list_topics_and_read_attributes_as_a_map() {
    let moto = Moto::shared();
    let sdk = aws_sdk_sns::Client::new(&moto.sdk_config().await);
    let arn = sdk
        .create_topic()
        .name("runbook-alerts")
        .attributes("DisplayName", "Runbook alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let aws = Arc::new(moto.aws().await);

    let topics = action(aws.clone(), "sns.ListTopics", json!({}))
        .await
        .unwrap();
    assert!(
        topics["Topics"]
            .as_array()
            .unwrap()
            .contains(&json!({"TopicArn": arn})),
        "{topics}"
    );

    let attributes = action(
        aws.clone(),
        "sns.GetTopicAttributes",
        json!({"TopicArn": arn}),
    )
    .await
    .unwrap();
    assert_eq!(
        attributes["Attributes"]["TopicArn"],
        arn.as_str(),
        "{attributes}"
    );
    assert_eq!(attributes["Attributes"]["DisplayName"], "Runbook alerts");

    let error = action(
        aws,
        "sns.GetTopicAttributes",
        json!({"TopicArn": "arn:aws:sns:eu-west-1:123456789012:absent"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "NotFound");
    assert!(!error.transient);
}

#[tokio::test]
async fn publish_delivers_subject_message_and_attributes() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("runbook-published")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name("runbook-published-subscriber")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .unwrap();
    let aws = Arc::new(moto.aws().await);

    let output = action(
        aws,
        "sns.Publish",
        json!({
            "TopicArn": topic,
            "Subject": "bg-remover rollback finished",
            "Message": "Lambda alias live now points at version 42",
            "MessageAttributes": {
                "Severity": "P1",
                "Version": 42,
                "Runbook": {"DataType": "String", "StringValue": "rollback-lambda"},
            },
        }),
    )
    .await
    .unwrap();
    let message_id = output["MessageId"].as_str().unwrap().to_string();
    assert!(!message_id.is_empty(), "{output}");

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let messages = received.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1);
    let envelope: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(envelope["MessageId"], message_id.as_str());
    assert_eq!(envelope["Subject"], "bg-remover rollback finished");
    assert_eq!(
        envelope["Message"],
        "Lambda alias live now points at version 42"
    );
    assert_eq!(
        envelope["MessageAttributes"],
        json!({
            "Severity": {"Type": "String", "Value": "P1"},
            "Version": {"Type": "Number", "Value": "42"},
            "Runbook": {"Type": "String", "Value": "rollback-lambda"},
        }),
        "{envelope}"
    );
}
