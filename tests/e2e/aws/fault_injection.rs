//! Faults between us and AWS: throttling, 5xx, dropped connections and delays injected by a proxy in front of the
//! emulator (tests/e2e/support/fault_proxy.rs), and the engine's retries seen from both ends: the attempts it
//! reports and the requests the emulator actually received.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::cli::{Cli, Ran};
use crate::support::fault_proxy::{Fault, FaultProxy, Outcome};
use crate::support::moto::Moto;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use runbook::aws::{Aws, CallError, CallErrorKind};
use runbook::engine::{ActionContext, AttemptOutcome, Event, Halt, Observer, invoke};
use runbook::language::runbook::Retry;
use serde_json::{Value, json};

/// The default budget (3 attempts) with delays short enough for tests.
fn fast_retry() -> Retry {
    Retry {
        delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        ..Retry::default()
    }
}

/// Keeps every attempt the engine reports: (attempt number, error code or None for success, transient).
#[derive(Default)]
struct Attempts(Mutex<Vec<(u32, Option<String>, bool)>>);

impl Observer for Attempts {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        if let Event::Attempt {
            attempt, outcome, ..
        } = event
        {
            let entry = match outcome {
                AttemptOutcome::Ok { .. } => (*attempt, None, false),
                AttemptOutcome::Err {
                    code, transient, ..
                } => (*attempt, Some(code.clone()), *transient),
            };
            self.0.lock().unwrap().push(entry);
        }
        Ok(())
    }
}

impl Attempts {
    fn seen(&self) -> Vec<(u32, Option<String>, bool)> {
        self.0.lock().unwrap().clone()
    }
}

/// Runs one action of ours through `aws` with `retry`; returns its result, the attempts it made and what the
/// observer saw.
async fn action(
    aws: &Arc<Aws>,
    retry: Retry,
    name: &str,
    input: Value,
) -> (
    Result<Value, CallError>,
    u32,
    Vec<(u32, Option<String>, bool)>,
) {
    let observer = Arc::new(Attempts::default());
    let context =
        ActionContext::standalone(Some(aws.clone()), true, observer.clone()).with_retry(retry);
    let spec = runbook::actions::lookup(name).expect("registered");
    let result = invoke(&context, spec, input.as_object().unwrap()).await;
    (result, context.attempts(), observer.seen())
}

// The proxy itself.

#[tokio::test]
async fn the_proxy_forwards_requests_and_relays_answers_unchanged() {
    let moto = Moto::shared();
    let proxy = FaultProxy::in_front_of(moto);
    let aws = proxy.aws(moto).await;
    let sdk = aws.dynamodb();
    sdk.create_table()
        .table_name("proxied")
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let through_proxy = sdk
        .describe_table()
        .table_name("proxied")
        .send()
        .await
        .unwrap();
    let direct = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await)
        .describe_table()
        .table_name("proxied")
        .send()
        .await
        .unwrap();
    assert_eq!(
        through_proxy.table().unwrap().table_arn(),
        direct.table().unwrap().table_arn()
    );
    // The emulator's own errors pass through untouched.
    let missing = sdk
        .describe_table()
        .table_name("absent")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
    // awsQuery (a form body) is forwarded and identified by its Action too.
    let identity = aws.sts().get_caller_identity().send().await.unwrap();
    assert_eq!(identity.account(), Some("123456789012"));

    assert_eq!(
        proxy.log(),
        [
            ("CreateTable".to_string(), Outcome::Forwarded),
            ("DescribeTable".to_string(), Outcome::Forwarded),
            ("DescribeTable".to_string(), Outcome::Forwarded),
            ("GetCallerIdentity".to_string(), Outcome::Forwarded),
        ]
    );
    assert!(
        proxy.connections() < 4,
        "the client's connections are kept alive: {} for 4 requests",
        proxy.connections()
    );
    assert_eq!(proxy.count("DescribeTable"), 2);
    assert_eq!(proxy.forwarded("CreateTable"), 1);
    assert_eq!(proxy.faulted("DescribeTable"), 0);
    assert_eq!(proxy.count("ListTables"), 0);
}

/// Sends `request` on `stream` and reads one response with a Content-Length body: (status, body).
fn exchange(
    stream: &mut std::net::TcpStream,
    reader: &mut impl BufRead,
    request: &[u8],
) -> (u16, String) {
    stream.write_all(request).unwrap();
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':')
            && key.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let code = status.split(' ').nth(1).unwrap().parse().unwrap();
    (code, String::from_utf8(body).unwrap())
}

