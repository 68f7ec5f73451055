//! Iceberg snapshot composites: list a table's snapshots and roll it back to one, for tables catalogued in Glue
//! (`glue.iceberg_*`) or S3 Tables (`s3tables.iceberg_*`).
//!
//! An Iceberg table is a pointer (the catalog's metadata location) to a metadata JSON file that lists every
//! snapshot and names the current one. Listing reads the pointer and that file. Rolling back writes a new
//! metadata file beside the old one, `<version+1>-<uuid>.metadata.json`, that differs from it in exactly five
//! keys, as Iceberg's own `ManageSnapshots.setCurrentSnapshot` commit does:
//!
//! * `current-snapshot-id` and `refs.main.snapshot-id`: the target snapshot;
//! * `snapshot-log`: one more entry, the target at the new `last-updated-ms`;
//! * `metadata-log`: one more entry, the old file at its `last-updated-ms` (oldest entries dropped beyond the
//!   table's `write.metadata.previous-versions-max`, 100 by default);
//! * `last-updated-ms`: now, and always later than before.
//!
//! Then the catalog pointer is swapped with optimistic concurrency (Glue `VersionId`, S3 Tables `versionToken`):
//! if another writer committed in between, the swap fails rather than silently dropping that commit. No data or
//! manifest file is touched and the old metadata file stays as it was, so the rollback can itself be undone by
//! rolling back to the previous current snapshot.
//!
//! Snapshot ids are signed 64-bit integers, and the ids in the outputs (`CurrentSnapshotId`, `SnapshotId`,
//! `ParentId`, `PreviousSnapshotId`) are their decimal text: a JSONata engine (the runbook exported to Step
//! Functions) holds numbers as doubles and would round ids above 2^53, so no engine is given one as a number. The
//! metadata files keep them as JSON integers, as Iceberg writes them.

use serde_json::{Map, Value, json};

use crate::actions::{RunContext, glue, s3tables};
use crate::aws::{AwsOp, BoxFuture, CallError, s3};

/// The catalog calls a rollback makes, as their rows declare them.
const GLUE_GET_TABLE: &AwsOp = glue::GET_TABLE.sent();
const GLUE_UPDATE_TABLE: &AwsOp = glue::UPDATE_TABLE.sent();
const GET_TABLE_METADATA_LOCATION: &AwsOp = s3tables::GET_TABLE_METADATA_LOCATION.sent();
const UPDATE_TABLE_METADATA_LOCATION: &AwsOp = s3tables::UPDATE_TABLE_METADATA_LOCATION.sent();

/// `glue.iceberg_snapshots`: `{DatabaseName, Name, CatalogId?}`.
pub fn glue_snapshots(
    context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let table = GlueTable::get(context, &input).await?;
        let metadata = read_metadata(context, &table.location).await?;
        Ok(listing(&metadata, &table.location))
    })
}

/// `glue.iceberg_rollback`: `{DatabaseName, Name, SnapshotId, CatalogId?}`.
pub fn glue_rollback(
    context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let target = snapshot_id(&input)?;
        let table = GlueTable::get(context, &input).await?;
        let metadata = read_metadata(context, &table.location).await?;
        let name = format!("{}.{}", text(&input, "DatabaseName"), text(&input, "Name"));
        let Some(rollback) = prepare_rollback(context, &metadata, &table.location, target, &name)?
        else {
            return Ok(unchanged(&metadata, &table.location));
        };
        write_metadata(context, &rollback.location, &rollback.metadata).await?;
        let mut update = Map::new();
        if let Some(catalog) = input.get("CatalogId") {
            update.insert("CatalogId".into(), catalog.clone());
        }
        update.insert("DatabaseName".into(), json!(text(&input, "DatabaseName")));
        update.insert(
            "TableInput".into(),
            table_input(&table.table, &rollback.location, &table.location),
        );
        if let Some(version) = table.table.get("VersionId") {
            update.insert("VersionId".into(), version.clone());
        }
        context.call(GLUE_UPDATE_TABLE, update).await?;
        Ok(rollback.output(&table.location))
    })
}

