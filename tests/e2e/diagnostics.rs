//! Fixture tests of the loader and validator.
//!
//! `tests/fixtures/invalid/` holds one small runbook per error kind, named after the kind's code: `cycle.yaml`
//! triggers `cycle`, and `<code>-<variant>.yaml` triggers `<code>` in another situation (`out-of-scope-item.yaml`).
//! Each is snapshotted as rendered for a person, so a change to any message, caret or hint shows up in review.
//! `many-errors.yaml` holds many different errors at once. `tests/fixtures/valid/` holds runbooks that must load
//! without a single diagnostic.
//!
//! The kinds that need inputs too large to check in (`file-too-large`, `document-too-large`, `too-many-steps`) are
//! generated here into a temporary directory; `unreadable` is about the file system, not the file, and not covered.
//!
//! Validator bugs found by these fixtures are pinned in [`KNOWN_BUGS`]: the suite passes with them, and fails as
//! soon as one is fixed, so that its entry is removed and the new snapshot reviewed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runbook::foundation::diagnostic::Diagnostic;
use runbook::language::validator;

const INVALID_DIR: &str = "tests/fixtures/invalid";
/// Runbooks that fixtures run through `runbook:` steps without being fixtures themselves.
const NESTED_DIR: &str = "tests/fixtures/nested";
const VALID_DIR: &str = "tests/fixtures/valid";

/// The fixture with many different errors; its stem names no code.
const MANY_ERRORS: &str = "many-errors";

/// Every code `ErrorKind::code()` returns, in the enum's order. `codes_match_error_kind` keeps this list equal to
/// the source, so a new kind cannot be added without a fixture (see `every_code_has_a_fixture`).
const ALL_CODES: &[&str] = &[
    "unreadable",
    "file-too-large",
    "not-a-file",
    "not-utf8",
    "yaml-syntax",
    "duplicate-key",
    "too-deep",
    "document-too-large",
    "alias-expansion",
    "yaml-tag",
    "anchor-redefined",
    "yaml-directive",
    "too-many-steps",
    "wrong-type",
    "unknown-key",
    "missing-key",
    "invalid-value",
    "name-mismatch",
    "multiline-description",
    "no-steps",
    "invalid-param-name",
    "flag-clash",
    "constraint-not-applicable",
    "invalid-default",
    "required-with-default",
    "invalid-pattern",
    "invalid-step-id",
    "duplicate-step-id",
    "unknown-need",
    "cycle",
    "action-and-approve",
    "no-action-or-approve",
    "not-for-approval",
    "concurrency-without-for-each",
    "not-in-on-failure",
    "unknown-action",
    "unknown-member",
    "missing-member",
    "member-type",
    "template-syntax",
    "expression-syntax",
    "expression-too-deep",
    "undefined-name",
    "unknown-param",
    "unknown-var",
    "var-used-before-defined",
    "unknown-step",
    "step-not-upstream",
    "unknown-output",
    "out-of-scope",
    "reserved-output-name",
    "invalid-duration",
    "invalid-datetime",
    "out-of-range",
    "unknown-operation",
    "not-a-gate",
    "not-a-write",
    "unknown-criterion",
    "duplicate-case",
    "not-exportable",
    "runbook-not-found",
    "runbook-recursion",
    "runbook-too-deep",
    "invalid-child-runbook",
    "unknown-runbook-param",
    "missing-runbook-param",
    "invalid-runbook-param",
    "not-for-runbook-step",
];

/// Codes of `runbook export`, for valid runbooks it cannot translate: tests/e2e/export.rs shows them.
const EXPORT_CODES: &[&str] = &["not-exportable"];

/// Codes only test files (`runbook test`) have: tests/e2e/runbook_test.rs shows them.
const TEST_FILE_CODES: &[&str] = &[
    "unknown-operation",
    "not-a-gate",
    "not-a-write",
    "unknown-criterion",
    "duplicate-case",
];

/// Codes with no fixture: `unreadable` depends on the file system, the others on inputs generated below.
const NOT_FROM_FIXTURES: &[&str] = &[
    "unreadable",
    "not-a-file",
    "file-too-large",
    "document-too-large",
    "too-many-steps",
];

