//! `runbook resume RUN`: continues a run from its journal. Steps the journal shows succeeded are not run again;
//! a write that may have taken effect is never repeated unless the operator says so (`--rerun` or `--skip`).

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::Arc;

use clap::Args;
use serde_json::{Map, Value};

use super::run::{self, Flags};
use crate::aws::{Aws, AwsSettings};
use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::recorded::{self, Recording};
use crate::engine::{self, ApproverIdentity, Mode, Prior};
use crate::journal::replay::{self, Standing};
use crate::journal::{Journal, Record, Skip, StateDir, chain, signature, store};
use crate::language::runbook::{Runbook, StepEffect};
use crate::progress::Progress;
use crate::redact::Redactor;

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run: its id, a unique part of it, or `last`.
    pub run: String,
    /// Run this step again even though the journal cannot tell whether its write took effect (repeatable).
    #[arg(long, value_name = "STEP")]
    pub rerun: Vec<String>,
    /// Do not run this step; treat it as skipped. Each --skip needs a --reason (repeatable, in order).
    #[arg(long, value_name = "STEP")]
    pub skip: Vec<String>,
    #[arg(long, value_name = "TEXT")]
    pub reason: Vec<String>,
    /// Resume although the runbook file changed since the run started.
    #[arg(long)]
    pub allow_changed: bool,
    /// Run the remaining writes without asking and open every approval gate.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Approve this approval step (repeatable).
    #[arg(long, value_name = "STEP")]
    pub approve: Vec<String>,
    #[arg(long, value_parser = ["text", "json"], default_value = "text")]
    pub output: String,
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub parallelism: usize,
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    #[arg(long, value_name = "TABLE", env = "RUNBOOK_LOCK_TABLE")]
    pub lock_table: Option<String>,
    #[arg(long, value_name = "s3://BUCKET/PREFIX", env = "RUNBOOK_AUDIT_S3")]
    pub audit_s3: Option<String>,
    /// Sign the journal's head with this asymmetric KMS key at the start, at gates and at the end.
    #[arg(long, value_name = "KEY", env = "RUNBOOK_AUDIT_KMS_KEY")]
    pub audit_kms_key: Option<String>,
    /// Publish to this SNS topic when a gate waits and when the run ends (default: the topic the run notified).
    #[arg(long, value_name = "TOPIC_ARN", env = "RUNBOOK_NOTIFY")]
    pub notify: Option<String>,
}

fn fail(message: impl std::fmt::Display) -> ExitStatus {
    crate::say!("runbook resume: {message}");
    ExitStatus::Usage
}

