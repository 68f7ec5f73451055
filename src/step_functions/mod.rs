//! `runbook export --to step-functions`: a validated runbook as an Amazon States Language definition, or the list
//! of every construct that has no faithful translation, each at its `file:line:col` and saying why.
//!
//! The definition is written in JSONata (`QueryLanguage: JSONata`): our templates and expressions translate to
//! it (see [`jsonata`]), where JSONPath could say little beyond plain references. What the run knows lives in
//! JSONata variables, assigned as states finish, so any state reads any earlier result:
//! - `$params`: the execution input over the declared defaults; every declared parameter is there, `null` when
//!   neither gives it, so a reference never meets JSONata's `undefined`;
//! - `$run`: `id` (the execution's name), `name`, `started_at`, and `error` once the body failed;
//! - `$vars`: the runbook's `vars`, each computed in file order over the ones above it;
//! - `$steps`: per step id, `{"status": "succeeded", "output": <response>, <each declared output>}`,
//!   `{"status": "skipped", "output": null}` for a step whose `when` was false, and `status: failed` with the
//!   `error` for a step that failed with `on_error: continue`.
//!
//! The execution's output is `{"params": …, "steps": …}`.
//!
//! What maps: steps in stages that respect `needs` ([`stages`]): a stage is one step, or steps none of which
//! needs another, run side by side as a Parallel state with a branch per step. A Parallel is a barrier: the next
//! stage starts when the slowest branch ends, where the engine starts a step as soon as its own `needs` are done.
//! That only delays steps; the results are the same, since a step reads only the records of the steps it needs
//! (directly or through others), and those are all recorded before its stage starts. An approval gate is always a stage of
//! its own, and no step moves ahead of a gate it used to follow. `when` (a Choice, else a Pass recording `skipped`), actions that are
//! exactly one AWS call (an `aws-sdk` task with `Arguments` from `with:`), paged list actions ([`pages`]), `wait`
//! ([`polling`]), `for_each` ([`for_each`]), `dynamodb.count_items` ([`count_items`]), `sqs.move_messages`
//! ([`move_messages`]), the Iceberg snapshot listings and rollbacks ([`iceberg`]), `http.request` and `http.send`
//! (the HTTP task, through the EventBridge connection `--http-connection` names, [`http_request`]), `retry` (Retry with doubling delays up to the step's maximum and full jitter, on
//! throttling errors only for a write, as the engine does), a step's `timeout` (TimeoutSeconds), `check` and
//! `success_criteria` (each evaluated into a list, then a Choice to a Fail carrying the message), `on_error: continue` and `on_failure` (a Catch on
//! each task, see [`Failure`]), `outputs` (assigned with the step's result), `core.sleep` (Wait), `core.log` and
//! `core.noop` (Pass), `core.fail` (Fail) and `approve` (an SNS message with the prompt and the task token,
//! answered by SendTaskSuccess or SendTaskFailure, with the gate's timeout). `verify` and `outcome` serve
//! `runbook resume` and the summary, which have no counterpart there, so they are left out.
//!
//! A `runbook:` step's child is inlined where the step stands, with names of its own ([`nested`]).
//!
//! Refused, each with a reason: templated parameter defaults, a templated `core.sleep` duration,
//! secret parameters (their values would be written into the execution's history), the composites without an
//! expansion, a step id that is one of the run's own states' names ([`state_name::RUN_STATES`]), and any
//! expression [`jsonata`] cannot translate.

mod aws_sdk_task;
mod count_items;
mod for_each;
pub mod history;
pub mod http_request;
pub mod iceberg;
pub mod jsonata;
mod member_case;
mod move_messages;
mod nested;
mod pages;
mod polling;
mod service;
pub mod state_name;

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::actions::Execute;
use crate::foundation::diagnostic::{Diagnostic, Diagnostics, ErrorKind};
use crate::foundation::source::Span;
use crate::foundation::template::{expression_references, is_template, template_references};
use crate::language::action_shape::Effect;
use crate::language::raw::{OnError, ParamTypeName};
use crate::language::runbook::{ActionStep, Approval, ParamDefault, Runbook, Step, StepKind, Text};
use jsonata::{Scope, Untranslatable};
use member_case::{MemberCase, Unrenameable};
use nested::{Level, Variables, local_id};
use state_name::{FINISH, ON_FAILURE, PARAMETERS, SUCCEEDED};

/// What the definition needs besides the runbook.
#[derive(Default)]
pub struct Options {
    /// The SNS topic approval prompts are published to, with the task token to answer them.
    pub approval_topic: Option<String>,
    /// The EventBridge connection `http.request` and `http.send` steps call their endpoint through (Step
    /// Functions' HTTP task, see [`http_request`]).
    pub http_connection: Option<String>,
    /// Parameter values given at export: the definition's defaults for them (an execution's input still wins).
    pub defaults: Map<String, Value>,
}

/// The state machine definition, or every reason it cannot be written.
pub fn export(runbook: &Runbook, options: &Options) -> Result<Value, Vec<Diagnostic>> {
    let mut export = Export {
        runbook,
        options,
        states: Map::new(),
        problems: Diagnostics::new(&runbook.source),
        variables: Variables::RUNBOOK,
    };
    export.refuse_unsupported_runbook_keys();
    let failure = export.body_failure();
    let first = export.level(
        &Level::of(runbook, None),
        &state_name::parallel,
        FINISH,
        &failure,
    );
    // The run's first states first, so the definition reads in the order it runs.
    let body = std::mem::take(&mut export.states);
    export.start(&first);
    export.states.extend(body);
    export.finish();
    if !export.problems.is_empty() {
        return Err(export.problems.into_sorted());
    }
    Ok(json!({
        // The runbook's name, not its path: a path names the exporting machine's folders and changes the
        // definition (and the deployed state machine) with every checkout.
        "Comment": format!("{} (exported from runbook {})", runbook.description, runbook.name),
        "QueryLanguage": "JSONata",
        "StartAt": PARAMETERS,
        "States": export.states,
    }))
}

