//! The planted-secret harness: one secret parameter, carried by templates into every place they reach (derived
//! with `upper`, `lower`, `reverse`, slices and `urlencode`, through vars, step outputs, an HTTP query string and
//! headers, an HTTP method, an approval prompt, a check, a failure message and `run.error`), then every output of
//! every command is searched for it and for what was derived from it: terminal progress, run summaries (text and
//! JSON), plans (text, Markdown, JSON), the journal, `audit show`/`timeline`/`list`, the state dir's file names and
//! contents, and error messages.

use std::path::{Path, PathBuf};

use crate::support::cli::{Cli, Ran};
use crate::support::http_server::serve;
use crate::support::moto::Moto;
use crate::support::world;

/// Mixed case and URL-special characters, so that upper, lower and urlencode all give new texts.
const TOKEN: &str = "Zq9/Secret+Xk7Pw";
/// Used as an HTTP method, which the executor upper-cases into its error message.
const METHOD_KEY: &str = "Zq9methodKey";

/// What may never appear, compared without regard to case: the secret and what the runbook derives from it.
fn forbidden() -> Vec<String> {
    let reversed: String = TOKEN.chars().rev().collect();
    vec![
        TOKEN.to_string(),
        reversed,
        "Zq9%2FSecret%2BXk7Pw".to_string(),
        TOKEN[2..11].to_string(),
        "7Pw".to_string(),
        "Zq9/".to_string(),
        METHOD_KEY.to_string(),
    ]
}

const PLANTED: &str = r#"name: planted
description: carries a secret into every place a template reaches
lock: "planted/{{ params.tenant }}"
params:
  token: {type: string, secret: true}
  method_key: {type: string, secret: true}
  tenant: {type: string, default: carousel-labs}
  base: {type: string}
vars:
  auth: "Bearer {{ params.token }}"
  shout: "{{ params.token | upper }}"
steps:
  - id: derive
    action: core.log
    with:
      message: "upper {{ params.token | upper }}, reversed {{ params.token | reverse }}, slice {{ params.token[2:11] }}, tail {{ params.token[-3:] }}, for {{ params.tenant }}"
    outputs:
      backwards: "params.token | lower | reverse"
  - id: call
    needs: [derive]
    action: http.request
    with:
      url: "{{ params.base }}/health?key={{ params.token | urlencode }}&shout={{ vars.shout | urlencode }}&tenant={{ params.tenant }}"
      headers: {X-Api-Key: "{{ vars.auth }}", X-Plain: "{{ steps.derive.backwards }}"}
    outputs:
      first: "params.token[0:4]"
  - id: method
    needs: [call]
    on_error: continue
    action: http.request
    with: {url: "{{ params.base }}/health", method: "{{ params.method_key }}"}
  - id: gate
    needs: [method]
    approve: {prompt: "go on for {{ params.tenant }} with {{ vars.shout }} and {{ steps.call.first }}?"}
  - id: checked
    needs: [gate]
    action: http.request
    with: {url: "{{ params.base }}/health"}
    check:
      - that: "output.status == 200"
        message: "health said {{ output.status }} for {{ steps.derive.backwards }}"
  - id: boom
    needs: [checked]
    action: core.fail
    with: {message: "failing with {{ params.token }} and {{ steps.derive.backwards }} for {{ params.tenant }}"}
on_failure:
  - id: notify
    action: core.log
    with: {message: "run failed: {{ run.error }}"}
"#;

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new(runbooks: &[(&str, &str)]) -> World {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in runbooks {
            std::fs::write(dir.path().join(format!("{name}.yaml")), text).unwrap();
        }
        World { dir }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn command(&self, args: &[&str]) -> Cli {
        Cli::new()
            .dir(self.dir.path())
            .state_dir(self.state())
            .args(args)
    }

    fn run(&self, args: &[&str]) -> Ran {
        self.command(args).run()
    }
}

fn text(output: &Ran) -> String {
    format!("{}{}", output.stdout, output.stderr)
}

/// Every file under `dir`: its path (names count too) and its content.
fn files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            let content = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((path.display().to_string(), content));
        }
    }
}

fn assert_clean(what: &str, seen: &str) {
    let lower = seen.to_lowercase();
    for secret in forbidden() {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "{what} shows `{secret}` (derived from the planted secret):\n{seen}"
        );
    }
}

