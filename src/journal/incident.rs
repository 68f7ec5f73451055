//! A run read back from its journal as spans of time: when it started and ended, each step from its start to its
//! end with what it changed, each approval from its request to its answer. What `audit postmortem` merges across
//! runs and what the Gantt chart of `--format mermaid` draws; `audit timeline` keeps its row-per-record view.

use std::collections::HashMap;

use jiff::Timestamp;

use super::chain::Entry;
use super::record::Record;
use super::store;
use crate::engine::StepStatus;

pub struct RunStory {
    pub run_id: String,
    pub runbook: String,
    /// `run`, `plan` or `offline`.
    pub mode: String,
    /// `user@host (principal)`, as [`super::Operator`] shows it.
    pub operator: String,
    /// The parameters as journaled (secret ones already `<secret>`), as one JSON object.
    pub params: String,
    pub started: Timestamp,
    /// The last record's time: the end of a finished run, or as far as a killed one got.
    pub ended: Timestamp,
    /// `succeeded`, `failed`, ... or `incomplete` when no end was journaled.
    pub outcome: String,
    pub error: Option<String>,
    pub steps: Vec<StepSpan>,
    pub approvals: Vec<ApprovalSpan>,
    /// Each `runbook resume` of the run: when, and by whom.
    pub resumes: Vec<(Timestamp, String)>,
    /// What the run told its `--notify` topic, one line each (`failed notification to arn:...: sent`).
    pub notifications: Vec<(Timestamp, String)>,
}

pub struct StepSpan {
    pub step: String,
    /// `read`, `write` or `approval`, as the run's registry said.
    pub effect: String,
    pub start: Timestamp,
    /// `None` when the journal shows the step started and never finished (a kill).
    pub end: Option<Timestamp>,
    pub status: Option<StepStatus>,
    pub summary: String,
    pub resource: Option<String>,
    /// What a write changed, one line each (`alias live of f: 3 -> 2`).
    pub changes: Vec<String>,
    pub error: Option<String>,
}

pub struct ApprovalSpan {
    pub step: String,
    pub requested: Timestamp,
    /// `None` while it waits (the run stopped at the gate).
    pub answered: Option<Timestamp>,
    pub by: Option<String>,
    pub how: Option<String>,
}

fn at(entry: &Entry) -> Option<Timestamp> {
    entry.time.parse().ok()
}

impl RunStory {
    /// The story of one journal; `None` for one without a readable start (not a run's journal).
    pub fn read(run_id: &str, entries: &[Entry]) -> Option<RunStory> {
        let summary = store::summarize(run_id, entries);
        let started = entries.iter().find_map(at)?;
        let ended = entries.iter().rev().find_map(at).unwrap_or(started);
        let mut story = RunStory {
            run_id: run_id.to_string(),
            runbook: summary.runbook,
            mode: summary.mode,
            operator: String::new(),
            params: String::new(),
            started,
            ended,
            outcome: summary.status,
            error: None,
            steps: Vec::new(),
            approvals: Vec::new(),
            resumes: Vec::new(),
            notifications: Vec::new(),
        };
        let (mut region, mut account) = (String::new(), String::new());
        // A step's span opens at its start record; the index finds it again when it ends.
        let mut open: HashMap<String, usize> = HashMap::new();
        for entry in entries {
            let (Some(record), Some(time)) = (&entry.record, at(entry)) else {
                continue;
            };
            match record {
                Record::RunStarted {
                    operator,
                    params,
                    region: run_region,
                    ..
                } => {
                    story.operator = operator.to_string();
                    story.params = serde_json::Value::Object(params.clone()).to_string();
                    region = run_region.clone().unwrap_or_default();
                    account = operator.aws_account.clone().unwrap_or_default();
                }
                Record::Resumed { operator, .. } => {
                    story.resumes.push((time, operator.to_string()));
                    story.error = None;
                }
                Record::StepStarted {
                    step,
                    effect,
                    summary,
                } => {
                    open.insert(step.clone(), story.steps.len());
                    story.steps.push(StepSpan {
                        step: step.clone(),
                        effect: effect.clone(),
                        start: time,
                        end: None,
                        status: None,
                        summary: summary.clone(),
                        resource: None,
                        changes: Vec::new(),
                        error: None,
                    });
                }
                Record::StepFinished {
                    step,
                    status,
                    summary,
                    error,
                    reason,
                    resource,
                    changes,
                    ..
                } => {
                    // A step that never started (skipped by `when`, never reached) did nothing worth a span.
                    let Some(index) = open.remove(step) else {
                        continue;
                    };
                    let span = &mut story.steps[index];
                    span.end = Some(time);
                    span.status = Some(*status);
                    span.summary = summary.clone();
                    span.resource = resource.as_ref().map(|resource| {
                        resource
                            .replace("{region}", &region)
                            .replace("{account}", &account)
                    });
                    span.changes = changes.iter().map(|change| change.line()).collect();
                    span.error = error.clone().or_else(|| {
                        (*status != StepStatus::Succeeded)
                            .then(|| reason.clone())
                            .flatten()
                    });
                }
                Record::ApprovalRequested { step, .. } => story.approvals.push(ApprovalSpan {
                    step: step.clone(),
                    requested: time,
                    answered: None,
                    by: None,
                    how: None,
                }),
                Record::Approved { step, by, how } => {
                    match story
                        .approvals
                        .iter_mut()
                        .rev()
                        .find(|a| a.step == *step && a.answered.is_none())
                    {
                        Some(approval) => {
                            approval.answered = Some(time);
                            approval.by = Some(by.clone());
                            approval.how = Some(how.clone());
                        }
                        None => story.approvals.push(ApprovalSpan {
                            step: step.clone(),
                            requested: time,
                            answered: Some(time),
                            by: Some(by.clone()),
                            how: Some(how.clone()),
                        }),
                    }
                }
                Record::Notified {
                    topic,
                    about,
                    error,
                    ..
                } => story.notifications.push((
                    time,
                    format!(
                        "{about} notification to {topic}: {}",
                        error
                            .as_ref()
                            .map_or("sent".to_string(), |error| format!("not sent ({error})"))
                    ),
                )),
                Record::RunFinished { error, .. } => story.error = error.clone(),
                _ => {}
            }
        }
        // A step `when` skipped did nothing: it would only crowd the story.
        story
            .steps
            .retain(|step| step.status != Some(StepStatus::Skipped));
        Some(story)
    }

    /// Whether any part of the run falls between `since` and `until`.
    pub fn overlaps(&self, since: Timestamp, until: Timestamp) -> bool {
        self.started <= until && self.ended >= since
    }
}

/// `2026-11-29 16:30:12Z`
pub fn utc(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// The time from `from` to `to` for people (`2.3s`, `4m05s`), zero when `to` is earlier.
pub fn between(from: Timestamp, to: Timestamp) -> String {
    let millis = (to.as_millisecond() - from.as_millisecond()).max(0);
    crate::foundation::duration::format_short(std::time::Duration::from_millis(millis as u64))
}