/// The variable the step records are kept in.
const STEPS: &str = "steps";
/// A Parallel branch's copy of the step records: a branch may read the variables of the states around it but
/// not assign them, so its step writes its record here and the branch's output carries it out.
const BRANCH_STEPS: &str = "branch_steps";
/// Whether each success criterion held, in order: the history reader journals them from it.
pub(crate) const CRITERIA_HELD: &str = "criteria_held";

fn entry_name(step: &Step) -> String {
    if step.when.is_some() {
        state_name::when(&step.id)
    } else {
        body_entry(step)
    }
}

/// Kahn's order with file order breaking ties, so the definition reads like the runbook.
fn topological_order(level: &Level) -> Vec<usize> {
    let mut done = vec![false; level.needs.len()];
    let mut order = Vec::with_capacity(level.members.len());
    while order.len() < level.members.len() {
        let Some(ready) = level
            .members
            .iter()
            .copied()
            .find(|&i| !done[i] && level.needs[i].iter().all(|&n| done[n]))
        else {
            break; // The validator refuses cycles; nothing else leaves no step ready.
        };
        done[ready] = true;
        order.push(ready);
    }
    order
}

/// The order cut into stages, each run after the one before: a stage is one step, or steps none of which needs
/// another, which run side by side (a Parallel state, one branch per step). An approval gate is a stage of its
/// own and stages never cross it: the steps before a gate are the ones the one-after-another order runs before
/// it, so no write moves ahead of a gate it followed. A `runbook:` step is a stage of its own too (see
/// [`nested`]).
fn stages(level: &Level, order: &[usize]) -> Vec<Vec<usize>> {
    let mut stages = Vec::new();
    let mut segment: Vec<usize> = Vec::new();
    let close = |segment: &mut Vec<usize>, stages: &mut Vec<Vec<usize>>| {
        // A step's level is one past the deepest step of the segment it needs: steps of one level are
        // independent of each other, and each level needs only the levels before it.
        let mut depths = vec![0usize; level.needs.len()];
        let mut levels: Vec<Vec<usize>> = Vec::new();
        for &index in segment.iter() {
            let depth = level.needs[index]
                .iter()
                .filter(|needed| segment.contains(needed))
                .map(|&needed| depths[needed] + 1)
                .max()
                .unwrap_or(0);
            depths[index] = depth;
            if levels.len() <= depth {
                levels.resize_with(depth + 1, Vec::new);
            }
            levels[depth].push(index);
        }
        stages.extend(levels);
        segment.clear();
    };
    for &index in order {
        if level.alone[index] {
            close(&mut segment, &mut stages);
            stages.push(vec![index]);
        } else {
            segment.push(index);
        }
    }
    close(&mut segment, &mut stages);
    stages
}

/// A JSONata expression as a field's value.
fn jsonata_field(text: &str) -> Value {
    Value::String(format!("{{% {text} %}}"))
}

/// A JSON value as JSONata text (JSON is JSONata), for literals inside a larger expression.
fn literal(value: &Value) -> String {
    value.to_string()
}

/// The names every expression may read: the variables the definition assigns, the step records (`$steps`, or a
/// Parallel branch's own copy, see [`BRANCH_STEPS`]; a child's own, see [`nested`]).
fn carried(variables: Variables) -> Scope {
    variables.scope()
}

/// The step records (`steps`, or [`BRANCH_STEPS`]) with one more step's record: `fields` are JSONata
/// `"name": value` pairs.
fn record_step(steps: &str, id: &str, fields: &[String]) -> Value {
    jsonata_field(&format!(
        "$merge([${steps}, {{{}: {{{}}}}}])",
        literal(&json!(local_id(id))),
        fields.join(", ")
    ))
}

