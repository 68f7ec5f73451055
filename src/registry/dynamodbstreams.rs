//! Amazon DynamoDB Streams.

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Pages, opt, req};
use crate::aws;

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "dynamodbstreams.ListStreams",
        execute: Execute::Paged(
            &aws::dynamodbstreams::LIST_STREAMS,
            Pages {
                request_token: "ExclusiveStartStreamArn",
                response_token: "LastEvaluatedStreamArn",
                lists: &["Streams"],
            },
        ),
        effect: Effect::Read,
        members: &[
            opt("TableName", String),
            opt("Limit", Integer),
            opt("ExclusiveStartStreamArn", String),
        ],
        iam: &["dynamodb:ListStreams"],
        resource: "arn:aws:dynamodb:{region}:{account}:table/{TableName}/stream/*",
        grants: &[],
        summary: "List streams of table {TableName}",
        example: "TableName: bg-remover-dev-sales-intelligence",
    },
    ActionSpec {
        name: "dynamodbstreams.DescribeStream",
        execute: Execute::Call(&aws::dynamodbstreams::DESCRIBE_STREAM),
        effect: Effect::Read,
        members: &[
            req("StreamArn", String),
            opt("Limit", Integer),
            opt("ExclusiveStartShardId", String),
            opt("ShardFilter", Structure),
        ],
        iam: &["dynamodb:DescribeStream"],
        resource: "{StreamArn}",
        grants: &[],
        summary: "Describe stream {StreamArn} and its shards",
        example: "StreamArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/stream/2025-12-29T10:00:00.000\"",
    },
    ActionSpec {
        name: "dynamodbstreams.GetShardIterator",
        execute: Execute::Call(&aws::dynamodbstreams::GET_SHARD_ITERATOR),
        effect: Effect::Read,
        members: &[
            req("StreamArn", String),
            req("ShardId", String),
            req("ShardIteratorType", String),
            opt("SequenceNumber", String),
        ],
        iam: &["dynamodb:GetShardIterator"],
        resource: "{StreamArn}",
        grants: &[],
        summary: "Get a {ShardIteratorType} iterator for shard {ShardId}",
        example: "StreamArn: \"arn:aws:dynamodb:eu-west-1:123456789012:table/bg-remover-dev-sales-intelligence/stream/2025-12-29T10:00:00.000\"\n\
                  ShardId: shardId-00000001735466400000-2a6e1c4f\n\
                  ShardIteratorType: TRIM_HORIZON",
    },
    ActionSpec {
        name: "dynamodbstreams.GetRecords",
        execute: Execute::Call(&aws::dynamodbstreams::GET_RECORDS),
        effect: Effect::Read,
        members: &[req("ShardIterator", String), opt("Limit", Integer)],
        iam: &["dynamodb:GetRecords"],
        resource: "arn:aws:dynamodb:{region}:{account}:table/*/stream/*",
        grants: &[],
        summary: "Read one batch of stream records",
        example: "ShardIterator: AAAAAAAAAAEvJp6D0zq2yMs1dqMbKkw4yV1OfEXAMPLE\n\
                  Limit: 100",
    },
];
