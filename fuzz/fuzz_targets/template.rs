//! Templates and expressions: the depth screen, minijinja's compiler through our static analysis, and the
//! evaluator with the runbook environment (filters, fuel) against a small context. The first byte picks the
//! entry point; whatever the validator accepts must evaluate or fail cleanly, never overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::foundation::template;

fuzz_target!(|bytes: &[u8]| {
    let Some((&mode, rest)) = bytes.split_first() else {
        return;
    };
    let Ok(source) = std::str::from_utf8(rest) else {
        return;
    };
    let context = template::from_json_value(&serde_json::json!({
        "params": {"table": "sales", "limit": 10, "flag": true, "tags": ["a", "b"], "at": "2025-12-30T14:00:00Z"},
        "steps": {"read": {"output": {"Items": [{"id": 1}, {"id": 2}], "Count": 2}}},
        "item": {"PK": {"S": "a"}},
    }));
    match mode % 4 {
        0 => {
            if template::template_references(source).is_ok() {
                let _ = template::render(source, &context);
            }
        }
        1 => {
            if template::expression_references(source).is_ok() {
                let _ = template::evaluate(source, &context);
            }
        }
        2 => {
            // The renderer on its own must be as safe as after validation.
            let _ = template::render(source, &context);
        }
        _ => {
            let _ = template::evaluate(source, &context);
        }
    }
});
