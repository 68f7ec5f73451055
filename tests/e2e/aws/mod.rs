//! One module per AWS service, each action driven against the emulator through the engine's own executors, and
//! the faults a proxy puts between us and AWS.

mod athena;
mod ce;
mod cloudformation;
mod cloudwatch;
mod dynamodb;
mod dynamodbstreams;
mod eventbridge;
mod fault_injection;
mod glue;
mod iceberg;
mod lambda;
mod logs;
mod s3;
mod s3tables;
mod sns;
mod sqs;
