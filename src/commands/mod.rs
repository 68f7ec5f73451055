//! One module per subcommand; each takes parsed arguments and returns an exit code.

pub mod actions;
pub mod audit;
pub mod completions;
pub mod graph;
pub mod list;
pub mod man;
pub mod policy;
pub mod recorded;
pub mod resume;
pub mod run;
pub mod schema;
pub mod show;
pub mod unlock;
pub mod validate;

use crate::cli::{Context, exit};
use crate::diagnostic::Diagnostic;
use crate::runbook::Runbook;
use crate::suggest;
use crate::validator;

/// Finds, reads and validates the runbook called `name`; on failure prints why and returns the exit code.
pub fn load_named(context: &Context, name: &str) -> Result<Runbook, i32> {
    let Some(location) = context.catalog.find(name) else {
        let names = context.catalog.names();
        let mut message = format!("runbook: no runbook named `{name}`");
        if let Some(hint) = suggest::did_you_mean(name, names.iter().map(String::as_str)) {
            message.push_str(&format!("; {hint}"));
        }
        message.push_str("\n  = hint: `runbook list` shows the runbooks found in --dir, RUNBOOK_PATH, ./runbooks and built in");
        crate::say!("{message}");
        return Err(exit::USAGE);
    };
    let file = location.read().map_err(|diagnostic| {
        print_diagnostics(context, &[diagnostic]);
        exit::USAGE
    })?;
    validator::load(&file).map_err(|diagnostics| {
        print_diagnostics(context, &diagnostics);
        exit::USAGE
    })
}

/// Most diagnostics printed for one file: a generated file with 100,000 mistakes needs the first few fixed, not a
/// screenful per mistake (`--format json` lists them all).
pub const MAX_PRINTED_DIAGNOSTICS: usize = 50;

pub fn print_diagnostics(context: &Context, diagnostics: &[Diagnostic]) {
    let mut text = String::new();
    for diagnostic in diagnostics.iter().take(MAX_PRINTED_DIAGNOSTICS) {
        text.push_str(&diagnostic.render(context.color));
        text.push('\n');
    }
    if let Some(more) = diagnostics
        .len()
        .checked_sub(MAX_PRINTED_DIAGNOSTICS)
        .filter(|n| *n > 0)
    {
        let file = diagnostics[0].file.display_path();
        text.push_str(&format!(
            "... and {more} more errors in {} (`runbook validate --format json` lists them all)\n\n",
            crate::terminal_text::line(&file)
        ));
    }
    eprint!("{text}");
}
