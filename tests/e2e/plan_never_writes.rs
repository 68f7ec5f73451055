//! The dry run never lies: every shipped runbook is planned against an emulator seeded with the operations
//! runbook's world, through a proxy that records every request. Afterwards the AWS state is exactly as before, and
//! the emulator saw no operation that changes state.

use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use crate::support::cli::{Cli, repo};
use crate::support::fault_proxy::FaultProxy;
use crate::support::moto::Moto;
use serde_json::{Value, json};

/// The Python that runs moto also has boto3, which the seeding script uses.
fn venv_python() -> PathBuf {
    let venv = std::env::var("RUNBOOK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/runbook-venv")
        });
    venv.join("bin/python")
}

fn seed(moto: &Moto) -> Value {
    let output = Command::new(venv_python())
        .arg(repo().join("scripts/seed/seed.py"))
        .envs(moto.env())
        .output()
        .expect("run seed.py");
    assert!(
        output.status.success(),
        "seed.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("seed.py prints JSON")
}

/// Everything the shipped runbooks could change, read with the SDK directly.
async fn snapshot(moto: &Moto) -> Value {
    let config = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let mut tables = serde_json::Map::new();
    for table in dynamodb.list_tables().send().await.unwrap().table_names() {
        let count = dynamodb
            .scan()
            .table_name(table)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .unwrap()
            .count();
        tables.insert(table.clone(), json!(count));
    }
    let backups = dynamodb
        .list_backups()
        .send()
        .await
        .unwrap()
        .backup_summaries()
        .len();

    let sqs = aws_sdk_sqs::Client::new(&config);
    let mut queues = serde_json::Map::new();
    for url in sqs.list_queues().send().await.unwrap().queue_urls() {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(
                aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            )
            .send()
            .await
            .unwrap();
        let attributes: std::collections::BTreeMap<String, String> = attributes
            .attributes()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_string(), v))
            .collect();
        queues.insert(url.clone(), json!(attributes));
    }

    let lambda = aws_sdk_lambda::Client::new(&config);
    let alias = lambda
        .get_alias()
        .function_name("bg-remover-dev-s3TablesDataValidator")
        .name("live")
        .send()
        .await
        .unwrap();
    let function = lambda
        .get_function_configuration()
        .function_name("bg-remover-dev-s3TablesDataValidator")
        .send()
        .await
        .unwrap();

    let glue = aws_sdk_glue::Client::new(&config);
    let table = glue
        .get_table()
        .database_name("pricing_intelligence_dev")
        .name("sales_history")
        .send()
        .await
        .unwrap();
    let parameters: std::collections::BTreeMap<String, String> = table
        .table()
        .and_then(|t| t.parameters())
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let objects: BTreeSet<String> = s3
        .list_objects_v2()
        .bucket("carousel-labs-analytics-dev")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();

    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let stacks: Vec<String> = cloudformation
        .describe_stacks()
        .send()
        .await
        .unwrap()
        .stacks()
        .iter()
        .map(|s| format!("{:?} {:?}", s.stack_name(), s.stack_status()))
        .collect();

    json!({
        "tables": tables,
        "backups": backups,
        "queues": queues,
        "alias": alias.function_version(),
        "timeout": function.timeout(),
        "glue": parameters,
        "objects": objects,
        "stacks": stacks,
    })
}

/// Operations of the registry that change state, by the name the proxy logs (`X-Amz-Target` suffix or `Action`).
fn write_operations() -> BTreeSet<String> {
    runbook::actions::all()
        .filter(|spec| spec.effect == runbook::actions::Effect::Write)
        .filter_map(|spec| spec.name.split_once('.').map(|(_, op)| op.to_string()))
        .filter(|op| op.chars().next().is_some_and(char::is_uppercase))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn planning_every_shipped_runbook_changes_nothing() {
    let moto = Moto::start();
    let world = seed(&moto);
    let snapshot_before = snapshot(&moto).await;
    let proxy = FaultProxy::in_front_of(&moto);
    let env = proxy.env(&moto);
    let health = support::health::server();
    let snapshot_id = world["iceberg"]["snapshots"][1]
        .as_i64()
        .unwrap()
        .to_string();

    let cases: Vec<(&str, Vec<String>)> = vec![
        ("rollback-lambda", vec![]),
        (
            "pitr-restore",
            vec![
                "--restore-time".into(),
                world["dynamodb"]["latest_restorable"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ],
        ),
        (
            "iceberg-rollback",
            vec!["--snapshot-id".into(), snapshot_id],
        ),
        ("dlq-replay", vec![]),
        ("smoke-test", vec!["--health-url".into(), health]),
    ];
    for (name, params) in &cases {
        let mut args = vec![*name];
        args.extend(params.iter().map(String::as_str));
        // The smoke test reads all but its DLQ sample (a receive), so its plan is the real check of the rest,
        // and the seeded DLQ is not empty: it fails.
        let output = Cli::new()
            .current_dir(repo())
            .arg("plan")
            .args(&args)
            .args(["--format", "json"])
            .envs(env.iter().cloned())
            .status(if *name == "smoke-test" { 1 } else { 0 })
            .run();
        let report = output.json();
        let stdout = &output.stdout;
        let steps = report["steps"].as_array().unwrap();
        if *name == "smoke-test" {
            let dlq = steps.iter().find(|s| s["id"] == "dlq_empty").unwrap();
            assert!(
                dlq["error"].as_str().unwrap().contains("50 messages"),
                "{dlq}"
            );
            let sample = steps.iter().find(|s| s["id"] == "dlq_sample").unwrap();
            assert_eq!(sample["status"], "planned", "{sample}");
            let health = steps.iter().find(|s| s["id"] == "health").unwrap();
            assert_eq!(health["status"], "succeeded", "{health}");
        }
        assert!(
            steps
                .iter()
                .any(|s| s["effect"] == "read" && s["status"] == "succeeded"),
            "plan {name} ran no read for real: {stdout}"
        );
        for step in steps.iter().filter(|s| s["effect"] == "write") {
            assert!(
                ["planned", "skipped", "deferred"].contains(&step["status"].as_str().unwrap()),
                "plan {name}: write step {} is {}",
                step["id"],
                step["status"]
            );
        }
    }

    let writes = write_operations();
    let log = proxy.log();
    assert!(
        !log.is_empty(),
        "the plans made AWS calls through the proxy"
    );
    for (operation, _) in &log {
        assert!(
            !writes.contains(operation),
            "a plan sent the write {operation}"
        );
        if let Some((method, path)) = operation.split_once(' ') {
            assert!(
                method == "GET" || method == "HEAD",
                "a plan sent {method} {path}"
            );
        }
    }
    assert_eq!(
        snapshot(&moto).await,
        snapshot_before,
        "a plan changed AWS state"
    );
}
