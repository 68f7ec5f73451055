//! S3 actions against the emulator, through the engine's own executors. State is seeded and checked with the
//! aws-sdk-s3 crate directly.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use crate::support::s3_objects::create_bucket;
use aws_sdk_s3::primitives::ByteStream;
use runbook::engine::{ActionContext, Silent, invoke};
use serde_json::json;

/// The SDK client for seeding, path-style like ours (moto has no virtual-host DNS).
async fn sdk(moto: &Moto) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&moto.sdk_config().await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn put(sdk: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str, content_type: &str) {
    sdk.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .content_type(content_type)
        .metadata("owner", "runbook")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn listings_keep_lists_as_lists() {
    let moto = Moto::shared();
    let sdk = sdk(moto).await;
    create_bucket(&sdk, "list-me").await;
    create_bucket(&sdk, "list-me-empty").await;
    put(&sdk, "list-me", "data/a.json", "{}", "application/json").await;
    put(&sdk, "list-me", "data/b.txt", "bee", "text/plain").await;
    put(&sdk, "list-me", "top.txt", "top", "text/plain").await;
    let aws = Arc::new(moto.aws().await);

    let buckets = action(aws.clone(), "s3.ListBuckets", json!({}))
        .await
        .unwrap();
    let names: Vec<&str> = buckets["Buckets"]
        .as_array()
        .unwrap_or_else(|| panic!("{buckets}"))
        .iter()
        .map(|b| b["Name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"list-me") && names.contains(&"list-me-empty"),
        "{buckets}"
    );

    let listing = action(
        aws.clone(),
        "s3.ListObjectsV2",
        json!({"Bucket": "list-me", "Prefix": "data/"}),
    )
    .await
    .unwrap();
    let keys: Vec<&str> = listing["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["data/a.json", "data/b.txt"], "{listing}");
    assert_eq!(listing["KeyCount"], "2");
    assert_eq!(listing["Contents"][1]["Size"], "3");

    // One object is still a list; so is none.
    let one = action(
        aws.clone(),
        "s3.ListObjectsV2",
        json!({"Bucket": "list-me", "Prefix": "top", "MaxKeys": 5}),
    )
    .await
    .unwrap();
    assert_eq!(one["Contents"].as_array().map(Vec::len), Some(1), "{one}");
    let delimited = action(
        aws.clone(),
        "s3.ListObjectsV2",
        json!({"Bucket": "list-me", "Delimiter": "/"}),
    )
    .await
    .unwrap();
    assert_eq!(
        delimited["CommonPrefixes"],
        json!([{"Prefix": "data/"}]),
        "{delimited}"
    );
    let empty = action(
        aws.clone(),
        "s3.ListObjectsV2",
        json!({"Bucket": "list-me-empty"}),
    )
    .await
    .unwrap();
    assert_eq!(empty["KeyCount"], "0", "{empty}");
    assert!(
        empty
            .get("Contents")
            .is_none_or(|c| c.as_array().is_some_and(Vec::is_empty)),
        "{empty}"
    );

    let missing = action(aws, "s3.ListObjectsV2", json!({"Bucket": "no-such-bucket"}))
        .await
        .unwrap_err();
    assert_eq!(missing.code, "NoSuchBucket");
    assert_eq!(missing.status, Some(404));
}

#[tokio::test]
async fn object_versions_are_listed() {
    let moto = Moto::shared();
    let sdk = sdk(moto).await;
    create_bucket(&sdk, "versions-me").await;
    sdk.put_bucket_versioning()
        .bucket("versions-me")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    put(&sdk, "versions-me", "k", "one", "text/plain").await;
    put(&sdk, "versions-me", "k", "two", "text/plain").await;
    sdk.delete_object()
        .bucket("versions-me")
        .key("k")
        .send()
        .await
        .unwrap();
    let aws = Arc::new(moto.aws().await);
    let output = action(
        aws,
        "s3.ListObjectVersions",
        json!({"Bucket": "versions-me"}),
    )
    .await
    .unwrap();
    assert_eq!(
        output["Version"].as_array().map(Vec::len),
        Some(2),
        "{output}"
    );
    assert_eq!(
        output["DeleteMarker"].as_array().map(Vec::len),
        Some(1),
        "{output}"
    );
    assert_eq!(output["DeleteMarker"][0]["IsLatest"], "true");
}

#[tokio::test]
async fn head_and_get_read_headers_and_bodies() {
    let moto = Moto::shared();
    let sdk = sdk(moto).await;
    create_bucket(&sdk, "get-me").await;
    let document = r#"{"restored_to": "2025-12-30T13:55:00Z", "rows": 3}"#;
    put(&sdk, "get-me", "doc.json", document, "application/json").await;
    put(&sdk, "get-me", "note.txt", "plain text", "text/plain").await;
    let aws = Arc::new(moto.aws().await);

    let head = action(aws.clone(), "s3.HeadBucket", json!({"Bucket": "get-me"}))
        .await
        .unwrap();
    assert_eq!(head["BucketRegion"], "eu-west-1", "{head}");
    let missing = action(
        aws.clone(),
        "s3.HeadBucket",
        json!({"Bucket": "get-me-not"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (missing.code.as_str(), missing.status),
        ("NotFound", Some(404))
    );

    let head = action(
        aws.clone(),
        "s3.HeadObject",
        json!({"Bucket": "get-me", "Key": "note.txt"}),
    )
    .await
    .unwrap();
    assert_eq!(head["ContentLength"], 10, "{head}");
    assert_eq!(head["ContentType"], "text/plain");
    assert_eq!(head["Metadata"], json!({"owner": "runbook"}));
    assert!(head["ETag"].as_str().unwrap().starts_with('"'), "{head}");
    let modified = head["LastModified"].as_str().unwrap();
    assert!(modified.parse::<jiff::Timestamp>().is_ok(), "{modified}");

    let json_object = action(
        aws.clone(),
        "s3.GetObject",
        json!({"Bucket": "get-me", "Key": "doc.json"}),
    )
    .await
    .unwrap();
    assert_eq!(
        json_object["Body"],
        json!({"restored_to": "2025-12-30T13:55:00Z", "rows": 3}),
        "{json_object}"
    );
    assert_eq!(json_object["ContentType"], "application/json");
    assert_eq!(json_object["ContentLength"], document.len());

    let text = action(
        aws.clone(),
        "s3.GetObject",
        json!({"Bucket": "get-me", "Key": "note.txt", "Range": "bytes=0-4"}),
    )
    .await
    .unwrap();
    assert_eq!(text["Body"], "plain", "{text}");
    assert_eq!(text["ContentRange"], "bytes 0-4/10");

    let missing = action(
        aws,
        "s3.GetObject",
        json!({"Bucket": "get-me", "Key": "absent.txt"}),
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code, "NoSuchKey");
    assert!(!missing.transient);
}

#[tokio::test]
async fn put_and_copy_write_objects() {
    let moto = Moto::shared();
    let sdk = sdk(moto).await;
    create_bucket(&sdk, "put-me").await;
    let aws = Arc::new(moto.aws().await);

    let put = action(
        aws.clone(),
        "s3.PutObject",
        json!({
            "Bucket": "put-me",
            "Key": "markers/restore.json",
            "Body": "{\"restored_to\":\"2025-12-30T13:55:00Z\"}",
            "ContentType": "application/json",
            "Metadata": {"run": "r-1"},
        }),
    )
    .await
    .unwrap();
    assert!(put["ETag"].as_str().is_some(), "{put}");
    let stored = sdk
        .get_object()
        .bucket("put-me")
        .key("markers/restore.json")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.content_type(), Some("application/json"));
    assert_eq!(
        stored
            .metadata()
            .and_then(|m| m.get("run"))
            .map(String::as_str),
        Some("r-1")
    );
    let bytes = stored.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], br#"{"restored_to":"2025-12-30T13:55:00Z"}"#);

    let copy = action(
        aws.clone(),
        "s3.CopyObject",
        json!({
            "Bucket": "put-me",
            "Key": "backups/restore.json",
            "CopySource": "put-me/markers/restore.json",
        }),
    )
    .await
    .unwrap();
    assert_eq!(copy["CopyObjectResult"]["ETag"], put["ETag"], "{copy}");
    let copied = sdk
        .get_object()
        .bucket("put-me")
        .key("backups/restore.json")
        .send()
        .await
        .unwrap();
    let bytes = copied.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], br#"{"restored_to":"2025-12-30T13:55:00Z"}"#);

    let refused = action(
        aws.clone(),
        "s3.PutObject",
        json!({"Bucket": "put-me", "Key": "x", "Body": "x", "ChecksumSHA512": "abc"}),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, "InvalidRequest");
    assert!(refused.message.contains("ChecksumSHA512"), "{refused}");

    // A plan never writes: the executor refuses before anything is sent.
    let plan = ActionContext::standalone(Some(aws), false, Arc::new(Silent));
    let spec = runbook::actions::lookup("s3.PutObject").unwrap();
    let error = invoke(
        &plan,
        spec,
        json!({"Bucket": "put-me", "Key": "plan.txt", "Body": "no"})
            .as_object()
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "WriteRefusedInPlan");
    assert!(
        sdk.head_object()
            .bucket("put-me")
            .key("plan.txt")
            .send()
            .await
            .is_err()
    );
}
