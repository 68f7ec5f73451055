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
    /// The scripted answers to plain HTTP requests, one script per step.
    pub http: Vec<HttpScript>,
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

/// The answers one `http.request` or `http.send` step's requests get, in request order.
#[derive(Debug, Clone)]
pub struct HttpScript {
    pub step: String,
    pub answers: Vec<HttpReply>,
}

/// One scripted answer to an HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpReply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Failed(ConnectionFailure),
}

/// How a request can fail without an answer, as a case scripts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionFailure {
    /// Nothing was sent (even a write may be sent again).
    Refused,
    /// No answer in time.
    Timeout,
    /// The connection broke after the request may have been sent.
    Reset,
}

impl ConnectionFailure {
    /// The names test files use, for the validator and its hint.
    pub const NAMES: &'static [(&'static str, ConnectionFailure)] = &[
        ("refused", ConnectionFailure::Refused),
        ("timeout", ConnectionFailure::Timeout),
        ("reset", ConnectionFailure::Reset),
    ];

    pub fn named(name: &str) -> Option<ConnectionFailure> {
        Self::NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, failure)| *failure)
    }
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