/// `s3tables.iceberg_snapshots`: `{TableBucketARN, Namespace, Name}`.
pub fn s3tables_snapshots(
    context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let table = S3Table::get(context, &input).await?;
        let metadata = read_metadata(context, &table.location).await?;
        Ok(listing(&metadata, &table.location))
    })
}

/// `s3tables.iceberg_rollback`: `{TableBucketARN, Namespace, Name, SnapshotId}`.
pub fn s3tables_rollback(
    context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let target = snapshot_id(&input)?;
        let table = S3Table::get(context, &input).await?;
        let metadata = read_metadata(context, &table.location).await?;
        let name = format!("{}.{}", text(&input, "Namespace"), text(&input, "Name"));
        let Some(rollback) = prepare_rollback(context, &metadata, &table.location, target, &name)?
        else {
            return Ok(unchanged(&metadata, &table.location));
        };
        write_metadata(context, &rollback.location, &rollback.metadata).await?;
        context
            .call(
                UPDATE_TABLE_METADATA_LOCATION,
                table.address(json!({
                    "versionToken": table.version_token,
                    "metadataLocation": rollback.location,
                })),
            )
            .await?;
        Ok(rollback.output(&table.location))
    })
}

/// A Glue table as GetTable returned it, and its current metadata location.
struct GlueTable {
    table: Map<String, Value>,
    location: String,
}

impl GlueTable {
    async fn get(
        context: &dyn RunContext,
        input: &Map<String, Value>,
    ) -> Result<GlueTable, CallError> {
        let mut request = Map::new();
        for member in ["CatalogId", "DatabaseName", "Name"] {
            if let Some(value) = input.get(member) {
                request.insert(member.into(), value.clone());
            }
        }
        let output = context.call(GLUE_GET_TABLE, request).await?;
        let Some(Value::Object(table)) = output.get("Table").cloned() else {
            return Err(CallError::malformed("GetTable answered without a Table"));
        };
        let parameters = table.get("Parameters");
        let location = parameters
            .and_then(|p| p.get("metadata_location"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                let table_type = parameters
                    .and_then(|p| p.get("table_type"))
                    .and_then(Value::as_str)
                    .unwrap_or("none");
                CallError::stopped("NotAnIcebergTable", format!(
                        "Glue table {}.{} has no `metadata_location` parameter (table_type: {table_type}); \
                         only Iceberg tables have snapshots",
                        text(input, "DatabaseName"),
                        text(input, "Name")
                    ),
                )
            })?
            .to_string();
        Ok(GlueTable { table, location })
    }
}

/// Members of Glue's `TableInput`. GetTable's output has these and read-only ones (`CreateTime`, `UpdateTime`,
/// `CreatedBy`, `IsRegisteredWithLakeFormation`, `CatalogId`, `DatabaseName`, `VersionId`,
/// `FederatedTable`, `IsMultiDialectView`, `Status`, ...) that UpdateTable refuses; listing the allowed ones
/// keeps members added to the API later out as well. `ViewDefinition` is left out: Iceberg tables are not
/// multi-dialect views, and its output shape is not its input shape.
pub const TABLE_INPUT_MEMBERS: &[&str] = &[
    "Name",
    "Description",
    "Owner",
    "LastAccessTime",
    "LastAnalyzedTime",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
];

