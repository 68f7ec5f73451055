//! An execution's history (GetExecutionHistory's events) read back as the engine's own events, so that
//! `runbook run --on step-functions` shows the progress a local run shows and journals the same records: a step
//! started when its first state is entered (a task's once its first call is scheduled, to show the request's
//! values), each scheduled task a call with its parameters, each task's end the call's answer or error, and the
//! step's end when the execution moves on to another step's state (or ends), with the result its states recorded
//! (under `steps.ID` in the state's output, or in the `$steps` variable a JSONata state assigns). Approval tasks
//! become the gate's request and its answer.
//!
//! Steps that run side by side (a Parallel state, a branch per step) interleave their states: a branched step's
//! states never end another step, it ends with its branch (`ID.recorded`), its checks are settled by its own next
//! state, and its task events are tied to it through `previousEventId`, never by their order.
//!
//! A failure of the body ends the steps still open when the execution ends or goes on to the `on_failure` steps
//! (which are journaled as steps, as locally): the step that failed with the body's error; in a Parallel, a step
//! beside it whose work was done ended well, and one still working was stopped (Step Functions stops every
//! branch when one fails, where the engine lets running steps finish), which its error says.
//!
//! States are matched to steps by name, as the export names them ([`super::state_name`]); `success_criteria`
//! and its failed states are the criteria. States that match no step (the parameter defaults) are the export's
//! plumbing and leave no record.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::engine::{
    AttemptOutcome, Criterion, Event, Mode, Outcome, RunReport, StepReport, StepStatus,
};
use crate::language::runbook::{Runbook, Step, StepKind};

use super::state_name::{self, FINISH, ON_FAILURE, Role};

/// The error a refused gate fails its task with (`runbook reject`); an execution that fails with it was refused.
pub const REFUSED_ERROR: &str = "runbook.Refused";

/// The operation a call journals: the action's name, or for an HTTP request `http.METHOD`, as the engine names
/// the request it sends.
fn operation_of(action: &str, request: Option<&Value>) -> String {
    match request.and_then(|request| request["method"].as_str()) {
        Some(method) if super::is_http(action) => format!("http.{method}"),
        _ => action.to_string(),
    }
}

/// A step that Step Functions' HTTP task sends ([`super::http_request`]).
fn is_http_step(step: &Step) -> bool {
    step.action()
        .is_some_and(|action| super::is_http(action.shape.name))
}

/// An HTTP task's end as the engine's attempt: its answer in the engine's shape, and a `States.Http.StatusCode.NNN`
/// failure an answer too (the status is in the error's name, the answer in its cause), failed as the engine fails
/// it (`UnexpectedStatus`, when the status is not the one expected, or without one on 5xx or 429) or not at all.
fn http_answer(
    step: &Step,
    result: Result<Value, (String, String)>,
) -> Result<Value, (String, String)> {
    use super::http_request::{STATUS_ERROR, engine_response};
    match result {
        Ok(answer) => Ok(engine_response(&answer, None)),
        Err((error, cause)) => {
            let Some(status) = error
                .strip_prefix(STATUS_ERROR)
                .and_then(|status| status.parse::<u64>().ok())
            else {
                return Err((error, cause));
            };
            let answer = engine_response(&parse(&Value::String(cause.clone())), Some(status));
            let expected = step
                .action()
                .and_then(|action| action.with.get("expect_status"))
                .and_then(|expected| {
                    expected
                        .as_u64()
                        .or_else(|| expected.as_str().and_then(|s| s.trim().parse().ok()))
                });
            let fails = match expected {
                Some(expected) => status != expected,
                None => status >= 500 || status == 429,
            };
            if fails {
                Err(("UnexpectedStatus".into(), cause))
            } else {
                Ok(answer)
            }
        }
    }
}

/// Where a history event leaves the execution: still running, or ended as the report says.
pub struct Follower<'a> {
    runbook: &'a Runbook,
    report: RunReport,
    steps: HashMap<String, Open>,
    /// The steps (or `success_criteria`) whose assertions a Choice just evaluated: the next state entered (in a
    /// Parallel branch, the next of the same step) tells whether they held.
    deciding: Vec<String>,
    /// The step whose states are running one after another: it ends when a state of another step (or of none)
    /// is entered.
    current: Option<String>,
    /// The steps running in a Parallel branch: their states interleave with other branches', so each ends with
    /// its branch (`ID.recorded`), not when another state is entered.
    branched: HashSet<String>,
    /// The steps whose end has been told.
    done: HashSet<String>,
    /// The step each event belongs to, by id: a state's entry names it, the task events after it inherit it
    /// through `previousEventId` (which keeps tasks apart when states run side by side).
    owners: HashMap<u64, String>,
    /// The gate refused, if one was (`runbook reject`): the run ends refused, whatever failure it ends with.
    refused: Option<String>,
    /// The body's error as the state that failed it handed it to the `on_failure` steps (`$run.error`).
    body_error: Option<String>,
    /// The time of the event being read, epoch seconds.
    now: f64,
    ended: bool,
}

#[derive(Default)]
struct Open {
    entered_at: f64,
    started: bool,
    attempts: u32,
    scheduled_at: f64,
    request: Option<Value>,
    /// Its work is done: its states recorded it succeeded (what is left is its checks, or its branch's end).
    completed: bool,
    /// It failed the run: its last task failed, a check of its did not hold, or it went to a Fail state.
    failed: bool,
    /// A task of its was scheduled and has not ended.
    in_flight: bool,
}