struct Export<'a> {
    runbook: &'a Runbook,
    options: &'a Options,
    states: Map<String, Value>,
    problems: Diagnostics,
    /// The variables the states being written read and keep the step records in: the runbook's, or a child's
    /// (see [`nested`]), the records in a Parallel branch's copy inside one.
    variables: Variables,
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

    /// A secret parameter read by `source`: its value would be written into the execution's history.
    fn secret_read(&self, source: &str, expression: bool) -> Option<String> {
        let references = if expression {
            expression_references(source)
        } else {
            template_references(source)
        }
        .unwrap_or_default();
        references.into_iter().find_map(|path| {
            let name = path.strip_prefix("params.")?.split('.').next()?;
            self.runbook
                .param(name)
                .filter(|param| param.secret)
                .map(|param| param.name.clone())
        })
    }

    fn refuse_secret(&mut self, what: &str, text: &Text, name: &str) {
        let at = text
            .source
            .find(name)
            .map_or(0..0, |at| at..at + name.len());
        self.refuse_in(
            what,
            text,
            Untranslatable {
                at,
                reason: format!(
                    "`{name}` is secret, and its value would be written into the execution's history"
                ),
            },
        );
    }

    /// The JSONata text of an expression, `None` (refused) when it has none.
    fn expression(&mut self, what: &str, text: &Text, scope: &Scope) -> Option<String> {
        if let Some(name) = self.secret_read(&text.source, true) {
            self.refuse_secret(what, text, &name);
            return None;
        }
        match jsonata::expression(&text.source, scope) {
            Ok(translated) => Some(translated),
            Err(error) => {
                self.refuse_in(what, text, error);
                None
            }
        }
    }

    /// A Choice `Condition` (without `{% %}`): true exactly when the expression is true by Jinja's truthiness
    /// (where `[0]` is true and JSONata's `$boolean` says false), or when it is false with `negated`. Translated
    /// as `not (…)`, whose value is a boolean by the engine's rule.
    fn condition(
        &mut self,
        what: &str,
        text: &Text,
        scope: &Scope,
        negated: bool,
    ) -> Option<String> {
        const WRAP: &str = "not (";
        if let Some(name) = self.secret_read(&text.source, true) {
            self.refuse_secret(what, text, &name);
            return None;
        }
        match jsonata::expression(&format!("{WRAP}{})", text.source), scope) {
            Ok(not) if negated => Some(not),
            Ok(not) => Some(format!("$not({not})")),
            Err(mut error) => {
                let shift = |at: usize| at.saturating_sub(WRAP.len()).min(text.source.len());
                error.at = shift(error.at.start)..shift(error.at.end);
                self.refuse_in(what, text, error);
                None
            }
        }
    }

    /// The JSONata text whose value is what rendering the template gives, `None` (refused) when it has none.
    fn template(&mut self, what: &str, text: &Text, scope: &Scope) -> Option<String> {
        if !is_template(&text.source) {
            return Some(literal(&json!(text.source)));
        }
        if let Some(name) = self.secret_read(&text.source, false) {
            self.refuse_secret(what, text, &name);
            return None;
        }
        match jsonata::template(&text.source, scope) {
            Ok(translated) => Some(translated),
            Err(error) => {
                self.refuse_in(what, text, error);
                None
            }
        }
    }

    /// A template as a field's value: text without templates stays as it is.
    fn template_field(&mut self, what: &str, text: &Text, scope: &Scope) -> Option<Value> {
        if !is_template(&text.source) {
            return Some(json!(text.source));
        }
        self.template(what, text, scope).map(|t| jsonata_field(&t))
    }

    /// A JSON value whose strings are templates (`with:`), as JSON whose templated strings are JSONata fields.
    fn templated_json(
        &mut self,
        what: &str,
        value: &Value,
        span: Span,
        scope: &Scope,
    ) -> Option<Value> {
        match value {
            Value::String(source) => {
                let text = Text {
                    source: source.clone(),
                    span,
                };
                self.template_field(what, &text, scope)
            }
            Value::Array(items) => {
                let items: Vec<Option<Value>> = items
                    .iter()
                    .map(|item| self.templated_json(what, item, span, scope))
                    .collect();
                items
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Value::Array)
            }
            Value::Object(members) => {
                let members: Vec<(String, Option<Value>)> = members
                    .iter()
                    .map(|(key, member)| {
                        (key.clone(), self.templated_json(what, member, span, scope))
                    })
                    .collect();
                let mut out = Map::new();
                let mut complete = true;
                for (key, member) in members {
                    match member {
                        Some(member) => {
                            out.insert(key, member);
                        }
                        None => complete = false,
                    }
                }
                complete.then_some(Value::Object(out))
            }
            other => Some(other.clone()),
        }
    }

    /// A JSON value whose strings are templates (`vars`), as one JSONata expression.
    fn templated_expression(
        &mut self,
        what: &str,
        value: &Value,
        span: Span,
        scope: &Scope,
    ) -> Option<String> {
        match value {
            Value::String(source) => {
                let text = Text {
                    source: source.clone(),
                    span,
                };
                self.template(what, &text, scope).map(|t| format!("({t})"))
            }
            Value::Array(items) => {
                let items: Vec<Option<String>> = items
                    .iter()
                    .map(|item| self.templated_expression(what, item, span, scope))
                    .collect();
                let items = items.into_iter().collect::<Option<Vec<_>>>()?;
                Some(format!("[{}]", items.join(", ")))
            }
            Value::Object(members) => {
                let members: Vec<Option<String>> = members
                    .iter()
                    .map(|(key, member)| {
                        self.templated_expression(what, member, span, scope)
                            .map(|member| format!("{}: {member}", literal(&json!(key))))
                    })
                    .collect();
                let members = members.into_iter().collect::<Option<Vec<_>>>()?;
                Some(format!("{{{}}}", members.join(", ")))
            }
            other => Some(literal(other)),
        }
    }

    fn refuse_unsupported_runbook_keys(&mut self) {
        let runbook = self.runbook;
        // Two states of one name would be one: the step's, or the run's, silently lost.
        for step in runbook.steps.iter().chain(&runbook.on_failure) {
            if state_name::RUN_STATES.contains(&step.id.as_str()) {
                self.problems
                    .error(
                        ErrorKind::NotExportable {
                            what: format!("step id `{}`", step.id),
                            reason: "the definition names one of the run's own states so".into(),
                        },
                        step.span,
                    )
                    .set_hint(format!(
                        "rename the step: {} name the run's own states",
                        state_name::RUN_STATES
                            .map(|name| format!("`{name}`"))
                            .join(", ")
                    ));
            }
        }
        // The engine publishes to it when a gate waits and when the run ends; a definition without it would leave
        // the runbook's readers waiting for messages that never come.
        if let Some(notify) = &runbook.notify {
            self.problems
                .error(
                    ErrorKind::NotExportable {
                        what: "`notify:`".into(),
                        reason: "the engine publishes a run's gates and its end to it, and an execution on Step \
                                 Functions has no engine beside it to do so"
                            .into(),
                    },
                    notify.span,
                )
                .set_hint(
                    "the gates publish to `--approval-topic`; for the end, route the state machine's `Step \
                     Functions Execution Status Change` events from EventBridge to the topic, and export a copy \
                     without `notify:`",
                );
        }
        for param in &runbook.params {
            if let Some(ParamDefault::Template(text)) = &param.default
                && !self.options.defaults.contains_key(&param.name)
            {
                self.refuse(
                    format!("the default of `{}`", param.name),
                    "a default computed from other parameters is not translated",
                    text.span,
                );
            }
        }
    }

    /// `$params` (the execution input over every declared parameter's default or `null`), an empty `$steps`,
    /// and `$vars`, each var computed over the ones above it as the engine does.
    fn start(&mut self, first: &str) {
        let declared: Map<String, Value> = self
            .runbook
            .params
            .iter()
            .map(|param| {
                let default = match (self.options.defaults.get(&param.name), &param.default) {
                    (Some(given), _) => given.clone(),
                    (None, Some(ParamDefault::Value(value))) => value.clone(),
                    // A flag not given is false to the engine (`--rollback` absent), not none.
                    (None, None) if param.ty == ParamTypeName::Boolean => Value::Bool(false),
                    _ => Value::Null,
                };
                (param.name.clone(), default)
            })
            .collect();
        let mut assign = Map::new();
        assign.insert(
            "params".into(),
            jsonata_field(&format!(
                "$merge([{}, $states.input])",
                literal(&Value::Object(declared))
            )),
        );
        assign.insert("steps".into(), json!({}));
        // The run is the execution: its name is the run's id (`runbook run --on step-functions` names it so).
        assign.insert(
            "run".into(),
            jsonata_field(&format!(
                "{{\"id\": $states.context.Execution.Name, \"name\": {}, \"started_at\": $states.context.Execution.StartTime}}",
                literal(&json!(self.runbook.name))
            )),
        );
        let vars_state = state_name::vars();
        let has_vars = !self.runbook.vars.is_empty();
        self.states.insert(
            PARAMETERS.into(),
            json!({
                "Type": "Pass",
                "Comment": "The execution input is the parameters; defaults fill the ones it leaves out",
                "Assign": assign,
                "Next": if has_vars { vars_state.as_str() } else { first },
            }),
        );
        if !has_vars {
            return;
        }
        // One block, so that each var reads the ones above it through the same `$vars`.
        let mut block = vec!["$vars := {}".to_string()];
        let mut complete = true;
        for var in &self.runbook.vars {
            let what = format!("var `{}`", var.name);
            match self.templated_expression(&what, &var.value, var.span, &carried(self.variables)) {
                Some(value) => block.push(format!(
                    "$vars := $merge([$vars, {{{}: {value}}}])",
                    literal(&json!(var.name))
                )),
                None => complete = false,
            }
        }
        block.push("$vars".into());
        if complete {
            self.states.insert(
                vars_state,
                json!({
                    "Type": "Pass",
                    "Assign": {"vars": jsonata_field(&format!("({})", block.join("; ")))},
                    "Next": first,
                }),
            );
        }
    }

    fn step(&mut self, step: &Step, next: &str, failure: &Failure) {
        let failure = match failure {
            Failure::Fail | Failure::OnFailureSteps if step.on_error == OnError::Continue => {
                Failure::Continue(next.to_string())
            }
            other => other.clone(),
        };
        let body = body_entry(step);
        if let Some(when) = &step.when
            && let Some(condition) = self.condition("`when`", when, &carried(self.variables), false)
        {
            let skipped = state_name::skipped(&step.id);
            self.states.insert(
                state_name::when(&step.id),
                json!({
                    "Type": "Choice",
                    "Choices": [{"Condition": jsonata_field(&condition), "Next": body}],
                    "Default": skipped,
                }),
            );
            self.states.insert(
                skipped,
                json!({
                    "Type": "Pass",
                    "Assign": {self.variables.steps(): record_step(&self.variables.steps(), &step.id, &["\"status\": \"skipped\"".into(), "\"output\": null".into()])},
                    "Next": next,
                }),
            );
        }
        match &step.kind {
            StepKind::Approval(approval) => self.approval(step, approval, next),
            StepKind::Action(action) if step.for_each.is_some() => {
                self.for_each(step, action, next, &failure)
            }
            StepKind::Action(action) => {
                let place = Place {
                    step,
                    name: step.id.clone(),
                    item: false,
                    failure,
                    variables: self.variables,
                };
                self.action(action, &place, next);
            }
            StepKind::Runbook(call) => self.nested(step, call.frame, next, &failure),
        }
    }

    /// The states of the steps of one level (the runbook's own, or a child's), in stages (see [`stages`]), the
    /// last going on to `after`; the name of the state they start at. `parallel` names a stage's Parallel state.
    fn level(
        &mut self,
        level: &Level,
        parallel: &dyn Fn(usize) -> String,
        after: &str,
        failure: &Failure,
    ) -> String {
        let runbook = self.runbook;
        let stages = stages(level, &topological_order(level));
        let entries: Vec<String> = stages
            .iter()
            .enumerate()
            .map(|(position, stage)| match stage.as_slice() {
                [alone] => entry_name(&runbook.steps[*alone]),
                _ => parallel(position),
            })
            .collect();
        for (position, stage) in stages.iter().enumerate() {
            let next = entries.get(position + 1).map_or(after, String::as_str);
            match stage.as_slice() {
                [alone] => self.step(&runbook.steps[*alone], next, failure),
                _ => self.parallel(&entries[position], stage, next, failure),
            }
        }
        entries.first().map_or(after, String::as_str).to_string()
    }

    /// Independent steps side by side: a Parallel state with a branch per step. Each branch works on its copy
    /// of the records and ends with its step's record; the Parallel merges them into `$steps`. A failure inside a
    /// branch fails the branch with its error and cause, which fails the Parallel (and stops the other branches);
    /// its Catch then does what the body's failure does. `on_error: continue` is handled inside the branch.
    fn parallel(&mut self, name: &str, stage: &[usize], next: &str, failure: &Failure) {
        let runbook = self.runbook;
        let outer = std::mem::take(&mut self.states);
        let variables = self.variables;
        self.variables = variables.in_branch();
        let mut branches = Vec::new();
        let mut records = Vec::new();
        for (number, &index) in stage.iter().enumerate() {
            let step = &runbook.steps[index];
            let start = state_name::branch(&step.id);
            let recorded = state_name::recorded(&step.id);
            self.states.insert(
                start.clone(),
                json!({
                    "Type": "Pass",
                    "Assign": {variables.in_branch().steps(): jsonata_field(&format!("${}", variables.steps()))},
                    "Next": entry_name(step),
                }),
            );
            self.step(step, &recorded, &Failure::Fail);
            let id = literal(&json!(local_id(&step.id)));
            let copy = variables.in_branch().steps();
            self.states.insert(
                recorded,
                json!({
                    "Type": "Pass",
                    "Output": jsonata_field(&format!("$lookup(${copy}, {id})")),
                    "End": true,
                }),
            );
            branches.push(json!({"StartAt": start, "States": std::mem::take(&mut self.states)}));
            records.push(format!("{id}: $states.result[{number}]"));
        }
        self.variables = variables;
        self.states = outer;
        let steps = variables.steps();
        let mut state = json!({
            "Type": "Parallel",
            "Comment": "Steps that do not need each other; the next stage waits for every branch",
            "Branches": branches,
            "Assign": {steps.clone(): jsonata_field(&format!("$merge([${steps}, {{{}}}])", records.join(", ")))},
            "Next": next,
        });
        if let Some(catch) = catch(&steps, name, failure) {
            state["Catch"] = catch;
        }
        self.states.insert(name.to_string(), state);
    }

    fn approval(&mut self, step: &Step, approval: &Approval, next: &str) {
        let prompt = self.template(
            "the approval prompt",
            &approval.prompt,
            &carried(self.variables),
        );
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
        let message = format!(
            "$string({prompt}) & {} & $states.context.Task.Token",
            literal(&json!(
                "\n\nTask token (SendTaskSuccess to approve, SendTaskFailure to refuse): "
            ))
        );
        // No Catch: a refusal is an operator's decision, not a failure, so `on_failure` does not run for it (as in
        // the engine); the execution fails with the refusal's error.
        self.states.insert(
            step.id.clone(),
            json!({
                "Type": "Task",
                "Comment": "Waits for SendTaskSuccess (approved) or SendTaskFailure (refused) with the task token in the message",
                "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
                "Arguments": {"TopicArn": topic, "Message": jsonata_field(&message)},
                "TimeoutSeconds": seconds(approval.timeout),
                "Assign": {self.variables.steps(): record_step(&self.variables.steps(), &step.id, &["\"status\": \"succeeded\"".into(), "\"output\": $states.result".into()])},
                "Next": next,
            }),
        );
    }

    /// An action's states: its call (every page of a paged list), the polling of its `wait`, its checks.
    fn action(&mut self, action: &ActionStep, place: &Place, next: &str) {
        let id = &place.name;
        let after_wait = if action.check.is_empty() {
            next.to_string()
        } else {
            state_name::check(id)
        };
        let after_call = if action.wait.is_some() {
            format!("{id}.until")
        } else {
            after_wait.clone()
        };
        let call = self.call(action, place, &after_call);
        if let (Some(wait), Some(call)) = (&action.wait, &call) {
            self.polling(wait, place, call, &after_wait);
        }
        if !action.check.is_empty() {
            let scope = place.scope().bind("output", place.output());
            let checks: Vec<(&Text, Option<&Text>)> = action
                .check
                .iter()
                .map(|check| (&check.that, check.message.as_ref()))
                .collect();
            self.assertions(
                &after_wait,
                id,
                &place.step.id,
                &checks,
                &scope,
                next,
                &place.failure,
            );
        }
    }

    /// What keeps a call's result: at the top level the step's record in `$steps`, the declared outputs computed
    /// over it; in a for_each item, `$result` (the outputs are computed when the item ends).
    fn keep_result(
        &mut self,
        action: &ActionStep,
        place: &Place,
        output: &str,
    ) -> Option<Map<String, Value>> {
        let mut assign = Map::new();
        if place.item {
            assign.insert("result".into(), jsonata_field(output));
        } else {
            assign.insert(
                self.variables.steps(),
                self.record(place.step, action, output)?,
            );
        }
        Some(assign)
    }

    /// The record of a step in `$steps`: its status, its `output` (the JSONata value `output`) and each declared
    /// output computed over it.
    fn record(&mut self, step: &Step, action: &ActionStep, output: &str) -> Option<Value> {
        let fields = self.outputs(action, &carried(self.variables).bind("output", "$output"))?;
        let merged = format!(
            "($output := {output}; $merge([${}, {{{}: {{\"status\": \"succeeded\", \"output\": $output{}}}}}]))",
            self.variables.steps(),
            literal(&json!(local_id(&step.id))),
            fields
                .iter()
                .map(|field| format!(", {field}"))
                .collect::<String>(),
        );
        Some(jsonata_field(&merged))
    }

    /// Each declared output as a JSONata `"name": value` pair.
    fn outputs(&mut self, action: &ActionStep, scope: &Scope) -> Option<Vec<String>> {
        let mut fields = Vec::new();
        let mut complete = true;
        for (name, text) in &action.outputs {
            match self.expression(&format!("output `{name}`"), text, scope) {
                Some(value) => fields.push(format!("{}: {value}", literal(&json!(name)))),
                None => complete = false,
            }
        }
        complete.then_some(fields)
    }

    /// The states of the action's call, going on to `next`; the name to enter them by, `None` when refused.
    fn call(&mut self, action: &ActionStep, place: &Place, next: &str) -> Option<String> {
        let step = place.step;
        let name = action.shape.name;
        if name.starts_with("core.") {
            let state = self.built_in(action, place, next)?;
            self.states.insert(place.name.clone(), state);
            return Some(place.name.clone());
        }
        let spec = crate::actions::lookup(name)?;
        let (service, operation) = name.split_once('.')?;
        let resource = format!(
            "arn:aws:states:::aws-sdk:{}:{}",
            service::integration_name(service),
            lower_first(operation)
        );
        // Composites are expanded or refused below, each naming its own members.
        let sent = is_one_call(spec, name) || matches!(spec.execute, Execute::Paged(..));
        let (case, with) = match member_case::member_case(name)
            .and_then(|case| case.arguments(&action.with).map(|with| (case, with)))
        {
            Ok(named) if sent => named,
            Err(Unrenameable(reason)) if sent => {
                self.refuse(format!("`{name}`"), reason, step.span);
                return None;
            }
            _ => (MemberCase::AsTheApi, action.with.clone()),
        };
        match spec.execute {
            // The task takes the API's own `{Name: {DataType, StringValue}}` map of `sns.Publish` attributes.
            Execute::Call(_) | Execute::Run(_) if is_one_call(spec, name) => {
                let arguments = if name == "sns.Publish" && with.get("MessageAttributes").is_some()
                {
                    self.templated_expression("`with`", &with, step.span, &place.scope())
                        .map(|with| {
                            jsonata_field(&format!(
                                "($w := {with}; $merge([$w, {{\"MessageAttributes\": {}}}]))",
                                ATTRIBUTES_AS_THE_API_TAKES_THEM
                            ))
                        })
                } else {
                    self.templated_json("`with`", &with, step.span, &place.scope())
                };
                let assign = self.keep_result(action, place, case.result());
                let (arguments, assign) = (arguments?, assign?);
                let mut state = json!({
                    "Type": "Task",
                    "Resource": resource,
                    "Arguments": arguments,
                    "Assign": assign,
                    "Next": next,
                });
                self.task_policies(&mut state, action, service, place);
                self.states.insert(place.name.clone(), state);
                Some(place.name.clone())
            }
            Execute::Paged(_, pages) => {
                self.paged(action, place, &resource, &pages, (&case, &with), next)
            }
            Execute::Call(_) => None, // Taken by the first arm.
            Execute::Run(_) if name == "dynamodb.count_items" => {
                self.count_items(action, place, next)
            }
            Execute::Run(_) if name == "sqs.move_messages" => {
                self.move_messages(action, place, next)
            }
            Execute::Run(_) if is_iceberg(name) => self.iceberg(action, place, next),
            Execute::Run(_) if is_http(name) => self.http_request(action, place, next),
            Execute::Run(_) => {
                self.refuse(
                    format!("`{name}`"),
                    "it makes several calls, each retried and journaled by the engine; expanding it into states is not done yet",
                    step.span,
                );
                None
            }
        }
    }

    /// Timeout, retries and the Catch of a task state.
    fn task_policies(
        &mut self,
        state: &mut Value,
        action: &ActionStep,
        service: &str,
        place: &Place,
    ) {
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
        if !place.item
            && let Some(catch) = catch(&self.variables.steps(), &place.step.id, &place.failure)
        {
            state["Catch"] = catch;
        }
    }

    /// The `core.*` actions, which never leave the process: a Pass, a Wait or a Fail.
    fn built_in(&mut self, action: &ActionStep, place: &Place, next: &str) -> Option<Value> {
        let step = place.step;
        let name = action.shape.name;
        let member = |member: &str| Text {
            source: action
                .with
                .get(member)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            span: step.span,
        };
        match name {
            "core.sleep" => {
                let duration = member("duration");
                if is_template(&duration.source) {
                    self.refuse(
                        "a templated `duration`",
                        "a Wait's seconds computed from a duration text is not translated",
                        step.span,
                    );
                    return None;
                }
                let duration = crate::foundation::duration::parse(&duration.source)?;
                let assign = self.keep_result(action, place, "{}")?;
                Some(json!({
                    "Type": "Wait",
                    "Seconds": seconds(duration),
                    "Assign": assign,
                    "Next": next,
                }))
            }
            "core.fail" => {
                let cause = self.template(
                    "the message of `core.fail`",
                    &member("message"),
                    &place.scope(),
                )?;
                let fail = format!("{}.fail", place.name);
                self.failure(
                    &fail,
                    &place.step.id,
                    "runbook.Failed",
                    &cause,
                    &place.failure,
                );
                Some(json!({"Type": "Pass", "Next": fail}))
            }
            "core.log" | "core.noop" => {
                let output = if name == "core.log" {
                    let message = self.template(
                        "the message of `core.log`",
                        &member("message"),
                        &place.scope(),
                    )?;
                    format!("{{\"message\": {message}}}")
                } else {
                    "{}".to_string()
                };
                let assign = self.keep_result(action, place, &output)?;
                Some(json!({"Type": "Pass", "Assign": assign, "Next": next}))
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

    /// Where a failure found by a state (a check, a wait that timed out, `core.fail`) goes: a Fail, the
    /// `on_failure` steps with `$run.error` set, or (`on_error: continue`) the step recorded as failed and on.
    fn failure(&mut self, name: &str, step: &str, error: &str, cause: &str, failure: &Failure) {
        let state = match failure {
            Failure::Fail => json!({"Type": "Fail", "Error": error, "Cause": jsonata_field(cause)}),
            Failure::OnFailureSteps => json!({
                "Type": "Pass",
                "Assign": {"run": jsonata_field(&format!("$merge([$run, {{\"error\": {cause}}}])"))},
                "Next": ON_FAILURE,
            }),
            Failure::Continue(next) => json!({
                "Type": "Pass",
                "Assign": {self.variables.steps(): failed_record(&self.variables.steps(), step, cause)},
                "Next": next,
            }),
        };
        self.states.insert(name.into(), state);
    }

    /// A Choice that goes on to `next` when every assertion holds, else to a Fail with the first failing one's
    /// message; the Fail states are `owner`'s (see [`state_name::failed`]).
    // The checks' states and the success criteria's differ in every name, hence the arguments.
    #[allow(clippy::too_many_arguments)]
    fn assertions(
        &mut self,
        name: &str,
        owner: &str,
        step: &str,
        assertions: &[(&Text, Option<&Text>)],
        scope: &Scope,
        next: &str,
        failure: &Failure,
    ) {
        let mut choices = Vec::new();
        for (number, (that, message)) in assertions.iter().enumerate() {
            let Some(does_not_hold) = self.condition("the condition", that, scope, true) else {
                continue;
            };
            let message_text = message.map_or_else(
                || Text {
                    source: format!("not true: {}", that.source),
                    span: that.span,
                },
                |m| (*m).clone(),
            );
            let Some(cause) = self.template("the message", &message_text, scope) else {
                continue;
            };
            let fail_name = state_name::failed(owner, number + 1);
            self.failure(&fail_name, step, "runbook.CheckFailed", &cause, failure);
            choices.push(json!({
                "Condition": jsonata_field(&does_not_hold),
                "Next": fail_name,
            }));
        }
        if choices.is_empty() {
            self.states
                .insert(name.into(), json!({"Type": "Pass", "Next": next}));
        } else {
            self.states.insert(
                name.into(),
                json!({"Type": "Choice", "Choices": choices, "Default": next}),
            );
        }
    }

    /// The success criteria, every one evaluated as the engine evaluates them (so the journal records each, held
    /// or not), into [`CRITERIA_HELD`]; then a Choice to the Fail of the first that does not hold, with the
    /// engine's words for it.
    fn finish(&mut self) {
        let failure = self.body_failure();
        let scope = carried(self.variables);
        let mut held = Vec::new();
        let mut choices = Vec::new();
        for criterion in &self.runbook.success_criteria {
            let Some(holds) =
                self.condition("the success criterion", &criterion.that, &scope, false)
            else {
                continue;
            };
            let number = held.len();
            // Undefined would drop out of the list and shift every criterion after it.
            held.push(format!(
                "($held := {holds}; $exists($held) ? $held : false)"
            ));
            let fail_name = state_name::failed(FINISH, number + 1);
            let cause = literal(&json!(format!(
                "success criterion `{}` does not hold",
                criterion.name
            )));
            self.failure(&fail_name, FINISH, "runbook.CheckFailed", &cause, &failure);
            choices.push(json!({
                "Condition": jsonata_field(&format!("$not(${CRITERIA_HELD}[{number}])")),
                "Next": fail_name,
            }));
        }
        if choices.is_empty() {
            self.states
                .insert(FINISH.into(), json!({"Type": "Pass", "Next": SUCCEEDED}));
        } else {
            let decision = state_name::check(FINISH);
            self.states.insert(
                FINISH.into(),
                json!({
                    "Type": "Pass",
                    "Assign": {CRITERIA_HELD: jsonata_field(&format!("[{}]", held.join(", ")))},
                    "Next": decision,
                }),
            );
            self.states.insert(
                decision,
                json!({"Type": "Choice", "Choices": choices, "Default": SUCCEEDED}),
            );
        }
        self.states.insert(
            SUCCEEDED.into(),
            json!({
                "Type": "Succeed",
                "Output": jsonata_field("{\"params\": $params, \"steps\": $steps}"),
            }),
        );
        self.on_failure();
    }

    /// Where a failure in the body goes: to the `on_failure` steps when the runbook has some.
    fn body_failure(&self) -> Failure {
        if self.runbook.on_failure.is_empty() {
            Failure::Fail
        } else {
            Failure::OnFailureSteps
        }
    }

    /// The `on_failure` steps, one after another whatever each does (as in the engine: a failing notification
    /// must not stop a cleanup), then a Fail with the error that started them.
    fn on_failure(&mut self) {
        let steps = &self.runbook.on_failure;
        if steps.is_empty() {
            return;
        }
        let entries: Vec<String> = steps.iter().map(entry_name).collect();
        self.states.insert(
            ON_FAILURE.into(),
            json!({
                "Type": "Pass",
                "Comment": "The body failed: the on_failure steps run, then the execution fails with the body's error",
                "Next": entries[0],
            }),
        );
        let failed = state_name::on_failure_failed();
        for (position, step) in steps.iter().enumerate() {
            let next = entries.get(position + 1).unwrap_or(&failed).clone();
            self.step(step, &next, &Failure::Continue(next.clone()));
        }
        self.states.insert(
            failed,
            json!({"Type": "Fail", "Error": "runbook.Failed", "Cause": jsonata_field("$run.error")}),
        );
    }
}

/// Where the states of one step go and what they read.
struct Place<'a> {
    step: &'a Step,
    /// What the names of its states begin with: the step's id, or inside a Map `<id>.each` (state names are
    /// unique in the whole definition).
    name: String,
    /// Inside a for_each item (a Map iteration): `item` and `loop` are defined, the result is kept in `$result`,
    /// and failures fail the iteration (the Map state's Catch handles them).
    item: bool,
    failure: Failure,
    /// The variables its expressions read (see [`Export::variables`]).
    variables: Variables,
}

impl Place<'_> {
    fn scope(&self) -> Scope {
        if self.item {
            carried(self.variables)
                .bind("item", "$item")
                .bind("loop", "$loop")
        } else {
            carried(self.variables)
        }
    }

    /// The JSONata of the step's `output` once its call is done.
    fn output(&self) -> String {
        if self.item {
            "$result".into()
        } else {
            format!(
                "${}.{}.output",
                self.variables.steps(),
                quoted_name(local_id(&self.step.id))
            )
        }
    }

    /// An iteration's own variables have names no top-level state assigns: Step Functions refuses an inner
    /// scope assigning a variable of its outer scope.
    /// A Parallel branch's, likewise, names no top-level state or other branch assigns.
    fn variable(&self, name: &str) -> String {
        if self.item {
            format!("item_{name}")
        } else if self.variables.is_branch() {
            // A child's step id has dots, which a variable's name may not.
            format!("{}_{name}", self.step.id.replace('.', "_"))
        } else {
            name.to_string()
        }
    }
}

