"""Ask the SAM CLI's own code what ``sam local invoke`` would use; print the answer as JSON.

Runs under ``.venv-sam/bin/python`` (the SAM CLI is not installed in the test venv; it pins
other versions of pydantic and friends), called by tests/test_sam.py:

``sam_probe.py env BUILT_TEMPLATE LOGICAL_ID...``
    for each function, the environment ``sam local invoke`` gives its container: it is read
    as sam reads it (SamFunctionProvider over the built template) and its variables resolved by
    sam's EnvironmentVariables, with the placeholder credentials sam uses when it finds none,
    so no AWS account, credentials or network are involved.
``sam_probe.py template TEMPLATE``
    the template parsed by sam's YAML loader (short forms such as ``!Ref`` become ``{"Ref": ...}``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.lambdafn.env_vars import EnvironmentVariables
from samcli.yamlhelper import yaml_parse


def function_env(template: str, logical_id: str) -> dict[str, str]:
    stacks, _ = SamLocalStackProvider.get_stacks(template)
    function = SamFunctionProvider(stacks).get(logical_id)
    if function is None:
        sys.exit(f"{template} has no function {logical_id}")
    environment = function.environment or {}
    variables = EnvironmentVariables(
        function.name,
        function.memory,
        function.timeout,
        function.handler,
        function.logging_config,
        variables=environment.get("Variables"),
    )
    resolved: dict[str, str] = variables.resolve()
    return resolved


def parsed_template(template: str) -> Any:
    with open(template, encoding="utf-8") as source:
        return yaml_parse(source.read())


def main(command: str, *args: str) -> None:
    if command == "env":
        template, *functions = args
        answer = {logical_id: function_env(template, logical_id) for logical_id in functions}
    elif command == "template":
        answer = parsed_template(*args)
    else:
        sys.exit(f"unknown command {command!r}: use env or template")
    json.dump(answer, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