impl<'a> Follower<'a> {
    pub fn new(
        runbook: &'a Runbook,
        (run_id, started_at): (&str, jiff::Timestamp),
        params: Map<String, Value>,
    ) -> Follower<'a> {
        let report = RunReport {
            runbook: runbook.name.clone(),
            run_id: run_id.to_string(),
            mode: Mode::Run,
            outcome: Outcome::Failed,
            started_at: started_at.to_string(),
            duration: Duration::ZERO,
            params,
            steps: runbook
                .steps
                .iter()
                .map(|step| StepReport::not_run(&crate::actions::TABLE, step, runbook, false))
                .collect(),
            success_criteria: runbook
                .success_criteria
                .iter()
                .map(|criterion| Criterion {
                    name: criterion.name.clone(),
                    expression: criterion.that.source.clone(),
                    held: None,
                    detail: None,
                })
                .collect(),
            // As a local run reports them until they run.
            on_failure: runbook
                .on_failure
                .iter()
                .map(|step| {
                    let mut report =
                        StepReport::not_run(&crate::actions::TABLE, step, runbook, true);
                    report.reason = Some("runs only when the run fails".into());
                    report
                })
                .collect(),
            error: None,
            leftovers: Vec::new(),
        };
        Follower {
            runbook,
            report,
            steps: HashMap::new(),
            deciding: Vec::new(),
            current: None,
            branched: HashSet::new(),
            done: HashSet::new(),
            owners: HashMap::new(),
            refused: None,
            body_error: None,
            now: 0.0,
            ended: false,
        }
    }

    /// Whether an execution-ending event has been read.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The run as read so far; its outcome is final once [`Follower::ended`].
    pub fn report(&self) -> &RunReport {
        &self.report
    }

    pub fn into_report(self) -> RunReport {
        self.report
    }

    /// The engine events one history event stands for (none for the export's plumbing).
    pub fn read(&mut self, event: &Value) -> Vec<Event> {
        let kind = event["type"].as_str().unwrap_or_default();
        let at = timestamp(&event["timestamp"]);
        self.now = at;
        let id = event["id"].as_u64();
        let task = kind.starts_with("Task") && !kind.starts_with("TaskState");
        let owner = event["previousEventId"]
            .as_u64()
            .and_then(|previous| self.owners.get(&previous).cloned())
            .filter(|_| task);
        if let (Some(id), Some(owner)) = (id, &owner) {
            self.owners.insert(id, owner.clone());
        }
        let task_step = owner
            .and_then(|owner| self.find(&owner))
            .or_else(|| self.running_task());
        let mut events = Vec::new();
        if let Some(details) = event.get("stateEnteredEventDetails") {
            let state = details["name"].as_str().unwrap_or_default();
            if let Some((step, _)) = self.step_of(state) {
                if let Some(id) = id {
                    self.owners.insert(id, step.id.clone());
                }
                // A check, a wait that timed out or `core.fail` fails the run through a Fail state of its step.
                if kind == "FailStateEntered" {
                    self.steps.entry(step.id.clone()).or_default().failed = true;
                }
            }
            self.entered(state, at, &mut events);
        } else if let Some(details) = event.get("stateExitedEventDetails") {
            self.exited(details, &mut events);
        } else if let Some(details) = event.get("taskScheduledEventDetails") {
            self.scheduled(task_step, details, at, &mut events);
        } else if let Some(details) = event.get("taskSucceededEventDetails") {
            self.task_ended(task_step, Ok(parse(&details["output"])), at, &mut events);
        } else if let Some(details) = event
            .get("taskFailedEventDetails")
            .or_else(|| event.get("taskTimedOutEventDetails"))
        {
            let error = text(&details["error"]).unwrap_or_else(|| "States.Timeout".into());
            let cause = text(&details["cause"]).unwrap_or_default();
            self.task_ended(task_step, Err((error, cause)), at, &mut events);
        } else {
            match kind {
                "ExecutionSucceeded" => self.execution_ended(Outcome::Succeeded, None, &mut events),
                "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut" => {
                    let details = event
                        .get("executionFailedEventDetails")
                        .or_else(|| event.get("executionAbortedEventDetails"))
                        .or_else(|| event.get("executionTimedOutEventDetails"));
                    let error = details
                        .and_then(|d| text(&d["error"]))
                        .unwrap_or_else(|| kind.trim_start_matches("Execution").to_string());
                    let cause = details.and_then(|d| text(&d["cause"])).unwrap_or_default();
                    let outcome = if error == REFUSED_ERROR {
                        Outcome::Refused
                    } else {
                        Outcome::Failed
                    };
                    self.execution_ended(outcome, Some((error, cause)), &mut events);
                }
                _ => {}
            }
        }
        for event in &events {
            self.note(event);
        }
        events
    }

    /// The step a state belongs to, and what the state is to it.
    fn step_of<'s>(&self, state: &'s str) -> Option<(&'a Step, Role<'s>)> {
        let (id, role) = self.parse(state);
        self.find(id).map(|step| (step, role))
    }

    /// The owner of a state and what the state is to it: the longest step id its name starts with (a child's
    /// steps have ids with dots), else one of the run's own.
    fn parse<'s>(&self, state: &'s str) -> (&'s str, Role<'s>) {
        state_name::parse_among(state, |id| self.find(id).is_some())
    }

    fn entered(&mut self, state: &str, at: f64, events: &mut Vec<Event>) {
        let entered_step = self.step_of(state).map(|(step, _)| step.id.as_str());
        let (settled, waiting): (Vec<String>, Vec<String>) = std::mem::take(&mut self.deciding)
            .into_iter()
            .partition(|deciding| {
                !self.branched.contains(deciding) || entered_step == Some(deciding.as_str())
            });
        self.deciding = waiting;
        for deciding in settled {
            let failed = match self.parse(state) {
                (owner, Role::Failed(number)) if owner == deciding => Some(number),
                _ => None,
            };
            self.decided(&deciding, failed, events);
        }
        if state == ON_FAILURE {
            let cause = self
                .body_error
                .clone()
                .unwrap_or_else(|| "the run failed".into());
            self.stop_body(&cause, events);
            return;
        }
        let Some((step, role)) = self.step_of(state) else {
            self.close_current(events);
            return;
        };
        if role == Role::Branch {
            self.branched.insert(step.id.clone());
        }
        if role == Role::Recorded {
            self.finish(step, (StepStatus::Succeeded, None, None), events);
            return;
        }
        let branched = self.branched.contains(&step.id);
        if !branched && self.current.as_deref() != Some(step.id.as_str()) {
            self.close_current(events);
        }
        // A `when` and its skip, and the checks' Choice and Fail states, are around the step, not its work.
        let around = !matches!(role, Role::Work(_));
        if around || self.done.contains(&step.id) {
            return;
        }
        if !branched {
            self.current = Some(step.id.clone());
        }
        let open = self.steps.entry(step.id.clone()).or_default();
        if open.started {
            return;
        }
        open.entered_at = at;
        // A step that calls AWS (or asks) starts with its first task, whose request its summary shows; a
        // built-in starts with its state.
        let calls = matches!(&step.kind, StepKind::Action(action) if !action.shape.name.starts_with("core."))
            || matches!(step.kind, StepKind::Approval(_));
        if !calls {
            open.started = true;
            // A built-in's request is its `with` as written when no template is in it (else its state records
            // the values, see `exited`).
            if let Some(action) = step.action()
                && action.with.is_object()
                && is_literal(&action.with)
            {
                open.request = Some(action.with.clone());
            }
            let given = open.request.as_ref().and_then(Value::as_object);
            events.push(Event::StepStarted {
                step: step.id.clone(),
                item: None,
                summary: summary(self.runbook, step, given.unwrap_or(&Map::new())),
            });
        }
    }

    /// The running step ended well when the execution moved on from it (a failure ends the execution first).
    fn close_current(&mut self, events: &mut Vec<Event>) {
        let Some(id) = self.current.take() else {
            return;
        };
        if let Some(step) = self.find(&id) {
            self.finish(step, (StepStatus::Succeeded, None, None), events);
        }
    }

    /// A Choice over assertions was left for `failed` (the number of the one that failed) or for what follows.
    fn decided(&mut self, owner: &str, failed: Option<usize>, events: &mut Vec<Event>) {
        let Some(step) = self.find(owner) else {
            return;
        };
        let StepKind::Action(action) = &step.kind else {
            return;
        };
        for (number, check) in action.check.iter().enumerate() {
            let held = failed != Some(number + 1);
            events.push(Event::CheckEvaluated {
                step: step.id.clone(),
                item: None,
                expression: check.that.source.clone(),
                held,
                observed: String::new(),
            });
            if !held {
                // The step ends when the body stops (the execution ends, or the `on_failure` steps start), with
                // the message of the check.
                self.steps.entry(step.id.clone()).or_default().failed = true;
                return;
            }
        }
        self.finish(step, (StepStatus::Succeeded, None, None), events);
    }

    fn scheduled(
        &mut self,
        step: Option<&'a Step>,
        details: &Value,
        at: f64,
        events: &mut Vec<Event>,
    ) {
        let Some(step) = step else {
            return;
        };
        let mut parameters = parse(&details["parameters"]);
        if is_http_step(step) {
            parameters = super::http_request::engine_request(&parameters);
        }
        let open = self.steps.entry(step.id.clone()).or_default();
        open.attempts += 1;
        open.scheduled_at = at;
        open.request = Some(parameters.clone());
        open.in_flight = true;
        let attempt = open.attempts;
        if !open.started {
            open.started = true;
            let request = parameters.as_object().cloned().unwrap_or_default();
            events.push(Event::StepStarted {
                step: step.id.clone(),
                item: None,
                summary: summary(self.runbook, step, &request),
            });
        }
        match &step.kind {
            StepKind::Approval(_) => {
                let message = parameters["Message"].as_str().unwrap_or_default();
                // The token answers the gate: whoever reads the journal must not be able to.
                let prompt = message.split("Task token").next().unwrap_or_default();
                events.push(Event::ApprovalRequested {
                    step: step.id.clone(),
                    prompt: prompt.trim().to_string(),
                });
            }
            StepKind::Action(action) => events.push(Event::CallStarted {
                step: step.id.clone(),
                item: None,
                operation: operation_of(action.shape.name, Some(&parameters)),
                attempt,
                request: parameters,
            }),
            StepKind::Runbook(_) => {}
        }
    }

    /// The step whose state was entered last and has not ended: the one a task event belongs to when the history
    /// does not link it to its state.
    fn running_task(&self) -> Option<&'a Step> {
        self.steps
            .iter()
            .filter(|(id, _)| !self.done.contains(*id))
            .max_by(|a, b| a.1.entered_at.total_cmp(&b.1.entered_at))
            .and_then(|(id, _)| self.find(id))
    }

    fn task_ended(
        &mut self,
        step: Option<&'a Step>,
        result: Result<Value, (String, String)>,
        at: f64,
        events: &mut Vec<Event>,
    ) {
        let Some(step) = step else {
            return;
        };
        let result = if is_http_step(step) {
            http_answer(step, result)
        } else {
            result
        };
        let open = self.steps.entry(step.id.clone()).or_default();
        let elapsed = seconds(at - open.scheduled_at);
        let attempt = open.attempts;
        let request = open.request.clone();
        open.in_flight = false;
        open.failed = result.is_err();
        match (&step.kind, result) {
            (StepKind::Approval(_), Ok(answer)) => events.push(Event::Approved {
                step: step.id.clone(),
                by: text(&answer["approved_by"]).unwrap_or_else(|| "unknown".into()),
                how: text(&answer["how"]).unwrap_or_else(|| "SendTaskSuccess".into()),
            }),
            // Who refused and why are the task's cause, which the execution's failure carries to the step.
            (StepKind::Approval(_), Err((error, _))) => {
                if error == REFUSED_ERROR {
                    self.refused = Some(step.id.clone());
                }
            }
            (StepKind::Action(action), result) => events.push(Event::Attempt {
                step: step.id.clone(),
                item: None,
                operation: operation_of(action.shape.name, request.as_ref()),
                attempt,
                elapsed,
                outcome: match result {
                    Ok(response) => AttemptOutcome::Ok {
                        status: None,
                        request_id: None,
                        response,
                    },
                    Err((code, message)) => AttemptOutcome::Err {
                        code,
                        message,
                        status: None,
                        request_id: None,
                        transient: false,
                    },
                },
            }),
            (StepKind::Runbook(_), _) => {}
        }
    }

    fn exited(&mut self, details: &Value, events: &mut Vec<Event>) {
        let state = details["name"].as_str().unwrap_or_default();
        // The state that fails the body hands its error to the `on_failure` steps in `$run`: a step's Catch, its
        // failed check, or the Catch of the Parallel it ran in.
        let run = parse(&details["assignedVariables"]["run"]);
        if let Some(error) = run["error"].as_str() {
            self.body_error = Some(error.to_string());
            if let Some((step, _)) = self.step_of(state) {
                self.steps.entry(step.id.clone()).or_default().failed = true;
            }
        }
        if state == FINISH {
            // Every criterion was evaluated there, held or not, as the engine evaluates them.
            let held = parse(&details["assignedVariables"][super::CRITERIA_HELD]);
            for (number, criterion) in self.runbook.success_criteria.iter().enumerate() {
                events.push(Event::CriterionEvaluated(Criterion {
                    name: criterion.name.clone(),
                    expression: criterion.that.source.clone(),
                    held: held.get(number).and_then(Value::as_bool),
                    detail: None,
                }));
            }
            return;
        }
        let Some((step, role)) = self.step_of(state) else {
            return;
        };
        match role {
            // The checks' Choice: the state entered next says whether they held.
            Role::Check => self.deciding.push(step.id.clone()),
            Role::Skipped if matches!(step.kind, StepKind::Runbook(_)) => {
                // The `runbook:` step's `when` skips every step of its child, for the same reason, then itself.
                let reason = step
                    .when
                    .as_ref()
                    .map(|when| format!("`when: {}` of `{}` is false", when.source, step.id));
                for inner in super::nested::child_steps(self.runbook, step) {
                    self.finish(inner, (StepStatus::Skipped, None, reason.clone()), events);
                }
                self.finish(step, (StepStatus::Skipped, None, reason), events);
            }
            Role::Skipped => {
                let reason = step
                    .when
                    .as_ref()
                    .map(|when| format!("`when: {}` is false", when.source));
                self.finish(step, (StepStatus::Skipped, None, reason), events);
            }
            Role::When => {}
            _ => {
                let Some(result) = recorded_result(details, step) else {
                    return;
                };
                // `on_error: continue`'s Catch records the step failed and the run goes on: the record, not the
                // run going on, says how the step ended.
                if result["status"] == "failed" {
                    let error = result["error"].as_str().map(str::to_string);
                    self.finish(step, (StepStatus::Failed, error, None), events);
                    return;
                }
                self.steps.entry(step.id.clone()).or_default().completed = true;
                if let Some(report) = self.report_mut(&step.id) {
                    report.output = result.get("output").cloned().filter(|o| !o.is_null());
                    report.outputs = result
                        .as_object()
                        .map(|fields| {
                            fields
                                .iter()
                                .filter(|(name, _)| {
                                    !matches!(name.as_str(), "status" | "output" | "error")
                                })
                                .map(|(name, value)| (name.clone(), value.clone()))
                                .collect()
                        })
                        .unwrap_or_default();
                }
                let built_in = step
                    .action()
                    .filter(|action| action.shape.name.starts_with("core."));
                // A built-in's request is what it was given, which its Pass state records as its output (a Wait
                // records nothing: its request is its `with`, kept when it started).
                if built_in.is_some()
                    && let (Some(open), Some(given)) =
                        (self.steps.get_mut(&step.id), result.get("output"))
                    && given.as_object().is_some_and(|given| !given.is_empty())
                {
                    open.request = Some(given.clone());
                }
                // A `core.log` note is part of the story, as in a local run's journal.
                if built_in.is_some_and(|action| action.shape.name == "core.log")
                    && let Some(message) = result["output"]["message"].as_str()
                {
                    events.push(Event::Log {
                        step: step.id.clone(),
                        message: message.to_string(),
                    });
                }
            }
        }
    }

    fn execution_ended(
        &mut self,
        outcome: Outcome,
        failure: Option<(String, String)>,
        events: &mut Vec<Event>,
    ) {
        self.ended = true;
        // A Catch (`on_failure`) may end the execution with an error of its own after a gate was refused.
        let outcome = match (&self.refused, outcome) {
            (Some(_), Outcome::Failed) => Outcome::Refused,
            (_, outcome) => outcome,
        };
        self.report.outcome = outcome;
        let Some((error, cause)) = failure else {
            for deciding in std::mem::take(&mut self.deciding) {
                self.decided(&deciding, None, events);
            }
            self.close_current(events);
            return;
        };
        self.report.error = Some(if cause.is_empty() {
            error.clone()
        } else {
            format!("{error}: {cause}")
        });
        for deciding in std::mem::take(&mut self.deciding) {
            // The Fail state a failed assertion leads to was entered; its number was read there.
            self.decided(&deciding, None, events);
        }
        let message = if cause.is_empty() { error } else { cause };
        self.stop_body(&message, events);
    }

    /// The body stopped on a failure (the execution ended, or went on to the `on_failure` steps): each step that
    /// started and has not ended ends here, in the order they started. The one that failed fails with `cause`. In
    /// a Parallel, a step beside it whose work was done ended well, as a local run lets a running step finish;
    /// one still working was stopped, since Step Functions stops every branch of a Parallel when one fails.
    fn stop_body(&mut self, cause: &str, events: &mut Vec<Event>) {
        self.current = None;
        let mut unfinished: Vec<(&'a Step, f64)> = self
            .steps
            .iter()
            .filter(|(id, _)| !self.done.contains(*id))
            .filter_map(|(id, open)| self.find(id).map(|step| (step, open.entered_at)))
            .collect();
        unfinished.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
        let culprit = unfinished
            .iter()
            .find(|(step, _)| self.steps[&step.id].failed)
            .map(|(step, _)| step.id.clone());
        for (step, _) in unfinished {
            let open = &self.steps[&step.id];
            let ending = if self.refused.as_deref() == Some(step.id.as_str()) {
                (StepStatus::Refused, Some(cause.to_string()))
            } else if open.failed || !self.branched.contains(&step.id) {
                (StepStatus::Failed, Some(cause.to_string()))
            } else if open.completed {
                (StepStatus::Succeeded, None)
            } else {
                (
                    StepStatus::Failed,
                    Some(stopped(culprit.as_deref(), open.in_flight)),
                )
            };
            self.finish(step, (ending.0, ending.1, None), events);
        }
    }

    /// Tells the step's end (its status, error and the reason it was skipped), once.
    fn finish(
        &mut self,
        step: &Step,
        (status, error, reason): (StepStatus, Option<String>, Option<String>),
        events: &mut Vec<Event>,
    ) {
        if !self.done.insert(step.id.clone()) {
            return;
        }
        // A step that ended before its first task (a failure in a state before it) has started all the same.
        if status != StepStatus::Skipped
            && let Some(open) = self.steps.get_mut(&step.id)
            && !open.started
        {
            open.started = true;
            events.push(Event::StepStarted {
                step: step.id.clone(),
                item: None,
                summary: summary(self.runbook, step, &Map::new()),
            });
        }
        events.push(self.finished(step, status, error, reason));
    }

    fn finished(
        &self,
        step: &Step,
        status: StepStatus,
        error: Option<String>,
        reason: Option<String>,
    ) -> Event {
        let open = self.steps.get(&step.id);
        let report = self.report_of(&step.id);
        let request = open.and_then(|open| open.request.clone());
        let summary = summary(
            self.runbook,
            step,
            request
                .as_ref()
                .and_then(Value::as_object)
                .unwrap_or(&Map::new()),
        );
        Event::StepFinished {
            step: step.id.clone(),
            status,
            duration: seconds(self.now - open.map_or(self.now, |open| open.entered_at)),
            attempts: open.map_or(0, |open| open.attempts),
            error,
            output: report.and_then(|r| r.output.clone()),
            summary,
            request: request.filter(|_| matches!(step.kind, StepKind::Action(_))),
            // A step that failed gives no outputs, as in the engine, though its states computed them before a
            // check failed.
            outputs: report
                .filter(|_| status != StepStatus::Failed)
                .map(|r| r.outputs.clone())
                .unwrap_or_default(),
            reason,
            changes: Vec::new(),
        }
    }

    /// A step of the body or of `on_failure` (the validator keeps their ids apart).
    fn find(&self, id: &str) -> Option<&'a Step> {
        let runbook = self.runbook;
        runbook
            .step(id)
            .or_else(|| runbook.on_failure.iter().find(|step| step.id == id))
    }

    fn report_of(&self, id: &str) -> Option<&StepReport> {
        self.report
            .steps
            .iter()
            .chain(&self.report.on_failure)
            .find(|s| s.id == id)
    }

    fn report_mut(&mut self, id: &str) -> Option<&mut StepReport> {
        self.report
            .steps
            .iter_mut()
            .chain(&mut self.report.on_failure)
            .find(|s| s.id == id)
    }

    /// Keeps the report in step with what was emitted.
    fn note(&mut self, event: &Event) {
        match event {
            Event::StepFinished {
                step,
                status,
                duration,
                attempts,
                error,
                summary,
                request,
                reason,
                ..
            } => {
                if let Some(report) = self.report_mut(step) {
                    report.duration = *duration;
                    report.status = *status;
                    report.attempts = *attempts;
                    report.calls = *attempts;
                    report.error = error.clone();
                    report.summary = summary.clone();
                    report.request = request.clone();
                    report.reason = reason.clone();
                }
            }
            Event::Approved { step, by, .. } => {
                if let Some(report) = self.report_mut(step) {
                    report.approved_by = Some(by.clone());
                }
            }
            Event::CriterionEvaluated(criterion) => {
                if let Some(kept) = self
                    .report
                    .success_criteria
                    .iter_mut()
                    .find(|c| c.name == criterion.name)
                {
                    kept.held = criterion.held;
                }
            }
            _ => {}
        }
    }
}

