//! Waiting: how many API calls a `wait` spends on a resource that becomes ready after 1, 5 and 30 minutes.
//!
//!     cargo bench --bench waiting --profile dev
//!
//! Prints a markdown table and asserts nothing. The engine itself runs the wait (the scheduler, the step's wait
//! loop and `Backoff::polling`), on tokio's paused clock: half an hour of waiting takes microseconds and every
//! delay is exactly the one the engine chose. The polled "resource" is an in-memory action that answers
//! `CREATING` until the given time has passed since its first call, then `ACTIVE`. Delays are drawn at random
//! (each from [0.9 d, d]), so every case runs many times and the table shows the spread.
//!
//! `--profile dev`: tokio's paused clock needs its `test-util` feature, which only test and bench builds turn on;
//! in the dev profile those dependencies are the ones `cargo test` already built, where a release bench build would
//! recompile tokio and everything above it (the AWS SDK) once more. Optimisation does not change a poll count.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runbook::actions::{ActionSpec, Effect, Execute, MemberType, Reach, RunContext, Table, req};
use runbook::aws::{BoxFuture, CallError};
use runbook::engine::{Approval, Approver, Decision, Mode, Options, Outcome, Silent, execute};
use runbook::foundation::source::SourceFile;
use runbook::language::runbook::Runbook;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

/// Runs per case under `cargo bench`: enough for the extremes of the jitter to show.
const RUNS: usize = 200;
/// Runs per case when `cargo test --all-targets` runs this file (without `--bench`): it only has to work.
const SMOKE_RUNS: usize = 3;

static CALLS: AtomicU32 = AtomicU32::new(0);
static FIRST_CALL: Mutex<Option<Instant>> = Mutex::new(None);

/// `{Status: CREATING}` until `after_secs` have passed on tokio's clock since its first call, then ACTIVE.
static READY: ActionSpec = ActionSpec {
    name: "bench.ready",
    execute: Execute::Run(ready),
    effect: Effect::Read,
    reach: Reach::Aws,
    members: &[req("after_secs", MemberType::Integer)],
    iam: &[],
    resource: "-",
    grants: &[],
    summary: "a resource that becomes ready",
    example: "after_secs: 60",
};

fn ready(
    _context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        CALLS.fetch_add(1, Ordering::SeqCst);
        let after = Duration::from_secs(input["after_secs"].as_u64().expect("after_secs"));
        let first = *FIRST_CALL.lock().unwrap().get_or_insert_with(Instant::now);
        let status = if first.elapsed() >= after {
            "ACTIVE"
        } else {
            "CREATING"
        };
        Ok(json!({ "Status": status }))
    })
}

/// No gate in these runbooks; required by the options.
struct NoApprover;

impl Approver for NoApprover {
    fn decide(&self, _approval: Approval) -> BoxFuture<'static, Decision> {
        Box::pin(async { Decision::NoAnswer })
    }
}

/// The registry's actions and `bench.ready`: what the bench runbook is validated against and run from.
static ACTIONS: Table = Table::with(&[&READY]);

/// One wait step on `bench.ready`, validated as written.
fn runbook(after: Duration, schedule: &str) -> Runbook {
    let text = format!(
        "name: wait\ndescription: a wait\nsteps:\n  - id: poll\n    action: bench.ready\n    \
         with: {{after_secs: {}}}\n    \
         wait: {{until: \"output.Status == 'ACTIVE'\", timeout: 2h{schedule}}}\n",
        after.as_secs()
    );
    let file = SourceFile::new("wait.yaml", text);
    runbook::language::validator::load(&file, &[], &ACTIONS).expect("the bench runbook validates")
}

/// Polls one run spent, and the simulated time from start to the end of the wait.
async fn polls(after: Duration, schedule: &str) -> (u32, Duration) {
    CALLS.store(0, Ordering::SeqCst);
    *FIRST_CALL.lock().unwrap() = None;
    let options = Options {
        mode: Mode::Run,
        parallelism: 8,
        aws: None,
        approver: Arc::new(NoApprover),
        observer: Arc::new(Silent),
        cancel: tokio::sync::watch::channel(false).1,
        run_id: "bench".into(),
        started_at: jiff::Timestamp::UNIX_EPOCH,
        default_attempt_timeout: Duration::from_secs(60),
        secrets: Default::default(),
        actions: ACTIONS,
    };
    let begin = Instant::now();
    let report = execute(Arc::new(runbook(after, schedule)), Map::new(), options).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    (CALLS.load(Ordering::SeqCst), begin.elapsed())
}

fn spread(mut values: Vec<u32>) -> (u32, u32, u32) {
    values.sort_unstable();
    (
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
    )
}

fn main() {
    // `cargo bench --bench waiting --profile dev -- RUNS`. cargo bench passes `--bench`; cargo test does not.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|arg| arg == "--bench");
    let runs = args
        .iter()
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(if benching { RUNS } else { SMOKE_RUNS });
    let clock = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    println!(
        "## Waiting: API calls for a resource ready after 1, 5 and 30 minutes (engine on a paused clock, {runs} runs each)\n"
    );
    println!(
        "| ready after | engine, default schedule (5 s doubling to 1 m): min / median / max polls | noticed after, worst (s) | \
         engine, fixed 5 s (`interval: 5s, max_interval: 5s`): median polls | shell loop, `sleep 5` between calls |"
    );
    println!("|---|---:|---:|---:|---:|");
    for minutes in [1u64, 5, 30] {
        let after = Duration::from_secs(minutes * 60);
        let (default, lateness): (Vec<u32>, Vec<Duration>) =
            (0..runs).map(|_| clock.block_on(polls(after, ""))).unzip();
        let fixed: Vec<u32> = (0..runs)
            .map(|_| {
                clock
                    .block_on(polls(after, ", interval: 5s, max_interval: 5s"))
                    .0
            })
            .collect();
        let (low, median, high) = spread(default);
        let worst = lateness.iter().max().expect("runs").as_secs_f64();
        // A shell `until check; do sleep 5; done` calls at 0, 5, 10, ... s: the call at `after` is the first
        // to see the resource ready, so it makes after / 5 calls before that one.
        let shell = minutes * 60 / 5 + 1;
        println!(
            "| {minutes} min | {low} / {median} / {high} | {worst:.0} | {} | {shell} ({} intervals) |",
            spread(fixed).1,
            shell - 1
        );
    }
    println!();
}
