//! `runbook export --to step-functions`: the definition a runbook within the translated subset becomes, and the
//! diagnostics of one outside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use runbook::aws::Aws;
use serde_json::Value;

use crate::support::cli::{Cli, Ran, repo};
use crate::support::journal::{logged, of_kind, records, step_statuses};
use crate::support::moto::{Moto, venv_bin};
use crate::support::world::{
    EXPORT_RULE, analytics_bucket, billing_mode, export_moves_the_table, function_timeout,
    live_alias_version, provision_table, published, put_metric, put_timed_out_runs, queue_costs,
    rule_state, s3tables_location, service_alarms, stale_exports, topic_with_subscriber,
};
use crate::support::{health, http_server};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:runbook-approvals";

/// Shipped runbooks `export` refuses today: the code of their diagnostics and how many there are at most. A runbook
/// leaves the list when it exports (its definition then has to pass asl-validator); a count only goes down.
const REFUSED: &[(&str, &str, usize)] = &[];

/// The EventBridge connection `http.request` steps are exported with (any ARN will do where nothing runs).
const CONNECTION: &str = "arn:aws:events:us-east-1:123456789012:connection/health/0b3f6ad1";

/// asl-validator (npm, pinned in scripts/emulator) on a JSON definition: `Err` with what it said when it refuses it.
fn asl_validator(definition: &str) -> Result<(), String> {
    asl_validator_on(definition, "--json-path")
}

/// asl-validator on a definition in JSON (`--json-path`) or YAML (`--yaml-path`).
fn asl_validator_on(definition: &str, format_flag: &str) -> Result<(), String> {
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
    let file = folder.path().join("definition");
    std::fs::write(&file, definition).unwrap();
    let output = std::process::Command::new(&validator)
        .arg(format_flag)
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
                "--http-connection",
                CONNECTION,
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
fn a_runbook_within_the_subset_exports_as_a_jsonata_state_machine() {
    let output = export_move_alias(TOPIC);
    let definition = output.json();
    let states = definition["States"].as_object().unwrap();
    assert_eq!(definition["StartAt"], "parameters");
    assert_eq!(definition["QueryLanguage"], "JSONata");
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
    // `with:` templates are JSONata over the variables the definition assigns.
    let version = states["move_alias"]["Arguments"]["FunctionVersion"]
        .as_str()
        .unwrap();
    assert!(
        version.starts_with("{%") && version.contains("$params"),
        "{version}"
    );
    insta::assert_snapshot!("export_move_alias", output.stdout);
}

/// The role of an exported state machine covers whatever an execution's input chooses: a parameter not given at
/// export is each execution's to set, so the calls of every step it can reach are allowed, on the resources any
/// value could name. Before, parameters not given were read as null, and the steps they feed (every one of
/// rollback-lambda's and pitr-restore's) were left out: the role allowed only the gate's topic.
#[test]
fn the_role_policy_covers_the_steps_any_execution_s_input_turns_on() {
    for (runbook, needed) in [
        (
            "rollback-lambda",
            &[
                "lambda:GetAlias",
                "lambda:UpdateAlias",
                "lambda:ListVersionsByFunction",
            ][..],
        ),
        (
            "pitr-restore",
            &[
                "dynamodb:RestoreTableToPointInTime",
                "dynamodb:DescribeTable",
            ][..],
        ),
    ] {
        let exported = Cli::new()
            .current_dir(repo())
            .args([
                "export",
                runbook,
                "--to",
                "step-functions",
                "--approval-topic",
                TOPIC,
                "--with-role",
                "--region",
                "eu-west-1",
                "--account",
                "123456789012",
            ])
            .status(0)
            .run()
            .json();
        let statements = exported["RolePolicy"]["Statement"].to_string();
        for action in needed.iter().chain(&["sns:Publish"]) {
            assert!(
                statements.contains(action),
                "{runbook}: no {action} in {statements}"
            );
        }
    }
}

#[test]
fn the_definition_prints_as_yaml_and_with_the_role_policy_it_needs() {
    let json = export_move_alias(TOPIC).json();
    let yaml = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args([
            "export",
            "move-alias",
            "--to",
            "step-functions",
            "--approval-topic",
            TOPIC,
            "--format",
            "yaml",
        ])
        .status(0)
        .run();
    asl_validator_on(&yaml.stdout, "--yaml-path").unwrap();
    let read: serde_json::Value = serde_saphyr::from_str(&yaml.stdout).unwrap();
    assert_eq!(read, json);

    let with_role = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args([
            "export",
            "move-alias",
            "--to",
            "step-functions",
            "--approval-topic",
            TOPIC,
            "--with-role",
            "--region",
            "us-east-1",
            "--account",
            "123456789012",
        ])
        .status(0)
        .run()
        .json();
    assert_eq!(with_role["Definition"], json);
    let statements = with_role["RolePolicy"]["Statement"].to_string();
    for needed in [
        "lambda:GetAlias",
        "lambda:GetFunctionConfiguration",
        "lambda:UpdateAlias",
        "sns:Publish",
        TOPIC,
        "arn:aws:lambda:us-east-1:123456789012:function:",
    ] {
        assert!(statements.contains(needed), "{needed}: {statements}");
    }
}

#[test]
fn parameters_given_at_export_become_the_definition_s_defaults() {
    let export = |params: &[&str]| {
        Cli::new()
            .current_dir(repo())
            .dir(repo().join("tests/fixtures/export"))
            .args([
                "--no-color",
                "export",
                "move-alias",
                "--to",
                "step-functions",
                "--approval-topic",
                TOPIC,
                "--with-role",
            ])
            .args(params)
    };
    let given = export(&["--function", "orders-api", "--settle", "short"])
        .status(0)
        .run()
        .json();
    let assigned = given["Definition"]["States"]["parameters"]["Assign"]["params"]
        .as_str()
        .unwrap()
        .to_string();
    // Given values and the runbook's own defaults; a required one not given stays for the execution's input.
    assert!(
        assigned.contains(
            r#"{"function":"orders-api","alias":"live","to_version":null,"settle":"short"}"#
        ),
        "{assigned}"
    );
    let policy = given["RolePolicy"].to_string();
    assert!(policy.contains("function:orders-api"), "{policy}");

    let refused = export(&["--settle", "long"]).status(2).run();
    assert!(refused.stdout.is_empty());
    assert!(
        refused.stderr.contains("`long` is not one of"),
        "{}",
        refused.stderr
    );

    // A secret would be written into the definition for anyone who can read it.
    let secret = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args([
            "export",
            "refused",
            "--to",
            "step-functions",
            "--token",
            "s3cr3t-value-long-enough",
        ])
        .status(2)
        .run();
    assert!(secret.stdout.is_empty());
    assert!(
        secret.stderr.contains("--token is secret"),
        "{}",
        secret.stderr
    );
    assert!(!secret.stderr.contains("s3cr3t"), "{}", secret.stderr);
}

#[test]
fn each_construct_without_a_translation_is_refused_at_its_place() {
    let output = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args(["--no-color", "export", "refused", "--to", "step-functions"])
        .status(2)
        .run();
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    // The computed default, the HTTP request, the secret, the computed pause and the gate without a topic, each
    // at its place.
    assert_eq!(output.stderr.matches("error[not-exportable]").count(), 5);
    assert!(
        output.stderr.contains(
            "`token` is secret, and its value would be written into the execution's history"
        ),
        "{}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("tests/fixtures/export/refused.yaml:29:49"),
        "{}",
        output.stderr
    );
    // The checkout's own path would tie the snapshot to one folder.
    let checkout = repo().display().to_string();
    insta::assert_snapshot!("export_refused", output.stderr.replace(&checkout, "[repo]"));
}

/// Step Functions names a camelCase API's members in PascalCase, and the export renames a result back only where
/// it checked the operation's result: Logs' GetQueryResults (a list of lists) is refused at its step, exit 2, and
/// nothing is printed.
#[test]
fn an_operation_of_a_camel_case_api_whose_result_was_not_checked_is_refused_at_its_step() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("query.yaml"),
        "name: query\ndescription: reads a Logs Insights query's results\nsteps:\n  - id: results\n    action: logs.GetQueryResults\n    with: {queryId: q-1}\n",
    )
    .unwrap();
    let refused = Cli::new()
        .dir(dir.path())
        .args(["--no-color", "export", "query", "--to", "step-functions"])
        .status(2)
        .run();
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("query.yaml:4:"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("`logs.GetQueryResults`")
            && refused
                .stderr
                .contains("names logs's camelCase members in PascalCase")
            && refused.stderr.contains("logs.FilterLogEvents"),
        "{}",
        refused.stderr
    );
}

