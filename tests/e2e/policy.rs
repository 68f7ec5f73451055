//! `runbook policy` end to end: the documents it prints for the shipped runbooks (scoped from the parameters,
//! widened only where the run decides, checked by parliament), and the proof on moto with IAM enforcement on that
//! a user whose only policy is the generated one runs each shipped runbook, and that without any one statement
//! the run fails at the step that needs it, naming the missing action.
//!
//! How far moto checks (moto 5.2.5, moto/core/authorization.py and moto/iam/access_control.py):
//! - it authorizes the action as `<signing name>:<Operation>`, so CloudWatch's actions arrive as
//!   `monitoring:...`, Lambda's InvokeFunction as `lambda:Invoke`, SQS's batch forms by their own names and
//!   an S3 table's files as S3 objects; the test renames them for moto;
//! - it checks the resource only for S3 (bucket and key) and SQS calls that carry a queue URL; every other call is
//!   checked against `*`, which a scoped resource never matches. For those, the test puts `*` in place of the
//!   resource, so they prove the action lists, and the offline tests prove the resources;
//! - it checks signatures, and for a request without a body only when the payload hash is a signed header (see
//!   `sign_payload_hash_for_emulators` in src/aws/mod.rs).

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use std::process::{Command, Stdio};

use crate::support::cli::{Cli, Ran, repo};
use crate::support::moto::Moto;
use serde_json::{Value, json};

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";

/// The binary on the shipped runbooks, with no endpoint or profile of the machine's: only what a test gives.
fn cli() -> Cli {
    Cli::new()
        .shipped()
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
}

/// `runbook policy NAME PARAMS --region --account EXTRA` in `format`, which must succeed.
fn policy_output(name: &str, params: &[String], extra: &[&str], format: &str) -> Ran {
    cli()
        .args(["policy", name])
        .args(params)
        .args(["--region", REGION, "--account", ACCOUNT, "--format", format])
        .args(extra)
        .status(0)
        .run()
}

/// The policy document.
fn policy(name: &str, params: &[String], extra: &[&str]) -> Value {
    policy_output(name, params, extra, "json").json()
}

fn strings(params: &[&str]) -> Vec<String> {
    params.iter().map(|s| s.to_string()).collect()
}

fn statements(document: &Value) -> &Vec<Value> {
    document["Statement"].as_array().expect("Statement list")
}

fn list(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().unwrap().to_string())
            .collect(),
        other => panic!("not a string or a list: {other}"),
    }
}

/// The statement that allows `action`.
fn allowing<'a>(document: &'a Value, action: &str) -> &'a Value {
    statements(document)
        .iter()
        .find(|s| list(&s["Action"]).iter().any(|a| a == action))
        .unwrap_or_else(|| panic!("no statement allows {action}: {document:#}"))
}

fn all_actions(document: &Value) -> BTreeSet<String> {
    statements(document)
        .iter()
        .flat_map(|s| list(&s["Action"]))
        .collect()
}

