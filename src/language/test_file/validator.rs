//! The test file's validator: raw model and its runbook in, [`TestFile`] out, or every error found. Pure, like the
//! runbook's: no network, no clock. What an action may call comes from above (the actions layer knows each
//! action's operations), handed in as a function.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::model::{
    Answer, Case, ConnectionFailure, Expectations, ExpectedWrite, HttpReply, HttpScript, Script,
    TestFile,
};
use super::raw::{Decision, RawAnswer, RawCase, RawExpect, RawHttpAnswer, RawTestFile};
use crate::foundation::diagnostic::{Diagnostic, Diagnostics, ErrorKind};
use crate::foundation::node::{self, Key, Node};
use crate::foundation::source::{SourceFile, Span};
use crate::foundation::suggest;
use crate::language::from_node::{Entries, FromNode, Spanned};
use crate::language::param_value;
use crate::language::runbook::{Runbook, Step, StepEffect};

static CASE_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9_-]*$").unwrap());

/// The actions whose requests a case answers under `http`.
const HTTP_ACTIONS: &[&str] = &["http.request", "http.send"];

const RUN_STATUSES: &[&str] = &["succeeded", "failed", "refused", "awaiting_approval"];
const STEP_STATUSES: &[&str] = &[
    "succeeded",
    "failed",
    "skipped",
    "not_run",
    "refused",
    "awaiting_approval",
];

/// The operations a step of the action `name` may call, as `service.Operation`; empty for one that calls none.
pub type OperationsOf<'a> = &'a dyn Fn(&str) -> Vec<String>;

/// Reads, parses and validates the test file of `runbook`.
pub fn load(
    file: &Arc<SourceFile>,
    runbook: &Runbook,
    operations: OperationsOf<'_>,
) -> Result<TestFile, Vec<Diagnostic>> {
    crate::language::yaml_screen::screen(file)?;
    let root = node::parse(file).map_err(|diagnostic| vec![diagnostic])?;
    let mut cx = Diagnostics::new(file);
    let raw = RawTestFile::from_node(&root, "the test file", &mut cx);
    let mut validator = Validator {
        runbook,
        operations,
        cx: &mut cx,
    };
    let cases = raw.map(|raw| validator.cases(raw));
    match cases {
        Some(cases) if cx.is_empty() => Ok(TestFile {
            runbook: runbook.name.clone(),
            cases,
            source: Arc::clone(file),
        }),
        _ => Err(cx.into_sorted()),
    }
}

struct Validator<'a> {
    runbook: &'a Runbook,
    operations: OperationsOf<'a>,
    cx: &'a mut Diagnostics,
}

impl<'a> Validator<'a> {
    fn cases(&mut self, raw: RawTestFile) -> Vec<Case> {
        let mut seen = HashSet::new();
        let mut cases = Vec::new();
        for raw_case in raw.cases.unwrap_or_default() {
            if let Some(name) = &raw_case.name
                && !seen.insert(name.value.clone())
            {
                self.cx
                    .error(
                        ErrorKind::DuplicateCase {
                            name: name.value.clone(),
                        },
                        name.span,
                    )
                    .set_hint("give each case its own name");
            }
            if let Some(case) = self.case(raw_case) {
                cases.push(case);
            }
        }
        cases
    }

    fn case(&mut self, raw: RawCase) -> Option<Case> {
        let name = raw.name?;
        if !CASE_NAME.is_match(&name.value) {
            self.cx
                .error(
                    ErrorKind::InvalidValue {
                        what: "case name".into(),
                        value: name.value.clone(),
                    },
                    name.span,
                )
                .set_hint("lowercase letters, digits, `_` and `-`, e.g. `healthy_path`");
        }
        let params = self.params(raw.params.unwrap_or_default());
        let scripts = self.scripts(raw.aws.unwrap_or_default());
        let http = self.http_scripts(raw.http.unwrap_or_default());
        let approvals = self.approvals(raw.approvals.unwrap_or_default());
        let expect = self.expect(raw.expect.unwrap_or_default());
        Some(Case {
            name: name.value,
            params,
            scripts,
            http,
            approvals,
            expect,
            span: name.span,
        })
    }