/// What a failure does.
#[derive(Clone, Debug)]
enum Failure {
    /// The execution fails with the error.
    Fail,
    /// The runbook's `on_failure` steps run, then the execution fails.
    OnFailureSteps,
    /// `on_error: continue`, or an `on_failure` step: the step is recorded as failed and the run goes on here.
    Continue(String),
}

/// The Catch of a state that calls AWS, `None` when a failure just fails the execution.
fn catch(steps: &str, step: &str, failure: &Failure) -> Option<Value> {
    match failure {
        Failure::Fail => None,
        Failure::OnFailureSteps => Some(json!([{
            "ErrorEquals": ["States.ALL"],
            "Assign": {"run": jsonata_field("$merge([$run, {\"error\": $states.errorOutput.Cause}])")},
            "Next": ON_FAILURE,
        }])),
        Failure::Continue(next) => Some(json!([{
            "ErrorEquals": ["States.ALL"],
            "Assign": {steps: failed_record(steps, step, "$states.errorOutput.Cause")},
            "Next": next,
        }])),
    }
}

/// The step records (`steps`) with the step marked failed (its output kept when it had one), `error` saying why.
fn failed_record(steps: &str, step: &str, error: &str) -> Value {
    let id = literal(&json!(local_id(step)));
    jsonata_field(&format!(
        "$merge([${steps}, {{{id}: $merge([{{\"output\": null}}, $lookup(${steps}, {id}), {{\"status\": \"failed\", \"error\": {error}}}])}}])"
    ))
}

