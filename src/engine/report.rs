//! The result of a run or plan: per step, per success criterion, and overall.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::actions::Table;
use crate::language::runbook::{Runbook, Step, StepEffect};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Succeeded,
    Failed,
    /// `when` was false.
    Skipped,
    /// Never started: the run failed, stopped at a gate or was interrupted first.
    NotRun,
    /// Plan: a write that a run would send.
    Planned,
    /// Plan: depends on a value a write would produce, or the plan is offline.
    Deferred,
    /// An approval gate nobody approved; the run stopped here.
    AwaitingApproval,
    /// An approval gate the operator refused; the run ended here, by decision rather than by failure.
    Refused,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::NotRun => "not_run",
            StepStatus::Planned => "planned",
            StepStatus::Deferred => "deferred",
            StepStatus::AwaitingApproval => "awaiting_approval",
            StepStatus::Refused => "refused",
        }
    }

    /// Whether downstream steps may start.
    pub fn lets_dependents_start(self) -> bool {
        matches!(
            self,
            StepStatus::Succeeded
                | StepStatus::Skipped
                | StepStatus::Planned
                | StepStatus::Deferred
        )
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub id: String,
    pub title: Option<String>,
    pub action: Option<String>,
    pub effect: StepEffect,
    pub status: StepStatus,
    /// The action's one-line description with the request's values filled in.
    pub summary: String,
    /// The rendered request (`with:`), as sent or as it would be sent. For for_each steps, one per item.
    pub request: Option<Value>,
    /// The API's response (for_each: a list, one per item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Named outputs.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub outputs: serde_json::Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why a plan did not run this read, or why a step was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts of the step: 1, plus one per retry (a for_each step: of all its items).
    pub attempts: u32,
    /// AWS calls sent, every page, poll, retry and composite call counted.
    pub calls: u32,
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// Of `duration`, the time inside the action itself (AWS calls, sleeps, wait intervals); the rest is the
    /// engine's own overhead (rendering, checks, bookkeeping).
    #[serde(serialize_with = "seconds")]
    pub busy: Duration,
    /// The ids of the steps this one waited for, for critical-path analysis.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Who approved a gate, and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// What a write changed, before -> after (a plan: what it will change).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<super::Change>,
    #[serde(skip)]
    pub on_error_continue: bool,
    #[serde(skip)]
    pub in_on_failure: bool,
}

impl StepReport {
    /// A step before it runs, or one that never will: who it is, what its action does, no result yet.
    pub fn not_run(
        actions: &Table,
        step: &Step,
        runbook: &Runbook,
        in_on_failure: bool,
    ) -> StepReport {
        StepReport {
            id: step.id.clone(),
            title: step.title.clone(),
            action: runbook.step_doing(step),
            effect: step.effect(),
            status: StepStatus::NotRun,
            summary: step
                .action()
                .map(|action| actions.row(&action.shape).summary.to_string())
                .unwrap_or_default(),
            request: None,
            output: None,
            outputs: serde_json::Map::new(),
            error: None,
            reason: None,
            attempts: 0,
            calls: 0,
            duration: Duration::ZERO,
            busy: Duration::ZERO,
            needs: step
                .needs
                .iter()
                .map(|&need| runbook.steps[need].id.clone())
                .collect(),
            approved_by: None,
            changes: Vec::new(),
            on_error_continue: step.on_error == crate::language::raw::OnError::Continue,
            in_on_failure,
        }
    }
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((duration.as_secs_f64() * 1000.0).round() / 1000.0)
}

#[derive(Clone, Debug, Serialize)]
pub struct Criterion {
    pub name: String,
    pub expression: String,
    /// `None`: could not be decided (plan with deferred values, or an evaluation error).
    pub held: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    /// Stopped cleanly at an approval gate.
    AwaitingApproval,
    /// An operator refused an approval gate: a decision, not a failure, so `on_failure` does not run.
    Refused,
    Interrupted,
    /// The run's lock was taken away while it ran; like an interrupt, no step started after. Set by the command
    /// that holds the lock, not by the engine.
    LockLost,
    /// A plan that completed.
    Planned,
    /// The journal could not record an event: nothing was sent after it ([`super::halt`]).
    JournalFailed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::AwaitingApproval => "awaiting_approval",
            Outcome::Refused => "refused",
            Outcome::Interrupted => "interrupted",
            Outcome::LockLost => "lock_lost",
            Outcome::Planned => "planned",
            Outcome::JournalFailed => "journal_failed",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub runbook: String,
    pub run_id: String,
    pub mode: super::Mode,
    pub outcome: Outcome,
    pub started_at: String,
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    pub params: serde_json::Map<String, Value>,
    pub steps: Vec<StepReport>,
    pub success_criteria: Vec<Criterion>,
    pub on_failure: Vec<StepReport>,
    /// The first error, the one that failed the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A refused run: what its writes before the gate left behind, and how to remove each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<Leftover>,
}

/// A write that took effect before the run was refused, left as it is.
#[derive(Clone, Debug, Serialize)]
pub struct Leftover {
    pub step: String,
    /// What the write did, with its values (`Restore ... into new table ...`).
    pub summary: String,
    /// A command that removes what it made, when the action has one ([`crate::actions::undo`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove: Option<String>,
}

impl RunReport {
    pub fn step(&self, id: &str) -> Option<&StepReport> {
        self.steps
            .iter()
            .chain(&self.on_failure)
            .find(|step| step.id == id)
    }
}
