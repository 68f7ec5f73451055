//! Notifications: `--notify TOPIC_ARN` on `run` and `resume` (or a runbook's `notify:`) publishes to SNS when a
//! gate waits for an approval and when the run ends, failed or not, each message with the run id and the exact
//! command that goes on from there. Whoever is on call subscribes to the topic (mail, chat, a pager).
//!
//! A notification is a side channel: one that cannot be published never fails the run. It is journaled either way
//! (a `notified` record with the message id or the error) and a failure is shown on stderr. Every message goes
//! through the run's redactor, so a secret parameter never reaches the topic.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::aws::{self, Aws, BoxFuture};
use crate::engine::{Approval, Approver, Decision, Outcome, RunReport, StepStatus};
use crate::journal::{Journal, Record};
use crate::language::topic_arn::is_topic_arn;
use crate::redact::Redactor;

/// SNS refuses a subject over 100 characters.
const MAX_SUBJECT: usize = 100;

/// What `runbook` was invoked with that a later command needs as well: where the runbook and the journal are.
pub struct Invocation {
    /// The folder the runbook was read from, when it was a file (`--dir`).
    pub runbook_dir: Option<String>,
    pub state_dir: String,
}

impl Invocation {
    /// `runbook [--dir D] --state-dir S VERB ARGS`, each word quoted for a POSIX shell where it needs it.
    pub fn command(&self, verb_and_args: &[&str]) -> String {
        let mut words = vec!["runbook".to_string()];
        if let Some(dir) = &self.runbook_dir {
            words.push("--dir".into());
            words.push(shell_word(dir));
        }
        words.push("--state-dir".into());
        words.push(shell_word(&self.state_dir));
        words.extend(verb_and_args.iter().map(|word| shell_word(word)));
        words.join(" ")
    }
}

fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+-,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

pub struct Notifier {
    pub topic: String,
    aws: Arc<Aws>,
    journal: Arc<Journal>,
    redactor: Redactor,
    run_id: String,
    runbook: String,
    operator: String,
    invocation: Invocation,
}

/// What a message is about, as journaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum About {
    Approval,
    Failed,
    Ended,
}

impl About {
    fn as_str(self) -> &'static str {
        match self {
            About::Approval => "approval",
            About::Failed => "failed",
            About::Ended => "ended",
        }
    }
}

impl Notifier {
    /// The topic a run notifies: `--notify` (or, on resume, the run's), else the runbook's `notify:` rendered;
    /// refused unless it is shaped like a topic's ARN, before anything is sent.
    pub fn topic(
        flag: Option<String>,
        runbook: &crate::language::runbook::Runbook,
        params: &Map<String, Value>,
        run_id: &str,
        started_at: jiff::Timestamp,
    ) -> Result<Option<String>, String> {
        let topic = match flag.filter(|topic| !topic.is_empty()) {
            Some(topic) => Some(topic),
            None => crate::engine::render_notify_topic(runbook, params, run_id, started_at)?,
        };
        match topic {
            Some(topic) if !is_topic_arn(&topic) => Err(format!(
                "the notify topic `{topic}` is not an SNS topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME); nothing \
                 was sent"
            )),
            topic => Ok(topic),
        }
    }

