//! S3 Tables actions against the emulator (restJson1: members in the path and query string). The Iceberg
//! composites are tested elsewhere.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_s3tables::types::OpenTableFormat;
use serde_json::json;

/// A table bucket with `namespace` holding `tables`; returns the bucket's ARN.
async fn bucket(
    sdk: &aws_sdk_s3tables::Client,
    name: &str,
    namespace: &str,
    tables: &[&str],
) -> String {
    let arn = sdk
        .create_table_bucket()
        .name(name)
        .send()
        .await
        .unwrap()
        .arn()
        .to_string();
    sdk.create_namespace()
        .table_bucket_arn(&arn)
        .namespace(namespace)
        .send()
        .await
        .unwrap();
    for table in tables {
        sdk.create_table()
            .table_bucket_arn(&arn)
            .namespace(namespace)
            .name(*table)
            .format(OpenTableFormat::Iceberg)
            .send()
            .await
            .unwrap();
    }
    arn
}

#[tokio::test]
async fn namespaces_and_tables_are_listed_and_described() {
    let moto = Moto::shared();
    let sdk = aws_sdk_s3tables::Client::new(&moto.sdk_config().await);
    let arn = bucket(
        &sdk,
        "analytics-reads",
        "pricing",
        &["sales_history", "inventory"],
    )
    .await;
    let aws = Arc::new(moto.aws().await);

    let namespaces = action(
        aws.clone(),
        "s3tables.ListNamespaces",
        json!({"tableBucketARN": arn}),
    )
    .await
    .unwrap();
    assert_eq!(
        namespaces["namespaces"][0]["namespace"],
        json!(["pricing"]),
        "{namespaces}"
    );

    let tables = action(
        aws.clone(),
        "s3tables.ListTables",
        json!({"tableBucketARN": arn, "namespace": "pricing", "prefix": "sales", "maxTables": 10}),
    )
    .await
    .unwrap();
    let names: Vec<&str> = tables["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sales_history"], "{tables}");

    let table = action(
        aws.clone(),
        "s3tables.GetTable",
        json!({"tableBucketARN": arn, "namespace": "pricing", "name": "sales_history"}),
    )
    .await
    .unwrap();
    assert_eq!(table["name"], "sales_history", "{table}");
    assert_eq!(table["format"], "ICEBERG", "{table}");
    assert!(table["versionToken"].is_string(), "{table}");

    let error = action(
        aws,
        "s3tables.GetTable",
        json!({"tableBucketARN": arn, "namespace": "pricing", "name": "absent"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "NotFoundException", "{error}");
}

#[tokio::test]
async fn metadata_location_is_read_and_moved_with_its_version_token() {
    let moto = Moto::shared();
    let sdk = aws_sdk_s3tables::Client::new(&moto.sdk_config().await);
    let arn = bucket(&sdk, "analytics-writes", "pricing", &["sales_history"]).await;
    let aws = Arc::new(moto.aws().await);
    let table = json!({"tableBucketARN": arn, "namespace": "pricing", "name": "sales_history"});

    let current = action(
        aws.clone(),
        "s3tables.GetTableMetadataLocation",
        table.clone(),
    )
    .await
    .unwrap();
    let token = current["versionToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{current}"))
        .to_string();
    let warehouse = current["warehouseLocation"].as_str().unwrap().to_string();
    let location = format!("{warehouse}/metadata/00041-3d2e.metadata.json");

    let mut update = table.clone();
    update["versionToken"] = json!(token);
    update["metadataLocation"] = json!(location);
    let updated = action(
        aws.clone(),
        "s3tables.UpdateTableMetadataLocation",
        update.clone(),
    )
    .await
    .unwrap();
    assert_eq!(updated["metadataLocation"], location.as_str(), "{updated}");
    assert_ne!(updated["versionToken"], token.as_str(), "{updated}");

    let stored = sdk
        .get_table_metadata_location()
        .table_bucket_arn(&arn)
        .namespace("pricing")
        .name("sales_history")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.metadata_location(), Some(location.as_str()));

    // The old token no longer matches: a concurrent writer's change is not overwritten.
    let error = action(aws, "s3tables.UpdateTableMetadataLocation", update)
        .await
        .unwrap_err();
    assert_eq!(error.code, "ConflictException", "{error}");
}
