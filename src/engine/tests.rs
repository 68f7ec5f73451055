//! The engine against the registry plus test-only actions (`test.*`) that runbooks are validated against and run
//! from, a collecting observer, a scripted approver and tokio's paused clock, so hours of waiting take microseconds and
//! every timing below is exact.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value as Json, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::*;
use crate::actions::{ActionSpec, Effect, Execute, MemberType, Reach, Table, opt, req};
use crate::aws::{BoxFuture, CallError, Reply};
use crate::foundation::source::SourceFile;
use crate::language::runbook::Runbook;

// ---------------------------------------------------------------------------------------------------------------
// Test actions. Each keeps its state under the request's `key`, so tests running side by side never share any.

#[derive(Clone, Debug, Default)]
struct State {
    calls: u32,
    in_flight: u32,
    max_in_flight: u32,
    /// `start:<value>` / `end:<value>` of test.slow, `write` of test.write.
    log: Vec<String>,
    call_times: Vec<Instant>,
}

static STATE: Mutex<BTreeMap<String, State>> = Mutex::new(BTreeMap::new());

fn with_state<T>(key: &str, change: impl FnOnce(&mut State) -> T) -> T {
    change(STATE.lock().unwrap().entry(key.to_string()).or_default())
}

fn state(key: &str) -> State {
    STATE.lock().unwrap().get(key).cloned().unwrap_or_default()
}

fn text(input: &Map<String, Json>, member: &str) -> String {
    match input.get(member) {
        Some(Json::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// One call recorded against `key`; returns the call's number, from 1.
fn record_call(key: &str) -> u32 {
    with_state(key, |state| {
        state.calls += 1;
        state.call_times.push(Instant::now());
        state.calls
    })
}

const fn spec(
    name: &'static str,
    effect: Effect,
    run: RunFn,
    members: &'static [crate::actions::Member],
) -> ActionSpec {
    ActionSpec {
        name,
        execute: Execute::Run(run),
        effect,
        // They stand in for AWS calls: plans defer them as they would a real read.
        reach: Reach::Aws,
        members,
        iam: &[],
        resource: "-",
        grants: &[],
        summary: "test action {key}",
        example: "key: k",
    }
}

/// Fails `failures` times (transient unless `transient: false`), then answers `{calls: n}`; every attempt goes
/// through `RunContext::retried` like an AWS call.
static FLAKY: ActionSpec = spec(
    "test.flaky",
    Effect::Read,
    flaky,
    &[
        req("key", MemberType::String),
        req("failures", MemberType::Integer),
        opt("transient", MemberType::Boolean),
    ],
);

/// Answers `{Value: n}` on its n-th call.
static COUNTER: ActionSpec = spec(
    "test.counter",
    Effect::Read,
    counter,
    &[req("key", MemberType::String)],
);

/// `{Status: CREATING}` until `after` has passed since its first call, then `{Status: ACTIVE}`.
static READY: ActionSpec = spec(
    "test.ready",
    Effect::Read,
    ready,
    &[
        req("key", MemberType::String),
        req("after", MemberType::String),
    ],
);

/// A write: records that it ran and answers like a restore.
static WRITE: ActionSpec = spec(
    "test.write",
    Effect::Write,
    write,
    &[req("key", MemberType::String)],
);

/// Answers its input.
static ECHO: ActionSpec = spec(
    "test.echo",
    Effect::Read,
    echo,
    &[
        req("key", MemberType::String),
        opt("value", MemberType::Any),
    ],
);

/// Sleeps `duration` through the context (so interrupts end it), tracking how many run at once per key.
static SLOW: ActionSpec = spec(
    "test.slow",
    Effect::Read,
    slow,
    &[
        req("key", MemberType::String),
        req("duration", MemberType::String),
        opt("value", MemberType::Any),
    ],
);

/// The registry's actions and the test actions above: what the tests' runbooks are validated against and run from.
static ACTIONS: Table = Table::with(&[&FLAKY, &COUNTER, &READY, &WRITE, &ECHO, &SLOW]);

fn flaky(
    context: &dyn RunContext,
    input: Map<String, Json>,
) -> BoxFuture<'_, Result<Json, CallError>> {
    Box::pin(async move {
        let key = text(&input, "key");
        let failures = input.get("failures").and_then(Json::as_u64).unwrap_or(0) as u32;
        let transient = input
            .get("transient")
            .and_then(Json::as_bool)
            .unwrap_or(true);
        context
            .retried("test.flaky", Json::Null, Effect::Read, &|| {
                let key = key.clone();
                Box::pin(async move {
                    let call = record_call(&key);
                    if call <= failures {
                        Err(CallError::answered(
                            if transient {
                                "ThrottlingException"
                            } else {
                                "ValidationException"
                            },
                            format!("failure {call}"),
                            400,
                            Some(format!("req-{call}")),
                        ))
                    } else {
                        Ok(Reply {
                            output: json!({ "calls": call }),
                            status: Some(200),
                            request_id: Some(format!("req-{call}")),
                        })
                    }
                })
            })
            .await
            .map(|reply| reply.output)
    })
}

fn counter(
    _context: &dyn RunContext,
    input: Map<String, Json>,
) -> BoxFuture<'_, Result<Json, CallError>> {
    Box::pin(async move { Ok(json!({ "Value": record_call(&text(&input, "key")) })) })
}

fn ready(
    _context: &dyn RunContext,
    input: Map<String, Json>,
) -> BoxFuture<'_, Result<Json, CallError>> {
    Box::pin(async move {
        let key = text(&input, "key");
        let after = crate::foundation::duration::parse(&text(&input, "after")).expect("a duration");
        record_call(&key);
        let first = state(&key).call_times[0];
        let status = if first.elapsed() >= after {
            "ACTIVE"
        } else {
            "CREATING"
        };
        Ok(json!({ "Status": status }))
    })
}

fn write(
    _context: &dyn RunContext,
    input: Map<String, Json>,
) -> BoxFuture<'_, Result<Json, CallError>> {
    Box::pin(async move {
        let key = text(&input, "key");
        record_call(&key);
        with_state(&key, |state| state.log.push("write".into()));
        Ok(json!({ "TableDescription": { "TableArn": format!("arn:test:{key}") } }))
    })
}

fn echo(
    _context: &dyn RunContext,
    input: Map<String, Json>,
) -> BoxFuture<'_, Result<Json, CallError>> {
    Box::pin(async move {
        record_call(&text(&input, "key"));
        Ok(Json::Object(input))
    })
}

