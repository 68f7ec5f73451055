//! S3 objects the tests read and write by their `s3://bucket/key` location (Iceberg metadata files above all), on
//! the emulator through the SDK, path-style as the emulator serves buckets.

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Map, Value};

use super::moto::Moto;

/// An S3 client on the emulator.
pub async fn s3(moto: &Moto) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&moto.sdk_config().await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The bucket and key of an `s3://bucket/key` location.
fn bucket_and_key(location: &str) -> (&str, &str) {
    location
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_else(|| panic!("{location} is not an s3://bucket/key location"))
}

/// The bytes of the object at `location`.
pub async fn read_object(s3: &aws_sdk_s3::Client, location: &str) -> Vec<u8> {
    let (bucket, key) = bucket_and_key(location);
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("read {location}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

/// Writes `body` as the object at `location`.
pub async fn write_object(s3: &aws_sdk_s3::Client, location: &str, body: &[u8]) {
    let (bucket, key) = bucket_and_key(location);
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("write {location}: {e:?}"));
}

/// The Iceberg metadata file at `location`, parsed (serde_json keeps every i64 exact).
pub async fn read_metadata(moto: &Moto, location: &str) -> Map<String, Value> {
    let body = read_object(&s3(moto).await, location).await;
    match serde_json::from_slice(&body) {
        Ok(Value::Object(metadata)) => metadata,
        other => panic!("{location} is not a JSON object: {other:?}"),
    }
}

/// Makes bucket `name` in the emulator's region (eu-west-1, which needs a location constraint).
pub async fn create_bucket(sdk: &aws_sdk_s3::Client, name: &str) {
    sdk.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
}
