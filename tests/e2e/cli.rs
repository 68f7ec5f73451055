//! The command line end to end: the binary driven as a user would, output and exit codes checked.

use std::path::{Path, PathBuf};

use crate::support::cli::{Cli, repo};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const MINIMAL: &str =
    "name: NAME\ndescription: DESCRIPTION\nsteps:\n  - id: only\n    action: core.noop\n";

fn minimal(name: &str, description: &str) -> String {
    MINIMAL
        .replace("NAME", name)
        .replace("DESCRIPTION", description)
}

#[test]
fn validate_accepts_every_shipped_runbook() {
    let output = Cli::new()
        .current_dir(repo())
        .args(["validate"])
        .status(0)
        .run();
    for name in [
        "pitr-restore",
        "rollback-lambda",
        "iceberg-rollback",
        "dlq-replay",
        "smoke-test",
    ] {
        assert!(
            output
                .stdout
                .contains(&format!("valid    runbooks/{name}.yaml")),
            "{}",
            output.stdout
        );
    }
}

#[test]
fn validate_reports_every_error_with_location_caret_and_hint_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "broken.yaml",
        "name: broken\ndescription: two mistakes\nsteps:\n  - id: first\n    action: dynamodb.DescribeTabel\n    with: {TableName: x}\n  - id: second\n    nedds: [first]\n    action: core.noop\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "broken.yaml"])
        .status(2)
        .run();
    let err = output.stderr;
    assert!(
        err.contains("error[unknown-action]: unknown action `dynamodb.DescribeTabel`"),
        "{err}"
    );
    assert!(err.contains("--> broken.yaml:5:13"), "{err}");
    assert!(
        err.contains("did you mean `dynamodb.DescribeTable`?"),
        "{err}"
    );
    assert!(
        err.contains("error[unknown-key]: unknown key `nedds` in step `second`"),
        "{err}"
    );
    assert!(err.contains("--> broken.yaml:8:5"), "{err}");
    assert!(
        err.contains("8 |     nedds: [first]\n  |     ^^^^^"),
        "{err}"
    );
    assert!(err.contains("2 errors in 1 of 1 runbook"), "{err}");
}

#[test]
fn validate_json_is_for_tools() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad-one.yaml",
        "name: bad-one\ndescription: x\nsteps:\n  - id: a\n    action: core.sleep\n    with: {duration: 5s, extra: 1}\n",
    );
    write(dir.path(), "good.yaml", &minimal("good", "fine"));
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", ".", "--format", "json"])
        .status(2)
        .run();
    let report: serde_json::Value = output.json();
    assert_eq!(report["valid"], false);
    assert_eq!(report["error_count"], 1);
    let bad = &report["files"][0];
    assert_eq!(bad["file"], "./bad-one.yaml");
    assert_eq!(bad["errors"][0]["code"], "unknown-member");
    assert_eq!(bad["errors"][0]["line"], 6);
    assert_eq!(report["files"][1]["valid"], true);
}

#[test]
fn list_finds_embedded_runbooks_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["list"])
        .status(0)
        .stdout_has("--restore-time*")
        .run();
    let out = output.stdout;
    assert!(out.starts_with("NAME"), "{out}");
    // Columns are as wide as the longest runbook name: read the line, not the padding.
    assert!(
        out.lines()
            .any(|line| line.split_whitespace().take(2).eq(["pitr-restore", "P1"])),
        "{out}"
    );
}

#[test]
fn search_order_is_dir_then_runbook_path_then_local_then_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let explicit = dir.path().join("explicit");
    let path_one = dir.path().join("one");
    let local = dir.path().join("runbooks");
    for folder in [&explicit, &path_one, &local] {
        std::fs::create_dir(folder).unwrap();
    }
    write(
        &local,
        "pitr-restore.yaml",
        &minimal("pitr-restore", "local copy"),
    );
    write(&local, "shared.yaml", &minimal("shared", "from ./runbooks"));
    write(
        &path_one,
        "shared.yaml",
        &minimal("shared", "from RUNBOOK_PATH"),
    );
    write(&explicit, "shared.yaml", &minimal("shared", "from --dir"));

    let list = |extra: &[&str], runbook_path: Option<&Path>| {
        let cli = Cli::new().current_dir(dir.path()).arg("list").args(extra);
        match runbook_path {
            Some(path) => cli.env("RUNBOOK_PATH", path),
            None => cli,
        }
        .run()
        .stdout
    };
    assert!(
        list(&[], None).contains("local copy"),
        "a local file wins over the embedded one"
    );
    assert!(list(&[], None).contains("from ./runbooks"));
    assert!(list(&[], Some(&path_one)).contains("from RUNBOOK_PATH"));
    let dir_flag = explicit.to_str().unwrap();
    assert!(list(&["--dir", dir_flag], Some(&path_one)).contains("from --dir"));
}

