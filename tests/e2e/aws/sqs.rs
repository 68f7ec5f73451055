//! SQS actions against the emulator, `sqs.move_messages` above all: what arrives where, and what stays.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use crate::support::moto::Moto;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use runbook::engine::{ActionContext, Event, Halt, Observer, Silent, invoke};
use serde_json::{Value, json};

async fn action(
    aws: Arc<runbook::aws::Aws>,
    name: &str,
    input: Value,
) -> Result<Value, runbook::aws::CallError> {
    action_observed(aws, name, input, Arc::new(Silent)).await
}

async fn action_observed(
    aws: Arc<runbook::aws::Aws>,
    name: &str,
    input: Value,
    observer: Arc<dyn Observer>,
) -> Result<Value, runbook::aws::CallError> {
    let context = ActionContext::standalone(Some(aws), true, observer);
    let spec = runbook::actions::lookup(name).expect("registered");
    invoke(&context, spec, input.as_object().unwrap()).await
}

/// Keeps the log lines an action writes.
#[derive(Default)]
struct Logs(Mutex<Vec<String>>);

impl Observer for Logs {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        if let Event::Log { message, .. } = event {
            self.0.lock().unwrap().push(message.clone());
        }
        Ok(())
    }
}

async fn sdk() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&Moto::shared().sdk_config().await)
}

async fn create_queue(sdk: &aws_sdk_sqs::Client, name: &str) -> String {
    sdk.create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string()
}

