"""moto's server as the tests and the sandbox run it: with Step Functions' JSONata evaluator in place, fixes to
moto's Step Functions that make it answer as AWS does, and (with --tethered) tied to the process that started it.

    python scripts/moto_server.py [--tethered] -H 127.0.0.1 -p PORT     (the other arguments are moto_server's)

JSONata: moto 5.2.5 runs `QueryLanguage: JSONata` definitions only once `_eval_jsonata` is set; this sets it to
scripts/step_functions_jsonata.py's evaluator. Versions are pinned in scripts/emulator.

--tethered: tests start one emulator per test binary and keep it in a static, whose destructor never runs; a test
that panics or a binary that is killed would otherwise leave a moto_server behind (65-230 MB each, and CI runs on
the same machine again and again). With it, this process exits as soon as its parent is gone: when the parent dies,
however it dies, this process is re-parented and `getppid()` changes. `scripts/sandbox` starts a plain moto_server
on purpose, since the sandbox outlives the shell that brought it up.
"""

import datetime
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(0)


def install_jsonata() -> None:
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
    from moto.stepfunctions.parser.asl.eval import states, variable_store

    import step_functions_jsonata

    def evaluate(expression):
        try:
            return step_functions_jsonata.evaluate(expression)
        except Exception as error:  # moto turns this exception into States.QueryEvaluationError
            raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from error

    moto_jsonata._eval_jsonata = evaluate

    # moto writes each variable into the expression as text, a string one as `"{value}"` unescaped: a quote, a
    # backslash or a newline in a parameter breaks the expression. JSON text is JSONata text.
    def declarations(bindings):
        return "".join(f"{name}:={json.dumps(value, default=str)};" for name, value in bindings.items())

    moto_jsonata.encode_jsonata_variable_declarations = declarations
    states.encode_jsonata_variable_declarations = declarations
    variable_store.encode_jsonata_variable_declarations = declarations


def aws_sdk_timestamps_as_text() -> None:
    """An `aws-sdk:` task's result holds the timestamps of boto3's response as Python datetimes, which moto cannot
    write as JSON (DescribeExecution then answers 500). Step Functions returns them as ISO 8601 text in UTC with
    milliseconds (`2013-08-23T01:02:15.422Z`), as this writes them. This fixes the emulator, not our export."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )

    def as_text(value):
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.timezone.utc)
            return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        if isinstance(value, dict):
            return {key: as_text(item) for key, item in value.items()}
        if isinstance(value, list):
            return [as_text(item) for item in value]
        return value

    original = aws_sdk.StateTaskServiceAwsSdk._eval_service_task

    def eval_service_task(self, env, *args, **kwargs):
        original(self, env, *args, **kwargs)
        env.stack.append(as_text(env.stack.pop()))

    aws_sdk.StateTaskServiceAwsSdk._eval_service_task = eval_service_task


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == ["--tethered"]:
        arguments = arguments[1:]
        threading.Thread(target=exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    install_jsonata()
    aws_sdk_timestamps_as_text()
    from moto.server import main as moto_main

    moto_main(arguments)


if __name__ == "__main__":
    main()
