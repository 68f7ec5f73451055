//! Layer 5, the execution engine: one scheduler for runs and plans. The journal, locks and redaction sit beside
//! it in the same layer (docs/architecture.md).
//!
//! A run and a plan walk the same graph with the same code; the [`Mode`] decides, in one place (the action
//! step), whether a write is sent. In a plan nothing that writes is ever executed, and
//! [`crate::aws::call`] refuses writes a second time at the wire, so the dry run cannot lie by accident.

mod action_context;
mod approval;
mod backoff;
mod change;
mod deferred;
mod event;
mod halt;
mod input;
mod nested;
mod pages;
mod prior;
mod report;
mod scheduler;
mod scope;
mod step;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use crate::actions::{RunContext, RunFn};
pub use action_context::ActionContext;
pub use approval::{Approval, Approver, ApproverIdentity, Decision};
pub use backoff::Backoff;
pub use change::Change;
pub use event::{AttemptOutcome, Event, Fanout, Observer, Silent};
pub use halt::Halt;
pub use nested::Before;
pub use pages::MAX_PAGES;
pub use prior::{Prior, PriorStep};
pub use report::{Criterion, Leftover, Outcome, RunReport, StepReport, StepStatus};
pub use scheduler::{
    execute, execute_with_unknown_params, nested_before_run, render_lock_key, render_lock_keys,
    render_notify_topic, resume,
};
pub use step::{fill_summary, invoke};

use crate::aws::Aws;

/// Whether writes are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every step runs.
    Run,
    /// Reads run for real, writes are described and never sent.
    Plan,
    /// Nothing is sent: every read is deferred too.
    Offline,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Run => "run",
            Mode::Plan => "plan",
            Mode::Offline => "offline",
        }
    }
}

/// Everything a run needs besides the runbook and its parameter values.
pub struct Options {
    pub mode: Mode,
    /// How many steps (and for_each items across steps) may be in flight at once.
    pub parallelism: usize,
    /// `None` when the runbook calls no AWS action, or offline.
    pub aws: Option<Arc<Aws>>,
    pub approver: Arc<dyn Approver>,
    pub observer: Arc<dyn Observer>,
    /// Set to true to stop starting new steps (SIGINT/SIGTERM).
    pub cancel: tokio::sync::watch::Receiver<bool>,
    /// Run identity for templates (`run.id`, `run.started_at`).
    pub run_id: String,
    pub started_at: jiff::Timestamp,
    /// One attempt's limit when a step sets no `timeout`.
    pub default_attempt_timeout: Duration,
    /// The run's secret texts: secret parameters are read through [`crate::foundation::taint`], and what templates derive
    /// from them is added here before any event carries it.
    pub secrets: crate::foundation::secrets::Secrets,
    /// Where each step's executor is found, by its action's name: the table the runbook was validated against.
    pub actions: crate::actions::Table,
}
