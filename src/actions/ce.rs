//! AWS Cost Explorer (service prefix `ce`). Its endpoint is global, in us-east-1.

use super::MemberType::*;
use super::{ActionSpec, opt, req};

pub const ACTIONS: &[ActionSpec] = &[call!(
    costexplorer.get_cost_and_usage,
    "ce", "GetCostAndUsage", Read, crate::aws::costexplorer::JSON;
    // AWS bills each request (USD 0.01), but it changes nothing.
    members: &[
        req("TimePeriod", Structure),
        req("Granularity", String),
        req("Metrics", List),
        opt("Filter", Structure),
        opt("GroupBy", List),
        opt("BillingViewArn", String),
        opt("NextPageToken", String),
    ],
    resource: "*",
    summary: "Get {Granularity} {Metrics} cost and usage",
    example: "TimePeriod: {Start: \"2025-12-29\", End: \"2025-12-30\"}\n\
              Granularity: DAILY\n\
              Metrics: [BlendedCost]\n\
              GroupBy: [{Type: DIMENSION, Key: SERVICE}]",
)];
