//! `runbook test`'s runner: one case is one run of the unchanged engine, with AWS replaced at the HTTP boundary
//! by the case's script ([`script`]), gates decided by the case ([`gates`]), and a paused clock, so waits and
//! retry delays of hours take no time. The [`verdict`] compares what the run did with what the case expects.

pub mod gates;
pub mod record;
pub mod script;
pub mod verdict;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::aws::Aws;
use crate::engine::{self, Mode, Options, Silent, StepStatus};
use crate::language::runbook::Runbook;
use crate::language::test_file::Case;

/// What one case came to.
#[derive(Debug)]
pub struct CaseResult {
    /// Empty when the case passed.
    pub failures: Vec<String>,
    /// Wall time, not the run's virtual time.
    pub elapsed: Duration,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs `case` with `params` (already resolved as `runbook run` resolves them) on its own paused-clock runtime.
pub fn run_case(runbook: Arc<Runbook>, params: Map<String, Value>, case: &Case) -> CaseResult {
    let started = Instant::now();
    // A paused clock: the engine's sleeps (waits, retry backoff) and the SDK's advance virtual time only.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    let scripted = Arc::new(script::ScriptedAws::new(&case.scripts, &case.http));
    let aws = Arc::new(Aws::stubbed(scripted.clone()));
    let (_interrupt, cancel) = tokio::sync::watch::channel(false);
    let options = Options {
        mode: Mode::Run,
        // One step at a time: the writes' order, which a case states, does not depend on scheduling.
        parallelism: 1,
        aws: Some(aws),
        approver: Arc::new(gates::ScriptedGates(case.approvals.clone())),
        observer: Arc::new(Silent),
        cancel,
        run_id: format!("test-{}", case.name),
        started_at: jiff::Timestamp::now(),
        default_attempt_timeout: Duration::from_secs(60),
        secrets: Default::default(),
        actions: crate::actions::TABLE,
    };
    let report = runtime.block_on(engine::execute(runbook, params, options));
    let sent = scripted.sent();
    let mut failures = scripted.unscripted();
    failures.extend(verdict::mismatches(&case.expect, &report, &sent));
    // Only a step that succeeded must have asked for all its answers: one that failed stopped asking.
    failures.extend(scripted.unused(|step| {
        report
            .step(step)
            .is_some_and(|step| step.status == StepStatus::Succeeded)
    }));
    CaseResult {
        failures,
        elapsed: started.elapsed(),
    }
}
