//! `runbook export --to step-functions`: the definition a runbook within the translated subset becomes, and the
//! diagnostics of one outside it.

use crate::support::cli::{Cli, Ran, repo};
use crate::support::moto::{Moto, venv_bin};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:runbook-approvals";

/// Shipped runbooks `export` refuses today: the code of their diagnostics and how many there are at most. A runbook
/// leaves the list when it exports (its definition then has to pass asl-validator); a count only goes down.
const REFUSED: &[(&str, &str, usize)] = &[
    ("alarms", "not-exportable", 17),
    ("cost-report", "not-exportable", 13),
    ("dlq-replay", "not-exportable", 18),
    ("dynamodb-throttling", "not-exportable", 23),
    ("iceberg-rollback", "not-exportable", 26),
    ("lambda-timeout", "not-exportable", 18),
    ("pitr-restore", "not-exportable", 47),
    ("rollback-lambda", "not-exportable", 13),
    ("smoke-test", "not-exportable", 30),
    ("sync-lag", "not-exportable", 23),
    // 34 of its own, and since it runs rollback-lambda as a step: that step and the 13 of rollback-lambda.
    ("triage", "not-exportable", 48),
];

/// asl-validator (npm, pinned in scripts/emulator) on a definition: `Err` with what it said when it refuses it.
fn asl_validator(definition: &str) -> Result<(), String> {
    let validator = std::process::Command::new("bash")
        .arg(repo().join("scripts/emulator"))
        .arg("asl-validator")
        .output()
        .expect("ask scripts/emulator for asl-validator");
    let validator = String::from_utf8(validator.stdout).unwrap();
    let validator = std::path::PathBuf::from(validator.trim());
    assert!(
        validator.exists(),
        "{} is missing: run `bash scripts/emulator install` (it needs npm)",
        validator.display()
    );
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("definition.json");
    std::fs::write(&file, definition).unwrap();
    let output = std::process::Command::new(&validator)
        .arg("--json-path")
        .arg(&file)
        .output()
        .expect("run asl-validator");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The fixture runbook within the subset, exported with its gate published to `topic`.
fn export_move_alias(topic: &str) -> Ran {
    Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args([
            "export",
            "move-alias",
            "--to",
            "step-functions",
            "--approval-topic",
            topic,
        ])
        .status(0)
        .run()
}

#[test]
fn every_export_passes_asl_validator_and_every_refusal_is_listed() {
    let fixture = export_move_alias(TOPIC);
    asl_validator(&fixture.stdout).unwrap();
    // A definition with a dangling state is caught, so the check above can fail.
    let mut broken = fixture.json();
    broken["States"]["report"]["Next"] = "nowhere".into();
    assert!(asl_validator(&broken.to_string()).is_err());

    let mut shipped: Vec<String> = std::fs::read_dir(repo().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && !name.ends_with(".test.yaml"))
        .map(|name| name.trim_end_matches(".yaml").to_string())
        .collect();
    shipped.sort();
    for name in &shipped {
        let output = Cli::new()
            .current_dir(repo())
            .args([
                "--no-color",
                "export",
                name,
                "--to",
                "step-functions",
                "--approval-topic",
                TOPIC,
            ])
            .run();
        match REFUSED.iter().find(|(refused, _, _)| refused == name) {
            None => {
                assert_eq!(output.code(), Some(0), "{name}: {}", output.stderr);
                if let Err(said) = asl_validator(&output.stdout) {
                    panic!("{name}'s export fails asl-validator: {said}");
                }
            }
            Some((_, code, most)) => {
                assert_eq!(
                    output.code(),
                    Some(2),
                    "{name} exports now: take it off REFUSED"
                );
                let codes: Vec<&str> = output
                    .stderr
                    .lines()
                    .filter_map(|line| line.strip_prefix("error["))
                    .filter_map(|rest| rest.split(']').next())
                    .collect();
                assert!(!codes.is_empty(), "{name}: {}", output.stderr);
                assert!(codes.iter().all(|found| found == code), "{name}: {codes:?}");
                assert!(
                    codes.len() <= *most,
                    "{name}: {} refusals, more than the {most} listed",
                    codes.len()
                );
            }
        }
    }
}

#[test]
fn a_runbook_within_the_subset_exports_as_a_jsonpath_state_machine() {
    let output = export_move_alias(TOPIC);
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

/// The export executed by the emulator's own Step Functions interpreter on the sandbox's Lambda function, its
/// approval gate answered with the task token from the SNS message: the alias ends where a local run leaves it.
#[tokio::test(flavor = "multi_thread")]
async fn move_alias_s_export_moves_the_alias_when_executed_on_the_emulator() {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.moto_api(
        "/moto-api/config",
        serde_json::json!({"stepfunctions": {"execute_state_machine": true}}),
    )
    .await;
    let world = moto.seed(&["--only", "lambda"]);
    assert_eq!(world["lambda"]["alias_version"], "3");
    let function = world["lambda"]["function"].as_str().unwrap().to_string();

    let topic = "arn:aws:sns:eu-west-1:123456789012:runbook-approvals";
    let exported = export_move_alias(topic);
    let folder = tempfile::tempdir().unwrap();
    let definition = folder.path().join("definition.json");
    std::fs::write(&definition, &exported.stdout).unwrap();

    let input = serde_json::json!({"function": function, "to_version": "2"}).to_string();
    let output = std::process::Command::new(venv_bin("python"))
        .arg(repo().join("tests/e2e/support/step_functions.py"))
        .arg(&definition)
        .arg(&input)
        .arg("runbook-approvals")
        .envs(moto.env())
        .output()
        .expect("run step_functions.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["status"], "SUCCEEDED", "{result:#}");
    let message = result["approval_message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Point alias live of {function} from version 3 to 2?"
        )),
        "{message}"
    );
    assert_eq!(result["output"]["steps"]["settle"]["status"], "skipped");
    assert_eq!(
        result["output"]["steps"]["verify_alias"]["output"]["FunctionVersion"],
        "2"
    );

    let lambda = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    let alias = lambda
        .get_alias()
        .function_name(&function)
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(alias.function_version(), Some("2"));
}
