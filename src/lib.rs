//! `runbook`: operational procedures as YAML, validated offline, planned honestly and run against AWS.
//!
//! The pipeline reads top to bottom: [`source`] text → [`node`] tree → [`raw`] model → [`validator`] →
//! [`runbook`] (the validated model) → commands.

pub mod access_denied;
pub mod aws;
pub mod catalog;
pub mod cli;
pub mod cli_approver;
pub mod commands;
pub mod datetime;
pub mod diagnostic;
pub mod duration;
pub mod engine;
pub mod from_node;
pub mod graph;
pub mod input_file;
pub mod journal;
pub mod lock;
pub mod nesting;
pub mod node;
pub mod notify;
pub mod param_flags;
pub mod param_value;
pub mod plan_view;
pub mod policy;
pub mod progress;
pub mod raw;
pub mod redact;
pub mod registry;
pub mod run_summary;
pub mod runbook;
pub mod secrets;
pub mod source;
pub mod suggest;
pub mod table;
pub mod taint;
pub mod template;
pub mod terminal_text;
pub mod validator;
pub mod value_pattern;
pub mod yaml_screen;
