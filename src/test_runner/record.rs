//! `runbook test --record RUN_ID`: a real run's journal as a test case, so an incident's run becomes a regression
//! test. Every call gets the answer AWS gave it (journaled, secrets already redacted), the gates the decisions the
//! operator made, and the case expects what the run did: its outcome, each step's status, the writes it sent and
//! each success criterion's result.
//!
//! The case is printed as one item of a test file's `cases:` list, in JSON's flow style (which YAML reads as it
//! is), so that `>> NAME.test.yaml` appends it.

use serde_json::{Map, Value, json};

use crate::actions;
use crate::foundation::effect::Effect;
use crate::foundation::secrets::REDACTED;
use crate::journal::Record;

/// The case a run's records make, as test-file text; an error when the records are not a run's.
pub fn case_text(run_id: &str, records: &[Record]) -> Result<String, String> {
    let Some((runbook, given)) = records.iter().find_map(|record| match record {
        Record::RunStarted {
            runbook,
            params,
            mode,
            ..
        } if mode == "run" => Some((runbook.clone(), params.clone())),
        _ => None,
    }) else {
        return Err(format!(
            "run {run_id} is not a run (a plan, or a journal without its start)"
        ));
    };
    let mut case = Map::new();
    case.insert("name".into(), json!(case_name(run_id)));
    // A secret was journaled as `<secret>`; the replay takes it from RUNBOOK_PARAM_<NAME>, as a resume does.
    let params: Map<String, Value> = given
        .into_iter()
        .filter(|(_, value)| {
            !value.is_null()
                && value.as_str() != Some("<secret>")
                && value.as_str() != Some(REDACTED)
        })
        .collect();
    if !params.is_empty() {
        case.insert("params".into(), Value::Object(params));
    }
    let mut aws: Map<String, Value> = Map::new();
    let mut writes = Vec::new();
    let mut every_effect_known = true;
    let mut approvals = Map::new();
    let mut steps = Map::new();
    let mut criteria = Map::new();
    let mut status = None;
    for record in records {
        match record {
            Record::CallStarted {
                step,
                service,
                operation,
                request,
                ..
            } => {
                let name = format!("{service}.{operation}");
                match actions::lookup(&name).map(|spec| spec.effect) {
                    Some(Effect::Write) => {
                        writes.push(json!({"step": step, "operation": name, "request": request}))
                    }
                    Some(Effect::Read) => {}
                    None => every_effect_known = false,
                }
            }
            Record::CallFinished {
                step,
                service,
                operation,
                http_status,
                error_code,
                error: message,
                response,
                ..
            } => {
                let name = format!("{service}.{operation}");
                let answer = match error_code {
                    Some(code) => json!({"error": {
                        "code": code,
                        "message": message.clone().unwrap_or_default(),
                        // A transport failure (a timeout) had no status: replayed as the service being unavailable.
                        "status": http_status.filter(|s| (400..600).contains(s)).unwrap_or(503),
                    }}),
                    None => json!({"output": response.clone().unwrap_or_else(|| json!({}))}),
                };
                let script = aws
                    .entry(step.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(script) = script
                    && let Value::Array(answers) = script.entry(name).or_insert_with(|| json!([]))
                {
                    answers.push(answer);
                }
            }
            Record::Approved { step, .. } => {
                approvals.insert(step.clone(), json!("approve"));
            }
            Record::StepFinished {
                step, status: done, ..
            } => {
                steps.insert(step.clone(), json!(done.as_str()));
            }
            Record::SuccessCriterion {
                name,
                held: Some(held),
                ..
            } => {
                criteria.insert(name.clone(), json!(held));
            }
            Record::RunFinished { outcome, .. } => status = Some(outcome.clone()),
            _ => {}
        }
    }
    for (step, done) in &steps {
        if done == "refused" {
            approvals.insert(step.clone(), json!("refuse"));
        }
    }
    if !aws.is_empty() {
        case.insert("aws".into(), Value::Object(aws));
    }
    if !approvals.is_empty() {
        case.insert("approvals".into(), Value::Object(approvals));
    }
    let mut expect = Map::new();
    let Some(status) = status else {
        return Err(format!(
            "run {run_id} has not finished (killed or still running): record a run that ended"
        ));
    };
    if ["succeeded", "failed", "refused", "awaiting_approval"].contains(&status.as_str()) {
        expect.insert("status".into(), json!(status));
    }
    expect.insert("steps".into(), Value::Object(steps));
    if every_effect_known {
        expect.insert("writes".into(), Value::Array(writes));
    }
    if !criteria.is_empty() {
        expect.insert("success_criteria".into(), Value::Object(criteria));
    }
    case.insert("expect".into(), Value::Object(expect));
    let pretty = serde_json::to_string_pretty(&Value::Object(case)).expect("JSON");
    let mut text =
        format!("  # Recorded from run {run_id} of {runbook} (runbook test --record).\n");
    for (index, line) in pretty.lines().enumerate() {
        text.push_str(if index == 0 { "  - " } else { "    " });
        text.push_str(line);
        text.push('\n');
    }
    Ok(text)
}

/// `recorded_20261129t163012z_3f9a`: a case name from a run id.
fn case_name(run_id: &str) -> String {
    let id: String = run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("recorded_{id}")
}
