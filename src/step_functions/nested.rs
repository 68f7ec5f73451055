//! A `runbook:` step in the definition: the child's steps inlined where the step stands, in a frame of names of
//! their own, as the engine runs them (`engine::nested`).
//!
//! The validator already put the child's steps in the graph (ids `<id>.x`, each with its [`Frame`]); what is the
//! child's alone is the names its expressions read. Each frame gets its own JSONata variables, named after the
//! frame ([`Variables`]): `frameN_params` (the step's `with` rendered over the parent's names, a value that is
//! `null` leaving the child's default), `frameN_vars` and `frameN_steps` (the child's records under the child's
//! own ids, which `steps.x` reads). Names of their own rather than a Parallel branch's scope: Step Functions
//! refuses an inner scope that assigns a variable of its outer scope, and the child's steps must write their
//! records as the parent's do. A frame inside a Parallel branch (the parent's steps side by side) assigns names no
//! other state assigns, so that holds there too.
//!
//! The step's states, in order: its `when` (false skips the whole child: the history records every step of the
//! child skipped for that reason, as the engine does), `ID.Parameters` and `ID.Vars` binding the frame, the
//! child's steps in stages as the runbook's own ([`Level`]), the child's success criteria (`ID.check`, one that
//! does not hold failing the step with the engine's message), and `ID` itself recording in the parent's steps
//! `{"status": "succeeded", "output": {<outputs>}, <each output>}`. A child's step that fails does what a failure
//! of the parent's body does (the `runbook:` step then never runs, as in the engine); the child's `on_failure`
//! steps do not run, as in the engine.
//!
//! A runbook step is a stage of its own: its child's states run one after another in the parent's, never inside
//! a Parallel branch beside others (an approval gate of the child stays a stage of its own, as the parent's do).
//!
//! Refused, each with its reason: a child step whose id is one of the names of a step's own states
//! ([`state_name::ROLES`]), a secret parameter of the child, a child's default computed from other parameters,
//! a datetime parameter (the engine resolves it against the run's start), and a templated `with` value that the
//! engine would check against the child parameter's type or constraints when rendered, unless it is the parent's
//! parameter of the same type and constraints (which the run checked already).

use serde_json::{Map, Value, json};

use super::jsonata::Scope;
use super::state_name;
use super::{BRANCH_STEPS, Export, Failure, STEPS, jsonata_field, literal};
use crate::foundation::template::is_template;
use crate::language::raw::ParamTypeName;
use crate::language::runbook::{
    Constraints, Frame, Param, ParamDefault, Runbook, Step, StepKind, Text,
};

/// The variables the states being written read and assign: the runbook's own, or a frame's (a child run by a
/// `runbook:` step), each with its Parallel branch's copy of the step records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Variables {
    frame: Option<usize>,
    branch: bool,
}

impl Variables {
    /// The runbook's own names: `$params`, `$vars`, `$steps`.
    pub(super) const RUNBOOK: Variables = Variables {
        frame: None,
        branch: false,
    };

    pub(super) fn of_frame(frame: usize) -> Variables {
        Variables {
            frame: Some(frame),
            branch: false,
        }
    }

    /// The same frame's names inside a Parallel branch: the step records are the branch's copy.
    pub(super) fn in_branch(self) -> Variables {
        Variables {
            branch: true,
            ..self
        }
    }

    pub(super) fn is_branch(self) -> bool {
        self.branch
    }

    fn name(self, base: &str) -> String {
        match self.frame {
            None => base.to_string(),
            Some(frame) => format!("frame{frame}_{base}"),
        }
    }

    /// The variable the step records are kept in.
    pub(super) fn steps(self) -> String {
        self.name(if self.branch { BRANCH_STEPS } else { STEPS })
    }

    /// The variable the step records are kept in outside a Parallel branch.
    pub(super) fn frame_steps(self) -> String {
        self.name(STEPS)
    }

    pub(super) fn params(self) -> String {
        self.name("params")
    }

    pub(super) fn vars(self) -> String {
        self.name("vars")
    }

    /// The names the frame's expressions read, bound to these variables.
    pub(super) fn scope(self) -> Scope {
        Scope::new()
            .bind("run", "$run")
            .bind("params", format!("${}", self.params()))
            .bind("vars", format!("${}", self.vars()))
            .bind("steps", format!("${}", self.steps()))
    }
}

/// A step's id in its own runbook, which its record is kept under and `steps.<id>` reads there: a child's step
/// `rollback.confirm` is the child's `confirm`. Ids are IDENTs, without dots, so it is what follows the last dot.
pub fn local_id(id: &str) -> &str {
    id.rsplit('.').next().unwrap_or(id)
}

