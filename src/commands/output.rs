//! What commands print to stdout, and the output formats they take.

use std::io::Write;

use clap::ValueEnum;

use super::exit::ExitStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// Writes text for people to stdout, control characters that came from input made visible (see
/// [`crate::foundation::terminal_text`]); a closed pipe (`runbook list | head`) ends the program quietly, as
/// `cat` would.
pub fn print(text: &str) {
    write_stdout(&crate::foundation::terminal_text::block(text));
}

/// Writes JSON to stdout as it is: serde_json already escapes every control character a terminal acts on.
pub fn print_json(text: &str) {
    write_stdout(text);
}

/// Prints what clap says about the arguments: `--help` and `--version` succeed, a bad argument is bad input.
pub fn parse_failed(error: &clap::Error) -> ExitStatus {
    let _ = error.print();
    if error.use_stderr() {
        ExitStatus::Usage
    } else {
        ExitStatus::Ok
    }
}

fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            ExitStatus::Ok.exit_now();
        }
        eprintln!("runbook: cannot write output: {error}");
        ExitStatus::Failed.exit_now();
    }
}
