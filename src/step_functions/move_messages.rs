//! `sqs.move_messages` expanded: receive, filter, SendMessageBatch, DeleteMessageBatch of exactly the messages
//! the destination accepted, as the composite does, until `MaxMessages` moved or a receive finds nothing new; then
//! the skipped messages are made visible again. Its output has the composite's members.
//!
//! One receive loop, whatever `Pollers` says: pollers only share the same work out, so the messages moved and
//! the counts are those of one poller, more slowly. `RatePerSecond` holds as a bound: after a batch the loop
//! waits its share (moved / rate) rounded up to whole seconds, so it moves no faster than the engine, sometimes
//! slower. A `Filter` written in the runbook is translated to JSONata; one that is a template (given only when
//! the run starts) cannot be, so an execution given one fails before receiving anything, saying so. Batches are
//! not split by size: a batch over SendMessageBatch's size limit fails the step (the engine splits it).

use serde_json::{Value, json};

use super::aws_sdk_task::{aws_sdk_task, commented};
use super::{Export, Place, jsonata_field, literal};
use crate::foundation::template::is_template;
use crate::language::runbook::{ActionStep, Text};

impl Export<'_> {
    /// The states of a move, entered at `<name>.move.start`, going on to `next`.
    pub(super) fn move_messages(
        &mut self,
        action: &ActionStep,
        place: &Place,
        next: &str,
    ) -> Option<String> {
        let n = &place.name;
        let variable = place.variable("move");
        let m = format!("${variable}");
        let mut with = action.with.clone();
        let filter = with.as_object_mut().and_then(|with| with.remove("Filter"));
        let filter = match filter {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(source)) if is_template(&source) => {
                Some(Some(Filter::AtRunTime(source)))
            }
            Some(Value::String(source)) => {
                let text = Text {
                    source,
                    span: place.step.span,
                };
                self.condition(
                    "`Filter`",
                    &text,
                    &place.scope().bind("message", "$message"),
                    false,
                )
                .map(|translated| Some(Filter::Translated(translated)))
            }
            Some(other) => {
                self.refuse(
                    "`Filter`",
                    format!("an expression is a string, not {other}"),
                    place.step.span,
                );
                None
            }
        };
        let args = self.templated_expression("`with`", &with, place.step.span, &place.scope());
        let runtime_filter = match &filter {
            Some(Some(Filter::AtRunTime(source))) => {
                let text = Text {
                    source: source.clone(),
                    span: place.step.span,
                };
                self.template("`Filter`", &text, &place.scope())
            }
            _ => Some("null".into()),
        };
        let output = format!(
            "{{\"Moved\": {m}.moved, \"Received\": {m}.received, \"Skipped\": {m}.skipped, \"Failed\": {m}.failed, \"NotDeleted\": {m}.not_deleted, \"Duplicates\": {m}.duplicates, \"Receives\": {m}.receives, \"Seconds\": $round(($millis() - {m}.started) / 1000, 3), \"Errors\": {m}.errors}}"
        );
        let keep = self.keep_result(action, place, &output);
        let (filter, args, runtime_filter, keep) = (filter?, args?, runtime_filter?, keep?);
        let matches = match filter {
            Some(Filter::Translated(translated)) => translated,
            _ => "true".into(),
        };
        let states = [
            (
                "move.start",
                json!({
                    "Type": "Pass",
                    "Assign": {variable.clone(): jsonata_field(&format!(
                        "{{\"args\": {args}, \"filter\": {runtime_filter}, \"moved\": 0, \"received\": 0, \"skipped\": 0, \"failed\": 0, \"not_deleted\": 0, \"duplicates\": 0, \"receives\": 0, \"moved_ids\": {{}}, \"held\": {{}}, \"errors\": [], \"started\": $millis(), \"last\": 0}}"
                    ))},
                    "Next": format!("{n}.move.filter"),
                }),
            ),
            (
                "move.filter",
                json!({
                    "Type": "Choice",
                    "Choices": [{
                        "Condition": jsonata_field(&format!("{m}.filter != null and {m}.filter != \"\"")),
                        "Next": format!("{n}.move.filter_at_run_time"),
                    }],
                    "Default": format!("{n}.move.more"),
                }),
            ),
            (
                "move.more",
                json!({
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Condition": jsonata_field(&format!("{m}.args.MaxMessages != null and {m}.moved >= {m}.args.MaxMessages")),
                            "Next": format!("{n}.move.release"),
                        },
                        {
                            "Condition": jsonata_field(&format!("{m}.args.RatePerSecond != null and {m}.last > 0")),
                            "Next": format!("{n}.move.pace"),
                        },
                    ],
                    "Default": format!("{n}.move.receive"),
                }),
            ),
            (
                "move.pace",
                json!({
                    "Type": "Wait",
                    "Seconds": jsonata_field(&format!("$max([1, $ceil({m}.last / {m}.args.RatePerSecond)])")),
                    "Next": format!("{n}.move.receive"),
                }),
            ),
            (
                "move.receive",
                aws_sdk_task(
                    "sqs:receiveMessage",
                    &format!(
                        "{{\"QueueUrl\": {m}.args.SourceQueueUrl, \"MaxNumberOfMessages\": ($batch := {m}.args.BatchSize ? {m}.args.BatchSize : 10; {m}.args.MaxMessages = null ? $batch : $min([$batch, {m}.args.MaxMessages - {m}.moved])), \"WaitTimeSeconds\": 1, \"MessageAttributeNames\": [\"All\"], \"AttributeNames\": [\"All\"]}}"
                    ),
                    &[(
                        &variable.clone(),
                        &format!(
                            "($messages := [$states.result.Messages]; \
                         $fresh := [$filter($messages, function($x) {{ $not($exists($lookup({m}.moved_ids, $x.MessageId))) and $not($exists($lookup({m}.held, $x.MessageId))) }})]; \
                         $returning := [$filter($messages, function($x) {{ $exists($lookup({m}.held, $x.MessageId)) }})]; \
                         $redelivered := [$filter($messages, function($x) {{ $exists($lookup({m}.moved_ids, $x.MessageId)) }})]; \
                         $matching := function($message) {{ {matches} }}; \
                         $send := [$filter($fresh, function($x) {{ $matching($x) }})]; \
                         $skip := [$filter($fresh, function($x) {{ $not($matching($x)) }})]; \
                         $merge([{m}, {{\
                         \"receives\": {m}.receives + 1, \
                         \"received\": {m}.received + $count($fresh), \
                         \"skipped\": {m}.skipped + $count($skip), \
                         \"duplicates\": {m}.duplicates + $count($redelivered), \
                         \"held\": $merge([{{}}, {m}.held, $merge([{{}}, $map($append($skip, $returning), function($x) {{ {{$x.MessageId: $x.ReceiptHandle}} }})])]), \
                         \"send\": $send, \
                         \"redelivered\": [$map($redelivered, function($x) {{ $x.ReceiptHandle }})], \
                         \"done\": $count($fresh) = 0 and $count($redelivered) = 0, \
                         \"last\": 0}}]))"
                        ),
                    )],
                    &format!("{n}.move.received"),
                ),
            ),
            (
                "move.received",
                json!({
                    "Type": "Choice",
                    "Choices": [{
                        "Condition": jsonata_field(&format!("$count({m}.redelivered) > 0")),
                        "Next": format!("{n}.move.delete_redelivered"),
                    }],
                    "Default": format!("{n}.move.sending"),
                }),
            ),
            (
                "move.delete_redelivered",
                commented(
                    "Messages moved already and delivered again: deleted, never sent twice",
                    aws_sdk_task(
                        "sqs:deleteMessageBatch",
                        &format!(
                            "{{\"QueueUrl\": {m}.args.SourceQueueUrl, \"Entries\": [$map({m}.redelivered, function($handle, $i) {{ {{\"Id\": $string($i), \"ReceiptHandle\": $handle}} }})]}}"
                        ),
                        &[],
                        &format!("{n}.move.sending"),
                    ),
                ),
            ),
            (
                "move.sending",
                json!({
                    "Type": "Choice",
                    "Choices": [
                        {"Condition": jsonata_field(&format!("{m}.done")), "Next": format!("{n}.move.release")},
                        {"Condition": jsonata_field(&format!("$count({m}.send) > 0")), "Next": format!("{n}.move.send")},
                    ],
                    "Default": format!("{n}.move.more"),
                }),
            ),
            (
                "move.send",
                aws_sdk_task(
                    "sqs:sendMessageBatch",
                    &format!(
                        "($fifo := $contains({m}.args.DestinationQueueUrl, /\\.fifo$/); {{\"QueueUrl\": {m}.args.DestinationQueueUrl, \"Entries\": [$map({m}.send, function($x, $i) {{ $merge([\
                         {{\"Id\": $string($i), \"MessageBody\": $x.Body}}, \
                         $count($keys($x.MessageAttributes)) > 0 ? {{\"MessageAttributes\": $x.MessageAttributes}} : {{}}, \
                         $fifo ? $sift({{\"MessageGroupId\": $x.Attributes.MessageGroupId, \"MessageDeduplicationId\": $x.Attributes.MessageDeduplicationId}}, function($v) {{ $type($v) = \"string\" }}) : {{}}\
                         ]) }})]}})"
                    ),
                    &[(
                        &variable.clone(),
                        &format!(
                            "($accepted := [$map([$states.result.Successful], function($e) {{ {m}.send[$number($e.Id)] }})]; \
                         $refused := [$states.result.Failed]; \
                         $merge([{m}, {{\
                         \"moved\": {m}.moved + $count($accepted), \
                         \"last\": $count($accepted), \
                         \"failed\": {m}.failed + $count($refused), \
                         \"moved_ids\": $merge([{{}}, {m}.moved_ids, $merge([{{}}, $map($accepted, function($x) {{ {{$x.MessageId: true}} }})])]), \
                         \"delete\": [$map($accepted, function($x) {{ $x.ReceiptHandle }})], \
                         \"errors\": $append({m}.errors, [$map($refused, function($e) {{ \"the destination refused message \" & {m}.send[$number($e.Id)].MessageId & \": \" & $e.Code & \" \" & $e.Message }})])}}]))"
                        ),
                    )],
                    &format!("{n}.move.deleting"),
                ),
            ),
            (
                "move.deleting",
                json!({
                    "Type": "Choice",
                    "Choices": [{"Condition": jsonata_field(&format!("$count({m}.delete) > 0")), "Next": format!("{n}.move.delete")}],
                    "Default": format!("{n}.move.more"),
                }),
            ),
            (
                "move.delete",
                commented(
                    "Deletes from the source exactly the messages the destination accepted",
                    aws_sdk_task(
                        "sqs:deleteMessageBatch",
                        &format!(
                            "{{\"QueueUrl\": {m}.args.SourceQueueUrl, \"Entries\": [$map({m}.delete, function($handle, $i) {{ {{\"Id\": $string($i), \"ReceiptHandle\": $handle}} }})]}}"
                        ),
                        &[(
                            &variable.clone(),
                            &format!(
                                "$merge([{m}, {{\"not_deleted\": {m}.not_deleted + $count([$states.result.Failed])}}])"
                            ),
                        )],
                        &format!("{n}.move.more"),
                    ),
                ),
            ),
            (
                "move.release",
                json!({
                    "Type": "Choice",
                    "Choices": [{
                        "Condition": jsonata_field(&format!("$count($keys({m}.held)) > 0")),
                        "Next": format!("{n}.move.releasing"),
                    }],
                    "Default": format!("{n}.move.done"),
                }),
            ),
            (
                "move.releasing",
                commented(
                    "Skipped messages, hidden while the move ran, visible again (ten at a time)",
                    aws_sdk_task(
                        "sqs:changeMessageVisibilityBatch",
                        &format!(
                            "{{\"QueueUrl\": {m}.args.SourceQueueUrl, \"Entries\": [$map($keys({m}.held)[[0..9]], function($id, $i) {{ {{\"Id\": $string($i), \"ReceiptHandle\": $lookup({m}.held, $id), \"VisibilityTimeout\": 0}} }})]}}"
                        ),
                        &[(
                            &variable.clone(),
                            &format!(
                                "($rest := $keys({m}.held)[[10..1000000]]; $merge([{m}, {{\"held\": $merge([{{}}, $map($rest, function($id) {{ {{$id: $lookup({m}.held, $id)}} }})])}}]))"
                            ),
                        )],
                        &format!("{n}.move.release"),
                    ),
                ),
            ),
            (
                "move.done",
                json!({"Type": "Pass", "Assign": Value::Object(keep), "Next": next}),
            ),
        ];
        for (suffix, mut state) in states {
            if state["Type"] == "Task" {
                self.task_policies(&mut state, action, "sqs", place);
            }
            self.states.insert(format!("{n}.{suffix}"), state);
        }
        self.failure(
            &format!("{n}.move.filter_at_run_time"),
            &place.step.id,
            "runbook.NotTranslated",
            &literal(&json!(
                "a Filter given when the run starts is an expression of the runbook language, which the state machine cannot evaluate; write the filter in the runbook to export it"
            )),
            &place.failure,
        );
        Some(format!("{n}.move.start"))
    }
}

enum Filter {
    /// The filter as JSONata over `$message`.
    Translated(String),
    /// A template: the filter's text is known only when the run starts.
    AtRunTime(String),
}