/// The table as it is, pointing at `location` and remembering `previous` (what Iceberg's Glue catalog writes).
fn table_input(table: &Map<String, Value>, location: &str, previous: &str) -> Value {
    let mut input = Map::new();
    for member in TABLE_INPUT_MEMBERS {
        let Some(value) = table.get(*member) else {
            continue;
        };
        let value = match (*member, value) {
            // GetTable's epoch seconds reached us as RFC 3339 (see `protocol.rs`); Glue wants them back.
            ("LastAccessTime" | "LastAnalyzedTime", Value::String(text)) => {
                match text.parse::<jiff::Timestamp>() {
                    Ok(time) => json!(time.as_millisecond() as f64 / 1000.0),
                    Err(_) => continue,
                }
            }
            _ => value.clone(),
        };
        input.insert(member.to_string(), value);
    }
    let parameters = input
        .entry("Parameters")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(parameters) = parameters {
        parameters.insert("metadata_location".into(), json!(location));
        parameters.insert("previous_metadata_location".into(), json!(previous));
    }
    Value::Object(input)
}

/// An S3 Tables table's current metadata location and the token that guards changing it.
struct S3Table {
    bucket_arn: String,
    namespace: String,
    name: String,
    location: String,
    version_token: String,
}

impl S3Table {
    async fn get(
        context: &dyn RunContext,
        input: &Map<String, Value>,
    ) -> Result<S3Table, CallError> {
        let mut table = S3Table {
            bucket_arn: text(input, "TableBucketARN"),
            namespace: text(input, "Namespace"),
            name: text(input, "Name"),
            location: String::new(),
            version_token: String::new(),
        };
        let output = context
            .call(GET_TABLE_METADATA_LOCATION, table.address(json!({})))
            .await?;
        table.location = output
            .get("metadataLocation")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                CallError::stopped("NoMetadataLocation", format!(
                        "S3 table {}.{} has no metadata location yet: no Iceberg commit has been made to it",
                        table.namespace, table.name
                    ),
                )
            })?
            .to_string();
        table.version_token = output
            .get("versionToken")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok(table)
    }

    /// The S3 Tables request members that name this table, plus `extra`'s.
    fn address(&self, extra: Value) -> Map<String, Value> {
        let mut request = Map::new();
        request.insert("tableBucketARN".into(), json!(self.bucket_arn));
        request.insert("namespace".into(), json!(self.namespace));
        request.insert("name".into(), json!(self.name));
        if let Value::Object(extra) = extra {
            request.extend(extra);
        }
        request
    }
}

/// `s3://bucket/key` (also `s3a://`, `s3n://`) as S3 request members.
fn s3_address(location: &str) -> Result<Map<String, Value>, CallError> {
    let rest = ["s3://", "s3a://", "s3n://"]
        .iter()
        .find_map(|scheme| location.strip_prefix(scheme))
        .ok_or_else(|| {
            CallError::stopped(
                "InvalidMetadataLocation",
                format!("metadata location {location} is not an s3:// URL"),
            )
        })?;
    let (bucket, key) = rest
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| {
            CallError::stopped(
                "InvalidMetadataLocation",
                format!("metadata location {location} names no object"),
            )
        })?;
    let mut address = Map::new();
    address.insert("Bucket".into(), json!(bucket));
    address.insert("Key".into(), json!(key));
    Ok(address)
}

async fn read_metadata(
    context: &dyn RunContext,
    location: &str,
) -> Result<Map<String, Value>, CallError> {
    if location.ends_with(".gz.metadata.json") {
        return Err(CallError::stopped(
            "UnsupportedMetadata",
            format!("{location} is gzip-compressed; compressed Iceberg metadata is not supported"),
        ));
    }
    let output = context.call(&s3::GET_OBJECT, s3_address(location)?).await?;
    let metadata = match output.get("Body") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text).map_err(|e| {
            CallError::stopped(
                "InvalidIcebergMetadata",
                format!("{location} is not JSON: {e}"),
            )
        })?,
        Some(value) => value.clone(),
        None => Value::Null,
    };
    match metadata {
        Value::Object(map) if map.contains_key("format-version") => Ok(map),
        _ => Err(CallError::stopped(
            "InvalidIcebergMetadata",
            format!("{location} is not an Iceberg table metadata file (no format-version)"),
        )),
    }
}

