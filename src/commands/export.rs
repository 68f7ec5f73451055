//! `runbook export NAME --to step-functions`: prints the runbook as an Amazon States Language definition, or
//! every construct that has no faithful translation (exit 2). See [`crate::step_functions`] for what maps.

use clap::ValueEnum;

use crate::commands::exit::ExitStatus;
use crate::commands::output::print_json;
use crate::commands::{Context, load_named, print_diagnostics};
use crate::policy::{self, EngineNeeds};
use crate::step_functions::{self, Options};

/// Where a runbook can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// AWS Step Functions (a JSONata state machine definition).
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
    /// json, or yaml (the same definition as block YAML).
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Print `{Definition, RolePolicy}`: the definition and the IAM policy the state machine's role needs (each
    /// step's IAM actions on its resources, and publishing to the approval topic).
    #[arg(long)]
    pub with_role: bool,
    /// The region in the role policy's ARNs (`*` when not given).
    #[arg(long, requires = "with_role")]
    pub region: Option<String>,
    /// The account in the role policy's ARNs (`*` when not given).
    #[arg(long, requires = "with_role")]
    pub account: Option<String>,
}

/// How the definition is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Yaml,
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
            let document = if args.with_role {
                let engine = EngineNeeds {
                    notify: args.approval_topic.clone().map(Some),
                    ..EngineNeeds::default()
                };
                let params = runbook
                    .params
                    .iter()
                    .map(|param| (param.name.clone(), serde_json::Value::Null))
                    .collect();
                let policy = policy::build(
                    &runbook,
                    params,
                    args.region.as_deref().unwrap_or("*"),
                    args.account.as_deref().unwrap_or("*"),
                    false,
                    &engine,
                );
                serde_json::json!({"Definition": definition, "RolePolicy": policy.document()})
            } else {
                definition
            };
            let text = match args.format {
                Format::Json => {
                    let mut text =
                        serde_json::to_string_pretty(&document).expect("JSON values serialize");
                    text.push('\n');
                    text
                }
                Format::Yaml => crate::foundation::yaml_text::to_yaml(&document),
            };
            print_json(&text);
            ExitStatus::Ok
        }
        Err(diagnostics) => {
            print_diagnostics(context, &diagnostics);
            ExitStatus::Usage
        }
    }
}
