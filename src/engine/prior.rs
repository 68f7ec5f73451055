//! Results a resumed run takes over instead of running steps again: the steps its journal shows succeeded (or
//! skipped), and the steps the operator chose to skip with `--skip STEP --reason ...`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::report::StepStatus;

/// One step's result from before the resume.
#[derive(Clone, Debug)]
pub struct PriorStep {
    /// `Succeeded` or `Skipped`: the only results that let dependents start without running the step.
    pub status: StepStatus,
    pub summary: String,
    pub request: Option<Value>,
    pub output: Option<Value>,
    pub outputs: Map<String, Value>,
    pub attempts: u32,
    /// Shown in the report and journaled: where the result came from.
    pub reason: String,
}

/// Step id to its earlier result. Empty for a fresh run.
#[derive(Clone, Debug, Default)]
pub struct Prior {
    pub steps: HashMap<String, PriorStep>,
    /// Writes whose outcome the journal cannot tell: their `verify:` read runs first, and the write is sent only
    /// if it says the write did not take effect.
    pub verify_first: std::collections::HashSet<String>,
}

impl Prior {
    pub fn get(&self, step: &str) -> Option<&PriorStep> {
        self.steps.get(step)
    }
}
