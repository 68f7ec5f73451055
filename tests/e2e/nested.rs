//! A runbook step that runs another runbook (`runbook: NAME`), end to end: the binary on a folder holding a parent
//! and its child, against moto's server; plans, the child's gate on a terminal, AWS state, the child's outputs in
//! the parent, the journal and its timeline, resume, locks, the policy, and recursion refused.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::run::{cli, on_a_terminal};
use crate::support::cli::Cli;
use crate::support::moto::Moto;
use serde_json::Value;

/// A folder with these runbooks, each named by its `name:` line.
fn folder(runbooks: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for text in runbooks {
        let name = text
            .lines()
            .find_map(|line| line.strip_prefix("name: "))
            .expect("a name line");
        std::fs::write(dir.path().join(format!("{name}.yaml")), text).unwrap();
    }
    dir
}

/// Writes one item behind its own gate and says which: the child the parents below run.
fn put_item() -> &'static str {
    r#"name: put-item
description: write one item behind an approval gate and read it back
lock: "table/{{ params.table }}"
params:
  table: {type: string, required: true}
  key: {type: string, required: true}
vars:
  item_key: "item-{{ params.key }}"
steps:
  - id: describe
    action: dynamodb.DescribeTable
    with: {TableName: "{{ params.table }}"}
  - id: confirm
    needs: [describe]
    approve: {prompt: "Write {{ vars.item_key }} into {{ params.table }}?"}
  - id: put
    needs: [confirm]
    action: dynamodb.PutItem
    with: {TableName: "{{ params.table }}", Item: {PK: {S: "{{ vars.item_key }}"}}}
  - id: read_back
    needs: [put]
    action: dynamodb.GetItem
    with: {TableName: "{{ params.table }}", Key: {PK: {S: "{{ vars.item_key }}"}}}
    check:
      - that: "output.Item.PK.S == vars.item_key"
outputs:
  written: steps.read_back.output.Item.PK.S
"#
}

/// Picks a key from a step's output, runs `put-item` with it, and reports what the child wrote.
fn parent(table: &str) -> String {
    format!(
        r#"name: nest-parent
description: choose a key, have put-item write it, say what was written
params:
  table: {{type: string, default: {table}}}
steps:
  - id: pick
    action: core.log
    with: {{message: "k{{{{ params.table | length }}}}"}}
    outputs: {{key: output.message}}
  - id: write
    runbook: put-item
    needs: [pick]
    with: {{table: "{{{{ params.table }}}}", key: "{{{{ steps.pick.key }}}}"}}
  - id: announce
    needs: [write]
    action: core.log
    with: {{message: "the child wrote {{{{ steps.write.written }}}}"}}
"#
    )
}

fn records(journal: &Path) -> Vec<Value> {
    std::fs::read_to_string(journal)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The journal of the latest `run` (not plan) in the folder's state dir: ids sort by the second they started.
fn journal(dir: &Path) -> std::path::PathBuf {
    let runs = dir.join(".runbook/runs");
    let mut journals: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.path().join("journal.jsonl"))
        .filter(|journal| records(journal)[0]["mode"] == "run")
        .collect();
    journals.sort();
    journals.pop().expect("a run's journal")
}

fn finished<'a>(records: &'a [Value], step: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["kind"] == "step_finished" && r["step"] == step)
        .collect()
}

