//! Plain HTTP requests (`http.request`), for health checks and service endpoints.

use super::MemberType::*;
use super::{ActionSpec, Effect, Execute, opt, req};

pub const ACTIONS: &[ActionSpec] = &[ActionSpec {
    name: "http.request",
    execute: Execute::Pending,
    effect: Effect::Read,
    members: &[
        req("url", String),
        opt("method", String),
        opt("headers", Map),
        opt("body", Any),
        opt("timeout", String),
        opt("expect_status", Integer),
    ],
    iam: &[],
    resource: "{url}",
    summary: "{method} {url}",
    example: "url: https://api.dev.carousellabs.co/bg-remover/health\n\
              method: GET\n\
              timeout: 10s\n\
              expect_status: 200",
}];
