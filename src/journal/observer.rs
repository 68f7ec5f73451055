//! The journal as an engine observer: every event becomes a record on disk before the engine goes on.

use std::collections::HashMap;
use std::sync::Arc;

use super::record::Record;
use super::writer::Journal;
use crate::engine::{Event, Observer};

pub struct JournalObserver {
    pub journal: Arc<Journal>,
    /// Step id to `read`, `write` or `approval`, for step_started records.
    pub effects: HashMap<String, &'static str>,
}

impl JournalObserver {
    pub fn new(journal: Arc<Journal>, runbook: &crate::runbook::Runbook) -> JournalObserver {
        let effects = runbook
            .steps
            .iter()
            .chain(&runbook.on_failure)
            .map(|step| (step.id.clone(), step.effect().as_str()))
            .collect();
        JournalObserver { journal, effects }
    }
}

impl Observer for JournalObserver {
    fn on_event(&self, event: &Event) {
        let record = Record::from_event(event, |step| {
            self.effects.get(step).copied().unwrap_or("read")
        });
        if let Err(error) = self.journal.write(&record) {
            // Write-ahead means nothing is sent that the journal could not record first. The record being written
            // may announce an AWS call; stopping the process here is what keeps that call unsent. The journal
            // stays valid up to its last line, and the lock file names a dead process, so `runbook resume`
            // continues once the disk is writable again.
            eprintln!(
                "runbook: cannot write the audit journal {}: {error}; stopping before anything else is sent. \
                 Free the disk and continue with `runbook resume`",
                self.journal.path().display()
            );
            std::process::exit(crate::cli::exit::FAILED);
        }
    }
}