/// A runbook's `notify:` topic is told by the engine when a gate waits and when the run ends; an execution has no
/// engine beside it, so export (and deploy) refuse it at its place rather than drop it, and say what to do instead.
#[test]
fn a_runbook_that_notifies_a_topic_is_refused_at_its_notify_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notified.yaml"),
        "name: notified\ndescription: tells a topic how it ended\nnotify: arn:aws:sns:us-east-1:123456789012:ops\nsteps:\n  - id: tables\n    action: dynamodb.ListTables\n",
    )
    .unwrap();
    for verb in [
        &["export", "notified", "--to", "step-functions"][..],
        &[
            "deploy",
            "notified",
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
            "--yes",
        ][..],
    ] {
        let refused = Cli::new()
            .dir(dir.path())
            .arg("--no-color")
            .args(verb)
            .status(2)
            .run();
        assert!(refused.stdout.is_empty(), "{}", refused.stdout);
        for said in [
            "notified.yaml:3:9",
            "`notify:`",
            "no engine beside it",
            "Step Functions Execution Status Change",
        ] {
            assert!(
                refused.stderr.contains(said),
                "no {said:?} in\n{}",
                refused.stderr
            );
        }
    }
}

/// A boolean parameter without a default is false to the engine when its flag is not given; an execution started
/// without it (by a schedule, by the console) prints and tests it as the local run does, not as none.
#[tokio::test(flavor = "multi_thread")]
async fn a_boolean_parameter_not_given_is_false_on_step_functions_as_locally() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flagged.yaml"),
        "name: flagged\ndescription: says whether a flag is set\nparams:\n  force: {type: boolean}\nsteps:\n  - id: say\n    action: core.log\n    with: {message: \"force is {{ params.force }}, {{ 'forced' if params.force is false else 'unsure' }}\"}\n",
    )
    .unwrap();
    let state = tempfile::tempdir().unwrap();
    let local = Cli::new()
        .dir(dir.path())
        .state_dir(state.path())
        .args(["run", "flagged"])
        .status(0)
        .run();
    let said = "force is False, forced";
    assert!(local.stderr.contains(said), "{}", local.stderr);
    let exported = Cli::new()
        .dir(dir.path())
        .args(["export", "flagged", "--to", "step-functions"])
        .status(0)
        .run();
    let moto = Moto::start();
    moto.execute_state_machines().await;
    let ran = execute(&moto, &exported.stdout, &serde_json::json!({}), "unflagged");
    assert_eq!(ran["status"], "SUCCEEDED", "{ran:#}");
    assert_eq!(
        ran["output"]["steps"]["say"]["output"]["message"], said,
        "{ran:#}"
    );
}

