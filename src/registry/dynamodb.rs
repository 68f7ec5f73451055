//! Amazon DynamoDB.

use super::MemberType::*;
use super::observed::{Field, How, Observed};
use super::{ActionSpec, Effect, Execute, Grant, Pages, opt, req};
use crate::aws;

const TABLE: &str = "arn:aws:dynamodb:{region}:{account}:table/{TableName}";

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "dynamodb.DescribeTable",
        execute: Execute::Call(&aws::dynamodb::DESCRIBE_TABLE),
        effect: Effect::Read,
        members: &[req("TableName", String)],
        iam: &["dynamodb:DescribeTable"],
        resource: TABLE,
        grants: &[],
        summary: "Describe table {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence",
    },
    ActionSpec {
        name: "dynamodb.DescribeContinuousBackups",
        execute: Execute::Call(&aws::dynamodb::DESCRIBE_CONTINUOUS_BACKUPS),
        effect: Effect::Read,
        members: &[req("TableName", String)],
        iam: &["dynamodb:DescribeContinuousBackups"],
        resource: TABLE,
        grants: &[],
        summary: "Show point-in-time recovery status of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence",
    },
    ActionSpec {
        name: "dynamodb.ListBackups",
        execute: Execute::Paged(
            &aws::dynamodb::LIST_BACKUPS,
            Pages {
                request_token: "ExclusiveStartBackupArn",
                response_token: "LastEvaluatedBackupArn",
                lists: &["BackupSummaries"],
            },
        ),
        effect: Effect::Read,
        members: &[
            opt("TableName", String),
            opt("Limit", Integer),
            opt("TimeRangeLowerBound", Timestamp),
            opt("TimeRangeUpperBound", Timestamp),
            opt("ExclusiveStartBackupArn", String),
            opt("BackupType", String),
        ],
        iam: &["dynamodb:ListBackups"],
        resource: "*",
        grants: &[],
        summary: "List on-demand backups of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  BackupType: ALL",
    },
    ActionSpec {
        name: "dynamodb.ListTables",
        execute: Execute::Paged(
            &aws::dynamodb::LIST_TABLES,
            Pages {
                request_token: "ExclusiveStartTableName",
                response_token: "LastEvaluatedTableName",
                lists: &["TableNames"],
            },
        ),
        effect: Effect::Read,
        members: &[
            opt("ExclusiveStartTableName", String),
            opt("Limit", Integer),
        ],
        iam: &["dynamodb:ListTables"],
        resource: "*",
        grants: &[],
        summary: "List tables",
        example: "Limit: 100",
    },
    ActionSpec {
        name: "dynamodb.CreateBackup",
        execute: Execute::Call(&aws::dynamodb::CREATE_BACKUP),
        effect: Effect::Write,
        members: &[req("TableName", String), req("BackupName", String)],
        iam: &["dynamodb:CreateBackup"],
        resource: TABLE,
        grants: &[],
        summary: "Create on-demand backup {BackupName} of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  BackupName: sales-intelligence-before-restore-20251230",
    },
    ActionSpec {
        name: "dynamodb.DescribeBackup",
        execute: Execute::Call(&aws::dynamodb::DESCRIBE_BACKUP),
        effect: Effect::Read,
        members: &[req("BackupArn", String)],
        iam: &["dynamodb:DescribeBackup"],
        resource: "{BackupArn}",
        grants: &[],
        summary: "Describe backup {BackupArn}",
        example: "BackupArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/backup/01735567200000-a1b2c3d4\"",
    },
    ActionSpec {
        name: "dynamodb.DeleteBackup",
        execute: Execute::Call(&aws::dynamodb::DELETE_BACKUP),
        effect: Effect::Write,
        members: &[req("BackupArn", String)],
        iam: &["dynamodb:DeleteBackup"],
        resource: "{BackupArn}",
        grants: &[],
        summary: "Delete backup {BackupArn}",
        example: "BackupArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/backup/01735567200000-a1b2c3d4\"",
    },
    ActionSpec {
        name: "dynamodb.RestoreTableToPointInTime",
        execute: Execute::Call(&aws::dynamodb::RESTORE_TABLE_TO_POINT_IN_TIME),
        effect: Effect::Write,
        members: &[
            req("TargetTableName", String),
            opt("SourceTableArn", String),
            opt("SourceTableName", String),
            opt("UseLatestRestorableTime", Boolean),
            opt("RestoreDateTime", Timestamp),
            opt("BillingModeOverride", String),
            opt("GlobalSecondaryIndexOverride", List),
            opt("LocalSecondaryIndexOverride", List),
            opt("ProvisionedThroughputOverride", Structure),
            opt("OnDemandThroughputOverride", Structure),
            opt("SSESpecificationOverride", Structure),
        ],
        // AWS documents that a restore also needs the data-plane actions on the new table.
        iam: &[
            "dynamodb:RestoreTableToPointInTime",
            "dynamodb:Scan",
            "dynamodb:Query",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        ],
        resource: "arn:aws:dynamodb:{region}:{account}:table/{TargetTableName}",
        grants: &[Grant {
            actions: &["dynamodb:RestoreTableToPointInTime"],
            // AWS checks the source table as well as the new one.
            resources: &[
                "arn:aws:dynamodb:{region}:{account}:table/{TargetTableName}",
                "arn:aws:dynamodb:{region}:{account}:table/{SourceTableName}",
            ],
        }],
        summary: "Restore {SourceTableName} as of {RestoreDateTime} into new table {TargetTableName}",
        example: "SourceTableName: bg-remover-dev-sales-intelligence\n\
                  TargetTableName: bg-remover-dev-sales-intelligence-restore\n\
                  RestoreDateTime: \"2025-12-30T13:55:00Z\"",
    },
    ActionSpec {
        name: "dynamodb.RestoreTableFromBackup",
        execute: Execute::Call(&aws::dynamodb::RESTORE_TABLE_FROM_BACKUP),
        effect: Effect::Write,
        members: &[
            req("TargetTableName", String),
            req("BackupArn", String),
            opt("BillingModeOverride", String),
            opt("GlobalSecondaryIndexOverride", List),
            opt("LocalSecondaryIndexOverride", List),
            opt("ProvisionedThroughputOverride", Structure),
            opt("OnDemandThroughputOverride", Structure),
            opt("SSESpecificationOverride", Structure),
        ],
        // AWS documents that a restore also needs the data-plane actions on the new table.
        iam: &[
            "dynamodb:RestoreTableFromBackup",
            "dynamodb:Scan",
            "dynamodb:Query",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        ],
        resource: "arn:aws:dynamodb:{region}:{account}:table/{TargetTableName}",
        grants: &[Grant {
            actions: &["dynamodb:RestoreTableFromBackup"],
            resources: &[
                "arn:aws:dynamodb:{region}:{account}:table/{TargetTableName}",
                "{BackupArn}",
            ],
        }],
        summary: "Restore backup {BackupArn} into new table {TargetTableName}",
        example: "TargetTableName: bg-remover-dev-sales-intelligence-restore\n\
                  BackupArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/backup/01735567200000-a1b2c3d4\"",
    },
    ActionSpec {
        name: "dynamodb.UpdateTable",
        execute: Execute::Call(&aws::dynamodb::UPDATE_TABLE),
        effect: Effect::Write,
        members: &[
            req("TableName", String),
            opt("AttributeDefinitions", List),
            opt("BillingMode", String),
            opt("ProvisionedThroughput", Structure),
            opt("GlobalSecondaryIndexUpdates", List),
            opt("StreamSpecification", Structure),
            opt("SSESpecification", Structure),
            opt("ReplicaUpdates", List),
            opt("TableClass", String),
            opt("DeletionProtectionEnabled", Boolean),
            opt("OnDemandThroughput", Structure),
            opt("WarmThroughput", Structure),
        ],
        iam: &["dynamodb:UpdateTable"],
        resource: TABLE,
        grants: &[],
        summary: "Change the settings of table {TableName} (stream, capacity, indexes)",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  StreamSpecification: {StreamEnabled: true, StreamViewType: NEW_AND_OLD_IMAGES}",
    },
    ActionSpec {
        name: "dynamodb.DeleteTable",
        execute: Execute::Call(&aws::dynamodb::DELETE_TABLE),
        effect: Effect::Write,
        members: &[req("TableName", String)],
        iam: &["dynamodb:DeleteTable"],
        resource: TABLE,
        grants: &[],
        summary: "Delete table {TableName} and all its items",
        example: "TableName: bg-remover-dev-sales-intelligence-restore",
    },
    ActionSpec {
        name: "dynamodb.Scan",
        execute: Execute::Call(&aws::dynamodb::SCAN),
        effect: Effect::Read,
        members: &[
            req("TableName", String),
            opt("IndexName", String),
            opt("AttributesToGet", List),
            opt("Limit", Integer),
            opt("Select", String),
            opt("ScanFilter", Map),
            opt("ConditionalOperator", String),
            opt("ExclusiveStartKey", Map),
            opt("ReturnConsumedCapacity", String),
            opt("TotalSegments", Integer),
            opt("Segment", Integer),
            opt("ProjectionExpression", String),
            opt("FilterExpression", String),
            opt("ExpressionAttributeNames", Map),
            opt("ExpressionAttributeValues", Map),
            opt("ConsistentRead", Boolean),
        ],
        iam: &["dynamodb:Scan"],
        resource: TABLE,
        grants: &[],
        summary: "Scan one page of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  Select: COUNT",
    },
    ActionSpec {
        name: "dynamodb.Query",
        execute: Execute::Call(&aws::dynamodb::QUERY),
        effect: Effect::Read,
        members: &[
            req("TableName", String),
            opt("IndexName", String),
            opt("Select", String),
            opt("AttributesToGet", List),
            opt("Limit", Integer),
            opt("ConsistentRead", Boolean),
            opt("KeyConditions", Map),
            opt("QueryFilter", Map),
            opt("ConditionalOperator", String),
            opt("ScanIndexForward", Boolean),
            opt("ExclusiveStartKey", Map),
            opt("ReturnConsumedCapacity", String),
            opt("ProjectionExpression", String),
            opt("FilterExpression", String),
            opt("KeyConditionExpression", String),
            opt("ExpressionAttributeNames", Map),
            opt("ExpressionAttributeValues", Map),
        ],
        iam: &["dynamodb:Query"],
        resource: TABLE,
        grants: &[],
        summary: "Query one page of {TableName} {IndexName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  IndexName: GSI2\n\
                  KeyConditionExpression: \"GSI2PK = :pk AND #t > :since\"\n\
                  ExpressionAttributeNames: {\"#t\": CreatedAt}\n\
                  ExpressionAttributeValues: {\":pk\": {S: \"TENANT#carousel-labs#EMBEDTYPE#MEM0\"}, \":since\": {N: \"1767103200000\"}}\n\
                  ScanIndexForward: false\n\
                  Limit: 5",
    },
    ActionSpec {
        name: "dynamodb.GetItem",
        execute: Execute::Call(&aws::dynamodb::GET_ITEM),
        effect: Effect::Read,
        members: &[
            req("TableName", String),
            req("Key", Map),
            opt("AttributesToGet", List),
            opt("ConsistentRead", Boolean),
            opt("ReturnConsumedCapacity", String),
            opt("ProjectionExpression", String),
            opt("ExpressionAttributeNames", Map),
        ],
        iam: &["dynamodb:GetItem"],
        resource: TABLE,
        grants: &[],
        summary: "Get one item of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  Key: {PK: {S: \"TENANT#carousel-labs\"}, SK: {S: \"SALE#2025-12-30#0001\"}}",
    },
    ActionSpec {
        name: "dynamodb.PutItem",
        execute: Execute::Call(&aws::dynamodb::PUT_ITEM),
        effect: Effect::Write,
        members: &[
            req("TableName", String),
            req("Item", Map),
            opt("Expected", Map),
            opt("ReturnValues", String),
            opt("ReturnConsumedCapacity", String),
            opt("ReturnItemCollectionMetrics", String),
            opt("ConditionalOperator", String),
            opt("ConditionExpression", String),
            opt("ExpressionAttributeNames", Map),
            opt("ExpressionAttributeValues", Map),
            opt("ReturnValuesOnConditionCheckFailure", String),
        ],
        iam: &["dynamodb:PutItem"],
        resource: TABLE,
        grants: &[],
        summary: "Write one item to {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  Item: {PK: {S: \"TENANT#carousel-labs\"}, SK: {S: \"RUNBOOK#restore-marker\"}}\n\
                  ConditionExpression: attribute_not_exists(PK)",
    },
    ActionSpec {
        name: "dynamodb.UpdateContinuousBackups",
        execute: Execute::Call(&aws::dynamodb::UPDATE_CONTINUOUS_BACKUPS),
        effect: Effect::Write,
        members: &[
            req("TableName", String),
            req("PointInTimeRecoverySpecification", Structure),
        ],
        iam: &["dynamodb:UpdateContinuousBackups"],
        resource: TABLE,
        grants: &[],
        summary: "Change point-in-time recovery of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35}",
    },
    ActionSpec {
        name: "dynamodb.count_items",
        execute: Execute::Run(super::composites::count_items::count_items),
        effect: Effect::Read,
        members: &[
            req("TableName", String),
            opt("IndexName", String),
            opt("KeyConditionExpression", String),
            opt("FilterExpression", String),
            opt("ExpressionAttributeNames", Map),
            opt("ExpressionAttributeValues", Map),
            // Items evaluated per page (each Scan or Query's `Limit`), to spread the read load; not a cap.
            opt("Limit", Integer),
        ],
        iam: &["dynamodb:Scan", "dynamodb:Query"],
        resource: TABLE,
        grants: &[],
        summary: "Count items of {TableName} (paginated)",
        example: "TableName: bg-remover-dev-sales-intelligence-restore",
    },
];

