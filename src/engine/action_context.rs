//! What an executing action may do: call AWS (retried and reported per attempt), log, sleep, make HTTP requests.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::backoff::Backoff;
use super::event::{AttemptOutcome, Event, Observer};
use super::halt::Emit;
use crate::actions::{Attempt, Effect, RunContext};
use crate::aws::http_stub::HttpTransport;
use crate::aws::{self, Aws, AwsOp, BoxFuture, CallError};
use crate::language::runbook::Retry;

/// A write that timed out, lost its connection or got a 5xx may have taken effect: repeating it could restore a
/// table twice or send a message twice. Only failures whose kind says the request was not processed (turned away
/// by throttling, or never sent, as when the connection was refused) are retried for writes; anything else stops
/// the step with the outcome marked unknown.
fn never_repeat_an_uncertain_write(mut error: CallError) -> CallError {
    if error.transient && error.kind.may_have_taken_effect() {
        error.transient = false;
        error.message = format!(
            "{} (a write whose outcome is unknown is never repeated automatically; check the resource before running again)",
            error.message
        );
    }
    error
}

pub struct ActionContext {
    pub(super) aws: Option<Arc<Aws>>,
    pub(super) allow_writes: bool,
    pub(super) retry: Retry,
    pub(super) attempt_timeout: Duration,
    pub(super) observer: Arc<dyn Observer>,
    pub(super) step: String,
    pub(super) item: Option<usize>,
    pub(super) cancel: tokio::sync::watch::Receiver<bool>,
    pub(super) attempts: std::sync::atomic::AtomicU32,
    /// Retries scheduled so far: the step's attempts are one more.
    pub(super) retries: std::sync::atomic::AtomicU32,
}

impl ActionContext {
    /// A context for driving actions outside a run (tests of composites, the benchmark harness).
    pub fn standalone(
        aws: Option<Arc<Aws>>,
        allow_writes: bool,
        observer: Arc<dyn Observer>,
    ) -> ActionContext {
        let (_sender, cancel) = tokio::sync::watch::channel(false);
        ActionContext {
            aws,
            allow_writes,
            retry: Retry::default(),
            attempt_timeout: Duration::from_secs(60),
            observer,
            step: "standalone".into(),
            item: None,
            cancel,
            attempts: Default::default(),
            retries: Default::default(),
        }
    }

    /// Replaces the retry policy (a standalone context starts with [`Retry::default`]); tests use short delays.
    pub fn with_retry(mut self, retry: Retry) -> ActionContext {
        self.retry = retry;
        self
    }

    pub fn aws(&self) -> Result<&Aws, CallError> {
        self.aws.as_deref().ok_or_else(|| {
            CallError::not_sent(
                "NoAwsConfiguration",
                "this action calls AWS but the run has no AWS configuration",
            )
        })
    }