/// What a step's states recorded as its result by the time `details`' state was left: `steps.ID` in the state's
/// output (JSONPath), or in the `$steps` variable the state assigned (JSONata; its Parallel branch's copy when it
/// runs in one).
fn recorded_result(details: &Value, step: &Step) -> Option<Value> {
    let [variable, in_branch] = super::nested::record_variables(step);
    let assigned = parse(&details["assignedVariables"][variable.as_str()]);
    let in_branch = parse(&details["assignedVariables"][in_branch.as_str()]);
    let output = parse(&details["output"]);
    let id = super::nested::local_id(&step.id);
    [&assigned, &in_branch, &output["steps"]]
        .into_iter()
        .map(|steps| &steps[id])
        .find(|result| result.is_object())
        .cloned()
}

/// Why a step beside the one that failed in a Parallel ended without finishing its work.
fn stopped(culprit: Option<&str>, in_flight: bool) -> String {
    let beside = culprit.map_or_else(
        || "a step beside it failed".to_string(),
        |id| format!("step `{id}` failed beside it"),
    );
    let call = if in_flight {
        "; the call it had sent may have taken effect"
    } else {
        ""
    };
    format!(
        "stopped before its work was done: {beside}, and Step Functions stops every branch of a Parallel when one fails{call}"
    )
}