#[tokio::test]
async fn the_parent_plans_and_runs_the_childs_steps_behind_the_childs_gate() {
    let moto = Moto::shared();
    let table = "nested-gate";
    moto.create_table(table, "PK").await;
    let dir = folder(&[put_item(), &parent(table)]);
    let key = format!("item-k{}", table.len());

    // The plan shows the child's steps under the step's id, its gate and its write, and writes nothing.
    let plan = cli(dir.path(), moto)
        .args(["plan", "nest-parent"])
        .status(0)
        .run();
    for line in [
        "write.describe  [dynamodb.DescribeTable]",
        "gate       write.confirm",
        "WILL WRITE write.put  [dynamodb.PutItem]",
        "write  [runbook put-item]",
    ] {
        assert!(
            plan.stdout.contains(line),
            "{line:?} not in\n{}",
            plan.stdout
        );
    }
    let plan = cli(dir.path(), moto)
        .args(["plan", "nest-parent", "--format", "json"])
        .run()
        .json();
    let ids: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "pick",
            "write.describe",
            "write.confirm",
            "write.put",
            "write.read_back",
            "write",
            "announce"
        ]
    );
    let markdown = cli(dir.path(), moto)
        .args(["plan", "nest-parent", "--format", "markdown"])
        .run()
        .stdout;
    assert!(markdown.contains("write.put"), "{markdown}");
    // Mermaid ids take no `.`: the node is `write-put`, labelled with the step's id.
    let graph = cli(dir.path(), moto)
        .args(["graph", "nest-parent", "--format", "mermaid"])
        .status(0)
        .run()
        .stdout;
    assert!(
        graph.contains("  write-put[/\"write.put<br/>dynamodb.PutItem\"/]:::write"),
        "{graph}"
    );
    assert!(graph.contains("  write-confirm --> write-put"), "{graph}");
    assert!(
        moto.get_item(table, &key).await.is_none(),
        "a plan never writes"
    );

    // On a terminal: confirm the writes, then answer the child's gate.
    let (code, screen) = on_a_terminal(dir.path(), moto, &["run", "nest-parent"], "yes\nyes\n");
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains(&format!("Write {key} into {table}?")),
        "the child's gate asks with the child's names: {screen}"
    );
    assert!(
        screen.contains("write.put"),
        "progress names the child's steps: {screen}"
    );
    assert!(moto.get_item(table, &key).await.is_some(), "{screen}");

    // One journal for the run: the child's steps prefixed, its outputs read by the parent, the chain intact.
    let journal = journal(dir.path());
    let records = records(&journal);
    assert_eq!(
        records
            .iter()
            .filter(|r| r["kind"] == "run_started")
            .count(),
        1
    );
    assert_eq!(finished(&records, "write.put")[0]["status"], "succeeded");
    assert_eq!(finished(&records, "write")[0]["outputs"]["written"], key);
    assert_eq!(
        finished(&records, "announce")[0]["output"]["message"],
        format!("the child wrote {key}")
    );
    cli(dir.path(), moto)
        .args(["audit", "verify", "last"])
        .status(0)
        .run();
    let timeline = cli(dir.path(), moto)
        .args(["audit", "timeline", "last", "--format", "text"])
        .status(0)
        .run()
        .stdout;
    for step in ["write.describe", "write.confirm", "write.put", "announce"] {
        assert!(timeline.contains(step), "{step} not in\n{timeline}");
    }
}

#[tokio::test]
async fn a_refused_gate_in_the_child_ends_the_parent_there() {
    let moto = Moto::shared();
    let table = "nested-refused";
    moto.create_table(table, "PK").await;
    let dir = folder(&[put_item(), &parent(table)]);

    let (code, screen) = on_a_terminal(dir.path(), moto, &["run", "nest-parent"], "yes\nno\n");
    assert_eq!(code, Some(6), "refused, by decision: {screen}");
    let records = records(&journal(dir.path()));
    assert_eq!(finished(&records, "write.confirm")[0]["status"], "refused");
    for after in ["write.put", "write", "announce"] {
        assert!(
            finished(&records, after).is_empty(),
            "{after} ran after the refusal"
        );
    }
    assert!(
        moto.get_item(table, &format!("item-k{}", table.len()))
            .await
            .is_none()
    );
}

/// Reads, then waits at a gate, then reports: a child that writes nothing, so a run without `--yes` stops at
/// its gate instead of having it approved.
const LOOK_THEN_ASK: &str = r#"name: look-then-ask
description: read the table, ask, then say so
params:
  table: {type: string, required: true}
steps:
  - id: look
    action: dynamodb.DescribeTable
    with: {TableName: "{{ params.table }}"}
  - id: ask
    needs: [look]
    approve: {prompt: "Carry on with {{ params.table }}?"}
  - id: done
    needs: [ask]
    action: core.log
    with: {message: "{{ params.table }} is {{ steps.look.output.Table.TableStatus }}"}
outputs:
  said: steps.done.output.message
"#;

