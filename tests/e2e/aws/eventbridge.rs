//! EventBridge (`events.*`) actions against the emulator.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_eventbridge::types::RuleState;
use serde_json::json;

async fn state(sdk: &aws_sdk_eventbridge::Client, name: &str) -> RuleState {
    sdk.describe_rule()
        .name(name)
        .send()
        .await
        .unwrap()
        .state()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn rules_are_described_listed_disabled_and_enabled() {
    let moto = Moto::shared();
    let sdk = aws_sdk_eventbridge::Client::new(&moto.sdk_config().await);
    for name in ["exporter-schedule", "exporter-retry"] {
        sdk.put_rule()
            .name(name)
            .schedule_expression("rate(1 hour)")
            .state(RuleState::Enabled)
            .send()
            .await
            .unwrap();
    }
    let aws = Arc::new(moto.aws().await);

    let rule = action(
        aws.clone(),
        "events.DescribeRule",
        json!({"Name": "exporter-schedule"}),
    )
    .await
    .unwrap();
    assert_eq!(rule["ScheduleExpression"], "rate(1 hour)", "{rule}");
    assert_eq!(rule["State"], "ENABLED", "{rule}");

    let listed = action(
        aws.clone(),
        "events.ListRules",
        json!({"NamePrefix": "exporter-"}),
    )
    .await
    .unwrap();
    let mut names: Vec<&str> = listed["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["exporter-retry", "exporter-schedule"], "{listed}");

    action(
        aws.clone(),
        "events.DisableRule",
        json!({"Name": "exporter-schedule"}),
    )
    .await
    .unwrap();
    assert_eq!(state(&sdk, "exporter-schedule").await, RuleState::Disabled);
    assert_eq!(state(&sdk, "exporter-retry").await, RuleState::Enabled);
    action(
        aws.clone(),
        "events.EnableRule",
        json!({"Name": "exporter-schedule"}),
    )
    .await
    .unwrap();
    assert_eq!(state(&sdk, "exporter-schedule").await, RuleState::Enabled);

    let error = action(aws, "events.DisableRule", json!({"Name": "absent"}))
        .await
        .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException", "{error}");
}
