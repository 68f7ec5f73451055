//! Cost Explorer (`ce.*`) against the emulator. Moto tracks no costs: the figures are queued through its API
//! and come back for the request that asks first.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;

use runbook::engine::{ActionContext, Silent, invoke};
use serde_json::{Value, json};
use support::moto::Moto;

async fn action(
    aws: Arc<runbook::aws::Aws>,
    name: &str,
    input: Value,
) -> Result<Value, runbook::aws::CallError> {
    let context = ActionContext::standalone(Some(aws), true, Arc::new(Silent));
    let spec = runbook::registry::lookup(name).expect("registered");
    invoke(&context, spec, input.as_object().unwrap()).await
}

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
