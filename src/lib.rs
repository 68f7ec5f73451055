//! `runbook`: operational procedures as YAML, validated offline, planned honestly and run against AWS.
//!
//! The crate is in layers, bottom to top, and a module imports only from its own layer and those below
//! (docs/architecture.md; `layers.rs` holds the test): [`foundation`] (source text, diagnostics, YAML nodes,
//! templates) → [`language`] (raw model → validator → validated runbook) → [`aws`] (transport) →
//! [`actions`] → [`engine`] with [`journal`], [`lock`] and [`redact`] → [`commands`] → [`cli`].

pub mod access_denied;
pub mod actions;
pub mod aws;
pub mod cli;
pub mod cli_approver;
pub mod commands;
pub mod engine;
pub mod foundation;
pub mod journal;
pub mod language;
pub mod layers;
pub mod lock;
pub mod notify;
pub mod param_flags;
pub mod plan_view;
pub mod policy;
pub mod progress;
pub mod redact;
pub mod run_summary;
pub mod step_functions;
pub mod test_runner;
