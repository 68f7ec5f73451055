//! The audit journal: one append-only, hash-chained JSON Lines file per run, written ahead of every AWS call.
//!
//! `<state dir>/runs/<run id>/journal.jsonl`. Each record is written and fsynced before the engine goes on
//! ([`observer`]), so a crash at any point leaves a journal that is valid up to its last complete line and says
//! which calls were sent without an answer. [`chain`] seals and verifies; [`signature`] has KMS sign the chain's
//! head (`--audit-kms-key`) and checks those signatures; [`replay`] reads a journal back for `runbook resume`;
//! [`timeline`] renders it for a post-mortem; [`incident`] reads runs back as spans of time, which [`postmortem`]
//! merges into one incident document and [`gantt`] draws.

pub mod chain;
pub mod gantt;
pub mod incident;
pub mod observer;
pub mod postmortem;
pub mod record;
pub mod replay;
pub mod signature;
pub mod store;
pub mod timeline;
pub mod writer;

pub use observer::JournalObserver;
pub use record::{Operator, Record, Skip};
pub use store::{NewRun, StateDir};
pub use writer::Journal;
