//! A case's approval decisions, given to the engine as its approver.

use crate::aws::BoxFuture;
use crate::engine::{Approval, Approver, Decision};

/// Approves or refuses each gate as the case says; a gate it does not name gets no answer, so the run stops
/// there as it would without a terminal.
pub struct ScriptedGates(pub Vec<(String, bool)>);

impl Approver for ScriptedGates {
    fn decide(&self, approval: Approval) -> BoxFuture<'static, Decision> {
        let decision = match self.0.iter().find(|(step, _)| *step == approval.step) {
            Some((_, true)) => Decision::Approved {
                by: "runbook test".into(),
                how: "the test case".into(),
            },
            Some((_, false)) => Decision::Rejected {
                by: "runbook test".into(),
            },
            None => Decision::NoAnswer,
        };
        Box::pin(async move { decision })
    }
}
