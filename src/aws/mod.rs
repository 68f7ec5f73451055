//! Layer 3, the AWS transport: one [`AwsOp`] per API operation, sent through the AWS SDK for Rust.
//!
//! The SDK gives us what production needs and we must not rebuild: the credential chain, profiles, regions,
//! endpoint resolution (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), SigV4 signing and the HTTPS stack.
//! What it cannot give us is JSON: no service crate serializes its types. So each operation is sent through its
//! typed client method, but two interceptors bracket it: [`ReplaceBody`] puts our request body (the runbook's
//! `with:` members, in the API's own names, encoded for the service's wire protocol) in place of the one the
//! typed builder serialized, before signing; [`Capture`] keeps the raw response. The typed output is dropped and
//! the raw body, in the API's own shape and member names, becomes the step's result. An operation is one
//! [`aws_op!`] line (in a registry row, or here when code sends it itself), not a page of field copying.
//!
//! The SDK's own retries are off: the engine retries ([`crate::engine`]) so every attempt is visible.

pub mod athena;
mod call_error;
pub mod cloudformation;
pub mod cloudwatch;
pub mod costexplorer;
pub mod dynamodb;
pub mod dynamodbstreams;
pub mod eventbridge;
pub mod glue;
pub mod http_stub;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod protocol;
pub mod s3;
pub mod sfn;
pub mod sns;
pub mod sqs;
pub mod sts;
pub mod stub;
pub mod wire_reply;
pub mod xml;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::{Map, Value};

pub use crate::foundation::effect::Effect;
pub use call_error::{
    CONNECTION_REFUSED, CallError, CallErrorKind, is_refused_connection, is_throttling_code,
    is_transient_code, retried_codes, was_not_processed,
};
pub use protocol::Protocol;

/// Where to find AWS: the command line's `--profile`, `--region` and `--endpoint-url`, each falling back to
/// the SDK's standard chain (environment, shared config files, instance metadata).
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// The loaded configuration and one lazily built client per service.
pub struct Aws {
    config: aws_types::SdkConfig,
    clients: Clients,
    s3: OnceLock<aws_sdk_s3::Client>,
    /// `runbook test`'s script, which answers plain HTTP requests too ([`Aws::stubbed`]).
    responder: Option<Arc<dyn stub::Responder>>,
}

macro_rules! clients {
    ($($field:ident: $krate:ident),* $(,)?) => {
        #[derive(Default)]
        struct Clients { $($field: OnceLock<$krate::Client>,)* }

        impl Aws {
            $(
                pub fn $field(&self) -> &$krate::Client {
                    self.clients.$field.get_or_init(|| $krate::Client::new(&self.config))
                }
            )*
        }
    };
}

clients! {
    athena: aws_sdk_athena,
    cloudformation: aws_sdk_cloudformation,
    cloudwatch: aws_sdk_cloudwatch,
    logs: aws_sdk_cloudwatchlogs,
    costexplorer: aws_sdk_costexplorer,
    dynamodb: aws_sdk_dynamodb,
    dynamodbstreams: aws_sdk_dynamodbstreams,
    eventbridge: aws_sdk_eventbridge,
    glue: aws_sdk_glue,
    kms: aws_sdk_kms,
    lambda: aws_sdk_lambda,
    sns: aws_sdk_sns,
    sfn: aws_sdk_sfn,
    sqs: aws_sdk_sqs,
    sts: aws_sdk_sts,
    s3tables: aws_sdk_s3tables,
}

impl Aws {
    /// Loads the standard chain once per run. Fails only when no region can be found.
    pub async fn load(settings: &AwsSettings) -> Result<Aws, String> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .build(),
            );
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &settings.region {
            loader = loader.region(aws_types::region::Region::new(region.clone()));
        }
        if let Some(endpoint) = &settings.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(
                "no AWS region: pass --region, set AWS_REGION, or name one in your AWS profile"
                    .into(),
            );
        }
        Ok(Aws {
            config,
            clients: Clients::default(),
            s3: OnceLock::new(),
            responder: None,
        })
    }

    /// Wraps a configuration built elsewhere (tests, embedding). The SDK's retries are switched off here too.
    pub fn from_sdk_config(config: aws_types::SdkConfig) -> Aws {
        let config = config
            .into_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Aws {
            config,
            clients: Clients::default(),
            s3: OnceLock::new(),
            responder: None,
        }
    }

    pub fn region(&self) -> &str {
        self.config.region().map(|r| r.as_ref()).unwrap_or("")
    }

    /// The endpoint override in force, if any (`--endpoint-url` or `AWS_ENDPOINT_URL`).
    pub fn endpoint_url(&self) -> Option<&str> {
        self.config.endpoint_url()
    }

    /// S3 with an endpoint override (a local emulator) needs path-style addressing: `bucket.127.0.0.1` resolves
    /// nowhere.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            let mut builder = aws_sdk_s3::config::Builder::from(&self.config);
            if self.config.endpoint_url().is_some() {
                builder = builder.force_path_style(true);
            }
            aws_sdk_s3::Client::from_conf(builder.build())
        })
    }
}

