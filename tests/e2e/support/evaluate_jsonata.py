"""Evaluates JSONata expressions with the emulator's evaluator (scripts/step_functions_jsonata.py), for
tests/e2e/jsonata.rs: one process for every case.

    python evaluate_jsonata.py CASES_FILE

CASES_FILE: a list of {"expression": TEXT, "bindings": {NAME: VALUE}}; stdout: a list of {"value": V} or
{"error": MESSAGE} (`undefined` when the value is), in the same order.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))

import step_functions_jsonata  # noqa: E402

results = []
with open(sys.argv[1]) as cases:
    cases = json.load(cases)
for case in cases:
    # Inside an object constructor an undefined value leaves its key out, so undefined is told apart from null
    # (both are None to Python).
    wrapped = '{"value": (' + case["expression"] + ")}"
    try:
        result = step_functions_jsonata.evaluate(wrapped, case["bindings"])
    except Exception as error:  # the case's failure, reported beside the others
        results.append({"error": f"{type(error).__name__}: {error}"})
        continue
    results.append(result if "value" in (result or {}) else {"error": "undefined"})
json.dump(results, sys.stdout)
