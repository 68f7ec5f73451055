//! `sns.Publish` with its message attributes written as a map, flattened into awsQuery's entry form.

use serde_json::{Map, Value};

use crate::actions::RunContext;
use crate::aws::sns::PUBLISH;
use crate::aws::{BoxFuture, CallError};

/// `sns.Publish`: one Publish call. `MessageAttributes` is a map whose awsQuery form names its entries
/// `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` (not the generic `key`/`value`),
/// so it is flattened here. Each value is `{DataType, StringValue | BinaryValue}` as in the API, or, for
/// brevity, a plain string (`DataType: String`) or number (`DataType: Number`).
pub fn publish(
    context: &dyn RunContext,
    mut input: Map<String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        if let Some(attributes) = input.remove("MessageAttributes") {
            let Value::Object(attributes) = attributes else {
                return Err(CallError::invalid_request(
                    "`MessageAttributes` must be a map of attribute names to {DataType, StringValue}",
                ));
            };
            for (index, (name, value)) in attributes.into_iter().enumerate() {
                let entry = format!("MessageAttributes.entry.{}", index + 1);
                input.insert(format!("{entry}.Name"), Value::String(name.clone()));
                let (data_type, string_value, binary_value) = match value {
                    Value::String(text) => ("String".to_string(), Some(text), None),
                    Value::Number(number) => ("Number".to_string(), Some(number.to_string()), None),
                    Value::Object(fields) => {
                        let text = |key: &str| {
                            fields.get(key).map(|value| match value {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                        };
                        let data_type = text("DataType").ok_or_else(|| {
                            CallError::invalid_request(format!(
                                "message attribute `{name}` has no DataType"
                            ))
                        })?;
                        (data_type, text("StringValue"), text("BinaryValue"))
                    }
                    other => {
                        return Err(CallError::invalid_request(format!(
                            "message attribute `{name}` must be text, a number or {{DataType, StringValue}}, got {other}"
                        )));
                    }
                };
                input.insert(format!("{entry}.Value.DataType"), Value::String(data_type));
                if let Some(text) = string_value {
                    input.insert(format!("{entry}.Value.StringValue"), Value::String(text));
                }
                if let Some(binary) = binary_value {
                    input.insert(format!("{entry}.Value.BinaryValue"), Value::String(binary));
                }
            }
        }
        context.call(&PUBLISH, input).await
    })
}
