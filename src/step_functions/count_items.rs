//! `dynamodb.count_items` expanded: `Select: COUNT` pages of a Query (with a key condition) or a Scan, followed
//! through `LastEvaluatedKey` and summed into `{Count, ScannedCount, Pages}`, as the composite does.

use serde_json::{Value, json};

use super::{Export, Place, jsonata_field};
use crate::language::runbook::ActionStep;

impl Export<'_> {
    /// The states of a count, entered at `<name>.count.start`, going on to `next`.
    pub(super) fn count_items(
        &mut self,
        action: &ActionStep,
        place: &Place,
        next: &str,
    ) -> Option<String> {
        let name = &place.name;
        // Not `count`: a variable of that name would hide JSONata's `$count()`.
        let variable = place.variable("counted");
        let count = format!("${variable}");
        let operation = if action.with.get("KeyConditionExpression").is_some() {
            "query"
        } else {
            "scan"
        };
        let with =
            self.templated_expression("`with`", &action.with, place.step.span, &place.scope());
        let keep = self.keep_result(
            action,
            place,
            &format!("{{\"Count\": {count}.Count, \"ScannedCount\": {count}.ScannedCount, \"Pages\": {count}.Pages}}"),
        );
        let (with, keep) = (with?, keep?);
        let start = format!("{name}.count.start");
        let more = format!("{name}.count");
        let counted = format!("{name}.counted");
        self.states.insert(
            start.clone(),
            json!({
                "Type": "Pass",
                "Assign": {variable.clone(): {"Count": 0, "ScannedCount": 0, "Pages": 0, "key": null}},
                "Next": name,
            }),
        );
        let mut task = json!({
            "Type": "Task",
            "Resource": format!("arn:aws:states:::aws-sdk:dynamodb:{operation}"),
            "Arguments": jsonata_field(&format!(
                "$merge([{with}, {{\"Select\": \"COUNT\"}}, {count}.key = null ? {{}} : {{\"ExclusiveStartKey\": {count}.key}}])"
            )),
            "Assign": {variable: jsonata_field(&format!(
                "($r := $states.result; {{\"Count\": {count}.Count + $r.Count, \"ScannedCount\": {count}.ScannedCount + $r.ScannedCount, \"Pages\": {count}.Pages + 1, \"key\": $exists($r.LastEvaluatedKey) ? $r.LastEvaluatedKey : null}})"
            ))},
            "Next": more,
        });
        self.task_policies(&mut task, action, "dynamodb", place);
        self.states.insert(name.clone(), task);
        self.states.insert(
            more,
            json!({
                "Type": "Choice",
                "Choices": [{
                    "Condition": jsonata_field(&format!("$type({count}.key) = \"object\" and $count($keys({count}.key)) > 0")),
                    "Next": name,
                }],
                "Default": counted,
            }),
        );
        self.states.insert(
            counted,
            json!({"Type": "Pass", "Assign": Value::Object(keep), "Next": next}),
        );
        Some(start)
    }
}
