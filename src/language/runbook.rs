//! The validated model: what planning and execution consume.
//!
//! Only the validator builds these values (see `validator/`), so holding a [`Runbook`] means every name resolves,
//! every template compiles, every action exists with the members it needs, and the step graph has no cycle.

use std::sync::Arc;
use std::time::Duration;

use crate::foundation::source::{SourceFile, Span};
use crate::language::action_shape::{ActionShape, Effect};
use crate::language::raw::{OnError, ParamTypeName, Severity};

#[derive(Debug)]
pub struct Runbook {
    pub name: String,
    pub description: String,
    pub doc: Option<String>,
    pub severity: Option<Severity>,
    pub tags: Vec<String>,
    /// The lock key template; `None` means the runbook's name.
    pub lock: Option<Text>,
    /// The SNS topic template of `notify:`; `--notify` overrides it.
    pub notify: Option<Text>,
    pub params: Vec<Param>,
    pub vars: Vec<Var>,
    /// In file order; `needs` hold indexes into this list.
    pub steps: Vec<Step>,
    pub success_criteria: Vec<Criterion>,
    pub on_failure: Vec<Step>,
    pub source: Arc<SourceFile>,
}

impl Runbook {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == id)
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|param| param.name == name)
    }

    /// Whether any step (failure handling included) changes state.
    pub fn has_writes(&self) -> bool {
        self.steps
            .iter()
            .chain(&self.on_failure)
            .any(|step| step.effect() == StepEffect::Write)
    }
}

/// A template or expression as written, with its place in the file for run-time errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub source: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct Param {
    pub name: String,
    /// The command-line flag without dashes: `restore_time` becomes `restore-time`.
    pub flag: String,
    pub ty: ParamTypeName,
    pub required: bool,
    pub description: Option<String>,
    pub default: Option<ParamDefault>,
    pub constraints: Constraints,
    pub secret: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ParamDefault {
    /// A literal, already checked against the type and constraints.
    Value(serde_json::Value),
    /// A template over earlier parameters, checked once rendered.
    Template(Text),
}

/// What a parameter's value must satisfy besides its type.
#[derive(Debug, Default, Clone)]
pub struct Constraints {
    pub pattern: Option<regex::Regex>,
    pub allowed: Vec<serde_json::Value>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

#[derive(Debug)]
pub struct Var {
    pub name: String,
    /// Strings inside are templates.
    pub value: serde_json::Value,
    pub span: Span,
}

#[derive(Debug)]
pub struct Step {
    pub id: String,
    pub title: Option<String>,
    pub kind: StepKind,
    /// Indexes into [`Runbook::steps`].
    pub needs: Vec<usize>,
    pub when: Option<Text>,
    pub for_each: Option<ForEach>,
    pub on_error: OnError,
    pub span: Span,
}

impl Step {
    pub fn effect(&self) -> StepEffect {
        match &self.kind {
            StepKind::Action(action) => match action.shape.effect {
                Effect::Read => StepEffect::Read,
                Effect::Write => StepEffect::Write,
            },
            StepKind::Approval(_) => StepEffect::Approval,
        }
    }

    pub fn action(&self) -> Option<&ActionStep> {
        match &self.kind {
            StepKind::Action(action) => Some(action),
            StepKind::Approval(_) => None,
        }
    }
}

/// How a step shows in `show`, `graph` and plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepEffect {
    Read,
    Write,
    Approval,
}

impl StepEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            StepEffect::Read => "read",
            StepEffect::Write => "write",
            StepEffect::Approval => "approval",
        }
    }
}

#[derive(Debug)]
pub enum StepKind {
    Action(ActionStep),
    Approval(Approval),
}

#[derive(Debug)]
pub struct ActionStep {
    /// The action as validated; the engine finds its executor by `shape.name`.
    pub shape: ActionShape,
    /// The request; strings inside are templates.
    pub with: serde_json::Value,
    pub check: Vec<Check>,
    /// Output name and expression, in order.
    pub outputs: Vec<(String, Text)>,
    pub retry: Retry,
    /// Per attempt.
    pub timeout: Option<Duration>,
    pub wait: Option<Wait>,
    /// A write's own test of whether it took effect, for `runbook resume`.
    pub verify: Option<Verify>,
    /// What the step found or did, in words (a template over `output`), for the summary and the timeline.
    pub outcome: Option<Text>,
}

/// A read whose result tells whether a write already took effect.
#[derive(Debug)]
pub struct Verify {
    pub shape: ActionShape,
    /// The request; strings inside are templates.
    pub with: serde_json::Value,
    /// Over the read's `output`: true means the write took effect.
    pub that: Text,
}

#[derive(Debug)]
pub struct Approval {
    pub prompt: Text,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct Check {
    pub that: Text,
    pub message: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub attempts: u32,
    pub delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 3,
            delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

#[derive(Debug)]
pub struct Wait {
    pub until: Text,
    pub timeout: Duration,
    pub interval: Duration,
    pub max_interval: Duration,
}

#[derive(Debug)]
pub struct ForEach {
    pub items: Text,
    pub concurrency: u32,
}

#[derive(Debug)]
pub struct Criterion {
    pub name: String,
    pub that: Text,
}
