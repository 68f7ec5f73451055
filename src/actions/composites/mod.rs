//! Actions that take more than one call, each in a file of its own: what they send is read top to bottom there,
//! and they reach the run only through [`super::RunContext`].

pub mod athena_query;
pub mod count_items;
pub mod iceberg_rollback;
pub mod sns_publish;
pub mod sqs_move_messages;
