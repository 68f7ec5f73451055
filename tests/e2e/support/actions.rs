//! Driving one action the way a step does (member types coerced from the registry, then the executor), without a
//! runbook around it, for the per-service emulator tests.

use std::sync::Arc;

use runbook::aws::{Aws, CallError};
use runbook::engine::{ActionContext, Silent, invoke};
use serde_json::Value;

/// Runs the registered action `name` with `input` (a JSON object) against `aws`, writes allowed.
pub async fn action(aws: Arc<Aws>, name: &str, input: Value) -> Result<Value, CallError> {
    let context = ActionContext::standalone(Some(aws), true, Arc::new(Silent));
    let spec = runbook::actions::lookup(name).expect("registered");
    invoke(&context, spec, input.as_object().expect("a JSON object")).await
}
