//! The four core procedures of the operations runbook, end to end: each test starts its own emulator, seeds into
//! it the parts of the sandbox's world the procedure touches (scripts/seed/, the seeding `scripts/sandbox up`
//! does), runs the shipped runbook through the CLI with `--yes`, and then reads the AWS state with the SDK (and,
//! for Iceberg, with pyiceberg as an independent reader) to prove the procedure did what its section of the
//! operations runbook asks.
//!
//! Branches the emulator cannot run (CloudFormation's ContinueUpdateRollback) are proven by their plans. Every
//! plan is also pinned as an insta snapshot, text and markdown, offline so it is the same on every machine.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{Cli, Ran, repo};
use crate::support::moto::Moto;
use crate::support::s3_objects::read_metadata;
use serde_json::Value;

const FUNCTION: &str = "bg-remover-dev-s3TablesDataValidator";
const TABLE: &str = "bg-remover-dev-sales-intelligence";
const DLQ: &str = "bg-remover-dev-dlq";
const MAIN_QUEUE: &str = "bg-remover-dev-main";
const DATABASE: &str = "pricing_intelligence_dev";
const ICEBERG_TABLE: &str = "sales_history";

/// The Python beside moto_server: boto3 and pyiceberg, installed by `scripts/emulator install`.
fn venv_python() -> PathBuf {
    if let Ok(server) = std::env::var("RUNBOOK_MOTO_SERVER") {
        return Path::new(&server).with_file_name("python");
    }
    let venv = std::env::var("RUNBOOK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/runbook-venv")
        });
    venv.join("bin/python")
}

fn python(moto: &Moto, script: &str, args: &[&str]) -> Value {
    let output = Command::new(venv_python())
        .arg(repo().join("scripts/seed").join(script))
        .args(args)
        .envs(moto.env())
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        output.status.success(),
        "{script} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e})"))
}

/// A fresh emulator with the parts of the sandbox's world a procedure touches (`seed.py --only`), and the seed's
/// description of them.
pub(crate) async fn sandbox(parts: &str) -> (Moto, Value) {
    let moto = Moto::start();
    // As `scripts/sandbox up` does, before any function exists: Lambda without Docker.
    moto.lambda_without_docker().await;
    let world = python(&moto, "seed.py", &["--only", parts]);
    (moto, world)
}

/// The binary on the shipped runbooks, run from `folder` with its journals and locks in `folder/.runbook`.
fn in_folder(folder: &Path) -> Cli {
    Cli::new()
        .current_dir(folder)
        .shipped()
        .state_dir(folder.join(".runbook"))
}

/// Every journal record of the runs in `folder/.runbook`.
fn journal_records(folder: &Path) -> Vec<Value> {
    let mut records = Vec::new();
    let runs = folder.join(".runbook/runs");
    for run in std::fs::read_dir(&runs).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(run.path().join("journal.jsonl")).unwrap_or_default();
        for line in text.lines() {
            if let Ok(record) = serde_json::from_str::<Value>(line) {
                records.push(record);
            }
        }
    }
    records
}

/// `runbook run ... --yes --output json`, which must succeed; its JSON report.
fn run_ok(moto: &Moto, args: &[&str]) -> Value {
    let output = Cli::new()
        .shipped()
        .aws(moto)
        .arg("run")
        .args(args)
        .args(["--yes", "--output", "json"])
        .status(0)
        .run();
    let report = output.json();
    assert_eq!(report["outcome"], "succeeded", "{report:#}");
    report
}

/// A shipped runbook run as `run_ok` does, expected to fail (exit 1).
fn run_failing(moto: &Moto, args: &[&str]) -> Ran {
    Cli::new()
        .shipped()
        .aws(moto)
        .arg("run")
        .args(args)
        .args(["--yes", "--output", "json"])
        .status(1)
        .run()
}

fn step<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {report:#}"))
}

/// An offline plan in `format`; it makes no AWS call, so no emulator is needed.
fn offline_plan(args: &[&str], format: &str) -> String {
    Cli::new()
        .shipped()
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_REGION", "eu-west-1")
        .arg("plan")
        .args(args)
        .args(["--offline", "--format", format])
        .status(0)
        .run()
        .stdout
}

// ---------------------------------------------------------------------------------------------------------------
// 1.1 Lambda function rollback

async fn alias_version(moto: &Moto) -> String {
    support::world::live_alias_version(moto, FUNCTION).await
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_lambda_moves_the_alias_to_the_previous_version_and_can_be_undone() {
    let (moto, world) = sandbox("lambda,cloudformation").await;
    assert_eq!(world["lambda"]["alias_version"], "3");
    let lambda = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    let newest = lambda
        .get_function_configuration()
        .function_name(FUNCTION)
        .qualifier("3")
        .send()
        .await
        .unwrap();

    let report = run_ok(&moto, &["rollback-lambda"]);
    assert_eq!(step(&report, "move_alias")["status"], "succeeded");
    // Section 1.1's "last hour" guard: every seeded version is minutes old, so the gate warns that the version
    // rolled back to may carry the same fault, and shows when each was deployed.
    let prompt = step(&report, "confirm")["request"].as_str().unwrap();
    assert!(
        prompt.contains("WARNING: version 2 was deployed less than an hour ago"),
        "{prompt}"
    );
    assert!(prompt.contains("from version 3 (deployed 20"), "{prompt}");

    // The alias serves the previous published version, and the configuration it serves is that version's: same
    // runtime, handler, role and memory as the newest (a rollback of code, not of the function's shape).
    assert_eq!(alias_version(&moto).await, "2");
    let served = lambda
        .get_function_configuration()
        .function_name(FUNCTION)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(served.version(), Some("2"));
    assert_eq!(served.description(), Some("release 2"));
    assert_eq!(served.state(), Some(&aws_sdk_lambda::types::State::Active));
    assert_eq!(served.runtime(), newest.runtime());
    assert_eq!(served.handler(), newest.handler());
    assert_eq!(served.role(), newest.role());
    assert_eq!(served.memory_size(), newest.memory_size());

    // The rollback is itself undone by naming the version it left.
    run_ok(&moto, &["rollback-lambda", "--to-version", "3"]);
    assert_eq!(alias_version(&moto).await, "3");

    // A version that does not exist is refused before anything is written.
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args(["run", "rollback-lambda", "--to-version", "9", "--yes"])
        .status(1)
        .run();
    assert!(
        output
            .stderr
            .contains("version 9 is not a published version"),
        "{}",
        output.stderr
    );
    assert_eq!(alias_version(&moto).await, "3");
}

/// Run ids, times, durations and ids AWS makes up differ from run to run; what the operator reads around them is
/// pinned. Runs of spaces are collapsed, since a column's width follows the longest duration in it.
fn masked(text: &str) -> String {
    let rules = [
        (r"\d{8}T\d{6}Z-[0-9a-f]{4}", "[run id]"),
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
            "[time]",
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[uuid]",
        ),
        (r"\[request ids: [^\]]*\]", "[request ids]"),
        // The seed zips each version's code anew: its hash differs from seed to seed.
        (r#""CodeSha256":"[^"]*""#, r#""CodeSha256":"[hash]""#),
        (r"\b\d+(\.\d+)?(ms|s)\b|\b\d+m\d{2}s\b", "[duration]"),
        (r"(/[\w.+-]+)+/journal\.jsonl", "[journal]"),
        (r"[ \t]{2,}", " "),
    ];
    let mut text = text.to_string();
    for (pattern, with) in rules {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, with)
            .into_owned();
    }
    text
}

