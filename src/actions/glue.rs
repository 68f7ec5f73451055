//! AWS Glue Data Catalog, plus the Iceberg snapshot composites built on it.

use super::MemberType::*;
use super::observed::{Field, How, Observed};
use super::{ActionSpec, Effect, Execute, Grant, Pages, Reach, opt, req};

const TABLE: &str = "arn:aws:glue:{region}:{account}:table/{DatabaseName}/{Name}";
const CATALOG: &str = "arn:aws:glue:{region}:{account}:catalog";
const DATABASE: &str = "arn:aws:glue:{region}:{account}:database/{DatabaseName}";

/// IAM authorizes a Glue table action on the catalog, the database and the table alike.
const TABLE_PATH: &[&str] = &[CATALOG, DATABASE, TABLE];

/// The Iceberg metadata files a table's `metadata_location` points at: a value the composites read from the
/// catalog, so `runbook policy` widens it to any bucket and says so.
const METADATA: &str = "arn:aws:s3:::{metadata bucket}/*";

pub const GET_TABLE: ActionSpec = call!(
    glue.get_table,
    "glue", "GetTable", Read, crate::aws::glue::JSON;
    members: &[
        req("DatabaseName", String),
        req("Name", String),
        opt("CatalogId", String),
        opt("TransactionId", String),
        opt("QueryAsOfTime", Timestamp),
        opt("AuditContext", Structure),
        opt("IncludeStatusDetails", Boolean),
        opt("AttributesToGet", List),
    ],
    resource: TABLE,
    grants: &[Grant {
        actions: &["glue:GetTable"],
        resources: TABLE_PATH,
    }],
    summary: "Describe Glue table {DatabaseName}.{Name}",
    example: "DatabaseName: pricing_intelligence_dev\n\
              Name: sales_history",
);

pub const UPDATE_TABLE: ActionSpec = call!(
    glue.update_table,
    "glue", "UpdateTable", Write, crate::aws::glue::JSON;
    members: &[
        req("DatabaseName", String),
        opt("CatalogId", String),
        opt("Name", String),
        opt("TableInput", Structure),
        opt("SkipArchive", Boolean),
        opt("TransactionId", String),
        opt("VersionId", String),
        opt("ViewUpdateAction", String),
        opt("Force", Boolean),
        opt("UpdateOpenTableFormatInput", Structure),
    ],
    resource: "arn:aws:glue:{region}:{account}:table/{DatabaseName}/*",
    grants: &[Grant {
        actions: &["glue:UpdateTable"],
        resources: &[
            CATALOG,
            DATABASE,
            "arn:aws:glue:{region}:{account}:table/{DatabaseName}/{TableInput.Name}",
        ],
    }],
    summary: "Replace the definition of a Glue table in {DatabaseName}",
    example: "DatabaseName: pricing_intelligence_dev\n\
              TableInput: {Name: sales_history, TableType: EXTERNAL_TABLE, Parameters: {table_type: ICEBERG, metadata_location: \"s3://carousel-labs-analytics-dev/pricing-intelligence/metadata/00042-8f1c.metadata.json\"}}",
);

