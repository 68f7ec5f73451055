//! Cost Explorer (`ce.*`) against the emulator. Moto tracks no costs: the figures are queued through its API
//! and come back for the request that asks first.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use serde_json::json;

#[tokio::test]
async fn cost_and_usage_by_service() {
    let moto = Moto::shared();
    let by_time = json!([{
        "TimePeriod": {"Start": "2025-12-29", "End": "2025-12-30"},
        "Total": {},
        "Groups": [
            {"Keys": ["AWS Lambda"], "Metrics": {"BlendedCost": {"Amount": "1.25", "Unit": "USD"}}},
            {"Keys": ["Amazon DynamoDB"], "Metrics": {"BlendedCost": {"Amount": "0.40", "Unit": "USD"}}},
        ],
        "Estimated": true,
    }]);
    moto.moto_api(
        "/moto-api/static/ce/cost-and-usage-results",
        json!({"results": [{"ResultsByTime": by_time, "DimensionValueAttributes": []}]}),
    )
    .await;
    let aws = Arc::new(moto.aws().await);
    let output = action(
        aws,
        "ce.GetCostAndUsage",
        json!({
            "TimePeriod": {"Start": "2025-12-29", "End": "2025-12-30"},
            "Granularity": "DAILY",
            "Metrics": ["BlendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        }),
    )
    .await
    .unwrap();
    assert_eq!(output["ResultsByTime"], by_time, "{output}");
}
