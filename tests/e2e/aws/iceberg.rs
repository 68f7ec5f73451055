//! The Iceberg composites against the emulator, with a synthetic but valid format-version 2 table: three
//! snapshots, its metadata file written to S3 by the test, catalogued in Glue (a table whose `metadata_location`
//! points at it) and in S3 Tables (a table whose metadata location is set to it).

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use crate::support::s3_objects::{create_bucket, read_object, s3, write_object};
use runbook::engine::{ActionContext, Silent, invoke};
use serde_json::{Map, Value, json};

// Snapshot ids beyond 2^53, as Iceberg's random ids are: they must survive as exact integers.
const S1: i64 = 5781947118336215154;
const S2: i64 = 7291812374616183214;
const S3: i64 = 3051729675574597004;
const T1: i64 = 1767099300000; // 2025-12-30T12:55:00Z
const T2: i64 = 1767102900000; // 2025-12-30T13:55:00Z
const T3: i64 = 1767104100000; // 2025-12-30T14:15:00Z

/// A metadata file as Iceberg writes it after three commits, the third one current.
fn metadata(table_location: &str, metadata_dir: &str) -> Value {
    json!({
        "format-version": 2,
        "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
        "location": table_location,
        "last-sequence-number": 3,
        "last-updated-ms": T3,
        "last-column-id": 3,
        "current-schema-id": 0,
        "schemas": [{
            "type": "struct",
            "schema-id": 0,
            "fields": [
                {"id": 1, "name": "tenant_id", "required": true, "type": "string"},
                {"id": 2, "name": "sold_at", "required": false, "type": "timestamptz"},
                {"id": 3, "name": "amount", "required": false, "type": "decimal(12, 2)"}
            ]
        }],
        "default-spec-id": 0,
        "partition-specs": [{"spec-id": 0, "fields": [
            {"name": "sold_at_day", "transform": "day", "source-id": 2, "field-id": 1000}
        ]}],
        "last-partition-id": 1000,
        "default-sort-order-id": 0,
        "sort-orders": [{"order-id": 0, "fields": []}],
        "properties": {"write.format.default": "parquet", "owner": "data-team"},
        "current-snapshot-id": S3,
        "refs": {"main": {"snapshot-id": S3, "type": "branch"}},
        "snapshots": [
            {
                "sequence-number": 1, "snapshot-id": S1, "timestamp-ms": T1,
                "summary": {"operation": "append", "added-records": "100", "total-records": "100"},
                "manifest-list": format!("{metadata_dir}/snap-{S1}-1-0f3a.avro"), "schema-id": 0
            },
            {
                "sequence-number": 2, "snapshot-id": S2, "parent-snapshot-id": S1, "timestamp-ms": T2,
                "summary": {"operation": "append", "added-records": "20", "total-records": "120"},
                "manifest-list": format!("{metadata_dir}/snap-{S2}-1-77b1.avro"), "schema-id": 0
            },
            {
                "sequence-number": 3, "snapshot-id": S3, "parent-snapshot-id": S2, "timestamp-ms": T3,
                "summary": {"operation": "overwrite", "deleted-records": "120", "added-records": "3", "total-records": "3"},
                "manifest-list": format!("{metadata_dir}/snap-{S3}-1-c2d9.avro"), "schema-id": 0
            }
        ],
        "statistics": [],
        "snapshot-log": [
            {"timestamp-ms": T1, "snapshot-id": S1},
            {"timestamp-ms": T2, "snapshot-id": S2},
            {"timestamp-ms": T3, "snapshot-id": S3}
        ],
        "metadata-log": [
            {"timestamp-ms": T1, "metadata-file": format!("{metadata_dir}/00000-3e1b.metadata.json")},
            {"timestamp-ms": T2, "metadata-file": format!("{metadata_dir}/00001-5a4c.metadata.json")}
        ]
    })
}