    fn params(&mut self, raw: Entries<Node>) -> Vec<(String, String)> {
        let mut params = Vec::new();
        for (key, node) in raw.0 {
            let Some(param) = self.runbook.param(&key.name) else {
                let hint = suggest::did_you_mean(
                    &key.name,
                    self.runbook.params.iter().map(|p| p.name.as_str()),
                )
                .unwrap_or_else(|| {
                    format!("`runbook show {}` lists its parameters", self.runbook.name)
                });
                self.cx
                    .error(
                        ErrorKind::UnknownParam {
                            name: key.name.clone(),
                        },
                        key_span(&key),
                    )
                    .set_hint(hint);
                continue;
            };
            let text = match node.to_json() {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            // Secrets are checked when the case runs, as `runbook run` checks them, never echoed here.
            if !param.secret
                && let Err(reason) = param_value::parse_cli(param.ty, &param.constraints, &text)
            {
                self.cx
                    .error(
                        ErrorKind::InvalidValue {
                            what: format!("value for parameter `{}`", key.name),
                            value: text.clone(),
                        },
                        node.span,
                    )
                    .set_hint(reason);
                continue;
            }
            params.push((key.name, text));
        }
        params
    }

    /// The step `key` names, main or `on_failure`, or an error with the closest id.
    fn step(&mut self, key: &str, span: Span) -> Option<&'a Step> {
        let runbook = self.runbook;
        let found = runbook
            .steps
            .iter()
            .chain(&runbook.on_failure)
            .find(|step| step.id == key);
        if found.is_none() {
            let ids = runbook
                .steps
                .iter()
                .chain(&runbook.on_failure)
                .map(|step| step.id.as_str());
            let hint = suggest::did_you_mean(key, ids)
                .unwrap_or_else(|| format!("`runbook show {}` lists its steps", runbook.name));
            self.cx
                .error(
                    ErrorKind::UnknownStep {
                        name: key.to_string(),
                    },
                    span,
                )
                .set_hint(hint);
        }
        found
    }

    fn step_operations(&self, step: &Step) -> Vec<String> {
        step.action()
            .map(|action| (self.operations)(action.shape.name))
            .unwrap_or_default()
    }

    fn scripts(&mut self, raw: Entries<Entries<Vec<RawAnswer>>>) -> Vec<Script> {
        let mut scripts = Vec::new();
        for (step_key, by_operation) in raw.0 {
            let Some(step) = self.step(&step_key.name, key_span(&step_key)) else {
                continue;
            };
            let action = step
                .action()
                .map(|action| action.shape.name.to_string())
                .unwrap_or_else(|| "an approval gate".into());
            let allowed = self.step_operations(step);
            for (operation_key, answers) in by_operation.0 {
                if !allowed.contains(&operation_key.name) {
                    let hint = suggest::did_you_mean(
                        &operation_key.name,
                        allowed.iter().map(String::as_str),
                    )
                    .unwrap_or_else(|| match allowed.as_slice() {
                        [] => format!("step `{}` makes no AWS call; remove it", step_key.name),
                        _ => format!("it calls {}", allowed.join(", ")),
                    });
                    self.cx
                        .error(
                            ErrorKind::UnknownOperation {
                                step: step_key.name.clone(),
                                action: action.clone(),
                                operation: operation_key.name.clone(),
                            },
                            key_span(&operation_key),
                        )
                        .set_hint(hint);
                    continue;
                }
                let answers = answers
                    .into_iter()
                    .filter_map(|raw| self.answer(raw))
                    .flatten()
                    .collect();
                scripts.push(Script {
                    step: step_key.name.clone(),
                    operation: operation_key.name,
                    answers,
                });
            }
        }
        scripts
    }

