//! `runbook export NAME --to step-functions`: prints the runbook as an Amazon States Language definition, or
//! every construct that has no faithful translation (exit 2). See [`crate::step_functions`] for what maps.

use clap::ValueEnum;

use crate::commands::exit::ExitStatus;
use crate::commands::output::print_json;
use crate::commands::{Context, load_named, print_diagnostics};
use crate::step_functions::{self, Options};

/// Where a runbook can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// AWS Step Functions (a JSONPath state machine definition).
    StepFunctions,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The runbook.
    pub name: String,
    #[arg(long, value_enum)]
    pub to: Target,
    /// The SNS topic approval gates publish their prompt and task token to.
    #[arg(long, value_name = "ARN")]
    pub approval_topic: Option<String>,
}

pub fn run(context: &Context, args: &ExportArgs) -> ExitStatus {
    let runbook = match load_named(context, &args.name) {
        Ok(runbook) => runbook,
        Err(code) => return code,
    };
    let Target::StepFunctions = args.to;
    let options = Options {
        approval_topic: args.approval_topic.clone(),
    };
    match step_functions::export(&runbook, &options) {
        Ok(definition) => {
            let mut text =
                serde_json::to_string_pretty(&definition).expect("JSON values serialize");
            text.push('\n');
            print_json(&text);
            ExitStatus::Ok
        }
        Err(diagnostics) => {
            print_diagnostics(context, &diagnostics);
            ExitStatus::Usage
        }
    }
}
