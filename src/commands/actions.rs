//! `runbook actions [NAME]`: the registry as documentation, like `ansible-doc`.

use crate::actions::{self, ActionSpec};
use crate::commands::exit::ExitStatus;
use crate::commands::output::{TextOrJson, print};
use crate::foundation::suggest;
use crate::foundation::table;

pub fn run(name: Option<&str>, format: TextOrJson) -> ExitStatus {
    let selected: Vec<&'static ActionSpec> = match name {
        None => actions::all().collect(),
        Some(name) => match actions::lookup(name) {
            Some(spec) => vec![spec],
            None => {
                let service: Vec<_> = actions::all()
                    .filter(|s| s.name.split('.').next() == Some(name))
                    .collect();
                if service.is_empty() {
                    let hint = suggest::did_you_mean(name, actions::all().map(|s| s.name))
                        .unwrap_or_else(|| "`runbook actions` lists them all".to_string());
                    crate::say!("runbook: no action or service `{name}`; {hint}");
                    return ExitStatus::Usage;
                }
                service
            }
        },
    };
    match format {
        TextOrJson::Json => crate::commands::output::print_json(&format!(
            "{}\n",
            serde_json::to_string_pretty(&selected).expect("JSON")
        )),
        TextOrJson::Text if selected.len() == 1 => print(&describe(selected[0])),
        TextOrJson::Text => {
            let rows: Vec<Vec<String>> = selected
                .iter()
                .map(|spec| {
                    vec![
                        spec.name.to_string(),
                        spec.effect.as_str().to_string(),
                        spec.summary.to_string(),
                    ]
                })
                .collect();
            print(&table::render(&["ACTION", "EFFECT", "SUMMARY"], &rows));
        }
    }
    ExitStatus::Ok
}

fn describe(spec: &ActionSpec) -> String {
    let mut out = format!(
        "{} ({})\n  {}\n\nMembers\n",
        spec.name,
        spec.effect.as_str(),
        spec.summary
    );
    if spec.members.is_empty() {
        out.push_str("  (none)\n");
    } else {
        let rows: Vec<Vec<String>> = spec
            .members
            .iter()
            .map(|m| {
                vec![
                    m.name.to_string(),
                    m.ty.as_str().to_string(),
                    if m.required { "yes" } else { "no" }.to_string(),
                ]
            })
            .collect();
        for line in table::render(&["MEMBER", "TYPE", "REQUIRED"], &rows).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(pages) = spec.pages() {
        out.push_str(&format!(
            "\nPages\n  every page is read: each `{}` of an answer is sent back as `{}` until the last page \
             (at most {}); `output.{}` holds the items of every page\n",
            pages.response_token,
            pages.request_token,
            crate::engine::MAX_PAGES,
            pages.lists.join("`, `output.")
        ));
    }
    if !spec.iam.is_empty() {
        out.push_str(&format!("\nIAM\n  {}\n", spec.iam.join(", ")));
    }
    out.push_str(&format!("\nResource\n  {}\n", spec.resource));
    for grant in spec.grants {
        out.push_str(&format!(
            "  {} on {}\n",
            grant.actions.join(", "),
            grant.resources.join(", ")
        ));
    }
    out.push_str(&format!(
        "\nExample\n  - id: example\n    action: {}\n    with:\n",
        spec.name
    ));
    for line in spec.example.lines() {
        out.push_str(&format!("      {line}\n"));
    }
    out
}
