//! Amazon S3 operations (restXml). Every request member is a URI label, a query string parameter, a header or
//! the payload, so all of them are set through the typed builder (which also computes the body checksum S3
//! requires); none is replaced.
//!
//! Outputs keep the API's member names. Listings are the XML document as JSON (see [`super::xml`]); operations
//! whose output is headers (HeadObject, HeadBucket, PutObject, the header part of GetObject and CopyObject)
//! read them with [`Protocol::RestXmlHeaders`]: `Content-Length` is a number, `Last-Modified` RFC 3339,
//! `x-amz-meta-*` the `Metadata` map.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::Effect;
use super::protocol::{HeaderKind, HeaderKind::*, Payload};
use super::{AwsOp, CallError, Exchange, Protocol};

/// GetObject reads the whole object into the step's output; beyond this it refuses (read a `Range`).
pub const MAX_OBJECT_BYTES: i64 = 64 * 1024 * 1024;

pub type Headers = &'static [(&'static str, &'static str, HeaderKind)];

const CHECKSUMS: [(&str, &str, HeaderKind); 6] = [
    ("x-amz-checksum-crc32", "ChecksumCRC32", Text),
    ("x-amz-checksum-crc32c", "ChecksumCRC32C", Text),
    ("x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", Text),
    ("x-amz-checksum-sha1", "ChecksumSHA1", Text),
    ("x-amz-checksum-sha256", "ChecksumSHA256", Text),
    ("x-amz-checksum-type", "ChecksumType", Text),
];

const ENCRYPTION: [(&str, &str, HeaderKind); 6] = [
    ("x-amz-server-side-encryption", "ServerSideEncryption", Text),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        "SSECustomerAlgorithm",
        Text,
    ),
    (
        "x-amz-server-side-encryption-customer-key-md5",
        "SSECustomerKeyMD5",
        Text,
    ),
    (
        "x-amz-server-side-encryption-aws-kms-key-id",
        "SSEKMSKeyId",
        Text,
    ),
    (
        "x-amz-server-side-encryption-bucket-key-enabled",
        "BucketKeyEnabled",
        Boolean,
    ),
    ("x-amz-request-charged", "RequestCharged", Text),
];

/// HeadObject and GetObject.
pub const OBJECT_HEADERS: Headers = &[
    ("content-type", "ContentType", Text),
    ("content-length", "ContentLength", Integer),
    ("etag", "ETag", Text),
    ("last-modified", "LastModified", HttpDate),
    ("x-amz-version-id", "VersionId", Text),
    ("accept-ranges", "AcceptRanges", Text),
    ("content-range", "ContentRange", Text),
    ("cache-control", "CacheControl", Text),
    ("content-disposition", "ContentDisposition", Text),
    ("content-encoding", "ContentEncoding", Text),
    ("content-language", "ContentLanguage", Text),
    ("expires", "ExpiresString", Text),
    ("x-amz-delete-marker", "DeleteMarker", Boolean),
    ("x-amz-expiration", "Expiration", Text),
    ("x-amz-restore", "Restore", Text),
    ("x-amz-archive-status", "ArchiveStatus", Text),
    ("x-amz-missing-meta", "MissingMeta", Integer),
    (
        "x-amz-website-redirect-location",
        "WebsiteRedirectLocation",
        Text,
    ),
    ("x-amz-storage-class", "StorageClass", Text),
    ("x-amz-replication-status", "ReplicationStatus", Text),
    ("x-amz-mp-parts-count", "PartsCount", Integer),
    ("x-amz-tagging-count", "TagCount", Integer),
    ("x-amz-object-lock-mode", "ObjectLockMode", Text),
    (
        "x-amz-object-lock-retain-until-date",
        "ObjectLockRetainUntilDate",
        Text,
    ),
    (
        "x-amz-object-lock-legal-hold",
        "ObjectLockLegalHoldStatus",
        Text,
    ),
    CHECKSUMS[0],
    CHECKSUMS[1],
    CHECKSUMS[2],
    CHECKSUMS[3],
    CHECKSUMS[4],
    CHECKSUMS[5],
    ENCRYPTION[0],
    ENCRYPTION[1],
    ENCRYPTION[2],
    ENCRYPTION[3],
    ENCRYPTION[4],
    ENCRYPTION[5],
];

pub const BUCKET_HEADERS: Headers = &[
    ("x-amz-bucket-region", "BucketRegion", Text),
    ("x-amz-bucket-arn", "BucketArn", Text),
    ("x-amz-access-point-alias", "AccessPointAlias", Boolean),
    ("x-amz-bucket-location-type", "BucketLocationType", Text),
    ("x-amz-bucket-location-name", "BucketLocationName", Text),
];

