//! Broken worlds: faults put into a seeded emulator (scripts/seed/) for the runbooks that must find them. The
//! sandbox seeds a healthy world only; each test breaks what its procedure diagnoses, with the same APIs a real
//! fault would leave its traces through (metrics with PutMetricData, log lines with PutLogEvents, a rule disabled,
//! a table switched to provisioned capacity, Cost Explorer figures through moto's seeding API).

use std::time::SystemTime;

use super::moto::Moto;

/// Datapoints of `metric` in `namespace` with one dimension, each `(minutes ago, value)`. PutMetricData is not an
/// action and the SDK crate speaks Smithy RPCv2 CBOR, which moto does not: it is written out as the awsQuery form
/// moto reads (CloudWatch's region comes from the credential scope).
pub async fn put_metric(
    moto: &Moto,
    namespace: &str,
    metric: &str,
    dimension: (&str, &str),
    points: &[(u64, f64)],
) {
    let now = jiff::Timestamp::now();
    let mut form: Vec<(String, String)> = vec![
        ("Action".into(), "PutMetricData".into()),
        ("Version".into(), "2010-08-01".into()),
        ("Namespace".into(), namespace.into()),
    ];
    for (index, (minutes_ago, value)) in points.iter().enumerate() {
        let at = (now - jiff::SignedDuration::from_mins(*minutes_ago as i64))
            .round(jiff::Unit::Second)
            .unwrap();
        let member = format!("MetricData.member.{}", index + 1);
        for (key, field) in [
            ("MetricName", metric.to_string()),
            ("Dimensions.member.1.Name", dimension.0.to_string()),
            ("Dimensions.member.1.Value", dimension.1.to_string()),
            ("Timestamp", at.to_string()),
            ("Value", value.to_string()),
        ] {
            form.push((format!("{member}.{key}"), field));
        }
    }
    let (status, body) = moto.aws_query("eu-west-1", "monitoring", &form).await;
    assert!(status.is_success(), "PutMetricData: {status} {body}");
}

/// Log lines in `group` (made if missing), stream `stream`, each `seconds_ago` before now.
pub async fn put_logs(moto: &Moto, group: &str, stream: &str, lines: &[(u64, &str)]) {
    use aws_sdk_cloudwatchlogs::types::InputLogEvent;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config().await);
    let _ = logs.create_log_group().log_group_name(group).send().await;
    let _ = logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let events = lines
        .iter()
        .map(|(seconds_ago, message)| {
            InputLogEvent::builder()
                .timestamp(now - *seconds_ago as i64 * 1000)
                .message(*message)
                .build()
                .expect("a complete log event")
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("put the log events");
}

/// The table switched to provisioned capacity, `units` read and write.
pub async fn provision_table(moto: &Moto, table: &str, units: i64) {
    use aws_sdk_dynamodb::types::{BillingMode, ProvisionedThroughput};
    aws_sdk_dynamodb::Client::new(&moto.sdk_config().await)
        .update_table()
        .table_name(table)
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(units)
                .write_capacity_units(units)
                .build()
                .expect("a complete throughput"),
        )
        .send()
        .await
        .expect("switch the table to provisioned capacity");
}

/// The billing mode of `table` as DynamoDB reports it (PROVISIONED when it reports none).
pub async fn billing_mode(moto: &Moto, table: &str) -> String {
    let described = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await)
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe the table");
    described
        .table()
        .and_then(|t| t.billing_mode_summary())
        .and_then(|s| s.billing_mode())
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "PROVISIONED".into())
}

/// An SNS topic with an SQS queue subscribed to it, to see what a run publishes: (topic ARN, queue URL).
pub async fn topic_with_subscriber(moto: &Moto, name: &str) -> (String, String) {
    let config = moto.sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("create the topic")
        .topic_arn
        .expect("a topic ARN");
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("{name}-subscriber"))
        .send()
        .await
        .expect("create the queue")
        .queue_url
        .expect("a queue URL");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("read the queue's ARN")
        .attributes
        .expect("attributes")[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .expect("subscribe the queue");
    (topic, queue_url)
}

