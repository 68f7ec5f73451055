//! Whether an operation reads or writes: the transport knows it per operation, and the registry's rows, plans,
//! reports and the journal all say it in these words.

/// What running an action does to the world. Plans execute reads and never writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Observes state only; safe to run in a plan.
    Read,
    /// Changes state; never runs in a plan.
    Write,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Read => "read",
            Effect::Write => "write",
        }
    }
}