    /// One answer, repeated `times`.
    fn answer(&mut self, raw: RawAnswer) -> Option<Vec<Answer>> {
        let times = raw.times.as_ref().map(|times| times.value).unwrap_or(1);
        let answer = match (raw.output, raw.error) {
            (Some(output), None) => Answer::Output(output.to_json()),
            (None, Some(error)) => {
                let status = match error.status {
                    Some(status) if (400..600).contains(&status.value) => status.value as u16,
                    Some(status) => {
                        self.cx
                            .error(
                                ErrorKind::OutOfRange {
                                    what: "an error's `status`".into(),
                                    bound: "from 400 to 599".into(),
                                },
                                status.span,
                            )
                            .set_hint("throttling is 400 (or 429), a server error 500 or 503");
                        return None;
                    }
                    None => 400,
                };
                Answer::Error {
                    code: error.code?.value,
                    message: error.message.map(|m| m.value).unwrap_or_default(),
                    status,
                }
            }
            (output, _) => {
                let span = output.map(|node| node.span).unwrap_or(raw.span);
                self.cx
                    .error(
                        ErrorKind::InvalidValue {
                            what: "answer".into(),
                            value: if raw.span == span {
                                "{}".into()
                            } else {
                                "output and error".into()
                            },
                        },
                        span,
                    )
                    .set_hint("an answer is either `output: {...}` or `error: {code: ...}`");
                return None;
            }
        };
        if times == 0 || times > 10_000 {
            self.cx.error(
                ErrorKind::OutOfRange {
                    what: "`times`".into(),
                    bound: "from 1 to 10000".into(),
                },
                raw.times.map(|t| t.span).unwrap_or(raw.span),
            );
            return None;
        }
        Some(vec![answer; times as usize])
    }

    fn http_scripts(&mut self, raw: Entries<Vec<RawHttpAnswer>>) -> Vec<HttpScript> {
        let mut scripts = Vec::new();
        for (step_key, answers) in raw.0 {
            let Some(step) = self.step(&step_key.name, key_span(&step_key)) else {
                continue;
            };
            let action = step.action().map(|action| action.shape.name).unwrap_or("");
            if !HTTP_ACTIONS.contains(&action) {
                self.cx
                    .error(
                        ErrorKind::InvalidValue {
                            what: "step for `http` (an http.request or http.send step)".into(),
                            value: step_key.name.clone(),
                        },
                        key_span(&step_key),
                    )
                    .set_hint(match action {
                        "" => "an approval gate sends nothing".to_string(),
                        action => format!("its action is {action}: answer its calls under `aws`"),
                    });
                continue;
            }
            let answers = answers
                .into_iter()
                .filter_map(|raw| self.http_answer(raw))
                .flatten()
                .collect();
            scripts.push(HttpScript {
                step: step_key.name,
                answers,
            });
        }
        scripts
    }

