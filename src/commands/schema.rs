//! `runbook schema`: the JSON Schema of the format, generated from the raw model. `schemas/runbook.schema.json`
//! is this output, checked in, and `schemas/runbook-test.schema.json` that of `runbook schema --tests` (test
//! files); a test fails when either differs.

use crate::commands::exit::ExitStatus;
use crate::commands::output::print_json;

/// The schema exactly as checked in: of runbooks, or with `tests` of test files.
pub fn text(tests: bool) -> String {
    let schema = if tests {
        crate::language::test_file::raw::json_schema()
    } else {
        crate::language::raw::json_schema()
    };
    let mut text = serde_json::to_string_pretty(&schema).expect("JSON");
    text.push('\n');
    text
}

pub fn run(tests: bool) -> ExitStatus {
    print_json(&text(tests));
    ExitStatus::Ok
}
