//! The graph walk: a step starts as soon as everything in its `needs` has finished, up to `parallelism` at once.
//! After the steps, the success criteria; when the run failed, the `on_failure` steps.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value as Json};
use tokio::task::JoinSet;

use super::deferred::watch;
use super::event::Event;
use super::halt::{Emit, Halting};
use super::nested::{self, Frames, Start};
use super::prior::Prior;
use super::report::{Criterion, Leftover, Outcome, RunReport, StepReport, StepStatus};
use super::scope::{Results, Scope};
use super::step::{Ended, Shared, error_text, reuse, run_step, verify_then_run};
use super::{Mode, Options};
use crate::foundation::template;
use crate::language::runbook::Runbook;

/// Runs (or plans) `runbook` with resolved parameter values.
pub async fn execute(
    runbook: Arc<Runbook>,
    params: Map<String, Json>,
    options: Options,
) -> RunReport {
    execute_with_unknown_params(runbook, params, &[], options).await
}

/// Like [`execute`], for an offline plan that was not given the required parameters in `unknown`: templates see
/// them as `<param NAME>` and whatever reads them is shown as deferred.
pub async fn execute_with_unknown_params(
    runbook: Arc<Runbook>,
    params: Map<String, Json>,
    unknown: &[String],
    options: Options,
) -> RunReport {
    execute_inner(runbook, params, unknown, Prior::default(), options).await
}

/// Continues a run: the steps in `prior` are not run again, their results (outputs included) are taken as they
/// are; every other step runs as in [`execute`]. `options` carries the original run's id and start time, so
/// templates reading `run.id` render as they did.
pub async fn resume(
    runbook: Arc<Runbook>,
    params: Map<String, Json>,
    prior: Prior,
    options: Options,
) -> RunReport {
    execute_inner(runbook, params, &[], prior, options).await
}

/// The runbook's lock key: its `lock:` template over `params`, `vars` and `run`, or its name.
pub fn render_lock_key(
    runbook: &Runbook,
    params: &Map<String, Json>,
    run_id: &str,
    started_at: jiff::Timestamp,
) -> Result<String, String> {
    let Some(lock) = &runbook.lock else {
        return Ok(runbook.name.clone());
    };
    let (key, read_secret) =
        render_before_steps(runbook, &lock.source, params, run_id, started_at)?;
    if read_secret {
        // The validator refuses this; a lock key is shown to everyone (file names, messages, the lock table).
        return Err(format!(
            "lock `{}` reads a secret parameter, and a lock key is never secret: it names the lock file, the \
             DynamoDB item and every message about the lock",
            lock.source
        ));
    }
    key.map(|value| value.to_string())
        .map_err(|error| format!("lock `{}`: {}", lock.source, error_text(&error)))
}

