//! `runbook audit postmortem`: the journals of every run in a window merged into one incident document in
//! Markdown, for the post-mortem of section 2.5 of the operations runbook: who ran what, each write with its value
//! before and after, the approvals and how long each waited, the failures, the idle gaps (between runs, and long
//! ones inside a run), one timeline of it all (the notifications sent included), and the same as a Gantt chart
//! that GitHub draws.

use jiff::Timestamp;

use super::gantt;
use super::incident::{RunStory, between, utc};
use crate::foundation::table;

/// A pause inside a run at least this long is listed with the gaps: shorter ones are the engine's own pace.
const LONG_PAUSE_MS: i64 = 30_000;

/// How a run is named in the tables after the first: its number in the list of runs and its runbook.
fn label(index: usize, story: &RunStory) -> String {
    format!("{} `{}`", index + 1, story.runbook)
}

fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", text.replace('`', "'"))
    }
}

struct Gap {
    from: Timestamp,
    to: Timestamp,
    between: String,
}

struct Row {
    at: Timestamp,
    /// Sorts the rows of one instant: a run's start before its steps, its end after them.
    order: u8,
    run: String,
    step: String,
    what: String,
    outcome: String,
    /// When what the row shows was over (a step's end): the next row's idle time counts from the latest of these.
    until: Timestamp,
}

/// The Markdown document for `runs` (oldest first), between `since` and `until`.
pub fn markdown(since: Timestamp, until: Timestamp, runs: &[RunStory]) -> String {
    let mut out = format!("# Incident timeline {} to {}\n\n", utc(since), utc(until));
    let mut operators: Vec<&str> = runs.iter().map(|run| run.operator.as_str()).collect();
    operators.sort_unstable();
    operators.dedup();
    if let (Some(first), Some(last)) = (
        runs.iter().map(|r| r.started).min(),
        runs.iter().map(|r| r.ended).max(),
    ) {
        out.push_str(&format!(
            "{} run{} from {} to {} ({}), by {}.\n\n",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            utc(first),
            utc(last),
            between(first, last),
            operators.join(", ")
        ));
    }

    out.push_str("## Runs\n\n");
    let rows: Vec<Vec<String>> = runs
        .iter()
        .enumerate()
        .map(|(index, run)| {
            vec![
                (index + 1).to_string(),
                code(&run.runbook),
                if run.mode == "run" {
                    run.outcome.clone()
                } else {
                    format!("{} ({})", run.outcome, run.mode)
                },
                run.operator.clone(),
                utc(run.started),
                between(run.started, run.ended),
                code(&run.run_id),
                code(&run.params),
            ]
        })
        .collect();
    out.push_str(&table::markdown(
        &[
            "#",
            "runbook",
            "outcome",
            "operator",
            "started (UTC)",
            "took",
            "run id",
            "parameters",
        ],
        &rows,
    ));

    out.push_str("\n## Writes, before -> after\n\n");
    let mut writes = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        for step in run.steps.iter().filter(|s| s.effect == "write") {
            let outcome = step.status.map(|s| s.as_str()).unwrap_or("never finished");
            let change = if step.changes.is_empty() {
                step.summary.clone()
            } else {
                step.changes.join("; ")
            };
            writes.push(vec![
                utc(step.end.unwrap_or(step.start)),
                label(index, run),
                code(&step.step),
                step.resource.clone().unwrap_or_default(),
                change,
                outcome.to_string(),
            ]);
        }
    }
    out.push_str(&or_none(
        &writes,
        &["time (UTC)", "run", "step", "resource", "change", "outcome"],
        "No write was sent in the window.",
    ));

    out.push_str("\n## Approvals\n\n");
    let approvals: Vec<Vec<String>> =
        runs.iter()
            .enumerate()
            .flat_map(|(index, run)| {
                run.approvals.iter().map(move |approval| {
                    vec![
                        utc(approval.requested),
                        label(index, run),
                        code(&approval.step),
                        approval.by.clone().unwrap_or_else(|| {
                            "nobody (still waiting when the journal ends)".into()
                        }),
                        approval.how.clone().unwrap_or_default(),
                        approval
                            .answered
                            .map(|answered| between(approval.requested, answered))
                            .unwrap_or_default(),
                    ]
                })
            })
            .collect();
    out.push_str(&or_none(
        &approvals,
        &[
            "requested (UTC)",
            "run",
            "gate",
            "approved by",
            "how",
            "waited",
        ],
        "No approval gate was reached in the window.",
    ));

    out.push_str("\n## Failures\n\n");
    let mut failures = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        for step in &run.steps {
            let failed = match step.status {
                Some(status) => !matches!(
                    status.as_str(),
                    "succeeded" | "skipped" | "planned" | "deferred"
                ),
                None => true,
            };
            if failed {
                failures.push(vec![
                    utc(step.end.unwrap_or(step.start)),
                    label(index, run),
                    code(&step.step),
                    step.status
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "started, never finished".into()),
                    step.error.clone().unwrap_or_default(),
                ]);
            }
        }
        if run.outcome != "succeeded" && run.mode == "run" {
            failures.push(vec![
                utc(run.ended),
                label(index, run),
                String::new(),
                format!("run {}", run.outcome),
                run.error.clone().unwrap_or_default(),
            ]);
        }
    }
    out.push_str(&or_none(
        &failures,
        &["time (UTC)", "run", "step", "status", "error"],
        "Nothing failed in the window.",
    ));

    out.push_str("\n## Gaps\n\n");
    let gaps = gaps(runs);
    let rows: Vec<Vec<String>> = gaps
        .iter()
        .map(|gap| {
            vec![
                utc(gap.from),
                utc(gap.to),
                between(gap.from, gap.to),
                gap.between.clone(),
            ]
        })
        .collect();
    out.push_str(&or_none(
        &rows,
        &["from (UTC)", "to (UTC)", "idle", "between"],
        "No gap: each run followed the one before at once.",
    ));

    out.push_str("\n## Timeline\n\n");
    let rows = timeline(runs);
    let mut busy_until: Option<Timestamp> = None;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let idle = match busy_until {
                Some(busy) if row.at.as_millisecond() - busy.as_millisecond() >= 1_000 => {
                    format!("+{}", between(busy, row.at))
                }
                _ => String::new(),
            };
            busy_until = Some(busy_until.map_or(row.until, |busy| busy.max(row.until)));
            vec![
                utc(row.at),
                idle,
                row.run.clone(),
                code(&row.step),
                row.what.clone(),
                row.outcome.clone(),
            ]
        })
        .collect();
    out.push_str(&table::markdown(
        &["time (UTC)", "idle", "run", "step", "what", "outcome"],
        &cells,
    ));

    out.push_str("\n## Chart\n\n```mermaid\n");
    out.push_str(&gantt::chart(
        &format!("Incident {} to {}", utc(since), utc(until)),
        runs,
    ));
    out.push_str("```\n");
    out
}

