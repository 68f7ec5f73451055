//! `runbook approve TOKEN` and `runbook reject TOKEN`: answer an approval gate of a runbook running on AWS Step
//! Functions (the task token comes in the gate's SNS message). Approving is SendTaskSuccess with who answered
//! (the OS user, the host and the AWS caller identity) as the task's output; rejecting is SendTaskFailure with the
//! error `runbook.Refused` and who refused, and why, as its cause. Both land in the execution's history, so the
//! journal `run --on step-functions` writes names them.

use serde_json::{Value, json};

use crate::aws::Aws;
use crate::commands::exit::ExitStatus;
use crate::commands::output::print;
use crate::commands::recorded;
use crate::commands::state_machine::{self, AwsArgs};
use crate::step_functions::history::REFUSED_ERROR;

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The task token, as the gate's message gives it.
    pub token: String,
    /// A note kept with the approval (in the execution's history and the run's journal).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// The task token, as the gate's message gives it.
    pub token: String,
    /// Why the gate is refused (in the execution's history and the run's journal).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn approve(args: &ApproveArgs) -> ExitStatus {
    state_machine::runtime().block_on(answer(
        &args.token,
        &args.aws,
        Answer::Approve(args.comment.clone()),
    ))
}

pub fn reject(args: &RejectArgs) -> ExitStatus {
    state_machine::runtime().block_on(answer(
        &args.token,
        &args.aws,
        Answer::Reject(args.reason.clone()),
    ))
}

enum Answer {
    Approve(Option<String>),
    Reject(Option<String>),
}

impl Answer {
    fn verb(&self) -> &'static str {
        match self {
            Answer::Approve(_) => "approve",
            Answer::Reject(_) => "reject",
        }
    }
}

async fn answer(token: &str, aws_args: &AwsArgs, answer: Answer) -> ExitStatus {
    let verb = answer.verb();
    let token = token.trim();
    if token.is_empty() {
        crate::say!("runbook {verb}: the task token is empty; copy it from the gate's message");
        return ExitStatus::Usage;
    }
    let aws = match Aws::load(&aws_args.settings()).await {
        Ok(aws) => aws,
        Err(error) => {
            crate::say!("runbook {verb}: {error}");
            return ExitStatus::Usage;
        }
    };
    let operator = recorded::operator(Some(&aws)).await;
    let by = operator.to_string();
    let how = format!("runbook {verb}");
    let (op, input, said) = match &answer {
        Answer::Approve(comment) => {
            let mut output = json!({
                "approved_by": by,
                "how": how,
                "os_user": operator.os_user,
                "aws_principal": operator.aws_principal,
            });
            if let Some(comment) = comment {
                output["comment"] = Value::String(comment.clone());
            }
            (
                &crate::aws::sfn::SEND_TASK_SUCCESS,
                json!({"taskToken": token, "output": output.to_string()}),
                format!("approved by {by}"),
            )
        }
        Answer::Reject(reason) => {
            let cause = match reason {
                Some(reason) => format!("refused by {by} ({how}): {reason}"),
                None => format!("refused by {by} ({how})"),
            };
            (
                &crate::aws::sfn::SEND_TASK_FAILURE,
                json!({"taskToken": token, "error": REFUSED_ERROR, "cause": cause}),
                cause,
            )
        }
    };
    match state_machine::call(&aws, op, input).await {
        Ok(_) => {
            print(&format!("{said}\n"));
            ExitStatus::Ok
        }
        Err(error) => {
            let hint = match error.code.as_str() {
                "InvalidToken" | "TaskDoesNotExist" => {
                    "the token is not one a waiting gate gave out: copy it whole from the gate's message"
                }
                "TaskTimedOut" => {
                    "the gate timed out or was already answered; its execution has moved on"
                }
                _ => "",
            };
            crate::say!("runbook {verb}: Step Functions did not take the answer: {error}");
            if hint.is_empty() {
                ExitStatus::Failed
            } else {
                crate::say!("  = hint: {hint}");
                ExitStatus::Usage
            }
        }
    }
}
