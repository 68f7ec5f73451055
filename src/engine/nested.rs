//! Runbooks run by a `runbook:` step. Their steps are in the graph like any other (the validator put them there,
//! see `language::validator::nested`), so gates, writes, retries, the journal and resume treat them as the
//! parent's own. What is theirs alone is the names their templates read, a [`Frame`]: the child's `params` are the
//! `runbook:` step's `with:` rendered over the parent's names, its `vars` are computed from them, and `steps.x`
//! reads the child's step `x`. A frame is bound once, when the first of its steps is about to start (by then
//! everything the `runbook:` step needs has finished); its `when` false skips every step of the child.
//!
//! The `runbook:` step ends after the child's last steps: it checks the child's success criteria and gives its
//! `outputs`, which the parent reads as `steps.<id>.<name>`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value as Json};

use super::deferred::watch;
use super::event::Event;
use super::halt::Emit;
use super::report::{StepReport, StepStatus};
use super::scope::{Results, Scope, Slot};
use super::step::{Ended, Shared, describe_origins, emit_finished, error_text, known_tainted};
use crate::foundation::template;
use crate::language::param_value;
use crate::language::runbook::{Frame, Runbook, Step, StepKind};

/// What a child's steps find when they are about to start.
#[derive(Clone)]
enum FrameState {
    /// The child runs: the names its templates read.
    Bound(Scope),
    Closed(Closed),
}

/// Why a child does not run.
#[derive(Clone)]
pub(super) enum Closed {
    /// The `runbook:` step's `when` is false: every step of the child is skipped, for this reason.
    Off(String),
    /// A plan cannot tell yet: `when` or `with:` reads values only the run will have.
    Deferred(Vec<String>),
    /// `with:` could not be rendered into the child's parameters.
    Failed(String),
}

/// The frames of one run, bound as their steps come up.
pub(super) struct Frames {
    states: Vec<Option<FrameState>>,
}

/// How the scheduler starts one step.
pub(super) enum Start {
    /// Run it as usual, in this scope.
    Run(Scope),
    /// A `runbook:` step whose child ran: gather the child's outputs in its scope.
    Finish(Scope),
    /// Its runbook does not run (off, deferred, failed): it ends at once, so.
    Closed(Closed),
}

impl Frames {
    pub(super) fn new(shared: &Shared) -> Frames {
        Frames {
            states: vec![None; shared.runbook.frames.len()],
        }
    }

    /// How to start `step`, binding its frame (and the frames around it) first if needed.
    pub(super) fn start(&mut self, shared: &Shared, root: &Scope, step: &Step) -> Start {
        if let StepKind::Runbook(call) = &step.kind {
            return match self.state(shared, root, call.frame) {
                FrameState::Bound(scope) => Start::Finish(scope),
                FrameState::Closed(closed) => Start::Closed(closed),
            };
        }
        match step.frame {
            None => Start::Run(root.clone()),
            Some(frame) => match self.state(shared, root, frame) {
                FrameState::Bound(scope) => Start::Run(scope),
                FrameState::Closed(closed) => Start::Closed(closed),
            },
        }
    }

    fn state(&mut self, shared: &Shared, root: &Scope, frame: usize) -> FrameState {
        if let Some(state) = &self.states[frame] {
            return state.clone();
        }
        let declared = &shared.runbook.frames[frame];
        let outer = match declared.parent {
            None => FrameState::Bound(root.clone()),
            Some(parent) => self.state(shared, root, parent),
        };
        let state = match outer {
            FrameState::Bound(outer) => bind(
                declared,
                &shared.runbook.steps[declared.step].id,
                &outer,
                Gate::When,
                (shared.options.started_at, shared.results.clone()),
            ),
            // A runbook inside one that does not run does not run either, for the same reason.
            FrameState::Closed(closed) => FrameState::Closed(closed),
        };
        self.states[frame] = Some(state.clone());
        state
    }
}