#[tokio::test]
async fn a_run_stopped_at_the_childs_gate_resumes_without_running_a_step_twice() {
    let moto = Moto::shared();
    let table = "nested-resume";
    moto.create_table(table, "PK").await;
    let dir = folder(&[
        LOOK_THEN_ASK,
        &format!(
            r#"name: resume-parent
description: run look-then-ask and repeat what it said
steps:
  - id: child
    runbook: look-then-ask
    with: {{table: {table}}}
  - id: repeat
    needs: [child]
    action: core.log
    with: {{message: "child said: {{{{ steps.child.said }}}}"}}
"#
        ),
    ]);
    cli(dir.path(), moto)
        .args(["run", "resume-parent"])
        .status(3)
        .stdout_has("--approve child.ask")
        .run();
    // The child is part of what the run runs: a change to it is a change to the runbook.
    let child = dir.path().join("look-then-ask.yaml");
    let original = std::fs::read_to_string(&child).unwrap();
    std::fs::write(&child, format!("{original}# edited\n")).unwrap();
    cli(dir.path(), moto)
        .args(["resume", "last", "--approve", "child.ask"])
        .status(2)
        .stderr_has("changed since run")
        .run();
    std::fs::write(&child, original).unwrap();
    cli(dir.path(), moto)
        .args([
            "resume",
            "last",
            "--approve",
            "child.ask",
            "--output",
            "json",
        ])
        .status(0)
        .run();
    let records = records(&journal(dir.path()));
    let started = |step: &str| {
        records
            .iter()
            .filter(|r| r["kind"] == "step_started" && r["step"] == step)
            .count()
    };
    assert_eq!(
        started("child.look"),
        1,
        "the child's read is not run again"
    );
    assert_eq!(started("child.done"), 1);
    assert_eq!(
        finished(&records, "repeat")[0]["output"]["message"],
        format!("child said: {table} is ACTIVE")
    );
}

#[tokio::test]
async fn the_childs_lock_is_held_while_the_parent_runs() {
    let moto = Moto::shared();
    let dir = folder(&[
        r#"name: slow-child
description: hold a lock for a few seconds
lock: "slow/{{ params.name }}"
params:
  name: {type: string, required: true}
steps:
  - id: nap
    action: core.sleep
    with: {duration: 4s}
"#,
        r#"name: lock-parent
description: run slow-child
steps:
  - id: slow
    runbook: slow-child
    with: {name: shared}
"#,
    ]);
    let mut parent = cli(dir.path(), moto).args(["run", "lock-parent"]).spawn();
    // Once the child's step has started, its lock is held.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let started = std::fs::read_dir(dir.path().join(".runbook/runs"))
            .ok()
            .and_then(|mut runs| runs.next())
            .and_then(|run| std::fs::read_to_string(run.ok()?.path().join("journal.jsonl")).ok())
            .is_some_and(|text| text.contains("\"step\":\"slow.nap\""));
        if started {
            break;
        }
        assert!(Instant::now() < deadline, "the child's step never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    cli(dir.path(), moto)
        .args(["run", "slow-child", "--name", "shared"])
        .status(5)
        .stderr_has("slow/shared")
        .run();
    assert!(parent.wait().unwrap().success());
}

#[test]
fn the_parents_policy_holds_the_childs_statements_when_it_may_run() {
    let policy = |args: &[&str]| -> String {
        Cli::new()
            .shipped()
            .args([
                "policy",
                "triage",
                "--region",
                "eu-west-1",
                "--account",
                "123456789012",
            ])
            .args(args)
            .args(["--format", "json"])
            .status(0)
            .run()
            .stdout
    };
    let asked = policy(&["--rollback"]);
    assert!(asked.contains("lambda:UpdateAlias"), "{asked}");
    assert!(
        asked.contains("arn:aws:lambda:eu-west-1:123456789012:function:bg-remover-dev-s3TablesDataValidator:live"),
        "the child's resource, from the parent's parameters: {asked}"
    );
    let not_asked = policy(&[]);
    assert!(!not_asked.contains("lambda:UpdateAlias"), "{not_asked}");
}

#[test]
fn a_runbook_that_runs_itself_is_refused_with_the_chain_and_nothing_is_sent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("tests/fixtures/invalid/runbook-recursion-mutual.yaml");
    for args in [
        vec!["validate", file.to_str().unwrap()],
        vec!["run", "runbook-recursion-mutual", "--yes"],
        vec!["plan", "runbook-recursion-mutual"],
    ] {
        let ran = Cli::new()
            .dir(root.join("tests/fixtures/invalid"))
            .env("RUNBOOK_PATH", root.join("tests/fixtures/nested"))
            // Nothing listens there: a call sent would fail differently, and exit 1.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_REGION", "eu-west-1")
            .args(&args)
            .status(2)
            .run();
        let said = ran.stdout + &ran.stderr;
        assert!(
            said.contains("runbook-recursion-mutual -> recursion-back -> runbook-recursion-mutual"),
            "{args:?}: {said}"
        );
    }
}
