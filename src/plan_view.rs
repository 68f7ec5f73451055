//! A plan for people: text for the terminal, Markdown for a pull-request comment. (`--format json` is the
//! [`RunReport`] itself.)

use serde_json::Value;

use crate::engine::{Mode, RunReport, StepReport, StepStatus};
use crate::language::runbook::StepEffect;

/// Requests longer than this are cut in text and Markdown; the JSON format has them whole.
const REQUEST_WIDTH: usize = 160;

fn counts(report: &RunReport) -> String {
    let writes = report
        .steps
        .iter()
        .filter(|s| s.effect == StepEffect::Write)
        .count();
    let gates = report
        .steps
        .iter()
        .filter(|s| s.effect == StepEffect::Approval)
        .count();
    // Reads the plan sent to AWS (or over HTTP), whether they succeeded or failed; `core.*` steps run in the
    // process (their row's reach says so) and are not reads of anything.
    let reads_run = report
        .steps
        .iter()
        .filter(|s| {
            s.effect == StepEffect::Read
                && matches!(s.status, StepStatus::Succeeded | StepStatus::Failed)
                && s.action
                    .as_deref()
                    .and_then(crate::actions::lookup)
                    .is_none_or(|spec| spec.reach.sends())
        })
        .count();
    let deferred = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Deferred)
        .count();
    format!(
        "{} steps: {writes} write{}, {gates} approval gate{}, {reads_run} read{} run now, {deferred} deferred",
        report.steps.len(),
        plural(writes),
        plural(gates),
        plural(reads_run),
    )
}

