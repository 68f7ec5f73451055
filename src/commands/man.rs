//! `runbook man`: the man page (roff) from the same clap definition as `--help`, so the two cannot drift.
//! Install it with `runbook man > ~/.local/share/man/man1/runbook.1`.

use crate::commands::exit::ExitStatus;
use crate::commands::output::print;

/// The page of `command`, the program's whole clap definition.
pub fn run(command: clap::Command) -> ExitStatus {
    let mut page = Vec::new();
    if let Err(error) = clap_mangen::Man::new(command.clone()).render(&mut page) {
        crate::say!("runbook man: {error}");
        return ExitStatus::Failed;
    }
    // One page: after the overview, each subcommand's own options under its name. (`run` and `plan` take the
    // runbook's parameters as flags: `runbook run NAME --help` lists them.)
    let mut text = String::from_utf8_lossy(&page).into_owned();
    for subcommand in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        if subcommand.get_arguments().all(|arg| arg.is_global_set()) {
            continue;
        }
        let mut options = Vec::new();
        if let Err(error) =
            clap_mangen::Man::new(subcommand.clone()).render_options_section(&mut options)
        {
            crate::say!("runbook man: {error}");
            return ExitStatus::Failed;
        }
        // Each rendered section repeats the page's two-line preamble (the quote string); the page has it once.
        let section: String = String::from_utf8_lossy(&options)
            .lines()
            .filter(|line| !line.starts_with(".ie \\n(.g") && !line.starts_with(".el .ds Aq"))
            .map(|line| format!("{line}\n"))
            .collect();
        text.push_str(&section.replacen(
            ".SH OPTIONS",
            &format!(".SH \"RUNBOOK {}\"", subcommand.get_name().to_uppercase()),
            1,
        ));
    }
    print(&text);
    ExitStatus::Ok
}