/// The listing every catalog must give for the seeded table.
fn assert_listing(listing: &Value, location: &str) {
    // Ids are decimal text: exact in every engine, JSONata's doubles included.
    assert_eq!(listing["CurrentSnapshotId"], S3.to_string(), "{listing}");
    assert_eq!(listing["MetadataLocation"], location);
    let snapshots = listing["Snapshots"].as_array().unwrap();
    let ids: Vec<&str> = snapshots
        .iter()
        .map(|s| s["SnapshotId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [S1.to_string(), S2.to_string(), S3.to_string()],
        "oldest first"
    );
    assert_eq!(
        snapshots[1],
        json!({
            "SnapshotId": S2.to_string(),
            "ParentId": S1.to_string(),
            "TimestampMs": T2,
            "Timestamp": "2025-12-30T13:55:00Z",
            "Operation": "append",
            "Summary": {"operation": "append", "added-records": "20", "total-records": "120"},
        })
    );
    assert_eq!(snapshots[0]["ParentId"], Value::Null);
    assert_eq!(snapshots[2]["Operation"], "overwrite");
}

/// Checks the new metadata file against the old one: exactly five keys differ, as the module docs promise.
fn assert_rolled_back(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    old_location: &str,
    target: i64,
) {
    let changed: Vec<&str> = old
        .keys()
        .chain(new.keys())
        .filter(|key| old.get(*key) != new.get(*key))
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        changed,
        [
            "current-snapshot-id",
            "last-updated-ms",
            "metadata-log",
            "refs",
            "snapshot-log"
        ]
    );
    assert_eq!(new["current-snapshot-id"], target);
    assert_eq!(
        new["refs"],
        json!({"main": {"snapshot-id": target, "type": "branch"}})
    );
    let updated = new["last-updated-ms"].as_i64().unwrap();
    assert!(updated > T3);
    let snapshot_log = new["snapshot-log"].as_array().unwrap();
    assert_eq!(snapshot_log.len(), 4);
    assert_eq!(
        snapshot_log[..3],
        old["snapshot-log"].as_array().unwrap()[..]
    );
    assert_eq!(
        snapshot_log[3],
        json!({"timestamp-ms": updated, "snapshot-id": target})
    );
    let metadata_log = new["metadata-log"].as_array().unwrap();
    assert_eq!(metadata_log.len(), 3);
    assert_eq!(
        metadata_log[..2],
        old["metadata-log"].as_array().unwrap()[..]
    );
    assert_eq!(
        metadata_log[2],
        json!({"timestamp-ms": T3, "metadata-file": old_location})
    );
}

