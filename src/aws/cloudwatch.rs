//! Amazon CloudWatch metric and alarm operations, sent as awsQuery (API version 2010-08-01).
//!
//! The `aws-sdk-cloudwatch` crate speaks Smithy RPCv2 CBOR (`POST /service/GraniteServiceVersion20100801/
//! operation/<Op>` with a CBOR body and a `smithy-protocol` header). CloudWatch still accepts awsQuery, the
//! protocol it was built on and that every older SDK and the AWS CLI v1 use; emulators (moto 5.2) only speak
//! awsQuery; and our request members and outputs are JSON, which awsQuery's form body and XML response map to
//! without a CBOR codec. So the typed client is used as transport only, as for every service, and
//! [`ReplaceBody`](super::ReplaceBody) turns its request back into awsQuery before signing: path `/`, a form
//! body, no `smithy-protocol` or CBOR `accept` header. The client then fails to read the XML answer as CBOR,
//! which does not matter: the raw response is captured and decoded as awsQuery.

use super::Protocol;

/// List members of the outputs, kept as arrays even when empty.
pub const QUERY: Protocol = Protocol::Query {
    version: "2010-08-01",
    lists: &[
        "Datapoints",
        "MetricDataResults",
        "Timestamps",
        "Values",
        "Messages",
        "MetricAlarms",
        "CompositeAlarms",
        "Dimensions",
        "AlarmActions",
        "OKActions",
        "InsufficientDataActions",
        "Metrics",
    ],
};

/// Headers of the crate's own protocol that must not reach an awsQuery endpoint.
pub const RPCV2_HEADERS: &[&str] = &["smithy-protocol", "accept"];

/// An operation of the CloudWatch client, sent as awsQuery (see the module docs). The rows
/// (`src/actions/cloudwatch.rs`) declare theirs through `call!`, which uses this for a `Query` row.
macro_rules! query_op {
    ($method:ident, $operation:literal, $effect:ident) => {
        $crate::aws::AwsOp::new(
            "cloudwatch",
            $operation,
            $crate::aws::Effect::$effect,
            $crate::aws::cloudwatch::QUERY,
            |aws, request, capture| {
                Box::pin(async move {
                    aws.cloudwatch()
                        .$method()
                        .customize()
                        .interceptor(
                            request
                                .replace_body()
                                .with_path("/")
                                .without_headers($crate::aws::cloudwatch::RPCV2_HEADERS),
                        )
                        .interceptor(capture)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err($crate::aws::CallError::from)
                })
            },
        )
    };
}

pub(crate) use query_op;
