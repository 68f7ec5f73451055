//! `sqs.move_messages`: moves (or copies) the messages of one queue to another, in batches, keeping what
//! SQS lets a mover keep, and says what it moved, skipped and could not move.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::actions::{RunContext, sqs};
use crate::aws::sqs::CHANGE_MESSAGE_VISIBILITY_BATCH;
use crate::aws::{AwsOp, BoxFuture, CallError};

/// The calls a move makes that are actions of their own too, as their rows declare them.
const RECEIVE_MESSAGE: &AwsOp = sqs::RECEIVE_MESSAGE.sent();
const SEND_MESSAGE_BATCH: &AwsOp = sqs::SEND_MESSAGE_BATCH.sent();
const DELETE_MESSAGE_BATCH: &AwsOp = sqs::DELETE_MESSAGE_BATCH.sent();

/// SendMessageBatch refuses a batch whose messages (bodies and attributes) total more than this; SQS has since
/// raised the limit, but 256 KiB holds on every queue and only costs an extra call for very large messages.
const BATCH_BYTES: usize = 256 * 1024;
const PROGRESS_EVERY: u64 = 250;
const MAX_ERRORS_KEPT: usize = 10;

fn integer(input: &Map<String, Value>, member: &str) -> Result<Option<u64>, CallError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| {
            CallError::invalid_request(format!(
                "`{member}` must be a whole number ≥ 0, got {value}"
            ))
        }),
    }
}

fn text<'v>(value: &'v Value, member: &str) -> &'v str {
    value
        .get(member)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// What the pollers share. Locked only between awaits, never across one.
#[derive(Default)]
struct Tally {
    /// Messages that may still be received: `MaxMessages` less those moved and those being moved.
    budget: Option<u64>,
    in_flight: u64,
    received: u64,
    moved: u64,
    skipped: u64,
    failed: u64,
    not_deleted: u64,
    receives: u64,
    duplicates: u64,
    next_progress: u64,
    seen: HashMap<String, Seen>,
    errors: Vec<String>,
}

/// What this move knows of a message it received, by `MessageId`. SQS delivers at least once: the same message
/// can reach two pollers at the same time, or come back after its visibility timeout.
enum Seen {
    /// Skipped, and hidden until the end of the move; its latest receipt handle.
    Held(String),
    /// Being sent by one poller; the receipt handles of other deliveries meanwhile, deleted along with it.
    Sending(Vec<String>),
    /// In the destination: a further delivery is deleted, never sent again.
    Moved,
}

#[derive(Default)]
struct Deletion {
    deleted: std::collections::HashSet<usize>,
    failed: Vec<(usize, String, String)>,
}

impl Tally {
    fn note(&mut self, error: String) {
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(error);
        }
    }
}