fn or_none(rows: &[Vec<String>], header: &[&str], none: &str) -> String {
    if rows.is_empty() {
        format!("{none}\n")
    } else {
        table::markdown(header, rows)
    }
}

/// The time between one run's end and the next one's start, and pauses of [`LONG_PAUSE_MS`] or more inside a run
/// (an approval that waited, a resume after a stop) when no step of it was running.
fn gaps(runs: &[RunStory]) -> Vec<Gap> {
    let mut gaps = Vec::new();
    for (index, pair) in runs.windows(2).enumerate() {
        if pair[1].started > pair[0].ended {
            gaps.push(Gap {
                from: pair[0].ended,
                to: pair[1].started,
                between: format!(
                    "end of {} and start of {}",
                    label(index, &pair[0]),
                    label(index + 1, &pair[1])
                ),
            });
        }
    }
    for (index, run) in runs.iter().enumerate() {
        let mut spans: Vec<(Timestamp, Timestamp, &str)> = run
            .steps
            .iter()
            .map(|s| (s.start, s.end.unwrap_or(run.ended), s.step.as_str()))
            .collect();
        spans.sort_by_key(|span| span.0);
        let mut busy: Option<(Timestamp, &str)> = None;
        for (start, end, step) in spans {
            if let Some((until, after)) = busy {
                if start.as_millisecond() - until.as_millisecond() >= LONG_PAUSE_MS {
                    gaps.push(Gap {
                        from: until,
                        to: start,
                        between: format!(
                            "in {}: after `{after}`, before `{step}`",
                            label(index, run)
                        ),
                    });
                }
                if end > until {
                    busy = Some((end, step));
                }
            } else {
                busy = Some((end, step));
            }
        }
    }
    gaps.sort_by_key(|gap| gap.from);
    gaps
}