/// What the operator sees of a rollback: the plan says what will change and the gate shows its evidence; the run
/// summary (text and Markdown) and `audit timeline` say what changed, before -> after. Snapshots of each.
/// `runbook test --record`: a real run on the emulator, recorded from its journal, is a test case that passes
/// offline, and one whose recorded write is then changed fails.
#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_rollback_lambda_run_replays_as_a_passing_test_case() {
    let (moto, _world) = sandbox("lambda,cloudformation").await;
    let folder = tempfile::tempdir().unwrap();
    in_folder(folder.path())
        .aws(&moto)
        .args(["run", "rollback-lambda", "--yes"])
        .status(0)
        .run();
    let recorded = in_folder(folder.path())
        .args(["test", "--record", "last"])
        .status(0)
        .run()
        .stdout;
    assert!(recorded.contains("\"lambda.UpdateAlias\""), "{recorded}");
    assert!(recorded.contains("\"confirm\": \"approve\""), "{recorded}");
    let tests = folder.path().join("tests");
    std::fs::create_dir(&tests).unwrap();
    std::fs::copy(
        repo().join("runbooks/rollback-lambda.yaml"),
        tests.join("rollback-lambda.yaml"),
    )
    .unwrap();
    std::fs::write(
        tests.join("rollback-lambda.test.yaml"),
        format!("cases:\n{recorded}"),
    )
    .unwrap();
    Cli::new()
        .dir(&tests)
        .args(["test", "rollback-lambda"])
        .status(0)
        .stdout_has("test rollback-lambda::recorded_")
        .stdout_has("1 passed, 0 failed")
        .run();
    // The recording pins the request the run sent: another version in it is a failing case.
    let (answers, expected) = recorded
        .split_once("\"writes\": [")
        .expect("the recording's writes");
    let changed = expected.replacen(
        "\"FunctionVersion\": \"2\"",
        "\"FunctionVersion\": \"1\"",
        1,
    );
    assert_ne!(changed, expected, "{recorded}");
    std::fs::write(
        tests.join("rollback-lambda.test.yaml"),
        format!("cases:\n{answers}\"writes\": [{changed}"),
    )
    .unwrap();
    Cli::new()
        .dir(&tests)
        .args(["test", "rollback-lambda"])
        .status(1)
        .stdout_has("writes sent differ")
        .run();
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_lambda_shows_the_alias_before_and_after_in_plan_summary_and_timeline() {
    let (moto, _world) = sandbox("lambda,cloudformation").await;
    let folder = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let output = in_folder(folder.path()).aws(&moto).args(args).run();
        (output.code(), output.stdout, output.stderr)
    };
    let alias = format!("alias live of {FUNCTION}");

    let (code, plan, _) = cli(&["plan", "rollback-lambda"]);
    assert_eq!(code, Some(0), "{plan}");
    assert!(
        plan.contains(&format!("change:  will change {alias} from 3 to 2")),
        "{plan}"
    );
    assert!(
        plan.contains("calls:   lambda.GetAlias before and after"),
        "{plan}"
    );
    insta::assert_snapshot!("operator_plan_and_gate_rollback_lambda", masked(&plan));

    let (code, summary, stderr) = cli(&["run", "rollback-lambda", "--yes"]);
    assert_eq!(code, Some(0), "{summary}\n{stderr}");
    assert!(
        summary.contains(&format!("move_alias: {alias}: 3 -> 2")),
        "{summary}"
    );
    assert!(
        stderr.contains(&format!("{alias}: 3 -> 2")),
        "progress: {stderr}"
    );
    insta::assert_snapshot!("operator_summary_rollback_lambda_text", masked(&summary));

    let (code, timeline, _) = cli(&["audit", "timeline", "last", "--format", "text"]);
    assert_eq!(code, Some(0));
    assert!(
        timeline.contains(&format!("succeeded; {alias}: 3 -> 2")),
        "{timeline}"
    );
    // The reads before the gate run at once and finish in any order; the gate, the write and the end do not.
    let sequential: Vec<&str> = timeline
        .lines()
        .filter(|line| {
            [
                "Timeline:",
                " confirm ",
                " move_alias ",
                "success criterion",
                "run finished",
            ]
            .iter()
            .any(|part| line.contains(part))
        })
        .collect();
    insta::assert_snapshot!(
        "operator_timeline_rollback_lambda",
        masked(&sequential.join("\n"))
    );

    // Undone, in Markdown for the ticket: 2 -> 3.
    let (code, markdown, stderr) = cli(&[
        "run",
        "rollback-lambda",
        "--to-version",
        "3",
        "--yes",
        "--output",
        "markdown",
    ]);
    assert_eq!(code, Some(0), "{markdown}\n{stderr}");
    assert!(
        markdown.contains(&format!("- `move_alias`: {alias}: 2 -> 3")),
        "{markdown}"
    );
    insta::assert_snapshot!(
        "operator_summary_rollback_lambda_markdown",
        masked(&markdown)
    );
    assert_eq!(alias_version(&moto).await, "3");
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_lambda_by_stack_is_planned_and_refuses_a_stack_that_is_not_stuck() {
    // Moto implements no ContinueUpdateRollback and cannot leave a stack in UPDATE_ROLLBACK_FAILED: the branch is
    // proven by its plan, which notes the stack's latest event, continues the rollback after the gate, watches the
    // events after that one, and checks the status the stack ended in.
    let plan: Value = serde_json::from_str(&offline_plan(
        &["rollback-lambda", "--strategy", "stack"],
        "json",
    ))
    .unwrap();
    assert_eq!(step(&plan, "continue_rollback")["status"], "planned");
    assert_eq!(step(&plan, "continue_rollback")["effect"], "write");
    assert_eq!(
        step(&plan, "continue_rollback")["needs"],
        serde_json::json!(["confirm"])
    );
    assert_eq!(
        step(&plan, "events_before")["needs"],
        serde_json::json!(["stack_before"])
    );
    assert!(
        step(&plan, "confirm")["needs"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("events_before"))
    );
    assert_eq!(
        step(&plan, "watch_stack")["needs"],
        serde_json::json!(["continue_rollback", "events_before"])
    );
    assert_eq!(
        step(&plan, "watch_stack")["action"],
        "cloudformation.DescribeStackEvents"
    );
    assert_eq!(
        step(&plan, "stack_after")["needs"],
        serde_json::json!(["watch_stack"])
    );
    for id in ["current_alias", "move_alias", "verify_alias"] {
        assert_eq!(step(&plan, id)["status"], "skipped", "{id}");
    }

    // Against the emulator the guard reads the real stack, healthy, and stops before the gate: nothing is sent.
    let (moto, _) = sandbox("lambda,cloudformation").await;
    let output = run_failing(&moto, &["rollback-lambda", "--strategy", "stack"]);
    let report: Value = output.json();
    assert_eq!(step(&report, "stack_before")["status"], "failed");
    for id in [
        "events_before",
        "confirm",
        "continue_rollback",
        "watch_stack",
    ] {
        assert_eq!(step(&report, id)["status"], "not_run", "{id}");
    }
    let cloudformation = aws_sdk_cloudformation::Client::new(&moto.sdk_config().await);
    let stacks = cloudformation
        .describe_stacks()
        .stack_name("bg-remover-dev")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stacks.stacks()[0].stack_status().unwrap().as_str(),
        "CREATE_COMPLETE"
    );
    assert_eq!(
        alias_version(&moto).await,
        "3",
        "the stack strategy never touches the alias"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// 1.2 DynamoDB point-in-time recovery

async fn count(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> i32 {
    dynamodb
        .scan()
        .table_name(table)
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap()
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn pitr_restore_swaps_the_verified_copy_in_under_the_original_name() {
    let (moto, world) = sandbox("dynamodb").await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let items = world["dynamodb"]["items"].as_i64().unwrap() as i32;
    assert_eq!(count(&dynamodb, TABLE).await, items);
    let created_before = dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .creation_date_time()
        .cloned()
        .unwrap();

    let restore_time = world["dynamodb"]["latest_restorable"].as_str().unwrap();
    let report = run_ok(&moto, &["pitr-restore", "--restore-time", restore_time]);
    let run_id = report["run_id"].as_str().unwrap();
    // What the summary and the timeline show of it: the counts compared, and the backup kept of the original.
    assert_eq!(
        step(&report, "restored_count")["changes"][0]["what"],
        format!("counts: source {items} / restored {items}")
    );
    let kept = step(&report, "backup_original")["changes"][0]["what"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        kept.starts_with("backup ") && kept.contains(" kept: arn:aws:dynamodb:"),
        "{kept}"
    );

    // The table under the original name is a new one, active, with every item and the sampled items intact.
    let table = dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table()
        .cloned()
        .unwrap();
    assert_eq!(table.table_status().unwrap().as_str(), "ACTIVE");
    assert!(
        table.creation_date_time().unwrap() > &created_before,
        "the table was not replaced"
    );
    assert_eq!(count(&dynamodb, TABLE).await, items);
    for number in [0, 7, items - 1] {
        let item = dynamodb
            .get_item()
            .table_name(TABLE)
            .key(
                "PK",
                aws_sdk_dynamodb::types::AttributeValue::S("TENANT#carousel-labs".into()),
            )
            .key(
                "SK",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("SALE#{number:05}")),
            )
            .send()
            .await
            .unwrap()
            .item
            .unwrap_or_else(|| panic!("SALE#{number:05} is missing"));
        assert_eq!(item["amount"].as_n().unwrap(), &(10 + number).to_string());
    }
    // Point-in-time recovery is on again for the swapped-in table.
    let backups = dynamodb
        .describe_continuous_backups()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        backups
            .continuous_backups_description()
            .unwrap()
            .point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status()
            .unwrap()
            .as_str(),
        "ENABLED"
    );

    // The intermediate table is gone; the backup the swap went through is kept.
    let tables = dynamodb.list_tables().send().await.unwrap();
    assert!(
        !tables.table_names().contains(&format!("{TABLE}-restore")),
        "{:?}",
        tables.table_names()
    );
    let backups = dynamodb.list_backups().send().await.unwrap();
    let names: Vec<&str> = backups
        .backup_summaries()
        .iter()
        .filter_map(|b| b.backup_name())
        .collect();
    assert!(
        names.contains(&format!("{TABLE}-swap-{run_id}").as_str()),
        "{names:?}"
    );

    // The original was backed up before it was deleted, and the backup is kept: restoring it undoes the swap.
    let original_backup = format!("{TABLE}-before-restore-{run_id}");
    let kept = backups
        .backup_summaries()
        .iter()
        .find(|b| b.backup_name() == Some(original_backup.as_str()))
        .unwrap_or_else(|| panic!("no backup {original_backup} in {names:?}"));
    assert_eq!(kept.table_name(), Some(TABLE));
    assert_eq!(kept.backup_status().unwrap().as_str(), "AVAILABLE");
    dynamodb
        .restore_table_from_backup()
        .target_table_name("undo-check")
        .backup_arn(kept.backup_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(count(&dynamodb, "undo-check").await, items);
    assert!(
        step(&report, "kept")["output"]["message"]
            .as_str()
            .unwrap()
            .contains(&original_backup),
        "the backup's name is shown"
    );

    // The stream is on again with the original's view type (a restore never carries one over).
    assert_eq!(world["dynamodb"]["stream_view_type"], "NEW_AND_OLD_IMAGES");
    let stream = table.stream_specification().expect("a stream spec");
    assert!(stream.stream_enabled(), "{stream:?}");
    assert_eq!(
        stream.stream_view_type().unwrap().as_str(),
        "NEW_AND_OLD_IMAGES"
    );
    assert_eq!(step(&report, "reenable_stream")["status"], "succeeded");

    // The service's query (section 6.2: GSI1 for the tenant) answers on the swapped table as on the copy.
    let service_read = step(&report, "service_read");
    assert_eq!(service_read["status"], "succeeded");
    assert_eq!(service_read["request"]["IndexName"], "GSI1");
    assert_eq!(service_read["output"]["Count"], items);
    let gsi = dynamodb
        .query()
        .table_name(TABLE)
        .index_name("GSI1")
        .key_condition_expression("GSI1PK = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("TENANT#carousel-labs".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gsi.count(), items);

    // The gate showed the evidence: both counts, the spot checks compared whole items, the service's query.
    let prompt = step(&report, "confirm_swap")["request"].as_str().unwrap();
    for expected in [
        format!("has {items} items; the source {TABLE} has {items} now (difference 0, allowed 0)"),
        "Spot checks: 10 of 10 sampled items identical".to_string(),
        format!("finds {items} items in the copy"),
        format!("as {original_backup} (kept)"),
        "re-enable its stream (NEW_AND_OLD_IMAGES)".to_string(),
    ] {
        assert!(prompt.contains(&expected), "{expected:?} not in {prompt}");
    }
}

/// Runs pitr-restore through a proxy that holds the restore for three seconds, and meanwhile changes the source:
/// one sampled item's `amount`, and one new item. Moto's restore copies the table as it is when the restore
/// arrives, so the copy differs from what was counted and sampled before, as a real restore to an earlier time
/// differs from the corrupted table.
#[tokio::test(flavor = "multi_thread")]
async fn pitr_restore_stops_before_the_gate_when_the_copy_differs_from_the_source_in_count_or_content()
 {
    use aws_sdk_dynamodb::types::AttributeValue;
    use support::fault_proxy::{Fault, FaultProxy};

    let (moto, world) = sandbox("dynamodb").await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let items = world["dynamodb"]["items"].as_i64().unwrap() as i32;
    let created_before = dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .creation_date_time()
        .cloned()
        .unwrap();
    // The item a one-item scan returns first is among the sampled ones.
    let first = dynamodb
        .scan()
        .table_name(TABLE)
        .limit(1)
        .send()
        .await
        .unwrap()
        .items()[0]
        .clone();
    let proxy = FaultProxy::in_front_of(&moto);
    proxy.inject(
        "RestoreTableToPointInTime",
        Fault::Delay(std::time::Duration::from_secs(3)),
        1,
    );
    let folder = tempfile::tempdir().unwrap();
    let restore_time = world["dynamodb"]["latest_restorable"].as_str().unwrap();
    let child = in_folder(folder.path())
        .envs(proxy.env(&moto))
        .args([
            "run",
            "pitr-restore",
            "--restore-time",
            restore_time,
            "--yes",
            "--output",
            "json",
        ])
        .spawn();
    // The journal records a call before it is sent: the restore is on its way, held by the proxy.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !journal_records(folder.path())
        .iter()
        .any(|r| r["kind"] == "call_started" && r["operation"] == "RestoreTableToPointInTime")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the restore never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut changed = first.clone();
    changed.insert("amount".into(), AttributeValue::N("-999".into()));
    dynamodb
        .put_item()
        .table_name(TABLE)
        .set_item(Some(changed))
        .send()
        .await
        .unwrap();
    dynamodb
        .put_item()
        .table_name(TABLE)
        .item("PK", AttributeValue::S("TENANT#carousel-labs".into()))
        .item("SK", AttributeValue::S("SALE#99999".into()))
        .item("GSI1PK", AttributeValue::S("TENANT#carousel-labs".into()))
        .item("GSI2PK", AttributeValue::S("PRODUCT#0".into()))
        .item("amount", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();

    let output = Ran::from(child.wait_with_output().unwrap());
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    let report = output.json();
    let counted = step(&report, "restored_count");
    assert_eq!(counted["status"], "failed", "{counted}");
    let error = counted["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "the copy has {} items and the source {items}",
            items + 1
        )) && error.contains("more than --count-tolerance 0")
            && error.contains("items deleted since make it larger"),
        "{error}"
    );
    let spot = step(&report, "restored_spot_check");
    assert_eq!(spot["status"], "failed", "{spot}");
    let error = spot["error"].as_str().unwrap();
    assert!(
        error.contains("differs between the source (now) and the copy")
            && error.contains("amount")
            && error.contains("-999")
            && error.contains("--allow-item-differences"),
        "{error}"
    );
    // Nothing after the gate ran: the original is the same table, no backup was taken.
    for id in ["confirm_swap", "backup_original", "delete_original"] {
        assert_eq!(step(&report, id)["status"], "not_run", "{id}");
    }
    let table = dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        table.table().unwrap().creation_date_time(),
        Some(&created_before)
    );
    assert!(
        dynamodb
            .list_backups()
            .send()
            .await
            .unwrap()
            .backup_summaries()
            .is_empty()
    );

    // The copy is left behind; a second run says how to remove it or name another one, with a flag that exists.
    let output = run_failing(&moto, &["pitr-restore", "--restore-time", restore_time]);
    let error = step(&output.json(), "target_free")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains(&format!(
            "aws dynamodb delete-table --table-name {TABLE}-restore"
        )) && error.contains("pass --restore-table"),
        "{error}"
    );
    let help = Cli::new()
        .shipped()
        .aws(&moto)
        .args(["run", "pitr-restore", "--help"])
        .run();
    assert!(help.stdout.contains("--restore-table"));
    let report = run_ok(
        &moto,
        &[
            "pitr-restore",
            "--restore-time",
            restore_time,
            "--restore-table",
            "second-copy",
            "--count-tolerance",
            "0",
        ],
    );
    assert_eq!(
        step(&report, "restore")["request"]["TargetTableName"],
        "second-copy"
    );
    assert_eq!(count(&dynamodb, TABLE).await, items + 1);
}

