//! Layer 1, foundations: what every other layer builds on and which knows nothing of runbooks' meaning.
//!
//! Source text and spans, diagnostics (a kind plus a location, rendered `file:line:col` with a caret and a hint),
//! YAML nodes with their spans, durations and datetimes, the template language and its taint tracking, secrets,
//! "did you mean" suggestions, tables and terminal-safe text. Nothing here imports from a layer above
//! (`src/layers.rs` checks it).

pub mod datetime;
pub mod diagnostic;
pub mod duration;
pub mod effect;
pub mod input_file;
pub mod nesting;
pub mod node;
pub mod secrets;
pub mod source;
pub mod suggest;
pub mod table;
pub mod taint;
pub mod template;
pub mod terminal_text;
pub mod yaml_text;