/// Where the history finds a step's record: the variables its states assign it in (outside and inside a
/// Parallel branch); the key is [`local_id`].
pub fn record_variables(step: &Step) -> [String; 2] {
    let variables = step.frame.map_or(Variables::RUNBOOK, Variables::of_frame);
    [variables.steps(), variables.in_branch().steps()]
}

/// The steps of the runbook a `runbook:` step runs, the runbooks it runs in turn included, in graph order.
pub fn child_steps<'r>(runbook: &'r Runbook, step: &Step) -> Vec<&'r Step> {
    let Some(frame) = runbook.child_of(step).map(|_| match &step.kind {
        StepKind::Runbook(call) => call.frame,
        _ => unreachable!("child_of is Some for `runbook:` steps only"),
    }) else {
        return Vec::new();
    };
    runbook
        .steps
        .iter()
        .filter(|inner| inner.frame.is_some_and(|f| within(runbook, f, frame)))
        .collect()
}

/// Whether `frame` is `outer` or a frame nested in it.
fn within(runbook: &Runbook, frame: usize, outer: usize) -> bool {
    let mut at = Some(frame);
    while let Some(frame) = at {
        if frame == outer {
            return true;
        }
        at = runbook.frames[frame].parent;
    }
    false
}

/// The steps of one runbook of the graph (the runbook's own, or a frame's) and what each needs among them: a
/// `runbook:` step needs what its child's steps need there, and what they need outside (the parent's steps
/// before it) is done before the frame starts.
pub(super) struct Level {
    pub members: Vec<usize>,
    /// By step index; empty for a step of another level.
    pub needs: Vec<Vec<usize>>,
    /// By step index: a stage of its own (an approval gate, or a `runbook:` step).
    pub alone: Vec<bool>,
}

impl Level {
    pub(super) fn of(runbook: &Runbook, frame: Option<usize>) -> Level {
        let steps = &runbook.steps;
        let members: Vec<usize> = (0..steps.len())
            .filter(|&index| steps[index].frame == frame)
            .collect();
        // The member of this level a step belongs to: itself, or the `runbook:` step of this level it is below.
        let member_of = |index: usize| -> Option<usize> {
            if members.contains(&index) {
                return Some(index);
            }
            let inner = steps[index].frame?;
            members
                .iter()
                .copied()
                .find(|&member| match &steps[member].kind {
                    StepKind::Runbook(call) => within(runbook, inner, call.frame),
                    _ => false,
                })
        };
        let mut needs = vec![Vec::new(); steps.len()];
        let mut alone = vec![false; steps.len()];
        for &member in &members {
            let mut below: Vec<&Step> = vec![&steps[member]];
            if matches!(steps[member].kind, StepKind::Runbook(_)) {
                below.extend(child_steps(runbook, &steps[member]));
            }
            let mut found: Vec<usize> = below
                .iter()
                .flat_map(|step| step.needs.iter().copied())
                .filter_map(member_of)
                .filter(|&needed| needed != member)
                .collect();
            found.sort_unstable();
            found.dedup();
            needs[member] = found;
            alone[member] = matches!(
                steps[member].kind,
                StepKind::Approval(_) | StepKind::Runbook(_)
            );
        }
        Level {
            members,
            needs,
            alone,
        }
    }
}

/// The state a `runbook:` step's body starts at, after its `when`.
pub(super) fn entry(step: &Step) -> String {
    state_name::frame_parameters(&step.id)
}

