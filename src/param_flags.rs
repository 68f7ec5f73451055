//! A runbook's parameters as command-line flags: `restore_time` becomes `--restore-time`, typed and checked by the
//! same rules as defaults, with `--help` generated from the declarations.

use clap::{Arg, ArgAction, ArgMatches, Command};
use jiff::Timestamp;

use crate::language::param_value;
use crate::language::raw::ParamTypeName;
use crate::language::runbook::{Param, ParamDefault, Runbook};

/// The id under which a boolean's `--no-NAME` flag is stored.
pub fn negated_id(param: &Param) -> String {
    format!("no-{}", param.name)
}

/// Adds one flag per parameter to `command`.
pub fn add_flags(mut command: Command, runbook: &Runbook) -> Command {
    for param in &runbook.params {
        let ty = param.ty;
        let secret = param.secret;
        let constraints = param.constraints.clone();
        let mut help = param.description.clone().unwrap_or_default();
        if let Some(default) = &param.default {
            let shown = match default {
                _ if param.secret => "<secret>".to_string(),
                ParamDefault::Value(serde_json::Value::String(text)) => text.clone(),
                ParamDefault::Value(value) => value.to_string(),
                ParamDefault::Template(text) => text.source.clone(),
            };
            help.push_str(&format!(" [default: {shown}]"));
        }
        if !constraints.allowed.is_empty() {
            let allowed: Vec<String> = constraints
                .allowed
                .iter()
                .map(param_value::display_value)
                .collect();
            help.push_str(&format!(" [one of: {}]", allowed.join(", ")));
        }
        let mut arg = Arg::new(param.name.clone())
            .long(param.flag.clone())
            .value_name(ty.as_str().to_uppercase())
            .help(help.trim().to_string())
            .required(param.required)
            .env(format!("RUNBOOK_PARAM_{}", param.name.to_uppercase()))
            .hide_env(true)
            .value_parser(move |text: &str| {
                // clap quotes a refused value in its message; a secret one is checked in `resolve` instead.
                if secret {
                    Ok(serde_json::Value::String(text.to_string()))
                } else {
                    param_value::parse_cli(ty, &constraints, text)
                }
            });
        if matches!(ty, ParamTypeName::Integer | ParamTypeName::Number) {
            arg = arg.allow_negative_numbers(true);
        }
        if ty == ParamTypeName::Boolean {
            arg = arg
                .num_args(0..=1)
                .default_missing_value("true")
                .overrides_with(negated_id(param));
            command = command.arg(
                Arg::new(negated_id(param))
                    .long(format!("no-{}", param.flag))
                    .action(ArgAction::SetTrue)
                    .help(format!("Set --{} to false", param.flag))
                    .overrides_with(param.name.clone()),
            );
        }
        command = command.arg(arg);
    }
    command
}

/// A secret parameter's value as given: parsed and checked like any other, and at least
/// [`crate::foundation::secrets::MIN_LENGTH`] characters long; a refusal never shows the value.
pub fn secret_value(param: &Param, text: &str) -> Result<serde_json::Value, String> {
    let value = param_value::parse_cli(param.ty, &param.constraints, text).map_err(|_| {
        format!(
            "the value given is not a valid {} for this parameter (its type, pattern or bounds); it is not \
             shown because the parameter is secret",
            param_value::expected_name(param.ty)
        )
    })?;
    match crate::foundation::secrets::too_short(&value) {
        Some(reason) => Err(reason),
        None => Ok(value),
    }
}

/// An error in resolving parameters once parsed: a default template that fails or yields a bad value.
#[derive(Debug, thiserror::Error)]
#[error("parameter `{param}`: {message}")]
pub struct ParamError {
    pub param: String,
    pub message: String,
}

/// Parameter values in declaration order: the flag, else the default (templates rendered over earlier
/// parameters), else null. Relative datetimes are resolved against `now`, the run's start.
pub fn resolve(
    runbook: &Runbook,
    matches: &ArgMatches,
    now: Timestamp,
) -> Result<serde_json::Map<String, serde_json::Value>, ParamError> {
    param_value::resolve(
        &runbook.params,
        |param| {
            let given =
                if param.ty == ParamTypeName::Boolean && matches.get_flag(&negated_id(param)) {
                    Some(serde_json::Value::Bool(false))
                } else {
                    matches.get_one::<serde_json::Value>(&param.name).cloned()
                };
            match given {
                Some(serde_json::Value::String(text)) if param.secret => {
                    secret_value(param, &text).map(Some)
                }
                other => Ok(other),
            }
        },
        now,
    )
    .map_err(|(param, message)| ParamError { param, message })
}
