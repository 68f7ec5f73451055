//! CloudWatch actions against the emulator. The SDK crate speaks Smithy RPCv2 CBOR, which moto 5.2 does not;
//! our executors send awsQuery (see src/aws/cloudwatch.rs), and so does the seeding here: metric data goes in
//! as an awsQuery form, alarms are checked with our `DescribeAlarms`.

use crate::support;

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use serde_json::json;

/// Three datapoints of `Errors` (1, 4, 2) for one function, a minute apart, ending a minute ago. Returns the
/// window. Each test uses its own function name too: moto 5.2's GetMetricData ignores the namespace of a query
/// that has dimensions.
async fn seed(moto: &Moto, namespace: &str, function: &str) -> (String, String) {
    let now = jiff::Timestamp::now();
    let at = |minutes: i64| {
        (now - jiff::SignedDuration::from_mins(minutes))
            .round(jiff::Unit::Second)
            .unwrap()
            .to_string()
    };
    support::world::put_metric(
        moto,
        namespace,
        "Errors",
        ("FunctionName", function),
        &[(3, 1.0), (2, 4.0), (1, 2.0)],
    )
    .await;
    (at(10), now.to_string())
}

#[tokio::test]
async fn metric_statistics_through_awsquery() {
    let moto = Moto::shared();
    let aws = Arc::new(moto.aws().await);
    let (start, end) = seed(moto, "Runbook/Stats", "stats-fn").await;
    let output = action(
        aws.clone(),
        "cloudwatch.GetMetricStatistics",
        json!({
            "Namespace": "Runbook/Stats",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": "stats-fn"}],
            "StartTime": start,
            "EndTime": end,
            "Period": 3600,
            "Statistics": ["Sum", "Maximum", "SampleCount"],
        }),
    )
    .await
    .unwrap();
    assert_eq!(output["Label"], "Errors", "{output}");
    let datapoints = output["Datapoints"].as_array().unwrap();
    let sum: f64 = datapoints
        .iter()
        .map(|d| d["Sum"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(sum, 7.0, "{output}");
    let maximum = datapoints
        .iter()
        .map(|d| d["Maximum"].as_str().unwrap().parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert_eq!(maximum, 4.0, "{output}");

    // No data: still a list.
    let empty = action(
        aws,
        "cloudwatch.GetMetricStatistics",
        json!({
            "Namespace": "Runbook/Nothing",
            "MetricName": "Errors",
            "StartTime": "2025-12-30T13:00:00Z",
            "EndTime": "2025-12-30T14:00:00Z",
            "Period": 300,
            "Statistics": ["Sum"],
        }),
    )
    .await
    .unwrap();
    assert_eq!(empty["Datapoints"], json!([]), "{empty}");
}

#[tokio::test]
async fn metric_data_queries_through_awsquery() {
    let moto = Moto::shared();
    let aws = Arc::new(moto.aws().await);
    let (start, end) = seed(moto, "Runbook/Data", "data-fn").await;
    let output = action(
        aws,
        "cloudwatch.GetMetricData",
        json!({
            "MetricDataQueries": [{
                "Id": "errors",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Runbook/Data",
                        "MetricName": "Errors",
                        "Dimensions": [{"Name": "FunctionName", "Value": "data-fn"}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }],
            "StartTime": start,
            "EndTime": end,
        }),
    )
    .await
    .unwrap();
    let results = output["MetricDataResults"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{output}");
    assert_eq!(results[0]["Id"], "errors");
    // One datapoint per minute; numbers are text, like every XML value (see src/aws/xml.rs).
    let mut values: Vec<f64> = results[0]["Values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse::<f64>().unwrap())
        .collect();
    values.sort_by(f64::total_cmp);
    assert_eq!(values, [1.0, 2.0, 4.0], "{output}");
    assert_eq!(
        results[0]["Timestamps"].as_array().unwrap().len(),
        results[0]["Values"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn put_metric_alarm_then_describe_it() {
    let moto = Moto::shared();
    let aws = Arc::new(moto.aws().await);
    action(
        aws.clone(),
        "cloudwatch.PutMetricAlarm",
        json!({
            "AlarmName": "runbook-high-errors",
            "AlarmDescription": "Errors above 5",
            "Namespace": "Runbook/Alarms",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": "validator"}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 5.0,
            "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": ["arn:aws:sns:eu-west-1:123456789012:alerts"],
            "Tags": [{"Key": "team", "Value": "data"}],
        }),
    )
    .await
    .unwrap();

    let output = action(
        aws.clone(),
        "cloudwatch.DescribeAlarms",
        json!({"AlarmNamePrefix": "runbook-high"}),
    )
    .await
    .unwrap();
    let alarms = output["MetricAlarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 1, "{output}");
    let alarm = &alarms[0];
    assert_eq!(alarm["AlarmName"], "runbook-high-errors");
    assert_eq!(alarm["AlarmDescription"], "Errors above 5");
    assert_eq!(
        alarm["Threshold"].as_str().unwrap().parse::<f64>().unwrap(),
        5.0
    );
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(
        alarm["AlarmActions"],
        json!(["arn:aws:sns:eu-west-1:123456789012:alerts"])
    );
    assert_eq!(
        alarm["Dimensions"],
        json!([{"Name": "FunctionName", "Value": "validator"}])
    );

    let none = action(
        aws,
        "cloudwatch.DescribeAlarms",
        json!({"AlarmNames": ["no-such-alarm"]}),
    )
    .await
    .unwrap();
    assert_eq!(none["MetricAlarms"], json!([]), "{none}");
}
