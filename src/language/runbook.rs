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
    /// In file order; `needs` hold indexes into this list. The steps of a runbook run by a `runbook:` step are
    /// in it too, just before that step, with ids under `<its id>.` (see [`Frame`]).
    pub steps: Vec<Step>,
    /// The runbooks its `runbook:` steps run, nested ones included; a step's `frame` indexes this list.
    pub frames: Vec<Frame>,
    pub success_criteria: Vec<Criterion>,
    /// Named expressions evaluated after the steps, for a parent runbook that runs this one.
    pub outputs: Vec<(String, Text)>,
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

    /// The runbook a `runbook:` step runs.
    pub fn child_of(&self, step: &Step) -> Option<&Frame> {
        match &step.kind {
            StepKind::Runbook(call) => self.frames.get(call.frame),
            _ => None,
        }
    }

    /// What a step does, for tables and plans: its action's name, or `runbook NAME`; `None` for a gate.
    pub fn step_doing(&self, step: &Step) -> Option<String> {
        match &step.kind {
            StepKind::Action(action) => Some(action.shape.name.to_string()),
            StepKind::Approval(_) => None,
            StepKind::Runbook(_) => self
                .child_of(step)
                .map(|frame| format!("runbook {}", frame.runbook)),
        }
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
    /// The runbook this step belongs to: `None` for the runbook's own steps, else an index into
    /// [`Runbook::frames`]. Its templates read that runbook's `params`, `vars` and `steps`.
    pub frame: Option<usize>,
}

impl Step {
    pub fn effect(&self) -> StepEffect {
        match &self.kind {
            StepKind::Action(action) => match action.shape.effect {
                Effect::Read => StepEffect::Read,
                Effect::Write => StepEffect::Write,
            },
            StepKind::Approval(_) => StepEffect::Approval,
            // What the child does is in its own steps, beside this one: this step only gathers its outputs.
            StepKind::Runbook(_) => StepEffect::Read,
        }
    }

    pub fn action(&self) -> Option<&ActionStep> {
        match &self.kind {
            StepKind::Action(action) => Some(action),
            StepKind::Approval(_) | StepKind::Runbook(_) => None,
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
    /// The end of a nested runbook: it runs after every step of the child and gives the child's `outputs`.
    Runbook(RunbookCall),
}

/// A `runbook:` step, once its child's steps are in the graph.
#[derive(Debug)]
pub struct RunbookCall {
    /// The child's index in [`Runbook::frames`].
    pub frame: usize,
}

/// A runbook run by a `runbook:` step: what its own steps need besides themselves. Its steps are expanded into
/// the parent's graph (ids under [`Frame::prefix`]); the first of them wait for the `runbook:` step's `needs`, and
/// the `runbook:` step waits for the last of them.
#[derive(Debug)]
pub struct Frame {
    /// The child runbook's name.
    pub runbook: String,
    /// Its steps' ids begin with this, e.g. `rollback.` (`a.b.` for a runbook nested twice).
    pub prefix: String,
    /// The frame of the `runbook:` step, whose templates `with` and `when` read: `None` for the runbook's own.
    pub parent: Option<usize>,
    /// The `runbook:` step, an index into [`Runbook::steps`].
    pub step: usize,
    /// The child's parameter values as templates over the parent frame (its `with:`).
    pub with: serde_json::Map<String, serde_json::Value>,
    /// The `runbook:` step's `when`: false skips every step of the child.
    pub when: Option<Text>,
    pub params: Vec<Param>,
    pub vars: Vec<Var>,
    /// The child's lock, taken with the run's own.
    pub lock: Option<Text>,
    pub success_criteria: Vec<Criterion>,
    pub outputs: Vec<(String, Text)>,
    pub source: Arc<SourceFile>,
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
