//! A fault-injecting HTTP/1.1 proxy between the code under test and the emulator.
//!
//! Point the SDK or the CLI at [`FaultProxy::endpoint`] (through `AWS_ENDPOINT_URL`, see [`FaultProxy::env`] and
//! [`FaultProxy::aws`]); every request is forwarded to moto and moto's answer is relayed unchanged, unless a rule
//! set with [`FaultProxy::inject`] says otherwise for the next N requests of an operation: a throttling error, a
//! 500, a connection dropped without an answer, or a delay before forwarding. Every request is logged with its
//! operation and outcome, so tests can assert what the emulator actually saw (`forwarded`) apart from what was
//! faulted (`faulted`).
//!
//! Plain std threads and blocking sockets: the proxy does not depend on the test's async runtime, and a
//! `#[tokio::test]` on a current-thread runtime cannot starve it. Each request is read in full, sent to moto on a
//! fresh connection with `Connection: close`, and the full response relayed; the client side keeps its
//! connection alive (the SDK's pool reuses it) unless a `Drop` fault closes it.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::moto::Moto;

/// What to do to a matching request instead of (or before) forwarding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 400 with the protocol's throttling error (`ThrottlingException` for JSON, `Throttling` for awsQuery).
    Throttle,
    /// HTTP 500 with an `InternalServerError` body in the protocol's shape.
    ServerError,
    /// The connection is closed after the request was read, without any response.
    Drop,
    /// The request is held this long, then forwarded.
    Delay(Duration),
}

/// What happened to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sent to the emulator, its answer relayed.
    Forwarded,
    /// Held for the duration, then forwarded.
    Delayed(Duration),
    Throttled,
    ServerError,
    Dropped,
    /// The emulator could not be reached or answered garbage; the client got a 502.
    UpstreamFailed,
}

impl Outcome {
    /// Whether the emulator received the request.
    pub fn reached_emulator(self) -> bool {
        matches!(self, Outcome::Forwarded | Outcome::Delayed(_))
    }

    /// Whether a fault replaced the emulator's answer.
    pub fn faulted(self) -> bool {
        matches!(
            self,
            Outcome::Throttled | Outcome::ServerError | Outcome::Dropped
        )
    }
}

/// The operation name that matches every request in [`FaultProxy::inject`].
pub const ANY: &str = "*";

struct Rule {
    operation: String,
    fault: Fault,
    remaining: usize,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    log: Vec<(String, Outcome)>,
}

struct Shared {
    upstream: String,
    state: Mutex<State>,
    stopping: AtomicBool,
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
}

pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    pub port: u16,
    shared: Arc<Shared>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on an ephemeral port of 127.0.0.1 in front of `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the proxy forwards plain HTTP only, not {upstream}"))
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::default(),
            stopping: AtomicBool::new(false),
            connections: Mutex::default(),
            next_id: AtomicU64::new(0),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("fault-proxy".into())
                .spawn(move || accept_loop(listener, shared))
                .expect("spawn the fault proxy")
        };
        FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// A proxy in front of this emulator.
    pub fn in_front_of(moto: &Moto) -> FaultProxy {
        FaultProxy::start(&moto.endpoint)
    }

    /// Answers the next `times` requests of `operation` (`DescribeTable`, `GetCallerIdentity`, `GET /path`, or
    /// [`ANY`]) with `fault`. Rules for the same operation apply in the order they were added, so
    /// `inject(op, Throttle, 1).inject(op, ServerError, 1)` throttles the first request and fails the second.
    pub fn inject(&self, operation: &str, fault: Fault, times: usize) -> &FaultProxy {
        if times > 0 {
            self.state().rules.push(Rule {
                operation: operation.to_string(),
                fault,
                remaining: times,
            });
        }
        self
    }

    /// How many injected faults are still waiting for a request of `operation` ([`ANY`]: of any operation).
    pub fn pending(&self, operation: &str) -> usize {
        self.state()
            .rules
            .iter()
            .filter(|rule| operation == ANY || rule.operation == operation)
            .map(|rule| rule.remaining)
            .sum()
    }

    /// Every request of `operation` the proxy received, faulted or not.
    pub fn count(&self, operation: &str) -> usize {
        self.count_where(operation, |_| true)
    }

    /// Requests of `operation` that reached the emulator.
    pub fn forwarded(&self, operation: &str) -> usize {
        self.count_where(operation, Outcome::reached_emulator)
    }

    /// Requests of `operation` answered (or dropped) by an injected fault.
    pub fn faulted(&self, operation: &str) -> usize {
        self.count_where(operation, Outcome::faulted)
    }

    /// Client connections accepted so far (keep-alive makes this smaller than the number of requests).
    pub fn connections(&self) -> u64 {
        self.shared.next_id.load(Ordering::Relaxed)
    }

    /// Every request in arrival order: its operation and what happened to it.
    pub fn log(&self) -> Vec<(String, Outcome)> {
        self.state().log.clone()
    }

    /// The outcomes of `operation`'s requests, in order.
    pub fn outcomes(&self, operation: &str) -> Vec<Outcome> {
        self.state()
            .log
            .iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, outcome)| *outcome)
            .collect()
    }

    /// The emulator's environment for the CLI, with `AWS_ENDPOINT_URL` pointing here.
    pub fn env(&self, moto: &Moto) -> Vec<(&'static str, String)> {
        let mut env = moto.env();
        for (key, value) in &mut env {
            if *key == "AWS_ENDPOINT_URL" {
                *value = self.endpoint.clone();
            }
        }
        env
    }

    /// The emulator's SDK configuration with this proxy as the endpoint.
    pub async fn sdk_config(&self, moto: &Moto) -> aws_types::SdkConfig {
        moto.sdk_config()
            .await
            .into_builder()
            .endpoint_url(&self.endpoint)
            .build()
    }

    /// Our client set, as the engine builds it (SDK retries off), sending through this proxy.
    pub async fn aws(&self, moto: &Moto) -> runbook::aws::Aws {
        runbook::aws::Aws::from_sdk_config(self.sdk_config(moto).await)
    }

    fn count_where(&self, operation: &str, keep: impl Fn(Outcome) -> bool) -> usize {
        self.state()
            .log
            .iter()
            .filter(|(op, outcome)| (operation == ANY || op == operation) && keep(*outcome))
            .count()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor, then close every client connection so their threads end.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let connections = std::mem::take(
            &mut *self
                .shared
                .connections
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for stream in connections.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            shared.connections.lock().unwrap().insert(id, clone);
        }
        let shared = shared.clone();
        let _ = thread::Builder::new()
            .name(format!("fault-proxy-{id}"))
            .spawn(move || {
                let _ = serve(&stream, &shared);
                let _ = stream.shutdown(Shutdown::Both);
                shared.connections.lock().unwrap().remove(&id);
            });
    }
}

/// One HTTP message as read off a socket: the start line, the headers, the body exactly as framed on the wire
/// (chunked stays chunked) and the decoded body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    wire_body: Vec<u8>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .flat_map(|(_, value)| value.split(','))
            .any(|part| part.trim().eq_ignore_ascii_case(token))
    }
}

/// Serves requests on one client connection until it closes, asks to close, or a fault drops it.
fn serve(stream: &TcpStream, shared: &Shared) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream.try_clone()?;
    loop {
        let Some((start, headers)) = read_head(&mut reader)? else {
            return Ok(());
        };
        let mut parts = start.split(' ');
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let version = parts.next().unwrap_or_default().to_string();
        let mut request = Message {
            start,
            headers,
            wire_body: Vec::new(),
            body: Vec::new(),
        };
        if request.has_token("expect", "100-continue") {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        read_request_body(&mut reader, &mut request)?;
        let keep_alive = if version == "HTTP/1.0" {
            request.has_token("connection", "keep-alive")
        } else {
            !request.has_token("connection", "close")
        };

        let operation = operation(&method, &target, &request);
        let (fault, index) = {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            let fault = state
                .rules
                .iter_mut()
                .find(|rule| rule.operation == ANY || rule.operation == operation)
                .map(|rule| {
                    rule.remaining -= 1;
                    rule.fault
                });
            state.rules.retain(|rule| rule.remaining > 0);
            let outcome = match fault {
                None => Outcome::Forwarded,
                Some(Fault::Delay(duration)) => Outcome::Delayed(duration),
                Some(Fault::Throttle) => Outcome::Throttled,
                Some(Fault::ServerError) => Outcome::ServerError,
                Some(Fault::Drop) => Outcome::Dropped,
            };
            state.log.push((operation.clone(), outcome));
            (fault, state.log.len() - 1)
        };

        let response = match fault {
            Some(Fault::Drop) => return Ok(()),
            Some(Fault::Throttle) => error_response(&request, 400, index, Error::Throttling),
            Some(Fault::ServerError) => error_response(&request, 500, index, Error::Internal),
            Some(Fault::Delay(duration)) => {
                thread::sleep(duration);
                forward(shared, &method, &request)
            }
            None => forward(shared, &method, &request),
        };
        let response = response.unwrap_or_else(|error| {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            state.log[index].1 = Outcome::UpstreamFailed;
            let body = format!("fault proxy: the emulator failed: {error}\n").into_bytes();
            Message {
                start: "HTTP/1.1 502 Bad Gateway".into(),
                headers: vec![
                    ("Content-Type".into(), "text/plain".into()),
                    ("Content-Length".into(), body.len().to_string()),
                ],
                wire_body: body.clone(),
                body,
            }
        });

        let mut out = Vec::with_capacity(response.wire_body.len() + 512);
        out.extend_from_slice(response.start.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (key, value) in &response.headers {
            if is_hop_by_hop(key) {
                continue;
            }
            out.extend_from_slice(format!("{key}: {value}\r\n").as_bytes());
        }
        if !keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&response.wire_body);
        writer.write_all(&out)?;
        writer.flush()?;
        if !keep_alive {
            return Ok(());
        }
    }
}

fn is_hop_by_hop(name: &str) -> bool {
    ["connection", "keep-alive", "proxy-connection"]
        .iter()
        .any(|hop| name.eq_ignore_ascii_case(hop))
}

/// A message's start line and headers.
type Head = (String, Vec<(String, String)>);

/// The start line and headers, or `None` at a clean end of stream before any byte of a new message.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut start = String::new();
    loop {
        start.clear();
        if reader.read_line(&mut start)? == 0 {
            return Ok(None);
        }
        // Tolerate stray empty lines between messages (RFC 9112 §2.2).
        if !start.trim().is_empty() {
            break;
        }
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "end of stream inside the headers",
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a header without ':'"))?;
        headers.push((key.trim().to_string(), value.trim().to_string()));
    }
    Ok(Some((start.trim_end().to_string(), headers)))
}

fn read_request_body(reader: &mut impl BufRead, message: &mut Message) -> io::Result<()> {
    if message.has_token("transfer-encoding", "chunked") {
        read_chunked(reader, message)
    } else if let Some(length) = content_length(message)? {
        message.body = vec![0; length];
        reader.read_exact(&mut message.body)?;
        message.wire_body = message.body.clone();
        Ok(())
    } else {
        Ok(())
    }
}

fn content_length(message: &Message) -> io::Result<Option<usize>> {
    message
        .header("content-length")
        .map(|value| {
            value
                .trim()
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a bad Content-Length"))
        })
        .transpose()
}

/// Reads a chunked body: `wire_body` keeps the framing byte for byte, `body` gets the data.
fn read_chunked(reader: &mut impl BufRead, message: &mut Message) -> io::Result<()> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "end of stream inside a chunked body",
            ));
        }
        message.wire_body.extend_from_slice(line.as_bytes());
        let size = line.trim_end().split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a bad chunk size"))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "end of stream inside chunked trailers",
                    ));
                }
                message.wire_body.extend_from_slice(trailer.as_bytes());
                if trailer.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        message.body.extend_from_slice(&chunk[..size]);
        message.wire_body.extend_from_slice(&chunk);
    }
}

/// Sends the request to the emulator on a fresh connection and reads its whole answer.
fn forward(shared: &Shared, method: &str, request: &Message) -> io::Result<Message> {
    let upstream = TcpStream::connect(&shared.upstream)?;
    upstream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut out = Vec::with_capacity(request.wire_body.len() + 1024);
    out.extend_from_slice(request.start.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (key, value) in &request.headers {
        if is_hop_by_hop(key) {
            continue;
        }
        out.extend_from_slice(format!("{key}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&request.wire_body);
    (&upstream).write_all(&out)?;

    let mut reader = BufReader::new(&upstream);
    loop {
        let (start, headers) = read_head(&mut reader)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the emulator closed the connection without answering",
            )
        })?;
        let status: u16 = start
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a bad status line"))?;
        let mut response = Message {
            start,
            headers,
            wire_body: Vec::new(),
            body: Vec::new(),
        };
        if (100..200).contains(&status) {
            // Interim answers (100 Continue): the client already had ours.
            continue;
        }
        if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 {
            return Ok(response);
        }
        if response.has_token("transfer-encoding", "chunked") {
            read_chunked(&mut reader, &mut response)?;
        } else if let Some(length) = content_length(&response)? {
            response.body = vec![0; length];
            reader.read_exact(&mut response.body)?;
            response.wire_body = response.body.clone();
        } else {
            // Delimited by the end of the connection: give the client a length so its connection can live on.
            reader.read_to_end(&mut response.body)?;
            response.wire_body = response.body.clone();
            response
                .headers
                .push(("Content-Length".into(), response.body.len().to_string()));
        }
        return Ok(response);
    }
}

/// `X-Amz-Target: DynamoDB_20120810.DescribeTable` → `DescribeTable`; an awsQuery `Action=` (body or query
/// string); else `METHOD /path`.
fn operation(method: &str, target: &str, request: &Message) -> String {
    if let Some(amz_target) = request.header("x-amz-target") {
        return amz_target
            .rsplit('.')
            .next()
            .unwrap_or(amz_target)
            .to_string();
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let form = if is_form(request) {
        String::from_utf8_lossy(&request.body).into_owned()
    } else {
        String::new()
    };
    for pairs in [form.as_str(), query] {
        if let Some(action) = pairs
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "Action")
            .map(|(_, value)| value)
        {
            return action.to_string();
        }
    }
    format!("{method} {path}")
}

fn is_form(request: &Message) -> bool {
    request
        .header("content-type")
        .is_some_and(|value| value.contains("x-www-form-urlencoded"))
}

enum Error {
    Throttling,
    Internal,
}

/// An AWS error in the request's protocol: awsQuery XML for form bodies, JSON for `X-Amz-Target` or JSON
/// bodies, else restXml's `<Error>` with the code in `x-amzn-ErrorType` too (which restJson clients read).
fn error_response(
    request: &Message,
    status: u16,
    index: usize,
    error: Error,
) -> io::Result<Message> {
    let request_id = format!("fault-proxy-{index:08}");
    let (json_code, query_code, query_type, message) = match error {
        Error::Throttling => (
            "ThrottlingException",
            "Throttling",
            "Sender",
            "Rate exceeded",
        ),
        Error::Internal => (
            "InternalServerError",
            "InternalServerError",
            "Receiver",
            "Internal server error (injected by the fault proxy)",
        ),
    };
    let json = request.header("x-amz-target").is_some()
        || request
            .header("content-type")
            .is_some_and(|value| value.contains("json"));
    let (content_type, body, mut headers) = if is_form(request) {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{query_type}</Type><Code>{query_code}</Code>\
                 <Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ),
            vec![],
        )
    } else if json {
        (
            "application/x-amz-json-1.0",
            serde_json::json!({"__type": json_code, "message": message}).to_string(),
            vec![],
        )
    } else {
        (
            "application/xml",
            format!(
                "<Error><Code>{json_code}</Code><Message>{message}</Message>\
                 <RequestId>{request_id}</RequestId></Error>"
            ),
            vec![("x-amzn-ErrorType".to_string(), json_code.to_string())],
        )
    };
    let reason = if status == 400 {
        "Bad Request"
    } else {
        "Internal Server Error"
    };
    headers.extend([
        ("Content-Type".to_string(), content_type.to_string()),
        ("Content-Length".to_string(), body.len().to_string()),
        ("x-amzn-RequestId".to_string(), request_id),
    ]);
    Ok(Message {
        start: format!("HTTP/1.1 {status} {reason}"),
        headers,
        wire_body: body.clone().into_bytes(),
        body: body.into_bytes(),
    })
}
