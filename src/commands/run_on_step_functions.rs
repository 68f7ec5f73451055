//! `runbook run NAME --on step-functions [FLAGS]`: the run as an execution of the runbook's state machine on AWS
//! Step Functions (`runbook deploy` made it), followed with the progress a local run shows and journaled as one:
//! the execution's history (GetExecutionHistory, every page) is read back as the engine's events
//! ([`crate::step_functions::history`]), so `audit verify`, `audit timeline` and the run's summary and exit status
//! are those of a local run. Approval gates wait on AWS for `runbook approve` or `runbook reject`.
//!
//! The journal is written as the history is read, a poll behind the execution: each record's time is when it was
//! read, within [`POLL`] of when it happened while the execution moves (within [`QUIET_POLL`] after a long
//! quiet, such as a gate waiting). An interrupt stops the following, not the execution.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::aws::{self, Aws};
use crate::commands::execution_lock;
use crate::commands::exit::ExitStatus;
use crate::commands::recorded;
use crate::commands::run::{Flags, exit_code, print_result, progress_style};
use crate::commands::state_machine;
use crate::engine::{Event, Observer, Outcome};
use crate::journal::Journal;
use crate::journal::signature::Signer;
use crate::language::runbook::{Runbook, StepEffect};
use crate::progress::Progress;
use crate::redact::Redactor;
use crate::step_functions::history::Follower;

/// How often the execution's history is read while it moves; each read that finds nothing new doubles the pause
/// up to [`QUIET_POLL`] (a gate may wait for hours, and GetExecutionHistory is throttled per account).
const POLL: Duration = Duration::from_millis(500);
const QUIET_POLL: Duration = Duration::from_secs(8);
/// Reads in a row that may fail transiently (throttling, a dropped connection) before the following gives up.
const READ_ATTEMPTS: u32 = 5;

pub(super) async fn run(
    color: bool,
    runbook: Arc<Runbook>,
    params: Map<String, Value>,
    flags: Flags,
    (run_id, started_at): (String, jiff::Timestamp),
) -> ExitStatus {
    if let Some(secret) = runbook
        .params
        .iter()
        .find(|param| param.secret && params.get(&param.name).is_some_and(|v| !v.is_null()))
    {
        crate::say!(
            "runbook run: `{}` is secret, and an execution's input is kept in its history for anyone who can read \
             it; run it locally instead",
            secret.name
        );
        return ExitStatus::Usage;
    }
    let aws = match Aws::load(&flags.aws).await {
        Ok(aws) => Arc::new(aws),
        Err(error) => {
            crate::say!("runbook: {error}");
            return ExitStatus::Usage;
        }
    };
    if let Err(refused) = confirm_writes(&runbook, flags.yes) {
        return refused;
    }
    let machine = match state_machine::find(&aws, &runbook.name).await {
        Ok(Some(machine)) => machine,
        Ok(None) => {
            crate::say!(
                "runbook run: no state machine named {0} on Step Functions; deploy it first: `runbook deploy {0} \
                 --to step-functions --role-arn ARN`",
                runbook.name
            );
            return ExitStatus::Usage;
        }
        Err(error) => {
            crate::say!("runbook run: {error}");
            return ExitStatus::Failed;
        }
    };
    match deployed_definition(&aws, &machine).await {
        Ok(definition) if state_machine::marked_with(&definition, &runbook) => {}
        Ok(_) => {
            crate::say!(
                "runbook run: state machine {0} was not deployed from {0} as it is now (the runbook changed since, \
                 or it was deployed another way); deploy it again first: `runbook deploy {0} --to step-functions \
                 --role-arn ARN`",
                runbook.name
            );
            return ExitStatus::Usage;
        }
        Err(error) => {
            crate::say!("runbook run: {error}");
            return ExitStatus::Failed;
        }
    }

    let keys = match crate::engine::render_lock_keys(&runbook, &params, &run_id, started_at) {
        Ok(keys) => keys,
        Err(error) => {
            crate::say!("runbook run: {error}");
            return ExitStatus::Usage;
        }
    };
    if let Some(refused) = refused_by_a_running_execution(&aws, &machine, &runbook, &keys).await {
        return refused;
    }
    // The locks a local run takes (the state dir's, or `--lock-table`'s), held while this run follows its
    // execution: a local run of the same key is refused meanwhile, and this run is refused while one holds it.
    let (lock, child_locks) =
        match recorded::take_run_locks(&flags.recording, Some(&aws), &keys, &run_id).await {
            Ok(locks) => locks,
            Err(error) => return super::run::lock_refused(&error),
        };
    let status = run_holding_the_locks(
        color,
        &runbook,
        (params, &keys[0]),
        &flags,
        (&aws, &machine),
        (&run_id, started_at),
    )
    .await;
    lock.release().await;
    recorded::release_all(child_locks).await;
    status
}

