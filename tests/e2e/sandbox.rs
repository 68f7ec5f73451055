//! `scripts/sandbox`, the newcomer's local AWS: `up` starts moto and seeds it, a second `up` reuses the server and
//! puts the world back after runbooks changed it, `down` stops exactly the server `up` started and nothing else.
//! Each test has its own port and state folder, so a developer's own sandbox is never touched.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::cli::{Cli, repo};
use crate::support::moto::{Moto, free_port};
use serde_json::Value;

struct Sandbox {
    port: u16,
    state: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            port: free_port(),
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn script(&self, args: &[&str]) -> Output {
        Command::new("bash")
            .arg(repo().join("scripts/sandbox"))
            .args(args)
            .env("RUNBOOK_SANDBOX_PORT", self.port.to_string())
            .env("RUNBOOK_SANDBOX_STATE", self.state.path())
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/sandbox")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.script(args);
        assert!(
            output.status.success(),
            "scripts/sandbox {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn world(&self) -> Value {
        serde_json::from_str(&self.ok(&["world"])).unwrap()
    }

    fn pid(&self) -> u32 {
        std::fs::read_to_string(self.state.path().join("pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// An SDK configuration for checking the sandbox's state, with the endpoint `env` prints.
    async fn sdk_config(&self) -> aws_types::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-1"))
            .endpoint_url(format!("http://127.0.0.1:{}", self.port))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await
    }

    /// `runbook run ... --yes` against the sandbox, with exactly the environment `env` prints.
    fn run(&self, args: &[&str]) {
        let env: Vec<(String, String)> = self
            .ok(&["env"])
            .lines()
            .map(|line| {
                line.strip_prefix("export ")
                    .and_then(|assignment| assignment.split_once('='))
                    .map(|(key, value)| (key.to_string(), value.to_string()))
                    .unwrap_or_else(|| panic!("`env` printed {line:?}"))
            })
            .collect();
        Cli::new()
            .current_dir(self.state.path())
            .shipped()
            .arg("run")
            .args(args)
            .arg("--yes")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .state_dir(self.state.path().join("runbook-state"))
            .envs(env)
            .status(0)
            .run();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // A failed test must not leave its server behind.
        let _ = self.script(&["down"]);
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[tokio::test(flavor = "multi_thread")]
async fn up_seeds_a_second_up_reuses_the_server_and_restores_the_world_and_down_stops_it() {
    let sandbox = Sandbox::new();
    let exports = sandbox.ok(&["up"]);
    assert!(
        exports.contains(&format!(
            "export AWS_ENDPOINT_URL=http://127.0.0.1:{}",
            sandbox.port
        )),
        "{exports}"
    );
    assert!(exports.contains("export AWS_REGION=eu-west-1"), "{exports}");
    let pid = sandbox.pid();
    let seeded = sandbox.world();
    assert_eq!(seeded["lambda"]["alias_version"], "3");
    assert_eq!(seeded["iceberg"]["real"], true);
    assert_eq!(sandbox.ok(&["world", "sqs.dlq_messages"]).trim(), "50");

    // Runbooks change the world: the alias moves, the DLQ empties and the timeout goes up, the Iceberg table goes
    // back a snapshot, the table is swapped for a restored copy and backups are kept; and an operator may leave a
    // restore copy behind or change the stack.
    sandbox.run(&["rollback-lambda"]);
    sandbox.run(&["dlq-replay", "--raise-timeout", "900"]);
    let target = seeded["iceberg"]["glue"]["snapshots"][1].to_string();
    sandbox.run(&["iceberg-rollback", "--snapshot-id", &target]);
    let restore_time = sandbox.ok(&["world", "dynamodb.latest_restorable"]);
    sandbox.run(&["pitr-restore", "--restore-time", restore_time.trim()]);
    let config = sandbox.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let table_name = seeded["dynamodb"]["table"].as_str().unwrap();
    let function = seeded["lambda"]["function"].as_str().unwrap();
    let timeout = |lambda: aws_sdk_lambda::Client| async move {
        lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .unwrap()
            .timeout()
            .unwrap()
    };
    let stack_status = |cloudformation: aws_sdk_cloudformation::Client| async move {
        cloudformation
            .describe_stacks()
            .stack_name("bg-remover-dev")
            .send()
            .await
            .unwrap()
            .stacks()[0]
            .stack_status()
            .unwrap()
            .as_str()
            .to_string()
    };
    assert_eq!(timeout(lambda.clone()).await, 900);
    let swapped = dynamodb
        .describe_table()
        .table_name(table_name)
        .send()
        .await
        .unwrap();
    assert!(
        swapped.table().unwrap().restore_summary().is_some(),
        "pitr-restore swapped the table"
    );
    assert!(
        !dynamodb
            .list_backups()
            .send()
            .await
            .unwrap()
            .backup_summaries()
            .is_empty()
    );
    Moto::create_table_at(&config, &format!("{table_name}-restore"), "PK").await;
    cloudformation
        .update_stack()
        .stack_name("bg-remover-dev")
        .template_body(
            r#"{"Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "renamed"}}}}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        stack_status(cloudformation.clone()).await,
        "UPDATE_COMPLETE"
    );

    // `up` again reuses the running server and re-seeds it into the same world: same function versions, alias on
    // the newest, the DLQ full again and the main queue empty, the same Iceberg snapshots with the head current.
    sandbox.ok(&["up"]);
    assert_eq!(sandbox.pid(), pid, "up started a second server");
    let reseeded = sandbox.world();
    assert_eq!(reseeded["lambda"]["versions"], seeded["lambda"]["versions"]);
    let alias = aws_sdk_lambda::Client::new(&config)
        .get_alias()
        .function_name("bg-remover-dev-s3TablesDataValidator")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(alias.function_version(), Some("3"));
    let sqs = aws_sdk_sqs::Client::new(&config);
    for (queue, depth) in [("bg-remover-dev-dlq", "50"), ("bg-remover-dev-main", "0")] {
        let url = sqs.get_queue_url().queue_name(queue).send().await.unwrap();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url.queue_url().unwrap())
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap();
        assert_eq!(
            attributes.attributes().unwrap()
                [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages],
            depth,
            "{queue}"
        );
    }
    // The timeout as seeded, the table made afresh (not a restored one, its stream on), no copy and no backup
    // left, the stack as created.
    assert_eq!(
        timeout(lambda.clone()).await,
        seeded["lambda"]["timeout"].as_i64().unwrap() as i32
    );
    let table = dynamodb
        .describe_table()
        .table_name(table_name)
        .send()
        .await
        .unwrap();
    let table = table.table().unwrap();
    assert!(
        table.restore_summary().is_none(),
        "the swapped table is still there"
    );
    assert!(table.stream_specification().unwrap().stream_enabled());
    let tables = dynamodb.list_tables().send().await.unwrap();
    assert_eq!(
        tables
            .table_names()
            .iter()
            .filter(|t| t.starts_with(table_name))
            .count(),
        1,
        "{:?}",
        tables.table_names()
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
    assert_eq!(
        stack_status(cloudformation.clone()).await,
        "CREATE_COMPLETE"
    );
    assert_eq!(reseeded["cloudformation"]["status"], "CREATE_COMPLETE");
    for catalog in ["glue", "s3tables"] {
        let (before, after) = (&seeded["iceberg"][catalog], &reseeded["iceberg"][catalog]);
        assert_eq!(after["snapshots"], before["snapshots"], "{catalog}");
        assert_eq!(
            after["current_snapshot"], before["current_snapshot"],
            "{catalog}"
        );
    }

    assert!(sandbox.script(&["status"]).status.success());
    sandbox.ok(&["down"]);
    assert!(!alive(pid), "down left moto_server {pid} running");
    assert_eq!(sandbox.script(&["status"]).status.code(), Some(1));
}

#[test]
fn down_never_stops_a_process_that_is_not_the_sandboxs_moto() {
    let sandbox = Sandbox::new();
    // A pid file left behind whose pid now belongs to an unrelated process.
    let mut stranger = Command::new("sleep").arg("60").spawn().unwrap();
    std::fs::write(sandbox.state.path().join("pid"), stranger.id().to_string()).unwrap();
    std::fs::write(sandbox.state.path().join("port"), sandbox.port.to_string()).unwrap();
    let output = sandbox.script(&["down"]);
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nothing stopped"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(alive(stranger.id()), "down killed an unrelated process");
    stranger.kill().unwrap();
    stranger.wait().unwrap();
}
