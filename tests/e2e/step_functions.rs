//! `runbook deploy --to step-functions`, `runbook run --on step-functions`, `runbook approve` and `runbook reject`
//! against the emulator's own Step Functions interpreter, with the move-alias fixture (tests/fixtures/export) on
//! the sandbox's Lambda function: what AWS ends up as, and what our journal says.
//!
//! Each test starts an emulator of its own: executions call back into it, and a definition it refused can spoil
//! later ones in the same server (issue 15).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::cli::{Cli, Ran, repo};
use crate::support::journal::{of_kind, records, step_records};
use crate::support::moto::Moto;
use crate::support::world::{live_alias_version, topic_with_subscriber};

const ROLE: &str = "arn:aws:iam::123456789012:role/runbook-step-functions";
const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/runbook-step-functions-2";

/// The emulator with Step Functions executing definitions, the sandbox's Lambda function (alias `live` on version
/// 3), and an approval topic whose messages land in a queue: (moto, function, topic ARN, queue URL).
async fn world() -> (Moto, String, String, String) {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
    let world = moto.seed(&["--only", "lambda"]);
    assert_eq!(world["lambda"]["alias_version"], "3");
    let function = world["lambda"]["function"].as_str().unwrap().to_string();
    let (topic, queue) = topic_with_subscriber(&moto, "runbook-approvals").await;
    (moto, function, topic, queue)
}

fn fixture() -> PathBuf {
    repo().join("tests/fixtures/export")
}

/// `runbook run` of the fixture `tables` on Step Functions, on the table `ledger`.
const RUN_TABLES_ON_STEP_FUNCTIONS: [&str; 7] = [
    "run",
    "tables",
    "--on",
    "step-functions",
    "--ledger",
    "ledger",
    "--yes",
];

fn cli(moto: &Moto, state: &Path) -> Cli {
    Cli::new()
        .dir(fixture())
        .aws(moto)
        .env("RUNBOOK_STATE_DIR", state)
}

fn deploy(moto: &Moto, topic: &str, role: &str, yes: bool) -> Cli {
    let mut args = vec![
        "deploy",
        "move-alias",
        "--to",
        "step-functions",
        "--role-arn",
        role,
        "--approval-topic",
        topic,
    ];
    if yes {
        args.push("--yes");
    }
    Cli::new().dir(fixture()).aws(moto).args(args)
}

async fn described(
    moto: &Moto,
) -> Option<aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineOutput> {
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let machines = sfn.list_state_machines().send().await.unwrap();
    let arn = machines
        .state_machines()
        .iter()
        .find(|machine| machine.name() == "move-alias")?
        .state_machine_arn()
        .to_string();
    Some(
        sfn.describe_state_machine()
            .state_machine_arn(arn)
            .send()
            .await
            .unwrap(),
    )
}

/// The task token of the next gate message published to the topic (read from its subscribed queue).
async fn next_token(moto: &Moto, queue: &str) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let envelopes = crate::support::world::published(moto, queue).await;
        if let Some(envelope) = envelopes.first() {
            let message = envelope["Message"].as_str().unwrap().to_string();
            let token = message
                .split_whitespace()
                .last()
                .expect("a token at the end of the message")
                .to_string();
            return (message, token);
        }
        assert!(Instant::now() < deadline, "no gate message within 60 s");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_creates_then_does_nothing_then_shows_the_diff_and_updates_and_a_refusal_changes_nothing()
 {
    let (moto, _, topic, _) = world().await;
    let created = deploy(&moto, &topic, ROLE, true)
        .status(0)
        .stdout_has("created state machine move-alias")
        .run();
    let first = described(&moto).await.expect("created");
    assert_eq!(first.role_arn(), ROLE);
    let definition: Value = serde_json::from_str(first.definition()).unwrap();
    assert!(
        definition["States"].as_object().unwrap().len() > 5,
        "{created:?}",
        created = created.stdout
    );

    deploy(&moto, &topic, ROLE, true)
        .status(0)
        .stdout_has("is up to date")
        .run();
    let second = described(&moto).await.unwrap();
    assert_eq!(second.definition(), first.definition());

    // Another topic changes the definition: off a terminal without --yes nothing is sent (exit 2)...
    let other_topic = topic.replace("runbook-approvals", "runbook-approvals-2");
    deploy(&moto, &other_topic, OTHER_ROLE, false)
        .status(2)
        .stderr_has("pass --yes")
        .run();
    // ... on a terminal anything but `yes` refuses it (exit 4, as a run's declined writes) ...
    let (code, screen) = crate::support::terminal::on_a_terminal(
        Path::new(env!("CARGO_BIN_EXE_runbook")),
        &[
            "--dir",
            fixture().to_str().unwrap(),
            "deploy",
            "move-alias",
            "--to",
            "step-functions",
            "--role-arn",
            OTHER_ROLE,
            "--approval-topic",
            &other_topic,
        ],
        &repo(),
        &moto.env(),
        "no\n",
    );
    assert_eq!(code, Some(4), "{screen}");
    assert!(
        screen.contains(&format!("role: {ROLE} -> {OTHER_ROLE}")),
        "{screen}"
    );
    assert!(screen.contains(&other_topic), "{screen}");
    let refused = described(&moto).await.unwrap();
    assert_eq!(refused.definition(), first.definition());
    assert_eq!(refused.role_arn(), ROLE);

    // ... and with --yes the diff is shown and the state machine updated.
    let updated = deploy(&moto, &other_topic, OTHER_ROLE, true)
        .status(0)
        .stdout_has("updated state machine move-alias")
        .run();
    let diff_lines: Vec<&str> = updated.stderr.lines().collect();
    assert!(
        diff_lines
            .iter()
            .any(|l| l.trim_start().starts_with("- ") && l.contains(&topic)),
        "{}",
        updated.stderr
    );
    assert!(
        diff_lines
            .iter()
            .any(|l| l.trim_start().starts_with("+ ") && l.contains(&other_topic)),
        "{}",
        updated.stderr
    );
    let after = described(&moto).await.unwrap();
    assert_eq!(after.role_arn(), OTHER_ROLE);
    assert!(after.definition().contains(&other_topic));
    assert!(!after.definition().contains(&format!("{topic}\"")));
}

/// Starts the deployed state machine through the SDK (as the console or a schedule would), for the answers.
async fn start_through_the_sdk(moto: &Moto, function: &str, name: &str) -> String {
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let machines = sfn.list_state_machines().send().await.unwrap();
    let machine = machines.state_machines()[0].state_machine_arn().to_string();
    sfn.start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(json!({"function": function, "to_version": "2"}).to_string())
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_string()
}

