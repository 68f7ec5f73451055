//! Glue Data Catalog actions against the emulator (the Iceberg composites are tested elsewhere).

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_glue::types::{DatabaseInput, StorageDescriptor, TableInput};
use serde_json::{Value, json};

async fn catalog(database: &str, tables: &[&str]) -> aws_sdk_glue::Client {
    let sdk = aws_sdk_glue::Client::new(&Moto::shared().sdk_config().await);
    sdk.create_database()
        .database_input(
            DatabaseInput::builder()
                .name(database)
                .description("pricing intelligence")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for table in tables {
        sdk.create_table()
            .database_name(database)
            .table_input(
                TableInput::builder()
                    .name(*table)
                    .table_type("EXTERNAL_TABLE")
                    .parameters("table_type", "ICEBERG")
                    .parameters(
                        "metadata_location",
                        "s3://lake/sales/metadata/00001.metadata.json",
                    )
                    .storage_descriptor(
                        StorageDescriptor::builder()
                            .location("s3://lake/sales")
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    sdk
}

#[tokio::test]
async fn database_and_tables_are_described() {
    catalog("glue_reads", &["sales_history", "sales_daily", "inventory"]).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let database = action(
        aws.clone(),
        "glue.GetDatabase",
        json!({"Name": "glue_reads"}),
    )
    .await
    .unwrap();
    assert_eq!(
        database["Database"]["Description"], "pricing intelligence",
        "{database}"
    );
    assert!(
        database["Database"]["CreateTime"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{database}"
    );

    let table = action(
        aws.clone(),
        "glue.GetTable",
        json!({"DatabaseName": "glue_reads", "Name": "sales_history"}),
    )
    .await
    .unwrap();
    assert_eq!(
        table["Table"]["Parameters"]["table_type"], "ICEBERG",
        "{table}"
    );
    assert_eq!(
        table["Table"]["StorageDescriptor"]["Location"], "s3://lake/sales",
        "{table}"
    );

    let tables = action(
        aws.clone(),
        "glue.GetTables",
        json!({"DatabaseName": "glue_reads", "Expression": "sales_.*"}),
    )
    .await
    .unwrap();
    let mut names: Vec<&str> = tables["TableList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["sales_daily", "sales_history"], "{tables}");

    let error = action(
        aws,
        "glue.GetTable",
        json!({"DatabaseName": "glue_reads", "Name": "absent"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "EntityNotFoundException", "{error}");
}

#[tokio::test]
async fn update_table_replaces_the_definition_and_archives_the_old_one() {
    let sdk = catalog("glue_writes", &["sales_history"]).await;
    let aws = Arc::new(Moto::shared().aws().await);
    let new_location = "s3://lake/sales/metadata/00002.metadata.json";

    action(
        aws.clone(),
        "glue.UpdateTable",
        json!({
            "DatabaseName": "glue_writes",
            "TableInput": {
                "Name": "sales_history",
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG", "metadata_location": new_location},
                "StorageDescriptor": {"Location": "s3://lake/sales"},
            },
        }),
    )
    .await
    .unwrap();
    let table = sdk
        .get_table()
        .database_name("glue_writes")
        .name("sales_history")
        .send()
        .await
        .unwrap();
    assert_eq!(
        table.table().unwrap().parameters().unwrap()["metadata_location"],
        new_location
    );

    let versions = action(
        aws,
        "glue.GetTableVersions",
        json!({"DatabaseName": "glue_writes", "TableName": "sales_history", "MaxResults": 10}),
    )
    .await
    .unwrap();
    let versions = versions["TableVersions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let locations: Vec<&Value> = versions
        .iter()
        .map(|v| &v["Table"]["Parameters"]["metadata_location"])
        .collect();
    assert!(locations.contains(&&json!(new_location)), "{locations:?}");
    assert!(
        locations.contains(&&json!("s3://lake/sales/metadata/00001.metadata.json")),
        "{locations:?}"
    );
}
