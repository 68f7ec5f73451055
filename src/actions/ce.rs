//! AWS Cost Explorer (service prefix `ce`). Its endpoint is global, in us-east-1.

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, Reach, opt, req};
use crate::aws;

pub const ACTIONS: &[ActionSpec] = &[ActionSpec {
    name: "ce.GetCostAndUsage",
    execute: Execute::Call(&aws::costexplorer::GET_COST_AND_USAGE),
    // AWS bills each request (USD 0.01), but it changes nothing.
    effect: Effect::Read,
    reach: Reach::Aws,
    members: &[
        req("TimePeriod", Structure),
        req("Granularity", String),
        req("Metrics", List),
        opt("Filter", Structure),
        opt("GroupBy", List),
        opt("BillingViewArn", String),
        opt("NextPageToken", String),
    ],
    iam: &["ce:GetCostAndUsage"],
    resource: "*",
    grants: &[],
    summary: "Get {Granularity} {Metrics} cost and usage",
    example: "TimePeriod: {Start: \"2025-12-29\", End: \"2025-12-30\"}\n\
              Granularity: DAILY\n\
              Metrics: [BlendedCost]\n\
              GroupBy: [{Type: DIMENSION, Key: SERVICE}]",
}];
