//! The planted-secret harness: one secret parameter, carried by templates into every place they reach (derived
//! with `upper`, `lower`, `reverse`, slices and `urlencode`, through vars, step outputs, an HTTP query string and
//! headers, an HTTP method, an approval prompt, a check, a failure message and `run.error`), then every output of
//! every command is searched for it and for what was derived from it: terminal progress, run summaries (text and
//! JSON), plans (text, Markdown, JSON), the journal, `audit show`/`timeline`/`list`, the state dir's file names and
//! contents, and error messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::http_server::serve;

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

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
        command
            .arg("--dir")
            .arg(self.dir.path())
            .args(args)
            .env_remove("RUNBOOK_PATH")
            .env("RUNBOOK_STATE_DIR", self.state())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run the binary")
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
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
    let mut outputs: Vec<(String, Output)> = Vec::new();
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
    let report: serde_json::Value = serde_json::from_slice(
        &outputs
            .iter()
            .find(|(l, _)| l == "run json")
            .unwrap()
            .1
            .stdout,
    )
    .unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    let resumed = world
        .command(&["resume", &run_id, "--yes"])
        .env("RUNBOOK_PARAM_TOKEN", TOKEN)
        .env("RUNBOOK_PARAM_METHOD_KEY", METHOD_KEY)
        .output()
        .unwrap();
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
            .output()
            .unwrap();
        assert_eq!(from_env.status.code(), Some(2), "{}", text(&from_env));
        assert!(!text(&from_env).contains(short), "{}", text(&from_env));
    }
    assert!(!world.state().join("runs").exists(), "nothing ran");
}