/// moto pages ListTables at 100 names, in creation order: with 101 tables made after the seeded one, the
/// restore copy and the re-created original are on the second page.
#[tokio::test(flavor = "multi_thread")]
async fn pitr_restore_reads_every_page_of_list_tables() {
    let (moto, world) = sandbox("dynamodb").await;
    for number in 0..101 {
        moto.create_table(&format!("extra-{number:03}"), "PK").await;
    }
    moto.create_table(&format!("{TABLE}-restore"), "PK").await;
    let restore_time = world["dynamodb"]["latest_restorable"].as_str().unwrap();

    // The copy's name is taken, on page 2: target_free sees it and stops the run before the restore.
    let output = run_failing(&moto, &["pitr-restore", "--restore-time", restore_time]);
    let report = output.json();
    assert_eq!(
        step(&report, "target_free")["status"],
        "failed",
        "{report:#}"
    );
    assert_eq!(step(&report, "restore")["status"], "not_run");

    // With another name the swap goes through, and the lists it waits on were read to their last page.
    let folder = tempfile::tempdir().unwrap();
    let output = in_folder(folder.path())
        .aws(&moto)
        .args([
            "run",
            "pitr-restore",
            "--restore-time",
            restore_time,
            "--restore-table",
            "paged-copy",
            "--yes",
            "--output",
            "json",
        ])
        .run();
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    let records = journal_records(folder.path());
    for id in ["target_free", "wait_deleted"] {
        let pages = records
            .iter()
            .filter(|r| {
                r["kind"] == "call_started" && r["step"] == id && r["operation"] == "ListTables"
            })
            .count();
        assert!(pages >= 2, "{id} read {pages} page(s) of ListTables");
    }
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    assert_eq!(
        count(&dynamodb, TABLE).await,
        world["dynamodb"]["items"].as_i64().unwrap() as i32
    );
}