/// The state a step's own states start at, after its `when`.
fn body_entry(step: &Step) -> String {
    match &step.kind {
        StepKind::Action(action) if step.for_each.is_none() => action_entry(&step.id, action),
        StepKind::Runbook(_) => nested::entry(step),
        _ => step.id.clone(),
    }
}

/// The state an action's states named `name` start at: its polling, its first page, or its call.
fn action_entry(name: &str, action: &ActionStep) -> String {
    if action.wait.is_some() {
        format!("{name}.poll.start")
    } else if is_paged(action) {
        format!("{name}.pages.start")
    } else if action.shape.name == "dynamodb.count_items" {
        format!("{name}.count.start")
    } else if action.shape.name == "sqs.move_messages" {
        format!("{name}.move.start")
    } else if is_iceberg(action.shape.name) {
        format!("{name}.iceberg.start")
    } else if is_http(action.shape.name) {
        format!("{name}.http.start")
    } else {
        name.to_string()
    }
}

/// The Iceberg composites, expanded by [`iceberg`].
fn is_iceberg(name: &str) -> bool {
    matches!(
        name,
        "glue.iceberg_snapshots"
            | "glue.iceberg_rollback"
            | "s3tables.iceberg_snapshots"
            | "s3tables.iceberg_rollback"
    )
}

