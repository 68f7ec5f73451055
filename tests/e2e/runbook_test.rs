//! `runbook test`: the shipped test files pass offline, and a case fails, with the message that says why, on a
//! wrong expectation, a wrong member name in a runbook's request and a call or HTTP request the case does not
//! answer; an invalid test file is refused with its position (exit 2) before any case runs.

use std::path::Path;

use crate::support::cli::{Cli, repo};

/// A folder holding `runbook` (copied from the shipped ones, or given) and its test file.
fn folder(runbook: &str, runbook_text: Option<&str>, tests: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = runbook_text.map(str::to_string).unwrap_or_else(|| {
        std::fs::read_to_string(repo().join(format!("runbooks/{runbook}.yaml"))).unwrap()
    });
    std::fs::write(dir.path().join(format!("{runbook}.yaml")), text).unwrap();
    std::fs::write(dir.path().join(format!("{runbook}.test.yaml")), tests).unwrap();
    dir
}

fn shipped_tests(runbook: &str) -> String {
    std::fs::read_to_string(repo().join(format!("runbooks/{runbook}.test.yaml"))).unwrap()
}

#[test]
fn the_shipped_runbook_tests_pass() {
    let ran = Cli::new()
        .shipped()
        .args(["test"])
        .status(0)
        .stdout_has("test rollback-lambda::healthy_path ... ok")
        .stdout_has("test result: ok.")
        .run();
    assert!(ran.stdout.contains(" 0 failed"), "{}", ran.stdout);
}

#[test]
fn a_wrong_expectation_fails_the_case_with_a_diff_of_the_requests() {
    let tests =
        shipped_tests("rollback-lambda").replacen("RevisionId: rev-3\n", "RevisionId: rev-9\n", 1);
    let dir = folder("rollback-lambda", None, &tests);
    let ran = Cli::new()
        .dir(dir.path())
        .args(["test", "rollback-lambda"])
        .status(1)
        .stdout_has("test rollback-lambda::healthy_path ... FAILED")
        .stdout_has("writes sent differ (- expected, + actual):")
        .stdout_has("-     \"RevisionId\": \"rev-9\"")
        .stdout_has("+     \"RevisionId\": \"rev-3\"")
        .stdout_has("failed; finished in")
        .run();
    assert!(
        ran.stdout
            .contains("test rollback-lambda::gate_refused ... ok"),
        "{}",
        ran.stdout
    );
}

/// The validator knows an action's top-level members; a name inside a structure is caught by the case, whose
/// expected request names it as the API does.
#[test]
fn a_wrong_member_name_in_a_runbook_fails_the_case() {
    let runbook = r#"
name: capacity
description: Set a table's provisioned capacity
steps:
  - id: provision
    action: dynamodb.UpdateTable
    with:
      TableName: orders
      BillingMode: PROVISIONED
      ProvisionedThroughput: {ReadCapacityUnit: 5, WriteCapacityUnits: 5}
"#;
    let tests = r#"
cases:
  - name: provisions
    aws:
      provision:
        dynamodb.UpdateTable: [{output: {TableDescription: {TableName: orders}}}]
        dynamodb.DescribeTable:
          - output: {Table: {TableName: orders}}
            times: 2
    expect:
      status: succeeded
      writes:
        - step: provision
          request:
            TableName: orders
            BillingMode: PROVISIONED
            ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
"#;
    let dir = folder("capacity", Some(runbook), tests);
    Cli::new()
        .dir(dir.path())
        .args(["test", "capacity"])
        .status(1)
        .stdout_has("test capacity::provisions ... FAILED")
        .stdout_has("-       \"ReadCapacityUnits\": 5,")
        .stdout_has("+       \"ReadCapacityUnit\": 5,")
        .run();
}

#[test]
fn a_call_the_case_does_not_answer_fails_it_naming_step_and_operation() {
    let tests = shipped_tests("rollback-lambda");
    let unanswered = tests.replacen(
        "      verify_alias:\n        lambda.GetAlias:\n          - output: {Name: live, FunctionVersion: \"2\", RevisionId: rev-4}\n",
        "",
        1,
    );
    assert_ne!(tests, unanswered, "the healthy path answers verify_alias");
    let dir = folder("rollback-lambda", None, &unanswered);
    Cli::new()
        .dir(dir.path())
        .args(["test", "rollback-lambda"])
        .status(1)
        .stdout_has("test rollback-lambda::healthy_path ... FAILED")
        .stdout_has(
            "step `verify_alias` called lambda.GetAlias (call 1), which the case does not answer",
        )
        .run();
}

#[test]
fn an_invalid_test_file_is_refused_with_every_error_and_no_case_runs() {
    let tests = r#"
cases:
  - name: typos
    aws:
      current_alias:
        lambda.GetAlia: [{output: {}}]
      movealias:
        lambda.UpdateAlias: [{output: {}}]
    approvals: {confirm: yes}
    expect:
      status: succeded
      outcome: ok
  - name: typos
    approvals: {move_alias: approve}
    expect:
      writes: [{step: current_alias, request: {}}]
      success_criteria: {the alias moved: true}
"#;
    let dir = folder("rollback-lambda", None, tests);
    let ran = Cli::new()
        .dir(dir.path())
        .args(["test", "rollback-lambda"])
        .status(2)
        .stderr_has("error[unknown-operation]: step `current_alias` (lambda.GetAlias) does not call `lambda.GetAlia`")
        .stderr_has("rollback-lambda.test.yaml:6:9")
        .stderr_has("= hint: did you mean `lambda.GetAlias`?")
        .stderr_has("error[unknown-step]: unknown step `movealias`")
        .stderr_has("did you mean `move_alias`?")
        .stderr_has("error[invalid-value]: `yes` is not a valid decision for `confirm`")
        .stderr_has("error[invalid-value]: `succeded` is not a valid run status")
        .stderr_has("error[unknown-key]: unknown key `outcome` in `expect`")
        .stderr_has("= hint: use `status`")
        .stderr_has("error[duplicate-case]: the case name `typos` is used twice")
        .stderr_has("error[not-a-gate]: step `move_alias` is not an approval gate")
        .stderr_has("error[not-a-write]: step `current_alias` sends no write")
        .stderr_has("error[unknown-criterion]: the runbook has no success criterion named `the alias moved`")
        .run();
    assert!(!ran.stdout.contains("test "), "{}", ran.stdout);
}

