//! Hostile input, end to end: the binary fed what an attacker or a broken tool would feed it.
//!
//! [`cases`] generates the suite (more than 200 cases across nesting, file kinds, sizes and limits, control
//! characters, encodings, constructs that only fail at run time, YAML features and malformed YAML); every case
//! must exit 0 or 2, never panic or abort, print no ESC byte, give `file:line:col` where the fault has a position,
//! and answer within its CPU-time and memory budget. The budget is 1 s per case against a release binary
//! (`RUNBOOK_HOSTILE_BIN=target/release/runbook`, which `scripts/hostile` sets); against the debug binary that
//! `cargo test` builds, whose parser runs an order of magnitude slower, it is 10 s. Memory is capped at 1 GiB
//! of data (`ulimit -d`): past it an allocation fails and the binary aborts, which fails the case.
//!
//! The tests after the suite check what a case cannot: evaluation at the nesting limit in `run` and
//! `run --dry-run`, that a refused run leaves no lock, and that input cannot forge a progress line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{Cli, Ran};

/// Most nesting the validator accepts (`runbook::foundation::nesting::MAX_DEPTH`).
const LIMIT: usize = runbook::foundation::nesting::MAX_DEPTH;

/// What a case's file is.
enum Entry {
    Bytes(Vec<u8>),
    Fifo,
    Symlink(&'static str),
    Folder,
}

/// Where the binary's stdin comes from.
#[derive(Clone, Copy, PartialEq)]
enum Input {
    Nothing,
    /// `yes`, endlessly.
    Yes,
}

struct Case {
    name: String,
    /// Files written into the case's folder, by name.
    files: Vec<(String, Entry)>,
    /// Arguments after `--dir <folder>`.
    args: Vec<String>,
    /// The fault has a place in the file: stderr must show `file:line:col`.
    positioned: bool,
    stdin: Input,
}

impl Case {
    fn validate(name: impl Into<String>, text: impl Into<Vec<u8>>, positioned: bool) -> Case {
        Case {
            name: name.into(),
            files: vec![("case.yaml".into(), Entry::Bytes(text.into()))],
            args: vec!["validate".into(), "case.yaml".into()],
            positioned,
            stdin: Input::Nothing,
        }
    }

    fn command(name: impl Into<String>, runbook: &str, text: String, args: &[&str]) -> Case {
        Case {
            name: name.into(),
            files: vec![(format!("{runbook}.yaml"), Entry::Bytes(text.into_bytes()))],
            args: args.iter().map(|a| a.to_string()).collect(),
            positioned: false,
            stdin: Input::Nothing,
        }
    }
}

/// A runbook named `case` with `body` indented under `steps:` (and `head` before it).
fn runbook(head: &str, steps: &str) -> String {
    format!("name: case\ndescription: A generated hostile case\n{head}steps:\n{steps}")
}

/// The nesting shapes, each `depth` levels deep.
fn shapes(depth: usize) -> Vec<(&'static str, String)> {
    vec![
        ("not", format!("{}params.flag", "not ".repeat(depth))),
        ("filter", format!("params.text{}", " | upper".repeat(depth))),
        ("member", format!("params{}", ".a".repeat(depth))),
        (
            "paren",
            format!("{}params.flag{}", "(".repeat(depth), ")".repeat(depth)),
        ),
        ("sum", format!("1{}", " + 1".repeat(depth))),
        (
            "list",
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        ),
        ("minus", format!("{}1", "-".repeat(depth))),
    ]
}

const PARAMS: &str =
    "params:\n  flag: {type: boolean, default: true}\n  text: {type: string, default: x}\n";

/// A runbook with `expression` in `place`.
fn deep_runbook(place: &str, expression: &str) -> String {
    let log = "    action: core.log\n    with: {message: hi}\n";
    match place {
        "when" => runbook(
            PARAMS,
            &format!("  - id: a\n    when: \"{expression}\"\n{log}"),
        ),
        "message" => runbook(
            PARAMS,
            &format!(
                "  - id: a\n    action: core.log\n    with: {{message: \"{{{{ {expression} }}}}\"}}\n"
            ),
        ),
        "check" => runbook(
            PARAMS,
            &format!("  - id: a\n{log}    check: [{{that: \"{expression}\"}}]\n"),
        ),
        "outputs" => runbook(
            PARAMS,
            &format!("  - id: a\n{log}    outputs: {{o: \"{expression}\"}}\n"),
        ),
        "for_each" => runbook(
            PARAMS,
            &format!("  - id: a\n    for_each: \"{expression}\"\n{log}"),
        ),
        "vars" => runbook(
            &format!("{PARAMS}vars:\n  v: \"{{{{ {expression} }}}}\"\n"),
            &format!("  - id: a\n{log}"),
        ),
        "lock" => runbook(
            &format!("{PARAMS}lock: \"{{{{ {expression} }}}}\"\n"),
            &format!("  - id: a\n{log}"),
        ),
        "criteria" => format!(
            "{}success_criteria:\n  - {{name: c, that: \"{expression}\"}}\n",
            runbook(PARAMS, &format!("  - id: a\n{log}"))
        ),
        _ => unreachable!("{place}"),
    }
}

const PLACES: [&str; 8] = [
    "when", "message", "check", "outputs", "for_each", "vars", "lock", "criteria",
];

/// Every case of the suite.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();

