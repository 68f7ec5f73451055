//! `runbook show NAME`: what a reviewer needs before running it: the doc, the parameters, the steps with their
//! effect (read, write, approval) and what each needs.

use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::load_named;
use crate::commands::output::print;
use crate::foundation::table;
use crate::language::runbook::{ParamDefault, Runbook, Step};

pub fn run(context: &Context, name: &str) -> ExitStatus {
    match load_named(context, name) {
        Ok(runbook) => {
            print(&render(&runbook));
            ExitStatus::Ok
        }
        Err(code) => code,
    }
}

pub fn render(runbook: &Runbook) -> String {
    let mut out = format!("{} — {}\n", runbook.name, runbook.description);
    let mut facts = Vec::new();
    if let Some(severity) = runbook.severity {
        facts.push(format!("severity: {}", severity.as_str()));
    }
    if !runbook.tags.is_empty() {
        facts.push(format!("tags: {}", runbook.tags.join(", ")));
    }
    facts.push(format!("source: {}", runbook.source.display_path()));
    out.push_str(&facts.join("   "));
    out.push('\n');
    if let Some(doc) = &runbook.doc {
        out.push('\n');
        out.push_str(doc.trim_end());
        out.push('\n');
    }

    out.push_str("\nParameters\n");
    if runbook.params.is_empty() {
        out.push_str("  (none)\n");
    } else {
        let rows: Vec<Vec<String>> = runbook
            .params
            .iter()
            .map(|param| {
                let default = match &param.default {
                    None => "-".to_string(),
                    Some(_) if param.secret => "<secret>".to_string(),
                    Some(ParamDefault::Value(serde_json::Value::String(text))) => text.clone(),
                    Some(ParamDefault::Value(value)) => value.to_string(),
                    Some(ParamDefault::Template(text)) => text.source.clone(),
                };
                let mut ty = param.ty.as_str().to_string();
                if param.secret {
                    ty.push_str(" (secret)");
                }
                vec![
                    format!("--{}", param.flag),
                    ty,
                    if param.required { "yes" } else { "no" }.to_string(),
                    default,
                    param.description.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&indent(&table::render(
            &["FLAG", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"],
            &rows,
        )));
    }

    out.push_str("\nSteps\n");
    out.push_str(&indent(&steps_table(runbook, &runbook.steps, true)));
    if !runbook.on_failure.is_empty() {
        out.push_str("\nOn failure (in order)\n");
        out.push_str(&indent(&steps_table(runbook, &runbook.on_failure, false)));
    }
    if !runbook.success_criteria.is_empty() {
        out.push_str("\nSuccess criteria\n");
        for criterion in &runbook.success_criteria {
            out.push_str(&format!(
                "  - {}: {}\n",
                criterion.name, criterion.that.source
            ));
        }
    }
    out
}

fn steps_table(runbook: &Runbook, steps: &[Step], with_needs: bool) -> String {
    let rows: Vec<Vec<String>> = steps
        .iter()
        .map(|step| {
            let needs: Vec<&str> = step
                .needs
                .iter()
                .map(|&n| runbook.steps[n].id.as_str())
                .collect();
            let action = runbook
                .step_doing(step)
                .unwrap_or_else(|| "(approval gate)".into());
            let mut notes = Vec::new();
            if let Some(title) = &step.title {
                notes.push(title.clone());
            }
            if let Some(when) = &step.when {
                notes.push(format!("when {}", when.source));
            }
            if let Some(for_each) = &step.for_each {
                notes.push(format!("for each {}", for_each.items.source));
            }
            if step.action().is_some_and(|a| a.wait.is_some()) {
                notes.push("waits".into());
            }
            vec![
                step.id.clone(),
                step.effect().as_str().to_string(),
                action.to_string(),
                if with_needs && !needs.is_empty() {
                    needs.join(", ")
                } else {
                    "-".into()
                },
                notes.join("; "),
            ]
        })
        .collect();
    table::render(&["ID", "EFFECT", "ACTION", "NEEDS", "NOTES"], &rows)
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}
