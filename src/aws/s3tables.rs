//! Amazon S3 Tables operations (restJson1). Members are camelCase, as in the API; those in the path or query
//! string are set through the typed builder.

use super::{AwsOp, Protocol};
use crate::aws_op;

const TABLE: &[&str] = &["tableBucketARN", "namespace", "name"];

pub const GET_TABLE: AwsOp = aws_op!(s3tables.get_table { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_name: str("name"), set_table_arn: str("tableArn") }, "s3tables", "GetTable", Read, Protocol::RestJson { uri: &["tableBucketARN", "namespace", "name", "tableArn"], body: false });
pub const GET_TABLE_METADATA_LOCATION: AwsOp = aws_op!(s3tables.get_table_metadata_location { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_name: str("name") }, "s3tables", "GetTableMetadataLocation", Read, Protocol::RestJson { uri: TABLE, body: false });
pub const UPDATE_TABLE_METADATA_LOCATION: AwsOp = aws_op!(s3tables.update_table_metadata_location { set_table_bucket_arn: str("tableBucketARN"), set_namespace: str("namespace"), set_name: str("name") }, "s3tables", "UpdateTableMetadataLocation", Write, Protocol::RestJson { uri: TABLE, body: true });
