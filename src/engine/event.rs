//! What the engine reports while it works: progress output, JSON results and the audit journal listen here.
//!
//! Events are delivered synchronously, on the task doing the work, before it goes on: an observer that writes and
//! fsyncs in `on_event` (the journal) has the record on disk before the AWS call it announces is sent.

use std::time::Duration;

use serde_json::Value;

use super::halt::Halt;
use super::report::{Criterion, StepStatus};

/// One thing that happened. `item` is the for_each position (0-based) when the step fans out.
#[derive(Clone, Debug)]
pub enum Event {
    StepStarted {
        step: String,
        item: Option<usize>,
        summary: String,
    },
    /// One attempt of one AWS call (or of a built-in) is about to be sent. `request` is what the step asked for
    /// (`null` when the action does not say, as for built-ins).
    CallStarted {
        step: String,
        item: Option<usize>,
        operation: String,
        attempt: u32,
        request: Value,
    },
    /// One attempt of one AWS call (or of a built-in), after it ended.
    Attempt {
        step: String,
        item: Option<usize>,
        operation: String,
        attempt: u32,
        elapsed: Duration,
        outcome: AttemptOutcome,
    },
    /// The next attempt is due after `delay`.
    RetryScheduled {
        step: String,
        item: Option<usize>,
        operation: String,
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// A long action's running count (a message move, an item count): shown, not journaled.
    Counter {
        step: String,
        item: Option<usize>,
        text: String,
    },
    /// A wait's condition did not hold yet.
    Poll {
        step: String,
        item: Option<usize>,
        polls: u32,
        observed: String,
        remaining: Duration,
    },
    Log {
        step: String,
        message: String,
    },
    /// One `check:` of a step, with the values its expression read.
    CheckEvaluated {
        step: String,
        item: Option<usize>,
        expression: String,
        held: bool,
        observed: String,
    },
    /// A resumed run took this step's result from the journal (or from the operator's `--skip`) instead of
    /// running it again.
    StepReused {
        step: String,
        status: StepStatus,
        reason: String,
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
    StepFinished {
        step: String,
        status: StepStatus,
        duration: Duration,
        attempts: u32,
        error: Option<String>,
        output: Option<Value>,
        /// The action's description with the request's values filled in: what was done to which resource.
        summary: String,
        request: Option<Value>,
        /// Named outputs, what downstream steps read as `steps.<id>.<name>`.
        outputs: serde_json::Map<String, Value>,
        /// Why a step was skipped or deferred.
        reason: Option<String>,
        /// What a write changed, before -> after.
        changes: Vec<super::Change>,
    },
    CriterionEvaluated(Criterion),
}

#[derive(Clone, Debug)]
pub enum AttemptOutcome {
    Ok {
        status: Option<u16>,
        request_id: Option<String>,
        /// The answer as the action got it (`null` for calls that are not AWS operations' answers): journaled so
        /// that `runbook test --record` can answer a replay as AWS answered the run.
        response: serde_json::Value,
    },
    Err {
        code: String,
        message: String,
        status: Option<u16>,
        request_id: Option<String>,
        transient: bool,
    },
}

/// Listens to a run. An observer that cannot take an event (the journal, when its disk is full) says so, and the
/// engine sends nothing after it ([`super::halt`]).
pub trait Observer: Send + Sync {
    fn on_event(&self, event: &Event) -> Result<(), Halt>;
}

/// Forwards every event to each observer in turn (progress on the terminal, then the journal).
pub struct Fanout(pub Vec<std::sync::Arc<dyn Observer>>);

impl Observer for Fanout {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        for observer in &self.0 {
            observer.on_event(event)?;
        }
        Ok(())
    }
}

/// Discards everything (tests, benchmarks).
pub struct Silent;

impl Observer for Silent {
    fn on_event(&self, _event: &Event) -> Result<(), Halt> {
        Ok(())
    }
}