/// The child's names, from the parent's: `when`, then each `with:` value rendered and read as the child's
/// parameter type, then defaults for the rest, then the child's vars.
/// How binding a frame reads its `when`: a run decides it; before the run (locks, the confirmation of writes)
/// only a `when` that parameters and vars already rule out counts, and one that reads steps may run.
#[derive(Clone, Copy, PartialEq)]
enum Gate {
    When,
    BeforeSteps,
}

fn bind(
    frame: &Frame,
    step_id: &str,
    outer: &Scope,
    gate: Gate,
    (started_at, results): (jiff::Timestamp, Arc<Results>),
) -> FrameState {
    let context = outer.base();
    if let Some(when) = &frame.when {
        let (result, touched) = watch(|| template::evaluate(&when.source, &context));
        if !touched.is_empty() {
            return FrameState::Closed(Closed::Deferred(touched));
        }
        match result {
            Ok(value) if value.is_true() => {}
            Err(_) if gate == Gate::BeforeSteps => {}
            Ok(_) => {
                return FrameState::Closed(Closed::Off(format!(
                    "`when: {}` of `{step_id}` is false",
                    when.source
                )));
            }
            Err(error) => {
                return failed(format!(
                    "`when: {}` of `{step_id}`: {}",
                    when.source,
                    error_text(&error)
                ));
            }
        }
    }
    let mut given = Map::new();
    let mut secret: HashSet<String> = frame
        .params
        .iter()
        .filter(|param| param.secret)
        .map(|param| param.name.clone())
        .collect();
    // Before the run, a `with:` value that reads steps is not known: what reads it (a lock) learns so.
    let mut unknown = Vec::new();
    for (name, value) in &frame.with {
        let ((rendered, read_secret), touched) =
            watch(|| crate::foundation::taint::watch(|| template::render_json(value, &context)));
        if !touched.is_empty() {
            return FrameState::Closed(Closed::Deferred(touched));
        }
        let rendered = match rendered {
            Ok(rendered) => rendered,
            Err(_) if gate == Gate::BeforeSteps => {
                unknown.push(name.clone());
                continue;
            }
            Err(error) => {
                return failed(format!(
                    "`with: {name}` of `{step_id}`: {}",
                    error_text(&error)
                ));
            }
        };
        if read_secret {
            secret.insert(name.clone());
        }
        given.insert(name.clone(), rendered);
    }
    let values = param_value::resolve(
        &frame.params,
        |param| match given.get(&param.name) {
            // `{{ params.x }}` of a parameter not given passes nothing on: the child's default applies.
            Some(Json::Null) | None => Ok(None),
            Some(value) => param_value::coerce(param.ty, &param.constraints, value).map(Some),
        },
        started_at,
    );
    let values = match values {
        Ok(values) => values,
        Err((param, message)) => {
            let message = outer.secrets.redact(&message);
            return failed(format!(
                "parameter `{param}` of runbook `{}` (from `{step_id}`): {message}",
                frame.runbook
            ));
        }
    };
    let params = crate::foundation::taint::map(
        values.iter().map(|(name, value)| {
            let value = if unknown.contains(name) {
                super::deferred::Deferred::param(name)
            } else {
                template::from_json_value(value)
            };
            (name.clone(), value)
        }),
        &secret,
        &outer.secrets,
    );
    let vars =
        match super::scheduler::evaluate_vars(&frame.vars, &params, &outer.run, &outer.secrets) {
            Ok(vars) => vars,
            Err(error) => {
                return failed(format!("runbook `{}`: {error}", frame.runbook));
            }
        };
    FrameState::Bound(Scope::nested(
        params,
        vars,
        outer.run.clone(),
        results,
        frame.prefix.clone(),
        outer.secrets.clone(),
    ))
}

fn failed(error: String) -> FrameState {
    FrameState::Closed(Closed::Failed(error))
}