    // Nesting past the limit, in every place an expression or template stands, in every shape.
    for place in PLACES {
        for depth in [LIMIT + 1, 3_000, 50_000] {
            for (shape, expression) in shapes(depth) {
                cases.push(Case::validate(
                    format!("deep-{shape}-{depth}-in-{place}"),
                    deep_runbook(place, &expression),
                    true,
                ));
            }
        }
    }

    // Files that are not files.
    let kinds: [(&str, Entry); 5] = [
        ("fifo", Entry::Fifo),
        ("dev-zero", Entry::Symlink("/dev/zero")),
        ("dev-urandom", Entry::Symlink("/dev/urandom")),
        ("folder", Entry::Folder),
        ("broken-link", Entry::Symlink("/nonexistent/runbook.yaml")),
    ];
    for (kind, entry) in kinds {
        cases.push(Case {
            name: format!("file-kind-{kind}"),
            files: vec![("case.yaml".into(), entry)],
            args: vec!["validate".into(), "case.yaml".into()],
            positioned: false,
            stdin: Input::Nothing,
        });
    }
    for (kind, entry) in [
        ("fifo", Entry::Fifo),
        ("dev-zero", Entry::Symlink("/dev/zero")),
    ] {
        cases.push(Case {
            name: format!("dir-scan-skips-{kind}"),
            files: vec![
                ("case.yaml".into(), entry),
                (
                    "good.yaml".into(),
                    Entry::Bytes(
                        runbook("", "  - {id: a, action: core.noop}\n")
                            .replace("name: case", "name: good")
                            .into_bytes(),
                    ),
                ),
            ],
            args: vec!["validate".into(), ".".into()],
            positioned: false,
            stdin: Input::Nothing,
        });
    }
    cases.push(Case {
        name: "dev-stdin-fed-by-yes".into(),
        files: Vec::new(),
        args: vec!["validate".into(), "/dev/stdin".into()],
        positioned: false,
        stdin: Input::Yes,
    });
    cases.push(Case {
        name: "run-a-fifo-by-name".into(),
        files: vec![("case.yaml".into(), Entry::Fifo)],
        args: vec!["run".into(), "case".into(), "--dry-run".into()],
        positioned: false,
        stdin: Input::Nothing,
    });