const PUT_HEADERS: Headers = &[
    ("etag", "ETag", Text),
    ("x-amz-version-id", "VersionId", Text),
    ("x-amz-expiration", "Expiration", Text),
    ("x-amz-object-size", "Size", Integer),
    (
        "x-amz-server-side-encryption-context",
        "SSEKMSEncryptionContext",
        Text,
    ),
    CHECKSUMS[0],
    CHECKSUMS[1],
    CHECKSUMS[2],
    CHECKSUMS[3],
    CHECKSUMS[4],
    CHECKSUMS[5],
    ENCRYPTION[0],
    ENCRYPTION[1],
    ENCRYPTION[2],
    ENCRYPTION[3],
    ENCRYPTION[4],
    ENCRYPTION[5],
];

pub const COPY_HEADERS: Headers = &[
    ("x-amz-version-id", "VersionId", Text),
    ("x-amz-copy-source-version-id", "CopySourceVersionId", Text),
    ("x-amz-expiration", "Expiration", Text),
    (
        "x-amz-server-side-encryption-context",
        "SSEKMSEncryptionContext",
        Text,
    ),
    ENCRYPTION[0],
    ENCRYPTION[1],
    ENCRYPTION[2],
    ENCRYPTION[3],
    ENCRYPTION[4],
    ENCRYPTION[5],
];

/// GetObject's body is a stream the response capture never sees: this send function reads it (up to
/// [`MAX_OBJECT_BYTES`]) and stores the exchange itself; [`Payload::Body`] turns it into `Body`.
pub const GET_OBJECT: AwsOp = AwsOp::new(
    "s3",
    "GetObject",
    Effect::Read,
    Protocol::RestXmlHeaders {
        headers: OBJECT_HEADERS,
        payload: Payload::Body,
    },
    |aws, request, capture| {
        Box::pin(async move {
            let head = ResponseHead::default();
            let output = aws
                .s3()
                .get_object()
                .set_bucket(request.str("Bucket"))
                .set_key(request.str("Key"))
                .set_if_match(request.str("IfMatch"))
                .set_if_modified_since(request.timestamp("IfModifiedSince"))
                .set_if_none_match(request.str("IfNoneMatch"))
                .set_if_unmodified_since(request.timestamp("IfUnmodifiedSince"))
                .set_range(request.str("Range"))
                .set_response_cache_control(request.str("ResponseCacheControl"))
                .set_response_content_disposition(request.str("ResponseContentDisposition"))
                .set_response_content_encoding(request.str("ResponseContentEncoding"))
                .set_response_content_language(request.str("ResponseContentLanguage"))
                .set_response_content_type(request.str("ResponseContentType"))
                .set_response_expires(request.timestamp("ResponseExpires"))
                .set_version_id(request.str("VersionId"))
                .set_sse_customer_algorithm(request.str("SSECustomerAlgorithm"))
                .set_sse_customer_key(request.str("SSECustomerKey"))
                .set_sse_customer_key_md5(request.str("SSECustomerKeyMD5"))
                .set_request_payer(request.enum_value("RequestPayer"))
                .set_part_number(request.i32("PartNumber"))
                .set_expected_bucket_owner(request.str("ExpectedBucketOwner"))
                .set_checksum_mode(request.enum_value("ChecksumMode"))
                .customize()
                .interceptor(capture.clone())
                .interceptor(head.clone())
                .send()
                .await
                .map_err(CallError::from)?;
            if let Some(length) = output.content_length
                && length > MAX_OBJECT_BYTES
            {
                // The object is there and readable, only too large for a step's output: we stop reading.
                return Err(CallError::stopped(
                    "ObjectTooLarge",
                    format!(
                        "the object is {length} bytes; s3.GetObject reads at most {MAX_OBJECT_BYTES} into a \
                         step's output: read part of it with `Range: bytes=0-1048575`"
                    ),
                ));
            }
            let body = output
                .body
                .collect()
                .await
                .map_err(|error| {
                    CallError::transport(
                        "ConnectionError",
                        format!("reading the object's body: {error}"),
                    )
                    .transient()
                })?
                .into_bytes()
                .to_vec();
            let (status, headers) = head.take().unwrap_or((200, Vec::new()));
            capture.store(Exchange {
                status,
                headers,
                body,
            });
            Ok(())
        })
    },
);

