//! Reading a journal back for `runbook resume`: what each step got to, and whether a write may have taken effect.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::chain::Entry;
use super::record::{Operator, Record};
use crate::engine::{PriorStep, StepStatus};

/// The run as its first record describes it.
#[derive(Clone, Debug, Default)]
pub struct Started {
    pub run_id: String,
    pub runbook: String,
    pub runbook_sha256: String,
    pub params: Map<String, Value>,
    pub mode: String,
    pub time: String,
    pub operator: Operator,
    pub lock: Option<String>,
    /// The topic the run notifies, which a resume keeps.
    pub notify: Option<String>,
    /// The Step Functions state machine the run executed on, if it did.
    pub state_machine: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Finished {
    pub status: StepStatus,
    pub summary: String,
    pub request: Option<Value>,
    pub output: Option<Value>,
    pub outputs: Map<String, Value>,
    pub attempts: u32,
    pub error: Option<String>,
    pub reason: Option<String>,
    pub time: String,
}

/// What the journal says about one step, since it last started.
#[derive(Clone, Debug, Default)]
pub struct StepState {
    pub effect: String,
    pub started: bool,
    pub finished: Option<Finished>,
    /// Calls whose start is journaled and whose end is not: sent, or about to be, with no answer recorded.
    pub unanswered: Vec<String>,
    /// Calls answered in a way that does not tell whether they took effect (no answer, a timeout, a 5xx).
    pub unknown_outcome: Vec<String>,
    /// Calls that succeeded.
    pub succeeded_calls: Vec<String>,
    /// Skipped by the operator on an earlier resume.
    pub skipped_by_operator: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Replay {
    pub started: Option<Started>,
    pub steps: HashMap<String, StepState>,
    /// The outcome of the last attempt (the first run or the last resume), if it got to the end.
    pub outcome: Option<String>,
}

/// How a step stands for a resume.
#[derive(Clone, Debug, PartialEq)]
pub enum Standing {
    /// Succeeded or skipped: taken from the journal.
    Done,
    /// Safe to run again: never started, a read, a gate, or a write the journal shows had no effect.
    Run,
    /// A write that may have taken effect; the operator (or the runbook's `verify`) must decide.
    Uncertain(String),
}

/// Whether an answer leaves open that the request took effect: no answer at all, or a server error. Throttling
/// and other client errors say the request was refused; a refused connection says it was never sent.
fn may_have_taken_effect(http_status: Option<u16>, error_code: Option<&str>) -> bool {
    if error_code.is_some_and(crate::aws::was_not_processed) {
        return false;
    }
    match http_status {
        None => true,
        Some(status) => status >= 500,
    }
}

fn describe_call(operation: &str, item: Option<usize>, attempt: u32, time: &str) -> String {
    let item = item.map(|i| format!(" item {}", i + 1)).unwrap_or_default();
    format!("{operation}{item} attempt {attempt} at {time}")
}

pub fn replay(entries: &[Entry]) -> Replay {
    let mut replay = Replay::default();
    let mut open: HashMap<(String, Option<usize>, String, u32), String> = HashMap::new();
    for entry in entries {
        let Some(record) = &entry.record else {
            continue;
        };
        match record {
            Record::RunStarted {
                run_id,
                runbook,
                runbook_sha256,
                params,
                mode,
                operator,
                lock,
                notify,
                state_machine,
                ..
            } => {
                replay.started = Some(Started {
                    run_id: run_id.clone(),
                    runbook: runbook.clone(),
                    runbook_sha256: runbook_sha256.clone(),
                    params: params.clone(),
                    mode: mode.clone(),
                    time: entry.time.clone(),
                    operator: operator.clone(),
                    lock: lock.clone(),
                    notify: notify.clone(),
                    state_machine: state_machine.clone(),
                });
            }
            Record::Resumed { skip, operator, .. } => {
                replay.outcome = None;
                for skip in skip {
                    let state = replay.steps.entry(skip.step.clone()).or_default();
                    state.skipped_by_operator = Some(format!(
                        "skipped by {} on resume: {}",
                        operator.os_user, skip.reason
                    ));
                }
            }
            Record::StepStarted { step, effect, .. } => {
                open.retain(|(s, ..), _| s != step);
                replay.steps.insert(
                    step.clone(),
                    StepState {
                        effect: effect.clone(),
                        started: true,
                        ..StepState::default()
                    },
                );
            }
            Record::CallStarted {
                step,
                item,
                service,
                operation,
                attempt,
                ..
            } => {
                let operation = format!("{service}.{operation}");
                open.insert(
                    (step.clone(), *item, operation, *attempt),
                    entry.time.clone(),
                );
            }
            Record::CallFinished {
                step,
                item,
                service,
                operation,
                attempt,
                http_status,
                error_code,
                request_id,
                ..
            } => {
                let operation = format!("{service}.{operation}");
                open.remove(&(step.clone(), *item, operation.clone(), *attempt));
                let state = replay.steps.entry(step.clone()).or_default();
                let mut description = describe_call(&operation, *item, *attempt, &entry.time);
                if let Some(id) = request_id {
                    description.push_str(&format!(" (request id {id})"));
                }
                if error_code.is_none() {
                    state.succeeded_calls.push(description);
                } else if may_have_taken_effect(*http_status, error_code.as_deref()) {
                    state.unknown_outcome.push(format!(
                        "{description} ended without a definite answer ({})",
                        error_code.clone().unwrap_or_default()
                    ));
                }
            }
            Record::StepFinished {
                step,
                status,
                summary,
                request,
                output,
                outputs,
                attempts,
                error,
                reason,
                ..
            } => {
                let state = replay.steps.entry(step.clone()).or_default();
                state.finished = Some(Finished {
                    status: *status,
                    summary: summary.clone(),
                    request: request.clone(),
                    output: output.clone(),
                    outputs: outputs.clone(),
                    attempts: *attempts,
                    error: error.clone(),
                    reason: reason.clone(),
                    time: entry.time.clone(),
                });
            }
            Record::RunFinished { outcome, .. } => replay.outcome = Some(outcome.clone()),
            _ => {}
        }
    }
    for ((step, item, operation, attempt), time) in open {
        replay
            .steps
            .entry(step)
            .or_default()
            .unanswered
            .push(describe_call(&operation, item, attempt, &time));
    }
    for state in replay.steps.values_mut() {
        state.unanswered.sort();
    }
    replay
}

impl Replay {
    pub fn standing(&self, step: &str) -> Standing {
        let Some(state) = self.steps.get(step) else {
            return Standing::Run;
        };
        if state.skipped_by_operator.is_some() {
            return Standing::Done;
        }
        if let Some(finished) = &state.finished
            && matches!(finished.status, StepStatus::Succeeded | StepStatus::Skipped)
        {
            return Standing::Done;
        }
        if state.effect != "write" {
            return Standing::Run;
        }
        let mut doubts: Vec<String> = Vec::new();
        for call in &state.unanswered {
            doubts.push(format!(
                "{call} was sent (or about to be) and no answer was recorded"
            ));
        }
        doubts.extend(state.unknown_outcome.iter().cloned());
        if let Some(finished) = &state.finished {
            for call in &state.succeeded_calls {
                doubts.push(format!(
                    "{call} succeeded, yet the step ended {}",
                    finished.status.as_str()
                ));
            }
        } else if state.started && doubts.is_empty() && !state.succeeded_calls.is_empty() {
            for call in &state.succeeded_calls {
                doubts.push(format!("{call} succeeded, and the step never finished"));
            }
        }
        if doubts.is_empty() {
            Standing::Run
        } else {
            Standing::Uncertain(doubts.join("; "))
        }
    }

