"""Evaluates JSONata expressions with the emulator's evaluator (scripts/step_functions_jsonata.py), for
tests/e2e/jsonata.rs: one process for every case.

    python evaluate_jsonata.py CASES_FILE

CASES_FILE: a list of {"expression": TEXT, "bindings": {NAME: VALUE}}; stdout: a list of {"value": V} (null when the
value is undefined) or {"error": MESSAGE}, in the same order.
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
    try:
        results.append({"value": step_functions_jsonata.evaluate(case["expression"], case["bindings"])})
    except Exception as error:  # the case's failure, reported beside the others
        results.append({"error": f"{type(error).__name__}: {error}"})
json.dump(results, sys.stdout)
