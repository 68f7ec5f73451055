//! DynamoDB actions against the emulator, through the engine's own executors.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use serde_json::{Value, json};

#[tokio::test]
async fn describe_table_returns_the_api_shape_with_rfc3339_times() {
    let moto = Moto::shared();
    moto.create_table("describe-me", "PK").await;
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

async fn sdk() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&Moto::shared().sdk_config().await)
}

/// A pay-per-request table keyed `PK` (string) + `SK` (number).
async fn create_table(sdk: &aws_sdk_dynamodb::Client, name: &str) {
    let attribute = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    sdk.create_table()
        .table_name(name)
        .attribute_definitions(attribute("PK", ScalarAttributeType::S))
        .attribute_definitions(attribute("SK", ScalarAttributeType::N))
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

/// `count` items: `PK` cycles over `partitions` tenants, `SK` is the item's number, `n` too.
async fn fill(sdk: &aws_sdk_dynamodb::Client, table: &str, count: usize, partitions: usize) {
    let items: Vec<WriteRequest> = (0..count)
        .map(|n| {
            let item = [
                (
                    "PK",
                    AttributeValue::S(format!("TENANT#{}", n % partitions)),
                ),
                ("SK", AttributeValue::N(n.to_string())),
                ("n", AttributeValue::N(n.to_string())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build()
        })
        .collect();
    for chunk in items.chunks(25) {
        sdk.batch_write_item()
            .request_items(table, chunk.to_vec())
            .send()
            .await
            .unwrap();
    }
}

async fn table_exists(sdk: &aws_sdk_dynamodb::Client, name: &str) -> bool {
    sdk.describe_table().table_name(name).send().await.is_ok()
}

#[tokio::test]
async fn count_items_follows_every_page_of_a_scan_and_a_query() {
    let sdk = sdk().await;
    create_table(&sdk, "count-me").await;
    fill(&sdk, "count-me", 230, 2).await;
    let aws = Arc::new(Moto::shared().aws().await);

    // 230 items in pages of 50: five pages at least, and every item counted once.
    let output = action(
        aws.clone(),
        "dynamodb.count_items",
        json!({"TableName": "count-me", "Limit": 50}),
    )
    .await
    .unwrap();
    assert_eq!(output["Count"], 230, "{output}");
    assert_eq!(output["ScannedCount"], 230, "{output}");
    assert!(output["Pages"].as_u64().unwrap() >= 5, "{output}");

    // A filter counts matches across pages; the scanned count still covers the table.
    let output = action(
        aws.clone(),
        "dynamodb.count_items",
        json!({
            "TableName": "count-me",
            "Limit": 40,
            "FilterExpression": "#n < :limit",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": {":limit": {"N": "100"}},
        }),
    )
    .await
    .unwrap();
    assert_eq!(output["Count"], 100, "{output}");
    assert_eq!(output["ScannedCount"], 230, "{output}");
    assert!(output["Pages"].as_u64().unwrap() >= 6, "{output}");

    // A key condition makes it a Query: one tenant holds the odd numbers, 115 of them.
    let output = action(
        aws.clone(),
        "dynamodb.count_items",
        json!({
            "TableName": "count-me",
            "Limit": 30,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "TENANT#1"}},
        }),
    )
    .await
    .unwrap();
    assert_eq!(output["Count"], 115, "{output}");
    assert!(output["Pages"].as_u64().unwrap() >= 4, "{output}");

    let error = action(aws, "dynamodb.count_items", json!({"TableName": "absent"}))
        .await
        .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn scan_sample_keys_then_get_and_put_items() {
    let sdk = sdk().await;
    create_table(&sdk, "items").await;
    fill(&sdk, "items", 20, 1).await;
    let aws = Arc::new(Moto::shared().aws().await);

    // The pitr-restore runbook samples keys with a projected, limited scan and reads each back.
    let sample = action(
        aws.clone(),
        "dynamodb.Scan",
        json!({"TableName": "items", "Limit": "5", "ProjectionExpression": "PK, SK"}),
    )
    .await
    .unwrap();
    let keys = sample["Items"].as_array().unwrap();
    assert_eq!(keys.len(), 5, "{sample}");
    assert!(sample["LastEvaluatedKey"].is_object(), "{sample}");
    for key in keys {
        assert_eq!(
            key.as_object().unwrap().len(),
            2,
            "projected to PK, SK: {key}"
        );
        let item = action(
            aws.clone(),
            "dynamodb.GetItem",
            json!({"TableName": "items", "Key": key}),
        )
        .await
        .unwrap();
        assert_eq!(item["Item"]["n"], key["SK"], "{item}");
    }
    let missing = action(
        aws.clone(),
        "dynamodb.GetItem",
        json!({"TableName": "items", "Key": {"PK": {"S": "TENANT#0"}, "SK": {"N": "999"}}}),
    )
    .await
    .unwrap();
    assert!(missing.get("Item").is_none(), "{missing}");

    let put = action(
        aws.clone(),
        "dynamodb.PutItem",
        json!({
            "TableName": "items",
            "Item": {"PK": {"S": "RUNBOOK"}, "SK": {"N": "1"}, "note": {"S": "restore-marker"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }),
    )
    .await
    .unwrap();
    assert!(put.is_object(), "{put}");
    let stored = sdk
        .get_item()
        .table_name("items")
        .key("PK", AttributeValue::S("RUNBOOK".into()))
        .key("SK", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.item().unwrap()["note"],
        AttributeValue::S("restore-marker".into())
    );
    // The condition holds the second time round: the item exists now.
    let error = action(
        aws.clone(),
        "dynamodb.PutItem",
        json!({
            "TableName": "items",
            "Item": {"PK": {"S": "RUNBOOK"}, "SK": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "ConditionalCheckFailedException");

    let page = action(
        aws,
        "dynamodb.Query",
        json!({
            "TableName": "items",
            "KeyConditionExpression": "PK = :pk AND SK >= :from",
            "ExpressionAttributeValues": {":pk": {"S": "TENANT#0"}, ":from": {"N": "15"}},
            "ScanIndexForward": false,
        }),
    )
    .await
    .unwrap();
    assert_eq!(page["Count"], 5, "{page}");
    assert_eq!(page["Items"][0]["SK"], json!({"N": "19"}), "{page}");
}

#[tokio::test]
async fn point_in_time_recovery_switches_on_and_restores_into_a_new_table() {
    let sdk = sdk().await;
    create_table(&sdk, "pitr-source").await;
    fill(&sdk, "pitr-source", 12, 3).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let before = action(
        aws.clone(),
        "dynamodb.DescribeContinuousBackups",
        json!({"TableName": "pitr-source"}),
    )
    .await
    .unwrap();
    assert_eq!(
        before["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        "DISABLED",
        "{before}"
    );
    action(
        aws.clone(),
        "dynamodb.UpdateContinuousBackups",
        json!({
            "TableName": "pitr-source",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
        }),
    )
    .await
    .unwrap();
    let state = sdk
        .describe_continuous_backups()
        .table_name("pitr-source")
        .send()
        .await
        .unwrap();
    let description = state
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    assert_eq!(
        description
            .point_in_time_recovery_status()
            .unwrap()
            .as_str(),
        "ENABLED"
    );

    // What the pitr-restore runbook checks: the status and a window of RFC 3339 times.
    let after = action(
        aws.clone(),
        "dynamodb.DescribeContinuousBackups",
        json!({"TableName": "pitr-source"}),
    )
    .await
    .unwrap();
    let pitr = &after["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"];
    assert_eq!(pitr["PointInTimeRecoveryStatus"], "ENABLED", "{after}");
    for member in ["EarliestRestorableDateTime", "LatestRestorableDateTime"] {
        let text = pitr[member]
            .as_str()
            .unwrap_or_else(|| panic!("{member}: {after}"));
        assert!(text.parse::<jiff::Timestamp>().is_ok(), "{member}: {text}");
    }

    let restored = action(
        aws.clone(),
        "dynamodb.RestoreTableToPointInTime",
        json!({
            "SourceTableName": "pitr-source",
            "TargetTableName": "pitr-source-restore",
            "RestoreDateTime": jiff::Timestamp::now().to_string(),
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        restored["TableDescription"]["TableName"], "pitr-source-restore",
        "{restored}"
    );
    assert!(table_exists(&sdk, "pitr-source-restore").await);
    let count = action(
        aws.clone(),
        "dynamodb.count_items",
        json!({"TableName": "pitr-source-restore"}),
    )
    .await
    .unwrap();
    assert_eq!(count["Count"], 12, "{count}");

    let error = action(
        aws,
        "dynamodb.RestoreTableToPointInTime",
        json!({"SourceTableName": "pitr-source", "TargetTableName": "pitr-source-restore", "UseLatestRestorableTime": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "TableAlreadyExistsException", "{error}");
}

#[tokio::test]
async fn backup_swap_as_the_pitr_runbook_does_it() {
    let sdk = sdk().await;
    create_table(&sdk, "swap-copy").await;
    fill(&sdk, "swap-copy", 7, 1).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let backup = action(
        aws.clone(),
        "dynamodb.CreateBackup",
        json!({"TableName": "swap-copy", "BackupName": "swap-copy-backup"}),
    )
    .await
    .unwrap();
    let arn = backup["BackupDetails"]["BackupArn"]
        .as_str()
        .unwrap_or_else(|| panic!("{backup}"))
        .to_string();
    assert!(
        backup["BackupDetails"]["BackupCreationDateTime"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{backup}"
    );
    let described = action(
        aws.clone(),
        "dynamodb.DescribeBackup",
        json!({"BackupArn": arn}),
    )
    .await
    .unwrap();
    assert_eq!(
        described["BackupDescription"]["BackupDetails"]["BackupStatus"], "AVAILABLE",
        "{described}"
    );
    let listed = action(
        aws.clone(),
        "dynamodb.ListBackups",
        json!({"TableName": "swap-copy"}),
    )
    .await
    .unwrap();
    assert!(
        listed["BackupSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["BackupArn"] == arn.as_str()),
        "{listed}"
    );

    action(
        aws.clone(),
        "dynamodb.DeleteTable",
        json!({"TableName": "swap-copy"}),
    )
    .await
    .unwrap();
    assert!(!table_exists(&sdk, "swap-copy").await);
    let tables = action(aws.clone(), "dynamodb.ListTables", json!({}))
        .await
        .unwrap();
    assert!(
        !tables["TableNames"]
            .as_array()
            .unwrap()
            .contains(&json!("swap-copy")),
        "{tables}"
    );

    action(
        aws.clone(),
        "dynamodb.RestoreTableFromBackup",
        json!({"TargetTableName": "swap-copy", "BackupArn": arn}),
    )
    .await
    .unwrap();
    let count = sdk
        .scan()
        .table_name("swap-copy")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(count.count(), 7);

    action(
        aws.clone(),
        "dynamodb.DeleteBackup",
        json!({"BackupArn": arn}),
    )
    .await
    .unwrap();
    assert!(sdk.describe_backup().backup_arn(&arn).send().await.is_err());
    let error = action(aws, "dynamodb.DescribeBackup", json!({"BackupArn": arn}))
        .await
        .unwrap_err();
    assert_eq!(error.code, "BackupNotFoundException", "{error}");
}

#[tokio::test]
async fn list_tables_reads_every_page_and_update_table_turns_a_stream_on() {
    let sdk = sdk().await;
    // moto answers ListTables 100 names at a time, as DynamoDB does.
    let names: Vec<String> = (0..105).map(|n| format!("paged-{n:03}")).collect();
    for name in &names {
        create_table(&sdk, name).await;
    }
    let aws = Arc::new(Moto::shared().aws().await);
    let listed = action(aws.clone(), "dynamodb.ListTables", json!({}))
        .await
        .unwrap();
    let listed: Vec<&str> = listed["TableNames"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in &names {
        assert!(listed.contains(&name.as_str()), "{name} is missing");
    }
    assert!(listed.len() > 100);
    // A page size is a page size, not a cap. Other tests create tables on the same emulator meanwhile, so
    // compare this test's own tables rather than the totals of two listings.
    let small_pages = action(aws.clone(), "dynamodb.ListTables", json!({"Limit": 40}))
        .await
        .unwrap();
    let mut paged_in_small_pages: Vec<&str> = small_pages["TableNames"]
        .as_array()
        .unwrap_or_else(|| panic!("{small_pages}"))
        .iter()
        .filter_map(Value::as_str)
        .filter(|name| name.starts_with("paged-"))
        .collect();
    paged_in_small_pages.sort_unstable();
    assert_eq!(paged_in_small_pages, names);

    let updated = action(
        aws.clone(),
        "dynamodb.UpdateTable",
        json!({"TableName": "paged-000", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        updated["TableDescription"]["StreamSpecification"]["StreamViewType"], "NEW_AND_OLD_IMAGES",
        "{updated}"
    );
    let described = sdk
        .describe_table()
        .table_name("paged-000")
        .send()
        .await
        .unwrap();
    let stream = described.table().unwrap().stream_specification().unwrap();
    assert!(stream.stream_enabled());
}