    // Sizes and counts: each must be refused before the expensive work.
    let limit = runbook::foundation::node::MAX_FILE_BYTES;
    cases.push(Case::validate(
        "file-over-the-size-limit",
        format!(
            "name: case\ndoc: |\n{}",
            "  padding\n".repeat(limit / 10 + 1)
        ),
        false,
    ));
    cases.push(Case::validate(
        "flow-list-of-4-million-nodes",
        format!("name: case\nx: [{}0]\n", "0,".repeat(4_000_000)),
        true,
    ));
    let numbered = |count: usize, step: &dyn Fn(usize) -> String| -> String {
        runbook("", &(0..count).map(step).collect::<String>())
    };
    cases.push(Case::validate(
        "100001-steps",
        numbered(runbook::language::validator::MAX_STEPS + 1, &|index| {
            format!("  - {{id: s{index}, action: core.noop}}\n")
        }),
        true,
    ));
    cases.push(Case::validate(
        "2000-unknown-needs",
        numbered(2_000, &|index| {
            format!("  - {{id: s{index}, action: core.noop, needs: [missing_{index}]}}\n")
        }),
        true,
    ));
    cases.push(Case::validate(
        "2000-unknown-actions",
        numbered(2_000, &|index| {
            format!("  - {{id: s{index}, action: nosuch.Action{index}}}\n")
        }),
        true,
    ));
    cases.push(Case::validate(
        "error-on-an-8-MB-line",
        format!(
            "name: case\nsteps: [{{id: a, action: core.noop, bogus: {}}}]\n",
            "x".repeat(8_000_000)
        ),
        true,
    ));
    cases.push(Case::validate(
        "billion-laughs",
        {
            let mut text = String::from("name: case\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for level in 1..12 {
                let p = level - 1;
                let _ = writeln!(
                    text,
                    "a{level}: &a{level} [{}]",
                    vec![format!("*a{p}"); 10].join(", ")
                );
            }
            text
        },
        true,
    ));
    for depth in [65, 1_000, 100_000] {
        cases.push(Case::validate(
            format!("yaml-nesting-{depth}"),
            format!(
                "name: case\nx: {}{}\n",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
            true,
        ));
        cases.push(Case::validate(
            format!("yaml-block-nesting-{depth}"),
            (0..depth.min(2_000)).fold(String::from("name: case\n"), |mut text, level| {
                let _ = writeln!(text, "{}k{level}:", " ".repeat(level));
                text
            }),
            true,
        ));
    }

    // Control characters from input: they must come out escaped whatever the command.
    let controls = [
        ("esc", "\\e[2J\\e]0;pwned\\a"),
        ("bel", "\\a\\a"),
        ("cr", "ok\\r01:00:00 ok fake"),
        ("csi", "\\u009b31m"),
        ("nul", "a\\0b"),
        ("newline", "x\\n01:00:00 ok fake"),
    ];
    for (kind, escape) in controls {
        let text = format!(
            "name: case\ndescription: \"desc {escape}\"\ndoc: \"doc {escape}\"\nparams:\n  p: {{type: string, default: \"{escape}\", description: \"{escape}\"}}\nsteps:\n  - id: a\n    title: \"title {escape}\"\n    action: core.log\n    with: {{message: \"msg {escape} {{{{ params.p }}}}\"}}\n"
        );
        for args in [
            vec!["show", "case"],
            vec!["list"],
            vec!["run", "case", "--dry-run"],
            vec!["run", "case", "--yes"],
            vec!["plan", "case", "--format", "markdown"],
            vec!["graph", "case"],
        ] {
            cases.push(Case::command(
                format!("control-{kind}-{}", args.join("-")),
                "case",
                text.clone(),
                &args,
            ));
        }
        // Raw control bytes where YAML does not allow them: the diagnostic echoes the line.
        cases.push(Case::validate(
            format!("raw-control-{kind}-in-a-plain-scalar"),
            format!(
                "name: case\ndescription: a{}b\nsteps: []\n",
                unescape(escape)
            ),
            true,
        ));
        cases.push(Case::validate(
            format!("raw-control-{kind}-in-a-key"),
            format!(
                "name: case\ndescription: x\n\"bad{}key\": 1\nsteps:\n  - {{id: a, action: core.noop}}\n",
                escape
            ),
            true,
        ));
        cases.push(Case::validate(
            format!("raw-control-{kind}-in-an-action-name"),
            runbook("", &format!("  - {{id: a, action: \"core.{escape}\"}}\n")),
            true,
        ));
    }
    let parameter_values = [
        "\u{1b}[2J\u{1b}]0;pwned\u{7}",
        "x\n01:00:00 ok fake",
        "x\r01:00:00 ok fake",
        "\u{9b}31mred",
    ];
    for (index, value) in parameter_values.iter().enumerate() {
        let text = runbook(
            "params:\n  p: {type: string, required: true}\n",
            "  - id: a\n    action: core.log\n    with: {message: \"{{ params.p }}\"}\n",
        );
        for verb in ["run", "plan"] {
            let mut case = Case::command(
                format!("control-parameter-{index}-{verb}"),
                "case",
                text.clone(),
                &[verb, "case", "--p", value],
            );
            if verb == "run" {
                case.args.push("--yes".into());
            }
            cases.push(case);
        }
    }

    // Encodings.
    let encodings: [(&str, Vec<u8>); 7] = [
        (
            "latin-1",
            b"name: case\ndescription: r\xe9sum\xe9\nsteps: []\n".to_vec(),
        ),
        (
            "truncated-utf8",
            b"name: case\ndescription: caf\xc3".to_vec(),
        ),
        ("utf16-le", utf16(false)),
        ("utf16-be", utf16(true)),
        ("binary", (0..=255u8).cycle().take(4096).collect()),
        ("nul-bytes", b"name: case\0\0\0\n".to_vec()),
        (
            "lone-surrogate",
            b"name: case\ndescription: \xed\xa0\x80\n".to_vec(),
        ),
    ];
    for (name, bytes) in encodings {
        let positioned = name != "binary" || bytes.iter().any(|b| *b >= 0x80);
        cases.push(Case::validate(
            format!("encoding-{name}"),
            bytes,
            positioned,
        ));
    }
    cases.push(Case::validate(
        "utf8-bom",
        format!(
            "\u{feff}{}",
            runbook("", "  - {id: a, action: core.noop}\n")
        ),
        false,
    ));

    // What compiles but could only fail at run time.
    let late = [
        (
            "include",
            "  - {id: a, action: core.log, with: {message: \"{% include 'x' %}\"}}\n",
        ),
        (
            "extends",
            "  - {id: a, action: core.log, with: {message: \"{% extends 'x' %}\"}}\n",
        ),
        (
            "import",
            "  - {id: a, action: core.log, with: {message: \"{% import 'x' as y %}\"}}\n",
        ),
        (
            "from",
            "  - {id: a, action: core.log, with: {message: \"{% from 'x' import y %}\"}}\n",
        ),
        (
            "sleep-forever",
            "  - {id: a, action: core.sleep, with: {duration: forever}}\n",
        ),
        (
            "sleep-overflow",
            "  - {id: a, action: core.sleep, with: {duration: 4294967295d4294967295d}}\n",
        ),
        (
            "for-each-number",
            "  - {id: a, action: core.noop, for_each: 5}\n",
        ),
        (
            "for-each-string",
            "  - {id: a, action: core.noop, for_each: \"'abc'\"}\n",
        ),
        (
            "for-each-mapping",
            "  - {id: a, action: core.noop, for_each: \"{'a': 1}\"}\n",
        ),
        (
            "timeout-overflow",
            "  - {id: a, action: core.noop, timeout: 4294967295d4294967295d}\n",
        ),
        (
            "retry-delay-overflow",
            "  - {id: a, action: core.noop, retry: {delay: 99999999999999d}}\n",
        ),
        (
            "wait-timeout-overflow",
            "  - {id: a, action: core.noop, wait: {until: 'true', timeout: 9999999d}}\n",
        ),
        (
            "approve-timeout-overflow",
            "  - {id: a, approve: {prompt: ok?, timeout: 4294967295d}}\n",
        ),
        (
            "action-and-approve",
            "  - {id: a, action: core.noop, approve: {prompt: ok?}}\n",
        ),
    ];
    for (name, steps) in late {
        cases.push(Case::validate(
            format!("late-{name}"),
            runbook("", steps),
            true,
        ));
    }

    // YAML features that mean nothing in a runbook, and malformed YAML.
    let yaml = [
        (
            "tag-python",
            "name: !!python/object/apply:os.system [id]\n".to_string(),
        ),
        ("tag-local", "name: !foo case\n".to_string()),
        ("tag-binary", "name: !!binary aGk=\n".to_string()),
        (
            "tag-verbatim",
            "name: !<tag:example.com,2000:x> case\n".to_string(),
        ),
        (
            "tag-on-a-mapping",
            "name: case\nsteps: !seq\n  - {id: a, action: core.noop}\n".to_string(),
        ),
        (
            "anchor-redefined",
            "name: &n case\ndescription: &n again\nsteps: []\n".to_string(),
        ),
        (
            "directive-unknown",
            "%FOO bar\n---\nname: case\n".to_string(),
        ),
        (
            "directive-tag",
            "%TAG !e! tag:example.com,2000:\n---\nname: case\n".to_string(),
        ),
        (
            "tab-indent",
            "name: case\nsteps:\n\t- {id: a}\n".to_string(),
        ),
        ("unclosed-quote", "name: \"case\nsteps: []\n".to_string()),
        ("unclosed-flow", "name: case\nsteps: [{id: a\n".to_string()),
        ("duplicate-key", "name: case\nname: again\n".to_string()),
        (
            "two-documents",
            "name: case\n---\nname: other\n".to_string(),
        ),
        ("empty", String::new()),
        ("only-comments", "# nothing\n# here\n".to_string()),
        ("null-document", "~\n".to_string()),
        ("scalar-document", "just text\n".to_string()),
        ("list-document", "- a\n- b\n".to_string()),
        (
            "huge-integer",
            format!(
                "name: case\nsteps:\n  - {{id: a, action: core.noop, concurrency: 1{}}}\n",
                "0".repeat(400)
            ),
        ),
        (
            "nan",
            "name: case\nsteps:\n  - {id: a, action: core.noop, retry: {attempts: .nan}}\n"
                .to_string(),
        ),
        (
            "long-key",
            format!("name: case\n{}: 1\n", "k".repeat(100_000)),
        ),
        ("alias-to-unknown-anchor", "name: *missing\n".to_string()),
        (
            "merge-key",
            "base: &b {id: a}\nname: case\nsteps:\n  - <<: *b\n    action: core.noop\n".to_string(),
        ),
        (
            "many-errors",
            (0..500).fold(String::from("name: case\nsteps:\n"), |mut text, index| {
                let _ = writeln!(text, "  - {{id: S{index}, action: x}}");
                text
            }),
        ),
    ];
    for (name, text) in yaml {
        let positioned = !matches!(name, "empty" | "only-comments" | "null-document");
        cases.push(Case::validate(format!("yaml-{name}"), text, positioned));
    }

    // Parameters at and past their ranges.
    let ranged = runbook(
        "params:\n  t: {type: datetime, required: true}\n  d: {type: duration, default: 1m}\n  n: {type: integer, default: 1}\n",
        "  - {id: a, action: core.noop}\n",
    );
    for (name, flags) in [
        ("datetime-past-the-end", vec!["--t", "9999-12-31T23:59:59Z"]),
        (
            "datetime-before-the-start",
            vec!["--t", "-099999-01-01T00:00:00Z"],
        ),
        (
            "datetime-relative-overflow",
            vec!["--t", "now+99999999999d"],
        ),
        (
            "duration-overflow",
            vec!["--t", "now", "--d", "4294967295d4294967295d"],
        ),
        (
            "integer-overflow",
            vec!["--t", "now", "--n", "99999999999999999999999"],
        ),
        ("datetime-at-the-end", vec!["--t", "9999-12-30T22:00:00Z"]),
    ] {
        let mut args = vec!["run", "case", "--dry-run"];
        args.extend(flags);
        cases.push(Case::command(
            format!("param-{name}"),
            "case",
            ranged.clone(),
            &args,
        ));
    }
    cases
}

fn unescape(escape: &str) -> String {
    escape
        .replace("\\e", "\u{1b}")
        .replace("\\a", "\u{7}")
        .replace("\\r", "\r")
        .replace("\\u009b", "\u{9b}")
        .replace("\\0", "\0")
        .replace("\\n", "\n")
}

fn utf16(big_endian: bool) -> Vec<u8> {
    let text = "name: case\ndescription: saved as UTF-16\nsteps: []\n";
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        let pair = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        bytes.extend(pair);
    }
    bytes
}

