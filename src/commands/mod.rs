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

use std::sync::Arc;

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
        eprintln!("{message}");
        return Err(exit::USAGE);
    };
    let file = location.read().map_err(|error| {
        eprintln!("runbook: cannot read {}: {error}", location.display());
        exit::USAGE
    })?;
    validator::load(&file).map_err(|diagnostics| {
        print_diagnostics(context, &diagnostics);
        exit::USAGE
    })
}

pub fn print_diagnostics(context: &Context, diagnostics: &[Diagnostic]) {
    let mut text = String::new();
    for diagnostic in diagnostics {
        text.push_str(&diagnostic.render(context.color));
        text.push('\n');
    }
    eprint!("{text}");
}

/// Reads a file for validation, turning an I/O failure into a diagnostic.
pub fn read_source(path: &std::path::Path) -> Result<Arc<crate::source::SourceFile>, Diagnostic> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(crate::source::SourceFile::new(path, text)),
        Err(error) => {
            let file = crate::source::SourceFile::new(path, String::new());
            Err(Diagnostic::new(
                crate::diagnostic::ErrorKind::Unreadable {
                    message: error.to_string(),
                },
                &file,
                crate::source::Span::NONE,
            ))
        }
    }
}