/// The SNS envelopes (JSON with `Subject` and `Message`) waiting in a subscribed queue, received and deleted.
pub async fn published(moto: &Moto, queue_url: &str) -> Vec<serde_json::Value> {
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config().await);
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive");
    let mut envelopes = Vec::new();
    for message in received.messages.unwrap_or_default() {
        envelopes
            .push(serde_json::from_str(message.body().unwrap_or("{}")).expect("an SNS envelope"));
        sqs.delete_message()
            .queue_url(queue_url)
            .receipt_handle(message.receipt_handle().unwrap_or_default())
            .send()
            .await
            .expect("delete");
    }
    envelopes
}

/// Queues Cost Explorer's next answer (moto hands it to the next GetCostAndUsage with new parameters): one period
/// with a BlendedCost per service.
pub async fn queue_costs(moto: &Moto, start: &str, end: &str, costs: &[(&str, &str)]) {
    let groups: Vec<serde_json::Value> = costs
        .iter()
        .map(|(service, amount)| {
            serde_json::json!({"Keys": [service], "Metrics": {"BlendedCost": {"Amount": amount, "Unit": "USD"}}})
        })
        .collect();
    moto.moto_api(
        "/moto-api/static/ce/cost-and-usage-results",
        serde_json::json!({"results": [{
            "ResultsByTime": [{
                "TimePeriod": {"Start": start, "End": end},
                "Total": {},
                "Groups": groups,
                "Estimated": false,
            }],
            "DimensionValueAttributes": [],
        }]}),
    )
    .await;
}

/// The function's timeout in seconds.
pub async fn function_timeout(moto: &Moto, function: &str) -> i32 {
    aws_sdk_lambda::Client::new(&moto.sdk_config().await)
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .timeout()
        .unwrap()
}

/// Two runs of the validator that time out at the seeded 300 s, RowCountCheck taking most of each.
pub async fn put_timed_out_runs(moto: &Moto, function: &str) {
    let group = format!("/aws/lambda/{function}");
    let mut lines = Vec::new();
    for (start, row_count) in [(3600_u64, 250_u64), (1800, 262)] {
        lines.push((
            start,
            format!("START RequestId: run-{start} Version: $LATEST"),
        ));
        lines.push((
            start,
            format!("2026-01-01T00:00:00.000Z\trun-{start}\tINFO\tRowCountCheck START"),
        ));
        lines.push((start - row_count, "RowCountCheck COMPLETED".to_string()));
        lines.push((start - row_count, "EmbeddingCheck START".to_string()));
        lines.push((
            start - 300,
            format!("2026-01-01T00:05:00.000Z run-{start} Task timed out after 300.00 seconds"),
        ));
        lines.push((
            start - 300,
            format!("REPORT RequestId: run-{start}\tDuration: 300000.00 ms\tBilled Duration: 300000 ms\tMemory Size: 512 MB\tMax Memory Used: 300 MB"),
        ));
    }
    let lines: Vec<(u64, &str)> = lines
        .iter()
        .map(|(at, text)| (*at, text.as_str()))
        .collect();
    put_logs(moto, &group, "timed-out", &lines).await;
}

/// The service's alarms as CloudWatch describes them, by name (our awsQuery DescribeAlarms: the SDK crate speaks
/// a protocol moto does not).
pub async fn service_alarms(moto: &Moto) -> std::collections::BTreeMap<String, serde_json::Value> {
    let output = super::actions::action(
        std::sync::Arc::new(moto.aws().await),
        "cloudwatch.DescribeAlarms",
        serde_json::json!({"AlarmNamePrefix": "bg-remover-dev-"}),
    )
    .await
    .unwrap();
    output["MetricAlarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alarm| {
            (
                alarm["AlarmName"].as_str().unwrap().to_string(),
                alarm.clone(),
            )
        })
        .collect()
}