/// `definition` executed on the emulator's Step Functions with `input`, as state machine and execution `name`:
/// the execution's status, output and failures (tests/e2e/support/step_functions.py).
fn execute(
    moto: &Moto,
    definition: &str,
    input: &serde_json::Value,
    name: &str,
) -> serde_json::Value {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("definition.json");
    std::fs::write(&file, definition).unwrap();
    let output = std::process::Command::new(venv_bin("python"))
        .arg(repo().join("tests/e2e/support/step_functions.py"))
        .arg(&file)
        .arg(input.to_string())
        .arg("runbook-approvals")
        .arg(name)
        .envs(moto.env())
        .output()
        .expect("run step_functions.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The fixture `tables` (a paged list, a for_each over its pages, `on_error: continue`, a `wait`,
/// `dynamodb.count_items`, vars, `run` and `on_failure`) executed on the emulator: once to the end, once with a wait that times out, which runs the
/// `on_failure` step and fails the execution.
#[tokio::test(flavor = "multi_thread")]
async fn tables_s_export_pages_maps_polls_and_runs_on_failure_on_the_emulator() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    for table in ["ledger", "orders", "users"] {
        moto.create_table(table, "pk").await;
    }
    let exported = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args(["export", "tables", "--to", "step-functions"])
        .status(0)
        .run();
    asl_validator(&exported.stdout).unwrap();
    for pk in ["a", "b"] {
        dynamodb
            .put_item()
            .table_name("ledger")
            .item("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
            .send()
            .await
            .unwrap();
    }
    let item = |pk: &'static str| {
        let dynamodb = dynamodb.clone();
        async move {
            dynamodb
                .get_item()
                .table_name("ledger")
                .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
                .send()
                .await
                .unwrap()
                .item
                .unwrap_or_default()
        }
    };

    let done = execute(
        &moto,
        &exported.stdout,
        &serde_json::json!({"ledger": "ledger"}),
        "done",
    );
    assert_eq!(done["status"], "SUCCEEDED", "{done:#}");
    let steps = &done["output"]["steps"];
    // ListTables with Limit 1 answers one table a page: all three pages are joined, the token is gone.
    assert_eq!(
        steps["tables"]["output"],
        serde_json::json!({"TableNames": ["ledger", "orders", "users"]})
    );
    assert_eq!(steps["describe"]["output"].as_array().unwrap().len(), 3);
    assert_eq!(
        steps["describe"]["table_status"],
        serde_json::json!(["ACTIVE", "ACTIVE", "ACTIVE"])
    );
    assert_eq!(steps["describe"]["position"], serde_json::json!([1, 2, 3]));
    assert_eq!(steps["noted"]["status"], "succeeded", "{steps:#}");
    assert_eq!(steps["noted"]["output"]["message"], "described 3 tables");
    assert_eq!(steps["missing"]["status"], "failed");
    let recorded = item("run of tables").await;
    assert_eq!(
        recorded["missing"],
        aws_sdk_dynamodb::types::AttributeValue::S("failed".into())
    );
    assert!(item("failed").await.is_empty());
    // Counted a page of one item at a time: the two items there before and the one recorded.
    assert_eq!(steps["counted"]["output"]["Count"], 3, "{steps:#}");
    assert!(steps["counted"]["output"]["Pages"].as_u64().unwrap() >= 3);

    let started = std::time::Instant::now();
    let timed_out = execute(
        &moto,
        &exported.stdout,
        &serde_json::json!({"ledger": "ledger", "wait_for_items": 5}),
        "timed-out",
    );
    assert_eq!(timed_out["status"], "FAILED", "{timed_out:#}");
    // The wait polled until its 3 s timeout, then on_failure recorded the error before the execution failed.
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    let failed = item("failed").await;
    let error = failed["error"].as_s().unwrap();
    assert!(error.contains("still does not hold"), "{error}");
}

/// The fixture `parallel` (two chains that do not need each other, each a pause then a write, then a count of
/// both) executed on the emulator: the chains run side by side, each stage a Parallel whose branches are both
/// entered before either ends, and the execution leaves the table and the records a local run leaves.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_s_independent_steps_overlap_on_the_emulator_and_end_as_the_local_run_does() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    for table in ["on-step-functions", "local"] {
        moto.create_table(table, "pk").await;
    }
    let exported = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args(["export", "parallel", "--to", "step-functions"])
        .status(0)
        .run();
    asl_validator(&exported.stdout).unwrap();
    let definition: serde_json::Value = serde_json::from_str(&exported.stdout).unwrap();
    let parallels: Vec<&serde_json::Value> = definition["States"]
        .as_object()
        .unwrap()
        .values()
        .filter(|state| state["Type"] == "Parallel")
        .collect();
    assert_eq!(parallels.len(), 2, "{definition:#}");

    let ran = execute(
        &moto,
        &exported.stdout,
        &serde_json::json!({"ledger": "on-step-functions"}),
        "parallel",
    );
    assert_eq!(ran["status"], "SUCCEEDED", "{ran:#}");
    let history = ran["history"].as_array().unwrap();
    let position = |kind: &str, state: &str| {
        history
            .iter()
            .position(|event| {
                event["type"] == kind
                    && (event["stateEnteredEventDetails"]["name"] == state
                        || event["stateExitedEventDetails"]["name"] == state)
            })
            .unwrap_or_else(|| panic!("no {kind} of {state} in {history:#?}"))
    };
    // Both pauses (and both writes) began before either ended: the branches overlapped.
    for (kind, left, right) in [
        ("WaitState", "left_pause", "right_pause"),
        ("TaskState", "left_write", "right_write"),
    ] {
        let (entered, exited) = (format!("{kind}Entered"), format!("{kind}Exited"));
        let both_started = position(&entered, left).max(position(&entered, right));
        let first_ended = position(&exited, left).min(position(&exited, right));
        assert!(
            both_started < first_ended,
            "{left} and {right} did not overlap: {history:#?}"
        );
    }

    Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .aws(&moto)
        .args(["run", "parallel", "--ledger", "local", "--yes"])
        .status(0)
        .run();
    let keys = |table: &'static str| {
        let dynamodb = dynamodb.clone();
        async move {
            let mut keys: Vec<String> = dynamodb
                .scan()
                .table_name(table)
                .send()
                .await
                .unwrap()
                .items
                .unwrap_or_default()
                .iter()
                .map(|item| item["pk"].as_s().unwrap().clone())
                .collect();
            keys.sort();
            keys
        }
    };
    assert_eq!(keys("on-step-functions").await, ["left", "right"]);
    assert_eq!(keys("local").await, keys("on-step-functions").await);
    let steps = &ran["output"]["steps"];
    assert_eq!(steps["counted"]["items"], 2, "{steps:#}");
    for id in [
        "left_pause",
        "right_pause",
        "left_write",
        "right_write",
        "counted",
    ] {
        assert_eq!(steps[id]["status"], "succeeded", "{steps:#}");
    }

    // A write failing inside a branch fails the execution with the write's own error, as a failing step does.
    let failed = execute(
        &moto,
        &exported.stdout,
        &serde_json::json!({"ledger": "no-such-table"}),
        "parallel-failing",
    );
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    let ended = failed["history"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|event| event.get("executionFailedEventDetails"))
        .unwrap_or_else(|| panic!("no ExecutionFailed in {failed:#}"));
    let error = ended["error"].as_str().unwrap_or_default();
    assert!(error.contains("ResourceNotFound"), "{ended:#}");
}

