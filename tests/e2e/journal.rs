//! The audit journal, resume and locks end to end: the binary against moto behind the recording proxy, killed with
//! SIGKILL before, during and after a write, then resumed; tampered journals; two runs racing for one lock.

use crate::support;

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::support::cli::{Cli, Ran};
use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::moto::Moto;

struct World {
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
}

impl World {
    fn new(runbook: &str, env: Vec<(&'static str, String)>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let name = runbook
            .lines()
            .find_map(|line| line.strip_prefix("name: "))
            .expect("a name line");
        std::fs::write(dir.path().join(format!("{name}.yaml")), runbook).unwrap();
        World { dir, env }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn command(&self, args: &[&str]) -> Cli {
        Cli::new()
            .dir(self.dir.path())
            .state_dir(self.state())
            .envs(self.env.iter().cloned())
            .args(args)
    }

    fn run(&self, args: &[&str]) -> Ran {
        self.command(args).run()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn()
    }

    /// The only run's journal.
    fn journal(&self) -> PathBuf {
        let runs = self.state().join("runs");
        let mut ids: Vec<_> = std::fs::read_dir(&runs)
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        ids.sort();
        ids.last()
            .map(|run| run.join("journal.jsonl"))
            .unwrap_or_else(|| runs.join("none"))
    }

    /// Waits until the journal has a record for which `wanted` holds.
    fn wait_for(&self, what: &str, wanted: impl Fn(&serde_json::Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(self.journal()).unwrap_or_default();
            if text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .any(|r| wanted(&r))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} in the journal:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn kill(mut child: Child) {
    // SIGKILL: no handler runs, nothing is flushed; what is on disk is what the journal promised.
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn item(moto: &Moto, table: &str, key: &str) -> Option<String> {
    moto.get_item(table, key)
        .await
        .and_then(|item| item.get("n").and_then(|n| n.as_n().ok()).cloned())
}

/// sleep, write, sleep, read back: room to kill it before, during (the proxy holds the write) and after.
fn write_between_sleeps(table: &str, sleep: &str) -> String {
    format!(
        r#"name: slow-write
description: one write between two sleeps
params:
  key: {{type: string, default: k1}}
steps:
  - id: before
    action: core.sleep
    with: {{duration: {sleep}}}
  - id: put
    needs: [before]
    action: dynamodb.PutItem
    with:
      TableName: {table}
      Item: {{PK: {{S: "{{{{ params.key }}}}"}}, n: {{N: "1"}}}}
  - id: after
    needs: [put]
    action: core.sleep
    with: {{duration: {sleep}}}
  - id: read_back
    needs: [after]
    action: dynamodb.GetItem
    with:
      TableName: {table}
      Key: {{PK: {{S: "{{{{ params.key }}}}"}}}}
    check:
      - that: "output.Item.PK.S == params.key"
"#
    )
}

fn wait_until_received(proxy: &FaultProxy, operation: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while proxy.count(operation) == 0 {
        assert!(
            Instant::now() < deadline,
            "{operation} never reached the proxy"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kind_is(kind: &'static str, step: &'static str) -> impl Fn(&serde_json::Value) -> bool {
    move |r| r["kind"] == kind && r["step"] == step
}

#[tokio::test]
async fn killed_before_during_and_after_a_write_a_resume_finishes_and_moto_saw_each_write_once() {
    let moto = Moto::shared();
    for (point, table) in [
        ("before", "journal-kill-before"),
        ("during", "journal-kill-during"),
        ("after", "journal-kill-after"),
    ] {
        moto.create_table(table, "PK").await;
        let proxy = FaultProxy::in_front_of(moto);
        if point == "during" {
            proxy.inject("PutItem", Fault::Delay(Duration::from_secs(2)), 1);
        }
        let world = World::new(&write_between_sleeps(table, "2s"), proxy.env(moto));
        let child = world.spawn(&["run", "slow-write", "--yes"]);
        match point {
            "before" => world.wait_for("before started", kind_is("step_started", "before")),
            "during" => {
                world.wait_for("put's call", kind_is("call_started", "put"));
                // Journaled before it is sent; kill once the proxy holds it, so it is truly in flight.
                wait_until_received(&proxy, "PutItem");
            }
            _ => world.wait_for("put finished", kind_is("step_finished", "put")),
        }
        kill(child);
        // A held write reaches moto after its delay even though the client is gone.
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(
            world.run(&["audit", "verify", "last"]).status.code(),
            Some(0)
        );

        if point == "during" {
            // The journal shows the write sent without an answer: never repeated blindly.
            let refused = world.run(&["resume", "last", "--yes"]);
            assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr.clone());
            let stderr = refused.stderr.clone();
            assert!(
                stderr.contains("put: dynamodb.PutItem attempt 1"),
                "{stderr}"
            );
            assert!(stderr.contains("--skip STEP --reason"), "{stderr}");
            assert_eq!(proxy.forwarded("PutItem"), 1);
            let resumed = world.run(&[
                "resume",
                "last",
                "--yes",
                "--skip",
                "put",
                "--reason",
                "checked: the item is in the table",
            ]);
            assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
        } else {
            let resumed = world.run(&["resume", "last", "--yes", "--output", "json"]);
            assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
            let report: serde_json::Value = resumed.json();
            let put = report["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == "put")
                .unwrap()
                .clone();
            assert_eq!(put["status"], "succeeded", "{point}: {put}");
            if point == "after" {
                assert!(put["reason"].as_str().unwrap().contains("journal"), "{put}");
            }
        }
        assert_eq!(
            proxy.forwarded("PutItem"),
            1,
            "{point}: moto saw the write once"
        );
        assert_eq!(
            item(moto, table, "k1").await.as_deref(),
            Some("1"),
            "{point}"
        );
        let verify = world.run(&["audit", "verify", "last"]);
        assert_eq!(verify.status.code(), Some(0), "{}", verify.stdout.clone());
        let listed = world.run(&["audit", "list"]).stdout;
        assert!(listed.contains("succeeded"), "{listed}");
        let timeline = world.run(&["audit", "timeline", "last"]).stdout;
        assert!(timeline.contains("resumed by"), "{timeline}");
        // What was done to which resource: the registry's resource pattern, filled in.
        assert!(
            timeline.contains(&format!(
                "arn:aws:dynamodb:eu-west-1:123456789012:table/{table}"
            )),
            "{timeline}"
        );
    }
}

fn local_only(sleep: &str) -> String {
    format!(
        r#"name: local-only
description: no AWS at all
params:
  token: {{type: string, secret: true}}
steps:
  - id: first
    action: core.log
    with: {{message: "using {{{{ params.token }}}}"}}
  - id: pause
    needs: [first]
    action: core.sleep
    with: {{duration: {sleep}}}
  - id: last
    needs: [pause]
    action: core.log
    with: {{message: done}}
"#
    )
}

#[test]
fn verify_finds_edited_removed_inserted_and_swapped_lines_by_number() {
    let world = World::new(&local_only("10ms"), Vec::new());
    let output = world.run(&["run", "local-only", "--token", "planted-secret-7731"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr.clone());
    let path = world.journal();
    let original = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    assert!(lines.len() >= 8, "{original}");
    let clean = world.run(&["audit", "verify", "last"]);
    assert_eq!(clean.status.code(), Some(0), "{}", clean.stdout.clone());

    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[3] = edited[3].replacen("\"kind\"", "\"note\":\"x\",\"kind\"", 1);
    let mut removed: Vec<String> = edited.clone();
    removed[3] = lines[3].to_string();
    removed.remove(4);
    let mut inserted: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    inserted.insert(5, lines[2].to_string());
    let mut swapped: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    swapped.swap(5, 6);
    for (tampering, text_lines, line, word) in [
        ("edited", edited, 4, "Edited"),
        ("removed", removed, 5, "Removed"),
        ("inserted", inserted, 6, "Inserted"),
        ("swapped", swapped, 7, "Reordered"),
    ] {
        std::fs::write(&path, text_lines.join("\n") + "\n").unwrap();
        let verify = world.run(&["audit", "verify", "last"]);
        let stdout = verify.stdout.clone();
        assert_eq!(verify.status.code(), Some(1), "{tampering}: {stdout}");
        assert!(
            stdout.contains(&format!("line {line}: {word}")),
            "{tampering}: {stdout}"
        );
        // A tampered journal is not trusted for a resume.
        let resume = world.run(&["resume", "last"]);
        assert_eq!(resume.status.code(), Some(2), "{tampering}");
    }
    std::fs::write(&path, &original).unwrap();
}

#[test]
fn a_planted_secret_appears_in_no_output() {
    let world = World::new(&local_only("10ms"), Vec::new());
    let secret = "planted-secret-5150";
    let mut outputs = Vec::new();
    for args in [
        vec!["run", "local-only", "--token", secret],
        vec!["run", "local-only", "--token", secret, "--output", "json"],
        vec!["plan", "local-only", "--token", secret],
        vec!["plan", "local-only", "--token", secret, "--format", "json"],
        vec![
            "plan",
            "local-only",
            "--token",
            secret,
            "--format",
            "markdown",
        ],
        vec!["audit", "show", "last", "--format", "json"],
        vec!["audit", "timeline", "last"],
    ] {
        let output = world.run(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            output.stderr.clone()
        );
        outputs.push(output.stdout.clone() + &output.stderr.clone());
    }
    for run in std::fs::read_dir(world.state().join("runs")).unwrap() {
        outputs.push(std::fs::read_to_string(run.unwrap().path().join("journal.jsonl")).unwrap());
    }
    for output in &outputs {
        assert!(!output.contains(secret), "{output}");
    }
    assert!(outputs.iter().any(|o| o.contains("using <redacted>")));
}

#[tokio::test]
async fn a_sensitive_member_is_redacted_in_the_journal_and_the_json_result() {
    let moto = Moto::shared();
    moto.create_table("journal-secret-member", "PK").await;
    let runbook = r#"name: secret-member
description: writes an item with a SecretString attribute
steps:
  - id: put
    action: dynamodb.PutItem
    with:
      TableName: journal-secret-member
      Item: {PK: {S: k}, SecretString: {S: "planted-member-8812"}}
"#;
    let world = World::new(runbook, moto.env());
    let output = world.run(&["run", "secret-member", "--yes", "--output", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr.clone());
    let journal = std::fs::read_to_string(world.journal()).unwrap();
    for seen in [
        output.stdout.clone(),
        output.stderr.clone(),
        journal.clone(),
    ] {
        assert!(!seen.contains("planted-member-8812"), "{seen}");
    }
    assert!(
        journal.contains("\"SecretString\":\"<redacted>\""),
        "{journal}"
    );
}

#[test]
fn two_runs_racing_for_a_local_lock_one_is_refused_naming_the_holder() {
    let world = World::new(&local_only("2s"), Vec::new());
    let first = world.spawn(&["run", "local-only", "--token", "abc123-token"]);
    let second = world.spawn(&["run", "local-only", "--token", "abc123-token"]);
    let (first, second) = (
        Ran::from(first.wait_with_output().unwrap()),
        Ran::from(second.wait_with_output().unwrap()),
    );
    let mut codes = [first.status.code(), second.status.code()];
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(5)],
        "{}{}",
        first.stderr.clone(),
        second.stderr.clone()
    );
    let refused = if first.status.code() == Some(5) {
        &first
    } else {
        &second
    };
    let stderr = refused.stderr.clone();
    assert!(stderr.contains("lock `local-only` is held by"), "{stderr}");
    assert!(stderr.contains("since"), "{stderr}");

    // A holder killed with SIGKILL leaves a lock naming a dead process: the next run takes it over.
    let killed = world.spawn(&["run", "local-only", "--token", "abc123-token"]);
    std::thread::sleep(Duration::from_millis(700));
    kill(killed);
    let next = world.run(&["run", "local-only", "--token", "abc123-token"]);
    assert_eq!(next.status.code(), Some(0), "{}", next.stderr.clone());

    // unlock is journaled.
    let unlock = world.run(&["unlock", "local-only", "--reason", "test"]);
    assert_eq!(unlock.status.code(), Some(0), "{}", unlock.stderr.clone());
    let log = std::fs::read_to_string(world.state().join("unlocks.jsonl")).unwrap();
    assert!(log.contains("\"reason\":\"test\""), "{log}");
}

#[tokio::test]
async fn two_runs_racing_for_a_dynamodb_lock_one_is_refused_and_the_lock_is_freed_after() {
    let moto = Moto::shared();
    moto.create_table("journal-locks", "LockKey").await;
    let runbook = r#"name: table-locked
description: holds the team lock for a while
lock: "orders/{{ params.table }}"
params:
  table: {type: string, default: orders}
steps:
  - id: read
    action: dynamodb.ListTables
  - id: pause
    needs: [read]
    action: core.sleep
    with: {duration: 2s}
"#;
    // Separate state dirs: only the table can make them meet.
    let one = World::new(runbook, moto.env());
    let two = World::new(runbook, moto.env());
    let args = ["run", "table-locked", "--lock-table", "journal-locks"];
    let first = one.spawn(&args);
    let second = two.spawn(&args);
    let (first, second) = (
        Ran::from(first.wait_with_output().unwrap()),
        Ran::from(second.wait_with_output().unwrap()),
    );
    let mut codes = [first.status.code(), second.status.code()];
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(5)],
        "{}{}",
        first.stderr.clone(),
        second.stderr.clone()
    );
    let refused = if first.status.code() == Some(5) {
        &first
    } else {
        &second
    };
    assert!(
        refused
            .stderr
            .clone()
            .contains("lock `orders/orders` is held by"),
        "{}",
        refused.stderr.clone()
    );
    // Released at the end: the next run gets it.
    let again = one.run(&args);
    assert_eq!(again.status.code(), Some(0), "{}", again.stderr.clone());

    // A lock whose holder stopped renewing it is taken over once expired, and refused while it is not.
    let sdk = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    for (expires_in, expected) in [(-5, Some(0)), (300, Some(5))] {
        use aws_sdk_dynamodb::types::AttributeValue::{N, S};
        let expires = jiff::Timestamp::now().as_second() + expires_in;
        let owner = r#"{"user":"ghost","host":"elsewhere","pid":1,"run_id":"r-ghost","since":"2026-11-29T00:00:00Z"}"#;
        sdk.put_item()
            .table_name("journal-locks")
            .item("LockKey", S("orders/orders".into()))
            .item("RunId", S("r-ghost".into()))
            .item("Owner", S(owner.into()))
            .item("ExpiresAt", N(expires.to_string()))
            .send()
            .await
            .unwrap();
        let output = one.run(&args);
        assert_eq!(output.status.code(), expected, "{}", output.stderr.clone());
        if expected == Some(5) {
            assert!(
                output.stderr.clone().contains("held by ghost@elsewhere"),
                "{}",
                output.stderr.clone()
            );
        }
    }
}

#[test]
fn an_interrupted_run_leaves_a_complete_record_and_resumes() {
    let world = World::new(&local_only("3s"), Vec::new());
    let child = world.spawn(&["run", "local-only", "--token", "abc123-token"]);
    world.wait_for("the pause", kind_is("step_started", "pause"));
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let output = Ran::from(child.wait_with_output().unwrap());
    assert_eq!(output.status.code(), Some(130), "{}", output.stderr.clone());
    let journal = std::fs::read_to_string(world.journal()).unwrap();
    let last: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "run_finished", "{journal}");
    assert_eq!(last["outcome"], "interrupted", "{journal}");
    assert_eq!(
        world.run(&["audit", "verify", "last"]).status.code(),
        Some(0)
    );

    let resumed = world.spawn(&["resume", "last", "--output", "json"]);
    let resumed = Ran::from(resumed.wait_with_output().unwrap());
    // The secret parameter is not in the journal; without it the resume refuses, saying where to give it.
    assert_eq!(resumed.status.code(), Some(2), "{}", resumed.stderr.clone());
    assert!(
        resumed.stderr.clone().contains("RUNBOOK_PARAM_TOKEN"),
        "{}",
        resumed.stderr.clone()
    );
    let resumed = world
        .command(&["resume", "last", "--output", "json"])
        .env("RUNBOOK_PARAM_TOKEN", "abc123-token")
        .run();
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
    let report: serde_json::Value = resumed.json();
    assert_eq!(report["steps"][0]["status"], "succeeded");
    assert!(
        report["steps"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("journal")
    );
    assert_eq!(report["steps"][2]["status"], "succeeded");
}

#[tokio::test]
async fn audit_s3_uploads_the_finished_journal() {
    let moto = Moto::shared();
    let sdk = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk_config().await)
            .force_path_style(true)
            .build(),
    );
    crate::support::s3_objects::create_bucket(&sdk, "journal-audit").await;
    let runbook = r#"name: listed
description: one read
steps:
  - id: read
    action: dynamodb.ListTables
"#;
    let world = World::new(runbook, moto.env());
    let output = world.run(&["run", "listed", "--audit-s3", "s3://journal-audit/runs"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr.clone());
    let journal = std::fs::read_to_string(world.journal()).unwrap();
    let run_id = world
        .journal()
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let object = sdk
        .get_object()
        .bucket("journal-audit")
        .key(format!("runs/{run_id}/journal.jsonl"))
        .send()
        .await
        .unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(String::from_utf8_lossy(&body), journal);
    assert!(journal.contains("\"kind\":\"run_finished\""));
}

/// The write between sleeps, with `verify:` telling a resume whether it took effect.
fn verified_write(table: &str) -> String {
    write_between_sleeps(table, "1s").replace(
        "      Item: {PK: {S: \"{{ params.key }}\"}, n: {N: \"1\"}}\n",
        "      Item: {PK: {S: \"{{ params.key }}\"}, n: {N: \"1\"}}\n    verify:\n      action: dynamodb.GetItem\n      with:\n        TableName: TABLE\n        Key: {PK: {S: \"{{ params.key }}\"}}\n      that: \"output.Item is defined\"\n"
            .replace("TABLE", table)
            .as_str(),
    )
}

#[tokio::test]
async fn a_write_with_verify_is_resumed_without_asking_and_sent_only_if_it_did_not_take_effect() {
    let moto = Moto::shared();

    // Killed while the write was held at the proxy: it reached moto. The verify read finds the item, so the
    // resume does not send the write again.
    moto.create_table("journal-verify-done", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    proxy.inject("PutItem", Fault::Delay(Duration::from_secs(2)), 1);
    let world = World::new(&verified_write("journal-verify-done"), proxy.env(moto));
    assert!(
        std::fs::read_to_string(world.dir.path().join("slow-write.yaml"))
            .unwrap()
            .contains("verify:")
    );
    let child = world.spawn(&["run", "slow-write", "--yes"]);
    world.wait_for("put's call", kind_is("call_started", "put"));
    wait_until_received(&proxy, "PutItem");
    kill(child);
    std::thread::sleep(Duration::from_millis(2500));
    let resumed = world.run(&["resume", "last", "--yes", "--output", "json"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
    let report: serde_json::Value = resumed.json();
    let put = &report["steps"][1];
    assert_eq!(put["status"], "succeeded", "{put}");
    assert!(
        put["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("verified on resume"),
        "{put}"
    );
    assert_eq!(proxy.forwarded("PutItem"), 1);
    assert_eq!(
        item(moto, "journal-verify-done", "k1").await.as_deref(),
        Some("1")
    );

    // The connection dropped before the write reached moto: the outcome is unknown, the run fails. The verify
    // read finds no item, so the resume sends the write, once.
    moto.create_table("journal-verify-lost", "PK").await;
    let proxy = FaultProxy::in_front_of(moto);
    proxy.inject("PutItem", Fault::Drop, 1);
    let world = World::new(&verified_write("journal-verify-lost"), proxy.env(moto));
    let failed = world.run(&["run", "slow-write", "--yes"]);
    assert_eq!(failed.status.code(), Some(1), "{}", failed.stderr.clone());
    assert_eq!(proxy.forwarded("PutItem"), 0);
    let resumed = world.run(&["resume", "last", "--yes"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
    assert_eq!(proxy.forwarded("PutItem"), 1);
    assert_eq!(
        item(moto, "journal-verify-lost", "k1").await.as_deref(),
        Some("1")
    );
    let timeline = world
        .run(&["audit", "timeline", "last", "--format", "text"])
        .stdout;
    assert!(timeline.contains("verify:"), "{timeline}");
}

#[tokio::test]
async fn a_write_refused_before_it_was_sent_is_retried_and_resumed_without_asking() {
    let moto = Moto::shared();
    moto.create_table("journal-refused", "PK").await;
    let runbook = r#"name: refused-write
description: one write, first to a closed port
steps:
  - id: put
    action: dynamodb.PutItem
    retry: {attempts: 2, delay: 10ms}
    with:
      TableName: journal-refused
      Item: {PK: {S: k1}, n: {N: "1"}}
"#;
    let closed = support::moto::free_port();
    let env: Vec<(&'static str, String)> = moto
        .env()
        .into_iter()
        .map(|(key, value)| match key {
            "AWS_ENDPOINT_URL" => (key, format!("http://127.0.0.1:{closed}")),
            _ => (key, value),
        })
        .collect();
    let world = World::new(runbook, env);
    let failed = world.run(&["run", "refused-write", "--yes"]);
    assert_eq!(failed.status.code(), Some(1), "{}", failed.stderr.clone());
    let journal = std::fs::read_to_string(world.journal()).unwrap();
    let refusals = journal
        .lines()
        .filter(|l| {
            l.contains("\"kind\":\"call_finished\"")
                && l.contains("\"error_code\":\"ConnectionRefused\"")
        })
        .count();
    // Never sent, so a write is retried like a throttled one.
    assert_eq!(refusals, 2, "{journal}");

    // The same journal, now with the emulator reachable: no --rerun needed, the write was never sent.
    let resumed = world
        .command(&["resume", "last", "--yes"])
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .run();
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
    assert_eq!(
        item(moto, "journal-refused", "k1").await.as_deref(),
        Some("1")
    );
}

fn records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[test]
fn unlock_refuses_a_live_holder_and_a_forced_unlock_makes_it_stop_before_its_next_step_with_exit_5()
{
    let world = World::new(&local_only("8s"), Vec::new());
    let holder = world.spawn(&["run", "local-only", "--token", "abc123-token"]);
    world.wait_for("the pause", kind_is("step_started", "pause"));

    let refused = world.run(&["unlock", "local-only", "--reason", "looks stuck"]);
    let stderr = refused.stderr.clone();
    assert_eq!(refused.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("is running on this host"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let lock = world
        .state()
        .join("locks")
        .join(runbook::lock::local::file_name("local-only"));
    assert!(lock.exists(), "the lock is still there");
    assert!(
        records(&world.state().join("unlocks.jsonl")).is_empty(),
        "a refused unlock records nothing"
    );

    let forced = world.run(&["unlock", "local-only", "--reason", "stuck", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", forced.stderr.clone());
    // Another run takes the lock at once; the first one notices and stops instead of running beside it.
    let second = world.spawn(&["run", "local-only", "--token", "abc123-token", "--quiet"]);
    let started = Instant::now();
    let holder_pid = holder.id();
    let holder = Ran::from(holder.wait_with_output().unwrap());
    let stderr = holder.stderr.clone();
    assert_eq!(holder.status.code(), Some(5), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "noticed within seconds"
    );
    assert!(stderr.contains("lock `local-only` was lost"), "{stderr}");
    let second = Ran::from(second.wait_with_output().unwrap());
    assert_eq!(second.status.code(), Some(0), "{}", second.stderr.clone());

    let runs = world.state().join("runs");
    // The holder's journal: the two runs may have started within one second, so go by process id.
    let first = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| records(&e.path().join("journal.jsonl")))
        .find(|journal| journal[0]["operator"]["pid"] == holder_pid)
        .expect("the holder's journal");
    assert!(first.iter().any(|r| r["kind"] == "lock_lost"), "{first:?}");
    let finished = first.last().unwrap();
    assert_eq!(finished["kind"], "run_finished");
    assert_eq!(finished["outcome"], "lock_lost");
    assert!(
        !first
            .iter()
            .any(|r| r["kind"] == "step_started" && r["step"] == "last"),
        "no step started after the loss: {first:?}"
    );
    let unlocks = records(&world.state().join("unlocks.jsonl"));
    assert_eq!(unlocks.len(), 1);
    assert_eq!(unlocks[0]["forced"], true);
    assert_eq!(unlocks[0]["holder"]["pid"], holder_pid);
}

#[test]
fn an_empty_or_damaged_lock_file_is_one_story_for_run_and_unlock() {
    let world = World::new(&local_only("10ms"), Vec::new());
    let locks = world.state().join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let lock = locks.join(runbook::lock::local::file_name("local-only"));
    for (content, described) in [
        ("", "an empty file"),
        ("{not json", "9 bytes that are not a lock record"),
    ] {
        std::fs::write(&lock, content).unwrap();
        let refused = world.run(&["run", "local-only", "--token", "abc123-token"]);
        let stderr = refused.stderr.clone();
        assert_eq!(refused.status.code(), Some(5), "{stderr}");
        assert!(stderr.contains("its record names no holder"), "{stderr}");
        assert!(stderr.contains(described), "{stderr}");
        assert!(!stderr.contains("unknown@unknown"), "{stderr}");
        assert!(stderr.contains("runbook unlock 'local-only'"), "{stderr}");

        let unlocked = world.run(&["unlock", "local-only", "--reason", "damaged"]);
        let stderr = unlocked.stderr.clone();
        assert_eq!(unlocked.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("whose record named no holder"), "{stderr}");
        assert!(stderr.contains(described), "{stderr}");
        assert!(!lock.exists());
        let last = records(&world.state().join("unlocks.jsonl")).pop().unwrap();
        assert!(
            last["unreadable"].as_str().unwrap().contains(described),
            "{last}"
        );
        assert!(last.get("holder").is_none(), "{last}");

        let next = world.run(&["run", "local-only", "--token", "abc123-token"]);
        assert_eq!(next.status.code(), Some(0), "{}", next.stderr.clone());
    }
}

#[tokio::test]
async fn a_dynamodb_lock_with_a_fresh_heartbeat_needs_force_and_its_holder_then_stops() {
    let moto = Moto::shared();
    moto.create_table("journal-lock-heartbeat", "LockKey").await;
    let runbook = r#"name: held-long
description: holds the team lock for a while
steps:
  - id: read
    action: dynamodb.ListTables
  - id: pause
    needs: [read]
    action: core.sleep
    with: {duration: 8s}
  - id: after
    needs: [pause]
    action: core.log
    with: {message: after}
"#;
    // Heartbeats every second, so the holder notices a forced unlock within about one.
    let mut env = moto.env();
    env.push(("RUNBOOK_LOCK_TTL", "3".into()));
    let world = World::new(runbook, env);
    let args = ["run", "held-long", "--lock-table", "journal-lock-heartbeat"];
    let holder = world.spawn(&args);
    world.wait_for("the pause", kind_is("step_started", "pause"));
    let unlock = [
        "unlock",
        "held-long",
        "--lock-table",
        "journal-lock-heartbeat",
        "--reason",
        "stuck",
    ];
    let refused = world.run(&unlock);
    let stderr = refused.stderr.clone();
    assert_eq!(refused.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("heartbeat is fresh"), "{stderr}");

    let mut forced_args = unlock.to_vec();
    forced_args.push("--force");
    let forced = world.run(&forced_args);
    assert_eq!(forced.status.code(), Some(0), "{}", forced.stderr.clone());
    let holder = Ran::from(holder.wait_with_output().unwrap());
    let stderr = holder.stderr.clone();
    assert_eq!(holder.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("was lost"), "{stderr}");
    let journal = records(&world.journal());
    assert!(
        journal.iter().any(|r| r["kind"] == "lock_lost"),
        "{journal:?}"
    );
    assert!(!journal.iter().any(|r| r["step"] == "after"), "{journal:?}");

    // A lock whose holder stopped renewing it two heartbeats ago is unlocked without --force.
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let sdk = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let owner = r#"{"user":"ghost","host":"elsewhere","pid":1,"run_id":"r-ghost","since":"2026-11-29T00:00:00Z"}"#;
    sdk.put_item()
        .table_name("journal-lock-heartbeat")
        .item("LockKey", S("held-long".into()))
        .item("RunId", S("r-ghost".into()))
        .item("Owner", S(owner.into()))
        .item(
            "ExpiresAt",
            N((jiff::Timestamp::now().as_second() + 1).to_string()),
        )
        .send()
        .await
        .unwrap();
    let stale = world.run(&unlock);
    assert_eq!(stale.status.code(), Some(0), "{}", stale.stderr.clone());
    assert!(
        stale.stderr.clone().contains("held by ghost@elsewhere"),
        "{}",
        stale.stderr.clone()
    );
}

#[test]
fn unlock_and_resume_refuse_state_files_that_are_symbolic_links_and_write_nothing_elsewhere() {
    let world = World::new(&local_only("2s"), Vec::new());
    let outside = tempfile::tempdir().unwrap();

    // unlocks.jsonl pointing out of the state dir: refused before the lock is touched.
    let ran = world.run(&["run", "local-only", "--token", "abc123-token"]);
    assert_eq!(ran.status.code(), Some(0), "{}", ran.stderr.clone());
    let target = outside.path().join("elsewhere.jsonl");
    std::fs::write(&target, "precious\n").unwrap();
    std::os::unix::fs::symlink(&target, world.state().join("unlocks.jsonl")).unwrap();
    let lock = world
        .state()
        .join("locks")
        .join(runbook::lock::local::file_name("local-only"));
    std::fs::write(&lock, "").unwrap();
    let unlock = world.run(&["unlock", "local-only", "--reason", "test"]);
    let stderr = unlock.stderr.clone();
    assert_eq!(unlock.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    assert!(lock.exists(), "the lock was left as it is");
    std::fs::remove_file(&lock).unwrap();

    // A journal replaced by a link to a copy elsewhere: it verifies, and still the resume does not append to it.
    let interrupted = world.spawn(&["run", "local-only", "--token", "abc123-token"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(world.state().join("runs"))
        .unwrap()
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "the second run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    world.wait_for("the pause", kind_is("step_started", "pause"));
    kill(interrupted);
    let journal = world.journal();
    let copy = outside.path().join("journal.jsonl");
    std::fs::copy(&journal, &copy).unwrap();
    let before = std::fs::read_to_string(&copy).unwrap();
    std::fs::remove_file(&journal).unwrap();
    std::os::unix::fs::symlink(&copy, &journal).unwrap();
    let resumed = world
        .command(&["resume", "last"])
        .env("RUNBOOK_PARAM_TOKEN", "abc123-token")
        .run();
    let stderr = resumed.stderr.clone();
    assert_eq!(resumed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), before);
}

const GATED: &str = r#"name: gated
description: a log, a gate, a step that uses what the log said
params:
  who: {type: string, default: alice}
steps:
  - id: a
    action: core.log
    with: {message: "hello {{ params.who }}"}
  - id: gate
    needs: [a]
    approve: {prompt: "go on?"}
  - id: e
    needs: [gate]
    action: core.log
    with: {message: "step e saw {{ steps.a.output.message }}"}
"#;

/// Rewrites the output of step `a` and recomputes every hash from there on, as someone who can edit the file
/// can; a smarter forger also points each signature at the new hashes.
fn forge(path: &std::path::Path, also_signatures: bool) {
    use runbook::journal::Record;
    use runbook::journal::chain::{GENESIS, open, seal};
    let text = std::fs::read_to_string(path).unwrap();
    let mut prev = GENESIS.to_string();
    let mut renumbered: std::collections::HashMap<String, String> = Default::default();
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        let entry = open(index + 1, line).unwrap();
        let mut record = entry.record.unwrap();
        if let Record::StepFinished { step, output, .. } = &mut record
            && step == "a"
        {
            *output = Some(serde_json::json!({"message": "INJECTED-OUTPUT for mallory"}));
        }
        if let Record::Signed { signs_hash, .. } = &mut record
            && also_signatures
            && let Some(new) = renumbered.get(signs_hash)
        {
            *signs_hash = new.clone();
        }
        let (sealed, hash) = seal(entry.seq, &entry.time, &prev, &record);
        renumbered.insert(entry.hash.clone(), hash.clone());
        prev = hash;
        out.push_str(&sealed);
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

#[tokio::test]
async fn kms_signed_chain_heads_find_a_recomputed_rewrite_and_a_truncation_that_the_bare_chain_cannot()
 {
    let moto = Moto::shared();
    let kms = aws_sdk_kms::Client::new(&moto.sdk_config().await);
    let mut keys = Vec::new();
    for _ in 0..2 {
        let key = kms
            .create_key()
            .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
            .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
            .send()
            .await
            .unwrap();
        keys.push(key.key_metadata.unwrap().arn.unwrap());
    }
    let (key, other_key) = (keys[0].as_str(), keys[1].as_str());

    // Unsigned: the forgery keeps the chain consistent, and verify can only say so, and that nothing more is proven.
    let bare = World::new(GATED, moto.env());
    assert_eq!(bare.run(&["run", "gated"]).status.code(), Some(3));
    forge(&bare.journal(), false);
    let verify = bare.run(&["audit", "verify", "last"]);
    let stdout = verify.stdout.clone();
    assert_eq!(verify.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("chain intact; not signed"), "{stdout}");
    assert!(stdout.contains("consistent with itself"), "{stdout}");
    // Pinning a key makes an unsigned journal fail.
    let pinned = bare.run(&["audit", "verify", "last", "--audit-kms-key", key]);
    assert_eq!(pinned.status.code(), Some(1), "{}", pinned.stdout.clone());

    // Signed: the run signs at its start, at the gate and at its end; verify checks each with KMS.
    let world = World::new(GATED, moto.env());
    let stopped = world.run(&["run", "gated", "--audit-kms-key", key]);
    assert_eq!(stopped.status.code(), Some(3), "{}", stopped.stderr.clone());
    let original = std::fs::read_to_string(world.journal()).unwrap();
    let signed: Vec<serde_json::Value> = records(&world.journal())
        .into_iter()
        .filter(|r| r["kind"] == "signed")
        .collect();
    let moments: Vec<&str> = signed.iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert_eq!(moments, ["start", "gate", "run_end"], "{original}");
    let verify = world.run(&["audit", "verify", "last"]);
    let stdout = verify.stdout.clone();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{stdout}{}",
        verify.stderr.clone()
    );
    assert!(stdout.contains(&format!("signed with {key}")), "{stdout}");
    assert!(stdout.contains("3 signatures verified by KMS"), "{stdout}");
    let pinned = world.run(&["audit", "verify", "last", "--audit-kms-key", key]);
    assert_eq!(pinned.status.code(), Some(0), "{}", pinned.stdout.clone());
    let wrong = world.run(&["audit", "verify", "last", "--audit-kms-key", other_key]);
    assert_eq!(wrong.status.code(), Some(1), "{}", wrong.stdout.clone());
    assert!(
        wrong.stdout.clone().contains("signed with another key"),
        "{}",
        wrong.stdout.clone()
    );

    for also_signatures in [false, true] {
        forge(&world.journal(), also_signatures);
        let verify = world.run(&["audit", "verify", "last"]);
        let stdout = verify.stdout.clone();
        assert_eq!(verify.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains("Signature"), "{stdout}");
        let resume = world.run(&["resume", "last", "--approve", "gate"]);
        let stderr = resume.stderr.clone();
        assert_eq!(resume.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("fails signature verification"), "{stderr}");
        std::fs::write(world.journal(), &original).unwrap();
    }

    // Cut off the end (the run-end signature and the record before it): found, from the last signature on.
    let lines: Vec<&str> = original.lines().collect();
    std::fs::write(world.journal(), lines[..lines.len() - 2].join("\n") + "\n").unwrap();
    let verify = world.run(&["audit", "verify", "last"]);
    let stdout = verify.stdout.clone();
    assert_eq!(verify.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("not covered by a signature"), "{stdout}");

    // An empty journal proves nothing and does not verify.
    std::fs::write(world.journal(), "").unwrap();
    let empty = world.run(&["audit", "verify", "last"]);
    assert_eq!(empty.status.code(), Some(1), "{}", empty.stdout.clone());
    assert!(
        empty.stdout.clone().contains("no records"),
        "{}",
        empty.stdout.clone()
    );

    // The genuine journal resumes (a killed run's unsigned tail would too), and the resume signs its end.
    std::fs::write(world.journal(), &original).unwrap();
    let resumed = world.run(&[
        "resume",
        "last",
        "--approve",
        "gate",
        "--audit-kms-key",
        key,
    ]);
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr.clone());
    let verify = world.run(&["audit", "verify", "last", "--audit-kms-key", key]);
    assert_eq!(verify.status.code(), Some(0), "{}", verify.stdout.clone());
    let timeline = world
        .run(&["audit", "timeline", "last", "--format", "text"])
        .stdout;
    assert!(timeline.contains("step e saw hello alice"), "{timeline}");
}
