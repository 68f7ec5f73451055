//! DynamoDB Streams actions against the emulator: a table with a stream, read from its first record.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use serde_json::{Value, json};

#[tokio::test]
async fn list_describe_and_read_a_table_stream() {
    let moto = Moto::shared();
    let sdk = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    sdk.create_table()
        .table_name("streamed")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for id in ["a", "b", "c"] {
        sdk.put_item()
            .table_name("streamed")
            .item("PK", AttributeValue::S(id.into()))
            .send()
            .await
            .unwrap();
    }
    let aws = Arc::new(moto.aws().await);

    let streams = action(
        aws.clone(),
        "dynamodbstreams.ListStreams",
        json!({"TableName": "streamed"}),
    )
    .await
    .unwrap();
    let stream_arn = streams["Streams"][0]["StreamArn"]
        .as_str()
        .unwrap_or_else(|| panic!("{streams}"))
        .to_string();
    assert_eq!(streams["Streams"][0]["TableName"], "streamed", "{streams}");

    let described = action(
        aws.clone(),
        "dynamodbstreams.DescribeStream",
        json!({"StreamArn": stream_arn}),
    )
    .await
    .unwrap();
    let description = &described["StreamDescription"];
    assert_eq!(
        description["StreamViewType"], "NEW_AND_OLD_IMAGES",
        "{described}"
    );
    let shard = description["Shards"][0]["ShardId"]
        .as_str()
        .unwrap_or_else(|| panic!("{described}"))
        .to_string();

    let iterator = action(
        aws.clone(),
        "dynamodbstreams.GetShardIterator",
        json!({"StreamArn": stream_arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await
    .unwrap();
    let iterator = iterator["ShardIterator"]
        .as_str()
        .unwrap_or_else(|| panic!("{iterator}"))
        .to_string();

    let records = action(
        aws.clone(),
        "dynamodbstreams.GetRecords",
        json!({"ShardIterator": iterator, "Limit": 10}),
    )
    .await
    .unwrap();
    let records = records["Records"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert!(
        records.iter().all(|r| r["eventName"] == "INSERT"),
        "{records:?}"
    );
    let keys: Vec<&Value> = records
        .iter()
        .map(|r| &r["dynamodb"]["Keys"]["PK"]["S"])
        .collect();
    assert_eq!(keys, [&json!("a"), &json!("b"), &json!("c")]);

    let error = action(
        aws,
        "dynamodbstreams.DescribeStream",
        json!({"StreamArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/absent/stream/2025-01-01T00:00:00.000"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException", "{error}");
}