#[test]
fn a_planted_secret_and_everything_derived_from_it_appear_in_no_output_file_or_message() {
    let (base, _) = serve();
    let world = World::new(&[("planted", PLANTED)]);
    let given = [
        "--token",
        TOKEN,
        "--method-key",
        METHOD_KEY,
        "--base",
        base.as_str(),
    ];
    let mut outputs: Vec<(String, Ran)> = Vec::new();
    let mut command = |label: &str, args: &[&str], code: i32| {
        let output = world.run(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{label}: {}",
            text(&output)
        );
        outputs.push((label.to_string(), output));
    };
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|a| a.to_string())
            .chain(given.iter().map(|a| a.to_string()))
            .collect()
    };
    for (label, args, code) in [
        // core.fail runs in plans too: they end failed.
        ("plan text", with(&["plan", "planted"]), 1),
        (
            "plan markdown",
            with(&["plan", "planted", "--format", "markdown"]),
            1,
        ),
        (
            "plan json",
            with(&["plan", "planted", "--format", "json"]),
            1,
        ),
        ("dry run", with(&["run", "planted", "--dry-run"]), 1),
        ("stopped at the gate", with(&["run", "planted"]), 3),
        ("run text", with(&["run", "planted", "--yes"]), 1),
        (
            "run json",
            with(&["run", "planted", "--yes", "--output", "json"]),
            1,
        ),
    ] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        command(label, &refs, code);
    }
    for (label, args, code) in [
        ("audit list", vec!["audit", "list"], 0),
        ("audit show", vec!["audit", "show", "last"], 0),
        (
            "audit show json",
            vec!["audit", "show", "last", "--format", "json"],
            0,
        ),
        ("audit timeline", vec!["audit", "timeline", "last"], 0),
        (
            "audit timeline text",
            vec!["audit", "timeline", "last", "--format", "text"],
            0,
        ),
        ("audit verify", vec!["audit", "verify", "last"], 0),
        (
            "unlock",
            vec!["unlock", "planted/carousel-labs", "--reason", "tidy up"],
            0,
        ),
    ] {
        command(label, &args, code);
    }
    // A resume of the last run (ids sort by the second, so go by its id): the secrets come back from the
    // environment, and everything is checked again.
    let report = outputs
        .iter()
        .find(|(l, _)| l == "run json")
        .unwrap()
        .1
        .json();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    let resumed = world
        .command(&["resume", &run_id, "--yes"])
        .env("RUNBOOK_PARAM_TOKEN", TOKEN)
        .env("RUNBOOK_PARAM_METHOD_KEY", METHOD_KEY)
        .run();
    assert_eq!(resumed.status.code(), Some(1), "{}", text(&resumed));
    outputs.push(("resume".into(), resumed));

    for (label, output) in &outputs {
        assert_clean(label, &text(output));
    }
    let mut state = Vec::new();
    files(&world.state(), &mut state);
    assert!(
        state
            .iter()
            .any(|(path, _)| path.ends_with("journal.jsonl"))
    );
    for (path, content) in &state {
        assert_clean(path, path);
        assert_clean(path, content);
    }

    // Not everything is blanked: what is not secret stays readable, and the secret's places are marked.
    let journals: String = state
        .iter()
        .filter(|(path, _)| path.ends_with("journal.jsonl"))
        .map(|(_, content)| content.as_str())
        .collect();
    assert!(journals.contains("carousel-labs"), "{journals}");
    assert!(journals.contains("key=<redacted>"), "{journals}");
    assert!(
        journals.contains("use http.send for <redacted>"),
        "{journals}"
    );
    let run = text(&outputs.iter().find(|(l, _)| l == "run text").unwrap().1);
    assert!(run.contains("run failed: "), "{run}");
    assert!(run.contains("failing with <redacted>"), "{run}");
}

