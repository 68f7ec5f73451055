//! One step, start to end: `when`, approval or action, `for_each`, `wait`, `check` and `outputs`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use minijinja::Value;
use serde_json::{Map, Value as Json};

use super::action_context::ActionContext;
use super::approval::{Approval, Decision};
use super::backoff::Backoff;
use super::deferred::watch;
use super::event::Event;
use super::halt::Emit;
use super::report::{StepReport, StepStatus};
use super::scope::{ItemScope, Scope, Slot};
use super::{Mode, Options};
use crate::actions::{ActionSpec, Effect, Execute, Reach, Table};
use crate::aws::CallError;
use crate::foundation::template;
use crate::language::runbook::{ActionStep, Runbook, Step, StepKind, Text};

/// What every step task shares.
pub(super) struct Shared {
    pub runbook: Arc<Runbook>,
    pub options: Options,
    pub results: Arc<super::scope::Results>,
    /// A resumed run's earlier results; empty otherwise.
    pub prior: super::prior::Prior,
    /// `options.observer`, which it wraps: whether an observer failed and the run must stop.
    pub halting: Arc<super::halt::Halting>,
}

/// A step's report plus what downstream templates see as `steps.<id>`.
pub(super) struct Ended {
    pub report: StepReport,
    pub slot: Slot,
}

pub(super) async fn run_step(
    shared: Arc<Shared>,
    step: &Step,
    scope: &Scope,
    in_on_failure: bool,
) -> Ended {
    let started = Instant::now();
    let options = &shared.options;
    let mut report = StepReport::not_run(
        &shared.options.actions,
        step,
        &shared.runbook,
        in_on_failure,
    );
    options.observer.emit(&Event::StepStarted {
        step: step.id.clone(),
        item: None,
        summary: started_summary(&options.actions, step, scope),
    });

    let slot = match decide_when(step, scope) {
        When::Run => match &step.kind {
            StepKind::Approval(approval) => {
                run_approval(&shared, step, approval, scope, &mut report).await
            }
            StepKind::Action(action) => run_action(&shared, step, action, scope, &mut report).await,
            // The scheduler ends a `runbook:` step itself (engine::nested), in the child's scope; the validator
            // keeps them out of `on_failure`, the only other way here.
            StepKind::Runbook(_) => {
                report.status = StepStatus::Failed;
                report.error = Some("a `runbook:` step cannot run here".into());
                known(StepStatus::Failed, None, &Map::new())
            }
        },
        When::Skip => {
            report.status = StepStatus::Skipped;
            report.reason = Some(format!("`when: {}` is false", text_of(step.when.as_ref())));
            report.summary = skipped_summary(&options.actions, step, scope);
            known(StepStatus::Skipped, None, &Map::new())
        }
        When::Deferred(origins) => {
            report.status = StepStatus::Deferred;
            report.reason = Some(format!("`when` reads {}", describe_origins(&origins)));
            report.summary = deferred_summary(&options.actions, step, scope);
            Slot::Deferred
        }
        When::Error(message) => {
            report.status = StepStatus::Failed;
            report.error = Some(message);
            known(StepStatus::Failed, None, &Map::new())
        }
    };
    report.duration = started.elapsed();
    if matches!(step.kind, StepKind::Approval(_)) {
        // Waiting for a human is not the engine's time.
        report.busy = report.duration;
    }
    emit_finished(options, step, &report);
    Ended { report, slot }
}

pub(super) fn emit_finished(options: &Options, step: &Step, report: &StepReport) {
    options.observer.emit(&Event::StepFinished {
        step: step.id.clone(),
        status: report.status,
        duration: report.duration,
        attempts: report.attempts,
        error: report.error.clone(),
        output: report.output.clone(),
        summary: report.summary.clone(),
        request: report.request.clone(),
        outputs: report.outputs.clone(),
        reason: report.reason.clone(),
        changes: report.changes.clone(),
    });
}

/// What a step is about to do, for progress: its summary with the request's values (`Move messages from <url> to
/// <url>`), never a `{Member}` placeholder. A request not known yet (it reads a deferred value, or each item
/// of a for_each) leaves those words out.
fn started_summary(actions: &Table, step: &Step, scope: &Scope) -> String {
    let Some(action) = step.action() else {
        return "approval".into();
    };
    let request = match (
        &step.for_each,
        watch(|| template::render_json(&action.with, &scope.base())),
    ) {
        (None, (Ok(Json::Object(request)), touched)) if touched.is_empty() => request,
        _ => Map::new(),
    };
    let summary = fill_summary(actions.row(&action.shape).summary, &request);
    match &step.for_each {
        Some(_) => format!("{summary} (for each item)"),
        None => summary,
    }
}