/// What the writes above change: read back before and after, or from their output ([`super::observed`]).
pub const OBSERVED: &[Observed] = &[
    Observed {
        action: "dynamodb.CreateBackup",
        how: How::Output("backup {BackupDetails.BackupName} kept: {BackupDetails.BackupArn}"),
    },
    Observed {
        action: "dynamodb.RestoreTableToPointInTime",
        how: How::Output(
            "table {TableDescription.TableName} created from the restore, {TableDescription.TableStatus}",
        ),
    },
    Observed {
        action: "dynamodb.RestoreTableFromBackup",
        how: How::Output(
            "table {TableDescription.TableName} created from the backup, {TableDescription.TableStatus}",
        ),
    },
    Observed {
        action: "dynamodb.DeleteTable",
        how: How::Output(
            "table {TableDescription.TableName} {TableDescription.TableStatus} ({TableDescription.ItemCount} items when deleted)",
        ),
    },
    Observed {
        action: "dynamodb.UpdateContinuousBackups",
        how: How::Read {
            read: "dynamodb.DescribeContinuousBackups",
            with: &[("TableName", "TableName")],
            fields: &[Field {
                label: "point-in-time recovery of {TableName}",
                path: "ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus",
                set_by: None,
            }],
        },
    },
    Observed {
        action: "dynamodb.UpdateTable",
        how: How::Read {
            read: "dynamodb.DescribeTable",
            with: &[("TableName", "TableName")],
            fields: &[
                Field {
                    label: "stream of {TableName}",
                    path: "Table.StreamSpecification.StreamViewType",
                    set_by: Some("StreamSpecification"),
                },
                Field {
                    label: "billing mode of {TableName}",
                    path: "Table.BillingModeSummary.BillingMode",
                    set_by: Some("BillingMode"),
                },
            ],
        },
    },
];
