//! What `deploy`, `run --on step-functions`, `approve` and `reject` share: where AWS is, one Step Functions call
//! and the state machine a runbook is deployed as (named after the runbook).

use serde_json::{Map, Value};

use crate::aws::{self, Aws, AwsOp, AwsSettings, CallError};
use crate::language::runbook::Runbook;

/// `--profile`, `--region` and `--endpoint-url`, each falling back to the SDK's standard chain.
#[derive(Debug, Default, clap::Args)]
pub struct AwsArgs {
    /// AWS profile from the shared config files.
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region (default: AWS_REGION, then the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call here (LocalStack, moto); AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

/// One call with `input` (a JSON object); the answer's body.
pub async fn call(aws: &Aws, op: &AwsOp, input: Value) -> Result<Value, CallError> {
    let input = match input {
        Value::Object(members) => members,
        _ => Map::new(),
    };
    aws::call(aws, op, input, true)
        .await
        .map(|reply| reply.output)
}

/// The ARN of the state machine called `name`, if there is one (ListStateMachines, every page).
pub async fn find(aws: &Aws, name: &str) -> Result<Option<String>, CallError> {
    let mut token: Option<String> = None;
    loop {
        let mut input = serde_json::json!({"maxResults": 1000});
        if let Some(token) = &token {
            input["nextToken"] = Value::String(token.clone());
        }
        let page = call(aws, &aws::sfn::LIST_STATE_MACHINES, input).await?;
        let found = page["stateMachines"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|machine| machine["name"] == name)
            .and_then(|machine| machine["stateMachineArn"].as_str());
        if let Some(arn) = found {
            return Ok(Some(arn.to_string()));
        }
        match page["nextToken"].as_str() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(None),
        }
    }
}

/// Marks a definition with the runbook it was exported from (the SHA-256 `resume` compares too), in its
/// `Comment`: a run on Step Functions checks it, so that its journal cannot name one runbook while AWS ran another.
pub fn mark(definition: &mut Value, runbook: &Runbook) {
    let (_, sha256) = crate::commands::recorded::fingerprint(runbook);
    let comment = definition["Comment"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    definition["Comment"] = Value::String(format!("{comment} [{}]", marker(&sha256)));
}

/// Whether a deployed definition carries the mark of `runbook` as it is now.
pub fn marked_with(definition: &Value, runbook: &Runbook) -> bool {
    let (_, sha256) = crate::commands::recorded::fingerprint(runbook);
    definition["Comment"]
        .as_str()
        .is_some_and(|comment| comment.contains(&marker(&sha256)))
}

fn marker(sha256: &str) -> String {
    format!("runbook sha256 {sha256}")
}

/// A tokio runtime for one command.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