/// "The plan stopped" only when steps were left unplanned because of the error; a failed success criterion or a
/// failure after which everything was still planned did not stop it.
fn stopped(report: &RunReport) -> &'static str {
    if report.steps.iter().any(|s| s.status == StepStatus::NotRun) {
        "The plan stopped"
    } else {
        "The plan found a problem"
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A value in one line of at most `width` characters; a string from input keeps no line break or control
/// character that could forge or redraw lines.
fn compact(value: &Value, width: usize) -> String {
    let mut text = match value {
        Value::String(s) => {
            crate::foundation::terminal_text::line(&s.replace('\n', " ")).into_owned()
        }
        other => other.to_string(),
    };
    if text.chars().count() > width {
        text = text.chars().take(width - 1).collect::<String>() + "…";
    }
    text
}

fn status_text(step: &StepReport) -> String {
    match step.status {
        StepStatus::Succeeded if step.effect == StepEffect::Read => "read now".into(),
        StepStatus::Planned if step.effect == StepEffect::Approval => "gate".into(),
        StepStatus::Planned => "WILL WRITE".into(),
        other => other.as_str().replace('_', " "),
    }
}

/// The AWS calls a planned write will make, when that is more than its own operation: a composite's (named by
/// the IAM actions it needs, one per API operation) and the reads that show what it changes.
fn calls(step: &StepReport) -> Option<String> {
    if step.status != StepStatus::Planned || step.effect != StepEffect::Write {
        return None;
    }
    let spec = crate::actions::lookup(step.action.as_deref()?)?;
    let mut parts = Vec::new();
    if matches!(spec.execute, crate::actions::Execute::Run(_)) && !spec.iam.is_empty() {
        parts.push(spec.iam.join(", "));
    }
    if let Some(crate::actions::Observed {
        how: crate::actions::How::Read { read, .. },
        ..
    }) = crate::actions::observed(spec.name)
    {
        parts.push(format!("{read} before and after, to show the change"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The run id a plan used, in what it shows: the run chooses its own when it starts, so a value made from it
/// (a backup named after the run) will differ. Marked, and said once at the end.
const RUN_ID_MARK: &str = "<run.id>";

fn mark_run_id(report: &RunReport, text: String) -> String {
    if report.run_id.is_empty() || !text.contains(&report.run_id) {
        return text;
    }
    let mut text = text.replace(&report.run_id, RUN_ID_MARK);
    text.push_str(&format!(
        "\nValues with {RUN_ID_MARK} contain the run's id, which the run chooses when it starts: they will differ \
         from this plan's ({}).\n",
        report.run_id
    ));
    text
}

/// What a read found, in one line: its named outputs, else the start of its response.
fn found(step: &StepReport) -> Option<String> {
    if step.status != StepStatus::Succeeded {
        return None;
    }
    if !step.outputs.is_empty() {
        let parts: Vec<String> = step
            .outputs
            .iter()
            .map(|(k, v)| format!("{k} = {}", compact(v, 60)))
            .collect();
        return Some(parts.join(", "));
    }
    step.output.as_ref().map(|o| compact(o, 100))
}

pub fn text(report: &RunReport) -> String {
    let mut out = String::new();
    let mode = if report.mode == Mode::Offline {
        " (offline: no AWS calls)"
    } else {
        ""
    };
    out.push_str(&format!(
        "Plan for {}{mode}\n{}\n",
        report.runbook,
        counts(report)
    ));
    if !report.params.is_empty() {
        out.push_str("\nParameters:\n");
        for (name, value) in &report.params {
            out.push_str(&format!("  {name} = {}\n", compact(value, 100)));
        }
    }
    out.push('\n');
    for (number, step) in report.steps.iter().enumerate() {
        let action = step.action.as_deref().unwrap_or("approval");
        out.push_str(&format!(
            "{:>3}. {:<10} {}  [{}]  {}\n",
            number + 1,
            status_text(step),
            step.id,
            action,
            // A multi-line approval prompt (the evidence a gate shows) stays under its step.
            step.summary.replace('\n', "\n       ")
        ));
        if let Some(request) = &step.request
            && step.effect != StepEffect::Approval
        {
            out.push_str(&format!(
                "       request: {}\n",
                compact(request, REQUEST_WIDTH)
            ));
        }
        if let Some(found) = found(step) {
            out.push_str(&format!("       found:   {found}\n"));
        }
        for change in &step.changes {
            out.push_str(&format!("       change:  {}\n", change.line()));
        }
        if let Some(calls) = calls(step) {
            out.push_str(&format!("       calls:   {calls}\n"));
        }
        if let Some(reason) = &step.reason {
            out.push_str(&format!("       why:     {reason}\n"));
        }
        if let Some(error) = &step.error {
            out.push_str(&format!(
                "       error:   {}\n",
                error.replace('\n', "\n       ")
            ));
        }
    }
    if !report.success_criteria.is_empty() {
        out.push_str("\nSuccess criteria:\n");
        for criterion in &report.success_criteria {
            let state = match criterion.held {
                Some(true) => "holds now",
                Some(false) => "does NOT hold now",
                None => "decided by the run",
            };
            out.push_str(&format!(
                "  - {}: {state} (`{}`)\n",
                criterion.name, criterion.expression
            ));
        }
    }
    if !report.on_failure.is_empty() {
        let ids: Vec<&str> = report.on_failure.iter().map(|s| s.id.as_str()).collect();
        out.push_str(&format!("\nIf the run fails: {}\n", ids.join(", ")));
    }
    if let Some(error) = &report.error {
        out.push_str(&format!("\n{}: {error}\n", stopped(report)));
    }
    mark_run_id(report, out)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(report: &RunReport) -> String {
    let mut out = String::new();
    let mode = if report.mode == Mode::Offline {
        " (offline)"
    } else {
        ""
    };
    out.push_str(&format!(
        "### Plan: `{}`{mode}\n\n{}\n\n",
        report.runbook,
        counts(report)
    ));
    out.push_str("| # | step | effect | action | request | status |\n|---|---|---|---|---|---|\n");
    for (number, step) in report.steps.iter().enumerate() {
        let effect = match step.effect {
            StepEffect::Write => "**write**".to_string(),
            StepEffect::Approval => "**approval**".to_string(),
            StepEffect::Read => "read".to_string(),
        };
        let request = match &step.request {
            Some(request) if step.effect != StepEffect::Approval => {
                format!("`{}`", cell(&compact(request, REQUEST_WIDTH)))
            }
            Some(prompt) => cell(&compact(prompt, REQUEST_WIDTH)),
            None => String::new(),
        };
        let mut status = status_text(step);
        if step.status == StepStatus::Planned && step.effect == StepEffect::Write {
            status = format!("**{status}**");
        }
        if let Some(found) = found(step) {
            status.push_str(&format!("<br>found: `{}`", cell(&found)));
        }
        for change in &step.changes {
            status.push_str(&format!("<br>{}", cell(&change.line())));
        }
        if let Some(calls) = calls(step) {
            status.push_str(&format!("<br>calls: {}", cell(&calls)));
        }
        if let Some(reason) = &step.reason {
            status.push_str(&format!("<br>{}", cell(reason)));
        }
        if let Some(error) = &step.error {
            status.push_str(&format!("<br>error: {}", cell(error)));
        }
        out.push_str(&format!(
            "| {} | `{}` | {effect} | `{}` | {request} | {status} |\n",
            number + 1,
            step.id,
            step.action.as_deref().unwrap_or("approval"),
        ));
    }
    if !report.success_criteria.is_empty() {
        out.push_str("\n**Success criteria**\n\n");
        for criterion in &report.success_criteria {
            let state = match criterion.held {
                Some(true) => "holds now",
                Some(false) => "**does not hold now**",
                None => "decided by the run",
            };
            out.push_str(&format!(
                "- {}: {state} — `{}`\n",
                cell(&criterion.name),
                cell(&criterion.expression)
            ));
        }
    }
    if let Some(error) = &report.error {
        out.push_str(&format!("\n> **{}:** {}\n", stopped(report), cell(error)));
    }
    mark_run_id(report, out)
}
