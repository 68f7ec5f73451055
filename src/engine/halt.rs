//! An observer that cannot record what happens stops the run. The journal is write-ahead: an AWS call it could not
//! record first must not be sent, and nothing after a lost record may be written (a gap would read as a call that
//! never happened). The engine wraps the run's observer in [`Halting`], which keeps the first [`Halt`], forwards
//! nothing after it, and which the scheduler reads before starting anything.

use std::sync::{Arc, Mutex};

use super::event::{Event, Observer};

/// Why an observer could not take an event; the run ends with it ([`super::Outcome::JournalFailed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Halt {
    /// What failed and what to do about it, for the operator.
    pub message: String,
}

/// The run's observer, remembering the first failure.
pub(super) struct Halting {
    inner: Arc<dyn Observer>,
    halt: Mutex<Option<Halt>>,
}

impl Halting {
    pub fn new(inner: Arc<dyn Observer>) -> Halting {
        Halting {
            inner,
            halt: Mutex::new(None),
        }
    }

    pub fn halted(&self) -> Option<Halt> {
        self.halt.lock().expect("halt").clone()
    }
}

impl Observer for Halting {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        let mut halt = self.halt.lock().expect("halt");
        if let Some(halt) = &*halt {
            return Err(halt.clone());
        }
        self.inner.on_event(event).inspect_err(|error| {
            *halt = Some(error.clone());
        })
    }
}

/// Sends an event whose failure needs no answer on the spot: [`Halting`] keeps it and the scheduler starts nothing
/// after it. Only a call about to be sent and an opened gate check the result themselves.
pub(super) trait Emit {
    fn emit(&self, event: &Event);
}

impl Emit for dyn Observer {
    fn emit(&self, event: &Event) {
        let _ = self.on_event(event);
    }
}