#[test]
fn show_gives_doc_parameters_and_step_effects() {
    let dir = tempfile::tempdir().unwrap();
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["show", "pitr-restore"])
        .status(0)
        .run();
    let out = output.stdout;
    assert!(out.contains("Implements section 1.2"), "{out}");
    // Columns are as wide as their widest cell.
    let row = |pattern: &str| regex::Regex::new(pattern).unwrap().is_match(&out);
    assert!(row(r"--restore-time +datetime +yes"), "{out}");
    assert!(
        row(r"delete_original +write +dynamodb\.DeleteTable"),
        "{out}"
    );
    assert!(row(r"confirm_swap +approval +\(approval gate\)"), "{out}");
    insta::assert_snapshot!("show_pitr_restore", out);
}

#[test]
fn show_unknown_runbook_suggests_the_closest_and_exits_2() {
    let output = Cli::new()
        .current_dir(repo())
        .args(["show", "pitr-restor"])
        .status(2)
        .run();
    assert!(
        output.stderr.contains("did you mean `pitr-restore`?"),
        "{}",
        output.stderr
    );
}

#[test]
fn graph_marks_writes_and_approvals() {
    let mermaid = Cli::new()
        .current_dir(repo())
        .args(["graph", "pitr-restore"])
        .run()
        .stdout;
    assert!(mermaid.starts_with("flowchart TD\n"));
    assert!(
        mermaid.contains("delete_original[/\"delete_original<br/>dynamodb.DeleteTable\"/]:::write"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("confirm_swap{{\"confirm_swap<br/>approval\"}}:::approval"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  pitr[\"pitr<br/>dynamodb.DescribeContinuousBackups\"]"),
        "{mermaid}"
    );
    assert!(mermaid.contains("  restore --> wait_restored"), "{mermaid}");
    let dot = Cli::new()
        .current_dir(repo())
        .args(["graph", "pitr-restore", "--format", "dot"])
        .run()
        .stdout;
    assert!(dot.starts_with("digraph \"pitr-restore\" {"));
    assert!(dot.contains("\"restore\" -> \"wait_restored\";"), "{dot}");
    assert!(dot.contains("\"delete_original\" [label=\"delete_original\\ndynamodb.DeleteTable\", style=\"filled,bold\""), "{dot}");
    assert!(dot.contains("shape=diamond"), "{dot}");
}

#[test]
fn the_checked_in_schema_is_fresh() {
    let output = Cli::new()
        .current_dir(repo())
        .args(["schema"])
        .status(0)
        .run();
    let checked_in = std::fs::read_to_string(repo().join("schemas/runbook.schema.json")).unwrap();
    assert!(
        output.stdout == checked_in,
        "schemas/runbook.schema.json is stale: run `cargo run -- schema > schemas/runbook.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&checked_in).unwrap();
    assert_eq!(
        schema["required"],
        serde_json::json!(["name", "description", "steps"])
    );
    assert_eq!(
        schema["definitions"]["RawStep"]["additionalProperties"],
        false
    );
    assert!(schema["definitions"]["RawStep"]["properties"]["needs"]["description"].is_string());
}

#[test]
fn the_checked_in_test_file_schema_is_fresh() {
    let output = Cli::new()
        .current_dir(repo())
        .args(["schema", "--tests"])
        .status(0)
        .run();
    let checked_in =
        std::fs::read_to_string(repo().join("schemas/runbook-test.schema.json")).unwrap();
    assert!(
        output.stdout == checked_in,
        "schemas/runbook-test.schema.json is stale: run `cargo run -- schema --tests > schemas/runbook-test.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&checked_in).unwrap();
    assert_eq!(schema["required"], serde_json::json!(["cases"]));
    assert_eq!(
        schema["definitions"]["RawCase"]["additionalProperties"],
        false
    );
    assert!(schema["definitions"]["RawCase"]["properties"]["expect"]["properties"]["writes"]["description"].is_string());
}

#[test]
fn run_help_lists_parameters_as_typed_flags() {
    let output = Cli::new()
        .current_dir(repo())
        .args(["run", "pitr-restore", "--help"])
        .status(0)
        .run();
    let out = output.stdout;
    assert!(out.contains("--restore-time <DATETIME>"), "{out}");
    assert!(out.contains("--table <STRING>"), "{out}");
    assert!(
        out.contains("[default: bg-remover-dev-sales-intelligence]"),
        "{out}"
    );
    assert!(out.contains("--spot-checks <INTEGER>"), "{out}");
}

#[test]
fn run_rejects_unknown_and_malformed_flags_with_exit_2() {
    let unknown = Cli::new()
        .current_dir(repo())
        .args([
            "run",
            "pitr-restore",
            "--restore-time",
            "now-15m",
            "--tabel",
            "x",
        ])
        .status(2)
        .run();
    assert!(
        unknown
            .stderr
            .contains("a similar argument exists: '--table'"),
        "{}",
        unknown.stderr
    );
    let bounds = Cli::new()
        .current_dir(repo())
        .args([
            "run",
            "pitr-restore",
            "--restore-time=now-15m",
            "--spot-checks",
            "0",
        ])
        .status(2)
        .run();
    assert!(
        bounds.stderr.contains("0 is less than the minimum 1"),
        "{}",
        bounds.stderr
    );
    let datetime = Cli::new()
        .current_dir(repo())
        .args(["run", "pitr-restore", "--restore-time", "yesterday"])
        .status(2)
        .run();
    assert!(
        datetime.stderr.contains("is not a date and time"),
        "{}",
        datetime.stderr
    );
    let missing = Cli::new()
        .current_dir(repo())
        .args(["run", "pitr-restore"])
        .status(2)
        .run();
    assert!(
        missing.stderr.contains("--restore-time <DATETIME>"),
        "{}",
        missing.stderr
    );
    let pattern = Cli::new()
        .current_dir(repo())
        .args([
            "run",
            "pitr-restore",
            "--restore-time",
            "now",
            "--table",
            "a b",
        ])
        .status(2)
        .run();
    assert!(
        pattern.stderr.contains("does not match the pattern"),
        "{}",
        pattern.stderr
    );
}

#[test]
fn run_accepts_every_flag_form() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("runbooks")).unwrap();
    write(
        &dir.path().join("runbooks"),
        "flags.yaml",
        "name: flags\ndescription: every type\nparams:\n  verify: {type: boolean, default: true}\n  dry: {type: boolean, default: false}\n  tables: {type: list}\n  tags: {type: map}\n  limit: {type: integer, default: 10}\n  ratio: {type: number}\n  wait_for: {type: duration, default: 5m}\n  label: {type: string, default: \"{{ params.limit }}-items\"}\nsteps:\n  - id: only\n    action: core.noop\n",
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args([
            "run",
            "flags",
            "--no-verify",
            "--dry",
            "--tables",
            "[\"a\",\"b\"]",
            "--tags={\"team\":\"data\"}",
            "--limit=7",
            "--ratio",
            "0.5",
            "--output",
            "json",
        ])
        .status(0)
        .run();
    let report: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let params = &report["params"];
    assert_eq!(params["verify"], false);
    assert_eq!(params["dry"], true);
    assert_eq!(params["tables"], serde_json::json!(["a", "b"]));
    assert_eq!(params["tags"], serde_json::json!({"team": "data"}));
    assert_eq!(params["limit"], 7);
    assert_eq!(params["ratio"], 0.5);
    assert_eq!(params["wait_for"], "5m");
    assert_eq!(
        params["label"], "7-items",
        "a template default sees earlier parameters"
    );
    let bad_list = Cli::new()
        .current_dir(dir.path())
        .args(["run", "flags", "--tables", "a,b"])
        .status(2)
        .run();
    assert!(
        bad_list.stderr.contains("is not JSON"),
        "{}",
        bad_list.stderr
    );
}

#[test]
fn actions_describes_members_iam_and_an_example() {
    let output = Cli::new()
        .current_dir(repo())
        .args(["actions", "dynamodb.RestoreTableToPointInTime"])
        .status(0)
        .run();
    let out = output.stdout;
    assert!(
        out.starts_with("dynamodb.RestoreTableToPointInTime (write)"),
        "{out}"
    );
    assert!(out.contains("TargetTableName"), "{out}");
    assert!(out.contains("dynamodb:RestoreTableToPointInTime"), "{out}");
    let unknown = Cli::new()
        .current_dir(repo())
        .args(["actions", "dynamodb.DescribeTabel"])
        .status(2)
        .run();
    assert!(
        unknown
            .stderr
            .contains("did you mean `dynamodb.DescribeTable`?")
    );
}

#[test]
fn validate_refuses_hostile_input_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut laughs =
        String::from("name: laughs\ndescription: x\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let p = level - 1;
        laughs.push_str(&format!("a{level}: &a{level} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    write(dir.path(), "laughs.yaml", &laughs);
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "laughs.yaml"])
        .status(2)
        .run();
    assert!(
        output.stderr.contains("error[alias-expansion]"),
        "{}",
        output.stderr
    );
    write(
        dir.path(),
        "deep.yaml",
        &format!("name: deep\nx: {}{}\n", "[".repeat(5000), "]".repeat(5000)),
    );
    let output = Cli::new()
        .current_dir(dir.path())
        .args(["validate", "deep.yaml"])
        .status(2)
        .run();
    assert!(
        output.stderr.contains("error[too-deep]"),
        "{}",
        output.stderr
    );
}