    /// One HTTP answer, repeated `times`.
    fn http_answer(&mut self, raw: RawHttpAnswer) -> Option<Vec<HttpReply>> {
        let has_response = raw.status.is_some() || raw.headers.is_some() || raw.body.is_some();
        let reply = match (raw.status, raw.error) {
            (Some(status), None) => {
                if !(100..600).contains(&status.value) {
                    self.cx
                        .error(
                            ErrorKind::OutOfRange {
                                what: "an HTTP answer's `status`".into(),
                                bound: "from 100 to 599".into(),
                            },
                            status.span,
                        )
                        .set_hint("200 for a healthy endpoint, 429 when throttled, 503 when down");
                    return None;
                }
                let headers = raw
                    .headers
                    .unwrap_or_default()
                    .0
                    .into_iter()
                    .map(|(key, value)| {
                        let text = match value.to_json() {
                            serde_json::Value::String(text) => text,
                            other => other.to_string(),
                        };
                        (key.name, text)
                    })
                    .collect();
                let body = match raw.body.map(|body| body.to_json()) {
                    None | Some(serde_json::Value::Null) => Vec::new(),
                    Some(serde_json::Value::String(text)) => text.into_bytes(),
                    Some(json) => json.to_string().into_bytes(),
                };
                HttpReply::Response {
                    status: status.value as u16,
                    headers,
                    body,
                }
            }
            (None, Some(error)) if !has_response => match ConnectionFailure::named(&error.value) {
                Some(failure) => HttpReply::Failed(failure),
                None => {
                    let names = ConnectionFailure::NAMES.iter().map(|(name, _)| *name);
                    let hint =
                        suggest::did_you_mean(&error.value, names.clone()).unwrap_or_else(|| {
                            format!("one of: {}", names.collect::<Vec<_>>().join(", "))
                        });
                    self.cx
                        .error(
                            ErrorKind::InvalidValue {
                                what: "connection failure".into(),
                                value: error.value.clone(),
                            },
                            error.span,
                        )
                        .set_hint(hint);
                    return None;
                }
            },
            (_, error) => {
                self.cx
                    .error(
                        ErrorKind::InvalidValue {
                            what: "HTTP answer".into(),
                            value: if error.is_some() {
                                "a response and an error".into()
                            } else {
                                "a response without a status".into()
                            },
                        },
                        error.map(|error| error.span).unwrap_or(raw.span),
                    )
                    .set_hint("an HTTP answer is either `status: 200` (with `headers` and `body`) or `error: refused|timeout|reset`");
                return None;
            }
        };
        let times = self.times(raw.times, raw.span)?;
        Some(vec![reply; times])
    }

    /// How often an answer is given: `times`, default 1.
    fn times(&mut self, times: Option<Spanned<u64>>, answer: Span) -> Option<usize> {
        let count = times.as_ref().map(|times| times.value).unwrap_or(1);
        if count == 0 || count > 10_000 {
            self.cx.error(
                ErrorKind::OutOfRange {
                    what: "`times`".into(),
                    bound: "from 1 to 10000".into(),
                },
                times.map(|t| t.span).unwrap_or(answer),
            );
            return None;
        }
        Some(count as usize)
    }

    fn approvals(&mut self, raw: Entries<Spanned<Decision>>) -> Vec<(String, bool)> {
        let mut approvals = Vec::new();
        for (key, decision) in raw.0 {
            let Some(step) = self.step(&key.name, key_span(&key)) else {
                continue;
            };
            if step.effect() != StepEffect::Approval {
                self.cx
                    .error(
                        ErrorKind::NotAGate {
                            step: key.name.clone(),
                        },
                        key_span(&key),
                    )
                    .set_hint("only steps with `approve:` take a decision");
                continue;
            }
            approvals.push((key.name, decision.value == Decision::Approve));
        }
        approvals
    }