#[test]
fn the_proxy_keeps_client_connections_alive_and_forwards_chunked_bodies() {
    let proxy = FaultProxy::in_front_of(Moto::shared());
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let head = |framing: &str| {
        format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/eu-west-1/dynamodb/aws4_request, \
             SignedHeaders=host, Signature=0\r\n\
             Content-Type: application/x-amz-json-1.0\r\n{framing}\r\n",
            proxy.port
        )
    };
    let sized = format!("{}{{}}", head("Content-Length: 2\r\n"));
    let chunked = format!(
        "{}1\r\n{{\r\n1\r\n}}\r\n0\r\n\r\n",
        head("Transfer-Encoding: chunked\r\n")
    );
    for request in [&sized, &chunked, &sized] {
        let (status, body) = exchange(&mut stream, &mut reader, request.as_bytes());
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("TableNames"), "{body}");
    }
    proxy.inject("ListTables", Fault::Throttle, 1);
    let (status, body) = exchange(&mut stream, &mut reader, chunked.as_bytes());
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"__type": "ThrottlingException", "message": "Rate exceeded"})
    );
    // The connection survives a fault that answers.
    let (status, _) = exchange(&mut stream, &mut reader, sized.as_bytes());
    assert_eq!(status, 200);
    assert_eq!(proxy.connections(), 1);
    assert_eq!(proxy.count("ListTables"), 5);
    assert_eq!(proxy.forwarded("ListTables"), 4);

    // A dropped request ends the connection without a byte of answer.
    proxy.inject("ListTables", Fault::Drop, 1);
    stream.write_all(sized.as_bytes()).unwrap();
    let mut rest = Vec::new();
    assert_eq!(reader.read_to_end(&mut rest).unwrap_or(0), 0);
    assert_eq!(proxy.outcomes("ListTables")[5], Outcome::Dropped);
}

#[tokio::test]
async fn a_rule_fires_for_the_next_n_requests_of_its_operation_then_stops() {
    let moto = Moto::shared();
    let proxy = FaultProxy::in_front_of(moto);
    let aws = proxy.aws(moto).await;
    let sdk = aws.dynamodb();
    proxy.inject("ListTables", Fault::Throttle, 2);
    assert_eq!(proxy.pending("ListTables"), 2);

    // Another operation is not affected.
    sdk.describe_endpoints().send().await.unwrap();
    for _ in 0..2 {
        let error = sdk.list_tables().send().await.unwrap_err();
        assert_eq!(error.code(), Some("ThrottlingException"));
        assert_eq!(error.message(), Some("Rate exceeded"));
        assert_eq!(error.raw_response().unwrap().status().as_u16(), 400);
    }
    sdk.list_tables().send().await.unwrap();
    sdk.list_tables().send().await.unwrap();

    assert_eq!(proxy.pending("ListTables"), 0);
    assert_eq!(proxy.count("ListTables"), 4);
    assert_eq!(proxy.faulted("ListTables"), 2);
    assert_eq!(proxy.forwarded("ListTables"), 2);
    assert_eq!(
        proxy.outcomes("ListTables"),
        [
            Outcome::Throttled,
            Outcome::Throttled,
            Outcome::Forwarded,
            Outcome::Forwarded
        ]
    );
    assert_eq!(proxy.forwarded("DescribeEndpoints"), 1);

    // Rules of one operation apply in the order they were added; a delay forwards after waiting.
    proxy.inject("ListTables", Fault::ServerError, 1).inject(
        "ListTables",
        Fault::Delay(Duration::from_millis(300)),
        1,
    );
    let error = sdk.list_tables().send().await.unwrap_err();
    assert_eq!(error.code(), Some("InternalServerError"));
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 500);
    let started = Instant::now();
    sdk.list_tables().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        proxy.outcomes("ListTables")[4..],
        [
            Outcome::ServerError,
            Outcome::Delayed(Duration::from_millis(300))
        ]
    );
    assert_eq!(proxy.forwarded("ListTables"), 3);
}

