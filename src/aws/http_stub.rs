//! Plain HTTP requests (`http.request`, `http.send`) in `runbook test`: they go through reqwest, not the SDK, so
//! [`super::stub`]'s transport never sees them. The action hands each attempt to an [`HttpTransport`]: the
//! network in a real run, the case's script in a test, which answers with a status, headers and a body, or with a
//! connection failure, and the action reads that answer exactly as it reads one from the network.

use std::sync::Arc;

use super::Effect;

/// The code of the error an HTTP request the case does not answer gets: never retried, so the step fails at once.
pub const UNSCRIPTED: &str = "UnscriptedCall";
use super::stub::Responder;
pub use crate::language::test_file::ConnectionFailure;

/// Where an HTTP attempt goes.
#[derive(Clone)]
pub enum HttpTransport {
    Network(&'static reqwest::Client),
    /// `runbook test`: the case answers.
    Scripted(Arc<dyn Responder>),
}

/// One HTTP attempt on its way out, as the script is told it.
#[derive(Clone, Debug)]
pub struct HttpSending {
    /// The step that sends it, when the engine labelled the attempt.
    pub step: Option<String>,
    pub method: String,
    pub url: String,
    pub effect: Effect,
}

/// What the script answers an HTTP attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpAnswer {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// The request never got an answer.
    Failed(ConnectionFailure),
    /// The case has no answer for it: `message` says which step and how to add one.
    Unscripted { message: String },
}