/// The sandbox's S3 Tables sync (section 6.4): the exporter function, the rule that schedules it, and the table
/// bucket, namespace and table it keeps.
pub const EXPORTER: &str = "bg-remover-dev-s3-exporter";
pub const EXPORT_RULE: &str = "bg-remover-dev-s3-export-schedule";
pub const TABLE_BUCKET: &str =
    "arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev";
pub const SYNCED_NAMESPACE: &str = "pricing_intelligence_dev";
pub const SYNCED_TABLE: &str = "sales_history";

/// The export schedule's state (`ENABLED`, `DISABLED`).
pub async fn rule_state(moto: &Moto) -> String {
    aws_sdk_eventbridge::Client::new(&moto.sdk_config().await)
        .describe_rule()
        .name(EXPORT_RULE)
        .send()
        .await
        .unwrap()
        .state()
        .unwrap()
        .as_str()
        .to_string()
}

/// The synced table's current metadata file and version token.
pub async fn s3tables_location(config: &aws_types::SdkConfig) -> (String, String) {
    let answer = aws_sdk_s3tables::Client::new(config)
        .get_table_metadata_location()
        .table_bucket_arn(TABLE_BUCKET)
        .namespace(SYNCED_NAMESPACE)
        .name(SYNCED_TABLE)
        .send()
        .await
        .unwrap();
    (
        answer.metadata_location().unwrap_or_default().to_string(),
        answer.version_token().to_string(),
    )
}

/// Section 6.4's causes 1 and 2: the schedule disabled, the last export three hours ago, errors since.
pub async fn stale_exports(moto: &Moto) {
    aws_sdk_eventbridge::Client::new(&moto.sdk_config().await)
        .disable_rule()
        .name(EXPORT_RULE)
        .send()
        .await
        .unwrap();
    let group = format!("/aws/lambda/{EXPORTER}");
    aws_sdk_cloudwatchlogs::Client::new(&moto.sdk_config().await)
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    put_logs(
        moto,
        &group,
        "stale",
        &[
            (
                3 * 3600,
                r#"S3Export COMPLETED {"rows": 40, "table": "sales_history"}"#,
            ),
            (2 * 3600, "S3Export ERROR AccessDenied on the table bucket"),
            (3600, "S3Export ERROR AccessDenied on the table bucket"),
        ],
    )
    .await;
}

/// What the exporter does when it runs, which moto's Lambda cannot (it runs no code): the table's metadata moves
/// to a new file, whose location this returns.
pub async fn export_moves_the_table(
    config: &aws_types::SdkConfig,
    aws: std::sync::Arc<runbook::aws::Aws>,
) -> String {
    let (location, token) = s3tables_location(config).await;
    let exported = location.replace(".metadata.json", "-exported.metadata.json");
    // Through our own action: the SDK crate cannot read moto's answer to this call (its `namespace` is a string).
    super::actions::action(
        aws,
        "s3tables.UpdateTableMetadataLocation",
        serde_json::json!({
            "tableBucketARN": TABLE_BUCKET,
            "namespace": SYNCED_NAMESPACE,
            "name": SYNCED_TABLE,
            "versionToken": token,
            "metadataLocation": exported,
        }),
    )
    .await
    .unwrap();
    exported
}

/// The version the function's `live` alias serves.
pub async fn live_alias_version(moto: &Moto, function: &str) -> String {
    aws_sdk_lambda::Client::new(&moto.sdk_config().await)
        .get_alias()
        .function_name(function)
        .name("live")
        .send()
        .await
        .unwrap()
        .function_version()
        .unwrap()
        .to_string()
}

/// The analytics bucket triage lists (the seed's Iceberg part makes it, with pyiceberg's seconds).
pub async fn analytics_bucket(moto: &Moto) {
    let sdk = aws_sdk_s3::Client::new(&moto.sdk_config().await);
    super::s3_objects::create_bucket(&sdk, "carousel-labs-analytics-dev").await;
}
