//! `runbook test [NAME...]`: runs the cases of each runbook's test file (`NAME.test.yaml` beside `NAME.yaml`,
//! found through the same search path) offline, against scripted AWS answers, and reports like `cargo test`:
//! one line per case, what differed for each failure, and `N passed, N failed`. Exit 0 when every case passed, 1
//! when one failed, 2 when a runbook or a test file is invalid (then no case runs).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Command;
use serde_json::{Map, Value};

use crate::actions::{self, Execute};
use crate::commands::exit::ExitStatus;
use crate::commands::output::print;
use crate::commands::{Context, load_source, print_diagnostics};
use crate::foundation::terminal_text;
use crate::journal::{Record, StateDir};
use crate::language::catalog::{self, Location};
use crate::language::runbook::Runbook;
use crate::language::test_file::{self, Case, TestFile};
use crate::param_flags;
use crate::test_runner::{self, CaseResult};

pub fn run(context: &Context, names: &[String]) -> ExitStatus {
    let suites = match find(context, names) {
        Ok(suites) => suites,
        Err(status) => return status,
    };
    let mut loaded = Vec::new();
    let mut invalid = false;
    for (runbook_file, tests_path) in suites {
        match load(context, &runbook_file, &tests_path) {
            Some(suite) => loaded.push(suite),
            None => invalid = true,
        }
    }
    if invalid {
        crate::say!("runbook test: invalid test files; no case was run");
        return ExitStatus::Usage;
    }
    let started = Instant::now();
    let mut out = String::new();
    let mut failed: Vec<(String, Vec<String>)> = Vec::new();
    let mut passed = 0;
    let total: usize = loaded.iter().map(|(_, tests)| tests.cases.len()).sum();
    out.push_str(&format!("\nrunning {total} test{}\n", plural(total)));
    for (runbook, tests) in &loaded {
        for case in &tests.cases {
            let label = format!("{}::{}", runbook.name, case.name);
            let result = run_one(runbook, case);
            if result.passed() {
                passed += 1;
                out.push_str(&format!("test {label} ... ok\n"));
            } else {
                out.push_str(&format!("test {label} ... FAILED\n"));
                failed.push((label, result.failures));
            }
        }
    }
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        for (label, failures) in &failed {
            out.push_str(&format!("\n---- {label} ----\n"));
            for failure in failures {
                out.push_str(&format!("  {}\n", terminal_text::block(failure)));
            }
        }
        out.push_str("\nfailures:\n");
        for (label, _) in &failed {
            out.push_str(&format!("    {label}\n"));
        }
    }
    out.push_str(&format!(
        "\ntest result: {}. {passed} passed, {} failed; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        started.elapsed().as_secs_f64()
    ));
    print(&out);
    if failed.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::Failed
    }
}

/// `runbook test --record RUN_ID`: the run's journal as a test case on stdout, to append to the runbook's test file.
pub fn record(context: &Context, wanted: &str) -> ExitStatus {
    let state = StateDir::resolve(context.state_dir.as_deref());
    let run_id = match state.find_run(wanted) {
        Ok(id) => id,
        Err(message) => {
            crate::say!("runbook test --record: {message}");
            return ExitStatus::Usage;
        }
    };
    let records: Vec<Record> = match crate::journal::store::read_entries(&state.journal(&run_id)) {
        Ok(entries) => entries
            .into_iter()
            .filter_map(|entry| entry.record)
            .collect(),
        Err(error) => {
            crate::say!("runbook test --record: cannot read the journal of {run_id}: {error}");
            return ExitStatus::Usage;
        }
    };
    match test_runner::record::case_text(&run_id, &records) {
        Ok(text) => {
            print(&text);
            ExitStatus::Ok
        }
        Err(message) => {
            crate::say!("runbook test --record: {message}");
            ExitStatus::Usage
        }
    }
}

/// The runbooks to test with their test files: those named, or every runbook found that has one.
fn find(context: &Context, names: &[String]) -> Result<Vec<(Location, PathBuf)>, ExitStatus> {
    if names.is_empty() {
        let suites: Vec<(Location, PathBuf)> = context
            .catalog
            .all()
            .into_values()
            .filter_map(|location| match &location {
                Location::File(path) => {
                    let tests = catalog::test_file_of(path);
                    tests.is_file().then(|| (location.clone(), tests))
                }
                Location::Embedded { .. } => None,
            })
            .collect();
        if suites.is_empty() {
            crate::say!(
                "runbook test: no runbook here has a test file (NAME.test.yaml beside NAME.yaml in --dir, RUNBOOK_PATH or ./runbooks)"
            );
            return Err(ExitStatus::Usage);
        }
        return Ok(suites);
    }
    let mut suites = Vec::new();
    for name in names {
        let Some(location) = context.catalog.find(name) else {
            // Says which runbooks there are, with a suggestion.
            return Err(super::load_named(context, name)
                .err()
                .unwrap_or(ExitStatus::Usage));
        };
        let Location::File(path) = &location else {
            crate::say!(
                "runbook test: `{name}` is the built-in copy, which has no test file; test a folder's copy with --dir DIR"
            );
            return Err(ExitStatus::Usage);
        };
        let tests = catalog::test_file_of(path);
        if !tests.is_file() {
            crate::say!(
                "runbook test: {} has no test file: write its cases in {}",
                path.display(),
                tests.display()
            );
            return Err(ExitStatus::Usage);
        }
        suites.push((location, tests));
    }
    Ok(suites)
}

