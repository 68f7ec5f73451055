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
import re
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

    # moto declares `$uuid` in each expression that names it as a function giving the text "Function $uuid is
    # currently not supported"; Step Functions' `$uuid()` gives a random version 4 UUID (its JSONata functions, in
    # the developer guide's page on transforming data with JSONata). Without moto's declaration the evaluator's own
    # answers (step_functions_jsonata.py).
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as declared

    declared._DECLARATION_BY_VARIABLE_REFERENCE.pop("$uuid", None)

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
    milliseconds (`2013-08-23T01:02:15.422Z`), as this writes them. A streamed body (lambda Invoke's Payload) cannot
    be kept either: it is read as text. This fixes the emulator, not our export."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )

    def as_text(value):
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(datetime.timezone.utc)
            return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        # A streamed body (lambda Invoke's Payload) cannot be stored in the execution's history as boto3 gives it
        # (moto fails with "cannot pickle"): it is read, as text.
        if hasattr(value, "read") and callable(value.read):
            return value.read().decode("utf-8", errors="replace")
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


def services_by_their_step_functions_names() -> None:
    """Step Functions names CloudWatch Logs `cloudwatchlogs` and Cost Explorer `costexplorer` in `aws-sdk:`
    resources; moto hands those names to boto3, which knows the services as `logs` and `ce`, so every such task
    failed. This fixes the emulator, not our export."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    overrides = state_task_service.StateTaskService._SERVICE_NAME_SFN_TO_BOTO_OVERRIDES
    overrides.update({"cloudwatchlogs": "logs", "costexplorer": "ce"})


def variable_references_read_past_divisions() -> None:
    """moto finds the `$variables` an expression reads with a regular expression that takes every `/` for the
    start of a regular expression literal: after a division (`$x / 1000`) it reads the text up to the next `/` as
    one, so a later literal ending in `$/` yields a lone `$`, which it refuses ("IllegalJSONataVariableReference"),
    and references in between are missed. This reads a `/` as a literal's start only where an operand is
    expected, as JSONata's own parser does. It fixes the emulator, not our export."""
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
    from moto.stepfunctions.parser.asl.component.common.string import string_expression
    from moto.stepfunctions.parser.asl.static_analyser import variable_references_static_analyser
    from moto.stepfunctions.parser.asl.static_analyser.intrinsic import (
        variable_names_intrinsic_static_analyser,
    )

    identifier = re.compile(r"\$\$|\$[A-Za-z0-9_$]+(?:\.[A-Za-z0-9_][A-Za-z0-9_$]*)*|\$")
    operand_expected_after = set("([{,:?;=<>!+-*/%&|~^")

    def references(expression):
        if not expression:
            return set()
        found = set()
        index, length, last = 0, len(expression), ""
        while index < length:
            c = expression[index]
            if c in "\"'`":
                index += 1
                while index < length and expression[index] != c:
                    index += 2 if expression[index] == "\\" else 1
                index += 1
                last = c
            elif c == "/" and (last == "" or last in operand_expected_after):
                index += 1
                while index < length and expression[index] != "/":
                    index += 2 if expression[index] == "\\" else 1
                index += 1
                while index < length and expression[index].isalpha():
                    index += 1
                last = "/regex"
            elif c == "$":
                match = identifier.match(expression, index)
                found.add(match.group(0))
                index = match.end()
                last = "$"
            elif c.isspace():
                index += 1
            else:
                if c.isalnum() or c == "_":
                    start = index
                    while index < length and (expression[index].isalnum() or expression[index] == "_"):
                        index += 1
                    word = expression[start:index]
                    # After `and`, `or` and `in` an operand follows; after a name or a number, an operator.
                    last = "(" if word in ("and", "or", "in") else "1"
                    continue
                last = c
                index += 1
        for reference in found:
            if reference in moto_jsonata._ILLEGAL_VARIABLE_REFERENCES:
                raise moto_jsonata.IllegalJSONataVariableReference(variable_reference=reference)
        return found

    for module in (
        moto_jsonata,
        string_expression,
        variable_references_static_analyser,
        variable_names_intrinsic_static_analyser,
    ):
        module.extract_jsonata_variable_references = references


def send_task_failure_keeps_its_cause() -> None:
    """SendTaskFailure takes an `error` and a `cause`, and Step Functions records both in the task's TaskFailed
    event (TaskFailedEventDetails `cause`) and, when nothing catches it, in the execution's failure. moto 5.2.5's
    responses.py passes the error alone, so a refused gate lost who refused it and why (`runbook reject` sends them
    as the cause). This fixes the emulator, not our code: its backend takes the cause, the response drops it."""
    import inspect

    from moto.stepfunctions import responses

    def send_task_failure(self):
        backend = self.stepfunction_backend
        given = {"error": self._get_param("error")}
        # The backend that does not execute definitions takes no cause (nor keeps anything).
        if "cause" in inspect.signature(backend.send_task_failure).parameters:
            given["cause"] = self._get_param("cause")
        backend.send_task_failure(self._get_param("taskToken"), **given)
        return responses.EmptyResult()

    responses.StepFunctionResponse.send_task_failure = send_task_failure


def aws_sdk_members_as_step_functions_names_them() -> None:
    """Step Functions' AWS SDK integrations name an API's members in PascalCase whatever the API's own case, in a
    task's arguments and in its result (S3 Tables' `tableBucketARN` is `TableBucketARN` in a task, its
    `metadataLocation` `MetadataLocation`), and give a streamed body as its text (S3 GetObject's `Body` a string
    in the task result): the first is the Step Functions developer guide's (supported-services-awssdk, API naming
    conventions); for the second we found no AWS page that says it, only state machines people publish that read
    the body as text (`States.StringToJson($.Body)`). moto 5.2.5's aws-sdk task hands the arguments to boto3 as
    written and returns boto3's answer as it is: a task on a camelCase API fails, and GetObject's body, a stream,
    cannot be written into the history. For the camelCase APIs (S3 Tables, CloudWatch Logs) this renames the
    arguments to the API's names by its model, as moto's own (LocalStack's) `_to_boto_request` does for its
    optimized integrations but without its conversion of values, and the answer's members to PascalCase; it gives
    S3's bodies as text; and it refuses, for every API, an argument member not in PascalCase. This fixes the
    emulator, not our export."""
    import botocore.session
    from botocore.response import StreamingBody
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )

    from moto.stepfunctions.parser.utils import camel_to_snake_case

    models = botocore.session.get_session()
    # The camelCase APIs, whose members are renamed both ways (the other APIs we call are PascalCase already).
    RENAMED = {"s3tables", "logs"}

    def as_boto(value, shape):
        """`value` with each structure member named as the API (boto3) names it: `TableBucketARN` is
        `tableBucketARN`. Values are left as they are (a string `Body` is the object's text)."""
        type_name = getattr(shape, "type_name", None)
        if isinstance(value, dict) and type_name == "structure":
            names = {camel_to_snake_case(member): member for member in shape.members}
            renamed = {}
            for key, item in value.items():
                member = names.get(camel_to_snake_case(key), key)
                renamed[member] = as_boto(item, shape.members.get(member))
            return renamed
        if isinstance(value, dict) and type_name == "map":
            return {key: as_boto(item, shape.value) for key, item in value.items()}
        if isinstance(value, list) and type_name == "list":
            return [as_boto(item, shape.member) for item in value]
        return value

    def as_step_functions(value, shape):
        """`value` as Step Functions gives it: a structure's members in PascalCase (a map's keys are data, and stay
        as they are), a stream as its text."""
        if isinstance(value, StreamingBody):
            return value.read().decode("utf-8", errors="replace")
        type_name = getattr(shape, "type_name", None)
        if isinstance(value, dict) and type_name == "structure":
            return {
                key[:1].upper() + key[1:]: as_step_functions(item, shape.members.get(key))
                for key, item in value.items()
            }
        if isinstance(value, dict) and type_name == "map":
            return {key: as_step_functions(item, shape.value) for key, item in value.items()}
        if isinstance(value, list) and type_name == "list":
            return [as_step_functions(item, shape.member) for item in value]
        return value

    def not_pascal_case(value, shape, path=""):
        """The structure members in `value` not named in PascalCase, as dotted paths (a map's keys are data, and
        are not checked)."""
        type_name = getattr(shape, "type_name", None)
        found = []
        if isinstance(value, dict) and type_name == "structure":
            names = {camel_to_snake_case(member): member for member in shape.members}
            for key, item in value.items():
                if not key[:1].isupper():
                    found.append(path + key)
                member = names.get(camel_to_snake_case(key))
                found += not_pascal_case(item, shape.members.get(member), f"{path}{key}.")
        elif isinstance(value, dict) and type_name == "map":
            for key, item in value.items():
                found += not_pascal_case(item, shape.value, f"{path}{key}.")
        elif isinstance(value, list) and type_name == "list":
            for index, item in enumerate(value):
                found += not_pascal_case(item, shape.member, f"{path}{index}.")
        return found

    original = aws_sdk.StateTaskServiceAwsSdk._eval_service_task

    def eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        service = self._get_boto_service_name()
        action = self.resource.api_action
        try:
            operation = models.get_service_model(service).operation_model(action[:1].upper() + action[1:])
        except Exception:  # an unknown service or operation fails in the call itself, as before
            operation = None
        # Step Functions takes an aws-sdk task's members only in PascalCase (`LogGroupName`, not the API's own
        # `logGroupName`), where botocore's name matching (the renaming below, and moto's own) takes either: a
        # member named otherwise fails the task (States.Runtime, naming it), as an export written in the API's own
        # case would fail on AWS.
        if operation is not None and operation.input_shape is not None:
            misnamed = not_pascal_case(normalised_parameters, operation.input_shape)
            if misnamed:
                raise ValueError(
                    f"{service}:{action} takes its members in PascalCase, as Step Functions names them; not "
                    + ", ".join(misnamed)
                )
        if service not in RENAMED | {"s3"}:
            return original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        if service not in RENAMED:
            operation = None
        if operation is not None and operation.input_shape is not None:
            renamed = as_boto(normalised_parameters, operation.input_shape)
            normalised_parameters.clear()
            normalised_parameters.update(renamed)
        original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        answer = env.stack.pop()
        if operation is not None and operation.output_shape is not None:
            answer = as_step_functions(answer, operation.output_shape)
        elif isinstance(answer, dict):
            answer = {key: as_step_functions(item, None) for key, item in answer.items()}
        env.stack.append(answer)

    aws_sdk.StateTaskServiceAwsSdk._eval_service_task = eval_service_task


