//! `runbook deploy NAME --to step-functions --role-arn ARN`: exports the runbook and creates the state machine
//! named after it, or updates the one that exists. Idempotent: a state machine whose definition and role already
//! are what the export gives is left alone, and said to be. A change is shown first (the definition, old -> new,
//! and the role) and, being a write, confirmed as a run's writes are: `--yes`, else `yes` typed on a terminal.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::{Value, json};

use crate::aws::{self, Aws};
use crate::commands::exit::ExitStatus;
use crate::commands::export::Target;
use crate::commands::output::print;
use crate::commands::state_machine::{self, AwsArgs};
use crate::commands::{Context, load_named, print_diagnostics};
use crate::step_functions::{self, Options};

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The runbook; the state machine takes its name.
    pub name: String,
    #[arg(long, value_enum)]
    pub to: Target,
    /// The IAM role the state machine runs as (`runbook export --with-role` prints the policy it needs).
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// The SNS topic approval gates publish their prompt and task token to.
    #[arg(long, value_name = "ARN")]
    pub approval_topic: Option<String>,
    /// The EventBridge connection `http.request` and `http.send` steps call their endpoint through (Step
    /// Functions' HTTP task): it holds the endpoint's credentials and is each account's own, so the runbook does
    /// not name it.
    #[arg(long, value_name = "ARN")]
    pub http_connection: Option<String>,
    /// Create or update without asking (needed off a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The runbook's parameters as `runbook run` takes them (`--function orders-api`), after the options: their
    /// values become the deployed definition's defaults (an execution's input still overrides them).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PARAMS"
    )]
    pub params: Vec<String>,
}

pub fn run(context: &Context, args: &DeployArgs) -> ExitStatus {
    let runbook = match load_named(context, &args.name) {
        Ok(runbook) => runbook,
        Err(code) => return code,
    };
    let Target::StepFunctions = args.to;
    let defaults = match crate::commands::export::given_params(&runbook, &args.params) {
        Ok(defaults) => defaults,
        Err(code) => return code,
    };
    let options = Options {
        approval_topic: args.approval_topic.clone(),
        http_connection: args.http_connection.clone(),
        defaults,
    };
    let mut definition = match step_functions::export(&runbook, &options) {
        Ok(definition) => definition,
        Err(diagnostics) => {
            print_diagnostics(context, &diagnostics);
            return ExitStatus::Usage;
        }
    };
    state_machine::mark(&mut definition, &runbook);
    state_machine::runtime().block_on(deploy(&runbook.name, &definition, args))
}

