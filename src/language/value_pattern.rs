//! What a template will render to, as far as it can be known before the run: parameters and variables are
//! known, step outputs, `run.id`, `now()` and loop items are not. Unknown parts become `*`, each with the reason,
//! so `runbook policy` widens a resource only where the run decides it, and can say what decided it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::foundation::template;
use crate::language::runbook::{Frame, ParamDefault, Runbook, Step, Var};

/// A value with `*` where the run decides.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub text: String,
    /// Why each `*` is there, in words: `the output of step dlq_url`, `--to-version (not given)`.
    pub reasons: BTreeSet<String>,
    /// The steps whose outputs were widened, for `Sid`s and notes.
    pub steps: BTreeSet<String>,
}

impl Pattern {
    pub fn known(text: impl Into<String>) -> Pattern {
        Pattern {
            text: text.into(),
            reasons: BTreeSet::new(),
            steps: BTreeSet::new(),
        }
    }

    pub fn unknown(reason: impl Into<String>) -> Pattern {
        Pattern {
            text: "*".into(),
            reasons: BTreeSet::from([reason.into()]),
            steps: BTreeSet::new(),
        }
    }

    fn from_step(step: &str) -> Pattern {
        Pattern {
            text: "*".into(),
            reasons: BTreeSet::from([format!("the output of step {step}")]),
            steps: BTreeSet::from([step.to_string()]),
        }
    }

    pub fn is_exact(&self) -> bool {
        self.reasons.is_empty()
    }

    fn push(&mut self, other: Pattern) {
        // Two wildcards in a row say no more than one.
        if !(self.text.ends_with('*') && other.text.starts_with('*')) {
            self.text.push_str(&other.text);
        } else {
            self.text.push_str(&other.text[1..]);
        }
        self.reasons.extend(other.reasons);
        self.steps.extend(other.steps);
    }
}

/// An action whose output names a resource that later steps act on, and that resource as a pattern over the
/// action's own request: a queue URL from `GetQueueUrl` is the queue the step named, not any queue.
struct OutputNames {
    action: &'static str,
    /// The output member, as `output.<member>` reads it.
    member: &'static str,
    pattern: &'static str,
}

const OUTPUT_NAMES: &[OutputNames] = &[
    OutputNames {
        action: "sqs.GetQueueUrl",
        member: "QueueUrl",
        pattern: "https://sqs.{region}.amazonaws.com/{account}/{QueueName}",
    },
    OutputNames {
        action: "dynamodb.CreateBackup",
        member: "BackupDetails.BackupArn",
        pattern: "arn:aws:dynamodb:{region}:{account}:table/{TableName}/backup/*",
    },
];

/// Everything known before a run: parameter values (null when not given), variables, region and account. A
/// runbook run by a `runbook:` step has its own ([`Known::nested`]): its parameters are what the parent's `with:`
/// is known to render.
pub struct Known<'a> {
    runbook: &'a Runbook,
    /// Where the steps of a nested runbook are in [`Runbook::steps`]: their ids begin with this.
    prefix: String,
    params: Map<String, Value>,
    /// Parameters whose value is not known, and why: required ones not given (unlike an optional one left out,
    /// null at run time too), secret ones, and a nested runbook's parameters that the run renders.
    unknown: BTreeMap<String, Pattern>,
    vars: Vec<(String, Pattern, Option<Value>)>,
    pub region: String,
    pub account: String,
}

