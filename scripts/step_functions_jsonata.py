"""Step Functions' JSONata for moto's emulator, which ships without an evaluator (its `_eval_jsonata` is left
unset, so every JSONata state fails with "'NoneType' object is not callable"). Used by scripts/moto_server.py and
by the test that checks our translation to JSONata (tests/e2e/jsonata.rs), so both run the same evaluator.

The evaluator is PyPI's jsonata-python, pinned in scripts/emulator: a port of the reference implementation (the
one Step Functions runs), pure Python, where moto's own bridge wants a JVM.
"""

import json
import uuid

import jsonata


def _parse(text):
    """Step Functions' `$parse`: the value a JSON text holds. moto declares it (as `$eval`) only in some states.

    Step Functions' JSONata holds every number as a double (JavaScript's `JSON.parse`), so an integer beyond 2^53
    comes out rounded; Python's `json` would keep it exact, and hide from the tests a state machine that would round
    it on AWS (an Iceberg snapshot id, a 64-bit integer). Each integer goes through a double here as it does there."""
    return json.loads(text, parse_int=lambda digits: int(float(digits)))


def _uuid():
    """Step Functions' `$uuid()`: a random version 4 UUID."""
    return str(uuid.uuid4())


# The Step Functions functions the JSONata reference lacks and our export uses (src/step_functions/jsonata/,
# src/step_functions/iceberg.rs). moto declares $partition, $range, $hash and $randomSeeded itself where an
# expression names them (scripts/moto_server.py removes its $uuid, which does not answer as AWS's).
_STEP_FUNCTIONS_FUNCTIONS = {"parse": _parse, "uuid": _uuid}


def evaluate(expression, bindings=None):
    """The value of a JSONata expression with `bindings` as its `$` variables."""
    compiled = jsonata.Jsonata(expression)
    for name, function in _STEP_FUNCTIONS_FUNCTIONS.items():
        compiled.register_lambda(name, function)
    return compiled.evaluate(None, bindings)