/// A step that ends without running: its runbook is off, deferred or failed to start.
pub(super) fn closed(shared: &Shared, step: &Step, closed: Closed) -> Ended {
    let mut report = StepReport::not_run(&shared.options.actions, step, &shared.runbook, false);
    start_event(shared, step);
    let nothing = |status| {
        known_tainted(
            status,
            None,
            &Map::new(),
            &HashSet::new(),
            &shared.options.secrets,
        )
    };
    let slot = match closed {
        Closed::Off(reason) => {
            report.status = StepStatus::Skipped;
            report.reason = Some(reason);
            nothing(StepStatus::Skipped)
        }
        Closed::Deferred(origins) => {
            report.status = StepStatus::Deferred;
            report.reason = Some(format!(
                "its runbook's `when` or `with` reads {}",
                describe_origins(&origins)
            ));
            Slot::Deferred
        }
        Closed::Failed(error) => {
            report.status = StepStatus::Failed;
            report.error = Some(error);
            nothing(StepStatus::Failed)
        }
    };
    emit_finished(&shared.options, step, &report);
    Ended { report, slot }
}

/// The `runbook:` step once its child's steps have ended: the child's success criteria, then its outputs.
pub(super) fn finish(shared: &Shared, step: &Step, child: &Scope) -> Ended {
    let started = Instant::now();
    let mut report = StepReport::not_run(&shared.options.actions, step, &shared.runbook, false);
    start_event(shared, step);
    let StepKind::Runbook(call) = &step.kind else {
        unreachable!("finish is called for `runbook:` steps only")
    };
    let frame = &shared.runbook.frames[call.frame];
    let context = child.base();
    let mut deferred = Vec::new();
    let mut failure = None;
    for criterion in &frame.success_criteria {
        let (result, touched) = watch(|| template::evaluate(&criterion.that.source, &context));
        if !touched.is_empty() {
            deferred.extend(touched);
            continue;
        }
        match result {
            Ok(value) if value.is_true() => {}
            Ok(_) => {
                failure.get_or_insert_with(|| {
                    format!(
                        "success criterion `{}` of runbook `{}` does not hold",
                        criterion.name, frame.runbook
                    )
                });
            }
            Err(error) => {
                failure.get_or_insert_with(|| {
                    format!(
                        "success criterion `{}` of runbook `{}`: {}",
                        criterion.name,
                        frame.runbook,
                        error_text(&error)
                    )
                });
            }
        }
    }
    let mut outputs = Map::new();
    let mut tainted = HashSet::new();
    for (name, expression) in &frame.outputs {
        let ((value, read_secret), touched) = watch(|| {
            crate::foundation::taint::watch(|| template::evaluate(&expression.source, &context))
        });
        if !touched.is_empty() {
            deferred.extend(touched);
            continue;
        }
        match value.map(|value| template::to_json_value(&value)) {
            Ok(Ok(value)) => {
                if read_secret {
                    tainted.insert(name.clone());
                }
                outputs.insert(name.clone(), value);
            }
            Ok(Err(error)) | Err(error) => {
                failure.get_or_insert_with(|| {
                    format!(
                        "output `{name}` of runbook `{}`: {}",
                        frame.runbook,
                        error_text(&error)
                    )
                });
            }
        }
    }
    report.summary = format!("runbook {}", frame.runbook);
    let slot = if let Some(error) = failure {
        report.status = StepStatus::Failed;
        report.error = Some(error);
        known_tainted(
            StepStatus::Failed,
            None,
            &Map::new(),
            &tainted,
            &shared.options.secrets,
        )
    } else if !deferred.is_empty() {
        report.status = StepStatus::Deferred;
        report.reason = Some(format!("its outputs read {}", describe_origins(&deferred)));
        Slot::Deferred
    } else {
        report.status = StepStatus::Succeeded;
        let output = Json::Object(outputs.clone());
        let slot = known_tainted(
            StepStatus::Succeeded,
            Some(&output),
            &outputs,
            &tainted,
            &shared.options.secrets,
        );
        report.output = Some(output);
        report.outputs = outputs;
        slot
    };
    report.duration = started.elapsed();
    emit_finished(&shared.options, step, &report);
    Ended { report, slot }
}

