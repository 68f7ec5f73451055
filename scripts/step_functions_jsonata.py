"""Step Functions' JSONata for moto's emulator, which ships without an evaluator (its `_eval_jsonata` is left
unset, so every JSONata state fails with "'NoneType' object is not callable"). Used by scripts/moto_server.py and
by the test that checks our translation to JSONata (tests/e2e/jsonata.rs), so both run the same evaluator.

The evaluator is PyPI's jsonata-python, pinned in scripts/emulator: a port of the reference implementation (the
one Step Functions runs), pure Python, where moto's own bridge wants a JVM.
"""

import decimal
import json
import uuid

import jsonata
from jsonata import functions as jsonata_functions
from jsonata import parser as jsonata_parser
from jsonata import utils as jsonata_utils


def _parse(text):
    """Step Functions' `$parse`: the value a JSON text holds. moto declares it (as `$eval`) only in some states.

    Step Functions' JSONata holds every number as a double (JavaScript's `JSON.parse`), so an integer beyond 2^53
    comes out rounded; Python's `json` would keep it exact, and hide from the tests a state machine that would round
    it on AWS (an Iceberg snapshot id, a 64-bit integer). Each integer goes through a double here as it does there."""
    return json.loads(text, parse_int=lambda digits: int(float(digits)))


def _uuid():
    """Step Functions' `$uuid()`: a random version 4 UUID."""
    return str(uuid.uuid4())


def _fifteen_digits(number):
    """`Number(x.toPrecision(15))`: the double nearest `number` rounded to 15 significant digits, a tie away from
    zero as `toPrecision` picks the larger candidate. The rounding is done on the double's exact decimal value."""
    exact = decimal.Decimal(float(number))
    rounded = decimal.Context(prec=15, rounding=decimal.ROUND_HALF_UP).plus(exact)
    return float(rounded)


def _javascript_number(number):
    """A double as JavaScript prints it (`Number.prototype.toString`, which `JSON.stringify` uses): the shortest
    digits that read back as the same double, in full up to 21 digits before the point and 6 zeros after it, else
    with an exponent (`1e+21`, `1.5e-7`); `-0` prints as `0`."""
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # Python's repr is the shortest round-tripping form too; only the layout differs.
    _, digits, exponent = decimal.Decimal(repr(abs(number))).normalize().as_tuple()
    digits = "".join(map(str, digits))
    point = exponent + len(digits)  # the value is 0.DIGITS x 10^point
    if len(digits) <= point <= 21:
        text = digits + "0" * (point - len(digits))
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        mantissa = digits if len(digits) == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text


def _javascript_json(value, indent, depth):
    """`JSON.stringify(value, replacer, indent)` with jsonata-js 2.0.6's replacer: every number through
    `_fifteen_digits`, a function as `""`."""
    if value is None or value is jsonata_utils.Utils.NULL_VALUE:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _javascript_number(_fifteen_digits(value))
    if isinstance(value, str):
        # JavaScript escapes only quotes, backslashes and control characters; Python's default also escapes
        # every non-ASCII character.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (jsonata.Jsonata.JFunction, jsonata_parser.Parser.Symbol)):
        return '""'
    if isinstance(value, dict):
        items = [f"{json.dumps(str(key), ensure_ascii=False)}:{' ' if indent else ''}{_javascript_json(item, indent, depth + 1)}"
                 for key, item in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, (list, tuple)):
        items = [_javascript_json(item, indent, depth + 1) for item in value]
        opening, closing = "[", "]"
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")
    if not items:
        return opening + closing
    if not indent:
        return opening + ",".join(items) + closing
    inner = "\n" + indent * (depth + 1)
    return opening + inner + ("," + inner).join(items) + "\n" + indent * depth + closing


def _string(value, prettify):
    """Step Functions' `$string` of a value that is not a string (and so of `&`'s operands and `$clone`).

    Step Functions runs jsonata-js 2.0.6, whose `string()` (src/functions.js) is `JSON.stringify` with a replacer
    that turns every number, nested or not, into `Number(val.toPrecision(15))` (jsonata-js issue 669: `$string(1e15
    + 1)` gives `1000000000000000`; later versions keep integers, after 2.0.6): a number of 16 or more significant
    digits anywhere in the value comes out changed. jsonata-python rounds a bare number alone and writes nested ones
    with Python's repr, so the emulator kept what AWS changes and no test could see it. This is the emulator fix:
    jsonata-js 2.0.6's rounding of every number, then JavaScript's number and string printing."""
    if isinstance(value, (jsonata.Jsonata.JFunction, jsonata_parser.Parser.Symbol)):
        return ""
    return _javascript_json(value, "  " if prettify else "", 0)


jsonata_functions.Functions._string = staticmethod(_string)


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