/// Checksum members of the current API that this build's S3 client cannot send.
const UNSUPPORTED_PUT_MEMBERS: &[&str] = &[
    "ChecksumMD5",
    "ChecksumSHA512",
    "ChecksumXXHASH3",
    "ChecksumXXHASH64",
    "ChecksumXXHASH128",
];

/// `Body` is text (sent as UTF-8) or any other JSON value (sent serialized).
pub const PUT_OBJECT: AwsOp = AwsOp::new(
    "s3",
    "PutObject",
    Effect::Write,
    Protocol::RestXmlHeaders {
        headers: PUT_HEADERS,
        payload: Payload::Empty,
    },
    |aws, request, capture| {
        Box::pin(async move {
            if let Some(member) = UNSUPPORTED_PUT_MEMBERS
                .iter()
                .find(|member| request.input.contains_key(**member))
            {
                return Err(CallError::invalid_request(format!(
                    "`{member}` cannot be sent by this build's S3 client; leave it out (a CRC32 checksum of \
                     the body is sent and verified by S3 anyway) or use ChecksumSHA256"
                )));
            }
            aws.s3()
                .put_object()
                .set_bucket(request.str("Bucket"))
                .set_key(request.str("Key"))
                .set_body(request.byte_stream("Body"))
                .set_acl(request.enum_value("ACL"))
                .set_cache_control(request.str("CacheControl"))
                .set_content_disposition(request.str("ContentDisposition"))
                .set_content_encoding(request.str("ContentEncoding"))
                .set_content_language(request.str("ContentLanguage"))
                .set_content_length(request.i64("ContentLength"))
                .set_content_md5(request.str("ContentMD5"))
                .set_content_type(request.str("ContentType"))
                .set_checksum_algorithm(request.enum_value("ChecksumAlgorithm"))
                .set_checksum_crc32(request.str("ChecksumCRC32"))
                .set_checksum_crc32_c(request.str("ChecksumCRC32C"))
                .set_checksum_crc64_nvme(request.str("ChecksumCRC64NVME"))
                .set_checksum_sha1(request.str("ChecksumSHA1"))
                .set_checksum_sha256(request.str("ChecksumSHA256"))
                .set_expires(request.timestamp("Expires"))
                .set_if_match(request.str("IfMatch"))
                .set_if_none_match(request.str("IfNoneMatch"))
                .set_grant_full_control(request.str("GrantFullControl"))
                .set_grant_read(request.str("GrantRead"))
                .set_grant_read_acp(request.str("GrantReadACP"))
                .set_grant_write_acp(request.str("GrantWriteACP"))
                .set_write_offset_bytes(request.i64("WriteOffsetBytes"))
                .set_metadata(request.string_map("Metadata"))
                .set_server_side_encryption(request.enum_value("ServerSideEncryption"))
                .set_storage_class(request.enum_value("StorageClass"))
                .set_website_redirect_location(request.str("WebsiteRedirectLocation"))
                .set_sse_customer_algorithm(request.str("SSECustomerAlgorithm"))
                .set_sse_customer_key(request.str("SSECustomerKey"))
                .set_sse_customer_key_md5(request.str("SSECustomerKeyMD5"))
                .set_ssekms_key_id(request.str("SSEKMSKeyId"))
                .set_ssekms_encryption_context(request.str("SSEKMSEncryptionContext"))
                .set_bucket_key_enabled(request.bool("BucketKeyEnabled"))
                .set_request_payer(request.enum_value("RequestPayer"))
                .set_tagging(request.str("Tagging"))
                .set_object_lock_mode(request.enum_value("ObjectLockMode"))
                .set_object_lock_retain_until_date(request.timestamp("ObjectLockRetainUntilDate"))
                .set_object_lock_legal_hold_status(request.enum_value("ObjectLockLegalHoldStatus"))
                .set_expected_bucket_owner(request.str("ExpectedBucketOwner"))
                .customize()
                .interceptor(capture)
                .send()
                .await
                .map(|_| ())
                .map_err(CallError::from)
        })
    },
);

/// The status and headers of a response whose body is streamed (GetObject), which [`super::Capture`] skips.
#[derive(Clone, Debug, Default)]
struct ResponseHead(Arc<Mutex<Option<Head>>>);

/// A response's status and headers.
type Head = (u16, Vec<(String, String)>);

impl ResponseHead {
    fn take(&self) -> Option<Head> {
        self.0.lock().expect("response head lock").take()
    }
}

impl Intercept for ResponseHead {
    fn name(&self) -> &'static str {
        "runbook::s3::ResponseHead"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let headers = response
            .headers()
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        *self.0.lock().expect("response head lock") = Some((response.status().as_u16(), headers));
        Ok(())
    }
}
