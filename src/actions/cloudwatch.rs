//! Amazon CloudWatch (metrics and alarms).

use super::MemberType::*;
use super::{ActionSpec, opt, req};

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        cloudwatch.get_metric_statistics,
        "cloudwatch", "GetMetricStatistics", Read, Query;
        members: &[
            req("Namespace", String),
            req("MetricName", String),
            req("StartTime", Timestamp),
            req("EndTime", Timestamp),
            req("Period", Integer),
            opt("Dimensions", List),
            opt("Statistics", List),
            opt("ExtendedStatistics", List),
            opt("Unit", String),
        ],
        resource: "*",
        summary: "Get {Namespace} {MetricName} from {StartTime} to {EndTime}",
        example: "Namespace: AWS/Lambda\n\
                  MetricName: Invocations\n\
                  Dimensions: [{Name: FunctionName, Value: bg-remover-dev-s3TablesDataValidator}]\n\
                  StartTime: \"2025-12-30T13:00:00Z\"\n\
                  EndTime: \"2025-12-30T14:00:00Z\"\n\
                  Period: 300\n\
                  Statistics: [Sum]",
    ),
    call!(
        cloudwatch.get_metric_data,
        "cloudwatch", "GetMetricData", Read, Query;
        members: &[
            req("MetricDataQueries", List),
            req("StartTime", Timestamp),
            req("EndTime", Timestamp),
            opt("NextToken", String),
            opt("ScanBy", String),
            opt("MaxDatapoints", Integer),
            opt("LabelOptions", Structure),
        ],
        resource: "*",
        summary: "Get metric data from {StartTime} to {EndTime}",
        example: "MetricDataQueries: [{Id: errors, MetricStat: {Metric: {Namespace: AWS/DynamoDB, MetricName: UserErrors, Dimensions: [{Name: TableName, Value: bg-remover-dev-sales-intelligence}]}, Period: 60, Stat: Sum}}]\n\
                  StartTime: \"2025-12-30T13:00:00Z\"\n\
                  EndTime: \"2025-12-30T14:00:00Z\"",
    ),
    call!(
        cloudwatch.describe_alarms,
        "cloudwatch", "DescribeAlarms", Read, Query;
        members: &[
            opt("AlarmNames", List),
            opt("AlarmNamePrefix", String),
            opt("AlarmTypes", List),
            opt("ChildrenOfAlarmName", String),
            opt("ParentsOfAlarmName", String),
            opt("StateValue", String),
            opt("ActionPrefix", String),
            opt("MaxRecords", Integer),
            opt("NextToken", String),
        ],
        resource: "arn:aws:cloudwatch:{region}:{account}:alarm:*",
        summary: "List alarms named {AlarmNamePrefix}*",
        example: "AlarmNamePrefix: bg-remover-dev\n\
                  StateValue: ALARM",
    ),
    call!(
        cloudwatch.put_metric_alarm,
        "cloudwatch", "PutMetricAlarm", Write, Query;
        // Only AlarmName is required since PromQL alarms, which have no EvaluationPeriods or ComparisonOperator.
        members: &[
            req("AlarmName", String),
            opt("AlarmDescription", String),
            opt("ActionsEnabled", Boolean),
            opt("OKActions", List),
            opt("AlarmActions", List),
            opt("InsufficientDataActions", List),
            opt("MetricName", String),
            opt("Namespace", String),
            opt("Statistic", String),
            opt("ExtendedStatistic", String),
            opt("Dimensions", List),
            opt("Period", Integer),
            opt("Unit", String),
            opt("EvaluationPeriods", Integer),
            opt("DatapointsToAlarm", Integer),
            opt("Threshold", Number),
            opt("ComparisonOperator", String),
            opt("TreatMissingData", String),
            opt("EvaluateLowSampleCountPercentile", String),
            opt("Metrics", List),
            opt("Tags", List),
            opt("ThresholdMetricId", String),
            opt("EvaluationCriteria", Structure),
            opt("EvaluationInterval", Integer),
            opt("EvaluationWindow", Structure),
            opt("ActionConfiguration", Structure),
        ],
        resource: "arn:aws:cloudwatch:{region}:{account}:alarm:{AlarmName}",
        summary: "Create or replace alarm {AlarmName}",
        example: "AlarmName: bg-remover-high-cost\n\
                  AlarmDescription: Daily cost exceeds $0.20\n\
                  Namespace: AWS/Billing\n\
                  MetricName: EstimatedCharges\n\
                  Dimensions: [{Name: Currency, Value: USD}]\n\
                  Statistic: Maximum\n\
                  Period: 86400\n\
                  EvaluationPeriods: 1\n\
                  Threshold: 0.20\n\
                  ComparisonOperator: GreaterThanThreshold\n\
                  AlarmActions: [\"arn:aws:sns:eu-west-1:123456789012:bg-remover-cost-alerts\"]",
    ),
];