async fn write_metadata(
    context: &dyn RunContext,
    location: &str,
    metadata: &Map<String, Value>,
) -> Result<(), CallError> {
    let mut request = s3_address(location)?;
    let body = serde_json::to_string(metadata)
        .map_err(|e| CallError::stopped("InvalidIcebergMetadata", e.to_string()))?;
    request.insert("Body".into(), Value::String(body));
    request.insert("ContentType".into(), json!("application/json"));
    context.call(&s3::PUT_OBJECT, request).await.map(|_| ())
}

fn current_snapshot(metadata: &Map<String, Value>) -> Option<i64> {
    metadata
        .get("current-snapshot-id")
        .and_then(Value::as_i64)
        .filter(|id| *id != -1)
}

fn snapshots(metadata: &Map<String, Value>) -> Vec<&Map<String, Value>> {
    let mut snapshots: Vec<&Map<String, Value>> = metadata
        .get("snapshots")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    snapshots.sort_by_key(|snapshot| snapshot.get("timestamp-ms").and_then(Value::as_i64));
    snapshots
}

/// A snapshot id as its decimal text (see the module docs), `null` when the metadata has none.
fn id_text(id: Option<&Value>) -> Value {
    match id {
        Some(Value::Number(number)) => Value::String(number.to_string()),
        Some(Value::String(text)) => Value::String(text.clone()),
        _ => Value::Null,
    }
}

fn rfc3339(millis: Option<i64>) -> Value {
    millis
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|time| Value::String(time.to_string()))
        .unwrap_or(Value::Null)
}

/// `{CurrentSnapshotId, MetadataLocation, Snapshots: [...]}`, snapshots oldest first.
fn listing(metadata: &Map<String, Value>, location: &str) -> Value {
    let snapshots: Vec<Value> = snapshots(metadata)
        .into_iter()
        .map(|snapshot| {
            let millis = snapshot.get("timestamp-ms").and_then(Value::as_i64);
            let summary = snapshot.get("summary").cloned().unwrap_or(json!({}));
            json!({
                "SnapshotId": id_text(snapshot.get("snapshot-id")),
                "ParentId": id_text(snapshot.get("parent-snapshot-id")),
                "TimestampMs": millis,
                "Timestamp": rfc3339(millis),
                "Operation": summary.get("operation").cloned().unwrap_or(Value::Null),
                "Summary": summary,
            })
        })
        .collect();
    json!({
        "CurrentSnapshotId": current_snapshot(metadata).map(|id| id.to_string()),
        "MetadataLocation": location,
        "Snapshots": snapshots,
    })
}

/// The rolled-back metadata and where it goes.
struct Rollback {
    previous_snapshot: Option<i64>,
    target: i64,
    location: String,
    metadata: Map<String, Value>,
}

impl Rollback {
    fn output(&self, previous_location: &str) -> Value {
        json!({
            "PreviousSnapshotId": self.previous_snapshot.map(|id| id.to_string()),
            "SnapshotId": self.target.to_string(),
            "PreviousMetadataLocation": previous_location,
            "MetadataLocation": self.location,
        })
    }
}

/// A rollback to the current snapshot changes nothing and writes nothing.
fn unchanged(metadata: &Map<String, Value>, location: &str) -> Value {
    let current = current_snapshot(metadata).map(|id| id.to_string());
    json!({
        "PreviousSnapshotId": current,
        "SnapshotId": current,
        "PreviousMetadataLocation": location,
        "MetadataLocation": location,
    })
}