/// `sqs.move_messages`: moves messages from `SourceQueueUrl` to `DestinationQueueUrl` with `Pollers` concurrent
/// receive → SendMessageBatch → DeleteMessageBatch loops of up to `BatchSize` messages.
///
/// A message is deleted from the source only after the destination accepted its copy (body, message attributes,
/// and for a FIFO destination its group and deduplication ids), so a crash or a failed entry can duplicate a
/// message, never lose one. It stops after `MaxMessages` moved messages or when a receive (long-polling for one
/// second) finds nothing new. `RatePerSecond` bounds the messages moved a second: each receive reserves its batch's
/// share beforehand, so that no message waits hidden for the limiter, and hands back the share of those it did not
/// move.
///
/// `Filter` is an expression over `message` (`MessageId`, `Body`, `MessageAttributes`, `Attributes`, as
/// ReceiveMessage returns them). A message for which it is false, or fails, is counted as `Skipped` and left in
/// the source: it stays hidden until the move ends and is then made visible again (visibility 0), so that no poller
/// receives it twice and an empty receive really means nothing is left to move. (From a FIFO queue, a held message
/// keeps its group locked, so the rest of that group stays behind too, in order.)
///
/// SQS delivers at least once, so one message may reach two pollers, or come back while it is being moved: such a
/// delivery is counted in `Duplicates`, never sent again, and its receipt handle deleted with the message.
///
/// Output: `{Moved, Received, Skipped, Failed, NotDeleted, Duplicates, Receives, Seconds, Errors}`; `Received`
/// counts distinct messages, so `Moved == Received - Skipped` unless some were `Failed` (refused by the
/// destination, still in the source). `NotDeleted` were moved but their deletion failed: they will be delivered
/// again.
pub fn move_messages(
    context: &dyn RunContext,
    input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let url = |member: &str| {
            input
                .get(member)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (source, destination) = (url("SourceQueueUrl"), url("DestinationQueueUrl"));
        if source.is_empty() || destination.is_empty() {
            return Err(CallError::invalid_request(
                "`SourceQueueUrl` and `DestinationQueueUrl` are required",
            ));
        }
        if source == destination {
            return Err(CallError::invalid_request(
                "the source and destination queues are the same",
            ));
        }
        let batch_size = integer(&input, "BatchSize")?.unwrap_or(10);
        if !(1..=10).contains(&batch_size) {
            return Err(CallError::invalid_request(format!(
                "`BatchSize` must be 1 to 10 (SQS's batch limit), got {batch_size}"
            )));
        }
        let pollers = integer(&input, "Pollers")?.unwrap_or(1);
        if !(1..=64).contains(&pollers) {
            return Err(CallError::invalid_request(format!(
                "`Pollers` must be 1 to 64, got {pollers}"
            )));
        }
        let rate = match input.get("RatePerSecond") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_f64() {
                Some(rate) if rate > 0.0 && rate.is_finite() => Some(rate),
                _ => {
                    return Err(CallError::invalid_request(format!(
                        "`RatePerSecond` must be a number above 0, got {value}"
                    )));
                }
            },
        };
        let filter_source = input
            .get("Filter")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|source| !source.is_empty())
            .map(str::to_string);
        let filter = match &filter_source {
            Some(source) => Some(
                crate::foundation::nesting::check_expression(source)
                    .map_err(|_| {
                        CallError::invalid_request(format!(
                            "`Filter` nests deeper than {} levels",
                            crate::foundation::nesting::MAX_DEPTH
                        ))
                    })
                    .and_then(|()| {
                        crate::foundation::template::environment()
                            .compile_expression(source)
                            .map_err(|error| {
                                CallError::invalid_request(format!("`Filter: {source}`: {error}"))
                            })
                    })?,
            ),
            None => None,
        };

        let started = Instant::now();
        let tally = Mutex::new(Tally {
            budget: integer(&input, "MaxMessages")?,
            next_progress: PROGRESS_EVERY,
            ..Tally::default()
        });
        let next_slot = Mutex::new(started);
        let stop = AtomicBool::new(false);
        let fifo_destination = destination.ends_with(".fifo");

        let mover = Mover {
            context,
            source: &source,
            destination: &destination,
            batch_size,
            rate,
            filter: filter.as_ref(),
            fifo_destination,
            tally: &tally,
            next_slot: &next_slot,
            stop: &stop,
            started,
        };
        let results =
            futures_util::future::join_all((0..pollers).map(|_| mover.poll_until_done())).await;
        let failure = results.into_iter().find_map(Result::err);
        let released = mover.release_held().await;

        let tally = tally.into_inner().unwrap_or_else(|e| e.into_inner());
        let seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        let summary = format!(
            "moved {} of {} received messages ({} skipped, {} failed) in {seconds}s",
            tally.moved, tally.received, tally.skipped, tally.failed
        );
        context.log(&summary);
        if let Some(mut error) = failure {
            error.message = format!("{}; {summary}", error.message);
            return Err(error);
        }
        if context.cancelled() {
            return Err(CallError::stopped(
                "Interrupted",
                format!("interrupted: {summary}"),
            ));
        }
        released?;
        Ok(json!({
            "Moved": tally.moved,
            "Received": tally.received,
            "Skipped": tally.skipped,
            "Failed": tally.failed,
            "NotDeleted": tally.not_deleted,
            "Duplicates": tally.duplicates,
            "Receives": tally.receives,
            "Seconds": seconds,
            "Errors": tally.errors,
        }))
    })
}

