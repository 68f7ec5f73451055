//! Amazon CloudWatch (metrics and alarms).

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Reach, opt, req};

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "cloudwatch.GetMetricStatistics",
        execute: Execute::Call(&crate::aws::cloudwatch::GET_METRIC_STATISTICS),
        effect: Effect::Read,
        reach: Reach::Aws,
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
        iam: &["cloudwatch:GetMetricStatistics"],
        resource: "*",
        grants: &[],
        summary: "Get {Namespace} {MetricName} from {StartTime} to {EndTime}",
        example: "Namespace: AWS/Lambda\n\
                  MetricName: Invocations\n\
                  Dimensions: [{Name: FunctionName, Value: bg-remover-dev-s3TablesDataValidator}]\n\
                  StartTime: \"2025-12-30T13:00:00Z\"\n\
                  EndTime: \"2025-12-30T14:00:00Z\"\n\
                  Period: 300\n\
                  Statistics: [Sum]",
    },
    ActionSpec {
        name: "cloudwatch.GetMetricData",
        execute: Execute::Call(&crate::aws::cloudwatch::GET_METRIC_DATA),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[
            req("MetricDataQueries", List),
            req("StartTime", Timestamp),
            req("EndTime", Timestamp),
            opt("NextToken", String),
            opt("ScanBy", String),
            opt("MaxDatapoints", Integer),
            opt("LabelOptions", Structure),
        ],
        iam: &["cloudwatch:GetMetricData"],
        resource: "*",
        grants: &[],
        summary: "Get metric data from {StartTime} to {EndTime}",
        example: "MetricDataQueries: [{Id: errors, MetricStat: {Metric: {Namespace: AWS/DynamoDB, MetricName: UserErrors, Dimensions: [{Name: TableName, Value: bg-remover-dev-sales-intelligence}]}, Period: 60, Stat: Sum}}]\n\
                  StartTime: \"2025-12-30T13:00:00Z\"\n\
                  EndTime: \"2025-12-30T14:00:00Z\"",
    },
    ActionSpec {
        name: "cloudwatch.DescribeAlarms",
        execute: Execute::Call(&crate::aws::cloudwatch::DESCRIBE_ALARMS),
        effect: Effect::Read,
        reach: Reach::Aws,
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
        iam: &["cloudwatch:DescribeAlarms"],
        resource: "arn:aws:cloudwatch:{region}:{account}:alarm:*",
        grants: &[],
        summary: "List alarms named {AlarmNamePrefix}*",
        example: "AlarmNamePrefix: bg-remover-dev\n\
                  StateValue: ALARM",
    },
    ActionSpec {
        name: "cloudwatch.PutMetricAlarm",
        execute: Execute::Call(&crate::aws::cloudwatch::PUT_METRIC_ALARM),
        effect: Effect::Write,
        reach: Reach::Aws,
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
        iam: &["cloudwatch:PutMetricAlarm"],
        resource: "arn:aws:cloudwatch:{region}:{account}:alarm:{AlarmName}",
        grants: &[],
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
    },
];
