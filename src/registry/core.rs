//! Engine built-ins (`core.*`): steps that never call AWS.

use super::MemberType::*;
use super::{ActionSpec, Effect, req};

pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "core.sleep",
        effect: Effect::Read,
        members: &[req("duration", String)],
        iam: &[],
        resource: "-",
        summary: "Wait {duration}",
        example: "duration: 30s",
    },
    ActionSpec {
        name: "core.log",
        effect: Effect::Read,
        members: &[req("message", String)],
        iam: &[],
        resource: "-",
        summary: "Log: {message}",
        example: "message: Restore of bg-remover-dev-sales-intelligence started",
    },
    ActionSpec {
        name: "core.fail",
        effect: Effect::Read,
        members: &[req("message", String)],
        iam: &[],
        resource: "-",
        summary: "Stop the run: {message}",
        example: "message: DLQ is not empty, refusing to purge",
    },
    ActionSpec {
        name: "core.noop",
        effect: Effect::Read,
        members: &[],
        iam: &[],
        resource: "-",
        summary: "Do nothing",
        example: "{}",
    },
];