/// The HTTP actions, sent by Step Functions' HTTP task ([`http_request`]).
pub fn is_http(name: &str) -> bool {
    matches!(name, "http.request" | "http.send")
}

fn is_paged(action: &ActionStep) -> bool {
    crate::actions::lookup(action.shape.name)
        .is_some_and(|spec| matches!(spec.execute, Execute::Paged(..)))
}

/// An action that makes exactly one call: a single call in the registry, or `sns.Publish`, whose composite only
/// rewrites its attributes map for awsQuery.
fn is_one_call(spec: &crate::actions::ActionSpec, name: &str) -> bool {
    matches!(spec.execute, Execute::Call(_)) || name == "sns.Publish"
}

/// `$w.MessageAttributes` of `sns.Publish`, where a value may be a plain string (`DataType: String`) or number
/// (`DataType: Number`), as Publish takes it: every value `{DataType, StringValue}`.
const ATTRIBUTES_AS_THE_API_TAKES_THEM: &str = "$merge([{}, $each($w.MessageAttributes, function($v, $k) { {$k: $type($v) = \"string\" ? {\"DataType\": \"String\", \"StringValue\": $v} : $type($v) = \"number\" ? {\"DataType\": \"Number\", \"StringValue\": $string($v)} : $v} })])";

/// A step id as a JSONata field name: backquoted, since ids may hold characters a bare name may not.
fn quoted_name(id: &str) -> String {
    format!("`{id}`")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::foundation::source::SourceFile;

    fn ids(runbook: &Runbook, stages: &[Vec<usize>]) -> Vec<Vec<String>> {
        stages
            .iter()
            .map(|stage| stage.iter().map(|&i| runbook.steps[i].id.clone()).collect())
            .collect()
    }

    /// Steps that do not need each other share a stage; a gate stands alone, and a write that follows it in the
    /// one-after-another order stays after it even when it needs only a step before it.
    #[test]
    fn independent_steps_share_a_stage_and_no_write_moves_ahead_of_a_gate() {
        let text = r#"name: t
description: stages test
steps:
  - id: left
    action: lambda.GetAlias
    with: {FunctionName: f, Name: live}
  - id: right
    action: lambda.GetAlias
    with: {FunctionName: g, Name: live}
  - id: confirm
    needs: [left]
    approve: {prompt: "go?"}
  - id: write
    needs: [right]
    action: lambda.UpdateAlias
    with: {FunctionName: g, Name: live, FunctionVersion: "2"}
  - id: after_left
    needs: [left]
    action: core.noop
  - id: last
    needs: [write, after_left]
    action: core.noop
"#;
        let file = SourceFile::new("t.yaml", text.to_string());
        let runbook = crate::language::validator::load(&file, &[], &crate::actions::TABLE)
            .unwrap_or_else(|_| panic!("the test runbook validates"));
        let level = Level::of(&runbook, None);
        let stages = stages(&level, &topological_order(&level));
        assert_eq!(
            ids(&runbook, &stages),
            [
                vec!["left", "right"],
                vec!["confirm"],
                vec!["write", "after_left"],
                vec!["last"],
            ]
        );
    }

    /// A step may not take the name of one of the run's own states: the export refuses it at the step, where
    /// it would have replaced that state (or been replaced by it) without a word.
    #[test]
    fn a_step_named_as_one_of_the_runs_own_states_is_refused_at_the_step() {
        let text = r#"name: t
description: names test
steps:
  - id: first
    action: core.noop
  - id: succeeded
    needs: [first]
    action: core.noop
on_failure:
  - id: parameters
    action: core.noop
"#;
        let file = SourceFile::new("t.yaml", text.to_string());
        let runbook = crate::language::validator::load(&file, &[], &crate::actions::TABLE)
            .unwrap_or_else(|_| panic!("the test runbook validates"));
        let problems = export(&runbook, &Options::default()).expect_err("the export is refused");
        let refused: Vec<(u32, String)> = problems
            .iter()
            .map(|problem| (problem.span.line, problem.kind.to_string()))
            .collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!(refused[0].0, 6, "{refused:?}");
        assert!(refused[0].1.contains("`succeeded`"), "{refused:?}");
        assert_eq!(refused[1].0, 10, "{refused:?}");
        assert!(refused[1].1.contains("`parameters`"), "{refused:?}");
    }
}
