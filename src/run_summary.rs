//! The table printed when a run ends: every step with its status, duration and attempts, the success
//! criteria, and the verdict.

use crate::engine::{Outcome, RunReport, StepReport};
use crate::foundation::duration;
use crate::foundation::table;
use crate::foundation::terminal_text;

fn row(step: &StepReport) -> Vec<String> {
    let note = step
        .error
        .clone()
        .or_else(|| {
            step.approved_by
                .as_ref()
                .map(|by| format!("approved by {by}"))
        })
        .or_else(|| step.reason.clone())
        .unwrap_or_default();
    vec![
        step.id.clone(),
        step.status.as_str().to_string(),
        duration::format_short(step.duration),
        step.attempts.to_string(),
        step.calls.to_string(),
        note,
    ]
}

/// What the writes before a refused gate left behind, each with the command that removes it.
fn leftovers(report: &RunReport) -> String {
    if report.outcome != Outcome::Refused {
        return String::new();
    }
    if report.leftovers.is_empty() {
        return "no write had been made before the gate\n".into();
    }
    let mut text = String::from("left behind by writes before the gate:\n");
    for leftover in &report.leftovers {
        text.push_str(&format!(
            "  {}: {}\n",
            leftover.step,
            terminal_text::line(&leftover.summary)
        ));
        if let Some(remove) = &leftover.remove {
            text.push_str(&format!("    remove it: {remove}\n"));
        }
    }
    text
}

fn rows(report: &RunReport) -> Vec<Vec<String>> {
    report
        .steps
        .iter()
        .chain(
            report
                .on_failure
                .iter()
                .filter(|s| s.status != crate::engine::StepStatus::NotRun),
        )
        .map(row)
        .collect()
}

/// ATTEMPTS counts the step's tries (1 + retries); CALLS every AWS call it sent (pages, polls, retries, the
/// calls of a composite and the reads that show a write's change).
const HEADERS: [&str; 6] = ["STEP", "STATUS", "DURATION", "ATTEMPTS", "CALLS", "NOTE"];

/// The same summary for a ticket or a chat: the steps as a table, the criteria and the verdict.
pub fn markdown(report: &RunReport) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', "<br>");
    let mut out = format!("### Run `{}` of `{}`\n\n", report.run_id, report.runbook);
    out.push_str(&format!(
        "| {} |\n",
        HEADERS.map(str::to_lowercase).join(" | ")
    ));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADERS.len())));
    for row in rows(report) {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&format!(
            "| `{}` | {} |\n",
            cells[0],
            cells[1..].join(" | ")
        ));
    }
    let changes = changes(report);
    if !changes.is_empty() {
        out.push_str("\n**Changes**\n\n");
        for (step, line) in changes {
            out.push_str(&format!("- `{step}`: {}\n", cell(&line)));
        }
    }
    if !report.success_criteria.is_empty() {
        out.push_str("\n**Success criteria**\n\n");
        for criterion in &report.success_criteria {
            let mark = match criterion.held {
                Some(true) => "held",
                Some(false) => "**NOT held**",
                None => "unknown",
            };
            out.push_str(&format!("- {mark}: {}", cell(&criterion.name)));
            if let Some(detail) = &criterion.detail {
                out.push_str(&format!(" ({})", cell(detail)));
            }
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\n**{}** in {}\n",
        cell(&verdict(report)),
        duration::format_short(report.duration)
    ));
    let leftovers = leftovers(report);
    if !leftovers.is_empty() {
        out.push_str(&format!("\n```\n{leftovers}```\n"));
    }
    out
}

/// What each write changed, step by step: `move_alias: alias live of f: 3 -> 2`.
fn changes(report: &RunReport) -> Vec<(String, String)> {
    report
        .steps
        .iter()
        .chain(&report.on_failure)
        .flat_map(|step| {
            step.changes
                .iter()
                .map(|change| (step.id.clone(), change.line()))
        })
        .collect()
}

pub fn text(report: &RunReport) -> String {
    let mut out = table::render(&HEADERS, &rows(report));
    let changes = changes(report);
    if !changes.is_empty() {
        out.push_str("\nchanges:\n");
        for (step, line) in changes {
            out.push_str(&format!("  {step}: {}\n", terminal_text::line(&line)));
        }
    }
    if !report.success_criteria.is_empty() {
        out.push_str("\nsuccess criteria:\n");
        for criterion in &report.success_criteria {
            let mark = match criterion.held {
                Some(true) => "held    ",
                Some(false) => "NOT held",
                None => "unknown ",
            };
            out.push_str(&format!("  {mark}  {}", criterion.name));
            if let Some(detail) = &criterion.detail {
                out.push_str(&format!(" ({})", terminal_text::line(detail)));
            }
            out.push('\n');
        }
    }
    // The verdict carries the run's error, which may quote input and may span lines (a table a `core.fail` shows):
    // control characters escaped, and every further line indented, so that none can pass for a line of ours.
    out.push_str(&format!(
        "\nrun {} of {} {} in {}\n",
        report.run_id,
        report.runbook,
        terminal_text::block(&verdict(report)).replace('\n', "\n  "),
        duration::format_short(report.duration)
    ));
    out.push_str(&leftovers(report));
    out
}

fn verdict(report: &RunReport) -> String {
    match report.outcome {
        Outcome::Succeeded => "succeeded".to_string(),
        Outcome::Failed => format!("FAILED: {}", report.error.as_deref().unwrap_or("")),
        Outcome::AwaitingApproval => {
            let gates: Vec<&str> = report
                .steps
                .iter()
                .filter(|s| s.status == crate::engine::StepStatus::AwaitingApproval)
                .map(|s| s.id.as_str())
                .collect();
            format!(
                "stopped at approval gate {}: approve with --approve {} (or answer on a terminal)",
                gates.join(", "),
                gates.first().copied().unwrap_or("STEP")
            )
        }
        Outcome::Refused => format!(
            "REFUSED: {}; nothing after the gate ran, and on_failure did not run (a refusal is not a failure)",
            report.error.as_deref().unwrap_or("an approval was refused")
        ),
        Outcome::Interrupted => "interrupted: no new step was started after the signal".to_string(),
        Outcome::LockLost => format!(
            "LOST ITS LOCK: no new step was started after that; {}",
            report.error.clone().unwrap_or_default()
        ),
        Outcome::Planned => "planned".to_string(),
        Outcome::JournalFailed => format!("STOPPED: {}", report.error.clone().unwrap_or_default()),
    }
}
