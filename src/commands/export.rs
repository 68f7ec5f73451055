//! `runbook export NAME --to step-functions`: prints the runbook as an Amazon States Language definition, or
//! every construct that has no faithful translation (exit 2). See [`crate::step_functions`] for what maps.

use clap::ValueEnum;

use crate::commands::exit::ExitStatus;
use crate::commands::output::print_json;
use crate::commands::{Context, load_named, print_diagnostics};
use crate::param_flags;
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
    /// The EventBridge connection `http.request` and `http.send` steps call their endpoint through (Step
    /// Functions' HTTP task): it holds the endpoint's credentials and is each account's own, so the runbook does
    /// not name it.
    #[arg(long, value_name = "ARN")]
    pub http_connection: Option<String>,
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
    /// The runbook's parameters as `runbook run` takes them (`--table orders`), after the options: their values
    /// become the definition's defaults (an execution's input still overrides them), and narrow the role policy.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PARAMS"
    )]
    pub params: Vec<String>,
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
    let defaults = match given_params(&runbook, &args.params) {
        Ok(defaults) => defaults,
        Err(code) => return code,
    };
    let options = Options {
        approval_topic: args.approval_topic.clone(),
        http_connection: args.http_connection.clone(),
        defaults,
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
                    .map(|param| {
                        let given = options.defaults.get(&param.name).cloned();
                        (param.name.clone(), given.unwrap_or(serde_json::Value::Null))
                    })
                    .collect();
                let policy = policy::build(
                    &runbook,
                    params,
                    args.region.as_deref().unwrap_or("*"),
                    args.account.as_deref().unwrap_or("*"),
                    false,
                    &engine,
                    policy::Inputs::EachExecution,
                );
                let mut document = policy.document();
                if let (Some(connection), Some(statements)) =
                    (&args.http_connection, document["Statement"].as_array_mut())
                {
                    statements.extend(step_functions::http_request::role_statements(
                        &runbook,
                        connection,
                        args.region.as_deref().unwrap_or("*"),
                        args.account.as_deref().unwrap_or("*"),
                    ));
                }
                serde_json::json!({"Definition": definition, "RolePolicy": document})
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

/// The parameters given on the command line, parsed and checked as `runbook run` does; only those given (a
/// default stays the runbook's, so a templated one is computed when the execution starts).
pub(super) fn given_params(
    runbook: &crate::language::runbook::Runbook,
    args: &[String],
) -> Result<serde_json::Map<String, serde_json::Value>, ExitStatus> {
    let mut command = param_flags::add_flags(
        clap::Command::new(format!("runbook export {}", runbook.name)).no_binary_name(true),
        runbook,
    );
    // A required parameter the export leaves out is given by each execution's input.
    for param in runbook.params.iter().filter(|p| p.required) {
        command = command.mut_arg(&param.name, |arg| arg.required(false));
    }
    let matches = command
        .try_get_matches_from(args)
        .map_err(|error| crate::commands::output::parse_failed(&error))?;
    let resolved =
        param_flags::resolve(runbook, &matches, jiff::Timestamp::now()).map_err(|error| {
            crate::say!("runbook export: {error}");
            ExitStatus::Usage
        })?;
    let mut given = serde_json::Map::new();
    for param in &runbook.params {
        let on_command_line = |id: &str| {
            matches!(
                matches.value_source(id),
                Some(clap::parser::ValueSource::CommandLine)
            )
        };
        let negated = param.ty == crate::language::raw::ParamTypeName::Boolean
            && on_command_line(&param_flags::negated_id(param));
        if !on_command_line(&param.name) && !negated {
            continue;
        }
        if param.secret {
            crate::say!(
                "runbook export: --{} is secret, and a default is written into the definition for anyone who can read it; give it in each execution's input",
                param.flag
            );
            return Err(ExitStatus::Usage);
        }
        if let Some(value) = resolved.get(&param.name) {
            given.insert(param.name.clone(), value.clone());
        }
    }
    Ok(given)
}