/// The run once its locks are held: journal, start, follow, end.
async fn run_holding_the_locks(
    color: bool,
    runbook: &Arc<Runbook>,
    (params, lock_key): (Map<String, Value>, &str),
    flags: &Flags,
    (aws, machine): (&Arc<Aws>, &str),
    (run_id, started_at): (&str, jiff::Timestamp),
) -> ExitStatus {
    let operator = recorded::operator(Some(aws)).await;
    let redactor = Redactor::for_params(runbook, &params);
    // `--audit-kms-key` (or RUNBOOK_AUDIT_KMS_KEY) signs the imported journal's head at its start and its end, as
    // a local run's; the key is checked before anything starts, so a team's signing policy is never skipped.
    let signer = match recorded::signer(&flags.recording, Some(aws), run_id).await {
        Ok(signer) => signer,
        Err(error) => {
            crate::say!("runbook: {error}; nothing was sent");
            return ExitStatus::Usage;
        }
    };
    let Some(journal) = recorded::create_journal(&flags.recording.state, run_id) else {
        return ExitStatus::Usage;
    };
    let started = recorded::run_started(
        runbook,
        (run_id, &params),
        operator,
        Some(aws),
        &redactor,
        recorded::RunStart {
            mode: "run".into(),
            state_machine: Some(machine.to_string()),
            signing_key: signer.as_ref().map(|signer| signer.key().to_string()),
            lock: Some(lock_key.to_string()),
            ..Default::default()
        },
    );
    if let Err(error) = recorded::write_or_fail(&journal, &started) {
        crate::say!("runbook: {error}");
        return ExitStatus::Usage;
    }
    if let Err(error) = recorded::sign_start(&journal, signer.as_ref()).await {
        crate::say!("runbook: {error}; nothing was sent");
        return ExitStatus::Usage;
    }
    let progress = Arc::new(Progress::new(progress_style(flags), color));
    let observer = recorded::observer(&journal, runbook, progress.clone(), &redactor);
    let clock = Instant::now();

    let execution = state_machine::call(
        aws,
        &aws::sfn::START_EXECUTION,
        json!({
            "stateMachineArn": machine,
            // The run id names the execution: the two are found from each other, and a retried start is refused
            // by Step Functions rather than run twice.
            "name": run_id,
            "input": Value::Object(params.clone()).to_string(),
        }),
    )
    .await;
    let mut follower = Follower::new(runbook, (run_id, started_at), params);
    let execution = match execution {
        Ok(started) => started["executionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        Err(error) => {
            let mut report = follower.into_report();
            report.error = Some(format!("the execution did not start: {error}"));
            return end(
                &journal,
                report,
                clock,
                flags,
                (aws, signer.as_ref()),
                &redactor,
            )
            .await;
        }
    };
    let _ = observer.on_event(&Event::Log {
        step: String::new(),
        message: format!("on AWS Step Functions: execution {execution} of {machine}"),
    });

    let interrupted = follow(aws, &execution, &mut follower, observer.as_ref()).await;
    let mut report = follower.into_report();
    if let Some(why) = interrupted {
        report.outcome = Outcome::Interrupted;
        report.error = Some(why);
    }
    end(
        &journal,
        report,
        clock,
        flags,
        (aws, signer.as_ref()),
        &redactor,
    )
    .await
}

/// Why the execution may not start: an execution of the same state machine is running with one of this run's lock
/// keys ([`execution_lock`]); nothing is started or journaled then, and the exit code is a held lock's.
async fn refused_by_a_running_execution(
    aws: &Aws,
    machine: &str,
    runbook: &Runbook,
    keys: &[String],
) -> Option<ExitStatus> {
    match execution_lock::holder(aws, machine, runbook, keys).await {
        Ok(None) => None,
        Ok(Some(holder)) => {
            crate::say!("runbook run: {holder}; nothing was started");
            Some(ExitStatus::Locked)
        }
        Err(error) => {
            crate::say!(
                "runbook run: the running executions could not be read ({error}); nothing was started"
            );
            Some(ExitStatus::Failed)
        }
    }
}

