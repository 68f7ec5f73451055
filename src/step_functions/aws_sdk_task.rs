//! The Task state that calls one AWS API through Step Functions' AWS SDK integration, as the composite expansions
//! (message moves, Iceberg) write each of their calls: JSONata `Arguments`, what it keeps of the result in `Assign`,
//! and the state after it. Retries, catches and the role's policy are added to it afterwards, as to every task.

use serde_json::{Map, Value, json};

use super::jsonata_field;

/// A Task calling `action` (`service:apiAction`, as in `sqs:receiveMessage`) with the JSONata `arguments`, assigning
/// each of `assign`'s variables its JSONata expression over `$states.result`, then going on to `next`.
pub(super) fn aws_sdk_task(
    action: &str,
    arguments: &str,
    assign: &[(&str, &str)],
    next: &str,
) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": format!("arn:aws:states:::aws-sdk:{action}"),
        "Arguments": jsonata_field(arguments),
    });
    if !assign.is_empty() {
        let variables: Map<String, Value> = assign
            .iter()
            .map(|(variable, expression)| (variable.to_string(), jsonata_field(expression)))
            .collect();
        task["Assign"] = Value::Object(variables);
    }
    task["Next"] = json!(next);
    task
}

/// `task` with `comment` (why the call is made) as its `Comment`.
pub(super) fn commented(comment: &str, mut task: Value) -> Value {
    task["Comment"] = json!(comment);
    task
}
