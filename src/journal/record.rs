//! The typed records of a journal, one JSON object per line, and how engine events become records.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::{AttemptOutcome, Event, StepStatus};

/// Who ran (or resumed, or unlocked) and from where.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Operator {
    pub os_user: String,
    pub host: String,
    pub pid: u32,
    /// The AWS caller identity's ARN, when AWS was reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_account: Option<String>,
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.os_user, self.host)?;
        if let Some(principal) = &self.aws_principal {
            write!(f, " ({principal})")?;
        }
        Ok(())
    }
}

/// A step the operator skipped on resume, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Skip {
    pub step: String,
    pub reason: String,
}

/// One journal record. The envelope (`seq`, `time`, `prev`, `hash`) is added by the writer; see [`super::chain`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    RunStarted {
        run_id: String,
        runbook: String,
        /// Where the runbook was read from (a path, or `built-in:NAME`).
        runbook_file: String,
        runbook_sha256: String,
        /// Values as given; secret ones are `<secret>`.
        params: Map<String, Value>,
        /// `run`, `plan` or `offline`.
        mode: String,
        operator: Operator,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        engine_version: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lock: Option<String>,
        /// `--audit-kms-key`: the journal's head is signed with this key at the start, at gates and at the end,
        /// and `audit verify` holds it to that.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signing_key: Option<String>,
        /// `--notify` (or the runbook's `notify:`): the SNS topic told of gates and of the end; a resume tells it
        /// too unless given another.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notify: Option<String>,
        /// `run --on step-functions`: the run was an execution of this state machine, journaled from its
        /// history; `resume` does not continue it here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state_machine: Option<String>,
    },
    /// `runbook resume` continued the run from here on.
    Resumed {
        operator: Operator,
        runbook_sha256: String,
        /// The runbook changed since the run started and `--allow-changed` accepted it.
        allow_changed: bool,
        /// Steps taken from the journal, not run again.
        reused: Vec<String>,
        /// `--rerun STEP`: run again although the journal cannot tell whether it took effect.
        rerun: Vec<String>,
        /// `--skip STEP --reason ...`
        skip: Vec<Skip>,
        approve: Vec<String>,
        /// Bytes of an incomplete last line (a crash mid-write) cut off before appending.
        #[serde(default, skip_serializing_if = "is_zero")]
        discarded_bytes: u64,
        /// `--audit-kms-key` of the resume, as in `run_started`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signing_key: Option<String>,
    },
    StepStarted {
        step: String,
        effect: String,
        summary: String,
    },
    /// Written before the request is sent.
    CallStarted {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        service: String,
        operation: String,
        attempt: u32,
        request: Value,
    },
    CallFinished {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        service: String,
        operation: String,
        attempt: u32,
        duration_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The answer of a call that succeeded, redacted like the request (absent in journals written before it
        /// was kept, and for calls that answer nothing worth keeping).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<Value>,
    },
    RetryScheduled {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        operation: String,
        attempt: u32,
        delay_ms: u64,
        reason: String,
    },
    WaitPoll {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        polls: u32,
        observed: String,
    },
    CheckEvaluated {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<usize>,
        expression: String,
        held: bool,
        observed: String,
    },
    Log {
        step: String,
        message: String,
    },
    ApprovalRequested {
        step: String,
        prompt: String,
    },
    Approved {
        step: String,
        by: String,
        how: String,
    },
    StepReused {
        step: String,
        status: StepStatus,
        reason: String,
    },
    StepFinished {
        step: String,
        status: StepStatus,
        duration_ms: u64,
        attempts: u32,
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        outputs: Map<String, Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The resource acted on (the registry's pattern filled from the request), when the action names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resource: Option<String>,
        /// What a write changed, before -> after.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changes: Vec<crate::engine::Change>,
    },
    SuccessCriterion {
        name: String,
        expression: String,
        held: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    RunFinished {
        outcome: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        duration_ms: u64,
    },
    /// `runbook unlock KEY --reason ...` (in the state dir's `unlocks.jsonl`).
    Unlocked {
        key: String,
        reason: String,
        operator: Operator,
        /// The owner the lock had, as its record said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holder: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        table: Option<String>,
        /// The lock's record named no holder: what was there instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unreadable: Option<String>,
        /// `--force`: removed although its holder was running (on this host, or renewing it in the table).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
    },
    /// A KMS signature over the chain's head: record `signs_seq`, whose hash is `signs_hash`, in run `run_id`
    /// (see [`super::signature`]). `at` is `start`, `gate` or `run_end`.
    Signed {
        at: String,
        signs_seq: u64,
        signs_hash: String,
        /// The key's ARN, as KMS reported it when signing.
        key_id: String,
        algorithm: String,
        /// Base64, as KMS returns it.
        signature: String,
    },
    /// A message published to the run's `--notify` topic (see [`crate::notify`]), or why it was not: a
    /// notification that failed does not fail the run.
    Notified {
        topic: String,
        /// `approval` (a gate waits), `failed` or `ended`.
        about: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The run's lock was taken away while it ran (`unlock --force`, or it expired unrenewed): no step starts
    /// after this record, and the run ends `lock_lost`.
    LockLost {
        key: String,
        detail: String,
    },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn millis(duration: std::time::Duration) -> u64 {
    duration.as_millis().min(u64::MAX as u128) as u64
}

/// `dynamodb.PutItem` is service `dynamodb`, operation `PutItem`; `http.GET` is service `http`, operation `GET`
/// (its URL is in the request). Operations are `service.Operation` by construction
/// ([`crate::engine::ActionContext::with_retries_for`]); one without a dot keeps its whole name.
fn split_operation(operation: &str) -> (String, String) {
    match operation.split_once('.') {
        Some((service, op)) => (service.to_string(), op.to_string()),
        None => (String::new(), operation.to_string()),
    }
}

impl Record {
    /// The record for an engine event (already redacted). Every event has one.
    pub fn from_event(event: &Event, effect_of: impl Fn(&str) -> &'static str) -> Record {
        match event.clone() {
            Event::StepStarted { step, summary, .. } => Record::StepStarted {
                effect: effect_of(&step).to_string(),
                step,
                summary,
            },
            Event::CallStarted {
                step,
                item,
                operation,
                attempt,
                request,
            } => {
                let (service, operation) = split_operation(&operation);
                Record::CallStarted {
                    step,
                    item,
                    service,
                    operation,
                    attempt,
                    request,
                }
            }
            Event::Attempt {
                step,
                item,
                operation,
                attempt,
                elapsed,
                outcome,
            } => {
                let (service, operation) = split_operation(&operation);
                let (http_status, request_id, error_code, error, response) = match outcome {
                    AttemptOutcome::Ok {
                        status,
                        request_id,
                        response,
                    } => (
                        status,
                        request_id,
                        None,
                        None,
                        Some(response).filter(|response| !response.is_null()),
                    ),
                    AttemptOutcome::Err {
                        code,
                        message,
                        status,
                        request_id,
                        ..
                    } => (status, request_id, Some(code), Some(message), None),
                };
                Record::CallFinished {
                    step,
                    item,
                    service,
                    operation,
                    attempt,
                    duration_ms: millis(elapsed),
                    http_status,
                    request_id,
                    error_code,
                    error,
                    response,
                }
            }
            Event::RetryScheduled {
                step,
                item,
                operation,
                attempt,
                delay,
                reason,
            } => Record::RetryScheduled {
                step,
                item,
                operation,
                attempt,
                delay_ms: millis(delay),
                reason,
            },
            Event::Poll {
                step,
                item,
                polls,
                observed,
                ..
            } => Record::WaitPoll {
                step,
                item,
                polls,
                observed,
            },
            Event::Log { step, message } => Record::Log { step, message },
            // Not journaled (the observer drops them); the action logs its total when it ends.
            Event::Counter { step, text, .. } => Record::Log {
                step,
                message: text,
            },
            Event::CheckEvaluated {
                step,
                item,
                expression,
                held,
                observed,
            } => Record::CheckEvaluated {
                step,
                item,
                expression,
                held,
                observed,
            },
            Event::StepReused {
                step,
                status,
                reason,
            } => Record::StepReused {
                step,
                status,
                reason,
            },
            Event::ApprovalRequested { step, prompt } => Record::ApprovalRequested { step, prompt },
            Event::Approved { step, by, how } => Record::Approved { step, by, how },
            Event::StepFinished {
                step,
                status,
                duration,
                attempts,
                error,
                output,
                summary,
                request,
                outputs,
                reason,
                changes,
            } => Record::StepFinished {
                step,
                status,
                duration_ms: millis(duration),
                attempts,
                summary,
                request,
                output,
                outputs,
                error,
                reason,
                resource: None,
                changes,
            },
            Event::CriterionEvaluated(criterion) => Record::SuccessCriterion {
                name: criterion.name,
                expression: criterion.expression,
                held: criterion.held,
                detail: criterion.detail,
            },
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Record::RunStarted { .. } => "run_started",
            Record::Resumed { .. } => "resumed",
            Record::StepStarted { .. } => "step_started",
            Record::CallStarted { .. } => "call_started",
            Record::CallFinished { .. } => "call_finished",
            Record::RetryScheduled { .. } => "retry_scheduled",
            Record::WaitPoll { .. } => "wait_poll",
            Record::CheckEvaluated { .. } => "check_evaluated",
            Record::Log { .. } => "log",
            Record::ApprovalRequested { .. } => "approval_requested",
            Record::Approved { .. } => "approved",
            Record::StepReused { .. } => "step_reused",
            Record::StepFinished { .. } => "step_finished",
            Record::SuccessCriterion { .. } => "success_criterion",
            Record::RunFinished { .. } => "run_finished",
            Record::Unlocked { .. } => "unlocked",
            Record::LockLost { .. } => "lock_lost",
            Record::Notified { .. } => "notified",
            Record::Signed { .. } => "signed",
        }
    }
}
