//! Runs as a Mermaid Gantt chart (`audit timeline RUN --format mermaid`, `audit postmortem --format mermaid`, and
//! the chart inside the post-mortem document): one section per run, one bar per step from its start to its end,
//! a milestone for each approval and for the run's end. GitHub draws it from a ```mermaid block.
//!
//! Reads are `done` (grey), writes `active` (blue) so the changes stand out, failures `crit` (red). Times are to
//! the millisecond: most steps take less than a second.

use std::fmt::Write;

use jiff::Timestamp;

use super::incident::RunStory;
use crate::engine::StepStatus;

/// Mermaid's dayjs format for [`when`].
const DATE_FORMAT: &str = "YYYY-MM-DD HH:mm:ss.SSS";

fn when(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// Text as Mermaid's Gantt grammar takes it in a section or task name: `:` ends a name, `#` and `;` end a
/// statement, and a line break would start one. They become spaces; the rest is kept.
fn text(raw: &str) -> String {
    title(&raw.replace(':', " "))
}

/// A title may hold a `:` (the rest of its line is the title).
fn title(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| match c {
            '#' | ';' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.is_empty() {
        "-".into()
    } else {
        joined
    }
}

/// The chart of `runs`, without the ```mermaid fence.
pub fn chart(heading: &str, runs: &[RunStory]) -> String {
    let mut out = String::from("gantt\n");
    let _ = writeln!(out, "    title {}", title(heading));
    let _ = writeln!(out, "    dateFormat {DATE_FORMAT}");
    let _ = writeln!(out, "    axisFormat %H:%M:%S");
    for (number, run) in runs.iter().enumerate() {
        let number = number + 1;
        let _ = writeln!(
            out,
            "    section {}",
            text(&format!("{number} {} {}", run.runbook, run.run_id))
        );
        let task = |out: &mut String, name: &str, tags: &[&str], id: String, from, to| {
            let mut meta: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
            meta.push(id);
            meta.push(when(from));
            meta.push(when(to));
            let _ = writeln!(out, "    {} :{}", text(name), meta.join(", "));
        };
        if run.mode != "run" {
            task(
                &mut out,
                &format!("{} (changes nothing)", run.mode),
                &["done"],
                format!("r{number}"),
                run.started,
                run.ended,
            );
            continue;
        }
        for (index, step) in run.steps.iter().enumerate() {
            let end = step.end.unwrap_or(run.ended);
            let tags: &[&str] = match step.status {
                Some(StepStatus::Succeeded) if step.effect == "write" => &["active"],
                Some(StepStatus::Succeeded) => &["done"],
                _ => &["crit"],
            };
            let name = match step.status {
                Some(StepStatus::Succeeded) => step.step.clone(),
                Some(status) => format!("{} {}", step.step, status.as_str()),
                None => format!("{} never finished", step.step),
            };
            task(
                &mut out,
                &name,
                tags,
                format!("r{number}s{index}"),
                step.start,
                end,
            );
        }
        for (index, approval) in run.approvals.iter().enumerate() {
            if let (Some(answered), Some(by)) = (approval.answered, &approval.by) {
                task(
                    &mut out,
                    &format!("{} approved by {by}", approval.step),
                    &["milestone"],
                    format!("r{number}a{index}"),
                    answered,
                    answered,
                );
            }
        }
        task(
            &mut out,
            &format!("{} {}", run.runbook, run.outcome),
            if run.outcome == "succeeded" {
                &["milestone"]
            } else {
                &["milestone", "crit"]
            },
            format!("r{number}end"),
            run.ended,
            run.ended,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_what_would_end_them_early() {
        assert_eq!(text("a: b # c; d\ne"), "a b c d e");
        assert_eq!(text(" :: "), "-");
        assert_eq!(title("at 04:05 # x"), "at 04:05 x");
        assert_eq!(
            when("2026-01-02T03:04:05.6Z".parse().unwrap()),
            "2026-01-02 03:04:05.600"
        );
    }
}