def http_invoke_task() -> None:
    """Step Functions' HTTP task (`arn:aws:states:::http:invoke`), which moto 5.2.5 does not know ("Unknown
    service 'http'"). What it copies, from the Step Functions developer guide's page "Call HTTPS APIs in Step
    Functions workflows": the task's `Arguments` (`ApiEndpoint`, `Method`, `Headers`, `QueryParameters`,
    `RequestBody`, `Authentication.ConnectionArn`); the EventBridge connection resolved (here through moto's own
    EventBridge backend, where `events CreateConnection` keeps it) and applied: its authorization (basic, or an API
    key header) and its invocation HTTP parameters merged into the request, the connection's value winning where
    both name a header, a query parameter or a body key; the result `{Headers, ResponseBody, StatusCode,
    StatusText}`, each header a list of its values, `ResponseBody` parsed when the answer's content type is JSON,
    else text; an answer that is not 2xx fails the task with `States.Http.StatusCode.NNN`, its cause the answer as
    JSON; no answer within 60 seconds, or no connection, fails it with `States.Http.Socket`.
    AWS calls only HTTPS endpoints; this also calls `http://` on 127.0.0.1 or localhost, where the tests serve
    theirs (a test cannot give an HTTPS server a certificate AWS trusts anyway). OAuth connections are not
    emulated (their token endpoint call is not copied): such a task fails, saying so. This fixes the emulator, not
    our export."""
    import base64
    import urllib.error
    import urllib.parse
    import urllib.request

    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    LONGEST_SECONDS = 60

    class HttpTaskFailed(Exception):
        def __init__(self, error, cause):
            super().__init__(cause)
            self.error, self.cause = error, cause

    def connection_of(arn):
        from moto.events.models import events_backends

        # arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID
        parts = arn.split(":", 5)
        if len(parts) < 6 or not parts[5].startswith("connection/"):
            raise HttpTaskFailed("States.Http.Socket", f"{arn} is not an EventBridge connection ARN")
        region, account, name = parts[3], parts[4], parts[5].split("/")[1]
        connection = events_backends[account][region].connections.get(name)
        if connection is None or connection.arn != arn:
            raise HttpTaskFailed("States.Http.Socket", f"connection {arn} does not exist")
        return connection

    def merged(task_pairs, connection_pairs):
        pairs = dict(task_pairs or {})
        for pair in connection_pairs or []:
            pairs[pair["Key"]] = pair["Value"]
        return pairs

    class StateTaskServiceHttp(StateTaskService):
        def _get_supported_parameters(self):
            return {"ApiEndpoint", "Method", "Headers", "QueryParameters", "RequestBody", "Authentication", "Transform"}

        def _from_error(self, env, ex):
            if not isinstance(ex, HttpTaskFailed):
                return super()._from_error(env=env, ex=ex)
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(error_name=ex.error),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=ex.error,
                        cause=ex.cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            arguments = normalised_parameters
            connection = connection_of((arguments.get("Authentication") or {}).get("ConnectionArn", ""))
            endpoint = arguments["ApiEndpoint"]
            parsed = urllib.parse.urlsplit(endpoint)
            if parsed.scheme != "https" and not (
                parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost")
            ):
                raise HttpTaskFailed("States.Http.Socket", f"{endpoint}: the HTTP task calls only HTTPS endpoints")
            auth = connection.auth_parameters or {}
            invocation = auth.get("InvocationHttpParameters") or {}
            headers = merged(arguments.get("Headers"), invocation.get("HeaderParameters"))
            if "BasicAuthParameters" in auth:
                basic = auth["BasicAuthParameters"]
                token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
                headers["Authorization"] = f"Basic {token}"
            elif "ApiKeyAuthParameters" in auth:
                key = auth["ApiKeyAuthParameters"]
                headers[key["ApiKeyName"]] = key["ApiKeyValue"]
            elif "OAuthParameters" in auth:
                raise HttpTaskFailed("States.Http.Socket", "OAuth connections are not emulated")
            query = merged(arguments.get("QueryParameters"), invocation.get("QueryStringParameters"))
            url = endpoint + ("?" + urllib.parse.urlencode(query) if query else "")
            body = arguments.get("RequestBody")
            body_parameters = invocation.get("BodyParameters")
            if body_parameters and (body is None or isinstance(body, dict)):
                body = merged(body, body_parameters)
            data = None
            if body is not None:
                # Compact, as the engine writes a JSON body (AWS does not say how it spaces one).
                data = (body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))).encode()
                if not any(name.lower() == "content-type" for name in headers):
                    headers["Content-Type"] = "application/json"
            request = urllib.request.Request(url, data=data, headers=headers, method=arguments.get("Method", "GET"))
            try:
                with urllib.request.urlopen(request, timeout=LONGEST_SECONDS) as response:
                    answer = read(response, response.status, response.reason)
            except urllib.error.HTTPError as error:
                answer = read(error, error.code, error.reason)
            except (OSError, urllib.error.URLError) as error:
                raise HttpTaskFailed("States.Http.Socket", f"{endpoint}: {error}") from error
            if not 200 <= answer["StatusCode"] < 300:
                raise HttpTaskFailed(f"States.Http.StatusCode.{answer['StatusCode']}", json.dumps(answer))
            env.stack.append(answer)

    def read(response, status, reason):
        headers = {}
        for name, value in response.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        text = response.read().decode("utf-8", errors="replace")
        body = text
        if response.headers.get_content_type() == "application/json" and text:
            try:
                body = json.loads(text)
            except ValueError:
                pass
        return {"Headers": headers, "ResponseBody": body, "StatusCode": status, "StatusText": str(reason)}

    # The HTTP task's errors are Step Functions' own (`States.Http.StatusCode.404`, `States.Http.Socket`), named in a
    # Retry's or Catch's ErrorEquals like any; moto takes every `States.` name it does not list for a custom one,
    # which may not begin so, and refuses the definition.
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName

    checked = CustomErrorName.__init__

    def custom_error_name(self, error_name):
        if error_name is not None and error_name.startswith("States.Http."):
            ErrorName.__init__(self, error_name=error_name)
        else:
            checked(self, error_name)

    CustomErrorName.__init__ = custom_error_name

    original = factory.state_task_service_for

    def state_task_service_for(service_name):
        if service_name == "http":
            return StateTaskServiceHttp()
        return original(service_name)

    factory.state_task_service_for = state_task_service_for
    state_task_factory.state_task_service_for = state_task_service_for