#[test]
fn a_runbook_without_a_test_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("runbooks/rollback-lambda.yaml"),
        dir.path().join("rollback-lambda.yaml"),
    )
    .unwrap();
    Cli::new()
        .dir(dir.path())
        .args(["test", "rollback-lambda"])
        .status(2)
        .stderr_has("has no test file: write its cases in")
        .run();
    assert!(!Path::new(&dir.path().join("rollback-lambda.test.yaml")).exists());
}

/// A health check's request goes to the case, never the network: one the case does not answer fails the case,
/// naming the step and the request, as an unanswered AWS call does.
#[test]
fn an_http_request_the_case_does_not_answer_fails_it_naming_the_step() {
    let tests = shipped_tests("smoke-test");
    let unanswered = tests.replacen(
        "    http: &healthy_endpoint\n      health: [{status: 200, headers: {content-type: application/json}, body: {status: healthy}}]\n",
        "",
        1,
    );
    assert_ne!(tests, unanswered, "the first case answers the health check");
    let unanswered = unanswered.replace("http: *healthy_endpoint", "http: {}");
    let dir = folder("smoke-test", None, &unanswered);
    let ran = Cli::new()
        .dir(dir.path())
        .args(["test", "smoke-test"])
        .status(1)
        .stdout_has("test smoke-test::every_check_passes ... FAILED")
        .stdout_has(
            "step `health` sent GET https://api.dev.carousellabs.co/bg-remover/health (request 1), which the case does not answer",
        )
        .stdout_has("add an answer under `http: {health: [...]}`")
        .run();
    // Not retried: an unanswered request is the case's fault, not a transient failure.
    assert!(!ran.stdout.contains("(request 2)"), "{}", ran.stdout);
    assert!(
        ran.stdout
            .contains("test smoke-test::health_down_fails_4_1_only ... ok"),
        "{}",
        ran.stdout
    );
}

#[test]
fn an_invalid_http_answer_is_refused_with_its_position() {
    let tests = r#"
cases:
  - name: typos
    http:
      helth: [{status: 200}]
      dlq_url: [{status: 200}]
      health:
        - {status: 700}
        - {error: timed_out}
        - {status: 200, error: reset}
        - {output: {}}
    expect: {status: succeeded}
"#;
    let dir = folder("smoke-test", None, tests);
    let ran = Cli::new()
        .dir(dir.path())
        .args(["test", "smoke-test"])
        .status(2)
        .stderr_has("error[unknown-step]: unknown step `helth`")
        .stderr_has("smoke-test.test.yaml:5:7")
        .stderr_has("did you mean `health`?")
        .stderr_has("error[invalid-value]: `dlq_url` is not a valid step for `http` (an http.request or http.send step)")
        .stderr_has("its action is sqs.GetQueueUrl: answer its calls under `aws`")
        .stderr_has("error[out-of-range]: an HTTP answer's `status` must be from 100 to 599")
        .stderr_has("smoke-test.test.yaml:8:20")
        .stderr_has("error[invalid-value]: `timed_out` is not a valid connection failure")
        .stderr_has("did you mean `timeout`?")
        .stderr_has("error[invalid-value]: `a response and an error` is not a valid HTTP answer")
        .stderr_has("error[unknown-key]: unknown key `output` in an HTTP answer")
        .stderr_has("use `status`, `headers` and `body`")
        .run();
    assert!(!ran.stdout.contains("test "), "{}", ran.stdout);
}

/// An `http.send` is a write: the case expects its request (method and URL, as the journal records it) among the
/// writes, and a different one fails the case.
#[test]
fn an_http_send_is_among_the_writes_a_case_expects() {
    let runbook = r#"
name: flush
description: Flush the service's cache
steps:
  - id: flush
    action: http.send
    with: {url: "https://api.example.test/cache/flush", method: POST, expect_status: 202}
"#;
    let tests = |url: &str| {
        format!(
            r#"
cases:
  - name: flushed
    http:
      flush: [{{error: refused}}, {{status: 202}}]
    expect:
      status: succeeded
      writes:
        - {{step: flush, request: {{method: POST, url: "{url}"}}}}
        - {{step: flush, request: {{method: POST, url: "{url}"}}}}
"#
        )
    };
    let dir = folder(
        "flush",
        Some(runbook),
        &tests("https://api.example.test/cache/flush"),
    );
    Cli::new()
        .dir(dir.path())
        .args(["test", "flush"])
        .status(0)
        .stdout_has("test flush::flushed ... ok")
        .run();
    let dir = folder(
        "flush",
        Some(runbook),
        &tests("https://api.example.test/cache/drop"),
    );
    Cli::new()
        .dir(dir.path())
        .args(["test", "flush"])
        .status(1)
        .stdout_has("writes sent differ (- expected, + actual):")
        .stdout_has("+     \"url\": \"https://api.example.test/cache/flush\"")
        .run();
}