struct Mover<'a> {
    context: &'a dyn RunContext,
    source: &'a str,
    destination: &'a str,
    batch_size: u64,
    rate: Option<f64>,
    filter: Option<&'a minijinja::Expression<'a, 'a>>,
    fifo_destination: bool,
    tally: &'a Mutex<Tally>,
    next_slot: &'a Mutex<Instant>,
    stop: &'a AtomicBool,
    started: Instant,
}

impl Mover<'_> {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes up to one batch from the budget: `Some(0)` when the budget is spent but other pollers may hand some
    /// back, `None` when it is spent for good.
    fn reserve(&self) -> Option<u64> {
        let mut tally = self.tally();
        let wanted = match tally.budget {
            None => self.batch_size,
            Some(budget) => self.batch_size.min(budget),
        };
        if wanted == 0 {
            return (tally.in_flight > 0).then_some(0);
        }
        if let Some(budget) = &mut tally.budget {
            *budget -= wanted;
        }
        tally.in_flight += wanted;
        Some(wanted)
    }

    /// Ends a reservation of `reserved` of which `moved` were moved: the rest goes back to the budget and to the
    /// rate limiter.
    fn settle(&self, reserved: u64, moved: u64) {
        let unused = reserved - moved.min(reserved);
        {
            let mut tally = self.tally();
            tally.in_flight -= reserved;
            if let Some(budget) = &mut tally.budget {
                *budget += unused;
            }
        }
        if let Some(rate) = self.rate
            && unused > 0
        {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let refund = Duration::from_secs_f64(unused as f64 / rate);
            let now = Instant::now();
            *next = next.checked_sub(refund).unwrap_or(now).max(now);
        }
    }

    /// Waits for `count` messages' share of `RatePerSecond`. False when the run was interrupted.
    async fn pace(&self, count: u64) -> bool {
        let Some(rate) = self.rate else {
            return true;
        };
        let wait = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + Duration::from_secs_f64(count as f64 / rate);
            slot - now
        };
        wait.is_zero() || self.context.sleep(wait).await
    }

    async fn poll_until_done(&self) -> Result<(), CallError> {
        loop {
            if self.stop.load(Ordering::Relaxed) || self.context.cancelled() {
                return Ok(());
            }
            let Some(reserved) = self.reserve() else {
                return Ok(());
            };
            if reserved == 0 {
                // Other pollers hold the rest of the budget; what they do not move comes back.
                if !self.context.sleep(Duration::from_millis(20)).await {
                    return Ok(());
                }
                continue;
            }
            let outcome = self.move_one_batch(reserved).await;
            let moved = match &outcome {
                Ok(Some(moved)) => *moved,
                _ => 0,
            };
            self.settle(reserved, moved);
            match outcome {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.stop.store(true, Ordering::Relaxed);
                    return Err(error);
                }
            }
        }
    }

    /// One receive and what follows. `Ok(None)` when the source had nothing new: this poller is done.
    async fn move_one_batch(&self, reserved: u64) -> Result<Option<u64>, CallError> {
        if !self.pace(reserved).await {
            return Ok(None);
        }
        let mut receive = Map::new();
        receive.insert("QueueUrl".into(), json!(self.source));
        receive.insert("MaxNumberOfMessages".into(), json!(reserved));
        receive.insert("WaitTimeSeconds".into(), json!(1));
        receive.insert("MessageAttributeNames".into(), json!(["All"]));
        let system = self.system_attributes();
        if !system.is_empty() {
            receive.insert("MessageSystemAttributeNames".into(), json!(system));
        }
        let reply = self.context.call(RECEIVE_MESSAGE, receive).await?;
        let messages = match reply.get("Messages") {
            Some(Value::Array(messages)) => messages.as_slice(),
            _ => &[],
        };

        // Claim each message not seen before under the lock, so that two deliveries of one message cannot both
        // be sent.
        let mut fresh = Vec::with_capacity(messages.len());
        let mut redeliveries = Vec::new();
        let mut in_progress_elsewhere = false;
        {
            let mut tally = self.tally();
            tally.receives += 1;
            for message in messages {
                let id = text(message, "MessageId");
                let handle = text(message, "ReceiptHandle").to_string();
                let duplicate = match tally.seen.get_mut(id) {
                    None => {
                        tally.seen.insert(id.to_string(), Seen::Sending(Vec::new()));
                        fresh.push(message);
                        continue;
                    }
                    // A skipped message came back (its visibility timeout ran out): keep it, count it once.
                    Some(Seen::Held(latest)) => {
                        *latest = handle;
                        continue;
                    }
                    Some(Seen::Sending(others)) => {
                        others.push(handle);
                        in_progress_elsewhere = true;
                        true
                    }
                    Some(Seen::Moved) => {
                        redeliveries.push(handle);
                        true
                    }
                };
                tally.duplicates += u64::from(duplicate);
            }
            tally.received += fresh.len() as u64;
        }

        let mut to_send = Vec::with_capacity(fresh.len());
        let mut skips = Vec::new();
        let mut filter_errors = Vec::new();
        for message in fresh.iter().copied() {
            let matches = match self.filter {
                None => true,
                Some(filter) => {
                    let scope = crate::foundation::template::from_json_value(
                        &json!({ "message": message }),
                    );
                    match filter.eval(scope) {
                        Ok(value) => value.is_true(),
                        Err(error) => {
                            let id = text(message, "MessageId");
                            filter_errors.push(format!("Filter failed on message {id}: {error}"));
                            false
                        }
                    }
                }
            };
            if matches {
                to_send.push(message);
            } else {
                skips.push(message);
            }
        }
        if !skips.is_empty() || !filter_errors.is_empty() {
            let mut tally = self.tally();
            tally.skipped += skips.len() as u64;
            for message in skips {
                let id = text(message, "MessageId");
                let mut latest = text(message, "ReceiptHandle").to_string();
                if let Some(Seen::Sending(others)) = tally.seen.remove(id)
                    && let Some(newer) = others.into_iter().last()
                {
                    latest = newer;
                }
                tally.seen.insert(id.to_string(), Seen::Held(latest));
            }
            for error in filter_errors {
                tally.note(error);
            }
        }

        // Only skipped messages coming back, or none at all: nothing is left to move. Deliveries of messages being
        // moved are progress of a sort (another poller is about to delete them), so polling goes on.
        let done = fresh.is_empty() && redeliveries.is_empty() && !in_progress_elsewhere;
        if !redeliveries.is_empty() {
            redeliveries.sort();
            redeliveries.dedup();
            let handles: Vec<(usize, String)> = redeliveries.into_iter().enumerate().collect();
            let deletion = self.delete(&handles).await?;
            // The message was deleted under another handle already; SQS may call this one invalid now.
            let mut tally = self.tally();
            for (_, code, message) in deletion.failed {
                if !code.contains("ReceiptHandleIsInvalid") {
                    tally.note(format!(
                        "a repeated delivery of a moved message was not deleted: {code} {message}"
                    ));
                }
            }
        }
        if done {
            return Ok(None);
        }

        let mut moved = 0;
        for chunk in size_bounded_chunks(&to_send) {
            moved += self.send_and_delete(chunk).await?;
        }
        self.report_progress();
        Ok(Some(moved))
    }

    /// Sends one batch to the destination and deletes from the source exactly the messages it accepted.
    async fn send_and_delete(&self, messages: &[&Value]) -> Result<u64, CallError> {
        let entries: Vec<Value> = messages
            .iter()
            .enumerate()
            .map(|(index, message)| self.entry(index, message))
            .collect();
        let sent = self
            .context
            .call(
                SEND_MESSAGE_BATCH,
                json!({"QueueUrl": self.destination, "Entries": entries})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
            .await?;
        let index_of = |entry: &Value| {
            text(entry, "Id")
                .parse::<usize>()
                .ok()
                .filter(|index| *index < messages.len())
        };
        // Every receipt handle of an accepted message is deleted: with SQS, only the latest one surely deletes.
        let mut handles: Vec<(usize, String)> = Vec::new();
        {
            let mut tally = self.tally();
            for index in list(&sent, "Successful").iter().filter_map(index_of) {
                let message = messages[index];
                handles.push((index, text(message, "ReceiptHandle").to_string()));
                let id = text(message, "MessageId").to_string();
                if let Some(Seen::Sending(others)) = tally.seen.insert(id, Seen::Moved) {
                    // Two deliveries can even share a handle; a batch must not name one twice.
                    for handle in others {
                        if !handles.iter().any(|(_, known)| *known == handle) {
                            handles.push((index, handle));
                        }
                    }
                }
            }
            for entry in list(&sent, "Failed") {
                tally.failed += 1;
                let id = index_of(entry)
                    .map(|index| text(messages[index], "MessageId"))
                    .unwrap_or_default();
                // Refused, so still only in the source: a later delivery may try again.
                tally.seen.remove(id);
                let note = format!(
                    "the destination refused message {id}: {} {}",
                    text(entry, "Code"),
                    text(entry, "Message")
                );
                tally.note(note);
            }
        }
        let mut accepted: Vec<usize> = handles.iter().map(|(index, _)| *index).collect();
        accepted.dedup();
        if accepted.is_empty() {
            return Ok(0);
        }
        let count = accepted.len() as u64;
        let deleted = self.delete(&handles).await;
        let mut tally = self.tally();
        tally.moved += count;
        match deleted {
            Ok(deletion) => {
                tally.not_deleted += count - deletion.deleted.len() as u64;
                for (key, code, message) in deletion.failed {
                    if !deletion.deleted.contains(&key) {
                        tally.note(format!(
                            "moved but not deleted from the source (it will be delivered again): {code} {message}"
                        ));
                    }
                }
                Ok(count)
            }
            Err(error) => {
                // The copies are in the destination already: count them moved, and stop.
                tally.not_deleted += count;
                Err(error)
            }
        }
    }

    /// Deletes receipt handles from the source, ten at a time; `(key, handle)` pairs, where several handles may
    /// share a key (one message). Returns the keys of which at least one handle was deleted, and the failures as
    /// `(key, code, message)`.
    async fn delete(&self, handles: &[(usize, String)]) -> Result<Deletion, CallError> {
        let mut deletion = Deletion::default();
        for chunk in handles.chunks(10) {
            let entries: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(position, (_, handle))| {
                    json!({"Id": position.to_string(), "ReceiptHandle": handle})
                })
                .collect();
            let reply = self
                .context
                .call(
                    DELETE_MESSAGE_BATCH,
                    json!({"QueueUrl": self.source, "Entries": entries})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                )
                .await?;
            let key = |entry: &Value| {
                text(entry, "Id")
                    .parse::<usize>()
                    .ok()
                    .and_then(|position| chunk.get(position))
                    .map(|(key, _)| *key)
            };
            for entry in list(&reply, "Successful") {
                deletion.deleted.extend(key(entry));
            }
            for entry in list(&reply, "Failed") {
                if let Some(key) = key(entry) {
                    deletion.failed.push((
                        key,
                        text(entry, "Code").to_string(),
                        text(entry, "Message").to_string(),
                    ));
                }
            }
        }
        Ok(deletion)
    }

    /// System attributes are asked for only when used: a filter may read any of them (`ApproximateReceiveCount`,
    /// `SentTimestamp`), a FIFO destination needs the group and deduplication ids.
    fn system_attributes(&self) -> Vec<&'static str> {
        if self.filter.is_some() {
            vec!["All"]
        } else if self.fifo_destination {
            vec!["MessageGroupId", "MessageDeduplicationId"]
        } else {
            Vec::new()
        }
    }

    /// A SendMessageBatch entry carrying the message's body and attributes (and, for FIFO, its group and
    /// deduplication ids).
    fn entry(&self, index: usize, message: &Value) -> Value {
        let mut entry = Map::new();
        entry.insert("Id".into(), Value::String(index.to_string()));
        entry.insert("MessageBody".into(), json!(text(message, "Body")));
        if let Some(Value::Object(attributes)) = message.get("MessageAttributes")
            && !attributes.is_empty()
        {
            let attributes: Map<String, Value> = attributes
                .iter()
                .map(|(name, value)| (name.clone(), attribute_value(value)))
                .collect();
            entry.insert("MessageAttributes".into(), Value::Object(attributes));
        }
        if self.fifo_destination {
            let system = message.get("Attributes");
            for member in ["MessageGroupId", "MessageDeduplicationId"] {
                if let Some(value) = system.and_then(|a| a.get(member)).filter(|v| v.is_string()) {
                    entry.insert(member.into(), value.clone());
                }
            }
        }
        Value::Object(entry)
    }

    fn report_progress(&self) {
        let line = {
            let mut tally = self.tally();
            let seconds = self.started.elapsed().as_secs_f64();
            self.context.progress(&format!(
                "moved {} / received {} / {:.0} msg/s",
                tally.moved,
                tally.received,
                if seconds > 0.0 {
                    tally.moved as f64 / seconds
                } else {
                    0.0
                }
            ));
            if tally.received < tally.next_progress {
                return;
            }
            while tally.next_progress <= tally.received {
                tally.next_progress += PROGRESS_EVERY;
            }
            format!(
                "moved {} of {} received ({} skipped) in {:.1}s",
                tally.moved,
                tally.received,
                tally.skipped,
                self.started.elapsed().as_secs_f64()
            )
        };
        self.context.log(&line);
    }

    /// Makes every skipped message visible again, ten at a time.
    async fn release_held(&self) -> Result<(), CallError> {
        let held: Vec<(String, String)> = self
            .tally()
            .seen
            .drain()
            .filter_map(|(id, seen)| match seen {
                Seen::Held(handle) => Some((id, handle)),
                _ => None,
            })
            .collect();
        let mut first_error = None;
        for chunk in held.chunks(10) {
            let entries: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(index, (_, handle))| {
                    json!({"Id": index.to_string(), "ReceiptHandle": handle, "VisibilityTimeout": 0})
                })
                .collect();
            let reply = self
                .context
                .call(
                    &CHANGE_MESSAGE_VISIBILITY_BATCH,
                    json!({"QueueUrl": self.source, "Entries": entries})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                )
                .await;
            match reply {
                Ok(reply) => {
                    for entry in list(&reply, "Failed") {
                        // A message whose visibility ran out is visible already.
                        if !text(entry, "Code").contains("MessageNotInflight") {
                            self.tally().note(format!(
                                "a skipped message stays hidden until its visibility timeout: {} {}",
                                text(entry, "Code"),
                                text(entry, "Message")
                            ));
                        }
                    }
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn list<'v>(value: &'v Value, member: &str) -> &'v [Value] {
    match value.get(member) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// A received message attribute as SendMessage takes it: the same shape, without the empty list members some
/// implementations echo.
fn attribute_value(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(_, member)| !matches!(member, Value::Array(items) if items.is_empty()))
                .map(|(name, member)| (name.clone(), member.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Splits messages into SendMessageBatch calls no larger than [`BATCH_BYTES`].
fn size_bounded_chunks<'m>(messages: &'m [&'m Value]) -> Vec<&'m [&'m Value]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, message) in messages.iter().enumerate() {
        let size = message_size(message);
        if index > start && bytes + size > BATCH_BYTES {
            chunks.push(&messages[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += size;
    }
    if start < messages.len() {
        chunks.push(&messages[start..]);
    }
    chunks
}

/// SQS counts the body and each attribute's name, type and value.
fn message_size(message: &Value) -> usize {
    let attributes = match message.get("MessageAttributes") {
        Some(Value::Object(attributes)) => attributes
            .iter()
            .map(|(name, value)| {
                name.len()
                    + text(value, "DataType").len()
                    + text(value, "StringValue").len()
                    + text(value, "BinaryValue").len()
            })
            .sum(),
        _ => 0,
    };
    text(message, "Body").len() + attributes
}