/// Every shipped runbook, by the name of its file.
fn shipped() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("runbooks"))
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .filter(|path| !path.to_string_lossy().ends_with(".test.yaml"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn update_alias_is_scoped_to_the_alias_of_the_function_the_runbook_targets() {
    let params = strings(&["--function", "orders-api", "--alias", "prod"]);
    let document = policy("rollback-lambda", &params, &[]);
    assert_eq!(document["Version"], "2012-10-17");
    assert_eq!(
        list(&allowing(&document, "lambda:UpdateAlias")["Resource"]),
        ["arn:aws:lambda:eu-west-1:123456789012:function:orders-api:prod"]
    );
    assert_eq!(
        list(&allowing(&document, "lambda:ListVersionsByFunction")["Resource"]),
        ["arn:aws:lambda:eu-west-1:123456789012:function:orders-api"]
    );
    // The stack strategy's steps cannot run with --strategy alias, so their permissions are not asked for.
    assert!(
        !all_actions(&document)
            .iter()
            .any(|a| a.starts_with("cloudformation:")),
        "{document:#}"
    );
    let stack = policy(
        "rollback-lambda",
        &strings(&["--strategy", "stack", "--stack", "orders"]),
        &[],
    );
    let resources = list(&allowing(&stack, "cloudformation:ContinueUpdateRollback")["Resource"]);
    assert_eq!(resources.len(), 1, "{stack:#}");
    assert!(
        resources[0].starts_with("arn:aws:cloudformation:eu-west-1:123456789012:stack/orders/"),
        "{resources:?}"
    );
    assert!(!all_actions(&stack).contains("lambda:UpdateAlias"));
}

#[test]
fn a_resource_the_run_decides_is_widened_only_there_and_names_the_step_that_decides_it() {
    let output = policy_output("pitr-restore", &[], &[], "json");
    let document: Value = output.json();
    // The backup ARN comes from backup_original's output: only the backup id is left open.
    let describe = allowing(&document, "dynamodb:DescribeBackup");
    assert!(
        list(&describe["Resource"]).contains(
            &"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/backup/*"
                .to_string()
        ),
        "{describe:#}"
    );
    let sid = describe["Sid"].as_str().unwrap();
    assert!(
        sid.contains("WidenedBy") && sid.contains("BackupOriginal"),
        "{sid}"
    );
    assert!(
        output.stderr.contains("the output of step backup_original"),
        "{}",
        output.stderr
    );
    // Exact resources stay exact and say nothing.
    let exact = allowing(&document, "dynamodb:DescribeContinuousBackups");
    assert!(
        !exact["Sid"].as_str().unwrap().contains("Widened"),
        "{exact:#}"
    );

    let text = policy_output("pitr-restore", &[], &[], "text");
    let text = text.stdout;
    assert!(
        text.contains(
            "note: `*` stands for what the run decides: the output of step backup_original"
        ),
        "{text}"
    );

    // A queue URL that GetQueueUrl returns is the queue that step named: not widened.
    let dlq = policy("dlq-replay", &[], &[]);
    assert_eq!(
        list(&allowing(&dlq, "sqs:SendMessage")["Resource"]),
        ["arn:aws:sqs:eu-west-1:123456789012:bg-remover-dev-main"]
    );
    assert!(
        !statements(&dlq)
            .iter()
            .any(|s| s["Sid"].as_str().unwrap().contains("Widened")),
        "{dlq:#}"
    );
}

#[test]
fn plan_only_asks_for_the_reads_a_plan_makes_and_nothing_else() {
    for name in shipped() {
        let full = all_actions(&policy(&name, &[], &[]));
        let plan = all_actions(&policy(&name, &[], &["--plan-only"]));
        assert!(
            plan.is_subset(&full),
            "{name}: {:?}",
            plan.difference(&full)
        );
    }
    let plan = all_actions(&policy("dlq-replay", &[], &["--plan-only"]));
    assert!(plan.contains("sqs:GetQueueAttributes"), "{plan:?}");
    for write in [
        "sqs:SendMessage",
        "sqs:DeleteMessage",
        "sqs:ReceiveMessage",
        "lambda:UpdateFunctionConfiguration",
    ] {
        assert!(!plan.contains(write), "{write} in {plan:?}");
    }
    let plan = all_actions(&policy("pitr-restore", &[], &["--plan-only"]));
    assert!(
        plan.contains("dynamodb:DescribeContinuousBackups"),
        "{plan:?}"
    );
    assert!(!plan.contains("dynamodb:DeleteTable"), "{plan:?}");
}

#[test]
fn the_engines_own_calls_are_asked_for_only_with_their_flags() {
    let plain = all_actions(&policy("smoke-test", &[], &[]));
    assert!(!plain.iter().any(|a| a.starts_with("kms:")), "{plain:?}");
    let document = policy(
        "smoke-test",
        &[],
        &[
            "--lock-table",
            "runbook-locks",
            "--audit-s3",
            "s3://audit-bucket/runs",
            "--audit-kms-key",
            "arn:aws:kms:eu-west-1:123456789012:key/0f3c",
        ],
    );
    assert_eq!(
        list(&allowing(&document, "dynamodb:PutItem")["Resource"]),
        ["arn:aws:dynamodb:eu-west-1:123456789012:table/runbook-locks"]
    );
    assert_eq!(
        list(&allowing(&document, "s3:PutObject")["Resource"]),
        ["arn:aws:s3:::audit-bucket/runs/*"]
    );
    assert_eq!(
        list(&allowing(&document, "kms:Sign")["Resource"]),
        ["arn:aws:kms:eu-west-1:123456789012:key/0f3c"]
    );
}

#[test]
fn an_unknown_runbook_or_a_bad_parameter_exits_2() {
    let output = cli()
        .args(["policy", "rollback-lamda", "--region", REGION])
        .run();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stderr.contains("rollback-lambda"),
        "{}",
        output.stderr
    );
    let output = cli()
        .args([
            "policy",
            "rollback-lambda",
            "--strategy",
            "sideways",
            "--account",
            ACCOUNT,
        ])
        .run();
    assert_eq!(output.status.code(), Some(2), "{}", output.stderr);
    assert!(output.stderr.contains("sideways"), "{}", output.stderr);
}

#[test]
fn parliament_finds_nothing_above_low_in_any_shipped_runbooks_policy() {
    let parliament = support::moto::venv_bin("parliament");
    assert!(
        parliament.exists(),
        "{} is missing: run `bash scripts/emulator install`",
        parliament.display()
    );
    let engine = [
        "--lock-table",
        "runbook-locks",
        "--audit-s3",
        "s3://audit-bucket/runs",
        "--audit-kms-key",
        "alias/runbook-audit",
    ];
    for name in shipped() {
        for extra in [&[][..], &engine[..], &["--plan-only"][..]] {
            let document = policy(&name, &[], extra);
            let output = Command::new(&parliament)
                .args(["--string", &document.to_string(), "--json"])
                .args(["--minimum_severity", "MEDIUM"])
                .stdin(Stdio::null())
                .output()
                .expect("run parliament");
            let findings = String::from_utf8_lossy(&output.stdout);
            assert!(
                findings.trim().is_empty() && output.status.success(),
                "parliament on {name} {extra:?}: {findings}{}\n{document:#}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

#[test]
fn the_account_comes_from_sts_when_not_given() {
    let moto = Moto::shared();
    let output = cli()
        .aws(moto)
        .args(["policy", "smoke-test", "--format", "json"])
        .run();
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    let document: Value = output.json();
    assert_eq!(
        list(&allowing(&document, "dynamodb:DescribeTable")["Resource"]),
        ["arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence"]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Enforced on moto

/// The IAM action as moto names it: after the signing name and the API's operation, not IAM's own names. IAM
/// authorizes SQS's batch forms with their single form's action, and reads and writes of an S3 table's files
/// as S3 Tables data access; moto by the operation, and the files as S3 objects.
fn moto_actions(action: &str) -> Vec<String> {
    if let Some(operation) = action.strip_prefix("cloudwatch:") {
        return vec![format!("monitoring:{operation}")];
    }
    match action {
        "lambda:InvokeFunction" => vec!["lambda:Invoke".into()],
        "sqs:SendMessage" | "sqs:DeleteMessage" | "sqs:ChangeMessageVisibility" => {
            vec![action.to_string(), format!("{action}Batch")]
        }
        "s3tables:GetTableData" => vec![action.into(), "s3:GetObject".into()],
        "s3tables:PutTableData" => vec![action.into(), "s3:PutObject".into()],
        _ => vec![action.to_string()],
    }
}

/// Whether moto checks this action against the resource it acts on (else against `*`).
fn moto_checks_resource(action: &str) -> bool {
    action.starts_with("s3:")
        || (action.starts_with("sqs:") && !matches!(action, "sqs:GetQueueUrl" | "sqs:ListQueues"))
}

/// The policy as moto can evaluate it: the same actions, renamed where moto names them otherwise, on their own
/// resources where moto checks them and on `*` where it checks `*`.
fn for_moto(document: &Value) -> Value {
    let mut by_resources: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for statement in statements(document) {
        for action in list(&statement["Action"]) {
            let resources = if moto_checks_resource(&action) {
                list(&statement["Resource"])
            } else {
                vec!["*".to_string()]
            };
            by_resources
                .entry(resources)
                .or_default()
                .extend(moto_actions(&action));
        }
    }
    let statements: Vec<Value> = by_resources
        .into_iter()
        .map(|(resources, actions)| {
            json!({"Effect": "Allow", "Action": actions, "Resource": resources})
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// What each shipped runbook needs to succeed on the seeded world: the parts to seed (with the seed's flags)
/// and its parameters. A runbook not named here is seeded with everything and run with its defaults.
fn seed_args(name: &str) -> Vec<&'static str> {
    match name {
        "pitr-restore" => vec!["--only", "dynamodb"],
        "iceberg-rollback" => vec!["--only", "iceberg"],
        // An empty DLQ, so the smoke test passes.
        "smoke-test" => vec![
            "--only",
            "dynamodb,sqs,lambda,embeddings",
            "--dlq-messages",
            "0",
        ],
        "dlq-replay" => vec!["--only", "sqs,lambda"],
        "rollback-lambda" => vec!["--only", "lambda,cloudformation"],
        _ => vec![],
    }
}

/// The branches of a runbook the enforced runs take, each a run of its own (one, unnamed, for most).
fn variants(name: &str) -> &'static [&'static str] {
    match name {
        "iceberg-rollback" => &["glue", "s3tables"],
        _ => &[""],
    }
}

fn params_for(name: &str, variant: &str, world: &Value, health: &str) -> Vec<String> {
    match (name, variant) {
        ("pitr-restore", _) => vec![
            "--restore-time".into(),
            world["dynamodb"]["latest_restorable"]
                .as_str()
                .unwrap()
                .into(),
        ],
        ("iceberg-rollback", catalog) => vec![
            "--catalog".into(),
            catalog.into(),
            "--snapshot-id".into(),
            world["iceberg"][catalog]["snapshots"][1].to_string(),
        ],
        ("smoke-test" | "triage", _) => vec!["--health-url".into(), health.into()],
        _ => vec![],
    }
}

/// A fresh copy of the seeded world in `moto`, enforcement off.
async fn fresh(moto: &Moto, name: &str) -> Value {
    moto.enforce_iam(false).await;
    moto.reset().await;
    moto.lambda_without_docker().await;
    moto.seed(&seed_args(name))
}

/// `runbook run NAME PARAMS --yes --output json` as a new user whose only policy is `document`.
async fn run_as(
    moto: &Moto,
    user: &str,
    document: &Value,
    name: &str,
    params: &[String],
) -> (Option<i32>, Value, String) {
    as_user(
        moto,
        user,
        document,
        &["run", name],
        params,
        &["--yes", "--output", "json"],
    )
    .await
}

/// `runbook VERB PARAMS FLAGS` (a JSON report) as a new user whose only policy is `document` (as moto can
/// evaluate it), with enforcement on for that command alone.
async fn as_user(
    moto: &Moto,
    user: &str,
    document: &Value,
    verb: &[&str],
    params: &[String],
    flags: &[&str],
) -> (Option<i32>, Value, String) {
    let name = verb.join(" ");
    let mut document = for_moto(document);
    if statements(&document).is_empty() {
        // IAM refuses a policy without statements; this one allows only what every principal may do anyway.
        document["Statement"] =
            json!([{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]);
    }
    let keys = moto
        .create_user_with_policy(user, &document.to_string())
        .await;
    moto.enforce_iam(true).await;
    let output = cli()
        .envs(moto.env_as(&keys))
        .args(verb)
        .args(params)
        .args(flags)
        .run();
    moto.enforce_iam(false).await;
    let report = serde_json::from_str(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "{name} as {user}: no JSON report\nstdout: {}\nstderr: {}",
            output.stdout, output.stderr
        )
    });
    (output.code(), report, output.stderr)
}

/// Per statement of the text format (by Sid), the steps it says need it.
fn steps_by_sid(name: &str, params: &[String]) -> BTreeMap<String, Vec<String>> {
    let output = policy_output(name, params, &[], "text");
    let text = output.stdout.clone();
    let mut steps = BTreeMap::new();
    let mut sid = None;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.contains(' ') {
            sid = Some(line.to_string());
        } else if let (Some(current), Some(list)) = (&sid, line.strip_prefix("  for   ")) {
            steps.insert(
                current.clone(),
                list.split(", ").map(str::to_string).collect(),
            );
        }
    }
    steps
}

#[tokio::test(flavor = "multi_thread")]
async fn each_shipped_runbook_runs_with_only_its_policy_and_fails_without_any_statement() {
    let moto = Moto::start();
    let health = support::health::server();
    let mut proven = Vec::new();
    for (name, variant) in shipped()
        .into_iter()
        .flat_map(|name| variants(&name).iter().map(move |v| (name.clone(), *v)))
    {
        let world = fresh(&moto, &name).await;
        let params = params_for(&name, variant, &world, &health);
        let document = policy(&name, &params, &[]);
        let (code, report, errors) =
            run_as(&moto, &format!("{name}-all"), &document, &name, &params).await;
        assert_eq!(
            (code, report["outcome"].as_str()),
            (Some(0), Some("succeeded")),
            "{name} with its policy: {report:#}\n{errors}"
        );
        // The steps that made calls: the statements they need are the ones a removal must break.
        let ran: BTreeSet<String> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "succeeded")
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        let steps = steps_by_sid(&name, &params);
        let mut removed = 0;

        for (index, statement) in statements(&document).iter().enumerate() {
            let sid = statement["Sid"].as_str().unwrap();
            let needed_by = &steps[sid];
            if !needed_by.iter().any(|step| ran.contains(step)) {
                // Only on_failure or a branch this run did not take needs it.
                continue;
            }
            // The parameters come from the world (a restore time within its backups' window), so anew.
            let world = fresh(&moto, &name).await;
            let params = params_for(&name, variant, &world, &health);
            let mut without = document.clone();
            without["Statement"].as_array_mut().unwrap().remove(index);
            let (code, report, errors) =
                run_as(&moto, &format!("{name}-{index}"), &without, &name, &params).await;
            assert_ne!(code, Some(0), "{name} without {sid} succeeded: {report:#}");
            let actions: Vec<String> = list(&statement["Action"])
                .iter()
                .flat_map(|a| moto_actions(a))
                .collect();
            let failed = report["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["status"] == "failed")
                .unwrap_or_else(|| {
                    panic!("{name} without {sid}: no step failed: {report:#}\n{errors}")
                });
            let error = failed["error"].as_str().unwrap();
            assert!(
                needed_by.contains(&failed["id"].as_str().unwrap().to_string()),
                "{name} without {sid} (needed by {needed_by:?}) failed at {}: {error}",
                failed["id"]
            );
            assert!(
                actions
                    .iter()
                    .any(|action| error.contains(&format!("needs {action} on "))),
                "{name} without {sid}: the error names none of {actions:?}: {error}"
            );
            assert!(
                error.contains(&format!("see `runbook policy {name}`")),
                "{error}"
            );
            removed += 1;
        }
        assert!(
            removed > 0,
            "{name}: no statement was needed by a step that ran"
        );
        proven.push(format!(
            "{name} {variant} ({removed} of {} statements removed one at a time)",
            statements(&document).len()
        ));
    }
    eprintln!("enforced on moto: {}", proven.join(", "));
    assert!(
        [
            "pitr-restore",
            "iceberg-rollback",
            "smoke-test",
            "dlq-replay",
            "rollback-lambda",
        ]
        .iter()
        .all(|name| proven.iter().any(|p| p.starts_with(&format!("{name} ")))),
        "proven only {proven:?}"
    );
    assert!(
        proven
            .iter()
            .any(|p| p.starts_with("iceberg-rollback s3tables ")),
        "{proven:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_only_policy_is_enough_for_runbook_plan_and_a_refused_read_says_what_it_needs() {
    let moto = Moto::start();
    let health = support::health::server();
    for name in shipped() {
        let world = fresh(&moto, &name).await;
        let params = params_for(&name, variants(&name)[0], &world, &health);
        let document = policy(&name, &params, &["--plan-only"]);
        let plan = ["plan", name.as_str()];
        let json = ["--format", "json"];
        let (code, report, errors) = as_user(
            &moto,
            &format!("{name}-plan"),
            &document,
            &plan,
            &params,
            &json,
        )
        .await;
        assert_eq!(
            code,
            Some(0),
            "plan {name} with its --plan-only policy: {report:#}\n{errors}"
        );

        // The first read refused names what it needs, in a plan as in a run.
        let mut without = document.clone();
        without["Statement"].as_array_mut().unwrap().remove(0);
        let (code, report, errors) = as_user(
            &moto,
            &format!("{name}-plan-0"),
            &without,
            &plan,
            &params,
            &json,
        )
        .await;
        assert_eq!(
            code,
            Some(1),
            "plan {name} without its first statement: {report:#}\n{errors}"
        );
        let failed = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["status"] == "failed")
            .unwrap_or_else(|| panic!("plan {name}: no step failed: {report:#}"));
        let error = failed["error"].as_str().unwrap();
        assert!(
            error.contains("needs ") && error.contains(&format!("see `runbook policy {name}`")),
            "{error}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Composites: the IAM actions they declare against the calls they make

/// The IAM action that authorizes a call the journal recorded, for a step of `action`. S3 Tables composites
/// read and write the table's files through its warehouse bucket, which IAM authorizes as S3 Tables data
/// access; batch forms share their single form's action.
fn iam_action_of(action: &str, service: &str, operation: &str) -> String {
    if action.starts_with("s3tables.") && service == "s3" {
        return match operation {
            "GetObject" | "HeadObject" => "s3tables:GetTableData".into(),
            _ => "s3tables:PutTableData".into(),
        };
    }
    match runbook::actions::lookup(&format!("{service}.{operation}")) {
        Some(spec) => spec.iam[0].to_string(),
        None => format!("{service}:{}", operation.trim_end_matches("Batch")),
    }
}

/// IAM actions a composite declares without the test seeing the call: Athena reads the catalog and writes the
/// results on the caller's behalf, with the caller's permissions; a cancellation happens only on a timeout.
const ON_THE_CALLERS_BEHALF: &[(&str, &str)] = &[
    ("athena.query", "glue:GetTable"),
    ("athena.query", "s3:GetObject"),
    ("athena.query", "s3:PutObject"),
    // Called only when the query outlives the step's wait; moto's queries end at once.
    ("athena.query", "athena:StopQueryExecution"),
];

#[tokio::test(flavor = "multi_thread")]
async fn every_composite_declares_exactly_the_iam_actions_of_the_calls_it_makes() {
    let moto = Moto::start();
    moto.lambda_without_docker().await;
    let world = moto.seed(&["--only", "dynamodb,sqs,iceberg"]);
    moto.moto_api(
        "/moto-api/static/athena/query-results",
        json!({"region": REGION, "results": [{"rows": [{"Data": [{"VarCharValue": "n"}]}],
               "column_info": [{"Name": "n", "Label": "n", "Type": "varchar", "CatalogName": "hive",
                                "SchemaName": "", "TableName": "", "Precision": 0, "Scale": 0,
                                "Nullable": "UNKNOWN", "CaseSensitive": false}]}]}),
    )
    .await;
    let iceberg = &world["iceberg"];
    let queue = |name: &str| format!("{}/{ACCOUNT}/{name}", moto.endpoint);
    let steps = json!([
        {"id": "glue_snapshots", "action": "glue.iceberg_snapshots",
         "with": {"DatabaseName": iceberg["database"], "Name": iceberg["iceberg_table"]}},
        {"id": "glue_rollback", "action": "glue.iceberg_rollback", "needs": ["glue_snapshots"],
         "with": {"DatabaseName": iceberg["database"], "Name": iceberg["iceberg_table"],
                  "SnapshotId": iceberg["glue"]["snapshots"][1]}},
        {"id": "s3tables_snapshots", "action": "s3tables.iceberg_snapshots",
         "with": {"TableBucketARN": iceberg["s3tables"]["table_bucket_arn"], "Namespace": iceberg["database"],
                  "Name": iceberg["iceberg_table"]}},
        {"id": "s3tables_rollback", "action": "s3tables.iceberg_rollback", "needs": ["s3tables_snapshots"],
         "with": {"TableBucketARN": iceberg["s3tables"]["table_bucket_arn"], "Namespace": iceberg["database"],
                  "Name": iceberg["iceberg_table"], "SnapshotId": iceberg["s3tables"]["snapshots"][1]}},
        {"id": "move", "action": "sqs.move_messages",
         "with": {"SourceQueueUrl": queue(world["sqs"]["dlq"].as_str().unwrap()),
                  "DestinationQueueUrl": queue(world["sqs"]["main_queue"].as_str().unwrap()),
                  "MaxMessages": 5}},
        // Skipped messages are made visible again, a call of its own.
        {"id": "move_none", "action": "sqs.move_messages", "needs": ["move"],
         "with": {"SourceQueueUrl": queue(world["sqs"]["dlq"].as_str().unwrap()),
                  "DestinationQueueUrl": queue(world["sqs"]["main_queue"].as_str().unwrap()),
                  "MaxMessages": 5, "Filter": "false"}},
        {"id": "count", "action": "dynamodb.count_items",
         "with": {"TableName": "bg-remover-dev-sales-intelligence"}},
        // With a key condition it queries instead of scanning.
        {"id": "count_tenant", "action": "dynamodb.count_items",
         "with": {"TableName": "bg-remover-dev-sales-intelligence", "KeyConditionExpression": "PK = :pk",
                  "ExpressionAttributeValues": {":pk": {"S": "TENANT#carousel-labs"}}}},
        {"id": "query", "action": "athena.query",
         "with": {"QueryString": "SELECT 1 AS n", "ResultConfiguration": {"OutputLocation": "s3://athena-results/"}}},
    ]);
    let folder = tempfile::tempdir().unwrap();
    let yaml = serde_json::to_string(&json!({
        "name": "composites",
        "description": "Every composite once",
        "steps": steps,
    }))
    .unwrap();
    std::fs::write(folder.path().join("composites.yaml"), yaml).unwrap();
    let state = folder.path().join(".runbook");
    Cli::new()
        .current_dir(folder.path())
        .args(["--dir", "."])
        .args(["run", "composites", "--yes", "--output", "json"])
        .state_dir(&state)
        .aws(&moto)
        .status(0)
        .run();

    let mut called: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for run in std::fs::read_dir(state.join("runs")).unwrap().flatten() {
        let journal = std::fs::read_to_string(run.path().join("journal.jsonl")).unwrap();
        for record in journal
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
        {
            if record["kind"] != "call_started" {
                continue;
            }
            called
                .entry(record["step"].as_str().unwrap().to_string())
                .or_default()
                .insert(format!(
                    "{}.{}",
                    record["service"].as_str().unwrap(),
                    record["operation"].as_str().unwrap()
                ));
        }
    }
    // Per composite, every call its steps made.
    let mut by_action: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for step in steps.as_array().unwrap() {
        let (id, action) = (
            step["id"].as_str().unwrap(),
            step["action"].as_str().unwrap(),
        );
        let calls = called
            .get(id)
            .unwrap_or_else(|| panic!("{id} made no call: {called:?}"));
        by_action
            .entry(action)
            .or_default()
            .extend(calls.iter().cloned());
    }
    for (action, calls) in &by_action {
        let spec = runbook::actions::lookup(action).unwrap();
        let needed: BTreeSet<String> = calls
            .iter()
            .map(|call| {
                let (service, operation) = call.split_once('.').unwrap();
                iam_action_of(action, service, operation)
            })
            .collect();
        let declared: BTreeSet<String> = spec.iam.iter().map(|a| a.to_string()).collect();
        let behalf: BTreeSet<String> = ON_THE_CALLERS_BEHALF
            .iter()
            .filter(|(composite, _)| composite == action)
            .map(|(_, iam)| iam.to_string())
            .collect();
        assert!(
            needed.is_subset(&declared),
            "{action} calls {calls:?} but does not declare {:?}",
            needed.difference(&declared)
        );
        let unused: BTreeSet<&String> = declared
            .difference(&needed)
            .filter(|a| !behalf.contains(*a))
            .collect();
        assert!(
            unused.is_empty(),
            "{action} declares {unused:?} but made no such call ({calls:?})"
        );
    }
}