/// The binary under test and the CPU time each case may take: a release build when `RUNBOOK_HOSTILE_BIN` names
/// one, else the test build's.
fn binary() -> (PathBuf, Duration) {
    match std::env::var_os("RUNBOOK_HOSTILE_BIN") {
        Some(path) => (PathBuf::from(path), Duration::from_secs(1)),
        None => (
            PathBuf::from(env!("CARGO_BIN_EXE_runbook")),
            Duration::from_secs(10),
        ),
    }
}

fn materialize(dir: &Path, case: &Case) {
    for (name, entry) in &case.files {
        let path = dir.join(name);
        match entry {
            Entry::Bytes(bytes) => std::fs::write(&path, bytes).unwrap(),
            Entry::Fifo => {
                let made = Command::new("mkfifo").arg(&path).status().unwrap();
                assert!(made.success(), "mkfifo {}", path.display());
            }
            Entry::Symlink(target) => std::os::unix::fs::symlink(target, &path).unwrap(),
            Entry::Folder => std::fs::create_dir(&path).unwrap(),
        }
    }
}

/// The line bash's `time` appends to stderr: the CPU seconds (user, system) the case used.
const CPU_MARK: &str = "\n@cpu ";

/// Runs a case under `ulimit -d` (1 GiB of data) and a hard kill after a minute, in its own folder. Time is the
/// CPU time it used (bash's `time`, which counts every process it waited for): wall time on a shared machine
/// measures the neighbours.
fn run_case(case: &Case, program: &Path) -> (Output, Duration) {
    let dir = tempfile::tempdir().unwrap();
    materialize(dir.path(), case);
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!(
            "ulimit -d 1048576 && TIMEFORMAT=$'{}%3U %3S' && time timeout -s KILL 60 \"$@\"",
            CPU_MARK.replace('\n', "\\n")
        ))
        .arg("bash")
        .arg(program)
        .arg("--dir")
        .arg(dir.path())
        .args(&case.args)
        .current_dir(dir.path())
        .env_remove("RUNBOOK_PATH")
        .env("RUNBOOK_STATE_DIR", dir.path().join(".runbook"))
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut yes = None;
    match case.stdin {
        Input::Nothing => {
            command.stdin(Stdio::null());
        }
        Input::Yes => {
            let mut child = Command::new("yes")
                .stdout(Stdio::piped())
                .spawn()
                .expect("yes");
            command.stdin(Stdio::from(child.stdout.take().expect("piped")));
            yes = Some(child);
        }
    }
    let started = Instant::now();
    let mut output = command.output().expect("run the binary");
    let wall = started.elapsed();
    if let Some(mut yes) = yes {
        let _ = yes.kill();
        let _ = yes.wait();
    }
    // Take bash's line off the case's stderr.
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let (own, cpu) = match stderr.rfind(CPU_MARK) {
        Some(at) => {
            let seconds: f64 = stderr[at + CPU_MARK.len()..]
                .split_whitespace()
                .filter_map(|part| part.parse::<f64>().ok())
                .sum();
            (stderr[..at].to_string(), Duration::from_secs_f64(seconds))
        }
        None => (stderr, wall),
    };
    output.stderr = own.into_bytes();
    (output, cpu)
}

