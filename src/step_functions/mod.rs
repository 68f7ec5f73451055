//! `runbook export --to step-functions`: a validated runbook as an Amazon States Language definition, or the list
//! of every construct that has no faithful translation, each at its `file:line:col` and saying why.
//!
//! The definition uses JSONPath, not JSONata: moto (our emulator) runs JSONPath definitions as they are, while
//! JSONata needs its evaluator patched in by a launcher (issue 15); what JSONPath cannot say is refused, not
//! approximated. The state the definition carries from state to state is `{"params": …, "steps": {ID: …}}`:
//! execution input gives the parameters (defaults merged in by the first two states), each step's result lands
//! under `$.steps.ID` as `{"status": "succeeded", "output": <response>, <each declared output>}`, a skipped step
//! as `{"status": "skipped", "output": null}`.
//!
//! What maps: steps in an order that respects `needs` (one after another: independent steps do not overlap, so the
//! run is slower but sees the same results), `when` (a Choice, else a Pass recording `skipped`), actions that are
//! exactly one AWS call (an `aws-sdk` task), `retry` (Retry with doubling delays up to the step's maximum and full
//! jitter, on throttling errors only for a write, as the engine does), a step's `timeout` (TimeoutSeconds),
//! `check` and `success_criteria` (a Choice to a Fail carrying the message), `core.sleep` (Wait), `core.log`
//! (Pass), `core.fail` (Fail), `core.noop` (Pass) and `approve` (an SNS message with the prompt and the task
//! token, answered by SendTaskSuccess or SendTaskFailure, with the gate's timeout). `verify` and `outcome` serve
//! `runbook resume` and the summary, which have no counterpart there, so they are left out.
//!
//! Refused, each with a reason: paged list actions and composites (more than one call), `wait`, `for_each`,
//! `on_error: continue`, `on_failure`, `vars`, templated parameter defaults, and any expression beyond
//! [`expression`]'s subset.

mod expression;
pub mod history;
pub mod jsonata;
mod service;
mod template;

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::actions::Execute;
use crate::foundation::diagnostic::{Diagnostic, Diagnostics, ErrorKind};
use crate::foundation::source::Span;
use crate::language::action_shape::Effect;
use crate::language::raw::OnError;
use crate::language::runbook::{ActionStep, Approval, ParamDefault, Runbook, Step, StepKind, Text};
use expression::{Reference, Resolve, Segment, Untranslatable, json_path};

/// What the definition needs besides the runbook.
pub struct Options {
    /// The SNS topic approval prompts are published to, with the task token to answer them.
    pub approval_topic: Option<String>,
}

/// The state machine definition, or every reason it cannot be written.
pub fn export(runbook: &Runbook, options: &Options) -> Result<Value, Vec<Diagnostic>> {
    let mut export = Export {
        runbook,
        options,
        states: Map::new(),
        problems: Diagnostics::new(&runbook.source),
    };
    export.refuse_unsupported_runbook_keys();
    let order = topological_order(runbook);
    let entries: Vec<String> = order
        .iter()
        .map(|&i| entry_name(&runbook.steps[i]))
        .collect();
    export.start(entries.first().map_or(FINISH, String::as_str));
    for (position, &index) in order.iter().enumerate() {
        let next = entries.get(position + 1).map_or(FINISH, String::as_str);
        export.step(&runbook.steps[index], next);
    }
    export.finish();
    if !export.problems.is_empty() {
        return Err(export.problems.into_sorted());
    }
    Ok(json!({
        // The runbook's name, not its path: a path names the exporting machine's folders and changes the
        // definition (and the deployed state machine) with every checkout.
        "Comment": format!("{} (exported from runbook {})", runbook.description, runbook.name),
        "QueryLanguage": "JSONPath",
        "StartAt": "parameters",
        "States": export.states,
    }))
}

/// The state the last step hands on to: the success criteria.
const FINISH: &str = "success_criteria";

fn entry_name(step: &Step) -> String {
    if step.when.is_some() {
        format!("{}.when", step.id)
    } else {
        step.id.clone()
    }
}

/// Kahn's order with file order breaking ties, so the definition reads like the runbook.
fn topological_order(runbook: &Runbook) -> Vec<usize> {
    let mut done = vec![false; runbook.steps.len()];
    let mut order = Vec::with_capacity(runbook.steps.len());
    while order.len() < runbook.steps.len() {
        let Some(ready) = (0..runbook.steps.len())
            .find(|&i| !done[i] && runbook.steps[i].needs.iter().all(|&n| done[n]))
        else {
            break; // The validator refuses cycles; nothing else leaves no step ready.
        };
        done[ready] = true;
        order.push(ready);
    }
    order
}

