//! AWS KMS operations (awsJson 1.1), used by the journal's signed chain heads (`--audit-kms-key`), not by runbooks.

use super::{AwsOp, Protocol};
use crate::aws_op;

const JSON: Protocol = Protocol::AwsJson { version: "1.1" };

pub const DESCRIBE_KEY: AwsOp = aws_op!(kms.describe_key, "kms", "DescribeKey", Read, JSON);
// Neither changes anything in AWS; KMS keeps no state per signature.
pub const SIGN: AwsOp = aws_op!(kms.sign, "kms", "Sign", Read, JSON);
pub const VERIFY: AwsOp = aws_op!(kms.verify, "kms", "Verify", Read, JSON);
