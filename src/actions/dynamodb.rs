//! Amazon DynamoDB.

use super::MemberType::*;
use super::observed::{Field, How, Observed};
use super::{ActionSpec, Effect, Execute, Grant, Pages, Reach, opt, req};
use crate::aws;

const TABLE: &str = "arn:aws:dynamodb:{region}:{account}:table/{TableName}";

pub const SCAN: ActionSpec = call!(
    dynamodb.scan { set_table_name: str("TableName") },
    "dynamodb", "Scan", Read, crate::aws::dynamodb::JSON;
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
    resource: TABLE,
    summary: "Scan one page of {TableName}",
    example: "TableName: bg-remover-dev-sales-intelligence\n\
              Select: COUNT",
);

pub const QUERY: ActionSpec = call!(
    dynamodb.query { set_table_name: str("TableName") },
    "dynamodb", "Query", Read, crate::aws::dynamodb::JSON;
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
    resource: TABLE,
    summary: "Query one page of {TableName} {IndexName}",
    example: "TableName: bg-remover-dev-sales-intelligence\n\
              IndexName: GSI2\n\
              KeyConditionExpression: \"GSI2PK = :pk AND #t > :since\"\n\
              ExpressionAttributeNames: {\"#t\": CreatedAt}\n\
              ExpressionAttributeValues: {\":pk\": {S: \"TENANT#carousel-labs#EMBEDTYPE#MEM0\"}, \":since\": {N: \"1767103200000\"}}\n\
              ScanIndexForward: false\n\
              Limit: 5",
);

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        dynamodb.describe_table { set_table_name: str("TableName") },
        "dynamodb", "DescribeTable", Read, crate::aws::dynamodb::JSON;
        members: &[req("TableName", String)],
        resource: TABLE,
        summary: "Describe table {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence",
    ),
    call!(
        dynamodb.describe_continuous_backups { set_table_name: str("TableName") },
        "dynamodb", "DescribeContinuousBackups", Read, crate::aws::dynamodb::JSON;
        members: &[req("TableName", String)],
        resource: TABLE,
        summary: "Show point-in-time recovery status of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence",
    ),
    call!(
        dynamodb.list_backups { set_table_name: str("TableName") },
        "dynamodb", "ListBackups", Read, crate::aws::dynamodb::JSON;
        pages: Pages {
            request_token: "ExclusiveStartBackupArn",
            response_token: "LastEvaluatedBackupArn",
            lists: &["BackupSummaries"],
        },
        members: &[
            opt("TableName", String),
            opt("Limit", Integer),
            opt("TimeRangeLowerBound", Timestamp),
            opt("TimeRangeUpperBound", Timestamp),
            opt("ExclusiveStartBackupArn", String),
            opt("BackupType", String),
        ],
        resource: "*",
        summary: "List on-demand backups of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  BackupType: ALL",
    ),
    call!(
        dynamodb.list_tables,
        "dynamodb", "ListTables", Read, crate::aws::dynamodb::JSON;
        pages: Pages {
            request_token: "ExclusiveStartTableName",
            response_token: "LastEvaluatedTableName",
            lists: &["TableNames"],
        },
        members: &[
            opt("ExclusiveStartTableName", String),
            opt("Limit", Integer),
        ],
        resource: "*",
        summary: "List tables",
        example: "Limit: 100",
    ),
    call!(
        dynamodb.create_backup { set_table_name: str("TableName") },
        "dynamodb", "CreateBackup", Write, crate::aws::dynamodb::JSON;
        members: &[req("TableName", String), req("BackupName", String)],
        resource: TABLE,
        summary: "Create on-demand backup {BackupName} of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  BackupName: sales-intelligence-before-restore-20251230",
    ),
    call!(
        dynamodb.describe_backup { set_backup_arn: str("BackupArn") },
        "dynamodb", "DescribeBackup", Read, crate::aws::dynamodb::JSON;
        members: &[req("BackupArn", String)],
        resource: "{BackupArn}",
        summary: "Describe backup {BackupArn}",
        example: "BackupArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/backup/01735567200000-a1b2c3d4\"",
    ),
    call!(
        dynamodb.delete_backup { set_backup_arn: str("BackupArn") },
        "dynamodb", "DeleteBackup", Write, crate::aws::dynamodb::JSON;
        members: &[req("BackupArn", String)],
        resource: "{BackupArn}",
        summary: "Delete backup {BackupArn}",
        example: "BackupArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/backup/01735567200000-a1b2c3d4\"",
    ),
    call!(
        dynamodb.restore_table_to_point_in_time { set_target_table_name: str("TargetTableName") },
        "dynamodb", "RestoreTableToPointInTime", Write, crate::aws::dynamodb::JSON;
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
    ),
    call!(
        dynamodb.restore_table_from_backup { set_target_table_name: str("TargetTableName") },
        "dynamodb", "RestoreTableFromBackup", Write, crate::aws::dynamodb::JSON;
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
    ),
    call!(
        dynamodb.update_table { set_table_name: str("TableName") },
        "dynamodb", "UpdateTable", Write, crate::aws::dynamodb::JSON;
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
        resource: TABLE,
        summary: "Change the settings of table {TableName} (stream, capacity, indexes)",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  StreamSpecification: {StreamEnabled: true, StreamViewType: NEW_AND_OLD_IMAGES}",
    ),
    call!(
        dynamodb.delete_table { set_table_name: str("TableName") },
        "dynamodb", "DeleteTable", Write, crate::aws::dynamodb::JSON;
        members: &[req("TableName", String)],
        resource: TABLE,
        summary: "Delete table {TableName} and all its items",
        example: "TableName: bg-remover-dev-sales-intelligence-restore",
    ),
    SCAN,
    QUERY,
    ActionSpec {
        name: "dynamodb.GetItem",
        execute: Execute::Call(&aws::dynamodb::GET_ITEM),
        effect: Effect::Read,
        reach: Reach::Aws,
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
        reach: Reach::Aws,
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
    call!(
        dynamodb.update_continuous_backups { set_table_name: str("TableName") },
        "dynamodb", "UpdateContinuousBackups", Write, crate::aws::dynamodb::JSON;
        members: &[
            req("TableName", String),
            req("PointInTimeRecoverySpecification", Structure),
        ],
        resource: TABLE,
        summary: "Change point-in-time recovery of {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence\n\
                  PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35}",
    ),
    ActionSpec {
        name: "dynamodb.count_items",
        execute: Execute::Run(super::composites::count_items::count_items),
        effect: Effect::Read,
        reach: Reach::Aws,
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
