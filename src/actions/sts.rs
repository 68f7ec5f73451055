//! AWS Security Token Service (STS).

use super::{ActionSpec, Effect, Execute, Reach};

pub const ACTIONS: &[ActionSpec] = &[ActionSpec {
    name: "sts.GetCallerIdentity",
    execute: Execute::Call(&crate::aws::sts::GET_CALLER_IDENTITY),
    effect: Effect::Read,
    reach: Reach::Aws,
    members: &[],
    // Every principal may call it and no policy can deny it; listed so plans show the call.
    iam: &["sts:GetCallerIdentity"],
    resource: "*",
    grants: &[],
    summary: "Show the account and principal in use",
    example: "{}",
}];
