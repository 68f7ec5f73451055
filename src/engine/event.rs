//! What the engine reports while it works: progress output, JSON results and (later) the journal listen here.

use std::time::Duration;

use serde_json::Value;

use super::report::{Criterion, StepStatus};

/// One thing that happened. `item` is the for_each position (0-based) when the step fans out.
#[derive(Clone, Debug)]
pub enum Event {
    StepStarted {
        step: String,
        item: Option<usize>,
        summary: String,
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
    },
    CriterionEvaluated(Criterion),
}

#[derive(Clone, Debug)]
pub enum AttemptOutcome {
    Ok {
        status: Option<u16>,
        request_id: Option<String>,
    },
    Err {
        code: String,
        message: String,
        status: Option<u16>,
        request_id: Option<String>,
        transient: bool,
    },
}

pub trait Observer: Send + Sync {
    fn on_event(&self, event: &Event);
}

/// Discards everything (tests, benchmarks).
pub struct Silent;

impl Observer for Silent {
    fn on_event(&self, _event: &Event) {}
}
