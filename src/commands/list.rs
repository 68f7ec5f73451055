//! `runbook list`: every runbook the catalog finds, with severity, description and parameters.

use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::output::{TextOrJson, print};
use crate::foundation::table;
use crate::language::runbook::Runbook;

pub fn run(context: &Context, format: TextOrJson) -> ExitStatus {
    let mut rows = Vec::new();
    let mut json = Vec::new();
    eprint!(
        "{}",
        crate::language::catalog::skipped_notes(&context.catalog.skipped())
    );
    for (name, location) in context.catalog.all() {
        let loaded = location
            .read()
            .map_err(|d| d.kind.to_string())
            .and_then(|file| {
                super::load_source(&context.catalog, &file).map_err(|diagnostics| {
                    format!(
                        "invalid: {} errors, see `runbook validate`",
                        diagnostics.len()
                    )
                })
            });
        match loaded {
            Ok(runbook) => {
                rows.push(vec![
                    name.clone(),
                    runbook.severity.map_or("-", |s| s.as_str()).to_string(),
                    runbook.description.clone(),
                    flags(&runbook),
                ]);
                json.push(serde_json::json!({
                    "name": name,
                    "severity": runbook.severity,
                    "description": runbook.description,
                    "tags": runbook.tags,
                    "source": location.display(),
                    "params": runbook.params.iter().map(|p| serde_json::json!({
                        "name": p.name, "flag": format!("--{}", p.flag), "type": p.ty, "required": p.required,
                    })).collect::<Vec<_>>(),
                }));
            }
            Err(problem) => {
                rows.push(vec![
                    name.clone(),
                    "-".into(),
                    format!("({problem})"),
                    String::new(),
                ]);
                json.push(serde_json::json!({ "name": name, "source": location.display(), "error": problem }));
            }
        }
    }
    match format {
        TextOrJson::Json => crate::commands::output::print_json(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json).expect("JSON")
        )),
        TextOrJson::Text if rows.is_empty() => crate::say!("runbook: no runbooks found"),
        TextOrJson::Text => print(&table::render(
            &["NAME", "SEVERITY", "DESCRIPTION", "PARAMETERS"],
            &rows,
        )),
    }
    ExitStatus::Ok
}

/// `--restore-time* --table`: required flags starred.
fn flags(runbook: &Runbook) -> String {
    let flags: Vec<String> = runbook
        .params
        .iter()
        .map(|p| format!("--{}{}", p.flag, if p.required { "*" } else { "" }))
        .collect();
    flags.join(" ")
}
