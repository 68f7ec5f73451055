//! `http.request` and `http.send` against a tiny HTTP server on 127.0.0.1, served from a thread of the test.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::cli::{Cli, Ran};
use crate::support::http_server::{handle, serve};
use runbook::engine::{ActionContext, Silent, invoke};
use serde_json::{Value, json};

async fn action(name: &str, input: Value) -> (Result<Value, runbook::aws::CallError>, u32) {
    let context = ActionContext::standalone(None, true, Arc::new(Silent));
    let spec = runbook::actions::lookup(name).expect("registered");
    let result = invoke(&context, spec, input.as_object().unwrap()).await;
    (result, context.attempts())
}

#[tokio::test]
async fn get_parses_json_bodies_and_reports_headers_and_latency() {
    let (base, _) = serve();
    let (output, attempts) = action(
        "http.request",
        json!({"url": format!("{base}/health"), "timeout": "5s", "expect_status": 200}),
    )
    .await;
    let output = output.unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(output["status"], 200);
    assert_eq!(
        output["body"],
        json!({"status": "ok", "checks": {"dynamodb": "ok"}})
    );
    assert_eq!(output["headers"]["content-type"], "application/json");
    assert_eq!(output["headers"]["x-request-id"], "req-1");
    assert_eq!(output["headers"]["set-cookie"], "a=1, b=2");
    assert!(output["latency_ms"].as_u64().is_some(), "{output}");

    let (text, _) = action("http.request", json!({"url": format!("{base}/text")})).await;
    assert_eq!(text.unwrap()["body"], "hello");

    // Without expect_status a 404 is an answer, not a failure.
    let (missing, _) = action("http.request", json!({"url": format!("{base}/missing")})).await;
    let missing = missing.unwrap();
    assert_eq!(
        (missing["status"].as_u64(), &missing["body"]),
        (Some(404), &json!("no such page"))
    );

    let (head, _) = action(
        "http.request",
        json!({"url": format!("{base}/text"), "method": "head"}),
    )
    .await;
    let head = head.unwrap();
    assert_eq!(head["status"], 200);
    assert_eq!(head["body"], "");
}

#[tokio::test]
async fn unexpected_status_fails_and_only_5xx_is_retried() {
    let (base, flaky) = serve();
    let (error, attempts) = action(
        "http.request",
        json!({"url": format!("{base}/missing"), "expect_status": 200}),
    )
    .await;
    let error = error.unwrap_err();
    assert_eq!(attempts, 1);
    assert_eq!(error.code, "UnexpectedStatus");
    assert_eq!(error.status, Some(404));
    assert!(!error.transient);
    assert!(
        error
            .message
            .contains("answered 404, expected 200: no such page"),
        "{error}"
    );

    let (error, attempts) = action("http.request", json!({"url": format!("{base}/flaky")})).await;
    let error = error.unwrap_err();
    assert_eq!(
        (error.code.as_str(), error.status),
        ("UnexpectedStatus", Some(503))
    );
    assert!(error.transient);
    assert_eq!(attempts, 3, "the default retry policy makes three attempts");
    assert_eq!(flaky.load(Ordering::SeqCst), 3);
    assert!(
        error.message.contains("gave up after 3 attempts"),
        "{error}"
    );

    // Expecting the 503 (a maintenance page check) makes it a success.
    let (expected, _) = action(
        "http.request",
        json!({"url": format!("{base}/flaky"), "expect_status": "503"}),
    )
    .await;
    assert_eq!(expected.unwrap()["body"], "try later");
}

#[tokio::test]
async fn connection_failures_and_timeouts_are_transient() {
    let (base, _) = serve();
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (error, attempts) = action(
        "http.request",
        json!({"url": format!("http://127.0.0.1:{closed}/health")}),
    )
    .await;
    let error = error.unwrap_err();
    // Refused: nothing was sent, so even a write could be sent again.
    assert_eq!(error.code, "ConnectionRefused");
    assert!(error.transient);
    assert_eq!(attempts, 3);

    let (error, _) = action(
        "http.request",
        json!({"url": format!("{base}/slow"), "timeout": "200ms"}),
    )
    .await;
    let error = error.unwrap_err();
    assert_eq!(error.code, "Timeout", "{error}");
    assert!(error.transient);
}