/// A resumed write whose outcome the journal cannot tell: its `verify:` read decides. If the write took effect
/// the step succeeds without sending it again (its output is unknown, so it is null); if not, it runs as usual.
pub(super) async fn verify_then_run(shared: Arc<Shared>, step: &Step, scope: &Scope) -> Ended {
    let Some(verify) = step.action().and_then(|action| action.verify.as_ref()) else {
        return run_step(shared.clone(), step, scope, false).await;
    };
    let started = Instant::now();
    let options = &shared.options;
    options.observer.emit(&Event::StepStarted {
        step: step.id.clone(),
        item: None,
        summary: format!("verify: {}", options.actions.row(&verify.shape).summary),
    });
    let context = ActionContext {
        aws: options.aws.clone(),
        allow_writes: false,
        retry: crate::language::runbook::Retry::default(),
        attempt_timeout: options.default_attempt_timeout,
        observer: options.observer.clone(),
        step: step.id.clone(),
        item: None,
        cancel: options.cancel.clone(),
        attempts: Default::default(),
        retries: Default::default(),
    };
    let held = match template::render_json(&verify.with, &scope.base()) {
        Ok(Json::Object(request)) => {
            match invoke(&context, options.actions.row(&verify.shape), &request).await {
                Ok(output) => {
                    let value = template::from_json_value(&output);
                    template::evaluate(&verify.that.source, &scope.with(Some(&value), None))
                        .map(|v| v.is_true())
                        .map_err(|error| {
                            format!(
                                "`verify.that: {}`: {}",
                                verify.that.source,
                                error_text(&error)
                            )
                        })
                }
                Err(error) => Err(format!(
                    "verify {}: {}",
                    verify.shape.name,
                    StepFailure::from(error).message
                )),
            }
        }
        Ok(_) => Err("verify: `with` is not a mapping".to_string()),
        Err(error) => Err(format!("verify: rendering `with`: {}", error_text(&error))),
    };
    let (status, reason, error) = match held {
        Ok(false) => {
            options.observer.emit(&Event::Log {
                step: step.id.clone(),
                message: format!(
                    "verify: `{}` does not hold: the write did not take effect; sending it",
                    verify.that.source
                ),
            });
            return run_step(shared.clone(), step, scope, false).await;
        }
        Ok(true) => (
            StepStatus::Succeeded,
            Some(format!(
                "verified on resume: `{}` holds after {}, so the write had taken effect and was not sent again",
                verify.that.source, verify.shape.name
            )),
            None,
        ),
        Err(message) => (StepStatus::Failed, None, Some(message)),
    };
    let mut report = reuse_report(&shared, step);
    report.status = status;
    report.reason = reason;
    report.error = error;
    report.attempts = 1 + context.retries();
    report.calls = context.attempts();
    report.duration = started.elapsed();
    report.busy = report.duration;
    options.observer.emit(&Event::StepFinished {
        step: step.id.clone(),
        status: report.status,
        duration: report.duration,
        attempts: report.attempts,
        error: report.error.clone(),
        output: None,
        summary: report.summary.clone(),
        request: None,
        outputs: Map::new(),
        reason: report.reason.clone(),
        changes: Vec::new(),
    });
    let slot = known(status, None, &Map::new());
    Ended { report, slot }
}

fn reuse_report(shared: &Shared, step: &Step) -> StepReport {
    StepReport::not_run(&shared.options.actions, step, &shared.runbook, false)
}

/// A step a resumed run does not run again: its result comes from the journal or the operator's `--skip`.
pub(super) fn reuse(shared: &Shared, step: &Step, prior: &super::prior::PriorStep) -> Ended {
    let mut report = reuse_report(shared, step);
    report.status = prior.status;
    report.summary = prior.summary.clone();
    report.request = prior.request.clone();
    report.output = prior.output.clone();
    report.outputs = prior.outputs.clone();
    report.reason = Some(prior.reason.clone());
    report.attempts = prior.attempts;
    shared.options.observer.emit(&Event::StepReused {
        step: step.id.clone(),
        status: prior.status,
        reason: prior.reason.clone(),
    });
    let slot = known(prior.status, prior.output.as_ref(), &prior.outputs);
    Ended { report, slot }
}

/// What a skipped step would have done, for reports and timelines: its request rendered where it can be (a
/// skipped step's `with` may read what its `when` ruled out), else the summary with its placeholders.
fn skipped_summary(actions: &Table, step: &Step, scope: &Scope) -> String {
    let Some(action) = step.action() else {
        return String::new();
    };
    let summary = actions.row(&action.shape).summary;
    if step.for_each.is_some() {
        return summary.to_string();
    }
    match watch(|| template::render_json(&action.with, &scope.base())) {
        (Ok(Json::Object(map)), touched) if touched.is_empty() => fill_summary(summary, &map),
        _ => summary.to_string(),
    }
}

/// What a step whose `when` a plan cannot decide would do: its request rendered, values the plan does not have
/// shown as where they will come from, as in every other plan row.
fn deferred_summary(actions: &Table, step: &Step, scope: &Scope) -> String {
    let Some(action) = step.action() else {
        return String::new();
    };
    let summary = actions.row(&action.shape).summary;
    if step.for_each.is_some() {
        return summary.to_string();
    }
    match watch(|| template::render_json(&action.with, &scope.base())) {
        (Ok(Json::Object(map)), _) => fill_summary(summary, &map),
        _ => summary.to_string(),
    }
}

