//! Plain HTTP requests, for health checks and service endpoints: `http.request` reads (GET, HEAD, OPTIONS only,
//! so it may run in plans), `http.send` may use any method and is a write.
//!
//! Both answer `{status, headers, body, latency_ms}`: `headers` lower-case names to values (repeated headers
//! joined with `, `), `body` the parsed JSON when the body is JSON, else its text. A step fails when the status
//! is not `expect_status`, or, without `expect_status`, when it is 5xx or 429. Connection failures, timeouts,
//! 5xx and 429 are transient: retried under the step's `retry` policy, each attempt reported; for `http.send`
//! only a refused connection (nothing was sent) or a 429 is, as for every write.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, LiteralRule, Member, Reach, opt, req};
use crate::actions::RunContext;
use crate::aws::http_stub::{
    ConnectionFailure, HttpAnswer, HttpSending, HttpTransport, UNSCRIPTED,
};
use crate::aws::stub::{Responder, current_step};
use crate::aws::{BoxFuture, CallError, Reply};

/// The members both actions take, `method` as given.
const fn members(method: Member) -> [Member; 6] {
    [
        req("url", String),
        method,
        opt("headers", Map),
        opt("body", Any),
        opt("timeout", String),
        opt("expect_status", Integer),
    ]
}

/// `http.request` is a read so that plans may run it: a literal method that changes state is refused when the
/// runbook is validated (a templated one when the request is sent).
const REQUEST_MEMBERS: [Member; 6] =
    members(opt("method", String).literal(LiteralRule::ReadOnlyMethod {
        otherwise: "http.send",
    }));

const SEND_MEMBERS: [Member; 6] = members(opt("method", String));

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "http.request",
        execute: Execute::Run(request),
        effect: Effect::Read,
        reach: Reach::Http,
        members: &REQUEST_MEMBERS,
        iam: &[],
        resource: "{url}",
        grants: &[],
        summary: "{method} {url}",
        example: "url: https://api.dev.carousellabs.co/bg-remover/health\n\
                  method: GET\n\
                  timeout: 10s\n\
                  expect_status: 200",
    },
    ActionSpec {
        name: "http.send",
        execute: Execute::Run(send),
        effect: Effect::Write,
        reach: Reach::Http,
        members: &SEND_MEMBERS,
        iam: &[],
        resource: "{url}",
        grants: &[],
        summary: "{method} {url}",
        example: "url: https://api.dev.carousellabs.co/bg-remover/cache/flush\n\
                  method: POST\n\
                  headers: {Authorization: \"Bearer {{ params.token }}\"}\n\
                  body: {tenant: carousel-labs}\n\
                  expect_status: 202",
    },
];

/// Methods that only observe, which `http.request` (a read) may send.
const READ_METHODS: &[reqwest::Method] = &[
    reqwest::Method::GET,
    reqwest::Method::HEAD,
    reqwest::Method::OPTIONS,
];

fn request(
    context: &dyn RunContext,
    input: Map<std::string::String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(perform(context, input, true))
}

fn send(
    context: &dyn RunContext,
    input: Map<std::string::String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(perform(context, input, false))
}

/// A request as the members describe it, checked before anything is sent.
struct Prepared {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: Vec<(std::string::String, std::string::String)>,
    body: Option<Vec<u8>>,
    timeout: Option<Duration>,
    expect_status: Option<u16>,
    /// `http.request` reads, `http.send` writes, whatever the method.
    effect: Effect,
}

async fn perform(
    context: &dyn RunContext,
    input: Map<std::string::String, Value>,
    read_only: bool,
) -> Result<Value, CallError> {
    let prepared = prepare(&input, read_only)?;
    // Service `http`, operation the method; the URL goes with the request, where the redactor sees it.
    let operation = format!("http.{}", prepared.method);
    let request = json!({"method": prepared.method.as_str(), "url": prepared.url.as_str()});
    let transport = context.http();
    context
        .retried(&operation, request, prepared.effect, &|| {
            Box::pin(attempt(&transport, &prepared))
        })
        .await
        .map(|reply| reply.output)
}

fn prepare(
    input: &Map<std::string::String, Value>,
    read_only: bool,
) -> Result<Prepared, CallError> {
    let url_text =
        text(input, "url").ok_or_else(|| CallError::invalid_request("`url` is required"))?;
    let url = reqwest::Url::parse(&url_text).map_err(|error| {
        CallError::invalid_request(format!("`url: {url_text}` is not a URL: {error}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CallError::invalid_request(format!(
            "`url: {url_text}` must be http:// or https://"
        )));
    }
    let method_text = text(input, "method")
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let method = reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
        CallError::invalid_request(format!("`method: {method_text}` is not an HTTP method"))
    })?;
    if read_only && !READ_METHODS.contains(&method) {
        return Err(CallError::invalid_request(format!(
            "http.request is a read and sends only GET, HEAD or OPTIONS; use http.send for {method} \
             (a write: never sent in plans)"
        )));
    }
    let mut headers = Vec::new();
    match input.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let value = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                headers.push((name.clone(), value));
            }
        }
        Some(other) => {
            return Err(CallError::invalid_request(format!(
                "`headers` must be a map of header names to values, got {other}"
            )));
        }
    }
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let body = match input.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone().into_bytes()),
        Some(value) => {
            if !has_content_type {
                headers.push(("content-type".into(), "application/json".into()));
            }
            Some(value.to_string().into_bytes())
        }
    };
    let timeout = match text(input, "timeout") {
        None => None,
        Some(written) => Some(
            crate::foundation::duration::parse(&written)
                .or_else(|| written.trim().parse::<u64>().ok().map(Duration::from_secs))
                .filter(|duration| !duration.is_zero())
                .ok_or_else(|| {
                    CallError::invalid_request(format!(
                        "`timeout: {written}` is not a duration such as 10s or 500ms"
                    ))
                })?,
        ),
    };
    let expect_status = match input.get("expect_status") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| (100..=599).contains(n))
                .ok_or_else(|| {
                    CallError::invalid_request(format!(
                        "`expect_status: {value}` is not an HTTP status code (100-599)"
                    ))
                })?,
        ),
    };
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        timeout,
        expect_status,
        effect: if read_only {
            Effect::Read
        } else {
            Effect::Write
        },
    })
}

