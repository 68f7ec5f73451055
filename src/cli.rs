//! The command line: arguments, dispatch and exit codes.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::language::catalog::Catalog;

/// Exit codes. Documented in README.md; scripts rely on them.
pub mod exit {
    /// Success: the runbook is valid, the run succeeded.
    pub const OK: i32 = 0;
    /// The run failed (a step or a success criterion).
    pub const FAILED: i32 = 1;
    /// Bad input: invalid runbook, unknown runbook, bad flags, or a write run without `--yes` off a terminal.
    /// Nothing was sent to AWS.
    pub const USAGE: i32 = 2;
    /// The run stopped cleanly at an approval gate nobody could answer; approve it and run again.
    pub const AWAITING_APPROVAL: i32 = 3;
    /// The operator answered no when asked to confirm the writes; nothing was written.
    pub const DECLINED: i32 = 4;
    /// Another run holds the lock (named with when it took it); nothing was sent.
    pub const LOCKED: i32 = 5;
    /// The operator refused an approval gate: the run ended there by decision, `on_failure` did not run, and
    /// what earlier writes left behind is named with the command that removes it.
    pub const REFUSED: i32 = 6;
    /// Interrupted (SIGINT or SIGTERM): in-flight calls finished, nothing new started.
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Operational procedures as YAML: validated offline, planned honestly, run against AWS"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: commands::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check runbooks without touching AWS: every error at once, with file:line:col and a hint.
    Validate {
        /// Runbook files or folders (default: the runbook folders, else the built-in runbooks).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// List every runbook found: name, severity, description and parameters.
    List {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Show a runbook: its doc, parameters and steps with their effects.
    Show { name: String },
    /// Draw a runbook's step graph.
    Graph {
        name: String,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Print the JSON Schema of the runbook format.
    Schema,
    /// List the actions steps can use, or describe one.
    Actions {
        /// An action such as `dynamodb.RestoreTableToPointInTime`, or a service such as `dynamodb`.
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Show what a run would do: reads run for real, writes are shown and never sent.
    /// `runbook plan NAME --help` lists its parameters and options.
    #[command(disable_help_flag = true)]
    Plan {
        /// The runbook, then its parameters as flags.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "NAME [FLAGS]"
        )]
        args: Vec<String>,
    },
    /// Print the least-privilege IAM policy a principal needs to run a runbook with these parameters: resources
    /// scoped from the parameters, `*` only where the run decides (and the steps that decide it named).
    /// `--plan-only` for `runbook plan`; `runbook policy NAME --help` lists its flags.
    #[command(disable_help_flag = true)]
    Policy {
        /// The runbook, then its parameters as flags.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "NAME [FLAGS]"
        )]
        args: Vec<String>,
    },
    /// Read the audit journals: list runs, show or verify one, or print its post-mortem timeline.
    Audit {
        #[command(subcommand)]
        command: commands::audit::AuditCommand,
    },
    /// Continue a run that failed, stopped at an approval gate, was interrupted or was killed.
    Resume(commands::resume::ResumeArgs),
    /// Remove a lock whose run is gone for good; journaled in the state dir's unlocks.jsonl.
    Unlock(commands::unlock::UnlockArgs),
    /// Run a runbook. `runbook run NAME --help` lists its parameters as flags.
    #[command(disable_help_flag = true)]
    Run {
        /// The runbook, then its parameters as flags.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "NAME [FLAGS]"
        )]
        args: Vec<String>,
    },
    /// Print the shell's completion script: subcommands, options, runbook names and each runbook's parameter flags.
    /// Bash: `source <(runbook completions bash)` in ~/.bashrc (README has the other shells).
    Completions {
        #[arg(value_enum)]
        shell: commands::completions::Shell,
    },
    /// Print the man page (roff): `runbook man > ~/.local/share/man/man1/runbook.1`.
    Man,
}

/// What every command needs to know about its surroundings.
pub struct Context {
    pub catalog: Catalog,
    /// Whether to color what goes to stderr.
    pub color: bool,
    /// `--state-dir` or `RUNBOOK_STATE_DIR`, when given.
    pub state_dir: Option<PathBuf>,
}

/// Parses the arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    commands::completions::answer_if_asked();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return parse_failed(&error),
    };
    let color = !cli.global.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal();
    let context = Context {
        catalog: Catalog::from_env(cli.global.dir.as_deref()),
        color,
        state_dir: cli.global.state_dir,
    };
    match cli.command {
        Command::Validate { paths, format } => commands::validate::run(&context, &paths, format),
        Command::List { format } => commands::list::run(&context, format),
        Command::Show { name } => commands::show::run(&context, &name),
        Command::Graph { name, format } => commands::graph::run(&context, &name, format),
        Command::Schema => commands::schema::run(),
        Command::Actions { name, format } => commands::actions::run(name.as_deref(), format),
        Command::Audit { command } => commands::audit::run(&context, command),
        Command::Resume(args) => commands::resume::run(&context, args),
        Command::Unlock(args) => commands::unlock::run(&context, args),
        Command::Run { args } => commands::run::run(&context, &args, commands::run::Verb::Run),
        Command::Policy { args } => commands::policy::run(&context, &args),
        Command::Plan { args } => commands::run::run(&context, &args, commands::run::Verb::Plan),
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Man => commands::man::run(),
    }
}

/// Prints what clap says about the arguments: `--help` and `--version` exit 0, a bad argument exits 2.
pub fn parse_failed(error: &clap::Error) -> i32 {
    let _ = error.print();
    if error.use_stderr() {
        exit::USAGE
    } else {
        exit::OK
    }
}

/// Writes text for people to stdout, control characters that came from input made visible (see
/// [`crate::foundation::terminal_text`]); a closed pipe (`runbook list | head`) ends the program quietly, as `cat` would.
pub fn print(text: &str) {
    write_stdout(&crate::foundation::terminal_text::block(text));
}

/// Writes JSON to stdout as it is: serde_json already escapes every control character a terminal acts on.
pub fn print_json(text: &str) {
    write_stdout(text);
}

/// One message to stderr, control characters that came from input made visible. What `eprintln!` would print;
/// use [`crate::say!`].
pub fn say(text: &str) {
    eprintln!("{}", crate::foundation::terminal_text::block(text));
}

/// `eprintln!` for messages that may carry input: the runbook's fields, parameters, AWS responses, file names.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::say(&format!($($arg)*))
    };
}

fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(exit::OK);
        }
        eprintln!("runbook: cannot write output: {error}");
        std::process::exit(exit::FAILED);
    }
}
