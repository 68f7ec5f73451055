//! Approval gates: who may open them, and how.

use std::time::Duration;

use crate::aws::BoxFuture;

/// One gate waiting for a decision.
#[derive(Clone, Debug)]
pub struct Approval {
    pub step: String,
    /// The rendered prompt.
    pub prompt: String,
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// `by` names the operator (OS user and AWS identity); `how` says through what (`--approve`, the terminal).
    Approved {
        by: String,
        how: String,
    },
    Rejected {
        by: String,
    },
    /// Nobody can answer here (not a terminal, no flag): the run stops cleanly at the gate.
    NoAnswer,
    /// The operator was asked and did not answer in time.
    TimedOut,
}

/// Decides gates. The command line supplies one built from `--approve`, `--yes` and the terminal; tests supply
/// scripted ones.
pub trait Approver: Send + Sync {
    fn decide(&self, approval: Approval) -> BoxFuture<'static, Decision>;
}

/// Who is running: recorded with every approval.
#[derive(Clone, Debug, Default)]
pub struct ApproverIdentity {
    pub os_user: String,
    /// The AWS caller identity's ARN, when known.
    pub aws_principal: Option<String>,
}

impl std::fmt::Display for ApproverIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.os_user)?;
        if let Some(principal) = &self.aws_principal {
            write!(f, " ({principal})")?;
        }
        Ok(())
    }
}