def athena_through_its_json_protocol() -> None:
    """botocore 1.44 describes Athena with the rest-json protocol (`GET /query-executions`), which moto 5.2.5's
    Athena does not route (404), while it serves the JSON 1.1 protocol (`X-Amz-Target: AmazonAthena.*`) the AWS SDK
    for Rust speaks. moto's Step Functions calls services through boto3, so every `aws-sdk:athena:*` task failed on
    the emulator, and with a KeyError (the 404 has no request id) that moto turns into an uncatchable
    States.Runtime. AWS's Step Functions calls Athena whatever protocol boto3 prefers: here boto3 is made to speak
    JSON 1.1 to moto's Athena. This fixes the emulator, not our export."""
    import copy

    from botocore import loaders

    original = loaders.Loader.load_service_model

    def load_service_model(self, service_name, type_name, api_version=None):
        model = original(self, service_name, type_name, api_version)
        if service_name != "athena" or type_name != "service-2":
            return model
        if model["metadata"].get("protocol") != "rest-json":
            return model
        model = copy.deepcopy(model)
        model["metadata"].update(
            protocol="json", protocols=["json"], jsonVersion="1.1", targetPrefix="AmazonAthena"
        )
        for operation in model["operations"].values():
            operation["http"] = {"method": "POST", "requestUri": "/"}
        for shape in model["shapes"].values():
            for member in shape.get("members", {}).values():
                if member.pop("location", None) is not None:
                    member.pop("locationName", None)
        return model

    loaders.Loader.load_service_model = load_service_model


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == ["--tethered"]:
        arguments = arguments[1:]
        threading.Thread(target=exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    install_jsonata()
    aws_sdk_members_as_step_functions_names_them()
    aws_sdk_timestamps_as_text()
    services_by_their_step_functions_names()
    variable_references_read_past_divisions()
    send_task_failure_keeps_its_cause()
    http_invoke_task()
    athena_through_its_json_protocol()
    from moto.server import main as moto_main

    moto_main(arguments)


if __name__ == "__main__":
    main()