#[tokio::test]
async fn query_protocol_faults_are_awsquery_errors() {
    let moto = Moto::shared();
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    let once = Retry {
        attempts: 1,
        ..fast_retry()
    };
    proxy
        .inject("GetCallerIdentity", Fault::Throttle, 1)
        .inject("GetCallerIdentity", Fault::ServerError, 1);

    let (result, _, _) = action(&aws, once, "sts.GetCallerIdentity", json!({})).await;
    let error = result.unwrap_err();
    assert_eq!(error.code, "Throttling", "{error}");
    assert_eq!(error.kind, CallErrorKind::Throttled);
    assert_eq!(
        (error.service.as_str(), error.operation.as_str()),
        ("sts", "GetCallerIdentity")
    );
    assert_eq!(error.message, "Rate exceeded");
    assert_eq!(error.status, Some(400));
    assert!(error.transient);
    assert!(
        error
            .request_id
            .as_deref()
            .is_some_and(|id| id.starts_with("fault-proxy-")),
        "{error:?}"
    );

    let (result, _, _) = action(&aws, once, "sts.GetCallerIdentity", json!({})).await;
    let error = result.unwrap_err();
    assert_eq!(error.code, "InternalServerError", "{error}");
    assert_eq!(error.kind, CallErrorKind::Unavailable);
    assert_eq!(error.status, Some(500));
    assert!(error.transient);

    let (result, attempts, _) = action(&aws, once, "sts.GetCallerIdentity", json!({})).await;
    assert_eq!(result.unwrap()["Account"], "123456789012");
    assert_eq!(attempts, 1);
    assert_eq!(proxy.count("GetCallerIdentity"), 3);
    assert_eq!(proxy.forwarded("GetCallerIdentity"), 1);
}

// The engine's retries against real faults.

#[tokio::test]
async fn two_throttles_succeed_on_the_third_attempt_of_the_default_budget() {
    let moto = Moto::shared();
    moto.create_table("throttled-twice", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy.inject("DescribeTable", Fault::Throttle, 2);

    let (result, attempts, seen) = action(
        &aws,
        fast_retry(),
        "dynamodb.DescribeTable",
        json!({"TableName": "throttled-twice"}),
    )
    .await;
    assert_eq!(result.unwrap()["Table"]["TableName"], "throttled-twice");
    assert_eq!(attempts, 3);
    let throttled = Some("ThrottlingException".to_string());
    assert_eq!(
        seen,
        [
            (1, throttled.clone(), true),
            (2, throttled, true),
            (3, None, false)
        ]
    );
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [Outcome::Throttled, Outcome::Throttled, Outcome::Forwarded]
    );
}

#[tokio::test]
async fn three_throttles_exhaust_the_default_budget() {
    let moto = Moto::shared();
    moto.create_table("throttled-thrice", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy.inject("DescribeTable", Fault::Throttle, 3);

    let (result, attempts, seen) = action(
        &aws,
        fast_retry(),
        "dynamodb.DescribeTable",
        json!({"TableName": "throttled-thrice"}),
    )
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.code, "ThrottlingException");
    assert_eq!(error.status, Some(400));
    assert!(error.transient);
    assert!(
        error.message.contains("gave up after 3 attempts"),
        "{error}"
    );
    assert_eq!(attempts, 3);
    assert_eq!(seen.len(), 3);
    assert_eq!(proxy.count("DescribeTable"), 3);
    assert_eq!(proxy.forwarded("DescribeTable"), 0);
    assert_eq!(proxy.pending("DescribeTable"), 0);
}

#[tokio::test]
async fn a_server_error_is_retried() {
    let moto = Moto::shared();
    moto.create_table("server-error-once", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy.inject("DescribeTable", Fault::ServerError, 1);

    let (result, attempts, seen) = action(
        &aws,
        fast_retry(),
        "dynamodb.DescribeTable",
        json!({"TableName": "server-error-once"}),
    )
    .await;
    assert_eq!(result.unwrap()["Table"]["TableName"], "server-error-once");
    assert_eq!(attempts, 2);
    assert_eq!(
        seen,
        [
            (1, Some("InternalServerError".to_string()), true),
            (2, None, false)
        ]
    );
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [Outcome::ServerError, Outcome::Forwarded]
    );
}

#[tokio::test]
async fn a_dropped_connection_is_transient_and_retried() {
    let moto = Moto::shared();
    moto.create_table("dropped-once", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy.inject("DescribeTable", Fault::Drop, 1);

    let (result, attempts, seen) = action(
        &aws,
        fast_retry(),
        "dynamodb.DescribeTable",
        json!({"TableName": "dropped-once"}),
    )
    .await;
    assert_eq!(result.unwrap()["Table"]["TableName"], "dropped-once");
    assert_eq!(attempts, 2);
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (number, code, transient) = &seen[0];
    assert_eq!(*number, 1);
    assert_eq!(code.as_deref(), Some("ConnectionError"), "{seen:?}");
    assert!(transient, "a dropped connection must be retried: {seen:?}");
    assert_eq!(seen[1], (2, None, false));
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [Outcome::Dropped, Outcome::Forwarded]
    );
}

