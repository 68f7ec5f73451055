//! CloudWatch Logs actions against the emulator: camelCase members, millisecond times.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::json;

/// A group with two streams; `validation_summary` lines in the first, noise in both. Returns now in ms.
async fn seed(group: &str) -> i64 {
    let sdk = aws_sdk_cloudwatchlogs::Client::new(&Moto::shared().sdk_config().await);
    sdk.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    for (stream, lines) in [
        (
            "2025/12/30/[$LATEST]aaaa",
            vec![
                "START RequestId: 1",
                "validation_summary status=OK rows=120",
                "validation_summary status=CRITICAL rows=0",
            ],
        ),
        (
            "2025/12/30/[$LATEST]bbbb",
            vec!["START RequestId: 2", "END RequestId: 2"],
        ),
    ] {
        sdk.create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
        let events: Vec<InputLogEvent> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                InputLogEvent::builder()
                    .timestamp(now - 60_000 + i as i64 * 1000)
                    .message(*line)
                    .build()
                    .unwrap()
            })
            .collect();
        sdk.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    }
    now
}

#[tokio::test]
async fn filter_log_events_finds_the_validation_summaries() {
    let group = "/aws/lambda/validator-filter";
    let now = seed(group).await;
    let aws = Arc::new(Moto::shared().aws().await);

    // As the smoke test asks: the start time is a template product, possibly a float.
    let output = action(
        aws.clone(),
        "logs.FilterLogEvents",
        json!({"logGroupName": group, "startTime": (now - 24 * 3_600_000) as f64, "filterPattern": "validation_summary"}),
    )
    .await
    .unwrap();
    let events = output["events"].as_array().unwrap();
    let messages: Vec<&str> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "validation_summary status=OK rows=120",
            "validation_summary status=CRITICAL rows=0"
        ],
        "{output}"
    );
    // Millisecond times stay numbers, as the API documents them.
    assert!(events[0]["timestamp"].is_i64(), "{output}");

    let error = action(
        aws,
        "logs.FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/absent", "filterPattern": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException", "{error}");
}

#[tokio::test]
async fn groups_streams_and_events_are_listed() {
    let group = "/aws/lambda/validator-streams";
    seed(group).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let groups = action(
        aws.clone(),
        "logs.DescribeLogGroups",
        json!({"logGroupNamePrefix": "/aws/lambda/validator-streams"}),
    )
    .await
    .unwrap();
    assert_eq!(groups["logGroups"][0]["logGroupName"], group, "{groups}");
    assert!(groups["logGroups"][0]["creationTime"].is_i64(), "{groups}");

    let streams = action(
        aws.clone(),
        "logs.DescribeLogStreams",
        json!({"logGroupName": group, "orderBy": "LogStreamName", "descending": "true", "limit": 5}),
    )
    .await
    .unwrap();
    let names: Vec<&str> = streams["logStreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["logStreamName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["2025/12/30/[$LATEST]bbbb", "2025/12/30/[$LATEST]aaaa"],
        "{streams}"
    );

    let events = action(
        aws,
        "logs.GetLogEvents",
        json!({"logGroupName": group, "logStreamName": "2025/12/30/[$LATEST]bbbb", "startFromHead": true}),
    )
    .await
    .unwrap();
    let messages: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["START RequestId: 2", "END RequestId: 2"],
        "{events}"
    );
}

#[tokio::test]
async fn insights_query_starts_and_returns_results() {
    let group = "/aws/lambda/validator-insights";
    let now = seed(group).await;
    let aws = Arc::new(Moto::shared().aws().await);

    let started = action(
        aws.clone(),
        "logs.StartQuery",
        json!({
            "logGroupName": group,
            "startTime": now / 1000 - 3600,
            "endTime": now / 1000 + 60,
            "queryString": "fields @timestamp, @message | filter @message like /CRITICAL/",
        }),
    )
    .await
    .unwrap();
    let id = started["queryId"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"));

    let results = action(aws, "logs.GetQueryResults", json!({"queryId": id}))
        .await
        .unwrap();
    assert_eq!(results["status"], "Complete", "{results}");
    // Rows come back as lists of {field, value}. Moto ignores the `filter` command, so only assert that the
    // matching line is among them.
    let messages: Vec<&str> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .filter(|cell| cell["field"] == "@message")
        .map(|cell| cell["value"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"validation_summary status=CRITICAL rows=0"),
        "{results}"
    );
}
