//! Layer 7, the command line: parsing and dispatch only. Each command owns its work and its exit status
//! ([`crate::commands`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::output::{GraphFormat, TextOrJson};
use crate::commands::{self, Context, ExitStatus};
use crate::language::catalog::Catalog;

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
    /// Print the JSON Schema of the runbook format (`--tests`: of test files, NAME.test.yaml).
    Schema {
        /// The schema of test files instead.
        #[arg(long)]
        tests: bool,
    },
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
    /// Print a runbook as an AWS Step Functions state machine (Amazon States Language, JSONPath), or every
    /// construct that has no faithful translation, each at its file:line:col with the reason (exit 2).
    Export(commands::export::ExportArgs),
    /// Create or update the runbook's state machine on AWS Step Functions (named after the runbook) from its
    /// export: a no-op when the deployed definition and role are the export's, else the diff (old -> new) shown
    /// and confirmed like any write (`--yes`, or `yes` on a terminal).
    Deploy(commands::deploy::DeployArgs),
    /// Approve a gate of a run on Step Functions: SendTaskSuccess with the task token from the gate's message,
    /// recording who approved (OS user, host, AWS caller identity).
    Approve(commands::answer::ApproveArgs),
    /// Refuse a gate of a run on Step Functions: SendTaskFailure (error runbook.Refused) with the task token,
    /// recording who refused and why; the run ends refused (exit 6).
    Reject(commands::answer::RejectArgs),
    /// Run runbooks' unit tests offline: the cases of NAME.test.yaml beside each NAME.yaml (every runbook found
    /// that has one, or those named), each a run of the engine against scripted AWS answers on a paused clock.
    /// One line per case, a diff of expected and actual requests for each failure, then `N passed, N failed`;
    /// exit 1 when a case fails, 2 when a runbook or test file is invalid.
    Test {
        /// Runbooks to test (default: every runbook with a test file).
        names: Vec<String>,
        /// Print a real run's journal as a test case instead (its answers, decisions and results; secrets
        /// redacted): `runbook test --record last >> runbooks/NAME.test.yaml`.
        #[arg(long, value_name = "RUN_ID", conflicts_with = "names")]
        record: Option<String>,
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

/// Parses the arguments, runs the command and returns the process's exit code.
pub fn main() -> i32 {
    dispatch().code()
}

fn dispatch() -> ExitStatus {
    commands::completions::answer_if_asked(Cli::command);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return commands::output::parse_failed(&error),
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
        Command::Schema { tests } => commands::schema::run(tests),
        Command::Actions { name, format } => commands::actions::run(name.as_deref(), format),
        Command::Audit { command } => commands::audit::run(&context, command),
        Command::Resume(args) => commands::resume::run(&context, args),
        Command::Unlock(args) => commands::unlock::run(&context, args),
        Command::Run { args } => commands::run::run(&context, &args, commands::run::Verb::Run),
        Command::Policy { args } => commands::policy::run(&context, &args),
        Command::Plan { args } => commands::run::run(&context, &args, commands::run::Verb::Plan),
        Command::Export(args) => commands::export::run(&context, &args),
        Command::Deploy(args) => commands::deploy::run(&context, &args),
        Command::Approve(args) => commands::answer::approve(&args),
        Command::Reject(args) => commands::answer::reject(&args),
        Command::Test { names, record } => match record {
            Some(run) => commands::test::record(&context, &run),
            None => commands::test::run(&context, &names),
        },
        Command::Completions { shell } => commands::completions::run(shell),
        Command::Man => commands::man::run(Cli::command()),
    }
}