/// A validator bug a fixture shows, as it shows today.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bug {
    /// The file loads without a diagnostic although it is wrong.
    Accepted,
    /// A diagnostic of this code is reported too, as a knock-on effect of the fixture's own error.
    AlsoReports(&'static str),
}

/// Validator bugs, by fixture stem. Each entry is checked to still hold: when a fix makes one fail, delete the
/// entry and review the fixture's new snapshot.
const KNOWN_BUGS: &[(&str, Bug, &str)] = &[
    (
        "undefined-name-filter",
        Bug::Accepted,
        "filter names are never checked: `| jion(', ')` passes validation and fails at run time",
    ),
    (
        "wrong-type-step-not-mapping",
        Bug::AlsoReports("no-steps"),
        "one malformed step drops the whole `steps` list, which is then reported empty",
    ),
    (
        "wrong-type-params-shorthand",
        Bug::AlsoReports("unknown-param"),
        "a parameter that is not a mapping is dropped, so each use of it is reported as undeclared",
    ),
];

fn known_bugs(stem: &str) -> impl Iterator<Item = Bug> + '_ {
    KNOWN_BUGS
        .iter()
        .filter(move |(fixture, _, _)| *fixture == stem)
        .map(|(_, bug, _)| *bug)
}

/// The code a fixture must trigger: its stem is a code, or `<code>-<variant>`. Exactly one code may match.
fn expected_code(stem: &str) -> Result<&'static str, String> {
    let matching: Vec<&'static str> = ALL_CODES
        .iter()
        .copied()
        .filter(|code| {
            stem == *code
                || stem
                    .strip_prefix(code)
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .collect();
    match matching.as_slice() {
        [code] => Ok(code),
        [] => Err(format!("`{stem}` is neither a code nor `<code>-<variant>`")),
        several => Err(format!("`{stem}` matches several codes: {several:?}")),
    }
}

/// The fixtures of a folder as (stem, path relative to the crate root), sorted.
fn fixtures(dir: &str) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|error| panic!("cannot list {dir}: {error}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .map(|path| {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("UTF-8 file name")
                .to_string();
            (
                stem,
                path.strip_prefix(root)
                    .expect("inside the crate")
                    .to_path_buf(),
            )
        })
        .collect();
    found.sort();
    found
}

/// Loads a fixture by its path relative to the crate root, which is also the path shown in diagnostics.
/// Read as the CLI reads (`runbook::foundation::input_file`), so fixtures that are not UTF-8 are diagnosed like any other.
fn load(relative: &Path) -> Result<runbook::language::runbook::Runbook, Vec<Diagnostic>> {
    // Cargo runs integration tests in the crate root, so the relative path opens the fixture.
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(relative)
            .exists(),
        "{}",
        relative.display()
    );
    let file = runbook::foundation::input_file::read_source(relative)
        .map_err(|diagnostic| vec![diagnostic])?;
    runbook::commands::load_source(&catalog(), &file)
}

/// Where fixtures find the runbooks they run: the fixtures themselves, then [`NESTED_DIR`], then the shipped ones.
fn catalog() -> runbook::language::catalog::Catalog {
    runbook::language::catalog::Catalog::new(Some(Path::new(INVALID_DIR)), Some(NESTED_DIR))
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.render(false))
        .collect::<Vec<_>>()
        .join("\n")
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.kind.code()).collect()
}

fn stem_of(path: &Path) -> &str {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("UTF-8 file name")
}

