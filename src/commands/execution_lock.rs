//! The lock a run on Step Functions honours: Step Functions has none of its own, so before an execution starts,
//! the running executions of the same state machine are read back (ListExecutions, every page; DescribeExecution
//! for the parameters each was started with) and each one's lock keys are rendered as its local run would have
//! taken them. A key in common refuses the start, as a held lock refuses a local run.
//!
//! What this does not guard: two starts in the same instant both find the other not running yet; and a local run
//! and a run on Step Functions do not see each other (the local lock lives in the state dir or the lock table).

use serde_json::{Map, Value, json};

use crate::aws::{self, Aws};
use crate::commands::state_machine;
use crate::engine;
use crate::language::runbook::Runbook;

/// A running execution that holds one of the keys the new run would take.
pub struct Holder {
    pub key: String,
    pub name: String,
    pub arn: String,
    pub started: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lock `{}` is held by execution {} on Step Functions, running since {}; see it with `aws stepfunctions \
             describe-execution --execution-arn {}` (its gate, if it waits at one, is answered with `runbook approve` \
             or `runbook reject`); wait for it to end, or stop it",
            self.key, self.name, self.started, self.arn
        )
    }
}

/// The first running execution of `machine` whose lock keys meet `keys`, if any.
pub async fn holder(
    aws: &Aws,
    machine: &str,
    runbook: &Runbook,
    keys: &[String],
) -> Result<Option<Holder>, aws::CallError> {
    for execution in running(aws, machine).await? {
        let arn = execution["executionArn"].as_str().unwrap_or_default();
        let described = state_machine::call(
            aws,
            &aws::sfn::DESCRIBE_EXECUTION,
            json!({"executionArn": arn}),
        )
        .await?;
        if described["status"]
            .as_str()
            .is_some_and(|status| status != "RUNNING")
        {
            continue;
        }
        let name = execution["name"].as_str().unwrap_or_default().to_string();
        let started = start_time(&execution["startDate"]);
        let params: Map<String, Value> = described["input"]
            .as_str()
            .and_then(|input| serde_json::from_str(input).ok())
            .unwrap_or_default();
        // An execution whose keys cannot be rendered (started by hand with other input) may be on the same
        // target: it is taken to hold the run's own key rather than let two runs meet.
        let theirs = engine::render_lock_keys(
            runbook,
            &params,
            &name,
            started.unwrap_or_else(jiff::Timestamp::now),
        )
        .unwrap_or_else(|_| keys[..1].to_vec());
        if let Some(key) = keys.iter().find(|key| theirs.contains(key)) {
            return Ok(Some(Holder {
                key: key.clone(),
                name,
                arn: arn.to_string(),
                started: started.map_or_else(|| "an unknown time".into(), |at| at.to_string()),
            }));
        }
    }
    Ok(None)
}

/// Every RUNNING execution of `machine` (ListExecutions, every page).
async fn running(aws: &Aws, machine: &str) -> Result<Vec<Value>, aws::CallError> {
    let mut executions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input =
            json!({"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1000});
        if let Some(token) = &token {
            input["nextToken"] = Value::String(token.clone());
        }
        let mut page = state_machine::call(aws, &aws::sfn::LIST_EXECUTIONS, input).await?;
        if let Value::Array(found) = page["executions"].take() {
            executions.extend(
                found.into_iter().filter(|execution| {
                    execution["status"].as_str().is_none_or(|s| s == "RUNNING")
                }),
            );
        }
        match page["nextToken"].as_str() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(executions),
        }
    }
}

/// Step Functions' JSON gives times as epoch seconds (with a fraction).
fn start_time(value: &Value) -> Option<jiff::Timestamp> {
    let seconds = value.as_f64()?;
    jiff::Timestamp::from_millisecond((seconds * 1000.0) as i64).ok()
}
