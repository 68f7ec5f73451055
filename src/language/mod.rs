//! Layer 2, the language: what a runbook file means, decided offline.
//!
//! The pipeline reads top to bottom: the YAML [`crate::foundation::node`] tree → [`raw`] model (mirrors the file,
//! via [`from_node`]; [`yaml_screen`] refuses hostile YAML before that) → [`validator`] → [`runbook`], the validated
//! model, which only the validator builds. The validator checks steps against an [`action_shape::ActionTable`] it is
//! handed from above (the registry). [`catalog`] finds runbook files; [`graph`], [`param_value`] and
//! [`value_pattern`] read the validated model. Validation is pure: no network, no credentials, no clock.

pub mod action_shape;
pub mod catalog;
pub mod from_node;
pub mod graph;
pub mod param_value;
pub mod raw;
pub mod runbook;
pub mod test_file;
pub mod topic_arn;
pub mod validator;
pub mod value_pattern;
pub mod yaml_screen;
