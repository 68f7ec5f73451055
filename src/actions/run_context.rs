//! What an executor needs from the run it is part of, and nothing more: the actions layer defines it, the engine
//! implements it (`engine::ActionContext`), so a composite never reaches up into the engine.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::aws::http_stub::HttpTransport;
use crate::aws::{AwsOp, BoxFuture, CallError, Effect, Reply};

/// A built-in or composite action: `input` is the rendered `with:` block.
pub type RunFn =
    for<'a> fn(&'a dyn RunContext, Map<String, Value>) -> BoxFuture<'a, Result<Value, CallError>>;

/// One attempt of a call that is not an AWS operation (an HTTP request), made again by
/// [`RunContext::retried`].
pub type Attempt<'a> = dyn Fn() -> BoxFuture<'a, Result<Reply, CallError>> + Send + Sync + 'a;

/// The run as an executing action sees it.
pub trait RunContext: Sync {
    /// One AWS call, retried on transient errors under the step's `retry` policy, every attempt reported (and
    /// journaled before it is sent). A plan refuses writes here as well as at the wire.
    fn call<'a>(
        &'a self,
        op: &'static AwsOp,
        input: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Value, CallError>>;

    /// Any other call, retried and reported like an AWS one: `operation` is `service.Operation` (`http.POST`),
    /// `request` what the journal records before each attempt. A write is retried only after a failure that says
    /// it was not processed.
    fn retried<'a>(
        &'a self,
        operation: &'a str,
        request: Value,
        effect: Effect,
        attempt: &'a Attempt<'a>,
    ) -> BoxFuture<'a, Result<Reply, CallError>>;

    /// A live counter of a long action (`moved 120 / received 130`), not journaled: the action logs its total.
    fn progress(&self, text: &str);

    /// A line in the run's log and journal.
    fn log(&self, message: &str);

    /// Sleeps, waking early when the run is interrupted. Resolves to false when interrupted.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, bool>;

    /// Whether the run was interrupted: a long action stops at its next safe point.
    fn cancelled(&self) -> bool;

    /// Where HTTP requests go: the process's client (one connection pool, TLS roots loaded once), or in
    /// `runbook test` the case's script.
    fn http(&self) -> HttpTransport;
}
