"""Runs a state machine definition on the emulator's Step Functions and answers its approval gate, for
tests/e2e/export.rs. Prints one JSON object: the execution's status, output and history, and the approval message sent.

    python step_functions.py DEFINITION_FILE INPUT_JSON TOPIC_NAME [NAME]

The definition's approval task publishes its prompt and task token to TOPIC_NAME; the token is read back from the
task's scheduled parameters in the execution history (moto delivers to no subscriber we could read without
polling SQS) and answered with SendTaskSuccess.
"""

import json
import re
import sys
import time

import boto3

definition_file, execution_input, topic_name = sys.argv[1:4]
# The state machine's and the execution's name: one emulator can run several.
name = sys.argv[4] if len(sys.argv) > 4 else "exported"
sfn = boto3.client("stepfunctions")
sns = boto3.client("sns")
topic = sns.create_topic(Name=topic_name)["TopicArn"]
with open(definition_file) as handle:
    definition = handle.read()
machine = sfn.create_state_machine(
    name=name,
    definition=definition,
    roleArn="arn:aws:iam::123456789012:role/exported-state-machine",
)["stateMachineArn"]
execution = sfn.start_execution(stateMachineArn=machine, name=name, input=execution_input)["executionArn"]

approval_message = None
deadline = time.time() + 60
while time.time() < deadline:
    described = sfn.describe_execution(executionArn=execution)
    if described["status"] != "RUNNING":
        break
    if approval_message is None:
        for event in sfn.get_execution_history(executionArn=execution)["events"]:
            details = event.get("taskScheduledEventDetails")
            if details and details["resource"] == "publish.waitForTaskToken":
                approval_message = json.loads(details["parameters"])["Message"]
                token = re.search(r"Task token \(SendTaskSuccess to approve, SendTaskFailure to refuse\): (\S+)", approval_message).group(1)
                sfn.send_task_success(taskToken=token, output=json.dumps({"approved_by": "tests"}))
    time.sleep(0.2)

history = sfn.get_execution_history(executionArn=execution)["events"]
print(
    json.dumps(
        {
            "status": described["status"],
            "output": json.loads(described.get("output") or "null"),
            "approval_message": approval_message,
            "history": history,
            "failures": [
                event.get("executionFailedEventDetails") or event.get("taskFailedEventDetails")
                for event in history
                if event["type"] in ("ExecutionFailed", "TaskFailed")
            ],
        },
        default=str,
    )
)
