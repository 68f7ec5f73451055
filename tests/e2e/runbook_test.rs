//! `runbook test`: the shipped test files pass offline, and a case fails, with the message that says why, on a
//! wrong expectation, a wrong member name in a runbook's request and a call the case does not answer; an invalid
//! test file is refused with its position (exit 2) before any case runs.

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