/// One AWS API operation: the unit the engine retries, journals and (in plans) refuses when it writes.
pub struct AwsOp {
    /// The service's name as actions spell it: `dynamodb`, `sqs`, `lambda`, ...
    pub service: &'static str,
    /// The API operation, e.g. `DescribeTable`.
    pub operation: &'static str,
    pub effect: Effect,
    pub protocol: Protocol,
    /// Sends the operation with `body` as its wire body (already encoded for the protocol) and `capture`
    /// attached. Only [`call`] reaches this, which is what makes plan mode's refusal of writes hold.
    send: SendFn,
}

/// See [`AwsOp::send`].
pub type SendFn = for<'a> fn(&'a Aws, Request, Capture) -> BoxFuture<'a, Result<(), CallError>>;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl AwsOp {
    pub const fn new(
        service: &'static str,
        operation: &'static str,
        effect: Effect,
        protocol: Protocol,
        send: SendFn,
    ) -> AwsOp {
        AwsOp {
            service,
            operation,
            effect,
            protocol,
            send,
        }
    }

    pub fn name(&self) -> String {
        format!("{}.{}", self.service, self.operation)
    }
}

impl std::fmt::Debug for AwsOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsOp({}.{})", self.service, self.operation)
    }
}

/// What a send function gets: the members of the request (for label and query members that the typed builder
/// must place in the URL) and the encoded body that replaces whatever the builder serialized.
#[derive(Clone, Debug)]
pub struct Request {
    pub input: Map<String, Value>,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<&'static str>,
}

