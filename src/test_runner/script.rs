//! A case's scripted AWS and HTTP: answers each AWS call from the case's script for (step, operation), and each
//! plain HTTP request from the script of its step, in call order, and keeps every request that reached the stub
//! transports, for the verdict.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use crate::aws::Effect;
use crate::aws::http_stub::{HttpAnswer, HttpSending};
use crate::aws::stub::{self, Responder, Sending};
use crate::language::test_file::{Answer, HttpReply, HttpScript, Script};

/// The code of the error a call the case does not answer gets: not transient, so the step fails at once.
pub const UNSCRIPTED: &str = crate::aws::http_stub::UNSCRIPTED;

/// One request that reached the (stub) wire.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    pub step: String,
    pub operation: String,
    pub effect: Effect,
    pub request: Value,
}

#[derive(Debug)]
pub struct ScriptedAws {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    queues: HashMap<(String, String), VecDeque<Answer>>,
    /// By step id.
    http_queues: HashMap<String, VecDeque<HttpReply>>,
    sent: Vec<Sent>,
    unscripted: Vec<String>,
}

impl ScriptedAws {
    pub fn new(scripts: &[Script], http: &[HttpScript]) -> ScriptedAws {
        let mut state = State::default();
        for script in http {
            state
                .http_queues
                .entry(script.step.clone())
                .or_default()
                .extend(script.answers.iter().cloned());
        }
        for script in scripts {
            state
                .queues
                .entry((script.step.clone(), script.operation.clone()))
                .or_default()
                .extend(script.answers.iter().cloned());
        }
        ScriptedAws {
            state: Mutex::new(state),
        }
    }

    /// Every request sent, in order, retries included.
    pub fn sent(&self) -> Vec<Sent> {
        self.state.lock().expect("script lock").sent.clone()
    }

    /// One line per call the case did not answer.
    pub fn unscripted(&self) -> Vec<String> {
        self.state.lock().expect("script lock").unscripted.clone()
    }

    /// One line per (step, operation) whose answers were not all asked for, of the steps for which `ran` holds.
    /// A step that never ran may keep its answers (cases share them through YAML anchors), and one that failed
    /// stopped asking.
    pub fn unused(&self, ran: impl Fn(&str) -> bool) -> Vec<String> {
        let state = self.state.lock().expect("script lock");
        let mut unused: Vec<String> = state
            .queues
            .iter()
            .filter(|((step, _), answers)| !answers.is_empty() && ran(step))
            .map(|((step, operation), answers)| {
                format!(
                    "step `{step}`: {} scripted answer(s) to {operation} never asked for",
                    answers.len()
                )
            })
            .collect();
        unused.extend(
            state
                .http_queues
                .iter()
                .filter(|(step, answers)| !answers.is_empty() && ran(step))
                .map(|(step, answers)| {
                    format!(
                        "step `{step}`: {} scripted HTTP answer(s) never asked for",
                        answers.len()
                    )
                }),
        );
        unused.sort();
        unused
    }
}

impl Responder for ScriptedAws {
    fn answer_http(&self, sending: &HttpSending) -> HttpAnswer {
        self.next_http(sending)
    }

    fn answer(&self, sending: &Sending) -> stub::Answer {
        let step = sending.step.clone().unwrap_or_else(|| "?".into());
        let operation = sending.name();
        let mut state = self.state.lock().expect("script lock");
        state.sent.push(Sent {
            step: step.clone(),
            operation: operation.clone(),
            effect: sending.effect,
            request: Value::Object(sending.members.clone()),
        });
        let next = state
            .queues
            .get_mut(&(step.clone(), operation.clone()))
            .and_then(VecDeque::pop_front);
        match next {
            Some(Answer::Output(output)) => stub::Answer::Output(output),
            Some(Answer::Error {
                code,
                message,
                status,
            }) => stub::Answer::Error {
                code,
                message,
                status,
            },
            None => {
                let calls = state
                    .sent
                    .iter()
                    .filter(|sent| sent.step == step && sent.operation == operation)
                    .count();
                let message = format!(
                    "step `{step}` called {operation} (call {calls}), which the case does not answer: add an answer under `aws: {{{step}: {{{operation}: [...]}}}}`"
                );
                state.unscripted.push(message.clone());
                stub::Answer::Error {
                    code: UNSCRIPTED.into(),
                    message,
                    status: 400,
                }
            }
        }
    }
}

impl ScriptedAws {
    fn next_http(&self, sending: &HttpSending) -> HttpAnswer {
        let step = sending.step.clone().unwrap_or_else(|| "?".into());
        // As test files name it: an expected write defaults to its step's action.
        let operation = match sending.effect {
            Effect::Read => "http.request",
            Effect::Write => "http.send",
        }
        .to_string();
        let mut state = self.state.lock().expect("script lock");
        state.sent.push(Sent {
            step: step.clone(),
            operation: operation.clone(),
            effect: sending.effect,
            request: serde_json::json!({"method": sending.method, "url": sending.url}),
        });
        match state
            .http_queues
            .get_mut(&step)
            .and_then(VecDeque::pop_front)
        {
            Some(HttpReply::Response {
                status,
                headers,
                body,
            }) => HttpAnswer::Response {
                status,
                headers,
                body,
            },
            Some(HttpReply::Failed(failure)) => HttpAnswer::Failed(failure),
            None => {
                let calls = state
                    .sent
                    .iter()
                    .filter(|sent| sent.step == step && sent.operation == operation)
                    .count();
                let message = format!(
                    "step `{step}` sent {} {} (request {calls}), which the case does not answer: add an answer under `http: {{{step}: [...]}}`",
                    sending.method, sending.url
                );
                state.unscripted.push(message.clone());
                HttpAnswer::Unscripted { message }
            }
        }
    }
}