    /// The step's earlier result, for the engine, when it is [`Standing::Done`].
    pub fn prior(&self, step: &str) -> Option<PriorStep> {
        let state = self.steps.get(step)?;
        if let Some(reason) = &state.skipped_by_operator {
            return Some(PriorStep {
                status: StepStatus::Skipped,
                summary: String::new(),
                request: None,
                output: None,
                outputs: Map::new(),
                attempts: 0,
                reason: reason.clone(),
            });
        }
        let finished = state.finished.as_ref()?;
        if !matches!(finished.status, StepStatus::Succeeded | StepStatus::Skipped) {
            return None;
        }
        Some(PriorStep {
            status: finished.status,
            summary: finished.summary.clone(),
            request: finished.request.clone(),
            output: finished.output.clone(),
            outputs: finished.outputs.clone(),
            attempts: finished.attempts,
            reason: format!(
                "{} at {} (journal)",
                finished.status.as_str(),
                finished.time
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::chain::{GENESIS, open, seal};
    use super::*;

    fn entries(records: &[Record]) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        records
            .iter()
            .enumerate()
            .map(|(index, record)| {
                let (line, hash) =
                    seal(index as u64 + 1, "2026-11-29T16:30:12.000Z", &prev, record);
                prev = hash;
                open(index + 1, &line).unwrap()
            })
            .collect()
    }

    fn started(step: &str, effect: &str) -> Record {
        Record::StepStarted {
            step: step.into(),
            effect: effect.into(),
            summary: String::new(),
        }
    }

    fn call(step: &str) -> Record {
        Record::CallStarted {
            step: step.into(),
            item: None,
            service: "dynamodb".into(),
            operation: "PutItem".into(),
            attempt: 1,
            request: Value::Null,
        }
    }

    fn answered(step: &str, status: Option<u16>, code: Option<&str>) -> Record {
        Record::CallFinished {
            step: step.into(),
            item: None,
            service: "dynamodb".into(),
            operation: "PutItem".into(),
            attempt: 1,
            duration_ms: 5,
            http_status: status,
            request_id: Some("r-1".into()),
            error_code: code.map(str::to_string),
            error: code.map(str::to_string),
            response: None,
        }
    }

    #[test]
    fn a_write_sent_without_a_recorded_answer_is_uncertain_and_one_never_sent_is_not() {
        let replay = replay(&entries(&[
            started("put", "write"),
            call("put"),
            started("other", "write"),
        ]));
        assert!(
            matches!(replay.standing("put"), Standing::Uncertain(why) if why.contains("no answer"))
        );
        assert_eq!(replay.standing("other"), Standing::Run);
        assert_eq!(replay.standing("never"), Standing::Run);
    }

    #[test]
    fn refused_writes_run_again_and_server_errors_do_not() {
        let refused = replay(&entries(&[
            started("put", "write"),
            call("put"),
            answered("put", Some(400), Some("ValidationException")),
        ]));
        assert_eq!(refused.standing("put"), Standing::Run);
        let unknown = replay(&entries(&[
            started("put", "write"),
            call("put"),
            answered("put", Some(500), Some("InternalServerError")),
        ]));
        assert!(matches!(unknown.standing("put"), Standing::Uncertain(_)));
    }

    #[test]
    fn a_finished_step_is_done_with_its_outputs_and_reads_always_run_again() {
        let mut outputs = Map::new();
        outputs.insert("arn".into(), Value::String("arn:x".into()));
        let replay = replay(&entries(&[
            started("put", "write"),
            call("put"),
            answered("put", Some(200), None),
            Record::StepFinished {
                step: "put".into(),
                status: StepStatus::Succeeded,
                duration_ms: 7,
                attempts: 1,
                summary: "Put".into(),
                request: None,
                output: None,
                outputs,
                error: None,
                reason: None,
                resource: None,
                changes: Vec::new(),
            },
            started("read", "read"),
            call("read"),
        ]));
        assert_eq!(replay.standing("put"), Standing::Done);
        assert_eq!(replay.prior("put").unwrap().outputs["arn"], "arn:x");
        assert_eq!(replay.standing("read"), Standing::Run);
    }
}