/// What is wrong with a case's outcome, if anything.
fn problems(case: &Case, output: &Output, took: Duration, budget: Duration) -> Vec<String> {
    let mut found = Vec::new();
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0 | 2) => {}
        other => found.push(format!("exit {other:?} (signal or crash?)")),
    }
    if stderr.contains("panicked") || stderr.contains("overflowed its stack") {
        found.push("panicked".into());
    }
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        if let Some(at) = bytes.iter().position(|b| *b == 0x1b) {
            found.push(format!("ESC byte in {stream} at byte {at}"));
        }
        if bytes.windows(2).any(|pair| pair == [0xC2, 0x9B]) {
            found.push(format!("a raw CSI (U+009B) in {stream}"));
        }
        if bytes.len() > 1_000_000 {
            found.push(format!("{} bytes of {stream}", bytes.len()));
        }
    }
    let forged = stderr
        .lines()
        .chain(String::from_utf8_lossy(&output.stdout).lines())
        .any(|line| line.starts_with("01:00:00 ok fake"));
    if forged {
        found.push("input forged an output line".into());
    }
    if case.positioned && output.status.code() == Some(2) && !has_position(&stderr) {
        found.push("no file:line:col".into());
    }
    if took > budget {
        found.push(format!("took {took:?}, budget {budget:?}"));
    }
    found
}