fn text_of(text: Option<&Text>) -> &str {
    text.map(|t| t.source.as_str()).unwrap_or("")
}

pub(super) fn describe_origins(origins: &[String]) -> String {
    let (params, steps): (Vec<&String>, Vec<&String>) = origins
        .iter()
        .partition(|o| o.starts_with(super::deferred::PARAM_ORIGIN));
    let mut parts = Vec::new();
    if !steps.is_empty() {
        let names: Vec<String> = steps.iter().map(|o| format!("`{o}`")).collect();
        parts.push(format!(
            "the result of {}, which the plan does not run",
            names.join(", ")
        ));
    }
    if !params.is_empty() {
        let names: Vec<String> = params
            .iter()
            .map(|o| format!("`{}`", &o[super::deferred::PARAM_ORIGIN.len()..]))
            .collect();
        parts.push(format!(
            "parameter {}, which the plan was not given",
            names.join(", ")
        ));
    }
    parts.join("; ")
}

enum When {
    Run,
    Skip,
    Deferred(Vec<String>),
    Error(String),
}

fn decide_when(step: &Step, scope: &Scope) -> When {
    let Some(when) = &step.when else {
        return When::Run;
    };
    let (result, touched) = watch(|| template::evaluate(&when.source, &scope.base()));
    if !touched.is_empty() {
        return When::Deferred(touched);
    }
    match result {
        Ok(value) if value.is_true() => When::Run,
        Ok(_) => When::Skip,
        Err(error) => When::Error(format!(
            "`when: {}`: {}",
            when.source,
            explain(&error, &[&when.source], &scope.base())
        )),
    }
}

/// minijinja's message without its template-name decoration.
/// A template's failure in plain words. For an undefined name it says which part of the path is missing
/// (`` `output.Table` has no `Statu` ``, `` `stepz` is not defined here ``) instead of minijinja's "undefined value"
/// or a message that repeats the expression the caller already shows.
pub(super) fn explain(error: &minijinja::Error, sources: &[&str], context: &Value) -> String {
    if error.kind() == minijinja::ErrorKind::UndefinedError {
        for source in sources {
            let paths = if template::is_template(source) {
                template::template_references(source)
            } else {
                template::expression_references(source)
            };
            for path in paths.iter().flatten() {
                let parts: Vec<&str> = path.split('.').collect();
                for n in 1..=parts.len() {
                    let prefix = parts[..n].join(".");
                    if template::evaluate(&prefix, context).is_ok() {
                        continue;
                    }
                    return if n == 1 {
                        format!("`{prefix}` is not defined here")
                    } else {
                        format!("`{}` has no `{}`", parts[..n - 1].join("."), parts[n - 1])
                    };
                }
            }
        }
    }
    error_text(error)
}

/// Every string inside a request, where its templates are.
fn strings_of<'a>(value: &'a Json, out: &mut Vec<&'a str>) {
    match value {
        Json::String(text) => out.push(text),
        Json::Array(items) => items.iter().for_each(|item| strings_of(item, out)),
        Json::Object(map) => map.values().for_each(|item| strings_of(item, out)),
        _ => {}
    }
}

pub(super) fn error_text(error: &minijinja::Error) -> String {
    let mut text = error
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| error.kind().to_string());
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// `{status, output, <named outputs>}` for downstream templates.
pub(super) fn known(
    status: StepStatus,
    output: Option<&Json>,
    outputs: &Map<String, Json>,
) -> Slot {
    known_tainted(
        status,
        output,
        outputs,
        &Default::default(),
        &Default::default(),
    )
}

/// [`known`], with the named outputs computed from a secret read as secrets ([`crate::foundation::taint`]).
pub(super) fn known_tainted(
    status: StepStatus,
    output: Option<&Json>,
    outputs: &Map<String, Json>,
    tainted: &HashSet<String>,
    secrets: &crate::foundation::secrets::Secrets,
) -> Slot {
    let mut entries = vec![
        ("status".to_string(), Value::from(status.as_str())),
        (
            "output".to_string(),
            template::from_json_value(output.unwrap_or(&Json::Null)),
        ),
    ];
    for (name, value) in outputs {
        entries.push((name.clone(), template::from_json_value(value)));
    }
    Slot::Known(crate::foundation::taint::map(entries, tainted, secrets))
}

