//! AWS Step Functions operations (awsJson 1.0): the state machines `runbook deploy` creates or updates, the
//! executions `runbook run --on step-functions` starts and follows, and the answers `runbook approve` and
//! `runbook reject` give to a gate waiting for its task token.

use super::{AwsOp, Protocol};
use crate::aws_op;

pub const JSON: Protocol = Protocol::AwsJson { version: "1.0" };

pub const LIST_STATE_MACHINES: AwsOp = aws_op!(
    sfn.list_state_machines,
    "states",
    "ListStateMachines",
    Read,
    JSON
);
pub const DESCRIBE_STATE_MACHINE: AwsOp = aws_op!(
    sfn.describe_state_machine,
    "states",
    "DescribeStateMachine",
    Read,
    JSON
);
pub const CREATE_STATE_MACHINE: AwsOp = aws_op!(
    sfn.create_state_machine,
    "states",
    "CreateStateMachine",
    Write,
    JSON
);
pub const UPDATE_STATE_MACHINE: AwsOp = aws_op!(
    sfn.update_state_machine,
    "states",
    "UpdateStateMachine",
    Write,
    JSON
);
pub const START_EXECUTION: AwsOp =
    aws_op!(sfn.start_execution, "states", "StartExecution", Write, JSON);
pub const LIST_EXECUTIONS: AwsOp =
    aws_op!(sfn.list_executions, "states", "ListExecutions", Read, JSON);
pub const DESCRIBE_EXECUTION: AwsOp = aws_op!(
    sfn.describe_execution,
    "states",
    "DescribeExecution",
    Read,
    JSON
);
pub const GET_EXECUTION_HISTORY: AwsOp = aws_op!(
    sfn.get_execution_history,
    "states",
    "GetExecutionHistory",
    Read,
    JSON
);
pub const SEND_TASK_SUCCESS: AwsOp = aws_op!(
    sfn.send_task_success,
    "states",
    "SendTaskSuccess",
    Write,
    JSON
);
pub const SEND_TASK_FAILURE: AwsOp = aws_op!(
    sfn.send_task_failure,
    "states",
    "SendTaskFailure",
    Write,
    JSON
);