/// The step's summary with the request's values, as a local run shows it.
fn summary(runbook: &Runbook, step: &Step, request: &Map<String, Value>) -> String {
    match &step.kind {
        StepKind::Action(action) => {
            crate::engine::fill_summary(crate::actions::TABLE.row(&action.shape).summary, request)
        }
        StepKind::Approval(_) => "approval".into(),
        StepKind::Runbook(_) => runbook.step_doing(step).unwrap_or_default(),
    }
}

/// Whether a `with` holds no template: it is then the request as it was sent.
fn is_literal(value: &Value) -> bool {
    match value {
        Value::String(text) => !crate::foundation::template::is_template(text),
        Value::Array(items) => items.iter().all(is_literal),
        Value::Object(members) => members.values().all(is_literal),
        _ => true,
    }
}

/// Inputs, outputs and parameters travel as JSON text; a text that is not JSON stays text.
fn parse(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
        Value::Null => Value::Null,
        other => other.clone(),
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

/// Epoch seconds, as the JSON protocol sends timestamps (an RFC 3339 text is read too).
fn timestamp(value: &Value) -> f64 {
    match value {
        Value::String(text) => text
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond() as f64 / 1000.0)
            .unwrap_or_default(),
        other => other.as_f64().unwrap_or_default(),
    }
}