fn prepare_rollback(
    context: &dyn RunContext,
    metadata: &Map<String, Value>,
    location: &str,
    target: i64,
    table: &str,
) -> Result<Option<Rollback>, CallError> {
    let known = snapshots(metadata);
    if !known
        .iter()
        .any(|snapshot| snapshot.get("snapshot-id").and_then(Value::as_i64) == Some(target))
    {
        let listed: Vec<String> = known
            .iter()
            .rev()
            .take(20)
            .map(|snapshot| {
                let id = snapshot
                    .get("snapshot-id")
                    .map(Value::to_string)
                    .unwrap_or_default();
                let when = rfc3339(snapshot.get("timestamp-ms").and_then(Value::as_i64));
                let operation = snapshot
                    .get("summary")
                    .and_then(|s| s.get("operation"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                format!("{id} ({}, {operation})", when.as_str().unwrap_or("?"))
            })
            .collect();
        let known_text = if listed.is_empty() {
            "the table has no snapshots".to_string()
        } else {
            format!(
                "known snapshots, newest first{}: {}",
                if known.len() > listed.len() {
                    " (20 shown)"
                } else {
                    ""
                },
                listed.join(", ")
            )
        };
        return Err(CallError::stopped(
            "SnapshotNotFound",
            format!("snapshot {target} is not a snapshot of {table}; {known_text}"),
        ));
    }
    let previous_snapshot = current_snapshot(metadata);
    if previous_snapshot == Some(target) {
        context.log(&format!(
            "{table} is already at snapshot {target}; nothing to roll back"
        ));
        return Ok(None);
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let metadata = rolled_back(metadata, target, location, now);
    Ok(Some(Rollback {
        previous_snapshot,
        target,
        location: next_location(location, metadata_log_len(&metadata)),
        metadata,
    }))
}

fn metadata_log_len(metadata: &Map<String, Value>) -> usize {
    metadata
        .get("metadata-log")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// The metadata with `target` current; see the module docs for the five keys it changes.
fn rolled_back(
    metadata: &Map<String, Value>,
    target: i64,
    location: &str,
    now_ms: i64,
) -> Map<String, Value> {
    let mut next = metadata.clone();
    let previous_updated = metadata
        .get("last-updated-ms")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let updated = now_ms.max(previous_updated + 1);
    next.insert("current-snapshot-id".into(), json!(target));
    let refs = next
        .entry("refs")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(refs) = refs {
        let main = refs
            .entry("main")
            .or_insert_with(|| json!({"type": "branch"}));
        if let Value::Object(main) = main {
            main.insert("snapshot-id".into(), json!(target));
        }
    }
    append(
        &mut next,
        "snapshot-log",
        json!({"timestamp-ms": updated, "snapshot-id": target}),
        None,
    );
    let keep = metadata
        .get("properties")
        .and_then(|p| p.get("write.metadata.previous-versions-max"))
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()))
        .map_or(100, |max: u64| max.max(1) as usize);
    append(
        &mut next,
        "metadata-log",
        json!({"timestamp-ms": previous_updated, "metadata-file": location}),
        Some(keep),
    );
    next.insert("last-updated-ms".into(), json!(updated));
    next
}

fn append(metadata: &mut Map<String, Value>, key: &str, entry: Value, keep: Option<usize>) {
    let log = metadata
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !log.is_array() {
        *log = Value::Array(Vec::new());
    }
    if let Value::Array(items) = log {
        items.push(entry);
        if let Some(keep) = keep
            && items.len() > keep
        {
            let excess = items.len() - keep;
            items.drain(..excess);
        }
    }
}

/// `.../metadata/00042-<uuid>.metadata.json` → `.../metadata/00043-<new uuid>.metadata.json`. A file name
/// without a version number (`v3.metadata.json` of Hadoop tables, or anything else) takes its version from the
/// metadata log's length.
fn next_location(location: &str, log_len: usize) -> String {
    let (directory, file) = location.rsplit_once('/').unwrap_or(("", location));
    let version = file
        .split_once('-')
        .and_then(|(number, _)| number.parse::<u64>().ok())
        .or_else(|| {
            file.strip_prefix('v')
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(number, _)| number.parse::<u64>().ok())
        })
        .unwrap_or(log_len as u64);
    format!("{directory}/{:05}-{}.metadata.json", version + 1, uuid_v4())
}

/// A random (version 4) UUID.
fn uuid_v4() -> String {
    let bits: u128 = rand::random();
    let bits = (bits & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn snapshot_id(input: &Map<String, Value>) -> Result<i64, CallError> {
    match input.get("SnapshotId") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        CallError::invalid_request(format!(
                "`SnapshotId` must be an Iceberg snapshot id, a whole number from {} to {} (a Java long); got {}",
                i64::MIN,
                i64::MAX,
                input.get("SnapshotId").map(Value::to_string).unwrap_or_else(|| "nothing".into())
            ),
        )
    })
}

fn text(input: &Map<String, Value>, member: &str) -> String {
    match input.get(member) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> Map<String, Value> {
        json!({
            "format-version": 2,
            "last-updated-ms": 2000,
            "current-snapshot-id": 2,
            "refs": {"main": {"snapshot-id": 2, "type": "branch"}},
            "snapshots": [
                {"snapshot-id": 2, "parent-snapshot-id": 1, "timestamp-ms": 2000, "summary": {"operation": "overwrite"}},
                {"snapshot-id": 1, "timestamp-ms": 1000, "summary": {"operation": "append"}}
            ],
            "snapshot-log": [{"timestamp-ms": 1000, "snapshot-id": 1}, {"timestamp-ms": 2000, "snapshot-id": 2}],
            "metadata-log": [{"timestamp-ms": 1000, "metadata-file": "s3://b/t/metadata/00000-a.metadata.json"}],
            "properties": {"write.metadata.previous-versions-max": "1"}
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn rollback_changes_five_keys_and_keeps_time_increasing() {
        let old = metadata();
        let location = "s3://b/t/metadata/00001-b.metadata.json";
        // The clock behind the table's own last update: last-updated-ms still increases.
        let new = rolled_back(&old, 1, location, 1500);
        assert_eq!(new["current-snapshot-id"], 1);
        assert_eq!(
            new["refs"]["main"],
            json!({"snapshot-id": 1, "type": "branch"})
        );
        assert_eq!(new["last-updated-ms"], 2001);
        assert_eq!(
            new["snapshot-log"].as_array().unwrap().last().unwrap(),
            &json!({"timestamp-ms": 2001, "snapshot-id": 1})
        );
        // previous-versions-max 1 keeps only the file just replaced.
        assert_eq!(
            new["metadata-log"],
            json!([{"timestamp-ms": 2000, "metadata-file": location}])
        );
        let changed: Vec<&String> = new
            .keys()
            .filter(|key| new.get(*key) != old.get(*key))
            .collect();
        assert_eq!(
            changed,
            [
                "last-updated-ms",
                "current-snapshot-id",
                "refs",
                "snapshot-log",
                "metadata-log"
            ]
        );
    }

    #[test]
    fn listing_is_oldest_first_with_rfc3339_times() {
        let listing = listing(&metadata(), "s3://b/t/m.json");
        assert_eq!(listing["CurrentSnapshotId"], "2");
        assert_eq!(listing["Snapshots"][0]["SnapshotId"], "1");
        assert_eq!(listing["Snapshots"][0]["ParentId"], Value::Null);
        assert_eq!(listing["Snapshots"][0]["Timestamp"], "1970-01-01T00:00:01Z");
        assert_eq!(listing["Snapshots"][1]["Operation"], "overwrite");
    }

    #[test]
    fn next_location_increments_the_version() {
        let next = next_location("s3://b/t/metadata/00042-8f1c.metadata.json", 0);
        let file = next.strip_prefix("s3://b/t/metadata/").unwrap();
        assert!(
            file.starts_with("00043-") && file.ends_with(".metadata.json"),
            "{next}"
        );
        let uuid = &file[6..file.len() - ".metadata.json".len()];
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(next_location("s3://b/t/metadata/v3.metadata.json", 0).contains("/00004-"));
        assert!(next_location("s3://b/t/metadata/odd.json", 7).contains("/00008-"));
    }
}
