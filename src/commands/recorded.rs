//! What `run`, `plan` and `resume` do around the engine so that every run leaves a record: who is running, the
//! lock, the journal and its observers, the final record and the upload to S3.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::aws::{self, Aws};
use crate::engine::{Fanout, Observer, RunReport};
use crate::journal::signature::{self, Signer};
use crate::journal::{Journal, JournalObserver, Operator, Record, StateDir};
use crate::language::runbook::Runbook;
use crate::lock::{self, Held, LockError};
use crate::redact::{Redacting, Redactor};

/// Where a run keeps and sends its record, from `--state-dir`, `--lock-table` and `--audit-s3`.
#[derive(Clone, Debug)]
pub struct Recording {
    pub state: StateDir,
    pub lock_table: Option<String>,
    pub audit_s3: Option<S3Target>,
    /// `--audit-kms-key`: sign the journal's head with this KMS key.
    pub audit_kms_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct S3Target {
    pub bucket: String,
    /// Empty, or ends with `/`.
    pub prefix: String,
}

/// `s3://bucket/prefix`.
pub fn parse_s3(url: &str) -> Result<S3Target, String> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| format!("--audit-s3 {url}: expected s3://BUCKET/PREFIX"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("--audit-s3 {url}: no bucket"));
    }
    let prefix = prefix.trim_matches('/');
    Ok(S3Target {
        bucket: bucket.to_string(),
        prefix: if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        },
    })
}