    fn expect(&mut self, raw: RawExpect) -> Expectations {
        let status = raw
            .status
            .and_then(|status| self.one_of(status, RUN_STATUSES, "run status"));
        let mut steps = Vec::new();
        for (key, status) in raw.steps.unwrap_or_default().0 {
            if self.step(&key.name, key_span(&key)).is_some()
                && let Some(status) = self.one_of(status, STEP_STATUSES, "step status")
            {
                steps.push((key.name, status));
            }
        }
        let writes = raw.writes.map(|writes| {
            writes
                .into_iter()
                .filter_map(|write| {
                    let step_name = write.step?;
                    let step = self.step(&step_name.value, step_name.span)?;
                    let allowed = self.step_operations(step);
                    let is_write = step.effect() == StepEffect::Write;
                    let operation = match write.operation {
                        Some(operation) if allowed.contains(&operation.value) => operation.value,
                        Some(operation) => {
                            let action = step.action().map(|a| a.shape.name).unwrap_or("-").to_string();
                            self.cx
                                .error(
                                    ErrorKind::UnknownOperation {
                                        step: step_name.value.clone(),
                                        action,
                                        operation: operation.value.clone(),
                                    },
                                    operation.span,
                                )
                                .set_hint(format!("it calls {}", allowed.join(", ")));
                            return None;
                        }
                        None => step.action()?.shape.name.to_string(),
                    };
                    if !is_write {
                        self.cx
                            .error(ErrorKind::NotAWrite { step: step_name.value.clone() }, step_name.span)
                            .set_hint("`writes` lists the requests of write steps; reads are checked by `steps` and `outputs`");
                        return None;
                    }
                    Some(ExpectedWrite {
                        step: step_name.value,
                        operation,
                        request: write.request?.to_json(),
                    })
                })
                .collect()
        });
        let mut not_sent = Vec::new();
        for step_name in raw.not_sent.unwrap_or_default() {
            let Some(step) = self.step(&step_name.value, step_name.span) else {
                continue;
            };
            if step.effect() != StepEffect::Write {
                self.cx
                    .error(
                        ErrorKind::NotAWrite {
                            step: step_name.value.clone(),
                        },
                        step_name.span,
                    )
                    .set_hint("`not_sent` names write steps");
                continue;
            }
            not_sent.push(step_name.value);
        }
        let mut outputs = Vec::new();
        for (step_key, names) in raw.outputs.unwrap_or_default().0 {
            let Some(step) = self.step(&step_key.name, key_span(&step_key)) else {
                continue;
            };
            let declared: Vec<String> = step
                .action()
                .map(|action| {
                    action
                        .outputs
                        .iter()
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
            for (name_key, value) in names.0 {
                if !declared.contains(&name_key.name) && name_key.name != "output" {
                    let hint =
                        suggest::did_you_mean(&name_key.name, declared.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                format!(
                                    "its outputs: {}, and `output` (the response)",
                                    declared.join(", ")
                                )
                            });
                    self.cx
                        .error(
                            ErrorKind::UnknownOutput {
                                other: step_key.name.clone(),
                                name: name_key.name.clone(),
                            },
                            key_span(&name_key),
                        )
                        .set_hint(hint);
                    continue;
                }
                outputs.push((step_key.name.clone(), name_key.name, value.to_json()));
            }
        }
        let mut success_criteria = Vec::new();
        for (key, held) in raw.success_criteria.unwrap_or_default().0 {
            let names = self
                .runbook
                .success_criteria
                .iter()
                .map(|c| c.name.as_str());
            if !self
                .runbook
                .success_criteria
                .iter()
                .any(|c| c.name == key.name)
            {
                let hint = suggest::did_you_mean(&key.name, names).unwrap_or_else(|| {
                    "name a criterion of the runbook's `success_criteria`".into()
                });
                self.cx
                    .error(
                        ErrorKind::UnknownCriterion {
                            name: key.name.clone(),
                        },
                        key_span(&key),
                    )
                    .set_hint(hint);
                continue;
            }
            success_criteria.push((key.name, held.value));
        }
        Expectations {
            status,
            error: raw.error.map(|error| error.value),
            steps,
            writes,
            not_sent,
            outputs,
            success_criteria,
        }
    }

    fn one_of(&mut self, value: Spanned<String>, allowed: &[&str], what: &str) -> Option<String> {
        if allowed.contains(&value.value.as_str()) {
            return Some(value.value);
        }
        let hint = suggest::did_you_mean(&value.value, allowed.iter().copied())
            .unwrap_or_else(|| format!("one of: {}", allowed.join(", ")));
        self.cx
            .error(
                ErrorKind::InvalidValue {
                    what: what.into(),
                    value: value.value,
                },
                value.span,
            )
            .set_hint(hint);
        None
    }
}

/// A key's own span (the key's name, not its value).
fn key_span(key: &Key) -> Span {
    Span {
        len: key.name.len(),
        ..key.span
    }
}
