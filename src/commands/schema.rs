//! `runbook schema`: the JSON Schema of the format, generated from the raw model. `schemas/runbook.schema.json`
//! is this output, checked in; a test fails when the two differ.

use crate::commands::exit::ExitStatus;
use crate::commands::output::print_json;

/// The schema exactly as checked in.
pub fn text() -> String {
    let mut text =
        serde_json::to_string_pretty(&crate::language::raw::json_schema()).expect("JSON");
    text.push('\n');
    text
}

pub fn run() -> ExitStatus {
    print_json(&text());
    ExitStatus::Ok
}