impl Request {
    pub fn str(&self, member: &str) -> Option<String> {
        match self.input.get(member)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    pub fn i32(&self, member: &str) -> Option<i32> {
        match self.input.get(member)? {
            Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// A member the typed builder takes as an SDK enum (Lambda's `InvocationType`). Every SDK enum converts from
    /// any text (unknown values become its `Unknown` variant), so AWS, not we, judges the value.
    pub fn enum_value<T: for<'s> From<&'s str>>(&self, member: &str) -> Option<T> {
        self.str(member).map(|text| T::from(text.as_str()))
    }

    pub fn i64(&self, member: &str) -> Option<i64> {
        match self.input.get(member)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn bool(&self, member: &str) -> Option<bool> {
        match self.input.get(member)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// An RFC 3339 text (what [`crate::engine`] renders timestamps to for XML protocols) or epoch seconds.
    pub fn timestamp(&self, member: &str) -> Option<aws_smithy_types::DateTime> {
        match self.input.get(member)? {
            Value::String(s) => aws_smithy_types::DateTime::from_str(
                s,
                aws_smithy_types::date_time::Format::DateTime,
            )
            .ok(),
            Value::Number(n) => n.as_f64().map(aws_smithy_types::DateTime::from_secs_f64),
            _ => None,
        }
    }

    /// A list of strings as SDK values (enums or `String`).
    pub fn list_as<T: for<'a> From<&'a str>>(&self, member: &str) -> Option<Vec<T>> {
        match self.input.get(member)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => T::from(s.as_str()),
                        other => T::from(other.to_string().as_str()),
                    })
                    .collect(),
            ),
            Value::String(s) => Some(vec![T::from(s.as_str())]),
            _ => None,
        }
    }

    /// A map of strings (S3 `Metadata`); non-string values are sent as their JSON text.
    pub fn string_map(&self, member: &str) -> Option<std::collections::HashMap<String, String>> {
        match self.input.get(member)? {
            Value::Object(map) => Some(
                map.iter()
                    .map(|(key, value)| {
                        let text = match value {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (key.clone(), text)
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// A payload member (S3 PutObject `Body`): text as its UTF-8 bytes, any other JSON value serialized.
    pub fn byte_stream(&self, member: &str) -> Option<aws_smithy_types::byte_stream::ByteStream> {
        let bytes = match self.input.get(member)? {
            Value::String(s) => s.clone().into_bytes(),
            Value::Null => return None,
            other => other.to_string().into_bytes(),
        };
        Some(aws_smithy_types::byte_stream::ByteStream::from(bytes))
    }

    /// The interceptor that puts this request's body on the wire, if it has one.
    pub fn replace_body(&self) -> ReplaceBody {
        ReplaceBody {
            body: self.body.clone(),
            content_type: self.content_type,
            path: None,
            remove_headers: &[],
        }
    }
}

/// The outcome of one attempt, as the engine sees it.
#[derive(Clone, Debug)]
pub struct Reply {
    pub output: Value,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

/// Sends one attempt of `op` with `input` and turns whatever came back into a [`Reply`] or a [`CallError`] that
/// names `op`. The caller (the engine) decides about retries; this never retries.
pub async fn call(
    aws: &Aws,
    op: &AwsOp,
    input: Map<String, Value>,
    allow_writes: bool,
) -> Result<Reply, CallError> {
    send_once(aws, op, input, allow_writes)
        .await
        .map_err(|error| error.in_call(op.service, op.operation))
}

async fn send_once(
    aws: &Aws,
    op: &AwsOp,
    input: Map<String, Value>,
    allow_writes: bool,
) -> Result<Reply, CallError> {
    if op.effect == Effect::Write && !allow_writes {
        // Plans never reach a write. The engine does not schedule write steps in a plan; this is the second lock.
        return Err(CallError::not_sent(
            "WriteRefusedInPlan",
            format!("{} changes state and a plan never sends it", op.name()),
        ));
    }
    let request = op
        .protocol
        .encode(op.operation, &input)
        .map_err(CallError::invalid_request)?;
    let capture = Capture::default();
    let sent = stub::announce(op, &input, (op.send)(aws, request, capture.clone())).await;
    let exchange = capture.take();
    match (exchange, sent) {
        (Some(exchange), _) => op.protocol.decode(op.operation, exchange),
        // The SDK's failure (or our own refusal before it), already told apart in `CallError::from`.
        (None, Err(error)) => Err(error),
        (None, Ok(())) => Err(CallError::new(
            CallErrorKind::Malformed,
            "NoResponse",
            "the SDK reported success but no response body was seen",
        )),
    }
}

/// A response as it came off the wire.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn request_id(&self) -> Option<String> {
        ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"]
            .iter()
            .find_map(|name| self.header(name))
            .map(str::to_string)
    }
}

/// Keeps the raw response of the last attempt.
#[derive(Clone, Debug, Default)]
pub struct Capture(Arc<Mutex<Option<Exchange>>>);

impl Capture {
    fn take(&self) -> Option<Exchange> {
        self.0.lock().expect("capture lock").take()
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "runbook::Capture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let body = response.body().bytes().map(<[u8]>::to_vec);
        let Some(body) = body else {
            // A streaming body (S3 GetObject): the send function reads and stores it itself.
            return Ok(());
        };
        let headers = response
            .headers()
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        *self.0.lock().expect("capture lock") = Some(Exchange {
            status: response.status().as_u16(),
            headers,
            body,
        });
        Ok(())
    }
}

impl Capture {
    /// For send functions that consume a streaming body themselves (S3 GetObject).
    pub fn store(&self, exchange: Exchange) {
        *self.0.lock().expect("capture lock") = Some(exchange);
    }
}

/// Puts our encoded body in place of the typed builder's, before signing so the signature covers it.
///
/// Where the SDK's client speaks a different wire protocol than the one we send (CloudWatch: the crate speaks
/// Smithy RPCv2 CBOR, we send awsQuery, see `cloudwatch.rs`), [`ReplaceBody::with_path`] and
/// [`ReplaceBody::without_headers`] also undo the request line and headers that belong to the crate's protocol.
#[derive(Clone, Debug)]
pub struct ReplaceBody {
    body: Option<Vec<u8>>,
    content_type: Option<&'static str>,
    /// Replaces the request's path (scheme, host and query string are kept).
    path: Option<&'static str>,
    /// Headers the typed builder set that must not go out.
    remove_headers: &'static [&'static str],
}

impl ReplaceBody {
    /// Sends the request to `path` instead of the path the typed builder chose.
    pub fn with_path(mut self, path: &'static str) -> ReplaceBody {
        self.path = Some(path);
        self
    }

    /// Removes these headers (case-insensitive names) from the request before it is signed.
    pub fn without_headers(mut self, headers: &'static [&'static str]) -> ReplaceBody {
        self.remove_headers = headers;
        self
    }
}

/// `scheme://authority/old/path?query` with its path replaced.
fn replace_path(uri: &str, path: &str) -> String {
    let authority_start = uri.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = uri[authority_start..]
        .find(['/', '?'])
        .map(|i| i + authority_start)
        .unwrap_or(uri.len());
    let query = uri[path_start..].find('?').map(|i| &uri[path_start + i..]);
    format!("{}{path}{}", &uri[..path_start], query.unwrap_or(""))
}

impl Intercept for ReplaceBody {
    fn name(&self) -> &'static str {
        "runbook::ReplaceBody"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(path) = self.path {
            let uri = replace_path(request.uri(), path);
            request.set_uri(uri)?;
        }
        for header in self.remove_headers {
            request.headers_mut().remove(*header);
        }
        if let Some(body) = &self.body {
            let length = body.len();
            *request.body_mut() = SdkBody::from(body.clone());
            let headers = request.headers_mut();
            headers.insert("content-length", length.to_string());
            if let Some(content_type) = self.content_type {
                headers.insert("content-type", content_type);
            }
        }
        sign_payload_hash_for_emulators(request);
        Ok(())
    }
}

/// Over plain HTTP (a local emulator; AWS is HTTPS only), the payload's hash goes in a signed
/// `x-amz-content-sha256` header, as S3 always sends it. moto checks signatures when it enforces IAM, and
/// without that header it hashes a body of its own making for requests that carry none (Lambda's and S3
/// Tables' GETs), so it refuses every one; with it, it checks the hash the request states.
fn sign_payload_hash_for_emulators(request: &mut aws_smithy_runtime_api::http::Request) {
    use sha2::{Digest, Sha256};
    if !request.uri().starts_with("http://")
        || request.headers().contains_key("x-amz-content-sha256")
    {
        return;
    }
    let Some(bytes) = request.body().bytes() else {
        return;
    };
    let hash: String = Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    request.headers_mut().insert("x-amz-content-sha256", hash);
}

/// Declares an operation sent through a typed client method with our body in place of the builder's:
///
/// ```ignore
/// aws_op!(dynamodb.describe_table { set_table_name: str("TableName") }, "dynamodb", "DescribeTable", Read, JSON)
/// ```
///
/// The optional `{ setter: kind("Member") }` list sets members through the typed builder as well. That is needed
/// where the SDK reads a member before our body is on the wire: URI labels and query strings (restJson, restXml)
/// and endpoint parameters (DynamoDB's `TableName`). `kind` is a [`Request`] accessor: `str`, `i32` or
/// `enum_value`, and for S3 `i64`, `bool`, `timestamp`, `list_as`, `string_map`, `byte_stream`.
#[macro_export]
macro_rules! aws_op {
    ($client:ident . $method:ident $({ $($setter:ident : $kind:ident ( $member:literal )),* $(,)? })?,
     $service:literal, $operation:literal, $effect:ident, $protocol:expr) => {
        $crate::aws::AwsOp::new(
            $service,
            $operation,
            $crate::aws::Effect::$effect,
            $protocol,
            |aws, request, capture| {
                Box::pin(async move {
                    aws.$client()
                        .$method()
                        $($(.$setter(request.$kind($member)))*)?
                        .customize()
                        .interceptor(request.replace_body())
                        .interceptor(capture)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err($crate::aws::CallError::from)
                })
            },
        )
    };
}

#[cfg(test)]
mod tests {
    use super::replace_path;

    #[test]
    fn replace_path_keeps_scheme_host_and_query() {
        assert_eq!(
            replace_path(
                "https://monitoring.eu-west-1.amazonaws.com/service/GraniteServiceVersion20100801/operation/GetMetricData",
                "/"
            ),
            "https://monitoring.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            replace_path("http://127.0.0.1:5000/a/b?x=1", "/"),
            "http://127.0.0.1:5000/?x=1"
        );
        assert_eq!(
            replace_path("http://127.0.0.1:5000", "/"),
            "http://127.0.0.1:5000/"
        );
    }
}
