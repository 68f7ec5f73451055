//! Test files: `NAME.test.yaml` beside the runbook `NAME.yaml`, cases that run the runbook offline against
//! scripted AWS answers (`runbook test`). As for runbooks, the raw model ([`raw`]) mirrors the YAML, and only the
//! validator ([`validator`]) builds the validated model ([`model`]), reporting every error at once with its
//! position and a hint.

pub mod model;
pub mod raw;
pub mod validator;

pub use model::{
    Answer, Case, ConnectionFailure, Expectations, ExpectedWrite, HttpReply, HttpScript, Script,
    TestFile,
};
pub use validator::load;

/// `rollback-lambda.test.yaml` tests `rollback-lambda`.
pub const SUFFIX: &str = ".test.yaml";