#[test]
fn invalid_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    insta::glob!("..", "fixtures/invalid/*.yaml", |path| {
        let relative = path.strip_prefix(root).expect("inside the crate");
        let stem = stem_of(path);
        let bugs: Vec<Bug> = known_bugs(stem).collect();
        let diagnostics = match load(relative) {
            Ok(_) if bugs.contains(&Bug::Accepted) => Vec::new(),
            Ok(_) => {
                problems.push(format!("{stem}: loads without diagnostics"));
                return;
            }
            Err(diagnostics) => {
                if bugs.contains(&Bug::Accepted) {
                    problems.push(format!(
                        "{stem}: is refused now; remove its `Bug::Accepted` entry"
                    ));
                }
                diagnostics
            }
        };
        let found = codes(&diagnostics);
        if stem != MANY_ERRORS && !bugs.contains(&Bug::Accepted) {
            match expected_code(stem) {
                Err(problem) => problems.push(problem),
                Ok(expected) if !found.contains(&expected) => {
                    problems.push(format!("{stem}: expected `{expected}`, found {found:?}"));
                }
                Ok(_) => {}
            }
        }
        let rendered = if diagnostics.is_empty() {
            "(no diagnostics)\n".to_string()
        } else {
            render(&diagnostics)
        };
        insta::assert_snapshot!(rendered);
    });
    assert!(
        problems.is_empty(),
        "invalid fixtures:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn valid_fixtures_load_without_diagnostics() {
    let fixtures = fixtures(VALID_DIR);
    assert!(
        fixtures.len() >= 6,
        "expected at least 6 valid fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for (_, path) in &fixtures {
        if let Err(diagnostics) = load(path) {
            failures.push(render(&diagnostics));
        }
    }
    assert!(
        failures.is_empty(),
        "valid fixtures have diagnostics:\n\n{}",
        failures.join("\n")
    );
}

#[test]
fn codes_match_error_kind() {
    // The `code()` arms of the source, in order: `Variant { .. } => "code",`.
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/foundation/diagnostic.rs"),
    )
    .expect("read src/foundation/diagnostic.rs");
    let body = source
        .split("pub fn code(&self)")
        .nth(1)
        .expect("`ErrorKind::code` in src/foundation/diagnostic.rs");
    let body = body.split("\n    }\n").next().expect("the end of `code`");
    let in_source: Vec<&str> = body
        .lines()
        .filter_map(|line| line.split("=> \"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(
        in_source, ALL_CODES,
        "ALL_CODES must list `ErrorKind::code()`'s codes in order"
    );
    let unique: BTreeSet<&str> = ALL_CODES.iter().copied().collect();
    assert_eq!(unique.len(), ALL_CODES.len(), "codes are unique");
    for code in NOT_FROM_FIXTURES {
        assert!(ALL_CODES.contains(code), "{code}");
    }
}