/// `case.yaml:12:5`-style positions.
fn has_position(stderr: &str) -> bool {
    stderr.split(".yaml:").skip(1).any(|rest| {
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().unwrap_or_default();
        let column: String = parts
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) && !column.is_empty()
    })
}

#[test]
fn every_hostile_case_is_answered_safely_quickly_and_with_a_position() {
    let (program, budget) = binary();
    let cases = cases();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for case in &cases {
        let (output, took) = run_case(case, &program);
        if took > slowest.0 {
            slowest = (took, case.name.clone());
        }
        let found = problems(case, &output, took, budget);
        if !found.is_empty() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let excerpt: String = stderr.chars().take(400).collect();
            failures.push(format!(
                "{}: {}\n    {excerpt}",
                case.name,
                found.join("; ")
            ));
        }
    }
    eprintln!(
        "{} hostile cases against {}; slowest {} in {:?} of CPU",
        cases.len(),
        program.display(),
        slowest.1,
        slowest.0
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// The test build's binary in `dir` on the runbooks there, its state in `dir/.runbook`.
fn runbook_in(dir: &Path, args: &[&str]) -> Ran {
    Cli::new()
        .current_dir(dir)
        .dir(dir)
        .state_dir(dir.join(".runbook"))
        .args(args)
        .run()
}

/// Every shape exactly at the limit validates, plans and runs: what validated, the engine evaluates on its
/// workers (the margin beyond is `nesting::tests::the_engine_evaluates_far_past_the_limit_on_a_worker_stack`).
#[test]
fn expressions_at_the_nesting_limit_plan_and_run() {
    let dir = tempfile::tempdir().unwrap();
    // Counted as the validator counts: each `not`, `|`, `.` and `+` is a level.
    let nots = format!("{}params.off", "not ".repeat(LIMIT - 1));
    let filters = format!("'deep'{}", " | lower | upper".repeat(LIMIT / 2));
    let sum = format!("1{}", " + 1".repeat(LIMIT));
    let source = runbook(
        "params:\n  off: {type: boolean, default: false}\n",
        &format!(
            "  - id: gate\n    when: \"{nots}\"\n    action: core.log\n    with: {{message: \"{{{{ {filters} }}}}\"}}\n    outputs: {{total: \"{sum}\"}}\n  - id: after\n    needs: [gate]\n    action: core.log\n    with: {{message: \"total {{{{ steps.gate.total }}}}\"}}\n"
        ),
    );
    std::fs::write(dir.path().join("case.yaml"), &source).unwrap();
    let validated = runbook_in(dir.path(), &["validate", "case.yaml"]);
    assert_eq!(
        validated.status.code(),
        Some(0),
        "{}",
        validated.stderr.clone()
    );

    let planned = runbook_in(dir.path(), &["run", "case", "--dry-run"]);
    assert_eq!(planned.status.code(), Some(0), "{}", planned.stderr.clone());
    assert!(
        planned.stdout.clone().contains("Log: DEEP"),
        "{}",
        planned.stdout.clone()
    );

    let ran = runbook_in(dir.path(), &["run", "case", "--yes"]);
    let stderr = ran.stderr.clone();
    assert_eq!(ran.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("gate: DEEP"), "{stderr}");
    assert!(stderr.contains(&format!("total {}", LIMIT + 1)), "{stderr}");
}

/// 3,000 `not` used to validate and then overflow a tokio worker in `run`, leaving the lock behind.
#[test]
fn a_deep_expression_is_refused_before_the_run_takes_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let source = deep_runbook("when", &format!("{}params.flag", "not ".repeat(3_000)));
    std::fs::write(dir.path().join("case.yaml"), source).unwrap();
    for args in [
        vec!["run", "case", "--yes"],
        vec!["run", "case", "--dry-run"],
    ] {
        let output = runbook_in(dir.path(), &args);
        let stderr = output.stderr.clone();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("error[expression-too-deep]"), "{stderr}");
        assert!(has_position(&stderr), "{stderr}");
    }
    let state = dir.path().join(".runbook");
    let leftovers: Vec<PathBuf> = walk(&state);
    assert!(
        leftovers
            .iter()
            .all(|path| !path.to_string_lossy().contains("lock")),
        "{leftovers:?}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .flat_map(|entry| {
            let path = entry.path();
            let mut found = walk(&path);
            found.push(path);
            found
        })
        .collect()
}

