//! `runbook export --to step-functions`: the definition a runbook within the translated subset becomes, and the
//! diagnostics of one outside it.

use crate::support::cli::{Cli, repo};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:runbook-approvals";

#[test]
fn a_runbook_within_the_subset_exports_as_a_jsonpath_state_machine() {
    let output = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args([
            "export",
            "move-alias",
            "--to",
            "step-functions",
            "--approval-topic",
            TOPIC,
        ])
        .status(0)
        .run();
    let definition = output.json();
    let states = definition["States"].as_object().unwrap();
    assert_eq!(definition["StartAt"], "parameters");
    // Every `Next` and `Default` names a state of the definition.
    for (name, state) in states {
        for key in ["Next", "Default"] {
            if let Some(next) = state.get(key).and_then(|n| n.as_str()) {
                assert!(states.contains_key(next), "{name}.{key} -> {next}");
            }
        }
    }
    assert_eq!(
        states["move_alias"]["Resource"],
        "arn:aws:states:::aws-sdk:lambda:updateAlias"
    );
    // A write retries on throttling only.
    let retried = states["move_alias"]["Retry"][0]["ErrorEquals"].to_string();
    assert!(
        retried.contains("Lambda.TooManyRequestsException"),
        "{retried}"
    );
    assert!(!retried.contains("ServiceUnavailable"), "{retried}");
    assert_eq!(states["confirm"]["TimeoutSeconds"], 1800);
    insta::assert_snapshot!("export_move_alias", output.stdout);
}

#[test]
fn rollback_lambda_is_refused_at_each_construct_without_a_translation() {
    let output = Cli::new()
        .current_dir(repo())
        .args([
            "--no-color",
            "export",
            "rollback-lambda",
            "--to",
            "step-functions",
        ])
        .status(2)
        .run();
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    // The paged read, each filter, the gate without a topic, the wait and on_failure, each at its place.
    assert!(
        output
            .stderr
            .contains("`lambda.ListVersionsByFunction` cannot be exported to Step Functions: it reads every page"),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("runbooks/rollback-lambda.yaml:69:18"),
        "{}",
        output.stderr
    );
    insta::assert_snapshot!("export_rollback_lambda_refused", output.stderr);
}