fn start_event(shared: &Shared, step: &Step) {
    let summary = match &step.kind {
        StepKind::Runbook(call) => format!("runbook {}", shared.runbook.frames[call.frame].runbook),
        _ => String::new(),
    };
    shared.options.observer.emit(&Event::StepStarted {
        step: step.id.clone(),
        item: None,
        summary,
    });
}

/// What is known of a nested runbook before the run starts.
pub struct Before {
    /// Its `runbook:` step's `when` is false on the parameters and vars alone: none of its steps will run.
    pub ruled_out: bool,
    /// The lock it takes (its `lock:`, or its name), unless ruled out.
    pub lock: Option<String>,
}

/// Each frame of `runbook` before its run, in the order of [`Runbook::frames`]. A child's lock reads its
/// parameters as `with:` gives them, and locks are taken before the first step: the `with` values it reads may
/// read the parent's parameters and vars, not its steps. A child whose `when` reads steps may run, and is locked.
pub(super) fn before_run(
    root: &Scope,
    runbook: &Runbook,
    started_at: jiff::Timestamp,
) -> Result<Vec<Before>, String> {
    let results = Arc::new(Results::new(Vec::new()));
    let mut scopes: Vec<Option<Scope>> = Vec::with_capacity(runbook.frames.len());
    let mut found = Vec::new();
    for frame in &runbook.frames {
        let step_id = &runbook.steps[frame.step].id;
        let outer = match frame.parent {
            None => Some(root),
            Some(parent) => scopes[parent].as_ref(),
        };
        let Some(outer) = outer else {
            scopes.push(None);
            found.push(Before {
                ruled_out: true,
                lock: None,
            });
            continue;
        };
        let cannot = |why: String| {
            format!(
                "the lock of runbook `{}` (run by `{step_id}`) cannot be known before the run: {why}",
                frame.runbook
            )
        };
        let scope = match bind(
            frame,
            step_id,
            outer,
            Gate::BeforeSteps,
            (started_at, results.clone()),
        ) {
            FrameState::Bound(scope) => scope,
            FrameState::Closed(Closed::Off(_)) => {
                scopes.push(None);
                found.push(Before {
                    ruled_out: true,
                    lock: None,
                });
                continue;
            }
            FrameState::Closed(Closed::Failed(error)) => return Err(cannot(error)),
            FrameState::Closed(Closed::Deferred(_)) => {
                return Err(cannot("its `with` reads what only the run finds".into()));
            }
        };
        let lock = match &frame.lock {
            None => frame.runbook.clone(),
            Some(lock) => {
                let ((key, read_secret), touched) = watch(|| {
                    crate::foundation::taint::watch(|| {
                        template::render(&lock.source, &scope.base())
                    })
                });
                if !touched.is_empty() {
                    return Err(cannot(format!(
                        "`{}` reads a parameter whose `with` value reads steps; locks are taken before the \
                         first step, so the `with` values a lock reads may read parameters and vars only",
                        lock.source
                    )));
                }
                if read_secret {
                    return Err(cannot(format!(
                        "`{}` reads a secret, and a lock key is never secret",
                        lock.source
                    )));
                }
                key.map(|value| value.to_string()).map_err(|error| {
                    cannot(format!(
                        "`{}`: {}; the `with` values a lock reads may read parameters and vars only",
                        lock.source,
                        error_text(&error)
                    ))
                })?
            }
        };
        found.push(Before {
            ruled_out: false,
            lock: Some(lock),
        });
        scopes.push(Some(scope));
    }
    Ok(found)
}
