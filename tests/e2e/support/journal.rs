//! Reading the journal a test's run wrote, for the tests that compare runs (local and on Step Functions).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The records of the one run journaled in `state` (fails the test if there is not exactly one).
pub fn records(state: &Path) -> Vec<Value> {
    let runs: Vec<PathBuf> = std::fs::read_dir(state.join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("journal.jsonl"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    std::fs::read_to_string(&runs[0])
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The records of `kind` about `step`.
pub fn of_kind<'a>(records: &'a [Value], kind: &str, step: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|record| record["kind"] == kind && record["step"] == step)
        .collect()
}

/// How each step ended (`succeeded`, `skipped`, ...), by step.
pub fn step_statuses(records: &[Value]) -> BTreeMap<String, String> {
    by_step(records, "step_finished", "status")
}

/// What each `core.log` step said, by step.
pub fn logged(records: &[Value]) -> BTreeMap<String, String> {
    by_step(records, "log", "message")
}

fn by_step(records: &[Value], kind: &str, member: &str) -> BTreeMap<String, String> {
    records
        .iter()
        .filter(|record| record["kind"] == kind)
        .map(|record| {
            (
                record["step"].as_str().unwrap_or_default().to_string(),
                record[member].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// What each step's `step_finished` record says, by step: status, error, output, outputs and the reason it was
/// skipped (times and summaries aside).
pub fn step_records(state: &Path) -> BTreeMap<String, Value> {
    records(state)
        .iter()
        .filter(|record| record["kind"] == "step_finished")
        .map(|record| {
            (
                record["step"].as_str().unwrap_or_default().to_string(),
                serde_json::json!({
                    "status": record["status"],
                    // A local run's failed check adds the values it observed, which Step Functions cannot.
                    "error": record["error"].as_str().map(|error| error.split(" (observed ").next()),
                    "output": same_times(&record["output"]),
                    "outputs": record["outputs"],
                    "reason": record["reason"],
                }),
            )
        })
        .collect()
}

/// `value` with each time written one way: moto's answers through Step Functions and to the SDK differ in trailing
/// zeros of the milliseconds (`.060Z`, `.06Z`).
fn same_times(value: &Value) -> Value {
    match value {
        Value::String(text) => text.parse::<jiff::Timestamp>().map_or_else(
            |_| value.clone(),
            |time| serde_json::json!(time.to_string()),
        ),
        Value::Array(items) => items.iter().map(same_times).collect(),
        Value::Object(members) => members
            .iter()
            .map(|(key, member)| (key.clone(), same_times(member)))
            .collect(),
        other => other.clone(),
    }
}
