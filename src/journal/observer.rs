//! The journal as an engine observer: every event becomes a record on disk before the engine goes on.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::Record;
use super::writer::Journal;
use crate::engine::{Event, Halt, Observer};
use crate::language::runbook::StepEffect;

pub struct JournalObserver {
    pub journal: Arc<Journal>,
    /// Step id to `read`, `write` or `approval`, for step_started records.
    pub effects: HashMap<String, StepEffect>,
    /// Step id to its action's resource pattern (`arn:aws:dynamodb:{region}:{account}:table/{TableName}`).
    pub resources: HashMap<String, &'static str>,
}

impl JournalObserver {
    pub fn new(
        journal: Arc<Journal>,
        runbook: &crate::language::runbook::Runbook,
    ) -> JournalObserver {
        let effects = runbook
            .steps
            .iter()
            .chain(&runbook.on_failure)
            .map(|step| (step.id.clone(), step.effect()))
            .collect();
        let resources = runbook
            .steps
            .iter()
            .chain(&runbook.on_failure)
            .filter_map(|step| {
                let row = crate::actions::TABLE.lookup(step.action()?.shape.name)?;
                Some((step.id.clone(), row.resource))
            })
            .filter(|(_, resource)| !matches!(*resource, "*" | "-" | ""))
            .collect();
        JournalObserver {
            journal,
            effects,
            resources,
        }
    }
}

impl Observer for JournalObserver {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        if matches!(event, Event::Counter { .. }) {
            return Ok(());
        }
        let mut record = Record::from_event(event, |step| {
            self.effects
                .get(step)
                .copied()
                .unwrap_or(StepEffect::Read)
                .as_str()
        });
        if let Record::StepFinished {
            step,
            request: Some(serde_json::Value::Object(request)),
            resource,
            ..
        } = &mut record
            && let Some(pattern) = self.resources.get(step.as_str())
        {
            // `{region}` and `{account}` are left for the reader, who has them from the run_started record.
            *resource = Some(crate::actions::fill_placeholders(pattern, |name| {
                crate::actions::request_member(request, name)
            }));
        }
        let effect = match event {
            Event::StepFinished { step, .. } => {
                self.effects.get(step).copied().unwrap_or(StepEffect::Read)
            }
            _ => StepEffect::Read,
        };
        // Write-ahead means nothing is sent that the journal could not record first. The record being written
        // may announce an AWS call; the engine, told so, does not send it and starts nothing else. The journal
        // stays valid up to its last line, so `runbook resume` continues once the disk is writable again.
        self.journal
            .append(&record, durable(event, effect))
            .map_err(|error| Halt {
                message: format!(
                    "cannot write the audit journal {}: {error}; stopped before anything else was sent. \
                     Free the disk and continue with `runbook resume`",
                    self.journal.path().display()
                ),
            })
    }
}

/// Records that must be on disk before the engine goes on: an AWS call about to be sent (write-ahead), a gate
/// opened by someone, and how a write or a gate ended (what resume relies on not to repeat it). The rest reach the
/// disk with the next of these; a read that loses its record to a power cut is simply read again on resume.
fn durable(event: &Event, effect: StepEffect) -> bool {
    match event {
        Event::CallStarted { .. } | Event::Approved { .. } => true,
        Event::StepFinished { .. } => effect != StepEffect::Read,
        _ => false,
    }
}
