//! Engine built-ins (`core.*`): steps that never call AWS.

use super::MemberType::*;
use serde_json::{Map, Value};

use super::{ActionSpec, Effect, Execute, LiteralRule, Reach, req};
use crate::actions::RunContext;
use crate::aws::{BoxFuture, CallError};

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "core.sleep",
        execute: Execute::Run(sleep),
        effect: Effect::Read,
        reach: Reach::Wait,
        members: &[req("duration", String).literal(LiteralRule::Duration)],
        iam: &[],
        resource: "-",
        grants: &[],
        summary: "Wait {duration}",
        example: "duration: 30s",
    },
    ActionSpec {
        name: "core.log",
        execute: Execute::Run(log),
        effect: Effect::Read,
        reach: Reach::Process,
        members: &[req("message", String)],
        iam: &[],
        resource: "-",
        grants: &[],
        summary: "Log: {message}",
        example: "message: Restore of bg-remover-dev-sales-intelligence started",
    },
    ActionSpec {
        name: "core.fail",
        execute: Execute::Run(fail),
        effect: Effect::Read,
        reach: Reach::Process,
        members: &[req("message", String)],
        iam: &[],
        resource: "-",
        grants: &[],
        summary: "Stop the run: {message}",
        example: "message: DLQ is not empty, refusing to purge",
    },
    ActionSpec {
        name: "core.noop",
        execute: Execute::Run(noop),
        effect: Effect::Read,
        reach: Reach::Process,
        members: &[],
        iam: &[],
        resource: "-",
        grants: &[],
        summary: "Do nothing",
        example: "{}",
    },
];

fn text(input: &Map<std::string::String, Value>, member: &str) -> std::string::String {
    match input.get(member) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => std::string::String::new(),
    }
}

fn noop(
    _context: &dyn RunContext,
    _input: Map<std::string::String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async { Ok(Value::Object(Map::new())) })
}

fn log(
    context: &dyn RunContext,
    input: Map<std::string::String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let message = text(&input, "message");
        context.log(&message);
        Ok(serde_json::json!({ "message": message }))
    })
}

fn fail(
    _context: &dyn RunContext,
    input: Map<std::string::String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move { Err(CallError::stopped("Failed", text(&input, "message"))) })
}

fn sleep(
    context: &dyn RunContext,
    input: Map<std::string::String, Value>,
) -> BoxFuture<'_, Result<Value, CallError>> {
    Box::pin(async move {
        let written = text(&input, "duration");
        let duration = crate::foundation::duration::parse(&written)
            .filter(|duration| *duration <= crate::language::validator::MAX_DURATION)
            .ok_or_else(|| {
                CallError::invalid_request(format!(
                    "`duration: {written}` is not a duration such as 30s or 5m, of at most {}",
                    crate::foundation::duration::format(crate::language::validator::MAX_DURATION)
                ))
            })?;
        if !context.sleep(duration).await {
            return Err(CallError::stopped(
                "Interrupted",
                format!("interrupted during a {written} sleep"),
            ));
        }
        Ok(serde_json::json!({ "slept": written }))
    })
}