pub const ACTIONS: &[ActionSpec] = &[
    GET_TABLE,
    call!(
        glue.get_tables,
        "glue", "GetTables", Read, crate::aws::glue::JSON;
        pages: Pages::next_token(&["TableList"]),
        members: &[
            req("DatabaseName", String),
            opt("CatalogId", String),
            opt("Expression", String),
            opt("NextToken", String),
            opt("MaxResults", Integer),
            opt("TransactionId", String),
            opt("QueryAsOfTime", Timestamp),
            opt("AuditContext", Structure),
            opt("IncludeStatusDetails", Boolean),
            opt("AttributesToGet", List),
        ],
        resource: "arn:aws:glue:{region}:{account}:table/{DatabaseName}/*",
        grants: &[Grant {
            actions: &["glue:GetTables"],
            resources: &[
                CATALOG,
                DATABASE,
                "arn:aws:glue:{region}:{account}:table/{DatabaseName}/*",
            ],
        }],
        summary: "List Glue tables of {DatabaseName}",
        example: "DatabaseName: pricing_intelligence_dev\n\
                  Expression: sales_.*",
    ),
    call!(
        glue.get_database,
        "glue", "GetDatabase", Read, crate::aws::glue::JSON;
        members: &[req("Name", String), opt("CatalogId", String)],
        resource: "arn:aws:glue:{region}:{account}:database/{Name}",
        grants: &[Grant {
            actions: &["glue:GetDatabase"],
            resources: &[CATALOG, "arn:aws:glue:{region}:{account}:database/{Name}"],
        }],
        summary: "Describe Glue database {Name}",
        example: "Name: pricing_intelligence_dev",
    ),
    UPDATE_TABLE,
    call!(
        glue.get_table_versions,
        "glue", "GetTableVersions", Read, crate::aws::glue::JSON;
        pages: Pages::next_token(&["TableVersions"]),
        members: &[
            req("DatabaseName", String),
            req("TableName", String),
            opt("CatalogId", String),
            opt("NextToken", String),
            opt("MaxResults", Integer),
        ],
        resource: "arn:aws:glue:{region}:{account}:table/{DatabaseName}/{TableName}",
        grants: &[Grant {
            actions: &["glue:GetTableVersions"],
            resources: &[
                CATALOG,
                DATABASE,
                "arn:aws:glue:{region}:{account}:table/{DatabaseName}/{TableName}",
            ],
        }],
        summary: "List archived versions of Glue table {DatabaseName}.{TableName}",
        example: "DatabaseName: pricing_intelligence_dev\n\
                  TableName: sales_history\n\
                  MaxResults: 10",
    ),
    ActionSpec {
        name: "glue.iceberg_snapshots",
        execute: Execute::Run(super::composites::iceberg_rollback::glue_snapshots),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[
            req("DatabaseName", String),
            req("Name", String),
            opt("CatalogId", String),
        ],
        iam: &["glue:GetTable", "s3:GetObject"],
        resource: TABLE,
        grants: &[
            Grant {
                actions: &["glue:GetTable"],
                resources: TABLE_PATH,
            },
            Grant {
                actions: &["s3:GetObject"],
                // The catalog names the metadata file only at run time: see METADATA.
                resources: &[METADATA],
            },
        ],
        summary: "List Iceberg snapshots of {DatabaseName}.{Name}",
        example: "DatabaseName: pricing_intelligence_dev\n\
                  Name: sales_history",
    },
    ActionSpec {
        name: "glue.iceberg_rollback",
        execute: Execute::Run(super::composites::iceberg_rollback::glue_rollback),
        effect: Effect::Write,
        reach: Reach::Aws,
        members: &[
            req("DatabaseName", String),
            req("Name", String),
            req("SnapshotId", Integer),
            opt("CatalogId", String),
        ],
        iam: &[
            "glue:GetTable",
            "glue:UpdateTable",
            "s3:GetObject",
            "s3:PutObject",
        ],
        resource: TABLE,
        grants: &[
            Grant {
                actions: &["glue:GetTable", "glue:UpdateTable"],
                resources: TABLE_PATH,
            },
            Grant {
                actions: &["s3:GetObject", "s3:PutObject"],
                // The catalog names the metadata file only at run time: see METADATA.
                resources: &[METADATA],
            },
        ],
        summary: "Roll {DatabaseName}.{Name} back to snapshot {SnapshotId}",
        example: "DatabaseName: pricing_intelligence_dev\n\
                  Name: sales_history\n\
                  SnapshotId: 1234567890123456789",
    },
];

/// What the writes above change, read back before and after ([`super::observed`]).
pub const OBSERVED: &[Observed] = &[Observed {
    action: "glue.iceberg_rollback",
    how: How::Read {
        read: "glue.iceberg_snapshots",
        with: &[
            ("DatabaseName", "DatabaseName"),
            ("Name", "Name"),
            ("CatalogId", "CatalogId"),
        ],
        fields: ICEBERG_FIELDS,
    },
}];

/// The current snapshot and the metadata file that records it, in either catalog's listing.
pub(super) const ICEBERG_FIELDS: &[Field] = &[
    Field {
        label: "current snapshot of {DatabaseName}{Namespace}.{Name}",
        path: "CurrentSnapshotId",
        set_by: Some("SnapshotId"),
    },
    Field {
        label: "metadata location of {DatabaseName}{Namespace}.{Name}",
        path: "MetadataLocation",
        set_by: None,
    },
];
