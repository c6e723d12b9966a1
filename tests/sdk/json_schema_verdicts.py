"""Judges instances against JSON Schemas with the `jsonschema` package (Draft 2020-12, the
dialect MCP tool schemas use, with its format checker), an implementation we did not write.

Run by tests/tests/schema_boundaries.rs as

    python json_schema_verdicts.py CASES

where CASES is a file of JSON lines, each {"schema": ..., "instance": ...}. Prints one JSON
list of booleans (true: the schema admits the instance), in the same order.
"""

import json
import sys

from jsonschema import Draft202012Validator, FormatChecker


def main(path):
    checker = FormatChecker()
    validators = {}
    verdicts = []
    with open(path, encoding="utf-8") as cases:
        for line in cases:
            case = json.loads(line)
            # Many cases share a schema: build each validator once.
            key = json.dumps(case["schema"], sort_keys=True)
            if key not in validators:
                Draft202012Validator.check_schema(case["schema"])
                validators[key] = Draft202012Validator(case["schema"], format_checker=checker)
            verdicts.append(validators[key].is_valid(case["instance"]))
    print(json.dumps(verdicts))


if __name__ == "__main__":
    main(sys.argv[1])
