//! `for_each` as an inline Map: one iteration per item, at most `concurrency` at once, each running the step's
//! action (its pages, its polling, its checks) with `item` and `loop` defined; the step's `output` and each
//! declared output are the lists of the items' own, in item order, as the engine gives them. A failed item fails
//! the Map, and the other iterations stop, as no item starts after a failure in the engine.

use serde_json::{Value, json};

use super::{Export, Failure, Place, carried, catch, jsonata_field, literal};
use crate::language::runbook::{ActionStep, Step};

impl Export<'_> {
    pub(super) fn for_each(
        &mut self,
        step: &Step,
        action: &ActionStep,
        next: &str,
        failure: &Failure,
    ) {
        let Some(for_each) = &step.for_each else {
            return;
        };
        let items = self.expression("`for_each`", &for_each.items, &carried(self.variables));
        let place = Place {
            step,
            name: format!("{}.each", step.id),
            item: true,
            failure: Failure::Fail,
            variables: self.variables,
        };
        let outer = std::mem::take(&mut self.states);
        let done = format!("{}.done", place.name);
        self.action(action, &place, &done);
        let entry = super::action_entry(&place.name, action);
        let outputs = self.outputs(action, &place.scope().bind("output", place.output()));
        let mut inner = std::mem::replace(&mut self.states, outer);
        let (Some(items), Some(outputs)) = (items, outputs) else {
            return;
        };
        let start = format!("{}.item", place.name);
        inner.insert(
            start.clone(),
            json!({
                "Type": "Pass",
                "Assign": {
                    "item": jsonata_field("$states.input.item"),
                    "loop": jsonata_field("($i := $states.input.index0; $n := $states.input.length; {\"index0\": $i, \"index\": $i + 1, \"length\": $n, \"first\": $i = 0, \"last\": $i + 1 = $n})"),
                },
                "Next": entry,
            }),
        );
        inner.insert(
            done,
            json!({
                "Type": "Pass",
                "Output": jsonata_field(&format!("{{\"output\": $result, \"outputs\": {{{}}}}}", outputs.join(", "))),
                "End": true,
            }),
        );
        let mut fields = vec![format!("\"output\": {}", each("$i.output"))];
        for (name, _) in &action.outputs {
            fields.push(format!(
                "{}: {}",
                literal(&json!(name)),
                each(&format!("$lookup($i.outputs, {})", literal(&json!(name))))
            ));
        }
        let record = format!(
            "($r := $states.result; $merge([${}, {{{}: {{\"status\": \"succeeded\", {}}}}}]))",
            self.variables.steps(),
            literal(&json!(super::local_id(&step.id))),
            fields.join(", ")
        );
        let mut map = json!({
            "Type": "Map",
            "Items": jsonata_field(&items),
            "MaxConcurrency": for_each.concurrency.max(1),
            "ItemSelector": {
                "item": jsonata_field("$states.context.Map.Item.Value"),
                "index0": jsonata_field("$states.context.Map.Item.Index"),
                "length": jsonata_field(&format!("$count({items})")),
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": start,
                "States": Value::Object(inner),
            },
            "Assign": {self.variables.steps(): jsonata_field(&record)},
            "Next": next,
        });
        if let Some(catch) = catch(&self.variables.steps(), &step.id, failure) {
            map["Catch"] = catch;
        }
        self.states.insert(step.id.clone(), map);
    }
}

/// The list of one value of each iteration's result (`$r`), `of_item` reading it from one (`$i`): one entry per
/// item, `null` where an item has none, and a list kept as one entry (a JSONata path would flatten it).
fn each(of_item: &str) -> String {
    format!(
        "$reduce($r, function($a, $i) {{ ($v := {of_item}; $append($a, $exists($v) ? ($type($v) = \"array\" ? [[$v]] : [$v]) : [null])) }}, [])"
    )
}
