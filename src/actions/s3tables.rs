//! Amazon S3 Tables. The API's own members are camelCase (`tableBucketARN`, `namespace`, ...), as in its reference;
//! the Iceberg composites at the end use our PascalCase names.

use super::MemberType::*;
use super::observed::{How, Observed};
use super::{ActionSpec, Effect, Execute, Pages, Reach, opt, req};

/// Table ARNs end in a table ID the request does not carry, so table-level rows name every table in the bucket.
const TABLES: &str = "{tableBucketARN}/table/*";

pub const GET_TABLE: ActionSpec = call!(
    s3tables.get_table { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_name: str("name"), set_table_arn: str("tableArn") },
    "s3tables", "GetTable", Read, RestJson { body: false };
    // Either tableArn, or tableBucketARN + namespace + name.
    members: &[
        opt("tableBucketARN", String),
        opt("namespace", String),
        opt("name", String),
        opt("tableArn", String),
    ],
    resource: TABLES,
    summary: "Describe S3 table {namespace}.{name}",
    example: "tableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"\n\
              namespace: pricing_intelligence_dev\n\
              name: sales_history",
);

pub const GET_TABLE_METADATA_LOCATION: ActionSpec = call!(
    s3tables.get_table_metadata_location { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_name: str("name") },
    "s3tables", "GetTableMetadataLocation", Read, RestJson { body: false };
    members: &[
        req("tableBucketARN", String),
        req("namespace", String),
        req("name", String),
    ],
    resource: TABLES,
    summary: "Show the current Iceberg metadata file of {namespace}.{name}",
    example: "tableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"\n\
              namespace: pricing_intelligence_dev\n\
              name: sales_history",
);

pub const UPDATE_TABLE_METADATA_LOCATION: ActionSpec = call!(
    s3tables.update_table_metadata_location { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_name: str("name") },
    "s3tables", "UpdateTableMetadataLocation", Write, RestJson { body: true };
    members: &[
        req("tableBucketARN", String),
        req("namespace", String),
        req("name", String),
        req("versionToken", String),
        req("metadataLocation", String),
    ],
    resource: TABLES,
    summary: "Point {namespace}.{name} at metadata file {metadataLocation}",
    example: "tableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"\n\
              namespace: pricing_intelligence_dev\n\
              name: sales_history\n\
              versionToken: 4a1d0b7e9c2f\n\
              metadataLocation: \"s3://63a8e430-6e0b-46f5-k833abtwr6s8--table-s3/metadata/00041-3d2e.metadata.json\"",
);

pub const ACTIONS: &[ActionSpec] = &[
    GET_TABLE,
    GET_TABLE_METADATA_LOCATION,
    UPDATE_TABLE_METADATA_LOCATION,
    call!(
        s3tables.list_tables { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_prefix: str("prefix"), set_continuation_token: str("continuationToken"), set_max_tables: i32("maxTables") },
        "s3tables", "ListTables", Read, RestJson { body: false };
        pages: Pages {
            request_token: "continuationToken",
            response_token: "continuationToken",
            lists: &["tables"],
        },
        members: &[
            req("tableBucketARN", String),
            opt("namespace", String),
            opt("prefix", String),
            opt("continuationToken", String),
            opt("maxTables", Integer),
        ],
        resource: "{tableBucketARN}",
        summary: "List tables in table bucket {tableBucketARN}",
        example: "tableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"\n\
                  namespace: pricing_intelligence_dev",
    ),
    call!(
        s3tables.list_namespaces { set_table_bucket_arn: str("tableBucketARN"), set_prefix: str("prefix"), set_continuation_token: str("continuationToken"), set_max_namespaces: i32("maxNamespaces") },
        "s3tables", "ListNamespaces", Read, RestJson { body: false };
        pages: Pages {
            request_token: "continuationToken",
            response_token: "continuationToken",
            lists: &["namespaces"],
        },
        members: &[
            req("tableBucketARN", String),
            opt("prefix", String),
            opt("continuationToken", String),
            opt("maxNamespaces", Integer),
        ],
        resource: "{tableBucketARN}",
        summary: "List namespaces in table bucket {tableBucketARN}",
        example: "tableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"",
    ),
    ActionSpec {
        name: "s3tables.iceberg_snapshots",
        execute: Execute::Run(super::composites::iceberg_rollback::s3tables_snapshots),
        effect: Effect::Read,
        reach: Reach::Aws,
        members: &[
            req("TableBucketARN", String),
            req("Namespace", String),
            req("Name", String),
        ],
        iam: &["s3tables:GetTableMetadataLocation", "s3tables:GetTableData"],
        resource: "{TableBucketARN}/table/*",
        grants: &[],
        summary: "List Iceberg snapshots of {Namespace}.{Name}",
        example: "TableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"\n\
                  Namespace: pricing_intelligence_dev\n\
                  Name: sales_history",
    },
    ActionSpec {
        name: "s3tables.iceberg_rollback",
        execute: Execute::Run(super::composites::iceberg_rollback::s3tables_rollback),
        effect: Effect::Write,
        reach: Reach::Aws,
        members: &[
            req("TableBucketARN", String),
            req("Namespace", String),
            req("Name", String),
            req("SnapshotId", Integer),
        ],
        iam: &[
            "s3tables:GetTableMetadataLocation",
            "s3tables:UpdateTableMetadataLocation",
            "s3tables:GetTableData",
            "s3tables:PutTableData",
        ],
        resource: "{TableBucketARN}/table/*",
        grants: &[],
        summary: "Roll {Namespace}.{Name} back to snapshot {SnapshotId}",
        example: "TableBucketARN: \"arn:aws:s3tables:eu-west-1:123456789012:bucket/carousel-labs-analytics-dev\"\n\
                  Namespace: pricing_intelligence_dev\n\
                  Name: sales_history\n\
                  SnapshotId: 1234567890123456789",
    },
];

/// What the writes above change, read back before and after ([`super::observed`]).
pub const OBSERVED: &[Observed] = &[Observed {
    action: "s3tables.iceberg_rollback",
    how: How::Read {
        read: "s3tables.iceberg_snapshots",
        with: &[
            ("TableBucketARN", "TableBucketARN"),
            ("Namespace", "Namespace"),
            ("Name", "Name"),
        ],
        fields: super::glue::ICEBERG_FIELDS,
    },
}];
