//! Amazon DynamoDB Streams.

use super::MemberType::*;
use super::{ActionSpec, Pages, opt, req};

pub const ACTIONS: &[ActionSpec] = &[
    call!(
        dynamodbstreams.list_streams,
        "dynamodbstreams", "ListStreams", Read, crate::aws::dynamodbstreams::JSON;
        pages: Pages {
            request_token: "ExclusiveStartStreamArn",
            response_token: "LastEvaluatedStreamArn",
            lists: &["Streams"],
        },
        members: &[
            opt("TableName", String),
            opt("Limit", Integer),
            opt("ExclusiveStartStreamArn", String),
        ],
        iam: &["dynamodb:ListStreams"],
        resource: "arn:aws:dynamodb:{region}:{account}:table/{TableName}/stream/*",
        summary: "List streams of table {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence",
    ),
    call!(
        dynamodbstreams.describe_stream,
        "dynamodbstreams", "DescribeStream", Read, crate::aws::dynamodbstreams::JSON;
        members: &[
            req("StreamArn", String),
            opt("Limit", Integer),
            opt("ExclusiveStartShardId", String),
            opt("ShardFilter", Structure),
        ],
        iam: &["dynamodb:DescribeStream"],
        resource: "{StreamArn}",
        summary: "Describe stream {StreamArn} and its shards",
        example: "StreamArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/stream/2025-12-29T10:00:00.000\"",
    ),
    call!(
        dynamodbstreams.get_shard_iterator,
        "dynamodbstreams", "GetShardIterator", Read, crate::aws::dynamodbstreams::JSON;
        members: &[
            req("StreamArn", String),
            req("ShardId", String),
            req("ShardIteratorType", String),
            opt("SequenceNumber", String),
        ],
        iam: &["dynamodb:GetShardIterator"],
        resource: "{StreamArn}",
        summary: "Get a {ShardIteratorType} iterator for shard {ShardId}",
        example: "StreamArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/stream/2025-12-29T10:00:00.000\"\n\
                  ShardId: shardId-00000001735466400000-2a6e1c4f\n\
                  ShardIteratorType: TRIM_HORIZON",
    ),
    call!(
        dynamodbstreams.get_records,
        "dynamodbstreams", "GetRecords", Read, crate::aws::dynamodbstreams::JSON;
        members: &[req("ShardIterator", String), opt("Limit", Integer)],
        iam: &["dynamodb:GetRecords"],
        resource: "arn:aws:dynamodb:{region}:{account}:table/*/stream/*",
        summary: "Read one batch of stream records",
        example: "ShardIterator: AAAAAAAAAAEvJp6D0zq2yMs1dqMbKkw4yV1OfEXAMPLE\n\
                  Limit: 100",
    ),
];
