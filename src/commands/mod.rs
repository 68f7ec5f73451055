//! Layer 6, commands: one module per subcommand; each takes parsed arguments and returns an [`ExitStatus`].
//!
//! The commands own what the program says to its caller: the exit status ([`exit`]), what goes to stdout
//! ([`output`]) and who the operator is ([`crate::cli_approver::os_user`]). The CLI above them only parses and
//! dispatches; the engine, journal and locks below them are told, never asked.

pub mod actions;
pub mod answer;
pub mod audit;
pub mod completions;
pub mod deploy;
pub mod execution_lock;
pub mod exit;
pub mod export;
pub mod graph;
pub mod list;
pub mod man;
pub mod output;
pub mod policy;
pub mod recorded;
pub mod resume;
pub mod run;
pub mod run_on_step_functions;
pub mod schema;
pub mod show;
pub mod state_machine;
pub mod test;
pub mod unlock;
pub mod validate;

use std::path::PathBuf;
use std::sync::Arc;

pub use exit::ExitStatus;

use crate::foundation::diagnostic::Diagnostic;
use crate::foundation::source::SourceFile;
use crate::foundation::suggest;
use crate::language::catalog::Catalog;
use crate::language::runbook::Runbook;
use crate::language::validator;

/// What every command needs to know about its surroundings.
pub struct Context {
    pub catalog: Catalog,
    /// Whether to color what goes to stderr.
    pub color: bool,
    /// `--state-dir` or `RUNBOOK_STATE_DIR`, when given.
    pub state_dir: Option<PathBuf>,
}

/// Finds, reads and validates the runbook called `name`; on failure prints why and returns the exit code.
pub fn load_named(context: &Context, name: &str) -> Result<Runbook, ExitStatus> {
    let Some(location) = context.catalog.find(name) else {
        let names = context.catalog.names();
        let mut message = format!("runbook: no runbook named `{name}`");
        if let Some(hint) = suggest::did_you_mean(name, names.iter().map(String::as_str)) {
            message.push_str(&format!("; {hint}"));
        }
        message.push_str("\n  = hint: `runbook list` shows the runbooks found in --dir, RUNBOOK_PATH, ./runbooks and built in");
        crate::say!("{message}");
        return Err(ExitStatus::Usage);
    };
    let file = location.read().map_err(|diagnostic| {
        print_diagnostics(context, &[diagnostic]);
        ExitStatus::Usage
    })?;
    load_source(&context.catalog, &file).map_err(|diagnostics| {
        print_diagnostics(context, &diagnostics);
        ExitStatus::Usage
    })
}

/// Most diagnostics printed for one file: a generated file with 100,000 mistakes needs the first few fixed, not a
/// screenful per mistake (`--format json` lists them all).
pub const MAX_PRINTED_DIAGNOSTICS: usize = 50;
/// Validates one runbook file as the commands run it: no parameter may take the name of a flag of theirs, steps
/// name the actions of the table, and the runbooks its `runbook:` steps run are found in `catalog`.
pub fn load_source(catalog: &Catalog, file: &Arc<SourceFile>) -> Result<Runbook, Vec<Diagnostic>> {
    validator::load_in(
        file,
        &run::reserved_param_names(),
        &crate::actions::TABLE,
        catalog,
    )
}

/// Flags every command takes, before or after its name.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Look for runbooks in DIR first (before RUNBOOK_PATH, ./runbooks and the built-in ones).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Never color the output (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Where journals, local locks and the unlock log live (default: $XDG_STATE_HOME/runbook, else
    /// ~/.local/state/runbook).
    #[arg(long, global = true, value_name = "DIR", env = "RUNBOOK_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

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
            crate::foundation::terminal_text::line(&file)
        ));
    }
    eprint!("{text}");
}