/// A response's parts, from the network or from a `runbook test` case.
struct Received {
    status: u16,
    headers: Map<std::string::String, Value>,
    bytes: Vec<u8>,
}

async fn attempt(transport: &HttpTransport, request: &Prepared) -> Result<Reply, CallError> {
    let started = Instant::now();
    let received = match transport {
        HttpTransport::Network(client) => exchange(client, request).await?,
        HttpTransport::Scripted(responder) => scripted(responder.as_ref(), request)?,
    };
    read_response(request, received, started)
}

async fn exchange(client: &reqwest::Client, request: &Prepared) -> Result<Received, CallError> {
    let mut builder = client.request(request.method.clone(), request.url.clone());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    if let Some(timeout) = request.timeout {
        builder = builder.timeout(timeout);
    }
    let response = builder.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        let value = std::string::String::from_utf8_lossy(value.as_bytes()).into_owned();
        add_header(&mut headers, name.as_str(), value);
    }
    let bytes = response.bytes().await.map_err(transport_error)?.to_vec();
    Ok(Received {
        status,
        headers,
        bytes,
    })
}

/// Repeated headers joined with `, `, as one value.
fn add_header(
    headers: &mut Map<std::string::String, Value>,
    name: &str,
    value: std::string::String,
) {
    match headers.get_mut(name) {
        Some(Value::String(existing)) => {
            existing.push_str(", ");
            existing.push_str(&value);
        }
        _ => {
            headers.insert(name.to_string(), Value::String(value));
        }
    }
}

/// The case's answer, turned into what the network would have given: a response, or the error a failed
/// connection makes.
fn scripted(responder: &dyn Responder, request: &Prepared) -> Result<Received, CallError> {
    let sending = HttpSending {
        step: current_step(),
        method: request.method.to_string(),
        url: request.url.to_string(),
        effect: request.effect,
    };
    match responder.answer_http(&sending) {
        HttpAnswer::Response {
            status,
            headers: given,
            body: bytes,
        } => {
            let mut headers = Map::new();
            for (name, value) in given {
                add_header(&mut headers, &name.to_ascii_lowercase(), value);
            }
            Ok(Received {
                status,
                headers,
                bytes,
            })
        }
        HttpAnswer::Failed(ConnectionFailure::Refused) => {
            Err(CallError::refused_connection(format!(
                "{} {}: connection refused (scripted)",
                request.method, request.url
            )))
        }
        HttpAnswer::Failed(ConnectionFailure::Timeout) => Err(CallError::transport(
            "Timeout",
            format!(
                "{} {}: operation timed out (scripted)",
                request.method, request.url
            ),
        )
        .transient()),
        HttpAnswer::Failed(ConnectionFailure::Reset) => Err(CallError::transport(
            "ConnectionError",
            format!(
                "{} {}: connection reset (scripted)",
                request.method, request.url
            ),
        )
        .transient()),
        HttpAnswer::Unscripted { message } => Err(CallError::stopped(UNSCRIPTED, message)),
    }
}

/// The action's answer, or its failure, from a response however it was received.
fn read_response(
    request: &Prepared,
    received: Received,
    started: Instant,
) -> Result<Reply, CallError> {
    let Received {
        status,
        headers,
        bytes,
    } = received;
    let request_id = ["x-amzn-requestid", "x-amz-request-id", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(Value::as_str))
        .map(str::to_string);
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let text = std::string::String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::String(text.clone()));
    let retryable = status >= 500 || status == 429;
    let failed = match request.expect_status {
        Some(expected) => status != expected,
        None => retryable,
    };
    if failed {
        let expected = match request.expect_status {
            Some(expected) => format!(", expected {expected}"),
            None => std::string::String::new(),
        };
        let snippet: std::string::String = text.chars().take(300).collect();
        return Err(CallError::answered(
            "UnexpectedStatus",
            format!(
                "{} {} answered {status}{expected}{}{}",
                request.method,
                request.url,
                if snippet.is_empty() { "" } else { ": " },
                snippet.trim()
            ),
            status,
            request_id,
        ));
    }
    Ok(Reply {
        output: json!({
            "status": status,
            "headers": headers,
            "body": body,
            "latency_ms": latency_ms,
        }),
        status: Some(status),
        request_id,
    })
}

fn transport_error(error: reqwest::Error) -> CallError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    if error.is_timeout() {
        CallError::transport("Timeout", message).transient()
    } else if crate::aws::is_refused_connection(&error) {
        CallError::refused_connection(message)
    } else if error.is_builder() {
        CallError::invalid_request(message)
    } else if error.is_redirect() {
        CallError::transport("TooManyRedirects", message)
    } else {
        CallError::transport("ConnectionError", message).transient()
    }
}

fn text(input: &Map<std::string::String, Value>, member: &str) -> Option<std::string::String> {
    match input.get(member)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}
