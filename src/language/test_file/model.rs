//! The validated test file: every step, gate, operation, parameter, output and criterion it names exists in its
//! runbook. Only [`super::validator`] builds it.

use std::sync::Arc;

use serde_json::Value;

use crate::foundation::source::{SourceFile, Span};

#[derive(Debug)]
pub struct TestFile {
    pub runbook: String,
    pub cases: Vec<Case>,
    pub source: Arc<SourceFile>,
}

#[derive(Debug)]
pub struct Case {
    pub name: String,
    /// Parameter values as `runbook run` takes them on its command line (`--name TEXT`), in the file's order.
    pub params: Vec<(String, String)>,
    /// The scripted answers, one script per (step, operation).
    pub scripts: Vec<Script>,
    /// Gate decisions by step id: true approves, false refuses.
    pub approvals: Vec<(String, bool)>,
    pub expect: Expectations,
    pub span: Span,
}

/// The answers one step's calls of one operation get, in call order.
#[derive(Debug, Clone)]
pub struct Script {
    pub step: String,
    /// `service.Operation`.
    pub operation: String,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Output(Value),
    Error {
        code: String,
        message: String,
        status: u16,
    },
}

#[derive(Debug, Default)]
pub struct Expectations {
    /// The run's outcome: `succeeded`, `failed`, `refused`, `awaiting_approval`.
    pub status: Option<String>,
    /// Text the run's error contains.
    pub error: Option<String>,
    /// Step statuses by step id.
    pub steps: Vec<(String, String)>,
    /// Every write sent, in order, retries included; `None`: not checked.
    pub writes: Option<Vec<ExpectedWrite>>,
    /// Steps whose writes must not be sent.
    pub not_sent: Vec<String>,
    /// (step, output name, value).
    pub outputs: Vec<(String, String, Value)>,
    /// (criterion name, held).
    pub success_criteria: Vec<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedWrite {
    pub step: String,
    pub operation: String,
    pub request: Value,
}
