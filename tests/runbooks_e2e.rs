//! The four core procedures of the operations runbook, end to end: each test starts its own emulator, seeds into
//! it the parts of the sandbox's world the procedure touches (scripts/seed/, the seeding `scripts/sandbox up`
//! does), runs the shipped runbook through the CLI with `--yes`, and then reads the AWS state with the SDK (and,
//! for Iceberg, with pyiceberg as an independent reader) to prove the procedure did what its section of the
//! operations runbook asks.
//!
//! Branches the emulator cannot run (CloudFormation's ContinueUpdateRollback) are proven by their plans. Every
//! plan is also pinned as an insta snapshot, text and markdown, offline so it is the same on every machine.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::moto::Moto;

const FUNCTION: &str = "bg-remover-dev-s3TablesDataValidator";
const TABLE: &str = "bg-remover-dev-sales-intelligence";
const DLQ: &str = "bg-remover-dev-dlq";
const MAIN_QUEUE: &str = "bg-remover-dev-main";
const DATABASE: &str = "pricing_intelligence_dev";
const ICEBERG_TABLE: &str = "sales_history";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

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
async fn sandbox(parts: &str) -> (Moto, Value) {
    let moto = Moto::start();
    // As `scripts/sandbox up` does, before any function exists: Lambda without Docker.
    moto.lambda_without_docker().await;
    let world = python(&moto, "seed.py", &["--only", parts]);
    (moto, world)
}

/// `runbook ARGS` on the shipped runbooks, from a scratch folder so nothing a run leaves behind lands in the
/// checkout.
fn runbook(moto: &Moto, args: &[&str]) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command
        .current_dir(scratch.path())
        .arg("--dir")
        .arg(repo().join("runbooks"))
        .args(args)
        .env_remove("RUNBOOK_PATH")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (key, value) in moto.env() {
        command.env(key, value);
    }
    command.output().expect("run the binary")
}

/// `runbook run ... --yes --output json`, which must succeed; its JSON report.
fn run_ok(moto: &Moto, args: &[&str]) -> Value {
    let mut all = vec!["run"];
    all.extend(args);
    all.extend(["--yes", "--output", "json"]);
    let output = runbook(moto, &all);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "run {args:?}: no JSON report\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        output.status.code(),
        Some(0),
        "run {args:?} failed\n{report:#}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report["outcome"], "succeeded", "{report:#}");
    report
}

fn step<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {report:#}"))
}

/// An offline plan in `format`; it makes no AWS call, so no emulator is needed. Run from a scratch folder, like
/// every command here, so nothing it records lands in the checkout.
fn offline_plan(args: &[&str], format: &str) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
    command
        .current_dir(scratch.path())
        .arg("--dir")
        .arg(repo().join("runbooks"))
        .arg("plan")
        .args(args)
        .args(["--offline", "--format", format])
        .env_remove("RUNBOOK_PATH")
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1")
        .env("AWS_REGION", "eu-west-1")
        .stdin(Stdio::null());
    let output = command.output().expect("run the binary");
    assert_eq!(
        output.status.code(),
        Some(0),
        "plan {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// 1.1 Lambda function rollback

async fn alias_version(moto: &Moto) -> String {
    let lambda = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    lambda
        .get_alias()
        .function_name(FUNCTION)
        .name("live")
        .send()
        .await
        .unwrap()
        .function_version()
        .unwrap()
        .to_string()
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
    let output = runbook(
        &moto,
        &["run", "rollback-lambda", "--to-version", "9", "--yes"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("version 9 is not a published version"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
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
    let output = runbook(
        &moto,
        &[
            "run",
            "rollback-lambda",
            "--strategy",
            "stack",
            "--yes",
            "--output",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
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
        "source_count",
        "sample_keys",
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

async fn s3(moto: &Moto) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk_config().await)
            .force_path_style(true)
            .build(),
    )
}

async fn metadata(moto: &Moto, location: &str) -> serde_json::Map<String, Value> {
    let (bucket, key) = location
        .strip_prefix("s3://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let body = s3(moto)
        .await
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("read {location}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    serde_json::from_slice::<Value>(&body)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

/// The rollback's metadata file beside the old one differs from it in exactly the five keys Iceberg's own
/// set-current-snapshot commit changes.
async fn assert_rolled_back_metadata(
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
    assert!(
        new_file.starts_with(&format!("{:05}-", old_version + 1))
            && new_file.ends_with(".metadata.json"),
        "{new_file}"
    );

    let old = metadata(moto, old_location).await;
    let new = metadata(moto, new_location).await;
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

fn read_iceberg(moto: &Moto, catalog: &str, snapshot: Option<i64>) -> Value {
    let snapshot = snapshot.map(|id| id.to_string());
    let mut args = vec!["read", "--catalog", catalog];
    if let Some(id) = &snapshot {
        args.extend(["--snapshot-id", id.as_str()]);
    }
    python(moto, "iceberg_table.py", &args)
}

fn seeded_iceberg(world: &Value, catalog: &str) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
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
    assert_eq!(
        step(&report, "rollback")["output"]["PreviousSnapshotId"],
        head
    );

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
    for (name, args) in cases {
        for format in ["text", "markdown"] {
            let plan = offline_plan(args, format);
            // Offline plans make no AWS call and read no clock; only the run id (in pitr-restore's backup name)
            // differs from run to run.
            let plan = run_id.replace_all(&plan, "[run id]");
            insta::assert_snapshot!(format!("plan_{name}_{format}"), plan);
        }
    }
}