async fn run_approval(
    shared: &Shared,
    step: &Step,
    approval: &crate::language::runbook::Approval,
    scope: &Scope,
    report: &mut StepReport,
) -> Slot {
    let options = &shared.options;
    let (prompt, touched) = watch(|| template::render(&approval.prompt.source, &scope.base()));
    let prompt = match prompt {
        Ok(value) => value.to_string(),
        // A prompt that computes over results a plan does not have (a difference of two counts) cannot be shown
        // yet; the plan says where it will come from, as it does for requests.
        Err(_) if !touched.is_empty() && options.mode != Mode::Run => {
            report.status = StepStatus::Planned;
            let pending = format!(
                "(prompt shown by the run: it reads {})",
                describe_origins(&touched)
            );
            report.summary = format!("Approval: {pending}");
            report.request = Some(Json::String(pending));
            report.reason = Some("a run stops here until an operator approves".into());
            return Slot::Deferred;
        }
        Err(error) => {
            report.status = StepStatus::Failed;
            report.error = Some(format!("approval prompt: {}", error_text(&error)));
            return known(StepStatus::Failed, None, &Map::new());
        }
    };
    report.summary = format!("Approval: {prompt}");
    report.request = Some(Json::String(prompt.clone()));
    if options.mode != Mode::Run {
        report.status = StepStatus::Planned;
        report.reason = Some(if touched.is_empty() {
            "a run stops here until an operator approves".into()
        } else {
            format!(
                "a run stops here until an operator approves; the prompt reads {}",
                describe_origins(&touched)
            )
        });
        return Slot::Deferred;
    }
    options.observer.emit(&Event::ApprovalRequested {
        step: step.id.clone(),
        prompt: prompt.clone(),
    });
    let decision = options
        .approver
        .decide(Approval {
            step: step.id.clone(),
            prompt,
            timeout: approval.timeout,
        })
        .await;
    match decision {
        Decision::Approved { by, how } => {
            // An opening the journal could not record opens nothing: the writes behind the gate stay unsent.
            if let Err(halt) = options.observer.on_event(&Event::Approved {
                step: step.id.clone(),
                by: by.clone(),
                how: how.clone(),
            }) {
                report.status = StepStatus::Failed;
                report.error = Some(halt.message);
                return known(StepStatus::Failed, None, &Map::new());
            }
            report.status = StepStatus::Succeeded;
            report.approved_by = Some(format!("{by} via {how} at {}", jiff::Timestamp::now()));
            known(StepStatus::Succeeded, None, &Map::new())
        }
        Decision::Rejected { by } => {
            report.status = StepStatus::Refused;
            report.error = Some(format!("approval refused by {by}"));
            known(StepStatus::Refused, None, &Map::new())
        }
        Decision::TimedOut => {
            report.status = StepStatus::Failed;
            report.error = Some(format!(
                "nobody approved within {}",
                crate::foundation::duration::format(approval.timeout)
            ));
            known(StepStatus::Failed, None, &Map::new())
        }
        Decision::NoAnswer => {
            report.status = StepStatus::AwaitingApproval;
            report.reason = Some(format!(
                "needs approval: pass --approve {} (or --yes), or run on a terminal",
                step.id
            ));
            Slot::Deferred
        }
    }
}

/// The plan-or-run decision for one action step, made once, here.
enum Execution {
    /// Send it.
    Execute,
    /// A write in a plan: described, never sent.
    Planned,
    /// A read a plan cannot make (offline, or its request needs a deferred value).
    Deferred(String),
}

fn decide_execution(
    mode: Mode,
    spec: &ActionSpec,
    touched: &[String],
    after_write: Option<&str>,
) -> Execution {
    match (mode, spec.effect) {
        (Mode::Run, _) => Execution::Execute,
        (Mode::Plan | Mode::Offline, Effect::Write) => Execution::Planned,
        (Mode::Offline, Effect::Read) if !is_local(spec) => {
            Execution::Deferred("offline: no AWS call is made".into())
        }
        (_, Effect::Read) if !touched.is_empty() => {
            Execution::Deferred(format!("its request reads {}", describe_origins(touched)))
        }
        // Read now, it would show the world before the write it follows: a value the run will not see.
        (_, Effect::Read) if !is_local(spec) && after_write.is_some() => {
            Execution::Deferred(format!(
                "runs after the write `{}`, which the plan does not send; reading now would show the state before it",
                after_write.unwrap_or_default()
            ))
        }
        (Mode::Plan | Mode::Offline, Effect::Read) => Execution::Execute,
    }
}

/// Built-ins that touch nothing outside the process; an offline plan still evaluates them.
fn is_local(spec: &ActionSpec) -> bool {
    spec.reach == Reach::Process
}

