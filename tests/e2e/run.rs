//! `runbook run` and `runbook plan` end to end: the binary against moto's server, AWS state checked afterwards.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cli::{Cli, Ran};
use crate::support::moto::Moto;
use serde_json::Value;

/// The binary on this test's runbook folder, its journals and locks beside them (tests run one runbook at
/// once), against the emulator.
pub(crate) fn cli(dir: &Path, moto: &Moto) -> Cli {
    Cli::new()
        .dir(dir)
        .state_dir(dir.join(".runbook"))
        .aws(moto)
}

fn write_runbook(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let name = text
        .lines()
        .find_map(|line| line.strip_prefix("name: "))
        .expect("a name line");
    std::fs::write(dir.path().join(format!("{name}.yaml")), text).unwrap();
    dir
}

async fn item_exists(moto: &Moto, table: &str, key: &str) -> bool {
    moto.get_item(table, key).await.is_some()
}

/// A runbook that reads a table, asks for approval, then writes an item and reads it back.
fn gated_write(table: &str) -> String {
    format!(
        r#"name: gated-write
description: write one item behind an approval gate
params:
  key: {{type: string, default: k1}}
steps:
  - id: describe
    action: dynamodb.DescribeTable
    with: {{TableName: {table}}}
    outputs:
      table_status: "output.Table.TableStatus"
  - id: gate
    needs: [describe]
    approve:
      prompt: "Write {{{{ params.key }}}} into a table that is {{{{ steps.describe.table_status }}}}?"
  - id: put
    needs: [gate]
    action: dynamodb.PutItem
    with:
      TableName: {table}
      Item: {{PK: {{S: "{{{{ params.key }}}}"}}}}
  - id: read_back
    needs: [put]
    action: dynamodb.GetItem
    with:
      TableName: {table}
      Key: {{PK: {{S: "{{{{ params.key }}}}"}}}}
    check:
      - that: "output.Item.PK.S == params.key"
success_criteria:
  - name: the item is there
    that: "steps.read_back.status == 'succeeded'"
"#
    )
}

#[tokio::test]
async fn a_write_run_without_a_terminal_needs_yes_and_sends_nothing() {
    let moto = Moto::shared();
    moto.create_table("cli-refused", "PK").await;
    let dir = write_runbook(&gated_write("cli-refused"));
    cli(dir.path(), moto)
        .args(["run", "gated-write", "--key", "refused"])
        .status(2)
        .stderr_has("pass --yes")
        .run();
    // A `yes` piped in is not an operator at a terminal: no confirmation is read from a pipe.
    cli(dir.path(), moto)
        .args(["run", "gated-write", "--key", "refused"])
        .stdin("yes\n")
        .status(2)
        .stderr_has("pass --yes")
        .run();
    assert!(!item_exists(moto, "cli-refused", "refused").await);
}