impl Export<'_> {
    /// The states of a `runbook:` step (see the module's docs), going on to `next`.
    pub(super) fn nested(
        &mut self,
        step: &Step,
        frame_index: usize,
        next: &str,
        failure: &Failure,
    ) {
        let runbook = self.runbook;
        let frame = &runbook.frames[frame_index];
        let outer = self.variables;
        let inner = Variables::of_frame(frame_index);
        self.refuse_child_ids(step, frame);
        let params = self.child_params(step, frame, outer);
        let recorded = step.id.clone();
        let after_steps = if frame.success_criteria.is_empty() {
            recorded.clone()
        } else {
            state_name::check(&step.id)
        };
        self.variables = inner;
        // The child's states after the frame's own first states, written below, so the definition reads in order.
        let before = std::mem::take(&mut self.states);
        let level = Level::of(runbook, Some(frame_index));
        let first = self.level(
            &level,
            &|position| state_name::parallel_of(&step.id, position),
            &after_steps,
            failure,
        );
        let vars = self.child_vars(frame, inner);
        let mut criteria = Vec::new();
        for criterion in &frame.success_criteria {
            let message = Text {
                source: format!(
                    "success criterion `{}` of runbook `{}` does not hold",
                    criterion.name, frame.runbook
                ),
                span: criterion.that.span,
            };
            criteria.push((criterion.that.clone(), message));
        }
        let pairs: Vec<(&Text, Option<&Text>)> = criteria
            .iter()
            .map(|(that, message)| (that, Some(message)))
            .collect();
        if !pairs.is_empty() {
            self.assertions(
                &after_steps,
                &step.id,
                &step.id,
                &pairs,
                &inner.scope(),
                &recorded,
                failure,
            );
        }
        let outputs = self.child_outputs(frame, inner);
        self.variables = outer;
        let child = std::mem::replace(&mut self.states, before);
        let (Some(params), Some(vars), Some(outputs)) = (params, vars, outputs) else {
            return;
        };
        let vars_state = state_name::frame_vars(&step.id);
        let mut assign = Map::new();
        assign.insert(inner.params(), jsonata_field(&params));
        assign.insert(inner.frame_steps(), json!({}));
        self.states.insert(
            entry(step),
            json!({
                "Type": "Pass",
                "Comment": format!("The parameters of runbook {}: the step's `with` over the runbook's defaults", frame.runbook),
                "Assign": assign,
                "Next": if vars.is_some() { vars_state.as_str() } else { first.as_str() },
            }),
        );
        if let Some(vars) = vars {
            self.states.insert(
                vars_state,
                json!({"Type": "Pass", "Assign": {inner.vars(): jsonata_field(&vars)}, "Next": first}),
            );
        }
        self.states.extend(child);
        let record = format!(
            "($o := {{{}}}; $merge([${}, {{{}: $merge([{{\"status\": \"succeeded\", \"output\": $o}}, $o])}}]))",
            outputs.join(", "),
            outer.steps(),
            literal(&json!(local_id(&step.id))),
        );
        self.states.insert(
            recorded,
            json!({
                "Type": "Pass",
                "Comment": format!("The outputs of runbook {}", frame.runbook),
                "Assign": {outer.steps(): jsonata_field(&record)},
                "Next": next,
            }),
        );
    }

    /// A child's step may not take the name of one of a step's own states: `ID.when` of the `runbook:` step
    /// would be the child's step `when`.
    fn refuse_child_ids(&mut self, step: &Step, frame: &Frame) {
        for inner in child_steps(self.runbook, step) {
            let Some(local) = inner.id.strip_prefix(&frame.prefix) else {
                continue;
            };
            if state_name::ROLES.contains(&local) {
                self.refuse(
                    format!("step id `{local}` of runbook `{}`", frame.runbook),
                    format!(
                        "the definition names the states of step `{}` with it ({})",
                        step.id,
                        state_name::ROLES
                            .map(|role| format!("`{}.{role}`", step.id))
                            .join(", ")
                    ),
                    step.span,
                );
            }
        }
    }

    /// The child's parameters as one JSONata object: each `with` value rendered over the parent's names (a value
    /// that is `null` passes nothing, so the default applies), else the child's default, else `false` for a
    /// boolean and `null` for the rest, as the engine resolves them.
    fn child_params(&mut self, step: &Step, frame: &Frame, outer: Variables) -> Option<String> {
        let mut members = Vec::new();
        let mut complete = true;
        for param in &frame.params {
            let what = format!("parameter `{}` of runbook `{}`", param.name, frame.runbook);
            let refused = |reason: &str| Some(reason.to_string());
            let reason = if param.secret {
                refused("it is secret, and its value would be written into the execution's history")
            } else if param.ty == ParamTypeName::Datetime {
                refused(
                    "the engine reads a datetime against the run's start, which the definition does not",
                )
            } else {
                None
            };
            let default = match (&param.default, param.ty) {
                (Some(ParamDefault::Value(value)), _) => Some(value.clone()),
                (Some(ParamDefault::Template(_)), _) => None,
                (None, ParamTypeName::Boolean) => Some(Value::Bool(false)),
                (None, _) => Some(Value::Null),
            };
            let given = frame.with.get(&param.name);
            let literal_given = given.filter(|value| !contains_template(value));
            let reason = reason.or_else(|| match (&default, literal_given) {
                (None, None) => {
                    refused("a default computed from other parameters is not translated")
                }
                _ => None,
            });
            let reason = reason.or_else(|| match given {
                Some(value) if contains_template(value) => {
                    self.unchecked(param, value, frame.parent)
                }
                _ => None,
            });
            if let Some(reason) = reason {
                self.refuse(what, reason, step.span);
                complete = false;
                continue;
            }
            let default = literal(&default.unwrap_or(Value::Null));
            let value = match given {
                None => default,
                Some(value) if !contains_template(value) => {
                    match crate::language::param_value::coerce(param.ty, &param.constraints, value)
                    {
                        Ok(Value::Null) => default,
                        Ok(value) => literal(&value),
                        Err(reason) => {
                            self.refuse(what, reason, step.span);
                            complete = false;
                            continue;
                        }
                    }
                }
                Some(value) => {
                    let Some(rendered) =
                        self.templated_expression("`with`", value, step.span, &outer.scope())
                    else {
                        complete = false;
                        continue;
                    };
                    format!("($v := {rendered}; $exists($v) and $v != null ? $v : {default})")
                }
            };
            members.push(format!("{}: {value}", literal(&json!(param.name))));
        }
        complete.then(|| format!("{{{}}}", members.join(", ")))
    }

    /// Why a templated `with` value cannot be passed as it renders: the engine checks it against the
    /// parameter's type and constraints once rendered. The parent's own parameter of the same declaration was
    /// checked when the run started, so it passes as it is.
    fn unchecked(&self, param: &Param, value: &Value, parent: Option<usize>) -> Option<String> {
        let plain = param.ty == ParamTypeName::String && no_constraints(&param.constraints);
        if plain {
            return None;
        }
        let parents: &[Param] = match parent {
            None => &self.runbook.params,
            Some(parent) => &self.runbook.frames[parent].params,
        };
        let referenced = value
            .as_str()
            .and_then(|text| text.trim().strip_prefix("{{"))
            .and_then(|text| text.strip_suffix("}}"))
            .and_then(|text| text.trim().strip_prefix("params."))
            .and_then(|name| parents.iter().find(|p| p.name == name));
        match referenced {
            Some(source)
                if source.ty == param.ty
                    && same_constraints(&source.constraints, &param.constraints)
                    && (!param.required || source.required || source.default.is_some()) =>
            {
                None
            }
            _ => Some(format!(
                "the engine checks the rendered value against `{}`'s type and constraints, which the definition does not; pass the parent's parameter of the same declaration, or a literal",
                param.name
            )),
        }
    }

    /// The child's vars, each computed over the ones above it (as [`Export::start`] computes the runbook's).
    fn child_vars(&mut self, frame: &Frame, inner: Variables) -> Option<Option<String>> {
        if frame.vars.is_empty() {
            return Some(None);
        }
        let name = format!("${}", inner.vars());
        let mut block = vec![format!("{name} := {{}}")];
        let mut complete = true;
        for var in &frame.vars {
            let what = format!("var `{}` of runbook `{}`", var.name, frame.runbook);
            match self.templated_expression(&what, &var.value, var.span, &inner.scope()) {
                Some(value) => block.push(format!(
                    "{name} := $merge([{name}, {{{}: {value}}}])",
                    literal(&json!(var.name))
                )),
                None => complete = false,
            }
        }
        block.push(name);
        complete.then(|| Some(format!("({})", block.join("; "))))
    }

    /// Each of the child's `outputs` as a JSONata `"name": value` pair over the child's names.
    fn child_outputs(&mut self, frame: &Frame, inner: Variables) -> Option<Vec<String>> {
        let mut fields = Vec::new();
        let mut complete = true;
        for (name, text) in &frame.outputs {
            let what = format!("output `{name}` of runbook `{}`", frame.runbook);
            match self.expression(&what, text, &inner.scope()) {
                Some(value) => fields.push(format!("{}: {value}", literal(&json!(name)))),
                None => complete = false,
            }
        }
        complete.then_some(fields)
    }
}

fn contains_template(value: &Value) -> bool {
    match value {
        Value::String(text) => is_template(text),
        Value::Array(items) => items.iter().any(contains_template),
        Value::Object(members) => members.values().any(contains_template),
        _ => false,
    }
}

fn no_constraints(constraints: &Constraints) -> bool {
    same_constraints(constraints, &Constraints::default())
}

fn same_constraints(a: &Constraints, b: &Constraints) -> bool {
    a.pattern.as_ref().map(regex::Regex::as_str) == b.pattern.as_ref().map(regex::Regex::as_str)
        && a.allowed == b.allowed
        && a.min_length == b.min_length
        && a.max_length == b.max_length
        && a.minimum == b.minimum
        && a.maximum == b.maximum
}