pub fn run(context: &Context, args: ResumeArgs) -> ExitStatus {
    let state = StateDir::resolve(context.state_dir.as_deref());
    let run_id = match state.find_run(&args.run) {
        Ok(id) => id,
        Err(error) => return fail(error),
    };
    let path = state.journal(&run_id);
    let text = match store::read_journal(&path) {
        Ok(text) => text,
        Err(error) => return fail(format!("cannot read {}: {error}", path.display())),
    };
    let verification = chain::verify(&text);
    if !verification.intact() {
        return fail(format!(
            "the journal of {run_id} fails verification ({} problems; `runbook audit verify {run_id}` lists them); \
             a resume would trust records that may have been altered",
            verification.problems.len()
        ));
    }
    let entries = match store::read_entries(&path) {
        Ok(entries) => entries,
        Err(error) => return fail(format!("cannot read {}: {error}", path.display())),
    };
    let replay = replay::replay(&entries);
    let Some(started) = replay.started.clone() else {
        return fail(format!("{} has no run_started record", path.display()));
    };
    if started.mode != "run" {
        return fail(format!(
            "{run_id} was a {}; only runs are resumed (plan again instead)",
            started.mode
        ));
    }
    if let Some(machine) = &started.state_machine {
        return fail(format!(
            "{run_id} ran on AWS Step Functions ({machine}), and a resume here would run its remaining steps on \
             this machine; start a new execution with `runbook run {} --on step-functions`",
            started.runbook
        ));
    }
    if replay.outcome.as_deref() == Some("succeeded") {
        return fail(format!("{run_id} already succeeded; nothing to resume"));
    }
    let runbook = match super::load_named(context, &started.runbook) {
        Ok(runbook) => Arc::new(runbook),
        Err(code) => return code,
    };
    let (_, sha256) = recorded::fingerprint(&runbook);
    if sha256 != started.runbook_sha256 && !args.allow_changed {
        return fail(format!(
            "runbook {} changed since run {run_id} started (SHA-256 {} then, {} now); review the change, then \
             pass --allow-changed to resume with the new version",
            runbook.name,
            &started.runbook_sha256[..12.min(started.runbook_sha256.len())],
            &sha256[..12]
        ));
    }
    let params = match restore_params(&runbook, &started.params) {
        Ok(params) => params,
        Err(error) => return fail(error),
    };
    if args.skip.len() != args.reason.len() {
        return fail("every --skip STEP needs its own --reason TEXT (in the same order)");
    }
    for step in args.rerun.iter().chain(&args.skip) {
        if runbook.step(step).is_none() {
            return fail(format!("no step `{step}` in {}", runbook.name));
        }
    }
    for step in &args.approve {
        if runbook.step(step).map(|s| s.effect()) != Some(StepEffect::Approval) {
            return fail(format!(
                "--approve {step}: not an approval step of {}",
                runbook.name
            ));
        }
    }

    // Decide every step: reuse, run, or refuse to guess.
    let rerun: HashSet<&str> = args.rerun.iter().map(String::as_str).collect();
    let skips: Vec<Skip> = args
        .skip
        .iter()
        .zip(&args.reason)
        .map(|(step, reason)| Skip {
            step: step.clone(),
            reason: reason.clone(),
        })
        .collect();
    let operator_name = crate::cli_approver::os_user();
    let mut prior = Prior::default();
    let mut uncertain = Vec::new();
    let mut remaining_writes = Vec::new();
    for step in &runbook.steps {
        let id = step.id.as_str();
        if let Some(skip) = skips.iter().find(|s| s.step == id) {
            prior.steps.insert(
                id.to_string(),
                engine::PriorStep {
                    status: engine::StepStatus::Skipped,
                    summary: String::new(),
                    request: None,
                    output: None,
                    outputs: Map::new(),
                    attempts: 0,
                    reason: format!("skipped by {operator_name} on resume: {}", skip.reason),
                },
            );
            continue;
        }
        if rerun.contains(id) {
            if step.effect() == StepEffect::Write {
                remaining_writes.push(id.to_string());
            }
            continue;
        }
        match replay.standing(id) {
            Standing::Done => {
                if let Some(result) = replay.prior(id) {
                    prior.steps.insert(id.to_string(), result);
                }
            }
            Standing::Run => {
                if step.effect() == StepEffect::Write {
                    remaining_writes.push(id.to_string());
                }
            }
            // The runbook says how to tell: its `verify:` read decides during the resume.
            Standing::Uncertain(_) if step.action().is_some_and(|a| a.verify.is_some()) => {
                prior.verify_first.insert(id.to_string());
                remaining_writes.push(id.to_string());
            }
            Standing::Uncertain(why) => uncertain.push(format!("  {id}: {why}")),
        }
    }
    if !uncertain.is_empty() {
        return fail(format!(
            "the journal cannot tell whether these writes took effect, so they are not repeated blindly:\n{}\n\
             check the resources, then pass --rerun STEP (send it again) or --skip STEP --reason '...' (it took \
             effect, or is not needed); a `verify:` on the step lets a resume tell by itself",
            uncertain.join("\n")
        ));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !remaining_writes.is_empty() && !args.yes && !interactive {
        return fail(format!(
            "the rest of {run_id} writes (steps: {}); pass --yes to resume without a terminal",
            remaining_writes.join(", ")
        ));
    }
    let audit_s3 = match args.audit_s3.as_deref().map(recorded::parse_s3).transpose() {
        Ok(target) => target,
        Err(error) => return fail(error),
    };
    let flags = Flags {
        mode: Mode::Run,
        yes: args.yes,
        approve: args.approve.clone(),
        format: args.output.clone(),
        quiet: args.quiet,
        parallelism: args.parallelism.max(1),
        aws: AwsSettings {
            profile: args.profile.clone(),
            region: args.region.clone().or_else(|| {
                runbook
                    .param("region")
                    .and_then(|_| params.get("region"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }),
            endpoint_url: args.endpoint_url.clone(),
        },
        notify: args.notify.clone().or(started.notify.clone()),
        recording: Recording {
            state,
            lock_table: args.lock_table.clone(),
            audit_s3,
            audit_kms_key: args.audit_kms_key.clone().filter(|key| !key.is_empty()),
        },
    };
    let started_at: jiff::Timestamp = started
        .time
        .parse()
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let reused: Vec<String> = runbook
        .steps
        .iter()
        .filter(|s| prior.get(&s.id).is_some() && !skips.iter().any(|k| k.step == s.id))
        .map(|s| s.id.clone())
        .collect();
    let decisions = Decisions {
        allow_changed: sha256 != started.runbook_sha256,
        sha256,
        reused,
        rerun: args.rerun.clone(),
        skip: skips,
        approve: args.approve.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(execute(
        context,
        runbook,
        params,
        prior,
        flags,
        (run_id, started_at, started.lock),
        decisions,
        (interactive, &entries),
    ))
}

struct Decisions {
    sha256: String,
    allow_changed: bool,
    reused: Vec<String>,
    rerun: Vec<String>,
    skip: Vec<Skip>,
    approve: Vec<String>,
}

/// The journaled parameters; a secret one (or one whose name marks it sensitive) was journaled as `<secret>` or
/// `<redacted>` and must be given again through `RUNBOOK_PARAM_<NAME>`.
fn restore_params(
    runbook: &Runbook,
    journaled: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut params = journaled.clone();
    for param in &runbook.params {
        let withheld = param.secret
            || matches!(
                params.get(&param.name).and_then(Value::as_str),
                Some(recorded::SECRET | crate::redact::REDACTED)
            );
        if !withheld {
            continue;
        }
        let variable = format!("RUNBOOK_PARAM_{}", param.name.to_uppercase());
        match std::env::var(&variable) {
            Ok(value) if param.secret => {
                let value = crate::param_flags::secret_value(param, &value)
                    .map_err(|reason| format!("{variable}: {reason}"))?;
                params.insert(param.name.clone(), value);
            }
            Ok(value) => {
                let value = serde_json::from_str::<Value>(&value)
                    .ok()
                    .filter(|_| param.ty != crate::language::raw::ParamTypeName::String)
                    .unwrap_or(Value::String(value));
                params.insert(param.name.clone(), value);
            }
            Err(_) => {
                return Err(format!(
                    "parameter `{}` is secret, so the journal does not hold it; give it again in {variable}",
                    param.name
                ));
            }
        }
    }
    Ok(params)
}

#[allow(clippy::too_many_arguments)]
async fn execute(
    context: &Context,
    runbook: Arc<Runbook>,
    params: Map<String, Value>,
    prior: Prior,
    flags: Flags,
    (run_id, started_at, lock_key): (String, jiff::Timestamp, Option<String>),
    decisions: Decisions,
    (interactive, entries): (bool, &[chain::Entry]),
) -> ExitStatus {
    let signed = signature::declared(entries)
        || entries
            .iter()
            .any(|e| matches!(e.record, Some(Record::Signed { .. })));
    let topic = match crate::notify::Notifier::topic(
        flags.notify.clone(),
        &runbook,
        &params,
        &run_id,
        started_at,
    ) {
        Ok(topic) => topic,
        Err(error) => return fail(error),
    };
    let aws = if run::needs_aws(&runbook)
        || signed
        || flags.recording.audit_kms_key.is_some()
        || topic.is_some()
    {
        match Aws::load(&flags.aws).await {
            Ok(aws) => Some(Arc::new(aws)),
            Err(error) => return fail(error),
        }
    } else {
        None
    };
    // A signed journal is trusted only as far as its signatures verify; an unsigned tail is what a killed run
    // leaves, and is what this resume goes on from.
    let pinned = flags.recording.audit_kms_key.as_deref();
    let signatures = signature::check(entries, aws.as_deref(), pinned).await;
    let failed: Vec<&chain::Problem> = signatures
        .problems
        .iter()
        .filter(|p| p.kind == chain::ProblemKind::Signature)
        .collect();
    if !failed.is_empty() {
        return fail(format!(
            "the journal of {run_id} fails signature verification:\n{}\na resume would trust records that may have \
             been altered",
            failed
                .iter()
                .map(|p| format!("  line {}: {}", p.line, p.detail))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    let signer = match recorded::signer(&flags.recording, aws.as_ref(), &run_id).await {
        Ok(signer) => signer,
        Err(error) => return fail(error),
    };
    let operator = recorded::operator(aws.as_deref()).await;
    let identity = ApproverIdentity {
        os_user: operator.os_user.clone(),
        aws_principal: operator.aws_principal.clone(),
    };
    let operator_name = operator.to_string();
    let mut lock_keys = match engine::render_lock_keys(&runbook, &params, &run_id, started_at) {
        Ok(keys) => keys,
        Err(error) => return fail(error),
    };
    let rendered_key = lock_keys.remove(0);
    // The key the run took, as journaled, even if the runbook's `lock:` would render another now.
    let lock_key = lock_key.unwrap_or(rendered_key);
    let mut lock =
        match recorded::take_lock(&flags.recording, aws.as_ref(), &lock_key, &run_id).await {
            Ok(lock) => lock,
            Err(error) => return run::lock_refused(&error),
        };
    let child_locks =
        match recorded::take_child_locks(&flags.recording, aws.as_ref(), &lock_keys, &run_id).await
        {
            Ok(children) => children,
            Err(error) => {
                lock.release().await;
                return run::lock_refused(&error);
            }
        };
    let path = flags.recording.state.journal(&run_id);
    let (journal, discarded_bytes) = match Journal::append_to(&path) {
        Ok(opened) => opened,
        Err(error) => return fail(format!("cannot append to {}: {error}", path.display())),
    };
    let journal = Arc::new(journal);
    let resumed = Record::Resumed {
        operator,
        runbook_sha256: decisions.sha256,
        allow_changed: decisions.allow_changed,
        reused: decisions.reused,
        rerun: decisions.rerun,
        skip: decisions.skip,
        approve: decisions.approve,
        discarded_bytes,
        signing_key: signer.as_ref().map(|signer| signer.key().to_string()),
    };
    if let Err(error) = recorded::write_or_fail(&journal, &resumed) {
        return fail(error);
    }
    if let Err(error) = recorded::sign_start(&journal, signer.as_ref()).await {
        return fail(format!("{error}; nothing was sent"));
    }
    let redactor = Redactor::for_params(&runbook, &params);
    let progress = Arc::new(Progress::new(run::progress_style(&flags), context.color));
    let observer = recorded::observer(&journal, &runbook, progress.clone(), &redactor);
    let (mut options, cancel) = run::options(
        &flags,
        Mode::Run,
        aws.clone(),
        (progress.clone(), observer),
        interactive,
        (&run_id, started_at),
        Some(identity),
    );
    options.secrets = redactor.secrets().clone();
    let notifier = recorded::notifier(
        topic,
        aws.as_ref(),
        &journal,
        &redactor,
        (&run_id, &runbook, operator_name),
        &flags.recording.state,
    );
    options.approver = recorded::approver(
        options.approver,
        notifier.as_ref(),
        &flags,
        &redactor,
        signer.as_ref(),
        &journal,
    );
    let cancel = Arc::new(cancel);
    let lock_watch = recorded::watch_lock(
        Some(&mut lock),
        &lock_key,
        &journal,
        progress.clone(),
        cancel.clone(),
    );
    let clock = std::time::Instant::now();
    let signals = tokio::spawn(run::watch_signals(cancel, progress.clone()));
    let mut report = engine::resume(runbook, params, prior, options).await;
    signals.abort();
    lock_watch.settle(&mut report);
    if let Some(notifier) = &notifier {
        notifier.ended(&report).await;
    }
    recorded::finish(
        &journal,
        &report,
        clock,
        Some(lock),
        &flags.recording,
        aws.as_deref(),
        signer.as_ref(),
        &redactor,
    )
    .await;
    recorded::release_all(child_locks).await;
    redactor.report(&mut report);
    run::print_result(&flags, &report);
    run::exit_code(&report)
}