async fn deployed_definition(aws: &Aws, machine: &str) -> Result<Value, aws::CallError> {
    let described = state_machine::call(
        aws,
        &aws::sfn::DESCRIBE_STATE_MACHINE,
        json!({"stateMachineArn": machine}),
    )
    .await?;
    let text = described["definition"].as_str().unwrap_or_default();
    Ok(serde_json::from_str(text).unwrap_or_default())
}

/// Reads the history until the execution ends; `Some(why)` when the following stopped before that.
async fn follow(
    aws: &Aws,
    execution: &str,
    follower: &mut Follower<'_>,
    observer: &dyn Observer,
) -> Option<String> {
    let mut seen = 0;
    let mut pause = POLL;
    let mut failed_reads = 0;
    loop {
        let events = match history(aws, execution).await {
            Ok(events) => {
                failed_reads = 0;
                events
            }
            Err(error) if error.transient && failed_reads + 1 < READ_ATTEMPTS => {
                failed_reads += 1;
                pause = QUIET_POLL;
                Vec::new()
            }
            Err(error) => {
                return Some(format!(
                    "the execution's history could not be read ({error}); it goes on: {execution}"
                ));
            }
        };
        if failed_reads == 0 {
            pause = if events.len() > seen {
                POLL
            } else {
                (pause * 2).min(QUIET_POLL)
            };
        }
        for event in events.iter().skip(seen) {
            for engine_event in follower.read(event) {
                if observer.on_event(&engine_event).is_err() {
                    return Some(format!(
                        "the journal could not be written; the execution goes on: {execution}"
                    ));
                }
            }
        }
        seen = seen.max(events.len());
        if follower.ended() {
            return None;
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = tokio::signal::ctrl_c() => {
                return Some(format!(
                    "interrupted: no longer followed here, the execution goes on on Step Functions: {execution}"
                ));
            }
        }
    }
}

/// Every event of the execution so far, oldest first.
async fn history(aws: &Aws, execution: &str) -> Result<Vec<Value>, aws::CallError> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"executionArn": execution, "maxResults": 1000});
        if let Some(token) = &token {
            input["nextToken"] = Value::String(token.clone());
        }
        let mut page = state_machine::call(aws, &aws::sfn::GET_EXECUTION_HISTORY, input).await?;
        if let Value::Array(found) = page["events"].take() {
            events.extend(found);
        }
        match page["nextToken"].as_str() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(events),
        }
    }
}

async fn end(
    journal: &Journal,
    mut report: crate::engine::RunReport,
    clock: Instant,
    flags: &Flags,
    (aws, signer): (&Aws, Option<&Arc<Signer>>),
    redactor: &Redactor,
) -> ExitStatus {
    report.duration = clock.elapsed();
    recorded::finish(
        journal,
        &report,
        clock,
        None,
        &flags.recording,
        Some(aws),
        signer,
        redactor,
    )
    .await;
    redactor.report(&mut report);
    print_result(flags, &report);
    exit_code(&report)
}

/// The writes are confirmed before the execution starts, as a local run's are: `--yes`, else `yes` on a
/// terminal. There is no plan to show (the reads would run here, not there): the writing steps are named.
fn confirm_writes(runbook: &Runbook, yes: bool) -> Result<(), ExitStatus> {
    let writes: Vec<&str> = runbook
        .steps
        .iter()
        .filter(|step| step.effect() == StepEffect::Write)
        .map(|step| step.id.as_str())
        .collect();
    if writes.is_empty() || yes {
        return Ok(());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        crate::say!(
            "runbook run: {} writes (steps: {}); pass --yes to run it without a terminal, or review it first with \
             `runbook plan {}`",
            runbook.name,
            writes.join(", "),
            runbook.name
        );
        return Err(ExitStatus::Usage);
    }
    eprint!(
        "\nStart {} on Step Functions, with its writes (steps: {})? Only 'yes' is accepted: ",
        runbook.name,
        writes.join(", ")
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() != "yes" {
        crate::say!("runbook run: not confirmed; nothing was written");
        return Err(ExitStatus::Declined);
    }
    Ok(())
}