fn seconds(elapsed: f64) -> Duration {
    Duration::from_secs_f64(elapsed.max(0.0))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::foundation::source::SourceFile;

    fn runbook() -> Runbook {
        let text = r#"name: t
description: history test
params:
  function: {type: string, default: f}
steps:
  - id: get
    action: lambda.GetAlias
    with: {FunctionName: "{{ params.function }}", Name: live}
    check:
      - that: "output.FunctionVersion != '1'"
        message: too old
  - id: put
    needs: [get]
    action: lambda.UpdateAlias
    with: {FunctionName: "{{ params.function }}", Name: live, FunctionVersion: "2"}
    retry: {attempts: 3, delay: 1s}
success_criteria:
  - name: moved
    that: "steps.put.output.FunctionVersion == '2'"
"#;
        let file = SourceFile::new("t.yaml", text.to_string());
        crate::language::validator::load(&file, &[], &crate::actions::TABLE)
            .unwrap_or_else(|_| panic!("the test runbook validates"))
    }

    /// History events numbered from 1, each linked to the one before it, a second apart.
    fn history(events: &[(&str, Value)]) -> Vec<Value> {
        events
            .iter()
            .enumerate()
            .map(|(index, (kind, details))| {
                let mut event = json!({
                    "id": index + 1,
                    "previousEventId": index,
                    "type": kind,
                    "timestamp": 1_800_000_000.0 + index as f64,
                });
                if let (Value::Object(event), Value::Object(details)) = (&mut event, details) {
                    event.extend(details.clone());
                }
                event
            })
            .collect()
    }

    fn read_all(runbook: &Runbook, events: &[Value]) -> (Vec<Event>, RunReport) {
        let mut follower = Follower::new(runbook, ("run", jiff::Timestamp::UNIX_EPOCH), Map::new());
        let read: Vec<Event> = events
            .iter()
            .flat_map(|event| follower.read(event))
            .collect();
        assert!(follower.ended());
        (read, follower.into_report())
    }

    fn entered(state: &str) -> Value {
        json!({"stateEnteredEventDetails": {"name": state, "input": "{}"}})
    }

    fn exited(state: &str, output: Value) -> Value {
        json!({"stateExitedEventDetails": {"name": state, "output": output.to_string()}})
    }

    fn scheduled(parameters: Value) -> Value {
        json!({"taskScheduledEventDetails": {"resourceType": "aws-sdk:lambda", "resource": "x", "parameters": parameters.to_string()}})
    }

    #[test]
    fn a_failed_check_fails_its_step_with_the_fail_states_cause() {
        let runbook = runbook();
        let events = history(&[
            ("TaskStateEntered", entered("get")),
            (
                "TaskScheduled",
                scheduled(json!({"FunctionName": "f", "Name": "live"})),
            ),
            ("TaskStarted", json!({})),
            (
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{\"FunctionVersion\":\"1\"}"}}),
            ),
            (
                "TaskStateExited",
                exited(
                    "get",
                    json!({"steps": {"get": {"status": "succeeded", "output": {"FunctionVersion": "1"}}}}),
                ),
            ),
            ("ChoiceStateEntered", entered(&state_name::check("get"))),
            (
                "ChoiceStateExited",
                exited(&state_name::check("get"), json!({})),
            ),
            ("FailStateEntered", entered(&state_name::failed("get", 1))),
            (
                "ExecutionFailed",
                json!({"executionFailedEventDetails": {"error": "runbook.CheckFailed", "cause": "too old"}}),
            ),
        ]);
        let (read, report) = read_all(&runbook, &events);
        assert!(
            read.iter()
                .any(|event| matches!(event, Event::CheckEvaluated { held: false, .. }))
        );
        let get = report.step("get").unwrap();
        assert_eq!(get.status, StepStatus::Failed);
        assert_eq!(get.error.as_deref(), Some("too old"));
        assert_eq!(get.output, Some(json!({"FunctionVersion": "1"})));
        assert_eq!(report.step("put").unwrap().status, StepStatus::NotRun);
        assert_eq!(report.outcome, Outcome::Failed);
    }

    #[test]
    fn a_retried_task_is_one_step_with_a_call_per_attempt_and_the_criteria_are_read() {
        let runbook = runbook();
        let ok =
            json!({"steps": {"get": {"status": "succeeded", "output": {"FunctionVersion": "3"}}}});
        let done =
            json!({"steps": {"put": {"status": "succeeded", "output": {"FunctionVersion": "2"}}}});
        let events = history(&[
            ("TaskStateEntered", entered("get")),
            ("TaskScheduled", scheduled(json!({}))),
            (
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{}"}}),
            ),
            ("TaskStateExited", exited("get", ok)),
            ("ChoiceStateEntered", entered(&state_name::check("get"))),
            (
                "ChoiceStateExited",
                exited(&state_name::check("get"), json!({})),
            ),
            ("TaskStateEntered", entered("put")),
            ("TaskScheduled", scheduled(json!({"FunctionVersion": "2"}))),
            (
                "TaskFailed",
                json!({"taskFailedEventDetails": {"error": "Lambda.TooManyRequestsException", "cause": "slow down"}}),
            ),
            ("TaskScheduled", scheduled(json!({"FunctionVersion": "2"}))),
            (
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{\"FunctionVersion\":\"2\"}"}}),
            ),
            ("TaskStateExited", exited("put", done)),
            ("PassStateEntered", entered(FINISH)),
            ("PassStateExited", criteria_held("[true]")),
            ("ChoiceStateEntered", entered(&state_name::check(FINISH))),
            (
                "ChoiceStateExited",
                exited(&state_name::check(FINISH), json!({})),
            ),
            ("SucceedStateEntered", entered(state_name::SUCCEEDED)),
            (
                "ExecutionSucceeded",
                json!({"executionSucceededEventDetails": {"output": "{}"}}),
            ),
        ]);
        let (read, report) = read_all(&runbook, &events);
        let attempts: Vec<u32> = read
            .iter()
            .filter_map(|event| match event {
                Event::CallStarted { step, attempt, .. } if step == "put" => Some(*attempt),
                _ => None,
            })
            .collect();
        assert_eq!(attempts, [1, 2]);
        let started = read
            .iter()
            .filter(|event| matches!(event, Event::StepStarted { step, .. } if step == "put"))
            .count();
        assert_eq!(started, 1);
        let put = report.step("put").unwrap();
        assert_eq!((put.status, put.attempts), (StepStatus::Succeeded, 2));
        assert_eq!(report.step("get").unwrap().status, StepStatus::Succeeded);
        assert_eq!(report.success_criteria[0].held, Some(true));
        assert_eq!(report.outcome, Outcome::Succeeded);
    }

    /// The exit of the Pass that evaluated the success criteria, with `held` (a JSON list of booleans) assigned.
    fn criteria_held(held: &str) -> Value {
        json!({"stateExitedEventDetails": {
            "name": FINISH,
            "output": "{}",
            "assignedVariables": {super::super::CRITERIA_HELD: held},
        }})
    }

    #[test]
    fn every_criterion_is_read_from_the_list_the_definition_assigns() {
        let runbook = runbook();
        let events = history(&[
            ("PassStateEntered", entered(FINISH)),
            ("PassStateExited", criteria_held("[false]")),
            ("ChoiceStateEntered", entered(&state_name::check(FINISH))),
            (
                "ChoiceStateExited",
                exited(&state_name::check(FINISH), json!({})),
            ),
            ("FailStateEntered", entered(&state_name::failed(FINISH, 1))),
            (
                "ExecutionFailed",
                json!({"executionFailedEventDetails": {"error": "runbook.CheckFailed", "cause": "success criterion `moved` does not hold"}}),
            ),
        ]);
        let (_, report) = read_all(&runbook, &events);
        assert_eq!(report.success_criteria.len(), 1);
        assert_eq!(report.success_criteria[0].held, Some(false));
        assert_eq!(report.outcome, Outcome::Failed);
        assert!(report.error.as_deref().unwrap().contains("moved"));
    }

    #[test]
    fn a_jsonata_states_assigned_steps_give_the_result_and_an_expansions_states_stay_in_their_step()
    {
        let runbook = runbook();
        let assigned = |steps: Value| {
            json!({"stateExitedEventDetails": {
                "name": "put.poll",
                "output": "{}",
                "assignedVariables": {"steps": steps.to_string()},
            }})
        };
        let events = history(&[
            ("TaskStateEntered", entered("put")),
            ("TaskScheduled", scheduled(json!({"FunctionVersion": "2"}))),
            (
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{}"}}),
            ),
            ("TaskStateExited", exited("put", json!({}))),
            ("ChoiceStateEntered", entered("put.poll")),
            (
                "ChoiceStateExited",
                assigned(
                    json!({"put": {"status": "succeeded", "output": {"FunctionVersion": "2"}, "moved": true}}),
                ),
            ),
            ("PassStateEntered", entered(state_name::PARAMETERS)),
            ("ExecutionSucceeded", json!({})),
        ]);
        let (read, report) = read_all(&runbook, &events);
        let finished: Vec<&Event> = read
            .iter()
            .filter(|event| matches!(event, Event::StepFinished { step, .. } if step == "put"))
            .collect();
        assert_eq!(finished.len(), 1, "{read:#?}");
        let put = report.step("put").unwrap();
        assert_eq!(put.status, StepStatus::Succeeded);
        assert_eq!(put.output, Some(json!({"FunctionVersion": "2"})));
        assert_eq!(put.outputs.get("moved"), Some(&json!(true)));
    }

    /// Two branches of a Parallel whose states interleave: each task event is tied to its step through
    /// `previousEventId`, each step ends with its own branch, and a check is settled by its own step's next state.
    #[test]
    fn interleaved_branch_states_are_read_by_step_name_and_link_not_by_order() {
        let text = r#"name: t
description: history test
steps:
  - id: left
    action: lambda.GetAlias
    with: {FunctionName: f, Name: live}
    check:
      - that: "output.FunctionVersion != '1'"
  - id: right
    action: lambda.GetAlias
    with: {FunctionName: g, Name: live}
"#;
        let file = SourceFile::new("t.yaml", text.to_string());
        let runbook = crate::language::validator::load(&file, &[], &crate::actions::TABLE)
            .unwrap_or_else(|_| panic!("the test runbook validates"));
        let record = |id: &str, version: &str| {
            json!({"stateExitedEventDetails": {
                "name": id,
                "output": "{}",
                "assignedVariables": {"branch_steps": json!({id: {"status": "succeeded", "output": {"FunctionVersion": version}}}).to_string()},
            }})
        };
        // (id, previous id, type, details)
        let events: Vec<Value> = [
            (
                1,
                0,
                "ParallelStateEntered",
                entered(&state_name::parallel(0)),
            ),
            (
                2,
                1,
                "PassStateEntered",
                entered(&state_name::branch("left")),
            ),
            (
                3,
                1,
                "PassStateEntered",
                entered(&state_name::branch("right")),
            ),
            (4, 2, "TaskStateEntered", entered("left")),
            (5, 3, "TaskStateEntered", entered("right")),
            (
                6,
                4,
                "TaskScheduled",
                scheduled(json!({"FunctionName": "f"})),
            ),
            (
                7,
                5,
                "TaskScheduled",
                scheduled(json!({"FunctionName": "g"})),
            ),
            (
                8,
                7,
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{\"FunctionVersion\": \"4\"}"}}),
            ),
            (9, 8, "TaskStateExited", record("right", "4")),
            (
                10,
                6,
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{\"FunctionVersion\": \"3\"}"}}),
            ),
            (11, 10, "TaskStateExited", record("left", "3")),
            (
                12,
                11,
                "ChoiceStateEntered",
                entered(&state_name::check("left")),
            ),
            (
                13,
                12,
                "ChoiceStateExited",
                exited(&state_name::check("left"), json!({})),
            ),
            (
                14,
                9,
                "PassStateEntered",
                entered(&state_name::recorded("right")),
            ),
            (
                15,
                13,
                "PassStateEntered",
                entered(&state_name::recorded("left")),
            ),
            (
                16,
                15,
                "ParallelStateExited",
                exited(&state_name::parallel(0), json!({})),
            ),
            (17, 16, "ExecutionSucceeded", json!({})),
        ]
        .into_iter()
        .map(linked)
        .collect();
        let (read, report) = read_all(&runbook, &events);
        let calls: Vec<(String, Value)> = read
            .iter()
            .filter_map(|event| match event {
                Event::CallStarted { step, request, .. } => {
                    Some((step.clone(), request["FunctionName"].clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            calls,
            [("left".into(), json!("f")), ("right".into(), json!("g"))]
        );
        let finished: Vec<&str> = read
            .iter()
            .filter_map(|event| match event {
                Event::StepFinished { step, .. } => Some(step.as_str()),
                _ => None,
            })
            .collect();
        // The right branch ended first; the left one only once its check held and its branch ended.
        assert_eq!(finished, ["right", "left"], "{read:#?}");
        assert!(read.iter().any(|event| matches!(event, Event::CheckEvaluated { step, held: true, .. } if step == "left")));
        assert_eq!(
            report.step("left").unwrap().output,
            Some(json!({"FunctionVersion": "3"}))
        );
        assert_eq!(
            report.step("right").unwrap().output,
            Some(json!({"FunctionVersion": "4"}))
        );
        assert_eq!(report.outcome, Outcome::Succeeded);
    }

    /// A history event linked to the one before it by hand: (id, previous id, type, details).
    fn linked((id, previous, kind, details): (u32, u32, &str, Value)) -> Value {
        let mut event = json!({
            "id": id,
            "previousEventId": previous,
            "type": kind,
            "timestamp": 1_800_000_000.0 + f64::from(id),
        });
        if let (Value::Object(event), Value::Object(details)) = (&mut event, details) {
            event.extend(details);
        }
        event
    }

    fn load(text: &str) -> Runbook {
        let file = SourceFile::new("t.yaml", text.to_string());
        crate::language::validator::load(&file, &[], &crate::actions::TABLE)
            .unwrap_or_else(|_| panic!("the test runbook validates"))
    }

    fn finished(read: &[Event]) -> Vec<(String, StepStatus, Option<String>)> {
        read.iter()
            .filter_map(|event| match event {
                Event::StepFinished {
                    step,
                    status,
                    error,
                    ..
                } => Some((step.clone(), *status, error.clone())),
                _ => None,
            })
            .collect()
    }

    /// A state that records steps in `$steps` (or a branch's copy) as it is left.
    fn exited_assigning(state: &str, variable: &str, steps: Value) -> Value {
        json!({"stateExitedEventDetails": {
            "name": state,
            "output": "{}",
            "assignedVariables": {variable: steps.to_string()},
        }})
    }

    /// A state that hands the body's error to the `on_failure` steps as it is left.
    fn exited_failing(state: &str, error: &str) -> Value {
        json!({"stateExitedEventDetails": {
            "name": state,
            "output": "{}",
            "assignedVariables": {"run": json!({"id": "run", "error": error}).to_string()},
        }})
    }

    const ON_FAILURE_RUNBOOK: &str = r#"name: t
description: history test
steps:
  - id: started
    action: dynamodb.PutItem
    with: {TableName: ledger, Item: {pk: {S: started}}}
  - id: read
    needs: [started]
    action: dynamodb.DescribeTable
    with: {TableName: missing}
    check:
      - that: "output.Table.ItemCount > 100"
        message: too few items
  - id: never
    needs: [read]
    action: core.noop
on_failure:
  - id: note_failure
    action: dynamodb.PutItem
    with: {TableName: ledger, Item: {pk: {S: failed}}}
  - id: told
    action: core.log
    with: {message: the run failed}
"#;

    /// What follows the body's failure in an execution of [`ON_FAILURE_RUNBOOK`] (ids from 20): the
    /// `on_failure` steps, then the Fail with the body's error.
    fn on_failure_steps_then_fail(cause: &str) -> Vec<Value> {
        [
            (20, 19, "PassStateEntered", entered(ON_FAILURE)),
            (21, 20, "PassStateExited", exited(ON_FAILURE, json!({}))),
            (22, 21, "TaskStateEntered", entered("note_failure")),
            (23, 22, "TaskScheduled", scheduled(json!({"TableName": "ledger"}))),
            (
                24,
                23,
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{}"}}),
            ),
            (
                25,
                24,
                "TaskStateExited",
                exited_assigning(
                    "note_failure",
                    "steps",
                    json!({"note_failure": {"status": "succeeded", "output": {}}}),
                ),
            ),
            (26, 25, "PassStateEntered", entered("told")),
            (
                27,
                26,
                "PassStateExited",
                exited_assigning(
                    "told",
                    "steps",
                    json!({"told": {"status": "succeeded", "output": {"message": "the run failed"}}}),
                ),
            ),
            (
                28,
                27,
                "FailStateEntered",
                entered(&state_name::on_failure_failed()),
            ),
            (
                29,
                28,
                "ExecutionFailed",
                json!({"executionFailedEventDetails": {"error": "runbook.Failed", "cause": cause}}),
            ),
        ]
        .into_iter()
        .map(linked)
        .collect()
    }

    fn the_started_step() -> Vec<Value> {
        [
            (1, 0, "TaskStateEntered", entered("started")),
            (
                2,
                1,
                "TaskScheduled",
                scheduled(json!({"TableName": "ledger"})),
            ),
            (
                3,
                2,
                "TaskSucceeded",
                json!({"taskSucceededEventDetails": {"output": "{}"}}),
            ),
            (
                4,
                3,
                "TaskStateExited",
                exited_assigning(
                    "started",
                    "steps",
                    json!({"started": {"status": "succeeded", "output": {}}}),
                ),
            ),
        ]
        .into_iter()
        .map(linked)
        .collect()
    }

    /// The step whose task failed ends failed when the `on_failure` steps start (not well, as if the run had
    /// moved on), and each `on_failure` step is journaled as a step after it, as a local run journals them.
    #[test]
    fn a_task_that_fails_the_body_ends_failed_and_the_on_failure_steps_are_journaled_after_it() {
        let runbook = load(ON_FAILURE_RUNBOOK);
        let cause = "Table: missing not found";
        let mut events = the_started_step();
        events.extend(
            [
                (5, 4, "TaskStateEntered", entered("read")),
                (6, 5, "TaskScheduled", scheduled(json!({"TableName": "missing"}))),
                (
                    7,
                    6,
                    "TaskFailed",
                    json!({"taskFailedEventDetails": {"error": "DynamoDb.ResourceNotFoundException", "cause": cause}}),
                ),
                (8, 7, "TaskStateExited", exited_failing("read", cause)),
            ]
            .into_iter()
            .map(linked),
        );
        events.extend(on_failure_steps_then_fail(cause));
        let (read, report) = read_all(&runbook, &events);
        assert_eq!(
            finished(&read),
            [
                ("started".into(), StepStatus::Succeeded, None),
                ("read".into(), StepStatus::Failed, Some(cause.into())),
                ("note_failure".into(), StepStatus::Succeeded, None),
                ("told".into(), StepStatus::Succeeded, None),
            ],
            "{read:#?}"
        );
        assert!(read.iter().any(
            |event| matches!(event, Event::Log { step, message } if step == "told" && message == "the run failed")
        ));
        let on_failure: Vec<(&str, StepStatus)> = report
            .on_failure
            .iter()
            .map(|step| (step.id.as_str(), step.status))
            .collect();
        assert_eq!(
            on_failure,
            [
                ("note_failure", StepStatus::Succeeded),
                ("told", StepStatus::Succeeded)
            ]
        );
        assert_eq!(report.step("never").unwrap().status, StepStatus::NotRun);
        assert_eq!(report.outcome, Outcome::Failed);
    }

    /// A check that fails the body hands its message to the `on_failure` steps: the step fails with it.
    #[test]
    fn a_check_that_fails_the_body_fails_its_step_with_its_message_before_the_on_failure_steps() {
        let runbook = load(ON_FAILURE_RUNBOOK);
        let mut events = the_started_step();
        events.extend(
            [
                (5, 4, "TaskStateEntered", entered("read")),
                (6, 5, "TaskScheduled", scheduled(json!({"TableName": "ledger"}))),
                (
                    7,
                    6,
                    "TaskSucceeded",
                    json!({"taskSucceededEventDetails": {"output": "{\"Table\": {\"ItemCount\": 1}}"}}),
                ),
                (
                    8,
                    7,
                    "TaskStateExited",
                    exited_assigning(
                        "read",
                        "steps",
                        json!({"read": {"status": "succeeded", "output": {"Table": {"ItemCount": 1}}}}),
                    ),
                ),
                (9, 8, "ChoiceStateEntered", entered(&state_name::check("read"))),
                (
                    10,
                    9,
                    "ChoiceStateExited",
                    exited(&state_name::check("read"), json!({})),
                ),
                (
                    11,
                    10,
                    "PassStateEntered",
                    entered(&state_name::failed("read", 1)),
                ),
                (
                    19,
                    11,
                    "PassStateExited",
                    exited_failing(&state_name::failed("read", 1), "too few items"),
                ),
            ]
            .into_iter()
            .map(linked),
        );
        events.extend(on_failure_steps_then_fail("too few items"));
        let (read, report) = read_all(&runbook, &events);
        assert!(read.iter().any(
            |event| matches!(event, Event::CheckEvaluated { step, held: false, .. } if step == "read")
        ));
        let steps: Vec<(String, StepStatus)> = finished(&read)
            .into_iter()
            .map(|(step, status, _)| (step, status))
            .collect();
        assert_eq!(
            steps,
            [
                ("started".into(), StepStatus::Succeeded),
                ("read".into(), StepStatus::Failed),
                ("note_failure".into(), StepStatus::Succeeded),
                ("told".into(), StepStatus::Succeeded),
            ],
            "{read:#?}"
        );
        let read_step = report.step("read").unwrap();
        assert_eq!(read_step.error.as_deref(), Some("too few items"));
        assert_eq!(read_step.output, Some(json!({"Table": {"ItemCount": 1}})));
    }

    /// One branch of a Parallel fails: the step whose work was done ends well (its branch had not ended yet),
    /// the one still pausing was stopped, and only the failing one carries the error.
    #[test]
    fn the_steps_beside_a_failed_branch_end_as_what_they_had_done_not_with_its_error() {
        let runbook = load(
            r#"name: t
description: history test
steps:
  - id: quick
    action: core.noop
  - id: broken
    action: dynamodb.DescribeTable
    with: {TableName: missing}
  - id: slow
    action: core.sleep
    with: {duration: 3s}
  - id: writing
    action: dynamodb.PutItem
    with: {TableName: ledger, Item: {pk: {S: x}}}
  - id: after
    needs: [quick, broken, slow, writing]
    action: core.noop
"#,
        );
        let cause = "Table: missing not found";
        let events: Vec<Value> = [
            (1, 0, "ParallelStateEntered", entered(&state_name::parallel(0))),
            (2, 1, "PassStateEntered", entered(&state_name::branch("quick"))),
            (3, 1, "PassStateEntered", entered(&state_name::branch("broken"))),
            (4, 1, "PassStateEntered", entered(&state_name::branch("slow"))),
            (5, 1, "PassStateEntered", entered(&state_name::branch("writing"))),
            (6, 2, "PassStateEntered", entered("quick")),
            (
                7,
                6,
                "PassStateExited",
                exited_assigning(
                    "quick",
                    "branch_steps",
                    json!({"quick": {"status": "succeeded", "output": {}}}),
                ),
            ),
            (8, 3, "TaskStateEntered", entered("broken")),
            (9, 8, "TaskScheduled", scheduled(json!({"TableName": "missing"}))),
            (10, 4, "WaitStateEntered", entered("slow")),
            (11, 5, "TaskStateEntered", entered("writing")),
            (12, 11, "TaskScheduled", scheduled(json!({"TableName": "ledger"}))),
            (
                13,
                9,
                "TaskFailed",
                json!({"taskFailedEventDetails": {"error": "DynamoDb.ResourceNotFoundException", "cause": cause}}),
            ),
            (14, 13, "ParallelStateFailed", json!({})),
            (
                15,
                14,
                "ExecutionFailed",
                json!({"executionFailedEventDetails": {"error": "DynamoDb.ResourceNotFoundException", "cause": cause}}),
            ),
        ]
        .into_iter()
        .map(linked)
        .collect();
        let (read, report) = read_all(&runbook, &events);
        let ended = finished(&read);
        let status = |id: &str| {
            ended
                .iter()
                .find(|(step, _, _)| step == id)
                .map(|(_, status, error)| (*status, error.clone().unwrap_or_default()))
                .unwrap_or_else(|| panic!("{id} did not end: {read:#?}"))
        };
        assert_eq!(status("quick"), (StepStatus::Succeeded, String::new()));
        assert_eq!(status("broken"), (StepStatus::Failed, cause.to_string()));
        let (slow, why) = status("slow");
        assert_eq!(slow, StepStatus::Failed);
        assert!(
            why.starts_with("stopped before its work was done: step `broken` failed beside it"),
            "{why}"
        );
        assert!(!why.contains("may have taken effect"), "{why}");
        let (writing, why) = status("writing");
        assert_eq!(writing, StepStatus::Failed);
        assert!(
            why.contains("step `broken` failed beside it") && why.contains("may have taken effect"),
            "{why}"
        );
        assert_eq!(report.step("after").unwrap().status, StepStatus::NotRun);
        assert_eq!(report.outcome, Outcome::Failed);
    }
}