#[tokio::test]
async fn a_run_stops_cleanly_at_an_unapproved_gate_and_an_approved_one_writes() {
    let moto = Moto::shared();
    moto.create_table("cli-gated", "PK").await;
    let dir = write_runbook(&gated_write("cli-gated"));

    // A plan runs the reads before the write, shows the gate and the write, defers the read that follows the
    // write (reading now would show the table before it), and writes nothing.
    let plan = cli(dir.path(), moto)
        .args([
            "plan",
            "gated-write",
            "--key",
            "planned",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(plan.status.code(), Some(0), "{}", plan.stderr);
    let report: Value = plan.json();
    let status = |id: &str| {
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("describe"), "succeeded");
    assert_eq!(status("gate"), "planned");
    assert_eq!(status("put"), "planned");
    assert_eq!(status("read_back"), "deferred");
    assert!(
        !item_exists(moto, "cli-gated", "planned").await,
        "a plan never writes"
    );

    // --yes confirms the writes and opens the gate: the item is written, who approved is recorded.
    let output = cli(dir.path(), moto)
        .args([
            "run",
            "gated-write",
            "--key",
            "approved",
            "--yes",
            "--output",
            "json",
        ])
        .run();
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    let report: Value = output.json();
    assert_eq!(report["outcome"], "succeeded");
    let gate = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "gate")
        .unwrap();
    assert!(
        gate["approved_by"].as_str().unwrap().contains("via --yes"),
        "{gate}"
    );
    assert!(
        gate["approved_by"].as_str().unwrap().contains("arn:aws:"),
        "the AWS caller identity is recorded: {gate}"
    );
    assert_eq!(report["success_criteria"][0]["held"], true);
    assert!(item_exists(moto, "cli-gated", "approved").await);
}

#[tokio::test]
async fn an_unanswerable_gate_stops_the_run_with_exit_3_before_the_write() {
    let moto = Moto::shared();
    moto.create_table("cli-stop", "PK").await;
    // No writes, so no --yes is needed; without --approve nobody can open the gate off a terminal.
    let dir = write_runbook(
        r#"name: stop-at-gate
description: a gate nobody can answer
steps:
  - id: before
    action: dynamodb.DescribeTable
    with: {TableName: cli-stop}
  - id: gate
    needs: [before]
    approve: {prompt: "go on?"}
  - id: after
    needs: [gate]
    action: core.log
    with: {message: "after the gate"}
"#,
    );
    let output = cli(dir.path(), moto).args(["run", "stop-at-gate"]).run();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    assert!(
        output.stdout.contains("--approve gate"),
        "{}",
        output.stdout
    );
    assert!(!output.stderr.contains("after the gate"));
    let output = cli(dir.path(), moto)
        .args(["run", "stop-at-gate", "--approve", "gate"])
        .run();
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    assert!(
        output.stderr.contains("after the gate"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("approved gate by"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn a_failed_step_runs_on_failure_with_the_first_error_and_exits_1() {
    let moto = Moto::shared();
    let dir = write_runbook(
        r#"name: failing
description: fails on purpose
steps:
  - id: missing
    action: dynamodb.DescribeTable
    with: {TableName: no-such-table}
    retry: {attempts: 1}
  - id: never
    needs: [missing]
    action: core.log
    with: {message: "never printed"}
on_failure:
  - id: tell
    action: core.log
    with: {message: "cleanup after: {{ run.error }}"}
"#,
    );
    let output = cli(dir.path(), moto).args(["run", "failing"]).run();
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    let err = output.stderr;
    assert!(
        err.contains(
            "cleanup after: step `missing` failed: no table no-such-table: ResourceNotFoundException"
        ),
        "{err}"
    );
    assert!(!err.contains("never printed"), "{err}");
    let out = output.stdout;
    assert!(
        out.contains("never    not_run") || out.contains("not_run"),
        "{out}"
    );
    assert!(out.contains("FAILED: step `missing` failed"), "{out}");
}

#[tokio::test]
async fn sigint_stops_new_steps_and_exits_130() {
    let moto = Moto::shared();
    let dir = write_runbook(
        r#"name: long
description: sleeps
steps:
  - id: nap
    action: core.sleep
    with: {duration: 30s}
  - id: after
    needs: [nap]
    action: core.log
    with: {message: "started after the interrupt"}
"#,
    );
    let started = Instant::now();
    let child = cli(dir.path(), moto).args(["run", "long"]).spawn();
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = Ran::from(child.wait_with_output().unwrap());
    assert_eq!(output.status.code(), Some(130), "{}", output.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the sleep ends early"
    );
    assert!(!output.stderr.contains("started after the interrupt"));
    assert!(output.stdout.contains("interrupted"), "{}", output.stdout);
}

#[tokio::test]
async fn a_wait_that_times_out_shows_the_last_observed_value() {
    let moto = Moto::shared();
    moto.create_table("cli-wait", "PK").await;
    let dir = write_runbook(
        r#"name: waits
description: waits for a status that never comes
steps:
  - id: wait
    action: dynamodb.DescribeTable
    with: {TableName: cli-wait}
    wait:
      until: "output.Table.TableStatus == 'ARCHIVED'"
      timeout: 1s
      interval: 100ms
      max_interval: 200ms
"#,
    );
    let output = cli(dir.path(), moto).args(["run", "waits"]).run();
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    let out = output.stdout;
    assert!(
        out.contains(r#"output.Table.TableStatus = "ACTIVE""#),
        "{out}"
    );
    assert!(out.contains("polls)"), "{out}");
}

/// The binary on a pseudo-terminal with this test's runbook folder and the emulator, typing `input`.
pub(crate) fn on_a_terminal(
    dir: &Path,
    moto: &Moto,
    args: &[&str],
    input: &str,
) -> (Option<i32>, String) {
    let mut all = vec!["--dir", dir.to_str().unwrap()];
    all.extend(args);
    let mut env = moto.env();
    env.push((
        "RUNBOOK_STATE_DIR",
        dir.join(".runbook").display().to_string(),
    ));
    support::terminal::on_a_terminal(
        Path::new(env!("CARGO_BIN_EXE_runbook")),
        &all,
        dir,
        &env,
        input,
    )
}

#[tokio::test]
async fn on_a_terminal_the_plan_is_shown_and_writes_wait_for_yes() {
    let moto = Moto::shared();
    moto.create_table("cli-terminal", "PK").await;
    let dir = write_runbook(&gated_write("cli-terminal"));

    let (code, screen) = on_a_terminal(
        dir.path(),
        moto,
        &["run", "gated-write", "--key", "declined"],
        "no\n",
    );
    assert_eq!(code, Some(4), "{screen}");
    assert!(screen.contains("Plan for gated-write"), "{screen}");
    assert!(screen.contains("WILL WRITE put"), "{screen}");
    assert!(screen.contains("nothing was written"), "{screen}");
    assert!(!item_exists(moto, "cli-terminal", "declined").await);

    // Confirm the writes, then answer the gate's own prompt.
    let (code, screen) = on_a_terminal(
        dir.path(),
        moto,
        &["run", "gated-write", "--key", "confirmed"],
        "yes\nyes\n",
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("approval needed for step `gate`"),
        "{screen}"
    );
    assert!(screen.contains("via the terminal"), "{screen}");
    assert!(item_exists(moto, "cli-terminal", "confirmed").await);
}

#[tokio::test]
async fn the_confirmation_counts_only_the_writes_that_will_run() {
    let moto = Moto::shared();
    moto.create_table("cli-confirm-count", "PK").await;
    let dir = write_runbook(
        r#"name: two-writes
description: one write always, one only when asked
params:
  extra: {type: boolean, default: false}
steps:
  - id: put
    action: dynamodb.PutItem
    with: {TableName: cli-confirm-count, Item: {PK: {S: one}}}
  - id: put_extra
    when: "params.extra"
    action: dynamodb.PutItem
    with: {TableName: cli-confirm-count, Item: {PK: {S: two}}}
"#,
    );
    let (code, screen) = on_a_terminal(dir.path(), moto, &["run", "two-writes"], "no\n");
    assert_eq!(code, Some(4), "{screen}");
    assert!(
        screen.contains("Run two-writes with this 1 write?"),
        "{screen}"
    );
    let (code, screen) = on_a_terminal(dir.path(), moto, &["run", "two-writes", "--extra"], "no\n");
    assert_eq!(code, Some(4), "{screen}");
    assert!(
        screen.contains("Run two-writes with these 2 writes?"),
        "{screen}"
    );
}

#[tokio::test]
async fn a_plan_counts_the_reads_it_sent_even_failed_ones_and_says_when_it_stopped() {
    let moto = Moto::shared();
    let dir = write_runbook(
        r#"name: plan-fails
description: a read that fails, a step after it, a log that is no read
steps:
  - id: note
    action: core.log
    with: {message: "starting"}
  - id: missing
    action: dynamodb.DescribeTable
    with: {TableName: plan-no-such-table}
    retry: {attempts: 1}
  - id: after
    needs: [missing]
    action: dynamodb.DescribeTable
    with: {TableName: plan-no-such-table}
"#,
    );
    let output = cli(dir.path(), moto).args(["plan", "plan-fails"]).run();
    let out = output.stdout;
    assert!(
        out.contains("3 steps: 0 writes, 0 approval gates, 1 read run now"),
        "{out}"
    );
    assert!(
        out.contains("The plan stopped: step `missing` failed: no table plan-no-such-table: "),
        "{out}"
    );
}