#[test]
fn a_secret_cannot_key_a_lock_or_be_too_short_and_the_refusals_do_not_show_it() {
    let locked = PLANTED.replace(
        "lock: \"planted/{{ params.tenant }}\"",
        "lock: \"planted/{{ params.token }}\"",
    );
    let world = World::new(&[("planted", &locked)]);
    let validate = world.run(&["validate", world.dir.path().to_str().unwrap()]);
    assert_eq!(validate.status.code(), Some(2), "{}", text(&validate));
    assert!(
        text(&validate).contains("`params.token` is only available in templates other than `lock`"),
        "{}",
        text(&validate)
    );
    let (base, _) = serve();
    let run = world.run(&[
        "run",
        "planted",
        "--token",
        TOKEN,
        "--method-key",
        METHOD_KEY,
        "--base",
        &base,
        "--yes",
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert_clean("a run with a secret lock", &text(&run));
    assert!(!world.state().join("locks").exists());

    let world = World::new(&[("planted", PLANTED)]);
    for short in ["Zq9/7Pw", "Qv#"] {
        let refused = world.run(&[
            "run",
            "planted",
            "--token",
            short,
            "--method-key",
            METHOD_KEY,
            "--base",
            &base,
            "--yes",
        ]);
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        let said = text(&refused);
        assert!(said.contains("at least 8 characters"), "{said}");
        assert!(!said.contains(short), "{said}");
        let from_env = world
            .command(&[
                "plan",
                "planted",
                "--base",
                &base,
                "--method-key",
                METHOD_KEY,
            ])
            .env("RUNBOOK_PARAM_TOKEN", short)
            .run();
        assert_eq!(from_env.status.code(), Some(2), "{}", text(&from_env));
        assert!(!text(&from_env).contains(short), "{}", text(&from_env));
    }
    assert!(!world.state().join("runs").exists(), "nothing ran");
}

// ---------------------------------------------------------------------------------------------------------------
// Notifications: what reaches the topic

/// A topic with an SQS queue subscribed to it ([`world::topic_with_subscriber`]); what was published is read back
/// from the queue.
struct Inbox {
    topic: String,
    queue_url: String,
}

impl Inbox {
    async fn new(moto: &Moto, name: &str) -> Inbox {
        let (topic, queue_url) = world::topic_with_subscriber(moto, name).await;
        Inbox { topic, queue_url }
    }

    /// Every message published since the last call, as (subject, message), oldest first.
    async fn take(&self, moto: &Moto) -> Vec<(String, String)> {
        let mut envelopes = world::published(moto, &self.queue_url).await;
        envelopes.sort_by(|a, b| a["Timestamp"].as_str().cmp(&b["Timestamp"].as_str()));
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_string();
        envelopes
            .iter()
            .map(|envelope| (text(&envelope["Subject"]), text(&envelope["Message"])))
            .collect()
    }
}

fn journal_records(state: &Path, kind: &str) -> Vec<serde_json::Value> {
    let mut records = Vec::new();
    for run in std::fs::read_dir(state.join("runs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(run.path().join("journal.jsonl")).unwrap_or_default();
        records.extend(
            text.lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|record| record["kind"] == kind),
        );
    }
    records
}

/// `--notify`: the planted runbook stops at its gate, and the topic hears that it waits, with the exact command
/// that approves it; that command, run as given, resumes the run (which keeps notifying the topic) into its
/// failure, and the topic hears that too, with the command that resumes it again. No message carries the
/// planted secret or anything derived from it; each is journaled with its message id.
#[tokio::test(flavor = "multi_thread")]
async fn notifications_say_a_gate_waits_and_a_run_failed_with_the_command_that_resumes_and_no_secret()
 {
    let moto = Moto::start();
    let inbox = Inbox::new(&moto, "oncall").await;
    let (base, _) = serve();
    let world = World::new(&[("planted", PLANTED)]);
    let with_moto = |args: &[&str]| world.command(args).aws(&moto).run();

    let stopped = with_moto(&[
        "run",
        "planted",
        "--token",
        TOKEN,
        "--method-key",
        METHOD_KEY,
        "--base",
        &base,
        "--notify",
        &inbox.topic,
        "--output",
        "json",
    ]);
    assert_eq!(stopped.status.code(), Some(3), "{}", text(&stopped));
    let run_id = stopped.json()["run_id"].as_str().unwrap().to_string();
    let messages = inbox.take(&moto).await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let approve = format!(
        "runbook --dir {} --state-dir {} resume {run_id} --approve gate",
        world.dir.path().display(),
        world.state().display()
    );
    let (subject, body) = &messages[0];
    assert_eq!(subject, "runbook: planted waits for approval at gate");
    assert!(
        body.starts_with(&format!(
            "Run {run_id} of planted waits for approval at step gate."
        )),
        "{body}"
    );
    // The prompt as the journal has it: it renders a value derived from the secret, so it is withheld whole.
    let prompt = journal_records(&world.state(), "approval_requested")[0]["prompt"].clone();
    assert_eq!(prompt, "<redacted>");
    assert!(body.contains("\n\n<redacted>\n\n"), "{body}");
    assert!(body.contains(&format!("\n  {approve}\n")), "{body}");
    let (subject, body) = &messages[1];
    assert_eq!(subject, "runbook: planted stopped at approval gate gate");
    assert!(
        body.contains(&format!("Approve and go on:\n  {approve}\n")),
        "{body}"
    );

    // The command as the message gives it (the secrets come back from the environment, as on any resume).
    let words: Vec<&str> = approve.split(' ').collect();
    assert_eq!(words[0], "runbook");
    let resumed = Cli::new()
        .args(&words[1..])
        .aws(&moto)
        .env("RUNBOOK_PARAM_TOKEN", TOKEN)
        .env("RUNBOOK_PARAM_METHOD_KEY", METHOD_KEY)
        .state_dir_unset()
        .run();
    assert_eq!(resumed.status.code(), Some(1), "{}", text(&resumed));
    let failed = inbox.take(&moto).await;
    assert_eq!(
        failed.len(),
        1,
        "the gate was approved up front: no wait to tell\n{failed:#?}"
    );
    let (subject, body) = &failed[0];
    assert_eq!(subject, "runbook: planted failed");
    for expected in [
        format!("Run {run_id} of planted ended failed: "),
        "  boom: Failed: failing with <redacted> and <redacted> for carousel-labs\n".to_string(),
        format!(
            "runbook --dir {} --state-dir {} resume {run_id}\n",
            world.dir.path().display(),
            world.state().display()
        ),
        format!("audit timeline {run_id} --format text"),
    ] {
        assert!(body.contains(&expected), "{expected:?} not in\n{body}");
    }
    for (subject, body) in messages.iter().chain(&failed) {
        assert_clean("a notification", &format!("{subject}\n{body}"));
    }
    let notified = journal_records(&world.state(), "notified");
    let about: Vec<&str> = notified
        .iter()
        .map(|r| r["about"].as_str().unwrap())
        .collect();
    assert_eq!(about, ["approval", "ended", "failed"], "{notified:#?}");
    assert!(notified.iter().all(|r| r["topic"] == inbox.topic.as_str()
        && r["message_id"].as_str().is_some_and(|id| !id.is_empty())));
    let timeline = text(&world.run(&["audit", "timeline", &run_id, "--format", "text"]));
    assert!(
        timeline.contains(&format!("approval notification to {} -> sent", inbox.topic)),
        "{timeline}"
    );
}

const HELLO: &str = r#"name: hello
description: says hello and tells the topic
notify: "{{ params.topic }}"
params:
  topic: {type: string, default: "arn:aws:sns:eu-west-1:123456789012:none"}
steps:
  - id: hello
    action: core.log
    with: {message: hello}
"#;

/// The runbook's `notify:` (a template over its parameters) tells the topic that the run succeeded; a topic that
/// does not exist fails the publish, which is journaled and shown and does not fail the run; a `--notify` that is
/// not a topic's ARN is refused before anything runs; and `runbook policy` asks for sns:Publish on the topic.
#[tokio::test(flavor = "multi_thread")]
async fn a_runbook_notify_key_publishes_and_a_failed_publish_does_not_fail_the_run() {
    let moto = Moto::start();
    let inbox = Inbox::new(&moto, "hello-topic").await;
    let world = World::new(&[("hello", HELLO)]);
    let with_moto = |args: &[&str]| world.command(args).aws(&moto).run();

    let run = with_moto(&["run", "hello", "--topic", &inbox.topic]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let messages = inbox.take(&moto).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0].0, "runbook: hello succeeded");
    assert!(
        messages[0].1.contains("audit timeline 20"),
        "{}",
        messages[0].1
    );

    // The default topic does not exist: the run succeeds, says why nothing was sent, and journals it.
    let run = with_moto(&["run", "hello"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        text(&run).contains(
            "warning: the ended notification to arn:aws:sns:eu-west-1:123456789012:none was not sent: NotFound"
        ),
        "{}",
        text(&run)
    );
    let failed: Vec<serde_json::Value> = journal_records(&world.state(), "notified")
        .into_iter()
        .filter(|r| r["error"].is_string())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(failed[0]["message_id"].is_null());
    let timeline = text(&world.run(&["audit", "timeline", "last", "--format", "text"]));
    assert!(timeline.contains("-> not sent: NotFound"), "{timeline}");
    assert!(inbox.take(&moto).await.is_empty());

    // Not an ARN: refused with exit 2 before a journal exists.
    let runs_before = std::fs::read_dir(world.state().join("runs"))
        .unwrap()
        .count();
    let refused = with_moto(&["run", "hello", "--notify", "oncall"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("is not an SNS topic's ARN"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        std::fs::read_dir(world.state().join("runs"))
            .unwrap()
            .count(),
        runs_before
    );

    // The policy: sns:Publish on the runbook's topic as its parameter names it, or on --notify's.
    let publish_on = |args: &[&str]| -> Vec<String> {
        let mut all = vec![
            "policy",
            "hello",
            "--region",
            "eu-west-1",
            "--account",
            "123456789012",
            "--format",
            "json",
        ];
        all.extend(args);
        let output = world.run(&all);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let document = output.json();
        document["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| {
                s["Action"] == "sns:Publish"
                    || s["Action"]
                        .as_array()
                        .is_some_and(|a| a.contains(&"sns:Publish".into()))
            })
            .flat_map(|s| match &s["Resource"] {
                serde_json::Value::Array(all) => all
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
                one => vec![one.as_str().unwrap().to_string()],
            })
            .collect()
    };
    assert_eq!(
        publish_on(&["--topic", &inbox.topic]),
        [inbox.topic.as_str()]
    );
    assert_eq!(
        publish_on(&["--notify", "arn:aws:sns:eu-west-1:123456789012:pager"]),
        ["arn:aws:sns:eu-west-1:123456789012:pager"]
    );
}