/// A parameter carrying a line break and escape sequences is printed escaped on the progress lines, the
/// summary and a failure's message, and forges nothing.
#[test]
fn input_cannot_forge_a_progress_line_or_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let source = runbook(
        "params:\n  note: {type: string, required: true}\n",
        "  - id: say\n    action: core.log\n    with: {message: \"note {{ params.note }}\"}\n  - id: stop\n    needs: [say]\n    action: core.fail\n    with: {message: \"failing {{ params.note }}\"}\n",
    );
    std::fs::write(dir.path().join("case.yaml"), source).unwrap();
    let hostile = "x\n01:00:00 ok fake\u{1b}[2J\u{7}\r\u{9b}31m";
    let output = runbook_in(dir.path(), &["run", "case", "--yes", "--note", hostile]);
    assert_eq!(output.status.code(), Some(1), "core.fail fails the run");
    let stderr = output.stderr.clone();
    let stdout = output.stdout.clone();
    for (name, stream) in [("stderr", &stderr), ("stdout", &stdout)] {
        assert!(!stream.contains('\u{1b}'), "ESC in {name}: {stream:?}");
        assert!(!stream.contains('\u{9b}'), "CSI in {name}: {stream:?}");
        assert!(!stream.contains('\u{7}'), "BEL in {name}: {stream:?}");
        assert!(
            !stream
                .lines()
                .any(|line| line.starts_with("01:00:00 ok fake")),
            "a forged line in {name}:\n{stream}"
        );
    }
    assert!(
        stderr.contains("log      say: note x\\n01:00:00 ok fake\\e[2J\\a\\r\\u{9b}31m"),
        "{stderr}"
    );
}