async fn finished_execution(
    moto: &Moto,
    execution: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution)
            .send()
            .await
            .unwrap();
        if described.status().as_str() != "RUNNING" {
            return described;
        }
        assert!(Instant::now() < deadline, "still running after 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_answers_the_gate_with_who_approved_and_the_alias_moves() {
    let (moto, function, topic, queue) = world().await;
    deploy(&moto, &topic, ROLE, true).status(0).run();
    let execution = start_through_the_sdk(&moto, &function, "approved").await;
    let (message, token) = next_token(&moto, &queue).await;
    assert!(
        message.starts_with(&format!(
            "Point alias live of {function} from version 3 to 2?"
        )),
        "{message}"
    );

    let state = tempfile::tempdir().unwrap();
    let answered = cli(&moto, state.path())
        .args(["approve", &token, "--comment", "checked the canary"])
        .status(0)
        .stdout_has("approved by ")
        .run();
    // The caller identity STS gives the emulator's default user.
    assert!(answered.stdout.contains("arn:aws:"), "{}", answered.stdout);

    let done = finished_execution(&moto, &execution).await;
    assert_eq!(done.status().as_str(), "SUCCEEDED", "{done:?}");
    assert_eq!(live_alias_version(&moto, &function).await, "2");
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let history = sfn
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let answer: Value = history
        .events()
        .iter()
        .filter_map(|event| event.task_succeeded_event_details())
        .filter_map(|details| details.output())
        .map(|output| serde_json::from_str(output).unwrap())
        .find(|output: &Value| output.get("approved_by").is_some())
        .expect("the approval's output in the history");
    assert_eq!(answer["how"], "runbook approve");
    assert_eq!(answer["comment"], "checked the canary");
    assert!(
        answer["aws_principal"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:"),
        "{answer}"
    );

    // The same token again: the gate has moved on, which is the operator's mistake (exit 2), said plainly.
    let again = cli(&moto, state.path()).args(["approve", &token]).run();
    assert_eq!(again.code(), Some(2), "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("Step Functions did not take the answer"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reject_fails_the_gate_with_the_reason_and_the_alias_stays() {
    let (moto, function, topic, queue) = world().await;
    deploy(&moto, &topic, ROLE, true).status(0).run();
    let execution = start_through_the_sdk(&moto, &function, "rejected").await;
    let (_, token) = next_token(&moto, &queue).await;
    let state = tempfile::tempdir().unwrap();

    let bad = cli(&moto, state.path())
        .args(["reject", "not-a-token"])
        .run();
    assert_eq!(bad.code(), Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("hint:"), "{}", bad.stderr);

    cli(&moto, state.path())
        .args(["reject", &token, "--reason", "error rate is fine"])
        .status(0)
        .stdout_has("refused by ")
        .stdout_has("error rate is fine")
        .run();
    let done = finished_execution(&moto, &execution).await;
    assert_eq!(done.status().as_str(), "FAILED");
    assert_eq!(done.error(), Some("runbook.Refused"));
    let cause = done.cause().unwrap_or_default();
    assert!(
        cause.contains("refused by ") && cause.contains("error rate is fine"),
        "{cause:?}"
    );
    assert_eq!(live_alias_version(&moto, &function).await, "3");
}

/// `runbook run move-alias --on step-functions`, started in the background with its journal in `state`: the gate
/// is answered by the test.
fn start_run(moto: &Moto, state: &Path, function: &str) -> std::process::Child {
    cli(moto, state)
        .args([
            "run",
            "move-alias",
            "--on",
            "step-functions",
            "--function",
            function,
            "--to-version",
            "2",
            "--yes",
        ])
        .spawn()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_on_step_functions_is_followed_answered_and_journaled_like_a_local_run() {
    let (moto, function, topic, queue) = world().await;
    deploy(&moto, &topic, ROLE, true).status(0).run();
    let state = tempfile::tempdir().unwrap();
    let run = start_run(&moto, state.path(), &function);
    let (_, token) = next_token(&moto, &queue).await;
    cli(&moto, state.path())
        .args(["approve", &token])
        .status(0)
        .run();
    let ran = Ran::from(run.wait_with_output().unwrap());
    assert_eq!(ran.code(), Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(live_alias_version(&moto, &function).await, "2");
    // Progress as a local run shows it, and its summary.
    assert!(ran.stderr.contains("move_alias"), "{}", ran.stderr);
    assert!(ran.stdout.contains("succeeded"), "{}", ran.stdout);

    let records = records(state.path());
    assert_eq!(records[0]["kind"], "run_started");
    assert_eq!(records[0]["mode"], "run");
    let call = of_kind(&records, "call_started", "move_alias");
    assert_eq!(call.len(), 1, "{records:#?}");
    assert_eq!(call[0]["service"], "lambda");
    assert_eq!(call[0]["operation"], "UpdateAlias");
    assert_eq!(call[0]["request"]["FunctionVersion"], "2");
    let answered = of_kind(&records, "call_finished", "move_alias");
    assert_eq!(
        answered[0]["response"]["FunctionVersion"], "2",
        "{answered:#?}"
    );
    assert_eq!(
        of_kind(&records, "step_finished", "move_alias")[0]["status"],
        "succeeded"
    );
    assert_eq!(
        of_kind(&records, "step_finished", "settle")[0]["status"],
        "skipped"
    );
    let asked = of_kind(&records, "approval_requested", "confirm");
    let prompt = asked[0]["prompt"].as_str().unwrap();
    assert!(prompt.starts_with("Point alias live of"), "{prompt}");
    assert!(
        !prompt.contains(&token),
        "the token answers the gate and stays out of the journal"
    );
    let approved = of_kind(&records, "approved", "confirm");
    assert_eq!(approved[0]["how"], "runbook approve");
    assert_eq!(records.last().unwrap()["kind"], "run_finished");
    assert_eq!(records.last().unwrap()["outcome"], "succeeded");
    let logged = of_kind(&records, "log", "report");
    assert_eq!(
        logged[0]["message"], "alias live now serves version 2",
        "{records:#?}"
    );

    cli(&moto, state.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
    let timeline = cli(&moto, state.path())
        .args(["audit", "timeline", "last", "--format", "text"])
        .status(0)
        .run()
        .stdout;
    for expected in [
        "run of `move-alias` started by",
        "report           Log: alias live now serves version 2 -> succeeded",
        "approved by",
        "move_alias",
        "success criterion: the alias serves the requested version",
        "run finished",
    ] {
        assert!(
            timeline.contains(expected),
            "no {expected:?} in\n{timeline}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_on_step_functions_refused_at_its_gate_ends_refused_and_moves_nothing() {
    let (moto, function, topic, queue) = world().await;
    let state = tempfile::tempdir().unwrap();
    // Not deployed yet: said, and nothing started.
    cli(&moto, state.path())
        .args([
            "run",
            "move-alias",
            "--on",
            "step-functions",
            "--function",
            &function,
            "--to-version",
            "2",
            "--yes",
        ])
        .status(2)
        .stderr_has("runbook deploy move-alias --to step-functions")
        .run();
    deploy(&moto, &topic, ROLE, true).status(0).run();
    // A runbook changed since it was deployed is not run: the journal would name a runbook AWS did not run.
    let changed = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture().join("move-alias.yaml")).unwrap();
    std::fs::write(
        changed.path().join("move-alias.yaml"),
        text.replace("timeout: 30m", "timeout: 20m"),
    )
    .unwrap();
    Cli::new()
        .dir(changed.path())
        .aws(&moto)
        .env("RUNBOOK_STATE_DIR", state.path())
        .args([
            "run",
            "move-alias",
            "--on",
            "step-functions",
            "--function",
            &function,
            "--to-version",
            "2",
            "--yes",
        ])
        .status(2)
        .stderr_has("was not deployed from move-alias as it is now")
        .run();
    assert!(!state.path().join("runs").exists(), "nothing was journaled");
    // Its writes need --yes off a terminal, as a local run's do.
    cli(&moto, state.path())
        .args([
            "run",
            "move-alias",
            "--on",
            "step-functions",
            "--function",
            &function,
            "--to-version",
            "2",
        ])
        .status(2)
        .stderr_has("pass --yes")
        .run();

    let run = start_run(&moto, state.path(), &function);
    let (_, token) = next_token(&moto, &queue).await;
    cli(&moto, state.path())
        .args(["reject", &token, "--reason", "not now"])
        .status(0)
        .run();
    let ran = Ran::from(run.wait_with_output().unwrap());
    assert_eq!(ran.code(), Some(6), "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(live_alias_version(&moto, &function).await, "3");
    let records = records(state.path());
    let confirm = of_kind(&records, "step_finished", "confirm");
    assert_eq!(confirm[0]["status"], "refused", "{records:#?}");
    // Who refused and why travel as SendTaskFailure's cause, which AWS keeps (and scripts/moto_server.py makes
    // moto keep): the step's error says them.
    let why = confirm[0]["error"].as_str().unwrap();
    assert!(
        why.contains("not now") && why.contains("refused by "),
        "{why}"
    );
    assert!(of_kind(&records, "step_started", "move_alias").is_empty());
    assert_eq!(records.last().unwrap()["outcome"], "refused");
    assert!(
        records[0]["state_machine"]
            .as_str()
            .unwrap()
            .ends_with(":stateMachine:move-alias")
    );
    // Its remaining steps are not run here by a resume.
    cli(&moto, state.path())
        .args(["resume", "last", "--yes"])
        .status(2)
        .stderr_has("ran on AWS Step Functions")
        .run();
    cli(&moto, state.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
}

/// The shipped runbooks' CLI on the emulator, journaling into `state`.
fn shipped(moto: &Moto, state: &Path) -> Cli {
    Cli::new()
        .shipped()
        .aws(moto)
        .env("RUNBOOK_STATE_DIR", state)
}

/// What issue 15's proof does for every shipped runbook: `runbook deploy NAME --to step-functions` with an approval
/// topic, `runbook run NAME --on step-functions ARGS --yes` with its journal in `state`, its gate answered through
/// `runbook approve` while it waits, the run ending in success, and its journal (imported from the execution's
/// history) passing `audit verify`. The gate's message and the run.
async fn deploy_run_and_approve(
    moto: &Moto,
    state: &Path,
    runbook: &str,
    args: &[&str],
) -> (String, Ran) {
    let (topic, queue) = topic_with_subscriber(moto, &format!("{runbook}-approvals")).await;
    shipped(moto, state)
        .args([
            "deploy",
            runbook,
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
            "--approval-topic",
            &topic,
            "--yes",
        ])
        .status(0)
        .run();
    let run = shipped(moto, state)
        .args(["run", runbook, "--on", "step-functions"])
        .args(args)
        .arg("--yes")
        .spawn();
    let (message, token) = next_token(moto, &queue).await;
    shipped(moto, state)
        .args(["approve", &token])
        .status(0)
        .run();
    let ran = Ran::from(run.wait_with_output().unwrap());
    assert_eq!(ran.code(), Some(0), "{}\n{}", ran.stdout, ran.stderr);
    shipped(moto, state)
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
    (message, ran)
}

/// Issue 15's proof for rollback-lambda: its export deployed on the seeded world, run on Step Functions with the
/// gate answered through `runbook approve`, ends as the local run does (alias `live` on version 2), and the
/// journal imported from the execution's history passes `audit verify`.
#[tokio::test(flavor = "multi_thread")]
async fn rollback_lambda_on_step_functions_moves_the_alias_as_the_local_run_does() {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
    let world = moto.seed(&["--only", "lambda,cloudformation"]);
    assert_eq!(world["lambda"]["alias_version"], "3");
    let function = world["lambda"]["function"].as_str().unwrap().to_string();
    let state = tempfile::tempdir().unwrap();
    let (message, _) = deploy_run_and_approve(&moto, state.path(), "rollback-lambda", &[]).await;
    assert!(message.contains(&function), "{message}");
    assert_eq!(live_alias_version(&moto, &function).await, "2");
    let records = records(state.path());
    assert_eq!(
        of_kind(&records, "step_finished", "move_alias")[0]["status"],
        "succeeded"
    );
}

/// Issue 15's proof for dlq-replay: its export deployed on the seeded world (50 messages in the DLQ, the function
/// at 300 s), run on Step Functions with `--raise-timeout 900` and the gate answered through `runbook approve`,
/// ends as the local run does (tests/e2e/runbooks.rs, `dlq_replay_moves_every_message_...`): the timeout is
/// 900 s, the DLQ is empty and the main queue holds every message once with its attributes; the journal imported
/// from the execution's history passes `audit verify`.
#[tokio::test(flavor = "multi_thread")]
async fn dlq_replay_on_step_functions_moves_every_message_as_the_local_run_does() {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
    moto.seed(&["--only", "sqs,lambda"]);
    let state = tempfile::tempdir().unwrap();
    let (message, _) = deploy_run_and_approve(
        &moto,
        state.path(),
        "dlq-replay",
        &["--raise-timeout", "900"],
    )
    .await;
    assert!(
        message.contains("Move 50 messages from bg-remover-dev-dlq to bg-remover-dev-main?"),
        "{message}"
    );

    let config = moto.sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let function = lambda
        .get_function_configuration()
        .function_name("bg-remover-dev-s3TablesDataValidator")
        .send()
        .await
        .unwrap();
    assert_eq!(function.timeout(), Some(900));
    let sqs = aws_sdk_sqs::Client::new(&config);
    let mut left = Vec::new();
    for queue in ["bg-remover-dev-dlq", "bg-remover-dev-main"] {
        let url = sqs
            .get_queue_url()
            .queue_name(queue)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let mut bodies = Vec::new();
        loop {
            let received = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap()
                .messages
                .unwrap_or_default();
            if received.is_empty() {
                break;
            }
            for message in received {
                let tenant = message
                    .message_attributes
                    .unwrap_or_default()
                    .get("tenant")
                    .and_then(|value| value.string_value.clone());
                bodies.push((message.body.unwrap_or_default(), tenant));
            }
        }
        left.push(bodies);
    }
    assert!(left[0].is_empty(), "the DLQ still holds {:?}", left[0]);
    let moved = &left[1];
    assert_eq!(moved.len(), 50, "{moved:?}");
    let distinct: std::collections::BTreeSet<&String> =
        moved.iter().map(|(body, _)| body).collect();
    assert_eq!(distinct.len(), 50, "a message arrived twice");
    assert!(
        moved
            .iter()
            .all(|(_, tenant)| tenant.as_deref() == Some("carousel-labs")),
        "{moved:?}"
    );
    let records = records(state.path());
    assert_eq!(
        of_kind(&records, "step_finished", "replay")[0]["status"],
        "succeeded",
        "{records:#?}"
    );
}

/// Issue 15's proof for pitr-restore: its export deployed on the seeded world, run on Step Functions to the
/// seed's latest restorable time with the gate answered through `runbook approve`, ends as the local run does
/// (tests/e2e/runbooks.rs, `pitr_restore_swaps_the_verified_copy_in_...`): a new table under the original name,
/// active, with every item; the journal imported from the execution's history passes `audit verify`.
#[tokio::test(flavor = "multi_thread")]
async fn pitr_restore_on_step_functions_swaps_the_copy_in_as_the_local_run_does() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    let world = moto.seed(&["--only", "dynamodb"]);
    let table = "bg-remover-dev-sales-intelligence";
    let items = world["dynamodb"]["items"].as_i64().unwrap() as i32;
    let restore_time = world["dynamodb"]["latest_restorable"]
        .as_str()
        .unwrap()
        .to_string();
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let created = |dynamodb: aws_sdk_dynamodb::Client| async move {
        dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
    };
    let before = created(dynamodb.clone()).await;
    let state = tempfile::tempdir().unwrap();
    let (message, _) = deploy_run_and_approve(
        &moto,
        state.path(),
        "pitr-restore",
        &["--restore-time", &restore_time],
    )
    .await;
    assert!(
        message.contains("Back up bg-remover-dev-sales-intelligence"),
        "{message}"
    );

    let after = created(dynamodb.clone()).await;
    assert_eq!(after.table_status().unwrap().as_str(), "ACTIVE");
    assert!(
        after.creation_date_time().unwrap() > before.creation_date_time().unwrap(),
        "the table was not replaced"
    );
    let mut counted = 0;
    let mut start = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        counted += page.count;
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    assert_eq!(counted, items);
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_bakes_the_parameters_given_into_the_definitions_defaults() {
    let (moto, function, topic, queue) = world().await;
    deploy(&moto, &topic, ROLE, true)
        .args(["--function", &function])
        .status(0)
        .stdout_has("created state machine move-alias")
        .run();
    // The execution's input leaves the function out: the deployed default names it.
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let machines = sfn.list_state_machines().send().await.unwrap();
    let execution = sfn
        .start_execution()
        .state_machine_arn(machines.state_machines()[0].state_machine_arn())
        .name("defaults")
        .input(json!({"to_version": "2"}).to_string())
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_string();
    let (message, token) = next_token(&moto, &queue).await;
    assert!(message.contains(&function), "{message}");
    let state = tempfile::tempdir().unwrap();
    cli(&moto, state.path())
        .args(["approve", &token])
        .status(0)
        .run();
    let done = finished_execution(&moto, &execution).await;
    assert_eq!(done.status().as_str(), "SUCCEEDED", "{done:?}");
    assert_eq!(live_alias_version(&moto, &function).await, "2");
    // A bad value is refused as `runbook run` refuses it, before anything is sent.
    deploy(&moto, &topic, ROLE, true)
        .args(["--settle", "long"])
        .status(2)
        .run();
}

/// A step with `on_error: continue` that failed on Step Functions is journaled as failed, with the AWS error, and
/// the run goes on past it: the journal tells what happened, not what the run's end suggests.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_failed_and_continued_on_step_functions_is_journaled_as_failed() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    // Three tables: the fixture's `noted` step reads the third one described.
    for table in ["ledger", "orders", "users"] {
        moto.create_table(table, "pk").await;
    }
    let state = tempfile::tempdir().unwrap();
    deploy_fixture(&moto, "tables");
    cli(&moto, state.path())
        .args(RUN_TABLES_ON_STEP_FUNCTIONS)
        .status(0)
        .run();

    let records = records(state.path());
    let missing = of_kind(&records, "step_finished", "missing");
    assert_eq!(missing.len(), 1, "{records:#?}");
    assert_eq!(missing[0]["status"], "failed", "{missing:#?}");
    let error = missing[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no-such-table") || error.contains("ResourceNotFound"),
        "{missing:#?}"
    );
    assert_eq!(
        of_kind(&records, "step_finished", "record")[0]["status"],
        "succeeded"
    );
    assert_eq!(records.last().unwrap()["outcome"], "succeeded");
    cli(&moto, state.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
}

/// Each step's start, calls, checks, notes and end (with its status), in the order the journal of the one run in
/// `state` has them.
fn step_story(state: &Path) -> Vec<String> {
    records(state)
        .iter()
        .filter_map(|record| {
            let step = record["step"].as_str().filter(|step| !step.is_empty())?;
            let operation = record["operation"].as_str().unwrap_or_default();
            match record["kind"].as_str()? {
                "step_started" => Some(format!("{step} started")),
                "call_started" => Some(format!("{step} calls {operation}")),
                "call_finished" => Some(format!("{step} answered {operation}")),
                "check_evaluated" => Some(format!("{step} check held: {}", record["held"])),
                "log" => Some(format!("{step} says {}", record["message"])),
                "step_finished" => Some(format!("{step} {}", record["status"].as_str()?)),
                _ => None,
            }
        })
        .collect()
}

/// The journal records of the one run in `state`, as `records` reads them, and the `step_finished` of `step`.
fn finished(state: &Path, step: &str) -> Value {
    let records = records(state);
    let finished = of_kind(&records, "step_finished", step);
    assert_eq!(finished.len(), 1, "{records:#?}");
    finished[0].clone()
}

fn error_of(state: &Path, step: &str) -> String {
    finished(state, step)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Deploys the fixture `name` to the emulator's Step Functions.
fn deploy_fixture(moto: &Moto, name: &str) {
    Cli::new()
        .dir(fixture())
        .aws(moto)
        .args([
            "deploy",
            name,
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
            "--yes",
        ])
        .status(0)
        .run();
}

/// Every success criterion is evaluated on Step Functions as locally, so the journal records each one, held or
/// not (the definition used to stop at the first that failed), and the run fails with the engine's words for the
/// first that does not hold.
#[tokio::test(flavor = "multi_thread")]
async fn every_success_criterion_is_journaled_held_or_not_on_step_functions_as_locally() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    moto.create_table("ledger", "pk").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("criteria.yaml"),
        r#"name: criteria
description: three success criteria, the first and the last failing
params:
  table: {type: string, default: ledger}
steps:
  - id: describe
    action: dynamodb.DescribeTable
    with: {TableName: "{{ params.table }}"}
success_criteria:
  - name: the table is gone
    that: "steps.describe.output.Table.TableStatus == 'DELETED'"
  - name: the table is active
    that: "steps.describe.output.Table.TableStatus == 'ACTIVE'"
  - name: the table is called orders
    that: "steps.describe.output.Table.TableName == 'orders'"
"#,
    )
    .unwrap();
    let cli = |state: &Path| {
        Cli::new()
            .dir(dir.path())
            .aws(&moto)
            .env("RUNBOOK_STATE_DIR", state)
    };
    let (local, remote) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ran_here = cli(local.path()).args(["run", "criteria"]).status(1).run();
    cli(remote.path())
        .args([
            "deploy",
            "criteria",
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
            "--yes",
        ])
        .status(0)
        .run();
    let ran_there = cli(remote.path())
        .args(["run", "criteria", "--on", "step-functions"])
        .status(1)
        .run();
    let criteria = |state: &Path| -> Vec<(String, Value)> {
        records(state)
            .into_iter()
            .filter(|record| record["kind"] == "success_criterion")
            .map(|record| {
                (
                    record["name"].as_str().unwrap().to_string(),
                    record["held"].clone(),
                )
            })
            .collect()
    };
    let expected = vec![
        ("the table is gone".to_string(), json!(false)),
        ("the table is active".to_string(), json!(true)),
        ("the table is called orders".to_string(), json!(false)),
    ];
    assert_eq!(criteria(local.path()), expected);
    assert_eq!(criteria(remote.path()), expected);
    for ran in [&ran_here, &ran_there] {
        let said = format!("{}{}", ran.stdout, ran.stderr);
        assert!(
            said.contains("success criterion `the table is gone` does not hold"),
            "{said}"
        );
    }
}

/// The fixture `on-failure` fails its body with a call (a table that is not there), then with a check (a table
/// that is): run on Step Functions, the failing step is journaled failed and the `on_failure` steps after it,
/// start to end, as the local run of the same runbook journals them.
#[tokio::test(flavor = "multi_thread")]
async fn on_failure_steps_run_on_step_functions_are_journaled_as_the_local_run_journals_them() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    moto.create_table("ledger", "PK").await;
    deploy_fixture(&moto, "on-failure");
    for (table, cause) in [
        ("no-such-table", "no-such-table not found"),
        ("ledger", "ledger holds too few items"),
    ] {
        let run = |state: &Path, on: &[&str]| {
            cli(&moto, state)
                .args([
                    "run",
                    "on-failure",
                    "--ledger",
                    "ledger",
                    "--table",
                    table,
                    "--yes",
                ])
                .args(on)
                .status(1)
                .run()
        };
        let remote = tempfile::tempdir().unwrap();
        run(remote.path(), &["--on", "step-functions"]);
        // The on_failure step wrote the body's error on AWS.
        let noted = moto
            .get_item("ledger", "failed")
            .await
            .expect("on_failure wrote");
        let error = noted["error"].as_s().unwrap();
        assert!(error.contains(cause), "{error}");
        let local = tempfile::tempdir().unwrap();
        run(local.path(), &[]);

        let story = step_story(remote.path());
        assert_eq!(story, step_story(local.path()), "{table}");
        for (step, status) in [
            ("read", "failed"),
            ("note_failure", "succeeded"),
            ("told", "succeeded"),
        ] {
            assert!(
                story.contains(&format!("{step} {status}")),
                "{table}: {story:#?}"
            );
        }
        assert!(
            !story.iter().any(|line| line.starts_with("never")),
            "{story:#?}"
        );
        assert!(error_of(remote.path(), "read").contains(cause));
        let records = records(remote.path());
        let finished = records.last().unwrap();
        assert_eq!(finished["kind"], "run_finished");
        assert_eq!(finished["outcome"], "failed");
        cli(&moto, remote.path())
            .args(["audit", "verify", "last"])
            .status(0)
            .run();
        let timeline = cli(&moto, remote.path())
            .args(["audit", "timeline", "last", "--format", "text"])
            .status(0)
            .run()
            .stdout;
        for expected in [
            "note_failure     Write one item to ledger",
            "told             Log: the run failed -> succeeded",
        ] {
            assert!(
                timeline.contains(expected),
                "no {expected:?} in\n{timeline}"
            );
        }
    }
}

/// The fixture `parallel-failure` runs three steps side by side, one of which fails while another is pausing. On
/// Step Functions the failing step alone carries the error; the one that had written ended well, as in the local
/// run; the pause, which Step Functions stopped (a local run lets it finish), says it was stopped and why.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_branch_on_step_functions_fails_only_its_step_and_the_steps_beside_it_end_as_far_as_they_got()
 {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    moto.create_table("ledger", "PK").await;
    deploy_fixture(&moto, "parallel-failure");
    let run = |state: &Path, on: &[&str]| {
        cli(&moto, state)
            .args(["run", "parallel-failure", "--ledger", "ledger", "--yes"])
            .args(on)
            .status(1)
            .run()
    };
    let remote = tempfile::tempdir().unwrap();
    run(remote.path(), &["--on", "step-functions"]);
    assert!(moto.get_item("ledger", "quick").await.is_some());
    let local = tempfile::tempdir().unwrap();
    run(local.path(), &[]);

    let (remote_story, local_story) = (step_story(remote.path()), step_story(local.path()));
    for story in [&remote_story, &local_story] {
        for ended in ["quick succeeded", "broken failed"] {
            assert!(story.contains(&ended.to_string()), "{story:#?}");
        }
        assert!(
            !story.iter().any(|line| line.starts_with("after")),
            "{story:#?}"
        );
    }
    assert!(
        local_story.contains(&"slow succeeded".to_string()),
        "{local_story:#?}"
    );
    assert!(
        remote_story.contains(&"slow failed".to_string()),
        "{remote_story:#?}"
    );
    let broken = error_of(remote.path(), "broken");
    assert!(broken.contains("still does not hold"), "{broken}");
    assert!(error_of(remote.path(), "quick").is_empty());
    // The pause is told as the local run tells it, its duration included, though its state records no request.
    let summary = |state: &Path| {
        let records = records(state);
        of_kind(&records, "step_finished", "slow")[0]["summary"].clone()
    };
    assert_eq!(summary(remote.path()), summary(local.path()));
    let slow = error_of(remote.path(), "slow");
    assert!(
        slow.starts_with("stopped before its work was done: step `broken` failed beside it"),
        "{slow}"
    );
    cli(&moto, remote.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
}

/// Issue 15's proof for iceberg-rollback, where the state machine must keep 64-bit snapshot ids exact: on a table
/// written by pyiceberg (random 63-bit ids, at least one beyond 2^53) and catalogued in `catalog`, the runbook is
/// run locally back to the middle snapshot and forward again to the head, then on Step Functions back to the middle
/// snapshot with the gate answered through `runbook approve`. The state machine's metadata file is the one the
/// local run wrote, key for key with exact integers (only its own times and file name differ), made from the file
/// it replaced as the engine makes it; the catalog points at it; pyiceberg reads the target's rows; both engines
/// journal the same listings; and the imported journal passes `audit verify`.
async fn iceberg_rollback_on_step_functions_as_locally(catalog: &str) {
    use crate::runbooks::{assert_rolled_back_metadata, read_iceberg, sandbox, seeded_iceberg};
    use crate::support::s3_objects::{read_metadata, s3, write_object};

    let (moto, world) = sandbox("iceberg").await;
    moto.execute_state_machines().await;
    let (snapshots, records, _) = seeded_iceberg(&world, catalog);
    let (target, head) = (snapshots[1], snapshots[2]);
    // A double holds integers exactly up to 2^53: beyond it, a state machine that parsed the ids as numbers
    // would point the table at a snapshot that does not exist.
    assert!(
        snapshots.iter().any(|id| id.unsigned_abs() > 1 << 53),
        "{snapshots:?}"
    );
    let seeded_location = read_iceberg(&moto, catalog, None)["metadata_location"]
        .as_str()
        .unwrap()
        .to_string();
    // Numbers a double cannot hold outside snapshot ids, in a statistics file's sizes (Iceberg longs): Step
    // Functions' `$string` would write both rounded to 15 digits, so the state machine must carry them as text.
    let (directory, _) = seeded_location.rsplit_once('/').unwrap();
    let statistics = json!([{
        "snapshot-id": target,
        "statistics-path": format!("{directory}/statistics.puffin"),
        "file-size-in-bytes": 12345678901234567_i64,
        "file-footer-size-in-bytes": (1_i64 << 53) + 1,
        "blob-metadata": [],
    }]);
    let mut seeded = read_metadata(&moto, &seeded_location).await;
    seeded.insert("statistics".into(), statistics.clone());
    let seeded_text = serde_json::to_vec(&seeded).unwrap();
    write_object(&s3(&moto).await, &seeded_location, &seeded_text).await;
    let bucket_arn = world["iceberg"]["s3tables"]["table_bucket_arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut catalog_args = vec!["--catalog", catalog];
    if catalog == "s3tables" {
        catalog_args.extend(["--table-bucket-arn", bucket_arn.as_str()]);
    }
    // The catalog's steps of the runbook.
    let (snapshots_step, rollback_step, verify_step) = match catalog {
        "glue" => ("snapshots", "rollback", "verify"),
        _ => ("s3tables_snapshots", "s3tables_rollback", "s3tables_verify"),
    };

    // Locally: back to the target, then forward to the head again, each run journaled on its own.
    let (local_back, local_forward) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (state, to) in [(&local_back, target), (&local_forward, head)] {
        shipped(&moto, state.path())
            .args([
                "run",
                "iceberg-rollback",
                "--snapshot-id",
                &to.to_string(),
                "--yes",
            ])
            .args(&catalog_args)
            .status(0)
            .run();
    }
    let local_location = finished(local_back.path(), rollback_step)["output"]["MetadataLocation"]
        .as_str()
        .unwrap()
        .to_string();
    let forward_location =
        finished(local_forward.path(), rollback_step)["output"]["MetadataLocation"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(read_iceberg(&moto, catalog, None)["current_snapshot"], head);

    // On Step Functions: back to the target.
    let state = tempfile::tempdir().unwrap();
    let target_text = target.to_string();
    let mut args = vec!["--snapshot-id", target_text.as_str()];
    args.extend(&catalog_args);
    let (message, _) = deploy_run_and_approve(&moto, state.path(), "iceberg-rollback", &args).await;
    assert!(
        message.contains(&format!("back from snapshot {head} ("))
            && message.contains(&format!(" to {target} (")),
        "{message}"
    );
    let rollback = finished(state.path(), rollback_step);
    assert_eq!(rollback["status"], "succeeded", "{rollback:#}");
    let sfn_location = rollback["output"]["MetadataLocation"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        rollback["output"],
        json!({
            "PreviousSnapshotId": head.to_string(),
            "SnapshotId": target.to_string(),
            "PreviousMetadataLocation": forward_location,
            "MetadataLocation": sfn_location,
        })
    );

    // The catalog points at the state machine's file (and Glue remembers the one it replaced).
    let config = moto.sdk_config().await;
    if catalog == "glue" {
        let table = aws_sdk_glue::Client::new(&config)
            .get_table()
            .database_name("pricing_intelligence_dev")
            .name("sales_history")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let parameters = table.parameters().unwrap();
        assert_eq!(parameters["metadata_location"], sfn_location);
        assert_eq!(parameters["previous_metadata_location"], forward_location);
        assert_eq!(parameters["table_type"], "ICEBERG");
    } else {
        let pointer = aws_sdk_s3tables::Client::new(&config)
            .get_table_metadata_location()
            .table_bucket_arn(&bucket_arn)
            .namespace("pricing_intelligence_dev")
            .name("sales_history")
            .send()
            .await
            .unwrap();
        assert_eq!(pointer.metadata_location(), Some(sfn_location.as_str()));
    }

    // Each engine's file is its predecessor with the five keys changed as the engine changes them; ids are read
    // as exact integers (serde_json keeps every i64).
    assert_rolled_back_metadata(&moto, &seeded_location, &local_location, target).await;
    assert_rolled_back_metadata(&moto, &forward_location, &sfn_location, target).await;
    let seeded = read_metadata(&moto, &seeded_location).await;
    let local = read_metadata(&moto, &local_location).await;
    let forward = read_metadata(&moto, &forward_location).await;
    let sfn = read_metadata(&moto, &sfn_location).await;
    for (old, old_location, new) in [
        (&seeded, &seeded_location, &local),
        (&forward, &forward_location, &sfn),
    ] {
        let mut snapshot_log = old["snapshot-log"].as_array().unwrap().clone();
        snapshot_log.push(json!({"timestamp-ms": new["last-updated-ms"], "snapshot-id": target}));
        assert_eq!(new["snapshot-log"], Value::Array(snapshot_log));
        let mut metadata_log = old["metadata-log"].as_array().unwrap().clone();
        metadata_log
            .push(json!({"timestamp-ms": old["last-updated-ms"], "metadata-file": old_location}));
        assert_eq!(new["metadata-log"], Value::Array(metadata_log));
    }
    // Every other key is the local run's, exactly: the ids included.
    let logs = ["last-updated-ms", "snapshot-log", "metadata-log"];
    let others = |metadata: &serde_json::Map<String, Value>| -> serde_json::Map<String, Value> {
        metadata
            .iter()
            .filter(|(key, _)| !logs.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    assert_eq!(others(&sfn), others(&local));
    assert_eq!(sfn["current-snapshot-id"], json!(target));
    assert_eq!(sfn["statistics"], statistics);

    // pyiceberg, which shares no code with runbook, reads the target's rows.
    let after = read_iceberg(&moto, catalog, None);
    assert_eq!(after["current_snapshot"], target);
    assert_eq!(after["metadata_location"], sfn_location.as_str());
    assert_eq!(after["rows"], records[1]);

    // Both engines journal the same listing of the same file: the state machine's `snapshots` read the file the
    // local forward run's `verify` read, and its `verify` lists what the local run's did, but for the file's name.
    assert_eq!(
        finished(state.path(), snapshots_step)["output"],
        finished(local_forward.path(), verify_step)["output"]
    );
    let listing_of = |state: &Path| {
        let mut output = finished(state, verify_step)["output"].clone();
        output.as_object_mut().unwrap().remove("MetadataLocation");
        output
    };
    assert_eq!(listing_of(state.path()), listing_of(local_back.path()));
    assert_eq!(
        finished(state.path(), verify_step)["outputs"],
        finished(local_back.path(), verify_step)["outputs"]
    );
}

/// A metadata file that already holds the mark the state machine puts before each number it quotes (U+0001, here
/// escaped in a snapshot's summary) could not be written back faithfully: the run on Step Functions fails at the
/// step that reads it, saying why, before its gate, and the catalog is untouched.
#[tokio::test(flavor = "multi_thread")]
async fn iceberg_metadata_holding_the_mark_fails_on_step_functions_and_changes_nothing() {
    use crate::runbooks::{read_iceberg, sandbox, seeded_iceberg};
    use crate::support::s3_objects::{read_metadata, s3, write_object};

    let (moto, world) = sandbox("iceberg").await;
    moto.execute_state_machines().await;
    let (snapshots, _, _) = seeded_iceberg(&world, "glue");
    let location = read_iceberg(&moto, "glue", None)["metadata_location"]
        .as_str()
        .unwrap()
        .to_string();
    let mut metadata = read_metadata(&moto, &location).await;
    metadata["snapshots"][0]["summary"]["note"] = json!("marked \u{1} here");
    let text = serde_json::to_vec(&metadata).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("\\u0001"));
    write_object(&s3(&moto).await, &location, &text).await;

    let state = tempfile::tempdir().unwrap();
    let (topic, _) = topic_with_subscriber(&moto, "iceberg-rollback-approvals").await;
    shipped(&moto, state.path())
        .args([
            "deploy",
            "iceberg-rollback",
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
        ])
        .args(["--approval-topic", &topic, "--yes"])
        .status(0)
        .run();
    let target = snapshots[1].to_string();
    shipped(&moto, state.path())
        .args(["run", "iceberg-rollback", "--on", "step-functions"])
        .args(["--snapshot-id", &target, "--catalog", "glue", "--yes"])
        .status(1)
        .run();
    let error = error_of(state.path(), "snapshots");
    assert!(error.contains("holds the character U+0001"), "{error}");
    assert!(error.contains(&location), "{error}");
    let after = read_iceberg(&moto, "glue", None);
    assert_eq!(after["metadata_location"], location.as_str());
    assert_eq!(after["current_snapshot"], snapshots[2]);
}

/// A step named as one of the run's own states (here `succeeded`) would replace that state in the definition: the
/// export is refused at the step, with the way out, and nothing is deployed.
#[test]
fn a_step_named_as_one_of_the_runs_own_states_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("named.yaml"),
        "name: named\ndescription: a step named as a state of the run\nsteps:\n  - id: first\n    action: core.noop\n  - id: succeeded\n    needs: [first]\n    action: core.noop\n",
    )
    .unwrap();
    let refused = Cli::new()
        .dir(dir.path())
        .args(["--no-color", "export", "named", "--to", "step-functions"])
        .status(2)
        .run();
    assert!(
        refused.stderr.contains("named.yaml:6:"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("step id `succeeded`"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("hint: rename the step"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
}

/// `--audit-kms-key` signs the journal of a run on Step Functions at its start and its end, as a local run's:
/// `audit verify` checks both signatures with KMS, and a tampered record fails it. Given through the environment
/// (RUNBOOK_AUDIT_KMS_KEY, a team's setting) it signs too, rather than being skipped.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_on_step_functions_signs_its_journal_with_the_audit_key() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    for table in ["ledger", "orders", "users"] {
        moto.create_table(table, "pk").await;
    }
    let kms = aws_sdk_kms::Client::new(&moto.sdk_config().await);
    let key = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    deploy_fixture(&moto, "tables");
    cli(&moto, state.path())
        .env("RUNBOOK_AUDIT_KMS_KEY", &key)
        .args(RUN_TABLES_ON_STEP_FUNCTIONS)
        .status(0)
        .run();

    let records = records(state.path());
    let moments: Vec<&str> = records
        .iter()
        .filter(|record| record["kind"] == "signed")
        .map(|record| record["at"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(moments, ["start", "run_end"], "{records:#?}");
    let verified = cli(&moto, state.path())
        .args(["audit", "verify", "last", "--audit-kms-key", &key])
        .status(0)
        .run();
    assert!(
        verified.stdout.contains("2 signatures verified by KMS"),
        "{}",
        verified.stdout
    );

    // A record rewritten after the start signature: the chain no longer matches what KMS signed.
    let journal = std::fs::read_dir(state.path().join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("journal.jsonl"))
        .next()
        .unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("\"missing\""), "{text}");
    std::fs::write(&journal, text.replacen("\"missing\"", "\"mislaid\"", 1)).unwrap();
    cli(&moto, state.path())
        .args(["audit", "verify", "last", "--audit-kms-key", &key])
        .status(1)
        .run();
}

#[tokio::test(flavor = "multi_thread")]
async fn iceberg_rollback_in_glue_on_step_functions_writes_the_metadata_the_local_run_writes_with_exact_ids()
 {
    iceberg_rollback_on_step_functions_as_locally("glue").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn iceberg_rollback_in_s3_tables_on_step_functions_writes_the_metadata_the_local_run_writes_with_exact_ids()
 {
    iceberg_rollback_on_step_functions_as_locally("s3tables").await;
}

/// rollback-lambda deployed to a fresh emulator that executes state machines, on the seeded function, its gate
/// publishing to a topic a queue reads: the emulator, the function and the queue.
async fn rollback_lambda_deployed() -> (Moto, String, String) {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    moto.execute_state_machines().await;
    let world = moto.seed(&["--only", "lambda,cloudformation"]);
    let function = world["lambda"]["function"].as_str().unwrap().to_string();
    let (topic, queue) = topic_with_subscriber(&moto, "rollback-approvals").await;
    let state = tempfile::tempdir().unwrap();
    shipped(&moto, state.path())
        .args([
            "deploy",
            "rollback-lambda",
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
        ])
        .args(["--approval-topic", &topic, "--yes"])
        .status(0)
        .run();
    (moto, function, queue)
}

/// Step Functions has no lock: a run on it reads the running executions of its state machine and renders each
/// one's lock key from the parameters it was started with. rollback-lambda locks `lambda/{{ params.function }}`:
/// while one run waits at its gate, a second on the same function is refused (exit 5, the execution named, nothing
/// started or journaled), and one on another function starts.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_on_step_functions_is_refused_while_an_execution_holds_its_lock() {
    let (moto, function, queue) = rollback_lambda_deployed().await;
    let shipped = |state: &Path| shipped(&moto, state);
    let state = tempfile::tempdir().unwrap();
    let first = shipped(state.path())
        .args(["run", "rollback-lambda", "--on", "step-functions", "--yes"])
        .spawn();
    let (_, token) = next_token(&moto, &queue).await;

    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let machine = sfn
        .list_state_machines()
        .send()
        .await
        .unwrap()
        .state_machines()[0]
        .state_machine_arn()
        .to_string();
    let executions = || async {
        sfn.list_executions()
            .state_machine_arn(&machine)
            .send()
            .await
            .unwrap()
            .executions()
            .to_vec()
    };
    let running = executions().await;
    assert_eq!(running.len(), 1, "{running:?}");

    let refused_state = tempfile::tempdir().unwrap();
    let refused = shipped(refused_state.path())
        .args([
            "run",
            "rollback-lambda",
            "--on",
            "step-functions",
            "--function",
            &function,
            "--yes",
        ])
        .spawn();
    let refused = ended_within(refused, Duration::from_secs(60));
    let after_refusal = executions().await;

    let other_state = tempfile::tempdir().unwrap();
    let other = shipped(other_state.path())
        .args([
            "run",
            "rollback-lambda",
            "--on",
            "step-functions",
            "--function",
            "another-function",
            "--yes",
        ])
        .run();
    let after_other = executions().await;

    // The first run is answered and ends before anything is asserted, so that a failure leaves nothing running.
    shipped(state.path())
        .args(["approve", &token])
        .status(0)
        .run();
    let first = Ran::from(first.wait_with_output().unwrap());

    let refused = refused
        .expect("the second run on the same function was not refused: it waited at its gate");
    assert_eq!(
        refused.code(),
        Some(5),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    for named in [
        format!(
            "lock `lambda/{function}` is held by execution {}",
            running[0].name()
        ),
        running[0].execution_arn().to_string(),
        "nothing was started".to_string(),
    ] {
        assert!(
            refused.stderr.contains(&named),
            "no {named:?} in\n{}",
            refused.stderr
        );
    }
    assert_eq!(after_refusal.len(), 1, "{after_refusal:?}");
    assert!(
        !refused_state.path().join("runs").exists()
            || std::fs::read_dir(refused_state.path().join("runs"))
                .unwrap()
                .count()
                == 0,
        "a refused run is not journaled"
    );

    assert_ne!(other.code(), Some(5), "{}\n{}", other.stdout, other.stderr);
    assert!(!other.stderr.contains("is held by"), "{}", other.stderr);
    assert_eq!(after_other.len(), 2, "{after_other:?}");

    assert_eq!(first.code(), Some(0), "{}\n{}", first.stdout, first.stderr);
    assert_eq!(live_alias_version(&moto, &function).await, "2");
}

/// A run on Step Functions takes the runbook's lock as a local run does (here in the team's `--lock-table`, given by
/// RUNBOOK_LOCK_TABLE) and holds it while it follows its execution: a local run of the same key is refused
/// meanwhile; and a run on Step Functions is refused, starting nothing, while a local run holds the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_on_step_functions_and_a_local_run_refuse_each_other_through_the_lock_table() {
    const TABLE: &str = "team-locks";
    let (moto, function, queue) = rollback_lambda_deployed().await;
    moto.create_table(TABLE, "LockKey").await;
    let shipped = |state: &Path| shipped(&moto, state);
    let on_sfn = tempfile::tempdir().unwrap();
    let before = live_alias_version(&moto, &function).await;
    let remote = shipped(on_sfn.path())
        .env("RUNBOOK_LOCK_TABLE", TABLE)
        .args(["run", "rollback-lambda", "--on", "step-functions", "--yes"])
        .spawn();
    let (_, token) = next_token(&moto, &queue).await;

    // A local run in another state dir: only the table can make the two meet.
    let local_state = tempfile::tempdir().unwrap();
    let local = shipped(local_state.path())
        .args([
            "run",
            "rollback-lambda",
            "--function",
            &function,
            "--to-version",
            "2",
            "--lock-table",
            TABLE,
            "--yes",
        ])
        .spawn();
    let local = ended_within(local, Duration::from_secs(60));
    let alias_meanwhile = live_alias_version(&moto, &function).await;
    shipped(on_sfn.path())
        .args(["approve", &token])
        .status(0)
        .run();
    let remote = Ran::from(remote.wait_with_output().unwrap());
    assert_eq!(
        remote.code(),
        Some(0),
        "{}\n{}",
        remote.stdout,
        remote.stderr
    );
    let local = local.expect("the local run was not refused: it went on to its gate");
    assert_eq!(local.code(), Some(5), "{}\n{}", local.stdout, local.stderr);
    assert!(
        local
            .stderr
            .contains(&format!("lock `lambda/{function}` is held by")),
        "{}",
        local.stderr
    );
    assert_eq!(
        alias_meanwhile, before,
        "the refused local run moved the alias"
    );
    assert_eq!(live_alias_version(&moto, &function).await, "2");

    // The other way: a local run holds `lambda/<function>` in the table while it sleeps.
    let holder_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        holder_dir.path().join("holder.yaml"),
        r#"name: holder
description: holds the lock rollback-lambda takes for a function, for a while
lock: "lambda/{{ params.function }}"
params:
  function: {type: string}
steps:
  - id: read
    action: dynamodb.ListTables
  - id: hold
    needs: [read]
    action: core.sleep
    with: {duration: 20s}
"#,
    )
    .unwrap();
    let holder_state = tempfile::tempdir().unwrap();
    let mut holder = Cli::new()
        .dir(holder_dir.path())
        .aws(&moto)
        .env("RUNBOOK_STATE_DIR", holder_state.path())
        .args([
            "run",
            "holder",
            "--function",
            &function,
            "--lock-table",
            TABLE,
        ])
        .spawn();
    // Sleeping means its lock is taken: a run takes its lock before its first step.
    let mut held = false;
    for _ in 0..300 {
        let runs = std::fs::read_dir(holder_state.path().join("runs"))
            .into_iter()
            .flatten()
            .flatten();
        held = runs
            .filter_map(|run| std::fs::read_to_string(run.path().join("journal.jsonl")).ok())
            .any(|journal| {
                journal
                    .lines()
                    .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                    .any(|record| record["kind"] == "step_started" && record["step"] == "hold")
            });
        if held || holder.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused_state = tempfile::tempdir().unwrap();
    let refused = shipped(refused_state.path())
        .args([
            "run",
            "rollback-lambda",
            "--on",
            "step-functions",
            "--function",
            &function,
            "--lock-table",
            TABLE,
            "--yes",
        ])
        .spawn();
    let refused = ended_within(refused, Duration::from_secs(60));
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(held, "the holder never took its lock");
    let refused =
        refused.expect("the run on Step Functions was not refused: it went on to its gate");
    assert_eq!(
        refused.code(),
        Some(5),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains(&format!("lock `lambda/{function}` is held by")),
        "{}",
        refused.stderr
    );
    let sfn = aws_sdk_sfn::Client::new(&moto.sdk_config().await);
    let machine = sfn
        .list_state_machines()
        .send()
        .await
        .unwrap()
        .state_machines()[0]
        .state_machine_arn()
        .to_string();
    let executions = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap()
        .executions()
        .len();
    assert_eq!(executions, 1, "the refused run started an execution");
}

/// The run's output when it ends within `limit`; else it is killed (by its pid) and `None`.
fn ended_within(mut run: std::process::Child, limit: Duration) -> Option<Ran> {
    let deadline = Instant::now() + limit;
    while run.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = run.kill();
            let _ = run.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Some(Ran::from(run.wait_with_output().unwrap()))
}

/// The fixture `nest-tables` runs `count-rows` (a nested runbook with its own parameters, vars, a check, a step its
/// `when` skips, success criteria and outputs) as its step `tally`. On Step Functions the child's steps are
/// journaled under `tally.` with the records the local run writes, and `tally` with the child's outputs, in each
/// of: all well, the child's check failing (the run fails there and `tally` never ends, as locally), the child's
/// success criterion failing (`tally` fails with the engine's message), and `tally`'s `when` false (every step of
/// the child skipped for that reason). The imported journals pass `audit verify`.
#[tokio::test(flavor = "multi_thread")]
async fn a_nested_runbook_on_step_functions_is_journaled_as_the_local_run_journals_it() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    moto.create_table("ledger", "PK").await;
    deploy_fixture(&moto, "nest-tables");
    let said_in_ledger = || async {
        moto.get_item("ledger", "recorded")
            .await
            .map(|item| item["said"].as_s().unwrap().clone())
    };
    for (params, code, expected) in [
        (
            &[][..],
            0,
            &[
                ("tally.describe", "succeeded"),
                ("tally.strictly", "skipped"),
                ("tally.say", "succeeded"),
                ("tally", "succeeded"),
                ("record", "succeeded"),
            ][..],
        ),
        (
            &["--minimum", "100"][..],
            1,
            &[("tally.describe", "failed")][..],
        ),
        (
            &["--expect-status", "DELETING"][..],
            1,
            &[("tally.say", "succeeded"), ("tally", "failed")][..],
        ),
        (
            &["--tally", "false"][..],
            0,
            &[
                ("tally.describe", "skipped"),
                ("tally.say", "skipped"),
                ("tally", "skipped"),
                ("record", "succeeded"),
            ][..],
        ),
    ] {
        let mut ledgers = Vec::new();
        let mut journals = Vec::new();
        for on in [&["--on", "step-functions"][..], &[][..]] {
            journals.push(run_on_a_fresh_ledger(&moto, "nest-tables", params, on, code).await);
            ledgers.push(said_in_ledger().await);
        }
        let (remote, local) = (&journals[0], &journals[1]);
        assert_eq!(remote, local, "{params:?}");
        assert_eq!(ledgers[0], ledgers[1], "{params:?}");
        for (step, status) in expected {
            assert_eq!(
                remote[*step]["status"], *status,
                "{params:?} {step}: {remote:#?}"
            );
        }
        match params {
            [] => {
                assert_eq!(
                    remote["tally"]["outputs"]["said"],
                    "table ledger holds 1 items (for nest-tables)"
                );
                assert_eq!(remote["tally"]["outputs"]["strictly"], "skipped");
                assert_eq!(remote["tally"]["output"], remote["tally"]["outputs"]);
                assert_eq!(
                    ledgers[0].as_deref(),
                    Some("table ledger holds 1 items (for nest-tables)")
                );
            }
            ["--minimum", _] => {
                assert!(!remote.contains_key("tally"), "{remote:#?}");
                assert!(!remote.contains_key("record"), "{remote:#?}");
                let error = remote["tally.describe"]["error"].as_str().unwrap();
                assert!(
                    error.contains("table ledger holds 1 items, fewer than 100"),
                    "{error}"
                );
            }
            ["--expect-status", _] => assert_eq!(
                remote["tally"]["error"],
                "success criterion `the table has the status expected` of runbook `count-rows` does not hold"
            ),
            _ => {
                assert_eq!(
                    remote["tally.say"]["reason"],
                    "`when: params.tally` of `tally` is false"
                );
                assert_eq!(ledgers[0].as_deref(), Some("nothing"));
            }
        }
    }
}

/// The fixture `name` run with `params` (and `on`: `--on step-functions`, or nothing for a local run) from the
/// same ledger each time (its child counts the ledger's items), ending with `code` and a journal `audit verify`
/// accepts: that journal's step records.
async fn run_on_a_fresh_ledger(
    moto: &Moto,
    name: &str,
    params: &[&str],
    on: &[&str],
    code: i32,
) -> std::collections::BTreeMap<String, Value> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    for key in ["started", "recorded"] {
        dynamodb
            .delete_item()
            .table_name("ledger")
            .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(key.into()))
            .send()
            .await
            .unwrap();
    }
    let state = tempfile::tempdir().unwrap();
    cli(moto, state.path())
        .args(["run", name, "--ledger", "ledger", "--yes"])
        .args(params)
        .args(on)
        .status(code)
        .run();
    cli(moto, state.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
    step_records(state.path())
}

/// The fixture `nest-twice` runs `nest-tables`, which runs `count-rows`: on Step Functions and locally, each
/// runbook's steps are journaled under their step's ids (`outer.tally.describe`), each `runbook:` step with its own
/// child's outputs, the same records both ways.
#[tokio::test(flavor = "multi_thread")]
async fn a_runbook_nested_twice_on_step_functions_is_journaled_as_the_local_run_journals_it() {
    let moto = Moto::start();
    moto.execute_state_machines().await;
    moto.create_table("ledger", "PK").await;
    deploy_fixture(&moto, "nest-twice");
    let mut journals = Vec::new();
    for on in [&["--on", "step-functions"][..], &[][..]] {
        journals.push(run_on_a_fresh_ledger(&moto, "nest-twice", &[], on, 0).await);
    }
    let (remote, local) = (&journals[0], &journals[1]);
    assert_eq!(remote, local);
    let said = "table ledger holds 1 items (for nest-twice)";
    assert_eq!(
        remote["outer.tally"]["outputs"]["said"], said,
        "{remote:#?}"
    );
    assert_eq!(remote["outer.tally"]["outputs"]["items"], 1, "{remote:#?}");
    assert_eq!(remote["outer"]["outputs"]["said"], said, "{remote:#?}");
    assert_eq!(
        remote["repeat"]["output"]["message"],
        format!("the innermost said: {said}")
    );
    assert_eq!(remote["outer.tally.describe"]["status"], "succeeded");
}

/// The fixture `nest-rollback` runs the shipped rollback-lambda as its step `rollback`: on Step Functions the
/// child's gate (`rollback.confirm`) is answered through `runbook approve`, the alias moves from 3 to 2, and the
/// step gives the child's outputs, as the local run of the same runbook does from the same alias.
#[tokio::test(flavor = "multi_thread")]
async fn a_nested_runbooks_gate_is_answered_with_approve_and_the_alias_moves_as_locally() {
    let (moto, function, topic, queue) = world().await;
    let nested = |state: &Path| cli(&moto, state).env("RUNBOOK_PATH", repo().join("runbooks"));
    let remote = tempfile::tempdir().unwrap();
    nested(remote.path())
        .args([
            "deploy",
            "nest-rollback",
            "--to",
            "step-functions",
            "--role-arn",
            ROLE,
        ])
        .args(["--approval-topic", &topic, "--yes"])
        .status(0)
        .run();
    let run = nested(remote.path())
        .args(["run", "nest-rollback", "--on", "step-functions", "--yes"])
        .args(["--function", &function])
        .spawn();
    let (message, token) = next_token(&moto, &queue).await;
    assert!(
        message.contains(&format!("Point alias live of {function} from version 3")),
        "{message}"
    );
    nested(remote.path())
        .args(["approve", &token])
        .status(0)
        .run();
    let ran = Ran::from(run.wait_with_output().unwrap());
    assert_eq!(ran.code(), Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(live_alias_version(&moto, &function).await, "2");
    nested(remote.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();

    // The same run locally, from the same alias.
    aws_sdk_lambda::Client::new(&moto.sdk_config().await)
        .update_alias()
        .function_name(&function)
        .name("live")
        .function_version("3")
        .send()
        .await
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    nested(local.path())
        .args(["run", "nest-rollback", "--yes", "--function", &function])
        .status(0)
        .run();
    assert_eq!(live_alias_version(&moto, &function).await, "2");

    let (there, here) = (step_records(remote.path()), step_records(local.path()));
    let statuses = |records: &std::collections::BTreeMap<String, Value>| -> Vec<(String, Value)> {
        records
            .iter()
            .map(|(step, record)| (step.clone(), record["status"].clone()))
            .collect()
    };
    assert_eq!(statuses(&there), statuses(&here));
    assert_eq!(there["rollback.confirm"]["status"], "succeeded");
    assert_eq!(there["rollback.move_alias"]["status"], "succeeded");
    assert_eq!(there["rollback.continue_rollback"]["status"], "skipped");
    assert_eq!(there["rollback"]["outputs"], here["rollback"]["outputs"]);
    assert_eq!(there["rollback"]["outputs"]["from_version"], "3");
    assert_eq!(there["rollback"]["outputs"]["to_version"], "2");
    assert_eq!(there["said"]["output"]["message"], "alias live 3 -> 2");
    assert_eq!(there["said"], here["said"]);
    let records = records(remote.path());
    assert_eq!(
        of_kind(&records, "approved", "rollback.confirm").len(),
        1,
        "{records:#?}"
    );
}