async fn deploy(name: &str, definition: &Value, args: &DeployArgs) -> ExitStatus {
    let aws = match Aws::load(&args.aws.settings()).await {
        Ok(aws) => aws,
        Err(error) => {
            crate::say!("runbook deploy: {error}");
            return ExitStatus::Usage;
        }
    };
    let failed = |error: aws::CallError| {
        crate::say!("runbook deploy: {error}");
        ExitStatus::Failed
    };
    let existing = match state_machine::find(&aws, name).await {
        Ok(existing) => existing,
        Err(error) => return failed(error),
    };
    let deployed = match &existing {
        Some(arn) => {
            match state_machine::call(
                &aws,
                &aws::sfn::DESCRIBE_STATE_MACHINE,
                json!({"stateMachineArn": arn}),
            )
            .await
            {
                Ok(described) => Some(described),
                Err(error) => return failed(error),
            }
        }
        None => None,
    };
    let new_text = pretty(definition);
    let old_definition = deployed.as_ref().map(|described| {
        let text = described["definition"].as_str().unwrap_or_default();
        serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_string()))
    });
    let old_role = deployed
        .as_ref()
        .and_then(|described| described["roleArn"].as_str())
        .map(str::to_string);
    if let (Some(arn), Some(old)) = (&existing, &old_definition)
        && old == definition
        && old_role.as_deref() == Some(args.role_arn.as_str())
    {
        print(&format!(
            "state machine {name} is up to date ({arn}): its definition and role are the export's; nothing to do\n"
        ));
        return ExitStatus::Ok;
    }

    let old_text = old_definition.as_ref().map(pretty).unwrap_or_default();
    let what = match &existing {
        Some(arn) => format!("update state machine {name} ({arn})"),
        None => format!("create state machine {name}"),
    };
    let mut shown = format!("runbook deploy: {what}\n");
    if old_role.as_deref() != Some(args.role_arn.as_str()) {
        shown.push_str(&format!(
            "  role: {} -> {}\n",
            old_role.as_deref().unwrap_or("(none)"),
            args.role_arn
        ));
    }
    if old_text != new_text {
        shown.push_str("  definition (- deployed, + export):\n");
        shown.push_str(&changed_lines(&old_text, &new_text));
        shown.push('\n');
    }
    eprint!("{}", crate::foundation::terminal_text::block(&shown));
    if !args.yes
        && let Err(refused) = confirmed(name)
    {
        return refused;
    }

    let definition_text = definition.to_string();
    let result = match &existing {
        Some(arn) => state_machine::call(
            &aws,
            &aws::sfn::UPDATE_STATE_MACHINE,
            json!({"stateMachineArn": arn, "definition": definition_text, "roleArn": args.role_arn}),
        )
        .await
        .map(|_| format!("updated state machine {name} ({arn})")),
        None => state_machine::call(
            &aws,
            &aws::sfn::CREATE_STATE_MACHINE,
            json!({"name": name, "definition": definition_text, "roleArn": args.role_arn}),
        )
        .await
        .map(|created| {
            format!(
                "created state machine {name} ({})",
                created["stateMachineArn"].as_str().unwrap_or_default()
            )
        }),
    };
    match result {
        Ok(said) => {
            print(&format!("{said}\n"));
            ExitStatus::Ok
        }
        Err(error) => failed(error),
    }
}

fn pretty(definition: &Value) -> String {
    serde_json::to_string_pretty(definition).expect("JSON values serialize")
}

/// Asks on a terminal, as a run's writes are confirmed: exit 4 when not confirmed there; off a terminal without
/// `--yes`, exit 2 (as `runbook run` does). Nothing is changed either way.
fn confirmed(name: &str) -> Result<(), ExitStatus> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        crate::say!(
            "runbook deploy: changing state machine {name} is a write; pass --yes to deploy without a terminal"
        );
        return Err(ExitStatus::Usage);
    }
    eprint!("\nDeploy {name}? Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() != "yes" {
        crate::say!("runbook deploy: not confirmed; nothing was changed");
        return Err(ExitStatus::Declined);
    }
    Ok(())
}

/// The line diff of two texts, only the changed lines and three lines around each.
fn changed_lines(old: &str, new: &str) -> String {
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    let full = crate::test_runner::verdict::diff(&lines(old), &lines(new));
    let rows: Vec<&str> = full.lines().collect();
    let changed: Vec<bool> = rows
        .iter()
        .map(|row| row.starts_with("    -") || row.starts_with("    +"))
        .collect();
    let near = |index: usize| {
        let from = index.saturating_sub(3);
        let to = (index + 3).min(rows.len().saturating_sub(1));
        (from..=to).any(|i| changed[i])
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (index, row) in rows.iter().enumerate() {
        if near(index) {
            out.push(row.to_string());
            skipped = false;
        } else if !skipped {
            out.push("      ...".to_string());
            skipped = true;
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::changed_lines;

    #[test]
    fn only_changed_lines_and_their_surroundings_are_shown() {
        let old: String = (1..=20).map(|n| format!("line {n}\n")).collect();
        let new = old.replace("line 10\n", "line ten\n");
        let shown = changed_lines(&old, &new);
        assert!(shown.contains("    - line 10"), "{shown}");
        assert!(shown.contains("    + line ten"), "{shown}");
        assert!(shown.contains("      line 7"), "{shown}");
        assert!(!shown.contains("line 2\n"), "{shown}");
        assert!(shown.starts_with("      ..."), "{shown}");
    }
}
