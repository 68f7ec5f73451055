//! Keeping secrets out of every output: the journal, plans, the terminal and JSON results.
//!
//! Two rules. A member whose name says it holds a secret (`Password`, `SecretString`, `SessionToken`, ...) has its
//! value replaced wherever it appears, at any depth; and every secret text of the run ([`Secrets`]: the values of
//! `secret: true` parameters and what templates derived from them, see [`crate::foundation::taint`]) is replaced wherever it
//! appears inside any text, because templates carry it into members with innocent names, into summaries and
//! into error messages that echo a request.

use std::sync::OnceLock;

use serde_json::Value;

use crate::engine::{AttemptOutcome, Event, RunReport, StepReport};
use crate::foundation::secrets::Secrets;

pub use crate::foundation::secrets::REDACTED;

/// Member names that hold secrets. Case-insensitive, anywhere in the name: `ClientSecret`, `db_password`,
/// `SSECustomerKey`, `AWS_SECRET_ACCESS_KEY`.
fn sensitive_name() -> &'static regex::Regex {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"(?i)(password|passwd|passphrase|secret|token|credential|access_?key|private_?key|api_?key|session_?key|authorization|customer_?key|signature)",
        )
        .expect("a valid pattern")
    })
}

/// Names of things that refer to a secret without being one (`SecretId`, `SecretArn`, `TokenType`) stay: the
/// timeline needs to say which secret a step read.
pub fn is_sensitive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let reference = [
        "id",
        "ids",
        "arn",
        "name",
        "type",
        "count",
        "expiration",
        "duration",
    ]
    .iter()
    .any(|suffix| lower.ends_with(suffix));
    sensitive_name().is_match(name) && !reference
}

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Shared with the engine, which adds what templates derive from secrets as it goes.
    secrets: Secrets,
}

impl Redactor {
    /// A redactor for a run of `runbook` with these parameter values.
    pub fn for_params(
        runbook: &crate::language::runbook::Runbook,
        params: &serde_json::Map<String, Value>,
    ) -> Redactor {
        let secrets = Secrets::default();
        for param in runbook.params.iter().filter(|param| param.secret) {
            for text in params
                .get(&param.name)
                .map(crate::foundation::secrets::texts)
                .unwrap_or_default()
            {
                secrets.add(&text);
            }
        }
        Redactor { secrets }
    }

    /// The run's secret texts, for the engine to add derived ones to.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    pub fn text(&self, text: &str) -> String {
        self.secrets.redact(text)
    }

    pub fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(text)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(self.map(map)),
            other => other.clone(),
        }
    }

    pub fn map(&self, map: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
        map.iter()
            .map(|(key, value)| {
                let value = if is_sensitive_name(key) && !is_empty(value) {
                    Value::String(REDACTED.into())
                } else {
                    self.value(value)
                };
                (key.clone(), value)
            })
            .collect()
    }

    fn option_text(&self, text: &Option<String>) -> Option<String> {
        text.as_deref().map(|t| self.text(t))
    }

    fn option_value(&self, value: &Option<Value>) -> Option<Value> {
        value.as_ref().map(|v| self.value(v))
    }

    /// The event with every secret replaced; what observers outside the engine get to see.
    pub fn event(&self, event: &Event) -> Event {
        let mut event = event.clone();
        match &mut event {
            Event::StepStarted { summary, .. } => *summary = self.text(summary),
            Event::CallStarted {
                request, operation, ..
            } => {
                *operation = self.text(operation);
                *request = self.value(request);
            }
            Event::Attempt {
                outcome, operation, ..
            } => {
                *operation = self.text(operation);
                match outcome {
                    AttemptOutcome::Err { message, .. } => *message = self.text(message),
                    AttemptOutcome::Ok { response, .. } => *response = self.value(response),
                }
            }
            Event::RetryScheduled {
                reason, operation, ..
            } => {
                *operation = self.text(operation);
                *reason = self.text(reason);
            }
            Event::Poll { observed, .. } => *observed = self.text(observed),
            Event::Log { message, .. } => *message = self.text(message),
            Event::Counter { text, .. } => *text = self.text(text),
            Event::CheckEvaluated { observed, .. } => *observed = self.text(observed),
            Event::StepReused { reason, .. } => *reason = self.text(reason),
            Event::ApprovalRequested { prompt, .. } => *prompt = self.text(prompt),
            Event::Approved { .. } => {}
            Event::StepFinished {
                error,
                output,
                summary,
                request,
                outputs,
                reason,
                changes,
                ..
            } => {
                *error = self.option_text(error);
                *output = self.option_value(output);
                *summary = self.text(summary);
                *request = self.option_value(request);
                *outputs = self.map(outputs);
                *reason = self.option_text(reason);
                *changes = self.changes(changes);
            }
            Event::CriterionEvaluated(criterion) => {
                criterion.detail = self.option_text(&criterion.detail);
            }
        }
        event
    }

    /// Redacts a report in place before it is printed (plan, run summary, JSON).
    pub fn report(&self, report: &mut RunReport) {
        report.error = self.option_text(&report.error);
        report.params = self.map(&report.params);
        for step in report.steps.iter_mut().chain(report.on_failure.iter_mut()) {
            self.step(step);
        }
        for criterion in &mut report.success_criteria {
            criterion.detail = self.option_text(&criterion.detail);
        }
    }

    fn step(&self, step: &mut StepReport) {
        step.summary = self.text(&step.summary);
        step.request = self.option_value(&step.request);
        step.output = self.option_value(&step.output);
        step.outputs = self.map(&step.outputs);
        step.error = self.option_text(&step.error);
        step.reason = self.option_text(&step.reason);
        step.changes = self.changes(&step.changes);
    }

    fn changes(&self, changes: &[crate::engine::Change]) -> Vec<crate::engine::Change> {
        changes
            .iter()
            .map(|change| crate::engine::Change {
                what: self.text(&change.what),
                before: self.option_value(&change.before),
                after: self.option_value(&change.after),
                planned: change.planned,
                note: self.option_text(&change.note),
            })
            .collect()
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// Passes events on with secrets replaced.
pub struct Redacting {
    pub redactor: Redactor,
    pub inner: std::sync::Arc<dyn crate::engine::Observer>,
}

impl crate::engine::Observer for Redacting {
    fn on_event(&self, event: &Event) -> Result<(), crate::engine::Halt> {
        self.inner.on_event(&self.redactor.event(event))
    }
}

/// Puts approval prompts through the redactor before anyone shows them (a prompt may render a secret).
pub struct RedactingApprover {
    pub redactor: Redactor,
    pub inner: std::sync::Arc<dyn crate::engine::Approver>,
}

impl crate::engine::Approver for RedactingApprover {
    fn decide(
        &self,
        mut approval: crate::engine::Approval,
    ) -> crate::aws::BoxFuture<'static, crate::engine::Decision> {
        approval.prompt = self.redactor.text(&approval.prompt);
        self.inner.decide(approval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_members_and_secret_values_are_replaced_at_any_depth() {
        let redactor = Redactor::default();
        redactor.secrets().add("hunter2-planted");
        let value = json!({
            "SecretId": "prod/db",
            "SecretString": "{\"password\":\"p\"}",
            "Nested": [{"db_password": "x", "Note": "uses hunter2-planted here", "NextToken": ""}],
            "TableName": "orders",
        });
        assert_eq!(
            redactor.value(&value),
            json!({
                "SecretId": "prod/db",
                "SecretString": REDACTED,
                "Nested": [{"db_password": REDACTED, "Note": "uses <redacted> here", "NextToken": ""}],
                "TableName": "orders",
            })
        );
    }
}