/// The fixture `queues` (`sqs.move_messages` with a filter, batches and a rate, then `sns.Publish` with
/// attributes) executed on the emulator: the messages the filter keeps reach the destination with their
/// attributes, the poison one stays in the source, visible again; an execution capped by `max` moves no more.
#[tokio::test(flavor = "multi_thread")]
async fn queues_s_export_moves_what_the_filter_keeps_on_the_emulator() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let mut urls = Vec::new();
    for queue in ["dlq", "main"] {
        let created = sqs.create_queue().queue_name(queue).send().await.unwrap();
        urls.push(created.queue_url.unwrap());
    }
    let (dlq, main) = (urls[0].clone(), urls[1].clone());
    // The announcements reach a queue of their own through the topic.
    let sns = aws_sdk_sns::Client::new(&moto.sdk_config().await);
    let topic = sns
        .create_topic()
        .name("moves")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let notes = sqs
        .create_queue()
        .queue_name("notes")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let notes_arn = sqs
        .get_queue_attributes()
        .queue_url(&notes)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(notes_arn)
        .send()
        .await
        .unwrap();
    for body in ["m1", "m2", "poison", "m3", "m4"] {
        sqs.send_message()
            .queue_url(&dlq)
            .message_body(body)
            .message_attributes(
                "origin",
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(format!("of {body}"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let exported = Cli::new()
        .current_dir(repo())
        .dir(repo().join("tests/fixtures/export"))
        .args(["export", "queues", "--to", "step-functions"])
        .status(0)
        .run();
    asl_validator(&exported.stdout).unwrap();
    let receive_all = |queue: String| {
        let sqs = sqs.clone();
        async move {
            let mut bodies = Vec::new();
            loop {
                let received = sqs
                    .receive_message()
                    .queue_url(&queue)
                    .max_number_of_messages(10)
                    .message_attribute_names("All")
                    .send()
                    .await
                    .unwrap();
                let messages = received.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for message in messages {
                    let origin = message.message_attributes.unwrap_or_default()["origin"]
                        .string_value
                        .clone()
                        .unwrap();
                    bodies.push(format!("{} {origin}", message.body.unwrap()));
                }
            }
            bodies.sort();
            bodies
        }
    };

    let capped = execute(
        &moto,
        &exported.stdout,
        &serde_json::json!({"source": dlq, "destination": main, "max": 2, "topic": topic}),
        "capped",
    );
    assert_eq!(capped["status"], "SUCCEEDED", "{capped:#}");
    assert_eq!(
        capped["output"]["steps"]["replay"]["moved"], 2,
        "{capped:#}"
    );

    let all = execute(
        &moto,
        &exported.stdout,
        &serde_json::json!({"source": dlq, "destination": main, "topic": topic}),
        "all",
    );
    assert_eq!(all["status"], "SUCCEEDED", "{all:#}");
    let output = &all["output"]["steps"]["replay"]["output"];
    assert_eq!(output["Moved"], 2, "{output:#}");
    assert_eq!(output["Skipped"], 1, "{output:#}");
    assert_eq!(output["Failed"], 0, "{output:#}");
    assert_eq!(
        receive_all(main.clone()).await,
        ["m1 of m1", "m2 of m2", "m3 of m3", "m4 of m4"]
    );
    // The poison message was skipped by both executions and made visible again each time.
    assert_eq!(receive_all(dlq.clone()).await, ["poison of poison"]);
    // sns.Publish's attribute shorthand (a number, a string) reached the topic as typed attributes.
    let note = sqs
        .receive_message()
        .queue_url(&notes)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    let envelopes: Vec<serde_json::Value> = note
        .iter()
        .map(|message| serde_json::from_str(message.body.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(envelopes.len(), 2, "{envelopes:#?}");
    let last = envelopes
        .iter()
        .find(|envelope| {
            envelope["Message"] == "moved 2"
                && envelope["MessageAttributes"]["moved"]["Type"] == "Number"
        })
        .unwrap_or_else(|| panic!("{envelopes:#?}"));
    assert_eq!(last["MessageAttributes"]["moved"]["Value"], "2");
    assert_eq!(last["MessageAttributes"]["kind"]["Value"], "replay");
}

/// The export executed by the emulator's own Step Functions interpreter on the sandbox's Lambda function, its
/// approval gate answered with the task token from the SNS message: the alias ends where a local run leaves it.
#[tokio::test(flavor = "multi_thread")]
async fn move_alias_s_export_moves_the_alias_when_executed_on_the_emulator() {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
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

// ---------------------------------------------------------------------------------------------------------------
// Shipped runbooks that export, executed on the emulator's Step Functions beside a local run on a world seeded alike

/// The role deployed state machines are given (moto does not check it).
const ROLE: &str = "arn:aws:iam::123456789012:role/runbook-step-functions";

/// An emulator that executes state machines, seeded with `parts` of the sandbox's world (`seed.py --only`), as the
/// runbook's test in tests/e2e/runbooks.rs seeds it.
async fn seeded(parts: &str) -> Moto {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
    moto.seed(&["--only", parts]);
    moto
}

/// The binary on the runbook `name`: the fixture of tests/fixtures/export by that name when there is one, else the
/// shipped runbook.
fn runbook_named(name: &str) -> Cli {
    let fixtures = repo().join("tests/fixtures/export");
    if fixtures.join(format!("{name}.yaml")).exists() {
        Cli::new().dir(fixtures)
    } else {
        Cli::new().shipped()
    }
}

/// `runbook run NAME --yes PARAMS` on the engine of this machine, with its journal in `state`.
fn run_locally(moto: &Moto, state: &Path, name: &str, params: &[&str]) -> Ran {
    runbook_named(name)
        .aws(moto)
        .state_dir(state)
        .args(["run", name, "--yes"])
        .args(params)
        .run()
}

/// The same run on Step Functions: the export deployed (`runbook deploy`) and run (`runbook run --on
/// step-functions`) with its journal in `state`, each gate it reaches approved through `runbook approve` with the
/// token its message carries; `deploy` is given `options` besides (`--http-connection ARN`).
async fn run_on_step_functions(
    moto: &Moto,
    state: &Path,
    name: &str,
    params: &[&str],
    options: &[&str],
) -> Ran {
    let (topic, queue) = topic_with_subscriber(moto, &format!("{name}-approvals")).await;
    let cli = || runbook_named(name).aws(moto).state_dir(state);
    cli()
        .args(["deploy", name, "--to", "step-functions", "--role-arn", ROLE])
        .args(["--approval-topic", &topic, "--yes"])
        .args(options)
        .status(0)
        .run();
    let mut run = cli()
        .args(["run", name, "--on", "step-functions", "--yes"])
        .args(params)
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(180);
    while run.try_wait().unwrap().is_none() {
        for envelope in published(moto, &queue).await {
            let message = envelope["Message"].as_str().unwrap_or_default();
            let token = message
                .split_whitespace()
                .last()
                .expect("a token ends the gate's message");
            cli().args(["approve", token]).status(0).run();
        }
        assert!(
            Instant::now() < deadline,
            "{name} still runs on Step Functions after 180 s"
        );
    }
    Ran::from(run.wait_with_output().unwrap())
}

/// `name` run with `params` locally on `here` and on Step Functions on `there` (two emulators seeded alike), each
/// ending with exit code `code`: both journals, local first.
async fn both_ways(
    here: &Moto,
    there: &Moto,
    name: &str,
    params: &[&str],
    code: i32,
) -> (Vec<Value>, Vec<Value>) {
    both_ways_while(here, there, name, params, code, None, &[]).await
}

/// What the world does while a run goes on that moto cannot (an invoked function's work): started before each run
/// with the emulator's configuration, our client of it, and the folder the run journals to.
type Meanwhile = fn(aws_types::SdkConfig, Arc<Aws>, PathBuf) -> tokio::task::JoinHandle<()>;

/// `meanwhile`, when there is one, started for a run on `moto` journaling to `state`.
async fn start(
    meanwhile: Option<Meanwhile>,
    moto: &Moto,
    state: &Path,
) -> Option<tokio::task::JoinHandle<()>> {
    let meanwhile = meanwhile?;
    Some(meanwhile(
        moto.sdk_config().await,
        Arc::new(moto.aws().await),
        state.to_path_buf(),
    ))
}

/// [`both_ways`], with `meanwhile` beside each run and `deploy_options` given to `deploy`.
async fn both_ways_while(
    here: &Moto,
    there: &Moto,
    name: &str,
    params: &[&str],
    code: i32,
    meanwhile: Option<Meanwhile>,
    deploy_options: &[&str],
) -> (Vec<Value>, Vec<Value>) {
    let (local_state, remote_state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let beside = start(meanwhile, here, local_state.path()).await;
    let local = run_locally(here, local_state.path(), name, params);
    assert_eq!(
        local.code(),
        Some(code),
        "{}\n{}",
        local.stdout,
        local.stderr
    );
    if let Some(beside) = beside {
        beside.await.unwrap();
    }
    let beside = start(meanwhile, there, remote_state.path()).await;
    let remote =
        run_on_step_functions(there, remote_state.path(), name, params, deploy_options).await;
    assert_eq!(
        remote.code(),
        Some(code),
        "{}\n{}",
        remote.stdout,
        remote.stderr
    );
    if let Some(beside) = beside {
        beside.await.unwrap();
    }
    (records(local_state.path()), records(remote_state.path()))
}

async fn item_count(moto: &Moto, table: &str) -> i32 {
    aws_sdk_dynamodb::Client::new(&moto.sdk_config().await)
        .scan()
        .table_name(table)
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap()
        .count
}

/// A message as it would read if whole floats printed as the engine prints them (`24` for `24.0`): JSON numbers in
/// Step Functions have no float kind (the jsonata module's known limit), the rest must be the same.
fn without_whole_floats(message: &str) -> String {
    regex::Regex::new(r"\b(\d+)\.0\b")
        .unwrap()
        .replace_all(message, "$1")
        .into_owned()
}

/// dynamodb-throttling on the world of its test in tests/e2e/runbooks.rs (the table provisioned at 5 units and
/// throttled, as PutMetricData says), run locally and on Step Functions (the gate approved through `runbook
/// approve`) on two emulators seeded alike: the same steps run and are skipped, the diagnosis says the same, and
/// the table ends on demand with every item in both. Run again (still throttled, now on demand), both name the
/// same hot keys (a namespace changed in a loop over groupby's groups) and change nothing.
#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_throttling_on_step_functions_switches_the_table_and_names_hot_keys_as_the_local_run_does()
 {
    const TABLE: &str = "bg-remover-dev-sales-intelligence";
    let throttled = || async {
        let moto = seeded("dynamodb").await;
        provision_table(&moto, TABLE, 5).await;
        for (metric, value) in [
            ("ThrottledRequests", 12.0),
            ("ReadThrottleEvents", 9.0),
            ("UserErrors", 12.0),
            ("ConsumedReadCapacityUnits", 300.0),
        ] {
            put_metric(
                &moto,
                "AWS/DynamoDB",
                metric,
                ("TableName", TABLE),
                &[(10, value), (3, value)],
            )
            .await;
        }
        moto
    };
    let (here, there) = (throttled().await, throttled().await);
    let (local, remote) = both_ways(&here, &there, "dynamodb-throttling", &[], 0).await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["switch"], "succeeded", "{statuses:?}");
    assert_eq!(statuses["hot_keys"], "skipped", "{statuses:?}");
    let (said_here, said_there) = (logged(&local), logged(&remote));
    assert!(
        said_there["diagnosis"].contains("Throttled on provisioned capacity: switch to on-demand."),
        "{said_there:?}"
    );
    assert_eq!(
        without_whole_floats(&said_here["diagnosis"]),
        said_there["diagnosis"]
    );
    for moto in [&here, &there] {
        assert_eq!(billing_mode(moto, TABLE).await, "PAY_PER_REQUEST");
    }
    assert_eq!(
        item_count(&there, TABLE).await,
        item_count(&here, TABLE).await
    );

    let (local, remote) = both_ways(&here, &there, "dynamodb-throttling", &[], 0).await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["switch"], "skipped", "{statuses:?}");
    let (said_here, said_there) = (logged(&local), logged(&remote));
    assert!(
        said_there["hot_keys"].contains("GSI1PK TENANT#carousel-labs holds"),
        "{said_there:?}"
    );
    assert_eq!(said_here["hot_keys"], said_there["hot_keys"]);
}

/// lambda-timeout on the world of its test in tests/e2e/runbooks.rs, run locally and on Step Functions on two
/// emulators seeded alike. Healthy: the same phases measured from the log lines (split on whitespace, a namespace
/// carried through two loops over `range`) and the same diagnosis; nothing changed. Two runs timed out, with
/// `--raise-timeout 600`: the same figures, and after the gate (approved through `runbook approve`) the function's
/// timeout is 600 s in both.
#[tokio::test(flavor = "multi_thread")]
async fn lambda_timeout_on_step_functions_measures_the_phases_and_raises_the_timeout_as_the_local_run_does()
 {
    const FUNCTION: &str = "bg-remover-dev-s3TablesDataValidator";
    let (here, there) = (seeded("lambda").await, seeded("lambda").await);
    let same_logs = |local: &[Value], remote: &[Value]| {
        let (said_here, said_there) = (logged(local), logged(remote));
        for step in ["phases", "diagnosis"] {
            assert_eq!(
                without_whole_floats(&said_here[step]),
                without_whole_floats(&said_there[step]),
                "{step}"
            );
        }
    };

    let (local, remote) = both_ways(&here, &there, "lambda-timeout", &[], 0).await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["raise"], "skipped", "{statuses:?}");
    same_logs(&local, &remote);
    assert!(
        logged(&remote)["phases"].contains("RowCountCheck"),
        "{:?}",
        logged(&remote)
    );

    for moto in [&here, &there] {
        put_timed_out_runs(moto, FUNCTION).await;
    }
    let (local, remote) = both_ways(
        &here,
        &there,
        "lambda-timeout",
        &["--raise-timeout", "600"],
        0,
    )
    .await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["raise"], "succeeded", "{statuses:?}");
    same_logs(&local, &remote);
    assert!(
        logged(&remote)["diagnosis"].contains("2 timed out"),
        "{:?}",
        logged(&remote)
    );
    for moto in [&here, &there] {
        assert_eq!(function_timeout(moto, FUNCTION).await, 600);
    }
}

/// What an alarm is defined as, without what CloudWatch adds (its ARN, state, timestamps).
fn alarm_definitions(alarms: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    alarms
        .iter()
        .map(|(name, alarm)| {
            let defined: serde_json::Map<String, Value> = [
                "AlarmDescription",
                "Namespace",
                "MetricName",
                "Dimensions",
                "Statistic",
                "ExtendedStatistic",
                "Period",
                "EvaluationPeriods",
                "Threshold",
                "ComparisonOperator",
                "TreatMissingData",
                "AlarmActions",
            ]
            .into_iter()
            .map(|field| (field.to_string(), alarm[field].clone()))
            .collect();
            (name.clone(), Value::Object(defined))
        })
        .collect()
}

/// alarms on the world of its test in tests/e2e/runbooks.rs, run locally and on Step Functions on two emulators
/// seeded alike: the four alarms are created alike (the gate approved through `runbook approve`); after the DLQ
/// alarm drifted to a threshold of 50 in both, only it is updated, back to 10, in both, and each run says so alike
/// (a namespace changed in nested loops over dict()-merged definitions).
#[tokio::test(flavor = "multi_thread")]
async fn alarms_on_step_functions_creates_and_repairs_the_alarms_as_the_local_run_does() {
    let (here, there) = (
        seeded("cloudformation").await,
        seeded("cloudformation").await,
    );
    let same_changes = |local: &[Value], remote: &[Value]| {
        let (said_here, said_there) = (logged(local), logged(remote));
        assert_eq!(
            without_whole_floats(&said_here["changes"]),
            said_there["changes"]
        );
    };

    let (local, remote) = both_ways(&here, &there, "alarms", &[], 0).await;
    assert_eq!(step_statuses(&remote), step_statuses(&local));
    same_changes(&local, &remote);
    assert!(
        logged(&remote)["changes"].contains(": create"),
        "{:?}",
        logged(&remote)
    );
    let created = alarm_definitions(&service_alarms(&here).await);
    assert_eq!(created.len(), 4);
    assert_eq!(alarm_definitions(&service_alarms(&there).await), created);

    for moto in [&here, &there] {
        let mut drifted = created["bg-remover-dev-dlq-backlog"].clone();
        let fields = drifted.as_object_mut().unwrap();
        fields.retain(|_, value| !value.is_null());
        fields.insert("AlarmName".into(), "bg-remover-dev-dlq-backlog".into());
        fields.insert("Threshold".into(), 50.0.into());
        for number in ["Period", "EvaluationPeriods"] {
            let text = fields[number].as_str().map(str::to_string);
            if let Some(text) = text {
                fields.insert(number.into(), text.parse::<i64>().unwrap().into());
            }
        }
        crate::support::actions::action(
            std::sync::Arc::new(moto.aws().await),
            "cloudwatch.PutMetricAlarm",
            drifted,
        )
        .await
        .unwrap();
    }
    let (local, remote) = both_ways(&here, &there, "alarms", &[], 0).await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["put"], "succeeded", "{statuses:?}");
    same_changes(&local, &remote);
    assert!(
        logged(&remote)["changes"]
            .contains("bg-remover-dev-dlq-backlog: update (Threshold 50 -> 10)"),
        "{:?}",
        logged(&remote)
    );
    assert_eq!(alarm_definitions(&service_alarms(&here).await), created);
    assert_eq!(alarm_definitions(&service_alarms(&there).await), created);
}

/// The exporter's work once a run journals its invocation (in `state`): the synced table's metadata moves. A run
/// that never invokes it is left to its own assertions.
fn exporter_when_invoked(
    config: aws_types::SdkConfig,
    aws: Arc<Aws>,
    state: PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let invoked = |state: &Path| {
            std::fs::read_dir(state.join("runs"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|run| std::fs::read_to_string(run.path().join("journal.jsonl")).ok())
                .any(|journal| {
                    journal
                        .lines()
                        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                        .any(|r| r["kind"] == "call_started" && r["operation"] == "Invoke")
                })
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while !invoked(&state) {
            if Instant::now() > deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        export_moves_the_table(&config, aws).await;
    })
}

/// sync-lag on the world of its test in tests/e2e/runbooks.rs, run locally and on Step Functions on two emulators
/// seeded alike. Healthy: the same steps skipped, nothing changed. Stale (the schedule disabled, the last export
/// three hours ago, errors since): both gates approved (through `runbook approve` on Step Functions), the rule is
/// enabled, the exporter invoked and the table's move waited for in both; the same steps ran.
#[tokio::test(flavor = "multi_thread")]
async fn sync_lag_on_step_functions_reenables_the_schedule_and_waits_for_the_export_as_the_local_run_does()
 {
    let (here, there) = (
        seeded("iceberg,exporter").await,
        seeded("iceberg,exporter").await,
    );
    let (local, remote) = both_ways(&here, &there, "sync-lag", &[], 0).await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["enable_rule"], "skipped", "{statuses:?}");
    assert_eq!(statuses["invoke"], "skipped", "{statuses:?}");

    for moto in [&here, &there] {
        stale_exports(moto).await;
    }
    let (local, remote) = both_ways_while(
        &here,
        &there,
        "sync-lag",
        &[],
        0,
        Some(exporter_when_invoked),
        &[],
    )
    .await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    for step in ["enable_rule", "invoke", "wait_moved", "lag_after"] {
        assert_eq!(statuses[step], "succeeded", "{step}: {statuses:?}");
    }
    let said = logged(&remote);
    assert!(
        said["diagnosis"].contains("2 ERROR lines, the latest: S3Export ERROR AccessDenied")
            && said["diagnosis"].contains(&format!("rule {EXPORT_RULE} is DISABLED")),
        "{said:?}"
    );
    for moto in [&here, &there] {
        assert_eq!(rule_state(moto).await, "ENABLED");
        let (location, _) = s3tables_location(&moto.sdk_config().await).await;
        assert!(location.ends_with("-exported.metadata.json"), "{location}");
    }
}

/// cost-report on the world of its test in tests/e2e/runbooks.rs (the seeded baseline, then Lambda running away on
/// 2025-12-30, queued as Cost Explorer's answer in both), run locally and on Step Functions on two emulators
/// seeded alike: the same steps, the same report (its table padded alike) and, when a threshold is crossed, the
/// same message published to the cost topic and the run failed in both.
#[tokio::test(flavor = "multi_thread")]
async fn cost_report_on_step_functions_reports_and_notifies_as_the_local_run_does() {
    let (here, there) = (seeded("costs").await, seeded("costs").await);
    let (topic, here_queue) = topic_with_subscriber(&here, "bg-remover-cost-alerts").await;
    let (_, there_queue) = topic_with_subscriber(&there, "bg-remover-cost-alerts").await;
    let same_report = |local: &[Value], remote: &[Value]| {
        let (said_here, said_there) = (logged(local), logged(remote));
        assert_eq!(
            without_whole_floats(&said_here["report"]),
            said_there["report"]
        );
    };

    let (local, remote) = both_ways(&here, &there, "cost-report", &["--topic", &topic], 0).await;
    assert_eq!(step_statuses(&remote), step_statuses(&local));
    same_report(&local, &remote);
    assert!(
        logged(&remote)["report"].contains("Within every threshold."),
        "{:?}",
        logged(&remote)
    );

    for moto in [&here, &there] {
        queue_costs(
            moto,
            "2025-12-30",
            "2025-12-31",
            &[
                ("AWS Lambda", "0.45"),
                ("Amazon DynamoDB", "0.01"),
                ("Amazon Athena", "0.06"),
            ],
        )
        .await;
    }
    let params = ["--date", "2025-12-30", "--topic", topic.as_str()];
    let (local, remote) = both_ways(&here, &there, "cost-report", &params, 1).await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(statuses["notify"], "succeeded", "{statuses:?}");
    same_report(&local, &remote);
    let report = &logged(&remote)["report"];
    assert!(
        report.contains("THRESHOLD CROSSED: AWS Lambda, Amazon Athena, TOTAL")
            && report.contains("AWS Lambda       0.45  0.1    OVER"),
        "{report}"
    );
    let (here_said, there_said) = (
        published(&here, &here_queue).await,
        published(&there, &there_queue).await,
    );
    assert_eq!(there_said.len(), 1, "{there_said:?}");
    assert_eq!(there_said[0]["Subject"], here_said[0]["Subject"]);
    assert_eq!(
        without_whole_floats(here_said[0]["Message"].as_str().unwrap()),
        there_said[0]["Message"]
    );
}

/// A `runbook:` step exports with its child's steps inline (`tally.describe`, reading the child's parameters
/// bound in `tally.Parameters`), nested twice too, each definition passing asl-validator; the role the export
/// prints allows the child's own action (only count-rows describes a table) on the table the parent's parameter
/// names.
#[test]
fn a_nested_runbook_exports_inline_and_its_steps_are_in_the_role() {
    let export = |name: &str| {
        Cli::new()
            .current_dir(repo())
            .dir(repo().join("tests/fixtures/export"))
            .args(["export", name, "--to", "step-functions", "--with-role"])
            .args(["--format", "json", "--ledger", "ledger"])
            .status(0)
            .run()
            .json()
    };
    let exported = export("nest-tables");
    let states = exported["Definition"]["States"].as_object().unwrap();
    assert_eq!(
        states["tally.when"]["Choices"][0]["Next"],
        "tally.Parameters"
    );
    assert_eq!(
        states["tally.describe"]["Arguments"]["TableName"],
        "{% $frame0_params.table %}"
    );
    asl_validator(&exported["Definition"].to_string()).unwrap();
    let statements = exported["RolePolicy"]["Statement"].to_string();
    assert!(
        statements.contains("dynamodb:DescribeTable")
            && statements.contains("arn:aws:dynamodb:*:*:table/ledger"),
        "{statements}"
    );
    let twice = export("nest-twice");
    let states = twice["Definition"]["States"].as_object().unwrap();
    assert!(states.contains_key("outer.tally.describe"), "{states:?}");
    asl_validator(&twice["Definition"].to_string()).unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// `http.request` as Step Functions' HTTP task

/// An EventBridge connection on `moto` that sends an API key header, `x-health-key: k-123`: its ARN.
async fn api_key_connection(moto: &Moto) -> String {
    use aws_sdk_eventbridge::types::{
        ConnectionAuthorizationType, CreateConnectionApiKeyAuthRequestParameters,
        CreateConnectionAuthRequestParameters,
    };
    aws_sdk_eventbridge::Client::new(&moto.sdk_config().await)
        .create_connection()
        .name("health")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("x-health-key")
                        .api_key_value("k-123")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .connection_arn
        .unwrap()
}

/// Each success criterion's name and whether it held, in the order a journal evaluated them.
fn criteria(records: &[Value]) -> Vec<(String, bool)> {
    records
        .iter()
        .filter(|record| record["kind"] == "success_criterion")
        .map(|record| {
            (
                record["name"].as_str().unwrap_or_default().to_string(),
                record["held"] == true,
            )
        })
        .collect()
}

/// smoke-test on its seeded world, run locally and on Step Functions (its health check an HTTP task through an
/// API key connection) on two emulators seeded alike, against a health endpoint that is healthy, then answers
/// 200 but degraded, then 503: the same steps succeed and fail, the report says the same and the same criteria
/// hold in each world, the health step failing in the last two; and the endpoint was sent the connection's key.
#[tokio::test(flavor = "multi_thread")]
async fn smoke_test_on_step_functions_calls_the_health_endpoint_through_the_connection_as_the_local_run_does()
 {
    let parts = "dynamodb,sqs,lambda,embeddings";
    let (here, there) = (seeded(parts).await, seeded(parts).await);
    let connection = api_key_connection(&there).await;
    let worlds = [
        (
            health::answering("200 OK", r#"{"status":"healthy"}"#),
            "succeeded",
        ),
        (
            health::answering("200 OK", r#"{"status":"degraded"}"#),
            "failed",
        ),
        (
            health::answering("503 Service Unavailable", r#"{"status":"down"}"#),
            "failed",
        ),
    ];
    for (endpoint, health_step) in worlds {
        let params = ["--health-url", endpoint.url.as_str()];
        let options = ["--http-connection", connection.as_str()];
        // The seeded DLQ holds messages, so both runs fail whatever the endpoint says.
        let (local, remote) =
            both_ways_while(&here, &there, "smoke-test", &params, 1, None, &options).await;
        let statuses = step_statuses(&remote);
        assert_eq!(statuses, step_statuses(&local), "{}", endpoint.url);
        assert_eq!(statuses["health"], health_step, "{}", endpoint.url);
        assert_eq!(logged(&remote)["report"], logged(&local)["report"]);
        // Every criterion evaluated and journaled on both, held or not.
        let (held_here, held_there) = (criteria(&local), criteria(&remote));
        assert_eq!(held_there, held_here);
        assert!(held_there.iter().any(|(_, held)| !held), "{held_there:?}");
        assert_eq!(
            held_there[0],
            (
                "4.1 health checks passing".to_string(),
                health_step == "succeeded"
            )
        );
        // One record of the step, its calls journaled as the local run journals them: `http GET`, the request
        // `{method, url}`, as many attempts (the 503 retried alike).
        let calls = |records: &[Value]| -> Vec<Value> {
            of_kind(records, "call_started", "health")
                .into_iter()
                .map(|r| serde_json::json!([r["service"], r["operation"], r["request"]]))
                .collect()
        };
        assert_eq!(calls(&remote), calls(&local));
        assert_eq!(
            calls(&remote)[0],
            serde_json::json!(["http", "GET", {"method": "GET", "url": endpoint.url}])
        );
        let finished = |records: &[Value]| of_kind(records, "step_finished", "health").len();
        assert_eq!((finished(&local), finished(&remote)), (1, 1));
        // The local run sends no key; every request Step Functions made carried the connection's.
        let keys = endpoint.header_values("x-health-key");
        assert!(!keys.is_empty(), "{}", endpoint.url);
        assert!(keys.iter().all(|key| key == "k-123"), "{keys:?}");
    }
}

/// Triage's world (the sandbox's, without a DLQ backlog) on an emulator that executes state machines: the seeded
/// function's name.
async fn triage_world(moto: &Moto) -> String {
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
    let world = moto.seed(&[
        "--only",
        "dynamodb,sqs,lambda,cloudformation",
        "--dlq-messages",
        "0",
    ]);
    analytics_bucket(moto).await;
    world["lambda"]["function"].as_str().unwrap().to_string()
}

/// triage with `--rollback` on Step Functions, its health check an HTTP task through the connection and its
/// nested rollback-lambda inlined: run locally and on Step Functions on two emulators seeded alike, it ends as the
/// local run does, step by step and in its report. Healthy, the rollback is skipped on both and the alias stays;
/// with three of four invocations failing, both roll the alias back from 3 to 2 through rollback-lambda's own gate
/// (answered with `runbook approve` on Step Functions, `--yes` locally), journaled under `rollback.*`.
#[tokio::test(flavor = "multi_thread")]
async fn triage_on_step_functions_rolls_back_through_its_nested_runbook_only_when_recommended_as_the_local_run_does()
 {
    let endpoint = health::answering("200 OK", r#"{"status":"healthy"}"#);
    for failing in [false, true] {
        let (here, there) = (Moto::start(), Moto::start());
        let function = triage_world(&here).await;
        assert_eq!(triage_world(&there).await, function);
        if failing {
            for moto in [&here, &there] {
                let errors = [(20, 1.0), (5, 2.0)];
                put_metric(
                    moto,
                    "AWS/Lambda",
                    "Errors",
                    ("FunctionName", &function),
                    &errors,
                )
                .await;
            }
        }
        let connection = api_key_connection(&there).await;
        let params = ["--health-url", endpoint.url.as_str(), "--rollback"];
        let options = ["--http-connection", connection.as_str()];
        let (local, remote) =
            both_ways_while(&here, &there, "triage", &params, 0, None, &options).await;
        let statuses = step_statuses(&remote);
        assert_eq!(statuses, step_statuses(&local), "failing: {failing}");
        let (rolled, version) = if failing {
            ("succeeded", "2")
        } else {
            ("skipped", "3")
        };
        for step in ["rollback", "rollback.move_alias"] {
            assert_eq!(statuses[step], rolled, "{step}, failing: {failing}");
        }
        assert_eq!(statuses["health"], "succeeded");
        // The run's own line (which execution of which state machine) is the remote run's alone.
        let mut said = logged(&remote);
        said.remove("");
        assert_eq!(said, logged(&local), "failing: {failing}");
        for moto in [&here, &there] {
            assert_eq!(live_alias_version(moto, &function).await, version);
        }
    }
}

/// Without `--http-connection`, the `http.request` step is refused at its place, the hint naming the flag, and
/// nothing is printed; with it, the definition calls the endpoint through that connection, and the role may
/// invoke the endpoint (bound to the step's method and, since the URL is a parameter, any endpoint) and read the
/// connection's credentials.
#[test]
fn http_request_exports_as_an_http_task_through_the_connection_given() {
    let refused = Cli::new()
        .current_dir(repo())
        .args([
            "--no-color",
            "export",
            "smoke-test",
            "--to",
            "step-functions",
        ])
        .status(2)
        .run();
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("`http.request` cannot be exported to Step Functions")
            && refused.stderr.contains("--> runbooks/smoke-test.yaml:64:9")
            && refused.stderr.contains("hint: pass --http-connection ARN"),
        "{}",
        refused.stderr
    );

    let exported = Cli::new()
        .current_dir(repo())
        .args(["export", "smoke-test", "--to", "step-functions"])
        .args(["--http-connection", CONNECTION, "--with-role"])
        .args(["--region", "us-east-1", "--account", "123456789012"])
        .status(0)
        .run()
        .json();
    let definition = &exported["Definition"];
    asl_validator(&definition.to_string()).unwrap();
    let task = definition["States"]["parallel 1"]["Branches"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|branch| branch["States"].get("health"))
        .expect("the health step's task");
    assert_eq!(task["Resource"], "arn:aws:states:::http:invoke");
    assert!(
        task["Arguments"].as_str().unwrap().contains(CONNECTION),
        "{task}"
    );
    assert_eq!(task["TimeoutSeconds"], 5);
    let statements = exported["RolePolicy"]["Statement"].as_array().unwrap();
    let allowed = |action: &str| {
        statements
            .iter()
            .find(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
            .unwrap_or_else(|| panic!("no statement allows {action}: {statements:?}"))
    };
    let invoke = allowed("states:InvokeHTTPEndpoint");
    assert_eq!(
        invoke["Resource"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:smoke-test"
    );
    assert_eq!(
        invoke["Condition"]["StringEquals"]["states:HTTPMethod"],
        "GET"
    );
    assert_eq!(
        invoke["Condition"]["StringLike"]["states:HTTPEndpoint"],
        "*"
    );
    assert_eq!(
        allowed("events:RetrieveConnectionCredentials")["Resource"],
        CONNECTION
    );
    assert_eq!(
        allowed("secretsmanager:GetSecretValue")["Resource"],
        "arn:aws:secretsmanager:*:*:secret:events!connection/*"
    );
}

/// The fixture `http-answers` (a 404 taken as an answer, a text body with a header sent twice and a query string, a
/// JSON body posted with a templated header and its status expected, a status not expected) run locally and on
/// Step Functions beside each other against tests/e2e/support/http_server.rs: the same steps succeed and fail,
/// each step's output is the same but for its `latency_ms`, and each request is journaled alike.
#[tokio::test(flavor = "multi_thread")]
async fn http_requests_on_step_functions_answer_as_the_local_run_s() {
    let (here, there) = (Moto::start(), Moto::start());
    there.execute_state_machines().await;
    let connection = api_key_connection(&there).await;
    let (base, _) = http_server::serve();
    let (local, remote) = both_ways_while(
        &here,
        &there,
        "http-answers",
        &["--base", &base],
        0,
        None,
        &["--http-connection", &connection],
    )
    .await;
    let statuses = step_statuses(&remote);
    assert_eq!(statuses, step_statuses(&local));
    assert_eq!(
        statuses.values().collect::<Vec<_>>(),
        ["succeeded", "succeeded", "succeeded", "failed"],
        "{statuses:?}"
    );
    let outputs = |records: &[Value]| -> BTreeMap<String, Value> {
        records
            .iter()
            .filter(|r| r["kind"] == "step_finished")
            .map(|r| {
                // The time each took, and the server's clock, are the run's own.
                let mut output = r["output"].clone();
                if let Some(fields) = output.as_object_mut() {
                    fields.remove("latency_ms");
                    if let Some(headers) = fields.get_mut("headers").and_then(Value::as_object_mut)
                    {
                        headers.remove("date");
                    }
                }
                (r["step"].as_str().unwrap().to_string(), output)
            })
            .collect()
    };
    let (here_said, there_said) = (outputs(&local), outputs(&remote));
    assert_eq!(there_said, here_said);
    assert_eq!(there_said["missing"]["status"], 404, "{there_said:?}");
    assert_eq!(
        there_said["echo"]["body"]["body"],
        r#"{"tenant":"carousel-labs","count":2}"#
    );
    assert_eq!(there_said["text"]["body"], "hello");
    assert_eq!(there_said["text"]["headers"]["set-cookie"], "a=1, b=2");
    assert_eq!(there_said["echo"]["body"]["method"], "POST");
    let calls = |records: &[Value]| {
        records
            .iter()
            .filter(|r| r["kind"] == "call_started")
            .map(|r| serde_json::json!([r["step"], r["operation"], r["request"]]).to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    // The steps run side by side, in whichever order each engine starts them.
    assert_eq!(calls(&remote), calls(&local));
    let unexpected = |records: &[Value]| {
        records
            .iter()
            .find(|r| r["kind"] == "step_finished" && r["step"] == "unexpected")
            .and_then(|r| r["error"].as_str().map(str::to_string))
            .unwrap_or_default()
    };
    assert!(
        unexpected(&remote).contains("answered 200, expected 201: hello"),
        "{}",
        unexpected(&remote)
    );
}
