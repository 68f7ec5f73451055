//! A case's scripted AWS: answers each call from the case's script for (step, operation), in call order, and
//! keeps every request that reached the stub transport, for the verdict.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use crate::aws::Effect;
use crate::aws::stub::{self, Responder, Sending};
use crate::language::test_file::{Answer, Script};

/// The code of the error a call the case does not answer gets: not transient, so the step fails at once.
pub const UNSCRIPTED: &str = "UnscriptedCall";

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
    sent: Vec<Sent>,
    unscripted: Vec<String>,
}

impl ScriptedAws {
    pub fn new(scripts: &[Script]) -> ScriptedAws {
        let mut state = State::default();
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
        unused.sort();
        unused
    }
}

impl Responder for ScriptedAws {
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