#[tokio::test]
async fn request_is_a_read_and_send_writes() {
    let (base, _) = serve();
    let (refused, attempts) = action(
        "http.request",
        json!({"url": format!("{base}/echo"), "method": "POST", "body": {"a": 1}}),
    )
    .await;
    let refused = refused.unwrap_err();
    assert_eq!(attempts, 0, "nothing was sent");
    assert_eq!(refused.code, "InvalidRequest");
    assert!(refused.message.contains("use http.send"), "{refused}");
    assert_eq!(
        runbook::actions::lookup("http.request").unwrap().effect,
        runbook::actions::Effect::Read
    );
    assert_eq!(
        runbook::actions::lookup("http.send").unwrap().effect,
        runbook::actions::Effect::Write
    );

    let (sent, _) = action(
        "http.send",
        json!({
            "url": format!("{base}/echo"),
            "method": "POST",
            "headers": {"X-Token": "t-1"},
            "body": {"tenant": "carousel-labs"},
            "expect_status": 200,
        }),
    )
    .await;
    let sent = sent.unwrap();
    assert_eq!(
        sent["body"],
        json!({
            "method": "POST",
            "body": "{\"tenant\":\"carousel-labs\"}",
            "content_type": "application/json",
            "token": "t-1",
        })
    );

    let (text, _) = action(
        "http.send",
        json!({"url": format!("{base}/echo"), "method": "PUT", "body": "plain", "headers": {"Content-Type": "text/plain"}}),
    )
    .await;
    let text = text.unwrap();
    assert_eq!(text["body"]["method"], "PUT");
    assert_eq!(text["body"]["body"], "plain");
    assert_eq!(text["body"]["content_type"], "text/plain");

    let (bad, _) = action("http.send", json!({"url": "ftp://example.com/x"})).await;
    assert_eq!(bad.unwrap_err().code, "InvalidRequest");
}

#[tokio::test]
async fn a_write_is_retried_after_a_refused_connection_and_never_after_a_server_error() {
    let (base, flaky) = serve();
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (refused, attempts) = action(
        "http.send",
        json!({"url": format!("http://127.0.0.1:{closed}/flush"), "method": "POST"}),
    )
    .await;
    assert_eq!(refused.unwrap_err().code, "ConnectionRefused");
    assert_eq!(attempts, 3, "never sent, so sent again");

    let (failed, attempts) = action(
        "http.send",
        json!({"url": format!("{base}/flaky"), "method": "POST"}),
    )
    .await;
    let failed = failed.unwrap_err();
    assert_eq!(
        attempts, 1,
        "a 503 to a write may have taken effect: {failed}"
    );
    assert!(!failed.transient);
    assert_eq!(flaky.load(Ordering::SeqCst), 1);
}

/// The binary on the runbooks in `dir`, its state in `dir/state`.
fn runbook_cli(dir: &std::path::Path, args: &[&str]) -> Ran {
    Cli::new()
        .dir(dir)
        .state_dir(dir.join("state"))
        .args(args)
        .run()
}

fn journal_records(dir: &std::path::Path) -> Vec<Value> {
    let runs = dir.join("state/runs");
    let mut ids: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    ids.sort();
    std::fs::read_to_string(ids.last().unwrap().join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn the_journal_records_an_http_call_as_service_http_operation_method_and_the_url_in_the_request() {
    let (base, _) = serve();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("health.yaml"),
        format!(
            "name: health\ndescription: one GET\nsteps:\n  - id: get\n    action: http.request\n    with: {{url: \"{base}/health?tenant=carousel-labs\"}}\n"
        ),
    )
    .unwrap();
    let output = runbook_cli(dir.path(), &["run", "health"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    let records = journal_records(dir.path());
    let url = format!("{base}/health?tenant=carousel-labs");
    for kind in ["call_started", "call_finished"] {
        let record = records.iter().find(|r| r["kind"] == kind).unwrap();
        assert_eq!(record["service"], "http", "{record}");
        assert_eq!(record["operation"], "GET", "{record}");
        if kind == "call_started" {
            assert_eq!(record["request"], json!({"method": "GET", "url": url}));
        } else {
            assert_eq!(record["http_status"], 200, "{record}");
            assert_eq!(record["request_id"], "req-1", "{record}");
        }
    }
}

#[test]
fn an_http_write_refused_before_it_was_sent_is_resumed_without_asking() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flush.yaml"),
        format!(
            "name: flush\ndescription: one POST\nsteps:\n  - id: flush\n    action: http.send\n    retry: {{attempts: 2, delay: 10ms}}\n    with: {{url: \"http://127.0.0.1:{port}/echo\", method: POST, expect_status: 200}}\n"
        ),
    )
    .unwrap();
    let failed = runbook_cli(dir.path(), &["run", "flush", "--yes"]);
    let stderr = failed.stderr.clone();
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ConnectionRefused"), "{stderr}");
    let finished: Vec<Value> = journal_records(dir.path())
        .into_iter()
        .filter(|r| r["kind"] == "call_finished")
        .collect();
    assert_eq!(finished.len(), 2, "retried: {finished:?}");
    assert!(
        finished
            .iter()
            .all(|r| r["error_code"] == "ConnectionRefused")
    );

    // The server comes up on that port; resume sends the write without --rerun: it was never sent.
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            handle(stream, &AtomicUsize::new(0));
        }
    });
    let resumed = runbook_cli(dir.path(), &["resume", "last", "--yes"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr);
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