struct Export<'a> {
    runbook: &'a Runbook,
    options: &'a Options,
    states: Map<String, Value>,
    problems: Diagnostics,
}

impl Export<'_> {
    fn refuse(&mut self, what: impl Into<String>, reason: impl Into<String>, span: Span) {
        self.problems.error(
            ErrorKind::NotExportable {
                what: what.into(),
                reason: reason.into(),
            },
            span,
        );
    }

    /// Refuses a piece of `text` that has no translation, pointing at the piece.
    fn refuse_in(&mut self, what: &str, text: &Text, error: Untranslatable) {
        let span = inner_span(&self.runbook.source, text, &error.at);
        self.refuse(what, error.reason, span);
    }

    fn refuse_unsupported_runbook_keys(&mut self) {
        let runbook = self.runbook;
        if let Some(var) = runbook.vars.first() {
            self.refuse(
                "`vars`",
                "variables are templates computed during the run; not translated yet",
                var.span,
            );
        }
        if let Some(step) = runbook.on_failure.first() {
            self.refuse(
                "`on_failure`",
                "a Catch around the whole body is not translated yet",
                step.span,
            );
        }
        for param in &runbook.params {
            if let Some(ParamDefault::Template(text)) = &param.default {
                self.refuse(
                    format!("the default of `{}`", param.name),
                    "a default computed from other parameters is not translated",
                    text.span,
                );
            }
        }
    }

    /// Parameter defaults merged under the execution input, and an empty map of step results.
    fn start(&mut self, first: &str) {
        let defaults: Map<String, Value> = self
            .runbook
            .params
            .iter()
            .filter_map(|param| match &param.default {
                Some(ParamDefault::Value(value)) => Some((param.name.clone(), value.clone())),
                _ => None,
            })
            .collect();
        self.states.insert(
            "parameters".into(),
            json!({
                "Type": "Pass",
                "Comment": "The execution input is the parameters; defaults fill the ones it leaves out",
                "Parameters": {"defaults": defaults, "given.$": "$"},
                "Next": "parameters.merged",
            }),
        );
        self.states.insert(
            "parameters.merged".into(),
            json!({
                "Type": "Pass",
                "Parameters": {
                    "params.$": "States.JsonMerge($.defaults, $.given, false)",
                    "steps": {},
                },
                "Next": first,
            }),
        );
    }

    fn step(&mut self, step: &Step, next: &str) {
        if let Some(for_each) = &step.for_each {
            self.refuse(
                "`for_each`",
                "an inline Map is not translated yet",
                for_each.items.span,
            );
        }
        if step.on_error == OnError::Continue {
            self.refuse(
                "`on_error: continue`",
                "a Catch that records the failure and goes on is not translated yet",
                step.span,
            );
        }
        if let Some(when) = &step.when {
            let resolve = Scope::new(self.runbook, None);
            match expression::choice_rule(&when.source, &resolve) {
                Ok(mut rule) => {
                    rule["Next"] = json!(step.id);
                    let skipped = format!("{}.skipped", step.id);
                    self.states.insert(
                        format!("{}.when", step.id),
                        json!({"Type": "Choice", "Choices": [rule], "Default": skipped}),
                    );
                    self.states.insert(
                        skipped,
                        json!({
                            "Type": "Pass",
                            "Result": {"status": "skipped", "output": null},
                            "ResultPath": format!("$.steps.{}", step.id),
                            "Next": next,
                        }),
                    );
                }
                Err(error) => self.refuse_in("`when`", when, error),
            }
        }
        match &step.kind {
            StepKind::Approval(approval) => self.approval(step, approval, next),
            StepKind::Action(action) => self.action(step, action, next),
            // The child's steps are in the graph with the child's own params and vars; translating them needs a
            // scope per frame (or a nested state machine), so the whole export is refused rather than approximated.
            StepKind::Runbook(_) => self.refuse(
                "a `runbook:` step",
                "a nested runbook (its own params, vars and outputs) is not translated yet",
                step.span,
            ),
        }
    }

    fn approval(&mut self, step: &Step, approval: &Approval, next: &str) {
        let resolve = Scope::new(self.runbook, None);
        let prompt = match template::translate(&approval.prompt.source, &resolve) {
            Ok(template::Translated::Literal(text)) => Some(format!("'{}'", intrinsic_text(&text))),
            Ok(template::Translated::Dynamic(path)) => Some(path),
            Err(error) => {
                self.refuse_in("the approval prompt", &approval.prompt, error);
                None
            }
        };
        let topic = self.options.approval_topic.clone();
        if topic.is_none() {
            self.problems
                .error(
                    ErrorKind::NotExportable {
                        what: format!("approval gate `{}`", step.id),
                        reason: "its prompt is published to an SNS topic with the task token, and no topic was given"
                            .into(),
                    },
                    step.span,
                )
                .set_hint("pass --approval-topic ARN; the gate is answered with SendTaskSuccess or SendTaskFailure and the token");
        }
        let (Some(prompt), Some(topic)) = (prompt, topic) else {
            return;
        };
        self.states.insert(
            step.id.clone(),
            json!({
                "Type": "Task",
                "Comment": "Waits for SendTaskSuccess (approved) or SendTaskFailure (refused) with the task token in the message",
                "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                "Parameters": {
                    "TopicArn": topic,
                    "Message.$": format!("States.Format('{{}}\n\nTask token (SendTaskSuccess to approve, SendTaskFailure to refuse): {{}}', {prompt}, $$.Task.Token)"),
                },
                "TimeoutSeconds": seconds(approval.timeout),
                "ResultSelector": {"status": "succeeded", "output.$": "$"},
                "ResultPath": format!("$.steps.{}", step.id),
                "Next": next,
            }),
        );
    }

    fn action(&mut self, step: &Step, action: &ActionStep, next: &str) {
        if let Some(wait) = &action.wait {
            self.refuse(
                "`wait`",
                "a Wait/Choice polling loop bounded by the timeout is not translated yet",
                wait.until.span,
            );
        }
        let after_task = if action.check.is_empty() {
            next.to_string()
        } else {
            format!("{}.check", step.id)
        };
        if let Some(state) = self.task(step, action, &after_task) {
            self.states.insert(step.id.clone(), state);
        }
        if !action.check.is_empty() {
            let checks: Vec<(&Text, Option<&Text>)> = action
                .check
                .iter()
                .map(|check| (&check.that, check.message.as_ref()))
                .collect();
            self.assertions(
                &after_task,
                &format!("{}.failed", step.id),
                &checks,
                Some(&step.id),
                next,
            );
        }
    }

    /// The state of a step's action, `None` (with the reasons recorded) when it has none.
    fn task(&mut self, step: &Step, action: &ActionStep, next: &str) -> Option<Value> {
        let name = action.shape.name;
        let result_path = format!("$.steps.{}", step.id);
        let resolve = Scope::new(self.runbook, Some(&step.id));
        let string_member = |member: &str| {
            action
                .with
                .get(member)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let calls_aws = !name.starts_with("core.");
        // A call's outputs are selected from its response; a built-in's are computed from the carried state.
        let output_scope = if calls_aws {
            Scope::new(self.runbook, Some(&step.id)).selecting_from_result()
        } else {
            Scope::new(self.runbook, None)
        };
        let mut outputs = Map::new();
        let mut outputs_translate = true;
        for (output, text) in &action.outputs {
            match expression::reference_path(&text.source, &output_scope) {
                Ok(path) => {
                    outputs.insert(format!("{output}.$"), json!(path));
                }
                Err(error) => {
                    outputs_translate = false;
                    self.refuse_in(&format!("output `{output}`"), text, error);
                }
            }
        }
        if !calls_aws {
            let state = self.built_in(
                step,
                name,
                string_member("message"),
                string_member("duration"),
                outputs,
                &result_path,
                next,
            );
            return state.filter(|_| outputs_translate);
        }
        let spec = crate::actions::lookup(name)?;
        let parameters = match template::parameters(&action.with, &resolve) {
            Ok(parameters) => Some(parameters),
            Err(error) => {
                let text = Text {
                    source: String::new(),
                    span: step.span,
                };
                self.refuse_in("`with`", &text, error);
                None
            }
        };
        let Execute::Call(_) = spec.execute else {
            let reason = match spec.execute {
                Execute::Paged(..) => {
                    "it reads every page of a list; an aws-sdk task returns the first page only"
                }
                _ => {
                    "it makes several calls, each retried and journaled by the engine; expanding it into states is not done yet"
                }
            };
            self.refuse(format!("`{name}`"), reason, step.span);
            return None;
        };
        let parameters = parameters.filter(|_| outputs_translate)?;
        let (service, operation) = name.split_once('.')?;
        let mut selector = Map::new();
        selector.insert("status".into(), json!("succeeded"));
        selector.insert("output.$".into(), json!("$"));
        selector.extend(outputs);
        let mut state = json!({
            "Type": "Task",
            "Resource": format!("arn:aws:states:::aws-sdk:{}:{}", service::integration_name(service), lower_first(operation)),
            "Parameters": parameters,
            "ResultSelector": selector,
            "ResultPath": result_path,
            "Next": next,
        });
        if let Some(timeout) = action.timeout {
            state["TimeoutSeconds"] = json!(seconds(timeout));
        }
        if action.retry.attempts > 1 {
            let write = action.shape.effect == Effect::Write;
            let prefix = service::error_prefix(service);
            let mut errors: Vec<String> = crate::aws::retried_codes(write)
                .iter()
                .map(|code| format!("{prefix}.{code}"))
                .collect();
            if !write {
                errors.push("States.Timeout".into());
            }
            state["Retry"] = json!([{
                "ErrorEquals": errors,
                "IntervalSeconds": seconds(action.retry.delay).max(1),
                "MaxAttempts": action.retry.attempts - 1,
                "BackoffRate": 2.0,
                "MaxDelaySeconds": seconds(action.retry.max_delay).max(1),
                "JitterStrategy": "FULL",
            }]);
        }
        Some(state)
    }

    /// The `core.*` actions, which never leave the process: a Pass, a Wait or a Fail.
    #[allow(clippy::too_many_arguments)]
    fn built_in(
        &mut self,
        step: &Step,
        name: &str,
        message: &str,
        duration: &str,
        outputs: Map<String, Value>,
        result_path: &str,
        next: &str,
    ) -> Option<Value> {
        let resolve = Scope::new(self.runbook, None);
        let mut result = json!({"status": "succeeded", "output": {}});
        if matches!(name, "core.log" | "core.fail") {
            let text = Text {
                source: message.to_string(),
                span: step.span,
            };
            match template::translate(message, &resolve) {
                Ok(template::Translated::Literal(text)) => {
                    result["output"]["message"] = json!(text)
                }
                Ok(template::Translated::Dynamic(path)) => {
                    result["output"]["message.$"] = json!(path)
                }
                Err(error) => {
                    self.refuse_in(&format!("the message of `{name}`"), &text, error);
                    return None;
                }
            }
        }
        match name {
            "core.sleep" => {
                let duration = crate::foundation::duration::parse(duration).unwrap_or_default();
                Some(json!({"Type": "Wait", "Seconds": seconds(duration), "Next": next}))
            }
            "core.fail" => {
                let mut fail = json!({"Type": "Fail", "Error": "runbook.Failed"});
                match result["output"].get("message.$") {
                    Some(path) => fail["CausePath"] = path.clone(),
                    None => fail["Cause"] = result["output"]["message"].clone(),
                }
                Some(fail)
            }
            "core.log" | "core.noop" => {
                if let Value::Object(fields) = &mut result {
                    fields.extend(outputs);
                }
                Some(
                    json!({"Type": "Pass", "Parameters": result, "ResultPath": result_path, "Next": next}),
                )
            }
            other => {
                self.refuse(
                    format!("`{other}`"),
                    "a built-in without a translation",
                    step.span,
                );
                None
            }
        }
    }

    /// A Choice that goes on to `next` when every assertion holds, else to a Fail with the first failing one's
    /// message.
    fn assertions(
        &mut self,
        name: &str,
        failed: &str,
        assertions: &[(&Text, Option<&Text>)],
        step: Option<&str>,
        next: &str,
    ) {
        let resolve = Scope::new(self.runbook, step);
        let mut choices = Vec::new();
        for (number, (that, message)) in assertions.iter().enumerate() {
            let rule = match expression::choice_rule(&that.source, &resolve) {
                Ok(rule) => rule,
                Err(error) => {
                    self.refuse_in("the condition", that, error);
                    continue;
                }
            };
            let fail_name = format!("{failed}.{}", number + 1);
            let mut fail = json!({"Type": "Fail", "Error": "runbook.CheckFailed"});
            let message_text = message.map_or_else(
                || format!("not true: {}", that.source),
                |m| m.source.clone(),
            );
            match template::translate(&message_text, &resolve) {
                Ok(template::Translated::Literal(text)) => fail["Cause"] = json!(text),
                Ok(template::Translated::Dynamic(path)) => fail["CausePath"] = json!(path),
                Err(error) => {
                    if let Some(message) = message {
                        self.refuse_in("the message", message, error);
                    }
                    continue;
                }
            }
            self.states.insert(fail_name.clone(), fail);
            choices.push(json!({"Not": rule, "Next": fail_name}));
        }
        if !choices.is_empty() {
            self.states.insert(
                name.into(),
                json!({"Type": "Choice", "Choices": choices, "Default": next}),
            );
        } else {
            self.states
                .insert(name.into(), json!({"Type": "Pass", "Next": next}));
        }
    }

    fn finish(&mut self) {
        let owned: Vec<(Text, Text)> = self
            .runbook
            .success_criteria
            .iter()
            .map(|criterion| {
                (
                    criterion.that.clone(),
                    Text {
                        source: format!("success criterion not met: {}", criterion.name),
                        span: criterion.that.span,
                    },
                )
            })
            .collect();
        let pairs: Vec<(&Text, Option<&Text>)> = owned
            .iter()
            .map(|(that, message)| (that, Some(message)))
            .collect();
        self.assertions(FINISH, "success_criteria.failed", &pairs, None, "succeeded");
        self.states
            .insert("succeeded".into(), json!({"Type": "Succeed"}));
    }
}