fn timeline(runs: &[RunStory]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, run) in runs.iter().enumerate() {
        let name = label(index, run);
        let row = |at: Timestamp, order: u8, step: &str, what: String, outcome: String| Row {
            at,
            order,
            run: name.clone(),
            step: step.to_string(),
            what,
            outcome,
            until: at,
        };
        rows.push(row(
            run.started,
            0,
            "",
            format!(
                "{} started by {} with {}",
                run.mode, run.operator, run.params
            ),
            String::new(),
        ));
        for (at, by) in &run.resumes {
            rows.push(row(*at, 1, "", format!("resumed by {by}"), String::new()));
        }
        for (at, line) in &run.notifications {
            rows.push(row(*at, 1, "", line.clone(), String::new()));
        }
        if run.mode != "run" {
            // A plan sends no write; its steps would only crowd the story.
            continue;
        }
        for step in &run.steps {
            // A log step's summary is its whole message (a report of many lines): its first line tells the story.
            let mut lines = step.summary.lines();
            let mut what = lines.next().unwrap_or_default().to_string();
            if lines.next().is_some() {
                what.push_str(" ...");
            }
            if let Some(resource) = step.resource.as_ref().filter(|r| !what.contains(*r)) {
                what.push_str(&format!(" ({resource})"));
            }
            let mut outcome = match (step.status, step.end) {
                (Some(status), Some(end)) => {
                    format!("{} after {}", status.as_str(), between(step.start, end))
                }
                _ => "started, never finished".into(),
            };
            for change in &step.changes {
                outcome.push_str(&format!("; {change}"));
            }
            if let Some(error) = &step.error {
                outcome.push_str(&format!(": {error}"));
            }
            let mut row = row(step.start, 1, &step.step, what, outcome);
            row.until = step.end.unwrap_or(run.ended);
            rows.push(row);
        }
        for approval in &run.approvals {
            if let (Some(answered), Some(by), Some(how)) =
                (approval.answered, &approval.by, &approval.how)
            {
                rows.push(row(
                    answered,
                    1,
                    &approval.step,
                    format!("approved by {by} via {how}"),
                    format!("waited {}", between(approval.requested, answered)),
                ));
            }
        }
        rows.push(row(
            run.ended,
            2,
            "",
            "run ended".into(),
            match &run.error {
                Some(error) => format!("{}: {error}", run.outcome),
                None => run.outcome.clone(),
            },
        ));
    }
    rows.sort_by_key(|row| (row.at, row.order));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StepStatus;
    use crate::journal::incident::{ApprovalSpan, StepSpan};

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn step(name: &str, effect: &str, from: i64, to: i64) -> StepSpan {
        StepSpan {
            step: name.into(),
            effect: effect.into(),
            start: at(from),
            end: Some(at(to)),
            status: Some(StepStatus::Succeeded),
            summary: format!("{name} summary"),
            resource: None,
            changes: Vec::new(),
            error: None,
        }
    }

    /// A gate that waited 45 s is a gap inside its run, with the steps on either side named, and the timeline
    /// shows the idle time before the step that followed; a 2 s pause between steps is the engine's pace.
    #[test]
    fn a_long_wait_inside_a_run_is_a_gap_and_shows_as_idle_time() {
        let run = RunStory {
            run_id: "r1".into(),
            runbook: "gated".into(),
            mode: "run".into(),
            operator: "alice@host".into(),
            params: "{}".into(),
            started: at(0),
            ended: at(60),
            outcome: "succeeded".into(),
            error: None,
            steps: vec![
                step("read", "read", 0, 1),
                step("other", "read", 3, 5),
                step("write", "write", 50, 59),
            ],
            approvals: vec![ApprovalSpan {
                step: "gate".into(),
                requested: at(5),
                answered: Some(at(50)),
                by: Some("alice".into()),
                how: Some("the terminal".into()),
            }],
            resumes: Vec::new(),
            notifications: vec![(
                at(60),
                "ended notification to arn:aws:sns:eu-west-1:123456789012:oncall: sent".into(),
            )],
        };
        let document = markdown(at(0), at(60), &[run]);
        assert!(
            document.contains(
                "| 1 `gated` |  | ended notification to arn:aws:sns:eu-west-1:123456789012:oncall: sent |"
            ),
            "{document}"
        );
        assert!(
            document.contains("| 45.0s | in 1 `gated`: after `other`, before `write` |"),
            "{document}"
        );
        assert!(!document.contains("before `other`"), "{document}");
        assert!(
            document.contains("| alice | the terminal | 45.0s |"),
            "{document}"
        );
        assert!(
            document.contains("| +45.0s | 1 `gated` | `write` |"),
            "{document}"
        );
        assert!(
            document.contains("| +2.0s | 1 `gated` | `other` |"),
            "{document}"
        );
    }
}