    /// Where the runbook and the journal of this run are, for the commands a message gives.
    pub fn invocation(
        runbook: &crate::language::runbook::Runbook,
        state: &crate::journal::StateDir,
    ) -> Invocation {
        let absolute = |path: &std::path::Path| {
            std::path::absolute(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .display()
                .to_string()
        };
        let file = runbook.source.path.display().to_string();
        Invocation {
            runbook_dir: (!file.starts_with("built-in:"))
                .then(|| std::path::Path::new(&file).parent().map(absolute))
                .flatten(),
            state_dir: absolute(&state.root),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        topic: String,
        aws: Arc<Aws>,
        journal: Arc<Journal>,
        redactor: Redactor,
        run_id: &str,
        runbook: &str,
        operator: String,
        invocation: Invocation,
    ) -> Arc<Notifier> {
        Arc::new(Notifier {
            topic,
            aws,
            journal,
            redactor,
            run_id: run_id.to_string(),
            runbook: runbook.to_string(),
            operator,
            invocation,
        })
    }

    /// Puts a notification before every gate that `approve` (`--approve STEP`, or all of them with `--yes`)
    /// does not open up front: those wait for a person.
    pub fn gates(
        self: &Arc<Notifier>,
        inner: Arc<dyn Approver>,
        yes: bool,
        approve: &[String],
    ) -> Arc<dyn Approver> {
        Arc::new(NotifyingApprover {
            notifier: self.clone(),
            inner,
            opened: (!yes).then(|| approve.iter().cloned().collect()),
        })
    }

    /// The message at the end of the run: `failed` for every end but success, with the command that resumes it.
    pub async fn ended(&self, report: &RunReport) {
        let run_id = &self.run_id;
        let timeline = self
            .invocation
            .command(&["audit", "timeline", run_id, "--format", "text"]);
        let (about, subject, body) = match report.outcome {
            Outcome::Succeeded | Outcome::Planned => (
                About::Ended,
                format!("runbook: {} succeeded", self.runbook),
                format!(
                    "Run {run_id} of {} succeeded.\n\nWhat it did:\n  {timeline}\n",
                    self.runbook
                ),
            ),
            Outcome::AwaitingApproval => {
                let gates: Vec<&str> = report
                    .steps
                    .iter()
                    .filter(|s| s.status == StepStatus::AwaitingApproval)
                    .map(|s| s.id.as_str())
                    .collect();
                let mut resume = vec!["resume", run_id.as_str()];
                for gate in &gates {
                    resume.extend(["--approve", gate]);
                }
                (
                    About::Ended,
                    format!(
                        "runbook: {} stopped at approval gate {}",
                        self.runbook,
                        gates.join(", ")
                    ),
                    format!(
                        "Run {run_id} of {} stopped at approval gate {}: nobody could answer where it ran.\n\n\
                         Approve and go on:\n  {}\n\nWhat it did so far:\n  {timeline}\n",
                        self.runbook,
                        gates.join(", "),
                        self.invocation.command(&resume)
                    ),
                )
            }
            outcome => {
                let failed: Vec<String> = report
                    .steps
                    .iter()
                    .filter(|s| s.status == StepStatus::Failed)
                    .map(|s| format!("  {}: {}", s.id, s.error.as_deref().unwrap_or("failed")))
                    .collect();
                let mut body = format!(
                    "Run {run_id} of {} ended {}",
                    self.runbook,
                    outcome.as_str()
                );
                if let Some(error) = &report.error {
                    body.push_str(&format!(": {error}"));
                }
                body.push('\n');
                if !failed.is_empty() {
                    body.push_str(&format!("\nFailed steps:\n{}\n", failed.join("\n")));
                }
                body.push_str(&format!(
                    "\nResume once the cause is fixed (steps that succeeded are not run again):\n  {}\n\n\
                     What it did:\n  {timeline}\n",
                    self.invocation.command(&["resume", run_id])
                ));
                (
                    About::Failed,
                    format!("runbook: {} {}", self.runbook, outcome.as_str()),
                    body,
                )
            }
        };
        self.publish(about, None, &subject, &body).await;
    }

    async fn approval(&self, approval: &Approval) {
        let resume =
            self.invocation
                .command(&["resume", &self.run_id, "--approve", approval.step.as_str()]);
        let body = format!(
            "Run {} of {} waits for approval at step {}.\n\n{}\n\nIf nobody answers where it runs (operator {}), it \
             stops at the gate; then approve and go on with:\n  {resume}\n",
            self.run_id, self.runbook, approval.step, approval.prompt, self.operator
        );
        let subject = format!(
            "runbook: {} waits for approval at {}",
            self.runbook, approval.step
        );
        self.publish(About::Approval, Some(&approval.step), &subject, &body)
            .await;
    }

    async fn publish(&self, about: About, step: Option<&str>, subject: &str, body: &str) {
        let mut subject = self.redactor.text(subject).replace(['\n', '\r'], " ");
        if subject.chars().count() > MAX_SUBJECT {
            subject = subject.chars().take(MAX_SUBJECT - 3).collect::<String>() + "...";
        }
        let body = self.redactor.text(body);
        let mut input = Map::new();
        input.insert("TopicArn".into(), Value::String(self.topic.clone()));
        input.insert("Subject".into(), Value::String(subject));
        input.insert("Message".into(), Value::String(body));
        let (message_id, error) = match aws::call(&self.aws, &aws::sns::PUBLISH, input, true).await
        {
            Ok(reply) => (
                reply
                    .output
                    .get("MessageId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                None,
            ),
            Err(error) => {
                let error = self.redactor.text(&error.to_string());
                crate::say!(
                    "runbook: warning: the {} notification to {} was not sent: {error}; the run goes on",
                    about.as_str(),
                    self.topic
                );
                (None, Some(error))
            }
        };
        let record = Record::Notified {
            topic: self.topic.clone(),
            about: about.as_str().to_string(),
            step: step.map(str::to_string),
            message_id,
            error,
        };
        if let Err(error) = self.journal.write(&record) {
            crate::say!("runbook: warning: the notification was not journaled: {error}");
        }
    }
}

struct NotifyingApprover {
    notifier: Arc<Notifier>,
    inner: Arc<dyn Approver>,
    /// The gates opened up front (`--approve`); `None` when `--yes` opens them all.
    opened: Option<HashSet<String>>,
}

impl Approver for NotifyingApprover {
    fn decide(&self, approval: Approval) -> BoxFuture<'static, Decision> {
        let waits = self
            .opened
            .as_ref()
            .is_some_and(|opened| !opened.contains(&approval.step));
        let (notifier, inner) = (self.notifier.clone(), self.inner.clone());
        Box::pin(async move {
            if waits {
                notifier.approval(&approval).await;
            }
            inner.decide(approval).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_are_told_from_other_text() {
        assert!(is_topic_arn("arn:aws:sns:eu-west-1:123456789012:oncall"));
        assert!(is_topic_arn(
            "arn:aws-cn:sns:cn-north-1:123456789012:a_b-c.fifo"
        ));
        for bad in [
            "oncall",
            "arn:aws:sqs:eu-west-1:123456789012:oncall",
            "arn:aws:sns:eu-west-1:12345:oncall",
            "arn:aws:sns:eu-west-1:123456789012:",
            "arn:aws:sns:eu-west-1:123456789012:a:b",
            "arn:aws:sns:EU:123456789012:oncall",
        ] {
            assert!(!is_topic_arn(bad), "{bad}");
        }
    }

    #[test]
    fn commands_quote_only_what_a_shell_would_split() {
        let invocation = Invocation {
            runbook_dir: Some("/srv/run books".into()),
            state_dir: "/var/lib/runbook".into(),
        };
        assert_eq!(
            invocation.command(&["resume", "20260101T000000Z-abcd", "--approve", "gate"]),
            "runbook --dir '/srv/run books' --state-dir /var/lib/runbook resume 20260101T000000Z-abcd --approve gate"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