/// Where references of one expression point: `params` and `steps` in the carried state, `output` in the step's
/// own result (or, for the step's declared outputs, in the raw response being selected from).
struct Scope<'a> {
    runbook: &'a Runbook,
    step: Option<&'a str>,
    selecting: bool,
}

impl<'a> Scope<'a> {
    fn new(runbook: &'a Runbook, step: Option<&'a str>) -> Scope<'a> {
        Scope {
            runbook,
            step,
            selecting: false,
        }
    }

    fn selecting_from_result(self) -> Scope<'a> {
        Scope {
            selecting: true,
            ..self
        }
    }
}

impl Resolve for Scope<'_> {
    fn path(&self, reference: &Reference) -> Result<String, Untranslatable> {
        let refused = |reason: String| Untranslatable {
            at: reference.at.clone(),
            reason,
        };
        let Some(Segment::Name(root)) = reference.segments.first() else {
            return Err(refused("not a reference".into()));
        };
        let rest = &reference.segments[1..];
        match root.as_str() {
            "output" if self.selecting => Ok(json_path("$", rest)),
            "output" => match self.step {
                Some(step) => Ok(json_path(&format!("$.steps.{step}.output"), rest)),
                None => Err(refused("`output` is not defined here".into())),
            },
            _ if self.selecting => Err(refused(
                "a declared output is selected from the response alone; one that reads anything but `output` is not translated"
                    .into(),
            )),
            "params" => {
                if let Some(Segment::Name(name)) = rest.first()
                    && self.runbook.param(name).is_some_and(|param| param.secret)
                {
                    return Err(refused("a secret parameter would be written into the execution's history".into()));
                }
                Ok(json_path("$.params", rest))
            }
            "steps" => Ok(json_path("$.steps", rest)),
            other => Err(refused(format!("`{other}` has no counterpart in the exported state"))),
        }
    }
}

/// The span of `range` (bytes of `text.source`) in the file, when the source stands there as written; else the
/// whole text's span.
fn inner_span(
    file: &crate::foundation::source::SourceFile,
    text: &Text,
    range: &std::ops::Range<usize>,
) -> Span {
    if !text.span.is_known() || text.source.is_empty() {
        return text.span;
    }
    let from = text.span.offset.min(file.text.len());
    match file.text[from..].find(&text.source) {
        Some(base) if range.start <= text.source.len() => Span {
            len: range.end.saturating_sub(range.start).max(1),
            ..file.span_at(from + base + range.start)
        },
        _ => text.span,
    }
}

fn seconds(duration: Duration) -> u64 {
    duration.as_secs()
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Text inside an intrinsic function's string literal.
fn intrinsic_text(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = matches!(c, '\'' | '{' | '}' | '\\').then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect()
}