#[tokio::test]
async fn a_dropped_connection_alone_fails_as_a_transient_connection_error() {
    let moto = Moto::shared();
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy.inject("DescribeTable", Fault::Drop, 1);
    let once = Retry {
        attempts: 1,
        ..fast_retry()
    };
    let (result, _, _) = action(
        &aws,
        once,
        "dynamodb.DescribeTable",
        json!({"TableName": "whatever"}),
    )
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.code, "ConnectionError", "{error:?}");
    assert_eq!(error.kind, CallErrorKind::Transport);
    assert_eq!(
        (error.service.as_str(), error.operation.as_str()),
        ("dynamodb", "DescribeTable")
    );
    assert!(error.transient, "{error:?}");
    assert_eq!(error.status, None);
}

#[tokio::test]
async fn mixed_faults_in_a_row_within_a_larger_budget() {
    let moto = Moto::shared();
    moto.create_table("mixed-faults", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy
        .inject("DescribeTable", Fault::Throttle, 1)
        .inject("DescribeTable", Fault::Drop, 1)
        .inject("DescribeTable", Fault::ServerError, 1);
    let retry = Retry {
        attempts: 4,
        ..fast_retry()
    };
    let (result, attempts, _) = action(
        &aws,
        retry,
        "dynamodb.DescribeTable",
        json!({"TableName": "mixed-faults"}),
    )
    .await;
    assert_eq!(result.unwrap()["Table"]["TableName"], "mixed-faults");
    assert_eq!(attempts, 4);
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [
            Outcome::Throttled,
            Outcome::Dropped,
            Outcome::ServerError,
            Outcome::Forwarded
        ]
    );
}

// The CLI end to end: `runbook run` through the proxy.

const FLAKY_RUNBOOK: &str = "\
name: flaky-describe
description: Describe one table over a network that throttles, fails and drops
params:
  table:
    type: string
steps:
  - id: describe
    action: dynamodb.DescribeTable
    with: {TableName: \"{{ params.table }}\"}
    retry: {attempts: 4, delay: 10ms}
";

/// `runbook --dir DIR run flaky-describe --table TABLE --yes --output json` with every AWS call sent to `proxy`.
fn run_flaky_describe(proxy: &FaultProxy, moto: &Moto, table: &str) -> Ran {
    run_runbook(proxy, moto, FLAKY_RUNBOOK, table)
}

fn run_runbook(proxy: &FaultProxy, moto: &Moto, text: &str, table: &str) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flaky-describe.yaml"), text).unwrap();
    Cli::new()
        .current_dir(dir.path())
        .dir(dir.path())
        .args(["run", "flaky-describe", "--table", table, "--yes"])
        .args(["--output", "json"])
        .envs(proxy.env(moto))
        .env_remove("AWS_PROFILE")
        .state_dir(dir.path().join("state"))
        .run()
}

fn step_attempts(run: &Ran) -> u64 {
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}\n{}", run.stdout, run.stderr));
    report["steps"][0]["attempts"]
        .as_u64()
        .unwrap_or_else(|| panic!("no attempts in {report}"))
}

