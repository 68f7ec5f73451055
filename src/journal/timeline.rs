//! `runbook audit timeline`: the journal as a post-mortem timeline (UTC time, step, what was done to which
//! resource, outcome, AWS request ids, approvals), in Markdown to paste or plain text.

use std::collections::HashMap;

use super::chain::Entry;
use super::record::Record;

pub struct Row {
    /// `2026-11-29 16:30:12Z`
    pub time: String,
    pub step: String,
    pub what: String,
    pub outcome: String,
    pub request_ids: Vec<String>,
}

fn utc(time: &str) -> String {
    time.parse::<jiff::Timestamp>()
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|_| time.to_string())
}

pub fn rows(entries: &[Entry]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut request_ids: HashMap<String, Vec<String>> = HashMap::new();
    let mut approvals: HashMap<String, String> = HashMap::new();
    let (mut region, mut account) = (String::new(), String::new());
    for entry in entries {
        let Some(record) = &entry.record else {
            continue;
        };
        let time = utc(&entry.time);
        let row = |step: &str, what: String, outcome: String, ids: Vec<String>| Row {
            time: time.clone(),
            step: step.to_string(),
            what,
            outcome,
            request_ids: ids,
        };
        match record {
            Record::RunStarted {
                runbook,
                mode,
                operator,
                params,
                region: run_region,
                ..
            } => {
                region = run_region.clone().unwrap_or_default();
                account = operator.aws_account.clone().unwrap_or_default();
                rows.push(row(
                    "",
                    format!(
                        "{mode} of `{runbook}` started by {operator} with {}",
                        serde_json::Value::Object(params.clone())
                    ),
                    String::new(),
                    Vec::new(),
                ))
            }
            Record::Resumed {
                operator,
                rerun,
                skip,
                allow_changed,
                ..
            } => {
                let mut what = format!("resumed by {operator}");
                if !rerun.is_empty() {
                    what.push_str(&format!("; rerun: {}", rerun.join(", ")));
                }
                for skip in skip {
                    what.push_str(&format!("; skipped {}: {}", skip.step, skip.reason));
                }
                if *allow_changed {
                    what.push_str("; the runbook had changed (--allow-changed)");
                }
                rows.push(row("", what, String::new(), Vec::new()));
            }
            Record::CallFinished {
                step,
                request_id: Some(id),
                ..
            } => {
                request_ids
                    .entry(step.clone())
                    .or_default()
                    .push(id.clone());
            }
            Record::Approved { step, by, how } => {
                approvals.insert(step.clone(), format!("approved by {by} via {how}"));
            }
            // `core.log` notes and the engine's own (a verify's verdict) belong in the story.
            Record::Log { step, message } => {
                rows.push(row(step, message.clone(), String::new(), Vec::new()))
            }
            Record::ApprovalRequested { step, prompt } => rows.push(row(
                step,
                format!("approval requested: {prompt}"),
                "waiting".into(),
                Vec::new(),
            )),
            Record::StepReused {
                step,
                status,
                reason,
            } => rows.push(row(
                step,
                "not run again".into(),
                format!("{}: {reason}", status.as_str()),
                Vec::new(),
            )),
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
                let mut what = summary.clone();
                if let Some(resource) = resource {
                    let resource = resource
                        .replace("{region}", &region)
                        .replace("{account}", &account);
                    what.push_str(&format!(" ({resource})"));
                }
                let mut outcome = status.as_str().to_string();
                if let Some(approval) = approvals.remove(step) {
                    outcome = format!("{outcome}: {approval}");
                } else if let Some(error) = error.as_ref().or(reason.as_ref()) {
                    outcome = format!("{outcome}: {error}");
                }
                for change in changes {
                    outcome.push_str(&format!("; {}", change.line()));
                }
                rows.push(row(
                    step,
                    what,
                    outcome,
                    request_ids.remove(step).unwrap_or_default(),
                ));
            }
            Record::SuccessCriterion { name, held, .. } => rows.push(row(
                "",
                format!("success criterion: {name}"),
                match held {
                    Some(true) => "held".into(),
                    Some(false) => "did NOT hold".into(),
                    None => "undecided".into(),
                },
                Vec::new(),
            )),
            Record::Notified {
                topic,
                about,
                step,
                error,
                ..
            } => rows.push(row(
                step.as_deref().unwrap_or_default(),
                format!("{about} notification to {topic}"),
                match error {
                    Some(error) => format!("not sent: {error}"),
                    None => "sent".into(),
                },
                Vec::new(),
            )),
            Record::LockLost { key, detail } => rows.push(row(
                "",
                format!("lock `{key}` lost: {detail}"),
                "no further step started".into(),
                Vec::new(),
            )),
            Record::RunFinished { outcome, error, .. } => rows.push(row(
                "",
                "run finished".into(),
                match error {
                    Some(error) => format!("{outcome}: {error}"),
                    None => outcome.clone(),
                },
                Vec::new(),
            )),
            _ => {}
        }
    }
    // Steps the journal shows started and never finished (a kill): say so, with the calls that were answered.
    for (step, ids) in request_ids {
        rows.push(Row {
            time: String::new(),
            step,
            what: "started, never finished".into(),
            outcome: "unknown".into(),
            request_ids: ids,
        });
    }
    rows
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(title: &str, rows: &[Row]) -> String {
    let mut out = format!(
        "### Timeline: {title}\n\n| time (UTC) | step | what | outcome | AWS request ids |\n|---|---|---|---|---|\n"
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            row.time,
            if row.step.is_empty() {
                String::new()
            } else {
                format!("`{}`", row.step)
            },
            cell(&row.what),
            cell(&row.outcome),
            row.request_ids.join(", ")
        ));
    }
    out
}

pub fn text(title: &str, rows: &[Row]) -> String {
    let mut out = format!("Timeline: {title}\n");
    for row in rows {
        out.push_str(&format!("{:<21} {:<16} {}", row.time, row.step, row.what));
        if !row.outcome.is_empty() {
            out.push_str(&format!(" -> {}", row.outcome));
        }
        if !row.request_ids.is_empty() {
            out.push_str(&format!(" [request ids: {}]", row.request_ids.join(", ")));
        }
        out.push('\n');
    }
    out
}