/// Every lock a run of `runbook` takes: its own key first ([`render_lock_key`]), then those of the runbooks its
/// `runbook:` steps may run, each once.
pub fn render_lock_keys(
    runbook: &Runbook,
    params: &Map<String, Json>,
    run_id: &str,
    started_at: jiff::Timestamp,
) -> Result<Vec<String>, String> {
    let mut keys = vec![render_lock_key(runbook, params, run_id, started_at)?];
    for before in nested_before_run(runbook, params, run_id, started_at)? {
        if let Some(key) = before.lock
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// What is known before the run of each runbook `runbook:` steps run ([`Runbook::frames`]): whether the
/// parameters rule it out, and its lock.
pub fn nested_before_run(
    runbook: &Runbook,
    params: &Map<String, Json>,
    run_id: &str,
    started_at: jiff::Timestamp,
) -> Result<Vec<super::nested::Before>, String> {
    if runbook.frames.is_empty() {
        return Ok(Vec::new());
    }
    let run_value = run_value(runbook, run_id, started_at);
    let secrets = crate::foundation::secrets::Secrets::default();
    let params_value = params_value(&runbook.params, params, &[], &secrets);
    let vars = evaluate_vars(&runbook.vars, &params_value, &run_value, &secrets)?;
    let root = Scope::new(
        params_value,
        vars,
        run_value,
        Arc::new(Results::new(Vec::new())),
        secrets,
    );
    super::nested::before_run(&root, runbook, started_at)
}

/// The SNS topic of the runbook's `notify:`, rendered as the lock is (over parameters and vars), when it has one.
pub fn render_notify_topic(
    runbook: &Runbook,
    params: &Map<String, Json>,
    run_id: &str,
    started_at: jiff::Timestamp,
) -> Result<Option<String>, String> {
    let Some(notify) = &runbook.notify else {
        return Ok(None);
    };
    let (topic, _) = render_before_steps(runbook, &notify.source, params, run_id, started_at)?;
    let topic = topic
        .map(|value| value.to_string().trim().to_string())
        .map_err(|error| format!("notify `{}`: {}", notify.source, error_text(&error)))?;
    Ok(Some(topic))
}

/// A runbook-level template (`lock:`, `notify:`) rendered before any step runs, over parameters, vars and `run`;
/// and whether it read a secret.
fn render_before_steps(
    runbook: &Runbook,
    source: &str,
    params: &Map<String, Json>,
    run_id: &str,
    started_at: jiff::Timestamp,
) -> Result<(Result<minijinja::Value, minijinja::Error>, bool), String> {
    let run_value = run_value(runbook, run_id, started_at);
    let secrets = crate::foundation::secrets::Secrets::default();
    let params_value = params_value(&runbook.params, params, &[], &secrets);
    let vars = evaluate_vars(&runbook.vars, &params_value, &run_value, &secrets)?;
    let context = minijinja::Value::from_pairs([
        ("params", params_value),
        ("vars", vars),
        ("run", run_value),
    ]);
    Ok(crate::foundation::taint::watch(|| {
        template::render(source, &context)
    }))
}

/// `params` as templates see them: secret ones read through [`crate::foundation::taint::map`]; in an offline plan, the
/// required ones not given (`unknown`) are deferred.
pub(super) fn params_value(
    declared: &[crate::language::runbook::Param],
    params: &Map<String, Json>,
    unknown: &[String],
    secrets: &crate::foundation::secrets::Secrets,
) -> minijinja::Value {
    let secret_names: std::collections::HashSet<String> = declared
        .iter()
        .filter(|param| param.secret)
        .map(|param| param.name.clone())
        .collect();
    crate::foundation::taint::map(
        params.iter().map(|(name, value)| {
            let value = if unknown.contains(name) {
                super::deferred::Deferred::param(name)
            } else {
                crate::foundation::template::from_json_value(value)
            };
            (name.clone(), value)
        }),
        &secret_names,
        secrets,
    )
}

fn run_value(runbook: &Runbook, run_id: &str, started_at: jiff::Timestamp) -> minijinja::Value {
    crate::foundation::template::from_json_value(&serde_json::json!({
        "id": run_id,
        "name": runbook.name,
        "started_at": started_at.to_string(),
    }))
}

async fn execute_inner(
    runbook: Arc<Runbook>,
    params: Map<String, Json>,
    unknown: &[String],
    prior: Prior,
    mut options: Options,
) -> RunReport {
    let started = Instant::now();
    let halting = Arc::new(Halting::new(options.observer.clone()));
    options.observer = halting.clone();
    let mode = options.mode;
    let mut report = RunReport {
        runbook: runbook.name.clone(),
        run_id: options.run_id.clone(),
        mode,
        outcome: Outcome::Succeeded,
        started_at: options.started_at.to_string(),
        duration: Default::default(),
        params: redact_params(&runbook, &params),
        steps: Vec::new(),
        success_criteria: Vec::new(),
        on_failure: Vec::new(),
        error: None,
        leftovers: Vec::new(),
    };

    let run_value = run_value(&runbook, &options.run_id, options.started_at);
    let params_value = params_value(&runbook.params, &params, unknown, &options.secrets);
    let vars = match evaluate_vars(&runbook.vars, &params_value, &run_value, &options.secrets) {
        Ok(vars) => vars,
        Err(error) => {
            report.outcome = Outcome::Failed;
            report.error = Some(error);
            report.steps = runbook
                .steps
                .iter()
                .map(|step| StepReport::not_run(&options.actions, step, &runbook, false))
                .collect();
            report.duration = started.elapsed();
            return report;
        }
    };
    let results = Arc::new(Results::new(runbook.steps.iter().map(|s| s.id.clone())));
    let scope = Scope::new(
        params_value,
        vars,
        run_value,
        results.clone(),
        options.secrets.clone(),
    );
    let shared = Arc::new(Shared {
        runbook: runbook.clone(),
        options,
        results,
        prior,
        halting,
    });

    let walk = walk(&shared, &scope).await;
    report.steps = walk.reports;
    report.error = walk.first_error.clone();
    report.outcome = walk.outcome;
    if let Some(halt) = shared.halting.halted() {
        // Whatever else happened, what the run did after this is not on record: it ends here, as the journal's.
        report.outcome = Outcome::JournalFailed;
        report.error = Some(halt.message);
    }
    if report.outcome == Outcome::Refused {
        let region = shared
            .options
            .aws
            .as_ref()
            .map(|aws| aws.region().to_string());
        report.leftovers = leftovers(&runbook, &report.steps, region.as_deref());
    }

    if report.outcome == Outcome::Succeeded {
        report.success_criteria = evaluate_criteria(&shared, &scope);
        if let Some(failed) = report
            .success_criteria
            .iter()
            .find(|c| c.held == Some(false))
        {
            report.outcome = Outcome::Failed;
            report.error = Some(format!("success criterion `{}` does not hold", failed.name));
        } else if mode != Mode::Run {
            report.outcome = Outcome::Planned;
        }
    }

    if report.outcome == Outcome::Failed && mode == Mode::Run {
        // `run.error` goes into notifications (SNS, a ticket): what is secret in it stays out.
        let error = shared
            .options
            .secrets
            .redact(&report.error.clone().unwrap_or_default());
        let failure_scope = scope.with_error(&error);
        for step in &runbook.on_failure {
            // Sequential and unconditional on each other: a failing notification must not stop a cleanup.
            let ended = run_step(shared.clone(), step, &failure_scope, true).await;
            report.on_failure.push(ended.report);
        }
    } else {
        report.on_failure = runbook
            .on_failure
            .iter()
            .map(|step| {
                let mut report = StepReport::not_run(&shared.options.actions, step, &runbook, true);
                report.reason = Some("runs only when the run fails".into());
                report
            })
            .collect();
    }
    report.duration = started.elapsed();
    report
}

/// The writes that took effect before a refusal, each with the command that removes what it made.
fn leftovers(runbook: &Runbook, steps: &[StepReport], region: Option<&str>) -> Vec<Leftover> {
    steps
        .iter()
        .filter(|report| {
            report.effect == crate::language::runbook::StepEffect::Write
                && report.status == StepStatus::Succeeded
        })
        .map(|report| {
            let remove = runbook
                .step(&report.id)
                .and_then(|step| step.action())
                .and_then(|action| {
                    crate::actions::undo::command(
                        action.shape.name,
                        report.request.as_ref(),
                        report.output.as_ref(),
                        region,
                    )
                });
            Leftover {
                step: report.id.clone(),
                summary: report.summary.clone(),
                remove,
            }
        })
        .collect()
}

fn redact_params(runbook: &Runbook, params: &Map<String, Json>) -> Map<String, Json> {
    params
        .iter()
        .map(|(name, value)| {
            let secret = runbook.param(name).is_some_and(|p| p.secret);
            (
                name.clone(),
                if secret {
                    Json::String("<secret>".into())
                } else {
                    value.clone()
                },
            )
        })
        .collect()
}

/// `vars`, in order, each seeing the ones above it; one computed from a secret is read through
/// [`crate::foundation::taint::map`] like the secret itself.
pub(super) fn evaluate_vars(
    declared: &[crate::language::runbook::Var],
    params: &minijinja::Value,
    run: &minijinja::Value,
    secrets: &crate::foundation::secrets::Secrets,
) -> Result<minijinja::Value, String> {
    let mut vars = Map::new();
    let mut tainted = std::collections::HashSet::new();
    let as_value = |vars: &Map<String, Json>, tainted: &std::collections::HashSet<String>| {
        crate::foundation::taint::map(
            vars.iter().map(|(name, value)| {
                (
                    name.clone(),
                    crate::foundation::template::from_json_value(value),
                )
            }),
            tainted,
            secrets,
        )
    };
    for var in declared {
        let context = minijinja::Value::from_pairs([
            ("params", params.clone()),
            ("run", run.clone()),
            ("vars", as_value(&vars, &tainted)),
        ]);
        let (value, read_secret) =
            crate::foundation::taint::watch(|| template::render_json(&var.value, &context));
        let value = value.map_err(|error| format!("var `{}`: {}", var.name, error_text(&error)))?;
        if read_secret {
            tainted.insert(var.name.clone());
        }
        vars.insert(var.name.clone(), value);
    }
    Ok(as_value(&vars, &tainted))
}

struct Walk {
    reports: Vec<StepReport>,
    outcome: Outcome,
    first_error: Option<String>,
}

async fn walk(shared: &Arc<Shared>, scope: &Scope) -> Walk {
    let steps = &shared.runbook.steps;
    let mut waiting_on: Vec<usize> = steps.iter().map(|s| s.needs.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (index, step) in steps.iter().enumerate() {
        for &need in &step.needs {
            dependents[need].push(index);
        }
    }
    let mut ready: VecDeque<usize> = (0..steps.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut reports: Vec<Option<StepReport>> = (0..steps.len()).map(|_| None).collect();
    let mut running: JoinSet<(usize, Ended)> = JoinSet::new();
    let mut cancel = shared.options.cancel.clone();
    let mut cancel_open = true;
    let parallelism = shared.options.parallelism.max(1);
    let mut outcome = Outcome::Succeeded;
    let mut first_error: Option<String> = None;
    let mut frames = Frames::new(shared);

    loop {
        let stopping =
            outcome != Outcome::Succeeded || *cancel.borrow() || shared.halting.halted().is_some();
        if *cancel.borrow() && outcome == Outcome::Succeeded {
            outcome = Outcome::Interrupted;
        }
        while !stopping && running.len() < parallelism {
            let Some(index) = ready.pop_front() else {
                break;
            };
            if let Some(prior) = shared.prior.get(&steps[index].id) {
                let ended = reuse(shared, &steps[index], prior);
                running.spawn(async move { (index, ended) });
                continue;
            }
            let scope = match frames.start(shared, scope, &steps[index]) {
                Start::Run(scope) => scope,
                Start::Finish(child) => {
                    let ended = nested::finish(shared, &steps[index], &child);
                    running.spawn(async move { (index, ended) });
                    continue;
                }
                Start::Closed(closed) => {
                    let ended = nested::closed(shared, &steps[index], closed);
                    running.spawn(async move { (index, ended) });
                    continue;
                }
            };
            let shared = shared.clone();
            running.spawn(async move {
                let step = &shared.runbook.steps[index];
                let ended = if shared.prior.verify_first.contains(&step.id) {
                    verify_then_run(shared.clone(), step, &scope).await
                } else {
                    run_step(shared.clone(), step, &scope, false).await
                };
                (index, ended)
            });
        }
        if running.is_empty() {
            break;
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            // Wake up to stop starting steps; in-flight ones finish on their own (their sleeps end early).
            changed = cancel.changed(), if cancel_open && !*cancel.borrow() => {
                // A dropped sender (a confirmation plan's) can never interrupt: stop listening, or this arm
                // would be ready forever and spin.
                cancel_open = changed.is_ok();
                continue;
            }
        };
        let Some(joined) = joined else { break };
        let (index, ended) = match joined {
            Ok(done) => done,
            Err(panic) => {
                // A bug in an executor must not take the whole run's record with it.
                outcome = Outcome::Failed;
                first_error.get_or_insert_with(|| format!("internal error in a step: {panic}"));
                continue;
            }
        };
        let Ended { report, slot } = ended;
        shared.results.set(index, slot);
        if shared.options.mode != Mode::Run {
            let write = if report.effect == crate::language::runbook::StepEffect::Write
                && report.status == StepStatus::Planned
            {
                Some(report.id.clone())
            } else {
                shared.results.write_upstream(&steps[index].needs)
            };
            shared.results.set_after_write(index, write);
        }
        let status = report.status;
        match status {
            StepStatus::Failed if report.on_error_continue => {}
            // Ended after the interrupt: sleeps and waits end early with an error, which is the interrupt's doing.
            // The run is interrupted (set above and after the loop), not failed, and on_failure does not start.
            StepStatus::Failed if *cancel.borrow() => {}
            StepStatus::Failed => {
                if outcome == Outcome::Succeeded || outcome == Outcome::Interrupted {
                    outcome = Outcome::Failed;
                }
                first_error.get_or_insert_with(|| {
                    format!(
                        "step `{}` failed: {}",
                        report.id,
                        report.error.clone().unwrap_or_default()
                    )
                });
            }
            StepStatus::AwaitingApproval if outcome == Outcome::Succeeded => {
                outcome = Outcome::AwaitingApproval;
            }
            // A refusal ends the run as the operator's decision; a failure elsewhere at the same time still wins.
            StepStatus::Refused if outcome != Outcome::Failed => {
                outcome = Outcome::Refused;
                first_error.get_or_insert_with(|| {
                    format!(
                        "step `{}`: {}",
                        report.id,
                        report.error.clone().unwrap_or_else(|| "refused".into())
                    )
                });
            }
            _ => {}
        }
        let release = status.lets_dependents_start()
            || (status == StepStatus::Failed && report.on_error_continue);
        reports[index] = Some(report);
        if release {
            for &dependent in &dependents[index] {
                waiting_on[dependent] -= 1;
                if waiting_on[dependent] == 0 {
                    ready.push_back(dependent);
                }
            }
        }
    }
    if *cancel.borrow() && outcome == Outcome::Succeeded {
        outcome = Outcome::Interrupted;
    }
    let reports = reports
        .into_iter()
        .zip(steps)
        .map(|(report, step)| {
            report.unwrap_or_else(|| {
                StepReport::not_run(&shared.options.actions, step, &shared.runbook, false)
            })
        })
        .collect();
    Walk {
        reports,
        outcome,
        first_error,
    }
}

fn evaluate_criteria(shared: &Shared, scope: &Scope) -> Vec<Criterion> {
    shared
        .runbook
        .success_criteria
        .iter()
        .map(|criterion| {
            let (result, touched) =
                watch(|| template::evaluate(&criterion.that.source, &scope.base()));
            let (held, detail) = if !touched.is_empty() {
                (
                    None,
                    Some(format!(
                        "decided by the run: reads the result of {}",
                        touched
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                )
            } else {
                match result {
                    Ok(value) => (Some(value.is_true()), None),
                    Err(error) => (Some(false), Some(error_text(&error))),
                }
            };
            let criterion = Criterion {
                name: criterion.name.clone(),
                expression: criterion.that.source.clone(),
                held,
                detail,
            };
            shared
                .options
                .observer
                .emit(&Event::CriterionEvaluated(criterion.clone()));
            criterion
        })
        .collect()
}