#[test]
fn every_code_has_a_fixture() {
    let mut covered: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut unnamed = Vec::new();
    for (stem, _) in fixtures(INVALID_DIR) {
        if stem == MANY_ERRORS {
            continue;
        }
        match expected_code(&stem) {
            Ok(code) => covered.entry(code).or_default().push(stem),
            Err(problem) => unnamed.push(problem),
        }
    }
    assert!(
        unnamed.is_empty(),
        "fixtures must be named after a code:\n  {}",
        unnamed.join("\n  ")
    );
    let missing: Vec<&str> = ALL_CODES
        .iter()
        .copied()
        .filter(|code| {
            !NOT_FROM_FIXTURES.contains(code)
                && !TEST_FILE_CODES.contains(code)
                && !EXPORT_CODES.contains(code)
                && !covered.contains_key(code)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture in {INVALID_DIR}: {missing:?}"
    );
    for code in NOT_FROM_FIXTURES {
        assert!(
            !covered.contains_key(code),
            "`{code}` is tested by generated input, not by a fixture"
        );
    }
    let total: usize = covered.values().map(Vec::len).sum();
    assert!(
        total >= 40,
        "expected at least 40 single-kind invalid fixtures, found {total}"
    );
}

#[test]
fn known_bugs_name_existing_fixtures() {
    let stems: BTreeSet<String> = fixtures(INVALID_DIR)
        .into_iter()
        .map(|(stem, _)| stem)
        .collect();
    for (fixture, bug, why) in KNOWN_BUGS {
        assert!(
            stems.contains(*fixture),
            "KNOWN_BUGS names `{fixture}`, which is not a fixture ({bug:?}: {why})"
        );
    }
}

/// Every diagnostic points at a line and column and tells how to fix it.
#[test]
fn every_diagnostic_has_a_position_and_a_hint() {
    let mut problems = Vec::new();
    for (_, path) in fixtures(INVALID_DIR) {
        let Err(diagnostics) = load(&path) else {
            continue;
        };
        for diagnostic in &diagnostics {
            let code = diagnostic.kind.code();
            let at = diagnostic.location();
            if diagnostic.span.line == 0 || diagnostic.span.column == 0 {
                problems.push(format!("{at}: [{code}] has no line and column"));
            }
            let has_hint = diagnostic
                .hint
                .as_deref()
                .is_some_and(|hint| !hint.trim().is_empty());
            if !has_hint {
                problems.push(format!("{at}: [{code}] has no hint"));
            }
        }
    }
    assert!(problems.is_empty(), "\n  {}", problems.join("\n  "));
}

/// A fixture shows its own kind only, so that its snapshot is about that kind.
#[test]
fn fixtures_trigger_only_their_own_kind() {
    let mut problems = Vec::new();
    for (stem, path) in fixtures(INVALID_DIR) {
        if stem == MANY_ERRORS {
            continue;
        }
        let Ok(expected) = expected_code(&stem) else {
            continue;
        };
        let Err(diagnostics) = load(&path) else {
            continue;
        };
        let mut allowed: Vec<&str> = vec![expected];
        for bug in known_bugs(&stem) {
            if let Bug::AlsoReports(code) = bug {
                allowed.push(code);
            }
        }
        let found = codes(&diagnostics);
        let extra: BTreeSet<&str> = found
            .iter()
            .copied()
            .filter(|code| !allowed.contains(code))
            .collect();
        if !extra.is_empty() {
            problems.push(format!("{stem}: also reports {extra:?}"));
        }
        for bug in known_bugs(&stem) {
            if let Bug::AlsoReports(code) = bug
                && !found.contains(&code)
            {
                problems.push(format!(
                    "{stem}: no longer reports `{code}`; remove its `Bug::AlsoReports` entry"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n  {}", problems.join("\n  "));
}

#[test]
fn many_errors_are_all_reported_in_file_order() {
    let diagnostics =
        load(&Path::new(INVALID_DIR).join(format!("{MANY_ERRORS}.yaml"))).expect_err("invalid");
    let distinct: BTreeSet<&str> = codes(&diagnostics).into_iter().collect();
    assert!(
        distinct.len() >= 6,
        "expected 6 or more different errors, found {distinct:?}"
    );
    let positions: Vec<(u32, u32)> = diagnostics
        .iter()
        .map(|d| (d.span.line, d.span.column))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted, "diagnostics are in file order");
    assert!(positions.iter().all(|&(line, _)| line > 0));
}

/// Writes `text` to a fresh temporary directory as `name` and loads it from there.
fn load_generated(name: &str, text: &str) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the generated runbook");
    let loaded = runbook::foundation::input_file::read_source(&path)
        .map_err(|diagnostic| vec![diagnostic])
        .and_then(|file| runbook::commands::load_source(&catalog(), &file));
    match loaded {
        Ok(runbook) => panic!("{name} loads with {} steps", runbook.steps.len()),
        Err(diagnostics) => diagnostics,
    }
}

#[test]
fn file_too_large() {
    let limit = runbook::foundation::node::MAX_FILE_BYTES;
    let mut text = String::from(
        "name: file-too-large\ndescription: A runbook padded past the size limit\nsteps:\n  - id: whoami\n    action: sts.GetCallerIdentity\ndoc: |\n",
    );
    let line = "  Restore the sales table to a point in time, then spot-check the restored copy.\n";
    text.push_str(&line.repeat((limit - text.len()) / line.len() + 1));
    assert!(text.len() > limit);

    let diagnostics = load_generated("file-too-large.yaml", &text);
    assert_eq!(
        codes(&diagnostics),
        ["file-too-large"],
        "{}",
        render(&diagnostics)
    );
    let diagnostic = &diagnostics[0];
    assert!(
        !diagnostic.span.is_known(),
        "the whole file is at fault, not a line"
    );
    assert!(diagnostic.hint.is_some());
    let message = diagnostic.kind.to_string();
    assert!(message.contains(&limit.to_string()), "{message}");
    let rendered = diagnostic.render(false);
    assert!(
        rendered.starts_with("error[file-too-large]: "),
        "{rendered}"
    );
    assert!(
        !rendered.contains(" | "),
        "no source line is shown: {rendered}"
    );
}

#[test]
fn document_too_large() {
    // Small enough for the size limit, too many YAML nodes for the parser's budget: one per list item.
    let nodes = runbook::foundation::node::MAX_NODES + 1;
    let mut text = String::from(
        "name: document-too-large\ndescription: Invoke the validator with a generated payload\nsteps:\n  - id: invoke\n    action: lambda.Invoke\n    with:\n      FunctionName: bg-remover-dev-s3TablesDataValidator\n      Payload: [",
    );
    text.push_str(&"0,".repeat(nodes));
    text.push_str("0]\n");
    assert!(text.len() < runbook::foundation::node::MAX_FILE_BYTES);

    let diagnostics = load_generated("document-too-large.yaml", &text);
    assert_eq!(
        codes(&diagnostics),
        ["document-too-large"],
        "{}",
        render(&diagnostics)
    );
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.span.line, 8, "points into the payload");
    assert!(diagnostic.hint.is_some());
}

#[test]
fn too_many_steps() {
    let count = validator::MAX_STEPS + 1;
    let mut text = String::from(
        "name: too-many-steps\ndescription: A generated runbook with one step too many\nsteps:\n",
    );
    for index in 0..count {
        writeln!(text, "  - {{id: step_{index}, action: core.noop}}").expect("write to a String");
    }

    let diagnostics = load_generated("too-many-steps.yaml", &text);
    assert_eq!(
        codes(&diagnostics),
        ["too-many-steps"],
        "{}",
        render(&diagnostics)
    );
    let diagnostic = &diagnostics[0];
    assert_eq!(
        (diagnostic.span.line, diagnostic.span.column),
        (3, 1),
        "points at `steps:`"
    );
    assert!(diagnostic.hint.is_some());
    let message = diagnostic.kind.to_string();
    assert!(
        message.contains(&count.to_string()) && message.contains(&validator::MAX_STEPS.to_string()),
        "{message}"
    );
}

#[test]
fn expected_code_rule() {
    assert_eq!(expected_code("cycle"), Ok("cycle"));
    assert_eq!(expected_code("cycle-self"), Ok("cycle"));
    assert_eq!(expected_code("out-of-scope-item"), Ok("out-of-scope"));
    assert_eq!(
        expected_code("invalid-param-name-reserved"),
        Ok("invalid-param-name")
    );
    assert!(
        expected_code("cycles").is_err(),
        "a code must end at a dash"
    );
    assert!(expected_code("my-cycle").is_err());
    assert!(expected_code(MANY_ERRORS).is_err());
}

/// Every flag of `runbook run` and `runbook plan` and every global flag, as a user types it, is refused as a
/// parameter name: each parameter becomes a flag of the same command. `--lock-table` and `--audit-s3` once
/// validated as parameters and then collided when the command was built.
#[test]
fn a_parameter_may_not_take_the_name_of_a_flag_of_run() {
    use clap::CommandFactory;
    use runbook::commands::run::{Verb, flags_command};
    let mut longs = std::collections::BTreeSet::new();
    for mut command in [
        runbook::cli::Cli::command(),
        flags_command(Verb::Run),
        flags_command(Verb::Plan),
    ] {
        command.build();
        longs.extend(
            command
                .get_arguments()
                .filter_map(|arg| arg.get_long())
                .map(str::to_string),
        );
    }
    assert!(
        longs.contains("lock-table") && longs.contains("audit-s3") && longs.contains("dry-run")
    );
    let with_param = |name: &str| {
        let text = format!(
            "name: t\ndescription: t\nparams:\n  {name}: {{type: string, default: x}}\nsteps:\n  - id: a\n    action: core.noop\n"
        );
        runbook::commands::load_source(
            &catalog(),
            &runbook::foundation::source::SourceFile::new("t.yaml", text),
        )
    };
    // `region` is declared by runbooks on purpose: it then selects the AWS region instead of `--region`; so is
    // `format` (a report's format), which `plan` then takes instead of its own `--format`.
    for long in longs
        .iter()
        .filter(|long| *long != "region" && *long != "format")
    {
        let name = long.replace('-', "_");
        let refused = with_param(&name).is_err_and(|diagnostics| {
            diagnostics.iter().any(|d| {
                d.kind
                    == runbook::foundation::diagnostic::ErrorKind::InvalidParamName {
                        name: name.clone(),
                    }
            })
        });
        assert!(
            refused,
            "a parameter named `{name}` validates beside `--{long}`"
        );
    }
    assert!(with_param("region").is_ok());
    assert!(with_param("format").is_ok());
}