fn slow(
    context: &dyn RunContext,
    input: Map<String, Json>,
) -> BoxFuture<'_, Result<Json, CallError>> {
    Box::pin(async move {
        let key = text(&input, "key");
        let value = input.get("value").cloned().unwrap_or(Json::Null);
        let duration =
            crate::foundation::duration::parse(&text(&input, "duration")).expect("a duration");
        record_call(&key);
        with_state(&key, |state| {
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            state.log.push(format!("start:{value}"));
        });
        let slept = context.sleep(duration).await;
        with_state(&key, |state| {
            state.in_flight -= 1;
            state.log.push(format!("end:{value}"));
        });
        if !slept {
            return Err(CallError::stopped("Interrupted", "interrupted"));
        }
        Ok(json!({ "value": value }))
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Runbooks, observer, approver, options.

/// Validates `body` (everything after `name` and `description`) as a runbook whose steps may name the test
/// actions.
fn runbook(body: &str) -> Runbook {
    let text = format!("name: t\ndescription: engine test\n{body}");
    let file = SourceFile::new("t.yaml", text.clone());
    crate::language::validator::load(&file, &[], &ACTIONS).unwrap_or_else(|diagnostics| {
        let kinds: Vec<String> = diagnostics
            .iter()
            .map(|d| format!("{:?}", d.kind))
            .collect();
        panic!("test runbook does not validate: {kinds:#?}\n{text}")
    })
}

/// Every event with the (tokio) time it happened.
#[derive(Default)]
struct Collect(Mutex<Vec<(Instant, Event)>>);

impl Observer for Collect {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        self.0.lock().unwrap().push((Instant::now(), event.clone()));
        Ok(())
    }
}

impl Collect {
    fn events(&self) -> Vec<(Instant, Event)> {
        self.0.lock().unwrap().clone()
    }

    /// Position and time of the first event `matches` accepts.
    fn find(&self, matches: impl Fn(&Event) -> bool) -> Option<(usize, Instant)> {
        self.events()
            .into_iter()
            .enumerate()
            .find(|(_, (_, event))| matches(event))
            .map(|(position, (at, _))| (position, at))
    }

    fn started(&self, id: &str) -> Option<(usize, Instant)> {
        self.find(|e| matches!(e, Event::StepStarted { step, .. } if step == id))
    }

    fn finished(&self, id: &str) -> Option<(usize, Instant)> {
        self.find(|e| matches!(e, Event::StepFinished { step, .. } if step == id))
    }

    /// (attempt number, whether it failed) of every Attempt event of `id`.
    fn attempts(&self, id: &str) -> Vec<(u32, bool)> {
        self.events()
            .into_iter()
            .filter_map(|(_, event)| match event {
                Event::Attempt {
                    step,
                    attempt,
                    outcome,
                    ..
                } if step == id => Some((attempt, matches!(outcome, AttemptOutcome::Err { .. }))),
                _ => None,
            })
            .collect()
    }
}

/// Answers gates from a script; a gate not in it gets `NoAnswer`, as on a run without a terminal.
#[derive(Default)]
struct Scripted {
    decisions: HashMap<String, Decision>,
    asked: Mutex<Vec<Approval>>,
}

impl Approver for Scripted {
    fn decide(&self, approval: Approval) -> BoxFuture<'static, Decision> {
        let decision = self
            .decisions
            .get(&approval.step)
            .cloned()
            .unwrap_or(Decision::NoAnswer);
        self.asked.lock().unwrap().push(approval);
        Box::pin(async move { decision })
    }
}

struct Harness {
    mode: Mode,
    parallelism: usize,
    approver: Arc<Scripted>,
    observer: Arc<Collect>,
    cancel: watch::Sender<bool>,
}

impl Harness {
    fn new(mode: Mode) -> Harness {
        Harness {
            mode,
            parallelism: 8,
            approver: Arc::default(),
            observer: Arc::default(),
            cancel: watch::channel(false).0,
        }
    }

    fn parallelism(mut self, parallelism: usize) -> Harness {
        self.parallelism = parallelism;
        self
    }

    fn decide(mut self, step: &str, decision: Decision) -> Harness {
        Arc::get_mut(&mut self.approver)
            .expect("not shared yet")
            .decisions
            .insert(step.into(), decision);
        self
    }

    fn options(&self) -> Options {
        Options {
            mode: self.mode,
            parallelism: self.parallelism,
            aws: None,
            approver: self.approver.clone(),
            observer: self.observer.clone(),
            cancel: self.cancel.subscribe(),
            run_id: "run-1".into(),
            started_at: jiff::Timestamp::UNIX_EPOCH,
            default_attempt_timeout: Duration::from_secs(60),
            secrets: Default::default(),
            actions: ACTIONS,
        }
    }

    fn start(&self, runbook: Runbook) -> tokio::task::JoinHandle<RunReport> {
        let run = execute(Arc::new(runbook), Map::new(), self.options());
        // On the paused clock a run that never ends fails here after a simulated day instead of hanging.
        tokio::spawn(async move {
            tokio::time::timeout(Duration::from_secs(86_400), run)
                .await
                .expect("the run ends within a day")
        })
    }

    async fn run(&self, runbook: Runbook) -> RunReport {
        self.start(runbook).await.expect("the run does not panic")
    }
}

fn step<'a>(report: &'a RunReport, id: &str) -> &'a StepReport {
    report
        .step(id)
        .unwrap_or_else(|| panic!("no step `{id}` in the report"))
}