/// The runbook and its test file, validated; on errors prints them all and returns `None`.
fn load(
    context: &Context,
    runbook_file: &Location,
    tests_path: &std::path::Path,
) -> Option<(Arc<Runbook>, TestFile)> {
    let runbook = runbook_file
        .read()
        .map_err(|diagnostic| vec![diagnostic])
        .and_then(|file| load_source(&context.catalog, &file));
    let runbook = match runbook {
        Ok(runbook) => runbook,
        Err(diagnostics) => {
            print_diagnostics(context, &diagnostics);
            return None;
        }
    };
    let tests = crate::foundation::input_file::read_source(tests_path)
        .map_err(|diagnostic| vec![diagnostic])
        .and_then(|file| test_file::load(&file, &runbook, &operations_of));
    match tests {
        Ok(tests) => Some((Arc::new(runbook), tests)),
        Err(diagnostics) => {
            print_diagnostics(context, &diagnostics);
            None
        }
    }
}

/// The operations a step of `action` may send: its one operation, or for a composite every operation its IAM
/// actions name (`glue:GetTable` is `glue.GetTable`), and for a write whose change is seen by a read before and
/// after it ([`actions::Observed`]), that read's.
pub fn operations_of(action: &str) -> Vec<String> {
    let Some(spec) = actions::lookup(action) else {
        return Vec::new();
    };
    let mut operations = own_operations(spec);
    if let Some(actions::Observed {
        how: actions::How::Read { read, .. },
        ..
    }) = actions::observed(action)
    {
        operations.extend(
            actions::lookup(read)
                .map(own_operations)
                .unwrap_or_default(),
        );
    }
    operations
}

fn own_operations(spec: &actions::ActionSpec) -> Vec<String> {
    match spec.execute {
        Execute::Call(op) | Execute::Paged(op, _) => vec![op.name()],
        Execute::Run(_) if spec.reach == actions::Reach::Aws => spec
            .iam
            .iter()
            .flat_map(|iam| {
                let named = iam
                    .split_once(':')
                    .map(|(service, operation)| format!("{service}.{operation}"));
                let covered = IAM_COVERS
                    .iter()
                    .filter(move |(action, _)| action == iam)
                    .flat_map(|(_, operations)| operations.iter().map(|op| op.to_string()));
                named.into_iter().chain(covered)
            })
            .collect(),
        Execute::Run(_) => Vec::new(),
    }
}

/// API operations that an IAM action of another name authorizes (AWS's own rules, as the service authorization
/// reference states them), for composites, which list their IAM actions rather than their operations.
const IAM_COVERS: &[(&str, &[&str])] = &[
    ("sqs:SendMessage", &["sqs.SendMessageBatch"]),
    ("sqs:DeleteMessage", &["sqs.DeleteMessageBatch"]),
    (
        "sqs:ChangeMessageVisibility",
        &["sqs.ChangeMessageVisibilityBatch"],
    ),
    ("s3:GetObject", &["s3.HeadObject"]),
    ("s3:ListBucket", &["s3.ListObjectsV2", "s3.HeadBucket"]),
    ("s3tables:GetTableData", &["s3.GetObject", "s3.HeadObject"]),
    ("s3tables:PutTableData", &["s3.PutObject"]),
];

fn run_one(runbook: &Arc<Runbook>, case: &Case) -> CaseResult {
    match params(runbook, case) {
        Ok(params) => test_runner::run_case(Arc::clone(runbook), params, case),
        Err(message) => CaseResult {
            failures: vec![message],
            elapsed: Default::default(),
        },
    }
}

/// The case's parameters resolved exactly as `runbook run` resolves its flags: defaults, templates, relative
/// datetimes and secrets' checks included.
fn params(runbook: &Runbook, case: &Case) -> Result<Map<String, Value>, String> {
    let command =
        param_flags::add_flags(Command::new("runbook test").no_binary_name(true), runbook);
    let mut args = Vec::new();
    for (name, text) in &case.params {
        let flag = runbook
            .param(name)
            .map(|param| param.flag.clone())
            .unwrap_or_else(|| name.clone());
        args.push(format!("--{flag}={text}"));
    }
    let matches = command
        .try_get_matches_from(&args)
        .map_err(|error| format!("parameters: {}", error.kind()))?;
    param_flags::resolve(runbook, &matches, jiff::Timestamp::now())
        .map_err(|error| error.to_string())
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