async fn run_action(
    shared: &Shared,
    step: &Step,
    action: &ActionStep,
    scope: &Scope,
    report: &mut StepReport,
) -> Slot {
    // for_each: the list, or the reason there is none.
    let mut items_tainted = false;
    let items: Option<Vec<Value>> = match &step.for_each {
        None => None,
        Some(for_each) => {
            let ((result, touched), read_secret) = crate::foundation::taint::watch(|| {
                watch(|| template::evaluate(&for_each.items.source, &scope.base()))
            });
            items_tainted = read_secret;
            if !touched.is_empty() {
                report.status = StepStatus::Deferred;
                report.reason = Some(format!("`for_each` reads {}", describe_origins(&touched)));
                report.summary = shared
                    .options
                    .actions
                    .row(&action.shape)
                    .summary
                    .to_string();
                return Slot::Deferred;
            }
            match result.map(|value| value.try_iter().map(|items| items.collect::<Vec<_>>())) {
                Ok(Ok(items)) => Some(items),
                Ok(Err(_)) | Err(_) => {
                    report.status = StepStatus::Failed;
                    report.error = Some(format!(
                        "`for_each: {}` is not a list",
                        for_each.items.source
                    ));
                    return known(StepStatus::Failed, None, &Map::new());
                }
            }
        }
    };

    let Some(items) = items else {
        let outcome = run_item(shared, step, action, scope, None).await;
        report.summary = outcome.summary.clone();
        report.request = outcome.request.clone();
        report.attempts = outcome.attempts;
        report.calls = outcome.calls;
        report.busy = outcome.busy;
        report.status = outcome.status;
        report.reason = outcome.reason.clone();
        report.error = outcome.error.clone();
        report.output = outcome.output.clone();
        report.outputs = outcome.outputs.clone();
        report.changes = outcome.changes.clone();
        return match outcome.status {
            StepStatus::Planned | StepStatus::Deferred => Slot::Deferred,
            status => known_tainted(
                status,
                outcome.output.as_ref(),
                &outcome.outputs,
                &outcome.tainted_outputs,
                &scope.secrets,
            ),
        };
    };

    // Fan out: up to `concurrency` items at once, results kept in item order.
    let concurrency = step
        .for_each
        .as_ref()
        .map(|f| f.concurrency.max(1) as usize)
        .unwrap_or(1);
    let length = items.len();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let fan_out_started = Instant::now();
    let mut outcomes: Vec<Option<ItemOutcome>> = (0..length).map(|_| None).collect();
    // After the first failed item no new item starts: the step has failed either way, and items of a for_each
    // are often writes.
    let failed = std::sync::atomic::AtomicBool::new(false);
    {
        let failed = &failed;
        let mut futures = FuturesUnordered::new();
        for (index0, item) in items.into_iter().enumerate() {
            let item_scope = ItemScope {
                item,
                index0,
                length,
                tainted: items_tainted,
            };
            let semaphore = semaphore.clone();
            futures.push(async move {
                let _permit = semaphore.acquire().await.expect("semaphore open");
                if failed.load(std::sync::atomic::Ordering::Relaxed)
                    || *shared.options.cancel.borrow()
                {
                    return (index0, None);
                }
                let outcome = run_item(shared, step, action, scope, Some(item_scope)).await;
                if outcome.status == StepStatus::Failed {
                    failed.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                (index0, Some(outcome))
            });
        }
        while let Some((index0, outcome)) = futures.next().await {
            outcomes[index0] = outcome;
        }
    }
    let not_started = outcomes.iter().filter(|o| o.is_none()).count();
    // Item numbers in messages count from 1, as `loop.index` does; items not started keep their place.
    let failures: Vec<String> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            o.as_ref()?
                .error
                .as_ref()
                .map(|e| format!("item {}: {e}", i + 1))
        })
        .collect();
    let outcomes: Vec<ItemOutcome> = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(ItemOutcome::not_started))
        .collect();
    report.summary = format!(
        "{} (for each of {length} items)",
        shared.options.actions.row(&action.shape).summary
    );
    report.attempts = outcomes.iter().map(|o| o.attempts).sum();
    report.calls = outcomes.iter().map(|o| o.calls).sum();
    report.busy = fan_out_started
        .elapsed()
        .min(outcomes.iter().map(|o| o.busy).sum());
    report.request = Some(Json::Array(
        outcomes
            .iter()
            .map(|o| o.request.clone().unwrap_or(Json::Null))
            .collect(),
    ));
    let output = Json::Array(
        outcomes
            .iter()
            .map(|o| o.output.clone().unwrap_or(Json::Null))
            .collect(),
    );
    let mut outputs = Map::new();
    for (name, _) in &action.outputs {
        outputs.insert(
            name.clone(),
            Json::Array(
                outcomes
                    .iter()
                    .map(|o| o.outputs.get(name).cloned().unwrap_or(Json::Null))
                    .collect(),
            ),
        );
    }
    if !failures.is_empty() {
        report.status = StepStatus::Failed;
        report.error = Some(if failures.len() == 1 {
            failures[0].clone()
        } else {
            format!(
                "{} of {length} items failed; first: {}",
                failures.len(),
                failures[0]
            )
        });
        if not_started > 0
            && let Some(error) = report.error.as_mut()
        {
            error.push_str(&format!(
                " ({not_started} items not started after the failure)"
            ));
        }
    } else if outcomes.iter().any(|o| o.status == StepStatus::Planned) {
        report.status = StepStatus::Planned;
    } else if let Some(deferred) = outcomes.iter().find(|o| o.status == StepStatus::Deferred) {
        report.status = StepStatus::Deferred;
        report.reason = deferred.reason.clone();
    } else {
        report.status = StepStatus::Succeeded;
    }
    report.output = Some(output.clone());
    report.outputs = outputs.clone();
    report.changes = outcomes.iter().flat_map(|o| o.changes.clone()).collect();
    let tainted: HashSet<String> = outcomes
        .iter()
        .flat_map(|o| o.tainted_outputs.iter().cloned())
        .collect();
    match report.status {
        StepStatus::Planned | StepStatus::Deferred => Slot::Deferred,
        status => known_tainted(status, Some(&output), &outputs, &tainted, &scope.secrets),
    }
}