fn statuses(report: &RunReport) -> Vec<(&str, StepStatus)> {
    report
        .steps
        .iter()
        .chain(&report.on_failure)
        .map(|s| (s.id.as_str(), s.status))
        .collect()
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

// ---------------------------------------------------------------------------------------------------------------
// Ordering and parallelism.

#[tokio::test(start_paused = true)]
async fn a_step_starts_only_after_everything_it_needs_has_finished() {
    let runbook = runbook(
        r#"
steps:
  - {id: a, action: core.sleep, with: {duration: 1s}}
  - {id: b, needs: [a], action: core.sleep, with: {duration: 3s}}
  - {id: c, needs: [a], action: core.sleep, with: {duration: 1s}}
  - {id: d, needs: [b, c], action: core.noop}
  - {id: e, action: core.sleep, with: {duration: 2s}}
"#,
    );
    let needs: Vec<(&str, Vec<&str>)> =
        vec![("b", vec!["a"]), ("c", vec!["a"]), ("d", vec!["b", "c"])];
    let harness = Harness::new(Mode::Run);
    let begin = Instant::now();
    let report = harness.run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let observer = &harness.observer;
    for (id, upstream) in needs {
        let (started, started_at) = observer.started(id).expect("started");
        for need in upstream {
            let (finished, finished_at) = observer.finished(need).expect("finished");
            assert!(
                finished < started && finished_at <= started_at,
                "`{id}` started before `{need}` finished"
            );
        }
    }
    // b and c start together once a is done; d waits for the slower b; e runs beside all of them.
    let at = |id: &str| secs(observer.started(id).unwrap().1 - begin).round() as u64;
    assert_eq!(
        [at("a"), at("b"), at("c"), at("d"), at("e")],
        [0, 1, 1, 4, 0]
    );
}

#[tokio::test(start_paused = true)]
async fn independent_steps_overlap_unless_parallelism_is_one() {
    let body = r#"
steps:
  - {id: one, action: core.sleep, with: {duration: 1s}}
  - {id: two, action: core.sleep, with: {duration: 1s}}
"#;
    let begin = Instant::now();
    let report = Harness::new(Mode::Run).run(runbook(body)).await;
    let together = begin.elapsed();
    assert_eq!(report.outcome, Outcome::Succeeded);
    assert!(
        (0.99..1.1).contains(&secs(together)),
        "two 1s sleeps side by side took {together:?}"
    );

    let begin = Instant::now();
    let report = Harness::new(Mode::Run)
        .parallelism(1)
        .run(runbook(body))
        .await;
    let one_by_one = begin.elapsed();
    assert_eq!(report.outcome, Outcome::Succeeded);
    assert!(
        (1.99..2.1).contains(&secs(one_by_one)),
        "with parallelism 1 two 1s sleeps took {one_by_one:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// when

#[tokio::test(start_paused = true)]
async fn a_false_when_skips_the_step_and_its_dependents_still_run() {
    let runbook = runbook(
        r#"
steps:
  - {id: a, when: "1 == 2", action: core.noop}
  - id: b
    needs: [a]
    action: test.echo
    with: {key: when-b, value: "{{ steps.a.status }}"}
  - {id: c, needs: [a], when: "steps.a.status == 'skipped'", action: core.noop}
  - {id: d, needs: [a], when: "steps.a.status != 'skipped'", action: core.noop}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    assert_eq!(
        statuses(&report),
        [
            ("a", StepStatus::Skipped),
            ("b", StepStatus::Succeeded),
            ("c", StepStatus::Succeeded),
            ("d", StepStatus::Skipped),
        ]
    );
    assert_eq!(
        step(&report, "a").reason.as_deref(),
        Some("`when: 1 == 2` is false")
    );
    assert_eq!(
        step(&report, "b").output,
        Some(json!({"key": "when-b", "value": "skipped"}))
    );
    assert_eq!(state("when-b").calls, 1);
}

// ---------------------------------------------------------------------------------------------------------------
// for_each

#[tokio::test(start_paused = true)]
async fn for_each_keeps_item_order_and_respects_concurrency() {
    let runbook = runbook(
        r#"
steps:
  - id: fan
    for_each: "[3, 1, 2, 5, 4]"
    concurrency: 2
    action: test.slow
    with: {key: fan, duration: "{{ item }}s", value: "{{ item }}"}
    outputs:
      v: "output.value"
  - id: after
    needs: [fan]
    action: test.echo
    with: {key: fan-after, value: "{{ steps.fan.v }}"}
"#,
    );
    let begin = Instant::now();
    let report = Harness::new(Mode::Run).run(runbook).await;
    let took = begin.elapsed();
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let fan = step(&report, "fan");
    assert_eq!(
        fan.output,
        Some(json!([{"value": 3}, {"value": 1}, {"value": 2}, {"value": 5}, {"value": 4}]))
    );
    assert_eq!(fan.outputs["v"], json!([3, 1, 2, 5, 4]));
    assert_eq!(
        step(&report, "after").output.as_ref().unwrap()["value"],
        json!([3, 1, 2, 5, 4])
    );
    let state = state("fan");
    assert_eq!(state.calls, 5);
    assert_eq!(state.max_in_flight, 2, "{:?}", state.log);
    // 15 s of work in two lanes takes at least 7.5 s; unbounded it would take 5 s.
    assert!(
        (7.5..9.1).contains(&secs(took)),
        "five items over two lanes took {took:?}"
    );
    // Items finish out of order (1 before 3) yet the output above is in item order.
    let ends: Vec<&str> = state
        .log
        .iter()
        .filter_map(|l| l.strip_prefix("end:"))
        .collect();
    assert_ne!(
        ends,
        ["3", "1", "2", "5", "4"],
        "items ran one after the other"
    );
}

#[tokio::test(start_paused = true)]
async fn loop_index_counts_from_one_and_index0_from_zero() {
    let runbook = runbook(
        r#"
steps:
  - id: each
    for_each: "['x', 'y', 'z']"
    concurrency: 3
    action: test.echo
    with:
      key: loop
      value: {item: "{{ item }}", index: "{{ loop.index }}", index0: "{{ loop.index0 }}", length: "{{ loop.length }}", first: "{{ loop.first }}", last: "{{ loop.last }}"}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let values: Vec<Json> = step(&report, "each")
        .output
        .as_ref()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].clone())
        .collect();
    assert_eq!(
        values,
        [
            json!({"item": "x", "index": 1, "index0": 0, "length": 3, "first": true, "last": false}),
            json!({"item": "y", "index": 2, "index0": 1, "length": 3, "first": false, "last": false}),
            json!({"item": "z", "index": 3, "index0": 2, "length": 3, "first": false, "last": true}),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn one_failing_item_fails_the_step_and_the_run() {
    let runbook = runbook(
        r#"
steps:
  - id: each
    for_each: "[0, 1, 0]"
    action: test.flaky
    with: {key: "item-fail-{{ loop.index }}", failures: "{{ item }}", transient: false}
  - {id: after, needs: [each], action: core.noop}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let each = step(&report, "each");
    assert_eq!(each.status, StepStatus::Failed);
    let error = each.error.as_deref().unwrap();
    assert!(
        error.starts_with("item 2: ValidationException") && error.contains("failure 1"),
        "{error}"
    );
    // Items before the failure keep their results in place; no item starts after it.
    assert_eq!(each.output, Some(json!([{"calls": 1}, null, null])));
    assert_eq!(
        [1, 2, 3].map(|i| state(&format!("item-fail-{i}")).calls),
        [1, 1, 0]
    );
    assert!(
        error.contains("(1 items not started after the failure)"),
        "{error}"
    );
    assert_eq!(step(&report, "after").status, StepStatus::NotRun);
    assert!(
        report
            .error
            .as_deref()
            .unwrap()
            .starts_with("step `each` failed: item 2:"),
        "{:?}",
        report.error
    );
}

// ---------------------------------------------------------------------------------------------------------------
// retry

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_with_growing_delays() {
    let runbook = runbook(
        r#"
steps:
  - id: flaky
    action: test.flaky
    with: {key: retry-ok, failures: 3}
    retry: {attempts: 5, delay: 1s, max_delay: 30s}
"#,
    );
    let harness = Harness::new(Mode::Run);
    let report = harness.run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let flaky = step(&report, "flaky");
    assert_eq!(flaky.attempts, 4);
    assert_eq!(flaky.output, Some(json!({"calls": 4})));
    assert_eq!(
        harness.observer.attempts("flaky"),
        [(1, true), (2, true), (3, true), (4, false)]
    );
    let delays: Vec<Duration> = harness
        .observer
        .events()
        .into_iter()
        .filter_map(|(_, event)| match event {
            Event::RetryScheduled { delay, .. } => Some(delay),
            _ => None,
        })
        .collect();
    assert_eq!(delays.len(), 3);
    // Nominal 1 s, 2 s, 4 s, each drawn from its upper half.
    for (delay, nominal) in delays.iter().zip([1.0, 2.0, 4.0]) {
        assert!(
            (nominal / 2.0..=nominal).contains(&secs(*delay)),
            "{delays:?}"
        );
    }
    assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
    // The attempts really were that far apart.
    let times = state("retry-ok").call_times;
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, delay) in gaps.iter().zip(&delays) {
        assert!(
            gap >= delay && *gap < *delay + Duration::from_millis(10),
            "{gaps:?} vs {delays:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_non_transient_error_fails_at_once() {
    let runbook = runbook(
        r#"
steps:
  - id: flaky
    action: test.flaky
    with: {key: retry-permanent, failures: 1, transient: false}
    retry: {attempts: 5}
"#,
    );
    let harness = Harness::new(Mode::Run);
    let report = harness.run(runbook).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let flaky = step(&report, "flaky");
    assert_eq!(flaky.status, StepStatus::Failed);
    assert_eq!(flaky.attempts, 1);
    assert_eq!(
        flaky.error.as_deref(),
        Some("ValidationException (HTTP 400): failure 1 [request id req-1]")
    );
    assert_eq!(harness.observer.attempts("flaky"), [(1, true)]);
    assert_eq!(state("retry-permanent").calls, 1);
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_retry_budget_fails_with_the_last_error() {
    let runbook = runbook(
        r#"
steps:
  - id: flaky
    action: test.flaky
    with: {key: retry-exhausted, failures: 10}
    retry: {attempts: 3, delay: 2s}
"#,
    );
    let harness = Harness::new(Mode::Run);
    let report = harness.run(runbook).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let flaky = step(&report, "flaky");
    assert_eq!(flaky.attempts, 3);
    assert_eq!(
        flaky.error.as_deref(),
        Some(
            "ThrottlingException (HTTP 400): failure 3 (gave up after 3 attempts) [request id req-3]"
        )
    );
    assert_eq!(
        harness.observer.attempts("flaky"),
        [(1, true), (2, true), (3, true)]
    );
    assert_eq!(state("retry-exhausted").calls, 3);
}

// ---------------------------------------------------------------------------------------------------------------
// wait

#[tokio::test(start_paused = true)]
async fn a_wait_ends_when_its_condition_holds() {
    let runbook = runbook(
        r#"
steps:
  - id: poll
    action: test.counter
    with: {key: wait-ok}
    wait: {until: "output.Value >= 3", interval: 5s}
"#,
    );
    let harness = Harness::new(Mode::Run);
    let report = harness.run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(step(&report, "poll").output, Some(json!({"Value": 3})));
    assert_eq!(state("wait-ok").calls, 3);
    let polls: Vec<(u32, String)> = harness
        .observer
        .events()
        .into_iter()
        .filter_map(|(_, event)| match event {
            Event::Poll {
                polls, observed, ..
            } => Some((polls, observed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        polls,
        [
            (1, "output.Value = 1".to_string()),
            (2, "output.Value = 2".to_string())
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_times_out_shows_the_last_observed_value() {
    // Polls at 0 s and, the first delay being cut to what is left, at 5 s: then the 5 s are up.
    let runbook = runbook(
        r#"
steps:
  - id: poll
    action: test.counter
    with: {key: wait-timeout}
    wait: {until: "output.Value > 100", timeout: 5s, interval: 10s}
"#,
    );
    let begin = Instant::now();
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let poll = step(&report, "poll");
    assert_eq!(poll.status, StepStatus::Failed);
    assert_eq!(
        poll.error.as_deref(),
        Some(
            "waited 5s (2 polls) and `output.Value > 100` still does not hold; last observed output.Value = 2"
        )
    );
    assert_eq!(poll.output, Some(json!({"Value": 2})));
    assert_eq!(state("wait-timeout").calls, 2);
    assert_eq!(begin.elapsed().as_secs(), 5);
}

#[tokio::test(start_paused = true)]
async fn waiting_half_an_hour_with_the_default_schedule_takes_at_most_40_polls() {
    // The delays are random; many runs cover the spread.
    let mut counts = Vec::new();
    for run in 0..25 {
        let key = format!("wait-30m-{run}");
        let runbook = runbook(&format!(
            r#"
steps:
  - id: poll
    action: test.ready
    with: {{key: {key}, after: 30m}}
    wait: {{until: "output.Status == 'ACTIVE'", timeout: 2h}}
"#
        ));
        let begin = Instant::now();
        let report = Harness::new(Mode::Run).run(runbook).await;
        assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
        let took = begin.elapsed();
        assert!(
            took >= Duration::from_secs(1800) && took <= Duration::from_secs(1860),
            "noticed after {took:?}"
        );
        counts.push(state(&key).calls);
    }
    assert!(
        counts.iter().all(|&polls| polls <= 40),
        "polls per run: {counts:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// check and outputs

#[tokio::test(start_paused = true)]
async fn a_failing_check_fails_the_step_with_its_message() {
    let runbook = runbook(
        r#"
steps:
  - id: a
    action: test.echo
    with: {key: check, value: 3}
    check:
      - that: "output.value > 1"
      - that: "output.value > 5"
        message: "too small: {{ output.value }}"
  - {id: b, needs: [a], action: core.noop}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let a = step(&report, "a");
    assert_eq!(a.status, StepStatus::Failed);
    assert_eq!(
        a.error.as_deref(),
        Some("too small: 3 (observed output.value = 3)")
    );
    assert_eq!(a.output, Some(json!({"key": "check", "value": 3})));
    assert_eq!(step(&report, "b").status, StepStatus::NotRun);
    assert_eq!(
        report.error.as_deref(),
        Some("step `a` failed: too small: 3 (observed output.value = 3)")
    );
}

#[tokio::test(start_paused = true)]
async fn outputs_are_readable_downstream_by_name() {
    let runbook = runbook(
        r#"
steps:
  - id: a
    action: test.echo
    with: {key: outputs-a, value: {n: 4, tags: [x, y]}}
    outputs:
      doubled: "output.value.n * 2"
      first_tag: "output.value.tags[0]"
  - id: b
    needs: [a]
    action: test.echo
    with: {key: outputs-b, value: "{{ steps.a.doubled }} {{ steps.a.first_tag }}"}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(
        Json::Object(step(&report, "a").outputs.clone()),
        json!({"doubled": 8, "first_tag": "x"})
    );
    assert_eq!(step(&report, "b").output.as_ref().unwrap()["value"], "8 x");
}

// ---------------------------------------------------------------------------------------------------------------
// on_error, success criteria, on_failure

#[tokio::test(start_paused = true)]
async fn on_error_continue_lets_the_run_go_on_and_the_rest_decides() {
    let body = |later_fails: bool| {
        format!(
            r#"
steps:
  - id: optional
    on_error: continue
    action: test.flaky
    with: {{key: continue-{later_fails}, failures: 1, transient: false}}
  - id: next
    needs: [optional]
    action: test.echo
    with: {{key: continue-next-{later_fails}, value: "{{{{ steps.optional.status }}}}"}}
  - id: last
    needs: [next]
    action: core.fail
    when: "{} == 1"
    with: {{message: the rest failed}}
"#,
            u32::from(later_fails)
        )
    };
    let report = Harness::new(Mode::Run).run(runbook(&body(false))).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(report.error, None);
    assert_eq!(
        statuses(&report),
        [
            ("optional", StepStatus::Failed),
            ("next", StepStatus::Succeeded),
            ("last", StepStatus::Skipped),
        ]
    );
    assert!(step(&report, "optional").error.is_some());
    assert_eq!(
        step(&report, "next").output.as_ref().unwrap()["value"],
        "failed"
    );

    let report = Harness::new(Mode::Run).run(runbook(&body(true))).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(
        report.error.as_deref(),
        Some("step `last` failed: Failed: the rest failed"),
        "the continued failure is not the run's error"
    );
}

#[tokio::test(start_paused = true)]
async fn success_criteria_are_reported_and_one_not_holding_fails_the_run() {
    let body = |threshold: u32| {
        format!(
            r#"
steps:
  - {{id: a, action: test.echo, with: {{key: criteria-{threshold}, value: 3}}}}
success_criteria:
  - name: the value is three
    that: "steps.a.output.value == 3"
  - name: the value is above the threshold
    that: "steps.a.output.value > {threshold}"
"#
        )
    };
    let harness = Harness::new(Mode::Run);
    let report = harness.run(runbook(&body(1))).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    let held: Vec<(&str, Option<bool>)> = report
        .success_criteria
        .iter()
        .map(|c| (c.name.as_str(), c.held))
        .collect();
    assert_eq!(
        held,
        [
            ("the value is three", Some(true)),
            ("the value is above the threshold", Some(true))
        ]
    );
    let evaluated = harness
        .observer
        .events()
        .iter()
        .filter(|(_, e)| matches!(e, Event::CriterionEvaluated(_)))
        .count();
    assert_eq!(evaluated, 2);

    let report = Harness::new(Mode::Run).run(runbook(&body(5))).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let held: Vec<(&str, Option<bool>)> = report
        .success_criteria
        .iter()
        .map(|c| (c.name.as_str(), c.held))
        .collect();
    assert_eq!(
        held,
        [
            ("the value is three", Some(true)),
            ("the value is above the threshold", Some(false))
        ]
    );
    assert_eq!(step(&report, "a").status, StepStatus::Succeeded);
    assert_eq!(
        report.error.as_deref(),
        Some("success criterion `the value is above the threshold` does not hold")
    );
}

#[tokio::test(start_paused = true)]
async fn on_failure_runs_only_on_failure_sees_the_first_error_and_cannot_replace_it() {
    let body = |fail: bool| {
        format!(
            r#"
steps:
  - id: a
    action: test.flaky
    with: {{key: on-failure-a-{fail}, failures: {}, transient: false}}
on_failure:
  - id: notify
    action: test.echo
    with: {{key: on-failure-notify-{fail}, value: "{{{{ run.error }}}}"}}
  - {{id: broken, action: core.fail, with: {{message: cleanup broke}}}}
  - id: cleanup
    action: test.echo
    with: {{key: on-failure-cleanup-{fail}, value: done}}
"#,
            u32::from(fail)
        )
    };
    let report = Harness::new(Mode::Run).run(runbook(&body(true))).await;
    assert_eq!(report.outcome, Outcome::Failed);
    let first = "step `a` failed: ValidationException (HTTP 400): failure 1 [request id req-1]";
    assert_eq!(report.error.as_deref(), Some(first));
    assert_eq!(
        statuses(&report),
        [
            ("a", StepStatus::Failed),
            ("notify", StepStatus::Succeeded),
            ("broken", StepStatus::Failed),
            ("cleanup", StepStatus::Succeeded),
        ]
    );
    assert_eq!(
        step(&report, "notify").output.as_ref().unwrap()["value"],
        first
    );
    assert_eq!(state("on-failure-cleanup-true").calls, 1);

    let report = Harness::new(Mode::Run).run(runbook(&body(false))).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    assert_eq!(report.error, None);
    for id in ["notify", "broken", "cleanup"] {
        let step = step(&report, id);
        assert_eq!(step.status, StepStatus::NotRun, "{id}");
        assert_eq!(step.reason.as_deref(), Some("runs only when the run fails"));
    }
    assert_eq!(state("on-failure-notify-false").calls, 0);
    assert_eq!(state("on-failure-cleanup-false").calls, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Approvals

const GATED: &str = r#"
steps:
  - {id: a, action: test.echo, with: {key: KEY-a, value: 3}}
  - id: gate
    needs: [a]
    approve: {prompt: "Delete {{ steps.a.output.value }} tables?"}
  - {id: after, needs: [gate], action: test.echo, with: {key: KEY-after}}
on_failure:
  - {id: alert, action: test.echo, with: {key: KEY-alert}}
"#;

#[tokio::test(start_paused = true)]
async fn an_approved_gate_succeeds_and_records_who_approved() {
    let harness = Harness::new(Mode::Run).decide(
        "gate",
        Decision::Approved {
            by: "alice".into(),
            how: "--approve gate".into(),
        },
    );
    let report = harness
        .run(runbook(&GATED.replace("KEY", "approved")))
        .await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let gate = step(&report, "gate");
    assert_eq!(gate.status, StepStatus::Succeeded);
    // Who and how; the record may go on (a time, say).
    let approved_by = gate.approved_by.as_deref().unwrap_or_default();
    assert!(
        approved_by.starts_with("alice via --approve gate"),
        "{approved_by:?}"
    );
    let asked = harness.approver.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        (asked[0].step.as_str(), asked[0].prompt.as_str()),
        ("gate", "Delete 3 tables?")
    );
    assert_eq!(asked[0].timeout, Duration::from_secs(3600));
    assert_eq!(step(&report, "after").status, StepStatus::Succeeded);
    assert_eq!(state("approved-after").calls, 1);
}

#[tokio::test(start_paused = true)]
async fn a_gate_nobody_can_answer_stops_the_run_cleanly() {
    let harness = Harness::new(Mode::Run);
    let report = harness
        .run(runbook(&GATED.replace("KEY", "no-answer")))
        .await;
    assert_eq!(report.outcome, Outcome::AwaitingApproval);
    assert_eq!(report.error, None);
    assert_eq!(
        statuses(&report),
        [
            ("a", StepStatus::Succeeded),
            ("gate", StepStatus::AwaitingApproval),
            ("after", StepStatus::NotRun),
            ("alert", StepStatus::NotRun),
        ]
    );
    assert!(
        step(&report, "gate")
            .reason
            .as_deref()
            .unwrap()
            .contains("--approve gate"),
    );
    assert!(harness.observer.started("after").is_none());
    assert_eq!(state("no-answer-after").calls, 0);
    assert_eq!(state("no-answer-alert").calls, 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_gate_ends_the_run_as_refused_and_on_failure_does_not_run() {
    let harness = Harness::new(Mode::Run).decide("gate", Decision::Rejected { by: "bob".into() });
    let report = harness
        .run(runbook(&GATED.replace("KEY", "rejected")))
        .await;
    assert_eq!(report.outcome, Outcome::Refused);
    assert_eq!(
        report.error.as_deref(),
        Some("step `gate`: approval refused by bob")
    );
    let gate = step(&report, "gate");
    assert_eq!(gate.status, StepStatus::Refused);
    assert_eq!(gate.error.as_deref(), Some("approval refused by bob"));
    assert_eq!(gate.approved_by, None);
    assert_eq!(step(&report, "after").status, StepStatus::NotRun);
    assert_eq!(step(&report, "alert").status, StepStatus::NotRun);
    assert_eq!(state("rejected-after").calls, 0);
    assert_eq!(state("rejected-alert").calls, 0, "on_failure ran");
    assert!(report.leftovers.is_empty(), "test.echo is a read");
}

// ---------------------------------------------------------------------------------------------------------------
// Interrupts

#[tokio::test(start_paused = true)]
async fn an_interrupt_ends_sleeps_early_and_starts_nothing_new() {
    let runbook = runbook(
        r#"
steps:
  - {id: long, action: core.sleep, with: {duration: 1h}}
  - {id: after_long, needs: [long], action: test.echo, with: {key: interrupt-after-long}}
  - {id: short, action: test.slow, with: {key: interrupt-short, duration: 10s}}
  - {id: after_short, needs: [short], action: test.echo, with: {key: interrupt-after-short}}
on_failure:
  - {id: alert, action: test.echo, with: {key: interrupt-alert}}
"#,
    );
    let harness = Harness::new(Mode::Run);
    let begin = Instant::now();
    let run = harness.start(runbook);
    tokio::time::sleep(Duration::from_secs(5)).await;
    harness.cancel.send(true).unwrap();
    let report = run.await.unwrap();
    let took = begin.elapsed();
    assert_eq!(report.outcome, Outcome::Interrupted, "{report:#?}");
    assert!(
        took < Duration::from_secs(6),
        "the run went on for {took:?}"
    );
    assert_eq!(
        step(&report, "long").error.as_deref(),
        Some("Interrupted: interrupted during a 1h sleep")
    );
    assert_eq!(report.error, None, "an interrupt is not the run's failure");
    // Both in-flight steps ended at the interrupt, not at the end of their sleeps.
    let (_, long_end) = harness.observer.finished("long").unwrap();
    let (_, short_end) = harness.observer.finished("short").unwrap();
    assert_eq!((long_end - begin).as_secs(), 5);
    assert_eq!((short_end - begin).as_secs(), 5);
    for id in ["after_long", "after_short", "alert"] {
        assert_eq!(step(&report, id).status, StepStatus::NotRun, "{id}");
        assert!(harness.observer.started(id).is_none(), "{id} started");
    }
    assert_eq!(state("interrupt-after-short").calls, 0);
    assert_eq!(state("interrupt-alert").calls, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Plans

#[tokio::test(start_paused = true)]
async fn a_plan_never_runs_writes_and_defers_reads_that_need_them() {
    let runbook = runbook(
        r#"
steps:
  - {id: restore, action: test.write, with: {key: plan-write}}
  - id: describe
    needs: [restore]
    action: test.echo
    with: {key: plan-describe, value: "{{ steps.restore.output.TableDescription.TableArn }}"}
  - {id: independent, action: test.echo, with: {key: plan-independent, value: 1}}
  - {id: tail, needs: [describe], action: test.echo, with: {key: plan-tail, value: 2}}
"#,
    );
    let report = Harness::new(Mode::Plan).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Planned, "{report:#?}");
    assert_eq!(
        statuses(&report),
        [
            ("restore", StepStatus::Planned),
            ("describe", StepStatus::Deferred),
            ("independent", StepStatus::Succeeded),
            ("tail", StepStatus::Deferred),
        ]
    );
    assert_eq!(state("plan-write").calls, 0, "the write ran in a plan");
    assert!(state("plan-write").log.is_empty());
    let restore = step(&report, "restore");
    assert_eq!(restore.request, Some(json!({"key": "plan-write"})));
    assert_eq!(restore.output, None);

    let describe = step(&report, "describe");
    assert_eq!(
        describe.request,
        Some(json!({"key": "plan-describe", "value": "<from restore: TableDescription.TableArn>"}))
    );
    let reason = describe.reason.as_deref().unwrap();
    assert!(reason.contains("`restore`"), "{reason}");
    assert_eq!(state("plan-describe").calls, 0);

    assert_eq!(state("plan-independent").calls, 1);
    assert_eq!(
        step(&report, "independent").output,
        Some(json!({"key": "plan-independent", "value": 1}))
    );
    // A read downstream of a write, even without reading its values, would show the world before the write.
    assert_eq!(state("plan-tail").calls, 0);
    let reason = step(&report, "tail").reason.as_deref().unwrap();
    assert!(
        reason.contains("runs after the write `restore`"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn offline_defers_every_read_except_local_built_ins() {
    let runbook = runbook(
        r#"
steps:
  - {id: read, action: test.echo, with: {key: offline-read, value: 1}}
  - {id: log, action: core.log, with: {message: hello}}
  - {id: write, action: test.write, with: {key: offline-write}}
"#,
    );
    let report = Harness::new(Mode::Offline).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Planned);
    assert_eq!(
        statuses(&report),
        [
            ("read", StepStatus::Deferred),
            ("log", StepStatus::Succeeded),
            ("write", StepStatus::Planned),
        ]
    );
    assert_eq!(
        step(&report, "read").reason.as_deref(),
        Some("offline: no AWS call is made")
    );
    assert_eq!(state("offline-read").calls, 0);
    assert_eq!(state("offline-write").calls, 0);
}

#[tokio::test(start_paused = true)]
async fn a_when_reading_a_deferred_value_is_deferred() {
    let runbook = runbook(
        r#"
steps:
  - {id: restore, action: test.write, with: {key: plan-when-write}}
  - id: check_arn
    needs: [restore]
    when: "steps.restore.output.TableDescription.TableArn is string"
    action: test.echo
    with: {key: plan-when-read}
success_criteria:
  - name: restored
    that: "steps.restore.status == 'succeeded'"
"#,
    );
    let report = Harness::new(Mode::Plan).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Planned);
    let check = step(&report, "check_arn");
    assert_eq!(check.status, StepStatus::Deferred);
    let reason = check.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("`when` reads") && reason.contains("`restore`"),
        "{reason}"
    );
    assert_eq!(state("plan-when-read").calls, 0);
    assert_eq!(state("plan-when-write").calls, 0);
    // A criterion over a deferred value is left to the run, not declared held or broken.
    assert_eq!(report.success_criteria[0].held, None);
}

// ---------------------------------------------------------------------------------------------------------------
// The journal's needs: write-ahead events and resumed runs.

/// Notes, at each call start it is told of, how many calls of `key` had already run.
struct CallsAtStart {
    key: String,
    seen: Mutex<Vec<u32>>,
}

impl Observer for CallsAtStart {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        if let Event::CallStarted { .. } = event {
            self.seen.lock().unwrap().push(state(&self.key).calls);
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn every_attempt_is_announced_to_observers_before_it_runs() {
    let runbook = runbook(
        "steps:\n  - id: a\n    action: test.flaky\n    with: {key: write-ahead, failures: 1}\n",
    );
    let observer = Arc::new(CallsAtStart {
        key: "write-ahead".into(),
        seen: Mutex::default(),
    });
    // The harness lives to the end: its cancel sender closing would read as an interrupt channel gone.
    let harness = Harness::new(Mode::Run);
    let mut options = harness.options();
    options.observer = observer.clone();
    let report = execute(Arc::new(runbook), Map::new(), options).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    // Two attempts; each was announced while the calls before it were all that had run.
    assert_eq!(*observer.seen.lock().unwrap(), vec![0, 1]);
}

#[tokio::test(start_paused = true)]
async fn a_resume_takes_journaled_results_and_runs_only_the_rest() {
    let runbook = runbook(
        "steps:
  - id: restore
    action: test.write
    with: {key: resume-restore}
    outputs:
      arn: output.TableDescription.TableArn
  - id: after
    needs: [restore]
    action: test.echo
    with: {key: resume-after, value: \"{{ steps.restore.arn }}\"}
",
    );
    let mut prior = Prior::default();
    let mut outputs = Map::new();
    outputs.insert("arn".into(), json!("arn:from-the-journal"));
    prior.steps.insert(
        "restore".into(),
        PriorStep {
            status: StepStatus::Succeeded,
            summary: "restored".into(),
            request: None,
            output: Some(json!({"TableDescription": {"TableArn": "arn:from-the-journal"}})),
            outputs,
            attempts: 1,
            reason: "succeeded at 12:00 (journal)".into(),
        },
    );
    let harness = Harness::new(Mode::Run);
    let report = resume(Arc::new(runbook), Map::new(), prior, harness.options()).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    assert_eq!(
        state("resume-restore").calls,
        0,
        "the write is not sent again"
    );
    assert_eq!(state("resume-after").calls, 1);
    assert_eq!(
        step(&report, "after").output.as_ref().unwrap()["value"],
        "arn:from-the-journal"
    );
    assert_eq!(
        step(&report, "restore").reason.as_deref(),
        Some("succeeded at 12:00 (journal)")
    );
    assert!(
        harness
            .observer
            .find(|e| matches!(e, Event::StepReused { step, .. } if step == "restore"))
            .is_some()
    );
}

/// A journal that cannot write from the first call of step `fails_at` on: it refuses that record and counts what
/// it is offered after.
struct FullDisk {
    fails_at: &'static str,
    failed: Mutex<bool>,
    offered_after: Mutex<u32>,
}

impl Observer for FullDisk {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        let mut failed = self.failed.lock().unwrap();
        if *failed {
            *self.offered_after.lock().unwrap() += 1;
        } else if matches!(event, Event::CallStarted { step, .. } if step == self.fails_at) {
            *failed = true;
        } else {
            return Ok(());
        }
        Err(Halt {
            message: "cannot write the audit journal: no space left on device".into(),
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_journal_that_cannot_write_ends_the_run_before_the_call_it_announces() {
    let runbook = runbook(
        "steps:
  - id: a
    action: test.flaky
    with: {key: full-a, failures: 0}
  - id: b
    needs: [a]
    action: test.flaky
    with: {key: full-b, failures: 0}
  - id: c
    needs: [b]
    action: test.flaky
    with: {key: full-c, failures: 0}
on_failure:
  - id: notify
    action: test.flaky
    with: {key: full-notify, failures: 0}
",
    );
    let observer = Arc::new(FullDisk {
        fails_at: "b",
        failed: Mutex::default(),
        offered_after: Mutex::default(),
    });
    let harness = Harness::new(Mode::Run);
    let mut options = harness.options();
    options.observer = observer.clone();
    let report = execute(Arc::new(runbook), Map::new(), options).await;
    assert_eq!(report.outcome, Outcome::JournalFailed);
    assert_eq!(
        report.error.as_deref(),
        Some("cannot write the audit journal: no space left on device")
    );
    assert_eq!(state("full-a").calls, 1);
    // The call it could not record was not sent, nothing after it started, and on_failure did not run.
    assert_eq!(state("full-b").calls, 0);
    assert_eq!(state("full-c").calls, 0);
    assert_eq!(state("full-notify").calls, 0);
    assert_eq!(report.step("c").unwrap().status, StepStatus::NotRun);
    // Nothing reached the journal after the lost record: a later one would hide the gap.
    assert_eq!(*observer.offered_after.lock().unwrap(), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Nested runbooks (`runbook:` steps).

/// Validates `body` as a runbook whose `runbook:` steps find `child` (everything after its `name` and
/// `description`) as the runbook `child`.
fn with_child(child: &str, body: &str) -> Runbook {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("child.yaml"),
        format!("name: child\ndescription: nested\n{child}"),
    )
    .unwrap();
    let file = SourceFile::new(
        "t.yaml",
        format!("name: t\ndescription: engine test\n{body}"),
    );
    let catalog = crate::language::catalog::Catalog::new(Some(dir.path()), None);
    crate::language::validator::load_in(&file, &[], &ACTIONS, &catalog).unwrap_or_else(
        |diagnostics| {
            let kinds: Vec<String> = diagnostics
                .iter()
                .map(|d| format!("{:?}", d.kind))
                .collect();
            panic!("test runbook does not validate: {kinds:#?}")
        },
    )
}

const CHILD: &str = r#"
params:
  n: {type: integer, required: true}
  label: {type: string, default: "x-{{ params.n }}"}
vars:
  double: "{{ params.n * 2 }}"
steps:
  - id: a
    action: test.echo
    with: {key: nested-a, value: "{{ vars.double }}"}
  - id: b
    needs: [a]
    action: test.echo
    with: {key: nested-b, value: "{{ steps.a.output.value }} {{ params.label }}"}
outputs:
  said: steps.b.output.value
"#;

#[tokio::test(start_paused = true)]
async fn a_nested_runbook_reads_its_own_names_and_gives_its_outputs() {
    let runbook = with_child(
        CHILD,
        r#"
vars:
  base: 3
steps:
  - {id: first, action: core.noop}
  - id: kid
    runbook: child
    needs: [first]
    with: {n: "{{ vars.base + 1 }}"}
  - id: after
    needs: [kid]
    action: test.echo
    with: {key: nested-after, value: "{{ steps.kid.said }}"}
"#,
    );
    let harness = Harness::new(Mode::Run);
    let report = harness.run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{:?}", report.error);
    assert_eq!(
        statuses(&report),
        [
            ("first", StepStatus::Succeeded),
            ("kid.a", StepStatus::Succeeded),
            ("kid.b", StepStatus::Succeeded),
            ("kid", StepStatus::Succeeded),
            ("after", StepStatus::Succeeded),
        ]
    );
    // `n` is the parent's 3 + 1; the child's default and var are computed from it.
    assert_eq!(
        step(&report, "kid.a").output,
        Some(json!({"key": "nested-a", "value": 8}))
    );
    assert_eq!(step(&report, "kid").outputs["said"], json!("8 x-4"));
    assert_eq!(
        step(&report, "after").output,
        Some(json!({"key": "nested-after", "value": "8 x-4"}))
    );
    let observer = &harness.observer;
    assert!(observer.finished("first").unwrap().0 < observer.started("kid.a").unwrap().0);
    assert!(observer.finished("kid.b").unwrap().0 < observer.started("kid").unwrap().0);
}

#[tokio::test(start_paused = true)]
async fn a_false_when_skips_every_step_of_the_nested_runbook() {
    let runbook = with_child(
        CHILD,
        r#"
steps:
  - id: kid
    runbook: child
    when: "1 == 2"
    with: {n: 1}
  - {id: after, needs: [kid], when: "steps.kid.status == 'skipped'", action: core.noop}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Succeeded);
    assert_eq!(
        statuses(&report),
        [
            ("kid.a", StepStatus::Skipped),
            ("kid.b", StepStatus::Skipped),
            ("kid", StepStatus::Skipped),
            ("after", StepStatus::Succeeded),
        ]
    );
    assert_eq!(
        step(&report, "kid.a").reason.as_deref(),
        Some("`when: 1 == 2` of `kid` is false")
    );
}

#[tokio::test(start_paused = true)]
async fn a_with_value_the_child_refuses_fails_its_first_step_and_the_run() {
    let runbook = with_child(
        CHILD,
        r#"
steps:
  - id: kid
    runbook: child
    with: {n: "{{ 'many' }}"}
"#,
    );
    let report = Harness::new(Mode::Run).run(runbook).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(step(&report, "kid.a").status, StepStatus::Failed);
    assert_eq!(
        step(&report, "kid.a").error.as_deref(),
        Some("parameter `n` of runbook `child` (from `kid`): `many` is not a whole number")
    );
    assert_eq!(step(&report, "kid").status, StepStatus::NotRun);
}
