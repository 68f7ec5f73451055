//! The integration suite: one test binary, one module per area, one support module.
//!
//! One binary because each test binary links the whole AWS SDK: two dozen of them cost minutes of linking and
//! gigabytes of target folder on every change to the crate, and compiled the support code once each. Tests that
//! share the emulator ([`support::moto::Moto::shared`]) use resource names of their own; tests that need a world
//! to themselves (IAM enforcement, a reset, queued results that any caller could take) start a fresh one.

mod aws;
mod cli;
mod diagnostics;
mod emulators;
mod export;
mod hostile;
mod http_request;
mod iceberg_jsonata;
mod journal;
mod jsonata;
mod nested;
mod operator;
mod plan_never_writes;
mod policy;
mod readme;
mod run;
mod runbook_test;
mod runbooks;
mod sandbox;
mod secrets;
mod step_functions;
mod support;