impl ItemOutcome {
    fn not_started() -> ItemOutcome {
        ItemOutcome {
            busy: Duration::ZERO,
            status: StepStatus::NotRun,
            summary: String::new(),
            request: None,
            output: None,
            outputs: Map::new(),
            error: None,
            reason: Some("not started: an earlier item failed".into()),
            attempts: 0,
            calls: 0,
            tainted_outputs: HashSet::new(),
            changes: Vec::new(),
        }
    }
}

struct ItemOutcome {
    /// Time inside the action and its waits: what a shell script would spend too.
    busy: Duration,
    status: StepStatus,
    summary: String,
    request: Option<Json>,
    output: Option<Json>,
    outputs: Map<String, Json>,
    error: Option<String>,
    reason: Option<String>,
    attempts: u32,
    calls: u32,
    /// Named outputs computed from a secret.
    tainted_outputs: HashSet<String>,
    /// What the write changed (or, planned, will change).
    changes: Vec<super::Change>,
}

async fn run_item(
    shared: &Shared,
    step: &Step,
    action: &ActionStep,
    scope: &Scope,
    item: Option<ItemScope>,
) -> ItemOutcome {
    let options = &shared.options;
    let spec = options.actions.row(&action.shape);
    let context = scope.with(None, item.as_ref());
    let (rendered, touched) = watch(|| template::render_json(&action.with, &context));
    let mut outcome = ItemOutcome {
        busy: Duration::ZERO,
        status: StepStatus::Failed,
        summary: spec.summary.to_string(),
        request: None,
        output: None,
        outputs: Map::new(),
        error: None,
        reason: None,
        attempts: 0,
        calls: 0,
        tainted_outputs: HashSet::new(),
        changes: Vec::new(),
    };
    let request = match rendered {
        Ok(Json::Object(map)) => map,
        Ok(_) => Map::new(),
        Err(error) if !touched.is_empty() => {
            // A template that reads a deferred value may fail on it (a filter over a placeholder); the plan
            // shows the dependency, not the failure.
            outcome.status = if spec.effect == Effect::Write {
                StepStatus::Planned
            } else {
                StepStatus::Deferred
            };
            outcome.reason = Some(format!(
                "its request reads {} ({})",
                describe_origins(&touched),
                error_text(&error)
            ));
            return outcome;
        }
        Err(error) => {
            let mut sources = Vec::new();
            strings_of(&action.with, &mut sources);
            outcome.error = Some(format!(
                "rendering `with`: {}",
                explain(&error, &sources, &context)
            ));
            return outcome;
        }
    };
    outcome.summary = fill_summary(spec.summary, &request);
    outcome.request = Some(Json::Object(request.clone()));

    let after_write = shared.results.write_upstream(&step.needs);
    let observed = crate::actions::observed(spec.name);
    // The step's calls go through a context of their own per use, so the reads that show what a write changes
    // are counted as calls of the step (journaled with it) and not as its attempts.
    let new_context = |allow_writes: bool| ActionContext {
        aws: options.aws.clone(),
        allow_writes,
        retry: action.retry,
        attempt_timeout: action.timeout.unwrap_or(options.default_attempt_timeout),
        observer: options.observer.clone(),
        step: step.id.clone(),
        item: item.as_ref().map(|i| i.index0),
        cancel: options.cancel.clone(),
        attempts: Default::default(),
        retries: Default::default(),
    };
    let observer_context = || new_context(false);
    match decide_execution(options.mode, spec, &touched, after_write.as_deref()) {
        Execution::Planned => {
            outcome.status = StepStatus::Planned;
            if !touched.is_empty() {
                outcome.reason = Some(format!("its request reads {}", describe_origins(&touched)));
            }
            if let Some(observed) = observed {
                // What the write will change, read now when the plan may read and the request is known; after an
                // earlier write the plan does not send, the state now is not what the run will find.
                let why_not = if options.mode == Mode::Offline || options.aws.is_none() {
                    Some("offline")
                } else if !touched.is_empty() {
                    Some("its request is known only in the run")
                } else if after_write.is_some() {
                    Some("known only in the run, after an earlier write")
                } else {
                    None
                };
                let watching = observer_context();
                let seen = match why_not {
                    None => super::change::read(&watching, observed, &request).await,
                    Some(_) => None,
                };
                outcome.calls = watching.attempts();
                outcome.changes = super::change::planned(seen, observed, &request, why_not);
            }
            return outcome;
        }
        Execution::Deferred(reason) => {
            outcome.status = StepStatus::Deferred;
            outcome.reason = Some(reason);
            return outcome;
        }
        Execution::Execute => {}
    }

    let context = new_context(options.mode == Mode::Run);
    let watched = observed.filter(|_| spec.effect == Effect::Write && options.mode == Mode::Run);
    let watching = observer_context();
    let before = match watched {
        Some(observed) => super::change::read(&watching, observed, &request).await,
        None => None,
    };
    let busy = Instant::now();
    let result = execute(
        &context,
        step,
        spec,
        action,
        scope,
        item.as_ref(),
        request.clone(),
    )
    .await;
    outcome.busy = busy.elapsed();
    if let (Some(observed), Ok((output, _, _))) = (watched, &result) {
        let after = match before {
            Some(_) => super::change::read(&watching, observed, &request).await,
            None => None,
        };
        outcome.changes = super::change::done(observed, before, after, output);
    }
    outcome.calls += watching.attempts();
    if let (Some(text), Ok((output, _, _))) = (&action.outcome, &result) {
        let value = template::from_json_value(output);
        let (rendered, read_secret) = crate::foundation::taint::watch(|| {
            template::render(&text.source, &scope.with(Some(&value), item.as_ref()))
        });
        let what = match rendered {
            // A line computed from a secret is not shown at all (the redactor knows the secret, not what was
            // made of it).
            Ok(_) if read_secret => "(computed from a secret; not shown)".to_string(),
            Ok(line) => line.to_string(),
            Err(error) => format!("(outcome failed to render: {})", error_text(&error)),
        };
        outcome.changes.push(super::Change {
            what,
            before: None,
            after: None,
            planned: false,
            note: None,
        });
    }
    outcome.attempts = 1 + context.retries();
    outcome.calls += context.attempts();
    match result {
        Ok((output, outputs, tainted)) => {
            outcome.status = StepStatus::Succeeded;
            outcome.output = Some(output);
            outcome.outputs = outputs;
            outcome.tainted_outputs = tainted;
        }
        Err(StepFailure {
            message,
            output,
            code,
        }) => {
            let message = match code {
                Some(code) => name_the_resource(spec, &request, &code, message),
                None => message,
            };
            // An IAM refusal (its call said which permission) points at the whole policy.
            outcome.error = Some(
                match crate::access_denied::see_policy(&message, &shared.runbook.name) {
                    Some(see) => format!("{message}; {see}"),
                    None => message,
                },
            );
            outcome.output = output;
        }
    }
    outcome
}