/// A refusal at the gate, on a terminal: its own exit code, no on_failure and so no alert, and the copy it leaves
/// named with the command that removes it.
#[tokio::test(flavor = "multi_thread")]
async fn pitr_restore_refused_at_the_gate_exits_6_sends_no_alert_and_names_the_copy_left_behind() {
    let (moto, world) = sandbox("dynamodb").await;
    let config = moto.sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("pitr-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let inbox = sqs
        .create_queue()
        .queue_name("pitr-alerts-inbox")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint("arn:aws:sqs:eu-west-1:123456789012:pitr-alerts-inbox")
        .send()
        .await
        .unwrap();
    let alerts = || async {
        sqs.receive_message()
            .queue_url(&inbox)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap()
            .messages()
            .len()
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let created_before = dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .creation_date_time()
        .cloned()
        .unwrap();

    let folder = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.push((
        "RUNBOOK_STATE_DIR",
        folder.path().join(".runbook").display().to_string(),
    ));
    let restore_time = world["dynamodb"]["latest_restorable"].as_str().unwrap();
    let dir = repo().join("runbooks");
    // Yes to the plan's writes, no at the gate.
    let (code, screen) = support::terminal::on_a_terminal(
        Path::new(env!("CARGO_BIN_EXE_runbook")),
        &[
            "--dir",
            dir.to_str().unwrap(),
            "run",
            "pitr-restore",
            "--restore-time",
            restore_time,
            "--alert-topic",
            &topic,
        ],
        folder.path(),
        &env,
        "yes\nno\n",
    );
    assert_eq!(code, Some(6), "{screen}");
    assert!(
        screen.contains("approval needed for step `confirm_swap`"),
        "{screen}"
    );
    assert!(
        screen.contains("REFUSED: step `confirm_swap`: approval refused by"),
        "{screen}"
    );
    assert!(screen.contains("on_failure did not run"), "{screen}");
    assert!(
        screen.contains(&format!(
            "remove it: aws dynamodb delete-table --table-name {TABLE}-restore --region eu-west-1"
        )),
        "{screen}"
    );
    assert_eq!(alerts().await, 0, "a refusal published an alert");
    // The original is untouched and the copy is there, as the message says.
    let table = dynamodb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        table.table().unwrap().creation_date_time(),
        Some(&created_before)
    );
    assert!(
        dynamodb
            .describe_table()
            .table_name(format!("{TABLE}-restore"))
            .send()
            .await
            .is_ok()
    );
    let audit = in_folder(folder.path())
        .envs(env.iter().cloned())
        .args(["audit", "list"])
        .run();
    assert!(audit.stdout.contains("refused"), "{}", audit.stdout);

    // The same subscription does carry an alert when the run fails: the silence above was the refusal's.
    Cli::new()
        .shipped()
        .aws(&moto)
        .args([
            "run",
            "pitr-restore",
            "--restore-time",
            "2000-01-01T00:00:00Z",
            "--alert-topic",
            &topic,
            "--yes",
        ])
        .status(1)
        .run();
    assert_eq!(alerts().await, 1);
}

/// Every step a step depends on, directly or not.
fn ancestors(plan: &Value, id: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![id.to_string()];
    while let Some(current) = todo.pop() {
        // A step that needs nothing has no `needs` in the report.
        for need in step(plan, &current)["needs"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let need = need.as_str().unwrap().to_string();
            if seen.insert(need.clone()) {
                todo.push(need);
            }
        }
    }
    seen
}

#[test]
fn pitr_restore_runs_nothing_destructive_before_the_verified_copy_and_the_gate() {
    let plan: Value = serde_json::from_str(&offline_plan(
        &["pitr-restore", "--restore-time", "2025-12-30T13:55:00Z"],
        "json",
    ))
    .unwrap();
    // The gate follows the restored copy's count and spot checks.
    let before_gate = ancestors(&plan, "confirm_swap");
    for id in [
        "restored_count",
        "restored_spot_check",
        "restored_readable",
        "source_count",
        "sample_items",
    ] {
        assert!(before_gate.contains(id), "{id} is not before the gate");
    }
    // Every write but the restore into a new table is after the gate.
    let writes: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["effect"] == "write")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(writes.contains(&"delete_original"), "{writes:?}");
    for id in writes {
        if id == "restore" {
            assert_eq!(
                step(&plan, id)["request"]["TargetTableName"],
                format!("{TABLE}-restore")
            );
            continue;
        }
        assert!(
            ancestors(&plan, id).contains("confirm_swap"),
            "the write {id} can run before the approval gate"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 1.3 Iceberg rollback

/// The rollback's metadata file beside the old one differs from it in exactly the five keys Iceberg's own
/// set-current-snapshot commit changes.
pub(crate) async fn assert_rolled_back_metadata(
    moto: &Moto,
    old_location: &str,
    new_location: &str,
    target: i64,
) {
    let (old_dir, old_file) = old_location.rsplit_once('/').unwrap();
    let (new_dir, new_file) = new_location.rsplit_once('/').unwrap();
    assert_eq!(
        new_dir, old_dir,
        "the new metadata file is beside the old one"
    );
    let old_version: u32 = old_file.split('-').next().unwrap().parse().unwrap();
    // `<version + 1, five digits>-<a random version 4 UUID>.metadata.json`, as Iceberg names its files.
    let uuid = new_file
        .strip_prefix(&format!("{:05}-", old_version + 1))
        .and_then(|rest| rest.strip_suffix(".metadata.json"))
        .unwrap_or_else(|| panic!("{new_file}"));
    let groups: Vec<&str> = uuid.split('-').collect();
    assert_eq!(
        groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{new_file}"
    );
    assert!(
        groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
            && groups[2].starts_with('4'),
        "{new_file}"
    );

    let old = read_metadata(moto, old_location).await;
    let new = read_metadata(moto, new_location).await;
    let changed: BTreeSet<&str> = old
        .keys()
        .chain(new.keys())
        .filter(|key| old.get(*key) != new.get(*key))
        .map(String::as_str)
        .collect();
    assert_eq!(
        changed,
        BTreeSet::from([
            "current-snapshot-id",
            "last-updated-ms",
            "metadata-log",
            "refs",
            "snapshot-log"
        ])
    );
    assert_eq!(new["current-snapshot-id"], target);
    assert_eq!(new["refs"]["main"]["snapshot-id"], target);
    assert!(new["last-updated-ms"].as_i64() > old["last-updated-ms"].as_i64());
    let snapshot_log = new["snapshot-log"].as_array().unwrap();
    assert_eq!(
        snapshot_log.len(),
        old["snapshot-log"].as_array().unwrap().len() + 1
    );
    assert_eq!(snapshot_log.last().unwrap()["snapshot-id"], target);
    let metadata_log = new["metadata-log"].as_array().unwrap();
    assert_eq!(
        metadata_log.len(),
        old["metadata-log"].as_array().unwrap().len() + 1
    );
    assert_eq!(metadata_log.last().unwrap()["metadata-file"], old_location);
}

pub(crate) fn read_iceberg(moto: &Moto, catalog: &str, snapshot: Option<i64>) -> Value {
    let snapshot = snapshot.map(|id| id.to_string());
    let mut args = vec!["read", "--catalog", catalog];
    if let Some(id) = &snapshot {
        args.extend(["--snapshot-id", id.as_str()]);
    }
    python(moto, "iceberg_table.py", &args)
}

pub(crate) fn seeded_iceberg(world: &Value, catalog: &str) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    assert_eq!(
        world["iceberg"]["real"], true,
        "pyiceberg is not installed: run `bash scripts/emulator install`"
    );
    let table = &world["iceberg"][catalog];
    let list = |key: &str| -> Vec<i64> {
        table[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    (list("snapshots"), list("records"), list("timestamps_ms"))
}

#[tokio::test(flavor = "multi_thread")]
async fn iceberg_rollback_in_glue_makes_pyiceberg_read_the_target_snapshot() {
    let (moto, world) = sandbox("iceberg").await;
    let (snapshots, records, _) = seeded_iceberg(&world, "glue");
    let (target, head) = (snapshots[1], snapshots[2]);
    let before = read_iceberg(&moto, "glue", None);
    assert_eq!(before["current_snapshot"], head);
    assert_eq!(before["rows"], records[2]);
    assert_eq!(before["negative_amounts"], 60, "the seeded bad load");

    let report = run_ok(
        &moto,
        &["iceberg-rollback", "--snapshot-id", &target.to_string()],
    );
    // Snapshot ids are decimal text in every output, exact whatever engine reads them.
    assert_eq!(
        step(&report, "rollback")["output"]["PreviousSnapshotId"],
        head.to_string()
    );
    // The summary's before -> after, read through the catalog before and after the write.
    let changes = &step(&report, "rollback")["changes"];
    assert_eq!(
        changes[0]["what"],
        format!("current snapshot of {DATABASE}.{ICEBERG_TABLE}")
    );
    assert_eq!(
        (&changes[0]["before"], &changes[0]["after"]),
        (&head.to_string().into(), &target.to_string().into())
    );
    assert_eq!(
        changes[1]["before"],
        step(&report, "rollback")["output"]["PreviousMetadataLocation"]
    );
    assert_eq!(
        changes[1]["after"],
        step(&report, "rollback")["output"]["MetadataLocation"]
    );
    assert_ne!(changes[1]["before"], changes[1]["after"]);
    // Section 1.3's time-travel count: the gate shows the target's rows and the table of snapshots, and after
    // the rollback the table's row count (read back through the catalog) is the target's.
    let prompt = step(&report, "confirm")["request"].as_str().unwrap();
    assert!(
        prompt.contains(&format!(
            "back from snapshot {head} ({} rows) to {target} ({} rows)?",
            records[2], records[1]
        )),
        "{prompt}"
    );
    assert!(prompt.contains("SNAPSHOT ID"), "{prompt}");
    assert_eq!(
        step(&report, "choose_target")["outputs"]["target_records"],
        records[1].to_string()
    );
    assert_eq!(
        step(&report, "verify")["outputs"]["records"],
        records[1].to_string()
    );
    assert_eq!(report["success_criteria"][1]["held"], true, "{report:#}");

    // The catalog points at a new metadata file and remembers the old one, as Iceberg's Glue catalog does.
    let glue = aws_sdk_glue::Client::new(&moto.sdk_config().await);
    let table = glue
        .get_table()
        .database_name(DATABASE)
        .name(ICEBERG_TABLE)
        .send()
        .await
        .unwrap();
    let parameters: BTreeMap<String, String> = table
        .table()
        .unwrap()
        .parameters()
        .cloned()
        .unwrap()
        .into_iter()
        .collect();
    let old_location = before["metadata_location"].as_str().unwrap();
    assert_eq!(parameters["previous_metadata_location"], old_location);
    assert_eq!(parameters["table_type"], "ICEBERG");
    assert_rolled_back_metadata(
        &moto,
        old_location,
        &parameters["metadata_location"],
        target,
    )
    .await;

    // pyiceberg, which shares no code with runbook, reads exactly the target snapshot's rows; time travel to the
    // old head still reads the bad load, since no data file was touched.
    let after = read_iceberg(&moto, "glue", None);
    assert_eq!(after["current_snapshot"], target);
    assert_eq!(
        after["metadata_location"],
        parameters["metadata_location"].as_str()
    );
    assert_eq!(after["rows"], records[1]);
    assert_eq!(after["negative_amounts"], 0);
    let old_head = read_iceberg(&moto, "glue", Some(head));
    assert_eq!(old_head["rows"], records[2]);

    // The snapshot the run recorded undoes the rollback.
    run_ok(
        &moto,
        &["iceberg-rollback", "--snapshot-id", &head.to_string()],
    );
    let undone = read_iceberg(&moto, "glue", None);
    assert_eq!(undone["current_snapshot"], head);
    assert_eq!(undone["rows"], records[2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn iceberg_rollback_without_a_valid_choice_prints_the_table_of_snapshots_and_changes_nothing()
{
    let (moto, world) = sandbox("iceberg").await;
    let (snapshots, records, _) = seeded_iceberg(&world, "glue");
    let head = snapshots[2];
    for (args, why) in [
        (vec![], "pass --snapshot-id ID or --as-of TIME".to_string()),
        (
            vec!["--snapshot-id", "42"],
            format!("--snapshot-id 42 is not a snapshot of {DATABASE}.{ICEBERG_TABLE}"),
        ),
        (
            vec!["--as-of", "2000-01-01T00:00:00Z"],
            "was committed at or before 2000-01-01T00:00:00Z".to_string(),
        ),
    ] {
        let mut all = vec!["run", "iceberg-rollback", "--yes"];
        all.extend(&args);
        let output = Cli::new().shipped().aws(&moto).args(&all).status(1).run();
        let summary = output.stdout;
        assert!(summary.contains(&why), "{args:?}: {summary}");
        // The whole table: a header and every snapshot with its time, operation and row count, none cut short.
        assert!(
            summary.contains(
                "SNAPSHOT ID           COMMITTED AT              OPERATION   TOTAL RECORDS"
            ),
            "{summary}"
        );
        for (id, rows) in snapshots.iter().zip(&records) {
            let line = summary
                .lines()
                .find(|line| line.trim_start().starts_with(&id.to_string()))
                .unwrap_or_else(|| panic!("{args:?}: no line for snapshot {id}: {summary}"));
            assert!(line.contains("append"), "{line}");
            assert!(line.contains(&rows.to_string()), "{line}");
        }
    }
    // The operations runbook's own example id has 20 digits, beyond a signed 64-bit integer as no Iceberg snapshot
    // id can be: refused at the parameter, before anything is read.
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args([
            "run",
            "iceberg-rollback",
            "--snapshot-id",
            "12345678901234567890",
            "--yes",
        ])
        .status(2)
        .run();
    let error = output.stderr;
    assert!(
        error.contains("12345678901234567890") && error.contains("does not match the pattern"),
        "{error}"
    );
    assert_eq!(read_iceberg(&moto, "glue", None)["current_snapshot"], head);
}

#[tokio::test(flavor = "multi_thread")]
async fn iceberg_rollback_in_s3_tables_as_of_a_time_picks_the_last_snapshot_before_it() {
    let (moto, world) = sandbox("iceberg").await;
    let (snapshots, records, timestamps) = seeded_iceberg(&world, "s3tables");
    let (target, head) = (snapshots[1], snapshots[2]);
    // A whole second after the target's commit and before the head's (the seed commits a second apart).
    let as_of_seconds = timestamps[2] / 1000;
    assert!(as_of_seconds * 1000 > timestamps[1] && as_of_seconds * 1000 <= timestamps[2]);
    let as_of = jiff::Timestamp::from_second(as_of_seconds)
        .unwrap()
        .to_string();
    let before = read_iceberg(&moto, "s3tables", None);
    assert_eq!(before["current_snapshot"], head);

    let report = run_ok(
        &moto,
        &[
            "iceberg-rollback",
            "--catalog",
            "s3tables",
            "--as-of",
            &as_of,
        ],
    );
    assert_eq!(step(&report, "rollback")["status"], "skipped");
    assert_eq!(step(&report, "s3tables_rollback")["status"], "succeeded");

    let s3tables = aws_sdk_s3tables::Client::new(&moto.sdk_config().await);
    let pointer = s3tables
        .get_table_metadata_location()
        .table_bucket_arn(
            world["iceberg"]["s3tables"]["table_bucket_arn"]
                .as_str()
                .unwrap(),
        )
        .namespace(DATABASE)
        .name(ICEBERG_TABLE)
        .send()
        .await
        .unwrap();
    let new_location = pointer.metadata_location().unwrap();
    assert_rolled_back_metadata(
        &moto,
        before["metadata_location"].as_str().unwrap(),
        new_location,
        target,
    )
    .await;

    let after = read_iceberg(&moto, "s3tables", None);
    assert_eq!(after["current_snapshot"], target);
    assert_eq!(after["rows"], records[1]);
    assert_eq!(after["negative_amounts"], 0);
    assert_eq!(
        read_iceberg(&moto, "s3tables", Some(head))["rows"],
        records[2]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// 6.1 DLQ replay

async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.get_queue_url()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string()
}

/// Every message of a queue as (body, its `tenant` attribute), received and left invisible: the queue is read
/// once, at the end of a test.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<(String, Option<String>)> {
    let mut messages = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(300)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        if received.messages().is_empty() {
            return messages;
        }
        for message in received.messages() {
            let tenant = message
                .message_attributes()
                .and_then(|a| a.get("tenant"))
                .filter(|a| a.data_type() == "String")
                .and_then(|a| a.string_value())
                .map(str::to_string);
            messages.push((message.body().unwrap().to_string(), tenant));
        }
    }
}

fn seeded_bodies(world: &Value) -> Vec<String> {
    let count = world["sqs"]["dlq_messages"].as_u64().unwrap();
    (0..count)
        .map(|n| {
            format!(r#"{{"tenant": "carousel-labs", "sale": {n}, "error": "Task timed out"}}"#)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn dlq_replay_moves_every_message_with_its_body_and_attributes_after_the_fix() {
    let (moto, world) = sandbox("sqs,lambda").await;
    let report = run_ok(&moto, &["dlq-replay", "--raise-timeout", "900"]);
    let expected = seeded_bodies(&world);
    assert_eq!(
        step(&report, "depth_before")["outputs"]["depth"],
        expected.len()
    );
    assert_eq!(step(&report, "replay")["output"]["Moved"], expected.len());
    // What the summary and the timeline show: the timeout before -> after, and the messages moved.
    let timeout = &step(&report, "raise_timeout")["changes"][0];
    assert_eq!(timeout["what"], format!("timeout (s) of {FUNCTION}"));
    assert_eq!(
        (&timeout["before"], &timeout["after"]),
        (&300.into(), &900.into())
    );
    assert_eq!(
        step(&report, "replay")["changes"][0]["what"],
        format!(
            "moved {0} of {0} messages received (0 left by the filter, 0 refused by the destination)",
            expected.len()
        )
    );
    // The gate showed section 6.1's diagnosis: the depth, a sample body, the timeout old -> new and the longest
    // recent run (the seed's durations end just under its 300 s timeout).
    let prompt = step(&report, "confirm")["request"].as_str().unwrap();
    for expected in [
        "bg-remover-dev-dlq holds 50 messages; a sample: {\"tenant\": \"carousel-labs\"",
        "Change the timeout of bg-remover-dev-s3TablesDataValidator: 300 s -> 900 s",
        "(longest run in the last hour: 300.0 s)",
        "Move 50 messages from bg-remover-dev-dlq to bg-remover-dev-main?",
    ] {
        assert!(prompt.contains(expected), "{expected:?} not in {prompt}");
    }

    // The fix of 6.1 is applied.
    let lambda = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    let function = lambda
        .get_function_configuration()
        .function_name(FUNCTION)
        .send()
        .await
        .unwrap();
    assert_eq!(function.timeout(), Some(900));

    // The DLQ is empty, and the main queue holds every message exactly once, body and attributes as they were.
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    assert!(drain(&sqs, &queue_url(&sqs, DLQ).await).await.is_empty());
    let mut moved = drain(&sqs, &queue_url(&sqs, MAIN_QUEUE).await).await;
    moved.sort();
    let mut wanted: Vec<(String, Option<String>)> = expected
        .into_iter()
        .map(|body| (body, Some("carousel-labs".to_string())))
        .collect();
    wanted.sort();
    assert_eq!(moved, wanted);
}

/// Progress off a terminal: each step's start with its values filled in (never a `{Member}` placeholder), the
/// move's live counter as periodic lines, and ATTEMPTS (1 + retries) apart from CALLS in the summary.
#[tokio::test(flavor = "multi_thread")]
async fn dlq_replay_progress_shows_filled_values_and_counters_and_the_summary_counts_calls_apart() {
    let (moto, _world) = sandbox("sqs,lambda").await;
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args(["run", "dlq-replay", "--yes"])
        .run();
    let (summary, progress) = (output.stdout, output.stderr);
    assert_eq!(output.status.code(), Some(0), "{summary}\n{progress}");
    let placeholder = regex::Regex::new(r"\{[A-Z][A-Za-z]*\}").unwrap();
    assert!(!placeholder.is_match(&progress), "{progress}");
    let url = queue_url(&aws_sdk_sqs::Client::new(&moto.sdk_config().await), DLQ).await;
    assert!(
        progress.contains(&format!("start    replay: Move messages from {url} to ")),
        "{progress}"
    );
    assert!(progress.contains("count    replay: moved "), "{progress}");
    assert!(progress.contains(" msg/s"), "{progress}");
    let header = summary.lines().next().unwrap();
    assert!(
        header.contains("ATTEMPTS") && header.contains("CALLS"),
        "{summary}"
    );
    // The move is one attempt of many calls.
    let replay = summary
        .lines()
        .find(|line| line.starts_with("replay "))
        .unwrap();
    let columns: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(columns[3], "1", "{replay}");
    assert!(columns[4].parse::<u32>().unwrap() > 10, "{replay}");
    assert!(
        summary.contains("replay: moved 50 of 50 messages received"),
        "{summary}"
    );
}

/// An AWS error names the resource the request named, which AWS's own message often does not.
#[tokio::test(flavor = "multi_thread")]
async fn an_aws_error_names_the_resource_and_the_step() {
    let (moto, world) = sandbox("dynamodb").await;
    let restore_time = world["dynamodb"]["latest_restorable"].as_str().unwrap();
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args([
            "run",
            "pitr-restore",
            "--table",
            "no-such-table",
            "--restore-time",
            restore_time,
            "--yes",
        ])
        .run();
    let summary = output.stdout;
    assert_eq!(output.status.code(), Some(1), "{summary}");
    // Whichever of the first reads fails first (they run at once), it names the table.
    let failed = regex::Regex::new(
        r"step `(pitr|source_table|source_count|sample_items)` failed: no table no-such-table: ",
    )
    .unwrap();
    assert!(failed.is_match(&summary), "{summary}");
}

async fn queue_depth(moto: &Moto, queue: &str) -> u64 {
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let url = queue_url(&sqs, queue).await;
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    attributes.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn dlq_replay_checks_the_new_timeout_before_anything_is_written_and_changes_it_only_after_the_gate()
 {
    let (moto, world) = sandbox("sqs,lambda").await;
    let seeded = world["lambda"]["timeout"].as_i64().unwrap() as i32;
    assert_eq!(
        support::world::function_timeout(&moto, FUNCTION).await,
        seeded
    );

    // A lower value is refused unless asked for; section 6.1's 1200 is refused with Lambda's limit. Neither run
    // writes anything: the timeout is as seeded and every message is still in the DLQ, not even sampled.
    for (value, reason) in [
        (
            "60",
            "would lower the timeout of bg-remover-dev-s3TablesDataValidator from 300 s to 60 s; pass --allow-lower-timeout",
        ),
        (
            "1200",
            "Lambda allows a timeout of at most 900 seconds (15 minutes), so section 6.1's 1200 cannot be set",
        ),
    ] {
        let output = run_failing(&moto, &["dlq-replay", "--raise-timeout", value]);
        let report = output.json();
        assert!(
            report["error"].as_str().unwrap().contains(reason),
            "--raise-timeout {value}: {}",
            report["error"]
        );
        for id in ["sample", "confirm", "raise_timeout", "replay"] {
            assert_eq!(
                step(&report, id)["status"],
                "not_run",
                "--raise-timeout {value}: {id}"
            );
        }
        assert_eq!(
            support::world::function_timeout(&moto, FUNCTION).await,
            seeded,
            "--raise-timeout {value}"
        );
        assert_eq!(queue_depth(&moto, DLQ).await, 50, "--raise-timeout {value}");
    }

    // The change comes after the diagnosis and the gate, and the move after the change.
    let plan: Value = serde_json::from_str(&offline_plan(
        &["dlq-replay", "--raise-timeout", "900"],
        "json",
    ))
    .unwrap();
    let before_change = ancestors(&plan, "raise_timeout");
    for id in [
        "confirm",
        "depth_before",
        "sample",
        "function_config",
        "durations",
        "timeout_guard",
    ] {
        assert!(
            before_change.contains(id),
            "raise_timeout can run before {id}"
        );
    }
    assert!(ancestors(&plan, "replay").contains("wait_function_updated"));

    // Asked for, a lower timeout is set.
    let report = run_ok(
        &moto,
        &[
            "dlq-replay",
            "--raise-timeout",
            "60",
            "--allow-lower-timeout",
            "--max",
            "5",
        ],
    );
    assert!(
        step(&report, "confirm")["request"]
            .as_str()
            .unwrap()
            .contains("300 s -> 60 s"),
        "{report:#}"
    );
    assert_eq!(support::world::function_timeout(&moto, FUNCTION).await, 60);
}

/// Ctrl-C in the middle of the move, then `runbook resume` with nothing else: the move's `verify:` sees messages
/// left in the DLQ and moves them. Every message ends in the main queue exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn dlq_replay_interrupted_during_the_move_resumes_without_rerun_and_moves_each_message_once()
{
    let (moto, world) = sandbox("sqs,lambda").await;
    let folder = tempfile::tempdir().unwrap();
    let child = in_folder(folder.path())
        .aws(&moto)
        .args([
            "run",
            "dlq-replay",
            "--rate",
            "5",
            "--pollers",
            "2",
            "--yes",
        ])
        .spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while queue_depth(&moto, MAIN_QUEUE).await < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "the move never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    let output = Ran::from(child.wait_with_output().unwrap());
    assert_eq!(output.status.code(), Some(130), "{}", output.stderr);
    let left = queue_depth(&moto, DLQ).await;
    assert!(
        left > 0 && left < 50,
        "the interrupt came mid-move: {left} left in the DLQ"
    );

    let output = in_folder(folder.path())
        .aws(&moto)
        .args(["resume", "last", "--yes", "--output", "json"])
        .run();
    assert_eq!(
        output.status.code(),
        Some(0),
        "resume needed more than itself: {}",
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("the write did not take effect; sending it"),
        "{}",
        output.stderr
    );
    let report = output.json();
    assert_eq!(step(&report, "replay")["output"]["Moved"], left);

    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    assert!(drain(&sqs, &queue_url(&sqs, DLQ).await).await.is_empty());
    let mut moved: Vec<String> = drain(&sqs, &queue_url(&sqs, MAIN_QUEUE).await)
        .await
        .into_iter()
        .map(|(body, _)| body)
        .collect();
    moved.sort();
    let mut expected = seeded_bodies(&world);
    expected.sort();
    assert_eq!(moved, expected, "lost or duplicated messages");
}

#[tokio::test(flavor = "multi_thread")]
async fn dlq_replay_with_a_filter_and_a_cap_moves_only_those_and_loses_none() {
    let (moto, world) = sandbox("sqs,lambda").await;
    let sale = |body: &str| -> u64 {
        serde_json::from_str::<Value>(body).unwrap()["sale"]
            .as_u64()
            .unwrap()
    };

    // A filter moves the matching messages and leaves the others in the DLQ, visible again for the next run.
    let report = run_ok(
        &moto,
        &[
            "dlq-replay",
            "--filter",
            "(message.Body | from_json).sale < 10",
        ],
    );
    assert_eq!(step(&report, "replay")["output"]["Moved"], 10);
    assert_eq!(step(&report, "depth_after")["outputs"]["depth"], 40);
    assert_eq!(step(&report, "depth_after")["outputs"]["in_flight"], 0);

    // A cap moves that many of the rest.
    let report = run_ok(&moto, &["dlq-replay", "--max", "20", "--pollers", "2"]);
    assert_eq!(step(&report, "replay")["output"]["Moved"], 20);

    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let moved = drain(&sqs, &queue_url(&sqs, MAIN_QUEUE).await).await;
    let left = drain(&sqs, &queue_url(&sqs, DLQ).await).await;
    assert_eq!(moved.len(), 30);
    assert_eq!(left.len(), 20);
    assert!(
        left.iter().all(|(body, _)| sale(body) >= 10),
        "a message matching the filter stayed behind"
    );
    // Every seeded message is in exactly one of the two queues.
    let mut all: Vec<String> = moved
        .into_iter()
        .chain(left)
        .map(|(body, _)| body)
        .collect();
    all.sort();
    let mut expected = seeded_bodies(&world);
    expected.sort();
    assert_eq!(all, expected);
}

// ---------------------------------------------------------------------------------------------------------------
// 4 Production smoke test

#[tokio::test(flavor = "multi_thread")]
async fn smoke_test_shows_a_dlq_sample_checks_invocations_and_fails_without_a_validation_run() {
    let (moto, _) = sandbox("dynamodb,sqs,lambda,embeddings").await;
    let health = support::health::server();

    // The seeded world: the function ran and validated in the last day, and the DLQ holds 50 messages, one of
    // which is shown (4.2) and left in the queue.
    let output = run_failing(&moto, &["smoke-test", "--health-url", &health]);
    let report = output.json();
    let dlq = step(&report, "dlq_empty");
    assert_eq!(dlq["status"], "failed");
    let error = dlq["error"].as_str().unwrap();
    assert!(
        error.contains("the DLQ holds 50 messages; a sample (message ")
            && error.contains(r#""tenant": "carousel-labs""#),
        "{error}"
    );
    assert_eq!(queue_depth(&moto, DLQ).await, 50);
    assert_eq!(step(&report, "invocations")["status"], "succeeded");
    assert_eq!(step(&report, "invocations")["outputs"]["total"], 4.0);
    assert_eq!(step(&report, "validation_runs")["status"], "succeeded");
    assert_eq!(
        step(&report, "report")["outputs"]["lines"][3],
        "4.2 FAIL  the DLQ is empty"
    );

    // With the DLQ replayed, everything holds: one report line per check, all PASS.
    run_ok(&moto, &["dlq-replay"]);
    let report = run_ok(&moto, &["smoke-test", "--health-url", &health]);
    assert_eq!(step(&report, "dlq_sample")["status"], "skipped");
    assert_eq!(step(&report, "mem0")["outputs"]["count"], 3);
    assert!(
        step(&report, "embeddings")["outputs"]["latest"]
            .as_str()
            .unwrap()
            .contains("EmbeddingGenerated")
    );
    let lines = step(&report, "report")["outputs"]["lines"].clone();
    let lines: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "{lines:?}");
    assert!(lines[..7].iter().all(|l| l.contains(" PASS ")), "{lines:?}");
    assert_eq!(lines[7], "7 of 7 checks pass");

    // 4.3 and 4.4 broken: an embeddings function that logged nothing, and a tenant without fresh memories. Both
    // fail with the seed's hints, the others pass, and nothing is changed.
    let output = run_failing(
        &moto,
        &[
            "smoke-test",
            "--health-url",
            &health,
            "--embeddings-function",
            "silent-embeddings",
            "--tenant",
            "other-tenant",
        ],
    );
    let report = output.json();
    let embeddings = step(&report, "embeddings");
    assert_eq!(embeddings["status"], "failed");
    let mem0 = step(&report, "mem0");
    assert_eq!(mem0["status"], "failed");
    assert!(
        mem0["error"]
            .as_str()
            .unwrap()
            .contains("no mem0 memory created for other-tenant in the last 5m"),
        "{mem0}"
    );
    let lines = step(&report, "report")["outputs"]["lines"].clone();
    assert_eq!(lines[4], "4.3 FAIL  an embedding within 5m");
    assert_eq!(lines[5], "4.4 FAIL  mem0 memories within 5m");
    assert_eq!(lines[7], "5 of 7 checks pass");
    assert_eq!(queue_depth(&moto, DLQ).await, 0);

    // A function that was never invoked and never validated fails both checks instead of passing: one without a
    // log group, one whose log has no validation summary.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config().await);
    logs.create_log_group()
        .log_group_name("/aws/lambda/quiet-fn")
        .send()
        .await
        .unwrap();
    for (function, validation) in [
        ("never-deployed-fn", "ResourceNotFoundException"),
        (
            "quiet-fn",
            "no validation_summary in /aws/lambda/quiet-fn in the last 24h",
        ),
    ] {
        let output = run_failing(
            &moto,
            &[
                "smoke-test",
                "--health-url",
                &health,
                "--function",
                function,
            ],
        );
        let report = output.json();
        let invocations = step(&report, "invocations");
        assert_eq!(invocations["status"], "failed", "{function}");
        assert!(
            invocations["error"]
                .as_str()
                .unwrap()
                .contains(&format!("{function} was not invoked in the last 24h")),
            "{invocations}"
        );
        let validation_runs = step(&report, "validation_runs");
        assert_eq!(validation_runs["status"], "failed", "{function}");
        assert!(
            validation_runs["error"]
                .as_str()
                .unwrap()
                .contains(validation),
            "{validation_runs}"
        );
        let held: Vec<bool> = report["success_criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["held"] == true)
            .collect();
        assert_eq!(
            held,
            [true, true, true, false, false, true, true, true],
            "{function}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Plans, pinned

#[test]
fn plans_of_the_core_runbooks_are_pinned() {
    let cases: [(&str, &[&str]); 5] = [
        ("rollback_lambda", &["rollback-lambda"]),
        (
            "rollback_lambda_stack",
            &["rollback-lambda", "--strategy", "stack"],
        ),
        (
            "pitr_restore",
            &["pitr-restore", "--restore-time", "2025-12-30T13:55:00Z"],
        ),
        (
            "iceberg_rollback",
            &["iceberg-rollback", "--snapshot-id", "5937117119577207079"],
        ),
        ("dlq_replay", &["dlq-replay", "--raise-timeout", "900"]),
    ];
    let run_id = regex::Regex::new(r"\d{8}T\d{6}Z-[0-9a-f]{4}").unwrap();
    // `now()` in a request (dlq-replay's Duration window) renders with fractions of a second.
    let now = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z").unwrap();
    for (name, args) in cases {
        for format in ["text", "markdown"] {
            let plan = offline_plan(args, format);
            // Offline plans make no AWS call; only the run id (in pitr-restore's backup names) and the clock (in
            // dlq-replay's metric window) differ from run to run.
            let plan = run_id.replace_all(&plan, "[run id]");
            let plan = now.replace_all(&plan, "[now]");
            insta::assert_snapshot!(format!("plan_{name}_{format}"), plan);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 6.3 DynamoDB throttling

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_throttling_switches_a_throttled_provisioned_table_to_on_demand_and_names_hot_keys_after()
 {
    use support::world;
    let (moto, world_seeded) = sandbox("dynamodb").await;
    let items = world_seeded["dynamodb"]["items"].as_i64().unwrap();

    // Healthy: on-demand, no throttling. Reported, nothing changed.
    let report = run_ok(&moto, &["dynamodb-throttling"]);
    assert_eq!(step(&report, "diagnosis")["outputs"]["remedy"], "none");
    let message = step(&report, "diagnosis")["output"]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("PAY_PER_REQUEST") && message.contains("Not throttled"),
        "{message}"
    );
    for id in ["confirm", "switch", "sample"] {
        assert_eq!(step(&report, id)["status"], "skipped", "{id}");
    }
    assert_eq!(world::billing_mode(&moto, TABLE).await, "PAY_PER_REQUEST");

    // Broken: provisioned at 5 units and throttled (the figures CloudWatch would hold, put with PutMetricData).
    world::provision_table(&moto, TABLE, 5).await;
    for (metric, value) in [
        ("ThrottledRequests", 12.0),
        ("ReadThrottleEvents", 9.0),
        ("UserErrors", 12.0),
        ("ConsumedReadCapacityUnits", 300.0),
    ] {
        world::put_metric(
            &moto,
            "AWS/DynamoDB",
            metric,
            ("TableName", TABLE),
            &[(10, value), (3, value)],
        )
        .await;
    }

    // Without an approval the run stops at the gate and the table stays provisioned.
    Cli::new()
        .shipped()
        .aws(&moto)
        .args([
            "run",
            "dynamodb-throttling",
            "--approve",
            "nothing-else",
            "--output",
            "json",
        ])
        .status(2)
        .run();
    Cli::new()
        .shipped()
        .aws(&moto)
        .args(["run", "dynamodb-throttling", "--dry-run"])
        .status(0)
        .run();
    assert_eq!(world::billing_mode(&moto, TABLE).await, "PROVISIONED");

    let report = run_ok(&moto, &["dynamodb-throttling"]);
    assert_eq!(step(&report, "diagnosis")["outputs"]["remedy"], "on_demand");
    let prompt = step(&report, "confirm")["request"].as_str().unwrap();
    assert!(
        prompt.contains("is PROVISIONED (5 RCU / 5 WCU)")
            && prompt.contains("ThrottledRequests: 24.0")
            && prompt.contains("UserErrors: 24.0")
            && prompt.contains("PROVISIONED -> PAY_PER_REQUEST"),
        "{prompt}"
    );
    assert_eq!(step(&report, "switch")["status"], "succeeded");
    assert_eq!(
        step(&report, "switch")["request"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(
        step(&report, "wait_active")["outputs"]["mode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(world::billing_mode(&moto, TABLE).await, "PAY_PER_REQUEST");
    assert_eq!(
        count(
            &aws_sdk_dynamodb::Client::new(&moto.sdk_config().await),
            TABLE
        )
        .await as i64,
        items
    );

    // Still throttled on demand (the same figures are in the window): capacity is not the cause. The hot keys are
    // named and nothing is changed.
    let report = run_ok(&moto, &["dynamodb-throttling"]);
    assert_eq!(step(&report, "diagnosis")["outputs"]["remedy"], "hot_keys");
    for id in ["confirm", "switch"] {
        assert_eq!(step(&report, id)["status"], "skipped", "{id}");
    }
    let hot = step(&report, "hot_keys")["outputs"]["message"]
        .as_str()
        .unwrap();
    assert!(
        hot.contains(&format!(
            "GSI1PK TENANT#carousel-labs holds {items} of {items} sampled items"
        )),
        "{hot}"
    );
    assert_eq!(world::billing_mode(&moto, TABLE).await, "PAY_PER_REQUEST");
}

// ---------------------------------------------------------------------------------------------------------------
// 6.2 Lambda timeout

#[tokio::test(flavor = "multi_thread")]
async fn lambda_timeout_names_the_slowest_phase_and_raises_the_timeout_only_within_the_ceiling() {
    let (moto, _) = sandbox("lambda").await;

    // Healthy: the seeded run took 80.5 s of 300; its phases are measured; nothing changes.
    let report = run_ok(&moto, &["lambda-timeout"]);
    let diagnosis = step(&report, "diagnosis");
    assert_eq!(diagnosis["outputs"]["over_budget"], false);
    assert_eq!(diagnosis["outputs"]["p99_seconds"], 80.51);
    assert_eq!(
        step(&report, "phases")["outputs"]["slowest"],
        serde_json::json!({"phase": "RowCountCheck", "seconds": 40.0})
    );
    assert_eq!(step(&report, "raise")["status"], "skipped");
    assert_eq!(support::world::function_timeout(&moto, FUNCTION).await, 300);

    // Broken: two runs time out at 300 s. Found, and without --raise-timeout nothing changes and the run fails.
    support::world::put_timed_out_runs(&moto, FUNCTION).await;
    let output = run_failing(&moto, &["lambda-timeout"]);
    let report = output.json();
    let diagnosis = step(&report, "diagnosis");
    assert_eq!(diagnosis["outputs"]["over_budget"], true);
    assert_eq!(diagnosis["outputs"]["max_seconds"], 300.0);
    let message = diagnosis["output"]["message"].as_str().unwrap();
    assert!(
        message.contains("3 runs in the last 24h")
            && message.contains("p99 300.0 s (100.0% of the timeout, budget 80%); 2 timed out")
            && message.contains("slowest: RowCountCheck (262.0 s)"),
        "{message}"
    );
    assert_eq!(support::world::function_timeout(&moto, FUNCTION).await, 300);

    // More than Lambda's ceiling, or not more than now: refused with the reason, before the gate.
    for (asked, reason) in [
        ("1200", "Lambda allows a timeout of at most 900 s"),
        ("200", "never lowers a timeout"),
    ] {
        let output = run_failing(&moto, &["lambda-timeout", "--raise-timeout", asked]);
        let report = output.json();
        let error = step(&report, "new_timeout")["error"].as_str().unwrap();
        assert!(error.contains(reason), "{error}");
        assert_eq!(step(&report, "raise")["status"], "not_run");
        assert_eq!(support::world::function_timeout(&moto, FUNCTION).await, 300);
    }

    // Raised behind the gate, which shows the figures and before -> after.
    let report = run_ok(&moto, &["lambda-timeout", "--raise-timeout", "600"]);
    let prompt = step(&report, "confirm")["request"].as_str().unwrap();
    assert!(
        prompt.contains("slowest: RowCountCheck") && prompt.contains("from 300 s to 600 s"),
        "{prompt}"
    );
    assert_eq!(step(&report, "after")["outputs"]["timeout"], 600);
    assert_eq!(support::world::function_timeout(&moto, FUNCTION).await, 600);
}

// ---------------------------------------------------------------------------------------------------------------
// 6.4 S3 Tables sync lag

#[tokio::test(flavor = "multi_thread")]
async fn sync_lag_reenables_the_schedule_runs_the_exporter_and_waits_for_the_table_to_move() {
    let (moto, _) = sandbox("iceberg,exporter").await;
    let (seeded_location, _) = support::world::s3tables_location(&moto.sdk_config().await).await;

    // Healthy: an export a minute ago, the table fresh, the rule enabled. Reported; nothing changed.
    let report = run_ok(&moto, &["sync-lag"]);
    let diagnosis = step(&report, "diagnosis");
    assert_eq!(diagnosis["outputs"]["stale"], false, "{diagnosis}");
    assert_eq!(diagnosis["outputs"]["rule_disabled"], false);
    for id in [
        "confirm_enable",
        "enable_rule",
        "confirm_invoke",
        "invoke",
        "wait_moved",
    ] {
        assert_eq!(step(&report, id)["status"], "skipped", "{id}");
    }
    assert_eq!(support::world::rule_state(&moto).await, "ENABLED");
    assert_eq!(
        support::world::s3tables_location(&moto.sdk_config().await)
            .await
            .0,
        seeded_location
    );

    // Broken (section 6.4's causes 1 and 2): the schedule disabled, the last export three hours ago, errors since.
    support::world::stale_exports(&moto).await;

    // The emulator's Lambda runs no code: this test is the exporter, and moves the table's metadata once the
    // invocation is journaled.
    let folder = tempfile::tempdir().unwrap();
    let child = in_folder(folder.path())
        .aws(&moto)
        .args(["run", "sync-lag", "--yes", "--output", "json"])
        .spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !journal_records(folder.path())
        .iter()
        .any(|r| r["kind"] == "call_started" && r["operation"] == "Invoke")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the exporter was never invoked"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let exported = support::world::export_moves_the_table(
        &moto.sdk_config().await,
        std::sync::Arc::new(moto.aws().await),
    )
    .await;
    let output = Ran::from(child.wait_with_output().unwrap());
    let report = output.json();
    assert_eq!(output.status.code(), Some(0), "{report:#}");

    let diagnosis = step(&report, "diagnosis");
    assert_eq!(diagnosis["outputs"]["stale"], true);
    assert_eq!(diagnosis["outputs"]["rule_disabled"], true);
    let message = diagnosis["output"]["message"].as_str().unwrap();
    assert!(
        message.contains("2 ERROR lines, the latest: S3Export ERROR AccessDenied")
            && message.contains(&format!("rule {} is DISABLED", support::world::EXPORT_RULE)),
        "{message}"
    );
    let export_age = diagnosis["outputs"]["export_age"].as_i64().unwrap();
    assert!(
        (3 * 3600..3 * 3600 + 120).contains(&export_age),
        "{export_age}"
    );
    assert!(
        step(&report, "confirm_enable")["request"]
            .as_str()
            .unwrap()
            .contains("(DISABLED -> ENABLED)")
    );
    assert_eq!(
        step(&report, "invoke")["request"]["Payload"]["source"],
        "manual-trigger"
    );
    assert_eq!(
        step(&report, "wait_moved")["outputs"]["location"],
        exported.as_str()
    );
    let lag_after = step(&report, "lag_after")["output"]["message"]
        .as_str()
        .unwrap();
    assert!(lag_after.contains(&format!("-> {exported}")), "{lag_after}");
    assert_eq!(support::world::rule_state(&moto).await, "ENABLED");
    assert_eq!(
        support::world::s3tables_location(&moto.sdk_config().await)
            .await
            .0,
        exported
    );
}

// ---------------------------------------------------------------------------------------------------------------
// 2.2 Detection alarms

fn lines_of(report: &Value) -> Vec<String> {
    step(report, "changes")["outputs"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_creates_the_four_then_changes_nothing_then_updates_only_what_drifted() {
    let (moto, _) = sandbox("cloudformation").await;
    let topic = "arn:aws:sns:eu-west-1:123456789012:bg-remover-dev-alerts";

    // None yet: the plan shows four creates and writes nothing.
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args(["plan", "alarms", "--format", "json"])
        .status(0)
        .run();
    let plan = output.json();
    assert_eq!(step(&plan, "put")["status"], "planned");
    assert_eq!(
        step(&plan, "diff")["outputs"]["to_put"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(support::world::service_alarms(&moto).await.is_empty());

    let report = run_ok(&moto, &["alarms"]);
    assert!(
        lines_of(&report)[..4]
            .iter()
            .all(|l| l.ends_with(": create")),
        "{:?}",
        lines_of(&report)
    );
    let alarms = support::world::service_alarms(&moto).await;
    let expected = [
        ("bg-remover-dev-lambda-errors", "AWS/Lambda", "Errors", 5.0),
        (
            "bg-remover-dev-dlq-backlog",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            10.0,
        ),
        (
            "bg-remover-dev-dynamodb-throttling",
            "AWS/DynamoDB",
            "UserErrors",
            0.0,
        ),
        (
            "bg-remover-dev-athena-query-time",
            "AWS/Athena",
            "TotalExecutionTime",
            300_000.0,
        ),
    ];
    assert_eq!(alarms.len(), 4);
    for (name, namespace, metric, threshold) in expected {
        let alarm = &alarms[name];
        assert_eq!(alarm["Namespace"], namespace, "{name}");
        assert_eq!(alarm["MetricName"], metric, "{name}");
        assert_eq!(
            alarm["Threshold"].as_str().unwrap().parse::<f64>().unwrap(),
            threshold,
            "{name}"
        );
        assert_eq!(
            alarm["ComparisonOperator"], "GreaterThanThreshold",
            "{name}"
        );
        assert_eq!(alarm["Period"].as_str().unwrap(), "300", "{name}");
        assert_eq!(alarm["AlarmActions"], serde_json::json!([topic]), "{name}");
    }
    assert_eq!(
        alarms["bg-remover-dev-athena-query-time"]["ExtendedStatistic"],
        "p70"
    );
    assert_eq!(
        alarms["bg-remover-dev-dynamodb-throttling"]["Dimensions"],
        serde_json::json!([{"Name": "TableName", "Value": TABLE}])
    );

    // As defined: every alarm unchanged, no gate, no write, the alarms exactly as they were.
    let report = run_ok(&moto, &["alarms"]);
    assert!(
        lines_of(&report)[..4]
            .iter()
            .all(|l| l.ends_with(": unchanged")),
        "{:?}",
        lines_of(&report)
    );
    assert_eq!(step(&report, "put")["status"], "skipped");
    assert_eq!(support::world::service_alarms(&moto).await, alarms);

    // Drifted: someone raised the DLQ alarm's threshold to 50. Only that alarm is updated, and the plan says which
    // field changes.
    let dlq_alarm = &alarms["bg-remover-dev-dlq-backlog"];
    support::actions::action(
        std::sync::Arc::new(moto.aws().await),
        "cloudwatch.PutMetricAlarm",
        serde_json::json!({
            "AlarmName": "bg-remover-dev-dlq-backlog",
            "AlarmDescription": dlq_alarm["AlarmDescription"],
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": dlq_alarm["Dimensions"],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 50.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [topic],
        }),
    )
    .await
    .unwrap();
    let plan = Cli::new()
        .shipped()
        .aws(&moto)
        .args(["plan", "alarms", "--format", "json"])
        .run()
        .json();
    assert_eq!(
        step(&plan, "diff")["outputs"]["rows"][1],
        serde_json::json!({"name": "bg-remover-dev-dlq-backlog", "action": "update", "changes": ["Threshold 50.0 -> 10.0"]})
    );
    let report = run_ok(&moto, &["alarms"]);
    assert_eq!(step(&report, "put")["request"].as_array().unwrap().len(), 1);
    assert_eq!(
        step(&report, "put")["request"][0]["AlarmName"],
        "bg-remover-dev-dlq-backlog"
    );
    let now = support::world::service_alarms(&moto).await;
    assert_eq!(
        now["bg-remover-dev-dlq-backlog"]["Threshold"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        10.0
    );
    assert_eq!(
        now["bg-remover-dev-lambda-errors"], alarms["bg-remover-dev-lambda-errors"],
        "untouched"
    );

    // Another pager: every alarm's action changes, and only that field.
    let other = "arn:aws:sns:eu-west-1:123456789012:pager";
    let report = run_ok(&moto, &["alarms", "--topic", other]);
    assert!(
        lines_of(&report)[..4].iter().all(|l| l.ends_with(&format!(
            ": update (AlarmActions [\"{topic}\"] -> [\"{other}\"])"
        ))),
        "{:?}",
        lines_of(&report)
    );
    for alarm in support::world::service_alarms(&moto).await.values() {
        assert_eq!(alarm["AlarmActions"], serde_json::json!([other]));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 5.1-5.3 Cost report

fn cost_rows(report: &Value) -> BTreeMap<String, (f64, String)> {
    step(report, "evaluate")["outputs"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["service"].as_str().unwrap().to_string(),
                (
                    row["cost"].as_f64().unwrap(),
                    row["status"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cost_report_passes_the_baseline_and_fails_and_notifies_on_a_crossed_threshold() {
    use support::world;
    let (moto, world_seeded) = sandbox("costs").await;
    let (topic, subscriber) = world::topic_with_subscriber(&moto, "bg-remover-cost-alerts").await;

    // Healthy: yesterday at the baseline (USD 0.14). Every line ok, nothing published.
    let report = run_ok(&moto, &["cost-report", "--topic", &topic]);
    let rows = cost_rows(&report);
    assert_eq!(
        rows["TOTAL"],
        (
            world_seeded["costs"]["total"].as_f64().unwrap(),
            "ok".into()
        )
    );
    assert_eq!(rows["AWS Lambda"], (0.07, "ok".into()));
    let text = step(&report, "report")["outputs"]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "day {}",
            world_seeded["costs"]["day"].as_str().unwrap()
        )) && text.contains("Expected monthly run-rate: 4.2")
            && text.contains("Within every threshold."),
        "{text}"
    );
    assert_eq!(step(&report, "notify")["status"], "skipped");
    assert!(world::published(&moto, &subscriber).await.is_empty());

    // Broken: Lambda runs away on 2025-12-30. The day is asked for exactly, the run fails (exit 1), and the
    // report goes to the topic first.
    world::queue_costs(
        &moto,
        "2025-12-30",
        "2025-12-31",
        &[
            ("AWS Lambda", "0.45"),
            ("Amazon DynamoDB", "0.01"),
            ("Amazon Athena", "0.06"),
        ],
    )
    .await;
    let output = run_failing(
        &moto,
        &["cost-report", "--date", "2025-12-30", "--topic", &topic],
    );
    let report = output.json();
    assert_eq!(
        step(&report, "costs")["request"]["TimePeriod"],
        serde_json::json!({"Start": "2025-12-30", "End": "2025-12-31"})
    );
    let rows = cost_rows(&report);
    assert_eq!(rows["AWS Lambda"], (0.45, "OVER".into()));
    assert_eq!(rows["Amazon Athena"], (0.06, "OVER".into()));
    assert_eq!(rows["Amazon DynamoDB"], (0.01, "ok".into()));
    assert_eq!(rows["TOTAL"], (0.52, "CRITICAL".into()));
    let text = step(&report, "report")["outputs"]["text"].as_str().unwrap();
    assert!(
        text.contains("THRESHOLD CROSSED: AWS Lambda, Amazon Athena, TOTAL")
            && text.contains("critical: potential runaway costs"),
        "{text}"
    );
    let messages = world::published(&moto, &subscriber).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        messages[0]["Subject"],
        "bg-remover cost: AWS Lambda, Amazon Athena, TOTAL over the threshold"
    );
    assert_eq!(messages[0]["Message"], text);

    // A past month over the budget, as JSON: November 2025 is complete, so the forecast is its total.
    world::queue_costs(
        &moto,
        "2025-11-01",
        "2025-12-01",
        &[("AWS Lambda", "4.20"), ("Amazon Athena", "1.90")],
    )
    .await;
    let output = run_failing(
        &moto,
        &[
            "cost-report",
            "--period",
            "month",
            "--date",
            "2025-11-15",
            "--format",
            "json",
        ],
    );
    let report = output.json();
    assert_eq!(
        step(&report, "costs")["request"],
        serde_json::json!({
            "TimePeriod": {"Start": "2025-11-01", "End": "2025-12-01"},
            "Granularity": "MONTHLY",
            "Metrics": ["BlendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        })
    );
    let json: Value =
        serde_json::from_str(step(&report, "report")["outputs"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(json["total"], 6.1);
    assert_eq!(
        json["crossed"],
        // Athena's 1.90 is over its 0.05 a day for 30 days too.
        serde_json::json!(["AWS Lambda", "Amazon Athena", "TOTAL", "FORECAST (linear)"])
    );
    let forecast = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == "FORECAST (linear)")
        .unwrap();
    assert_eq!(forecast["cost"], 6.1);
    // Lambda's limit is 0.10 a day, 3.00 for November's 30 days.
    let lambda = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == "AWS Lambda")
        .unwrap();
    assert_eq!(lambda["limit"], 3.0);

    // This month so far, in Markdown: the linear forecast is the cost so far over the days elapsed, times the days
    // of the month.
    let today = jiff::Timestamp::now().to_string();
    let first = format!("{}01", &today[..8]);
    world::queue_costs(&moto, &first, &today[..10], &[("AWS Lambda", "1.00")]).await;
    let report = run_ok(
        &moto,
        &[
            "cost-report",
            "--period",
            "month",
            "--format",
            "markdown",
            "--monthly-budget",
            "1000",
        ],
    );
    let text = step(&report, "report")["outputs"]["text"].as_str().unwrap();
    assert!(
        text.contains("| service | cost | limit | status |\n| --- | --- | --- | --- |"),
        "{text}"
    );
    assert!(
        text.contains("| TOTAL (month to date) | 1.0 | 1000.0 | ok |"),
        "{text}"
    );
    let forecast = cost_rows(&report)["FORECAST (linear)"].0;
    let first_second = format!("{first}T00:00:00Z")
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second();
    let elapsed_days = (jiff::Timestamp::now().as_second() - first_second) as f64 / 86400.0;
    let month_days = forecast * elapsed_days;
    assert!(
        (27.9..=31.1).contains(&month_days),
        "forecast {forecast} after {elapsed_days} days is not 1.00 spread over a month"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// 2.1-2.3 Incident triage

/// What triage reads of the sandbox's world (`parts` of the seed, `dlq_messages` in the DLQ), and the bucket the
/// Iceberg part would make (without pyiceberg's seconds).
async fn triage_world(parts: &str, dlq_messages: u32) -> Moto {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    python(
        &moto,
        "seed.py",
        &["--only", parts, "--dlq-messages", &dlq_messages.to_string()],
    );
    support::world::analytics_bucket(&moto).await;
    moto
}

#[tokio::test(flavor = "multi_thread")]
async fn triage_classifies_by_the_seed_table_and_names_the_next_runbook() {
    // The sandbox's world without its DLQ backlog (dlq-replay's fault).
    let moto = triage_world("dynamodb,sqs,lambda,cloudformation", 0).await;
    let config = moto.sdk_config().await;
    let health = support::health::server();

    // Healthy: P4, every check passed, the smoke test next. It only reads.
    let report = run_ok(&moto, &["triage", "--health-url", &health]);
    assert_eq!(
        step(&report, "findings")["outputs"]["found"],
        serde_json::json!([])
    );
    assert_eq!(step(&report, "report")["outputs"]["severity"], "P4");
    assert_eq!(
        step(&report, "report")["outputs"]["command"],
        format!("runbook run smoke-test --function {FUNCTION} --health-url {health}")
    );
    // Its only writes are rollback-lambda's, run as its step `rollback` with --rollback alone: skipped here.
    assert!(
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["effect"] == "write")
            .all(|s| s["status"] == "skipped"
                && s["id"].as_str().unwrap().starts_with("rollback."))
    );

    // Broken: errors in most invocations, 12 messages in the DLQ, and the table gone.
    support::world::put_metric(
        &moto,
        "AWS/Lambda",
        "Errors",
        ("FunctionName", FUNCTION),
        &[(20, 1.0), (5, 2.0)],
    )
    .await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let dlq = queue_url(&sqs, DLQ).await;
    for number in 0..12 {
        sqs.send_message()
            .queue_url(&dlq)
            .message_body(format!("{{\"sale\": {number}}}"))
            .send()
            .await
            .unwrap();
    }
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args(["run", "triage", "--health-url", &health, "--output", "json"])
        .run();
    assert_eq!(
        output.status.code(),
        Some(0),
        "triage reports; it does not fail on what it finds"
    );
    let report = output.json();
    let found = step(&report, "findings")["outputs"]["found"].clone();
    let whats: Vec<(i64, &str)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["level"].as_i64().unwrap(), f["what"].as_str().unwrap()))
        .collect();
    assert_eq!(whats.len(), 2, "{whats:?}");
    assert_eq!(whats[0].0, 2);
    assert!(
        whats
            .iter()
            .any(|(_, w)| w.ends_with("invocations failed (50% of validations failing)")),
        "{whats:?}"
    );
    assert!(
        whats
            .iter()
            .any(|(_, w)| *w == "bg-remover-dev-dlq holds 12 messages (DLQ backing up)"),
        "{whats:?}"
    );
    assert_eq!(step(&report, "report")["outputs"]["severity"], "P2");

    aws_sdk_dynamodb::Client::new(&config)
        .delete_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    // A check that could not be made fails the run, after the report.
    let output = Cli::new()
        .shipped()
        .aws(&moto)
        .args([
            "run",
            "triage",
            "--health-url",
            &health,
            "--format",
            "markdown",
            "--output",
            "json",
        ])
        .status(1)
        .run();
    let report = output.json();
    assert_eq!(step(&report, "report")["status"], "succeeded");
    assert_eq!(step(&report, "report")["outputs"]["severity"], "P1");
    let command = step(&report, "report")["outputs"]["command"]
        .as_str()
        .unwrap();
    assert!(
        command.starts_with(&format!(
            "runbook run pitr-restore --table {TABLE} --restore-time 20"
        )),
        "{command}"
    );
    let ticket = step(&report, "report")["output"]["message"]
        .as_str()
        .unwrap();
    for expected in [
        format!("## P1: table {TABLE} is not there\n"),
        "**Severity:** P1 (respond within 15 minutes)".to_string(),
        "### Why\n".to_string(),
        "- P2: bg-remover-dev-dlq holds 12 messages (DLQ backing up)".to_string(),
        "| check | result |\n| --- | --- |\n| health endpoint | healthy |".to_string(),
        format!("| table {TABLE} | not there |"),
        format!("### Next step\n\n`{command}`"),
    ] {
        assert!(ticket.contains(&expected), "{expected:?} not in\n{ticket}");
    }
    // Nothing was changed: the DLQ still holds its messages.
    assert_eq!(queue_depth(&moto, DLQ).await, 12);
}

/// 2.3's decision point taken by triage itself when asked (`--rollback`): a failing release is rolled back through
/// rollback-lambda, run as triage's step `rollback`, behind that runbook's own gate, in the same run and journal.
#[tokio::test(flavor = "multi_thread")]
async fn triage_rolls_the_function_back_through_rollback_lambda_only_when_asked_and_recommended() {
    let moto = triage_world("dynamodb,sqs,lambda,cloudformation", 0).await;
    let health = support::health::server();
    let state = tempfile::tempdir().unwrap();
    let triage = |args: &[&str], status: i32| {
        Cli::new()
            .shipped()
            .aws(&moto)
            .state_dir(state.path())
            .args(["run", "triage", "--health-url", &health, "--output", "json"])
            .args(args)
            .status(status)
            .run()
            .json()
    };

    // Healthy: the smoke test is next, so --rollback changes nothing.
    let report = triage(&["--rollback", "--yes"], 0);
    assert_eq!(step(&report, "rollback")["status"], "skipped");
    assert_eq!(step(&report, "rollback.move_alias")["status"], "skipped");
    assert_eq!(alias_version(&moto).await, "3");

    // Three of the four invocations failing: a rollback is recommended. Without --rollback triage only names it,
    // and needs no --yes: the parameters rule the child out.
    support::world::put_metric(
        &moto,
        "AWS/Lambda",
        "Errors",
        ("FunctionName", FUNCTION),
        &[(20, 1.0), (5, 2.0)],
    )
    .await;
    let report = triage(&[], 0);
    assert_eq!(step(&report, "report")["outputs"]["severity"], "P2");
    assert_eq!(
        step(&report, "report")["outputs"]["command"],
        format!("runbook run rollback-lambda --function {FUNCTION}")
    );
    assert_eq!(step(&report, "rollback")["status"], "skipped");
    assert_eq!(alias_version(&moto).await, "3");

    // Asked, off a terminal: the child's write needs --yes, its gate an approval.
    let refused = Cli::new()
        .shipped()
        .aws(&moto)
        .state_dir(state.path())
        .args(["run", "triage", "--health-url", &health, "--rollback"])
        .status(2)
        .stderr_has("rollback.move_alias")
        .run();
    assert!(refused.stdout.is_empty());
    let report = triage(&["--rollback", "--yes"], 0);
    assert_eq!(step(&report, "rollback.confirm")["status"], "succeeded");
    assert_eq!(step(&report, "rollback.move_alias")["status"], "succeeded");
    assert_eq!(alias_version(&moto).await, "2");
    assert_eq!(step(&report, "rollback")["outputs"]["from_version"], "3");
    assert_eq!(step(&report, "rollback")["outputs"]["to_version"], "2");
    assert_eq!(
        step(&report, "rolled_back")["output"]["message"],
        format!("rolled {FUNCTION} back: alias live 3 -> 2")
    );

    // One journal, chained, its timeline naming the child's steps under `rollback.`.
    Cli::new()
        .state_dir(state.path())
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
    let timeline = Cli::new()
        .state_dir(state.path())
        .args(["audit", "timeline", "last", "--format", "text"])
        .status(0)
        .run()
        .stdout;
    assert!(timeline.contains("rollback.move_alias"), "{timeline}");
    assert!(timeline.contains("rollback.confirm"), "{timeline}");
}

/// A runbook that declares `format` (its report's format) gets the flag on `run`; `plan` takes it as the plan's
/// format too, and refuses a value the parameter does not allow before planning anything.
#[test]
fn a_runbook_format_parameter_is_also_the_plans_format() {
    let plan: Value = serde_json::from_str(&offline_plan(&["cost-report"], "json")).unwrap();
    assert_eq!(plan["params"]["format"], "json");
    let markdown = offline_plan(&["triage"], "markdown");
    assert!(markdown.starts_with("### Plan: `triage`"), "{markdown}");
    let text = offline_plan(&["triage"], "text");
    assert!(text.starts_with("Plan for triage"), "{text}");

    Cli::new()
        .shipped()
        .args(["plan", "triage", "--offline", "--format", "html"])
        .env("AWS_REGION", "eu-west-1")
        .env_remove("AWS_ENDPOINT_URL")
        .status(2)
        .stderr_has("markdown")
        .run();
}

// ---------------------------------------------------------------------------------------------------------------
// Post-incident (2.5): the journals of a scripted incident as one document

/// Every line of a Mermaid Gantt chart as its grammar takes it: the header, a title, the date and axis formats,
/// sections, and tasks `name :tags, id, start, end` with dates in the declared format, each id once and no task
/// ending before it starts. Mermaid's own parser needs a browser's DOM; this is the part of its grammar we write.
fn assert_gantt(chart: &str) {
    let date = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}";
    let task = regex::Regex::new(&format!(
        r"^    [^#:;\s][^#:;]* :((?:(?:active|done|crit|milestone), )*)([A-Za-z][A-Za-z0-9_]*), ({date}), ({date})$"
    ))
    .unwrap();
    let other = regex::Regex::new(
        r"^(gantt|    title [^#;]+|    dateFormat YYYY-MM-DD HH:mm:ss\.SSS|    axisFormat %H:%M:%S|    section [^#:;]+)$",
    )
    .unwrap();
    let mut lines = chart.lines();
    assert_eq!(lines.next(), Some("gantt"), "{chart}");
    let mut ids = BTreeSet::new();
    let mut tasks = 0;
    for line in chart.lines() {
        if let Some(captures) = task.captures(line) {
            assert!(ids.insert(captures[2].to_string()), "id twice: {line}");
            assert!(captures[3] <= captures[4], "ends before it starts: {line}");
            tasks += 1;
        } else {
            assert!(other.is_match(line), "not a Gantt line: {line:?}\n{chart}");
        }
    }
    assert!(tasks > 0, "{chart}");
}

/// An incident as an operator works it on the emulator: triage finds the function failing, rollback-lambda moves
/// its alias back behind the approval, and the smoke test afterwards still fails on the DLQ. `audit postmortem`
/// over the window merges the three journals (and not a plan made before it) into one document: the runs, the
/// write before -> after, the approval, the failures, the gaps between runs, one timeline and a Gantt chart.
#[tokio::test(flavor = "multi_thread")]
async fn postmortem_merges_triage_rollback_and_smoke_test_into_one_incident_document() {
    let moto = triage_world("dynamodb,sqs,lambda,cloudformation,embeddings", 3).await;
    support::world::put_metric(
        &moto,
        "AWS/Lambda",
        "Errors",
        ("FunctionName", FUNCTION),
        &[(20, 1.0), (5, 2.0)],
    )
    .await;
    let health = support::health::server();
    let folder = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let output = in_folder(folder.path())
            .aws(&moto)
            .args(args)
            .env("USER", "oncall")
            .run();
        (output.code(), output.stdout, output.stderr)
    };

    // Before the window: a plan, which the post-mortem must leave out.
    let (code, _, stderr) = cli(&["plan", "rollback-lambda"]);
    assert_eq!(code, Some(0), "{stderr}");
    std::thread::sleep(std::time::Duration::from_millis(50));
    let since = jiff::Timestamp::now();

    let (code, stdout, stderr) =
        cli(&["run", "triage", "--health-url", &health, "--output", "json"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let (code, stdout, stderr) = cli(&[
        "run",
        "rollback-lambda",
        "--approve",
        "confirm",
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(alias_version(&moto).await, "2");
    let before_smoke = jiff::Timestamp::now();
    let (code, stdout, stderr) = cli(&[
        "run",
        "smoke-test",
        "--health-url",
        &health,
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(
        code,
        Some(1),
        "the DLQ still holds 3 messages\n{stdout}\n{stderr}"
    );

    let (code, document, stderr) = cli(&["audit", "postmortem", "--since", &since.to_string()]);
    assert_eq!(code, Some(0), "{stderr}");
    let alias = format!("alias live of {FUNCTION}");
    for expected in [
        "## Runs\n".to_string(),
        "| 1 | `triage` | succeeded | oncall@".to_string(),
        "| 2 | `rollback-lambda` | succeeded | oncall@".to_string(),
        "| 3 | `smoke-test` | failed | oncall@".to_string(),
        format!(
            "| 2 `rollback-lambda` | `move_alias` | arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}:live | {alias}: 3 -> 2 | succeeded |"
        ),
        "| 2 `rollback-lambda` | `confirm` | oncall (arn:aws:sts::123456789012:user/moto) | --approve confirm |"
            .to_string(),
        "| 3 `smoke-test` | `dlq_empty` | failed | the DLQ holds 3 messages".to_string(),
        "| 3 `smoke-test` |  | run failed |".to_string(),
        "end of 1 `triage` and start of 2 `rollback-lambda`".to_string(),
        "end of 2 `rollback-lambda` and start of 3 `smoke-test`".to_string(),
        "## Chart\n\n```mermaid\ngantt\n".to_string(),
    ] {
        assert!(document.contains(&expected), "{expected:?} not in\n{document}");
    }
    assert_eq!(
        document.matches("| run started by oncall@").count(),
        3,
        "{document}"
    );
    assert!(
        !document.contains("| plan started by"),
        "the plan before --since is out\n{document}"
    );
    // The timeline is in time order: each run starts after the one before ended.
    let timeline =
        &document[document.find("## Timeline").unwrap()..document.find("## Chart").unwrap()];
    let position = |text: &str| {
        timeline
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} not in\n{timeline}"))
    };
    assert!(
        position("| 1 `triage` |  | run ended")
            < position("| 2 `rollback-lambda` |  | run started")
    );
    assert!(position("| `confirm` | approved by oncall") < position("| `move_alias` |"));
    assert!(
        position("| 2 `rollback-lambda` |  | run ended")
            < position("| 3 `smoke-test` |  | run started")
    );

    let chart =
        &document[document.find("```mermaid\n").unwrap() + 11..document.rfind("```").unwrap()];
    assert_gantt(chart);
    assert!(chart.contains("    section 2 rollback-lambda "), "{chart}");
    assert!(chart.contains("    move_alias :active, r2s"), "{chart}");
    assert!(chart.contains("    dlq_empty failed :crit, r3s"), "{chart}");
    assert!(
        chart.contains(
            "    confirm approved by oncall (arn aws sts 123456789012 user/moto) :milestone, r2a0, "
        ),
        "{chart}"
    );
    assert!(
        chart.contains("    smoke-test failed :milestone, crit, r3end, "),
        "{chart}"
    );

    // The document pinned, with what differs from run to run masked; the timeline's rows sorted, since the
    // reads a run makes at once finish in any order (their order is asserted above).
    let host = journal_records(folder.path())
        .iter()
        .find_map(|r| r["operator"]["host"].as_str().map(str::to_string))
        .unwrap();
    let masked_document = masked(&document[..document.find("## Chart").unwrap()])
        .replace(&format!("@{host}"), "@[host]")
        .replace(&health, "[health url]")
        .replace(&moto.endpoint, "[endpoint]")
        .replace("| +[duration] |", "| |");
    let (head, rows) = masked_document.split_at(masked_document.find("## Timeline").unwrap());
    let mut rows: Vec<&str> = rows.lines().filter(|line| !line.is_empty()).collect();
    rows[3..].sort_unstable();
    insta::assert_snapshot!(
        "postmortem_of_an_incident",
        format!("{head}{}", rows.join("\n"))
    );

    // --format mermaid is the chart alone; --until leaves out what came after it.
    let (code, chart, _) = cli(&[
        "audit",
        "postmortem",
        "--since",
        &since.to_string(),
        "--until",
        &before_smoke.to_string(),
        "--format",
        "mermaid",
    ]);
    assert_eq!(code, Some(0));
    assert_gantt(&chart);
    assert!(chart.contains("    section 2 rollback-lambda "), "{chart}");
    assert!(!chart.contains("smoke-test"), "{chart}");

    // One run's timeline as a chart.
    let (code, chart, _) = cli(&["audit", "timeline", "last", "--format", "mermaid"]);
    assert_eq!(code, Some(0));
    assert_gantt(&chart);
    assert!(chart.contains("    dlq_empty failed :crit, r1s"), "{chart}");

    // A window nobody worked in, and one given backwards.
    let (code, stdout, stderr) = cli(&[
        "audit",
        "postmortem",
        "--since",
        "2001-01-01T00:00:00Z",
        "--until",
        "2001-01-02T00:00:00Z",
    ]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
    assert!(stderr.contains("no run in"), "{stderr}");
    let (code, _, stderr) = cli(&["audit", "postmortem", "--since", "now", "--until", "now-1h"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("hint: swap them"), "{stderr}");
    let (code, _, stderr) = cli(&["audit", "postmortem", "--since", "yesterday"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("now-15m"), "{stderr}");
}