    /// Attempts of every call made so far by this action: the calls sent (pages, polls and a composite's calls
    /// each count).
    pub fn attempts(&self) -> u32 {
        self.attempts.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Retries made so far, of any of this action's calls.
    pub fn retries(&self) -> u32 {
        self.retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A live counter of a long action (`moved 120 / received 130 / 41 msg/s`): redrawn in place on a terminal,
    /// a line now and then elsewhere; not journaled (the action logs its total).
    pub fn progress(&self, text: &str) {
        self.observer.emit(&Event::Counter {
            step: self.step.clone(),
            item: self.item,
            text: text.to_string(),
        });
    }

    /// One AWS call: retried on transient errors with the step's `retry` policy, every attempt reported.
    pub async fn call(
        &self,
        op: &'static AwsOp,
        input: Map<String, Value>,
    ) -> Result<Value, CallError> {
        let aws = self.aws()?;
        let request = Value::Object(input.clone());
        self.with_retries_for(&op.name(), request, op.effect, || {
            aws::call(aws, op, input.clone(), self.allow_writes)
        })
        .await
        .map(|reply| reply.output)
        .map_err(|mut error| {
            // IAM's refusals say in plain words which permission this call needed.
            let region = Some(aws.region()).filter(|r| !r.is_empty());
            let operation = format!("{}.{}", error.service, error.operation);
            if let Some(needs) =
                crate::access_denied::needs(&error.to_string(), &operation, &input, region)
            {
                error.message = format!("{}; {needs}", error.message);
            }
            error
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retry budget is spent.
    pub async fn with_retries<F, Fut>(
        &self,
        operation: &str,
        attempt: F,
    ) -> Result<aws::Reply, CallError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<aws::Reply, CallError>>,
    {
        self.with_retries_for(operation, Value::Null, Effect::Read, attempt)
            .await
    }

    /// [`ActionContext::with_retries`] with the request announced in each attempt's
    /// [`Event::CallStarted`], which observers receive before the attempt is sent (write-ahead). `operation` is
    /// `service.Operation` (`dynamodb.PutItem`, `http.POST`): the journal keeps the two parts apart. A write is
    /// retried only after a failure that says it was not processed.
    pub async fn with_retries_for<F, Fut>(
        &self,
        operation: &str,
        request: Value,
        effect: Effect,
        mut attempt: F,
    ) -> Result<aws::Reply, CallError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<aws::Reply, CallError>>,
    {
        // Every error says which call failed (one from the transport already does).
        let (service, called) = operation.split_once('.').unwrap_or(("", operation));
        let mut backoff = Backoff::new(self.retry.delay, self.retry.max_delay);
        let mut number = 0;
        loop {
            number += 1;
            self.attempts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Write-ahead: a call the journal could not record is not sent.
            if let Err(halt) = self.observer.on_event(&Event::CallStarted {
                step: self.step.clone(),
                item: self.item,
                operation: operation.to_string(),
                attempt: number,
                request: request.clone(),
            }) {
                return Err(CallError::not_sent(
                    "JournalFailed",
                    format!("not sent: {}", halt.message),
                )
                .in_call(service, called));
            }
            let started = Instant::now();
            // Labelled with the step so that `runbook test`'s stub transport knows whose call it answers.
            let labelled = aws::stub::for_step(&self.step, attempt());
            let result = match tokio::time::timeout(self.attempt_timeout, labelled).await {
                Ok(result) => result,
                Err(_) => Err(CallError::transport(
                    "Timeout",
                    format!(
                        "no answer within {}",
                        crate::foundation::duration::format(self.attempt_timeout)
                    ),
                )
                .transient()),
            };
            let result = result.map_err(|error| error.in_call(service, called));
            // After the attempt's own time limit too: a write that got no answer in time may have taken effect.
            let result = match effect {
                Effect::Write => result.map_err(never_repeat_an_uncertain_write),
                Effect::Read => result,
            };
            let outcome = match &result {
                Ok(reply) => AttemptOutcome::Ok {
                    status: reply.status,
                    request_id: reply.request_id.clone(),
                    response: reply.output.clone(),
                },
                Err(error) => AttemptOutcome::Err {
                    code: error.code.clone(),
                    message: error.message.clone(),
                    status: error.status,
                    request_id: error.request_id.clone(),
                    transient: error.transient,
                },
            };
            self.observer.emit(&Event::Attempt {
                step: self.step.clone(),
                item: self.item,
                operation: operation.to_string(),
                attempt: number,
                elapsed: started.elapsed(),
                outcome,
            });
            match result {
                Ok(reply) => return Ok(reply),
                Err(error)
                    if error.transient && number < self.retry.attempts && !self.cancelled() =>
                {
                    let delay = backoff.next_delay();
                    self.retries
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    self.observer.emit(&Event::RetryScheduled {
                        step: self.step.clone(),
                        item: self.item,
                        operation: operation.to_string(),
                        attempt: number + 1,
                        delay,
                        reason: error.to_string(),
                    });
                    if !self.sleep(delay).await {
                        return Err(error);
                    }
                }
                Err(mut error) => {
                    if error.transient && number >= self.retry.attempts && number > 1 {
                        error.message =
                            format!("{} (gave up after {number} attempts)", error.message);
                    }
                    return Err(error);
                }
            }
        }
    }

    pub fn log(&self, message: &str) {
        self.observer.emit(&Event::Log {
            step: self.step.clone(),
            message: message.to_string(),
        });
    }

    /// Sleeps, waking early when the run is interrupted. Returns false when interrupted.
    pub async fn sleep(&self, duration: Duration) -> bool {
        let mut cancel = self.cancel.clone();
        if *cancel.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => true,
            // A closed channel (a standalone context drops its sender) means nobody can interrupt: keep sleeping.
            Ok(_) = cancel.wait_for(|stop| *stop) => false,
        }
    }

    pub fn cancelled(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Where HTTP requests go: the case's script when the run is a `runbook test` case (its AWS is stubbed),
    /// else the network through one client per process (connection pool, TLS roots loaded once).
    pub fn http(&self) -> HttpTransport {
        if let Some(responder) = self.aws.as_ref().and_then(|aws| aws.responder()) {
            return HttpTransport::Scripted(Arc::clone(responder));
        }
        static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
        HttpTransport::Network(CLIENT.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("runbook/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("an HTTP client with default settings")
        }))
    }
}

/// The executors' view of a run ([`crate::actions::RunContext`]), which they name without knowing the engine.
impl RunContext for ActionContext {
    fn call<'a>(
        &'a self,
        op: &'static AwsOp,
        input: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Value, CallError>> {
        Box::pin(ActionContext::call(self, op, input))
    }

    fn retried<'a>(
        &'a self,
        operation: &'a str,
        request: Value,
        effect: Effect,
        attempt: &'a Attempt<'a>,
    ) -> BoxFuture<'a, Result<aws::Reply, CallError>> {
        Box::pin(self.with_retries_for(operation, request, effect, attempt))
    }

    fn progress(&self, text: &str) {
        ActionContext::progress(self, text)
    }

    fn log(&self, message: &str) {
        ActionContext::log(self, message)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, bool> {
        Box::pin(ActionContext::sleep(self, duration))
    }

    fn cancelled(&self) -> bool {
        ActionContext::cancelled(self)
    }

    fn http(&self) -> HttpTransport {
        ActionContext::http(self)
    }
}

#[cfg(test)]
mod tests {
    use super::never_repeat_an_uncertain_write;
    use crate::aws::CallError;

    /// Whether a failed write would be sent again: the error after the decision is still transient.
    fn repeated(error: CallError) -> bool {
        never_repeat_an_uncertain_write(error).transient
    }

    #[test]
    fn a_write_without_an_answer_after_it_was_sent_is_not_repeated() {
        let timeout = CallError::transport("Timeout", "no answer within 60s").transient();
        let dropped = CallError::transport("ConnectionError", "connection reset").transient();
        assert!(!repeated(timeout.clone()));
        assert!(!repeated(dropped));
        let decided = never_repeat_an_uncertain_write(timeout);
        assert!(
            decided
                .message
                .starts_with("no answer within 60s (a write whose outcome is unknown"),
            "{}",
            decided.message
        );
    }

    #[test]
    fn a_write_the_service_could_not_finish_is_not_repeated() {
        assert!(!repeated(CallError::answered(
            "InternalError",
            "m",
            500,
            None
        )));
        assert!(!repeated(CallError::answered("Whatever", "m", 503, None)));
        // Capacity codes come with a 4xx status, yet leave the outcome open.
        assert!(!repeated(CallError::answered(
            "LimitExceededException",
            "m",
            400,
            None
        )));
    }

    #[test]
    fn a_write_turned_away_or_never_sent_is_repeated() {
        assert!(repeated(CallError::answered(
            "ThrottlingException",
            "m",
            400,
            None
        )));
        assert!(repeated(CallError::answered(
            "TooManyRequests",
            "m",
            429,
            None
        )));
        // S3's SlowDown is throttling although it comes as a 503.
        assert!(repeated(CallError::answered("SlowDown", "m", 503, None)));
        assert!(repeated(CallError::refused_connection(
            "connection refused"
        )));
    }

    #[test]
    fn a_write_the_service_refused_stays_as_it_was() {
        let refused = CallError::answered("ConditionalCheckFailedException", "m", 400, None);
        assert!(!refused.kind.may_have_taken_effect());
        assert_eq!(never_repeat_an_uncertain_write(refused.clone()), refused);
    }
}
