//! Whether an operation reads or writes: the language validates steps by it, the transport knows it per
//! operation, and the registry's rows, plans, reports and the journal all say it in these words. It lives here,
//! below both the language and the transport, so that each can name it without reaching the other.

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