/// The OS user, host and process, and (when AWS is configured) the caller identity STS reports.
pub async fn operator(aws: Option<&Aws>) -> Operator {
    let mut operator = Operator {
        os_user: crate::cli_approver::os_user(),
        host: lock::host_name(),
        pid: std::process::id(),
        aws_principal: None,
        aws_account: None,
    };
    if let Some(aws) = aws {
        match aws::call(aws, &aws::sts::GET_CALLER_IDENTITY, Map::new(), false).await {
            Ok(reply) => {
                let text = |name: &str| {
                    reply
                        .output
                        .get(name)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                operator.aws_principal = text("Arn");
                operator.aws_account = text("Account");
            }
            Err(error) => {
                crate::say!("runbook: warning: cannot tell the AWS caller identity: {error}")
            }
        }
    }
    operator
}

/// Parameter values as the journal keeps them: a secret parameter's value is `<secret>` (a resume asks for it
/// again), anything else goes through the redactor like every other record.
pub fn journal_params(
    runbook: &Runbook,
    params: &Map<String, Value>,
    redactor: &Redactor,
) -> Map<String, Value> {
    let marked: Map<String, Value> = params
        .iter()
        .map(|(name, value)| {
            let secret = runbook.param(name).is_some_and(|p| p.secret);
            let value = if secret {
                Value::String(SECRET.into())
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect();
    redactor.map(&marked)
}

/// What a secret parameter's value is journaled as.
pub const SECRET: &str = "<secret>";

/// Where the runbook came from and the SHA-256 of its text, which `resume` compares.
pub fn fingerprint(runbook: &Runbook) -> (String, String) {
    // The runbooks its `runbook:` steps run are part of what it runs: a resume must notice one that changed.
    // Without any, the digest is the file's own, as it always was.
    let digest = if runbook.frames.is_empty() {
        crate::journal::chain::sha256_hex(runbook.source.text.as_bytes())
    } else {
        let mut all = runbook.source.text.clone();
        for frame in &runbook.frames {
            all.push('\0');
            all.push_str(&frame.source.text);
        }
        crate::journal::chain::sha256_hex(all.as_bytes())
    };
    (runbook.source.path.display().to_string(), digest)
}

/// What a run's start says about how it runs, beside what every run's start says (see [`run_started`]).
#[derive(Default)]
pub struct RunStart {
    /// `run`, `plan` or `offline`.
    pub mode: String,
    pub lock: Option<String>,
    pub signing_key: Option<String>,
    pub notify: Option<String>,
    /// The state machine the run is an execution of (`run --on step-functions`).
    pub state_machine: Option<String>,
}

/// The first record of a run's journal, one way for every engine, so that `audit` reads a local run's and an
/// execution's start alike.
pub fn run_started(
    runbook: &Runbook,
    (run_id, params): (&str, &Map<String, Value>),
    operator: Operator,
    aws: Option<&Aws>,
    redactor: &Redactor,
    start: RunStart,
) -> Record {
    let (runbook_file, runbook_sha256) = fingerprint(runbook);
    Record::RunStarted {
        run_id: run_id.to_string(),
        runbook: runbook.name.clone(),
        runbook_file,
        runbook_sha256,
        params: journal_params(runbook, params, redactor),
        mode: start.mode,
        operator,
        region: aws.map(|aws| aws.region().to_string()),
        endpoint: aws.and_then(|aws| aws.endpoint_url().map(str::to_string)),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        lock: start.lock,
        signing_key: start.signing_key,
        notify: start.notify,
        state_machine: start.state_machine,
    }
}

/// Takes the run's lock: the DynamoDB table's when `--lock-table` is given, else the state dir's.
pub async fn take_lock(
    recording: &Recording,
    aws: Option<&Arc<Aws>>,
    key: &str,
    run_id: &str,
) -> Result<Held, LockError> {
    let user = crate::cli_approver::os_user();
    match (&recording.lock_table, aws) {
        (Some(table), Some(aws)) => {
            lock::table::TableLock::acquire(aws.clone(), table, key, run_id, &user)
                .await
                .map(Held::Table)
        }
        (Some(_), None) => Err(LockError::Failed(
            "--lock-table needs AWS, and this runbook calls no AWS action".into(),
        )),
        (None, _) => lock::local::LocalLock::acquire(&recording.state.locks(), key, run_id, &user)
            .map(Held::Local),
    }
}

/// A run's locks: its own (`keys[0]`), then those of the runbooks it runs through `runbook:` steps. When one is held
/// elsewhere, those taken so far are released and the refusal returned.
pub async fn take_run_locks(
    recording: &Recording,
    aws: Option<&Arc<Aws>>,
    keys: &[String],
    run_id: &str,
) -> Result<(Held, Vec<Held>), LockError> {
    let (own, children) = keys.split_first().expect("a run has its own lock key");
    let lock = take_lock(recording, aws, own, run_id).await?;
    match take_child_locks(recording, aws, children, run_id).await {
        Ok(children) => Ok((lock, children)),
        Err(error) => {
            lock.release().await;
            Err(error)
        }
    }
}

/// The locks of the runbooks a run runs through `runbook:` steps, besides its own, taken after it. When one is
/// held elsewhere, those taken so far are released and the refusal returned.
pub async fn take_child_locks(
    recording: &Recording,
    aws: Option<&Arc<Aws>>,
    keys: &[String],
    run_id: &str,
) -> Result<Vec<Held>, LockError> {
    let mut held = Vec::new();
    for key in keys {
        match take_lock(recording, aws, key, run_id).await {
            Ok(lock) => held.push(lock),
            Err(error) => {
                release_all(held).await;
                return Err(error);
            }
        }
    }
    Ok(held)
}

/// Releases locks taken with [`take_child_locks`].
pub async fn release_all(held: Vec<Held>) {
    for lock in held {
        lock.release().await;
    }
}

/// Watches the run's lock while the engine works: when it is taken away, the loss is journaled and shown, and
/// the run starts no further step (as after an interrupt); [`LockWatch::settle`] then marks the report.
pub fn watch_lock(
    held: Option<&mut Held>,
    key: &str,
    journal: &Arc<Journal>,
    progress: Arc<crate::progress::Progress>,
    cancel: Arc<tokio::sync::watch::Sender<bool>>,
) -> LockWatch {
    let lost = Arc::new(std::sync::OnceLock::new());
    let Some(held) = held else {
        return LockWatch {
            key: key.to_string(),
            lost,
            task: None,
        };
    };
    let mut receiver = held.watch();
    let (key_text, journal, noticed) = (key.to_string(), journal.clone(), lost.clone());
    let task = tokio::spawn(async move {
        loop {
            let why = receiver.borrow_and_update().clone();
            if let Some(why) = why {
                progress.suspend(|| {
                    crate::say!(
                        "runbook: lock `{key_text}` was lost: {why}; starting no further step"
                    )
                });
                let record = Record::LockLost {
                    key: key_text.clone(),
                    detail: why.clone(),
                };
                if let Err(error) = journal.write(&record) {
                    crate::say!("runbook: cannot journal the lost lock: {error}");
                }
                let _ = noticed.set(why);
                let _ = cancel.send(true);
                return;
            }
            if receiver.changed().await.is_err() {
                return;
            }
        }
    });
    LockWatch {
        key: key.to_string(),
        lost,
        task: Some(task),
    }
}

pub struct LockWatch {
    key: String,
    lost: Arc<std::sync::OnceLock<String>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LockWatch {
    /// Stops watching; a run that lost its lock ends `lock_lost` (exit 5), whatever its steps did.
    pub fn settle(self, report: &mut RunReport) {
        if let Some(task) = &self.task {
            task.abort();
        }
        if let Some(why) = self.lost.get() {
            report.outcome = crate::engine::Outcome::LockLost;
            report.error = Some(format!(
                "lock `{}` was taken away while the run held it ({why}); no step was started after that",
                self.key
            ));
        }
    }
}

/// Journal first (write-ahead: on disk before the terminal shows it), then progress; both see redacted events.
pub fn observer(
    journal: &Arc<Journal>,
    runbook: &Runbook,
    progress: Arc<dyn Observer>,
    redactor: &Redactor,
) -> Arc<dyn Observer> {
    let journal: Arc<dyn Observer> = Arc::new(JournalObserver::new(journal.clone(), runbook));
    Arc::new(Redacting {
        redactor: redactor.clone(),
        inner: Arc::new(Fanout(vec![journal, progress])),
    })
}

/// A new run's journal, or `None` once the operator is told why it cannot be created (nothing was sent yet).
pub fn create_journal(state: &StateDir, run_id: &str) -> Option<Arc<Journal>> {
    match Journal::create(&state.journal(run_id)) {
        Ok(journal) => Some(Arc::new(journal)),
        Err(error) => {
            crate::say!(
                "runbook: cannot create the audit journal in {}: {error}; nothing was sent",
                state.runs().display()
            );
            None
        }
    }
}

/// Writes a record the run cannot go on without (its start, a resume): failing that, nothing is sent.
pub fn write_or_fail(journal: &Journal, record: &Record) -> Result<(), String> {
    journal.write(record).map_err(|error| {
        format!(
            "cannot write the audit journal {}: {error}; nothing was sent",
            journal.path().display()
        )
    })
}

/// Prepares `--audit-kms-key` (the key must exist and sign) before anything is journaled or sent.
pub async fn signer(
    recording: &Recording,
    aws: Option<&Arc<Aws>>,
    run_id: &str,
) -> Result<Option<Arc<Signer>>, String> {
    let Some(key) = &recording.audit_kms_key else {
        return Ok(None);
    };
    let aws = aws
        .ok_or("--audit-kms-key needs AWS configuration, and an offline plan makes no AWS call")?;
    Signer::new(aws.clone(), key, run_id)
        .await
        .map(|signer| Some(Arc::new(signer)))
}

/// Signs the journal's head when the run (or resume) has started; without that signature nothing is sent.
pub async fn sign_start(journal: &Journal, signer: Option<&Arc<Signer>>) -> Result<(), String> {
    match signer {
        Some(signer) => signer.sign_head(journal, signature::AT_START).await,
        None => Ok(()),
    }
}

/// The run's notifier, when it has a topic (`--notify`, the journal's, or the runbook's `notify:`). The topic
/// brought AWS in ([`crate::notify::Notifier::topic`] is read before AWS is loaded), so `aws` is there with it.
pub fn notifier(
    topic: Option<String>,
    aws: Option<&Arc<Aws>>,
    journal: &Arc<Journal>,
    redactor: &Redactor,
    (run_id, runbook, operator): (&str, &Runbook, String),
    state: &StateDir,
) -> Option<Arc<crate::notify::Notifier>> {
    let (topic, aws) = (topic?, aws?);
    Some(crate::notify::Notifier::new(
        topic,
        aws.clone(),
        journal.clone(),
        redactor.clone(),
        run_id,
        &runbook.name,
        operator,
        crate::notify::Notifier::invocation(runbook, state),
    ))
}

/// The approver of a run or a resume, around the command line's: the topic is told when a gate waits for a
/// person, prompts are redacted before anyone sees them, and the journal's head is signed at each gate.
pub(super) fn approver(
    command_line: Arc<dyn crate::engine::Approver>,
    notifier: Option<&Arc<crate::notify::Notifier>>,
    flags: &super::run::Flags,
    redactor: &Redactor,
    signer: Option<&Arc<Signer>>,
    journal: &Arc<Journal>,
) -> Arc<dyn crate::engine::Approver> {
    let told = match notifier {
        Some(notifier) => notifier.gates(command_line, flags.yes, &flags.approve),
        None => command_line,
    };
    signing_approver(
        Arc::new(crate::redact::RedactingApprover {
            redactor: redactor.clone(),
            inner: told,
        }),
        signer,
        journal,
    )
}

/// Puts gates behind a signature of the journal's head, when the run signs.
fn signing_approver(
    approver: Arc<dyn crate::engine::Approver>,
    signer: Option<&Arc<Signer>>,
    journal: &Arc<Journal>,
) -> Arc<dyn crate::engine::Approver> {
    match signer {
        Some(signer) => Arc::new(signature::SigningApprover {
            signer: signer.clone(),
            journal: journal.clone(),
            inner: approver,
        }),
        None => approver,
    }
}

/// The last record (signed, with `--audit-kms-key`), the lock released, the journal uploaded. Returns whether the
/// upload (if any) failed.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    journal: &Journal,
    report: &RunReport,
    started: Instant,
    lock: Option<Held>,
    recording: &Recording,
    aws: Option<&Aws>,
    signer: Option<&Arc<Signer>>,
    redactor: &Redactor,
) -> bool {
    let record = Record::RunFinished {
        outcome: report.outcome.as_str().to_string(),
        error: report.error.as_deref().map(|error| redactor.text(error)),
        duration_ms: started.elapsed().as_millis() as u64,
    };
    // A journal that lost a record takes no more: a later one would hide the gap. It ends where it failed.
    let intact = report.outcome != crate::engine::Outcome::JournalFailed;
    if intact && let Err(error) = journal.write(&record) {
        crate::say!(
            "runbook: cannot write the last journal record to {}: {error}",
            journal.path().display()
        );
    }
    if intact
        && let Some(signer) = signer
        && let Err(error) = signer.sign_head(journal, signature::AT_RUN_END).await
    {
        crate::say!(
            "runbook: warning: the journal was not signed at its end: {error}; `audit verify` will report its \
             last records as unsigned"
        );
    }
    if let Some(lock) = lock {
        lock.release().await;
    }
    let mut upload_failed = false;
    if let Some(target) = &recording.audit_s3 {
        match aws {
            Some(aws) => {
                if let Err(error) = upload(aws, target, &report.run_id, journal.path()).await {
                    crate::say!("runbook: the journal was not uploaded: {error}");
                    upload_failed = true;
                }
            }
            None => {
                crate::say!(
                    "runbook: the journal was not uploaded: --audit-s3 needs AWS configuration"
                );
                upload_failed = true;
            }
        }
    }
    crate::say!(
        "runbook: run {} journaled in {}",
        report.run_id,
        journal.path().display()
    );
    upload_failed
}

/// PutObject through our S3 executor: `s3://bucket/prefix/<run id>/journal.jsonl`.
pub async fn upload(
    aws: &Aws,
    target: &S3Target,
    run_id: &str,
    path: &std::path::Path,
) -> Result<String, String> {
    let text = crate::journal::store::read_journal(path).map_err(|error| error.to_string())?;
    let key = format!("{}{run_id}/journal.jsonl", target.prefix);
    let mut input = Map::new();
    input.insert("Bucket".into(), Value::String(target.bucket.clone()));
    input.insert("Key".into(), Value::String(key.clone()));
    input.insert("Body".into(), Value::String(text));
    input.insert(
        "ContentType".into(),
        Value::String("application/x-ndjson".into()),
    );
    aws::call(aws, &aws::s3::PUT_OBJECT, input, true)
        .await
        .map_err(|error| error.to_string())?;
    Ok(format!("s3://{}/{key}", target.bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_targets_parse_with_and_without_a_prefix() {
        assert_eq!(
            parse_s3("s3://audit/runbook/").unwrap(),
            S3Target {
                bucket: "audit".into(),
                prefix: "runbook/".into()
            }
        );
        assert_eq!(parse_s3("s3://audit").unwrap().prefix, "");
        assert!(parse_s3("audit/x").is_err());
    }
}