#[tokio::test]
async fn glue_snapshots_and_rollback() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let s3 = s3(moto).await;
    let glue = aws_sdk_glue::Client::new(&config);
    create_bucket(&s3, "iceberg-glue").await;
    let table_location = "s3://iceberg-glue/warehouse/sales_history";
    let metadata_dir = format!("{table_location}/metadata");
    let location =
        format!("{metadata_dir}/00002-8f1c1f5e-3b0e-4c1d-9e55-0b6d0c3a9d11.metadata.json");
    let original = serde_json::to_vec_pretty(&metadata(table_location, &metadata_dir)).unwrap();
    write_object(&s3, &location, &original).await;
    glue.create_database()
        .database_input(
            aws_sdk_glue::types::DatabaseInput::builder()
                .name("pricing_intelligence_dev")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let columns = [
        ("tenant_id", "string"),
        ("sold_at", "timestamp"),
        ("amount", "decimal(12,2)"),
    ];
    glue.create_table()
        .database_name("pricing_intelligence_dev")
        .table_input(
            aws_sdk_glue::types::TableInput::builder()
                .name("sales_history")
                .description("Daily sales per tenant")
                .table_type("EXTERNAL_TABLE")
                .parameters("table_type", "ICEBERG")
                .parameters("metadata_location", &location)
                .storage_descriptor(
                    aws_sdk_glue::types::StorageDescriptor::builder()
                        .location(table_location)
                        .set_columns(Some(
                            columns
                                .iter()
                                .map(|(name, ty)| {
                                    aws_sdk_glue::types::Column::builder()
                                        .name(*name)
                                        .r#type(*ty)
                                        .build()
                                        .unwrap()
                                })
                                .collect(),
                        ))
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let aws = Arc::new(moto.aws().await);
    let table = json!({"DatabaseName": "pricing_intelligence_dev", "Name": "sales_history"});

    let listing = action(aws.clone(), "glue.iceberg_snapshots", table.clone())
        .await
        .unwrap();
    assert_listing(&listing, &location);

    // An unknown snapshot is refused before anything is written, naming the ones that exist.
    let mut unknown = table.clone();
    unknown["SnapshotId"] = json!(42);
    let error = action(aws.clone(), "glue.iceberg_rollback", unknown)
        .await
        .unwrap_err();
    assert_eq!(error.code, "SnapshotNotFound");
    assert!(
        error
            .message
            .contains("snapshot 42 is not a snapshot of pricing_intelligence_dev.sales_history")
            && error
                .message
                .contains(&format!("{S2} (2025-12-30T13:55:00Z, append)")),
        "{error}"
    );

    // In a plan the rollback writes nothing: the metadata PUT is refused at the wire.
    let plan = ActionContext::standalone(Some(aws.clone()), false, Arc::new(Silent));
    let mut rollback = table.clone();
    rollback["SnapshotId"] = json!(S2);
    let refused = invoke(
        &plan,
        runbook::actions::lookup("glue.iceberg_rollback").unwrap(),
        rollback.as_object().unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "WriteRefusedInPlan");

    let before = glue
        .get_table()
        .database_name("pricing_intelligence_dev")
        .name("sales_history")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    // SnapshotId as a template renders it: text.
    rollback["SnapshotId"] = json!(S2.to_string());
    let output = action(aws.clone(), "glue.iceberg_rollback", rollback)
        .await
        .unwrap();
    let new_location = output["MetadataLocation"].as_str().unwrap().to_string();
    assert_eq!(output["PreviousSnapshotId"], S3.to_string(), "{output}");
    assert_eq!(output["SnapshotId"], S2.to_string());
    assert_eq!(output["PreviousMetadataLocation"], location.as_str());
    let file = new_location
        .strip_prefix(&format!("{metadata_dir}/"))
        .unwrap_or_else(|| panic!("{new_location} is not beside the old file"));
    assert!(
        file.starts_with("00003-") && file.ends_with(".metadata.json") && file.len() == 6 + 36 + 14,
        "{file}"
    );

    // The old file is untouched; the new one differs in exactly the five keys.
    assert_eq!(read_object(&s3, &location).await, original);
    let old: Map<String, Value> = serde_json::from_slice(&original).unwrap();
    let new: Map<String, Value> =
        serde_json::from_slice(&read_object(&s3, &new_location).await).unwrap();
    assert_rolled_back(&old, &new, &location, S2);

    // The catalog points at the new file and keeps everything else.
    let after = glue
        .get_table()
        .database_name("pricing_intelligence_dev")
        .name("sales_history")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let parameters = after.parameters().unwrap();
    assert_eq!(parameters["metadata_location"], new_location);
    assert_eq!(parameters["previous_metadata_location"], location);
    assert_eq!(parameters["table_type"], "ICEBERG");
    assert_eq!(after.description(), Some("Daily sales per tenant"));
    assert_eq!(after.table_type(), Some("EXTERNAL_TABLE"));
    assert_eq!(after.storage_descriptor(), before.storage_descriptor());
    assert_ne!(after.version_id(), before.version_id());

    let listing = action(aws.clone(), "glue.iceberg_snapshots", table.clone())
        .await
        .unwrap();
    assert_eq!(listing["CurrentSnapshotId"], S2.to_string());
    assert_eq!(listing["MetadataLocation"], new_location.as_str());

    // Rolling back to the current snapshot changes nothing.
    let mut again = table.clone();
    again["SnapshotId"] = json!(S2);
    let output = action(aws.clone(), "glue.iceberg_rollback", again)
        .await
        .unwrap();
    assert_eq!(output["MetadataLocation"], new_location.as_str());

    // A table without Iceberg metadata is named as such.
    glue.create_table()
        .database_name("pricing_intelligence_dev")
        .table_input(
            aws_sdk_glue::types::TableInput::builder()
                .name("plain_csv")
                .parameters("classification", "csv")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let error = action(
        aws,
        "glue.iceberg_snapshots",
        json!({"DatabaseName": "pricing_intelligence_dev", "Name": "plain_csv"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "NotAnIcebergTable", "{error}");
}

#[tokio::test]
async fn s3tables_snapshots_and_rollback() {
    let moto = Moto::shared();
    let config = moto.sdk_config().await;
    let s3 = s3(moto).await;
    let tables = aws_sdk_s3tables::Client::new(&config);
    let bucket_arn = tables
        .create_table_bucket()
        .name("iceberg-tables")
        .send()
        .await
        .unwrap()
        .arn
        .clone();
    tables
        .create_namespace()
        .table_bucket_arn(&bucket_arn)
        .namespace("pricing_intelligence_dev")
        .send()
        .await
        .unwrap();
    tables
        .create_table()
        .table_bucket_arn(&bucket_arn)
        .namespace("pricing_intelligence_dev")
        .name("sales_history")
        .format(aws_sdk_s3tables::types::OpenTableFormat::Iceberg)
        .send()
        .await
        .unwrap();
    let current = tables
        .get_table_metadata_location()
        .table_bucket_arn(&bucket_arn)
        .namespace("pricing_intelligence_dev")
        .name("sales_history")
        .send()
        .await
        .unwrap();
    let warehouse = current.warehouse_location().to_string();
    let metadata_dir = format!("{warehouse}/metadata");
    let location =
        format!("{metadata_dir}/00002-1c6f0d2e-7a55-4bde-8a9e-2f0c1b3d4e5f.metadata.json");
    let original = serde_json::to_vec(&metadata(&warehouse, &metadata_dir)).unwrap();
    write_object(&s3, &location, &original).await;
    // moto 5.2.5 answers with `namespace` as a string where the API has a list, which the typed SDK output
    // refuses to read; the update itself is made (our executor reads the raw JSON and does not mind).
    let updated = tables
        .update_table_metadata_location()
        .table_bucket_arn(&bucket_arn)
        .namespace("pricing_intelligence_dev")
        .name("sales_history")
        .version_token(current.version_token())
        .metadata_location(&location)
        .send()
        .await;
    if let Err(error) = updated {
        let status = error.raw_response().map(|r| r.status().as_u16());
        assert_eq!(status, Some(200), "{error:?}");
    }
    let aws = Arc::new(moto.aws().await);
    let table = json!({
        "TableBucketARN": bucket_arn,
        "Namespace": "pricing_intelligence_dev",
        "Name": "sales_history",
    });

    let listing = action(aws.clone(), "s3tables.iceberg_snapshots", table.clone())
        .await
        .unwrap();
    assert_listing(&listing, &location);

    let mut unknown = table.clone();
    unknown["SnapshotId"] = json!(S1 + 1);
    let error = action(aws.clone(), "s3tables.iceberg_rollback", unknown)
        .await
        .unwrap_err();
    assert_eq!(error.code, "SnapshotNotFound");
    assert!(error.message.contains(&S1.to_string()), "{error}");

    let mut rollback = table.clone();
    rollback["SnapshotId"] = json!(S1);
    let output = action(aws.clone(), "s3tables.iceberg_rollback", rollback)
        .await
        .unwrap();
    let new_location = output["MetadataLocation"].as_str().unwrap().to_string();
    assert_eq!(
        (&output["PreviousSnapshotId"], &output["SnapshotId"]),
        (&json!(S3.to_string()), &json!(S1.to_string())),
        "{output}"
    );
    assert!(
        new_location.starts_with(&format!("{metadata_dir}/00003-")),
        "{new_location}"
    );
    assert_eq!(read_object(&s3, &location).await, original);
    let old: Map<String, Value> = serde_json::from_slice(&original).unwrap();
    let new: Map<String, Value> =
        serde_json::from_slice(&read_object(&s3, &new_location).await).unwrap();
    assert_rolled_back(&old, &new, &location, S1);

    let pointer = tables
        .get_table_metadata_location()
        .table_bucket_arn(&bucket_arn)
        .namespace("pricing_intelligence_dev")
        .name("sales_history")
        .send()
        .await
        .unwrap();
    assert_eq!(pointer.metadata_location(), Some(new_location.as_str()));

    let listing = action(aws, "s3tables.iceberg_snapshots", table)
        .await
        .unwrap();
    assert_eq!(listing["CurrentSnapshotId"], S1.to_string());
}