struct StepFailure {
    message: String,
    /// The last response, when the failure came after one (a failed check, a wait that timed out).
    output: Option<Json>,
    /// The AWS error code, when an AWS call failed: the message then names the resource.
    code: Option<String>,
}

impl From<CallError> for StepFailure {
    fn from(error: CallError) -> StepFailure {
        let mut message = error.to_string();
        if let Some(request_id) = &error.request_id {
            message.push_str(&format!(" [request id {request_id}]"));
        }
        StepFailure {
            message,
            output: None,
            code: Some(error.code),
        }
    }
}

/// An AWS error with the resource the request named, since AWS often does not (`Requested resource not found`):
/// `no table orders: ResourceNotFoundException: ...`, or `... (table orders)` for other errors. The resource
/// comes from the registry's pattern (`...:table/{TableName}`): each member it names, after the word before it.
fn name_the_resource(
    spec: &ActionSpec,
    request: &Map<String, Json>,
    code: &str,
    message: String,
) -> String {
    let mut named = String::new();
    let mut rest = spec.resource;
    while let Some(open) = rest.find('{') {
        let before = &rest[..open];
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let member = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let Some(value) = request.get(member).filter(|v| !v.is_null()) else {
            continue;
        };
        let value = match value {
            Json::String(text) => text.clone(),
            other => other.to_string(),
        };
        let word: String = before
            .trim_end_matches([':', '/'])
            .rsplit([':', '/'])
            .next()
            .unwrap_or_default()
            .to_string();
        if named.is_empty() {
            let kind = if word.is_empty() || word.contains('}') {
                member.to_string()
            } else {
                word
            };
            named = format!("{kind} {value}");
        } else {
            named.push_str(&format!(":{value}"));
        }
    }
    if named.is_empty() {
        return message;
    }
    let not_found = code.contains("NotFound")
        || code.starts_with("NoSuch")
        || code.contains("DoesNotExist")
        || code == "EntityNotFoundException";
    if not_found {
        format!("no {named}: {message}")
    } else {
        format!("{message} ({named})")
    }
}

/// One execution of an action with a rendered request: types coerced to the registry's members, then the
/// executor. Public so executors can be tested without a runbook around them.
pub async fn invoke(
    context: &ActionContext,
    spec: &ActionSpec,
    request: &Map<String, Json>,
) -> Result<Json, CallError> {
    match &spec.execute {
        Execute::Call(op) => {
            let input = super::input::coerce(spec, Some(op.protocol), request.clone())
                .map_err(CallError::invalid_request)?;
            context.call(op, input).await
        }
        Execute::Paged(op, pages) => {
            let input = super::input::coerce(spec, Some(op.protocol), request.clone())
                .map_err(CallError::invalid_request)?;
            super::pages::follow(context, op, pages, input).await
        }
        Execute::Run(run) => {
            let input = super::input::coerce(spec, None, request.clone())
                .map_err(CallError::invalid_request)?;
            run(context, input).await
        }
    }
}

