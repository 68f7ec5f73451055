//! `runbook completions SHELL`: the shell's completion registration. The script it prints calls the binary back at
//! each TAB (clap_complete's `COMPLETE=<shell>` protocol), which answers from the runbooks found at that moment:
//! `runbook run <TAB>` offers their names, `runbook run dlq-replay --<TAB>` that runbook's parameter flags and the
//! engine's own, so a runbook added later completes without regenerating anything.

use clap::{Command, ValueEnum};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, Shells};

use crate::commands::exit::ExitStatus;
use crate::commands::run::{Verb, add_engine_flags};
use crate::language::catalog::Catalog;
use crate::param_flags;

/// The shells `completions` writes for (the four clap_complete and our README name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl Shell {
    fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Powershell => "powershell",
        }
    }
}

/// The environment variable that turns a call into a completion request; the registration script sets it.
const VAR: &str = "COMPLETE";

/// Answers a completion request and exits, when the shell made one; otherwise returns at once (nothing is
/// loaded). Called before the arguments are parsed, since the shell sends a partial command line. `base` builds
/// the program's whole clap definition.
pub fn answer_if_asked(base: fn() -> Command) {
    CompleteEnv::with_factory(move || completing_command(base()))
        .var(VAR)
        .bin("runbook")
        .complete();
}

pub fn run(shell: Shell) -> ExitStatus {
    let shells = Shells::builtins();
    let Some(completer) = shells.completer(shell.name()) else {
        crate::say!("runbook completions: no completer for {}", shell.name());
        return ExitStatus::Failed;
    };
    let mut script = Vec::new();
    if let Err(error) =
        completer.write_registration(VAR, "runbook", "runbook", &callback(), &mut script)
    {
        crate::say!("runbook completions: {error}");
        return ExitStatus::Failed;
    }
    crate::commands::output::print(&String::from_utf8_lossy(&script));
    ExitStatus::Ok
}

/// What the script calls back: `runbook` from PATH when that is how it was started, else this binary's own path
/// (a build run as `./target/debug/runbook` completes with itself, from any folder).
fn callback() -> String {
    let invoked = std::env::args_os().next().unwrap_or_default();
    if std::path::Path::new(&invoked).components().count() <= 1 {
        return invoked.to_string_lossy().into_owned();
    }
    std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| invoked.to_string_lossy().into_owned())
}

/// The command line as completion sees it: ours, with `run` and `plan` taking each runbook found as a subcommand
/// whose flags are its parameters (the real parser reads them at run time, from the runbook), and the runbook
/// names offered wherever a command takes one.
fn completing_command(base: Command) -> Command {
    let catalog = Catalog::from_env(None);
    let runbooks: Vec<crate::language::runbook::Runbook> = catalog
        .all()
        .into_values()
        .filter_map(|location| {
            let file = location.read().ok()?;
            super::load_source(&catalog, &file).ok()
        })
        .collect();
    let names: Vec<String> = catalog.names();
    let mut command = Command::new(base.get_name().to_string())
        .args(base.get_arguments().cloned())
        .version(base.get_version().map(str::to_string).unwrap_or_default());
    for subcommand in base.get_subcommands() {
        let verb = match subcommand.get_name() {
            "run" => Some(Verb::Run),
            "plan" => Some(Verb::Plan),
            _ => None,
        };
        let subcommand = match verb {
            Some(verb) => {
                let mut replaced = Command::new(subcommand.get_name().to_string())
                    .about(subcommand.get_about().cloned().unwrap_or_default());
                for runbook in &runbooks {
                    replaced = replaced.subcommand(add_engine_flags(
                        param_flags::add_flags(
                            Command::new(runbook.name.clone()).about(runbook.description.clone()),
                            runbook,
                        ),
                        verb,
                        Some(runbook),
                    ));
                }
                replaced
            }
            None => subcommand.clone().mut_args(|arg| {
                if arg.get_id() == "name" && !matches!(subcommand.get_name(), "actions") {
                    let names = names.clone();
                    arg.add(ArgValueCandidates::new(move || {
                        names.iter().map(CompletionCandidate::new).collect()
                    }))
                } else {
                    arg
                }
            }),
        };
        command = command.subcommand(subcommand);
    }
    command
}