impl<'a> Known<'a> {
    /// With `each_execution`, the parameters not given are set by each execution's input (a deployed state
    /// machine's), so they are unknown rather than null.
    pub fn new(
        runbook: &'a Runbook,
        params: Map<String, Value>,
        region: String,
        account: String,
        each_execution: bool,
    ) -> Known<'a> {
        let unknown = runbook
            .params
            .iter()
            .filter(|p| {
                (p.required || p.secret || each_execution)
                    && params.get(&p.name).is_none_or(Value::is_null)
            })
            .map(|p| {
                let reason = if p.secret {
                    format!("--{} (secret, never shown)", p.flag)
                } else if each_execution {
                    format!("--{} (each execution's input)", p.flag)
                } else {
                    format!("--{} (not given)", p.flag)
                };
                (p.name.clone(), Pattern::unknown(reason))
            })
            .collect();
        Known {
            runbook,
            prefix: String::new(),
            params,
            unknown,
            vars: Vec::new(),
            region,
            account,
        }
        .with_vars(&runbook.vars)
    }

    /// What is known in the runbook of `frame`, run from the one this describes.
    pub fn nested(&self, frame: &'a Frame) -> Known<'a> {
        let mut params = Map::new();
        let mut unknown = BTreeMap::new();
        for param in &frame.params {
            let value = match frame.with.get(&param.name) {
                Some(Value::String(text)) if template::is_template(text) => {
                    let pattern = self.template(text);
                    if !pattern.is_exact() {
                        unknown.insert(
                            param.name.clone(),
                            Pattern {
                                text: "*".into(),
                                ..pattern
                            },
                        );
                        continue;
                    }
                    Value::String(pattern.text)
                }
                Some(literal) if !literal.is_null() => literal.clone(),
                _ => match &param.default {
                    Some(ParamDefault::Value(value)) => value.clone(),
                    Some(ParamDefault::Template(text)) => {
                        let context =
                            template::from_json_value(&serde_json::json!({ "params": params }));
                        match template::render(&text.source, &context) {
                            Ok(value) => Value::String(value.to_string()),
                            Err(_) => {
                                unknown.insert(
                                    param.name.clone(),
                                    Pattern::unknown(format!("the default of {}", param.name)),
                                );
                                continue;
                            }
                        }
                    }
                    None if param.ty == crate::language::raw::ParamTypeName::Boolean => {
                        Value::Bool(false)
                    }
                    None => Value::Null,
                },
            };
            let value = crate::language::param_value::coerce(param.ty, &param.constraints, &value)
                .unwrap_or(value);
            if param.secret {
                unknown.insert(
                    param.name.clone(),
                    Pattern::unknown(format!(
                        "{} of runbook {} (secret, never shown)",
                        param.name, frame.runbook
                    )),
                );
                continue;
            }
            params.insert(param.name.clone(), value);
        }
        Known {
            runbook: self.runbook,
            prefix: frame.prefix.clone(),
            params,
            unknown,
            vars: Vec::new(),
            region: self.region.clone(),
            account: self.account.clone(),
        }
        .with_vars(&frame.vars)
    }

    fn with_vars(mut self, vars: &[Var]) -> Known<'a> {
        for var in vars {
            let (pattern, value) = match &var.value {
                Value::String(text) => {
                    let pattern = self.template(text);
                    let value = pattern
                        .is_exact()
                        .then(|| Value::String(pattern.text.clone()));
                    (pattern, value)
                }
                other => match self.evaluate_json(other) {
                    Some(value) => (Pattern::known(value.to_string()), Some(value)),
                    None => (Pattern::unknown(format!("vars.{}", var.name)), None),
                },
            };
            self.vars.push((var.name.clone(), pattern, value));
        }
        self
    }

    fn context(&self) -> minijinja::Value {
        let vars: Map<String, Value> = self
            .vars
            .iter()
            .filter_map(|(name, _, value)| Some((name.clone(), value.clone()?)))
            .collect();
        template::from_json_value(&serde_json::json!({ "params": self.params, "vars": vars }))
    }

    /// Why a read of `reference` (`params.x`, `vars.y`, `steps.z.output`) is not known before the run, if it is not.
    fn unknown_reason(&self, reference: &str) -> Option<Pattern> {
        let mut parts = reference.split('.');
        let root = parts.next().unwrap_or_default();
        let name = parts.next().unwrap_or_default();
        match root {
            "params" if self.unknown.contains_key(name) => self.unknown.get(name).cloned(),
            "params" => None,
            "vars" => match self.vars.iter().find(|(var, _, _)| var == name) {
                Some((_, _, Some(_))) => None,
                Some((_, pattern, None)) => Some(Pattern {
                    text: "*".into(),
                    ..pattern.clone()
                }),
                None => Some(Pattern::unknown(format!("vars.{name}"))),
            },
            "steps" => Some(Pattern::from_step(&format!("{}{name}", self.prefix))),
            "run" => Some(Pattern::unknown(format!(
                "run.{name}, known when the run starts"
            ))),
            "item" | "loop" => Some(Pattern::unknown("the for_each item")),
            other => Some(Pattern::unknown(other.to_string())),
        }
    }

    /// An expression's value when everything it reads is known, else `*` with the reasons; a bare read of a
    /// variable or of a step output with a known shape keeps that shape.
    fn expression(&self, expression: &str) -> Pattern {
        let expression = expression.trim();
        if let Some(name) = expression.strip_prefix("vars.")
            && is_name(name)
            && let Some((_, pattern, _)) = self.vars.iter().find(|(var, _, _)| var == name)
        {
            return pattern.clone();
        }
        if let Some(pattern) = self.step_output(expression) {
            return pattern;
        }
        // `now()` is a global, invisible to the reference analysis, and differs at run time.
        if expression.contains("now(") {
            return Pattern::unknown("now(), the time of the run");
        }
        let Ok(references) = template::expression_references(expression) else {
            return Pattern::unknown(format!("`{expression}`"));
        };
        let mut unknown: Option<Pattern> = None;
        for reference in &references {
            if let Some(reason) = self.unknown_reason(reference) {
                match &mut unknown {
                    Some(pattern) => {
                        pattern.reasons.extend(reason.reasons);
                        pattern.steps.extend(reason.steps);
                    }
                    None => unknown = Some(reason),
                }
            }
        }
        if let Some(unknown) = unknown {
            return unknown;
        }
        match template::evaluate(expression, &self.context()) {
            Ok(value) if value.is_none() => Pattern::unknown(format!("`{expression}` (empty)")),
            Ok(value) => Pattern::known(match value.as_str() {
                Some(text) => text.to_string(),
                None => value.to_string(),
            }),
            Err(_) => Pattern::unknown(format!("`{expression}`")),
        }
    }

    /// `steps.S.output.M` or `steps.S.<name>` (an output defined as `output.M`) where S's action names a
    /// resource through M: that resource.
    fn step_output(&self, expression: &str) -> Option<Pattern> {
        let rest = expression.strip_prefix("steps.")?;
        let (step_id, path) = rest.split_once('.')?;
        let step = self.runbook.step(&format!("{}{step_id}", self.prefix))?;
        let action = step.action()?;
        let names = OUTPUT_NAMES
            .iter()
            .find(|names| names.action == action.shape.name)?;
        let member = match path.strip_prefix("output.") {
            Some(member) => member.to_string(),
            None => {
                let (_, defined) = action.outputs.iter().find(|(name, _)| name == path)?;
                defined.source.trim().strip_prefix("output.")?.to_string()
            }
        };
        if member != names.member {
            return None;
        }
        let mut pattern = self.resource(names.pattern, step);
        if pattern.text.contains('*') {
            pattern
                .reasons
                .insert(format!("the output of step {step_id}"));
            pattern.steps.insert(step_id.to_string());
        }
        Some(pattern)
    }

    /// A template string: literal text kept, each `{{ }}` known or `*`.
    pub fn template(&self, source: &str) -> Pattern {
        if !template::is_template(source) {
            return Pattern::known(source);
        }
        if source.contains("{%") || source.contains("{#") {
            return self.whole_template(source);
        }
        let mut pattern = Pattern::known("");
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            pattern.push(Pattern::known(&rest[..open]));
            let Some(close) = rest[open..].find("}}") else {
                return self.whole_template(source);
            };
            let inner = rest[open + 2..open + close].trim_matches('-');
            pattern.push(self.expression(inner));
            rest = &rest[open + close + 2..];
        }
        pattern.push(Pattern::known(rest));
        pattern
    }

    /// A template with blocks: rendered when everything it reads is known, else `*`.
    fn whole_template(&self, source: &str) -> Pattern {
        let references = template::template_references(source).unwrap_or_default();
        let mut unknown = Pattern::known("*");
        for reference in &references {
            if let Some(reason) = self.unknown_reason(reference) {
                unknown.reasons.extend(reason.reasons);
                unknown.steps.extend(reason.steps);
            }
        }
        if !unknown.is_exact() || source.contains("now(") {
            if source.contains("now(") {
                unknown.reasons.insert("now(), the time of the run".into());
            }
            return unknown;
        }
        match template::render(source, &self.context()) {
            Ok(value) => Pattern::known(value.as_str().map_or(value.to_string(), str::to_string)),
            Err(_) => Pattern::unknown(format!("`{source}`")),
        }
    }

    fn evaluate_json(&self, value: &Value) -> Option<Value> {
        let mut references = BTreeSet::new();
        template::json_template_references(value, &mut references);
        if references.iter().any(|r| self.unknown_reason(r).is_some()) {
            return None;
        }
        template::render_json(value, &self.context()).ok()
    }

    /// Whether a bare expression (`when`) is known before the run, and its truth if so. A read of a step output
    /// that the expression never reaches (`params.x is not none and steps.y...` with no `x`) does not make it
    /// unknown: the context has no `steps`, so an expression that does reach one fails, and that means unknown.
    pub fn condition(&self, expression: &str) -> Option<bool> {
        if expression.contains("now(") {
            return None;
        }
        let references = template::expression_references(expression).ok()?;
        let unknown_input = references.iter().any(|reference| {
            matches!(reference.split('.').next(), Some("params" | "vars"))
                && self.unknown_reason(reference).is_some()
        });
        if unknown_input {
            return None;
        }
        template::evaluate(expression, &self.context())
            .ok()
            .map(|value| value.is_true())
    }

    /// A request member (`QueueName`, or a dotted path into a structure) of a step's `with`, as a pattern;
    /// `None` when the step does not set it.
    pub fn member(&self, with: &Value, path: &str) -> Option<Pattern> {
        let mut value = with;
        for part in path.split('.') {
            value = value.get(part)?;
        }
        Some(match value {
            Value::Null => return None,
            Value::String(text) => self.template(text),
            other => match self.evaluate_json(other) {
                Some(Value::String(text)) => Pattern::known(text),
                Some(value) => Pattern::known(value.to_string()),
                None => Pattern::unknown(format!("{path}, known at run time")),
            },
        })
    }

    /// A registry resource pattern (`arn:aws:sqs:{region}:{account}:{QueueName}`) for one step: `{region}` and
    /// `{account}` filled, `{Member}` from the step's request, any other `{...}` (a value the action itself
    /// reads at run time) `*`.
    pub fn resource(&self, pattern: &str, step: &Step) -> Pattern {
        let with = match step.action() {
            Some(action) => &action.with,
            None => &Value::Null,
        };
        self.resource_for(pattern, with, &step.id)
    }

    /// [`Known::resource`] over a request given directly.
    pub fn resource_for(&self, pattern: &str, with: &Value, step: &str) -> Pattern {
        let mut out = Pattern::known("");
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            out.push(Pattern::known(&rest[..open]));
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            out.push(match name {
                "region" => Pattern::known(&self.region),
                "account" => Pattern::known(&self.account),
                _ if name.contains(' ') => {
                    Pattern::unknown(format!("the {name}, read at run time"))
                }
                _ => self.member(with, name).unwrap_or_else(|| {
                    Pattern::unknown(format!("{name} (not set by step {step})"))
                }),
            });
            rest = &rest[open + close + 1..];
        }
        out.push(Pattern::known(rest));
        out
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