async fn execute(
    context: &ActionContext,
    step: &Step,
    spec: &ActionSpec,
    action: &ActionStep,
    scope: &Scope,
    item: Option<&ItemScope>,
    request: Map<String, Json>,
) -> Result<(Json, Map<String, Json>, HashSet<String>), StepFailure> {
    let output = match &action.wait {
        None => invoke(context, spec, &request).await?,
        Some(wait) => {
            // The clock the sleeps below run on (tokio's), so the deadline and the delays agree.
            let started = tokio::time::Instant::now();
            let mut backoff = Backoff::polling(wait.interval, wait.max_interval);
            let mut polls = 0;
            loop {
                let output = invoke(context, spec, &request).await?;
                polls += 1;
                let value = template::from_json_value(&output);
                let holds = template::evaluate(&wait.until.source, &scope.with(Some(&value), item))
                    .map(|v| v.is_true())
                    .map_err(|error| StepFailure {
                        message: format!("`until: {}`: {}", wait.until.source, error_text(&error)),
                        output: Some(output.clone()),
                        code: None,
                    })?;
                if holds {
                    break output;
                }
                let observed = observe(&wait.until.source, &scope.with(Some(&value), item));
                let elapsed = started.elapsed();
                if elapsed >= wait.timeout {
                    return Err(StepFailure {
                        message: format!(
                            "waited {} ({polls} polls) and `{}` still does not hold; last observed {observed}",
                            crate::foundation::duration::format(wait.timeout),
                            wait.until.source
                        ),
                        output: Some(output),
                        code: None,
                    });
                }
                let remaining = wait.timeout - elapsed;
                context.observer.emit(&Event::Poll {
                    step: step.id.clone(),
                    item: item.map(|i| i.index0),
                    polls,
                    observed,
                    remaining,
                });
                if !context.sleep(backoff.next_delay().min(remaining)).await {
                    return Err(StepFailure {
                        message: format!("interrupted while waiting for `{}`", wait.until.source),
                        output: Some(output),
                        code: None,
                    });
                }
            }
        }
    };

    let value = template::from_json_value(&output);
    let context_value = scope.with(Some(&value), item);
    for check in &action.check {
        let holds = template::evaluate(&check.that.source, &context_value).map_err(|error| {
            StepFailure {
                message: format!(
                    "check `{}`: {}",
                    check.that.source,
                    explain(&error, &[&check.that.source], &context_value)
                ),
                output: Some(output.clone()),
                code: None,
            }
        })?;
        context.observer.emit(&Event::CheckEvaluated {
            step: step.id.clone(),
            item: item.map(|i| i.index0),
            expression: check.that.source.clone(),
            held: holds.is_true(),
            observed: observe(&check.that.source, &context_value),
        });
        if !holds.is_true() {
            let message = match &check.message {
                Some(message) => template::render(&message.source, &context_value)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|error| {
                        format!("(message failed to render: {})", error_text(&error))
                    }),
                None => format!("check failed: `{}`", check.that.source),
            };
            let observed = observe(&check.that.source, &context_value);
            // A check over parameters only observed nothing worth repeating after its message.
            let message = if observed == "nothing" {
                message
            } else {
                format!("{message} (observed {observed})")
            };
            return Err(StepFailure {
                message,
                output: Some(output),
                code: None,
            });
        }
    }
    let mut outputs = Map::new();
    let mut tainted = HashSet::new();
    for (name, expression) in &action.outputs {
        let (value, read_secret) = crate::foundation::taint::watch(|| {
            template::evaluate(&expression.source, &context_value)
        });
        if read_secret {
            tainted.insert(name.clone());
        }
        let value = value
            .and_then(|v| template::to_json_value(&v))
            .map_err(|error| StepFailure {
                message: format!(
                    "output `{name}: {}`: {}",
                    expression.source,
                    explain(&error, &[&expression.source], &context_value)
                ),
                output: Some(output.clone()),
                code: None,
            })?;
        outputs.insert(name.clone(), value);
    }
    Ok((output, outputs, tainted))
}

/// The values an expression read, for messages: `output.Table.TableStatus = "CREATING"`.
fn observe(expression: &str, context: &Value) -> String {
    let Ok(paths) = template::expression_references(expression) else {
        return "nothing".into();
    };
    let parts: Vec<String> = paths
        .iter()
        .filter(|path| {
            path.starts_with("output") || path.starts_with("item") || path.starts_with("steps.")
        })
        .filter_map(|path| {
            let value = template::evaluate(path, context).ok()?;
            let json = template::to_json_value(&value).ok()?;
            let mut text = json.to_string();
            if text.len() > 120 {
                text.truncate(117);
                text.push_str("...");
            }
            Some(format!("{path} = {text}"))
        })
        .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

/// `Describe table {TableName}` with the request's values.
pub fn fill_summary(summary: &str, request: &Map<String, Json>) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut rest = summary;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &rest[open + 1..open + close];
        match request.get(name) {
            Some(Json::String(text)) => out.push_str(text),
            Some(Json::Null) | None => {}
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