#[tokio::test]
async fn cli_run_rides_out_throttles_and_a_server_error() {
    let moto = Moto::shared();
    moto.create_table("cli-throttled", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    proxy.inject("DescribeTable", Fault::Throttle, 2).inject(
        "DescribeTable",
        Fault::ServerError,
        1,
    );

    let run = run_flaky_describe(&proxy, moto, "cli-throttled");
    assert_eq!(run.code(), Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(step_attempts(&run), 4);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(
        report["steps"][0]["output"]["Table"]["TableName"],
        "cli-throttled"
    );
    for line in [
        "#1 failed",
        "#2 failed",
        "ThrottlingException",
        "#3 failed",
        "InternalServerError",
        "#4 succeeded",
    ] {
        assert!(run.stderr.contains(line), "no `{line}` in:\n{}", run.stderr);
    }
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [
            Outcome::Throttled,
            Outcome::Throttled,
            Outcome::ServerError,
            Outcome::Forwarded
        ]
    );
    assert_eq!(proxy.forwarded("DescribeTable"), 1);
}

#[tokio::test]
async fn cli_run_retries_a_dropped_connection() {
    let moto = Moto::shared();
    moto.create_table("cli-dropped", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    proxy
        .inject("DescribeTable", Fault::Drop, 1)
        .inject("DescribeTable", Fault::Throttle, 1);

    let run = run_flaky_describe(&proxy, moto, "cli-dropped");
    assert_eq!(run.code(), Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(step_attempts(&run), 3);
    assert!(run.stderr.contains("ConnectionError"), "{}", run.stderr);
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [Outcome::Dropped, Outcome::Throttled, Outcome::Forwarded]
    );
}

#[tokio::test]
async fn cli_run_fails_when_the_faults_outlast_the_retry_budget() {
    let moto = Moto::shared();
    moto.create_table("cli-exhausted", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    proxy.inject("DescribeTable", Fault::Throttle, 5);

    let run = run_flaky_describe(&proxy, moto, "cli-exhausted");
    assert_eq!(run.code(), Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(step_attempts(&run), 4);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["outcome"], "failed");
    let error = report["steps"][0]["error"].to_string();
    assert!(error.contains("ThrottlingException"), "{report}");
    assert!(error.contains("gave up after 4 attempts"), "{report}");
    assert!(run.stderr.contains("ThrottlingException"), "{}", run.stderr);
    // Four attempts, none of which reached the emulator; the fifth fault was never asked for.
    assert_eq!(proxy.count("DescribeTable"), 4);
    assert_eq!(proxy.forwarded("DescribeTable"), 0);
    assert_eq!(proxy.pending("DescribeTable"), 1);
}

#[tokio::test]
async fn cli_run_times_out_a_slow_answer_and_retries() {
    let moto = Moto::shared();
    moto.create_table("cli-slow", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    proxy.inject("DescribeTable", Fault::Delay(Duration::from_secs(5)), 1);
    let runbook = format!("{FLAKY_RUNBOOK}    timeout: 1s\n");

    let started = Instant::now();
    let run = run_runbook(&proxy, moto, &runbook, "cli-slow");
    assert_eq!(run.code(), Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(step_attempts(&run), 2);
    assert!(run.stderr.contains("Timeout"), "{}", run.stderr);
    // The slow request still reaches the emulator once its delay is over: a timed-out write may have happened.
    assert_eq!(
        proxy.outcomes("DescribeTable"),
        [Outcome::Delayed(Duration::from_secs(5)), Outcome::Forwarded]
    );
}

// Writes: retried only when the answer says the request was refused.

#[tokio::test]
async fn a_throttled_write_is_retried_and_reaches_the_emulator_once() {
    let moto = Moto::shared();
    moto.create_table("write-throttled", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    let aws = Arc::new(proxy.aws(moto).await);
    proxy.inject("PutItem", Fault::Throttle, 1);
    let (result, attempts, _) = action(
        &aws,
        fast_retry(),
        "dynamodb.PutItem",
        json!({"TableName": "write-throttled", "Item": {"PK": {"S": "a"}}}),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(attempts, 2);
    assert_eq!(proxy.count("PutItem"), 2);
    assert_eq!(proxy.forwarded("PutItem"), 1);
}

#[tokio::test]
async fn a_write_whose_outcome_is_unknown_is_never_repeated() {
    let moto = Moto::shared();
    moto.create_table("write-uncertain", "PK").await;
    for (fault, kind) in [
        (Fault::Drop, CallErrorKind::Transport),
        (Fault::ServerError, CallErrorKind::Unavailable),
    ] {
        let proxy = FaultProxy::in_front_of(moto);
        let aws = Arc::new(proxy.aws(moto).await);
        proxy.inject("PutItem", fault, 1);
        let (result, attempts, seen) = action(
            &aws,
            fast_retry(),
            "dynamodb.PutItem",
            json!({"TableName": "write-uncertain", "Item": {"PK": {"S": "a"}}}),
        )
        .await;
        let error = result.unwrap_err();
        assert_eq!(error.kind, kind, "{error:?}");
        assert!(!error.transient, "{error:?}");
        assert!(
            error.message.contains("never repeated automatically"),
            "{error:?}"
        );
        assert_eq!(attempts, 1, "{seen:?}");
        assert_eq!(proxy.count("PutItem"), 1);
    }
}