/// Sends `count` messages: body `message-<n>`, attributes `kind` (`retry` for two in three, else `drop`), `n`
/// (a number) and `raw` (binary).
async fn seed(sdk: &aws_sdk_sqs::Client, url: &str, count: usize) {
    let entries: Vec<SendMessageBatchRequestEntry> = (0..count)
        .map(|n| {
            let kind = if n % 3 == 2 { "drop" } else { "retry" };
            SendMessageBatchRequestEntry::builder()
                .id(n.to_string())
                .message_body(format!("message-{n}"))
                .message_attributes(
                    "kind",
                    MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value(kind)
                        .build()
                        .unwrap(),
                )
                .message_attributes(
                    "n",
                    MessageAttributeValue::builder()
                        .data_type("Number")
                        .string_value(n.to_string())
                        .build()
                        .unwrap(),
                )
                .message_attributes(
                    "raw",
                    MessageAttributeValue::builder()
                        .data_type("Binary")
                        .binary_value(aws_sdk_sqs::primitives::Blob::new(vec![n as u8, 0xff]))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
        .collect();
    for chunk in entries.chunks(10) {
        let sent = sdk
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        assert!(sent.failed().is_empty());
    }
}

/// Receives (and deletes) everything in the queue: body → message attributes.
async fn drain(
    sdk: &aws_sdk_sqs::Client,
    url: &str,
) -> BTreeMap<String, std::collections::HashMap<String, MessageAttributeValue>> {
    let mut seen = BTreeMap::new();
    loop {
        let received = sdk
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap();
        let messages = received.messages();
        if messages.is_empty() {
            return seen;
        }
        for message in messages {
            let body = message.body().unwrap().to_string();
            assert!(
                seen.insert(
                    body.clone(),
                    message.message_attributes().cloned().unwrap_or_default()
                )
                .is_none(),
                "{body} arrived twice"
            );
            sdk.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

async fn depth(sdk: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    let attributes = sdk
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attributes = attributes.attributes().unwrap();
    let number = |name| attributes[&name].parse::<u64>().unwrap();
    (
        number(QueueAttributeName::ApproximateNumberOfMessages),
        number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test]
async fn move_messages_with_a_filter_moves_matches_and_leaves_the_rest_visible() {
    let sdk = sdk().await;
    let dlq = create_queue(&sdk, "filter-dlq").await;
    let main = create_queue(&sdk, "filter-main").await;
    seed(&sdk, &dlq, 300).await;
    let aws = Arc::new(Moto::shared().aws().await);
    let logs = Arc::new(Logs::default());

    let output = action_observed(
        aws,
        "sqs.move_messages",
        json!({
            "SourceQueueUrl": dlq,
            "DestinationQueueUrl": main,
            "BatchSize": 10,
            "Pollers": "4",
            "RatePerSecond": 5000,
            "Filter": "message.MessageAttributes.kind.StringValue == 'retry'",
        }),
        logs.clone(),
    )
    .await
    .unwrap();
    assert_eq!(output["Moved"], 200, "{output}");
    assert_eq!(output["Received"], 300, "{output}");
    assert_eq!(output["Skipped"], 100, "{output}");
    assert_eq!(output["Failed"], 0, "{output}");
    assert_eq!(output["NotDeleted"], 0, "{output}");
    assert_eq!(output["Errors"], json!([]), "{output}");
    let logs = logs.0.lock().unwrap().clone();
    assert!(
        logs.iter()
            .any(|line| line.starts_with("moved ") && line.contains("of 300")),
        "{logs:?}"
    );

    // Skipped messages are visible again at once, and exactly those are left.
    assert_eq!(depth(&sdk, &dlq).await, (100, 0));
    let left = drain(&sdk, &dlq).await;
    let expected_left: BTreeSet<String> = (0..300)
        .filter(|n| n % 3 == 2)
        .map(|n| format!("message-{n}"))
        .collect();
    assert_eq!(left.keys().cloned().collect::<BTreeSet<_>>(), expected_left);

    // Every match arrived once, with its attributes (string, number and binary) intact.
    let arrived = drain(&sdk, &main).await;
    assert_eq!(arrived.len(), 200);
    for n in (0..300).filter(|n| n % 3 != 2) {
        let attributes = &arrived[&format!("message-{n}")];
        assert_eq!(attributes["kind"].string_value(), Some("retry"));
        assert_eq!(attributes["n"].data_type(), "Number");
        assert_eq!(attributes["n"].string_value(), Some(n.to_string().as_str()));
        assert_eq!(
            attributes["raw"].binary_value().unwrap().as_ref(),
            &[n as u8, 0xff]
        );
    }
}

#[tokio::test]
async fn move_messages_stops_at_max_messages_across_pollers() {
    let sdk = sdk().await;
    let dlq = create_queue(&sdk, "max-dlq").await;
    let main = create_queue(&sdk, "max-main").await;
    seed(&sdk, &dlq, 120).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let output = action(
        aws,
        "sqs.move_messages",
        json!({"SourceQueueUrl": dlq, "DestinationQueueUrl": main, "MaxMessages": 45, "Pollers": 3, "BatchSize": 10}),
    )
    .await
    .unwrap();
    assert_eq!(output["Moved"], 45, "{output}");
    assert_eq!(output["Received"], 45, "{output}");
    assert_eq!(output["Skipped"], 0, "{output}");
    assert_eq!(drain(&sdk, &main).await.len(), 45);
    assert_eq!(depth(&sdk, &dlq).await, (75, 0));
}

#[tokio::test]
async fn move_messages_respects_the_rate() {
    let sdk = sdk().await;
    let dlq = create_queue(&sdk, "rate-dlq").await;
    let main = create_queue(&sdk, "rate-main").await;
    seed(&sdk, &dlq, 30).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let started = std::time::Instant::now();
    let output = action(
        aws,
        "sqs.move_messages",
        json!({"SourceQueueUrl": dlq, "DestinationQueueUrl": main, "RatePerSecond": 40, "Pollers": 4, "BatchSize": 5}),
    )
    .await
    .unwrap();
    assert_eq!(output["Moved"], 30, "{output}");
    // 30 messages at 40 a second: the last batch of five may start 25/40 s after the first.
    let elapsed = started.elapsed().as_secs_f64();
    assert!(elapsed >= 0.6, "moved 30 messages in {elapsed}s at 40/s");
    assert_eq!(drain(&sdk, &main).await.len(), 30);
}

#[tokio::test]
async fn move_messages_refuses_bad_settings_before_touching_a_queue() {
    let sdk = sdk().await;
    let dlq = create_queue(&sdk, "bad-dlq").await;
    seed(&sdk, &dlq, 3).await;
    let aws = Arc::new(Moto::shared().aws().await);
    for (input, mention) in [
        (json!({"BatchSize": 11}), "BatchSize"),
        (json!({"Filter": "message.Body =="}), "Filter"),
        (json!({"RatePerSecond": 0}), "RatePerSecond"),
    ] {
        let mut request =
            json!({"SourceQueueUrl": dlq, "DestinationQueueUrl": format!("{dlq}-main")});
        request
            .as_object_mut()
            .unwrap()
            .extend(input.as_object().unwrap().clone());
        let error = action(aws.clone(), "sqs.move_messages", request)
            .await
            .unwrap_err();
        assert_eq!(error.code, "InvalidRequest", "{error}");
        assert!(error.message.contains(mention), "{error}");
    }
    assert_eq!(depth(&sdk, &dlq).await, (3, 0));

    // A destination that does not exist: nothing is deleted from the source.
    let error = action(
        aws,
        "sqs.move_messages",
        json!({"SourceQueueUrl": dlq, "DestinationQueueUrl": format!("{}/123456789012/absent", Moto::shared().endpoint)}),
    )
    .await
    .unwrap_err();
    assert!(
        error.code.contains("NonExistentQueue") || error.code == "QueueDoesNotExist",
        "{error}"
    );
    let (visible, hidden) = depth(&sdk, &dlq).await;
    assert_eq!(visible + hidden, 3);
}

#[tokio::test]
async fn queue_lookup_attributes_and_single_message_actions() {
    let sdk = sdk().await;
    let url = create_queue(&sdk, "single-queue").await;
    let aws = Arc::new(Moto::shared().aws().await);

    let found = action(
        aws.clone(),
        "sqs.GetQueueUrl",
        json!({"QueueName": "single-queue"}),
    )
    .await
    .unwrap();
    assert_eq!(found["QueueUrl"], url.as_str(), "{found}");
    let error = action(
        aws.clone(),
        "sqs.GetQueueUrl",
        json!({"QueueName": "no-such-queue"}),
    )
    .await
    .unwrap_err();
    assert!(
        error.code.contains("NonExistentQueue") || error.code == "QueueDoesNotExist",
        "{error}"
    );

    let listed = action(
        aws.clone(),
        "sqs.ListQueues",
        json!({"QueueNamePrefix": "single-"}),
    )
    .await
    .unwrap();
    assert_eq!(listed["QueueUrls"], json!([url]), "{listed}");

    let sent = action(
        aws.clone(),
        "sqs.SendMessage",
        json!({
            "QueueUrl": url,
            "MessageBody": "{\"source\":\"runbook\"}",
            "MessageAttributes": {"tenant": {"DataType": "String", "StringValue": "carousel-labs"}},
        }),
    )
    .await
    .unwrap();
    assert!(sent["MessageId"].is_string(), "{sent}");
    let batch = action(
        aws.clone(),
        "sqs.SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}]}),
    )
    .await
    .unwrap();
    assert_eq!(batch["Successful"].as_array().unwrap().len(), 2, "{batch}");

    // What dlq-replay reads: the depth as text, turned into a number by the runbook.
    let attributes = action(
        aws.clone(),
        "sqs.GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        attributes["Attributes"]["ApproximateNumberOfMessages"], "3",
        "{attributes}"
    );

    // The runbook's sample: one message, left visible (VisibilityTimeout 0), with its attributes.
    let sample = action(
        aws.clone(),
        "sqs.ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0, "MessageAttributeNames": ["All"]}),
    )
    .await
    .unwrap();
    let messages = sample["Messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{sample}");
    let first = messages
        .iter()
        .find(|m| m["Body"] == "{\"source\":\"runbook\"}")
        .unwrap_or_else(|| panic!("{sample}"));
    assert_eq!(
        first["MessageAttributes"]["tenant"]["StringValue"],
        "carousel-labs"
    );
    assert_eq!(depth(&sdk, &url).await, (3, 0));

    let received = action(
        aws.clone(),
        "sqs.ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
    )
    .await
    .unwrap();
    let handles: Vec<String> = received["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ReceiptHandle"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(handles.len(), 3, "{received}");
    action(
        aws.clone(),
        "sqs.DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": handles[0]}),
    )
    .await
    .unwrap();
    let deleted = action(
        aws.clone(),
        "sqs.DeleteMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "x", "ReceiptHandle": handles[1]}]}),
    )
    .await
    .unwrap();
    assert_eq!(deleted["Successful"][0]["Id"], "x", "{deleted}");
    assert_eq!(depth(&sdk, &url).await, (0, 1));

    action(aws, "sqs.PurgeQueue", json!({"QueueUrl": url}))
        .await
        .unwrap();
    assert_eq!(depth(&sdk, &url).await, (0, 0));
}

#[tokio::test]
async fn move_messages_between_fifo_queues_keeps_groups_and_order() {
    let sdk = sdk().await;
    let mut queues = Vec::new();
    for name in ["order-dlq.fifo", "order-main.fifo"] {
        let url = sdk
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_string();
        queues.push(url);
    }
    let (dlq, main) = (&queues[0], &queues[1]);
    for n in 0..12 {
        sdk.send_message()
            .queue_url(dlq)
            .message_body(format!("step-{n}"))
            .message_group_id(format!("tenant-{}", n % 2))
            .message_deduplication_id(format!("dedup-{n}"))
            .send()
            .await
            .unwrap();
    }
    let aws = Arc::new(Moto::shared().aws().await);
    let output = action(
        aws,
        "sqs.move_messages",
        json!({"SourceQueueUrl": dlq, "DestinationQueueUrl": main}),
    )
    .await
    .unwrap();
    assert_eq!(output["Moved"], 12, "{output}");

    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        let received = sdk
            .receive_message()
            .queue_url(main)
            .max_number_of_messages(10)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        if received.messages().is_empty() {
            break;
        }
        for message in received.messages() {
            let group = message.attributes().unwrap()
                [&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId]
                .clone();
            groups
                .entry(group)
                .or_default()
                .push(message.body().unwrap().to_string());
            sdk.delete_message()
                .queue_url(main)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let expected = |parity: usize| -> Vec<String> {
        (0..12)
            .filter(|n| n % 2 == parity)
            .map(|n| format!("step-{n}"))
            .collect()
    };
    assert_eq!(groups["tenant-0"], expected(0));
    assert_eq!(groups["tenant-1"], expected(1));
}

#[tokio::test]
async fn move_messages_sends_each_message_once_when_sqs_delivers_it_again() {
    let sdk = sdk().await;
    // Visibility timeout 0: every receive may hand out again what another poller is moving right now.
    let dlq = sdk
        .create_queue()
        .queue_name("redelivering-dlq")
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let main = create_queue(&sdk, "redelivering-main").await;
    seed(&sdk, &dlq, 60).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let output = action(
        aws,
        "sqs.move_messages",
        json!({"SourceQueueUrl": dlq, "DestinationQueueUrl": main, "Pollers": 4, "BatchSize": 10}),
    )
    .await
    .unwrap();
    assert_eq!(output["Moved"], 60, "{output}");
    assert_eq!(output["Received"], 60, "{output}");
    assert_eq!(output["NotDeleted"], 0, "{output}");
    // `drain` fails on a body that arrives twice.
    assert_eq!(drain(&sdk, &main).await.len(), 60);
    assert_eq!(depth(&sdk, &dlq).await, (0, 0));
}
